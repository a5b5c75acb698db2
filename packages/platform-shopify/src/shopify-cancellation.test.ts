import { UnknownOutcomeError } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { euros, newKey, RecordingClock, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';

// Shopify cancels through a job: this fake's job runs 1.2 s (of the shared clock) after orderCancel.
const clock = new RecordingClock();
const { fake, platform } = useShopifyFake({ clock, cancelJobDelayMilliseconds: 1200, shopDomain: 'paymigrate-cancel.myshopify.com' });

describe('cancelOrder with Shopify\'s asynchronous job', () => {
  it('maps the reason, keeps the staff note with the key, and reads the order until the job has run', async () => {
    clock.sleeps.length = 0;
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const key = newKey();
    const order = await platform({ clock, cancellation: { pollIntervalMilliseconds: 500, maxPolls: 5 } }).cancelOrder({ idempotencyKey: key, orderId, reason: 'fraud', staffNote: 'chargeback risk' });
    expect(order).toMatchObject({ canonicalState: 'cancelled', platformFinancialStatus: 'VOIDED' });
    expect(clock.sleeps).toEqual([500, 500, 500]);
    expect(fake.order(orderId)).toMatchObject({ cancelReason: 'FRAUD', cancelStaffNote: `chargeback risk (paymigrate idempotency key ${key})` });
  });

  it('reports an unknown outcome when the job has not run within the reads, and the replay confirms it later', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    const adapter = platform({ clock, cancellation: { pollIntervalMilliseconds: 100, maxPolls: 2 } });
    const input = { idempotencyKey: newKey(), orderId, reason: 'customer' } as const;
    const cancellations = () => fake.api.calls.filter((call) => (call.requestBody ?? '').includes('PaymigrateCancel')).length;
    const before = cancellations();
    const error = await thrownBy(() => adapter.cancelOrder(input));
    expect(UnknownOutcomeError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('gid://shopify/Job/');
    // Replayed while Shopify's job is still queued: the adapter waits for that job, it does not cancel again.
    expect(UnknownOutcomeError.isInstance(await thrownBy(() => adapter.cancelOrder(input)))).toBe(true);
    clock.advance(2000);
    const order = await adapter.cancelOrder(input);
    expect(order.canonicalState).toBe('cancelled');
    expect(fake.order(orderId)?.cancelReason).toBe('CUSTOMER');
    expect(cancellations() - before).toBe(1);
  });

  it('an abort while waiting for the job is an unknown outcome', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    const controller = new AbortController();
    const abortingClock = new RecordingClock(clock.now());
    const sleep = abortingClock.sleep.bind(abortingClock);
    abortingClock.sleep = async (milliseconds, signal) => {
      controller.abort(new Error('shutting down'));
      return sleep(milliseconds, signal);
    };
    const error = await thrownBy(() => platform({ clock: abortingClock }).cancelOrder({ idempotencyKey: newKey(), orderId, reason: 'other' }, { signal: controller.signal }));
    expect(UnknownOutcomeError.isInstance(error)).toBe(true);
  });
});
