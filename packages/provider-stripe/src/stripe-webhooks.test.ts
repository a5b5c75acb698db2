import { type PaymentWebhookEvent, type WebhookRequest, WebhookVerificationError } from '@paymigrate/core';
import { signStripeWebhook, type StripeJson } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { authorizeInput, euros, newKey, thrownBy, useStripeFake } from './__fixtures__/stripe-fake-harness.js';
import { normalizeStripeEvent, stripeWebhookEventTypes } from './stripe-webhooks.js';

const { fake, gateway } = useStripeFake();

/** Verifies every pending webhook and returns the normalized events, keyed by Stripe type. */
async function deliverPending(): Promise<Map<string, PaymentWebhookEvent[]>> {
  const subject = gateway();
  const byType = new Map<string, PaymentWebhookEvent[]>();
  for (const request of fake.takeSignedWebhooks()) {
    const event = await subject.verifyWebhook(request);
    byType.set(event.providerType, [...(byType.get(event.providerType) ?? []), event]);
  }
  return byType;
}

function only(events: Map<string, PaymentWebhookEvent[]>, type: string): PaymentWebhookEvent {
  const matching = events.get(type) ?? [];
  expect(matching, type).toHaveLength(1);
  return matching[0] as PaymentWebhookEvent;
}

async function rejection(request: WebhookRequest): Promise<WebhookVerificationError> {
  const error = await thrownBy(() => gateway().verifyWebhook(request));
  expect(WebhookVerificationError.isInstance(error), `WebhookVerificationError, got ${String(error)}`).toBe(true);
  const rejected = error as WebhookVerificationError;
  expect(rejected.source).toBe('stripe');
  if (request.rawBody !== '') expect(rejected.message).not.toContain(request.rawBody);
  expect(rejected.message).not.toContain(request.headers['stripe-signature']?.split('v1=')[1] ?? '∅');
  return rejected;
}

