import { Money, UnknownOutcomeError } from '@paymigrate/core';
import { createPayPalFake, type LoopbackHttpServer, type PayPalFake, payPalFakeRoutes, payPalTestPaymentTokens, serveOverHttp } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, newReference } from './__fixtures__/paypal-test-environment.js';
import { createPayPalGateway } from './paypal-gateway.js';

/**
 * The supported way to point the SDK at a loopback PayPal (benchmarks, a proxy): the `baseUrl`
 * option. These tests use real sockets (no msw interception in this file).
 */
describe.each([
  ['sandbox', 'https://api-m.sandbox.paypal.com'],
  ['production', 'https://api-m.paypal.com'],
] as const)('a loopback PayPal fake, %s environment', (environment, origin) => {
  let fake: PayPalFake;
  let loopback: LoopbackHttpServer;

  beforeAll(async () => {
    fake = createPayPalFake({ baseUrl: origin });
    loopback = await serveOverHttp(fake.handlers, { rewriteOrigin: origin });
  });
  afterAll(() => loopback.close());

  function gateway() {
    return createPayPalGateway({ clientId: fake.clientId, clientSecret: fake.clientSecret, environment, baseUrl: `${loopback.url}/`, timeoutMilliseconds: 2_000 });
  }

  it('serves the whole flow, the OAuth token call included', async () => {
    const paypal = gateway();
    const payment = await paypal.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(2_000, 'EUR'), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId });
    await paypal.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: Money.of(2_000, 'EUR') });
    expect((await paypal.retrieve({ providerReference: payment.providerReference })).state).toBe('captured');
    expect(fake.api.callsTo(payPalFakeRoutes.oauthToken).length).toBeGreaterThanOrEqual(1);
  });

  it('a connection reset after PayPal applied the write is an unknown outcome; the same key recovers the payment', async () => {
    const paypal = gateway();
    fake.api.faults.inject({ route: payPalFakeRoutes.createOrder, kind: 'reset-after-apply', times: 1 });
    const input = { idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(500, 'EUR'), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId };
    const before = fake.payments().length;
    await expect(paypal.authorize(input)).rejects.toSatisfy(UnknownOutcomeError.isInstance);
    const recovered = await paypal.authorize(input);
    expect(fake.payments()).toHaveLength(before + 1);
    expect(recovered.providerReference).toBe(fake.payments().at(-1)?.orderId);
  });
});
