import {
  InvalidMoneyError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  ProviderRetryableError,
  ProviderUnavailableError,
  UnknownOutcomeError,
  UnsupportedOperationError,
} from '@paymigrate/core';
import { decodeStripeForm, type RecordedCall } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { authorizeInput, callsSince, euros, newKey, thrownBy, useStripeFake } from './__fixtures__/stripe-fake-harness.js';

const { fake, gateway } = useStripeFake();

/** The form body of a recorded call, decoded. */
function bodyOf(call: RecordedCall | undefined): Record<string, unknown> {
  return decodeStripeForm(call?.requestBody ?? '');
}

describe('authorize', () => {
  it('creates and confirms a manual-capture PaymentIntent carrying our reference, and reads the card', async () => {
    const since = fake.api.calls.length;
    const input = authorizeInput({ description: 'Order 42', metadata: { cart: 'c-1', merchant_reference: 'ignored' } });
    const payment = await gateway().authorize(input);
    expect(payment).toMatchObject({
      provider: 'stripe',
      providerReference: expect.stringMatching(/^pi_/),
      merchantReference: input.merchantReference,
      state: 'authorized',
      providerStatus: 'requires_capture',
      networkTransactionId: expect.stringMatching(/^[0-9]{15}$/),
    });
    expect(payment.authorizedAmount.toJSON()).toEqual(euros(5000).toJSON());
    expect(payment.capturedAmount.isZero()).toBe(true);
    expect(payment.storedPaymentMethod).toBeUndefined();
    expect(payment.declineReason).toBeUndefined();
    expect(payment.nextAction).toBeUndefined();
    const [call] = callsSince(fake, since);
    expect(bodyOf(call)).toEqual({
      amount: '5000',
      currency: 'eur',
      confirm: 'true',
      payment_method: 'pm_card_visa',
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
      capture_method: 'manual',
      metadata: { cart: 'c-1', merchant_reference: input.merchantReference },
      expand: ['latest_charge'],
      description: 'Order 42',
    });
  });

  it('captures at once with automatic capture', async () => {
    const payment = await gateway().authorize(authorizeInput({ captureMethod: 'automatic' }));
    expect(payment.state).toBe('captured');
    expect(payment.capturedAmount.toJSON()).toEqual(euros(5000).toJSON());
    expect(payment.authorizedAmount.toJSON()).toEqual(euros(5000).toJSON());
  });

  it.each([
    [Money.of(500, 'ISK'), 50_000, 'isk'],
    [Money.of(15_000, 'JPY'), 15_000, 'jpy'],
    [Money.of(5120, 'BHD'), 5120, 'bhd'],
    [Money.of(450_000, 'MGA'), 4500, 'mga'],
  ])('sends %s as Stripe amount %d and reads it back', async (amount, wireAmount, currency) => {
    const since = fake.api.calls.length;
    const payment = await gateway().authorize(authorizeInput({ amount }));
    expect(bodyOf(callsSince(fake, since)[0])).toMatchObject({ amount: String(wireAmount), currency });
    expect(payment.amount.toJSON()).toEqual(amount.toJSON());
    expect((await gateway().retrieve({ providerReference: payment.providerReference })).authorizedAmount.toJSON()).toEqual(amount.toJSON());
  });

  it('refuses amounts Stripe cannot represent before sending anything', async () => {
    const since = fake.api.calls.length;
    await expect(gateway().authorize(authorizeInput({ amount: Money.of(5124, 'BHD') }))).rejects.toThrow(InvalidMoneyError);
    await expect(gateway().authorize(authorizeInput({ amount: Money.of(100, 'XTS') }))).rejects.toThrow(InvalidMoneyError);
    expect(callsSince(fake, since)).toHaveLength(0);
  });

  it('answers requires_action with a 3-D Secure redirect when there is a return URL, and finishes after the challenge', async () => {
    const since = fake.api.calls.length;
    const payment = await gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_card_threeDSecure2Required', returnUrl: 'https://shop.example/return' }));
    expect(bodyOf(callsSince(fake, since)[0])).toMatchObject({ return_url: 'https://shop.example/return', automatic_payment_methods: { allow_redirects: 'always' } });
    expect(payment.state).toBe('requires_action');
    expect(payment.nextAction).toEqual({ type: 'three_d_secure', url: expect.stringContaining(payment.providerReference) });
    expect(payment.authorizedAmount.isZero()).toBe(true);
    fake.completeThreeDSecure(payment.providerReference, 'succeeded');
    expect((await gateway().retrieve({ providerReference: payment.providerReference })).state).toBe('authorized');
  });

  it('answers requires_action for the client SDK without a return URL; a failed challenge is a failed payment', async () => {
    const payment = await gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_card_authenticationRequiredOnSetup' }));
    expect(payment.nextAction).toEqual({ type: 'three_d_secure' });
    fake.completeThreeDSecure(payment.providerReference, 'failed');
    const failed = await gateway().retrieve({ providerReference: payment.providerReference });
    expect(failed).toMatchObject({ state: 'failed', providerStatus: 'requires_payment_method', declineReason: 'authentication_failed' });
    expect(failed.authorizedAmount.isZero()).toBe(true);
  });

  it('a declined payment reads back as failed with its canonical reason', async () => {
    const error = (await thrownBy(() => gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_card_chargeDeclinedExpiredCard' })))) as PaymentDeclinedError;
    const payment = await gateway().retrieve({ providerReference: error.providerReference as string });
    expect(payment).toMatchObject({ state: 'failed', declineReason: 'expired_card' });
    expect(payment.networkTransactionId).toBeUndefined();
  });

  it('saves the card on the customer, with the network transaction id of this first payment', async () => {
    const customer = String(fake.createCustomer()['id']);
    const since = fake.api.calls.length;
    const payment = await gateway().authorize(authorizeInput({ customerReference: customer, savePaymentMethod: true, paymentMethodToken: 'pm_card_mastercard' }));
    expect(bodyOf(callsSince(fake, since)[0])).toMatchObject({ customer, setup_future_usage: 'off_session' });
    expect(payment.storedPaymentMethod).toEqual({
      provider: 'stripe',
      token: expect.stringMatching(/^pm_/),
      customerReference: customer,
      card: { brand: 'mastercard', last4: '4444', expiryMonth: 11, expiryYear: 2033, fingerprint: expect.any(String), funding: 'credit', issuingCountry: 'US' },
      networkTransactionId: payment.networkTransactionId,
      createdAt: expect.any(Number),
    });
    expect(payment.networkTransactionId).toMatch(/^MCC/);
    const listed = await gateway().listStoredPaymentMethods({ customerReference: customer });
    expect(listed.map((method) => method.token)).toEqual([payment.storedPaymentMethod?.token]);
    expect(listed[0]?.card.fingerprint).toBe(payment.storedPaymentMethod?.card.fingerprint);
  });

  it('refuses to save a card without a customer, before sending anything', async () => {
    const since = fake.api.calls.length;
    const error = await thrownBy(() => gateway().authorize(authorizeInput({ savePaymentMethod: true })));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as InvalidRequestError).parameter).toBe('customerReference');
    expect(callsSince(fake, since)).toHaveLength(0);
  });

  it('a single-use card cannot be charged again without a customer (Stripe refuses reuse)', async () => {
    const payment = await gateway().authorize(authorizeInput());
    const reused = String(fake.paymentIntent(payment.providerReference)?.['payment_method']);
    const error = await thrownBy(() => gateway().authorize(authorizeInput({ paymentMethodToken: reused })));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as InvalidRequestError).providerCode).toBe('payment_method_unexpected_state');
  });
});

