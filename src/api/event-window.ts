/**
 * How long after its own (signed) timestamp an event may still act. Temporal remembers a closed run's ID for
 * the namespace's retention, so an event is deduplicated by its key only while its first run can still be
 * remembered: age + allowed clock skew must stay below retention (7 days; the config checks it). Past it, a
 * captured signed body replayed later could act again, so it is kept for inspection instead of started; an event
 * stamped further ahead than the skew would stretch the window, so the sender is told to retry later.
 */
export interface EventWindow {
  maxAgeSeconds: number;
  /** A sender clock this far ahead of ours is tolerated. */
  maxFutureSkewSeconds: number;
}

export type EventTiming = 'in-window' | 'too-old' | 'too-new';

export function eventTiming(timestamp: string, window: EventWindow, now = Date.now()): EventTiming {
  const at = Date.parse(timestamp);
  if (at < now - window.maxAgeSeconds * 1000) return 'too-old';
  if (at > now + window.maxFutureSkewSeconds * 1000) return 'too-new';
  return 'in-window';
}
