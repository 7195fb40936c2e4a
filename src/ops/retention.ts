/**
 * `npm run retention` lists the keys holding personal data that have no expiry (written before 0.3, which
 * started giving every such key one); `npm run retention -- apply` gives each its retention, counted from now.
 * Open dead letters are left alone: they are kept until resubmitted, redriven or discarded.
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { redisKeys } from '../activities/redis-keys';
import { rejectedKeys } from '../api/rejected-events';
import type { OpsConfig } from '../config';
import { runCommand } from './cli';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false } },
});

/** What carries personal data, by key pattern (see README, Redis data model), and for how long it is kept. */
function kinds(config: OpsConfig): Array<{ kind: string; pattern: string; seconds: number }> {
  const data = config.retention.dataSeconds;
  return [
    { kind: 'session data (messages, histories, states)', pattern: 'wa:{s:*', seconds: data },
    { kind: 'recorded events', pattern: redisKeys.event('*'), seconds: data },
    { kind: 'rejected bodies', pattern: rejectedKeys.record('*'), seconds: config.rejectedRetentionSeconds },
    { kind: 'closed dead letters', pattern: redisKeys.deadLetter('*'), seconds: data },
  ];
}

async function* keysWithoutExpiry(redis: Redis, pattern: string): AsyncGenerator<string> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) if ((await redis.ttl(key)) === -1) yield key;
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
  for (const { kind, pattern, seconds } of kinds(config)) {
    let count = 0;
    for await (const key of keysWithoutExpiry(redis, pattern)) {
      if (kind === 'closed dead letters' && (await redis.hget(key, 'status')) === 'open') continue;
      count++;
      if (apply) await redis.expire(key, seconds);
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
