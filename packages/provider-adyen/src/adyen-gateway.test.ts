import {
  InvalidRequestError,
  Money,
  ResourceNotFoundError,
  UnsupportedOperationError,
} from '@paymigrate/core';
import { adyenFakeRoutes, adyenTestTokens, findCardNumberLikeRuns } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { captureError, createTestSubject, gatewayOptionsFor, newKey, newReference, useMockServer } from './__fixtures__/adyen-test-setup.js';
import { type AdyenGateway, createAdyenGateway } from './adyen-gateway.js';

const server = useMockServer();
const euros = (minor: bigint): Money => Money.of(minor, 'EUR');

function authorize(gateway: AdyenGateway, overrides: Partial<Parameters<AdyenGateway['authorize']>[0]> = {}) {
  return gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros(1000n), paymentMethodToken: adyenTestTokens.visa, ...overrides });
}

describe('authorize', () => {
  test('sends manual capture, shopper, metadata and description the way Adyen expects', async () => {
    const { fake, gateway } = createTestSubject(server);
    const payment = await authorize(gateway, { customerReference: 'shopper-1', metadata: { orderId: 'A-1' }, description: 'Order A-1', returnUrl: 'https://shop.example/return/A-1' });
    const body = fake.api.callsTo(adyenFakeRoutes.payments)[0]?.requestBodyJson as Record<string, unknown>;
    expect(body).toMatchObject({
      amount: { currency: 'EUR', value: 1000 },
      merchantAccount: fake.merchantAccount,
      reference: payment.merchantReference,
      returnUrl: 'https://shop.example/return/A-1',
      shopperReference: 'shopper-1',
      additionalData: { manualCapture: 'true' },
      metadata: { description: 'Order A-1', orderId: 'A-1' },
      paymentMethod: { type: 'scheme' },
    });
    expect(body.captureDelayHours).toBeUndefined();
    expect(payment).toMatchObject({ provider: 'adyen', state: 'authorized', providerStatus: 'Authorised', capturedAmount: euros(0n) });
    expect(payment.networkTransactionId).toMatch(/^[0-9]{15}$/);
    expect(findCardNumberLikeRuns(payment)).toEqual([]);
  });

  test('automatic capture sends captureDelayHours 0 and answers captured', async () => {
    const { fake, gateway } = createTestSubject(server);
    const payment = await authorize(gateway, { captureMethod: 'automatic' });
    const body = fake.api.callsTo(adyenFakeRoutes.payments)[0]?.requestBodyJson as Record<string, unknown>;
    expect(body.captureDelayHours).toBe(0);
    expect(body.additionalData).toBeUndefined();
    expect(payment).toMatchObject({ state: 'captured', capturedAmount: euros(1000n) });
  });

  test('saving a card stores it per shopper with brand, last four, expiry and a PAR fingerprint, never the number', async () => {
    const { fake, gateway } = createTestSubject(server);
    const payment = await authorize(gateway, { customerReference: 'shopper-2', savePaymentMethod: true });
    expect(fake.api.callsTo(adyenFakeRoutes.payments)[0]?.requestBodyJson).toMatchObject({ storePaymentMethod: true, recurringProcessingModel: 'UnscheduledCardOnFile' });
    expect(payment.storedPaymentMethod).toMatchObject({
      provider: 'adyen',
      customerReference: 'shopper-2',
      card: { brand: 'visa', last4: '1142', expiryMonth: 3, expiryYear: 2030, funding: 'credit' },
      networkTransactionId: payment.networkTransactionId,
    });
    expect(payment.storedPaymentMethod?.card.fingerprint).toBe(fake.storedPaymentMethods('shopper-2')[0]?.card.fingerprint);
    expect(findCardNumberLikeRuns(payment)).toEqual([]);
    const again = await authorize(gateway, { customerReference: 'shopper-2', savePaymentMethod: true });
    expect(again.storedPaymentMethod?.token).toBe(payment.storedPaymentMethod?.token);
  });

  test('a stored token with the shopper present is a card-on-file e-commerce payment', async () => {
    const { fake, gateway } = createTestSubject(server);
    const first = await authorize(gateway, { customerReference: 'shopper-3', savePaymentMethod: true });
    const second = await authorize(gateway, { customerReference: 'shopper-3', paymentMethodToken: first.storedPaymentMethod?.token as string });
    expect(second.state).toBe('authorized');
    expect(fake.api.callsTo(adyenFakeRoutes.payments)[1]?.requestBodyJson).toMatchObject({
      paymentMethod: { type: 'scheme', storedPaymentMethodId: first.storedPaymentMethod?.token },
      shopperInteraction: 'Ecommerce',
      recurringProcessingModel: 'CardOnFile',
    });
  });

  test('malformed tokens are refused before sending, never echoed', async () => {
    const { fake, gateway } = createTestSubject(server);
    for (const token of ['{not json', '{"encryptedCardNumber":"x"}', '{"type":"scheme","number":"4111111145551142","cvc":"737"}']) {
      const error = await captureError(() => authorize(gateway, { paymentMethodToken: token }));
      expect(InvalidRequestError.isInstance(error)).toBe(true);
      expect((error as InvalidRequestError).parameter).toBe('paymentMethodToken');
      expect((error as Error).message).not.toContain('4111111145551142');
    }
    expect(fake.api.calls).toHaveLength(0);
  });

  test('result codes Adyen may answer: partial authorisation, pending, native 3-D Secure, present-to-shopper, undocumented', async () => {
    const { fake, gateway } = createTestSubject(server);
    const answer = (body: Record<string, unknown>): void => fake.answerNext(adyenFakeRoutes.payments, { status: 200, body });
    const reference = newReference();
    answer({ pspReference: 'PART2222AUTH3333', resultCode: 'PartiallyAuthorised', amount: { currency: 'EUR', value: 600 }, merchantReference: reference });
    expect(await authorize(gateway, { merchantReference: reference })).toMatchObject({ state: 'authorized', authorizedAmount: euros(600n), amount: euros(1000n) });
    answer({ pspReference: 'PEND2222INGX3333', resultCode: 'Received' });
    expect(await authorize(gateway)).toMatchObject({ state: 'authorizing', providerStatus: 'Received', authorizedAmount: euros(0n) });
    const native = newReference();
    answer({ resultCode: 'IdentifyShopper', action: { type: 'threeDS2', paymentMethodType: 'scheme', token: 'eyJ0' } });
    const identify = await authorize(gateway, { merchantReference: native });
    expect(identify).toMatchObject({ state: 'requires_action', providerReference: native, nextAction: { type: 'three_d_secure' } });
    expect(await gateway.retrieve({ providerReference: native })).toMatchObject({ state: 'requires_action' });
    answer({ pspReference: 'PRES2222ENTX3333', resultCode: 'PresentToShopper', action: { type: 'voucher' } });
    expect(await authorize(gateway)).toMatchObject({ state: 'requires_action', nextAction: { type: 'other' } });
    answer({ pspReference: 'SUCC2222ESSX3333', resultCode: 'Success' });
    expect(await authorize(gateway)).toMatchObject({ state: 'unknown', providerStatus: 'Success' });
    answer({ pspReference: 'CANC2222ELLD3333', resultCode: 'Cancelled' });
    const cancelled = await captureError(() => authorize(gateway));
    expect(cancelled).toMatchObject({ declineReason: 'cancelled', providerReference: 'CANC2222ELLD3333' });
  });
});

