import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { InvalidRequestError, ProviderUnavailableError } from '../errors/provider-errors.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { OutboxPayloadInvalidError } from '../outbox/outbox-errors.js';
import { encodePlatformPaymentMessage, type PlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { OutboxMessage } from '../ports/journal/v1/journal.js';
import { createOrderHarness, rejectionOf, usd } from './__fixtures__/order-sync-harness.js';
import { decodePlatformOrderMessage } from './order-platform-message.js';
import { escalatedOrderIndex, OrderRepository } from './order-records.js';
import { createOrderStateSynchronizer } from './order-state-synchronizer.js';
import { OrderNotFoundError } from './order-sync-errors.js';
import { defaultOrderStateDeadlines, type PaymentOperations } from './order-sync-options.js';

/** Every outbox message still pending, of some topics. */
async function pending(harness: Awaited<ReturnType<typeof createOrderHarness>>, topics: readonly string[]): Promise<OutboxMessage[]> {
  const messages = await harness.memory.claimOutbox({ owner: 'peek', leaseMs: 1, limit: 1_000, topics });
  await harness.clock.advance(1);
  return [...messages];
}

/** An authorized payment at the old provider, attached to a registered order. */
async function authorizedOrder(harness: Awaited<ReturnType<typeof createOrderHarness>>, orderId = 'order-1', cents = 10_000): Promise<string> {
  harness.platform.addOrder({ orderId, total: usd(cents) });
  const snapshot = await harness.old.authorize({ idempotencyKey: `auth-${orderId}`, merchantReference: orderId, amount: usd(cents), paymentMethodToken: 'tok_visa' });
  await harness.orders.registerOrder({ orderId, total: usd(cents), payments: [{ paymentId: `pay-${orderId}`, provider: 'stripe', providerReference: snapshot.providerReference, amount: usd(cents) }] });
  return snapshot.providerReference;
}

describe('options', () => {
  it('are validated once, naming the option and the fix', async () => {
    const harness = await createOrderHarness();
    const base = { journal: harness.journal, platform: harness.platform, operations: harness.transactions };
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{ ...base, journal: undefined }, 'orderStateSynchronizer.journal'],
      [{ ...base, platform: {} }, 'orderStateSynchronizer.platform'],
      [{ ...base, operations: { refund: () => undefined } }, 'orderStateSynchronizer.operations'],
      [{ ...base, gateways: [harness.old, harness.old] }, 'orderStateSynchronizer.gateways'],
      [{ ...base, deadlines: { refunded: 1_000 } }, 'orderStateSynchronizer.deadlines'],
      [{ ...base, deadlines: { authorized: -1 } }, 'orderStateSynchronizer.deadlines.authorized'],
      [{ ...base, concurrency: 0 }, 'orderStateSynchronizer.concurrency'],
    ];
    for (const [options, option] of cases) {
      const error = (() => {
        try {
          createOrderStateSynchronizer(options as never);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(ConfigurationError.isInstance(error), option).toBe(true);
      expect((error as ConfigurationError).option).toBe(option);
    }
  });

  it('defaults deadlines only for the states where money waits', () => {
    expect(Object.keys(defaultOrderStateDeadlines)).toEqual(['checkout', 'payment_pending', 'authorized', 'partially_paid', 'on_hold', 'expired', 'failed']);
  });

  it('works with the default clock, logger and meter', async () => {
    const harness = await createOrderHarness();
    const orders = createOrderStateSynchronizer({ journal: harness.journal, platform: harness.platform, operations: harness.transactions });
    expect((await orders.registerOrder({ orderId: 'order-default', total: usd(100) })).state).toBe('payment_pending');
  });

  it('the Transaction State Manager is a PaymentOperations as it is', async () => {
    const harness = await createOrderHarness();
    const operations: PaymentOperations = harness.transactions;
    expect(typeof operations.payment).toBe('function');
  });
});

describe('registerOrder, attachPayment, order', () => {
  it('registers once (version 1) and answers the same order when asked again', async () => {
    const { orders } = await createOrderHarness();
    const order = await orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'checkout' });
    expect(order).toMatchObject({ orderId: 'order-1', platform: 'memory', state: 'checkout', version: 1, paymentIds: [], history: [], flags: [] });
    expect(await orders.registerOrder({ orderId: 'order-1', total: usd(9_999) })).toEqual(order);
    expect(await orders.order('order-1')).toEqual(order);
    expect(await orders.order('order-2')).toBeUndefined();
  });

  it('of two concurrent registrations, both answer the one that was written', async () => {
    const harness = await createOrderHarness();
    let first = true;
    harness.journal.beforeWrite = async () => {
      if (!first) return;
      first = false;
      await harness.create().registerOrder({ orderId: 'order-1', total: usd(100), state: 'authorized' });
    };
    const order = await harness.orders.registerOrder({ orderId: 'order-1', total: usd(100) });
    expect(order.state).toBe('authorized');
  });

  it('attaches payments, fills in a reference learned later, and refuses orders it does not track', async () => {
    const { orders } = await createOrderHarness();
    await orders.registerOrder({ orderId: 'order-1', total: usd(5_000) });
    await orders.attachPayment({ orderId: 'order-1', paymentId: 'pay-1', provider: 'stripe' });
    const order = await orders.attachPayment({ orderId: 'order-1', paymentId: 'pay-1', provider: 'stripe', providerReference: 'pi_1', amount: usd(5_000) });
    expect(order.paymentIds).toEqual(['pay-1']);
    expect(order.payments[0]).toMatchObject({ providerReference: 'pi_1', provider: 'stripe' });
    const kept = await orders.attachPayment({ orderId: 'order-1', paymentId: 'pay-1', provider: 'stripe', providerReference: 'pi_other' });
    expect(kept.payments[0]?.providerReference).toBe('pi_1');
    const error = await rejectionOf(() => orders.attachPayment({ orderId: 'order-9', paymentId: 'pay-9', provider: 'stripe' }));
    expect(OrderNotFoundError.isInstance(error)).toBe(true);
  });
});

