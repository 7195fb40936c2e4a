import type { LogMetadata, Logger as TemporalLogger, LogLevel as TemporalLogLevel } from '@temporalio/common';
import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/** JSON logs; headers that carry credentials are redacted wherever a request object is logged. */
export function createLogger(name: string, level: LogLevel): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers["x-vesper-signature"]', 'req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
  });
}

/** The Temporal SDK's logger interface on top of pino, so the worker's SDK lines are JSON like ours. */
export function toTemporalLogger(logger: Logger): TemporalLogger {
  const write = (level: TemporalLogLevel, message: string, meta?: LogMetadata) =>
    logger[level.toLowerCase() as Lowercase<TemporalLogLevel>](meta ?? {}, message);
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}

/**
 * Logs a client's connection state once per change (a warning when it goes, info when it is back), not once per
 * reconnect attempt: an outage is one line, not thousands. Also handles the client's `error` events.
 */
export function logConnectionState(
  client: {
    on(event: 'error', listener: (err: Error) => void): unknown;
    on(event: 'ready', listener: () => void): unknown;
  },
  logger: Logger,
  name: string,
  downMessage: string,
): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) logger.warn({ reason: err.message }, `${name} unreachable: ${downMessage}`);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info(`${name} reachable again`);
    down = false;
  });
}
