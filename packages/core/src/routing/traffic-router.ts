import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { migrationSelectionReasons, type RampSelectionContext, type RampSelector } from '../cutover/migration-provider-selector.js';
import { IdempotencyConflictError, InvalidRequestError, PaymentDeclinedError, ResourceNotFoundError } from '../errors/provider-errors.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { PaymentGatewayCapabilities } from '../ports/payment-gateway/v1/payment-gateway-capabilities.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { PaymentSnapshot } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import type { ProviderSelector } from '../transactions/provider-selector.js';
import type { ProviderCapabilitiesEntry } from './capability-constraints.js';
import { type CohortRule, cohortRulesSchema } from './cohort-rules.js';
import { type CircuitAdmission, type CircuitBreakerSettings, circuitBreakerSettingsSchema, defaultCircuitBreakerSettings, ProviderCircuitBreakers } from './provider-circuit-breakers.js';
import { notRemembered, RecentDecisions } from './recent-decisions.js';
import { observeDecisionCounts, RoutingDecisionCounts } from './routing-decision-counts.js';
import { createRoutingDecisionEngine } from './routing-decision-engine.js';
import { maximumSequenceWindow } from './sequence-index.js';
import { type ComparisonReport, type RoutingOutcomeKind, RouterStatistics, type StatisticsLabels, type StatisticsQuery } from './router-statistics.js';
import { decisionOfAssignment, parseRoutingAssignment, routingAssignmentCollection, type RoutingAssignment, routingAssignmentPut } from './routing-assignments.js';
import { RoutingRequestError } from './routing-errors.js';
import type { RoutingNode, RoutingSnapshot } from './routing-node.js';
import { clockSchema, loggerSchema, meterSchema } from './routing-option-schemas.js';
import type { CustomerAttributes, RoutingDecision, RoutingRequest, TokenLocation, TokenLocator } from './routing-types.js';

/** Options of `createTrafficRouter`. Validated once, at construction. */
export interface TrafficRouterOptions {
  /** The node whose cached configuration the router decides on (and whose journal keeps the assignments). */
  readonly node: RoutingNode;
  /**
   * The old provider: where payments go before the migration starts and whenever the router fails
   * safe (stale configuration, kill switch). A journaled migration away from another provider is
   * treated as a broken configuration (fail safe).
   */
  readonly fromProvider: string;
  /** The providers' declared capabilities (the gateways fit): a currency or brand the new provider does not take stays on the old one. */
  readonly gateways?: readonly ProviderCapabilitiesEntry[] | undefined;
  /** Cohort rules, evaluated in order during the ramp; the first match decides. @default [] (every payment in the default split) */
  readonly cohortRules?: readonly CohortRule[] | undefined;
  /** Finds where a customer's stored token lives: subscription renewals go there. */
  readonly tokenLocator?: TokenLocator | undefined;
  /**
   * Looks up what the TSM does not pass (country, segment, new or returning) for cohort rules.
   * Values in the request win. A failure is logged and treated as "unknown".
   */
  readonly customerAttributes?: ((request: RoutingRequest) => CustomerAttributes | undefined | Promise<CustomerAttributes | undefined>) | undefined;
  /** Per-provider circuit breakers for new authorizations; `false` disables them. @default defaultCircuitBreakerSettings */
  readonly circuitBreaker?: CircuitBreakerSettings | false | undefined;
  /** The statistics the router records into (share one with the guardrail). @default a new RouterStatistics on `clock` */
  readonly statistics?: RouterStatistics | undefined;
  /**
   * Prefix of every bucketing salt: the default split hashes `<salt>:provider:<customer>`, a
   * cohort rule with a percentage `<salt>:cohort-<name>:<customer>`. Changing it re-buckets everybody.
   * @default the node's migration id
   */
  readonly salt?: string | undefined;
  /**
   * How many recent decisions are kept in memory: exactly the last ones, to answer `select` and
   * `decide` again for the same payment id and to attribute outcomes and paid checkouts to their
   * cohort. Memory is bounded by it (a ring that grows to this many slots: about 100 to 150 bytes
   * per decision besides its payment id and merchant reference). At most 2^28. @default 100000
   */
  readonly rememberedDecisions?: number | undefined;
  /** Stamps assignments and statistics. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Receives hook failures and configuration problems. @default createLogger({ name: 'paymigrate.routing' }) */
  readonly logger?: Logger | undefined;
  /** Records the `paymigrate.routing.*` instruments. @default defaultMeter() */
  readonly meter?: Meter | undefined;
}

