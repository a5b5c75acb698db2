// The Adyen adapter over real TLS sockets: the Adyen Node library speaks HTTPS only, so the fake is
// served on loopback with the repository's test certificate (testkit `loopbackTlsCredentials`),
// which the gateway trusts through `certificateAuthority`. No msw in this file: a dropped
// connection is a real reset after the request was sent, which msw cannot show (it reports every
// dropped connection as a bare "Network error", the before-send case).
import { Money, ProviderUnavailableError, UnknownOutcomeError } from '@paymigrate/core';
import { adyenFakeDefaults, adyenFakeRoutes, adyenTestTokens, createAdyenFake, type LoopbackHttpServer, loopbackTlsCredentials, serveOverHttp } from '@paymigrate/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { gatewayOptionsFor } from './__fixtures__/adyen-test-setup.js';
import { createAdyenGateway } from './adyen-gateway.js';

const servers: LoopbackHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The fake behind a TLS loopback server, and a gateway pointed at it that trusts the test certificate (or not). */
async function loopbackAdyen(options: { readonly trusted?: boolean } = {}) {
  const fake = createAdyenFake();
  const server = await serveOverHttp(fake.handlers, { rewriteOrigin: new URL(adyenFakeDefaults.baseUrl).origin, tls: loopbackTlsCredentials });
  servers.push(server);
  const gateway = createAdyenGateway(
    gatewayOptionsFor(fake, {
      baseUrl: `${server.url}/v72`,
      timeoutMilliseconds: 5_000,
      ...(options.trusted === false ? {} : { certificateAuthority: loopbackTlsCredentials.certificate }),
    }),
  );
  return { fake, server, gateway };
}

/** What a promise rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

const authorization = (reference: string) => ({
  idempotencyKey: `${reference}.authorize.1`,
  merchantReference: reference,
  amount: Money.of(2_500n, 'EUR'),
  paymentMethodToken: adyenTestTokens.visa,
});

describe('Adyen over TLS loopback', () => {
  test('authorizes and captures through the SDK over a TLS connection that trusts the configured CA', async () => {
    const { fake, gateway } = await loopbackAdyen();
    const payment = await gateway.authorize(authorization('order-tls-1'));
    expect(payment.state).toBe('authorized');
    const capture = await gateway.capture({ idempotencyKey: 'order-tls-1.capture.1', providerReference: payment.providerReference, amount: Money.of(2_500n, 'EUR') });
    expect(capture.status).toBe('pending');
    expect(fake.api.callsTo(adyenFakeRoutes.payments)[0]?.url).toBe(`${adyenFakeDefaults.baseUrl}/payments`);
  });

  test('calls one after another share one kept-alive TLS connection (the library alone would open one per call)', async () => {
    const { server, gateway } = await loopbackAdyen();
    for (let index = 0; index < 5; index += 1) {
      expect((await gateway.authorize(authorization(`order-tls-keep-${index}`))).state).toBe('authorized');
    }
    expect(server.connectionsAccepted()).toBe(1);
    // Concurrent calls open connections side by side, then reuse them.
    await Promise.all(Array.from({ length: 4 }, (_, index) => gateway.authorize(authorization(`order-tls-parallel-${index}`))));
    expect(server.connectionsAccepted()).toBeLessThanOrEqual(4);
  });

  test('a connection reset after Adyen applied the authorization is an unknown outcome, and the same-key retry finds the one payment', async () => {
    const { fake, gateway } = await loopbackAdyen();
    fake.api.faults.inject({ kind: 'reset-after-apply', route: adyenFakeRoutes.payments, times: 1 });
    const failure = await rejectionOf(gateway.authorize(authorization('order-tls-reset')));
    expect(UnknownOutcomeError.isInstance(failure)).toBe(true);
    expect((failure as Error).message).toContain('may or may not have happened');
    expect(fake.payments().filter((payment) => payment.merchantReference === 'order-tls-reset')).toHaveLength(1);

    const retried = await gateway.authorize(authorization('order-tls-reset'));
    expect(retried.state).toBe('authorized');
    expect(fake.payments().filter((payment) => payment.merchantReference === 'order-tls-reset')).toHaveLength(1);
    expect(fake.api.callsTo(adyenFakeRoutes.payments).map((call) => [call.applied, call.fault])).toEqual([
      [true, 'reset-after-apply'],
      [true, undefined],
    ]);
  });

  test('a reset after sending is unknown even when Adyen never applied it: the client cannot tell, and the retry creates it once', async () => {
    const { fake, gateway } = await loopbackAdyen();
    fake.api.faults.inject({ kind: 'reset-before-apply', route: adyenFakeRoutes.payments, times: 1 });
    expect(UnknownOutcomeError.isInstance(await rejectionOf(gateway.authorize(authorization('order-tls-dropped'))))).toBe(true);
    expect(fake.payments()).toHaveLength(0);
    expect((await gateway.authorize(authorization('order-tls-dropped'))).state).toBe('authorized');
    expect(fake.payments()).toHaveLength(1);
  });

  test('an untrusted certificate and a refused connection fail before anything is sent: provider unavailable, safe to send elsewhere', async () => {
    const untrusted = await loopbackAdyen({ trusted: false });
    const refusedByTls = await rejectionOf(untrusted.gateway.authorize(authorization('order-tls-untrusted')));
    expect(ProviderUnavailableError.isInstance(refusedByTls)).toBe(true);
    expect(untrusted.fake.api.calls).toHaveLength(0);

    const stopped = await loopbackAdyen();
    await stopped.server.close();
    const refused = await rejectionOf(stopped.gateway.authorize(authorization('order-tls-refused')));
    expect(ProviderUnavailableError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).not.toContain('may or may not');
  });
});
