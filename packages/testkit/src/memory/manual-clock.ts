import { setImmediate as nextMacrotask } from 'node:timers';
import type { ClockV1 } from '@paymigrate/core';

/** One pending `sleep`. */
interface Sleeper {
  /** When it wakes, epoch milliseconds. */
  readonly wakeAt: number;
  /** Registration order, the tie-breaker between sleepers that wake at the same time. */
  readonly order: number;
  /** Resolves the sleep and detaches the abort listener. */
  readonly wake: () => void;
}

/**
 * Lets every pending microtask (and the continuations they schedule) run. `setImmediate` from
 * `node:timers` is used rather than the global one so vitest's fake timers cannot freeze it.
 */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => {
    nextMacrotask(resolve);
  });
}

/**
 * A clock that only moves when a test moves it, so leases, TTLs, back-offs and deadlines are
 * reproducible without fake timers.
 *
 * `sleep` registers a sleeper that wakes when `advance` or `set` moves time to (or past) its wake
 * time. `advance` wakes due sleepers one at a time in wake-time order, moving `now()` to each
 * sleeper's wake time and letting the woken code run (and schedule further sleeps) before the next
 * one wakes: a loop that sleeps 10 ms five times completes within one `advance(50)`.
 * Calls to `advance` and `set` are serialized: two concurrent `advance(10)` move time by 20 ms.
 *
 * @example
 * const clock = new ManualClock();
 * const done = clock.sleep(1_000);
 * await clock.advance(1_000); // `done` is resolved now
 */
export class ManualClock implements ClockV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;

  #now: number;
  #sleepers: Sleeper[] = [];
  #registrations = 0;
  #moves: Promise<void> = Promise.resolve();

  /**
   * @param startAt The initial time, epoch milliseconds.
   * @default Date.UTC(2026, 0, 1) (2026-01-01T00:00:00.000Z)
   * @throws TypeError when `startAt` is not a finite number.
   */
  constructor(startAt: number = Date.UTC(2026, 0, 1)) {
    assertFiniteTime('startAt', startAt);
    this.#now = startAt;
  }

  /** The current manual time, epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /** How many sleeps are waiting for time to move. */
  get pendingSleepers(): number {
    return this.#sleepers.length;
  }

  /**
   * Resolves once the clock has been moved `milliseconds` past the current time (at once when
   * `milliseconds <= 0`); rejects with the signal's reason when the signal aborts first.
   */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) {
      return Promise.reject(signal.reason);
    }
    const wakeAt = this.#now + milliseconds;
    if (!(wakeAt > this.#now)) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((sleeper) => sleeper !== entry);
        reject(signal?.reason);
      };
      const entry: Sleeper = {
        wakeAt,
        order: this.#registrations++,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.#sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Moves time forward by `milliseconds`, waking due sleepers in wake-time order and letting each
   * one's continuation run before the next wakes. Resolves when time has reached its target and
   * the woken code has settled.
   *
   * @throws TypeError (as a rejection) when `milliseconds` is negative or not finite.
   */
  advance(milliseconds: number): Promise<void> {
    if (!Number.isFinite(milliseconds) || milliseconds < 0) {
      return Promise.reject(new TypeError(`ManualClock.advance(milliseconds) needs a finite number >= 0, got ${milliseconds}.`));
    }
    return this.#enqueueMove(() => this.#now + milliseconds);
  }

  /**
   * Sets the time. Moving forward wakes due sleepers exactly like `advance`; moving backward
   * (to simulate a clock step) wakes nobody.
   *
   * @throws TypeError (as a rejection) when `time` is not a finite number.
   */
  set(time: number): Promise<void> {
    try {
      assertFiniteTime('time', time);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#enqueueMove(() => time);
  }

  #enqueueMove(target: () => number): Promise<void> {
    const move = this.#moves.then(() => this.#moveTo(target()));
    this.#moves = move;
    return move;
  }

  async #moveTo(target: number): Promise<void> {
    for (let next = this.#nextDue(target); next !== undefined; next = this.#nextDue(target)) {
      this.#sleepers = this.#sleepers.filter((sleeper) => sleeper !== next);
      this.#now = Math.max(this.#now, next.wakeAt);
      next.wake();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  #nextDue(target: number): Sleeper | undefined {
    let earliest: Sleeper | undefined;
    for (const sleeper of this.#sleepers) {
      if (sleeper.wakeAt > target) continue;
      if (earliest === undefined || sleeper.wakeAt < earliest.wakeAt || (sleeper.wakeAt === earliest.wakeAt && sleeper.order < earliest.order)) {
        earliest = sleeper;
      }
    }
    return earliest;
  }
}

function assertFiniteTime(name: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new TypeError(`ManualClock: '${name}' must be a finite number of epoch milliseconds, got ${value}.`);
  }
}