describe('applyTransition', () => {
  it('moves one version along the machine, with its platform update in the same batch', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'paid' });
    const batches: number[] = [];
    harness.journal.afterWrite = (batch) => {
      batches.push((batch.outbox ?? []).length);
    };
    const result = await harness.orders.applyTransition('order-1', 'partially_fulfilled', { kind: 'platform', id: 'shop:fulfillment-1', detail: 'first parcel' });
    expect(result).toMatchObject({ status: 'applied', from: 'paid', to: 'partially_fulfilled', order: { version: 2, state: 'partially_fulfilled' } });
    expect(result.order.history).toEqual([
      { version: 2, from: 'paid', to: 'partially_fulfilled', cause: { kind: 'platform', id: 'shop:fulfillment-1', detail: 'first parcel' }, at: harness.clock.now() },
    ]);
    expect(batches).toEqual([1]);
    const [message] = await pending(harness, ['platform.order']);
    expect(message).toMatchObject({ topic: 'platform.order', orderingKey: 'order-1', deduplicationId: 'shop:fulfillment-1' });
    expect(decodePlatformOrderMessage(message as OutboxMessage)).toMatchObject({ version: 2, state: 'partially_fulfilled', transitions: [{ from: 'paid', to: 'partially_fulfilled', version: 2 }], actions: [] });
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.orders.transitions', value: 1, attributes: { from: 'paid', to: 'partially_fulfilled', cause: 'platform' } });
  });

  it('refuses what the machine does not allow, and writes nothing', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'fulfilled' });
    const error = await rejectionOf(() => harness.orders.applyTransition('order-1', 'authorized', { kind: 'operator', id: 'op-1' }));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ machine: 'order', entityId: 'order-1', from: 'fulfilled', to: 'authorized' });
    expect((await harness.orders.order('order-1'))?.version).toBe(1);
    expect(await harness.memory.pendingOutboxCount()).toBe(0);
  });

  it('is idempotent by cause id, and refuses a cause reused for another target', async () => {
    const { orders } = await createOrderHarness();
    await orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'paid' });
    await orders.applyTransition('order-1', 'fulfilled', { kind: 'platform', id: 'ship-1' });
    const again = await orders.applyTransition('order-1', 'fulfilled', { kind: 'platform', id: 'ship-1' });
    expect(again).toMatchObject({ status: 'duplicate', from: 'paid', to: 'fulfilled', order: { version: 2 } });
    const error = await rejectionOf(() => orders.applyTransition('order-1', 'return_requested', { kind: 'platform', id: 'ship-1' }));
    expect(error).toMatchObject({ code: 'ORDER_CAUSE_REUSED' });
  });

  it('refuses a bad cause, an unknown state, an untracked order and a stale expected version', async () => {
    const { orders } = await createOrderHarness();
    await orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'paid' });
    expect(await rejectionOf(() => orders.applyTransition('order-1', 'fulfilled', { kind: 'operator', id: '' }))).toMatchObject({ code: 'ORDER_CAUSE_INVALID' });
    expect(await rejectionOf(() => orders.applyTransition('order-1', 'shipped' as never, { kind: 'operator', id: 'x' }))).toMatchObject({ code: 'STATE_UNKNOWN' });
    expect(OrderNotFoundError.isInstance(await rejectionOf(() => orders.applyTransition('order-2', 'paid', { kind: 'operator', id: 'x' })))).toBe(true);
    const stale = await rejectionOf(() => orders.applyTransition('order-1', 'fulfilled', { kind: 'operator', id: 'x' }, { expectedVersion: 7 }));
    expect(VersionConflictError.isInstance(stale)).toBe(true);
    expect(stale).toMatchObject({ expectedVersion: 7, actualVersion: 1 });
    expect(await orders.applyTransition('order-1', 'fulfilled', { kind: 'operator', id: 'x' }, { expectedVersion: 1 })).toMatchObject({ status: 'applied' });
  });

  it('of two concurrent transitions one wins; the loser re-reads and is checked again from the new state', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'paid' });
    const competitor = harness.create();
    let raced = false;
    harness.journal.beforeWrite = async (batch) => {
      if (raced || !(batch.puts ?? []).some((put) => put.collection === 'orders')) return;
      raced = true;
      // The competitor reads the same version and writes first.
      await competitor.applyTransition('order-1', 'partially_fulfilled', { kind: 'platform', id: 'ship-partial' });
    };
    const result = await harness.orders.applyTransition('order-1', 'fulfilled', { kind: 'platform', id: 'ship-all' });
    expect(result).toMatchObject({ status: 'applied', from: 'partially_fulfilled', to: 'fulfilled', order: { version: 3 } });
    expect(result.order.history.map((entry) => `${entry.version}:${entry.from}->${entry.to}`)).toEqual(['2:paid->partially_fulfilled', '3:partially_fulfilled->fulfilled']);
  });

  it('a loser whose transition is no longer legal gets IllegalTransitionError', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'paid' });
    let raced = false;
    harness.journal.beforeWrite = async (batch) => {
      if (raced || !(batch.puts ?? []).some((put) => put.collection === 'orders')) return;
      raced = true;
      await harness.create().applyTransition('order-1', 'refunded', { kind: 'operator', id: 'refund-all' });
    };
    const error = await rejectionOf(() => harness.orders.applyTransition('order-1', 'partially_fulfilled', { kind: 'platform', id: 'ship-1' }));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ from: 'refunded', to: 'partially_fulfilled' });
  });

  it('gives up after too many conflicts', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'paid' });
    harness.journal.beforeWrite = (batch) => {
      const put = (batch.puts ?? [])[0];
      throw new VersionConflictError({ collection: put?.collection ?? '', key: put?.key ?? '', expectedVersion: 1, actualVersion: 2 });
    };
    expect(VersionConflictError.isInstance(await rejectionOf(() => harness.orders.applyTransition('order-1', 'fulfilled', { kind: 'platform', id: 'x' })))).toBe(true);
    harness.journal.beforeWrite = () => {
      throw new Error('disk full');
    };
    expect(await rejectionOf(() => harness.orders.applyTransition('order-1', 'fulfilled', { kind: 'platform', id: 'x' }))).toMatchObject({ message: 'disk full' });
  });

  it('a cancellation of an order that holds money voids it on the pinned provider', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(2_000) });
    harness.selector.provider = 'adyen';
    const result = await harness.orders.applyTransition('order-1', 'cancelled', { kind: 'operator', id: 'op-cancel-1' });
    expect(result.compensation).toMatchObject({ status: 'completed', steps: [{ action: 'void', paymentId, provider: 'stripe', status: 'succeeded' }] });
    expect(harness.old.payments()[0]?.state).toBe('voided');
    await harness.drain();
    expect(harness.platform.orders()[0]?.canonicalState).toBe('cancelled');
  });

  it('an operator cancellation cancels on the platform; a platform one does not call it back', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(5_000) });
    harness.platform.addOrder({ orderId: 'order-2', total: usd(5_000) });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000) });
    await harness.orders.registerOrder({ orderId: 'order-2', total: usd(5_000) });
    const operator = await harness.orders.applyTransition('order-1', 'cancelled', { kind: 'operator', id: 'op-cancel-1', detail: 'customer called' });
    expect(operator.compensation).toBeUndefined();
    await harness.orders.applyTransition('order-2', 'cancelled', { kind: 'platform', id: 'shop-cancel-2' });
    await harness.drain();
    const [one, two] = harness.platform.orders();
    expect(one?.canonicalState).toBe('cancelled');
    expect(two?.canonicalState).toBe('payment_pending');
  });
});

