import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { JournalRecordInvalidError } from '../journal/journal-record-invalid-error.js';
import { Money } from '../money/money.js';
import { OutboxPayloadInvalidError } from '../outbox/outbox-errors.js';
import type { JournalRecord, OutboxMessage } from '../ports/journal/v1/journal.js';
import { authorizedOrderWithCaptureWebhook, createOrderHarness, rejectionOf } from './__fixtures__/order-sync-harness.js';
import { newOrderPayment } from './order-payment-facts.js';
import { type OrderRecord, OrderPaymentReferenceRepository, OrderRepository } from './order-records.js';
import { WrittenValueMemory, writtenValueMemoryCapacity } from '../journal/written-value-repository.js';

/** A registered order as the synchronizer writes it. */
function order(orderId: string): OrderRecord {
  const total = Money.of(5_000, 'EUR');
  const payment = { ...newOrderPayment({ paymentId: `pay-${orderId}`, provider: 'stripe', currency: 'EUR', providerReference: `pi_${orderId}`, amount: total, at: 1 }), authorized: total };
  return {
    orderId,
    platform: 'memory',
    state: 'authorized',
    version: 1,
    stateEnteredAt: 1,
    paymentIds: [payment.paymentId],
    payments: [payment],
    amounts: { total, authorized: total, captured: Money.zero('EUR'), refunded: Money.zero('EUR') },
    lastEventAt: 1,
    history: [],
    flags: [],
    createdAt: 1,
    updatedAt: 1,
  };
}

async function openJournal(): Promise<InMemoryJournal> {
  const journal = new InMemoryJournal();
  await journal.open();
  return journal;
}

describe('WrittenValueMemory', () => {
  it('answers the value of a key only for the exact text it was written as', () => {
    const memory = new WrittenValueMemory<{ readonly n: number }>(4);
    const value = { n: 1 };
    memory.remember('a', '{"n":1}', value);
    expect(memory.recall('a', '{"n":1}')).toBe(value);
    expect(memory.recall('a', '{"n":1} ')).toBeUndefined();
    expect(memory.recall('a', '{"n":2}')).toBeUndefined();
    expect(memory.recall('b', '{"n":1}')).toBeUndefined();
    // A later write of the key replaces the earlier one.
    const later = { n: 2 };
    memory.remember('a', '{"n":2}', later);
    expect(memory.recall('a', '{"n":1}')).toBeUndefined();
    expect(memory.recall('a', '{"n":2}')).toBe(later);
    expect(memory.size).toBe(1);
  });

  it('freezes what it remembers, deeply (every later reader shares it), leaving frozen members alone', () => {
    const memory = new WrittenValueMemory<{ readonly list: { n: number }[]; readonly amount: Money }>(4);
    const amount = Money.of(100, 'EUR');
    const value = { list: [{ n: 1 }], amount };
    memory.remember('a', 'text', value);
    expect(Object.isFrozen(value) && Object.isFrozen(value.list) && Object.isFrozen(value.list[0])).toBe(true);
    expect(() => {
      (value.list[0] as { n: number }).n = 2;
    }).toThrow(TypeError);
    expect(value.amount).toBe(amount);
  });

  it('freezes members of its own only: what the value inherits is not its to freeze', () => {
    const memory = new WrittenValueMemory<{ readonly own: { n: number } }>(4);
    const inherited = { shared: { n: 1 } };
    const value = Object.assign(Object.create(inherited) as { own: { n: number } }, { own: { n: 2 } });
    memory.remember('a', 'text', value);
    expect(Object.isFrozen(value) && Object.isFrozen(value.own)).toBe(true);
    expect(Object.isFrozen(inherited.shared)).toBe(false);
  });

  it('keeps the most recently written keys only, forgetting the oldest first', () => {
    const memory = new WrittenValueMemory<number>(2);
    memory.remember('a', 'a', 1);
    memory.remember('b', 'b', 2);
    // Written again: now the most recent, so `b` is the oldest.
    memory.remember('a', 'a', 3);
    memory.remember('c', 'c', 4);
    expect(memory.size).toBe(2);
    expect([memory.recall('a', 'a'), memory.recall('b', 'b'), memory.recall('c', 'c')]).toStrictEqual([3, undefined, 4]);
  });

  it('forgets a key once it is taken, and keeps it when the text differs', () => {
    const memory = new WrittenValueMemory<number>(2);
    memory.remember('a', 'a', 1);
    expect(memory.take('a', 'other')).toBeUndefined();
    expect(memory.size).toBe(1);
    expect(memory.take('a', 'a')).toBe(1);
    expect(memory.size).toBe(0);
    expect(memory.take('a', 'a')).toBeUndefined();
  });
});

