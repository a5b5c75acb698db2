import { emptyOperationCounters, Money, type OrderRecord, type PaymentRecord } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { scanText } from './pan-scan.js';
import { verifyRehearsal } from './verification.js';
import type { CustomerReceipt, OrderFact, ProviderPaymentFact, WorldTruth } from './world/world-protocol.js';

const eur = (minor: number): Money => Money.of(minor, 'EUR');

function payment(overrides: Partial<PaymentRecord> & { paymentId: string }): PaymentRecord {
  return {
    merchantReference: `ref-${overrides.paymentId}`,
    provider: 'stripe',
    captureMethod: 'manual',
    initialIntentId: `${overrides.paymentId}.authorize.1`,
    amount: eur(1000),
    authorizedAmount: eur(1000),
    capturedAmount: eur(1000),
    refundedAmount: eur(0),
    released: false,
    state: 'captured',
    pendingOperations: [],
    appliedOperationReferences: [],
    operationCounters: emptyOperationCounters,
    createdAt: 1,
    updatedAt: 2,
    ...overrides,
  };
}

function fact(overrides: Partial<ProviderPaymentFact> & { merchantReference: string }): ProviderPaymentFact {
  return { provider: 'stripe', providerReference: `pi_${overrides.merchantReference}`, currency: 'EUR', amountMinor: 1000, heldMinor: 0, capturedMinor: 1000, refundedMinor: 0, status: 'succeeded', networkTransactionIdSent: undefined, ...overrides };
}

function receipt(paymentId: string, provider = 'stripe'): CustomerReceipt {
  return {
    paymentId,
    merchantReference: `ref-${paymentId}`,
    provider,
    providerReference: undefined,
    amount: eur(1000).toJSON(),
    orderId: undefined,
    customerId: 'cust-1',
    kind: 'checkout',
    latencyMs: 10,
    acknowledgedAt: 1,
  };
}

function order(overrides: Partial<OrderFact> & { orderId: string }): OrderFact {
  return { totalMinor: 1000, state: 'paid', history: [{ from: 'payment_pending', to: 'authorized' }, { from: 'authorized', to: 'paid' }], capturedMinor: 1000, refundedMinor: 0, ...overrides };
}

function truth(overrides: Partial<WorldTruth>): WorldTruth {
  return { payments: [], orders: [], receipts: [], sessions: { written: 0, absentKeys: [], inOldStore: 0, inNewStore: 0 }, ...overrides };
}

