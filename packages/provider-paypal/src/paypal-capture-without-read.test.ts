import { InvalidRequestError, Money, ProviderRetryableError } from '@paymigrate/core';
import { payPalFakeRoutes, payPalFaultBodies, payPalTestPaymentTokens } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPalTestSubject, failure, newKey, newReference, server } from './__fixtures__/paypal-test-environment.js';
import { createPayPalGateway } from './paypal-gateway.js';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

function authorizeInput(overrides: Record<string, unknown> = {}) {
  return { idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(10_000), paymentMethodToken: payPalTestPaymentTokens.visa.vaultId, ...overrides };
}

describe('captures and voids of an order this gateway authorized skip the order read', () => {
  it('capture: the authorization id comes from the authorize answer, no GET of the order', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    const captured = await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) });
    expect(captured.status).toBe('succeeded');
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(0);
    const [call] = fake.api.callsTo(payPalFakeRoutes.captureAuthorization);
    expect(call?.url).toContain(`/v2/payments/authorizations/${fake.payments()[0]?.authorizations[0]?.id}/capture`);
    expect((await gateway.retrieve({ providerReference: payment.providerReference })).state).toBe('captured');
  });

  it('a replayed capture (same key) goes to the same authorization and gets the same capture, still without a read', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    const input = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) };
    const first = await gateway.capture(input);
    const replayed = await gateway.capture(input);
    expect(replayed.operationReference).toBe(first.operationReference);
    expect(fake.payments()[0]?.captures).toHaveLength(1);
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(0);
  });

  it('a capture above the remembered authorized amount, or in another currency, is refused before anything is sent', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    fake.api.resetCalls();
    const above = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_001) }));
    expect(InvalidRequestError.isInstance(above)).toBe(true);
    expect(above).toMatchObject({ parameter: 'amount' });
    const otherCurrency = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: Money.of(100, 'EUR') }));
    expect(InvalidRequestError.isInstance(otherCurrency)).toBe(true);
    expect(fake.api.calls).toHaveLength(0);
  });

  it('void: the remembered authorization is voided without a read, its amount reported', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput({ amount: usd(2_500) }));
    const voided = await gateway.cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference });
    expect(voided).toMatchObject({ operation: 'cancel', status: 'succeeded', providerStatus: 'VOIDED', operationReference: fake.payments()[0]?.authorizations[0]?.id });
    expect(voided.amount.equals(usd(2_500))).toBe(true);
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(0);
  });

  it('a capture after a void is refused by PayPal, as it was after a read', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    await gateway.cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference });
    const error = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) }));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect(fake.payments()[0]?.captures).toHaveLength(0);
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(0);
  });
});

describe('an order this gateway does not know is read first, as before', () => {
  function otherGateway(fake: ReturnType<typeof createPayPalTestSubject>['fake']) {
    // Another process, or this one after a restart: same account, empty memory.
    return createPayPalGateway({ clientId: fake.clientId, clientSecret: fake.clientSecret, environmentVariables: {} });
  }

  it('capture: the GET happens, then the capture; the read is remembered for what follows', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    const restarted = otherGateway(fake);
    const input = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(4_000), finalCapture: false };
    expect((await restarted.capture(input)).status).toBe('succeeded');
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(1);
    expect((await restarted.capture({ ...input, idempotencyKey: newKey(), amount: usd(6_000), finalCapture: true })).status).toBe('succeeded');
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(1);
    expect(fake.payments()[0]?.captures).toHaveLength(2);
  });

  it('void: the GET happens, then the void', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput({ amount: usd(700) }));
    const voided = await otherGateway(fake).cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference });
    expect(voided.status).toBe('succeeded');
    expect(voided.amount.equals(usd(700))).toBe(true);
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(1);
  });

  it('a failed read stays retryable and nothing is captured', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    fake.api.faults.inject({ route: payPalFakeRoutes.getOrder, kind: 'server-error', status: 503, body: payPalFaultBodies.serviceUnavailable(), times: 1 });
    const error = await failure(() => otherGateway(fake).capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) }));
    expect(ProviderRetryableError.isInstance(error)).toBe(true);
    expect(fake.api.callsTo(payPalFakeRoutes.captureAuthorization)).toHaveLength(0);
  });

  it('an order captured at creation (automatic capture) is never remembered: capture and void read it and refuse', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput({ captureMethod: 'automatic' }));
    const capture = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(100) }));
    expect(InvalidRequestError.isInstance(capture)).toBe(true);
    expect((capture as Error).message).toContain('automatic capture');
    const cancel = await failure(() => gateway.cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference }));
    expect(InvalidRequestError.isInstance(cancel)).toBe(true);
    expect((cancel as Error).message).toContain('refund it instead');
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(2);
  });

  it('refunds always read the order (the capture a refund goes to depends on the refunds so far)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) });
    await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(1_000) });
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(1);
  });
});