describe('provider events', () => {
  it('follow the money to the platform, once per event, through the outbox', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    await harness.old.capture({ idempotencyKey: 'cap-1', providerReference: reference, amount: usd(6_000), finalCapture: false });
    const events = [
      await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_auth', amount: usd(10_000) }),
      await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'evt_cap1', amount: usd(6_000), operationReference: 'cap_memory_000001' }),
    ];
    expect(await harness.orders.handleProviderEvent(events[0]!)).toMatchObject({ status: 'applied', orderId: 'order-1', paymentId: 'pay-order-1', transitions: [{ from: 'payment_pending', to: 'authorized' }] });
    expect(await harness.orders.handleProviderEvent(events[0]!)).toMatchObject({ status: 'duplicate' });
    expect(await harness.orders.handleProviderEvent(events[1]!)).toMatchObject({ transitions: [{ from: 'authorized', to: 'partially_paid' }] });
    await harness.old.capture({ idempotencyKey: 'cap-2', providerReference: reference, amount: usd(4_000) });
    const second = await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'evt_cap2', amount: usd(4_000), operationReference: 'cap_memory_000002' });
    expect(await harness.orders.handleProviderEvent(second)).toMatchObject({ transitions: [{ from: 'partially_paid', to: 'paid' }] });
    await harness.drain();
    const order = await harness.orders.order('order-1');
    expect(order).toMatchObject({ state: 'paid', version: 4 });
    expect(order?.amounts.captured.equals(usd(10_000))).toBe(true);
    const [platformOrder] = harness.platform.orders();
    expect(platformOrder?.canonicalState).toBe('paid');
    expect(platformOrder?.transactions.map((transaction) => `${transaction.kind}:${transaction.amount.toString()}`)).toEqual(['authorization:100.00 USD', 'capture:60.00 USD', 'capture:40.00 USD']);
    expect(harness.metrics.filter((metric) => metric.name === 'paymigrate.orders.sync.duration')).toHaveLength(3);
  });

  it('a second partial capture is a repeated step (partially_paid -> partially_paid)', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    for (const [eventId, cents] of [['evt_a', 10_000], ['evt_c1', 2_000], ['evt_c2', 3_000]] as const) {
      const type = eventId === 'evt_a' ? 'payment.authorized' : 'payment.captured';
      await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type, providerReference: reference, eventId, amount: usd(cents), operationReference: `op_${eventId}` }));
    }
    const order = await harness.orders.order('order-1');
    expect(order?.history.map((entry) => `${entry.from}->${entry.to}`)).toEqual(['payment_pending->authorized', 'authorized->partially_paid', 'partially_paid->partially_paid']);
  });

  it('never moves backwards: a late authorization after the capture changes nothing', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    const capture = await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'evt_cap', amount: usd(10_000), operationReference: 'cap_1' });
    const late = await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_auth', amount: usd(10_000) });
    expect(await harness.orders.handleProviderEvent(capture)).toMatchObject({ transitions: [{ from: 'payment_pending', to: 'paid' }] });
    expect(await harness.orders.handleProviderEvent(late)).toMatchObject({ status: 'ignored', reason: expect.stringContaining('already known') });
    expect(await harness.orders.handleProviderEvent(late)).toMatchObject({ status: 'duplicate' });
    await harness.drain();
    expect(harness.platform.orders()[0]?.transactions.map((transaction) => transaction.kind)).toEqual(['capture']);
  });

  it('defers a refund that arrives before its capture, and applies it when redelivered after', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    const refund = await harness.webhook(harness.old, { type: 'payment.refunded', providerReference: reference, eventId: 'evt_ref', amount: usd(2_500), operationReference: 'ref_1' });
    expect(await harness.orders.handleProviderEvent(refund)).toMatchObject({ status: 'deferred' });
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'evt_cap', amount: usd(10_000), operationReference: 'cap_1' }));
    expect(await harness.orders.handleProviderEvent(refund)).toMatchObject({ status: 'applied', transitions: [{ from: 'paid', to: 'partially_refunded' }] });
    await harness.drain();
    expect(harness.platform.orders()[0]?.canonicalState).toBe('partially_refunded');
  });

  it('a void of the authorization cancels the order on the platform with a void', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_a', amount: usd(10_000) }));
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.voided', providerReference: reference, eventId: 'evt_v' }))).toMatchObject({
      transitions: [{ from: 'authorized', to: 'cancelled' }],
    });
    await harness.drain();
    expect(harness.platform.orders()[0]).toMatchObject({ canonicalState: 'cancelled' });
    expect(harness.platform.orders()[0]?.transactions.map((transaction) => transaction.kind)).toEqual(['authorization', 'void']);
  });

  it('a void while on hold cancels the order; an expiry moves it to expired without a platform call', async () => {
    const harness = await createOrderHarness();
    const held = await authorizedOrder(harness, 'order-held');
    const lapsing = await authorizedOrder(harness, 'order-lapsing');
    await harness.orders.applyTransition('order-held', 'on_hold', { kind: 'platform', id: 'hold-1' });
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: held, eventId: 'evt_h_a', amount: usd(10_000) }));
    expect((await harness.orders.order('order-held'))?.state).toBe('on_hold');
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.voided', providerReference: held, eventId: 'evt_h_v', amount: usd(10_000) }))).toMatchObject({
      transitions: [{ from: 'on_hold', to: 'cancelled' }],
    });
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: lapsing, eventId: 'evt_l_a', amount: usd(10_000) }));
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.expired', providerReference: lapsing, eventId: 'evt_l_x' }))).toMatchObject({
      transitions: [{ from: 'authorized', to: 'expired' }],
    });
    await harness.drain();
    const [heldOrder, lapsingOrder] = harness.platform.orders();
    expect(heldOrder?.canonicalState).toBe('cancelled');
    expect(lapsingOrder?.canonicalState).toBe('authorized');
  });

  it('a failed authorization fails the order; events about nothing known are reported, not recorded', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_f', success: false }))).toMatchObject({
      transitions: [{ from: 'payment_pending', to: 'failed' }],
    });
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.dispute_opened', providerReference: reference, eventId: 'evt_d' }))).toMatchObject({ status: 'ignored' });
    const withoutReference = { ...(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'evt_x' })), providerReference: undefined };
    expect(await harness.orders.handleProviderEvent(withoutReference)).toMatchObject({ status: 'ignored' });
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: 'pay_unknown', eventId: 'evt_u' }))).toMatchObject({
      status: 'unknown_payment',
    });
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.voided', providerReference: reference, eventId: 'evt_vf', success: false }))).toMatchObject({ status: 'ignored' });
  });

  it("leaves the state manager's payments to its outcomes: one source of money per payment", async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-7', total: usd(2_000) });
    const result = await harness.transactions.authorize({ paymentId: 'pay_7', merchantReference: 'order-7-1', orderId: 'order-7', amount: usd(2_000), paymentMethodToken: 'tok_visa' });
    const reference = result.payment.providerReference as string;
    const event = await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_7', amount: usd(2_000) });
    expect(await harness.orders.handleProviderEvent(event)).toMatchObject({ status: 'ignored', orderId: 'order-7', paymentId: 'pay_7', reason: expect.stringContaining('Transaction State Manager') });
    // Also once the order knows the payment (its own index points at it).
    await harness.drain();
    expect((await harness.orders.order('order-7'))?.state).toBe('authorized');
    expect(await harness.orders.handleProviderEvent({ ...event, eventId: 'evt_7b' })).toMatchObject({ status: 'ignored', paymentId: 'pay_7' });
    // A payment without an order.
    await harness.transactions.authorize({ paymentId: 'pay_9', merchantReference: 'loose-9', amount: usd(2_000), paymentMethodToken: 'tok_visa' });
    const loose = (await harness.transactions.payment('pay_9'))?.providerReference as string;
    expect(await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: loose, eventId: 'evt_9', amount: usd(2_000) }))).toMatchObject({
      status: 'unknown_payment',
    });
  });

  it('of two concurrent deliveries of one event, one applies and the other is a duplicate', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    const event = await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_twice', amount: usd(10_000) });
    let racing = event;
    let raced = false;
    harness.journal.beforeWrite = async (batch) => {
      if (raced || !(batch.puts ?? []).some((put) => put.collection === 'order-processed-events')) return;
      raced = true;
      await harness.create().handleProviderEvent(racing);
    };
    expect(await harness.orders.handleProviderEvent(event)).toMatchObject({ status: 'duplicate' });
    expect((await harness.orders.order('order-1'))?.version).toBe(2);
    // An ignored event racing with itself too.
    racing = { ...event, eventId: 'evt_late' };
    raced = false;
    expect(await harness.orders.handleProviderEvent(racing)).toMatchObject({ status: 'duplicate' });
  });
});

