/**
 * A sender that behaves like Vesper: new events at a fixed rate, each retried on any non-2xx answer or connection
 * error with exponential back-off and jitter, up to a bound in attempts and time.
 */
import type { BenchEvent } from '../../bench/lib/load';
import { sleep, type Random } from './rng';

export interface SenderOptions {
  url: string;
  ratePerSecond: number;
  concurrency: number;
  /** Per event: give up after this long since its first attempt… */
  giveUpMs: number;
  /** …or after this many attempts. */
  maxAttempts: number;
  random: Random;
  /** Whole-load bound (ms since the start): past it, no event is sent or retried any more. */
  deadlineMs: number;
  /** Called as event `index` is dispatched (the fault plan hooks in here). */
  onDispatch?: (index: number) => void;
}

export interface Delivery {
  eventKey: string;
  redelivery: boolean;
  attempts: number;
  /** The answer that ended the retries: a 2xx, or the last failure (0 = no answer). */
  finalStatus: number;
  /** ms since the load started. */
  answeredAt: number;
}

export interface LoadStats {
  attempts: number;
  /** HTTP status (0 = connection error or timeout) → attempts answered with it. */
  byStatus: Record<string, number>;
  gaveUp: number;
  durationMs: number;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 5000;
const REQUEST_TIMEOUT_MS = 30_000;

/** Sends every event (bounded: each gives up after `giveUpMs`/`maxAttempts`); resolves when all are settled. */
export async function sendLikeVesper(
  events: BenchEvent[],
  options: SenderOptions,
): Promise<{ deliveries: Delivery[]; stats: LoadStats }> {
  const start = performance.now();
  const stats: LoadStats = { attempts: 0, byStatus: {}, gaveUp: 0, durationMs: 0 };
  const deliveries: Delivery[] = new Array(events.length);
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;

  const deliver = async (e: BenchEvent, index: number): Promise<void> => {
    const first = performance.now();
    let status = 0;
    let attempt = 0;
    while (attempt < options.maxAttempts && performance.now() - start < options.deadlineMs) {
      attempt++;
      status = await post(options.url, e);
      stats.attempts++;
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      if (status >= 200 && status < 300) break;
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
      const delay = ceiling / 2 + (options.random() * ceiling) / 2; // "equal jitter"
      if (performance.now() + delay - first > options.giveUpMs) break;
      if (performance.now() + delay - start > options.deadlineMs) break;
      await sleep(delay);
    }
    if (status < 200 || status >= 300) stats.gaveUp++;
    deliveries[index] = {
      eventKey: e.eventKey,
      redelivery: e.redelivery,
      attempts: attempt,
      finalStatus: status,
      answeredAt: performance.now() - start,
    };
  };

  const running: Array<Promise<void>> = [];
  for (const [index, e] of events.entries()) {
    const wait = start + (index * 1000) / options.ratePerSecond - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= options.concurrency) await new Promise<void>((resolve) => (slotFreed = resolve));
    options.onDispatch?.(index);
    inFlight++;
    running.push(
      deliver(e, index).finally(() => {
        inFlight--;
        slotFreed?.();
        slotFreed = undefined;
      }),
    );
  }
  await Promise.all(running);
  stats.durationMs = performance.now() - start;
  return { deliveries, stats };
}

async function post(url: string, e: BenchEvent): Promise<number> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vesper-signature': e.signature },
      body: e.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