/** An authorization outcome to attribute to its routing decision. */
export interface RoutingOutcomeInput {
  /** The payment (or give `merchantReference`). */
  readonly paymentId?: string | undefined;
  /** The merchant reference sent to the provider (how the instrumented gateway finds the payment). */
  readonly merchantReference?: string | undefined;
  /** The provider that was called. */
  readonly provider: string;
  /** What happened. */
  readonly outcome: RoutingOutcomeKind;
  /** Canonical decline reason of a decline. */
  readonly declineReason?: string | undefined;
  /** Error code of an error (metrics attribute). */
  readonly errorCode?: string | undefined;
  /** Call latency, milliseconds. */
  readonly latencyMs?: number | undefined;
  /**
   * Whether an error says something about the provider's health (unavailable, timeout, 5xx, rate
   * limit, unknown outcome, authentication) and counts for its circuit; a request we got wrong does not.
   * @default true
   */
  readonly countsForCircuit?: boolean | undefined;
}

/** A routing assignment decided by the caller (a split-cart leg). */
export interface PinAssignmentInput {
  /** The payment id the TSM will authorize. */
  readonly paymentId: string;
  /** The provider it must go to. */
  readonly provider: string;
  /** Why (kept on the payment). */
  readonly reason: string;
  /** Cohort for statistics. @default 'assigned' */
  readonly cohort?: string | undefined;
}

/**
 * The A/B traffic router of a provider migration. It is the Transaction State Manager's
 * `ProviderSelector` (asked once per NEW payment; follow-ups never ask), and offers the cutover
 * selector's `rampSelector` hook for setups that route through `createMigrationProviderSelector`.
 */
export interface TrafficRouter extends ProviderSelector {
  /** The node the router decides on. */
  readonly node: RoutingNode;
  /** The statistics it records into. */
  readonly statistics: RouterStatistics;
  /** The circuit breakers (`undefined` when disabled). */
  readonly circuitBreakers: ProviderCircuitBreakers | undefined;

  /**
   * Picks the provider of a NEW payment: runs the hooks (customer attributes; the token locator for
   * a renewal), then decides like `decide`. A second call for the same payment id in this process
   * returns the first decision (`pinned: true`) whatever the routing says now, so a caller that asks
   * before the TSM (to pick the card of that provider) and the TSM agree (the last
   * `rememberedDecisions` decisions are kept). With a fresh cached configuration and no hook to
   * run, the promise is already resolved when it is returned (for a shared, frozen decision, the
   * same settled promise again). Order of the rules: stale configuration or kill switch -> old
   * provider; a renewal -> the provider holding the customer's token; the migration phase
   * (prepare, shadow, rolled back -> old; cutover, drain, done -> new); during the ramp: capability
   * constraints, then the first matching cohort rule, then the default monotone split; finally the
   * circuit breakers (an open circuit sends the payment to the other provider when that one takes
   * payments in the phase).
   *
   * Nothing is written: the durable pin is the Transaction State Manager's, which journals the
   * payment with its provider together with the intent (compare-and-set on absence) before any
   * provider call, and never asks again for that payment. Use `pin` for a decision made elsewhere.
   *
   * @throws RoutingRequestError when `paymentId` is missing.
   */
  select(request: RoutingRequest): Promise<RoutingDecision>;

