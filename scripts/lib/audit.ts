/** Reading `npm audit --json`: a verdict per run, telling "vulnerable" apart from "the registry could not say". */

export const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AuditVerdict =
  | { kind: 'clean'; counts: Record<Severity, number> }
  | { kind: 'vulnerable'; counts: Record<Severity, number>; packages: string[] }
  /** The audit service did not answer (refused endpoint, no network): outside our control. */
  | { kind: 'unavailable'; reason: string }
  /** Anything else (no lockfile, npm crashed…): ours to fix. */
  | { kind: 'error'; reason: string };

interface AuditJson {
  vulnerabilities?: Record<string, { severity?: string }>;
  metadata?: { vulnerabilities?: Partial<Record<Severity, number>> };
  message?: string;
  statusCode?: number;
  error?: { code?: string; summary?: string };
}

// a registry without the audit endpoint answers 404/405/501; a gateway or an outage 5xx; no network: these codes
const UNAVAILABLE_STATUS = new Set([404, 405, 501, 502, 503, 504]);
const UNAVAILABLE_NETWORK =
  /ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|socket hang up/;

/** The verdict at `level`: vulnerable when any package is at that severity or above. */
export function classifyAudit(stdout: string, level: Severity): AuditVerdict {
  let report: AuditJson;
  try {
    report = JSON.parse(stdout) as AuditJson;
  } catch {
    return {
      kind: 'error',
      reason: `npm audit printed no JSON: ${stdout.trim().slice(0, 200) || '(nothing)'}`,
    };
  }
  const counted = report.metadata?.vulnerabilities;
  if (counted) {
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, counted[s] ?? 0])) as Record<
      Severity,
      number
    >;
    const atLevel = SEVERITIES.slice(SEVERITIES.indexOf(level));
    const packages = Object.entries(report.vulnerabilities ?? {})
      .filter(([, v]) => atLevel.includes(v.severity as Severity))
      .map(([name, v]) => `${name} (${v.severity})`);
    return packages.length > 0 || atLevel.some((s) => counts[s] > 0)
      ? { kind: 'vulnerable', counts, packages }
      : { kind: 'clean', counts };
  }
  const reason = report.message ?? report.error?.summary ?? 'unknown npm audit failure';
  if (report.statusCode !== undefined && UNAVAILABLE_STATUS.has(report.statusCode))
    return { kind: 'unavailable', reason };
  if (report.statusCode === undefined && UNAVAILABLE_NETWORK.test(reason))
    return { kind: 'unavailable', reason };
  return { kind: 'error', reason };
}
