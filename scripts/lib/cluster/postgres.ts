/**
 * PostgreSQL from Debian's packages, run by us: its own data directory under .data/, started and stopped with the
 * cluster. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user the package creates.
 */
import {
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { aptInstall, canAptInstall } from '../debian';
import { ManagedProcess, waitForPort } from '../managed-process';
import { findOnPath, isExecutable, lastLine, run } from '../run';

type Log = (line: string) => void;

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  pgIsReady: string;
}

/** Debian installs each major under /usr/lib/postgresql/<major>/bin, off PATH. */
export async function ensurePostgres(major: string, log: Log): Promise<PostgresBinaries> {
  const binDir = `/usr/lib/postgresql/${major}/bin`;
  const binaries = () => ({
    initdb: path.join(binDir, 'initdb'),
    postgres: path.join(binDir, 'postgres'),
    pgIsReady: path.join(binDir, 'pg_isready'),
  });
  if (isExecutable(binaries().postgres)) return binaries();
  if (canAptInstall()) {
    log(`postgresql: ${binDir} is missing`);
    // the package would create (and, under systemd, start) a cluster of its own on 5432: we run ours
    mkdirSync('/etc/postgresql-common/createcluster.d', { recursive: true });
    writeFileSync(
      '/etc/postgresql-common/createcluster.d/vesper-temporal-webhooks.conf',
      'create_main_cluster = false\n',
    );
    await aptInstall([`postgresql-${major}`], log);
    if (isExecutable(binaries().postgres)) return binaries();
  }
  throw new Error(
    `PostgreSQL ${major} is not installed (${binDir}). Debian 12: \`sudo apt-get install postgresql-${major}\`; ` +
      `elsewhere from the PostgreSQL project's apt repository (apt.postgresql.org).`,
  );
}

export interface PostgresOptions {
  binaries: PostgresBinaries;
  dataDir: string;
  port: number;
  /** The superuser initdb creates (the compose file's POSTGRES_USER / POSTGRES_PASSWORD). */
  user: string;
  password: string;
  echo?: boolean;
  log: Log;
}

export interface RunningPostgres {
  process: ManagedProcess;
  /** Restarts the server on the same data (fault runs). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** PostgreSQL needs none of our variables (secrets among them); the postgres user could read them in /proc. */
const POSTGRES_ENV = { PATH: process.env.PATH, LANG: 'C' };

/** As root, run as `postgres` (uid and gid of that user), else as ourselves. */
function asPostgresUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  const setpriv = findOnPath('setpriv');
  if (!setpriv)
    throw new Error('running PostgreSQL as root needs setpriv (util-linux) to drop to the postgres user');
  return [setpriv, ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

/** As root, the data directory belongs to the package's `postgres` user (its uid and gid from /etc/passwd). */
function ownByPostgres(file: string): void {
  if (process.getuid?.() !== 0) return;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'))
    ?.split(':');
  if (!entry) throw new Error('no postgres user in /etc/passwd: is the postgresql package installed?');
  chownSync(file, Number(entry[2]), Number(entry[3]));
}

/** As root, PostgreSQL runs as `postgres`, which must be able to pass through every parent of its directory. */
function assertReachableByPostgres(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `${d} is not searchable by other users (chmod o+x), so PostgreSQL (user postgres) cannot reach its data`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

/** initdb on first use (the superuser and its password from the compose settings), then the server. */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  const { binaries, dataDir, port, log } = options;
  // the parents stay traversable for the postgres user; the data directory itself is its own, 0700
  mkdirSync(path.dirname(dataDir), { recursive: true });
  assertReachableByPostgres(path.dirname(dataDir));
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // initdb into a directory of its own, renamed once complete: an interrupted first run leaves nothing half-made
    rmSync(dataDir, { recursive: true, force: true });
    const fresh = `${dataDir}.init-${process.pid}`;
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(fresh, { mode: 0o700 });
    ownByPostgres(fresh);
    const pwFile = path.join(path.dirname(dataDir), `postgres-initdb-${process.pid}.pw`);
    writeFileSync(pwFile, `${options.password}\n`, { mode: 0o600 });
    ownByPostgres(pwFile);
    try {
      log(`postgresql: initdb ${dataDir}`);
      const [command, args] = asPostgresUser(binaries.initdb, [
        ...['-D', fresh, '-U', options.user, `--pwfile=${pwFile}`],
        ...['--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C'],
      ]);
      const result = await run(command, args, { env: POSTGRES_ENV });
      if (result.code !== 0) throw new Error(`initdb failed: ${result.stderr.trim() || lastLine(result)}`);
      renameSync(fresh, dataDir);
    } finally {
      rmSync(pwFile, { force: true });
      rmSync(fresh, { recursive: true, force: true });
    }
  }
  const start = async (): Promise<ManagedProcess> => {
    const [command, args] = asPostgresUser(binaries.postgres, [
      ...['-D', dataDir, '-p', String(port)],
      // TCP on loopback only; no Unix socket (its default directory may not exist or be ours)
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    ]);
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected instead of waited for
    const server = new ManagedProcess('postgresql', command, args, {
      echo: options.echo,
      stopSignal: 'SIGINT',
    });
    try {
      await waitForPort(port, '127.0.0.1', 60_000);
      for (;;) {
        const ready = await run(binaries.pgIsReady, ['-h', '127.0.0.1', '-p', String(port), '-q']);
        if (ready.code === 0) break;
        if (!server.running) throw new Error('PostgreSQL exited during start-up');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } catch (err) {
      await server.stop();
      throw new Error(`${(err as Error).message}\n${server.recentOutput()}`);
    }
    return server;
  };
  let current = await start();
  return {
    get process() {
      return current;
    },
    async restart() {
      await current.stop();
      current = await start();
    },
    stop: () => current.stop(),
  };
}
