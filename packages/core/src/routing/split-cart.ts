import { VersionConflictError } from '../errors/version-conflict-error.js';
import { Money, type MoneyJson } from '../money/money.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { CardBrand } from '../ports/shared/v1/card.js';
import { capabilityConstraint, type ProviderCapabilitiesEntry } from './capability-constraints.js';
import { SplitCartError } from './routing-errors.js';

/** One line of a cart. */
export interface SplitCartLine {
  /** Unique within the cart. */
  readonly lineId: string;
  /** What the line costs. */
  readonly amount: Money;
  /** The only provider that may take this line (a marketplace seller's own account, a regulated good). */
  readonly provider?: string | undefined;
  /** The merchant of record selling the line: each merchant of record is charged in legs of its own. */
  readonly merchantOfRecord?: string | undefined;
}

/** What `planSplitCart` needs. */
export interface SplitCartPlanInput {
  /** The cart: 1-30 characters of `A-Z a-z 0-9 _ -` (leg payment ids are `<cartId>-<n>`). */
  readonly cartId: string;
  /** The lines; at least one. */
  readonly lines: readonly SplitCartLine[];
  /** Where unrestricted lines go: the router's decision for this customer. */
  readonly defaultProvider: string;
  /** Every provider a leg may go to, with its capabilities (the gateways fit). */
  readonly providers: readonly ProviderCapabilitiesEntry[];
  /** The card's brand, when known: a provider that does not take it takes no leg. */
  readonly cardBrand?: CardBrand | undefined;
  /** A merchant of record that contracts with one provider only: its lines go there. */
  readonly merchantOfRecordProviders?: Readonly<Record<string, string>> | undefined;
}

/** One payment of a split cart: the lines one provider takes, in one currency, for one merchant of record. */
export interface SplitPaymentLeg {
  /** The leg's payment id (`<cartId>-<n>`), used with the Transaction State Manager. */
  readonly legId: string;
  /** The provider. */
  readonly provider: string;
  /** The sum of its lines. */
  readonly amount: Money;
  /** Its lines, in cart order. */
  readonly lineIds: readonly string[];
  /** Its merchant of record, when lines named one. */
  readonly merchantOfRecord: string | undefined;
  /** Why this provider. */
  readonly reason: string;
}

/** The legs of a cart. */
export interface SplitCartPlan {
  /** The cart. */
  readonly cartId: string;
  /** The legs, in the order of their first line. */
  readonly legs: readonly SplitPaymentLeg[];
}

const cartIdPattern = /^[A-Za-z0-9_-]{1,30}$/;

/** The most legs a cart may split into (leg ids end in `-1` .. `-99`). */
const maximumLegs = 99;

/** Where one line may go and why. */
function placeLine(input: SplitCartPlanInput, line: SplitCartLine, known: ReadonlyMap<string, ProviderCapabilitiesEntry>): { provider: string; reason: string } {
  const payment = { currency: line.amount.currency, cardBrand: input.cardBrand };
  const mapped = line.merchantOfRecord === undefined ? undefined : input.merchantOfRecordProviders?.[line.merchantOfRecord];
  const restriction =
    line.provider !== undefined
      ? { provider: line.provider, why: `line restricted to ${line.provider}` }
      : mapped !== undefined
        ? { provider: mapped, why: `merchant of record ${line.merchantOfRecord as string} contracts with ${mapped}` }
        : undefined;
  if (restriction !== undefined) {
    if (line.provider !== undefined && mapped !== undefined && mapped !== line.provider) {
      throw new SplitCartError({ cartId: input.cartId, lineId: line.lineId, problem: `it is restricted to ${line.provider} but its merchant of record contracts with ${mapped}` });
    }
    const entry = known.get(restriction.provider);
    if (entry === undefined) throw new SplitCartError({ cartId: input.cartId, lineId: line.lineId, problem: `${restriction.why}, which is not among the providers` });
    const constraint = capabilityConstraint(entry.provider, entry.capabilities, payment);
    if (constraint !== undefined) throw new SplitCartError({ cartId: input.cartId, lineId: line.lineId, problem: `${restriction.why}, but ${constraint}` });
    return { provider: restriction.provider, reason: restriction.why };
  }
  const defaultEntry = known.get(input.defaultProvider);
  const defaultConstraint =
    defaultEntry === undefined ? `${input.defaultProvider} is not among the providers` : capabilityConstraint(defaultEntry.provider, defaultEntry.capabilities, payment);
  if (defaultConstraint === undefined) return { provider: input.defaultProvider, reason: 'default provider' };
  for (const entry of input.providers) {
    if (entry.provider !== input.defaultProvider && capabilityConstraint(entry.provider, entry.capabilities, payment) === undefined) {
      return { provider: entry.provider, reason: `${defaultConstraint}: moved to ${entry.provider}` };
    }
  }
  throw new SplitCartError({ cartId: input.cartId, lineId: line.lineId, problem: `no provider can take it (${defaultConstraint}; no other provider accepts ${payment.currency})` });
}

