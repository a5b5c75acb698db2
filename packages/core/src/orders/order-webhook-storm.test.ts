import { createSeededRandom, type InMemoryPaymentGateway, type SeededRandom } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import type { Money } from '../money/money.js';
import { type OrderState, orderStateMachine } from '../order/order-state.js';
import { createOutboxRelay } from '../outbox/outbox-relay.js';
import type { PaymentSnapshot, PaymentWebhookEventType } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { createOrderHarness, type OrderHarness, usd } from './__fixtures__/order-sync-harness.js';
import type { OrderEventResult } from './order-sync-types.js';

/** One webhook the provider would send. */
interface StormEvent {
  readonly gateway: InMemoryPaymentGateway;
  readonly eventId: string;
  readonly type: PaymentWebhookEventType;
  readonly providerReference: string;
  readonly amount?: Money | undefined;
  readonly operationReference?: string | undefined;
}

/** The canonical state provider truth says, written independently of the synchronizer. */
function stateOfProvider(snapshot: PaymentSnapshot, total: Money): OrderState {
  const { capturedAmount: captured, refundedAmount: refunded } = snapshot;
  if (refunded.isPositive()) return refunded.equals(captured) ? 'refunded' : 'partially_refunded';
  if (captured.isPositive()) return captured.equals(total) ? 'paid' : 'partially_paid';
  if (snapshot.state === 'voided') return 'cancelled';
  return snapshot.state === 'authorized' ? 'authorized' : 'payment_pending';
}

function shuffle<Item>(items: Item[], random: SeededRandom): Item[] {
  for (let index = items.length - 1; index > 0; index -= 1) {
    const other = random.integer(0, index);
    [items[index], items[other]] = [items[other] as Item, items[index] as Item];
  }
  return items;
}

/**
 * Runs real payments on the two in-memory providers (the provider truth) and returns every webhook
 * they would send, one script per order: authorize; capture (whole, or in two parts); refund (part,
 * or all in two parts); void (all, or the rest after a partial capture).
 */
async function runPayments(harness: OrderHarness, orders: number, random: SeededRandom): Promise<{ events: StormEvent[]; totals: Map<string, Money> }> {
  const events: StormEvent[] = [];
  const totals = new Map<string, Money>();
  for (let index = 0; index < orders; index += 1) {
    const orderId = `order-${String(index).padStart(3, '0')}`;
    const gateway = index % 2 === 0 ? harness.old : harness.next;
    const total = usd(1_000 * random.integer(1, 20));
    totals.set(orderId, total);
    harness.platform.addOrder({ orderId, total });
    const { providerReference } = await gateway.authorize({ idempotencyKey: `auth-${orderId}`, merchantReference: orderId, amount: total, paymentMethodToken: 'tok_visa' });
    await harness.orders.registerOrder({ orderId, total, payments: [{ paymentId: `pay-${orderId}`, provider: gateway.provider, providerReference, amount: total }] });
    let sequence = 0;
    const event = (type: PaymentWebhookEventType, amount?: Money, operationReference?: string): void => {
      sequence += 1;
      events.push({ gateway, eventId: `evt_${orderId}_${sequence}`, type, providerReference, amount, operationReference });
    };
    const capture = async (amount: Money, finalCapture: boolean): Promise<void> => {
      const result = await gateway.capture({ idempotencyKey: `cap-${orderId}-${sequence}`, providerReference, amount, finalCapture });
      event('payment.captured', amount, result.operationReference);
    };
    const refund = async (amount: Money): Promise<void> => {
      const result = await gateway.refund({ idempotencyKey: `ref-${orderId}-${sequence}`, providerReference, amount });
      event('payment.refunded', amount, result.operationReference);
    };
    const release = async (): Promise<void> => {
      const result = await gateway.cancel({ idempotencyKey: `void-${orderId}`, providerReference });
      event('payment.voided', result.amount);
    };
    event('payment.authorized', total);
    const half = usd(Number(total.minorUnits / 2n));
    switch (random.integer(0, 7)) {
      case 0:
        break;
      case 1:
        await capture(total, true);
        break;
      case 2:
        await capture(half, false);
        await capture(total.subtract(half), true);
        break;
      case 3:
        await capture(total, true);
        await refund(usd(100));
        break;
      case 4:
        await capture(total, true);
        await refund(half);
        await refund(total.subtract(half));
        break;
      case 5:
        await release();
        break;
      case 6:
        await capture(half, false);
        await release();
        break;
      default:
        await capture(total, true);
        await refund(total);
    }
  }
  return { events, totals };
}

