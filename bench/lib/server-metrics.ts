/**
 * What the Temporal dev server does per event, from its own Prometheus counters: requests per service and
 * operation, persistence (SQLite) calls per operation, visibility store calls, and how many starts went eager.
 * Scraped before and after the measured phase.
 */

/** Counter name → series label key → value, for the counters we read. */
export type Scrape = Map<string, number>;

const COUNTERS = [
  'service_requests',
  'persistence_requests',
  'visibility_persistence_requests',
  'task_requests',
  // requested with the start (history counts it), and the requests it fell back from (dynamic config, backoff…)
  'workflow_eager_execution',
  'workflow_eager_execution_denied',
];

/**
 * The namespace every benchmarked system runs in. Series of the server's own namespaces (`system`: shard and
 * task-queue upkeep, cluster metadata reads; `temporal_system`: its internal workers; `_unknown_`) are counted too,
 * as the load drives much of them, and labelled with their namespace.
 */
const OWN_NAMESPACE = 'default';

/** One endpoint per server process (the dev server has one; a cluster one per role), summed. */
export async function scrapeServerMetrics(urls: string[]): Promise<Scrape> {
  const text = (await Promise.all(urls.map(async (url) => (await fetch(url)).text()))).join('\n');
  const series: Scrape = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!match || !COUNTERS.includes(match[1] ?? '')) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    const namespace = labels.namespace ?? OWN_NAMESPACE;
    const key = `${match[1]} ${labels.service_name ?? '-'} ${labels.operation ?? '-'}${namespace === OWN_NAMESPACE ? '' : ` [${namespace}]`}`;
    series.set(key, (series.get(key) ?? 0) + Number(match[3]));
  }
  return series;
}

export interface ServerWork {
  /** Frontend + history + matching requests per event (the gRPC calls behind one event), all namespaces. */
  serviceRequestsPerEvent: number;
  /** SQLite operations per event, all namespaces. */
  persistenceRequestsPerEvent: number;
  /** Of those, the ones in the server's own namespaces (labelled `[system]` etc. in `top`). */
  systemPersistenceRequestsPerEvent: number;
  /** Visibility store (SQLite) operations per event: the records the Web UI's list reads. */
  visibilityPersistenceRequestsPerEvent: number;
  /** Workflow starts the frontend took per event (a redelivery's refused start counts). */
  startsPerEvent: number;
  /**
   * Starts whose first workflow task came back in the start's answer: eager requested and not denied, over all
   * starts. A start the SDK sent without the request (no free slot) counts as not eager; so does a refused one.
   */
  eagerShare: number;
  /** The largest contributors, "<counter> <service> <operation> [<namespace>]" → per event. */
  top: Record<string, number>;
}

export function serverWorkPerEvent(before: Scrape, after: Scrape, events: number): ServerWork {
  const delta = [...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)] as const);
  const sum = (counter: string, own?: 'own' | 'system') =>
    delta
      .filter(([key]) => key.startsWith(`${counter} `))
      .filter(([key]) => own === undefined || key.endsWith(']') === (own === 'system'))
      .reduce((total, [, v]) => total + v, 0);
  const starts = delta.find(([key]) => key === 'service_requests frontend StartWorkflowExecution')?.[1] ?? 0;
  const eager = sum('workflow_eager_execution', 'own') - sum('workflow_eager_execution_denied', 'own');
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    serviceRequestsPerEvent: round(sum('service_requests') / events),
    persistenceRequestsPerEvent: round(sum('persistence_requests') / events),
    systemPersistenceRequestsPerEvent: round(sum('persistence_requests', 'system') / events),
    visibilityPersistenceRequestsPerEvent: round(sum('visibility_persistence_requests') / events),
    startsPerEvent: round(starts / events),
    eagerShare: starts > 0 ? round(eager / starts) : 0,
    top: Object.fromEntries(
      delta
        .map(([key, v]) => [key, v / events] as const)
        .filter(([key, v]) => v >= 0.05 && !key.startsWith('workflow_eager_execution'))
        .sort((a, b) => b[1] - a[1])
        .slice(0, 24)
        .map(([key, v]) => [key, round(v)]),
    ),
  };
}
