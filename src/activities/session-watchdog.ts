import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { VesperConfig } from '../config';
import {
  FAILURE_TYPES,
  SEARCH_ATTRIBUTES,
  SESSION_WATCHDOG_WORKFLOW,
  sessionEventSignal,
  sessionWatchdogId,
  type SessionNotice,
  type SessionWatchdogInput,
  type SessionWatchdogSettings,
  type SessionWatchdogState,
  type VesperSessionStatus,
} from '../workflows/contracts';
import { activityCancellation, asciiIdempotencyKey, getJson, postJson } from './http';

/** The signature of sessionWatchdog (src/workflows/session-watchdog.ts), started here by name. */
type WatchdogWorkflow = (input: SessionWatchdogInput) => Promise<SessionWatchdogState>;

export interface SessionNoticeInput {
  sessionId: string;
  notice: SessionNotice;
}

/**
 * Wakes the session's watchdog with a session event: signal-with-start, so the first event starts it on this task
 * queue and later ones reach it. Temporal only: it works while Redis is down. A notice repeated by this
 * activity's retry is applied once (the watchdog remembers event keys).
 */
export function createSessionNoticeActivities({
  client,
  settings,
}: {
  client: Client;
  settings: SessionWatchdogSettings;
}) {
  return {
    async notifySessionWatchdog({ sessionId, notice }: SessionNoticeInput): Promise<{ watchdog: string }> {
      if (!sessionId)
        throw ApplicationFailure.nonRetryable(
          `${notice.type} lacks data.sessionId`,
          FAILURE_TYPES.invalidEvent,
        );
      const { taskQueue } = Context.current().info;
      const watchdog = sessionWatchdogId(taskQueue, sessionId);
      await client.workflow.signalWithStart<WatchdogWorkflow, [SessionNotice]>(SESSION_WATCHDOG_WORKFLOW, {
        workflowId: watchdog,
        taskQueue,
        args: [{ sessionId, settings }],
        signal: sessionEventSignal,
        signalArgs: [notice],
        typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.sessionId, value: sessionId }],
      });
      return { watchdog };
    },
  };
}

const STATUSES: readonly VesperSessionStatus[] = ['connected', 'connecting', 'disconnected'];

/**
 * Vesper's documented session API (vespergateway.com/docs, "Sessions"): `POST /sessions/:id/restart` ("re-connect
 * WhatsApp") and `GET /sessions/:id/status` (connected / connecting / disconnected), with the key in `x-api-key`.
 * Without a key (the dev stack's default) neither is called: the watchdog alerts on its timers alone.
 */
export function createSessionApiActivities(vesper: VesperConfig) {
  const url = (sessionId: string, what: string) =>
    `${vesper.apiUrl}/sessions/${encodeURIComponent(sessionId)}/${what}`;
  const common = {
    timeoutMs: vesper.timeoutMs,
    rejectedType: FAILURE_TYPES.vesperRejected,
  };
  return {
    async restartSession({
      sessionId,
      idempotencyKey,
    }: {
      sessionId: string;
      /** The same for every attempt of one restart: an API that honours it restarts once. */
      idempotencyKey: string;
    }): Promise<{ outcome: 'requested' | 'no-api-key' }> {
      if (!vesper.apiKey) return { outcome: 'no-api-key' };
      await postJson({
        ...common,
        what: 'Vesper session restart',
        url: url(sessionId, 'restart'),
        headers: { 'x-api-key': vesper.apiKey, 'Idempotency-Key': asciiIdempotencyKey(idempotencyKey) },
        body: {},
        cancelled: activityCancellation(),
      });
      return { outcome: 'requested' };
    },

    async getSessionStatus({
      sessionId,
    }: {
      sessionId: string;
    }): Promise<{ status: VesperSessionStatus | 'no-api-key' }> {
      if (!vesper.apiKey) return { status: 'no-api-key' };
      const body = await getJson({
        ...common,
        what: 'Vesper session status',
        url: url(sessionId, 'status'),
        headers: { 'x-api-key': vesper.apiKey },
        cancelled: activityCancellation(),
      });
      return { status: statusOf(body) };
    },
  };
}

/**
 * The status in Vesper's answer. Its docs name the values but show no body, so `{ status }`, `{ data: { status } }`
 * and `{ session: { status } }` are all read; anything else is `unknown` (never taken for connected).
 */
export function statusOf(body: unknown): VesperSessionStatus {
  const candidates = [body, field(body, 'data'), field(body, 'session')];
  for (const candidate of candidates) {
    const status = field(candidate, 'status');
    if (typeof status !== 'string') continue;
    const normalised = status.trim().toLowerCase();
    if ((STATUSES as readonly string[]).includes(normalised)) return normalised as VesperSessionStatus;
  }
  return 'unknown';
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
