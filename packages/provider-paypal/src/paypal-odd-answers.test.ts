import {
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  ProviderUnavailableError,
  UnknownOutcomeError,
  WebhookVerificationError,
} from '@paymigrate/core';
import { payPalSandboxBaseUrl, payPalTestPaymentTokens } from '@paymigrate/testkit';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPalTestSubject, failure, newKey, newReference, server } from './__fixtures__/paypal-test-environment.js';
import { normalizePayPalError } from './paypal-error.js';

/**
 * Answers the fake never gives but PayPal could (missing fields, unexpected shapes): the adapter
 * must never read them as a success, and never lose track of a write that may have happened.
 */
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');
const url = (path: string) => `${payPalSandboxBaseUrl}${path}`;

function authorizeInput(merchantReference = newReference()) {
  return { idempotencyKey: newKey(), merchantReference, amount: usd(10_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId };
}

describe('odd answers to writes', () => {
  it('a created order without a readable amount is an unknown outcome, not a success', async () => {
    const { gateway } = createPayPalTestSubject();
    const input = authorizeInput();
    server.use(http.post(url('/v2/checkout/orders'), () => HttpResponse.json({ id: 'ODD1', intent: 'AUTHORIZE', status: 'COMPLETED', purchase_units: [{ custom_id: input.merchantReference }] }, { status: 201 })));
    const error = await failure(() => gateway.authorize(input));
    expect(UnknownOutcomeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('could not be read');
  });

  it('a denied authorization without a processor response declines generically', async () => {
    const { gateway } = createPayPalTestSubject();
    const input = authorizeInput();
    server.use(
      http.post(url('/v2/checkout/orders'), () =>
        HttpResponse.json(
          {
            id: 'ODD2',
            intent: 'AUTHORIZE',
            status: 'COMPLETED',
            purchase_units: [{ custom_id: input.merchantReference, amount: { currency_code: 'USD', value: '100.00' }, payments: { authorizations: [{ id: 'A', status: 'DENIED', amount: { currency_code: 'USD', value: '100.00' } }] } }],
          },
          { status: 201 },
        ),
      ),
    );
    const error = await failure(() => gateway.authorize(input));
    expect(PaymentDeclinedError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ declineReason: 'generic_decline', providerCode: undefined, providerReference: 'ODD2' });
  });

  it('an order replayed with another amount (and no id) is a conflict', async () => {
    const { gateway } = createPayPalTestSubject();
    const input = authorizeInput();
    server.use(http.post(url('/v2/checkout/orders'), () => HttpResponse.json({ status: 'COMPLETED', purchase_units: [{ amount: { currency_code: 'USD', value: '1.00' } }] }, { status: 200 })));
    const error = await failure(() => gateway.authorize(input));
    expect(IdempotencyConflictError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('order ?');
  });

  it('a capture answer for another amount (and no id) is a conflict', async () => {
    const { gateway } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    server.use(http.post(url('/v2/payments/authorizations/:id/capture'), () => HttpResponse.json({ status: 'COMPLETED', amount: { currency_code: 'USD', value: '1.00' } }, { status: 200 })));
    const error = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) }));
    expect(IdempotencyConflictError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('made ?');
  });

  it('an order without status or payments can be neither captured nor voided', async () => {
    const { gateway } = createPayPalTestSubject();
    server.use(http.get(url('/v2/checkout/orders/:id'), () => HttpResponse.json({ id: 'ODD3', purchase_units: [{ amount: { currency_code: 'USD', value: '1.00' } }] })));
    const capture = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: 'ODD3', amount: usd(100) }));
    expect((capture as Error).message).toContain('status unknown');
    const cancel = await failure(() => gateway.cancel({ idempotencyKey: newKey(), providerReference: 'ODD3' }));
    expect(InvalidRequestError.isInstance(cancel)).toBe(true);
    expect((cancel as Error).message).toContain('status unknown');
  });

  it('refunds without links count toward no capture', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize({ ...authorizeInput(), captureMethod: 'automatic' });
    const order = fake.order(payment.providerReference) as { purchase_units: [Record<string, unknown> & { payments: Record<string, unknown> }] };
    const unit = order.purchase_units[0];
    const withLinklessRefund = { ...order, purchase_units: [{ ...unit, payments: { ...unit.payments, refunds: [{ id: 'R', status: 'COMPLETED', amount: { currency_code: 'USD', value: '1.00' } }] } }] };
    server.use(http.get(url('/v2/checkout/orders/:id'), () => HttpResponse.json(withLinklessRefund)));
    expect((await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) })).status).toBe('succeeded');
  });
});

