import { InMemoryCommercePlatform, InMemoryJournal, InMemoryPaymentGateway, ManualClock } from '@paymigrate/testkit';
import type { Meter } from '@opentelemetry/api';
import { Money } from '../../money/money.js';
import type { Logger } from '../../observability/logger.js';
import type { OrderState } from '../../order/order-state.js';
import type { CommercePlatformV1 } from '../../ports/commerce-platform/v1/commerce-platform.js';
import { createOutboxRelay, type OutboxRelay } from '../../outbox/outbox-relay.js';
import type { PaymentWebhookEvent, PaymentWebhookEventType } from '../../ports/payment-gateway/v1/payment-gateway-types.js';
import {
  capturingLogger,
  HookedJournal,
  type MetricRecord,
  recordingMeter,
  SwitchableSelector,
} from '../../transactions/__fixtures__/transaction-harness.js';
import { createTransactionStateManager } from '../../transactions/transaction-state-manager.js';
import type { TransactionStateManager } from '../../transactions/transaction-types.js';
import type { OrderStateSynchronizerOptions } from '../order-sync-options.js';
import type { OrderStateSynchronizer } from '../order-sync-types.js';
import { createOrderStateSynchronizer } from '../order-state-synchronizer.js';

/** US dollars in cents. */
export const usd = (cents: number): Money => Money.of(cents, 'USD');

/** Everything an order synchronizer test needs, wired together. */
export interface OrderHarness {
  readonly clock: ManualClock;
  readonly memory: InMemoryJournal;
  readonly journal: HookedJournal;
  /** The old provider (`stripe`). */
  readonly old: InMemoryPaymentGateway;
  /** The new provider (`adyen`). */
  readonly next: InMemoryPaymentGateway;
  readonly selector: SwitchableSelector;
  readonly platform: InMemoryCommercePlatform;
  readonly transactions: TransactionStateManager;
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  readonly meter: Meter;
  readonly metrics: MetricRecord[];
  /** The synchronizer under test (created with the harness's parts). */
  readonly orders: OrderStateSynchronizer;
  /** Another synchronizer over the same parts, with `overrides`. */
  create(overrides?: Partial<OrderStateSynchronizerOptions>): OrderStateSynchronizer;
  /** A relay delivering the synchronizer's topics (platform.payment and platform.order). */
  relay(owner?: string, synchronizer?: OrderStateSynchronizer): OutboxRelay;
  /** Runs the relay until nothing it handles is pending (moving the clock past back-offs). */
  drain(synchronizer?: OrderStateSynchronizer): Promise<void>;
  /** Creates an order on the platform and a payment for it through the state manager. */
  placeOrder(input: { readonly orderId: string; readonly amount: Money; readonly capture?: boolean | undefined; readonly captureMethod?: 'manual' | 'automatic' }): Promise<string>;
  /** A verified webhook of `gateway` (signed and verified by the in-memory provider). */
  webhook(
    gateway: InMemoryPaymentGateway,
    event: { readonly type: PaymentWebhookEventType; readonly providerReference: string; readonly eventId: string; readonly amount?: Money; readonly success?: boolean; readonly operationReference?: string },
  ): Promise<PaymentWebhookEvent>;
}

/** The topics a harness relay delivers. */
export const relayedTopics = ['platform.payment', 'platform.order'] as const;

/**
 * Two in-memory providers (`stripe` = old, `adyen` = new), an in-memory platform, a Transaction
 * State Manager (the synchronizer's payment operations), a manual clock, a capturing logger and a
 * recording meter.
 */
