// An open-loop load generator: arrivals follow a fixed schedule (arrival i is due at
// startAt + i / rate), whether earlier checkouts finished or not, so a slow system cannot slow the
// offered load down (no coordinated omission). Each checkout's latency is measured from its
// SCHEDULED arrival, so time an arrival spent waiting for a busy event loop counts as queueing.
// An arrival that finds `maximumInFlight` checkouts running is shed at once (admission control, as
// a shop's edge would answer "try again"); nothing of it is started.
import { setTimeout as sleep } from 'node:timers/promises';

/** The wall clock in milliseconds since the epoch, with sub-millisecond precision (comparable across processes). */
export function epochMilliseconds(): number {
  return performance.timeOrigin + performance.now();
}

/** Options of `runOpenLoop`. */
export interface OpenLoopOptions {
  /** Arrivals per second. */
  readonly arrivalsPerSecond: number;
  /** When the first arrival is due (epoch milliseconds). */
  readonly startAt: number;
  /** How long arrivals go on, milliseconds. */
  readonly durationMs: number;
  /** Admission limit (checkouts in flight). */
  readonly maximumInFlight: number;
  /** Starts arrival `index`, scheduled at `scheduledAt` (epoch ms); settles when the checkout ends. Must not reject. */
  readonly arrive: (index: number, scheduledAt: number) => Promise<void>;
  /** How often the clock is looked at, milliseconds. @default 2 */
  readonly tickMs?: number | undefined;
}

/** What `runOpenLoop` counted. */
export interface OpenLoopCounts {
  /** Arrivals the schedule produced. */
  offered: number;
  /** Arrivals shed by the admission limit. */
  shed: number;
  /** Checkouts running now. */
  inFlight: number;
  /** Largest lag of an arrival's start behind its schedule, milliseconds. */
  worstScheduleLagMs: number;
}

/**
 * Runs the schedule to its end and resolves with the counts once the last arrival is due (checkouts
 * may still be running: `inFlight` says how many, `settled()` waits for them).
 */
export function runOpenLoop(options: OpenLoopOptions): { readonly counts: OpenLoopCounts; readonly arrivals: Promise<void>; settled(timeoutMs: number): Promise<boolean> } {
  const counts: OpenLoopCounts = { offered: 0, shed: 0, inFlight: 0, worstScheduleLagMs: 0 };
  const total = Math.floor((options.durationMs / 1000) * options.arrivalsPerSecond);
  const intervalMs = 1000 / options.arrivalsPerSecond;
  const tickMs = options.tickMs ?? 2;
  const running = new Set<Promise<void>>();
  const arrivals = (async () => {
    const wait = options.startAt - epochMilliseconds();
    if (wait > 0) await sleep(wait);
    while (counts.offered < total) {
      const now = epochMilliseconds();
      const due = Math.min(total, Math.floor((now - options.startAt) / intervalMs) + 1);
      for (let index = counts.offered; index < due; index += 1) {
        const scheduledAt = options.startAt + index * intervalMs;
        counts.worstScheduleLagMs = Math.max(counts.worstScheduleLagMs, now - scheduledAt);
        counts.offered += 1;
        if (counts.inFlight >= options.maximumInFlight) {
          counts.shed += 1;
          continue;
        }
        counts.inFlight += 1;
        const checkout = options.arrive(index, scheduledAt).finally(() => {
          counts.inFlight -= 1;
          running.delete(checkout);
        });
        running.add(checkout);
      }
      await sleep(tickMs);
    }
  })();
  return {
    counts,
    arrivals,
    async settled(timeoutMs) {
      await arrivals;
      const all = Promise.all([...running]).then(() => true);
      const timeout = sleep(timeoutMs).then(() => false);
      return Promise.race([all, timeout]);
    },
  };
}
