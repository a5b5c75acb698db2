// What the Black Friday load test's parent and its checkout workers (bfcm-worker.ts) share.
import type { LoopbackProviders } from '../../../scenarios/support/crash/crash-wiring.js';

/** How the parent configures a checkout worker (JSON in `PAYMIGRATE_BFCM_WORKER`). */
export interface BfcmWorkerConfig extends LoopbackProviders {
  /** Worker name: the prefix of its payment ids and its recovery owner. */
  readonly worker: string;
  /** This worker's own SQLite journal file (the parent opens it too, for the control plane and the check). */
  readonly journalFile: string;
  /** Checkout arrivals per second this worker offers. */
  readonly arrivalsPerSecond: number;
  /** How long arrivals go on, milliseconds. */
  readonly durationMs: number;
  /** Admission limit: an arrival that finds this many checkouts in flight is shed (rejected at once). */
  readonly maximumInFlight: number;
  /** How long the worker waits for its in-flight checkouts after the last arrival, milliseconds. */
  readonly drainTimeoutMs: number;
}

/** The environment variable carrying `BfcmWorkerConfig`. */
export const bfcmWorkerConfigVariable = 'PAYMIGRATE_BFCM_WORKER';

/** What one worker measured over the whole run. */
export interface BfcmWorkerSummary {
  readonly worker: string;
  /** Arrivals the schedule produced. */
  readonly offered: number;
  /** Arrivals shed by the admission limit (never started, nothing journaled). */
  readonly shed: number;
  /** Checkouts that ended captured (the customer saw "paid"). */
  readonly completed: number;
  /** Checkouts that ended declined or failed (the customer saw an error). */
  readonly failed: number;
  /** Checkouts still running when the drain timeout ended (left to recovery). */
  readonly unfinished: number;
  /** Latency of each completed checkout from its SCHEDULED arrival to the end of its capture, milliseconds. */
  readonly latenciesMs: readonly number[];
  /** Completed checkouts per second of the run (index = second since the common start). */
  readonly completedPerSecond: readonly number[];
  /** Payment ids of the completed checkouts: the receipts the invariants check against the journal and the providers. */
  readonly receipts: readonly string[];
  /** Payment ids by the provider their checkout was pinned to. */
  readonly byProvider: Readonly<Record<string, number>>;
  /** First error messages of failed checkouts (at most 10). */
  readonly errors: readonly string[];
  /** Largest lag of the arrival clock behind the schedule, milliseconds (event loop busy). */
  readonly worstScheduleLagMs: number;
  /** Event-loop delay p99, milliseconds. */
  readonly eventLoopDelayP99Ms: number;
  /** CPU seconds this worker used during the run. */
  readonly cpuSeconds: number;
  /** Journal group commit: commits and write batches. */
  readonly journalCommits: number;
  readonly journalBatches: number;
}

/** Messages from a worker. */
export type BfcmWorkerReport =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly completed: number; readonly shed: number; readonly inFlight: number }
  | { readonly type: 'refreshed' }
  | { readonly type: 'done'; readonly summary: BfcmWorkerSummary };

/** Messages to a worker. */
export type BfcmWorkerRequest =
  | { readonly type: 'start'; readonly startAt: number }
  | { readonly type: 'refresh' }
  | { readonly type: 'stop' };
