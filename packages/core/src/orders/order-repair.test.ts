import { describe, expect, it } from 'vitest';
import type { OrderState } from '../order/order-state.js';
import { createOrderHarness, type OrderHarness, platformWith, usd } from './__fixtures__/order-sync-harness.js';
import { decodePlatformOrderMessage } from './order-platform-message.js';
import { escalatedOrderIndex, OrderRepository } from './order-records.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import { defaultOrderStateDeadlines } from './order-sync-options.js';

const day = 86_400_000;

/**
 * An order the synchronizer believes `state`, whose payment at the old provider is authorized
 * (and captured when `capture`), and which the platform shows as `platformState`.
 */
async function stuckOrder(
  harness: OrderHarness,
  input: { readonly orderId: string; readonly state: OrderState; readonly platformState: OrderState; readonly capture?: boolean; readonly attach?: boolean },
): Promise<string> {
  const snapshot = await harness.old.authorize({ idempotencyKey: `auth-${input.orderId}`, merchantReference: input.orderId, amount: usd(5_000), paymentMethodToken: 'tok_visa' });
  if (input.capture === true) await harness.old.capture({ idempotencyKey: `cap-${input.orderId}`, providerReference: snapshot.providerReference, amount: usd(5_000) });
  harness.platform.addOrder({ orderId: input.orderId, total: usd(5_000), canonicalState: input.platformState });
  await harness.orders.registerOrder({
    orderId: input.orderId,
    total: usd(5_000),
    state: input.state,
    payments: input.attach === false ? [] : [{ paymentId: `pay-${input.orderId}`, provider: 'stripe', providerReference: snapshot.providerReference, amount: usd(5_000) }],
  });
  return snapshot.providerReference;
}

