import { Writable } from 'node:stream';
import { createNoopMeter, type Meter } from '@opentelemetry/api';
import { InMemoryCommercePlatform, InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { ProviderUnavailableError } from '../errors/provider-errors.js';
import { Money } from '../money/money.js';
import { createLogger } from '../observability/logger.js';
import type { OutboxMessage, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import { OutboxPayloadInvalidError } from './outbox-errors.js';
import { createOutboxRelay, type OutboxHandler } from './outbox-relay.js';
import { platformPaymentHandler } from './platform-payment-handler.js';
import { decodePlatformPaymentMessage, encodePlatformPaymentMessage, type PlatformPaymentMessage, platformPaymentTopic } from './platform-payment-message.js';

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

async function setup() {
  const clock = new ManualClock();
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  });
  return { clock, journal, logger, lines };
}

function paymentMessage(overrides: Partial<PlatformPaymentMessage> = {}): PlatformPaymentMessage {
  return {
    type: 'payment.authorized',
    paymentId: 'pay_1',
    orderId: 'order-1',
    merchantReference: 'ref-1',
    provider: 'stripe',
    providerReference: 'pi_1',
    amount: usd(10_000),
    intentId: 'pay_1.authorize.1',
    occurredAt: 1,
    ...overrides,
  };
}

function enqueue(message: PlatformPaymentMessage, deduplicationId = message.intentId): OutboxMessageInput {
  return { topic: platformPaymentTopic, orderingKey: message.orderId ?? message.paymentId, deduplicationId, payload: encodePlatformPaymentMessage(message) };
}