export async function createOrderHarness(options: { readonly overrides?: Partial<OrderStateSynchronizerOptions> } = {}): Promise<OrderHarness> {
  const clock = new ManualClock();
  const memory = new InMemoryJournal({ clock });
  await memory.open();
  const journal = new HookedJournal(memory);
  const old = new InMemoryPaymentGateway({ provider: 'stripe', clock });
  const next = new InMemoryPaymentGateway({ provider: 'adyen', clock });
  const selector = new SwitchableSelector('stripe');
  const platform = new InMemoryCommercePlatform({ clock, platform: 'memory' });
  const { logger, lines } = capturingLogger();
  const { meter, records } = recordingMeter();
  const transactions = createTransactionStateManager({
    journal,
    gateways: [old, next],
    selectProvider: selector,
    clock,
    logger,
    meter,
    retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
    unknownOutcome: { resolveAfterMs: 0, lookupDelayMs: 0 },
  });
  const create = (overrides: Partial<OrderStateSynchronizerOptions> = {}): OrderStateSynchronizer =>
    createOrderStateSynchronizer({ journal, platform, operations: transactions, gateways: [old, next], clock, logger, meter, ...options.overrides, ...overrides });
  const orders = create();
  const relay = (owner = 'relay-test', synchronizer = orders): OutboxRelay =>
    createOutboxRelay({ journal, owner, handlers: synchronizer.outboxHandlers(), clock, logger, meter, retry: { baseDelayMs: 10, maxDelayMs: 10 } });
  const defaultRelay = relay();
  const drain = async (synchronizer?: OrderStateSynchronizer): Promise<void> => {
    const runner = synchronizer === undefined ? defaultRelay : relay('relay-drain', synchronizer);
    for (let round = 0; round < 1_000; round += 1) {
      await runner.runOnce();
      if ((await journal.pendingOutboxCount({ topics: relayedTopics })) === 0) return;
      await clock.advance(10);
    }
    throw new Error('the outbox did not drain');
  };
  let placed = 0;
  const placeOrder: OrderHarness['placeOrder'] = async (input) => {
    placed += 1;
    platform.addOrder({ orderId: input.orderId, total: input.amount });
    const paymentId = `pay_${input.orderId.replace(/[^A-Za-z0-9_-]/g, '')}_${placed}`;
    await transactions.authorize({
      paymentId,
      merchantReference: `${input.orderId}-${placed}`,
      orderId: input.orderId,
      amount: input.amount,
      paymentMethodToken: 'tok_visa',
      captureMethod: input.captureMethod,
    });
    if (input.capture === true) await transactions.capture({ paymentId });
    await drain();
    return paymentId;
  };
  const webhook: OrderHarness['webhook'] = (gateway, event) => gateway.verifyWebhook(gateway.signWebhook(event));
  return { clock, memory, journal, old, next, selector, platform, transactions, logger, lines, meter, metrics: records, orders, create, relay, drain, placeOrder, webhook };
}

/** The in-memory platform with some of its methods replaced (the rest delegate to it). */
export function platformWith(platform: InMemoryCommercePlatform, overrides: Partial<CommercePlatformV1>): CommercePlatformV1 {
  return {
    specificationVersion: 'v1',
    platform: platform.platform,
    getOrder: (input, callOptions) => platform.getOrder(input, callOptions),
    listOpenOrders: (input, callOptions) => platform.listOpenOrders(input, callOptions),
    recordPayment: (input, callOptions) => platform.recordPayment(input, callOptions),
    cancelOrder: (input, callOptions) => platform.cancelOrder(input, callOptions),
    getCart: (input, callOptions) => platform.getCart(input, callOptions),
    verifyWebhook: (request, callOptions) => platform.verifyWebhook(request, callOptions),
    ...overrides,
  };
}

/** What `action` rejected with; fails the test when it resolves (the testkit's `captureError`). */
export { captureError as rejectionOf } from '@paymigrate/testkit';

/** The states an order's history went through, starting with `first`. */
export function statesOf(history: readonly { readonly to: OrderState }[], first: OrderState): OrderState[] {
  return [first, ...history.map((entry) => entry.to)];
}

/**
 * Order `order-1` ($100) registered as authorized at the old provider (payment `pay-1`), and the
 * verified `payment.captured` webhook (`evt_cap`, operation `cap_1`) that would make it paid.
 */
export async function authorizedOrderWithCaptureWebhook(harness: OrderHarness): Promise<PaymentWebhookEvent> {
  harness.platform.addOrder({ orderId: 'order-1', total: usd(10_000) });
  const snapshot = await harness.old.authorize({ idempotencyKey: 'auth-1', merchantReference: 'order-1', amount: usd(10_000), paymentMethodToken: 'tok_visa' });
  await harness.orders.registerOrder({
    orderId: 'order-1',
    total: usd(10_000),
    state: 'authorized',
    payments: [{ paymentId: 'pay-1', provider: 'stripe', providerReference: snapshot.providerReference, amount: usd(10_000) }],
  });
  return harness.webhook(harness.old, { type: 'payment.captured', providerReference: snapshot.providerReference, eventId: 'evt_cap', amount: usd(10_000), operationReference: 'cap_1' });
}
