/**
 * `npm run sessions -- list | show <sessionId>` (see USAGE; --json for scripts): what the session watchdogs of this
 * task queue believe, down sessions first, from each running watchdog's `sessionState` query; `show` adds the
 * session's record in Redis (its latest event) and says so when no watchdog runs (the session has been up for the
 * flapping window, or never dropped).
 */
import { parseArgs } from 'node:util';
import { WorkflowNotFoundError } from '@temporalio/client';
import { redisKeys } from '../redis-keys';
import {
  sessionWatchdogsQuery,
  sessionStateQuery,
  sessionWatchdogId,
  type SessionView,
} from '../workflows/contracts';
import { runCommand, type OpsContext } from './cli';

const USAGE = ['usage: sessions list [--all] [--json]', '       sessions show <sessionId> [--json]'].join(
  '\n',
);

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

runCommand(async (ctx) => {
  const [command, sessionId] = positionals;
  if (command === 'list') return list(ctx);
  if (command === 'show' && sessionId) return show(ctx, sessionId);
  console.error(USAGE);
  return 2;
});

/** Running watchdogs (`--all`: their closed runs too, newest first, without state) of this task queue. */
async function list(ctx: OpsContext): Promise<number> {
  const { taskQueue } = ctx.config.temporal;
  const query = sessionWatchdogsQuery(taskQueue, { running: !flags.all });
  type Other = { workflowId: string; status: string };
  const views: Array<SessionView | Other> = [];
  for await (const execution of ctx.client.workflow.list({ query })) {
    if (execution.status.name !== 'RUNNING') {
      views.push({ workflowId: execution.workflowId, status: execution.status.name });
      continue;
    }
    const view = await ctx.client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .query(sessionStateQuery)
      .catch(() => undefined);
    views.push(
      view
        ? withDownFor(view)
        : { workflowId: execution.workflowId, status: 'RUNNING (no answer to the query)' },
    );
  }
  const watchdogs = views.filter((v): v is SessionView => 'sessionId' in v).sort(downFirst);
  const others = views.filter((v): v is Other => !('sessionId' in v));
  if (flags.json) {
    console.log(JSON.stringify({ watchdogs, others }, null, 2));
    return 0;
  }
  if (watchdogs.length === 0 && others.length === 0) {
    console.log(`no session watchdog${flags.all ? '' : ' running'} on task queue ${taskQueue}`);
    return 0;
  }
  console.log(['STATUS       ', 'DOWN FOR', 'ATTEMPTS', 'ALERTS', 'SESSION'].join('  '));
  for (const v of watchdogs) {
    const flapping = v.flapping ? ' (flapping)' : '';
    console.log(
      [
        `${v.status}${flapping}`.padEnd(13),
        (v.downForSeconds === undefined ? '-' : minutes(v.downForSeconds)).padStart(8),
        String(v.episode?.restartAttempts ?? 0).padStart(8),
        String(v.alertsSent).padStart(6),
        v.sessionId,
      ].join('  '),
    );
  }
  for (const o of others) console.log(`${o.status.padEnd(13)}  ${o.workflowId}`);
  return 0;
}

async function show(ctx: OpsContext, sessionId: string): Promise<number> {
  const workflowId = sessionWatchdogId(ctx.config.temporal.taskQueue, sessionId);
  const record: Record<string, string> = await ctx.redis
    .hgetall(redisKeys.session(sessionId))
    .catch(() => ({}));
  const redisRecord = Object.keys(record).length > 0 ? record : undefined;
  let watchdog: SessionView | undefined;
  let closed: string | undefined;
  try {
    const handle = ctx.client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') watchdog = withDownFor(await handle.query(sessionStateQuery));
    else closed = `${description.status.name} at ${description.closeTime?.toISOString() ?? '?'}`;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  if (flags.json) {
    console.log(JSON.stringify({ sessionId, workflowId, watchdog, closed, redisRecord }, null, 2));
    return watchdog || redisRecord ? 0 : 1;
  }
  console.log(`session    ${sessionId}`);
  console.log(`watchdog   ${workflowId}${watchdog ? ' (running)' : closed ? ` (${closed})` : ' (none)'}`);
  if (watchdog) {
    const e = watchdog.episode;
    console.log(
      `status     ${watchdog.status}${watchdog.flapping ? `, flapping (${watchdog.flapping.drops} drops)` : ''}`,
    );
    if (e) {
      console.log(
        `down since ${e.since} (${minutes(watchdog.downForSeconds ?? 0)}), reason ${e.reason || '-'}, last seen ${e.lastSeen || '-'}`,
      );
      console.log(
        `alerted    ${e.downAlertedAt ?? (e.folded ? 'folded into the flapping alert' : 'not yet (grace)')}${e.escalatedAt ? `; escalated ${e.escalatedAt}` : ''}; reminders ${e.remindersSent}`,
      );
      console.log(
        `restarts   ${e.restartAttempts}${e.lastRestart ? `, last ${e.lastRestart.at}: ${e.lastRestart.outcome}` : ''}${e.restartRefused ? ` (refused: ${e.restartRefused})` : ''}`,
      );
      console.log(
        `vesper     ${e.lastCheck ? `${e.lastCheck.outcome} at ${e.lastCheck.at}` : 'not checked yet'}`,
      );
    }
    console.log(
      `history    ${watchdog.episodes} drops: ${watchdog.blips} blips, ${watchdog.outages} outages; ${watchdog.alertsSent} alerts; ${watchdog.stale} late events ignored`,
    );
    if (watchdog.lastRecovery) {
      const r = watchdog.lastRecovery;
      console.log(
        `recovered  ${r.at} after ${minutes(r.downSeconds)} (seen by ${r.by}${r.alerted ? ', alerted' : ''})`,
      );
    }
  }
  if (redisRecord) {
    console.log(
      `redis      ${redisRecord.status ?? '?'} at ${redisRecord.updatedAt ?? '?'}${redisRecord.reason ? `, ${redisRecord.reason}` : ''} (event ${redisRecord.eventKey ?? '?'})`,
    );
  } else console.log('redis      no record (none, or past the retention)');
  return watchdog || redisRecord ? 0 : 1;
}

/**
 * How long the session has been down by this machine's clock: the query's own figure is the watchdog's time at its
 * last workflow task, up to a status-check interval behind.
 */
function withDownFor(view: SessionView): SessionView {
  const since = view.episode ? Date.parse(view.episode.since) : Number.NaN;
  return {
    ...view,
    downForSeconds: Number.isFinite(since) ? Math.max(0, Math.round((Date.now() - since) / 1000)) : undefined,
  };
}

/** Down sessions first, the longest down on top; then the others by session. */
function downFirst(a: SessionView, b: SessionView): number {
  const down = (v: SessionView) => (v.status === 'disconnected' ? 0 : 1);
  return (
    down(a) - down(b) ||
    (b.downForSeconds ?? 0) - (a.downForSeconds ?? 0) ||
    a.sessionId.localeCompare(b.sessionId)
  );
}

function minutes(seconds: number): string {
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