/**
 * Splits a cart into payment legs: each line goes to the provider it is restricted to (by the line
 * itself or by its merchant of record), else to `defaultProvider`, else to the first other
 * provider that accepts its currency and the card's brand. Lines with the same provider, currency
 * and merchant of record form one leg.
 *
 * @throws SplitCartError for an invalid cart id, an empty cart, a duplicate line id, a non-positive
 *   amount, a line no provider can take, or more than 99 legs.
 */
export function planSplitCart(input: SplitCartPlanInput): SplitCartPlan {
  const cartId = typeof input.cartId === 'string' ? input.cartId : String(input.cartId);
  if (!cartIdPattern.test(cartId)) throw new SplitCartError({ cartId, problem: 'the cart id must be 1-30 characters of A-Z, a-z, 0-9, _ and -' });
  if (input.lines.length === 0) throw new SplitCartError({ cartId, problem: 'the cart has no line' });
  const known = new Map(input.providers.map((entry) => [entry.provider, entry]));
  const seen = new Set<string>();
  const groups = new Map<string, { provider: string; amount: Money; lineIds: string[]; merchantOfRecord: string | undefined; reasons: Set<string> }>();
  for (const line of input.lines) {
    if (seen.has(line.lineId)) throw new SplitCartError({ cartId, lineId: line.lineId, problem: 'the line id appears twice' });
    seen.add(line.lineId);
    if (!Money.isInstance(line.amount) || !line.amount.isPositive()) throw new SplitCartError({ cartId, lineId: line.lineId, problem: 'the amount must be a positive Money' });
    const placed = placeLine(input, line, known);
    const key = JSON.stringify([placed.provider, line.amount.currency, line.merchantOfRecord ?? null]);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, { provider: placed.provider, amount: line.amount, lineIds: [line.lineId], merchantOfRecord: line.merchantOfRecord, reasons: new Set([placed.reason]) });
    } else {
      group.amount = group.amount.add(line.amount);
      group.lineIds.push(line.lineId);
      group.reasons.add(placed.reason);
    }
  }
  if (groups.size > maximumLegs) throw new SplitCartError({ cartId, problem: `the cart splits into ${groups.size} legs; at most ${maximumLegs} are supported` });
  const legs = [...groups.values()].map((group, index) => ({
    legId: `${cartId}-${index + 1}`,
    provider: group.provider,
    amount: group.amount,
    lineIds: group.lineIds,
    merchantOfRecord: group.merchantOfRecord,
    reason: [...group.reasons].join('; '),
  }));
  return { cartId, legs };
}

/** What one leg operation ended with: `unknown` when the executor could not tell (treated as "may have happened"). */
export type SplitLegOperationStatus = 'succeeded' | 'failed' | 'unknown';

/** The result of one leg operation. */
export interface SplitLegOperationResult {
  /** How it ended. */
  readonly status: SplitLegOperationStatus;
  /** Details for operators (a decline reason, an error message). */
  readonly detail?: string | undefined;
}

/**
 * Runs the operations of split-payment legs: the Transaction State Manager
 * (`createTransactionSplitExecutor`) or a fake in tests. A throw counts as `unknown`.
 */
export interface SplitPaymentExecutor {
  /** Authorizes the leg's amount on its provider. */
  authorize(leg: SplitPaymentLeg): Promise<SplitLegOperationResult>;
  /** Captures the leg's whole authorization. */
  capture(leg: SplitPaymentLeg): Promise<SplitLegOperationResult>;
  /** Voids the leg's authorization. */
  cancel(leg: SplitPaymentLeg): Promise<SplitLegOperationResult>;
  /** Refunds the leg's captured amount. */
  refund(leg: SplitPaymentLeg): Promise<SplitLegOperationResult>;
}

/** A leg operation. */
export type SplitLegOperation = 'authorize' | 'capture' | 'cancel' | 'refund';