describe('merchant-initiated charges', () => {
  it('charges a migrated card off session with the network transaction id of the old provider', async () => {
    const customer = String(fake.createCustomer()['id']);
    const card = String(fake.attachCard({ customer, token: 'pm_card_visa' })['id']);
    const since = fake.api.calls.length;
    const payment = await gateway().chargeStoredPaymentMethod({
      idempotencyKey: newKey(),
      merchantReference: 'renewal-2026-01',
      amount: euros(1999),
      customerReference: customer,
      paymentMethodToken: card,
      networkTransactionId: '123456789012345',
      reason: 'subscription',
    });
    expect(payment).toMatchObject({ state: 'captured', merchantReference: 'renewal-2026-01' });
    expect(bodyOf(callsSince(fake, since)[0])).toEqual({
      amount: '1999',
      currency: 'eur',
      confirm: 'true',
      off_session: 'recurring',
      customer,
      payment_method: card,
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
      capture_method: 'automatic',
      metadata: { merchant_reference: 'renewal-2026-01' },
      expand: ['latest_charge'],
      payment_method_options: { card: { mit_exemption: { network_transaction_id: '123456789012345' } } },
    });
    expect(fake.paymentIntentRequest(payment.providerReference)).toEqual({ offSession: 'recurring', mitExemptionNetworkTransactionId: '123456789012345' });
  });

  it('marks unscheduled charges one_off and can leave them uncaptured', async () => {
    const customer = String(fake.createCustomer()['id']);
    const card = String(fake.attachCard({ customer, token: 'pm_card_authenticationRequiredOnSetup' })['id']);
    const payment = await gateway().chargeStoredPaymentMethod({
      idempotencyKey: newKey(),
      merchantReference: 'top-up-1',
      amount: euros(2500),
      customerReference: customer,
      paymentMethodToken: card,
      reason: 'unscheduled',
      captureMethod: 'manual',
    });
    expect(payment.state).toBe('authorized');
    expect(fake.paymentIntentRequest(payment.providerReference)).toEqual({ offSession: 'one_off', mitExemptionNetworkTransactionId: null });
  });

  it('a card that always needs 3-D Secure is declined off session with authentication_required', async () => {
    const customer = String(fake.createCustomer()['id']);
    const card = String(fake.attachCard({ customer, token: 'pm_card_threeDSecure2Required' })['id']);
    const error = await thrownBy(() =>
      gateway().chargeStoredPaymentMethod({ idempotencyKey: newKey(), merchantReference: 'r', amount: euros(1000), customerReference: customer, paymentMethodToken: card, reason: 'subscription' }),
    );
    expect(PaymentDeclinedError.isInstance(error)).toBe(true);
    expect((error as PaymentDeclinedError).declineReason).toBe('authentication_required');
  });

  it('refuses a network transaction id when the account has no mit_exemption, before sending', async () => {
    const since = fake.api.calls.length;
    const error = await thrownBy(() =>
      gateway({ networkTransactionIdExemption: false }).chargeStoredPaymentMethod({
        idempotencyKey: newKey(),
        merchantReference: 'r',
        amount: euros(1000),
        customerReference: 'cus_x',
        paymentMethodToken: 'pm_x',
        networkTransactionId: '123',
        reason: 'subscription',
      }),
    );
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect(callsSince(fake, since)).toHaveLength(0);
  });

  it("a card of another customer is refused by Stripe", async () => {
    const owner = String(fake.createCustomer()['id']);
    const other = String(fake.createCustomer()['id']);
    const card = String(fake.attachCard({ customer: owner, token: 'pm_card_visa' })['id']);
    const error = await thrownBy(() =>
      gateway().chargeStoredPaymentMethod({ idempotencyKey: newKey(), merchantReference: 'r', amount: euros(1000), customerReference: other, paymentMethodToken: card, reason: 'unscheduled' }),
    );
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as InvalidRequestError).parameter).toBe('payment_method');
  });

  it('lists every page of a customer with many cards', async () => {
    const customer = String(fake.createCustomer()['id']);
    for (let index = 0; index < 103; index += 1) fake.attachCard({ customer, token: index % 2 === 0 ? 'pm_card_visa' : 'pm_card_amex' });
    const since = fake.api.calls.length;
    const methods = await gateway().listStoredPaymentMethods({ customerReference: customer });
    expect(methods).toHaveLength(103);
    expect(new Set(methods.map((method) => method.token)).size).toBe(103);
    expect(methods.every((method) => method.customerReference === customer && method.networkTransactionId === undefined)).toBe(true);
    expect(new Set(methods.map((method) => method.card.brand))).toEqual(new Set(['visa', 'amex']));
    const pages = callsSince(fake, since);
    expect(pages).toHaveLength(2);
    expect(new URL(pages[1]?.url as string).searchParams.get('starting_after')).toBe(methods[99]?.token);
    expect(await gateway().listStoredPaymentMethods({ customerReference: String(fake.createCustomer()['id']) })).toEqual([]);
  });
});

