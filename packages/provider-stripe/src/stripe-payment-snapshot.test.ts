import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { customerRefundedUnits, toPaymentSnapshot, toStoredPaymentMethod } from './stripe-payment-snapshot.js';

// Payment intents shaped by hand for states the fake does not reach on its own (processing,
// expanded customers, other next actions, unknown statuses).
function intent(overrides: Record<string, unknown>): Stripe.PaymentIntent {
  return {
    id: 'pi_1',
    object: 'payment_intent',
    amount: 1000,
    amount_capturable: 0,
    amount_received: 0,
    currency: 'usd',
    status: 'requires_capture',
    metadata: { merchant_reference: 'order-1' },
    latest_charge: null,
    last_payment_error: null,
    next_action: null,
    customer: null,
    payment_method: null,
    payment_method_types: ['card'],
    setup_future_usage: null,
    cancellation_reason: null,
    created: 1_700_000_000,
    ...overrides,
  } as unknown as Stripe.PaymentIntent;
}

function charge(overrides: Record<string, unknown>): Stripe.Charge {
  return {
    id: 'ch_1',
    object: 'charge',
    amount: 1000,
    amount_captured: 1000,
    amount_refunded: 0,
    captured: true,
    created: 1_700_000_001,
    payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 1, exp_year: 2031, fingerprint: 'f', funding: 'debit', country: 'DE', network_transaction_id: '987654321098765' } },
    ...overrides,
  } as unknown as Stripe.Charge;
}

