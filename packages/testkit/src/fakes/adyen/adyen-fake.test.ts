import { createHmac } from 'node:crypto';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { adyenFakeDefaults, adyenFakeRoutes, createAdyenFake, type AdyenFake } from './adyen-fake.js';
import { adyenEventDate, adyenNotificationSigningString, computeAdyenNotificationSignature, type AdyenNotificationItem } from './adyen-fake-notifications.js';
import { adyenFakeCardFingerprint, createAdyenReferenceGenerator } from './adyen-fake-references.js';
import { adyenFakeBrandOf, adyenTestCards, adyenTestToken, adyenTestTokens, passesLuhnCheck } from './adyen-fake-test-cards.js';

// The fake's own rules that the adapter tests do not reach. Most behaviour is exercised through the
// real Adyen SDK in packages/provider-adyen.

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

function client(fake: AdyenFake) {
  server.resetHandlers(...fake.handlers);
  async function send(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${fake.baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': fake.apiKey, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
  }
  const payment = (overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    send(
      'POST',
      '/payments',
      {
        amount: { currency: 'EUR', value: 1000 },
        reference: 'order-1',
        merchantAccount: fake.merchantAccount,
        returnUrl: 'https://shop.example/return',
        paymentMethod: JSON.parse(adyenTestTokens.visa) as unknown,
        additionalData: { manualCapture: 'true' },
        ...overrides,
      },
      headers,
    );
  return { send, payment };
}

describe('test cards and references', () => {
  test("Adyen's test cards pass the Luhn check and are recognized by brand", () => {
    for (const card of Object.values(adyenTestCards)) {
      expect(passesLuhnCheck(card.number), card.number).toBe(true);
      expect(adyenFakeBrandOf(card.number)).toBe(card.brand);
    }
    expect(passesLuhnCheck('4111111145551143')).toBe(false);
    expect(passesLuhnCheck('12')).toBe(false);
    expect(adyenFakeBrandOf('2221000000000009')).toBe('mc');
    expect(adyenFakeBrandOf('6011000990139424')).toBe('discover');
    expect(adyenFakeBrandOf('36006666333344')).toBe('diners');
    expect(adyenFakeBrandOf('6250946000000016')).toBe('cup');
    expect(adyenFakeBrandOf('6759649826438453')).toBe('maestro');
    expect(adyenFakeBrandOf('9000000000000001')).toBeUndefined();
  });

  test('references are Adyen-shaped, unique, reproducible per seed, and never look like card numbers', () => {
    const first = createAdyenReferenceGenerator(7);
    const second = createAdyenReferenceGenerator(7);
    const references = Array.from({ length: 200 }, () => first.pspReference());
    expect(new Set(references).size).toBe(200);
    expect(second.pspReference()).toBe(references[0]);
    for (const reference of references) {
      expect(reference).toMatch(/^[A-Z0-9]{16}$/);
      expect(reference).not.toMatch(/[0-9]{5}/);
    }
    expect(first.networkTransactionId()).toMatch(/^[1-9][0-9]{14}$/);
    expect(first.authorisationCode()).toMatch(/^[0-9]{6}$/);
    const fingerprint = adyenFakeCardFingerprint(adyenTestCards.visa.number);
    expect(fingerprint).toBe(adyenFakeCardFingerprint(adyenTestCards.visa.number));
    expect(fingerprint).not.toBe(adyenFakeCardFingerprint(adyenTestCards.mastercard.number));
    expect(fingerprint).toMatch(/^V001[A-Z0-9]{25}$/);
    expect(fingerprint).not.toContain(adyenTestCards.visa.number.slice(-4) + adyenTestCards.visa.number.slice(0, 4));
  });
});

describe('webhook signing', () => {
  test('signs pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success, empty for a missing field', () => {
    const item: AdyenNotificationItem = {
      amount: { currency: 'EUR', value: 1000 },
      eventCode: 'AUTHORISATION',
      eventDate: adyenEventDate(Date.UTC(2026, 10, 26, 10, 0, 0)),
      merchantAccountCode: 'Merchant',
      merchantReference: 'order-1',
      pspReference: 'PSPX2222REFX3333',
      success: 'true',
    };
    expect(item.eventDate).toBe('2026-11-26T10:00:00+00:00');
    expect(adyenNotificationSigningString(item)).toBe('PSPX2222REFX3333::Merchant:order-1:1000:EUR:AUTHORISATION:true');
    const expected = createHmac('sha256', Buffer.from(adyenFakeDefaults.hmacKey, 'hex')).update('PSPX2222REFX3333::Merchant:order-1:1000:EUR:AUTHORISATION:true').digest('base64');
    expect(computeAdyenNotificationSignature(item, adyenFakeDefaults.hmacKey)).toBe(expected);
  });
});

describe('idempotency', () => {
  test('the first answer is replayed for the key, with the key echoed, whatever the endpoint or body (Adyen does not compare)', async () => {
    const fake = createAdyenFake();
    const { payment, send } = client(fake);
    const first = await payment({}, { 'idempotency-key': 'key-1' });
    expect(first.headers.get('idempotency-key')).toBe('key-1');
    const replay = await payment({ amount: { currency: 'EUR', value: 5 } }, { 'idempotency-key': 'key-1' });
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotency-key')).toBe('key-1');
    const elsewhere = await send('POST', `/payments/${String(first.body.pspReference)}/captures`, { merchantAccount: fake.merchantAccount, amount: { currency: 'EUR', value: 1 } }, { 'idempotency-key': 'key-1' });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body).toEqual(first.body);
    expect(fake.payments()).toHaveLength(1);
    expect(fake.payments()[0]?.capturedValue).toBe(0);
    const withoutKey = await payment();
    expect(withoutKey.headers.get('idempotency-key')).toBeNull();
  });

  test('authentication and merchant account are checked before idempotency, and their refusals are not stored', async () => {
    const fake = createAdyenFake();
    const { payment } = client(fake);
    expect((await payment({}, { 'x-api-key': 'wrong', 'idempotency-key': 'key-2' })).status).toBe(401);
    expect((await payment({ merchantAccount: 'Other' }, { 'idempotency-key': 'key-2' })).status).toBe(403);
    expect((await payment({}, { 'idempotency-key': 'key-2' })).status).toBe(200);
  });
});

describe('/payments validation', () => {
  test.each<[string, Record<string, unknown>, number, string]>([
    ['no amount', { amount: undefined }, 422, '100'],
    ['a lower-case currency', { amount: { currency: 'eur', value: 1 } }, 422, '138'],
    ['a fractional value', { amount: { currency: 'EUR', value: 1.5 } }, 422, '137'],
    ['no reference', { reference: undefined }, 422, '130'],
    ['a reference over 80 characters', { reference: 'r'.repeat(81) }, 422, '130'],
    ['no returnUrl', { returnUrl: undefined }, 422, '14_030'],
    ['no paymentMethod', { paymentMethod: undefined }, 422, '14_006'],
    ['storing without a shopper', { storePaymentMethod: true }, 422, '000'],
    ['an encrypted (non-test) card', { paymentMethod: { type: 'scheme', encryptedCardNumber: 'adyenjs_0_1_25$abc' } }, 422, '101'],
    ['a card number failing Luhn', { paymentMethod: { ...JSON.parse(adyenTestTokens.visa), encryptedCardNumber: 'test_4111111145551143' } }, 422, '101'],
    ['an unknown issuer range', { paymentMethod: { ...JSON.parse(adyenTestTokens.visa), encryptedCardNumber: 'test_9000000000000001' } }, 422, '102'],
    ['an invalid expiry', { paymentMethod: { ...JSON.parse(adyenTestTokens.visa), encryptedExpiryMonth: 'test_13' } }, 422, '129'],
    ['a brand the account does not take', { paymentMethod: JSON.parse(adyenTestTokens.unsupportedBrand) }, 422, '905'],
    ['a stored token of nobody', { paymentMethod: { type: 'scheme', storedPaymentMethodId: 'NOPE2222NOPE3333' }, shopperReference: 'shopper-1' }, 422, '803'],
  ])('%s is refused', async (_name, overrides, status, errorCode) => {
    const { payment } = client(createAdyenFake());
    const answer = await payment(overrides);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ status, errorCode });
  });

  test('a body that is not JSON, or not an object, is a 400', async () => {
    const fake = createAdyenFake();
    const { send } = client(fake);
    expect((await send('POST', '/payments', '{oops')).body).toMatchObject({ status: 400, errorCode: '702' });
    expect((await send('POST', '/payments', '[1]')).body).toMatchObject({ status: 400, errorCode: '702' });
    expect((await send('POST', '/payments')).status).toBe(403);
  });

  test('holder-name refusals, delayed capture and metadata', async () => {
    const fake = createAdyenFake();
    const { payment } = client(fake);
    const refused = await payment({ paymentMethod: JSON.parse(adyenTestToken(adyenTestCards.mastercard, 'CVC_DECLINED')) });
    expect(refused.body).toMatchObject({ resultCode: 'Refused', refusalReason: 'CVC Declined', refusalReasonCode: '24' });
    const cancelled = await payment({ paymentMethod: JSON.parse(adyenTestToken(adyenTestCards.visa, 'CANCELLED')) });
    expect(cancelled.body.resultCode).toBe('Cancelled');
    const delayed = await payment({ additionalData: {}, captureDelayHours: 24, metadata: { orderId: 7 } });
    const delayedPayment = fake.payment(String(delayed.body.pspReference));
    expect(delayedPayment).toMatchObject({ captureMode: 'delayed', capturedValue: 0, metadata: { orderId: '7' } });
    const stored = fake.payments();
    (stored[0] as { resultCode: string }).resultCode = 'Tampered';
    expect(fake.payments()[0]?.resultCode).toBe('Refused');
  });
});

