/** The run's table, and bench/results/<date>.json: the machine, the settings and every system's result. */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SystemResult } from './measure';
import type { BenchOptions } from './options';

/** One column per system; then, per Temporal system, the dev server's requests and SQLite calls per event. */
export function formatTable(results: SystemResult[], openRates: number[]): string {
  const perSystem = (label: string, cell: (r: SystemResult) => string | number) => [
    label,
    ...results.map(cell),
  ];
  const byProcess = (values: Record<string, number>) =>
    Object.entries(values)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const rows = [
    ['', ...results.map((r) => r.system)],
    perSystem('closed: ack ev/s', (r) => r.closed.ackPerSecond),
    perSystem(
      'closed: ack p50/p90/p99 ms',
      (r) => `${r.closed.ackP50} / ${r.closed.ackP90} / ${r.closed.ackP99}`,
    ),
    perSystem('closed: end-to-end ev/s', (r) => r.closed.e2ePerSecond),
    perSystem('closed: end-to-end p50/p99 ms', (r) => `${r.closed.e2eP50} / ${r.closed.e2eP99}`),
    ...openRates.flatMap((rate, i) => [
      perSystem(`open ${rate} ev/s: ack p50/p99 ms`, (r) => `${r.open[i]?.ackP50} / ${r.open[i]?.ackP99}`),
      perSystem(
        `open ${rate} ev/s: end-to-end p50/p99 ms`,
        (r) => `${r.open[i]?.e2eP50} / ${r.open[i]?.e2eP99}`,
      ),
    ]),
    perSystem('CPU ms per accepted event', (r) => byProcess(r.cpuMsPerEvent)),
    perSystem('peak RSS MiB', (r) => byProcess(r.peakRssMiB)),
    perSystem(
      'sent / 2xx / refused',
      (r) => `${r.accounting.sent} / ${r.accounting.accepted} / ${r.accounting.refused}`,
    ),
    perSystem(
      'distinct accepted / completed',
      (r) =>
        `${r.accounting.acceptedDistinct} / ${Number.isNaN(r.closed.e2ePerSecond) ? '—' : r.accounting.completed}`,
    ),
    perSystem('Vesper duplicate sends', (r) => r.accounting.vesperDuplicateSends),
    perSystem('dev server requests / SQLite ops per accepted event', (r) =>
      r.serverWork
        ? `${r.serverWork.serviceRequestsPerEvent} / ${r.serverWork.persistenceRequestsPerEvent}`
        : '—',
    ),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length))) ?? [];
  const lines = rows.map((row) => row.map((cell, c) => String(cell).padEnd(widths[c] ?? 0)).join(' | '));
  for (const r of results) {
    if (!r.serverWork) continue;
    lines.push(`\n${r.system}: the dev server's requests and SQLite calls per event, largest first`);
    for (const [key, perEvent] of Object.entries(r.serverWork.top)) lines.push(`  ${perEvent}\t${key}`);
  }
  return lines.join('\n');
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
  };
  const report = { at: new Date().toISOString(), machine, settings, results };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
