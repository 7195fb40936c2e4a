import net from 'node:net';
import { aptInstall, canAptInstall } from './debian';
import { findOnPath } from './run';

type Log = (line: string) => void;

/** A redis-server binary: from PATH, or installed with apt-get on a Debian machine where we are root. */
export async function ensureRedisServer(log: Log = () => {}): Promise<string> {
  const onPath = findOnPath('redis-server');
  if (onPath) return onPath;
  if (canAptInstall()) {
    log('redis: redis-server is not on PATH');
    await aptInstall(['redis-server'], log);
    const installed = findOnPath('redis-server');
    if (installed) return installed;
  }
  throw new Error(
    'redis-server is not on PATH. Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`, ' +
      'macOS: `brew install redis`) or point REDIS_URL at a running Redis.',
  );
}

/** Resolves when a Redis on host:port answers PING. */
export async function waitForRedis(port: number, host = '127.0.0.1', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(port, host)) return;
    if (Date.now() > deadline)
      throw new Error(`Redis on ${host}:${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function ping(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