describe('merchant-initiated charges', () => {
  test('ContAuth with the processing model and the network transaction id, captured by default', async () => {
    const { fake, gateway, settle } = createTestSubject(server);
    const first = await authorize(gateway, { customerReference: 'shopper-mit', savePaymentMethod: true });
    const charge = await gateway.chargeStoredPaymentMethod({
      idempotencyKey: newKey(),
      merchantReference: newReference(),
      amount: euros(2500n),
      customerReference: 'shopper-mit',
      paymentMethodToken: first.storedPaymentMethod?.token as string,
      networkTransactionId: first.networkTransactionId,
      reason: 'unscheduled',
    });
    expect(charge).toMatchObject({ state: 'captured', capturedAmount: euros(2500n) });
    expect(fake.api.callsTo(adyenFakeRoutes.payments)[1]?.requestBodyJson).toMatchObject({
      shopperInteraction: 'ContAuth',
      recurringProcessingModel: 'UnscheduledCardOnFile',
      additionalData: { networkTxReference: first.networkTransactionId },
      captureDelayHours: 0,
    });
    expect(fake.payment(charge.providerReference)?.receivedNetworkTxReference).toBe(first.networkTransactionId);
    await settle();
  });

  test('only a stored token can be charged without the shopper', async () => {
    const { gateway } = createTestSubject(server);
    const error = await captureError(() =>
      gateway.chargeStoredPaymentMethod({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros(1n), customerReference: 'x', paymentMethodToken: adyenTestTokens.visa, reason: 'subscription' }),
    );
    expect(InvalidRequestError.isInstance(error)).toBe(true);
  });
});

describe('stored payment methods', () => {
  test('lists card tokens with brand, last four and expiry; skips what is not a card', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.answerNext(adyenFakeRoutes.storedPaymentMethods, {
      status: 200,
      body: {
        merchantAccount: fake.merchantAccount,
        shopperReference: 'shopper-list',
        storedPaymentMethods: [
          { id: 'CARD2222TOKN3333', brand: 'mc', lastFour: '4444', expiryMonth: '11', expiryYear: '2031', createdAt: '2026-01-02T03:04:05Z', networkTxReference: '123456789012345', type: 'scheme' },
          { id: 'SEPA2222TOKN3333', type: 'sepadirectdebit', iban: 'NL13TEST0123456789', ownerName: 'A. Shopper' },
          { id: 'BADX2222MNTH3333', brand: 'visa', lastFour: '1111', expiryMonth: '13', expiryYear: '30' },
        ],
      },
    });
    const methods = await gateway.listStoredPaymentMethods({ customerReference: 'shopper-list' });
    expect(methods).toEqual([
      {
        provider: 'adyen',
        token: 'CARD2222TOKN3333',
        customerReference: 'shopper-list',
        card: { brand: 'mastercard', last4: '4444', expiryMonth: 11, expiryYear: 2031 },
        networkTransactionId: '123456789012345',
        createdAt: Date.parse('2026-01-02T03:04:05Z'),
      },
    ]);
    expect(await gateway.listStoredPaymentMethods({ customerReference: 'nobody' })).toEqual([]);
    fake.answerNext(adyenFakeRoutes.storedPaymentMethods, { status: 200, body: { merchantAccount: fake.merchantAccount, shopperReference: 'nobody' } });
    expect(await gateway.listStoredPaymentMethods({ customerReference: 'nobody' })).toEqual([]);
  });
});