describe('verifyRehearsal', () => {
  it('finds nothing when the journal, the providers, the platform and the stores agree', () => {
    const result = verifyRehearsal({
      truth: truth({
        payments: [fact({ merchantReference: 'ref-p1' }), fact({ merchantReference: 'ref-p2', provider: 'adyen', refundedMinor: 500 })],
        receipts: [receipt('p1'), receipt('p2', 'adyen')],
        orders: [order({ orderId: 'o1' }), order({ orderId: 'o2', state: 'partially_refunded', refundedMinor: 500, history: [{ from: 'paid', to: 'partially_refunded' }] })],
        sessions: { written: 3, absentKeys: [], inOldStore: 1, inNewStore: 2 },
      }),
      payments: [
        payment({ paymentId: 'p1', orderId: 'o1' }),
        payment({ paymentId: 'p2', provider: 'adyen', orderId: 'o2', refundedAmount: eur(500), state: 'partially_refunded' }),
      ],
      panScan: [scanText('log', '{"msg":"captured pi_123 for 1000 EUR at 1764203512345"}')],
    });
    expect(result.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
    expect(result.unjournaledCharges).toBe(0);
    expect(result.checked).toMatchObject({ receipts: 2, providerPayments: 2, journalPayments: 2, orders: 2, sessions: 3 });
  });

  it('counts a receipt missing from the journal, pinned elsewhere, not collected, missing at its provider or never captured', () => {
    const result = verifyRehearsal({
      truth: truth({
        payments: [
          fact({ merchantReference: 'ref-pinned', provider: 'adyen' }),
          fact({ merchantReference: 'ref-voided', heldMinor: 0, capturedMinor: 0, status: 'canceled' }),
          fact({ merchantReference: 'ref-uncaptured', heldMinor: 1000, capturedMinor: 0, status: 'requires_capture' }),
        ],
        receipts: [receipt('missing'), receipt('pinned', 'adyen'), receipt('voided'), receipt('absent'), receipt('uncaptured')],
      }),
      payments: [
        payment({ paymentId: 'pinned', provider: 'stripe' }),
        payment({ paymentId: 'voided', state: 'voided' }),
        payment({ paymentId: 'absent' }),
        payment({ paymentId: 'uncaptured' }),
      ],
      panScan: [],
    });
    expect(result.invariants.lostPayments).toBe(5);
    expect(result.examples.lostPayments).toStrictEqual([
      'missing: missing from the journal',
      'pinned: the journal pins it to stripe, the customer paid at adyen',
      'voided: the journal has it voided',
      'absent: missing at stripe',
      'uncaptured: never captured at stripe (requires_capture)',
    ]);
  });

  it('counts a merchant reference charged at two providers, and a charge no journaled payment explains', () => {
    const result = verifyRehearsal({
      truth: truth({
        payments: [
          fact({ merchantReference: 'ref-p1' }),
          fact({ merchantReference: 'ref-p1', provider: 'adyen', providerReference: 'PSP1', heldMinor: 1000, capturedMinor: 0 }),
          fact({ merchantReference: 'ref-ghost' }),
          fact({ merchantReference: 'ref-released', heldMinor: 0, capturedMinor: 0 }),
        ],
      }),
      payments: [payment({ paymentId: 'p1' }), payment({ paymentId: 'released' })],
      panScan: [],
    });
    expect(result.invariants.doubleCharges).toBe(1);
    expect(result.examples.doubleCharges[0]).toBe('ref-p1: charged 2 times (stripe pi_ref-p1, adyen PSP1)');
    expect(result.unjournaledCharges).toBe(1);
  });

  it('counts orders that moved illegally, disagree with the providers, or record other amounts', () => {
    const result = verifyRehearsal({
      truth: truth({
        payments: [
          fact({ merchantReference: 'ref-a' }),
          fact({ merchantReference: 'ref-b', capturedMinor: 400 }),
          fact({ merchantReference: 'ref-c', heldMinor: 1000, capturedMinor: 0 }),
          fact({ merchantReference: 'ref-d', refundedMinor: 1000 }),
          fact({ merchantReference: 'ref-e' }),
          fact({ merchantReference: 'ref-f', refundedMinor: 300 }),
          fact({ merchantReference: 'ref-g', provider: 'adyen' }),
        ],
        orders: [
          order({ orderId: 'illegal', history: [{ from: 'refunded', to: 'paid' }] }),
          order({ orderId: 'o-a', state: 'authorized' }),
          order({ orderId: 'o-b', state: 'partially_paid', capturedMinor: 400 }),
          order({ orderId: 'o-c', state: 'authorized', capturedMinor: 0 }),
          order({ orderId: 'o-d', state: 'refunded', refundedMinor: 1000 }),
          order({ orderId: 'o-e', capturedMinor: 900 }),
          order({ orderId: 'o-f', state: 'partially_refunded', refundedMinor: 200 }),
          order({ orderId: 'o-g', state: 'payment_pending', capturedMinor: 0 }),
          order({ orderId: 'o-none', state: 'cancelled', capturedMinor: 0 }),
        ],
      }),
      payments: [
        payment({ paymentId: 'a', orderId: 'o-a' }),
        payment({ paymentId: 'b', orderId: 'o-b' }),
        payment({ paymentId: 'c', orderId: 'o-c' }),
        payment({ paymentId: 'd', orderId: 'o-d' }),
        payment({ paymentId: 'e', orderId: 'o-e' }),
        payment({ paymentId: 'f', orderId: 'o-f' }),
        payment({ paymentId: 'g', orderId: 'o-g', provider: 'stripe' }),
        payment({ paymentId: 'free' }),
      ],
      panScan: [],
    });
    expect(result.examples.invalidOrders).toStrictEqual([
      'illegal: moved refunded -> paid on the platform, which the order machine forbids',
      'o-a: is authorized, the providers say paid',
      'o-e: records 900 captured, the providers captured 1000',
      'o-f: records 200 refunded, the providers refunded 300',
    ]);
    expect(result.invariants.invalidOrders).toBe(4);
  });

  it('counts orders the synchronizer moved illegally, with a skipped version, or into another state than the platform', () => {
    const record = (orderId: string, state: OrderRecord['state'], history: OrderRecord['history']): OrderRecord => ({
      orderId,
      platform: 'shopify',
      state,
      version: history.length + 1,
      stateEnteredAt: 1,
      paymentIds: [],
      payments: [],
      amounts: {} as OrderRecord['amounts'],
      history,
      flags: [],
      createdAt: 1,
      updatedAt: 1,
    });
    const step = (version: number, from: OrderRecord['state'], to: OrderRecord['state']) => ({ version, from, to, cause: { kind: 'payment_outcome' as const, id: `c${version}` }, at: version });
    const result = verifyRehearsal({
      truth: truth({ orders: [order({ orderId: 'o-disagree', state: 'payment_pending', capturedMinor: 0, history: [] })] }),
      payments: [],
      panScan: [],
      orders: [
        record('o-fine', 'paid', [step(2, 'payment_pending', 'authorized'), step(3, 'authorized', 'paid')]),
        record('o-illegal', 'paid', [step(2, 'payment_pending', 'refunded'), step(3, 'refunded', 'paid')]),
        record('o-skipped', 'paid', [step(2, 'payment_pending', 'authorized'), step(4, 'authorized', 'paid')]),
        record('o-disagree', 'authorized', [step(2, 'payment_pending', 'authorized')]),
      ],
    });
    expect(result.examples.invalidOrders).toStrictEqual([
      'o-illegal: the synchronizer moved it payment_pending -> refunded, which the order machine forbids',
      'o-skipped: the synchronizer skipped an order version before 4',
      'o-disagree: the synchronizer has it authorized, the platform payment_pending',
    ]);
  });

  it('counts sessions absent from both stores and card data in scanned text, without echoing it', () => {
    const cardNumber = ['4242', '4242', '4242', '4242'].join('');
    const result = verifyRehearsal({
      truth: truth({ sessions: { written: 2, absentKeys: ['session:1'], inOldStore: 0, inNewStore: 1 } }),
      payments: [],
      panScan: [scanText('events', `{"note":"card ${cardNumber}","cvc":"123"}`)],
    });
    expect(result.invariants.droppedSessions).toBe(1);
    expect(result.examples.droppedSessions).toStrictEqual(['session:1: absent from both stores']);
    expect(result.invariants.panHits).toBe(2);
    expect(result.examples.panHits.join(' ')).not.toContain(cardNumber);
  });

  it('keeps at most ten examples per invariant', () => {
    const keys = Array.from({ length: 15 }, (_, index) => `session:${index}`);
    const result = verifyRehearsal({ truth: truth({ sessions: { written: 15, absentKeys: keys, inOldStore: 0, inNewStore: 0 } }), payments: [], panScan: [] });
    expect(result.invariants.droppedSessions).toBe(15);
    expect(result.examples.droppedSessions).toHaveLength(10);
  });
});

/** A 15-digit number in the Visa range that passes the Luhn check: what a Visa network transaction id sometimes is. */
function luhnValid(prefix: string): string {
  for (let check = 0; check <= 9; check += 1) {
    const candidate = `${prefix}${check}`;
    let sum = 0;
    for (let index = 0; index < candidate.length; index += 1) {
      let digit = Number(candidate[candidate.length - 1 - index]);
      if (index % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    if (sum % 10 === 0) return candidate;
  }
  /* v8 ignore next */
  throw new Error('unreachable');
}

describe('scanText', () => {
  it('leaves out known network transaction ids and counts them', () => {
    const lookalike = luhnValid('40315896230781');
    // Next to its name, core's scanner knows a network transaction id by itself.
    expect(scanText('journal', `{"networkTransactionId":"${lookalike}"}`).findings).toHaveLength(0);
    // In raw file bytes the id can stand without its name (a record split across pages).
    const text = `page break ${lookalike} page break`;
    expect(scanText('journal', text).findings).toHaveLength(1);
    const scan = scanText('journal', text, new Set([lookalike]));
    expect(scan.findings).toHaveLength(0);
    expect(scan.excludedNetworkTransactionIds).toBe(1);
    expect(scanText('journal', `${text} ${luhnValid('40000000000000')}`, new Set([lookalike])).findings).toHaveLength(1);
  });
});
