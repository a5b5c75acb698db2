import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import { differenceInterval, type IntervalEstimate, type ProportionSample, wilsonInterval } from './statistics-math.js';

/** What an authorization call to a provider ended with. */
export type RoutingOutcomeKind = 'authorized' | 'declined' | 'error' | 'requires_action';

/** Which arm and cohort an observation belongs to. */
export interface StatisticsLabels {
  /** The provider the payment was routed to. */
  readonly provider: string;
  /** The cohort (`default` for the plain ramp split, else the rule name). */
  readonly cohort: string;
  /** The migration epoch of the routing decision. */
  readonly epoch: number;
  /** True for the randomized ramp split the guardrail compares. */
  readonly experiment: boolean;
}

/** One authorization outcome. */
export interface StatisticsOutcome extends StatisticsLabels {
  /** What happened. */
  readonly outcome: RoutingOutcomeKind;
  /** The canonical decline reason of a decline. */
  readonly declineReason?: string | undefined;
  /** How long the call took, milliseconds. */
  readonly latencyMs?: number | undefined;
}

/** Counts of one arm (or one provider and cohort). */
export interface ArmCounts {
  /** Checkouts routed here (routing decisions). */
  readonly assignments: number;
  /** Authorization calls with an answer: authorized + declined + errors (`requires_action` is not an answer yet). */
  readonly attempts: number;
  /** Calls that authorized. */
  readonly authorized: number;
  /** Calls the issuer or provider declined. */
  readonly declined: number;
  /** Calls that failed with an error (unavailable, timeout, rate limit, unknown outcome, ...). */
  readonly errors: number;
  /** Calls that need a customer step (3-D Secure). */
  readonly requiresAction: number;
  /** Checkouts that ended paid (`recordPaid`). */
  readonly paid: number;
  /** Sum of call latencies, milliseconds. */
  readonly latencyTotalMs: number;
  /** Calls with a latency. */
  readonly latencyCount: number;
  /** Declines by canonical reason. */
  readonly declineReasons: Readonly<Record<string, number>>;
}

/** Counts being accumulated. */
interface MutableCounts {
  assignments: number;
  attempts: number;
  authorized: number;
  declined: number;
  errors: number;
  requiresAction: number;
  paid: number;
  latencyTotalMs: number;
  latencyCount: number;
  declineReasons: Record<string, number>;
}

/** One row of `totals`: counts of a provider and cohort. */
export interface StatisticsRow {
  /** Provider. */
  readonly provider: string;
  /** Cohort; `*` for every cohort of the provider together. */
  readonly cohort: string;
  /** The counts. */
  readonly counts: ArmCounts;
}

/** Rates of one provider and cohort, with confidence intervals. */
export interface ComparisonRow extends StatisticsRow {
  /** authorized / attempts (Wilson interval). */
  readonly authorizationRate: IntervalEstimate;
  /** declined / attempts (Wilson interval). */
  readonly declineRate: IntervalEstimate;
  /** errors / attempts (Wilson interval). */
  readonly errorRate: IntervalEstimate;
  /** Checkout-to-paid conversion: paid / assignments (Wilson interval). */
  readonly conversionRate: IntervalEstimate;
  /** Mean authorization latency, milliseconds; `undefined` without a measured call. */
  readonly meanLatencyMs: number | undefined;
}

/** A provider's rates minus the control provider's, in one cohort (Wald intervals). */
export interface ComparisonDifference {
  /** The provider compared. */
  readonly provider: string;
  /** The control provider. */
  readonly controlProvider: string;
  /** The cohort (`*` for all together). */
  readonly cohort: string;
  /** Authorization rate difference; `undefined` when an arm has no attempt. */
  readonly authorizationRate: IntervalEstimate | undefined;
  /** Error rate difference. */
  readonly errorRate: IntervalEstimate | undefined;
  /** Conversion difference. */
  readonly conversionRate: IntervalEstimate | undefined;
}

