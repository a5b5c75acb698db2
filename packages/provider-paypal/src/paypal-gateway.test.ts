import { InvalidRequestError, Money, UnsupportedOperationError } from '@paymigrate/core';
import { payPalFakeRoutes, payPalTestPaymentTokens } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPalTestSubject, failure, newCustomerId, newKey, newReference, server } from './__fixtures__/paypal-test-environment.js';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

describe('3-D Secure', () => {
  it.each([
    ['manual', 'authorized', payPalFakeRoutes.authorizeOrder],
    ['automatic', 'captured', payPalFakeRoutes.captureOrder],
  ] as const)('with %s capture: requires_action, then the payer finishes and replaying authorize completes it', async (captureMethod, state, completionRoute) => {
    const { gateway, fake } = createPayPalTestSubject();
    const input = {
      idempotencyKey: newKey(),
      merchantReference: newReference(),
      amount: usd(4_200),
      paymentMethodToken: payPalTestPaymentTokens.threeDSecure.vaultId,
      captureMethod,
      returnUrl: 'https://shop.example/return',
    };
    const challenged = await gateway.authorize(input);
    expect(challenged.state).toBe('requires_action');
    expect(challenged.nextAction?.type).toBe('three_d_secure');
    expect(challenged.nextAction?.url).toMatch(/^https:\/\/www\.sandbox\.paypal\.com\//);
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)[0]?.requestBodyJson).toMatchObject({
      payment_source: { card: { experience_context: { return_url: 'https://shop.example/return', cancel_url: 'https://shop.example/return' } } },
    });

    expect((await gateway.authorize(input)).state).toBe('requires_action');
    expect(fake.api.callsTo(completionRoute)).toHaveLength(0);

    fake.completePayerAction(challenged.providerReference);
    expect((await gateway.retrieve({ providerReference: challenged.providerReference })).state).toBe('authorizing');
    const completed = await gateway.authorize(input);
    expect(completed.state).toBe(state);
    expect(completed.providerReference).toBe(challenged.providerReference);
    expect(fake.api.callsTo(completionRoute).map((call) => call.requestHeaders['paypal-request-id'])).toEqual([`${input.idempotencyKey}:complete`]);
    expect((await gateway.authorize(input)).state).toBe(state);
    expect(fake.payments()).toHaveLength(1);
  });

  it('an order waiting for the payer can neither be captured nor voided', async () => {
    const { gateway } = createPayPalTestSubject();
    const challenged = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.threeDSecure.vaultId });
    const capture = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: challenged.providerReference, amount: usd(100) }));
    expect(InvalidRequestError.isInstance(capture)).toBe(true);
    expect((capture as Error).message).toContain('holds no authorization');
    const cancel = await failure(() => gateway.cancel({ idempotencyKey: newKey(), providerReference: challenged.providerReference }));
    expect(InvalidRequestError.isInstance(cancel)).toBe(true);
    expect((cancel as Error).message).toContain('expire');
  });
});

describe('merchant-initiated charges', () => {
  it('send the stored credential with the previous network transaction id, and skip 3-D Secure', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const card = fake.vaultCard({ customerId: newCustomerId(), testToken: 'threeDSecure' });
    const [stored] = await gateway.listStoredPaymentMethods({ customerReference: card.customerId });
    expect(stored?.networkTransactionId).toBe(card.networkTransactionId);
    const payment = await gateway.chargeStoredPaymentMethod({
      idempotencyKey: newKey(),
      merchantReference: newReference(),
      amount: usd(1_999),
      customerReference: card.customerId,
      paymentMethodToken: card.vaultId,
      networkTransactionId: stored?.networkTransactionId,
      reason: 'unscheduled',
    });
    expect(payment.state).toBe('captured');
    expect(payment.storedPaymentMethod).toMatchObject({ token: card.vaultId, customerReference: card.customerId, card: { brand: 'visa', last4: '3220' } });
    expect(payment.networkTransactionId).toMatch(/^[0-9]+$/);
    expect(fake.payments()[0]?.storedCredential).toEqual({
      payment_initiator: 'MERCHANT',
      payment_type: 'UNSCHEDULED',
      usage: 'SUBSEQUENT',
      previous_network_transaction_reference: { id: card.networkTransactionId },
    });
  });

  it('a subscription renewal is RECURRING, and works without a network transaction id', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const card = fake.vaultCard({ customerId: newCustomerId() });
    await gateway.chargeStoredPaymentMethod({
      idempotencyKey: newKey(),
      merchantReference: newReference(),
      amount: usd(500),
      customerReference: card.customerId,
      paymentMethodToken: card.vaultId,
      reason: 'subscription',
      captureMethod: 'manual',
    });
    expect(fake.payments()[0]?.storedCredential).toEqual({ payment_initiator: 'MERCHANT', payment_type: 'RECURRING', usage: 'SUBSEQUENT' });
    expect(fake.payments()[0]?.intent).toBe('AUTHORIZE');
  });
});

describe('currencies without decimals at PayPal', () => {
  it('HUF travels in whole forints and comes back in minor units', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(1_500_000n, 'HUF'), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    expect(fake.payments()[0]?.amount).toEqual({ currency_code: 'HUF', value: '15000' });
    expect(payment.amount.minorUnits).toBe(1_500_000n);
    const capture = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: Money.of(500_000n, 'HUF') });
    expect(capture.amount.equals(Money.of(500_000n, 'HUF'))).toBe(true);
    expect((await gateway.retrieve({ providerReference: payment.providerReference })).state).toBe('captured');
  });

  it('JPY and TWD', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(1500, 'JPY'), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(30_000, 'TWD'), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    expect(fake.payments().map((payment) => payment.amount)).toEqual([
      { currency_code: 'JPY', value: '1500' },
      { currency_code: 'TWD', value: '300' },
    ]);
  });
});

