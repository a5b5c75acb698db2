import { createServer } from 'node:net';
import { ProviderUnavailableError, UnknownOutcomeError } from '@paymigrate/core';
import { createStripeFake, type LoopbackHttpServer, serveOverHttp } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInput, testApiKey, thrownBy } from './__fixtures__/stripe-fake-harness.js';
import { createStripeGateway } from './stripe-gateway.js';

// Real sockets, no msw: the fake's handlers behind a loopback HTTP server. This is where the SDK's
// hidden retry lives (it resends once on ECONNRESET/EPIPE even with maxNetworkRetries: 0), and
// where a refused connection has its real error code.
const fake = createStripeFake({ baseUrl: 'http://127.0.0.1' });
let loopback: LoopbackHttpServer;

beforeAll(async () => {
  loopback = await serveOverHttp(fake.api.handlers, { rewriteOrigin: fake.baseUrl });
});
afterAll(() => loopback.close());

function gateway() {
  return createStripeGateway({ apiKey: testApiKey, apiBaseUrl: loopback.url, timeoutMilliseconds: 2000 });
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('over real HTTP', () => {
  it('talks to the fake through host, port and protocol options', async () => {
    const payment = await gateway().authorize(authorizeInput());
    expect(payment.state).toBe('authorized');
    expect(new URL(fake.api.calls.at(-1)?.url as string).pathname).toBe('/v1/payment_intents');
  });

  it('a connection reset after Stripe applied the write is an unknown outcome, sent exactly once (no SDK retry)', async () => {
    const since = fake.api.calls.length;
    fake.api.faults.inject({ kind: 'reset-after-apply', route: fake.routes.createPaymentIntent, times: 1 });
    const error = await thrownBy(() => gateway().authorize(authorizeInput()));
    expect(UnknownOutcomeError.isInstance(error)).toBe(true);
    await fake.api.waitForPendingCalls();
    expect(fake.api.calls.slice(since)).toHaveLength(1);
  });

  it('a refused connection is ProviderUnavailableError: nothing was sent', async () => {
    const port = await closedPort();
    const error = await thrownBy(() => createStripeGateway({ apiKey: testApiKey, apiBaseUrl: `http://127.0.0.1:${port}` }).authorize(authorizeInput()));
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
    expect((error as ProviderUnavailableError).providerCode).toBe('ECONNREFUSED');
  });
});