describe('createOutboxRelay', () => {
  it('delivers committed messages to their topic handler and acknowledges them', async () => {
    const { journal, clock, logger } = await setup();
    await journal.write({
      outbox: [
        { topic: 'a', orderingKey: 'k1', deduplicationId: 'd1', payload: '1' },
        { topic: 'b', orderingKey: 'k2', deduplicationId: 'd2', payload: '2' },
        { topic: 'ignored', orderingKey: 'k3', deduplicationId: 'd3', payload: '3' },
      ],
    });
    const delivered: string[] = [];
    const handler: OutboxHandler = async (message) => {
      delivered.push(`${message.topic}:${message.payload}`);
    };
    const counted: Array<{ value: number; attributes: unknown }> = [];
    const meter = Object.assign(Object.create(createNoopMeter()) as Meter, {
      createCounter: () => ({ add: (value: number, attributes: unknown) => counted.push({ value, attributes }) }),
    });
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { a: handler, b: handler }, clock, logger, meter });
    expect(await relay.runOnce()).toEqual({ claimed: 2, delivered: 2, failed: 0 });
    expect(counted).toContainEqual({ value: 1, attributes: { topic: 'a', outcome: 'delivered' } });
    expect(delivered.sort()).toEqual(['a:1', 'b:2']);
    expect(await journal.pendingOutboxCount()).toBe(1);
    expect(await relay.runOnce()).toEqual({ claimed: 0, delivered: 0, failed: 0 });
  });

  it('a failed delivery is released with exponential back-off and the error code, then retried', async () => {
    const { journal, clock, logger, lines } = await setup();
    await journal.write({ outbox: [{ topic: 'a', orderingKey: 'k', deduplicationId: 'd', payload: 'x' }] });
    let failures = 4;
    const handler: OutboxHandler = async () => {
      failures -= 1;
      if (failures === 3) throw new ProviderUnavailableError('down', { provider: 'shopify' });
      if (failures === 2) throw new TypeError('boom');
      // Something that is not even an Error.
      if (failures === 1) throw 'a string';
    };
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { a: handler }, clock, logger, retry: { baseDelayMs: 100, maxDelayMs: 250 } });
    expect(await relay.runOnce()).toEqual({ claimed: 1, delivered: 0, failed: 1 });
    const [afterFirst] = await journal.claimOutbox({ owner: 'peek', leaseMs: 1, limit: 1 });
    expect(afterFirst).toBeUndefined();
    expect(lines.at(-1)).toMatchObject({ errorCode: 'PROVIDER_UNAVAILABLE', retryInMs: 100, attempts: 1 });
    await clock.advance(100);
    expect(await relay.runOnce()).toMatchObject({ failed: 1 });
    expect(lines.at(-1)).toMatchObject({ retryInMs: 200, errorCode: 'TypeError' });
    await clock.advance(199);
    expect(await relay.runOnce()).toMatchObject({ claimed: 0 });
    await clock.advance(1);
    expect(await relay.runOnce()).toMatchObject({ failed: 1 });
    expect(lines.at(-1)).toMatchObject({ retryInMs: 250, errorCode: 'UNKNOWN_ERROR' });
    const [released] = await journal.claimOutbox({ owner: 'peek', leaseMs: 1, limit: 1 });
    expect(released).toBeUndefined();
    await clock.advance(250);
    expect(await relay.runOnce()).toEqual({ claimed: 1, delivered: 1, failed: 0 });
    expect(await journal.pendingOutboxCount()).toBe(0);
  });

  it('a message with the same ordering key waits for the earlier one, also while it backs off', async () => {
    const { journal, clock, logger } = await setup();
    await journal.write({
      outbox: [
        { topic: 'a', orderingKey: 'order-1', deduplicationId: '1', payload: 'first' },
        { topic: 'a', orderingKey: 'order-1', deduplicationId: '2', payload: 'second' },
        { topic: 'a', orderingKey: 'order-2', deduplicationId: '3', payload: 'other order' },
      ],
    });
    const delivered: string[] = [];
    let failFirst = true;
    const relay = createOutboxRelay({
      journal,
      owner: 'relay-1',
      clock,
      logger,
      retry: { baseDelayMs: 1_000 },
      handlers: {
        a: async (message) => {
          if (message.payload === 'first' && failFirst) {
            failFirst = false;
            throw new Error('platform hiccup');
          }
          delivered.push(message.payload);
        },
      },
    });
    await relay.runOnce();
    await relay.runOnce();
    expect(delivered).toEqual(['other order']);
    await clock.advance(1_000);
    await relay.runOnce();
    await relay.runOnce();
    expect(delivered).toEqual(['other order', 'first', 'second']);
  });

  it('an invalid payload is kept for an operator: released with the longest delay and logged as an error', async () => {
    const { journal, clock, logger, lines } = await setup();
    const platform = new InMemoryCommercePlatform({ clock });
    await journal.write({ outbox: [{ topic: platformPaymentTopic, orderingKey: 'k', deduplicationId: 'd', payload: '{"type":"payment.teleported"}' }] });
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { [platformPaymentTopic]: platformPaymentHandler(platform) }, clock, logger, retry: { maxDelayMs: 60_000 } });
    expect(await relay.runOnce()).toMatchObject({ failed: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 50, errorCode: 'OUTBOX_PAYLOAD_INVALID', retryInMs: 60_000 });
    expect(await journal.pendingOutboxCount()).toBe(1);
  });

  it('an acknowledgement after the lease was taken over is ignored and logged (the message is delivered again: at least once)', async () => {
    const { journal, clock, logger, lines } = await setup();
    await journal.write({ outbox: [{ topic: 'a', orderingKey: 'k', deduplicationId: 'd', payload: 'x' }] });
    let deliveries = 0;
    const relay = createOutboxRelay({
      journal,
      owner: 'relay-1',
      clock,
      logger,
      leaseMs: 1_000,
      handlers: {
        a: async () => {
          deliveries += 1;
          if (deliveries === 1) {
            await clock.advance(1_000);
            await journal.claimOutbox({ owner: 'relay-2', leaseMs: 1_000, limit: 1 });
          }
        },
      },
    });
    expect(await relay.runOnce()).toMatchObject({ delivered: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 40, msg: 'Outbox acknowledgement ignored: the lease was taken over' });
    expect(await journal.pendingOutboxCount()).toBe(1);
  });

  it('start() runs until aborted, immediately again after a full batch, and survives a failing run', async () => {
    const { journal, clock, logger, lines } = await setup();
    await journal.write({ outbox: Array.from({ length: 3 }, (_, index) => ({ topic: 'a', orderingKey: `k${index}`, deduplicationId: `d${index}`, payload: String(index) })) });
    const delivered: string[] = [];
    const relay = createOutboxRelay({ journal, owner: 'relay-1', clock, logger, batchSize: 2, handlers: { a: async (message) => void delivered.push(message.payload) } });
    const controller = new AbortController();
    const claimOutbox = journal.claimOutbox.bind(journal);
    let runs = 0;
    journal.claimOutbox = async (options) => {
      runs += 1;
      if (runs === 3) throw new PaymigrateError('JOURNAL_CLOSED', 'closed');
      return claimOutbox(options);
    };
    const running = relay.start({ intervalMs: 500, signal: controller.signal });
    await clock.advance(0);
    // Acknowledgements are coalesced on the next turn of the event loop: the second run follows it.
    await vi.waitFor(() => expect(delivered.sort()).toEqual(['0', '1', '2']));
    await vi.waitFor(() => expect(runs).toBe(2));
    // Caught up: it pauses once the acknowledgements settled.
    await vi.waitFor(() => expect(clock.pendingSleepers).toBe(1));
    await clock.advance(500);
    expect(lines.some((line) => line['errorCode'] === 'JOURNAL_CLOSED')).toBe(true);
    await clock.advance(500);
    expect(runs).toBe(4);
    controller.abort();
    await running;
    await expect(relay.start({ intervalMs: 500, signal: AbortSignal.abort() })).resolves.toBeUndefined();
    journal.claimOutbox = async () => {
      throw new TypeError('odd');
    };
    const again = new AbortController();
    const second = relay.start({ intervalMs: 500, signal: again.signal });
    await clock.advance(0);
    expect(lines.at(-1)).toMatchObject({ errorCode: 'TypeError' });
    again.abort();
    await second;
  });

  it('start() claims the next batch once the handlers are done, without waiting for the acknowledgements (a few runs at most)', async () => {
    const { journal, clock, logger } = await setup();
    await journal.write({ outbox: Array.from({ length: 6 }, (_, index) => ({ topic: 'a', orderingKey: `k${index}`, deduplicationId: `d${index}`, payload: String(index) })) });
    const acknowledgeOutbox = journal.acknowledgeOutbox.bind(journal);
    let openAcknowledgements: () => void = () => undefined;
    const acknowledgementsOpen = new Promise<void>((resolve) => {
      openAcknowledgements = resolve;
    });
    journal.acknowledgeOutbox = async (input) => {
      await acknowledgementsOpen;
      return acknowledgeOutbox(input);
    };
    const claimOutbox = vi.spyOn(journal, 'claimOutbox');
    const delivered: string[] = [];
    const relay = createOutboxRelay({ journal, owner: 'relay-1', clock, logger, batchSize: 1, handlers: { a: async (message) => void delivered.push(message.payload) } });
    const controller = new AbortController();
    const running = relay.start({ intervalMs: 500, signal: controller.signal });
    // Four runs delivered while none of their acknowledgements is durable; the fifth waits for one.
    await vi.waitFor(() => expect(delivered).toStrictEqual(['0', '1', '2', '3']));
    await new Promise((resolve) => setImmediate(resolve));
    expect(claimOutbox).toHaveBeenCalledTimes(4);
    expect(await journal.pendingOutboxCount()).toBe(6);
    openAcknowledgements();
    await vi.waitFor(() => expect(delivered).toHaveLength(6));
    await vi.waitFor(async () => expect(await journal.pendingOutboxCount()).toBe(0));
    controller.abort();
    await running;
  });

  it('runOnce() rejects with an acknowledgement that failed while a slower handler of the run was still busy', async () => {
    const { journal, clock, logger } = await setup();
    await journal.write({ outbox: ['fast', 'slow'].map((payload) => ({ topic: 'a', orderingKey: payload, deduplicationId: payload, payload })) });
    const failure = new PaymigrateError('JOURNAL_BUSY', 'busy');
    const acknowledgeOutbox = vi.spyOn(journal, 'acknowledgeOutbox').mockRejectedValueOnce(failure);
    let finishSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      finishSlow = resolve;
    });
    const relay = createOutboxRelay({ journal, owner: 'relay-1', clock, logger, handlers: { a: async (message) => (message.payload === 'slow' ? slow : undefined) } });
    const run = relay.runOnce();
    // The fast message's acknowledgement fails while the slow handler still runs.
    await vi.waitFor(() => expect(acknowledgeOutbox).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setImmediate(resolve));
    finishSlow();
    await expect(run).rejects.toBe(failure);
    // The slow one is acknowledged; the fast one stays claimed and comes back after its lease.
    await vi.waitFor(async () => expect(await journal.pendingOutboxCount()).toBe(1));
    expect(acknowledgeOutbox).toHaveBeenCalledTimes(2);
  });

  it('start() logs a failed acknowledgement and goes on; the message comes back after its lease (at least once)', async () => {
    const { journal, clock, logger, lines } = await setup();
    await journal.write({ outbox: [{ topic: 'a', orderingKey: 'k', deduplicationId: 'd', payload: 'x' }] });
    const acknowledgeOutbox = journal.acknowledgeOutbox.bind(journal);
    let failures = 0;
    journal.acknowledgeOutbox = async (input) => {
      failures += 1;
      if (failures === 1) throw new PaymigrateError('JOURNAL_BUSY', 'busy');
      return acknowledgeOutbox(input);
    };
    let deliveries = 0;
    const relay = createOutboxRelay({ journal, owner: 'relay-1', clock, logger, leaseMs: 1_000, handlers: { a: async () => void (deliveries += 1) } });
    const controller = new AbortController();
    const running = relay.start({ intervalMs: 500, signal: controller.signal });
    await vi.waitFor(() => expect(lines.some((line) => line['msg'] === 'Outbox acknowledgement failed; the messages are delivered again after their lease')).toBe(true));
    expect(lines.find((line) => line['errorCode'] === 'JOURNAL_BUSY')).toMatchObject({ level: 50 });
    await clock.advance(1_000);
    await vi.waitFor(() => expect(deliveries).toBe(2));
    await vi.waitFor(async () => expect(await journal.pendingOutboxCount()).toBe(0));
    controller.abort();
    await running;
  });

  it('defaults its clock, logger and meter', async () => {
    const journal = new InMemoryJournal();
    await journal.open();
    await journal.write({ outbox: [{ topic: 'a', orderingKey: 'k', deduplicationId: 'd', payload: 'x' }] });
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { a: async () => undefined } });
    expect(await relay.runOnce()).toEqual({ claimed: 1, delivered: 1, failed: 0 });
  });

  it('validates its options once, naming the option', () => {
    const journal = new InMemoryJournal();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ journal: {}, owner: 'o', handlers: { a: async () => undefined } }, 'outboxRelay.journal'],
      [{ journal: null, owner: 'o', handlers: { a: async () => undefined } }, 'outboxRelay.journal'],
      [{ journal, owner: '', handlers: { a: async () => undefined } }, 'outboxRelay.owner'],
      [{ journal, owner: 'o', handlers: {} }, 'outboxRelay.handlers'],
      [{ journal, owner: 'o', handlers: { a: 'not a function' } }, 'outboxRelay.handlers.a'],
      [{ journal, owner: 'o', handlers: { a: async () => undefined }, batchSize: 0 }, 'outboxRelay.batchSize'],
    ];
    for (const [options, option] of cases) {
      expect(() => createOutboxRelay(options as never)).toThrowError(expect.objectContaining({ option }) as Error);
      expect(() => createOutboxRelay(options as never)).toThrow(expect.toSatisfy(ConfigurationError.isInstance));
    }
  });
});