describe('webhooks from real payment flows are verified and normalized', () => {
  it('authorization, capture with release, refund, refund failure', async () => {
    const subject = gateway();
    const input = authorizeInput({ amount: euros(8000) });
    const payment = await subject.authorize(input);
    const authorized = await deliverPending();
    expect(only(authorized, 'payment_intent.amount_capturable_updated')).toMatchObject({
      type: 'payment.authorized',
      provider: 'stripe',
      success: true,
      providerReference: payment.providerReference,
      merchantReference: input.merchantReference,
    });
    expect(only(authorized, 'payment_intent.amount_capturable_updated').amount?.toJSON()).toEqual(euros(8000).toJSON());
    expect(only(authorized, 'payment_intent.created').type).toBe('other');
    expect(only(authorized, 'charge.succeeded').type).toBe('other');

    const capture = await subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(6000) });
    const captured = await deliverPending();
    expect(only(captured, 'payment_intent.succeeded')).toMatchObject({ type: 'payment.captured', success: true, operationReference: capture.operationReference });
    expect(only(captured, 'payment_intent.succeeded').amount?.toJSON()).toEqual(euros(6000).toJSON());
    // The released 20.00 shows up as a Stripe refund of the charge; it is not a customer refund.
    expect(only(captured, 'charge.refunded')).toMatchObject({ type: 'other', providerReference: payment.providerReference });
    expect(only(captured, 'charge.refunded').amount).toBeUndefined();
    expect(only(captured, 'charge.captured').type).toBe('other');

    const refund = await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(1500), merchantReference: 'refund-1' });
    const refunded = await deliverPending();
    expect(only(refunded, 'charge.refunded')).toMatchObject({ type: 'payment.refunded', success: true, providerReference: payment.providerReference });
    expect(only(refunded, 'charge.refunded').amount).toBeUndefined();
    // The customer refunds so far, the released 20.00 left out.
    expect(only(refunded, 'charge.refunded').refundedTotal?.toJSON()).toEqual(euros(1500).toJSON());
    expect(only(refunded, 'refund.created')).toMatchObject({ type: 'other', operationReference: refund.operationReference, merchantReference: 'refund-1' });

    fake.failRefund(refund.operationReference);
    const failed = await deliverPending();
    for (const type of ['charge.refund.updated', 'refund.failed']) {
      expect(only(failed, type)).toMatchObject({
        type: 'payment.refund_failed',
        success: false,
        providerReference: payment.providerReference,
        operationReference: refund.operationReference,
      });
      expect(only(failed, type).amount?.toJSON()).toEqual(euros(1500).toJSON());
    }
    expect((await subject.retrieve({ providerReference: payment.providerReference })).state).toBe('captured');

    // Each later refund reports the running total of the refunds that stand (the failed one left out).
    await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(700) });
    expect(only(await deliverPending(), 'charge.refunded').refundedTotal?.toJSON()).toEqual(euros(700).toJSON());
    await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(300) });
    expect(only(await deliverPending(), 'charge.refunded').refundedTotal?.toJSON()).toEqual(euros(1000).toJSON());
  });

  it('a refund update that did not fail is not a failure', async () => {
    const payment = await gateway().authorize(authorizeInput({ captureMethod: 'automatic' }));
    const refund = await gateway().refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(100) });
    fake.takePendingWebhooks();
    const object = fake.refunds().find((candidate) => candidate['id'] === refund.operationReference) as StripeJson;
    const event = await gateway().verifyWebhook(fake.signedWebhook(fake.buildEvent({ type: 'charge.refund.updated', object })));
    expect(event).toMatchObject({ type: 'other', success: true, operationReference: refund.operationReference });
  });

  it('decline, 3-D Secure, cancellation, expiry, saved card, disputes', async () => {
    const subject = gateway();
    await thrownBy(() => subject.authorize(authorizeInput({ paymentMethodToken: 'pm_card_visa_chargeDeclined' })));
    expect(only(await deliverPending(), 'payment_intent.payment_failed')).toMatchObject({ type: 'payment.authorization_failed', success: false });

    const challenged = await subject.authorize(authorizeInput({ paymentMethodToken: 'pm_card_threeDSecure2Required' }));
    expect(only(await deliverPending(), 'payment_intent.requires_action')).toMatchObject({ type: 'payment.requires_action', providerReference: challenged.providerReference });

    const cancelled = await subject.authorize(authorizeInput());
    fake.takePendingWebhooks();
    await subject.cancel({ idempotencyKey: newKey(), providerReference: cancelled.providerReference });
    const cancelEvents = await deliverPending();
    expect(only(cancelEvents, 'payment_intent.canceled')).toMatchObject({ type: 'payment.voided', providerReference: cancelled.providerReference });
    expect(only(cancelEvents, 'charge.refunded').type).toBe('other');

    const expiring = await subject.authorize(authorizeInput());
    fake.takePendingWebhooks();
    fake.expireAuthorization(expiring.providerReference);
    expect(only(await deliverPending(), 'payment_intent.canceled')).toMatchObject({ type: 'payment.expired', providerReference: expiring.providerReference });

    const customer = String(fake.createCustomer()['id']);
    const saved = await subject.authorize(authorizeInput({ customerReference: customer, savePaymentMethod: true, captureMethod: 'automatic' }));
    const savedEvents = await deliverPending();
    expect(only(savedEvents, 'payment_method.attached')).toMatchObject({ type: 'payment_method.saved', operationReference: saved.storedPaymentMethod?.token });
    expect(only(savedEvents, 'payment_method.attached').providerReference).toBeUndefined();
    expect(only(savedEvents, 'customer.created').type).toBe('other');
    expect(only(savedEvents, 'customer.created').providerReference).toBeUndefined();

    const dispute = fake.openDispute(saved.providerReference);
    expect(only(await deliverPending(), 'charge.dispute.created')).toMatchObject({
      type: 'payment.dispute_opened',
      success: true,
      providerReference: saved.providerReference,
      operationReference: dispute['id'],
    });
    fake.closeDispute(String(dispute['id']), 'lost');
    expect(only(await deliverPending(), 'charge.dispute.closed')).toMatchObject({ type: 'payment.dispute_closed', success: false });
    fake.closeDispute(String(dispute['id']), 'won');
    const won = only(await deliverPending(), 'charge.dispute.closed');
    expect(won.success).toBe(true);
    expect(won.amount?.toJSON()).toEqual(euros(5000).toJSON());
  });

  it('uses the event id for deduplication and `created` for ordering', async () => {
    await gateway().authorize(authorizeInput());
    const [request] = fake.takeSignedWebhooks();
    const first = await gateway().verifyWebhook(request as WebhookRequest);
    const second = await gateway().verifyWebhook(request as WebhookRequest);
    expect(second.eventId).toBe(first.eventId);
    expect(first.eventId).toMatch(/^evt_/);
    const body = JSON.parse((request as WebhookRequest).rawBody) as { created: number };
    expect(first.occurredAt).toBe(body.created * 1000);
  });

  it('names every mapped Stripe type with a canonical type', () => {
    expect(Object.keys(stripeWebhookEventTypes).sort()).toEqual(
      [
        'charge.dispute.closed',
        'charge.dispute.created',
        'charge.refund.updated',
        'charge.refunded',
        'payment_intent.amount_capturable_updated',
        'payment_intent.canceled',
        'payment_intent.payment_failed',
        'payment_intent.requires_action',
        'payment_intent.succeeded',
        'payment_method.attached',
        'refund.failed',
        'refund.updated',
      ].sort(),
    );
  });
});