describe('modifications', () => {
  test('a non-final capture needs multiple captures enabled', async () => {
    const { fake, gateway } = createTestSubject(server, { gateway: { capabilities: { multipleCaptures: false } } });
    const payment = await authorize(gateway);
    const error = await captureError(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(100n), finalCapture: false }));
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect(fake.api.callsTo(adyenFakeRoutes.captures)).toHaveLength(0);
  });

  test('capture and refund carry our references and the refund reason', async () => {
    const { fake, gateway, settle } = createTestSubject(server);
    const payment = await authorize(gateway);
    await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(1000n), merchantReference: 'capture-ref' });
    await settle();
    await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(10n), merchantReference: 'refund-ref', reason: 'order_cancelled' });
    expect(fake.api.callsTo(adyenFakeRoutes.captures)[0]?.requestBodyJson).toEqual({ amount: { currency: 'EUR', value: 1000 }, merchantAccount: fake.merchantAccount, reference: 'capture-ref' });
    expect(fake.api.callsTo(adyenFakeRoutes.refunds)[0]?.requestBodyJson).toEqual({
      amount: { currency: 'EUR', value: 10 },
      merchantAccount: fake.merchantAccount,
      merchantRefundReason: 'OTHER',
      reference: 'refund-ref',
    });
  });

  test('a cancellation the ledger cannot size reports zero in XXX (no currency)', async () => {
    const { fake, gateway } = createTestSubject(server);
    const made = await authorize(gateway);
    const stranger = createAdyenGateway(gatewayOptionsFor(fake));
    const result = await stranger.cancel({ idempotencyKey: newKey(), providerReference: made.providerReference, merchantReference: 'cancel-ref' });
    expect(result).toMatchObject({ operation: 'cancel', status: 'pending', providerStatus: 'received', payment: undefined });
    expect(result.amount.toJSON()).toEqual({ minorUnits: '0', currency: 'XXX' });
    expect(fake.api.callsTo(adyenFakeRoutes.cancels)[0]?.requestBodyJson).toEqual({ merchantAccount: fake.merchantAccount, reference: 'cancel-ref' });
    const technical = await stranger.cancelByMerchantReference({ idempotencyKey: newKey(), merchantReference: 'order-never-seen' });
    expect(technical.amount.currency).toBe('XXX');
    expect(technical.payment).toBeUndefined();
  });

  test('a technical cancel of a payment whose answer was lost reports the requested amount', async () => {
    const { fake, gateway, settle } = createTestSubject(server, { gateway: { timeoutMilliseconds: 150 } });
    fake.api.faults.inject({ route: adyenFakeRoutes.payments, kind: 'timeout-after-apply', milliseconds: 400, times: 1 });
    const merchantReference = newReference();
    await captureError(() => authorize(gateway, { merchantReference, amount: euros(1234n) }));
    const cancel = await gateway.cancelByMerchantReference({ idempotencyKey: newKey(), merchantReference });
    expect(cancel.amount.toJSON()).toEqual(euros(1234n).toJSON());
    expect(cancel.payment?.state).toBe('authorizing');
    await settle();
    expect((await gateway.findByMerchantReference({ merchantReference }))?.state).toBe('voided');
    await fake.api.waitForPendingCalls();
  });
});

describe('lookup', () => {
  test('retrieve of a payment the ledger never saw is ResourceNotFoundError explaining why', async () => {
    const { gateway } = createTestSubject(server);
    const error = await captureError(() => gateway.retrieve({ providerReference: 'NEVR2222SEEN3333' }));
    expect(ResourceNotFoundError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('no payment lookup');
  });

  test('findByMerchantReference confirms what the ledger saw and refuses to prove an absence', async () => {
    const { gateway } = createTestSubject(server);
    const payment = await authorize(gateway);
    expect((await gateway.findByMerchantReference({ merchantReference: payment.merchantReference as string }))?.providerReference).toBe(payment.providerReference);
    const error = await captureError(() => gateway.findByMerchantReference({ merchantReference: 'never-used' }));
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('same idempotency key');
    expect(gateway.capabilities.findByMerchantReference).toBe(false);
  });
});
