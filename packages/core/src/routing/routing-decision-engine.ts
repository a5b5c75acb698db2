import type { PaymentGatewayCapabilities } from '../ports/payment-gateway/v1/payment-gateway-capabilities.js';
import { migrationSelectionReasons } from '../cutover/migration-provider-selector.js';
import type { MigrationState } from '../cutover/migration-state.js';
import { capabilityConstraint } from './capability-constraints.js';
import { type CohortRule, findCohortRule } from './cohort-rules.js';
import type { CircuitAdmission } from './provider-circuit-breakers.js';
import { createRolloutHasher, type RolloutHasher, rolloutThreshold } from './rollout-bucket.js';
import type { RoutingControlState } from './routing-control-state.js';
import type { RoutingSnapshot } from './routing-node.js';
import type { RoutingDecision, RoutingReasonKind, RoutingRequest, TokenLocation } from './routing-types.js';

/** Asks the circuit of a provider whether a new payment may go there. */
export type CircuitAdmit = (provider: string) => CircuitAdmission;

/** The two providers of the migration and the epoch a decision is made on. */
export interface MigrationProviders {
  /** The old provider. */
  readonly fromProvider: string;
  /** The new provider. */
  readonly toProvider: string;
  /** The migration epoch. */
  readonly epoch: number;
}

/** What `createRoutingDecisionEngine` needs: the router's fixed configuration. */
export interface RoutingDecisionEngineOptions {
  /** The old provider (the fail-safe). */
  readonly fromProvider: string;
  /** Declared capabilities per provider. */
  readonly capabilities: ReadonlyMap<string, PaymentGatewayCapabilities>;
  /** Cohort rules, in order. */
  readonly cohortRules: readonly CohortRule[];
  /** Prefix of every bucketing salt. */
  readonly salt: string;
  /** True when both providers' circuits are closed (a decision made otherwise leaves the experiment). */
  readonly circuitsClosed: (first: string, second: string) => boolean;
}

/**
 * The synchronous decision of the traffic router: freshness, kill switch, renewal, phase,
 * capabilities, cohorts, the monotone split and the circuit breakers. It reads nothing and writes
 * nothing; counting, remembering and pinning are the router's.
 */
export interface RoutingDecisionEngine {
  /**
   * The decision for `request` on `snapshot` (`undefined` = stale or never read: the old provider).
   * A ramp decision allocates only the returned object: hashing reuses buffers, reasons are made
   * once per percentage, and the fail-safe, kill switch and phase decisions are made once per
   * snapshot and shared (frozen).
   *
   * @param staleEpoch the epoch to report on a stale decision (the last snapshot's, 0 when none).
   */
  decide(snapshot: RoutingSnapshot | undefined, staleEpoch: number, request: RoutingRequest, token: TokenLocation | undefined, admit: CircuitAdmit): RoutingDecision;

  /** The ramp decision for `percent` on `state`'s providers (renewal first, circuit breakers last): the cutover selector's ramp hook. */
  decideRamp(state: MigrationProviders, percent: number, request: RoutingRequest, token: TokenLocation | undefined, admit: CircuitAdmit): RoutingDecision;

  /** A decision that does not depend on the customer (kill switch, stale, an assignment). */
  route(provider: string, reason: string, kind: RoutingReasonKind, epoch: number, extra?: Partial<RoutingDecision>): RoutingDecision;

  /** The kill switch's decision for `control` (made once per control record). */
  killSwitchDecision(control: RoutingControlState, epoch: number): RoutingDecision;

  /**
   * `Promise.resolve(decision)`: the same settled promise again for the last shared (frozen:
   * fail-safe, kill switch, phase) decision asked for, so `select` after the cutover, where every
   * payment gets the phase decision, allocates no promise. A ramp decision is per call (a table of
   * shared per-bucket decisions allocated less but was twice as slow: its 10 MB were cache misses).
   */
  answer(decision: RoutingDecision): Promise<RoutingDecision>;
}

/** The reasons of one percentage split, made once. */
interface SplitReasons {
  readonly threshold: number;
  readonly inside: string;
  readonly outside: string;
  readonly insideGuest: string;
  readonly outsideGuest: string;
}

