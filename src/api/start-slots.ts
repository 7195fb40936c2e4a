import type { ApiMetrics } from './metrics';

/** Frees a slot; a second call does nothing, so a release on every path cannot free two. */
export type ReleaseSlot = () => void;

/**
 * The hand-offs to Temporal one receiver has in flight, bounded. A saturated Temporal makes each start wait out
 * its whole timeout (TEMPORAL_START_TIMEOUT_MS); past `limit` starts at once a further event is refused at once
 * instead of queueing behind them, and its sender retries (nothing was started, so nothing is lost).
 */
export interface StartSlots {
  /** A slot's release, or undefined when all `limit` are taken (the caller refuses without waiting). */
  take(): ReleaseSlot | undefined;
}

export function createStartSlots(
  limit: number,
  metrics: Pick<ApiMetrics, 'setStartsInFlight' | 'countOverloadRefusal'>,
): StartSlots {
  let inFlight = 0;
  return {
    take() {
      if (inFlight >= limit) {
        metrics.countOverloadRefusal();
        return undefined;
      }
      metrics.setStartsInFlight(++inFlight);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        metrics.setStartsInFlight(--inFlight);
      };
    },
  };
}
