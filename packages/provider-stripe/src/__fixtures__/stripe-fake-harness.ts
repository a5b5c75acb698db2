import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { type AuthorizeInput, Money, type PaymentGatewayV1 } from '@paymigrate/core';
import { type CreateStripeFakeOptions, createStripeFake, type RecordedCall, type StripeFake, trafficDumpDirectory } from '@paymigrate/testkit';
import { type SetupServer, setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createStripeGateway } from '../stripe-gateway.js';
import type { StripeGatewayOptions } from '../stripe-options.js';

/** The API key the harness gives every gateway (any `sk_test_` key passes the fake). */
export const testApiKey = 'sk_test_paymigrate_adapter';

/** A Stripe fake served by msw for one test file, and a way to build gateways against it. */
export interface StripeFakeHarness {
  /** The fake. */
  readonly fake: StripeFake;
  /** The msw server (for `server.use` in a test). */
  readonly server: SetupServer;
  /** A gateway pointed at the fake, with `overrides` applied. */
  gateway(overrides?: Partial<StripeGatewayOptions>): PaymentGatewayV1;
}

/**
 * Registers `beforeAll` / `afterEach` / `afterAll` hooks serving a fresh Stripe fake with
 * `onUnhandledRequest: 'error'`, clearing faults and pending webhooks after each test. When
 * `PAYMIGRATE_TRAFFIC_DIR` is set (CI), the file's traffic is dumped as
 * `stripe-<test file>-traffic.json` there.
 */
export function useStripeFake(options: CreateStripeFakeOptions = {}): StripeFakeHarness {
  const fake = createStripeFake(options);
  const server = setupServer(...fake.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    fake.api.faults.clear();
    fake.setExecutionDelay(0);
    fake.takePendingWebhooks();
    server.resetHandlers();
  });
  afterAll(async () => {
    server.close();
    const directory = trafficDumpDirectory();
    if (directory === undefined) return;
    const file = expect.getState().testPath ?? 'unknown.test.ts';
    await fake.api.dumpTraffic(join(directory, `stripe-${basename(file, '.test.ts')}-traffic.json`));
  });
  return {
    fake,
    server,
    gateway: (overrides = {}) =>
      createStripeGateway({
        apiKey: testApiKey,
        webhookSecret: fake.webhookSecret,
        apiBaseUrl: fake.baseUrl,
        networkTransactionIdExemption: true,
        ...overrides,
      }),
  };
}

/** A fresh idempotency key. */
export function newKey(): string {
  return `test-${randomUUID()}`;
}

/** Euros in cents. */
export function euros(cents: number | bigint): Money {
  return Money.of(cents, 'EUR');
}

/** An authorization input with fresh key and reference. */
export function authorizeInput(overrides: Partial<AuthorizeInput> = {}): AuthorizeInput {
  return {
    idempotencyKey: newKey(),
    merchantReference: `order-${randomUUID()}`,
    amount: euros(5000),
    paymentMethodToken: 'pm_card_visa',
    ...overrides,
  };
}

/** What `action` rejected with; fails the test when it resolves (the testkit's `captureError`). */
export { captureError as thrownBy } from '@paymigrate/testkit';

/** The calls the fake recorded since `since` (an index into `api.calls`). */
export function callsSince(fake: StripeFake, since: number): readonly RecordedCall[] {
  return fake.api.calls.slice(since);
}
