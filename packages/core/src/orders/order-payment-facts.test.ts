import { describe, expect, it } from 'vitest';
import { Money } from '../money/money.js';
import { type OrderState, orderStateMachine, orderStates } from '../order/order-state.js';
import {
  applyPaymentChange,
  capturedOf,
  isForwardMove,
  newOrderPayment,
  openAuthorizationOf,
  orderAmountsOf,
  type OrderPayment,
  orderPaymentRank,
  orderStateFromAmounts,
  orderStateFromPayments,
  orderStatePath,
  type PaymentChange,
  type PaymentChangeDecision,
  refundedOf,
} from './order-payment-facts.js';

const usd = (cents: number): Money => Money.of(cents, 'USD');
const fresh = (amount?: Money): OrderPayment => newOrderPayment({ paymentId: 'pay_1', provider: 'stripe', currency: 'USD', providerReference: 'pi_1', amount, at: 1 });

/** Applies changes in order, keeping what each applied one left. */
function run(payment: OrderPayment, changes: readonly PaymentChange[]): { readonly payment: OrderPayment; readonly decisions: PaymentChangeDecision[] } {
  let current = payment;
  const decisions: PaymentChangeDecision[] = [];
  for (const change of changes) {
    const decision = applyPaymentChange(current, change);
    decisions.push(decision);
    if (decision.kind === 'apply') current = decision.payment;
  }
  return { payment: current, decisions };
}

const authorized = (cents: number, at = 2): PaymentChange => ({ kind: 'authorized', amount: usd(cents), at });
const captured = (cents: number, reference: string, at = 3): PaymentChange => ({ kind: 'captured', amount: usd(cents), reference, at });
const refunded = (cents: number, reference: string, at = 4): PaymentChange => ({ kind: 'refunded', amount: usd(cents), reference, at });