describe('repairStuckOrders', () => {
  it('repairs an order past its deadline when provider and platform agree (a lost capture webhook)', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'paid', capture: true });
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ claimed: 1, examined: 0, deferred: 1 });
    await harness.clock.advance(7 * day + 1);
    const report = await harness.orders.repairStuckOrders({ owner: 'node-a' });
    expect(report).toEqual({ claimed: 1, examined: 1, repaired: 1, escalated: 0, deferred: 0, superseded: 0, errors: 0, compensationsResumed: 0 });
    const order = await harness.orders.order('order-1');
    expect(order).toMatchObject({ state: 'paid', version: 2, history: [{ from: 'authorized', to: 'paid', cause: { kind: 'repair', id: 'order.repair:order-1:v1' } }] });
    expect(order?.amounts.captured.equals(usd(5_000))).toBe(true);
    // The platform already agrees: the update carries no platform call.
    const [message] = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10, topics: ['platform.order'] });
    expect(decodePlatformOrderMessage(message!)).toMatchObject({ transitions: [{ from: 'authorized', to: 'paid' }], actions: [] });
  });

  it('takes the platform state when it knows more (shipping) and the money agrees', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'fulfilled', capture: true });
    await harness.clock.advance(7 * day + 1);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ repaired: 1 });
    expect((await harness.orders.order('order-1'))?.history.map((entry) => entry.to)).toEqual(['paid', 'fulfilled']);
  });

  it('escalates when provider and platform disagree, and stops claiming the order', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'authorized', capture: true });
    await harness.clock.advance(7 * day + 1);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ examined: 1, escalated: 1 });
    expect(await harness.orders.escalations()).toEqual([
      {
        escalationId: 'order-1.v1.truths_disagree',
        orderId: 'order-1',
        code: 'truths_disagree',
        reason: "the provider's amounts say paid, the platform says authorized, the order is authorized",
        orderState: 'authorized',
        providerState: 'paid',
        platformState: 'authorized',
        at: harness.clock.now(),
      },
    ]);
    const stored = await new OrderRepository(harness.memory).get('order-1');
    expect(stored).toMatchObject({ index: escalatedOrderIndex, value: { state: 'authorized', escalation: { code: 'truths_disagree' } } });
    expect(await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10, topics: ['order.escalated'] })).toHaveLength(1);
    await harness.clock.advance(day);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ claimed: 0 });
    // A later transition closes the escalation and brings the order back into the repair index.
    await harness.orders.applyTransition('order-1', 'paid', { kind: 'operator', id: 'op-fixed' });
    expect((await new OrderRepository(harness.memory).get('order-1'))?.index).toBe('paid');
    expect(await harness.orders.escalations()).toEqual([]);
    expect(await harness.memory.count('order-escalations')).toBe(1);
  });

  it('escalates an order both truths agree is still where it is stuck: someone must act', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'authorized' });
    await harness.clock.advance(7 * day + 1);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ escalated: 1 });
    expect(await harness.orders.escalations()).toMatchObject([{ code: 'still_stuck', reason: expect.stringContaining('authorized for 168 h') }]);
  });

  it('escalates when a truth cannot be read', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'no-gateway', state: 'authorized', platformState: 'authorized' });
    await harness.orders.attachPayment({ orderId: 'no-gateway', paymentId: 'pay-elsewhere', provider: 'braintree', providerReference: 'bt_1' });
    await stuckOrder(harness, { orderId: 'no-reference', state: 'authorized', platformState: 'authorized' });
    await harness.orders.attachPayment({ orderId: 'no-reference', paymentId: 'pay-unknown', provider: 'stripe' });
    await stuckOrder(harness, { orderId: 'not-at-provider', state: 'authorized', platformState: 'authorized' });
    await harness.orders.attachPayment({ orderId: 'not-at-provider', paymentId: 'pay-gone', provider: 'stripe', providerReference: 'pay_memory_999999' });
    await stuckOrder(harness, { orderId: 'not-on-platform', state: 'authorized', platformState: 'authorized' });
    const platform = platformWith(harness.platform, {
      getOrder: async (input) => {
        if (input.orderId === 'not-on-platform') return undefined;
        if (input.orderId === 'unmappable') throw new ImpossiblePlatformStateError({ platform: 'memory', orderId: input.orderId, states: { status: 'x' }, reason: 'test' });
        return harness.platform.getOrder(input);
      },
    });
    await stuckOrder(harness, { orderId: 'unmappable', state: 'authorized', platformState: 'authorized' });
    const orders = harness.create({ platform });
    await harness.clock.advance(7 * day + 1);
    expect(await orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ examined: 5, escalated: 5 });
    const codes = Object.fromEntries((await orders.escalations()).map((escalation) => [escalation.orderId, `${escalation.code}: ${escalation.reason}`]));
    expect(codes).toEqual({
      'no-gateway': expect.stringContaining("provider_truth_unavailable: payment 'pay-elsewhere' cannot be read at braintree: no gateway is configured for it"),
      'no-reference': expect.stringContaining("provider_truth_unavailable: payment 'pay-unknown' cannot be read at stripe: its provider reference is unknown"),
      'not-at-provider': "provider_truth_unavailable: stripe has no payment 'pay_memory_999999'",
      'not-on-platform': "platform_order_missing: the platform has no order 'not-on-platform'",
      unmappable: expect.stringContaining('platform_state_impossible'),
    });
  });

  it('reads the provider reference of a payment the state manager made, and keeps it', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(5_000) });
    const order = await harness.orders.order('order-1');
    await new OrderRepository(harness.memory).save({ ...order!, payments: order!.payments.map((payment) => ({ ...payment, providerReference: undefined })) }, 'any');
    const { payment } = await harness.transactions.capture({ paymentId });
    // The capture reached the platform another way; the order's outcome was lost.
    await harness.platform.recordPayment({ idempotencyKey: 'elsewhere', orderId: 'order-1', kind: 'capture', amount: usd(5_000), provider: 'stripe', providerReference: payment.providerReference as string });
    await harness.clock.advance(7 * day + 1);
    expect(await harness.create().repairStuckOrders({ owner: 'node-a' })).toMatchObject({ repaired: 1 });
    expect((await harness.orders.order('order-1'))?.payments[0]?.providerReference).toBe(payment.providerReference);
  });

  it('merges refunds the order missed, and keeps the captures it knew', async () => {
    const harness = await createOrderHarness();
    const reference = await stuckOrder(harness, { orderId: 'order-1', state: 'payment_pending', platformState: 'partially_refunded', capture: true });
    const orders = harness.create({ deadlines: { paid: day } });
    await orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: reference, eventId: 'e1', amount: usd(5_000), operationReference: 'cap_memory_000001' }));
    await harness.old.refund({ idempotencyKey: 'ref-1', providerReference: reference, amount: usd(1_000) });
    await harness.clock.advance(day + 1);
    expect(await orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ repaired: 1 });
    const order = await orders.order('order-1');
    expect(order?.state).toBe('partially_refunded');
    expect(order?.payments[0]?.operations.map((operation) => `${operation.kind}:${operation.amount.toString()}`)).toEqual(['capture:50.00 USD', 'refund:10.00 USD']);
  });

  it('agrees on a hold the platform put while the money waits', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'held-authorized', state: 'authorized', platformState: 'on_hold' });
    await stuckOrder(harness, { orderId: 'held-pending', state: 'payment_pending', platformState: 'on_hold', attach: false });
    await stuckOrder(harness, { orderId: 'shipped-unpaid', state: 'authorized', platformState: 'fulfilled' });
    await stuckOrder(harness, { orderId: 'held-captured', state: 'authorized', platformState: 'on_hold', capture: true });
    await harness.clock.advance(7 * day + 1);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ repaired: 2, escalated: 2 });
    expect((await harness.orders.order('held-authorized'))?.state).toBe('on_hold');
    expect((await harness.orders.order('held-pending'))?.state).toBe('on_hold');
    expect((await harness.orders.escalations()).map((escalation) => `${escalation.orderId}:${escalation.code}`).sort()).toEqual(['held-captured:truths_disagree', 'shipped-unpaid:truths_disagree']);
  });

  it('escalates a repair that would pass through money the truths do not show', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'fulfilled', platformState: 'on_hold' });
    const orders = harness.create({ deadlines: { fulfilled: day } });
    await harness.clock.advance(day + 1);
    expect(await orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ escalated: 1 });
    expect(await orders.escalations()).toMatchObject([{ code: 'no_legal_path', providerState: 'authorized', platformState: 'on_hold' }]);
  });

  it('leaves an order for the next pass when a truth is unreachable, and counts the error', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'paid', capture: true });
    harness.old.setAvailable(false);
    await harness.clock.advance(7 * day + 1);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ examined: 1, errors: 1 });
    expect(harness.lines.some((line) => line['msg'] === 'Repair of a stuck order failed; it is retried in the next pass')).toBe(true);
    harness.old.setAvailable(true);
    await harness.clock.advance(61_000);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-b' })).toMatchObject({ repaired: 1 });
  });

  it('several nodes share the work through claims: each order is repaired once', async () => {
    const harness = await createOrderHarness();
    for (let index = 0; index < 6; index += 1) await stuckOrder(harness, { orderId: `order-${index}`, state: 'authorized', platformState: 'paid', capture: true });
    await harness.clock.advance(7 * day + 1);
    const [a, b] = await Promise.all([harness.orders.repairStuckOrders({ owner: 'node-a', limit: 4 }), harness.create().repairStuckOrders({ owner: 'node-b', limit: 4 })]);
    expect((a?.repaired ?? 0) + (b?.repaired ?? 0)).toBe(6);
    expect((a?.claimed ?? 0) + (b?.claimed ?? 0)).toBe(6);
    for (let index = 0; index < 6; index += 1) expect((await harness.orders.order(`order-${index}`))?.version).toBe(2);
  });

  it('an order changed while it was being repaired is not stuck any more', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'paid', capture: true });
    await stuckOrder(harness, { orderId: 'order-2', state: 'authorized', platformState: 'authorized', capture: true });
    await harness.clock.advance(7 * day + 1);
    harness.journal.beforeWrite = async (batch) => {
      const put = (batch.puts ?? []).find((candidate) => candidate.collection === 'orders');
      if (put === undefined) return;
      harness.journal.beforeWrite = undefined;
      const repository = new OrderRepository(harness.memory);
      const stored = await repository.get(put.key);
      await repository.save(stored!.value, stored!.version);
    };
    const report = await harness.orders.repairStuckOrders({ owner: 'node-a', limit: 1 });
    expect(report).toMatchObject({ claimed: 1, superseded: 1, repaired: 0 });
    harness.journal.beforeWrite = async (batch) => {
      const put = (batch.puts ?? []).find((candidate) => candidate.collection === 'orders' && candidate.key === 'order-2');
      if (put === undefined) return;
      harness.journal.beforeWrite = undefined;
      const repository = new OrderRepository(harness.memory);
      const stored = await repository.get(put.key);
      await repository.save(stored!.value, stored!.version);
    };
    await harness.clock.advance(61_000);
    expect(await harness.orders.repairStuckOrders({ owner: 'node-b' })).toMatchObject({ superseded: 1 });
  });

  it('takes deadlines from the options: null removes a default', async () => {
    const harness = await createOrderHarness();
    await stuckOrder(harness, { orderId: 'order-1', state: 'authorized', platformState: 'paid', capture: true });
    const orders = harness.create({ deadlines: { authorized: null, on_hold: 1_000 } });
    await harness.clock.advance(30 * day);
    expect(await orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ claimed: 0 });
    expect(defaultOrderStateDeadlines.authorized).toBe(7 * day);
  });

  it('logs the pass and counts a compensation it could not resume', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    harness.old.setAvailable(false);
    await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-1' });
    const broken = harness.create({
      operations: {
        refund: async () => ({ status: 'waiting' }),
        cancel: async () => ({ status: 'waiting' }),
      },
      journal: Object.assign(Object.create(harness.journal) as typeof harness.journal, {
        get: async (collection: string, key: string) => {
          if (collection === 'order-compensations') throw new Error('journal read failed');
          return harness.journal.get(collection, key);
        },
      }),
    });
    expect(await broken.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ errors: 1, compensationsResumed: 0 });
    expect(harness.lines.some((line) => line['msg'] === 'Order repair pass done')).toBe(true);
  });
});
