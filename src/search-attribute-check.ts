/**
 * The worker's start-time check of the namespace's custom search attributes. A workflow that upserts one the server
 * does not know fails its workflow task on every attempt (the session watchdogs' `SessionStatus`, the dead-letter
 * path's `DeadLettered` and `FailedStep`), visible only in the Web UI; the worker says so at once, with the command
 * that fixes it. The dev stack and the compose setup job register them; a server of one's own needs the command.
 */
import { temporal } from '@temporalio/proto';
import type { NativeConnection } from '@temporalio/worker';
import type { SearchAttributeType } from '@temporalio/common';
import type { Logger } from './logger';
import { SEARCH_ATTRIBUTES } from './workflows/contracts';

const { IndexedValueType } = temporal.api.enums.v1;

/** The `temporal` CLI's spelling of each type (`--type` of `operator search-attribute create`). */
export const CLI_SEARCH_ATTRIBUTE_TYPES = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
} as const satisfies Record<SearchAttributeType, string>;

const CHECK_DEADLINE_MS = 5000;

export interface SearchAttributeFindings {
  /** Not registered in the namespace. */
  missing: string[];
  /** Registered with another type: `Name (Keyword, registered as Text)`. */
  wrongType: string[];
}

/** Compares the namespace's custom search attributes with SEARCH_ATTRIBUTES. */
export async function findSearchAttributeProblems(
  connection: NativeConnection,
  namespace: string,
): Promise<SearchAttributeFindings> {
  const response = await connection.withDeadline(Date.now() + CHECK_DEADLINE_MS, () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  const registered = response.customAttributes ?? {};
  const findings: SearchAttributeFindings = { missing: [], wrongType: [] };
  for (const key of Object.values(SEARCH_ATTRIBUTES)) {
    const has = registered[key.name];
    if (has === undefined || has === null) {
      findings.missing.push(key.name);
    } else if (has !== IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]) {
      const actual = (IndexedValueType[has] ?? String(has)).replace('INDEXED_VALUE_TYPE_', '');
      findings.wrongType.push(
        `${key.name} (${CLI_SEARCH_ATTRIBUTE_TYPES[key.type]}, registered as ${cliType(actual)})`,
      );
    }
  }
  return findings;
}

/**
 * Logs an error naming what is missing or mistyped, with the commands that register the missing ones; a warning
 * when Temporal did not answer. Never throws: the worker runs either way (message events need none of them).
 */
export async function checkSearchAttributes(
  connection: NativeConnection,
  namespace: string,
  logger: Logger,
): Promise<SearchAttributeFindings | undefined> {
  let findings: SearchAttributeFindings;
  try {
    findings = await findSearchAttributeProblems(connection, namespace);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.warn({ reason }, 'could not check the search attributes');
    return undefined;
  }
  if (findings.missing.length > 0 || findings.wrongType.length > 0) {
    const fix = Object.values(SEARCH_ATTRIBUTES)
      .filter((key) => findings.missing.includes(key.name))
      .map(
        (key) =>
          `temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${CLI_SEARCH_ATTRIBUTE_TYPES[key.type]}`,
      );
    logger.error(
      { namespace, ...findings, fix },
      'search attributes missing or mistyped: workflows that set them fail their workflow tasks until fixed',
    );
  }
  return findings;
}

function cliType(indexedType: string): string {
  return indexedType in CLI_SEARCH_ATTRIBUTE_TYPES
    ? CLI_SEARCH_ATTRIBUTE_TYPES[indexedType as keyof typeof CLI_SEARCH_ATTRIBUTE_TYPES]
    : indexedType;
}