/** What `comparisonReport` returns. */
export interface ComparisonReport {
  /** When it was computed, epoch milliseconds. */
  readonly generatedAt: number;
  /** The confidence level of every interval. */
  readonly confidenceLevel: number;
  /** The provider the others are compared with. */
  readonly controlProvider: string;
  /** Only observations at or after this time were counted (window resolution), when given. */
  readonly sinceMs: number | undefined;
  /** Only decisions of this epoch were counted, when given. */
  readonly epoch: number | undefined;
  /** Per provider and cohort, then per provider over all cohorts (`*`), ordered by provider and cohort. */
  readonly rows: readonly ComparisonRow[];
  /** Every other provider against the control, per cohort and over all (`*`). */
  readonly differences: readonly ComparisonDifference[];
}

/** Options of `RouterStatistics`. */
export interface RouterStatisticsOptions {
  /** Stamps observations into windows. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Length of one time window, milliseconds. @default 60000 */
  readonly windowMs?: number | undefined;
  /** How many windows are kept for `since` queries (older ones are dropped; epoch totals are kept). @default 60 */
  readonly windowCount?: number | undefined;
}

/** Options of `RouterStatistics.totals`. */
export interface StatisticsQuery {
  /** Count only windows that end after this time, epoch milliseconds (uses the kept windows). */
  readonly sinceMs?: number | undefined;
  /** Count only decisions of this epoch. */
  readonly epoch?: number | undefined;
  /** Count only the randomized ramp split. @default false */
  readonly experimentOnly?: boolean | undefined;
}

/** Parsed identity of a row key. */
interface RowIdentity {
  readonly provider: string;
  readonly cohort: string;
  readonly epoch: number;
  readonly experiment: boolean;
}

const separator = '\u0000';

function emptyCounts(): MutableCounts {
  return { assignments: 0, attempts: 0, authorized: 0, declined: 0, errors: 0, requiresAction: 0, paid: 0, latencyTotalMs: 0, latencyCount: 0, declineReasons: {} };
}

function addCounts(target: MutableCounts, source: ArmCounts): void {
  target.assignments += source.assignments;
  target.attempts += source.attempts;
  target.authorized += source.authorized;
  target.declined += source.declined;
  target.errors += source.errors;
  target.requiresAction += source.requiresAction;
  target.paid += source.paid;
  target.latencyTotalMs += source.latencyTotalMs;
  target.latencyCount += source.latencyCount;
  for (const [reason, count] of Object.entries(source.declineReasons)) target.declineReasons[reason] = (target.declineReasons[reason] ?? 0) + count;
}

function freezeCounts(counts: MutableCounts): ArmCounts {
  return Object.freeze({ ...counts, declineReasons: Object.freeze({ ...counts.declineReasons }) });
}

/**
 * Where the counts of one row live: its key, its cumulative counts and its counts in the window
 * starting at `windowStart`, valid while `generation` is the statistics' generation.
 */
interface CachedRow {
  readonly key: string;
  generation: number;
  windowStart: number;
  cumulative: MutableCounts | undefined;
  windowed: MutableCounts | undefined;
}

/** How many recently counted labels `RouterStatistics` finds by identity before its weak map. */
const recentRowsSize = 4;

/** The most labels `RouterStatistics.labels` keeps (providers x cohorts x epochs x 2 stays far below). */
const internedLabelsLimit = 10_000;

function rowKey(labels: StatisticsLabels): string {
  return `${labels.provider}${separator}${labels.cohort}${separator}${labels.epoch}${separator}${labels.experiment ? 1 : 0}`;
}

function parseRowKey(key: string): RowIdentity {
  const [provider, cohort, epoch, experiment] = key.split(separator) as [string, string, string, string];
  return { provider, cohort, epoch: Number(epoch), experiment: experiment === '1' };
}

/** The sample of a rate: `successes` of `trials`. */
function sample(successes: number, trials: number): ProportionSample {
  return { successes, trials };
}

/**
 * In-process counts of routing decisions and authorization outcomes per provider (arm), cohort,
 * epoch and time window. The guardrail reads the randomized ramp split of the current epoch; the
 * comparison report reads any slice, with confidence intervals. Counts are per process: every node
 * has its own (the guardrail runs where the traffic is observed, or on every node).
 */
