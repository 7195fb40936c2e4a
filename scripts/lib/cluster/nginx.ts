/**
 * nginx from Debian in front of the receivers, with the same server block as the nginx container: the template in
 * deploy/nginx/templates, rendered here as the image's envsubst step renders it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { aptInstall, canAptInstall } from '../debian';
import { ManagedProcess } from '../managed-process';
import { PROJECT_ROOT } from '../paths';
import { findOnPath, isExecutable } from '../run';

type Log = (line: string) => void;

export const NGINX_TEMPLATES_DIR = path.join(PROJECT_ROOT, 'deploy', 'nginx', 'templates');

export async function ensureNginx(log: Log): Promise<string> {
  const found = () =>
    findOnPath('nginx') ?? (isExecutable('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  const existing = found();
  if (existing) return existing;
  if (canAptInstall()) {
    log('nginx: not installed');
    await aptInstall(['nginx-light'], log);
    const installed = found();
    if (installed) return installed;
  }
  throw new Error('nginx is not installed. Debian/Ubuntu: `sudo apt-get install nginx-light`.');
}

/**
 * The image's envsubst: `${NAME}` for each variable it was given; anything else (nginx's own `$host`) stays.
 */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => vars[name] ?? match);
}

export interface NginxOptions {
  binary: string;
  /** nginx's prefix: its config, pid and temporary files (.data/cluster/nginx). */
  prefixDir: string;
  port: number;
  /** The nginx service's environment from docker-compose.yml, receiver addresses set for this host. */
  vars: Record<string, string>;
  echo?: boolean;
}

export async function startNginx(options: NginxOptions): Promise<ManagedProcess> {
  const { prefixDir } = options;
  const confDir = path.join(prefixDir, 'conf.d');
  // rendered afresh: a template removed since the last run must not stay included
  rmSync(confDir, { recursive: true, force: true });
  mkdirSync(confDir, { recursive: true });
  for (const file of readdirSync(NGINX_TEMPLATES_DIR).filter((f) => f.endsWith('.template'))) {
    const rendered = renderTemplate(readFileSync(path.join(NGINX_TEMPLATES_DIR, file), 'utf8'), options.vars);
    writeFileSync(path.join(confDir, file.replace(/\.template$/, '')), rendered);
  }
  const temp = (name: string) => path.join(prefixDir, 'tmp', name);
  const main = path.join(prefixDir, 'nginx.conf');
  // the host's own part of the config (the image has its own): pid, logs to stderr, temporary files in the prefix
  writeFileSync(
    main,
    [
      'worker_processes 1;',
      `pid ${path.join(prefixDir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${temp('client_body')};`,
      `  proxy_temp_path ${temp('proxy')};`,
      `  fastcgi_temp_path ${temp('fastcgi')};`,
      `  uwsgi_temp_path ${temp('uwsgi')};`,
      `  scgi_temp_path ${temp('scgi')};`,
      `  include ${confDir}/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(prefixDir, 'tmp'), { recursive: true });
  const nginx = new ManagedProcess(
    'nginx',
    options.binary,
    ['-p', prefixDir, '-c', main, '-e', 'stderr', '-g', 'daemon off;'],
    // SIGQUIT: graceful, in-flight requests finish. Only PATH: nginx needs none of our variables (or secrets)
    { echo: options.echo, stopSignal: 'SIGQUIT', env: { PATH: process.env.PATH } },
  );
  try {
    await nginx.waitForPort(options.port);
  } catch (err) {
    await nginx.stop();
    throw err;
  }
  return nginx;
}
