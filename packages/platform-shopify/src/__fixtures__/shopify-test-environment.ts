import { randomUUID } from 'node:crypto';
import { basename, join } from 'node:path';
import { type ClockV1, Money, type OrderState, type PlatformPaymentUpdate } from '@paymigrate/core';
import { type CreateShopifyFakeOptions, createShopifyFake, type ShopifyFake, type ShopifyFakeOrderSeed, trafficDumpDirectory } from '@paymigrate/testkit';
import { type SetupServer, setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, type TestAPI } from 'vitest';
import { createShopifyPlatform, type ShopifyPlatform } from '../shopify-platform.js';
import type { ShopifyPlatformOptions } from '../shopify-options.js';

/** A Shopify fake served by msw for one test file, and adapters pointed at it. */
export interface ShopifyTestEnvironment {
  readonly fake: ShopifyFake;
  readonly server: SetupServer;
  /** An adapter for the fake's shop, with `overrides` applied (secrets never come from the environment). */
  platform(overrides?: Partial<ShopifyPlatformOptions>): ShopifyPlatform;
}

/**
 * Registers hooks serving a fresh Shopify fake with `onUnhandledRequest: 'error'`, clearing
 * faults and queued webhooks after each test. When `PAYMIGRATE_TRAFFIC_DIR` is set (CI), the
 * file's traffic is dumped as `shopify-<test file>-traffic.json` there.
 */
export function useShopifyFake(options: CreateShopifyFakeOptions = {}): ShopifyTestEnvironment {
  const fake = createShopifyFake(options);
  const server = setupServer(...fake.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    fake.api.faults.clear();
    fake.takeWebhooks();
    server.resetHandlers();
  });
  afterAll(async () => {
    server.close();
    const directory = trafficDumpDirectory();
    if (directory === undefined) return;
    const file = expect.getState().testPath ?? 'unknown.test.ts';
    await fake.api.dumpTraffic(join(directory, `shopify-${basename(file, '.test.ts')}-traffic.json`));
  });
  return {
    fake,
    server,
    platform: (overrides = {}) =>
      createShopifyPlatform({
        shopDomain: fake.shopDomain,
        adminAccessToken: fake.adminAccessToken,
        apiSecretKey: fake.apiSecretKey,
        environment: {},
        // The fake seeds payments on 'shopify_payments'; these tests hold them at 'stripe'.
        gatewayProviders: { shopify_payments: 'stripe' },
        ...overrides,
      }),
  };
}

/** The fake seed that puts a Shopify order in a canonical state (the reverse of core's `mapShopifyOrderStatus`). */
export function seedFor(state: OrderState): Omit<ShopifyFakeOrderSeed, 'total'> {
  switch (state) {
    case 'payment_pending':
      return { financialStatus: 'PENDING' };
    case 'authorized':
      return { financialStatus: 'AUTHORIZED' };
    case 'partially_paid':
      return { financialStatus: 'PARTIALLY_PAID' };
    case 'paid':
      return { financialStatus: 'PAID' };
    case 'partially_fulfilled':
      return { financialStatus: 'PAID', fulfillmentStatus: 'PARTIALLY_FULFILLED' };
    case 'fulfilled':
      return { financialStatus: 'PAID', fulfillmentStatus: 'FULFILLED' };
    case 'on_hold':
      return { financialStatus: 'AUTHORIZED', fulfillmentStatus: 'ON_HOLD' };
    case 'return_requested':
      return { financialStatus: 'PAID', fulfillmentStatus: 'FULFILLED', returnStatus: 'RETURN_REQUESTED' };
    case 'partially_refunded':
      return { financialStatus: 'PARTIALLY_REFUNDED' };
    case 'refunded':
      return { financialStatus: 'REFUNDED' };
    case 'expired':
      return { financialStatus: 'EXPIRED' };
    case 'cancelled':
      return { financialStatus: 'PENDING', cancelled: 'CUSTOMER' };
    case 'failed':
      throw new Error('A Shopify order cannot be in the canonical state failed: Shopify has no failed financial status (VOIDED is a cancelled order).');
    case 'cart':
    case 'checkout':
      throw new Error(`A Shopify order cannot be in the canonical state ${state}: carts and checkouts are not orders.`);
  }
}

/** Seeds an order in a canonical state, its payments on the gateway of `provider` when given, and answers its gid. */
export function seedCanonicalOrder(
  fake: ShopifyFake,
  input: { readonly total: Money; readonly canonicalState: OrderState; readonly customerId?: string | undefined; readonly provider?: string | undefined },
): string {
  return fake.addOrder({ total: input.total, customerId: input.customerId, gateway: input.provider, ...seedFor(input.canonicalState) });
}

/**
 * vitest's `test` with single contract cases opted out: each named case is registered as a
 * skipped test whose name carries the written reason (the contract's own opt-outs work per suite).
 */
export function withCaseOptOuts(test: TestAPI, optOuts: Readonly<Record<string, string>>): TestAPI {
  return new Proxy(test, {
    apply(target, thisArgument, argumentList: unknown[]) {
      const [name] = argumentList;
      const reason = typeof name === 'string' ? optOuts[name] : undefined;
      if (reason !== undefined) return target.skip(`${name}: opted out: ${reason}`, () => undefined);
      return Reflect.apply(target, thisArgument, argumentList) as unknown;
    },
  });
}

/** A clock whose `sleep` moves time at once and records every wait. */
export class RecordingClock implements ClockV1 {
  readonly specificationVersion = 'v1' as const;
  readonly sleeps: number[] = [];
  #now: number;

  constructor(startAt = Date.UTC(2026, 0, 1)) {
    this.#now = startAt;
  }

  now(): number {
    return this.#now;
  }

  async sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw signal.reason;
    this.sleeps.push(milliseconds);
    this.#now += Math.max(0, milliseconds);
  }

  /** Moves time without a sleep. */
  advance(milliseconds: number): void {
    this.#now += milliseconds;
  }
}

/** A fresh idempotency key. */
export function newKey(): string {
  return `test-${randomUUID()}`;
}

/** Euros in cents. */
export function euros(cents: number | bigint): Money {
  return Money.of(cents, 'EUR');
}

/** A payment update with a fresh key. */
export function paymentUpdate(orderId: string, kind: PlatformPaymentUpdate['kind'], amount: Money, overrides: Partial<PlatformPaymentUpdate> = {}): PlatformPaymentUpdate {
  return { idempotencyKey: newKey(), orderId, kind, amount, provider: 'stripe', providerReference: `pi_${randomUUID()}`, ...overrides };
}

/** What `action` rejected with; fails the test when it resolves (the testkit's `captureError`). */
export { captureError as thrownBy } from '@paymigrate/testkit';