export class RouterStatistics {
  readonly #clock: ClockV1;
  readonly #windowMs: number;
  readonly #windowCount: number;
  readonly #cumulative = new Map<string, MutableCounts>();
  readonly #windows = new Map<number, Map<string, MutableCounts>>();
  #latestWindow = Number.NEGATIVE_INFINITY;
  /** Interned labels by provider, cohort and epoch * 2 + experiment (`labels`). */
  readonly #interned = new Map<string, Map<string, Map<number, StatisticsLabels>>>();
  /** How many labels are interned (the cache is dropped beyond `internedLabelsLimit`). */
  #internedCount = 0;
  /** The row of each interned labels object: counting with them builds no string and looks up no map. */
  readonly #rows = new WeakMap<StatisticsLabels, CachedRow>();
  /** The last few interned labels counted and their rows, compared by identity before the weak-map lookup (a ramp counts two or three). */
  readonly #recentLabels: (StatisticsLabels | undefined)[] = new Array<StatisticsLabels | undefined>(recentRowsSize).fill(undefined);
  readonly #recentRows: (CachedRow | undefined)[] = new Array<CachedRow | undefined>(recentRowsSize).fill(undefined);
  #nextRecentRow = 0;
  /** Bumped when counts are dropped (`reset`, a window evicted): a cached row of an older generation is looked up again. */
  #generation = 0;

