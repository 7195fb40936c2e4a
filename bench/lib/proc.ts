import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** User + system CPU of a process so far, in ms (Linux /proc). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
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