describe('provider events: failures and releases', () => {
  it('a failed refund after it was counted flags the order; failures of unknown operations are remembered', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    const deliver = async (event: Parameters<typeof harness.webhook>[1]) => harness.orders.handleProviderEvent(await harness.webhook(harness.old, event));
    await deliver({ type: 'payment.captured', providerReference: reference, eventId: 'e1', amount: usd(10_000), operationReference: 'cap_1' });
    await deliver({ type: 'payment.refunded', providerReference: reference, eventId: 'e2', amount: usd(1_000), operationReference: 'ref_1' });
    expect(await deliver({ type: 'payment.refunded', providerReference: reference, eventId: 'e3', operationReference: 'ref_1', success: false })).toMatchObject({ status: 'applied', transitions: [] });
    expect(await deliver({ type: 'payment.refund_failed', providerReference: reference, eventId: 'e4', operationReference: 'ref_2' })).toMatchObject({ status: 'applied', transitions: [] });
    expect(await deliver({ type: 'payment.refunded', providerReference: reference, eventId: 'e5', amount: usd(1_000), operationReference: 'ref_2' })).toMatchObject({ status: 'ignored' });
    expect((await harness.orders.order('order-1'))?.flags.map((flag) => flag.code)).toEqual(['refund_failed_after_refunded']);
    const other = await authorizedOrder(harness, 'order-2');
    expect(
      await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorization_failed', providerReference: other, eventId: 'e6', success: false })),
    ).toMatchObject({ transitions: [{ from: 'payment_pending', to: 'failed' }] });
  });

  it('a capture that fails on a partially paid order reverts it too', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    const deliver = async (event: Parameters<typeof harness.webhook>[1]) => harness.orders.handleProviderEvent(await harness.webhook(harness.old, event));
    await deliver({ type: 'payment.authorized', providerReference: reference, eventId: 'e1', amount: usd(10_000) });
    await deliver({ type: 'payment.captured', providerReference: reference, eventId: 'e2', amount: usd(4_000), operationReference: 'cap_1' });
    expect((await deliver({ type: 'payment.capture_failed', providerReference: reference, eventId: 'e3', operationReference: 'cap_1' })).transitions).toEqual([
      { from: 'partially_paid', to: 'on_hold' },
      { from: 'on_hold', to: 'authorized' },
    ]);
  });

  it('a release after a partial refund changes no state and calls nothing on the platform', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    const deliver = async (event: Parameters<typeof harness.webhook>[1]) => harness.orders.handleProviderEvent(await harness.webhook(harness.old, event));
    await deliver({ type: 'payment.authorized', providerReference: reference, eventId: 'e1', amount: usd(10_000) });
    await deliver({ type: 'payment.captured', providerReference: reference, eventId: 'e2', amount: usd(6_000), operationReference: 'cap_1' });
    await deliver({ type: 'payment.refunded', providerReference: reference, eventId: 'e3', amount: usd(1_000), operationReference: 'ref_1' });
    await harness.drain();
    expect(await deliver({ type: 'payment.voided', providerReference: reference, eventId: 'e4', amount: usd(4_000) })).toMatchObject({ status: 'applied', transitions: [] });
    expect(await harness.memory.pendingOutboxCount({ topics: ['platform.order'] })).toBe(0);
  });

  it('a payment whose provider reference is unknown moves the order but calls nothing on the platform', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(500) });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(500), payments: [{ paymentId: 'pay-1', provider: 'stripe' }] });
    const outcome: PlatformPaymentMessage = {
      type: 'payment.authorized',
      paymentId: 'pay-1',
      orderId: 'order-1',
      merchantReference: 'order-1-1',
      provider: 'stripe',
      amount: usd(500),
      intentId: 'pay-1.authorize.1',
      occurredAt: harness.clock.now(),
    };
    expect(await harness.orders.handlePaymentOutcome(outcome)).toMatchObject({ transitions: [{ from: 'payment_pending', to: 'authorized' }] });
    const [message] = await pending(harness, ['platform.order']);
    expect(decodePlatformOrderMessage(message as OutboxMessage).actions).toEqual([]);
  });

  it('an outcome without a provider reference takes it from the state manager', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(500) });
    const result = await harness.transactions.authorize({ paymentId: 'pay_1', merchantReference: 'order-1-1', orderId: 'order-1', amount: usd(500), paymentMethodToken: 'tok_visa' });
    const outcome: PlatformPaymentMessage = {
      type: 'payment.authorized',
      paymentId: 'pay_1',
      orderId: 'order-1',
      merchantReference: 'order-1-1',
      provider: 'stripe',
      amount: usd(500),
      intentId: 'pay_1.authorize.1',
      occurredAt: harness.clock.now(),
    };
    await harness.orders.handlePaymentOutcome(outcome);
    expect((await harness.orders.order('order-1'))?.payments[0]?.providerReference).toBe(result.payment.providerReference);
  });
});

