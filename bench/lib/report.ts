/** The run's table, and bench/results/<date>.json: the machine, the settings, every system's result and the ratios. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SystemResult } from './measure';
import type { BenchOptions, OpenRate, SystemKey } from './options';
import { DEV_SERVER_DYNAMIC_CONFIG, DEV_SERVER_SQLITE_PRAGMAS } from '../../scripts/lib/services';

/** This project's systems, each set against the floor (what the engine costs at least) and the seed design. */
const OURS: SystemKey[] = ['ours', 'ours-embedded', 'cluster', 'cluster-1w', 'cluster-1r'];

export interface Ratios {
  /** Total CPU ms per completed event, ours over the floor's: what our code adds to the engine's least. */
  cpuPerEventVsFloor?: number;
  /** Closed-loop end-to-end throughput, ours over the floor's. */
  e2eThroughputVsFloor?: number;
  /** Closed-loop end-to-end throughput, ours over the seed design's. */
  e2eThroughputVsSeed?: number;
}

/** For each of ours that ran: its ratios to the floor and to the seed, where those ran too. */
export function ratiosOf(results: SystemResult[]): Partial<Record<SystemKey, Ratios>> {
  const find = (key: SystemKey) => results.find((r) => r.key === key);
  const floor = find('floor');
  const seed = find('seed');
  const ratio = (a: number, b: number | undefined) =>
    b === undefined || !(b > 0) || !Number.isFinite(a) ? undefined : Math.round((a / b) * 100) / 100;
  const ratios: Partial<Record<SystemKey, Ratios>> = {};
  for (const r of results.filter((r) => OURS.includes(r.key))) {
    ratios[r.key] = {
      cpuPerEventVsFloor: ratio(r.cpuMsPerEventTotal, floor?.cpuMsPerEventTotal),
      e2eThroughputVsFloor: ratio(r.closed.e2ePerSecond, floor?.closed.e2ePerSecond),
      e2eThroughputVsSeed: ratio(r.closed.e2ePerSecond, seed?.closed.e2ePerSecond),
    };
  }
  return ratios;
}

const rateLabel = (rate: OpenRate | undefined) => (typeof rate === 'number' ? `${rate} ev/s` : `${rate}`);

/** One column per system; then, per Temporal system, the Temporal server's requests and persistence calls per event. */
export function formatTable(results: SystemResult[], openRates: OpenRate[]): string {
  const perSystem = (label: string, cell: (r: SystemResult) => string | number) => [
    label,
    ...results.map(cell),
  ];
  const byProcess = (values: Record<string, number>) =>
    Object.entries(values)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const ratios = ratiosOf(results);
  const times = (n: number | undefined) => (n === undefined ? '—' : `${n}×`);
  const serverWork =
    (cell: (w: NonNullable<SystemResult['serverWork']>) => string | number) => (r: SystemResult) =>
      r.serverWork ? cell(r.serverWork) : '—';
  const rows = [
    ['', ...results.map((r) => r.system)],
    perSystem('closed: ack ev/s', (r) => r.closed.ackPerSecond),
    perSystem(
      'closed: ack p50/p90/p99 ms',
      (r) => `${r.closed.ackP50} / ${r.closed.ackP90} / ${r.closed.ackP99}`,
    ),
    perSystem('closed: end-to-end ev/s', (r) => r.closed.e2ePerSecond),
    perSystem('closed: end-to-end p50/p99 ms', (r) => `${r.closed.e2eP50} / ${r.closed.e2eP99}`),
    ...openRates.flatMap((asked, i) => openRows(results, i, rateLabel(asked))),
    perSystem('CPU ms per event, by process', (r) => byProcess(r.cpuMsPerEvent)),
    perSystem('CPU ms per event, total', (r) => `${r.cpuMsPerEventTotal} (per ${r.cpuPer})`),
    perSystem('the benchmark process, CPU ms per event', (r) => r.benchCpuMsPerEvent),
    perSystem('ours/floor: CPU per event, e2e ev/s', (r) =>
      ratios[r.key]
        ? `${times(ratios[r.key]?.cpuPerEventVsFloor)}, ${times(ratios[r.key]?.e2eThroughputVsFloor)}`
        : '—',
    ),
    perSystem('ours/seed: e2e ev/s', (r) =>
      ratios[r.key] ? times(ratios[r.key]?.e2eThroughputVsSeed) : '—',
    ),
    perSystem('peak RSS MiB', (r) => byProcess(r.peakRssMiB)),
    perSystem(
      'requests sent / 2xx / refused',
      (r) => `${r.accounting.sent} / ${r.accounting.accepted} / ${r.accounting.refused}`,
    ),
    perSystem(
      'distinct accepted / completed',
      (r) =>
        `${r.accounting.acceptedDistinct} / ${Number.isNaN(r.closed.e2ePerSecond) ? '—' : r.accounting.completed}`,
    ),
    perSystem('Vesper duplicate sends', (r) => r.accounting.vesperDuplicateSends),
    perSystem(
      'server: eager share of starts',
      serverWork((w) => `${Math.round(w.eagerShare * 100)} % of ${w.startsPerEvent}/event`),
    ),
    perSystem(
      'server: requests / persistence ops (system ns) / visibility ops per event',
      serverWork(
        (w) =>
          `${w.serviceRequestsPerEvent} / ${w.persistenceRequestsPerEvent} (${w.systemPersistenceRequestsPerEvent}) / ${w.visibilityPersistenceRequestsPerEvent}`,
      ),
    ),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length))) ?? [];
  const lines = rows.map((row) => row.map((cell, c) => String(cell).padEnd(widths[c] ?? 0)).join(' | '));
  for (const r of results) {
    if (!r.serverWork) continue;
    lines.push(
      `\n${r.system}: the Temporal server's requests and persistence calls (SQLite, or PostgreSQL for the cluster) per event, largest first ([ns]: the server's own namespaces)`,
    );
    for (const [key, perEvent] of Object.entries(r.serverWork.top)) lines.push(`  ${perEvent}\t${key}`);
  }
  return lines.join('\n');
}

