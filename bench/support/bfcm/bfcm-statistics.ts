// The figures of one load phase, summed over its workers: offered, shed, completed, throughput
// (completed per second of the phase's wall time, from the first scheduled arrival to the last
// checkout's end, and the per-second median of its middle) and latency percentiles.
import { median, percentile } from '../benchmark.js';
import type { BfcmWorkerSummary } from './bfcm-protocol.js';

/** Sums a number field over items. */
export function sumOf<Item>(items: readonly Item[], field: (item: Item) => number): number {
  return items.reduce((total, item) => total + field(item), 0);
}

/** What one phase measured. */
export interface BfcmPhaseStatistics {
  readonly offered: number;
  readonly shed: number;
  readonly completed: number;
  readonly failed: number;
  readonly unfinished: number;
  /** Completed checkouts per second of the phase's wall time (arrivals and drain). */
  readonly achievedPerSecond: number;
  /** Median completions per second over the wall time, leaving out its first and last tenth. */
  readonly steadyPerSecond: number;
  readonly steadyMinimum: number;
  readonly steadyMaximum: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maximumMs: number;
}

/** The statistics of `workers` over a phase of `wallSeconds` (first scheduled arrival to last checkout's end). */
export function phaseStatistics(workers: readonly BfcmWorkerSummary[], wallSeconds: number): BfcmPhaseStatistics {
  const latencies = workers.flatMap((worker) => worker.latenciesMs);
  const seconds = Math.max(1, Math.ceil(wallSeconds));
  const perSecond = Array.from({ length: seconds }, (_, second) => sumOf(workers, (worker) => worker.completedPerSecond[second] ?? 0));
  const steady = perSecond.slice(Math.floor(seconds * 0.1), Math.ceil(seconds * 0.9));
  return {
    offered: sumOf(workers, (worker) => worker.offered),
    shed: sumOf(workers, (worker) => worker.shed),
    completed: sumOf(workers, (worker) => worker.completed),
    failed: sumOf(workers, (worker) => worker.failed),
    unfinished: sumOf(workers, (worker) => worker.unfinished),
    achievedPerSecond: sumOf(workers, (worker) => worker.completed) / wallSeconds,
    steadyPerSecond: median(steady),
    steadyMinimum: Math.min(...steady),
    steadyMaximum: Math.max(...steady),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maximumMs: latencies.reduce((largest, latency) => Math.max(largest, latency), 0),
  };
}
