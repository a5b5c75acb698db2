import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ProviderUnavailableError } from '../errors/provider-errors.js';
import type { PlatformWebhookEvent } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { OutboxMessage } from '../ports/journal/v1/journal.js';
import { createOrderHarness, type OrderHarness, platformWith, rejectionOf, usd } from './__fixtures__/order-sync-harness.js';
import { orderStepCompensations, planCancellationSteps, planRefundSteps } from './order-compensation.js';
import { OrderCompensationRepository, OrderRepository } from './order-records.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import type { PaymentOperations } from './order-sync-options.js';

/** A verified platform webhook about an order, as the platform adapter normalizes it. */
async function platformEvent(harness: OrderHarness, eventId: string, orderId: string | undefined, topic = 'orders/updated'): Promise<PlatformWebhookEvent> {
  return harness.platform.verifyWebhook(harness.platform.signWebhook({ eventId, topic, orderId }));
}

/** Cancels the order on the platform, as staff would in its admin. */
async function cancelOnPlatform(harness: OrderHarness, orderId: string): Promise<void> {
  await harness.platform.cancelOrder({ idempotencyKey: `staff-cancel-${orderId}`, orderId, reason: 'customer' });
}

describe('the compensation table', () => {
  it('puts the undo beside each step', () => {
    expect(orderStepCompensations.authorization.compensation).toBe('void');
    expect(orderStepCompensations.capture.compensation).toBe('refund');
    expect(orderStepCompensations.platform_paid.compensation).toBe('revert_and_flag');
  });
});

describe('the platform cancels an order', () => {
  it('whose payment was captured: refunds on the pinned (old) provider after cutover, journaled step by step', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(8_000), capture: true });
    harness.selector.provider = 'adyen';
    await cancelOnPlatform(harness, 'order-1');
    const result = await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1', 'orders/cancelled'));
    expect(result).toMatchObject({ status: 'applied', transitions: [{ from: 'paid', to: 'cancelled' }] });
    expect(result.compensation).toMatchObject({
      compensationId: 'order-1.cancellation',
      kind: 'platform_cancellation',
      status: 'completed',
      steps: [{ action: 'refund', compensates: 'capture', paymentId, provider: 'stripe', sequence: 1, status: 'succeeded' }],
    });
    expect(harness.old.payments()[0]).toMatchObject({ state: 'refunded' });
    expect(harness.next.calls).toHaveLength(0);
    await harness.drain();
    const order = await harness.orders.order('order-1');
    expect(order?.state).toBe('cancelled');
    expect(order?.amounts.refunded.equals(usd(8_000))).toBe(true);
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.orders.compensations', value: 1, attributes: { kind: 'platform_cancellation', action: 'refund', outcome: 'succeeded' } });
    // The same webhook again, and a later one about the same (now final) order, change nothing.
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'))).toMatchObject({ status: 'duplicate' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-2', 'order-1'))).toMatchObject({ status: 'ignored' });
    expect(harness.old.payments()[0]?.refundedAmount.equals(usd(8_000))).toBe(true);
  });

  it('whose payment is authorized, not captured: voids it', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(3_000) });
    await cancelOnPlatform(harness, 'order-1');
    const result = await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1', 'orders/cancelled'));
    expect(result.compensation).toMatchObject({ status: 'completed', steps: [{ action: 'void', compensates: 'authorization', paymentId, status: 'succeeded' }] });
    expect(harness.old.payments()[0]).toMatchObject({ state: 'voided' });
    await harness.drain();
    expect((await harness.orders.order('order-1'))?.state).toBe('cancelled');
  });

  it('that is partially paid: voids the rest and refunds the capture, and the order ends refunded', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(10_000) });
    await harness.transactions.capture({ paymentId, amount: usd(4_000), final: false });
    await harness.drain();
    expect((await harness.orders.order('order-1'))?.state).toBe('partially_paid');
    // The in-memory platform cannot cancel a partially paid order: here it only says it did.
    const platformOrder = harness.platform.orders()[0];
    const cancelledPlatform = platformWith(harness.platform, { getOrder: async () => (platformOrder === undefined ? undefined : { ...platformOrder, canonicalState: 'cancelled' }) });
    const orders = harness.create({ platform: cancelledPlatform });
    const event = { eventId: 'wh-1', topic: 'orders/cancelled', type: 'order.cancelled', orderId: 'order-1', occurredAt: harness.clock.now() } as const;
    const result = await orders.handlePlatformEvent(event);
    expect(result).toMatchObject({ status: 'applied', transitions: [] });
    expect(result.compensation?.steps.map((step) => `${step.action}:${step.status}`)).toEqual(['void:succeeded', 'refund:succeeded']);
    // Another webhook before the outcomes arrived does not start a second compensation.
    expect(await orders.handlePlatformEvent({ ...event, eventId: 'wh-2' })).toMatchObject({ status: 'ignored', reason: expect.stringContaining('already running') });
    await harness.drain(orders);
    expect((await orders.order('order-1'))?.state).toBe('refunded');
    expect(harness.platform.orders()[0]?.canonicalState).toBe('refunded');
  });

  it('that shipped goods: escalates, never guesses', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(1_000), canonicalState: 'cancelled' });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(1_000), state: 'fulfilled' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'))).toMatchObject({ status: 'applied', transitions: [] });
    expect(await harness.orders.escalations()).toMatchObject([{ orderId: 'order-1', code: 'platform_cancelled_unexpectedly', orderState: 'fulfilled', platformState: 'cancelled' }]);
    const escalated = (await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10, topics: ['order.escalated'] })) as OutboxMessage[];
    expect(escalated).toMatchObject([{ orderingKey: 'order.escalated:order-1', deduplicationId: 'order.escalated:order-1.v1.platform_cancelled_unexpectedly' }]);
  });

  it('without money held: just cancels', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(1_000), canonicalState: 'cancelled' });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(1_000) });
    const result = await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'));
    expect(result).toMatchObject({ status: 'applied', transitions: [{ from: 'payment_pending', to: 'cancelled' }], compensation: undefined });
  });
});

