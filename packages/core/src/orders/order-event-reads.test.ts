import { describe, expect, it } from 'vitest';
import type { PlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { JournalRecord, JournalV1 } from '../ports/journal/v1/journal.js';
import { authorizedOrderWithCaptureWebhook, createOrderHarness, usd } from './__fixtures__/order-sync-harness.js';

/**
 * `journal` with its reads held until `release()`: each release lets one round of reads (every
 * read made meanwhile) through, so a test can count the rounds an event needs.
 */
function gatedReads(journal: JournalV1): { readonly journal: JournalV1; readonly waiting: string[]; release(): void } {
  let held: (() => void)[] = [];
  const waiting: string[] = [];
  const gate = <Value>(collection: string, read: () => Promise<Value>): Promise<Value> =>
    new Promise<void>((resolve) => {
      waiting.push(collection);
      held.push(resolve);
    }).then(read);
  const gated: JournalV1 = Object.create(journal) as JournalV1;
  Object.assign(gated, {
    get: (collection: string, key: string): Promise<JournalRecord | undefined> => gate(collection, () => journal.get(collection, key)),
    getMany: (collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> => gate(collection, () => journal.getMany(collection, keys)),
    write: journal.write.bind(journal),
  });
  return {
    journal: gated,
    waiting,
    release: () => {
      const releasing = held;
      held = [];
      waiting.length = 0;
      for (const resolve of releasing) resolve();
    },
  };
}

/** Lets every microtask and immediate run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the reads of an event', () => {
  it('take two rounds for a payment of the synchronizer’s own index (reference and event, then payment and order)', async () => {
    const harness = await createOrderHarness();
    const event = await authorizedOrderWithCaptureWebhook(harness);
    const gated = gatedReads(harness.journal);
    const orders = harness.create({ journal: gated.journal });
    const handling = orders.handleProviderEvent(event);
    const rounds: string[][] = [];
    for (await settle(); gated.waiting.length > 0; await settle()) {
      rounds.push([...gated.waiting].sort());
      gated.release();
    }
    expect(await handling).toMatchObject({ status: 'applied', transitions: [{ from: 'authorized', to: 'paid' }] });
    expect(rounds).toStrictEqual([
      ['order-payment-references', 'order-processed-events'],
      ['orders', 'payments'],
    ]);
  });

  it('take one round for a payment outcome of the state manager (payment, event and order together)', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(10_000) });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(10_000) });
    const gated = gatedReads(harness.journal);
    const orders = harness.create({ journal: gated.journal });
    const outcome: PlatformPaymentMessage = {
      type: 'payment.authorized',
      intentId: 'intent-1',
      paymentId: 'pay-1',
      orderId: 'order-1',
      merchantReference: 'order-1',
      provider: 'stripe',
      providerReference: 'pi_1',
      amount: usd(10_000),
      occurredAt: 1,
    };
    const handling = orders.handlePaymentOutcome(outcome);
    const rounds: string[][] = [];
    for (await settle(); gated.waiting.length > 0; await settle()) {
      rounds.push([...gated.waiting].sort());
      gated.release();
    }
    expect(await handling).toMatchObject({ status: 'applied', transitions: [{ from: 'payment_pending', to: 'authorized' }] });
    expect(rounds[0]).toStrictEqual(['order-processed-events', 'orders', 'payments']);
    expect(rounds).toHaveLength(1);
  });
});
