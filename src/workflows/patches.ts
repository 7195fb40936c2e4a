/** Workflow code changes that alter commands, for runs recorded before them (see test/workflows/replay.test.ts). */
export const PATCHES = {
  /** 0.2: a reply that failed for good gives its cooldown back before the dead letter. */
  releaseCooldown: 'release-cooldown-on-failed-reply',
  /** 0.3: a Redis write that outlasts its local attempts waits as an ordinary activity, retried without bound. */
  storageOutage: 'storage-waits-out-outages',
  /** 0.3: a dead letter joins its (step, error type) alert group instead of alerting on its own. */
  groupedAlerts: 'grouped-dead-letter-alerts',
  /** 0.3: a disconnect's alert goes out beside the session's record, not after it (Redis may be down). */
  disconnectAlert: 'disconnect-alert-beside-record',
  /** 0.4: the Vesper send and the team alert run as local activities first, ordinary ones once those are spent. */
  localFirstEffects: 'local-first-effects',
  /** 0.5: session events wake the session's watchdog, which alerts (after a grace) instead of each disconnect. */
  sessionWatchdog: 'session-watchdog',
  /**
   * 0.5.1: flapping counts the drops in event-time order (a disconnect after a connect, late ones included), not
   * the watchdog's transitions in arrival order, which missed a drop whose connect arrived after the next drop.
   */
  flapsInEventOrder: 'flaps-in-event-order',
};