/** The most ramp percentages whose reasons are kept (a ramp has a handful of steps). */
const splitReasonCacheSize = 64;

const guestNote = ' (guest: by payment id)';

/** How a percentage split decides, in words: the customer's bucket is in `decision.bucket`. */
function splitReasonsOf(label: string, percent: number): SplitReasons {
  const threshold = rolloutThreshold(percent);
  const inside = `${label}: bucket < ${threshold} (${percent} %)`;
  const outside = `${label}: bucket >= ${threshold} (${percent} %)`;
  return { threshold, inside, outside, insideGuest: `${inside}${guestNote}`, outsideGuest: `${outside}${guestNote}` };
}

/** The other provider of a migration. */
function otherProvider(provider: string, fromProvider: string, toProvider: string): string {
  return provider === toProvider ? fromProvider : toProvider;
}

/** A one-slot cache: the value made for the last key (compared by identity). */
class LastValue<Key, Value> {
  #key: Key | undefined;
  #value: Value | undefined;

  /** The value for `key`, or `undefined` when the slot holds another key. */
  get(key: Key): Value | undefined {
    return this.#key === key ? this.#value : undefined;
  }

  /** Keeps `value` for `key` and returns it. */
  set(key: Key, value: Value): Value {
    this.#key = key;
    this.#value = value;
    return value;
  }
}

/**
 * Creates the decision engine of one router.
 * @throws RolloutPercentError when a cohort rule's percentage is not a valid rollout percentage.
 */