describe('payment outcomes of the Transaction State Manager', () => {
  it('record the authorization and the capture on the platform exactly once', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(7_500), capture: true });
    const order = await harness.orders.order('order-1');
    expect(order).toMatchObject({ state: 'paid', paymentIds: ['pay_order-1_1'], history: [{ to: 'authorized' }, { to: 'paid' }] });
    expect(order?.history.map((entry) => entry.cause.kind)).toEqual(['payment_outcome', 'payment_outcome']);
    const [platformOrder] = harness.platform.orders();
    expect(platformOrder?.canonicalState).toBe('paid');
    expect(platformOrder?.transactions.map((transaction) => transaction.kind)).toEqual(['authorization', 'capture']);
    // Redelivery of the same outcome (at-least-once relay) changes nothing.
    const outcome: PlatformPaymentMessage = {
      type: 'payment.captured',
      paymentId: 'pay_order-1_1',
      orderId: 'order-1',
      merchantReference: 'order-1-1',
      provider: 'stripe',
      providerReference: order?.payments[0]?.providerReference,
      operationReference: 'cap_memory_000001',
      amount: usd(7_500),
      intentId: 'pay_order-1_1.capture.1',
      occurredAt: harness.clock.now(),
    };
    expect(await harness.orders.handlePaymentOutcome(outcome)).toMatchObject({ status: 'duplicate' });
  });

  it('an automatic capture reports the authorization and the capture; a decline fails the order', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-auto', amount: usd(1_000), captureMethod: 'automatic' });
    expect((await harness.orders.order('order-auto'))?.state).toBe('paid');
    harness.platform.addOrder({ orderId: 'order-declined', total: usd(1_000) });
    await harness.transactions.authorize({ paymentId: 'pay_declined', merchantReference: 'declined-1', orderId: 'order-declined', amount: usd(1_000), paymentMethodToken: 'tok_declined' });
    await harness.drain();
    expect((await harness.orders.order('order-declined'))?.state).toBe('failed');
  });

  it('an expiry the state manager reports as a release moves the order to expired', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000) });
    const reference = (await harness.transactions.payment(paymentId))?.providerReference as string;
    await harness.transactions.applyProviderEvent(await harness.webhook(harness.old, { type: 'payment.expired', providerReference: reference, eventId: 'evt_exp' }));
    await harness.drain();
    expect((await harness.orders.order('order-1'))?.state).toBe('expired');
  });

  it('ignores outcomes of payments without an order; a deferred outcome is retried by the relay', async () => {
    const harness = await createOrderHarness();
    const base: PlatformPaymentMessage = {
      type: 'payment.refunded',
      paymentId: 'pay_x',
      merchantReference: 'x-1',
      provider: 'stripe',
      providerReference: 'pi_x',
      amount: usd(100),
      intentId: 'pay_x.refund.1',
      occurredAt: harness.clock.now(),
    };
    expect(await harness.orders.handlePaymentOutcome(base)).toMatchObject({ status: 'ignored', paymentId: 'pay_x' });
    harness.platform.addOrder({ orderId: 'order-x', total: usd(100) });
    const handler = harness.orders.outboxHandlers()['platform.payment'];
    const message = { topic: 'platform.payment', sequence: 1, payload: encodePlatformPaymentMessage({ ...base, orderId: 'order-x' }) } as OutboxMessage;
    const error = await rejectionOf(() => handler!(message));
    expect(error).toMatchObject({ code: 'ORDER_OUTCOME_DEFERRED', isRetryable: true });
    expect(await harness.orders.handlePaymentOutcome({ ...base, orderId: 'order-nowhere' })).toMatchObject({ status: 'unknown_order' });
  });
});