  /**
   * `select` without the hooks, synchronously: the decision on the node's cached configuration
   * (an earlier decision for the same payment id in this process wins, while it is among the last
   * `rememberedDecisions`), counted in the statistics and the `paymigrate.routing.decisions`
   * observable counter, and remembered; a due circuit trial is taken. Nothing is written to the
   * journal. The hot path allocates the answer only (a phase, kill switch or fail-safe answer is
   * shared by every payment that gets it, frozen).
   *
   * @throws RoutingRequestError when `paymentId` is missing.
   */
  decide(request: RoutingRequest): RoutingDecision;

  /**
   * The decision `select` would make now, from the request alone: nothing is written or counted,
   * the hooks (customer attributes, token locator) are not called and no circuit trial is taken.
   */
  preview(request: RoutingRequest): RoutingDecision;

  /**
   * The cutover selector's ramp hook: the ramp decision for `percent` (kill switch, renewal,
   * capabilities, cohorts, split, circuit breakers), counted in the statistics but not recorded as
   * an assignment (the cutover selector is then the TSM's selector; pinning is the TSM's).
   */
  readonly rampSelector: RampSelector<RoutingRequest>;

  /** The assignment `pin` recorded for a payment, when there is one (`select` records none). */
  assignment(paymentId: string): Promise<RoutingAssignment | undefined>;

  /**
   * Records an assignment decided by the caller (a split-cart leg restricted to a provider) durably
   * (journal collection `routing-assignments`, compare-and-set on absence) and in this process, so
   * the TSM's `select` for that payment id here returns it. The assignment recorded first wins.
   * @throws RoutingRequestError on an empty field.
   */
  pin(input: PinAssignmentInput): Promise<RoutingDecision>;

  /** Attributes an authorization outcome to its decision: statistics, metrics and the provider's circuit. */
  recordOutcome(input: RoutingOutcomeInput): Promise<void>;

  /** Counts a checkout that ended paid (conversion); false when the payment's decision is not remembered. */
  recordPaid(paymentId: string): boolean;

  /**
   * Wraps a gateway so every authorization and stored-method charge is measured and attributed
   * (`recordOutcome`); every other call passes through untouched. Give the TSM the wrapped gateways.
   */
  instrumentGateway(gateway: PaymentGatewayV1): PaymentGatewayV1;