describe('applyPaymentChange', () => {
  it('counts an authorization as the largest one reported; a late, equal or smaller one changes nothing', () => {
    const { payment, decisions } = run(fresh(), [authorized(100), authorized(100), authorized(80)]);
    expect(payment.authorized.equals(usd(100))).toBe(true);
    expect(decisions.map((decision) => decision.kind)).toEqual(['apply', 'ignore', 'ignore']);
    expect(decisions[0]).toMatchObject({ effect: { authorizationGrew: true } });
  });

  it('counts a refund reported as a running total by its excess over the refunds counted, once, whatever the order of arrival', () => {
    const refundedInAll = (cents: number, reference: string): PaymentChange => ({ kind: 'refunded', total: usd(cents), reference, at: 5 });
    const inOrder = run(fresh(usd(100)), [captured(100, 'cap_1'), refundedInAll(10, 'event:e1'), refundedInAll(30, 'event:e2'), refundedInAll(30, 'event:e2-again')]);
    expect(refundedOf(inOrder.payment).equals(usd(30))).toBe(true);
    expect(inOrder.payment.operations.filter((operation) => operation.kind === 'refund').map((operation) => [operation.reference, operation.amount.toString()])).toEqual([
      ['event:e1', '0.10 USD'],
      ['event:e2', '0.20 USD'],
    ]);
    expect(inOrder.decisions[2]).toMatchObject({ kind: 'apply', effect: { newRefund: { reference: 'event:e2' } } });
    expect(inOrder.decisions[3]).toMatchObject({ kind: 'ignore', reason: 'refunds of 0.30 USD are counted; the provider reports 0.30 USD in all' });
    // The later total first: it counts everything, and the earlier, smaller one adds nothing.
    const reordered = run(fresh(usd(100)), [captured(100, 'cap_1'), refundedInAll(30, 'event:e2'), refundedInAll(10, 'event:e1')]);
    expect(refundedOf(reordered.payment).equals(usd(30))).toBe(true);
    expect(reordered.decisions.map((decision) => decision.kind)).toEqual(['apply', 'apply', 'ignore']);
    // A refund counted under its own reference is within the total too.
    const mixed = run(fresh(usd(100)), [captured(100, 'cap_1'), refunded(10, 're_1'), refundedInAll(10, 'event:e1'), refundedInAll(25, 'event:e2')]);
    expect(refundedOf(mixed.payment).equals(usd(25))).toBe(true);
    // Before its capture is known it waits; another currency is ignored.
    expect(applyPaymentChange(fresh(usd(100)), refundedInAll(10, 'event:e1'))).toMatchObject({ kind: 'defer' });
    expect(applyPaymentChange(fresh(usd(100)), { kind: 'refunded', total: Money.of(10, 'EUR'), reference: 'event:e1', at: 5 })).toMatchObject({ kind: 'ignore' });
  });

  it('ignores a late authorization after the capture (the capture implies it)', () => {
    const { payment, decisions } = run(fresh(), [captured(100, 'cap_1'), authorized(100)]);
    expect(decisions[0]).toMatchObject({ kind: 'apply', effect: { authorizationGrew: true } });
    expect(decisions[1]).toMatchObject({ kind: 'ignore' });
    expect(capturedOf(payment).equals(usd(100))).toBe(true);
    expect(openAuthorizationOf(payment).isZero()).toBe(true);
  });

  it('uses the payment amount for an authorization without one, and ignores one in another currency or with neither', () => {
    expect(applyPaymentChange(fresh(usd(70)), { kind: 'authorized', at: 2 })).toMatchObject({ kind: 'apply' });
    expect(applyPaymentChange(fresh(), { kind: 'authorized', at: 2 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(fresh(), { kind: 'authorized', amount: Money.of(100, 'EUR'), at: 2 })).toMatchObject({ kind: 'ignore' });
  });

  it('counts captures and refunds once per reference', () => {
    const { payment, decisions } = run(fresh(), [authorized(100), captured(60, 'cap_1'), captured(60, 'cap_1'), captured(40, 'cap_2'), refunded(30, 'ref_1'), refunded(30, 'ref_1')]);
    expect(decisions.map((decision) => decision.kind)).toEqual(['apply', 'apply', 'ignore', 'apply', 'apply', 'ignore']);
    expect(capturedOf(payment).equals(usd(100))).toBe(true);
    expect(refundedOf(payment).equals(usd(30))).toBe(true);
  });

  it('refuses captures and refunds without an amount or a reference, in another currency, or not positive', () => {
    const base = run(fresh(), [authorized(100)]).payment;
    expect(applyPaymentChange(base, { kind: 'captured', reference: 'cap_1', at: 3 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(base, { kind: 'captured', amount: usd(10), at: 3 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(base, { kind: 'captured', amount: Money.of(10, 'EUR'), reference: 'cap_1', at: 3 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(base, { kind: 'captured', amount: usd(0), reference: 'cap_1', at: 3 })).toMatchObject({ kind: 'ignore' });
  });

  it('ignores a capture that would exceed the payment amount: the same capture under another reference', () => {
    const { payment, decisions } = run(fresh(usd(100)), [captured(100, 'intent.capture.1'), captured(100, 'ch_1')]);
    expect(decisions[1]).toMatchObject({ kind: 'ignore', reason: expect.stringContaining('another reference') });
    expect(capturedOf(payment).equals(usd(100))).toBe(true);
  });

  it('defers a refund beyond what is known captured (its capture has not arrived)', () => {
    const decision = applyPaymentChange(run(fresh(), [authorized(100)]).payment, refunded(30, 'ref_1'));
    expect(decision).toMatchObject({ kind: 'defer', reason: expect.stringContaining('exceeds what is known captured') });
  });

  it('marks a counted capture failed (an effect for the compensation) and never counts it again', () => {
    const start = run(fresh(), [authorized(100), captured(100, 'cap_1')]).payment;
    const failed = applyPaymentChange(start, { kind: 'capture_failed', reference: 'cap_1', at: 5 });
    expect(failed).toMatchObject({ kind: 'apply', effect: { failedCapture: { reference: 'cap_1', status: 'failed' } } });
    const after = (failed as Extract<PaymentChangeDecision, { kind: 'apply' }>).payment;
    expect(capturedOf(after).isZero()).toBe(true);
    expect(openAuthorizationOf(after).equals(usd(100))).toBe(true);
    expect(applyPaymentChange(after, { kind: 'capture_failed', reference: 'cap_1', at: 6 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(after, captured(100, 'cap_1'))).toMatchObject({ kind: 'ignore' });
  });

  it('remembers a failure reported before its success, so the late success never counts', () => {
    const { payment, decisions } = run(fresh(), [authorized(100), { kind: 'capture_failed', reference: 'cap_1', at: 3 }, captured(100, 'cap_1')]);
    expect(decisions.map((decision) => decision.kind)).toEqual(['apply', 'apply', 'ignore']);
    expect(decisions[1]).toMatchObject({ effect: {} });
    expect(capturedOf(payment).isZero()).toBe(true);
  });

  it('reports a counted refund that failed or was reversed, and ignores a failure without a reference', () => {
    const start = run(fresh(), [authorized(100), captured(100, 'cap_1'), refunded(40, 'ref_1')]).payment;
    expect(applyPaymentChange(start, { kind: 'refund_failed', reference: 'ref_1', at: 7 })).toMatchObject({ effect: { failedRefund: { reference: 'ref_1' } } });
    expect(applyPaymentChange(start, { kind: 'refund_failed', at: 7 })).toMatchObject({ kind: 'ignore' });
  });

  it('fails an authorization attempt only while nothing was authorized', () => {
    expect(applyPaymentChange(fresh(), { kind: 'authorization_failed', at: 2 })).toMatchObject({ kind: 'apply' });
    const failed = run(fresh(), [{ kind: 'authorization_failed', at: 2 }]).payment;
    expect(applyPaymentChange(failed, { kind: 'authorization_failed', at: 3 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(run(fresh(), [authorized(100)]).payment, { kind: 'authorization_failed', at: 3 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(run(fresh(), [captured(100, 'cap_1')]).payment, { kind: 'authorization_failed', at: 3 })).toMatchObject({ kind: 'ignore' });
    // A later success of the same payment (a retried attempt) still counts.
    expect(orderStateFromPayments(usd(100), [run(failed, [authorized(100)]).payment])).toBe('authorized');
  });

  it('releases what is held once, and waits for the authorization (or a capture) a release depends on', () => {
    expect(applyPaymentChange(fresh(), { kind: 'voided', at: 3 })).toMatchObject({ kind: 'defer' });
    const held = run(fresh(), [authorized(100)]).payment;
    const voided = applyPaymentChange(held, { kind: 'voided', amount: usd(100), at: 3 });
    expect(voided).toMatchObject({ kind: 'apply', effect: { expired: false } });
    expect((voided as Extract<PaymentChangeDecision, { kind: 'apply' }>).effect.released?.equals(usd(100))).toBe(true);
    const after = (voided as Extract<PaymentChangeDecision, { kind: 'apply' }>).payment;
    expect(applyPaymentChange(after, { kind: 'voided', at: 4 })).toMatchObject({ kind: 'ignore' });
    expect(applyPaymentChange(after, { kind: 'expired', at: 4 })).toMatchObject({ kind: 'ignore' });
    // The release of the rest after a partial capture: 40 held, a release of 40 applies; before the capture it waits.
    expect(applyPaymentChange(held, { kind: 'voided', amount: usd(40), at: 3 })).toMatchObject({ kind: 'defer' });
    const partly = run(held, [captured(60, 'cap_1')]).payment;
    expect(applyPaymentChange(partly, { kind: 'voided', amount: usd(40), at: 4 })).toMatchObject({ kind: 'apply' });
    expect(applyPaymentChange(partly, { kind: 'expired', at: 4 })).toMatchObject({ kind: 'apply', effect: { expired: true } });
  });
});

describe('orderStateFromPayments', () => {
  const total = usd(100);
  const derive = (...changes: PaymentChange[]): OrderState => orderStateFromPayments(total, [run(fresh(), changes).payment]);

  it.each([
    [[], 'payment_pending'],
    [[authorized(100)], 'authorized'],
    [[authorized(100), captured(60, 'c1')], 'partially_paid'],
    [[authorized(100), captured(100, 'c1')], 'paid'],
    [[authorized(100), captured(100, 'c1'), refunded(30, 'r1')], 'partially_refunded'],
    [[authorized(100), captured(100, 'c1'), refunded(100, 'r1')], 'refunded'],
    [[authorized(100), { kind: 'voided', at: 5 }], 'cancelled'],
    [[authorized(100), { kind: 'expired', at: 5 }], 'expired'],
    [[{ kind: 'authorization_failed', at: 5 }], 'failed'],
    [[authorized(100), captured(60, 'c1'), { kind: 'voided', amount: usd(40), at: 5 }], 'partially_paid'],
  ] as const)('%o -> %s', (changes, expected) => {
    expect(derive(...changes)).toBe(expected);
    // The same state from amounts summed beforehand (the synchronizer's planning sums them once).
    const payments = [run(fresh(), changes).payment];
    expect(orderStateFromAmounts(orderAmountsOf(total, payments), payments)).toBe(expected);
  });

  it('sums several payments against the total', () => {
    const first = run(newOrderPayment({ paymentId: 'a', provider: 'stripe', currency: 'USD', at: 1 }), [authorized(60), captured(60, 'c1')]).payment;
    const second = run(newOrderPayment({ paymentId: 'b', provider: 'adyen', currency: 'USD', at: 1 }), [authorized(40), captured(40, 'c2')]).payment;
    expect(orderStateFromPayments(total, [first])).toBe('partially_paid');
    expect(orderStateFromPayments(total, [first, second])).toBe('paid');
    expect(orderAmountsOf(total, [first, second])).toMatchObject({ captured: usd(100), authorized: usd(100), refunded: usd(0) });
  });
});

describe('moves and paths', () => {
  it('ranks every canonical state', () => {
    expect(Object.keys(orderPaymentRank).sort()).toEqual([...orderStates].sort());
  });

  it('moves forward only, and lets an authorization lapse or fail', () => {
    expect(isForwardMove('authorized', 'paid')).toBe(true);
    expect(isForwardMove('paid', 'authorized')).toBe(false);
    expect(isForwardMove('fulfilled', 'paid')).toBe(false);
    expect(isForwardMove('authorized', 'expired')).toBe(true);
    expect(isForwardMove('authorized', 'failed')).toBe(true);
    expect(isForwardMove('on_hold', 'authorized')).toBe(false);
    expect(isForwardMove('expired', 'authorized')).toBe(true);
  });

  it('finds the shortest legal path, each step allowed by the machine', () => {
    expect(orderStatePath('paid', 'paid')).toEqual([]);
    expect(orderStatePath('authorized', 'refunded')).toEqual(['partially_paid', 'refunded']);
    expect(orderStatePath('expired', 'authorized')).toEqual(['payment_pending', 'authorized']);
    expect(orderStatePath('cart', 'paid')).toEqual(['checkout', 'payment_pending', 'paid']);
    expect(orderStatePath('refunded', 'paid')).toBeUndefined();
    expect(orderStatePath('cancelled', 'payment_pending')).toBeUndefined();
    // Every non-terminal state reaches every state but the pre-order ones (cart, checkout): the
    // synchronizer relies on it for the money's moves and for repairs.
    for (const from of orderStates.filter((state) => !orderStateMachine.isTerminal(state))) {
      for (const to of orderStates.filter((state) => state !== 'cart' && state !== 'checkout' && state !== from)) {
        expect(orderStatePath(from, to), `${from} -> ${to}`).toBeDefined();
      }
    }
    for (const from of orderStates) {
      for (const to of orderStates) {
        const path = orderStatePath(from, to);
        let state = from;
        for (const step of path ?? []) {
          expect(orderStateMachine.canTransition(state, step), `${from} -> ${to}`).toBe(true);
          state = step;
        }
      }
    }
  });
});
