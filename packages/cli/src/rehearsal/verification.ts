import { type OrderRecord, orderStateMachine, type OrderState, type PaymentRecord, type PaymentState } from '@paymigrate/core';
import type { PanScanResult } from './pan-scan.js';
import type { ProviderPaymentFact, WorldTruth } from './world/world-protocol.js';

/** The invariants a rehearsal checks, each a count of violations (0 = holds). */
export interface InvariantCounts {
  /** Payments a customer was told about that are missing at their pinned provider or in the journal (or were never collected). */
  readonly lostPayments: number;
  /** Merchant references charged more than once across providers. */
  readonly doubleCharges: number;
  /** Orders whose canonical state disagrees with the providers, or that moved illegally. */
  readonly invalidOrders: number;
  /** Sessions absent from both stores. */
  readonly droppedSessions: number;
  /** Card numbers, track data or security codes found in the log, the journal file, the events or the report. */
  readonly panHits: number;
}

/** Examples of each violation (ids and reasons only, at most ten per invariant). */
export type InvariantExamples = { readonly [Name in keyof InvariantCounts]: readonly string[] };

/** What the verification found. */
export interface VerificationResult {
  /** The counts. */
  readonly invariants: InvariantCounts;
  /** Examples. */
  readonly examples: InvariantExamples;
  /** Charges at a provider that no journaled payment explains (each would break invariant 1). */
  readonly unjournaledCharges: number;
  /** What was checked, for the report. */
  readonly checked: {
    readonly receipts: number;
    readonly providerPayments: number;
    readonly journalPayments: number;
    readonly orders: number;
    readonly sessions: number;
    readonly scannedBytes: number;
  };
}

/** The most examples kept per invariant. */
const maximumExamples = 10;

/** Payment states in which the customer's money was collected (or collected and given back). */
const collectedStates: ReadonlySet<PaymentState> = new Set<PaymentState>(['captured', 'partially_captured', 'partially_refunded', 'refunded']);

/** Order states that hold no money. */
const moneylessOrderStates: ReadonlySet<OrderState> = new Set<OrderState>(['cart', 'checkout', 'payment_pending', 'failed', 'cancelled', 'expired']);

/** True when a provider still holds or has taken money for the payment. */
function isCharged(fact: ProviderPaymentFact): boolean {
  return fact.heldMinor > 0 || fact.capturedMinor > 0;
}

/** The order state the providers' amounts imply. */
function expectedOrderStates(totalMinor: number, captured: number, refunded: number, held: number): ReadonlySet<OrderState> {
  if (refunded > 0) return new Set<OrderState>([refunded >= captured ? 'refunded' : 'partially_refunded']);
  if (captured > 0) return new Set<OrderState>([captured >= totalMinor ? 'paid' : 'partially_paid']);
  if (held > 0) return new Set<OrderState>(['authorized']);
  return moneylessOrderStates;
}

/** Adds an example, up to the limit. */
function note(examples: string[], example: string): void {
  if (examples.length < maximumExamples) examples.push(example);
}

/**
 * Computes the invariants from the providers' truth (the fakes' state), the platform and the
 * session stores (the world), the journal's payments and the PAN scan. Nothing here trusts the
 * journal alone: every count compares two independent records.
 */
