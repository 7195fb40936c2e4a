/**
 * `npm run retention` lists the keys holding personal data that have no expiry (written before 0.3, which
 * started giving every such key one); `npm run retention -- apply` gives each its retention, counted from now.
 * Open dead letters are left alone: they are kept until resubmitted, redriven or discarded.
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { redisKeys } from '../redis-keys';
import type { OpsConfig } from '../config';
import { runCommand } from './cli';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false } },
});

/**
 * What carries personal data, by key pattern (see README, Redis data model), and for how long it is kept. The 0.1
 * layout (`wa:msg:*`, `wa:session:*`, `wa:event:*`, `wa:rejected:*`, `wa:dlq:*`), never migrated, is covered too.
 */
function kinds(
  config: OpsConfig,
): Array<{ kind: string; patterns: string[]; seconds: number; letters?: boolean }> {
  const data = config.retention.dataSeconds;
  return [
    {
      kind: 'session data (messages, histories, states)',
      patterns: ['wa:{s:*', 'wa:msg:*', 'wa:session:*'],
      seconds: data,
    },
    { kind: 'recorded events', patterns: [redisKeys.event('*'), 'wa:event:*'], seconds: data },
    {
      kind: 'rejected bodies',
      patterns: [redisKeys.rejectedEvent('*'), 'wa:rejected:*'],
      seconds: config.rejectedRetentionSeconds,
    },
    {
      kind: 'closed dead letters',
      patterns: [redisKeys.deadLetter('*'), 'wa:dlq:*'],
      seconds: data,
      letters: true,
    },
  ];
}

/**
 * One key, atomically: 1 when it has no expiry and is due one (a dead letter only when it is a closed one's hash:
 * a redrive between a read and the EXPIRE must not put an expiry on a reopened letter). ARGV: seconds, letters?,
 * apply?
 */
const EXPIRE_IF_DUE = `
if redis.call('TTL', KEYS[1]) ~= -1 then return 0 end
if ARGV[2] == '1' then
  if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
  local status = redis.call('HGET', KEYS[1], 'status')
  if not status or status == 'open' then return 0 end
end
if ARGV[3] == '1' then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1`;

async function* scan(redis: Redis, pattern: string): AsyncGenerator<string> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    yield* keys;
  } while (cursor !== '0');
}

runCommand(async ({ redis, config }) => {
  const [command] = positionals;
  if (command !== undefined && command !== 'apply') {
    console.error('usage: retention [apply] [--json]');
    return 2;
  }
  const apply = command === 'apply';
  const report: Array<{ kind: string; withoutExpiry: number; retentionSeconds: number; applied: boolean }> =
    [];
  for (const { kind, patterns, seconds, letters } of kinds(config)) {
    let count = 0;
    for (const pattern of patterns) {
      for await (const key of scan(redis, pattern)) {
        const due = await redis.eval(
          EXPIRE_IF_DUE,
          1,
          key,
          String(seconds),
          letters ? '1' : '0',
          apply ? '1' : '0',
        );
        if (due === 1) count++;
      }
    }
    report.push({ kind, withoutExpiry: count, retentionSeconds: seconds, applied: apply });
  }
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else {
    for (const r of report)
      console.log(
        `${r.kind}: ${r.withoutExpiry} key(s) without expiry${apply ? `, now ${r.retentionSeconds} s` : ''}`,
      );
    if (!apply) console.log('run `npm run retention -- apply` to give each its retention, counted from now');
  }
  return 0;
});
