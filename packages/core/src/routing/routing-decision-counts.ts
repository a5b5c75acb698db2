import type { Attributes, Meter, ObservableResult } from '@opentelemetry/api';
import type { RouterStatistics, StatisticsLabels } from './router-statistics.js';
import type { RoutingDecision, RoutingReasonKind } from './routing-types.js';

/**
 * The running count of the decisions of one provider, cohort, kind, epoch and experiment flag,
 * with the statistics labels they are counted under. Made once per combination and kept for the
 * life of the router, so counting a decision is one increment.
 */
export interface DecisionTally {
  /** The provider decided. */
  readonly provider: string;
  /** The cohort decided. */
  readonly cohort: string;
  /** The reason category. */
  readonly kind: RoutingReasonKind;
  /** The migration epoch of the decisions. */
  readonly epoch: number;
  /** Whether the decisions are part of the ramp experiment. */
  readonly experiment: boolean;
  /** The interned statistics labels of these decisions (`RouterStatistics.labels`). */
  readonly labels: StatisticsLabels;
  /** Decisions counted so far (never decreases: the exported counter is monotonic). */
  count: number;
}

/** How many tallies are checked by comparison before the indexed lookup (a ramp has two or three live ones). */
const recentTalliesSize = 8;

/**
 * Counts routing decisions in plain per-combination tallies instead of a synchronous
 * OpenTelemetry `counter.add` with an attributes object per call: the router's hot path does one
 * increment, and the `paymigrate.routing.decisions` observable counter reads the totals when the
 * metrics are collected (`observeDecisionCounts`). Finding the tally of a decision compares the fields of the
 * few most recently used tallies first, and otherwise walks nested maps: no string is built and
 * nothing is allocated once the combination is known.
 */
export class RoutingDecisionCounts {
  readonly #statistics: RouterStatistics;
  /** Tallies by provider, cohort, kind, then `epoch * 2 + experiment`. */
  readonly #index = new Map<string, Map<string, Map<RoutingReasonKind, Map<number, DecisionTally>>>>();
  /** Every tally, in creation order (read at collection time). */
  readonly #all: DecisionTally[] = [];
  /** The most recently used tallies (a small ring), checked before the index. */
  readonly #recent: (DecisionTally | undefined)[] = new Array<DecisionTally | undefined>(recentTalliesSize).fill(undefined);
  #nextRecent = 0;

  /** @param statistics Interns the labels each tally counts its decisions under. */
  constructor(statistics: RouterStatistics) {
    this.#statistics = statistics;
  }

  /** Counts one decision and returns its tally (whose `labels` the statistics count it under). */
  count(decision: RoutingDecision): DecisionTally {
    const tally = this.tallyOf(decision);
    tally.count += 1;
    return tally;
  }

  /** The tally of the decision's provider, cohort, kind, epoch and experiment flag, created when missing. */
  tallyOf(decision: RoutingDecision): DecisionTally {
    const { provider, cohort, kind, epoch, experiment } = decision;
    const recent = this.#recent;
    for (let index = 0; index < recentTalliesSize; index += 1) {
      const tally = recent[index];
      if (tally !== undefined && tally.provider === provider && tally.cohort === cohort && tally.kind === kind && tally.epoch === epoch && tally.experiment === experiment) {
        return tally;
      }
    }
    const tally = this.#indexed(provider, cohort, kind, epoch, experiment);
    this.#recent[this.#nextRecent] = tally;
    this.#nextRecent = (this.#nextRecent + 1) % recentTalliesSize;
    return tally;
  }

  /** Every tally made so far, in creation order (what the observable counter reads). */
  get tallies(): readonly DecisionTally[] {
    return this.#all;
  }

  #indexed(provider: string, cohort: string, kind: RoutingReasonKind, epoch: number, experiment: boolean): DecisionTally {
    let cohorts = this.#index.get(provider);
    if (cohorts === undefined) {
      cohorts = new Map();
      this.#index.set(provider, cohorts);
    }
    let kinds = cohorts.get(cohort);
    if (kinds === undefined) {
      kinds = new Map();
      cohorts.set(cohort, kinds);
    }
    let slots = kinds.get(kind);
    if (slots === undefined) {
      slots = new Map();
      kinds.set(kind, slots);
    }
    const slot = epoch * 2 + (experiment ? 1 : 0);
    let tally = slots.get(slot);
    if (tally === undefined) {
      tally = { provider, cohort, kind, epoch, experiment, labels: this.#statistics.labels(provider, cohort, epoch, experiment), count: 0 };
      slots.set(slot, tally);
      this.#all.push(tally);
    }
    return tally;
  }
}

/** The tallies of every router counting on a meter: one observable counter per meter reads them all. */
const talliesByMeter = new WeakMap<Meter, (readonly DecisionTally[])[]>();

/**
 * Reports the totals of `tallyLists` by provider, cohort and kind, summed over epochs, the
 * experiment flag and the routers: one observation per attribute set, as OpenTelemetry asks of
 * asynchronous instruments.
 */
export function observeDecisionTotals(tallyLists: readonly (readonly DecisionTally[])[], result: ObservableResult): void {
  const totals = new Map<string, { attributes: Attributes; value: number }>();
  for (const tallies of tallyLists) {
    for (const tally of tallies) {
      const key = JSON.stringify([tally.provider, tally.cohort, tally.kind]);
      const total = totals.get(key);
      if (total === undefined) totals.set(key, { attributes: { provider: tally.provider, cohort: tally.cohort, kind: tally.kind }, value: tally.count });
      else total.value += tally.count;
    }
  }
  for (const { attributes, value } of totals.values()) result.observe(value, attributes);
}

/**
 * Exports the decisions counted in `counts` through the `paymigrate.routing.decisions` observable
 * counter of `meter`, read at collection time. The counter is created once per meter and reports
 * the sum over every router registered on it, as the synchronous counter it replaces did; only
 * the tallies are kept for that (a few small objects per router, never its remembered decisions),
 * so a router's counts stay in the totals after it is dropped and the counter never goes down.
 */
export function observeDecisionCounts(meter: Meter, counts: RoutingDecisionCounts): void {
  let registered = talliesByMeter.get(meter);
  if (registered === undefined) {
    const tallyLists: (readonly DecisionTally[])[] = [];
    meter
      .createObservableCounter('paymigrate.routing.decisions', { description: 'Routing decisions for new payments (checkouts), by provider, cohort and kind.' })
      .addCallback((result) => {
        observeDecisionTotals(tallyLists, result);
      });
    talliesByMeter.set(meter, tallyLists);
    registered = tallyLists;
  }
  registered.push(counts.tallies);
}
