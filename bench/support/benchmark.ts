import { cpus, totalmem } from 'node:os';

/** One target a benchmark checks, with what it achieved. */
export interface BenchmarkTarget {
  /** What is measured, e.g. `p99 added latency`. */
  readonly measure: string;
  /** The target in words, e.g. `<= 5 ms`. */
  readonly target: string;
  /** What was achieved, formatted. */
  readonly achieved: string;
  /** Whether the target was met. */
  readonly met: boolean;
  /** Whose target: ours (stricter) or the user's stated one. */
  readonly owner: 'ours' | 'user';
}

/** What a benchmark reports. */
export interface BenchmarkResult {
  /** File name without extension, e.g. `checkout-cutover`. */
  readonly name: string;
  /** Title for BENCHMARKS.md. */
  readonly title: string;
  /** What the benchmark does, in a sentence or two. */
  readonly description: string;
  /** Targets and what was achieved. */
  readonly targets: readonly BenchmarkTarget[];
  /** Every figure measured (side-by-side baselines included), for the table. */
  readonly figures: Readonly<Record<string, string | number>>;
  /** Anything a reader needs to interpret the figures. */
  readonly notes?: readonly string[] | undefined;
}

/** A benchmark module's default export. */
export type Benchmark = (context: BenchmarkContext) => Promise<Omit<BenchmarkResult, 'name'>>;

/** What the runner gives a benchmark. */
export interface BenchmarkContext {
  /** Scale factor from `--quick` (0.1) or 1. Benchmarks shrink their workload by it. */
  readonly scale: number;
  /** Seed for anything random. */
  readonly seed: number;
  /** Progress lines (stderr). */
  readonly log: (message: string) => void;
}

/** The machine a run happened on, for BENCHMARKS.md. */
export function describeMachine(): string {
  const processors = cpus();
  return `${processors.length} × ${processors[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`;
}

/** Percentile (nearest rank) of numbers; `undefined` for an empty list. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Median of numbers. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** Formats milliseconds with a sensible precision. */
export function formatMilliseconds(milliseconds: number): string {
  // By magnitude: an added latency can be negative (the framework's run was faster than the baseline's).
  const magnitude = Math.abs(milliseconds);
  if (magnitude < 0.01) return `${(milliseconds * 1000).toFixed(2)} µs`;
  if (magnitude < 10) return `${milliseconds.toFixed(2)} ms`;
  return `${milliseconds.toFixed(0)} ms`;
}

/** Formats a rate. */
export function formatRate(perSecond: number, unit: string): string {
  return `${Math.round(perSecond).toLocaleString('en-US')} ${unit}/s`;
}

/** Peak resident set size so far, MiB (from the OS: includes everything the process ever held). */
export function peakResidentMegabytes(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