describe('capture, refund, cancel', () => {
  it('a partial capture releases the rest; refunds are counted without the released part', async () => {
    const subject = gateway();
    const payment = await subject.authorize(authorizeInput({ amount: euros(10_000) }));
    const capture = await subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(6000) });
    expect(capture).toMatchObject({ operation: 'capture', status: 'succeeded', providerStatus: 'succeeded', operationReference: expect.stringMatching(/^ch_/) });
    expect(capture.amount.toJSON()).toEqual(euros(6000).toJSON());
    expect(capture.payment?.state).toBe('captured');
    expect(capture.payment?.authorizedAmount.toJSON()).toEqual(euros(6000).toJSON());
    expect(capture.payment?.refundedAmount.isZero()).toBe(true);

    const refund = await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(2000), reason: 'order_cancelled', merchantReference: 'rma-7' });
    expect(refund).toMatchObject({ operation: 'refund', status: 'succeeded', providerStatus: 'succeeded', operationReference: expect.stringMatching(/^re_/) });
    expect(refund.payment?.state).toBe('partially_refunded');
    expect(refund.payment?.refundedAmount.toJSON()).toEqual(euros(2000).toJSON());
    const refundCall = fake.api.callsTo(fake.routes.createRefund).at(-1);
    expect(bodyOf(refundCall)).toEqual({
      payment_intent: payment.providerReference,
      amount: '2000',
      expand: ['payment_intent.latest_charge'],
      reason: 'requested_by_customer',
      metadata: { merchant_reference: 'rma-7' },
    });

    const rest = await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(4000), reason: 'duplicate' });
    expect(rest.payment?.state).toBe('refunded');
    const error = await thrownBy(() => subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(1) }));
    expect((error as InvalidRequestError).providerCode).toBe('charge_already_refunded');

    fake.failRefund(rest.operationReference);
    expect((await subject.retrieve({ providerReference: payment.providerReference })).state).toBe('partially_refunded');
  });

  it('refuses a non-final capture: Stripe has no multicapture here', async () => {
    const since = fake.api.calls.length;
    const error = await thrownBy(() => gateway().capture({ idempotencyKey: newKey(), providerReference: 'pi_x', amount: euros(100), finalCapture: false }));
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect(callsSince(fake, since)).toHaveLength(0);
  });

  it('cancelling releases the whole authorization', async () => {
    const payment = await gateway().authorize(authorizeInput());
    const result = await gateway().cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference, merchantReference: 'void-1' });
    expect(result).toMatchObject({ operation: 'cancel', status: 'succeeded', providerStatus: 'canceled', operationReference: payment.providerReference });
    expect(result.amount.toJSON()).toEqual(euros(5000).toJSON());
    expect(result.payment).toMatchObject({ state: 'voided' });
    expect(result.payment?.authorizedAmount.isZero()).toBe(true);
    expect(result.payment?.refundedAmount.isZero()).toBe(true);
  });

  it('an authorization Stripe let expire reads back as failed', async () => {
    const payment = await gateway().authorize(authorizeInput());
    fake.expireAuthorization(payment.providerReference);
    const expired = await gateway().retrieve({ providerReference: payment.providerReference });
    expect(expired).toMatchObject({ state: 'failed', providerStatus: 'canceled', declineReason: 'authorization_expired' });
    expect(expired.authorizedAmount.isZero()).toBe(true);
  });
});