describe('modification rules', () => {
  async function authorised(fake: AdyenFake): Promise<string> {
    const { payment } = client(fake);
    return String((await payment()).body.pspReference);
  }

  test('captures and refunds check currency, zero amounts and the remaining balance; refused payments cannot be modified', async () => {
    const fake = createAdyenFake();
    const pspReference = await authorised(fake);
    const { send, payment } = client(fake);
    const capture = (value: number, currency = 'EUR') => send('POST', `/payments/${pspReference}/captures`, { merchantAccount: fake.merchantAccount, amount: { currency, value } });
    expect((await capture(100, 'USD')).body).toMatchObject({ errorCode: '137' });
    expect((await capture(0)).body).toMatchObject({ errorCode: '137' });
    expect((await send('POST', `/payments/${pspReference}/captures`, { merchantAccount: fake.merchantAccount })).body).toMatchObject({ errorCode: '100' });
    expect((await capture(1000)).status).toBe(201);
    const refund = (value: number, currency = 'EUR') => send('POST', `/payments/${pspReference}/refunds`, { merchantAccount: fake.merchantAccount, amount: { currency, value } });
    expect((await refund(100, 'USD')).body).toMatchObject({ errorCode: '137' });
    expect((await send('POST', `/payments/${pspReference}/refunds`, { merchantAccount: fake.merchantAccount })).body).toMatchObject({ errorCode: '100' });
    expect((await refund(1000)).status).toBe(201);
    expect((await refund(1)).body).toMatchObject({ errorCode: '137' });
    const refused = String((await payment({ paymentMethod: JSON.parse(adyenTestTokens.declined) })).body.pspReference);
    expect((await send('POST', `/payments/${refused}/cancels`, { merchantAccount: fake.merchantAccount })).body).toMatchObject({ status: 422, errorCode: '000' });
  });

  test('cancels, reversals and technical cancels follow the payment state', async () => {
    const fake = createAdyenFake();
    const { send, payment } = client(fake);
    const pspReference = await authorised(fake);
    expect((await send('POST', `/payments/${pspReference}/cancels`, { merchantAccount: fake.merchantAccount })).status).toBe(201);
    expect((await send('POST', `/payments/${pspReference}/cancels`, { merchantAccount: fake.merchantAccount })).body).toMatchObject({ errorCode: '000', message: 'Payment is already cancelled' });
    expect((await send('POST', `/payments/${pspReference}/reversals`, { merchantAccount: fake.merchantAccount })).body).toMatchObject({ errorCode: '000' });
    expect((await send('POST', '/cancels', { merchantAccount: fake.merchantAccount })).body).toMatchObject({ status: 422 });
    fake.takePendingWebhooks();
    const captured = String((await payment({ reference: 'order-captured', additionalData: {} })).body.pspReference);
    await send('POST', '/cancels', { merchantAccount: fake.merchantAccount, paymentReference: 'order-captured', reference: 'tc-1' });
    await send('POST', '/cancels', { merchantAccount: fake.merchantAccount, paymentReference: 'order-1' });
    await payment({ reference: 'order-refused', paymentMethod: JSON.parse(adyenTestTokens.declined) });
    await send('POST', '/cancels', { merchantAccount: fake.merchantAccount, paymentReference: 'order-refused' });
    await send('POST', '/cancels', { merchantAccount: fake.merchantAccount, paymentReference: 'order-unknown' });
    const reasons = fake
      .takePendingWebhooks()
      .map((request) => (JSON.parse(request.rawBody) as { notificationItems: { NotificationRequestItem: AdyenNotificationItem }[] }).notificationItems[0]?.NotificationRequestItem)
      .filter((item) => item?.eventCode === 'TECHNICAL_CANCEL')
      .map((item) => [item?.success, item?.reason]);
    expect(reasons).toEqual([
      ['false', 'Payment is already captured'],
      ['false', 'Payment is already cancelled'],
      ['false', 'Original payment is Refused'],
      ['false', 'Original payment not found'],
    ]);
    expect(fake.payment(captured)?.modifications.map((modification) => modification.reference)).toEqual(['tc-1']);
  });

  test('a failed modification changes nothing and reports success false', async () => {
    const fake = createAdyenFake();
    const pspReference = await authorised(fake);
    const { send } = client(fake);
    fake.takePendingWebhooks();
    fake.failNextModification('capture');
    await send('POST', `/payments/${pspReference}/captures`, { merchantAccount: fake.merchantAccount, amount: { currency: 'EUR', value: 1000 } });
    expect(fake.payment(pspReference)?.capturedValue).toBe(0);
    const [webhook] = fake.takePendingWebhooks();
    expect(JSON.parse(webhook?.rawBody ?? '{}')).toMatchObject({ notificationItems: [{ NotificationRequestItem: { eventCode: 'CAPTURE', success: 'false', reason: 'Modification failed' } }] });
  });
});