describe('toPaymentSnapshot', () => {
  it('a processing intent is authorizing with nothing held yet', () => {
    const snapshot = toPaymentSnapshot(intent({ status: 'processing' }));
    expect(snapshot).toMatchObject({ state: 'authorizing', providerStatus: 'processing', merchantReference: 'order-1' });
    expect(snapshot.authorizedAmount.isZero()).toBe(true);
  });

  it('an unknown status is unknown, never a success, and holds nothing', () => {
    const snapshot = toPaymentSnapshot(intent({ status: 'requires_reconciliation', amount_received: 0 }));
    expect(snapshot.state).toBe('unknown');
    expect(snapshot.authorizedAmount.isZero()).toBe(true);
  });

  it('reads expanded customer and payment method objects for the stored card', () => {
    const snapshot = toPaymentSnapshot(
      intent({
        status: 'succeeded',
        amount_received: 1000,
        customer: { id: 'cus_1', object: 'customer' },
        payment_method: { id: 'pm_1', object: 'payment_method' },
        setup_future_usage: 'off_session',
        latest_charge: charge({}),
      }),
    );
    expect(snapshot.storedPaymentMethod).toMatchObject({ token: 'pm_1', customerReference: 'cus_1', networkTransactionId: '987654321098765', createdAt: 1_700_000_001_000 });
    expect(snapshot.storedPaymentMethod?.card).toMatchObject({ brand: 'visa', last4: '4242', funding: 'debit', issuingCountry: 'DE' });
  });

  it('has no stored card without the charge, the customer, or a readable card', () => {
    const saved = { status: 'succeeded', amount_received: 1000, customer: 'cus_1', payment_method: 'pm_1', setup_future_usage: 'off_session' };
    expect(toPaymentSnapshot(intent(saved)).storedPaymentMethod).toBeUndefined();
    expect(toPaymentSnapshot(intent({ ...saved, customer: null, latest_charge: charge({}) })).storedPaymentMethod).toBeUndefined();
    expect(toPaymentSnapshot(intent({ ...saved, latest_charge: charge({ payment_method_details: { type: 'card', card: { last4: null } } }) })).storedPaymentMethod).toBeUndefined();
  });

  it('refunds: partial, full, and a charge that was never captured', () => {
    expect(toPaymentSnapshot(intent({ status: 'succeeded', amount_received: 1000, latest_charge: charge({ amount_refunded: 400 }) })).state).toBe('partially_refunded');
    const refunded = toPaymentSnapshot(intent({ status: 'succeeded', amount_received: 1000, latest_charge: charge({ amount_refunded: 1000 }) }));
    expect(refunded.state).toBe('refunded');
    expect(refunded.refundedAmount.toString()).toBe('10.00 USD');
    expect(customerRefundedUnits(charge({ captured: false, amount_captured: 0, amount_refunded: 1000 }))).toBe(0);
    expect(customerRefundedUnits(charge({ amount_captured: 600, amount_refunded: 400 }))).toBe(0);
    expect(customerRefundedUnits(charge({ amount_captured: 600, amount_refunded: 500 }))).toBe(100);
    expect(customerRefundedUnits(undefined)).toBe(0);
  });

  it('a cancellation after a capture is captured (Stripe released only the rest); an expiry fails the authorization', () => {
    const capturedThenCancelled = toPaymentSnapshot(intent({ status: 'canceled', cancellation_reason: 'automatic', amount_received: 500, latest_charge: charge({ amount_captured: 500, amount_refunded: 500 }) }));
    expect(capturedThenCancelled.state).toBe('captured');
    expect(capturedThenCancelled.authorizedAmount.toString()).toBe('5.00 USD');
    expect(toPaymentSnapshot(intent({ status: 'canceled', amount_received: 500, latest_charge: charge({ amount_captured: 500, amount_refunded: 600 }) })).state).toBe('partially_refunded');
    expect(toPaymentSnapshot(intent({ status: 'canceled', cancellation_reason: 'automatic' })).state).toBe('failed');
    expect(toPaymentSnapshot(intent({ status: 'canceled', cancellation_reason: 'expired' })).state).toBe('failed');
    expect(toPaymentSnapshot(intent({ status: 'canceled', cancellation_reason: 'requested_by_customer' })).state).toBe('voided');
  });

  it('a failed intent carries the decline reason of its last error', () => {
    const failed = toPaymentSnapshot(intent({ status: 'requires_payment_method', last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds' } }));
    expect(failed).toMatchObject({ state: 'failed', declineReason: 'insufficient_funds' });
    expect(toPaymentSnapshot(intent({ status: 'requires_payment_method', last_payment_error: { type: 'card_error', code: 'expired_card' } })).declineReason).toBe('expired_card');
    expect(toPaymentSnapshot(intent({ status: 'requires_payment_method' })).declineReason).toBeUndefined();
  });

  it.each([
    [{ type: 'use_stripe_sdk', use_stripe_sdk: {} }, ['card'], { type: 'three_d_secure' }],
    [{ type: 'redirect_to_url', redirect_to_url: { url: 'https://hooks.stripe.com/x', return_url: 'https://shop/back' } }, ['card'], { type: 'three_d_secure', url: 'https://hooks.stripe.com/x' }],
    [{ type: 'redirect_to_url', redirect_to_url: { url: 'https://bank.example/pay', return_url: null } }, ['card', 'ideal'], { type: 'redirect', url: 'https://bank.example/pay' }],
    [{ type: 'redirect_to_url', redirect_to_url: { url: null, return_url: null } }, ['ideal'], { type: 'redirect', url: undefined }],
    [{ type: 'verify_with_microdeposits' }, ['us_bank_account'], { type: 'other' }],
    [null, ['card'], undefined],
  ])('next action %j with %j -> %j', (nextAction, types, expected) => {
    const snapshot = toPaymentSnapshot(intent({ status: 'requires_action', next_action: nextAction, payment_method_types: types }));
    expect(snapshot.state).toBe('requires_action');
    expect(snapshot.nextAction).toEqual(expected);
  });
});

describe('toStoredPaymentMethod', () => {
  it('skips payment methods without a card', () => {
    expect(toStoredPaymentMethod({ id: 'pm_1', object: 'payment_method', type: 'sepa_debit', card: undefined, created: 1 } as unknown as Stripe.PaymentMethod, 'cus_1')).toBeUndefined();
  });
});
