import { describe, expect, it } from 'vitest';
import type { PlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { JournalRecord, JournalV1 } from '../ports/journal/v1/journal.js';
import type { OrderStateSynchronizer } from './order-sync-types.js';
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

/** Runs `work` through the gate, one round of reads at a time; answers its result and the collections read in each round. */
async function inRounds<Value>(gated: ReturnType<typeof gatedReads>, work: () => Promise<Value>): Promise<{ readonly result: Value; readonly rounds: string[][] }> {
  const running = work();
  const rounds: string[][] = [];
  for (await settle(); gated.waiting.length > 0; await settle()) {
    rounds.push([...gated.waiting].sort());
    gated.release();
  }
  return { result: await running, rounds };
}

/** Registers order `orderId` with its payment `paymentId` (provider reference `providerReference`) through `orders`. */
async function registerThrough(gated: ReturnType<typeof gatedReads>, orders: OrderStateSynchronizer, orderId: string, paymentId: string, providerReference: string): Promise<void> {
  await inRounds(gated, () =>
    orders.registerOrder({ orderId, total: usd(10_000), state: 'authorized', payments: [{ paymentId, provider: 'stripe', providerReference, amount: usd(10_000) }] }),
  );
}

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

  it('take one round for a payment whose reference this synchronizer wrote (its order and payment are read with the reference)', async () => {
    const harness = await createOrderHarness();
    const gated = gatedReads(harness.journal);
    const orders = harness.create({ journal: gated.journal });
    harness.platform.addOrder({ orderId: 'order-1', total: usd(10_000) });
    const snapshot = await harness.old.authorize({ idempotencyKey: 'auth-1', merchantReference: 'order-1', amount: usd(10_000), paymentMethodToken: 'tok_visa' });
    await registerThrough(gated, orders, 'order-1', 'pay-1', snapshot.providerReference);
    const event = await harness.webhook(harness.old, { type: 'payment.captured', providerReference: snapshot.providerReference, eventId: 'evt_cap', amount: usd(10_000), operationReference: 'cap_1' });
    const { result, rounds } = await inRounds(gated, () => orders.handleProviderEvent(event));
    expect(result).toMatchObject({ status: 'applied', orderId: 'order-1', paymentId: 'pay-1', transitions: [{ from: 'authorized', to: 'paid' }] });
    expect(rounds).toStrictEqual([['order-payment-references', 'order-processed-events', 'orders', 'payments']]);
  });

  it('take a second round when the reference now names another order than the one this synchronizer wrote (the index decides)', async () => {
    const harness = await createOrderHarness();
    const gated = gatedReads(harness.journal);
    const orders = harness.create({ journal: gated.journal });
    harness.platform.addOrder({ orderId: 'order-1', total: usd(10_000) });
    harness.platform.addOrder({ orderId: 'order-2', total: usd(10_000) });
    const snapshot = await harness.old.authorize({ idempotencyKey: 'auth-1', merchantReference: 'order-1', amount: usd(10_000), paymentMethodToken: 'tok_visa' });
    await registerThrough(gated, orders, 'order-1', 'pay-1', snapshot.providerReference);
    // Another synchronizer (another process) indexed the same provider payment under order-2 since.
    await harness.orders.registerOrder({ orderId: 'order-2', total: usd(10_000), state: 'authorized', payments: [{ paymentId: 'pay-2', provider: 'stripe', providerReference: snapshot.providerReference, amount: usd(10_000) }] });
    const event = await harness.webhook(harness.old, { type: 'payment.captured', providerReference: snapshot.providerReference, eventId: 'evt_cap', amount: usd(10_000), operationReference: 'cap_1' });
    const { result, rounds } = await inRounds(gated, () => orders.handleProviderEvent(event));
    expect(result).toMatchObject({ status: 'applied', orderId: 'order-2', paymentId: 'pay-2', transitions: [{ from: 'authorized', to: 'paid' }] });
    expect(rounds).toStrictEqual([
      ['order-payment-references', 'order-processed-events', 'orders', 'payments'],
      ['orders', 'payments'],
    ]);
    expect((await harness.orders.order('order-1'))?.state).toBe('authorized');
    expect((await harness.orders.order('order-2'))?.state).toBe('paid');
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
