import { ConfigurationError, Money, type PaymentGatewayV1, ProviderRetryableError, type WebhookRequest, WebhookVerificationError } from '@paymigrate/core';
import { type PayPalFake, payPalFakeRoutes, payPalFaultBodies, payPalTestPaymentTokens } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPalTestSubject, newKey, newReference, server } from './__fixtures__/paypal-test-environment.js';
import { createPayPalGateway } from './paypal-gateway.js';
import { mapPayPalWebhookEventType, payPalWebhookEventTable } from './paypal-webhooks.js';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

async function rejection(gateway: PaymentGatewayV1, request: WebhookRequest): Promise<WebhookVerificationError> {
  try {
    await gateway.verifyWebhook(request);
  } catch (error) {
    expect(WebhookVerificationError.isInstance(error), `expected WebhookVerificationError, got ${String(error)}`).toBe(true);
    return error as WebhookVerificationError;
  }
  throw new Error('expected the webhook to be refused');
}

/** The single queued webhook of one event type. */
function queued(fake: PayPalFake, eventType: string): WebhookRequest {
  const match = fake.takeWebhooks().filter((webhook) => webhook.event.event_type === eventType);
  expect(match).toHaveLength(1);
  return (match[0] as { request: WebhookRequest }).request;
}

describe('webhooks PayPal sends after real operations', () => {
  it('authorization, capture, refund and void are verified by PayPal and normalized', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const merchantReference = newReference();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference, amount: usd(10_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    const authorized = await gateway.verifyWebhook(queued(fake, 'PAYMENT.AUTHORIZATION.CREATED'));
    expect(authorized).toMatchObject({
      provider: 'paypal',
      type: 'payment.authorized',
      providerType: 'PAYMENT.AUTHORIZATION.CREATED',
      success: true,
      providerReference: payment.providerReference,
      operationReference: fake.payments()[0]?.authorizations[0]?.id,
      merchantReference,
    });
    expect(authorized.amount?.equals(usd(10_000))).toBe(true);
    expect(authorized.eventId).toMatch(/^WH-/);

    const capture = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) });
    const captured = await gateway.verifyWebhook(queued(fake, 'PAYMENT.CAPTURE.COMPLETED'));
    expect(captured).toMatchObject({ type: 'payment.captured', success: true, providerReference: payment.providerReference, operationReference: capture.operationReference });

    const refundReference = newReference();
    const refund = await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(2_500), merchantReference: refundReference });
    const refunded = await gateway.verifyWebhook(queued(fake, 'PAYMENT.CAPTURE.REFUNDED'));
    expect(refunded).toMatchObject({
      type: 'payment.refunded',
      success: true,
      providerReference: payment.providerReference,
      operationReference: refund.operationReference,
      merchantReference: refundReference,
    });
    expect(refunded.amount?.equals(usd(2_500))).toBe(true);
    // The refund resource names only its capture: the order was found through it.
    expect(fake.api.callsTo(payPalFakeRoutes.getCapture)).toHaveLength(1);

    const other = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(500), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    fake.takeWebhooks();
    await gateway.cancel({ idempotencyKey: newKey(), providerReference: other.providerReference });
    expect(await gateway.verifyWebhook(queued(fake, 'PAYMENT.AUTHORIZATION.VOIDED'))).toMatchObject({ type: 'payment.voided', providerReference: other.providerReference });
  });

  it('a declined automatic capture is payment.capture_failed, not a success', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    await gateway
      .authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.insufficientFunds.vaultId, captureMethod: 'automatic' })
      .catch(() => undefined);
    expect(await gateway.verifyWebhook(queued(fake, 'PAYMENT.CAPTURE.DECLINED'))).toMatchObject({ type: 'payment.capture_failed', success: false });
  });

  it('a vaulted card is payment_method.saved; an approved 3-D Secure order is other', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    fake.vaultCard({ customerId: 'customer-webhooks-1' });
    expect(await gateway.verifyWebhook(queued(fake, 'VAULT.PAYMENT-TOKEN.CREATED'))).toMatchObject({ type: 'payment_method.saved', providerReference: undefined, operationReference: undefined });
    const merchantReference = newReference();
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference, amount: usd(700), paymentMethodToken: payPalTestPaymentTokens.threeDSecure.vaultId });
    fake.completePayerAction(payment.providerReference);
    const approved = await gateway.verifyWebhook(queued(fake, 'CHECKOUT.ORDER.APPROVED'));
    expect(approved).toMatchObject({ type: 'other', providerType: 'CHECKOUT.ORDER.APPROVED', providerReference: payment.providerReference, merchantReference, operationReference: undefined });
    expect(approved.amount?.equals(usd(700))).toBe(true);
  });

  it('a refund webhook whose capture PayPal does not know keeps no provider reference', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const event = fake.webhookEvent({ eventType: 'PAYMENT.CAPTURE.REFUNDED', orderId: 'ORDER-NOT-THERE' });
    expect((await gateway.verifyWebhook(fake.signedWebhook(event))).providerReference).toBeUndefined();
  });

  it('a refund webhook whose capture lookup fails is not normalized half-way (PayPal will redeliver)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    fake.api.faults.inject({ route: payPalFakeRoutes.getCapture, kind: 'server-error', status: 503, body: payPalFaultBodies.serviceUnavailable(), times: 1 });
    const event = fake.webhookEvent({ eventType: 'PAYMENT.CAPTURE.REFUNDED', orderId: 'ORDER-NOT-THERE' });
    await expect(gateway.verifyWebhook(fake.signedWebhook(event))).rejects.toSatisfy(ProviderRetryableError.isInstance);
  });
});

