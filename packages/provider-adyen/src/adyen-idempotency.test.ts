import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Money } from '@paymigrate/core';
import { adyenErrorBody, adyenFakeRoutes, adyenTestTokens, redactedValue } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { captureError, createTestSubject, newKey, newReference, useMockServer } from './__fixtures__/adyen-test-setup.js';

const server = useMockServer();
const euros = (minor: bigint): Money => Money.of(minor, 'EUR');

describe('idempotency keys and retries, from the fake call recorder', () => {
  test('every write carries our Idempotency-Key, each call is exactly one request, and reads carry none', async () => {
    const { fake, gateway, settle } = createTestSubject(server);
    const sent: { route: string; key: string }[] = [];
    const key = (route: string): string => {
      const value = newKey();
      sent.push({ route, key: value });
      return value;
    };
    const customerReference = 'shopper-idempotency';
    const stored = await gateway.authorize({
      idempotencyKey: key(adyenFakeRoutes.payments),
      merchantReference: newReference(),
      amount: euros(1000n),
      paymentMethodToken: adyenTestTokens.visa,
      customerReference,
      savePaymentMethod: true,
    });
    await gateway.capture({ idempotencyKey: key(adyenFakeRoutes.captures), providerReference: stored.providerReference, amount: euros(400n), finalCapture: false });
    await gateway.capture({ idempotencyKey: key(adyenFakeRoutes.captures), providerReference: stored.providerReference, amount: euros(600n) });
    await gateway.refund({ idempotencyKey: key(adyenFakeRoutes.refunds), providerReference: stored.providerReference, amount: euros(100n), reason: 'duplicate' });
    await gateway.cancelOrRefund({ idempotencyKey: key(adyenFakeRoutes.reversals), providerReference: stored.providerReference });
    const other = await gateway.authorize({ idempotencyKey: key(adyenFakeRoutes.payments), merchantReference: newReference(), amount: euros(500n), paymentMethodToken: adyenTestTokens.mastercard });
    await gateway.cancel({ idempotencyKey: key(adyenFakeRoutes.cancels), providerReference: other.providerReference });
    const lost = newReference();
    await gateway.authorize({ idempotencyKey: key(adyenFakeRoutes.payments), merchantReference: lost, amount: euros(700n), paymentMethodToken: adyenTestTokens.visa });
    await gateway.cancelByMerchantReference({ idempotencyKey: key(adyenFakeRoutes.technicalCancels), merchantReference: lost });
    const token = stored.storedPaymentMethod?.token as string;
    await gateway.chargeStoredPaymentMethod({
      idempotencyKey: key(adyenFakeRoutes.payments),
      merchantReference: newReference(),
      amount: euros(900n),
      customerReference,
      paymentMethodToken: token,
      networkTransactionId: stored.networkTransactionId,
      reason: 'subscription',
    });
    await gateway.listStoredPaymentMethods({ customerReference });
    await settle();

    const writes = fake.api.calls.filter((call) => call.method === 'POST');
    expect(writes.map((call) => ({ route: call.routeId, key: call.requestHeaders['idempotency-key'] }))).toEqual(sent);
    expect(fake.api.calls).toHaveLength(sent.length + 1);
    const reads = fake.api.calls.filter((call) => call.method === 'GET');
    expect(reads).toHaveLength(1);
    expect(reads[0]?.requestHeaders['idempotency-key']).toBeUndefined();
    for (const call of fake.api.calls) {
      expect(call.requestHeaders['x-api-key']).toBe(redactedValue);
      expect(call.requestHeaders['user-agent']).toContain('adyen-node-api-library');
    }
    for (const call of writes) expect(call.status).toBeLessThan(300);

    const dumpFile = join(tmpdir(), `adyen-traffic-${newKey()}.json`);
    await fake.api.dumpTraffic(dumpFile);
    const dump = JSON.parse(await readFile(dumpFile, 'utf8')) as { name: string; calls: { requestHeaders: Record<string, string> }[] };
    expect(dump.name).toBe('adyen');
    expect(dump.calls).toHaveLength(fake.api.calls.length);
    expect(dump.calls.every((call) => call.requestHeaders['x-api-key'] === redactedValue)).toBe(true);
    await rm(dumpFile);
  });

  test('failures are never retried by the SDK: one request per attempt, whatever the failure', async () => {
    const { fake, gateway } = createTestSubject(server, { gateway: { timeoutMilliseconds: 200 } });
    const faults = [
      { kind: 'server-error', status: 500, body: adyenErrorBody(500, '000', 'Internal error', 'internal') },
      { kind: 'server-error', status: 503, headers: { 'transient-error': 'true' } },
      { kind: 'rate-limit', retryAfterSeconds: 1 },
      { kind: 'reset-before-apply' },
      { kind: 'reset-after-apply' },
      { kind: 'timeout-after-apply', milliseconds: 1_000 },
    ] as const;
    for (const [index, fault] of faults.entries()) {
      fake.api.faults.inject({ route: adyenFakeRoutes.payments, times: 1, ...fault });
      const idempotencyKey = newKey();
      await captureError(() => gateway.authorize({ idempotencyKey, merchantReference: newReference(), amount: euros(100n), paymentMethodToken: adyenTestTokens.visa }));
      const calls = fake.api.callsTo(adyenFakeRoutes.payments);
      expect(calls, `fault ${fault.kind}`).toHaveLength(index + 1);
      expect(calls[index]?.requestHeaders['idempotency-key']).toBe(idempotencyKey);
      expect(calls[index]?.fault).toBe(fault.kind);
    }
    await fake.api.waitForPendingCalls();
  });

  test('a redirect is not followed (it would resend the write)', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.answerNext(adyenFakeRoutes.payments, { status: 308, body: { message: 'moved' }, headers: { location: 'https://checkout-test.adyen.com/v72/payments' } });
    await captureError(() => gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros(100n), paymentMethodToken: adyenTestTokens.visa }));
    expect(fake.api.calls).toHaveLength(1);
  });
});