describe('a payment waiting for its shopper', () => {
  test('can be cancelled (201 received, then a successful CANCELLATION), after which the shopper can no longer finish 3-D Secure; captures stay refused', async () => {
    const fake = createAdyenFake();
    const { payment, send } = client(fake);
    const redirect = await payment({ paymentMethod: JSON.parse(adyenTestTokens.threeDSecure) });
    const pspReference = String(redirect.body.pspReference);
    expect(redirect.body.resultCode).toBe('RedirectShopper');
    const capture = await send('POST', `/payments/${pspReference}/captures`, { merchantAccount: fake.merchantAccount, amount: { currency: 'EUR', value: 1000 } });
    expect(capture.body).toMatchObject({ status: 422, errorCode: '000' });
    const cancel = await send('POST', `/payments/${pspReference}/cancels`, { merchantAccount: fake.merchantAccount });
    expect(cancel.status).toBe(201);
    expect(cancel.body).toMatchObject({ status: 'received', paymentPspReference: pspReference });
    const [webhook] = fake.takePendingWebhooks();
    expect(JSON.parse(webhook?.rawBody ?? '{}')).toMatchObject({ notificationItems: [{ NotificationRequestItem: { eventCode: 'CANCELLATION', success: 'true', originalReference: pspReference } }] });
    expect(fake.payment(pspReference)).toMatchObject({ cancelled: true, authorisedValue: 0 });
    expect(() => fake.completeThreeDSecure(pspReference)).toThrow('was cancelled');
  });
});

