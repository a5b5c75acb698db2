import { InvalidRequestError, RateLimitedError, IdempotencyConflictError, UnknownOutcomeError, ProviderRetryableError, ProviderAuthenticationError } from '@paymigrate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { serveOverHttp, type LoopbackHttpServer } from '../../http/http-server.js';
import { ManualClock } from '../../memory/manual-clock.js';
import { createTokenImportClient } from './token-import-client.js';
import { createTokenImportFake } from './token-import-fake.js';
import { serveTokenImportFake } from './token-import-server.js';

const card = { brand: 'visa' as const, last4: '4242', expiryMonth: 12, expiryYear: 2030 };
let server: LoopbackHttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(fake: ReturnType<typeof createTokenImportFake>): Promise<ReturnType<typeof createTokenImportClient>> {
  server = await serveOverHttp(fake.api.handlers, { rewriteOrigin: fake.api.baseUrl });
  return createTokenImportClient({ baseUrl: server.url, provider: 'stripe' });
}

describe('token-import fake over HTTP', () => {
  it('imports idempotently, rejects what a provider would, and verifies', async () => {
    const fake = createTokenImportFake({ supportedBrands: ['visa'], clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const client = await serve(fake);
    const input = { idempotencyKey: 'k1', sourceProvider: 'braintree', sourceToken: 'bt_1', sourceCustomerReference: 'c1', card, networkTransactionId: 'nt_1' };
    const first = await client.importPaymentMethod(input);
    expect(first).toMatchObject({ status: 'imported', card: { brand: 'visa', last4: '4242' }, networkTransactionId: 'nt_1' });
    expect(await client.importPaymentMethod(input)).toEqual(first);
    await expect(client.importPaymentMethod({ ...input, sourceToken: 'bt_other' })).rejects.toSatisfy((error) => IdempotencyConflictError.isInstance(error));
    expect(await client.importPaymentMethod({ ...input, idempotencyKey: 'k2', sourceToken: 'bt_2', card: { ...card, brand: 'amex' } })).toMatchObject({ status: 'rejected', reason: 'brand_not_supported' });
    expect(await client.importPaymentMethod({ ...input, idempotencyKey: 'k3', sourceToken: 'bt_3', card: { ...card, expiryYear: 2020 } })).toMatchObject({ status: 'rejected', reason: 'expired' });
    expect(await client.importPaymentMethod({ ...input, idempotencyKey: 'k4', sourceToken: 'bt_4', card: { ...card, last4: '42' } })).toMatchObject({ status: 'rejected', reason: 'invalid_data' });
    const token = first.status === 'imported' ? first.token : '';
    const customerReference = first.status === 'imported' ? first.customerReference : '';
    expect(await client.verifyPaymentMethod({ idempotencyKey: 'v1', token, customerReference, currency: 'EUR' })).toMatchObject({ verified: true });
    fake.failVerification(token);
    expect(await client.verifyPaymentMethod({ idempotencyKey: 'v2', token, customerReference, currency: 'EUR' })).toEqual({ verified: false, declineReason: 'do_not_honor', networkTransactionId: undefined });
    expect(await client.verifyPaymentMethod({ idempotencyKey: 'v3', token: 'pm_unknown', customerReference, currency: 'EUR' })).toMatchObject({ verified: false, declineReason: 'payment_method_not_found' });
    expect(fake.stats()).toMatchObject({ imported: 1, replayed: 1 });
  });

  it('answers 429 with Retry-After and Retry-After-Ms beyond its rate limit', async () => {
    const clock = new ManualClock();
    const fake = createTokenImportFake({ rateLimit: { requestsPerSecond: 10, burst: 2 }, clock });
    const client = await serve(fake);
    const call = (index: number) => client.importPaymentMethod({ idempotencyKey: `k${index}`, sourceProvider: 'b', sourceToken: `t${index}`, sourceCustomerReference: 'c', card: { ...card, expiryYear: 2099 } });
    await call(1);
    await call(2);
    const error = await call(3).catch((caught: unknown) => caught);
    expect(RateLimitedError.isInstance(error) && error.retryAfterMs).toBe(100);
    await clock.advance(100);
    await expect(call(3)).resolves.toMatchObject({ status: 'imported' });
    expect(fake.stats().rateLimited).toBe(1);
  });

  it('maps transport failures and error statuses to provider errors', async () => {
    const fake = createTokenImportFake();
    const client = await serve(fake);
    const input = { idempotencyKey: 'k', sourceProvider: 'b', sourceToken: 't', sourceCustomerReference: 'c', card };
    fake.api.faults.inject({ kind: 'server-error', status: 503, times: 1 });
    await expect(client.importPaymentMethod(input)).rejects.toSatisfy((error) => ProviderRetryableError.isInstance(error));
    fake.api.faults.inject({ kind: 'server-error', status: 500, times: 1, body: {} });
    fake.api.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 2, times: 1 });
    await expect(client.importPaymentMethod(input)).rejects.toSatisfy((error) => ProviderRetryableError.isInstance(error));
    const limited = await client.importPaymentMethod(input).catch((caught: unknown) => caught);
    expect(RateLimitedError.isInstance(limited) && limited.retryAfterMs).toBe(2000);
    await expect(client.importPaymentMethod({ ...input, idempotencyKey: '' })).rejects.toSatisfy((error) => InvalidRequestError.isInstance(error));
    fake.api.faults.inject({ kind: 'reset-before-apply', times: 1 });
    await expect(client.importPaymentMethod(input)).rejects.toSatisfy((error) => UnknownOutcomeError.isInstance(error));
    fake.api.faults.inject({ kind: 'server-error', status: 500, times: 1, headers: {} });
    await expect(createTokenImportClient({ baseUrl: `${server?.url}/nope` }).importPaymentMethod(input)).rejects.toSatisfy((error) => InvalidRequestError.isInstance(error));
    expect(ProviderAuthenticationError.isInstance(new Error('x'))).toBe(false);
  });
});

describe('serveTokenImportFake', () => {
  it('serves the same routes and rate limit without msw', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const fake = createTokenImportFake({ rateLimit: { requestsPerSecond: 10, burst: 1 }, clock });
    server = await serveTokenImportFake(fake);
    const client = createTokenImportClient({ baseUrl: server.url });
    const input = { idempotencyKey: 'k1', sourceProvider: 'braintree', sourceToken: 'bt_1', sourceCustomerReference: 'c1', card };
    expect(await client.importPaymentMethod(input)).toMatchObject({ status: 'imported' });
    const limited = await client.importPaymentMethod({ ...input, idempotencyKey: 'k2' }).catch((caught: unknown) => caught);
    expect(RateLimitedError.isInstance(limited)).toBe(true);
    const missing = await fetch(`${server.url}/v1/nothing?x=1`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
  });
});
