// The zero-loss invariants (DESIGN.md 1-4), checked against the journal and the providers' own
// state after a scenario: reusable by every scenario, the crash test, the fleet test and the
// benchmarks.
import { type IntentRecord, IntentRepository, isNonTerminalIntentStatus, type JournalV1, type PaymentRecord, PaymentRepository } from '@paymigrate/core';
import { type FakeSet, type ProviderPayment, type ProviderTruth, takeProviderTruth } from './provider-truth.js';

/** Options of `checkInvariants`. */
export interface CheckInvariantsOptions {
  /** The journal the Transaction State Manager wrote (read only). */
  readonly journal: JournalV1;
  /** The provider fakes by name (`stripe`, `adyen`, `paypal`), or their truth taken in another process. */
  readonly fakes: FakeSet;
  /**
   * Intents that may end `unresolved` (handed to an operator), by intent id. Everything else must
   * end `succeeded` or `failed`.
   * @default none
   */
  readonly allowUnresolved?: readonly string[] | undefined;
  /**
   * Accept non-final intents and open claims (checking a journal that recovery has not run on yet).
   * @default false
   */
  readonly allowInFlight?: boolean | undefined;
  /**
   * Orders may be paid by several payments that hold money (split payments). By default an order
   * whose money is held by more than one payment (a retry that charged while the first attempt
   * still held funds) is a violation.
   * @default false
   */
  readonly allowSplitOrders?: boolean | undefined;
}

/** What `checkInvariants` found. */
export interface InvariantReport {
  /** Every violation, one line each; empty when every invariant holds. */
  readonly violations: readonly string[];
  /** What was checked. */
  readonly counts: {
    readonly payments: number;
    readonly intents: number;
    readonly intentsByStatus: Readonly<Record<string, number>>;
    readonly providerWrites: number;
    readonly providerPayments: Readonly<Record<string, number>>;
  };
}

async function readAll<Value>(repository: { listAll(): AsyncGenerator<{ readonly value: Value }> }): Promise<Value[]> {
  const values: Value[] = [];
  for await (const stored of repository.listAll()) values.push(stored.value);
  return values;
}

/** Journal amounts in the providers' terms: once released, a payment holds only what was captured. */
function journalAmounts(payment: PaymentRecord): { authorized: number; captured: number; refunded: number } {
  const captured = payment.capturedAmount.toNumberOfMinorUnits();
  return {
    authorized: payment.released ? captured : payment.authorizedAmount.toNumberOfMinorUnits(),
    captured,
    refunded: payment.refundedAmount.toNumberOfMinorUnits(),
  };
}

/**
 * Checks the zero-loss invariants:
 *
 * 1. No provider write without a journaled intent: every write request a fake received carries the
 *    idempotency key of an intent of the journal, pinned to that provider. No intent without a final
 *    outcome: every intent is `succeeded` or `failed` (or an allowed `unresolved`), and no payment
 *    keeps a claim (a capture, refund or cancellation not confirmed).
 * 2. Follow-ups on the pinned provider: every intent names its payment's provider.
 * 3. Nothing on a second provider: a merchant reference exists at one provider at most, the pinned
 *    one (also for payments whose authorization had an unknown outcome), and at most once there (no
 *    double charge); and at most one payment of an order holds money (a retried checkout never
 *    charges while an earlier attempt still holds funds).
 * 4. Per payment, captured <= authorized and refunded <= captured, in the journal and at the
 *    provider, and the two agree: the journal's amounts equal the provider's; a payment the journal
 *    failed holds no money at the provider; a provider payment the journal does not know is a violation.
 */
