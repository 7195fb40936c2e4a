import os from 'node:os';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** Stable project path of the provisioned binaries (git-ignored). */
export const TOOLS_BIN_DIR = path.join(PROJECT_ROOT, '.tools', 'bin');
/** Dev-stack state that must survive a restart: the Temporal SQLite file and Redis's AOF. */
export const DATA_DIR = path.join(PROJECT_ROOT, '.data');
/** Downloads and builds are cached outside the repo so a fresh clone on the same machine is quick. */
export const CACHE_DIR = path.join(
  process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
  'vesper-temporal-webhooks',
);
