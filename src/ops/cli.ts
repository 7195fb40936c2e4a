import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { loadOpsConfig, type OpsConfig } from '../config';

export interface OpsContext {
  config: OpsConfig;
  client: Client;
  redis: Redis;
}

/** Runs a command's main, exits with its code; any error becomes one line on stderr and exit code 1. */
export function exitWith(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err: unknown) => {
      console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}

/** Like exitWith, with a Temporal client and Redis made from the environment and closed after. */
export function runCommand(main: (ctx: OpsContext) => Promise<number | void>): void {
  exitWith(async () => {
    const config = loadOpsConfig(process.env);
    const connection = await Connection.connect({ address: config.temporal.address });
    const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      return await main({
        config,
        client: new Client({ connection, namespace: config.temporal.namespace }),
        redis,
      });
    } finally {
      redis.disconnect();
      await connection.close();
    }
  });
}

/** `2h`, `30m`, `7d`, `45s` before now, or an ISO time. */
export function parseSince(value: string, now = Date.now()): Date {
  const relative = /^(\d+)([smhd])$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit * 1000);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new Error(`--since takes 2h, 30m, 7d or an ISO time (got "${value}")`);
  return date;
}
