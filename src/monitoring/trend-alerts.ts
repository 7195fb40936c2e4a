import type { Redis } from 'ioredis';
import type { TrendAlertConfig } from '../config';
import { bestEffort } from '../activities/best-effort';
import type { Logger } from '../logger';
import { redisKeys } from '../redis-keys';

export type Trend = 'dead-letters-open' | 'activity-error-rate';

export interface TrendAlert {
  trend: Trend;
  state: 'firing' | 'recovered';
  text: string;
  fields: Record<string, string>;
}

export interface TrendSources {
  /** Undefined while Redis does not answer: that trend is skipped, the others go on. */
  deadLettersOpen: () => Promise<number | undefined>;
  /** Cumulative attempts and failed attempts in this process. */
  attemptTotals: () => { attempts: number; failures: number };
}

/**
 * Alerts on trends, not single events: once when open dead letters or the activity error rate over a window cross
 * their threshold, once more on recovery. The state lives in Redis and is flipped atomically (SET … GET), so with
 * several workers only the one that flips it sends the alert. While Redis does not answer, each worker goes on
 * with the state it last knew (an outage is exactly when the error rate fires): at worst one alert per worker,
 * never none; when Redis is back, the state flipped meanwhile is written there.
 */
export class TrendMonitor {
  private readonly samples: Array<{ at: number; attempts: number; failures: number }> = [];
  /** The state as this worker last knew it, and the trends flipped while Redis was unreachable. */
  private readonly known = new Map<Trend, 'firing' | 'ok'>();
  private readonly flippedOffline = new Set<Trend>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly deps: {
      redis: Redis;
      config: TrendAlertConfig;
      sources: TrendSources;
      send: (alert: TrendAlert) => Promise<unknown>;
      logger: Logger;
      now?: () => number;
      /** Where the trend states live in Redis (tests isolate themselves with their own). */
      stateKeyPrefix?: string;
    },
  ) {}

  private stateKey(trend: Trend): string {
    const prefix = this.deps.stateKeyPrefix;
    return prefix === undefined ? redisKeys.trendState(trend) : `${prefix}${trend}`;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.check().catch((err: unknown) =>
        this.deps.logger.warn({ reason: (err as Error).message }, 'trend check failed'),
      );
    }, this.deps.config.checkIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One evaluation of every trend; returns the alerts it sent. */
  async check(): Promise<TrendAlert[]> {
    const { config } = this.deps;
    const open = await this.deps.sources.deadLettersOpen().catch(() => undefined);
    const rate = this.errorRate();
    const sent: TrendAlert[] = [];
    const deadLetters =
      open === undefined
        ? undefined
        : await this.transition('dead-letters-open', open >= config.deadLettersOpenThreshold, (state) => ({
            text:
              state === 'firing'
                ? `${open} dead letters are open (threshold ${config.deadLettersOpenThreshold}). Inspect: npm run dlq -- list`
                : `Dead letters back under the threshold: ${open} open (threshold ${config.deadLettersOpenThreshold}).`,
            fields: { open: String(open), threshold: String(config.deadLettersOpenThreshold) },
          }));
    if (deadLetters) sent.push(deadLetters);
    if (rate) {
      const firing = rate.attempts >= config.errorRateMinAttempts && rate.rate >= config.errorRateThreshold;
      const percent = (rate.rate * 100).toFixed(1);
      const errors = await this.transition('activity-error-rate', firing, (state) => ({
        text:
          state === 'firing'
            ? `Activity error rate ${percent}% over the last ${config.windowSeconds}s (${rate.failures} of ${rate.attempts} attempts failed; threshold ${config.errorRateThreshold * 100}%).`
            : `Activity error rate recovered: ${percent}% over the last ${config.windowSeconds}s.`,
        fields: {
          rate: rate.rate.toFixed(4),
          attempts: String(rate.attempts),
          failures: String(rate.failures),
        },
      }));
      if (errors) sent.push(errors);
    }
    return sent;
  }

  /** Failed / all attempts over the window, from this process's cumulative counters sampled at each check. */
  private errorRate(): { rate: number; attempts: number; failures: number } | undefined {
    const now = (this.deps.now ?? Date.now)();
    this.samples.push({ at: now, ...this.deps.sources.attemptTotals() });
    while (
      this.samples.length > 2 &&
      (this.samples[1]?.at ?? now) <= now - this.deps.config.windowSeconds * 1000
    ) {
      this.samples.shift();
    }
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || first === last) return undefined;
    const attempts = last.attempts - first.attempts;
    const failures = last.failures - first.failures;
    return { rate: attempts > 0 ? failures / attempts : 0, attempts, failures };
  }

  private async transition(
    trend: Trend,
    firing: boolean,
    describe: (state: TrendAlert['state']) => Pick<TrendAlert, 'text' | 'fields'>,
  ): Promise<TrendAlert | undefined> {
    const next = firing ? 'firing' : 'ok';
    const shared = await bestEffort(this.deps.redis, (r) => r.set(this.stateKey(trend), next, 'GET'));
    const reachable = shared !== undefined;
    // Redis's state, unless it is unreachable or missed a flip this worker made while it was
    const previous =
      reachable && !this.flippedOffline.has(trend) ? shared : (this.known.get(trend) ?? shared);
    if (reachable) this.flippedOffline.delete(trend);
    this.known.set(trend, next);
    const flipped = firing ? previous !== 'firing' : previous === 'firing';
    if (!flipped) return undefined;
    if (!reachable) this.flippedOffline.add(trend);
    const state = firing ? 'firing' : 'recovered';
    const alert = { trend, state, ...describe(state) } as TrendAlert;
    try {
      await this.deps.send(alert);
    } catch (err) {
      // put the state back, so the next check flips it again and retries the alert
      const back = previous === 'firing' ? 'firing' : 'ok';
      this.known.set(trend, back);
      await bestEffort(this.deps.redis, (r) => r.set(this.stateKey(trend), back));
      throw err;
    }
    return alert;
  }
}
