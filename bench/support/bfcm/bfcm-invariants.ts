// The invariants of the load test, counted from independent records, never from what the load
// generator believes: the journal (payments, read back from the SQLite file), the providers' own
// state (the fakes' truth, taken in their process), the session stores (read back from Redis) and
// the bytes of the journal file and the report (PAN scan). The receipts (checkouts the customer was
// told were paid) are only the list of what must be found.
import type { PaymentRecord } from '@paymigrate/core';
import type { ProviderPayment, ProviderTruth } from '../../../scenarios/support/provider-truth.js';

/** The five counts; every one must be 0. */
export interface BfcmInvariantCounts {
  /** Receipts whose payment is missing, not captured, or not captured at its pinned provider. */
  readonly lostPayments: number;
  /** Merchant references that hold money at more than one provider payment. */
  readonly doubleCharges: number;
  /** Orders (one payment each) whose journal amounts disagree with the provider's, or that hold money the journal does not know. */
  readonly invalidOrders: number;
  /** Sessions missing or unreadable in the new store after the move. */
  readonly droppedSessions: number;
  /** Card numbers, track data or security codes found in the journal file or the report. */
  readonly panHits: number;
}

/** Counts and up to ten examples of each. */
export interface BfcmInvariants {
  readonly counts: BfcmInvariantCounts;
  readonly examples: Readonly<Record<keyof BfcmInvariantCounts, readonly string[]>>;
}

/** Payment states in which the money was captured. */
const capturedStates = new Set(['captured', 'partially_captured', 'partially_refunded', 'refunded']);

/** Journal amounts in the providers' terms: once released, a payment holds only what was captured. */
function journalAmounts(payment: PaymentRecord): { readonly authorized: number; readonly captured: number } {
  const captured = payment.capturedAmount.toNumberOfMinorUnits();
  return { authorized: payment.released ? captured : payment.authorizedAmount.toNumberOfMinorUnits(), captured };
}

/** Counts the payment invariants; sessions and PAN hits come from their own checks. */
export function countBfcmInvariants(input: {
  readonly receipts: readonly string[];
  readonly payments: readonly PaymentRecord[];
  readonly truths: readonly ProviderTruth[];
  readonly droppedSessions: readonly string[];
  readonly droppedSessionCount: number;
  readonly panFindings: readonly string[];
}): BfcmInvariants {
  const examples = { lostPayments: [] as string[], doubleCharges: [] as string[], invalidOrders: [] as string[] };
  const note = (list: string[], example: string): void => {
    if (list.length < 10) list.push(example);
  };
  const paymentsById = new Map(input.payments.map((payment) => [payment.paymentId, payment]));
  const byReference = new Map<string, ProviderPayment[]>();
  for (const truth of input.truths) {
    for (const payment of truth.payments) {
      const key = payment.merchantReference ?? `(none: ${payment.providerReference})`;
      byReference.set(key, [...(byReference.get(key) ?? []), payment]);
    }
  }

  let lostPayments = 0;
  for (const paymentId of input.receipts) {
    const payment = paymentsById.get(paymentId);
    const atProvider = payment === undefined ? undefined : (byReference.get(payment.merchantReference) ?? []).find((candidate) => candidate.provider === payment.provider);
    let problem: string | undefined;
    if (payment === undefined) problem = 'missing from the journal';
    else if (!capturedStates.has(payment.state)) problem = `the journal has it ${payment.state}`;
    else if (atProvider === undefined) problem = `missing at ${payment.provider}`;
    else if (atProvider.captured === 0) problem = `never captured at ${payment.provider} (${atProvider.status})`;
    if (problem !== undefined) {
      lostPayments += 1;
      note(examples.lostPayments, `${paymentId}: ${problem}`);
    }
  }

  let doubleCharges = 0;
  for (const [reference, found] of byReference) {
    const charged = found.filter((payment) => payment.authorized > 0 || payment.captured > 0);
    if (charged.length > 1) {
      doubleCharges += 1;
      note(examples.doubleCharges, `${reference}: charged ${charged.length} times (${charged.map((payment) => `${payment.provider} ${payment.providerReference}`).join(', ')})`);
    }
  }

  let invalidOrders = 0;
  const journalReferences = new Set<string>();
  for (const payment of input.payments) {
    journalReferences.add(payment.merchantReference);
    const amounts = journalAmounts(payment);
    const pinned = (byReference.get(payment.merchantReference) ?? []).filter((candidate) => candidate.provider === payment.provider);
    const provider = pinned[0] ?? { authorized: 0, captured: 0, status: 'absent' };
    if (amounts.authorized !== provider.authorized || amounts.captured !== provider.captured) {
      invalidOrders += 1;
      note(
        examples.invalidOrders,
        `order of ${payment.paymentId} (${payment.state} on ${payment.provider}): journal ${amounts.authorized} authorized / ${amounts.captured} captured, provider ${provider.authorized} / ${provider.captured} (${provider.status})`,
      );
    }
  }
  for (const [reference, found] of byReference) {
    if (journalReferences.has(reference) || !found.some((payment) => payment.authorized > 0 || payment.captured > 0)) continue;
    invalidOrders += 1;
    note(examples.invalidOrders, `${reference}: money held at ${found.map((payment) => payment.provider).join(', ')} for an order the journal does not know`);
  }

  return {
    counts: { lostPayments, doubleCharges, invalidOrders, droppedSessions: input.droppedSessionCount, panHits: input.panFindings.length },
    examples: { ...examples, droppedSessions: input.droppedSessions.slice(0, 10), panHits: input.panFindings.slice(0, 10) },
  };
}
