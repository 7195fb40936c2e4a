import { inject } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/paths';
import { run, type RunResult } from '../../scripts/lib/run';

/** Runs `npm run -s <script> -- <args>` from the project root against the run's dev server and Redis. */
export function npmRun(script: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return run('npm', ['run', '-s', script, '--', ...args], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      REDIS_URL: inject('redisUrl'),
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
}