/** The rows of open-loop step `i`: the rate each system was sent, its answers, and what the retries achieved. */
function openRows(results: SystemResult[], i: number, label: string): Array<Array<string | number>> {
  const row = (name: string, cell: (step: SystemResult['open'][number]) => string | number) => [
    `open ${label}: ${name}`,
    ...results.map((r) => {
      const step = r.open[i];
      return step ? cell(step) : '—';
    }),
  ];
  return [
    row('ev/s sent, requests', (s) => `${s.rate}, ${s.requests}`),
    row('2xx ack p50/p99 ms', (s) => `${s.ackP50} / ${s.ackP99}`),
    row(
      'refusals, p99 ms, without Retry-After',
      (s) => `${s.refusals}, ${s.refusalP99}, ${s.refusalsWithoutRetryAfter}`,
    ),
    row('first attempts refused', (s) => `${Math.round(s.firstAttemptRefusedShare * 100)} %`),
    row('end-to-end p50/p99 ms (from 1st send)', (s) => `${s.e2eP50} / ${s.e2eP99}`),
    row(
      'distinct / accepted / completed / dup. sends',
      (s) =>
        `${s.distinct} / ${s.acceptedDistinct} / ${s.exactlyOnce === undefined ? '—' : s.completed} / ${s.vesperDuplicateSends}` +
        (s.exactlyOnce === undefined ? '' : s.exactlyOnce ? ' (exactly once)' : ' (NOT exactly once)'),
    ),
  ];
}

/** Writes `<dir>/<date>.json` (today's file is replaced by a later run) and returns its path. */
export function writeResults(results: SystemResult[], options: BenchOptions, dir: string): string {
  const file = path.join(dir, `${new Date().toISOString().slice(0, 10)}.json`);
  mkdirSync(dir, { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  const settings = {
    events: options.events,
    concurrency: options.concurrency,
    openRates: options.openRates,
    openSeconds: options.openSeconds,
    sqlite: options.sqlite || 'default',
    serverDynamicConfig: options.serverDynamicConfig,
    serverEnv: options.serverEnv,
    /** Every system's dev server: the product's settings, under those above (systems.ts). */
    devServer: { dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG, sqlitePragmas: DEV_SERVER_SQLITE_PRAGMAS },
  };
  const report = { at: new Date().toISOString(), machine, settings, results, ratios: ratiosOf(results) };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