export function verifyRehearsal(input: {
  readonly truth: WorldTruth;
  readonly payments: readonly PaymentRecord[];
  readonly panScan: readonly PanScanResult[];
  /** The Order State Synchronizer's orders, when it ran: their history and state are checked too. */
  readonly orders?: readonly OrderRecord[] | undefined;
}): VerificationResult {
  const { truth, payments } = input;
  const journalById = new Map(payments.map((payment) => [payment.paymentId, payment]));
  const journalByReference = new Map(payments.map((payment) => [payment.merchantReference, payment]));
  const factsByReference = new Map<string, ProviderPaymentFact[]>();
  for (const fact of truth.payments) {
    const list = factsByReference.get(fact.merchantReference) ?? [];
    list.push(fact);
    factsByReference.set(fact.merchantReference, list);
  }

  const lost: string[] = [];
  let lostCount = 0;
  for (const receipt of truth.receipts) {
    const payment = journalById.get(receipt.paymentId);
    const fact = (factsByReference.get(receipt.merchantReference) ?? []).find((candidate) => candidate.provider === receipt.provider);
    let problem: string | undefined;
    if (payment === undefined) problem = 'missing from the journal';
    else if (payment.provider !== receipt.provider) problem = `the journal pins it to ${payment.provider}, the customer paid at ${receipt.provider}`;
    else if (!collectedStates.has(payment.state)) problem = `the journal has it ${payment.state}`;
    else if (fact === undefined) problem = `missing at ${receipt.provider}`;
    else if (fact.capturedMinor === 0) problem = `never captured at ${receipt.provider} (${fact.status})`;
    if (problem !== undefined) {
      lostCount += 1;
      note(lost, `${receipt.paymentId}: ${problem}`);
    }
  }

  const doubles: string[] = [];
  let doubleCount = 0;
  let unjournaled = 0;
  for (const [reference, facts] of factsByReference) {
    const charged = facts.filter(isCharged);
    if (charged.length > 1) {
      doubleCount += 1;
      note(doubles, `${reference}: charged ${charged.length} times (${charged.map((fact) => `${fact.provider} ${fact.providerReference}`).join(', ')})`);
    }
    if (charged.length > 0 && !journalByReference.has(reference)) unjournaled += 1;
  }

  const paymentsByOrder = new Map<string, PaymentRecord[]>();
  for (const payment of payments) {
    if (payment.orderId === undefined) continue;
    const list = paymentsByOrder.get(payment.orderId) ?? [];
    list.push(payment);
    paymentsByOrder.set(payment.orderId, list);
  }
  /** What the providers hold for an order's payments (each at the provider it is pinned to). */
  const providerAmounts = (orderId: string): { captured: number; refunded: number; held: number } => {
    let captured = 0;
    let refunded = 0;
    let held = 0;
    for (const payment of paymentsByOrder.get(orderId) ?? []) {
      for (const fact of factsByReference.get(payment.merchantReference) ?? []) {
        if (fact.provider !== payment.provider) continue;
        captured += fact.capturedMinor;
        refunded += fact.refundedMinor;
        held += fact.heldMinor;
      }
    }
    return { captured, refunded, held };
  };
  const orderProblems = new Map<string, string>();
  const flag = (orderId: string, problem: string): void => {
    if (!orderProblems.has(orderId)) orderProblems.set(orderId, problem);
  };
  const platformStates = new Map(truth.orders.map((order) => [order.orderId, order.state]));
  for (const order of truth.orders) {
    const illegal = order.history.find((step) => !orderStateMachine.canTransition(step.from, step.to));
    if (illegal !== undefined) {
      flag(order.orderId, `moved ${illegal.from} -> ${illegal.to} on the platform, which the order machine forbids`);
      continue;
    }
    const { captured, refunded, held } = providerAmounts(order.orderId);
    const expected = expectedOrderStates(order.totalMinor, captured, refunded, held);
    if (!expected.has(order.state)) flag(order.orderId, `is ${order.state}, the providers say ${[...expected].join(' or ')}`);
    else if (order.capturedMinor !== captured) flag(order.orderId, `records ${order.capturedMinor} captured, the providers captured ${captured}`);
    else if (order.refundedMinor !== refunded) flag(order.orderId, `records ${order.refundedMinor} refunded, the providers refunded ${refunded}`);
  }
  for (const order of input.orders ?? []) {
    const illegal = order.history.find((entry) => !orderStateMachine.canTransition(entry.from, entry.to));
    const skipped = order.history.find((entry, index) => index > 0 && entry.version !== (order.history[index - 1] as { version: number }).version + 1);
    if (illegal !== undefined) flag(order.orderId, `the synchronizer moved it ${illegal.from} -> ${illegal.to}, which the order machine forbids`);
    else if (skipped !== undefined) flag(order.orderId, `the synchronizer skipped an order version before ${skipped.version}`);
    else if (platformStates.has(order.orderId) && platformStates.get(order.orderId) !== order.state) {
      flag(order.orderId, `the synchronizer has it ${order.state}, the platform ${platformStates.get(order.orderId) ?? '?'}`);
    }
  }
  const invalid = [...orderProblems.entries()].slice(0, maximumExamples).map(([orderId, problem]) => `${orderId}: ${problem}`);
  const invalidCount = orderProblems.size;

  const dropped = truth.sessions.absentKeys.slice(0, maximumExamples).map((key) => `${key}: absent from both stores`);
  const panExamples: string[] = [];
  let panCount = 0;
  for (const scan of input.panScan) {
    panCount += scan.findings.length;
    for (const finding of scan.findings) note(panExamples, `${scan.source}: ${finding.kind} ${finding.masked}`);
  }

  return {
    invariants: { lostPayments: lostCount, doubleCharges: doubleCount, invalidOrders: invalidCount, droppedSessions: truth.sessions.absentKeys.length, panHits: panCount },
    examples: { lostPayments: lost, doubleCharges: doubles, invalidOrders: invalid, droppedSessions: dropped, panHits: panExamples },
    unjournaledCharges: unjournaled,
    checked: {
      receipts: truth.receipts.length,
      providerPayments: truth.payments.length,
      journalPayments: payments.length,
      orders: truth.orders.length,
      sessions: truth.sessions.written,
      scannedBytes: input.panScan.reduce((sum, scan) => sum + scan.bytes, 0),
    },
  };
}
