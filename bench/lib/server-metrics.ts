/**
 * What the Temporal dev server does per event, from its own Prometheus counters: requests per service and
 * operation, and persistence (SQLite) calls per operation. Scraped before and after the measured phase.
 */

/** Counter name → series label key → value, for the counters we read. */
export type Scrape = Map<string, number>;

const COUNTERS = ['service_requests', 'persistence_requests', 'task_requests'];

export async function scrapeServerMetrics(url: string): Promise<Scrape> {
  const text = await (await fetch(url)).text();
  const series: Scrape = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!match || !COUNTERS.includes(match[1] ?? '')) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    // requests of the server's own system namespace (shard ownership, task queue leases) are not per event
    if (labels.namespace === 'system' || labels.namespace === '_unknown_') continue;
    const key = `${match[1]} ${labels.service_name ?? '-'} ${labels.operation ?? '-'}`;
    series.set(key, (series.get(key) ?? 0) + Number(match[3]));
  }
  return series;
}

export interface ServerWork {
  /** Frontend + history + matching requests per event (the gRPC calls behind one event). */
  serviceRequestsPerEvent: number;
  /** SQLite operations per event. */
  persistenceRequestsPerEvent: number;
  /** The largest contributors, "<counter> <service> <operation>" → per event. */
  top: Record<string, number>;
}

export function serverWorkPerEvent(before: Scrape, after: Scrape, events: number): ServerWork {
  const delta = [...after].map(([key, value]) => [key, (value - (before.get(key) ?? 0)) / events] as const);
  const sum = (counter: string) =>
    delta.filter(([key]) => key.startsWith(`${counter} `)).reduce((total, [, v]) => total + v, 0);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    serviceRequestsPerEvent: round(sum('service_requests')),
    persistenceRequestsPerEvent: round(sum('persistence_requests')),
    top: Object.fromEntries(
      delta
        .filter(([, v]) => v >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 24)
        .map(([key, v]) => [key, round(v)]),
    ),
  };
}
