import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  /** utime + stime of the process itself, and cutime + cstime of its children that have exited. */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i]);
    return { ppid: n(1), ticks: n(11) + n(12) + n(13) + n(14) };
  } catch {
    return undefined;
  }
}

/** Every process's CPU at one moment: read once, then asked for each measured process (cpuMs). */
export type CpuSnapshot = Map<number, Stat>;

export function cpuSnapshot(): CpuSnapshot {
  const stats: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  return stats;
}

/**
 * User + system CPU of a process and everything under it, in ms (Linux /proc): PostgreSQL's backends and nginx's
 * workers are children of the pid we start. A child that has exited counts in its parent's cutime.
 */
export function cpuMs(pid: number, stats: CpuSnapshot = cpuSnapshot()): number {
  if (!stats.has(pid)) return NaN;
  const children = new Map<number, number[]>();
  for (const [child, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), child]);
  let ticks = 0;
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    ticks += stats.get(next)?.ticks ?? 0;
    pending.push(...(children.get(next) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Peak resident set size of a process, in MiB. */
export function peakRssMiB(pid: number): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return hwm ? Number(hwm) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