describe('platformPaymentHandler', () => {
  it('records payments on the order, idempotently by deduplication id: a redelivery records nothing twice', async () => {
    const { journal, clock, logger } = await setup();
    const platform = new InMemoryCommercePlatform({ clock });
    platform.addOrder({ orderId: 'order-1', total: usd(10_000) });
    const messages = [
      paymentMessage(),
      paymentMessage({ type: 'payment.captured', amount: usd(6_000), intentId: 'pay_1.capture.1', operationReference: 'cap_1' }),
      paymentMessage({ type: 'payment.refunded', amount: usd(1_000), intentId: 'pay_1.refund.1', operationReference: 'ref_1' }),
    ];
    await journal.write({ outbox: messages.map((message) => enqueue(message)) });
    const handler = platformPaymentHandler(platform);
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { [platformPaymentTopic]: handler }, clock, logger });
    for (let run = 0; run < 3; run += 1) await relay.runOnce();
    const [order] = platform.orders();
    expect(order?.transactions.map((transaction) => `${transaction.kind}:${transaction.amount.toString()}`)).toEqual([
      'authorization:100.00 USD',
      'capture:60.00 USD',
      'refund:10.00 USD',
    ]);
    expect(order?.canonicalState).toBe('partially_refunded');
    // At least once: the same message delivered again (a crash before acknowledging) records nothing new.
    await handler({ ...enqueue(messages[1]!), sequence: 2, attempts: 2, enqueuedAt: 0, availableAt: 0, lease: undefined, lastError: undefined });
    expect(platform.orders()[0]?.transactions).toHaveLength(3);
  });

  it('acknowledges without a platform call what moves no money on an order', async () => {
    const platform = new InMemoryCommercePlatform();
    const handler = platformPaymentHandler(platform);
    const asMessage = (message: PlatformPaymentMessage): OutboxMessage => ({ ...enqueue(message), sequence: 1, attempts: 1, enqueuedAt: 0, availableAt: 0, lease: undefined, lastError: undefined });
    await handler(asMessage(paymentMessage({ type: 'payment.failed' })));
    await handler(asMessage(paymentMessage({ orderId: undefined })));
    await handler(asMessage(paymentMessage({ providerReference: undefined })));
    platform.addOrder({ orderId: 'order-1', total: usd(10_000), canonicalState: 'authorized' });
    expect(platform.orders()[0]?.transactions).toEqual([]);
    await handler(asMessage(paymentMessage({ type: 'payment.voided', amount: usd(10_000), intentId: 'pay_1.cancel.1' })));
    expect(platform.orders()[0]?.transactions.map((transaction) => transaction.kind)).toEqual(['void']);
  });

  it('a platform failure fails the delivery (the relay retries it)', async () => {
    const platform = new InMemoryCommercePlatform();
    platform.setAvailable(false);
    const handler = platformPaymentHandler(platform);
    const message: OutboxMessage = { ...enqueue(paymentMessage()), sequence: 1, attempts: 1, enqueuedAt: 0, availableAt: 0, lease: undefined, lastError: undefined };
    await expect(handler(message)).rejects.toSatisfy(ProviderUnavailableError.isInstance);
  });
});