export async function checkInvariants(options: CheckInvariantsOptions): Promise<InvariantReport> {
  const { journal } = options;
  const allowUnresolved = new Set(options.allowUnresolved ?? []);
  const violations: string[] = [];
  const truths: ProviderTruth[] = await takeProviderTruth(options.fakes);
  const payments = await readAll<PaymentRecord>(new PaymentRepository(journal));
  const intents = await readAll<IntentRecord>(new IntentRepository(journal));
  const paymentsById = new Map(payments.map((payment) => [payment.paymentId, payment]));
  const intentsByKey = new Map(intents.map((intent) => [intent.idempotencyKey, intent]));
  const intentsByStatus: Record<string, number> = {};

  // 1 (second half) and 2: final outcomes, pinned providers.
  for (const intent of intents) {
    intentsByStatus[intent.status] = (intentsByStatus[intent.status] ?? 0) + 1;
    const payment = paymentsById.get(intent.paymentId);
    if (payment === undefined) {
      violations.push(`intent ${intent.intentId}: its payment ${intent.paymentId} is not in the journal`);
      continue;
    }
    if (intent.provider !== payment.provider) {
      violations.push(`intent ${intent.intentId} (${intent.operation}) names ${intent.provider}, but its payment is pinned to ${payment.provider} (invariant 2)`);
    }
    if (isNonTerminalIntentStatus(intent.status) && options.allowInFlight !== true) {
      violations.push(`intent ${intent.intentId} (${intent.operation}) is still ${intent.status} (${intent.lastErrorCode ?? 'no error'}) after recovery (invariant 1)`);
    }
    if (intent.status === 'unresolved' && !allowUnresolved.has(intent.intentId)) {
      violations.push(`intent ${intent.intentId} (${intent.operation} on ${intent.provider}) is unresolved (${intent.lastErrorCode ?? 'no error'}): handed to an operator`);
    }
  }
  if (options.allowInFlight !== true) {
    for (const payment of payments) {
      for (const pending of payment.pendingOperations) {
        violations.push(`payment ${payment.paymentId}: ${pending.operation} ${pending.intentId} of ${pending.amount.toString()} is still ${pending.status} (an open claim after recovery)`);
      }
    }
  }

  // 1 (first half): every provider write has its intent, on that provider.
  let providerWrites = 0;
  for (const truth of truths) {
    for (const write of truth.writes) {
      providerWrites += 1;
      if (write.idempotencyKey === undefined) {
        violations.push(`${truth.provider} received ${write.routeId} without an idempotency key (invariant 1)`);
        continue;
      }
      const intent = intentsByKey.get(write.idempotencyKey);
      if (intent === undefined) {
        violations.push(`${truth.provider} received ${write.routeId} with key '${write.idempotencyKey}', which no journaled intent has (invariant 1)`);
      } else if (intent.provider !== truth.provider) {
        violations.push(`${truth.provider} received ${write.routeId} for intent ${intent.intentId}, which is pinned to ${intent.provider} (invariant 3)`);
      }
    }
  }

  // 3 and 4: one payment per merchant reference, at the pinned provider, with the journal's amounts.
  const providerPaymentsByReference = new Map<string, ProviderPayment[]>();
  for (const truth of truths) {
    for (const payment of truth.payments) {
      const key = payment.merchantReference ?? `(none: ${payment.providerReference})`;
      providerPaymentsByReference.set(key, [...(providerPaymentsByReference.get(key) ?? []), payment]);
      if (payment.captured > payment.authorized) violations.push(`${payment.provider} ${payment.providerReference}: captured ${payment.captured} > authorized ${payment.authorized} at the provider (invariant 4)`);
      if (payment.refunded > payment.captured) violations.push(`${payment.provider} ${payment.providerReference}: refunded ${payment.refunded} > captured ${payment.captured} at the provider (invariant 4)`);
    }
  }
  const journalReferences = new Set<string>();
  for (const payment of payments) {
    journalReferences.add(payment.merchantReference);
    const amounts = journalAmounts(payment);
    if (amounts.captured > payment.authorizedAmount.toNumberOfMinorUnits()) {
      violations.push(`payment ${payment.paymentId}: captured ${payment.capturedAmount.toString()} > authorized ${payment.authorizedAmount.toString()} in the journal (invariant 4)`);
    }
    if (amounts.refunded > amounts.captured) {
      violations.push(`payment ${payment.paymentId}: refunded ${payment.refundedAmount.toString()} > captured ${payment.capturedAmount.toString()} in the journal (invariant 4)`);
    }
    const atProviders = providerPaymentsByReference.get(payment.merchantReference) ?? [];
    const elsewhere = atProviders.filter((candidate) => candidate.provider !== payment.provider);
    for (const other of elsewhere) {
      violations.push(`payment ${payment.paymentId} (pinned to ${payment.provider}) also exists at ${other.provider} as ${other.providerReference} (invariant 3)`);
    }
    const pinned = atProviders.filter((candidate) => candidate.provider === payment.provider);
    if (pinned.length > 1) {
      violations.push(`payment ${payment.paymentId}: ${pinned.length} payments at ${payment.provider} for merchant reference ${payment.merchantReference} (${pinned.map((candidate) => candidate.providerReference).join(', ')}): charged more than once`);
    }
    const truth = pinned[0];
    if (truth === undefined) {
      if (amounts.authorized > 0 || amounts.captured > 0) {
        violations.push(`payment ${payment.paymentId}: the journal holds ${payment.authorizedAmount.toString()} authorized at ${payment.provider}, which has no such payment (invariant 4)`);
      }
      continue;
    }
    if (payment.providerReference !== undefined && payment.providerReference !== truth.providerReference) {
      violations.push(`payment ${payment.paymentId}: the journal names ${payment.provider} payment ${payment.providerReference}, the provider holds ${truth.providerReference}`);
    }
    if (truth.currency !== payment.amount.currency) {
      violations.push(`payment ${payment.paymentId}: ${payment.amount.currency} in the journal, ${truth.currency} at ${payment.provider}`);
    }
    for (const field of ['authorized', 'captured', 'refunded'] as const) {
      if (amounts[field] !== truth[field]) {
        violations.push(
          `payment ${payment.paymentId} (${payment.state}) on ${payment.provider}: ${field} ${amounts[field]} in the journal, ${truth[field]} at the provider (${truth.status}) (invariant 4)`,
        );
      }
    }
  }
  // Nothing charged twice per order: at most one payment of an order holds money at the providers.
  if (options.allowSplitOrders !== true) {
    const holdingByOrder = new Map<string, string[]>();
    for (const payment of payments) {
      if (payment.orderId === undefined) continue;
      const held = (providerPaymentsByReference.get(payment.merchantReference) ?? []).some((truth) => truth.authorized > 0 || truth.captured > 0);
      if (held) holdingByOrder.set(payment.orderId, [...(holdingByOrder.get(payment.orderId) ?? []), payment.paymentId]);
    }
    for (const [orderId, holders] of holdingByOrder) {
      if (holders.length > 1) violations.push(`order ${orderId} is charged by ${holders.length} payments (${holders.join(', ')}): charged more than once`);
    }
  }
  for (const [reference, found] of providerPaymentsByReference) {
    if (journalReferences.has(reference)) continue;
    for (const orphan of found) {
      violations.push(`${orphan.provider} holds ${orphan.providerReference} (merchant reference ${reference}, ${orphan.status}) that no journaled payment knows (invariant 1)`);
    }
  }

  return {
    violations,
    counts: {
      payments: payments.length,
      intents: intents.length,
      intentsByStatus,
      providerWrites,
      providerPayments: Object.fromEntries(truths.map((truth) => [truth.provider, truth.payments.length])),
    },
  };
}