describe('odd answers to reads', () => {
  it('vault pages without ids, customers, totals or tokens', async () => {
    const { gateway } = createPayPalTestSubject();
    const card = { last_digits: '1111', brand: 'VISA', expiry: '2031-12' };
    server.use(
      http.get(url('/v3/vault/payment-tokens'), ({ request }) =>
        new URL(request.url).searchParams.get('customer_id') === 'customer-empty'
          ? HttpResponse.json({ customer: { id: 'customer-empty' } })
          : HttpResponse.json({ payment_tokens: [{ payment_source: { card } }, { id: 'vault-2', payment_source: { card } }, { id: 'vault-3', payment_source: { paypal: {} } }] }),
      ),
    );
    expect(await gateway.listStoredPaymentMethods({ customerReference: 'customer-empty' })).toEqual([]);
    const methods = await gateway.listStoredPaymentMethods({ customerReference: 'customer-1234' });
    expect(methods).toEqual([{ provider: 'paypal', token: 'vault-2', customerReference: 'customer-1234', card: { brand: 'visa', last4: '1111', expiryMonth: 12, expiryYear: 2031 }, networkTransactionId: undefined }]);
  });
});

describe('odd webhooks', () => {
  it('a verification answer without a status is a failure', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    server.use(http.post(url('/v1/notifications/verify-webhook-signature'), () => HttpResponse.json({})));
    const request = fake.signedWebhook(fake.webhookEvent({ eventType: 'PAYMENT.CAPTURE.COMPLETED', orderId: 'X' }));
    await expect(gateway.verifyWebhook(request)).rejects.toSatisfy((error: unknown) => WebhookVerificationError.isInstance(error) && (error as WebhookVerificationError).reason === 'signature-mismatch');
  });

  it('refund resources without usable links, orders without units, events without a time', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const receivedAt = Date.now();
    const event = (eventType: string, resourceType: string, resource: Record<string, unknown>, createTime?: string) =>
      JSON.stringify({ id: `WH-${resourceType}`, event_type: eventType, resource_type: resourceType, resource, ...(createTime === undefined ? {} : { create_time: createTime }) });
    const verify = (rawBody: string) => gateway.verifyWebhook(fake.signedWebhook(rawBody, { transmissionTime: receivedAt }));

    const noLinks = await verify(event('PAYMENT.CAPTURE.REFUNDED', 'refund', { id: 'R1', links: 'none' }));
    expect(noLinks).toMatchObject({ providerReference: undefined, operationReference: 'R1', occurredAt: receivedAt });
    const otherLinks = await verify(event('PAYMENT.CAPTURE.REFUNDED', 'refund', { id: 'R2', links: [{ rel: 'up', href: 'https://api-m.paypal.com/v2/payments/refunds/R0' }, 'junk'] }));
    expect(otherLinks.providerReference).toBeUndefined();
    const noUnits = await verify(event('CHECKOUT.ORDER.APPROVED', 'checkout-order', { id: 'O1' }, '2026-01-01T00:00:00Z'));
    expect(noUnits).toMatchObject({ providerReference: 'O1', amount: undefined, merchantReference: undefined, occurredAt: Date.parse('2026-01-01T00:00:00Z') });
    const oddUnit = await verify(event('CHECKOUT.ORDER.APPROVED', 'checkout-order', { id: 'O2', purchase_units: ['junk'] }));
    expect(oddUnit.amount).toBeUndefined();
  });
});

describe('odd failures', () => {
  it('a non-Error thrown while fetching the token is still "not sent"', () => {
    const error = normalizePayPalError({ config: { url: `${payPalSandboxBaseUrl}/v1/oauth2/token` } }, { operation: 'authorize', kind: 'write' });
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
  });
});