describe('platform events racing', () => {
  it('of two concurrent deliveries of one platform webhook, one applies', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(1_000), canonicalState: 'on_hold' });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(1_000), state: 'authorized' });
    const event = await platformEvent(harness, 'wh-1', 'order-1');
    let raced = false;
    harness.journal.beforeWrite = async (batch) => {
      if (raced || !(batch.puts ?? []).some((put) => put.collection === 'order-processed-events')) return;
      raced = true;
      await harness.create().handlePlatformEvent(event);
    };
    expect(await harness.orders.handlePlatformEvent(event)).toMatchObject({ status: 'duplicate' });
    expect((await harness.orders.order('order-1'))?.state).toBe('on_hold');
  });
});

describe('other platform events', () => {
  it('follow holds and shipping; the payments decide the money states', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(1_000), canonicalState: 'fulfilled' });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(1_000), state: 'paid' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'))).toMatchObject({ transitions: [{ from: 'paid', to: 'fulfilled' }] });
    harness.platform.addOrder({ orderId: 'order-2', total: usd(1_000), canonicalState: 'paid' });
    await harness.orders.registerOrder({ orderId: 'order-2', total: usd(1_000), state: 'authorized' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-2', 'order-2'))).toMatchObject({ status: 'ignored', reason: expect.stringContaining('the payments decide') });
    harness.platform.addOrder({ orderId: 'order-3', total: usd(1_000), canonicalState: 'on_hold' });
    await harness.orders.registerOrder({ orderId: 'order-3', total: usd(1_000), state: 'authorized' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-3', 'order-3'))).toMatchObject({ transitions: [{ from: 'authorized', to: 'on_hold' }] });
  });

  it('a hold released on the platform is followed when the money agrees', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000) });
    await harness.orders.applyTransition('order-1', 'on_hold', { kind: 'platform', id: 'hold-1' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'))).toMatchObject({ transitions: [{ from: 'on_hold', to: 'authorized' }] });
    harness.platform.addOrder({ orderId: 'order-2', total: usd(1_000), canonicalState: 'paid' });
    await harness.orders.registerOrder({ orderId: 'order-2', total: usd(1_000), state: 'on_hold' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-2', 'order-2'))).toMatchObject({ status: 'ignored' });
  });

  it('starts tracking an order the synchronizer did not know, from the platform', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(1_000), canonicalState: 'authorized' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'))).toMatchObject({ status: 'ignored', reason: expect.stringContaining('agrees') });
    expect(await harness.orders.order('order-1')).toMatchObject({ state: 'authorized', version: 1 });
  });

  it('reports events without an order or about an order the platform does not have', async () => {
    const harness = await createOrderHarness();
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', undefined))).toMatchObject({ status: 'ignored' });
    expect(await harness.orders.handlePlatformEvent(await platformEvent(harness, 'wh-2', 'order-9'))).toMatchObject({ status: 'unknown_order' });
  });

  it('escalates a tracked order whose platform state cannot be mapped, and retries other platform errors', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(1_000) });
    const impossible = new ImpossiblePlatformStateError({ platform: 'memory', orderId: 'order-1', states: { status: 'weird' }, reason: 'test' });
    let failure: Error = impossible;
    const broken = platformWith(harness.platform, {
      getOrder: async () => {
        throw failure;
      },
    });
    const orders = harness.create({ platform: broken });
    expect(await orders.handlePlatformEvent(await platformEvent(harness, 'wh-1', 'order-1'))).toMatchObject({ status: 'ignored', reason: impossible.message });
    expect(await orders.escalations()).toMatchObject([{ code: 'platform_state_impossible' }]);
    expect(await orders.handlePlatformEvent(await platformEvent(harness, 'wh-2', 'order-untracked'))).toMatchObject({ status: 'ignored' });
    failure = new ProviderUnavailableError('down', { provider: 'memory' });
    expect(ProviderUnavailableError.isInstance(await rejectionOf(async () => orders.handlePlatformEvent(await platformEvent(harness, 'wh-3', 'order-1'))))).toBe(true);
  });
});