  /**
   * @param options Clock and windowing.
   * @throws RangeError when `windowMs` or `windowCount` is not a positive integer.
   */
  constructor(options: RouterStatisticsOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#windowCount = options.windowCount ?? 60;
    for (const [name, value] of [
      ['windowMs', this.#windowMs],
      ['windowCount', this.#windowCount],
    ] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`RouterStatistics ${name} must be a positive integer, got ${value}`);
    }
  }

  /** The clock that stamps observations into windows (a caller on the same clock may pass a time it just read to `recordAssignment`). */
  get clock(): ClockV1 {
    return this.#clock;
  }

  /**
   * The same frozen labels object for the same provider, cohort, epoch and experiment flag, whose
   * row key is kept: counting with it builds no key string (the router's hot path). Any labels
   * object may still be passed to the record methods.
   */
  labels(provider: string, cohort: string, epoch: number, experiment: boolean): StatisticsLabels {
    let cohorts = this.#interned.get(provider);
    if (cohorts === undefined) {
      cohorts = new Map();
      this.#interned.set(provider, cohorts);
    }
    let epochs = cohorts.get(cohort);
    if (epochs === undefined) {
      epochs = new Map();
      cohorts.set(cohort, epochs);
    }
    const slot = epoch * 2 + (experiment ? 1 : 0);
    let labels = epochs.get(slot);
    if (labels === undefined) {
      if (this.#internedCount >= internedLabelsLimit) {
        this.#interned.clear();
        this.#internedCount = 0;
        return this.labels(provider, cohort, epoch, experiment);
      }
      labels = Object.freeze({ provider, cohort, epoch, experiment });
      this.#rows.set(labels, { key: rowKey(labels), generation: -1, windowStart: 0, cumulative: undefined, windowed: undefined });
      epochs.set(slot, labels);
      this.#internedCount += 1;
    }
    return labels;
  }

  /**
   * Counts one routed checkout. With interned labels (`labels`) it allocates nothing and builds no string.
   * @param now The time on this statistics' `clock`, just read by the caller (it saves a second
   *   read of the clock). @default the clock, read now
   */
  recordAssignment(labels: StatisticsLabels, now?: number): void {
    const row = this.#rowFor(labels, now ?? this.#clock.now());
    (row.cumulative as MutableCounts).assignments += 1;
    (row.windowed as MutableCounts).assignments += 1;
  }

  /** Counts one authorization call's outcome. */
  recordOutcome(observation: StatisticsOutcome): void {
    const row = this.#rowFor(observation, this.#clock.now());
    for (const counts of [row.cumulative as MutableCounts, row.windowed as MutableCounts]) {
      switch (observation.outcome) {
        case 'authorized':
          counts.authorized += 1;
          counts.attempts += 1;
          break;
        case 'declined': {
          counts.declined += 1;
          counts.attempts += 1;
          const reason = observation.declineReason ?? 'unspecified';
          counts.declineReasons[reason] = (counts.declineReasons[reason] ?? 0) + 1;
          break;
        }
        case 'error':
          counts.errors += 1;
          counts.attempts += 1;
          break;
        case 'requires_action':
          counts.requiresAction += 1;
          break;
      }
      if (observation.latencyMs !== undefined) {
        counts.latencyTotalMs += observation.latencyMs;
        counts.latencyCount += 1;
      }
    }
  }

  /** Counts one checkout that ended paid (conversion). */
  recordPaid(labels: StatisticsLabels): void {
    const row = this.#rowFor(labels, this.#clock.now());
    (row.cumulative as MutableCounts).paid += 1;
    (row.windowed as MutableCounts).paid += 1;
  }

  /** The randomized ramp split of `epoch`, summed over cohorts, per provider. */
  experimentArms(epoch: number): ReadonlyMap<string, ArmCounts> {
    const arms = new Map<string, MutableCounts>();
    for (const [key, counts] of this.#cumulative) {
      const identity = parseRowKey(key);
      if (!identity.experiment || identity.epoch !== epoch) continue;
      const arm = arms.get(identity.provider) ?? emptyCounts();
      addCounts(arm, counts);
      arms.set(identity.provider, arm);
    }
    return new Map([...arms].map(([provider, counts]) => [provider, freezeCounts(counts)]));
  }

  /** Counts per provider and cohort (plus `*` per provider), ordered by provider then cohort. */
  totals(query: StatisticsQuery = {}): StatisticsRow[] {
    const source = query.sinceMs === undefined ? [this.#cumulative] : this.#windowsSince(query.sinceMs);
    const rows = new Map<string, MutableCounts>();
    const add = (provider: string, cohort: string, counts: ArmCounts): void => {
      const key = `${provider}${separator}${cohort}`;
      const row = rows.get(key) ?? emptyCounts();
      addCounts(row, counts);
      rows.set(key, row);
    };
    for (const map of source) {
      for (const [key, counts] of map) {
        const identity = parseRowKey(key);
        if (query.epoch !== undefined && identity.epoch !== query.epoch) continue;
        if (query.experimentOnly === true && !identity.experiment) continue;
        add(identity.provider, identity.cohort, counts);
        add(identity.provider, '*', counts);
      }
    }
    return [...rows]
      .map(([key, counts]) => {
        const [provider, cohort] = key.split(separator) as [string, string];
        return { provider, cohort, counts: freezeCounts(counts) };
      })
      .sort((left, right) => (left.provider === right.provider ? compareCohorts(left.cohort, right.cohort) : left.provider < right.provider ? -1 : 1));
  }

  /**
   * Rates per provider and cohort with confidence intervals, and every other provider's difference
   * from `controlProvider` per cohort: the side-by-side view an operator reads before raising the
   * ramp.
   */
  comparisonReport(options: { readonly controlProvider: string; readonly confidenceLevel?: number | undefined } & StatisticsQuery): ComparisonReport {
    const confidenceLevel = options.confidenceLevel ?? 0.95;
    const totals = this.totals(options);
    const rows: ComparisonRow[] = totals.map(({ provider, cohort, counts }) => ({
      provider,
      cohort,
      counts,
      authorizationRate: wilsonInterval(sample(counts.authorized, counts.attempts), confidenceLevel),
      declineRate: wilsonInterval(sample(counts.declined, counts.attempts), confidenceLevel),
      errorRate: wilsonInterval(sample(counts.errors, counts.attempts), confidenceLevel),
      conversionRate: wilsonInterval(sample(counts.paid, counts.assignments), confidenceLevel),
      meanLatencyMs: counts.latencyCount === 0 ? undefined : counts.latencyTotalMs / counts.latencyCount,
    }));
    const differences: ComparisonDifference[] = [];
    for (const row of rows) {
      if (row.provider === options.controlProvider) continue;
      const control = rows.find((candidate) => candidate.provider === options.controlProvider && candidate.cohort === row.cohort);
      if (control === undefined) continue;
      differences.push({
        provider: row.provider,
        controlProvider: options.controlProvider,
        cohort: row.cohort,
        authorizationRate: differenceInterval(sample(row.counts.authorized, row.counts.attempts), sample(control.counts.authorized, control.counts.attempts), confidenceLevel),
        errorRate: differenceInterval(sample(row.counts.errors, row.counts.attempts), sample(control.counts.errors, control.counts.attempts), confidenceLevel),
        conversionRate: differenceInterval(sample(row.counts.paid, row.counts.assignments), sample(control.counts.paid, control.counts.assignments), confidenceLevel),
      });
    }
    return {
      generatedAt: this.#clock.now(),
      confidenceLevel,
      controlProvider: options.controlProvider,
      sinceMs: options.sinceMs,
      epoch: options.epoch,
      rows,
      differences,
    };
  }

  /** Forgets everything. */
  reset(): void {
    this.#cumulative.clear();
    this.#windows.clear();
    this.#latestWindow = Number.NEGATIVE_INFINITY;
    this.#generation += 1;
  }

  /**
   * The row of `labels` with its cumulative counts and the counts of the window of `now` (the
   * clock's time). For interned labels the row is cached: while `now` stays in the cached window
   * and nothing was dropped, it costs one weak-map lookup.
   */
  #rowFor(labels: StatisticsLabels, now: number): CachedRow {
    const cached = this.#cachedRow(labels);
    if (cached !== undefined && cached.generation === this.#generation && now >= cached.windowStart && now - cached.windowStart < this.#windowMs) return cached;
    const row = cached ?? { key: rowKey(labels), generation: -1, windowStart: 0, cumulative: undefined, windowed: undefined };
    this.#fillRow(row, now);
    return row;
  }

  /** The cached row of interned `labels` (`undefined` for other labels): a recent one by identity, else from the weak map. */
  #cachedRow(labels: StatisticsLabels): CachedRow | undefined {
    const recent = this.#recentLabels;
    for (let index = 0; index < recentRowsSize; index += 1) {
      if (recent[index] === labels) return this.#recentRows[index];
    }
    const row = this.#rows.get(labels);
    if (row !== undefined) {
      recent[this.#nextRecentRow] = labels;
      this.#recentRows[this.#nextRecentRow] = row;
      this.#nextRecentRow = (this.#nextRecentRow + 1) % recentRowsSize;
    }
    return row;
  }

  /** Points `row` at its cumulative counts and at its counts in the window of `now`, created when missing. */
  #fillRow(row: CachedRow, now: number): void {
    const { key } = row;
    let cumulative = this.#cumulative.get(key);
    if (cumulative === undefined) {
      cumulative = emptyCounts();
      this.#cumulative.set(key, cumulative);
    }
    const windowStart = Math.floor(now / this.#windowMs) * this.#windowMs;
    let window = this.#windows.get(windowStart);
    if (window === undefined) {
      window = new Map();
      this.#windows.set(windowStart, window);
      if (windowStart > this.#latestWindow) {
        this.#latestWindow = windowStart;
        const oldestKept = windowStart - (this.#windowCount - 1) * this.#windowMs;
        for (const start of this.#windows.keys()) {
          if (start < oldestKept) {
            this.#windows.delete(start);
            this.#generation += 1;
          }
        }
      }
    }
    let windowed = window.get(key);
    if (windowed === undefined) {
      windowed = emptyCounts();
      window.set(key, windowed);
    }
    row.cumulative = cumulative;
    row.windowed = windowed;
    row.windowStart = windowStart;
    row.generation = this.#generation;
  }

  /** The kept windows that end after `sinceMs`. */
  #windowsSince(sinceMs: number): Map<string, MutableCounts>[] {
    return [...this.#windows].filter(([start]) => start + this.#windowMs > sinceMs).map(([, window]) => window);
  }
}

/** Orders two different cohorts of one provider by name, with `*` (all) last. */
function compareCohorts(left: string, right: string): number {
  if (left === '*') return 1;
  if (right === '*') return -1;
  return left < right ? -1 : 1;
}