describe('webhook verification refuses', () => {
  async function signedAuthorization(): Promise<{ gateway: PaymentGatewayV1; fake: PayPalFake; request: WebhookRequest }> {
    const { gateway, fake } = createPayPalTestSubject();
    await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    return { gateway, fake, request: queued(fake, 'PAYMENT.AUTHORIZATION.CREATED') };
  }

  it('a forged signature (another secret)', async () => {
    const { gateway, fake, request } = await signedAuthorization();
    const forged = fake.signedWebhook(request.rawBody, { secret: 'not-paypals-secret' });
    expect((await rejection(gateway, forged)).reason).toBe('signature-mismatch');
  });

  it('a tampered body', async () => {
    const { gateway, request } = await signedAuthorization();
    const tampered = { ...request, rawBody: request.rawBody.replace('"CREATED"', '"VOIDED"') };
    const error = await rejection(gateway, tampered);
    expect(error.reason).toBe('signature-mismatch');
    expect(error.message).not.toContain(request.headers['paypal-transmission-sig'] as string);
  });

  it('a webhook signed for another subscription', async () => {
    const { fake, request } = await signedAuthorization();
    const otherSubscription = createPayPalGateway({ clientId: fake.clientId, clientSecret: fake.clientSecret, webhookId: 'WH-SOMEONE-ELSE' });
    expect((await rejection(otherSubscription, request)).reason).toBe('signature-mismatch');
  });

  it('a stale or future-dated transmission, before asking PayPal', async () => {
    const { gateway, fake, request } = await signedAuthorization();
    const signedAt = request.receivedAt as number;
    expect((await rejection(gateway, { ...request, receivedAt: signedAt + 301_000 })).reason).toBe('stale');
    expect((await rejection(gateway, { ...request, receivedAt: signedAt - 301_000 })).reason).toBe('stale');
    expect(fake.api.callsTo(payPalFakeRoutes.verifyWebhookSignature)).toHaveLength(0);
    expect((await gateway.verifyWebhook({ ...request, receivedAt: signedAt + 299_000 })).type).toBe('payment.authorized');
  });

  it('honours a configured tolerance', async () => {
    const { fake, request } = await signedAuthorization();
    const strict = createPayPalGateway({ clientId: fake.clientId, clientSecret: fake.clientSecret, webhookId: fake.webhookId, webhookToleranceSeconds: 10 });
    expect((await rejection(strict, { ...request, receivedAt: (request.receivedAt as number) + 11_000 })).reason).toBe('stale');
  });

  it('missing and malformed headers', async () => {
    const { gateway, request } = await signedAuthorization();
    for (const header of ['paypal-transmission-sig', 'paypal-transmission-id', 'paypal-transmission-time', 'paypal-cert-url', 'paypal-auth-algo']) {
      const headers = { ...request.headers, [header]: undefined };
      expect((await rejection(gateway, { ...request, headers })).reason).toBe('missing-signature');
    }
    expect((await rejection(gateway, { ...request, headers: { ...request.headers, 'paypal-transmission-time': 'yesterday' } })).reason).toBe('malformed-signature');
    for (const certificateUrl of ['https://evil.example/cert.pem', 'http://api.paypal.com/cert', 'not a url', 'https://paypal.com.evil.example/cert']) {
      const headers = { ...request.headers, 'paypal-cert-url': certificateUrl };
      expect((await rejection(gateway, { ...request, headers })).reason).toBe('malformed-signature');
    }
  });

  it('malformed bodies', async () => {
    const { gateway, fake } = await signedAuthorization();
    for (const body of ['not json', '[1,2]', '{"id":"WH-1","resource":{}}', '{"id":"WH-1","event_type":"X","resource":[]}']) {
      expect((await rejection(gateway, fake.signedWebhook(body))).reason).toBe('malformed-body');
    }
    const badAmount = fake.webhookEvent({ eventType: 'PAYMENT.CAPTURE.COMPLETED', orderId: 'X', amount: { currency_code: 'USD', value: '1.234' } });
    expect((await rejection(gateway, fake.signedWebhook(badAmount))).reason).toBe('malformed-body');
  });

  it('an unreachable verification API is a provider error, not a verdict', async () => {
    const { gateway, fake, request } = await signedAuthorization();
    fake.api.faults.inject({ route: payPalFakeRoutes.verifyWebhookSignature, kind: 'server-error', status: 500, body: payPalFaultBodies.internalServerError(), times: 1 });
    await expect(gateway.verifyWebhook(request)).rejects.toSatisfy(ProviderRetryableError.isInstance);
    expect((await gateway.verifyWebhook(request)).type).toBe('payment.authorized');
  });

  it('without a webhook id the gateway names the option and PAYPAL_WEBHOOK_ID', async () => {
    const { fake, request } = await signedAuthorization();
    const unconfigured = createPayPalGateway({ clientId: fake.clientId, clientSecret: fake.clientSecret, environmentVariables: {} });
    await expect(unconfigured.verifyWebhook(request)).rejects.toSatisfy((error: unknown) => ConfigurationError.isInstance(error) && (error as Error).message.includes('PAYPAL_WEBHOOK_ID'));
  });
});