describe('payment message payloads', () => {
  it('round-trip and refuse what is not a payment message', () => {
    const message = paymentMessage();
    const decoded = decodePlatformPaymentMessage({ payload: encodePlatformPaymentMessage(message), topic: 't', sequence: 1 });
    expect(decoded.amount.equals(message.amount)).toBe(true);
    expect(decoded).toEqual(message);
    expect(() => decodePlatformPaymentMessage({ payload: 'nope', topic: 't', sequence: 7 })).toThrow(/Outbox message 7 on topic 't' has an invalid payload: it is not JSON/);
    expect(() => decodePlatformPaymentMessage({ payload: '{}', topic: 't', sequence: 7 })).toThrow(/'type'/);
  });
});

describe('OutboxPayloadInvalidError', () => {
  it('has a stable code and fields, and isInstance recognizes only it', () => {
    const error = new OutboxPayloadInvalidError({ topic: 't', sequence: 3, problem: 'bad' });
    expect(error).toMatchObject({ name: 'OutboxPayloadInvalidError', code: 'OUTBOX_PAYLOAD_INVALID', topic: 't', sequence: 3, isRetryable: false });
    expect(OutboxPayloadInvalidError.isInstance(error)).toBe(true);
    expect(PaymigrateError.isInstance(error)).toBe(true);
    for (const other of [new PaymigrateError('X', 'x'), new ProviderUnavailableError('x', { provider: 'p' }), new Error('x'), undefined, { code: 'OUTBOX_PAYLOAD_INVALID' }]) {
      expect(OutboxPayloadInvalidError.isInstance(other)).toBe(false);
    }
  });
});