describe('a capture fails after the platform showed paid', () => {
  it('reverts the order through on_hold to authorized and flags it', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(5_000), capture: true });
    const payment = (await harness.orders.order('order-1'))?.payments[0];
    const failed = await harness.webhook(harness.old, {
      type: 'payment.capture_failed',
      providerReference: payment?.providerReference as string,
      eventId: 'evt_capture_failed',
      operationReference: 'cap_memory_000001',
      success: false,
    });
    const result = await harness.orders.handleProviderEvent(failed);
    expect(result).toMatchObject({ status: 'applied', paymentId, transitions: [{ from: 'paid', to: 'on_hold' }, { from: 'on_hold', to: 'authorized' }] });
    const order = await harness.orders.order('order-1');
    expect(order).toMatchObject({ state: 'authorized', flags: [{ code: 'capture_failed_after_paid', causeId: 'order.provider:stripe:evt_capture_failed' }] });
    expect(order?.amounts.captured.isZero()).toBe(true);
    const flagged = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10, topics: ['order.flagged'] });
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ orderingKey: 'order.flagged:order-1' });
    expect(JSON.parse(flagged[0]?.payload ?? '{}')).toMatchObject({ orderId: 'order-1', code: 'capture_failed_after_paid', reason: expect.stringContaining('reverse it on the platform') });
    expect(harness.lines.some((line) => String(line['msg']).startsWith('Order flagged'))).toBe(true);
  });

  it('to payment_pending when nothing is held any more', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(5_000) });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), payments: [{ paymentId: 'pay-1', provider: 'stripe', providerReference: 'pi_1' }] });
    await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: 'pi_1', eventId: 'evt_c', amount: usd(5_000), operationReference: 'ch_1' }));
    const result = await harness.orders.handleProviderEvent(await harness.webhook(harness.old, { type: 'payment.captured', providerReference: 'pi_1', eventId: 'evt_f', operationReference: 'ch_1', success: false }));
    expect(result.transitions.map((transition) => transition.to)).toEqual(['on_hold', 'payment_pending']);
  });

  it('after goods shipped: flags only (the machine never goes back from fulfilled)', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(5_000), capture: true });
    await harness.orders.applyTransition('order-1', 'fulfilled', { kind: 'platform', id: 'ship-1' });
    const reference = (await harness.orders.order('order-1'))?.payments[0]?.providerReference as string;
    const result = await harness.orders.handleProviderEvent(
      await harness.webhook(harness.old, { type: 'payment.capture_failed', providerReference: reference, eventId: 'evt_f', operationReference: 'cap_memory_000001' }),
    );
    expect(result).toMatchObject({ status: 'applied', transitions: [] });
    expect((await harness.orders.order('order-1'))?.flags).toHaveLength(1);
  });

  it('a refund that fails after it was counted flags the order and never moves it back', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(5_000), capture: true });
    await harness.transactions.refund({ paymentId, amount: usd(1_000) });
    await harness.drain();
    const reference = (await harness.orders.order('order-1'))?.payments[0]?.providerReference as string;
    const result = await harness.orders.handleProviderEvent(
      await harness.webhook(harness.old, { type: 'payment.refund_reversed', providerReference: reference, eventId: 'evt_rr', operationReference: 'ref_memory_000001' }),
    );
    expect(result).toMatchObject({ status: 'applied', transitions: [] });
    expect((await harness.orders.order('order-1'))).toMatchObject({ state: 'partially_refunded', flags: [{ code: 'refund_failed_after_refunded' }] });
  });
});