  /** Rates per provider and cohort with confidence intervals, against the old provider. */
  comparisonReport(options?: StatisticsQuery & { readonly confidenceLevel?: number | undefined }): ComparisonReport;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

const optionsSchema = z.object({
  node: z
    .custom<RoutingNode>((value) => isObject(value) && typeof Reflect.get(value, 'ensureView') === 'function' && isObject(Reflect.get(value, 'journal')), {
      message: 'must be a RoutingNode',
    })
    .meta({ fix: 'pass createRoutingNode({ journal, broadcast })' }),
  fromProvider: z.string().min(1).meta({ fix: "pass the current (old) provider's name, e.g. 'stripe'" }),
  gateways: z
    .array(
      z.custom<ProviderCapabilitiesEntry>((value) => isObject(value) && typeof Reflect.get(value, 'provider') === 'string' && isObject(Reflect.get(value, 'capabilities')), {
        message: 'must have provider and capabilities',
      }),
    )
    .optional(),
  cohortRules: cohortRulesSchema.default([]),
  tokenLocator: z.custom<TokenLocator>((value) => isObject(value) && typeof Reflect.get(value, 'locate') === 'function', { message: 'must have locate(customerId)' }).optional(),
  customerAttributes: z.custom<(request: RoutingRequest) => CustomerAttributes | undefined>((value) => typeof value === 'function', { message: 'must be a function' }).optional(),
  circuitBreaker: z.union([z.literal(false), circuitBreakerSettingsSchema]).optional(),
  statistics: z
    .custom<RouterStatistics>((value) => isObject(value) && typeof Reflect.get(value, 'recordAssignment') === 'function' && typeof Reflect.get(value, 'labels') === 'function' && typeof Reflect.get(value, 'experimentArms') === 'function', {
      message: 'must be a RouterStatistics',
    })
    .optional(),
  salt: z.string().min(1).optional(),
  rememberedDecisions: z.number().int().min(1).max(maximumSequenceWindow).default(100_000),
  clock: clockSchema.optional(),
  logger: loggerSchema.optional(),
  meter: meterSchema.optional(),
});

/** The instruments the router records on. */
interface RouterInstruments {
  readonly attempts: Counter;
  readonly authorizations: Counter;
  readonly declines: Counter;
  readonly errors: Counter;
  readonly requiresAction: Counter;
  readonly latency: Histogram;
  readonly paid: Counter;
  readonly circuitTransitions: Counter;
}

/** Classifies an error thrown by an authorization call. */
function classifyAuthorizationError(error: unknown): Pick<RoutingOutcomeInput, 'outcome' | 'declineReason' | 'errorCode' | 'countsForCircuit'> {
  if (PaymentDeclinedError.isInstance(error)) return { outcome: 'declined', declineReason: error.declineReason };
  const code = isObject(error) && typeof Reflect.get(error, 'code') === 'string' ? (Reflect.get(error, 'code') as string) : 'UNEXPECTED';
  const ours = InvalidRequestError.isInstance(error) || IdempotencyConflictError.isInstance(error) || ResourceNotFoundError.isInstance(error);
  return { outcome: 'error', errorCode: code, countsForCircuit: !ours };
}

/** The outcome an authorization snapshot stands for. */
function outcomeOfSnapshot(snapshot: PaymentSnapshot): Pick<RoutingOutcomeInput, 'outcome' | 'declineReason' | 'errorCode' | 'countsForCircuit'> {
  switch (snapshot.state) {
    case 'authorized':
    case 'captured':
    case 'partially_captured':
      return { outcome: 'authorized' };
    case 'failed':
      return { outcome: 'declined', declineReason: snapshot.declineReason };
    case 'requires_action':
      return { outcome: 'requires_action' };
    default:
      return { outcome: 'error', errorCode: `STATE_${snapshot.state.toUpperCase()}`, countsForCircuit: false };
  }
}

/**
 * Creates the traffic router.
 *
 * @throws ConfigurationError when an option is missing or invalid (cohort rules included).
 * @example
 * const node = createRoutingNode({ journal, broadcast });
 * await node.start();
 * const router = createTrafficRouter({ node, fromProvider: 'stripe', gateways: [stripe, adyen], cohortRules });
 * const tsm = createTransactionStateManager({ journal, gateways: [stripe, adyen].map(router.instrumentGateway), selectProvider: router });
 */
export function createTrafficRouter(options: TrafficRouterOptions): TrafficRouter {
  const parsed = parseOptions(optionsSchema, options, { component: 'trafficRouter' });
  const { node, fromProvider, rememberedDecisions } = parsed;
  const cohortRules: readonly CohortRule[] = parsed.cohortRules;
  const tokenLocator = options.tokenLocator;
  const customerAttributes = options.customerAttributes;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.routing' });
  const statistics = parsed.statistics ?? new RouterStatistics({ clock });
  const salt = parsed.salt ?? node.migrationId;
    const capabilities = new Map<string, PaymentGatewayCapabilities>((parsed.gateways ?? []).map((entry) => [entry.provider, entry.capabilities]));
  const meter = parsed.meter ?? defaultMeter();
  const instruments: RouterInstruments = {
    attempts: meter.createCounter('paymigrate.routing.attempts', { description: 'Authorization calls with an answer, by provider and cohort.' }),
    authorizations: meter.createCounter('paymigrate.routing.authorizations', { description: 'Authorized calls, by provider and cohort.' }),
    declines: meter.createCounter('paymigrate.routing.declines', { description: 'Declined calls, by provider, cohort and canonical reason.' }),
    errors: meter.createCounter('paymigrate.routing.errors', { description: 'Failed calls, by provider, cohort and error code.' }),
    requiresAction: meter.createCounter('paymigrate.routing.requires_action', { description: 'Calls answered with a customer step (3-D Secure), by provider and cohort.' }),
    latency: meter.createHistogram('paymigrate.routing.authorization.duration', { description: 'Authorization call latency, by provider, cohort and outcome.', unit: 'ms' }),
    paid: meter.createCounter('paymigrate.routing.paid', {
      description: 'Checkouts that ended paid, by provider and cohort: conversion = paid / decisions.',
    }),
    circuitTransitions: meter.createCounter('paymigrate.routing.circuit.transitions', { description: 'Circuit breaker state changes, by provider and state.' }),
  };
  const circuitSettings = parsed.circuitBreaker === undefined ? defaultCircuitBreakerSettings : parsed.circuitBreaker;
  const circuitBreakers =
    circuitSettings === false
      ? undefined
      : new ProviderCircuitBreakers(circuitSettings, (provider, state) => {
          instruments.circuitTransitions.add(1, { provider, state });
          logger.warn({ provider, state }, `circuit of ${provider} is ${state}`);
        });

  // Every clock read costs (Date.now() answers a fresh heap number): when the node and the
  // statistics age and stamp on the same clock, a decision reads it once for both.
  const sharedClock = node.clock !== undefined && node.clock === statistics.clock ? node.clock : undefined;

  const remembered = new RecentDecisions(rememberedDecisions);
  // Decisions are counted in plain tallies; the meter's `paymigrate.routing.decisions` observable
  // counter reads them at collection time.
  const decisionCounts = new RoutingDecisionCounts(statistics);
  observeDecisionCounts(meter, decisionCounts);

  const admitForSelect = (provider: string): CircuitAdmission => circuitBreakers?.admit(provider) ?? 'closed';
  const admitForPreview = (provider: string): CircuitAdmission => (circuitBreakers === undefined || circuitBreakers.state(provider) === 'closed' ? 'closed' : 'refused');
  const circuitsClosed = (first: string, second: string): boolean =>
    circuitBreakers === undefined || (circuitBreakers.state(first) === 'closed' && circuitBreakers.state(second) === 'closed');

  const engine = createRoutingDecisionEngine({ fromProvider, capabilities, cohortRules, salt, circuitsClosed });

  const requirePaymentId = (request: RoutingRequest): void => {
    if (!isObject(request) || typeof request.paymentId !== 'string' || request.paymentId === '') {
      throw new RoutingRequestError({ field: 'paymentId', problem: 'must be a non-empty string (the payment the decision is pinned to)' });
    }
  };

  /** The request with the hook's customer attributes filled in where the request has none. */
  const withAttributes = async (request: RoutingRequest): Promise<RoutingRequest> => {
    if (customerAttributes === undefined) return request;
    let attributes: CustomerAttributes | undefined;
    try {
      attributes = await customerAttributes(request);
    } catch (error) {
      logger.warn({ paymentId: request.paymentId, error: error instanceof Error ? error.message : String(error) }, 'customer attributes lookup failed; routing without them');
      return request;
    }
    if (attributes === undefined) return request;
    return {
      ...request,
      country: request.country ?? attributes.country,
      customerSegment: request.customerSegment ?? attributes.customerSegment,
      returningCustomer: request.returningCustomer ?? attributes.returningCustomer,
    };
  };

  const locateToken = async (request: RoutingRequest): Promise<TokenLocation | undefined> => {
    if (request.isRenewal !== true || tokenLocator === undefined || request.customerId === undefined || request.customerId === '') return undefined;
    try {
      return await tokenLocator.locate(request.customerId);
    } catch (error) {
      logger.warn({ paymentId: request.paymentId, error: error instanceof Error ? error.message : String(error) }, 'token lookup failed; routing the renewal like a new payment');
      return undefined;
    }
  };

  /**
   * Counts a decision (its tally, read by the observable counter; the statistics row) and remembers
   * it for this payment id (the in-process pin `decide` answers again). Allocates nothing once the
   * decision's provider, cohort, kind and epoch were seen. `now`: the statistics clock's time, when
   * the caller read it already.
   */
  const countDecision = (paymentId: string, merchantReference: string | undefined, decision: RoutingDecision, now?: number): void => {
    const tally = decisionCounts.count(decision);
    statistics.recordAssignment(tally.labels, now);
    remembered.remember(paymentId, merchantReference, decision, tally.labels, tally);
  };

  /** The decision made earlier in this process for `paymentId` (`pinned: true`), if it is still remembered. */
  const earlierDecision = (paymentId: string): RoutingDecision | undefined => {
    const slot = remembered.find(paymentId);
    return slot === notRemembered ? undefined : remembered.pinnedDecisionAt(slot);
  };

  const readAssignment = async (paymentId: string): Promise<RoutingAssignment | undefined> => {
    const record = await node.journal.get(routingAssignmentCollection, paymentId);
    return record === undefined ? undefined : parseRoutingAssignment(record);
  };

  /** Writes the assignment unless one exists; returns the decision that holds (the existing one wins). */
  const record = async (assignment: RoutingAssignment, decision: RoutingDecision): Promise<{ decision: RoutingDecision; recorded: boolean }> => {
    try {
      await node.journal.write({ puts: [routingAssignmentPut(assignment)] });
      return { decision, recorded: true };
    } catch (error) {
      if (!VersionConflictError.isInstance(error)) throw error;
      const existing = (await readAssignment(assignment.paymentId)) as RoutingAssignment;
      return { decision: decisionOfAssignment(existing), recorded: false };
    }
  };

  const assignmentOf = (paymentId: string, decision: RoutingDecision): RoutingAssignment => ({
    paymentId,
    provider: decision.provider,
    reason: decision.reason,
    kind: decision.kind,
    epoch: decision.epoch,
    cohort: decision.cohort,
    bucket: decision.bucket,
    experiment: decision.experiment,
    decidedAt: clock.now(),
    nodeId: node.nodeId,
  });

  /**
   * The decision on `snapshot`, the node's fresh snapshot (`node.freshSnapshot()`, read once by
   * the caller: every read of the clock allocates), else the fail-safe with the last epoch seen.
   */
  const decideOn = (snapshot: RoutingSnapshot | undefined, request: RoutingRequest, token: TokenLocation | undefined, admit: (provider: string) => CircuitAdmission): RoutingDecision => {
    const staleEpoch = snapshot === undefined ? (node.view().snapshot?.migration?.epoch ?? 0) : 0;
    return engine.decide(snapshot, staleEpoch, request, token, admit);
  };

  /**
   * A new decision for a request whose hooks have run, on `snapshot` (the node's fresh one),
   * counted and remembered. `now`: the shared clock's time the snapshot was judged fresh at, if read.
   */
  const decideAndRemember = (request: RoutingRequest, token: TokenLocation | undefined, snapshot: RoutingSnapshot | undefined, now?: number): RoutingDecision => {
    const decision = decideOn(snapshot, request, token, admitForSelect);
    countDecision(request.paymentId, request.merchantReference, decision, now);
    return decision;
  };

  const decide = (request: RoutingRequest): RoutingDecision => {
    requirePaymentId(request);
    const earlier = earlierDecision(request.paymentId);
    if (earlier !== undefined) return earlier;
    const now = sharedClock?.now();
    return decideAndRemember(request, undefined, node.freshSnapshot(now), now);
  };

  /** `select` once the configuration or a hook has to be awaited. */
  const selectAfterHooks = async (request: RoutingRequest): Promise<RoutingDecision> => {
    if (node.view().snapshot === undefined) await node.ensureView();
    const enriched = customerAttributes === undefined ? request : await withAttributes(request);
    const token = request.isRenewal === true && tokenLocator !== undefined ? await locateToken(enriched) : undefined;
    // A concurrent call for the same payment may have decided while the hooks ran: its decision holds.
    return earlierDecision(request.paymentId) ?? decideAndRemember(enriched, token, node.freshSnapshot());
  };

  const select = (request: RoutingRequest): Promise<RoutingDecision> => {
    // Not an async function: the common case (a fresh cached configuration, no hooks) decides
    // synchronously and answers an already resolved promise, without an async frame. Every
    // failure still comes back as a rejected promise.
    try {
      requirePaymentId(request);
      const earlier = earlierDecision(request.paymentId);
      if (earlier !== undefined) return Promise.resolve(earlier);
      const hooksToRun = customerAttributes !== undefined || (request.isRenewal === true && tokenLocator !== undefined);
      const now = hooksToRun ? undefined : sharedClock?.now();
      const snapshot = hooksToRun ? undefined : node.freshSnapshot(now);
      if (snapshot === undefined) return selectAfterHooks(request);
      // A shared decision (a phase's) comes with its shared settled promise.
      return engine.answer(decideAndRemember(request, undefined, snapshot, now));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  };

  const preview = (request: RoutingRequest): RoutingDecision => {
    requirePaymentId(request);
    return decideOn(node.freshSnapshot(), request, undefined, admitForPreview);
  };

  const rampSelector: RampSelector<RoutingRequest> = async (request: RoutingRequest, percent: number, context: RampSelectionContext) => {
    requirePaymentId(request);
    const view = await node.ensureView();
    const enriched = await withAttributes(request);
    const token = await locateToken(enriched);
    const control = view.snapshot?.control;
    let decision: RoutingDecision;
    if (view.stale) {
      decision = engine.route(context.fromProvider, migrationSelectionReasons.stale, 'stale-config', context.epoch);
    } else if (control?.killSwitchEngaged === true) {
      decision = engine.killSwitchDecision(control, context.epoch);
    } else {
      decision = engine.decideRamp({ fromProvider: context.fromProvider, toProvider: context.toProvider, epoch: context.epoch }, percent, enriched, token, admitForSelect);
    }
    countDecision(request.paymentId, request.merchantReference, decision);
    return { provider: decision.provider, reason: decision.reason };
  };

  const pin = async (input: PinAssignmentInput): Promise<RoutingDecision> => {
    for (const field of ['paymentId', 'provider', 'reason'] as const) {
      if (typeof input[field] !== 'string' || input[field] === '') throw new RoutingRequestError({ field, problem: 'must be a non-empty string' });
    }
    const view = node.view();
    const decision = engine.route(input.provider, input.reason, 'assigned', view.snapshot?.migration?.epoch ?? 0, { cohort: input.cohort ?? 'assigned' });
    const recorded = await record(assignmentOf(input.paymentId, decision), decision);
    if (recorded.recorded) countDecision(input.paymentId, undefined, decision);
    else remembered.remember(input.paymentId, undefined, recorded.decision, rememberedLabels(input.paymentId, recorded.decision));
    return recorded.decision;
  };

  /** The labels an already counted decision keeps (the ones remembered, else the decision's own). */
  const rememberedLabels = (paymentId: string, decision: RoutingDecision): StatisticsLabels => {
    const slot = remembered.find(paymentId);
    return slot === notRemembered ? { provider: decision.provider, cohort: decision.cohort, epoch: decision.epoch, experiment: decision.experiment } : remembered.labelsAt(slot);
  };

  /** The slot of the remembered decision an outcome belongs to (by payment id, else merchant reference). */
  const slotOfOutcome = (input: RoutingOutcomeInput): number => {
    if (input.paymentId !== undefined) return remembered.find(input.paymentId);
    return input.merchantReference === undefined ? notRemembered : remembered.findByMerchantReference(input.merchantReference);
  };

  const labelsOf = (input: RoutingOutcomeInput): StatisticsLabels => {
    const slot = slotOfOutcome(input);
    if (slot === notRemembered) return { provider: input.provider, cohort: 'unattributed', epoch: 0, experiment: false };
    const labels = remembered.labelsAt(slot);
    // An outcome on another provider than decided (should not happen) is kept out of the experiment.
    return labels.provider === input.provider ? labels : { ...labels, provider: input.provider, experiment: false };
  };

  const recordOutcome = async (input: RoutingOutcomeInput): Promise<void> => {
    const labels = labelsOf(input);
    statistics.recordOutcome({ ...labels, outcome: input.outcome, declineReason: input.declineReason, latencyMs: input.latencyMs });
    const attributes = { provider: labels.provider, cohort: labels.cohort };
    switch (input.outcome) {
      case 'authorized':
        instruments.attempts.add(1, attributes);
        instruments.authorizations.add(1, attributes);
        break;
      case 'declined':
        instruments.attempts.add(1, attributes);
        instruments.declines.add(1, { ...attributes, reason: input.declineReason ?? 'unspecified' });
        break;
      case 'error':
        instruments.attempts.add(1, attributes);
        instruments.errors.add(1, { ...attributes, code: input.errorCode ?? 'UNSPECIFIED' });
        break;
      case 'requires_action':
        instruments.requiresAction.add(1, attributes);
        break;
    }
    if (input.latencyMs !== undefined) instruments.latency.record(input.latencyMs, { ...attributes, outcome: input.outcome });
    if (circuitBreakers === undefined) return;
    if (input.outcome !== 'error') await circuitBreakers.recordSuccess(input.provider);
    else if (input.countsForCircuit ?? true) await circuitBreakers.recordFailure(input.provider, input.errorCode ?? 'UNSPECIFIED');
  };

  const recordPaid = (paymentId: string): boolean => {
    const slot = remembered.find(paymentId);
    if (slot === notRemembered) return false;
    const labels = remembered.labelsAt(slot);
    statistics.recordPaid(labels);
    instruments.paid.add(1, { provider: labels.provider, cohort: labels.cohort });
    return true;
  };

  const observe = async (provider: string, merchantReference: string, call: () => Promise<PaymentSnapshot>): Promise<PaymentSnapshot> => {
    const started = performance.now();
    let snapshot: PaymentSnapshot;
    try {
      snapshot = await call();
    } catch (error) {
      await recordOutcome({ provider, merchantReference, latencyMs: performance.now() - started, ...classifyAuthorizationError(error) });
      throw error;
    }
    await recordOutcome({ provider, merchantReference, latencyMs: performance.now() - started, ...outcomeOfSnapshot(snapshot) });
    return snapshot;
  };

  const instrumentGateway = (gateway: PaymentGatewayV1): PaymentGatewayV1 => {
    const instrumented: PaymentGatewayV1 = {
      specificationVersion: 'v1',
      provider: gateway.provider,
      capabilities: gateway.capabilities,
      authorize: (input, callOptions) => observe(gateway.provider, input.merchantReference, () => gateway.authorize(input, callOptions)),
      chargeStoredPaymentMethod: (input, callOptions) =>
        observe(gateway.provider, input.merchantReference, () => gateway.chargeStoredPaymentMethod(input, callOptions)),
      capture: (input, callOptions) => gateway.capture(input, callOptions),
      refund: (input, callOptions) => gateway.refund(input, callOptions),
      cancel: (input, callOptions) => gateway.cancel(input, callOptions),
      retrieve: (input, callOptions) => gateway.retrieve(input, callOptions),
      findByMerchantReference: (input, callOptions) => gateway.findByMerchantReference(input, callOptions),
      listStoredPaymentMethods: (input, callOptions) => gateway.listStoredPaymentMethods(input, callOptions),
      verifyWebhook: (request, callOptions) => gateway.verifyWebhook(request, callOptions),
    };
    const cancelByMerchantReference = gateway.cancelByMerchantReference;
    if (cancelByMerchantReference !== undefined) {
      return Object.freeze({ ...instrumented, cancelByMerchantReference: cancelByMerchantReference.bind(gateway) });
    }
    return Object.freeze(instrumented);
  };

  const comparisonReport = (query: StatisticsQuery & { readonly confidenceLevel?: number | undefined } = {}): ComparisonReport =>
    statistics.comparisonReport({ ...query, controlProvider: fromProvider });

  return Object.freeze({
    node,
    statistics,
    circuitBreakers,
    select,
    decide,
    preview,
    rampSelector,
    assignment: readAssignment,
    pin,
    recordOutcome,
    recordPaid,
    instrumentGateway,
    comparisonReport,
  });
}
