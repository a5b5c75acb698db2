import { InvalidRequestError, RateLimitedError } from '@paymigrate/core';
import { shopifyFakeRoutes, shopifyFaultBodies } from '@paymigrate/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { euros, paymentUpdate, RecordingClock, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';

// The fake's cost bucket and the adapter's waits run on one clock, so a wait refills the bucket.
const clock = new RecordingClock();
const { fake, platform } = useShopifyFake({ clock, shopDomain: 'paymigrate-throttle.myshopify.com', maximumAvailable: 1000, restoreRate: 50 });

interface CostExtension {
  readonly requestedQueryCost: number;
  readonly actualQueryCost: number | null;
  readonly throttleStatus: { readonly currentlyAvailable: number; readonly restoreRate: number; readonly maximumAvailable: number };
}

/** The `extensions.cost` of every answer since `since`. */
function costsSince(since: number): CostExtension[] {
  return fake.api.calls.slice(since).map((call) => (JSON.parse(call.responseBody ?? '{}') as { extensions: { cost: CostExtension } }).extensions.cost);
}

beforeEach(() => {
  clock.sleeps.length = 0;
  fake.setAvailablePoints(1000);
});

describe('GraphQL cost throttling', () => {
  it('waits for the restore time Shopify reports after THROTTLED, then the query passes', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    fake.setAvailablePoints(3);
    const since = fake.api.calls.length;
    const order = await platform({ clock }).getOrder({ orderId });
    expect(order?.canonicalState).toBe('authorized');
    const [throttled, passed] = costsSince(since);
    expect(throttled?.actualQueryCost).toBeNull();
    expect(throttled?.throttleStatus.currentlyAvailable).toBe(3);
    const expectedWait = Math.ceil(((throttled?.requestedQueryCost ?? 0) - 3) / 50 * 1000);
    expect(clock.sleeps).toEqual([expectedWait]);
    expect(passed?.actualQueryCost).toEqual(expect.any(Number));
    expect(JSON.parse(fake.api.calls[since]?.responseBody ?? '{}')).toMatchObject({ errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }] });
  });

  it('retries a throttled mutation (Shopify did not run it) and applies it once', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const adapter = platform({ clock });
    await adapter.getOrder({ orderId });
    fake.setAvailablePoints(5);
    const order = await adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(5000)));
    expect(order.canonicalState).toBe('paid');
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(fake.order(orderId)?.transactions.filter((transaction) => transaction.kind === 'CAPTURE')).toHaveLength(1);
  });

  it('gives up with a RateLimitedError carrying the wait when the retries are used up', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    fake.setAvailablePoints(0);
    const error = await thrownBy(() => platform({ clock, throttle: { maxRetries: 0 } }).getOrder({ orderId }));
    expect(RateLimitedError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'shopify', providerCode: 'THROTTLED', httpStatus: 200, isRetryable: true });
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('does not wait longer than maxWaitMilliseconds: the caller gets the wait instead', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    fake.setAvailablePoints(0);
    const error = await thrownBy(() => platform({ clock, throttle: { maxWaitMilliseconds: 50 } }).getOrder({ orderId }));
    expect(RateLimitedError.isInstance(error)).toBe(true);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(50);
    expect(clock.sleeps).toEqual([]);
  });

  it('an abort while waiting out a throttle is an unknown outcome for a write', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const since = fake.api.calls.length;
    await platform({ clock }).getOrder({ orderId });
    const readCost = costsSince(since)[0]?.requestedQueryCost ?? 0;
    const controller = new AbortController();
    const abortingClock = new RecordingClock(clock.now());
    abortingClock.sleep = async (_milliseconds, signal) => {
      controller.abort(new Error('shutting down'));
      throw signal?.reason;
    };
    // Enough for the read, not for the mutation after it.
    fake.setAvailablePoints(readCost);
    const error = await thrownBy(() => platform({ clock: abortingClock }).recordPayment(paymentUpdate(orderId, 'capture', euros(5000)), { signal: controller.signal }));
    expect(error).toMatchObject({ code: 'PROVIDER_UNKNOWN_OUTCOME' });
  });

  it('waits out an HTTP 429 for its Retry-After', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'rate-limit', retryAfterSeconds: 2, body: shopifyFaultBodies.tooManyRequests, times: 1 });
    expect((await platform({ clock }).getOrder({ orderId }))?.orderId).toBe(orderId);
    expect(clock.sleeps).toEqual([2000]);
  });

  it('keeps the last throttle status Shopify reported', async () => {
    const adapter = platform({ clock });
    expect(adapter.throttleStatus()).toBeUndefined();
    const orderId = fake.addOrder({ total: euros(5000) });
    fake.setAvailablePoints(400);
    await adapter.getOrder({ orderId });
    expect(adapter.throttleStatus()).toMatchObject({ maximumAvailable: 1000, restoreRate: 50, observedAt: clock.now() });
    expect(adapter.throttleStatus()?.currentlyAvailable).toBeLessThan(400);
  });

  it('a page that costs more than the bucket holds is an InvalidRequestError (MAX_COST_EXCEEDED), not a throttle', async () => {
    const error = await thrownBy(() => platform({ clock, maximumPageSize: 250 }).listOpenOrders({ limit: 250 }));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as InvalidRequestError).providerCode).toBe('MAX_COST_EXCEEDED');
    expect(clock.sleeps).toEqual([]);
  });

  it('the default page size stays well inside the bucket', async () => {
    const since = fake.api.calls.length;
    await platform({ clock }).listOpenOrders({ limit: 250 });
    expect(costsSince(since)[0]?.requestedQueryCost).toBeLessThanOrEqual(1000);
  });
});
