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