describe('refundOrder: a refund the platform asked for', () => {
  it('goes to the provider that captured, after cutover, and is recorded on the platform once', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(6_000), capture: true });
    harness.selector.provider = 'adyen';
    const refund = await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(2_500), requestId: 'refund-77' });
    expect(refund).toMatchObject({ compensationId: 'order-1.refund.refund-77', kind: 'platform_refund', status: 'completed', reason: 'requested_by_customer' });
    expect(refund.steps).toMatchObject([{ action: 'refund', compensates: 'platform_request', paymentId, provider: 'stripe', status: 'succeeded' }]);
    expect(await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(2_500), requestId: 'refund-77' })).toEqual(refund);
    await harness.drain();
    expect((await harness.orders.order('order-1'))?.state).toBe('partially_refunded');
    expect(harness.old.payments()[0]?.refundedAmount.equals(usd(2_500))).toBe(true);
    expect(harness.next.calls).toHaveLength(0);
    expect(harness.platform.orders()[0]?.transactions.map((transaction) => `${transaction.kind}:${transaction.amount.toString()}`)).toEqual([
      'authorization:60.00 USD',
      'capture:60.00 USD',
      'refund:25.00 USD',
    ]);
  });

  it('spreads over several payments, latest first', async () => {
    const harness = await createOrderHarness();
    const first = await harness.placeOrder({ orderId: 'order-1', amount: usd(3_000), capture: true });
    harness.selector.provider = 'adyen';
    await harness.transactions.authorize({ paymentId: 'pay_second', merchantReference: 'order-1-b', orderId: 'order-1', amount: usd(2_000), paymentMethodToken: 'tok_visa', captureMethod: 'automatic' });
    await harness.drain();
    const refund = await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(4_000), requestId: 'r-1', reason: 'duplicate' });
    expect(refund.steps.map((step) => `${step.paymentId}@${step.provider}:${step.amount?.toString()}`)).toEqual(['pay_second@adyen:20.00 USD', `${first}@stripe:20.00 USD`]);
    expect(planRefundSteps((await harness.orders.order('order-1'))!, usd(100_000))).toBeUndefined();
  });

  it('plans only what it needs, skipping payments with nothing to refund', async () => {
    const harness = await createOrderHarness();
    await harness.orders.registerOrder({
      orderId: 'order-1',
      total: usd(3_000),
      payments: [
        { paymentId: 'a', provider: 'stripe', providerReference: 'pi_a' },
        { paymentId: 'b', provider: 'stripe', providerReference: 'pi_b' },
        { paymentId: 'c', provider: 'adyen', providerReference: 'psp_c' },
      ],
    });
    for (const [reference, provider, eventId] of [['pi_a', harness.old, 'ea'], ['pi_b', harness.old, 'eb']] as const) {
      await harness.orders.handleProviderEvent(await harness.webhook(provider, { type: 'payment.captured', providerReference: reference, eventId, amount: usd(1_000), operationReference: `cap_${eventId}` }));
    }
    const order = (await harness.orders.order('order-1'))!;
    expect(planRefundSteps(order, usd(500))?.map((step) => `${step.paymentId}:${step.amount?.toString()}`)).toEqual(['b:5.00 USD']);
    expect(planRefundSteps(order, usd(1_500))?.map((step) => `${step.paymentId}:${step.amount?.toString()}`)).toEqual(['b:10.00 USD', 'a:5.00 USD']);
  });

  it('refuses more than the order can refund, bad input and untracked orders', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    expect(await rejectionOf(() => harness.orders.refundOrder({ orderId: 'order-1', amount: usd(1_001), requestId: 'r' }))).toMatchObject({ code: 'ORDER_REFUND_EXCEEDS_CAPTURED' });
    expect(await rejectionOf(() => harness.orders.refundOrder({ orderId: 'order-1', amount: usd(0), requestId: 'r' }))).toMatchObject({ code: 'ORDER_REFUND_INVALID' });
    expect(await rejectionOf(() => harness.orders.refundOrder({ orderId: 'order-1', amount: usd(10), requestId: '' }))).toMatchObject({ code: 'ORDER_REFUND_INVALID' });
    expect(await rejectionOf(() => harness.orders.refundOrder({ orderId: 'order-1', amount: 10 as never, requestId: 'r' }))).toMatchObject({ code: 'ORDER_REFUND_INVALID' });
    expect(await rejectionOf(() => harness.orders.refundOrder({ orderId: 'order-2', amount: usd(10), requestId: 'r' }))).toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});

