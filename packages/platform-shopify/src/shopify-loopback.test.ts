import { createServer } from 'node:net';
import { ProviderUnavailableError } from '@paymigrate/core';
import { createShopifyFake, serveOverHttp } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { euros, newKey, paymentUpdate, thrownBy } from './__fixtures__/shopify-test-environment.js';
import { failedBeforeSending, routeShop, routingFetch } from './shopify-fetch.js';
import { createShopifyPlatform } from './shopify-platform.js';

// No msw here: the fake is served over real loopback HTTP, the way benchmarks run it.
const fake = createShopifyFake({ shopDomain: 'paymigrate-loopback.myshopify.com' });
let server: Awaited<ReturnType<typeof serveOverHttp>>;

beforeAll(async () => {
  server = await serveOverHttp(fake.handlers, { rewriteOrigin: `https://${fake.shopDomain}` });
});
afterAll(async () => {
  await server.close();
  routeShop(fake.shopDomain, undefined);
});

function platform(apiOrigin: string | undefined) {
  return createShopifyPlatform({ shopDomain: fake.shopDomain, adminAccessToken: fake.adminAccessToken, apiSecretKey: fake.apiSecretKey, environment: {}, apiOrigin });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

describe('the adapter against a fake shop served over loopback HTTP (apiOrigin)', () => {
  it('reads and writes through the library, its https store URL routed to http://127.0.0.1', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', gateway: 'stripe' });
    const adapter = platform(server.url);
    expect((await adapter.getOrder({ orderId }))?.canonicalState).toBe('authorized');
    expect((await adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(5000)))).canonicalState).toBe('paid');
    expect(fake.api.calls.every((call) => call.url.startsWith(`https://${fake.shopDomain}/admin/api/2025-01/graphql.json`))).toBe(true);
  });

  it('a request that cannot connect is marked as not sent, so nothing is reported as an unknown outcome', async () => {
    const port = await closedPort();
    const signal = AbortSignal.timeout(5000);
    await expect(routingFetch(`http://127.0.0.1:${port}/admin/api/2025-01/graphql.json`, { method: 'POST', body: '{}', signal })).rejects.toThrow();
    expect(failedBeforeSending(signal)).toBe(true);
    const other = AbortSignal.timeout(5000);
    await expect(routingFetch(new Request(`http://127.0.0.1:${port}/`), { signal: other })).rejects.toThrow();
    expect(failedBeforeSending(other)).toBe(true);
    await expect(routingFetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    const orderId = fake.addOrder({ total: euros(5000) });
    const error = await thrownBy(() => platform(`http://127.0.0.1:${port}`).cancelOrder({ idempotencyKey: newKey(), orderId, reason: 'other' }));
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('nothing was sent');
  });
});