describe('normalization of unusual events', () => {
  const base = { object: 'event', api_version: null, livemode: false, pending_webhooks: 1, request: null, created: 1_700_000_000 };

  function normalize(type: string, object: StripeJson): PaymentWebhookEvent {
    return normalizeStripeEvent({ ...base, id: 'evt_1', type, data: { object } } as never);
  }

  it('an unknown event type is other, with the payment when the object names one', () => {
    expect(normalize('payment_intent.partially_funded', { id: 'pi_1', object: 'payment_intent', amount: 100, currency: 'usd', metadata: {} })).toMatchObject({
      type: 'other',
      providerReference: 'pi_1',
    });
    expect(normalize('charge.updated', { id: 'ch_1', object: 'charge', payment_intent: 'pi_2' })).toMatchObject({ type: 'other', providerReference: 'pi_2' });
    expect(normalize('invoice.paid', { id: 'in_1', object: 'invoice' })).toMatchObject({ type: 'other', success: true });
    expect(normalize('invoice.paid', { id: 'in_1', object: 'invoice' }).providerReference).toBeUndefined();
  });

  it('reads expanded references, and a charge refund as the running total of refunds, never as one refund', () => {
    const event = normalize('charge.refunded', {
      id: 'ch_1',
      object: 'charge',
      payment_intent: { id: 'pi_9', object: 'payment_intent' },
      amount: 1000,
      amount_captured: 1000,
      amount_refunded: 400,
      captured: true,
      currency: 'jpy',
      // An old API version lists the refunds, newest first: the newest is not what 400 is.
      refunds: { object: 'list', data: [{ id: 're_7', object: 'refund', amount: 300 }, { id: 're_6', object: 'refund', amount: 100 }] },
    });
    expect(event).toMatchObject({ type: 'payment.refunded', providerReference: 'pi_9' });
    expect(event.operationReference).toBeUndefined();
    expect(event.amount).toBeUndefined();
    expect(event.refundedTotal?.toString()).toBe('400 JPY');
  });

  it('leaves the amount out when Stripe sent none, or in a currency it cannot read', () => {
    expect(normalize('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', currency: 'usd', metadata: {} }).amount).toBeUndefined();
    expect(normalize('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', amount_received: 10, currency: 'xyz' }).amount).toBeUndefined();
    const odd = normalize('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', amount_received: 10, metadata: { merchant_reference: 7 } });
    expect(odd.merchantReference).toBeUndefined();
    expect(odd.amount).toBeUndefined();
    expect(normalize('charge.refunded', { id: 'ch_1', object: 'charge', captured: true, currency: 'usd' }).type).toBe('other');
  });
});