describe('stored payment methods listing', () => {
  test('authentication, merchant account and shopper reference are required', async () => {
    const fake = createAdyenFake();
    const { send } = client(fake);
    expect((await send('GET', `/storedPaymentMethods?shopperReference=s&merchantAccount=${fake.merchantAccount}`, undefined, { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await send('GET', '/storedPaymentMethods?shopperReference=s&merchantAccount=Other')).status).toBe(403);
    expect((await send('GET', `/storedPaymentMethods?merchantAccount=${fake.merchantAccount}`)).status).toBe(422);
    expect((await send('GET', `/storedPaymentMethods?shopperReference=s&merchantAccount=${fake.merchantAccount}`)).body).toEqual({ merchantAccount: fake.merchantAccount, shopperReference: 's', storedPaymentMethods: [] });
  });
});

describe('test controls', () => {
  test('scripted answers, 3-D Secure completion, expiry and chargebacks; unknown references are refused', async () => {
    const fake = createAdyenFake({ now: () => Date.UTC(2026, 0, 1) });
    const { payment } = client(fake);
    expect(() => fake.answerNext('POST /nope' as never, { status: 500, body: {} })).toThrow('no route');
    fake.answerNext(adyenFakeRoutes.payments, { status: 500, body: { status: 500 }, headers: { 'transient-error': 'true' } });
    const scripted = await payment();
    expect(scripted.status).toBe(500);
    expect(scripted.headers.get('transient-error')).toBe('true');
    const redirect = await payment({ paymentMethod: JSON.parse(adyenTestTokens.threeDSecure) });
    const pspReference = String(redirect.body.pspReference);
    expect(redirect.body.resultCode).toBe('RedirectShopper');
    expect(fake.pendingWebhooks()).toHaveLength(0);
    fake.completeThreeDSecure(pspReference, 'NOT_3D_AUTHENTICATED');
    expect(fake.payment(pspReference)).toMatchObject({ resultCode: 'Refused', refusalReasonCode: '11' });
    expect(() => fake.completeThreeDSecure(pspReference)).toThrow('not waiting for 3-D Secure');
    expect(() => fake.expireAuthorisation('NOPE')).toThrow('no payment NOPE');
    expect(() => fake.chargeback('NOPE')).toThrow('no payment NOPE');
    expect(fake.pendingWebhooks()).toHaveLength(1);
    let delivered = 0;
    expect(await fake.deliverPendingWebhooks(() => (delivered += 1))).toBe(1);
    expect(delivered).toBe(1);
    expect(fake.storedPaymentMethods()).toEqual([]);
  });
});