describe('platform delivery', () => {
  it('escalates an update the platform cannot record (an unsupported operation) like a refusal', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    harness.platform.failNext('recordPayment', new UnsupportedOperationError({ component: 'memory', operation: 'recording an authorization', reason: 'test' }));
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_a', amount: usd(10_000) }));
    await harness.drain();
    expect(await harness.orders.escalations()).toMatchObject([{ code: 'platform_refused', reason: expect.stringContaining('UNSUPPORTED_OPERATION') }]);
  });

  it('escalates an update the platform refuses, and does not block the order behind it', async () => {
    const harness = await createOrderHarness();
    const reference = await authorizedOrder(harness);
    harness.platform.failNext('recordPayment', new InvalidRequestError('order is archived', { provider: 'memory', httpStatus: 422 }));
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.authorized', providerReference: reference, eventId: 'evt_a', amount: usd(10_000) }));
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'evt_c', amount: usd(10_000), operationReference: 'cap_1' }));
    await harness.drain();
    expect(harness.platform.orders()[0]?.transactions.map((transaction) => transaction.kind)).toEqual(['capture']);
    expect(await harness.orders.escalations()).toMatchObject([{ orderId: 'order-1', code: 'platform_refused', reason: expect.stringContaining('recording a authorization') }]);
    const stored = await new OrderRepository(harness.memory).get('order-1');
    expect(stored?.value.state).toBe('paid');
    expect(stored?.index).toBe(escalatedOrderIndex);
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.orders.escalations', value: 1, attributes: { code: 'platform_refused' } });
  });

  it('retries an update while the platform is unavailable, with the same idempotency key', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), state: 'payment_pending' });
    harness.platform.addOrder({ orderId: 'order-1', total: usd(5_000) });
    harness.platform.setAvailable(false);
    await harness.orders.applyTransition('order-1', 'cancelled', { kind: 'operator', id: 'op-1' });
    const relay = harness.relay();
    expect(await relay.runOnce()).toMatchObject({ failed: 1 });
    harness.platform.setAvailable(true);
    await harness.drain();
    expect(harness.platform.orders()[0]?.canonicalState).toBe('cancelled');
  });

  it('an escalated cancellation refusal stays escalated (the order is already final here)', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000) });
    await harness.orders.applyTransition('order-1', 'cancelled', { kind: 'operator', id: 'op-1' });
    await harness.drain();
    expect(await harness.orders.escalations()).toMatchObject([{ code: 'platform_refused', reason: expect.stringContaining('cancelling the order') }]);
    expect((await new OrderRepository(harness.memory).get('order-1'))?.index).toBe(escalatedOrderIndex);
  });

  it('keeps a message whose payload is not an order update for an operator', async () => {
    const harness = await createOrderHarness();
    const handler = harness.orders.outboxHandlers()['platform.order'];
    for (const payload of ['not json', JSON.stringify({ orderId: 'order-1' })]) {
      const error = await rejectionOf(() => handler!({ topic: 'platform.order', sequence: 9, payload } as OutboxMessage));
      expect(OutboxPayloadInvalidError.isInstance(error)).toBe(true);
    }
  });

  it('lets other platform errors through for a retry', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000) });
    harness.platform.addOrder({ orderId: 'order-1', total: usd(5_000) });
    harness.platform.failNext('cancelOrder', new ProviderUnavailableError('down', { provider: 'memory' }));
    await harness.orders.applyTransition('order-1', 'cancelled', { kind: 'operator', id: 'op-1' });
    const [message] = await pending(harness, ['platform.order']);
    const error = await rejectionOf(() => harness.orders.outboxHandlers()['platform.order']!(message as OutboxMessage));
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
    expect(PaymigrateError.isInstance(error)).toBe(true);
  });
});