describe('WrittenValueRepository (orders, payment references)', () => {
  it('answers an order this process wrote without decoding it, with the journal version', async () => {
    const journal = await openJournal();
    const orders = new OrderRepository(journal);
    const value = order('o1');
    await journal.write({ puts: [orders.put(value, 0)] });
    const decode = vi.spyOn(JSON, 'parse');
    const stored = await orders.get('o1');
    expect(decode).not.toHaveBeenCalled();
    decode.mockRestore();
    expect(stored?.value).toBe(value);
    expect(stored?.version).toBe(1);
    expect(stored?.index).toBe('authorized');
    expect(Object.isFrozen(stored)).toBe(true);
  });

  it('decodes and validates a record written by someone else, even under a remembered key', async () => {
    const journal = await openJournal();
    const orders = new OrderRepository(journal);
    const elsewhere = new OrderRepository(journal);
    const value = order('o1');
    await journal.write({ puts: [orders.put(value, 0)] });
    // Another process (its own memory) moves the order on: the text differs from ours.
    const moved: OrderRecord = { ...value, state: 'paid', version: 2, updatedAt: 2 };
    await journal.write({ puts: [elsewhere.put(moved, 1)] });
    const stored = await orders.get('o1');
    expect(stored?.value).not.toBe(moved);
    expect(stored?.value.state).toBe('paid');
    expect(stored?.value.amounts.total.equals(value.amounts.total)).toBe(true);
    expect(Money.isInstance(stored?.value.amounts.total)).toBe(true);
    expect(stored?.version).toBe(2);
  });

  it('still refuses a damaged record whose key it remembers', async () => {
    const orders = new OrderRepository(await openJournal());
    const value = order('o1');
    const put = orders.put(value, 0);
    const damaged: JournalRecord = { collection: 'orders', key: 'o1', value: put.value.replace('"authorized"', '"teleported"'), version: 1, index: 'authorized', updatedAt: 1, lease: undefined };
    expect(() => orders.decode(damaged)).toThrow(JournalRecordInvalidError);
    expect(orders.decode({ ...damaged, value: put.value }).value).toBe(value);
  });

  it('answers payment references it wrote without decoding them', async () => {
    const journal = await openJournal();
    const references = new OrderPaymentReferenceRepository(journal);
    const reference = { provider: 'stripe', providerReference: 'pi_1', orderId: 'o1', paymentId: 'pay-1' };
    await journal.write({ puts: [references.put(reference, 'any')] });
    expect((await references.get('stripe:pi_1'))?.value).toBe(reference);
    // A fresh repository (another process) decodes the same text to an equal value.
    const decoded = (await new OrderPaymentReferenceRepository(journal).get('stripe:pi_1'))?.value;
    expect(decoded).not.toBe(reference);
    expect(decoded).toStrictEqual(reference);
  });

  it('remembers a bounded number of records', () => {
    expect(writtenValueMemoryCapacity).toBeGreaterThanOrEqual(1_024);
  });
});

describe('platform updates read back by the relay', () => {
  /** A paid order whose platform update is pending, and the message carrying it. */
  async function pendingUpdate() {
    const harness = await createOrderHarness();
    const event = await authorizedOrderWithCaptureWebhook(harness);
    expect(await harness.orders.handleProviderEvent(event)).toMatchObject({ status: 'applied' });
    const [message] = await harness.memory.claimOutbox({ owner: 'peek', leaseMs: 1, limit: 10, topics: ['platform.order'] });
    await harness.clock.advance(1);
    return { harness, message: message as OutboxMessage };
  }

  it('are delivered from the update the synchronizer enqueued, and again (decoded) when redelivered', async () => {
    const { harness, message } = await pendingUpdate();
    const deliver = harness.orders.outboxHandlers()['platform.order'] as (message: OutboxMessage) => Promise<void>;
    await deliver(message);
    // At least once: the same message again is decoded from its payload and changes nothing more.
    await deliver(message);
    const [platformOrder] = harness.platform.orders();
    expect(platformOrder?.canonicalState).toBe('paid');
    expect(platformOrder?.transactions.map((transaction) => `${transaction.kind}:${transaction.amount.toString()}`)).toStrictEqual(['capture:100.00 USD']);
  });

  it('are decoded by a synchronizer that did not enqueue them', async () => {
    const { harness, message } = await pendingUpdate();
    await (harness.create().outboxHandlers()['platform.order'] as (message: OutboxMessage) => Promise<void>)(message);
    expect(harness.platform.orders()[0]?.canonicalState).toBe('paid');
  });

  it('are validated when the payload differs from the one enqueued under the same deduplication id', async () => {
    const { harness, message } = await pendingUpdate();
    const deliver = harness.orders.outboxHandlers()['platform.order'] as (message: OutboxMessage) => Promise<void>;
    const damaged = { ...message, payload: message.payload.replace('"orderId":"order-1"', '"orderId":""') };
    const error = await rejectionOf(() => deliver(damaged));
    expect(OutboxPayloadInvalidError.isInstance(error)).toBe(true);
    expect(harness.platform.orders()[0]?.transactions).toHaveLength(0);
    // The remembered update is still there for the real payload.
    await deliver(message);
    expect(harness.platform.orders()[0]?.canonicalState).toBe('paid');
  });
});