describe('webhook signatures', () => {
  async function signedEvent(): Promise<WebhookRequest> {
    await gateway().authorize(authorizeInput());
    const [request] = fake.takeSignedWebhooks();
    fake.takePendingWebhooks();
    return request as WebhookRequest;
  }

  it('a forged webhook (another secret) is a signature mismatch', async () => {
    const event = fake.buildEvent({ type: 'payment_intent.succeeded', object: { id: 'pi_1', object: 'payment_intent' } });
    expect((await rejection(fake.signedWebhook(event, { secret: 'whsec_attacker' }))).reason).toBe('signature-mismatch');
  });

  it('a tampered body is a signature mismatch', async () => {
    const request = await signedEvent();
    expect((await rejection({ ...request, rawBody: request.rawBody.replace('"livemode": false', '"livemode": true') })).reason).toBe('signature-mismatch');
    expect((await rejection({ ...request, rawBody: `${request.rawBody} ` })).reason).toBe('signature-mismatch');
  });

  it('a stale webhook is refused after the tolerance (300 s by default, or as configured)', async () => {
    const request = await signedEvent();
    const signedAt = request.receivedAt as number;
    await expect(gateway().verifyWebhook({ ...request, receivedAt: signedAt + 299_000 })).resolves.toMatchObject({ eventId: expect.stringMatching(/^evt_/) });
    expect((await rejection({ ...request, receivedAt: signedAt + 301_000 })).reason).toBe('stale');
    const strict = gateway({ webhookToleranceSeconds: 10 });
    expect(await strict.verifyWebhook({ ...request, receivedAt: signedAt + 9_000 })).toBeDefined();
    await expect(strict.verifyWebhook({ ...request, receivedAt: signedAt + 11_000 })).rejects.toMatchObject({ reason: 'stale' });
  });

  it('a stale and forged webhook is a signature mismatch (the signature is checked first)', async () => {
    const event = fake.buildEvent({ type: 'payment_intent.succeeded', object: { id: 'pi_1', object: 'payment_intent' } });
    const forged = fake.signedWebhook(event, { secret: 'whsec_attacker', timestampMilliseconds: Date.now() - 3_600_000 });
    expect((await rejection({ ...forged, receivedAt: Date.now() })).reason).toBe('signature-mismatch');
  });

  it('accepts any matching v1 signature (secret rotation) and ignores v0', async () => {
    const event = fake.buildEvent({ type: 'payment_intent.succeeded', object: { id: 'pi_1', object: 'payment_intent' } });
    const rotated = fake.signedWebhook(event, { secret: 'whsec_old_secret', additionalSecrets: [fake.webhookSecret], includeTestModeSignature: true });
    expect((rotated.headers['stripe-signature'] ?? '').match(/v1=/g)).toHaveLength(2);
    await expect(gateway().verifyWebhook(rotated)).resolves.toMatchObject({ type: 'payment.captured', providerReference: 'pi_1' });
  });

  it.each([
    ['no header', {}, 'missing-signature'],
    ['an empty header', { 'stripe-signature': ' ' }, 'missing-signature'],
    ['no timestamp', { 'stripe-signature': 'v1=abcdef' }, 'malformed-signature'],
    ['no v1 signature', { 'stripe-signature': 't=1700000000,v0=abcdef' }, 'malformed-signature'],
    ['garbage', { 'stripe-signature': 'hello' }, 'malformed-signature'],
    ['a signature that is not hex', { 'stripe-signature': 't=1700000000,v1=zzzz' }, 'malformed-signature'],
  ] as const)('refuses %s', async (_label, headers, reason) => {
    expect((await rejection({ rawBody: '{"id":"evt_1"}', headers })).reason).toBe(reason);
  });

  it.each([
    ['an empty body', ''],
    ['a body that is not JSON', 'not json'],
    ['JSON that is not an event', '{"id":"evt_1","type":"x"}'],
    ['an event without an object', '{"id":"evt_1","type":"x","created":1,"data":{}}'],
    ['an array', '[1,2]'],
  ])('refuses %s, correctly signed, as malformed', async (_label, rawBody) => {
    const request = signStripeWebhook(rawBody, { secret: fake.webhookSecret, timestampMilliseconds: Date.now() });
    expect((await rejection(request)).reason).toBe('malformed-body');
  });
});