describe('duplicates', () => {
  it('a redelivery (same event, new transmission) and a repeated delivery share the event id', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(100), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    const [webhook] = fake.takeWebhooks();
    const first = await gateway.verifyWebhook(webhook?.request as WebhookRequest);
    const again = await gateway.verifyWebhook(webhook?.request as WebhookRequest);
    const redelivered = await gateway.verifyWebhook(fake.signedWebhook(webhook?.event as never));
    expect(again.eventId).toBe(first.eventId);
    expect(redelivered.eventId).toBe(first.eventId);
    expect(redelivered.type).toBe(first.type);
    const { receivedAt: _receivedAt, ...withoutReceipt } = fake.signedWebhook(webhook?.event as never);
    expect((await gateway.verifyWebhook(withoutReceipt)).eventId).toBe(first.eventId);
  });
});

describe('event types', () => {
  it.each(Object.entries(payPalWebhookEventTable))('%s -> %j', (eventType, meaning) => {
    expect(mapPayPalWebhookEventType(eventType)).toEqual(meaning);
  });

  it.each([
    ['PAYMENT.CAPTURE.PENDING', true],
    ['PAYMENT.CAPTURE.REVERSED', false],
    ['CHECKOUT.ORDER.APPROVED', true],
    ['PAYMENT.SOMETHING.FAILED', false],
    ['toString', true],
  ])('%s is other (success %s), never guessed', (eventType, success) => {
    expect(mapPayPalWebhookEventType(eventType)).toEqual({ type: 'other', success });
  });
});