export function createRoutingDecisionEngine(options: RoutingDecisionEngineOptions): RoutingDecisionEngine {
  const { fromProvider, capabilities, cohortRules, salt, circuitsClosed } = options;
  const providerHasher = createRolloutHasher(`${salt}:provider`);
  const cohortSplits = new Map<string, { hasher: RolloutHasher; reasons: SplitReasons }>();
  for (const rule of cohortRules) {
    if (typeof rule.route === 'object') {
      cohortSplits.set(rule.name, { hasher: createRolloutHasher(`${salt}:cohort-${rule.name}`), reasons: splitReasonsOf(`cohort ${rule.name}`, rule.route.percent) });
    }
  }
  const rampReasons = new Map<number, SplitReasons>();
  const killSwitchDecisions = new LastValue<RoutingControlState, RoutingDecision>();
  const phaseDecisions = new LastValue<MigrationState, RoutingDecision>();
  const staleDecisions = new Map<number, RoutingDecision>();
  /** The settled promise of the last frozen decision `answer` was asked for (the phase decision of a cutover, ...). */
  const lastAnswer = new LastValue<RoutingDecision, Promise<RoutingDecision>>();

  /** A decision shared by many payments: frozen, so no caller can change another payment's answer. */
  const shared = (decision: RoutingDecision): RoutingDecision => Object.freeze(decision);

  const route = (provider: string, reason: string, kind: RoutingReasonKind, epoch: number, extra: Partial<RoutingDecision> = {}): RoutingDecision => ({
    provider,
    reason,
    kind,
    epoch,
    cohort: 'default',
    experiment: false,
    pinned: false,
    ...extra,
  });

  /** The ramp reasons asked for last (a ramp decides on one percentage at a time): no map lookup per decision. */
  let lastRampPercent = Number.NaN;
  let lastRampReasons: SplitReasons | undefined;

  const reasonsForRamp = (percent: number): SplitReasons => {
    if (percent === lastRampPercent) return lastRampReasons as SplitReasons;
    let reasons = rampReasons.get(percent);
    if (reasons === undefined) {
      if (rampReasons.size >= splitReasonCacheSize) rampReasons.clear();
      reasons = splitReasonsOf('ramp', percent);
      rampReasons.set(percent, reasons);
    }
    lastRampPercent = percent;
    lastRampReasons = reasons;
    return reasons;
  };

  /** The provider whose capabilities were looked up last and what they are (the new provider of every ramp decision). */
  let lastCapabilitiesProvider: string | undefined;
  let lastCapabilities: PaymentGatewayCapabilities | undefined;

  /** `capabilities.get(provider)`, without the map lookup when the same provider is asked again. */
  const capabilitiesOf = (provider: string): PaymentGatewayCapabilities | undefined => {
    if (provider !== lastCapabilitiesProvider) {
      lastCapabilitiesProvider = provider;
      lastCapabilities = capabilities.get(provider);
    }
    return lastCapabilities;
  };

  /**
   * Applies the circuit breakers to a decision. With `failover`, an open circuit sends the payment
   * to the other provider when that one can take it; without (a phase where only the old provider
   * takes payments), the decision stands and says so.
   */
  const withCircuit = (decision: RoutingDecision, state: MigrationProviders, request: RoutingRequest, admit: CircuitAdmit, failover: boolean): RoutingDecision => {
    const admission = admit(decision.provider);
    if (admission === 'closed') {
      return decision.experiment && !circuitsClosed(state.fromProvider, state.toProvider) ? { ...decision, experiment: false } : decision;
    }
    if (admission === 'trial') return { ...decision, reason: `${decision.reason} (circuit trial)`, experiment: false };
    const other = otherProvider(decision.provider, state.fromProvider, state.toProvider);
    if (failover && capabilityConstraint(other, capabilities.get(other), request) === undefined && admit(other) !== 'refused') {
      return { ...decision, provider: other, reason: `circuit open: ${decision.provider}`, kind: 'circuit-open', experiment: false };
    }
    return { ...decision, reason: `${decision.reason}; circuit open on ${decision.provider} and no other provider can take it`, experiment: false };
  };

  /** The ramp decision for `percent` (before the circuit breakers). */
  const rampDecision = (state: MigrationProviders, percent: number, request: RoutingRequest): RoutingDecision => {
    const { fromProvider: oldProvider, toProvider: newProvider, epoch } = state;
    const constraint = capabilityConstraint(newProvider, capabilitiesOf(newProvider), request);
    if (constraint !== undefined) return route(oldProvider, constraint, 'capability', epoch, { cohort: 'capability' });
    const guest = request.customerId === undefined || request.customerId === '';
    const customerKey = guest ? request.paymentId : (request.customerId as string);
    const rule = cohortRules.length === 0 ? undefined : findCohortRule(cohortRules, request);
    if (rule !== undefined) {
      if (rule.route === 'old' || rule.route === 'new') {
        return route(rule.route === 'old' ? oldProvider : newProvider, `cohort ${rule.name}`, 'cohort', epoch, { cohort: rule.name });
      }
      const split = cohortSplits.get(rule.name) as { hasher: RolloutHasher; reasons: SplitReasons };
      const bucket = split.hasher.bucket(customerKey);
      const inside = bucket < split.reasons.threshold;
      const reason = inside ? (guest ? split.reasons.insideGuest : split.reasons.inside) : guest ? split.reasons.outsideGuest : split.reasons.outside;
      return route(inside ? newProvider : oldProvider, reason, 'cohort', epoch, { cohort: rule.name, bucket });
    }
    const reasons = reasonsForRamp(percent);
    const bucket = providerHasher.bucket(customerKey);
    const inside = bucket < reasons.threshold;
    // The hot path of a ramp: one object, no spreads, no string built.
    return {
      provider: inside ? newProvider : oldProvider,
      reason: inside ? (guest ? reasons.insideGuest : reasons.inside) : guest ? reasons.outsideGuest : reasons.outside,
      kind: 'bucket',
      epoch,
      cohort: 'default',
      bucket,
      experiment: true,
      pinned: false,
    };
  };

  /** A renewal goes where its token lives; `undefined` when the request is not a renewal with a known token. */
  const renewalDecision = (toProvider: string | undefined, request: RoutingRequest, token: TokenLocation | undefined, epoch: number): RoutingDecision | undefined => {
    if (request.isRenewal !== true || token === undefined) return undefined;
    if (token.provider !== fromProvider && token.provider !== toProvider) {
      return route(fromProvider, `subscription renewal: the token lives on '${token.provider}', which is not part of the migration`, 'renewal', epoch, { cohort: 'renewal' });
    }
    return route(token.provider, `subscription renewal: token on ${token.provider}`, 'renewal', epoch, { cohort: 'renewal', storedPaymentMethod: token });
  };

  const killSwitchDecision = (control: RoutingControlState, epoch: number): RoutingDecision => {
    const known = killSwitchDecisions.get(control);
    if (known !== undefined && known.epoch === epoch) return known;
    return killSwitchDecisions.set(
      control,
      shared(route(fromProvider, `kill switch engaged (${control.lastChange.actor}: ${control.lastChange.reason})`, 'kill-switch', epoch, { cohort: 'kill-switch' })),
    );
  };

  const staleDecision = (epoch: number): RoutingDecision => {
    let decision = staleDecisions.get(epoch);
    if (decision === undefined) {
      if (staleDecisions.size >= splitReasonCacheSize) staleDecisions.clear();
      decision = shared(route(fromProvider, migrationSelectionReasons.stale, 'stale-config', epoch));
      staleDecisions.set(epoch, decision);
    }
    return decision;
  };

  /** The decision of a phase that does not depend on the customer, before capabilities and circuits (made once per state). */
  const phaseDecision = (state: MigrationState): RoutingDecision => {
    const known = phaseDecisions.get(state);
    if (known !== undefined) return known;
    switch (state.phase) {
      case 'rolled_back':
        return phaseDecisions.set(state, shared(route(state.fromProvider, migrationSelectionReasons.rolledBack, 'rolled-back', state.epoch)));
      case 'cutover':
      case 'drain':
      case 'done':
        return phaseDecisions.set(state, shared(route(state.toProvider, `phase ${state.phase}`, 'phase', state.epoch)));
      default:
        return phaseDecisions.set(state, shared(route(state.fromProvider, `phase ${state.phase}`, 'phase', state.epoch)));
    }
  };

  const decideRamp = (state: MigrationProviders, percent: number, request: RoutingRequest, token: TokenLocation | undefined, admit: CircuitAdmit): RoutingDecision =>
    renewalDecision(state.toProvider, request, token, state.epoch) ?? withCircuit(rampDecision(state, percent, request), state, request, admit, true);

  const decide = (snapshot: RoutingSnapshot | undefined, staleEpoch: number, request: RoutingRequest, token: TokenLocation | undefined, admit: CircuitAdmit): RoutingDecision => {
    if (snapshot === undefined) return staleDecision(staleEpoch);
    const state = snapshot.migration;
    const epoch = state === undefined ? 0 : state.epoch;
    const control = snapshot.control;
    if (control !== undefined && control.killSwitchEngaged) return killSwitchDecision(control, epoch);
    if (state !== undefined && state.fromProvider !== fromProvider) {
      return route(fromProvider, `${migrationSelectionReasons.stale}: the journaled migration moves away from '${state.fromProvider}', not '${fromProvider}'`, 'stale-config', epoch);
    }
    const renewal = renewalDecision(state?.toProvider, request, token, epoch);
    if (renewal !== undefined) return renewal;
    if (state === undefined) return route(fromProvider, migrationSelectionReasons.notStarted, 'not-started', 0);
    switch (state.phase) {
      case 'prepare':
      case 'shadow':
      case 'rolled_back':
        // Only the old provider takes payments: an open circuit is noted, never failed over.
        return withCircuit(phaseDecision(state), state, request, admit, false);
      case 'cutover':
      case 'drain':
      case 'done': {
        const constraint = capabilityConstraint(state.toProvider, capabilities.get(state.toProvider), request);
        if (constraint !== undefined) return withCircuit(route(state.fromProvider, constraint, 'capability', epoch, { cohort: 'capability' }), state, request, admit, true);
        return withCircuit(phaseDecision(state), state, request, admit, true);
      }
      case 'ramp':
        return withCircuit(rampDecision(state, state.rampPercent, request), state, request, admit, true);
    }
  };

  const answer = (decision: RoutingDecision): Promise<RoutingDecision> => {
    // A split decision is per payment, never shared (the common case, answered without the frozen check).
    if (decision.kind === 'bucket' || !Object.isFrozen(decision)) return Promise.resolve(decision);
    return lastAnswer.get(decision) ?? lastAnswer.set(decision, Promise.resolve(decision));
  };

  return Object.freeze({ decide, decideRamp, route, killSwitchDecision, answer });
}
