import { InMemoryCommercePlatform, InMemoryJournal, InMemoryPaymentGateway, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { Money } from '../money/money.js';
import { createLogger } from '../observability/logger.js';
import { createOutboxRelay } from '../outbox/outbox-relay.js';
import type { PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { createOrderStateSynchronizer } from './order-state-synchronizer.js';

const eur = (minorUnits: number): Money => Money.of(minorUnits, 'EUR');

/** `count` authorized orders on the platform and the synchronizer, and the capture webhook of each. */
async function burstOf(count: number, eventChunkSize: number) {
  const clock = new ManualClock();
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const platform = new InMemoryCommercePlatform({ clock, platform: 'memory' });
  const gateway = new InMemoryPaymentGateway({ provider: 'memory', clock });
  const orders = createOrderStateSynchronizer({
    journal,
    platform,
    operations: { refund: async () => ({ status: 'failed' }), cancel: async () => ({ status: 'failed' }) },
    clock,
    logger: createLogger({ level: 'silent' }),
    eventChunkSize,
  });
  const events: PaymentWebhookEvent[] = [];
  for (let index = 0; index < count; index += 1) {
    const amount = eur(1_000 + index);
    const { orderId } = platform.addOrder({ orderId: `order-${index}`, total: amount, canonicalState: 'authorized' });
    const payment = await gateway.authorize({ idempotencyKey: `auth-${index}`, merchantReference: `m-${index}`, amount, paymentMethodToken: 'tok_visa' });
    const capture = await gateway.capture({ idempotencyKey: `cap-${index}`, providerReference: payment.providerReference, amount });
    await orders.registerOrder({ orderId, total: amount, state: 'authorized', payments: [{ paymentId: `pay-${index}`, provider: 'memory', providerReference: payment.providerReference, amount }] });
    const request = gateway.signWebhook({ type: 'payment.captured', providerReference: payment.providerReference, eventId: `evt-${index}`, amount, operationReference: capture.operationReference });
    events.push(await gateway.verifyWebhook(request));
  }
  return { journal, platform, orders, events };
}

/** Counts turns of the event loop while `work` runs; `turn()` says which one this is. */
async function countingTurns<Value>(work: (turn: () => number) => Promise<Value>): Promise<Value> {
  let turn = 0;
  let running = true;
  const tick = (): void => {
    turn += 1;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return await work(() => turn);
  } finally {
    running = false;
  }
}

describe('a burst of payment events', () => {
  it('is handled in chunks: each chunk writes in its own turn of the event loop, so its commit and delivery need not wait for the rest', async () => {
    const { journal, orders, events } = await burstOf(10, 4);
    const write = journal.write.bind(journal);
    const turnsOfWrites: number[] = [];
    const results = await countingTurns(async (turn) => {
      vi.spyOn(journal, 'write').mockImplementation((batch) => {
        turnsOfWrites.push(turn());
        return write(batch);
      });
      return Promise.all(events.map((event) => orders.handleProviderEvent(event)));
    });
    expect(results.map((result) => result.status)).toStrictEqual(Array.from({ length: 10 }, () => 'applied'));
    const chunks = [...new Set(turnsOfWrites)].map((turn) => turnsOfWrites.filter((candidate) => candidate === turn).length);
    expect(chunks).toStrictEqual([4, 4, 2]);
  });

  it('keeps every guarantee: duplicates in the same burst apply once, and the relay records every capture once', async () => {
    const { journal, platform, orders, events } = await burstOf(6, 2);
    const burst = [...events, ...events.slice(0, 3)];
    const results = await Promise.all(burst.map((event) => orders.handleProviderEvent(event)));
    expect(results.filter((result) => result.status === 'applied')).toHaveLength(6);
    expect(results.filter((result) => result.status === 'duplicate')).toHaveLength(3);
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: orders.outboxHandlers(), logger: createLogger({ level: 'silent' }) });
    expect(await relay.runOnce()).toMatchObject({ claimed: 6, delivered: 6 });
    expect(platform.orders().map((order) => order.canonicalState)).toStrictEqual(Array.from({ length: 6 }, () => 'paid'));
    for (const event of events) expect((await orders.order(`order-${events.indexOf(event)}`))?.state).toBe('paid');
  });

  it('gives the place back when an event is handled without a write (one place: each event waits for the one before)', async () => {
    const { orders, events } = await burstOf(1, 1);
    const capture = events[0] as PaymentWebhookEvent;
    const results = await Promise.all([
      orders.handleProviderEvent({ ...capture, providerReference: 'unknown' }),
      orders.handleProviderEvent(capture),
      orders.handleProviderEvent(capture),
      orders.handleProviderEvent({ ...capture, eventId: 'evt-again' }),
    ]);
    expect(results.map((result) => result.status)).toStrictEqual(['unknown_payment', 'applied', 'duplicate', 'ignored']);
  });
});