describe('lookups', () => {
  it('finds the live payment when a declined attempt shares the reference', async () => {
    const merchantReference = `order-with-'quote'-and-\\backslash`;
    await thrownBy(() => gateway().authorize(authorizeInput({ merchantReference, paymentMethodToken: 'pm_card_visa_chargeDeclined' })));
    const declinedOnly = await gateway().findByMerchantReference({ merchantReference });
    expect(declinedOnly?.state).toBe('failed');
    const live = await gateway().authorize(authorizeInput({ merchantReference }));
    const found = await gateway().findByMerchantReference({ merchantReference });
    expect(found?.providerReference).toBe(live.providerReference);
    const search = fake.api.callsTo(fake.routes.searchPaymentIntents).at(-1);
    expect(new URL(search?.url as string).searchParams.get('query')).toBe(`metadata['merchant_reference']:'order-with-\\'quote\\'-and-\\\\backslash'`);
  });
});

describe('cancellation by the caller', () => {
  it('a signal aborted before the call sends nothing', async () => {
    const since = fake.api.calls.length;
    const error = await thrownBy(() => gateway().authorize(authorizeInput(), { signal: AbortSignal.abort() }));
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
    expect(callsSince(fake, since)).toHaveLength(0);
  });

  it('an abort after sending gives a write an unknown outcome and a read a retryable error', async () => {
    const payment = await gateway().authorize(authorizeInput());
    fake.setExecutionDelay(500);
    const writeError = await thrownBy(() => gateway().authorize(authorizeInput(), { signal: AbortSignal.timeout(50) }));
    expect(UnknownOutcomeError.isInstance(writeError)).toBe(true);
    expect((writeError as UnknownOutcomeError).message).toContain('aborted by the caller');
    const readError = await thrownBy(() => gateway().retrieve({ providerReference: payment.providerReference }, { signal: AbortSignal.timeout(50) }));
    expect(ProviderRetryableError.isInstance(readError)).toBe(true);
    fake.setExecutionDelay(0);
  });

  it('a signal that never fires changes nothing', async () => {
    const payment = await gateway().authorize(authorizeInput(), { signal: new AbortController().signal });
    expect(payment.state).toBe('authorized');
  });
});