describe('captures PayPal does not complete at once', () => {
  it('a PENDING capture is pending and moves nothing yet', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(1_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    fake.setCaptureOutcome('PENDING');
    const capture = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(1_000), merchantReference: 'capture-ref-1' });
    expect(capture).toMatchObject({ status: 'pending', providerStatus: 'PENDING' });
    const snapshot = await gateway.retrieve({ providerReference: payment.providerReference });
    expect(snapshot.state).toBe('authorized');
    expect(snapshot.capturedAmount.isZero()).toBe(true);
    const refund = await failure(() => gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(100) }));
    expect(InvalidRequestError.isInstance(refund)).toBe(true);
  });

  it('a DECLINED capture is a failed operation, the authorization stays', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(1_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    fake.setCaptureOutcome('DECLINED');
    expect(await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(1_000) })).toMatchObject({ status: 'failed', providerStatus: 'DECLINED' });
    expect((await gateway.retrieve({ providerReference: payment.providerReference })).state).toBe('authorized');
  });
});

describe('refunds over several captures', () => {
  it('go to a capture that can take them, and refuse to straddle two captures', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(1_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    const first = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(400), finalCapture: false });
    const second = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(600) });
    await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(300) });
    const toSecond = await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(500) });
    expect(fake.payments()[0]?.refunds.map((refund) => refund.captureId)).toEqual([first.operationReference, second.operationReference]);
    expect(toSecond.status).toBe('succeeded');
    const straddling = await failure(() => gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(150) }));
    expect(UnsupportedOperationError.isInstance(straddling)).toBe(true);
    expect((await gateway.retrieve({ providerReference: payment.providerReference })).state).toBe('partially_refunded');
  });

  it('a retry goes to the capture of the first attempt, even when another capture would now fit', async () => {
    const { gateway, fake } = createPayPalTestSubject({ timeoutMilliseconds: 250 });
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(1_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    const first = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(500), finalCapture: false });
    await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(500) });
    fake.api.faults.inject({ route: payPalFakeRoutes.refundCapture, kind: 'timeout-after-apply', milliseconds: 600, times: 1 });
    const input = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(500) };
    await failure(() => gateway.refund(input));
    const retried = await gateway.refund(input);
    expect(fake.payments()[0]?.refunds).toEqual([{ id: retried.operationReference, captureId: first.operationReference, status: 'COMPLETED', value: '5.00' }]);
    await fake.api.waitForPendingCalls();
  });
});

describe('lookups', () => {
  it('findByMerchantReference is not available and says why', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const error = await failure(() => gateway.findByMerchantReference({ merchantReference: 'order-1' }));
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('same idempotency key');
    expect(fake.api.calls).toHaveLength(0);
  });

  it('lists every stored card of a customer, page by page, and nothing of others', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const customerId = newCustomerId();
    const vaulted = Array.from({ length: 25 }, (_, index) => fake.vaultCard({ customerId, testToken: index % 2 === 0 ? 'visa' : 'amex' }));
    fake.vaultCard({ customerId: newCustomerId() });
    const methods = await gateway.listStoredPaymentMethods({ customerReference: customerId });
    expect(methods.map((method) => method.token)).toEqual(vaulted.map((card) => card.vaultId));
    expect(methods[1]).toMatchObject({ provider: 'paypal', customerReference: customerId, card: { brand: 'amex', last4: '8431', expiryMonth: 10, expiryYear: 2032 } });
    expect(fake.api.callsTo(payPalFakeRoutes.listPaymentTokens).map((call) => new URL(call.url).searchParams.get('page'))).toEqual(['1', '2']);
    expect(await gateway.listStoredPaymentMethods({ customerReference: newCustomerId() })).toEqual([]);
  });

  it('an invalid customer id is an invalid request', async () => {
    const { gateway } = createPayPalTestSubject();
    expect(InvalidRequestError.isInstance(await failure(() => gateway.listStoredPaymentMethods({ customerReference: 'short' })))).toBe(true);
  });
});

describe('what the adapter sends', () => {
  it('an order with our reference as custom_id and invoice_id, the vault id, and a description PayPal accepts', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const merchantReference = newReference();
    await gateway.authorize({
      idempotencyKey: newKey(),
      merchantReference,
      amount: usd(1_234),
      paymentMethodToken: payPalTestPaymentTokens.mastercard.vaultId,
      description: 'x'.repeat(200),
      metadata: { cart: '42' },
    });
    const [call] = fake.api.callsTo(payPalFakeRoutes.createOrder);
    expect(call?.requestHeaders.prefer).toBe('return=representation');
    expect(call?.requestBodyJson).toEqual({
      intent: 'AUTHORIZE',
      purchase_units: [{ reference_id: 'default', custom_id: merchantReference, invoice_id: merchantReference, amount: { currency_code: 'USD', value: '12.34' }, description: 'x'.repeat(127) }],
      payment_source: { card: { vault_id: payPalTestPaymentTokens.mastercard.vaultId } },
    });
  });

  it('a refund tagged with our key (custom_id) and our reference (invoice_id)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(1_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId, captureMethod: 'automatic' });
    const idempotencyKey = newKey();
    await gateway.refund({ idempotencyKey, providerReference: payment.providerReference, amount: usd(100), merchantReference: 'refund-ref-9', reason: 'fraudulent' });
    expect(fake.api.callsTo(payPalFakeRoutes.refundCapture)[0]?.requestBodyJson).toEqual({
      amount: { currency_code: 'USD', value: '1.00' },
      custom_id: idempotencyKey,
      invoice_id: 'refund-ref-9',
    });
  });
});
