import { type WebhookRequest, WebhookVerificationError } from '@paymigrate/core';
import { shopifyWebhookHmac, signShopifyWebhook } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { euros, paymentUpdate, RecordingClock, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';
import { verifyShopifyWebhook } from './shopify-webhooks.js';

const { fake, platform } = useShopifyFake({ shopDomain: 'paymigrate-webhooks.myshopify.com' });

async function rejection(request: WebhookRequest): Promise<WebhookVerificationError> {
  const error = await thrownBy(() => platform().verifyWebhook(request));
  expect(WebhookVerificationError.isInstance(error), String(error)).toBe(true);
  expect((error as WebhookVerificationError).source).toBe('shopify');
  return error as WebhookVerificationError;
}

function signed(payload: Record<string, unknown> | string, overrides: Partial<Parameters<typeof signShopifyWebhook>[0]> = {}): WebhookRequest {
  return signShopifyWebhook({ secret: fake.apiSecretKey, topic: 'orders/updated', payload, shopDomain: fake.shopDomain, webhookId: 'wh-1', triggeredAt: Date.UTC(2026, 0, 2), ...overrides });
}

describe('verifyWebhook', () => {
  it('accepts a valid webhook and normalizes it', async () => {
    const orderId = fake.addOrder({ total: euros(100) });
    const event = await platform().verifyWebhook(fake.signWebhook({ topic: 'orders/paid', orderId, webhookId: 'wh-paid', triggeredAt: Date.UTC(2026, 0, 3) }));
    expect(event).toEqual({ eventId: 'wh-paid', topic: 'orders/paid', type: 'order.paid', orderId, occurredAt: Date.UTC(2026, 0, 3) });
  });

  it('rejects a tampered body, a wrong secret, and malformed or missing signatures', async () => {
    const orderId = fake.addOrder({ total: euros(100) });
    const request = fake.signWebhook({ topic: 'orders/updated', orderId });
    expect((await rejection({ ...request, rawBody: request.rawBody.replace('"pending"', '"paid"') })).reason).toBe('signature-mismatch');
    expect((await rejection(fake.signWebhook({ topic: 'orders/updated', orderId, secret: 'shpss_other_app' }))).reason).toBe('signature-mismatch');
    expect((await rejection({ ...request, headers: { ...request.headers, 'x-shopify-hmac-sha256': undefined } })).reason).toBe('missing-signature');
    expect((await rejection({ ...request, headers: { ...request.headers, 'x-shopify-hmac-sha256': 'not base64!' } })).reason).toBe('malformed-signature');
    expect((await rejection({ ...request, headers: { ...request.headers, 'x-shopify-hmac-sha256': Buffer.from('short').toString('base64') } })).reason).toBe('malformed-signature');
    expect((await rejection({ ...request, headers: { ...request.headers, 'x-shopify-hmac-sha256': shopifyWebhookHmac('other', request.rawBody) } })).message).not.toContain(request.rawBody);
  });

  it('normalizes a duplicate delivery to the same event id (Shopify retries keep X-Shopify-Webhook-Id)', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    fake.takeWebhooks();
    await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(5000)));
    const delivered = fake.takeWebhooks({ duplicate: true, order: 'reversed' });
    expect(delivered.map((webhook) => webhook.topic)).toEqual(['orders/updated', 'orders/updated', 'orders/paid', 'orders/paid']);
    const adapter = platform();
    const events = await Promise.all(delivered.map((webhook) => adapter.verifyWebhook(webhook.request)));
    expect(new Set(events.map((event) => event.eventId)).size).toBe(2);
    expect(events.every((event) => event.orderId === orderId)).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['order.updated', 'order.updated', 'order.paid', 'order.paid']);
  });

  it('reads the order of a refunds/create webhook from order_id', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    fake.takeWebhooks();
    await platform().recordPayment(paymentUpdate(orderId, 'refund', euros(1000)));
    const refund = fake.takeWebhooks().find((webhook) => webhook.topic === 'refunds/create');
    expect(await platform().verifyWebhook(refund?.request as WebhookRequest)).toMatchObject({ type: 'refund.created', orderId });
    expect(JSON.parse(refund?.request.rawBody ?? '{}')).toMatchObject({ order_id: Number(orderId.split('/').pop()), transactions: [{ kind: 'refund', amount: '10.0' }] });
  });

  it('falls back to the numeric id, the payload time, the receive time and the clock', async () => {
    const clock = new RecordingClock(Date.UTC(2026, 5, 1));
    const verifier = { secret: fake.apiSecretKey, shopDomain: fake.shopDomain, clock };
    const noTime = (request: WebhookRequest): WebhookRequest => ({ ...request, headers: { ...request.headers, 'x-shopify-triggered-at': undefined } });
    expect(verifyShopifyWebhook(noTime(signed({ id: 123, updated_at: '2026-01-05T00:00:00Z' })), verifier)).toMatchObject({ orderId: 'gid://shopify/Order/123', occurredAt: Date.UTC(2026, 0, 5) });
    expect(verifyShopifyWebhook(noTime(signed({ id: '456' })), verifier)).toMatchObject({ orderId: 'gid://shopify/Order/456', occurredAt: Date.UTC(2026, 0, 2) });
    expect(verifyShopifyWebhook({ ...noTime(signed({ id: 1.5 })), receivedAt: undefined }, verifier)).toMatchObject({ orderId: undefined, occurredAt: Date.UTC(2026, 5, 1) });
    expect(verifyShopifyWebhook(signed({ order_id: '789' }, { topic: 'refunds/create' }), verifier).orderId).toBe('gid://shopify/Order/789');
    expect(verifyShopifyWebhook(signed({ id: 1 }, { topic: 'app/uninstalled' }), verifier)).toMatchObject({ type: 'other', orderId: undefined });
    expect(verifyShopifyWebhook(signed({ id: 1, admin_graphql_api_id: 'gid://shopify/Order/1' }, { topic: 'orders/create' }), verifier).type).toBe('order.created');
  });

  it('rejects webhooks without an id or topic, for another shop, or with a body that is not a JSON object', async () => {
    expect((await rejection({ ...signed({}), headers: { ...signed({}).headers, 'x-shopify-webhook-id': '' } })).reason).toBe('malformed-body');
    expect((await rejection({ ...signed({}), headers: { ...signed({}).headers, 'x-shopify-topic': undefined } })).reason).toBe('malformed-body');
    expect((await rejection(signed({ id: 1 }, { shopDomain: 'another-shop.myshopify.com' }))).message).toContain('another-shop.myshopify.com');
    expect((await rejection(signed('not json'))).reason).toBe('malformed-body');
    expect((await rejection(signed('[1,2]'))).reason).toBe('malformed-body');
    expect(await platform().verifyWebhook(signed({ id: 1 }, { shopDomain: fake.shopDomain.toUpperCase() }))).toMatchObject({ eventId: 'wh-1' });
  });
});
