import type { ClockV1 } from '../ports/clock/v1/clock.js';

/** Options of `AdaptiveRateLimiter`. */
export interface AdaptiveRateLimiterOptions {
  /** Time source (a `ManualClock` makes the limiter testable without waiting). */
  readonly clock: ClockV1;
  /** The most requests per second ever sent: the provider's documented limit. */
  readonly ratePerSecond: number;
  /** Requests that may go out back to back after an idle period. @default max(1, 5 % of the rate) */
  readonly burst?: number | undefined;
  /** The rate never drops below this. @default max(1, 1 % of the rate) */
  readonly minimumRatePerSecond?: number | undefined;
  /** Multiplicative decrease on a 429. @default 0.7 */
  readonly decreaseFactor?: number | undefined;
  /** Additive increase, requests per second gained per second without a 429. @default 10 % of the rate */
  readonly increasePerSecond?: number | undefined;
}

/**
 * A token bucket whose rate adapts to the provider's answers (AIMD, as TCP congestion control):
 *
 * - `acquire()` hands out one request slot at a time, in call order, at the current rate; at most
 *   `burst` slots accumulate while idle. Refill is computed from elapsed time, so timer overshoot
 *   does not lower the long-run rate.
 * - `onRateLimited(retryAfterMs)`: the provider said 429. Nothing is sent until `Retry-After` has
 *   passed (for every caller, not just the one that got the 429), and the rate is cut by
 *   `decreaseFactor`, once per back-off window (a burst of 429s from requests already in flight
 *   counts as one signal).
 * - Without 429s the rate climbs back by `increasePerSecond` each second, up to `ratePerSecond`.
 */
export class AdaptiveRateLimiter {
  readonly #clock: ClockV1;
  readonly #ceiling: number;
  readonly #floor: number;
  readonly #burst: number;
  readonly #decreaseFactor: number;
  readonly #increasePerSecond: number;
  #rate: number;
  #tokens: number;
  #refilledAt: number;
  #increasedAt: number;
  #blockedUntil = 0;
  #queue: Promise<void> = Promise.resolve();
  #rateLimitedCount = 0;
  #decreases = 0;

  /** @param options Rate, burst and adaptation. */
  constructor(options: AdaptiveRateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError(`AdaptiveRateLimiter: ratePerSecond must be > 0, got ${options.ratePerSecond}.`);
    this.#clock = options.clock;
    this.#ceiling = options.ratePerSecond;
    this.#floor = Math.min(options.ratePerSecond, options.minimumRatePerSecond ?? Math.max(1, options.ratePerSecond * 0.01));
    this.#burst = Math.max(1, options.burst ?? Math.max(1, options.ratePerSecond * 0.05));
    this.#decreaseFactor = options.decreaseFactor ?? 0.7;
    this.#increasePerSecond = options.increasePerSecond ?? options.ratePerSecond * 0.1;
    this.#rate = options.ratePerSecond;
    this.#tokens = this.#burst;
    this.#refilledAt = this.#clock.now();
    this.#increasedAt = this.#refilledAt;
  }

  /** The current rate, requests per second. */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** How many 429 answers were reported. */
  get rateLimitedCount(): number {
    return this.#rateLimitedCount;
  }

  /** How many times the rate was cut. */
  get decreases(): number {
    return this.#decreases;
  }

  /** Until when nothing is sent (a provider's `Retry-After`), epoch milliseconds. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  /** Resolves when the caller may send one request. Callers are served in call order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#take(signal));
    // A rejected turn (aborted) must not block the callers behind it.
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** A request succeeded: the rate may grow again. */
  onSuccess(): void {
    this.#grow();
  }

  /** The provider answered 429: pause everyone for `retryAfterMs`, then continue at a lower rate. */
  onRateLimited(retryAfterMs: number): void {
    this.#rateLimitedCount += 1;
    const now = this.#clock.now();
    const inBackOff = now < this.#blockedUntil;
    this.#blockedUntil = Math.max(this.#blockedUntil, now + Math.max(0, retryAfterMs));
    if (inBackOff) return;
    this.#refill(now);
    this.#rate = Math.max(this.#floor, this.#rate * this.#decreaseFactor);
    this.#decreases += 1;
    this.#increasedAt = Math.max(now, this.#blockedUntil);
    // Drop the saved-up burst: it was what overran the provider.
    this.#tokens = Math.min(this.#tokens, 1);
  }

  #grow(): void {
    const now = this.#clock.now();
    if (now <= this.#increasedAt) return;
    this.#refill(now);
    this.#rate = Math.min(this.#ceiling, this.#rate + (this.#increasePerSecond * (now - this.#increasedAt)) / 1000);
    this.#increasedAt = now;
  }

  #refill(now: number): void {
    if (now > this.#refilledAt) {
      this.#tokens = Math.min(this.#burst, this.#tokens + (this.#rate * (now - this.#refilledAt)) / 1000);
      this.#refilledAt = now;
    }
  }

  async #take(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (signal?.aborted === true) throw signal.reason;
      const now = this.#clock.now();
      if (now < this.#blockedUntil) {
        await this.#clock.sleep(this.#blockedUntil - now, signal);
        // No tokens were earned while blocked.
        this.#refilledAt = Math.max(this.#refilledAt, this.#clock.now());
        continue;
      }
      this.#refill(now);
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.#clock.sleep(Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#rate)), signal);
    }
  }
}