/** Everything that happened to one leg. */
export interface SplitLegOutcome {
  /** The leg. */
  readonly leg: SplitPaymentLeg;
  /** Its authorization, when attempted. */
  readonly authorize: SplitLegOperationResult | undefined;
  /** Its capture, when attempted. */
  readonly capture: SplitLegOperationResult | undefined;
  /** Its compensation (a void, or a refund of a captured leg), when one ran. */
  readonly compensation: { readonly operation: 'cancel' | 'refund'; readonly result: SplitLegOperationResult } | undefined;
}

/** What `executeSplitPayment` did. */
export interface SplitPaymentResult {
  /** The cart. */
  readonly cartId: string;
  /**
   * `captured`: every leg authorized and captured. `authorization_failed`: a leg was not authorized,
   * every authorization was voided. `capture_failed`: a capture failed, every captured leg was
   * refunded and every other authorization voided.
   */
  readonly status: 'captured' | 'authorization_failed' | 'capture_failed';
  /** True when a compensation did not succeed: money may be held or taken; see the journal record. */
  readonly requiresAttention: boolean;
  /** Per leg, in plan order. */
  readonly legs: readonly SplitLegOutcome[];
}

/** Journal collection of split payments (key: cart id), with every step. */
export const splitPaymentCollection = 'split-payments';

/** One journaled step of a split payment. */
export interface SplitPaymentStep {
  /** The leg. */
  readonly legId: string;
  /** The operation. */
  readonly operation: SplitLegOperation;
  /** Whether it was a compensation. */
  readonly compensation: boolean;
  /** How it ended. */
  readonly status: SplitLegOperationStatus;
  /** Details. */
  readonly detail: string | undefined;
  /** When it ended, epoch milliseconds. */
  readonly at: number;
}

/** The journaled record of a split payment. */
export interface SplitPaymentRecord {
  /** The cart. */
  readonly cartId: string;
  /** `authorizing`, `capturing`, `compensating`, then the final status of `SplitPaymentResult` (`requires_attention` when a compensation failed). */
  readonly status: 'authorizing' | 'capturing' | 'compensating' | 'captured' | 'authorization_failed' | 'capture_failed' | 'requires_attention';
  /** The legs as planned. */
  readonly legs: ReadonlyArray<{ readonly legId: string; readonly provider: string; readonly amount: MoneyJson; readonly lineIds: readonly string[] }>;
  /** Every step, in order. */
  readonly steps: readonly SplitPaymentStep[];
  /** When it last changed, epoch milliseconds. */
  readonly updatedAt: number;
}

/** Options of `executeSplitPayment`. */
export interface SplitPaymentOptions {
  /** Where every step is journaled (collection `split-payments`). */
  readonly journal: JournalV1;
  /** Stamps steps. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Receives compensations and failures. @default createLogger({ name: 'paymigrate.routing.split-payment' }) */
  readonly logger?: Logger | undefined;
}