describe('compensation steps that do not succeed at once', () => {
  it('a refused step fails the compensation and escalates the order', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    harness.old.failNext('refund', new InvalidRequestError('refund window closed', { provider: 'stripe', httpStatus: 400 }));
    const refund = await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(500), requestId: 'r-1' });
    expect(refund).toMatchObject({ status: 'failed', steps: [{ status: 'failed', errorCode: 'PROVIDER_INVALID_REQUEST' }] });
    expect(await harness.orders.escalations()).toMatchObject([{ code: 'compensation_failed', reason: expect.stringContaining('refund of 5.00 USD on payment pay_order-1_1 at stripe (PROVIDER_INVALID_REQUEST)') }]);
    expect(harness.lines.some((line) => line['msg'] === 'Compensation step failed')).toBe(true);
  });

  it('a step refused before it reaches the provider fails too', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    // Someone refunded everything behind the order's back: the state manager refuses the step (refunded payments refund nothing).
    await harness.transactions.refund({ paymentId: 'pay_order-1_1', amount: usd(1_000) });
    const refund = await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(500), requestId: 'r-1' });
    expect(refund).toMatchObject({ status: 'failed', steps: [{ status: 'failed', errorCode: 'TRANSACTION_OPERATION_NOT_ALLOWED' }] });
  });

  it('a step still driven by the state manager stays requested; a repair pass resumes it with the same sequence', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    harness.old.setAvailable(false);
    const refund = await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(400), requestId: 'r-1' });
    expect(refund).toMatchObject({ status: 'running', steps: [{ status: 'requested', sequence: 1 }] });
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ compensationsResumed: 1 });
    expect((await new OrderCompensationRepository(harness.memory).get('order-1.refund.r-1'))?.value.status).toBe('running');
    harness.old.setAvailable(true);
    await harness.clock.advance(120_000);
    // The state manager's own recovery drives the waiting refund; the next pass sees its outcome.
    await harness.transactions.recover({ owner: 'transactions' });
    expect(await harness.orders.repairStuckOrders({ owner: 'node-a' })).toMatchObject({ compensationsResumed: 1, errors: 0 });
    expect((await new OrderCompensationRepository(harness.memory).get('order-1.refund.r-1'))?.value.status).toBe('completed');
    expect(harness.old.payments()[0]?.refundedAmount.equals(usd(400))).toBe(true);
    expect(harness.old.calls.filter((call) => call.operation === 'refund' && call.idempotencyKey !== undefined).map((call) => call.idempotencyKey)).toEqual(['pay_order-1_1.refund.1', 'pay_order-1_1.refund.1']);
  });

  it('a crash after the step was sent replays the same operation, never a second refund', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    let calls = 0;
    const crashing: PaymentOperations = {
      refund: async (input) => {
        calls += 1;
        const result = await harness.transactions.refund(input);
        // The first call reaches the provider; the answer is lost with the process.
        if (calls === 1) throw new Error('process died after sending');
        return result;
      },
      cancel: (input) => harness.transactions.cancel(input),
      payment: (paymentId) => harness.transactions.payment(paymentId),
    };
    const orders = harness.create({ operations: crashing });
    expect(await orders.refundOrder({ orderId: 'order-1', amount: usd(300), requestId: 'r-1' })).toMatchObject({ status: 'running', steps: [{ status: 'requested', sequence: 1 }] });
    expect(await orders.refundOrder({ orderId: 'order-1', amount: usd(300), requestId: 'r-1' })).toMatchObject({ status: 'completed', steps: [{ status: 'succeeded', sequence: 1 }] });
    expect(calls).toBe(2);
    expect(harness.old.payments()[0]?.refundedAmount.equals(usd(300))).toBe(true);
  });

  it('works with payment operations that know no sequences', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    const outcomes = ['unknown', 'unresolved'] as const;
    let call = 0;
    const plain: PaymentOperations = {
      refund: async () => ({ status: outcomes[call++] ?? 'succeeded' }),
      cancel: async () => ({ status: 'succeeded' }),
    };
    const orders = harness.create({ operations: plain });
    const first = await orders.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-1' });
    expect(first).toMatchObject({ status: 'running', steps: [{ status: 'requested' }] });
    expect(first.steps[0]?.sequence).toBeUndefined();
    expect(await orders.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-1' })).toMatchObject({ status: 'failed', steps: [{ errorCode: 'unresolved' }] });
    const throwing = harness.create({
      operations: {
        refund: async () => {
          throw new ProviderUnavailableError('down', { provider: 'stripe' });
        },
        cancel: async () => ({ status: 'failed', errorCode: 'X' }),
      },
    });
    expect(await throwing.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-2' })).toMatchObject({ status: 'running', steps: [{ status: 'requested' }] });
  });

  it('a compensation whose record changed concurrently is read again', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    let raced = false;
    harness.journal.beforeWrite = async (batch) => {
      const put = (batch.puts ?? []).find((candidate) => candidate.collection === 'order-compensations' && candidate.expectedVersion !== 0);
      if (raced || put === undefined) return;
      raced = true;
      const repository = new OrderCompensationRepository(harness.memory);
      const stored = await repository.get(put.key);
      await repository.save(stored!.value, stored!.version);
    };
    expect(await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-1' })).toMatchObject({ status: 'completed' });
  });

  it('a failed void escalates, naming the step', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000) });
    harness.old.failNext('cancel', new InvalidRequestError('too late to void', { provider: 'stripe', httpStatus: 400 }));
    const result = await harness.orders.applyTransition('order-1', 'cancelled', { kind: 'operator', id: 'op-1' });
    expect(result.compensation).toMatchObject({ status: 'failed' });
    expect(await harness.orders.escalations()).toMatchObject([{ code: 'compensation_failed', reason: expect.stringContaining('void on payment pay_order-1_1 at stripe (PROVIDER_INVALID_REQUEST)') }]);
  });

  it.each([1, 2, 3])('a compensation write that loses a race (write %i) is read and decided again', async (losing) => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    let writes = 0;
    harness.journal.beforeWrite = async (batch) => {
      const put = (batch.puts ?? []).find((candidate) => candidate.collection === 'order-compensations' && candidate.expectedVersion !== 0);
      if (put === undefined) return;
      writes += 1;
      if (writes !== losing) return;
      const repository = new OrderCompensationRepository(harness.memory);
      const stored = await repository.get(put.key);
      await repository.save(stored!.value, stored!.version);
    };
    expect(await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-1' })).toMatchObject({ status: 'completed' });
    expect(harness.old.payments()[0]?.refundedAmount.equals(usd(100))).toBe(true);
  });

  it('an escalation that loses a race on the order is written again', async () => {
    const harness = await createOrderHarness();
    await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000), capture: true });
    harness.old.failNext('refund', new InvalidRequestError('refused', { provider: 'stripe', httpStatus: 400 }));
    let raced = false;
    harness.journal.beforeWrite = async (batch) => {
      if (raced || !(batch.puts ?? []).some((put) => put.collection === 'order-escalations')) return;
      raced = true;
      const repository = new OrderRepository(harness.memory);
      const stored = await repository.get('order-1');
      await repository.save(stored!.value, stored!.version);
    };
    await harness.orders.refundOrder({ orderId: 'order-1', amount: usd(100), requestId: 'r-1' });
    expect(await harness.orders.escalations()).toHaveLength(1);
  });

  it('plans voids before refunds, per payment', async () => {
    const harness = await createOrderHarness();
    const paymentId = await harness.placeOrder({ orderId: 'order-1', amount: usd(1_000) });
    await harness.transactions.capture({ paymentId, amount: usd(300), final: false });
    await harness.drain();
    expect(planCancellationSteps((await harness.orders.order('order-1'))!).map((step) => `${step.action}:${step.amount?.toString() ?? '-'}`)).toEqual(['void:-', 'refund:3.00 USD']);
  });
});