describe('a webhook storm: 1,000 events over 100 orders, shuffled, with duplicates, delivered concurrently', () => {
  it.each([{ seed: 7 }, { seed: 42 }, { seed: 2026 }])('ends consistent with provider truth and the platform (seed $seed)', async ({ seed }) => {
    const harness = await createOrderHarness();
    const random = createSeededRandom(seed);
    const { events, totals } = await runPayments(harness, 100, random);
    const unique = events.length;
    const storm = [...events];
    while (storm.length < 1_000) storm.push(events[random.integer(0, events.length - 1)] as StormEvent);
    shuffle(storm, random);
    expect(storm).toHaveLength(1_000);

    // The platform side: every update delivered twice (at-least-once), while events keep coming.
    const handlers = harness.orders.outboxHandlers();
    const twice = Object.fromEntries(
      Object.entries(handlers).map(([topic, handler]) => [
        topic,
        async (message: Parameters<typeof handler>[0]) => {
          await handler(message);
          await handler(message);
        },
      ]),
    );
    const relay = createOutboxRelay({ journal: harness.journal, owner: 'storm-relay', handlers: twice, clock: harness.clock, logger: harness.logger, meter: harness.meter, batchSize: 200 });

    const results: OrderEventResult[] = [];
    let queue = storm;
    let rounds = 0;
    while (queue.length > 0) {
      rounds += 1;
      expect(rounds, 'deferred events must resolve').toBeLessThan(50);
      const deferred: StormEvent[] = [];
      for (let start = 0; start < queue.length; start += 25) {
        const slice = queue.slice(start, start + 25);
        const settled = await Promise.all(
          slice.map(async (stormEvent) => {
            const { gateway, ...body } = stormEvent;
            const verified = await gateway.verifyWebhook(gateway.signWebhook(body));
            return { stormEvent, result: await harness.orders.handleProviderEvent(verified) };
          }),
        );
        for (const { stormEvent, result } of settled) {
          results.push(result);
          // A provider redelivers what was not acknowledged.
          if (result.status === 'deferred') deferred.push(stormEvent);
        }
        await relay.runOnce();
      }
      queue = shuffle(deferred, random);
    }
    for (let round = 0; (await harness.journal.pendingOutboxCount({ topics: ['platform.order'] })) > 0; round += 1) {
      expect(round).toBeLessThan(100);
      await relay.runOnce();
    }

    const counts = results.reduce<Record<string, number>>((tally, result) => ({ ...tally, [result.status]: (tally[result.status] ?? 0) + 1 }), {});
    expect((counts['applied'] ?? 0) + (counts['ignored'] ?? 0)).toBe(unique);
    expect(counts['duplicate']).toBe(1_000 - unique);
    expect(counts['unknown_payment'] ?? 0).toBe(0);
    // The storm did reorder: refunds before captures waited, late authorizations changed nothing.
    expect(counts['deferred']).toBeGreaterThan(0);
    expect(counts['ignored']).toBeGreaterThan(0);

    const platformOrders = new Map(harness.platform.orders().map((order) => [order.orderId, order]));
    const snapshots = new Map([...harness.old.payments(), ...harness.next.payments()].map((snapshot) => [snapshot.merchantReference, snapshot]));
    for (const [orderId, total] of totals) {
      const order = await harness.orders.order(orderId);
      const expected = stateOfProvider(snapshots.get(orderId) as PaymentSnapshot, total);
      // Canonical state = provider truth = platform.
      expect(order?.state, orderId).toBe(expected);
      const platformOrder = platformOrders.get(orderId);
      expect(platformOrder?.canonicalState, orderId).toBe(expected);
      // Only along the machine, one version at a time.
      let state: OrderState = 'payment_pending';
      order?.history.forEach((entry, index) => {
        expect(entry.from, orderId).toBe(state);
        expect(orderStateMachine.canTransition(entry.from, entry.to), `${orderId}: ${entry.from} -> ${entry.to}`).toBe(true);
        expect(entry.version).toBe(index + 2);
        state = entry.to;
      });
      // Each platform update recorded once, and the money on the platform is the provider's.
      const transactions = platformOrder?.transactions ?? [];
      const keys = transactions.map((transaction) => `${transaction.kind}:${transaction.providerReference}`);
      expect(new Set(keys).size, orderId).toBe(keys.length);
      const sum = (kind: string): bigint => transactions.filter((transaction) => transaction.kind === kind).reduce((total, transaction) => total + transaction.amount.minorUnits, 0n);
      const snapshot = snapshots.get(orderId) as PaymentSnapshot;
      expect(sum('capture'), orderId).toBe(snapshot.capturedAmount.minorUnits);
      expect(sum('refund'), orderId).toBe(snapshot.refundedAmount.minorUnits);
    }
    expect(await harness.orders.escalations()).toEqual([]);
  });
});