/** Runs an executor operation; a throw is an `unknown` outcome (it may have happened). */
async function runOperation(executor: SplitPaymentExecutor, operation: SplitLegOperation, leg: SplitPaymentLeg): Promise<SplitLegOperationResult> {
  try {
    return await executor[operation](leg);
  } catch (error) {
    return { status: 'unknown', detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Executes a split cart all or nothing: authorizes every leg in order (stopping at the first that
 * is not authorized, then voiding every leg that was or may have been authorized); only when all
 * are authorized, captures them in order; when a capture fails, refunds every captured leg and
 * voids every leg not captured (including one whose capture outcome is unknown). Every step,
 * compensations included, is journaled in `split-payments/<cartId>` before the next one starts.
 *
 * @throws SplitCartError when the plan has no leg, or the cart was executed before (its record exists).
 * @throws the journal's error when a step cannot be journaled (the steps before it are on record).
 */
export async function executeSplitPayment(plan: SplitCartPlan, executor: SplitPaymentExecutor, options: SplitPaymentOptions): Promise<SplitPaymentResult> {
  const { journal } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ name: 'paymigrate.routing.split-payment' });
  if (plan.legs.length === 0) throw new SplitCartError({ cartId: plan.cartId, problem: 'the plan has no leg' });
  const outcomes = new Map<string, { authorize?: SplitLegOperationResult; capture?: SplitLegOperationResult; compensation?: SplitLegOutcome['compensation'] }>(
    plan.legs.map((leg) => [leg.legId, {}]),
  );
  let record: SplitPaymentRecord = {
    cartId: plan.cartId,
    status: 'authorizing',
    legs: plan.legs.map((leg) => ({ legId: leg.legId, provider: leg.provider, amount: leg.amount.toJSON(), lineIds: leg.lineIds })),
    steps: [],
    updatedAt: clock.now(),
  };
  let version = 0;
  const save = async (next: SplitPaymentRecord): Promise<void> => {
    const written = await journal.write({
      puts: [{ collection: splitPaymentCollection, key: plan.cartId, value: JSON.stringify(next), index: next.status, expectedVersion: version }],
    });
    version = (written.records[0] as { version: number }).version;
    record = next;
  };
  try {
    await save(record);
  } catch (error) {
    if (VersionConflictError.isInstance(error)) throw new SplitCartError({ cartId: plan.cartId, problem: 'it was executed before; its journal record holds the outcome' });
    throw error;
  }

  const step = async (leg: SplitPaymentLeg, operation: SplitLegOperation, compensation: boolean, status?: SplitPaymentRecord['status']): Promise<SplitLegOperationResult> => {
    const result = await runOperation(executor, operation, leg);
    const entry: SplitPaymentStep = { legId: leg.legId, operation, compensation, status: result.status, detail: result.detail, at: clock.now() };
    await save({ ...record, status: status ?? record.status, steps: [...record.steps, entry], updatedAt: entry.at });
    const outcome = outcomes.get(leg.legId) as { authorize?: SplitLegOperationResult; capture?: SplitLegOperationResult; compensation?: SplitLegOutcome['compensation'] };
    if (compensation) outcome.compensation = { operation: operation as 'cancel' | 'refund', result };
    else if (operation === 'authorize') outcome.authorize = result;
    else outcome.capture = result;
    if (compensation) logger.warn({ cartId: plan.cartId, legId: leg.legId, operation, status: result.status }, 'split payment compensation');
    return result;
  };

  const finish = async (status: SplitPaymentResult['status'], compensated: readonly SplitLegOperationResult[]): Promise<SplitPaymentResult> => {
    const requiresAttention = compensated.some((result) => result.status !== 'succeeded');
    await save({ ...record, status: requiresAttention ? 'requires_attention' : status, updatedAt: clock.now() });
    if (requiresAttention) logger.error({ cartId: plan.cartId, status }, 'split payment compensation incomplete: money may be held or taken');
    return {
      cartId: plan.cartId,
      status,
      requiresAttention,
      legs: plan.legs.map((leg) => {
        const outcome = outcomes.get(leg.legId) as { authorize?: SplitLegOperationResult; capture?: SplitLegOperationResult; compensation?: SplitLegOutcome['compensation'] };
        return { leg, authorize: outcome.authorize, capture: outcome.capture, compensation: outcome.compensation };
      }),
    };
  };

  // 1. Authorize every leg; stop at the first that is not authorized.
  const authorized: SplitPaymentLeg[] = [];
  let authorizationFailure: { leg: SplitPaymentLeg; result: SplitLegOperationResult } | undefined;
  for (const leg of plan.legs) {
    const result = await step(leg, 'authorize', false);
    if (result.status === 'succeeded') {
      authorized.push(leg);
      continue;
    }
    authorizationFailure = { leg, result };
    break;
  }
  if (authorizationFailure !== undefined) {
    // Void what was authorized, and a leg whose authorization may have happened.
    const toVoid = authorizationFailure.result.status === 'unknown' ? [...authorized, authorizationFailure.leg] : authorized;
    const compensated: SplitLegOperationResult[] = [];
    for (const leg of toVoid) compensated.push(await step(leg, 'cancel', true, 'compensating'));
    return finish('authorization_failed', compensated);
  }

  // 2. Every leg is authorized: capture them all.
  const captured: SplitPaymentLeg[] = [];
  let captureFailure: SplitPaymentLeg | undefined;
  for (const leg of plan.legs) {
    const result = await step(leg, 'capture', false, 'capturing');
    if (result.status === 'succeeded') {
      captured.push(leg);
      continue;
    }
    captureFailure = leg;
    break;
  }
  if (captureFailure === undefined) return finish('captured', []);

  // 3. A capture failed: refund the captured legs, void the rest (the failed one included).
  const compensated: SplitPaymentLeg[] = [];
  const results: SplitLegOperationResult[] = [];
  for (const leg of captured) {
    results.push(await step(leg, 'refund', true, 'compensating'));
    compensated.push(leg);
  }
  for (const leg of plan.legs) {
    if (!compensated.includes(leg)) results.push(await step(leg, 'cancel', true, 'compensating'));
  }
  return finish('capture_failed', results);
}
