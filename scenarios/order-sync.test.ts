// The Order State Synchronizer end to end: the REAL Stripe (old) and Adyen (new) adapters on their
// official SDKs against the testkit's stateful fakes (msw), the Transaction State Manager and the
// migration orchestrator on an SQLite journal (scenarios/support/world.ts), and a commerce
// platform: the in-memory reference platform, and the REAL Shopify adapter against the Shopify
// fake. Orders must never be stuck or invalid while their payments move: the canonical order, the
// platform's order and the provider's payment must agree.
import {
  type CommercePlatformV1,
  createOrderStateSynchronizer,
  createOutboxRelay,
  mapShopifyOrderStatus,
  type Money,
  type OrderState,
  orderStateMachine,
  type OrderStateSynchronizer,
  type OutboxHandler,
  type OutboxRelay,
  type PaymentGatewayV1,
  type PaymentSnapshot,
  type WebhookRequest,
} from '@paymigrate/core';
import { createShopifyPlatform } from '@paymigrate/platform-shopify';
import { createSeededRandom, createShopifyFake, InMemoryCommercePlatform, ManualClock, type SeededRandom, type ShopifyFake } from '@paymigrate/testkit';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from './support/invariants.js';
import { useMockServer } from './support/mock-server.js';
import { adyenTruth, stripeTruth, truthOf } from './support/provider-truth.js';
import { createZeroLossWorld, eur, newProvider, oldProvider, paymentMethodTokens, silentLogger, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The topics the synchronizer's relay delivers. */
const topics = ['platform.payment', 'platform.order'];

/** Every payment of the Transaction State Manager in these scenarios starts with it (see `truthOf`). */
const managedPrefix = 'pay_sync_';

/** A checkout through the Transaction State Manager, for an order the scenario names. */
async function checkout(active: ZeroLossWorld, input: { readonly paymentId: string; readonly orderId: string; readonly amount: Money; readonly capture?: boolean }) {
  const merchantReference = `order-${input.paymentId}`;
  const begun = await active.router.begin({ paymentId: input.paymentId, merchantReference, amount: input.amount, currency: input.amount.currency });
  const authorization = await active.transactions.authorize({
    paymentId: input.paymentId,
    merchantReference,
    orderId: input.orderId,
    amount: input.amount,
    paymentMethodToken: paymentMethodTokens[begun.provider] as string,
  });
  const capture = input.capture === false ? undefined : await active.transactions.capture({ paymentId: input.paymentId });
  return { provider: begun.provider, authorization, capture };
}

/** The synchronizer's handlers, each message delivered twice (the relay is at-least-once). */
function twice(handlers: Readonly<Record<string, OutboxHandler>>): Record<string, OutboxHandler> {
  return Object.fromEntries(
    Object.entries(handlers).map(([topic, handler]) => [
      topic,
      async (message: Parameters<OutboxHandler>[0]) => {
        await handler(message);
        await handler(message);
      },
    ]),
  );
}

function relayFor(active: ZeroLossWorld, orders: OrderStateSynchronizer): OutboxRelay {
  return createOutboxRelay({
    journal: active.journal,
    owner: 'scenario-relay',
    handlers: twice(orders.outboxHandlers()),
    batchSize: 200,
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
    logger: silentLogger(),
  });
}

/** Relays until nothing of the synchronizer's topics is pending. */
async function drain(active: ZeroLossWorld, relay: OutboxRelay): Promise<void> {
  for (let round = 0; (await active.journal.pendingOutboxCount({ topics })) > 0; round += 1) {
    if (round > 2_000) throw new Error('the outbox did not drain');
    const { claimed } = await relay.runOnce();
    if (claimed === 0) await sleep(5);
  }
}

/** The canonical state the provider's own amounts say, written independently of the synchronizer. */
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

function gatewayOf(active: ZeroLossWorld, request: WebhookRequest): PaymentGatewayV1 {
  return request.headers['stripe-signature'] === undefined ? active.gateways.adyen : active.gateways.stripe;
}

describe('a refund from the platform for an order paid on the old provider after cutover', () => {
  it('goes to the old provider (the payment is pinned there), and the platform records it once', async () => {
    world = await createZeroLossWorld(server, { seed: 61 });
    const platform = new InMemoryCommercePlatform({ platform: 'memory' });
    const orders = createOrderStateSynchronizer({
      journal: world.journal,
      platform,
      operations: world.transactions,
      gateways: [world.gateways.stripe, world.gateways.adyen],
      logger: silentLogger(),
    });
    const relay = relayFor(world, orders);
    await world.prepareCutover();
    platform.addOrder({ orderId: 'order-old', total: eur(5_000) });
    expect(await checkout(world, { paymentId: `${managedPrefix}old`, orderId: 'order-old', amount: eur(5_000) })).toMatchObject({ provider: oldProvider });
    await drain(world, relay);
    expect(await orders.order('order-old')).toMatchObject({ state: 'paid' });

    await world.cutover();
    platform.addOrder({ orderId: 'order-new', total: eur(3_000) });
    expect(await checkout(world, { paymentId: `${managedPrefix}new`, orderId: 'order-new', amount: eur(3_000) })).toMatchObject({ provider: newProvider });
    await world.deliverWebhooks();
    await drain(world, relay);

    // Staff refund part of the old order on the platform; the platform asks paymigrate to do it.
    const stripeCallsBefore = world.stripe.api.calls.length;
    const adyenRefundsBefore = world.adyen.api.calls.filter((call) => call.url.includes('/refunds')).length;
    const refund = await orders.refundOrder({ orderId: 'order-old', amount: eur(2_000), requestId: 'shop-refund-1' });
    expect(refund).toMatchObject({ status: 'completed', steps: [{ action: 'refund', provider: oldProvider, paymentId: `${managedPrefix}old`, status: 'succeeded' }] });
    expect(world.stripe.api.calls.slice(stripeCallsBefore).some((call) => call.method === 'POST' && call.url.endsWith('/v1/refunds'))).toBe(true);
    expect(world.adyen.api.calls.filter((call) => call.url.includes('/refunds'))).toHaveLength(adyenRefundsBefore);
    // Asked again (a platform retry), nothing is refunded twice.
    expect(await orders.refundOrder({ orderId: 'order-old', amount: eur(2_000), requestId: 'shop-refund-1' })).toEqual(refund);

    await world.deliverWebhooks();
    await drain(world, relay);
    const old = (await world.transactions.payment(`${managedPrefix}old`))?.providerReference as string;
    expect((await world.gateways.stripe.retrieve({ providerReference: old })).refundedAmount.toNumberOfMinorUnits()).toBe(2_000);
    expect(await orders.order('order-old')).toMatchObject({ state: 'partially_refunded' });
    const platformOrder = platform.orders().find((order) => order.orderId === 'order-old');
    expect(platformOrder?.canonicalState).toBe('partially_refunded');
    expect(platformOrder?.transactions.map((transaction) => `${transaction.kind}:${transaction.gateway}:${transaction.amount.toString()}`)).toEqual([
      'authorization:stripe:50.00 EUR',
      'capture:stripe:50.00 EUR',
      'refund:stripe:20.00 EUR',
    ]);
    const report = await world.invariants();
    expect(report.violations).toEqual([]);
  });
});

describe('the same refund through the Shopify adapter', () => {
  it('refunds once at the old provider, and Shopify records it on the gateway that holds the payment, never through the new one', async () => {
    world = await createZeroLossWorld(server, { seed: 65 });
    const shopify: ShopifyFake = createShopifyFake({ maximumAvailable: 1_000_000_000, restoreRate: 1_000_000 });
    server.use(...shopify.handlers);
    const platform: CommercePlatformV1 = createShopifyPlatform({
      shopDomain: shopify.shopDomain,
      adminAccessToken: shopify.adminAccessToken,
      apiSecretKey: shopify.apiSecretKey,
      environment: {},
    });
    const orders = createOrderStateSynchronizer({
      journal: world.journal,
      platform,
      operations: world.transactions,
      gateways: [world.gateways.stripe, world.gateways.adyen],
      logger: silentLogger(),
    });
    const relay = relayFor(world, orders);
    await world.prepareCutover();
    // Shopify holds the authorization its checkout made through the old provider's gateway.
    const oldOrder = shopify.addOrder({ total: eur(5_000), financialStatus: 'AUTHORIZED', gateway: oldProvider });
    expect(await checkout(world, { paymentId: `${managedPrefix}shop_old`, orderId: oldOrder, amount: eur(5_000) })).toMatchObject({ provider: oldProvider });
    await drain(world, relay);
    expect(shopify.order(oldOrder)?.amounts.financialStatus).toBe('PAID');

    await world.cutover();
    const newOrder = shopify.addOrder({ total: eur(3_000), financialStatus: 'AUTHORIZED', gateway: newProvider });
    expect(await checkout(world, { paymentId: `${managedPrefix}shop_new`, orderId: newOrder, amount: eur(3_000) })).toMatchObject({ provider: newProvider });
    await world.deliverWebhooks();
    await drain(world, relay);

    const adyenRefundsBefore = world.adyen.api.calls.filter((call) => call.url.includes('/refunds')).length;
    const refund = await orders.refundOrder({ orderId: oldOrder, amount: eur(2_000), requestId: 'shopify-refund-1' });
    expect(refund).toMatchObject({ status: 'completed', steps: [{ action: 'refund', provider: oldProvider, status: 'succeeded' }] });
    expect(await orders.refundOrder({ orderId: oldOrder, amount: eur(2_000), requestId: 'shopify-refund-1' })).toEqual(refund);
    await world.deliverWebhooks();
    await drain(world, relay);

    const old = (await world.transactions.payment(`${managedPrefix}shop_old`))?.providerReference as string;
    expect((await world.gateways.stripe.retrieve({ providerReference: old })).refundedAmount.toNumberOfMinorUnits()).toBe(2_000);
    expect(world.adyen.api.calls.filter((call) => call.url.includes('/refunds'))).toHaveLength(adyenRefundsBefore);
    expect(await orders.order(oldOrder)).toMatchObject({ state: 'partially_refunded' });
    expect((await platform.getOrder({ orderId: oldOrder }))?.canonicalState).toBe('partially_refunded');
    // Each update once, every money transaction on the old provider's gateway: nothing went through Adyen's.
    expect(shopify.order(oldOrder)?.transactions.map((transaction) => `${transaction.kind}:${transaction.gateway}:${transaction.amountMinor}`)).toEqual([
      'AUTHORIZATION:stripe:5000',
      'CAPTURE:stripe:5000',
      'REFUND:stripe:2000',
    ]);
    expect(shopify.order(newOrder)?.transactions.map((transaction) => `${transaction.kind}:${transaction.gateway}`)).toEqual(['AUTHORIZATION:adyen', 'CAPTURE:adyen']);
    expect(await orders.escalations()).toEqual([]);
    expect((await world.invariants()).violations).toEqual([]);
  });
});

describe('an order stuck between states', () => {
  it('is repaired when provider and platform agree, escalated when they do not', async () => {
    world = await createZeroLossWorld(server, { seed: 62 });
    const platform = new InMemoryCommercePlatform({ platform: 'memory' });
    const clock = new ManualClock(Date.now());
    const orders = createOrderStateSynchronizer({
      journal: world.journal,
      platform,
      operations: world.transactions,
      gateways: [world.gateways.stripe, world.gateways.adyen],
      clock,
      logger: silentLogger(),
    });
    const relay = relayFor(world, orders);
    for (const orderId of ['order-agree', 'order-disagree']) {
      platform.addOrder({ orderId, total: eur(4_000) });
      await checkout(world, { paymentId: `${managedPrefix}${orderId.slice(6)}`, orderId, amount: eur(4_000), capture: false });
    }
    await drain(world, relay);
    for (const orderId of ['order-agree', 'order-disagree']) expect((await orders.order(orderId))?.state).toBe('authorized');

    // Both captured in Stripe's dashboard, behind paymigrate's back; the webhooks never came.
    for (const orderId of ['order-agree', 'order-disagree']) {
      const reference = (await world.transactions.payment(`${managedPrefix}${orderId.slice(6)}`))?.providerReference as string;
      await world.gateways.stripe.capture({ idempotencyKey: `dashboard-${orderId}`, providerReference: reference, amount: eur(4_000) });
    }
    world.stripe.takeSignedWebhooks();
    // Staff marked one of them paid on the platform too.
    const agreeing = (await world.transactions.payment(`${managedPrefix}agree`))?.providerReference as string;
    await platform.recordPayment({ idempotencyKey: 'staff-marked-paid', orderId: 'order-agree', kind: 'capture', amount: eur(4_000), provider: 'stripe', providerReference: agreeing });

    expect(await orders.repairStuckOrders({ owner: 'node-1' })).toMatchObject({ examined: 0, deferred: 2 });
    await clock.advance(7 * 86_400_000 + 1);
    expect(await orders.repairStuckOrders({ owner: 'node-1' })).toMatchObject({ examined: 2, repaired: 1, escalated: 1 });
    expect(await orders.order('order-agree')).toMatchObject({ state: 'paid', history: [{ to: 'authorized' }, { from: 'authorized', to: 'paid', cause: { kind: 'repair' } }] });
    expect(await orders.order('order-disagree')).toMatchObject({ state: 'authorized', escalation: { code: 'truths_disagree' } });
    expect(await orders.escalations()).toMatchObject([
      { orderId: 'order-disagree', code: 'truths_disagree', providerState: 'paid', platformState: 'authorized', orderState: 'authorized' },
    ]);
    // The repair called nothing on the platform: it already agreed.
    await drain(world, relay);
    expect(platform.orders().find((order) => order.orderId === 'order-agree')?.transactions.map((transaction) => transaction.kind)).toEqual(['authorization', 'capture']);
  });
});

/** Provider fakes' webhooks, with every operation of the scenario behind them. */
interface StormSetup {
  readonly webhooks: WebhookRequest[];
  readonly orders: { readonly orderId: string; readonly total: Money; readonly gateway: PaymentGatewayV1; readonly providerReference: string; readonly managed: boolean }[];
}

/**
 * 100 orders: 50 paid through the Transaction State Manager (25 on Stripe before the cutover, 25 on
 * Adyen after it) and 50 paid on the providers before paymigrate existed (legacy payments the
 * synchronizer follows from their webhooks alone). Each runs one script: authorize only; capture;
 * capture and refund part; capture and refund all; void.
 */
async function runStormPayments(
  active: ZeroLossWorld,
  orders: OrderStateSynchronizer,
  random: SeededRandom,
  newOrder: (total: Money, index: number) => Promise<string>,
): Promise<StormSetup> {
  const webhooks: WebhookRequest[] = [];
  const setup: StormSetup = { webhooks, orders: [] };
  // Adyen confirms by webhook: the state manager must see a capture before it refunds it.
  const settleAdyen = async (): Promise<void> => {
    for (const request of active.adyen.takePendingWebhooks()) {
      webhooks.push(request);
      await active.transactions.applyProviderEvent(await active.gateways.adyen.verifyWebhook(request));
    }
  };
  await active.prepareCutover();
  for (let index = 0; index < 100; index += 1) {
    if (index === 25) await active.cutover();
    const total = eur(1_000 * random.integer(2, 30));
    const orderId = await newOrder(total, index);
    const script = index % 5;
    if (index < 50) {
      const paymentId = `${managedPrefix}${String(index).padStart(3, '0')}`;
      const result = await checkout(active, { paymentId, orderId, amount: total, capture: script !== 0 && script !== 4 });
      if (result.provider === newProvider) await settleAdyen();
      if (script === 2) await active.transactions.refund({ paymentId, amount: eur(500) });
      if (script === 3) await active.transactions.refund({ paymentId, amount: total });
      if (script === 4) await active.transactions.cancel({ paymentId });
      const gateway = result.provider === oldProvider ? active.gateways.stripe : active.gateways.adyen;
      setup.orders.push({ orderId, total, gateway, providerReference: result.authorization.payment.providerReference as string, managed: true });
    } else {
      const provider = index % 2 === 0 ? oldProvider : newProvider;
      const gateway = provider === oldProvider ? active.gateways.stripe : active.gateways.adyen;
      const reference = `legacy-${String(index).padStart(3, '0')}`;
      const snapshot = await gateway.authorize({ idempotencyKey: `${reference}-a`, merchantReference: reference, amount: total, paymentMethodToken: paymentMethodTokens[provider] as string });
      const providerReference = snapshot.providerReference;
      await orders.attachPayment({ orderId, paymentId: reference, provider, providerReference, amount: total });
      if (script === 1 || script === 2 || script === 3) {
        await gateway.capture({ idempotencyKey: `${reference}-c`, providerReference, amount: total });
        if (provider === newProvider) await settleAdyen();
      }
      // Two refunds made outside paymigrate (a provider's dashboard). Stripe reports each as the
      // charge's running total (charge.refunded): the second must count 2.00, not 5.00.
      if (script === 2) {
        await gateway.refund({ idempotencyKey: `${reference}-r`, providerReference, amount: eur(300) });
        await gateway.refund({ idempotencyKey: `${reference}-r2`, providerReference, amount: eur(200) });
      }
      if (script === 3) await gateway.refund({ idempotencyKey: `${reference}-r`, providerReference, amount: total });
      if (script === 4) await gateway.cancel({ idempotencyKey: `${reference}-v`, providerReference });
      setup.orders.push({ orderId, total, gateway, providerReference, managed: false });
    }
  }
  webhooks.push(...active.stripe.takeSignedWebhooks(), ...active.adyen.takePendingWebhooks());
  return setup;
}

/**
 * Delivers the webhooks, with duplicates up to 1,000 deliveries, shuffled, 25 at a time
 * concurrently, to the Transaction State Manager and to the synchronizer, each redelivered while
 * it answers `deferred` (as a provider retries), while the relay moves outcomes and platform updates.
 */
async function deliverStorm(active: ZeroLossWorld, orders: OrderStateSynchronizer, relay: OutboxRelay, webhooks: WebhookRequest[], random: SeededRandom): Promise<Record<string, number>> {
  const storm = [...webhooks];
  while (storm.length < 1_000) storm.push(webhooks[random.integer(0, webhooks.length - 1)] as WebhookRequest);
  shuffle(storm, random);
  const counts: Record<string, number> = {};
  let queue = storm.map((request) => ({ request, transactions: true, orders: true }));
  for (let round = 0; queue.length > 0; round += 1) {
    if (round > 50) throw new Error('deferred webhooks never resolved');
    const again: typeof queue = [];
    for (let start = 0; start < queue.length; start += 25) {
      await Promise.all(
        queue.slice(start, start + 25).map(async (delivery) => {
          const event = await gatewayOf(active, delivery.request).verifyWebhook(delivery.request);
          const transactions = delivery.transactions ? (await active.transactions.applyProviderEvent(event)).status : undefined;
          const order = delivery.orders ? (await orders.handleProviderEvent(event)).status : undefined;
          if (order !== undefined) counts[order] = (counts[order] ?? 0) + 1;
          if (transactions === 'deferred' || order === 'deferred') again.push({ request: delivery.request, transactions: transactions === 'deferred', orders: order === 'deferred' });
        }),
      );
      await relay.runOnce();
    }
    queue = shuffle(again, random);
  }
  await drain(active, relay);
  return counts;
}

/** Checks every order: canonical state = provider truth = platform, legal history, each platform update once. */
async function expectConsistent(
  orders: OrderStateSynchronizer,
  setup: StormSetup,
  platformState: (orderId: string) => Promise<{ readonly state: OrderState; readonly transactionKeys: readonly string[] }>,
): Promise<void> {
  for (const expected of setup.orders) {
    const snapshot = await expected.gateway.retrieve({ providerReference: expected.providerReference });
    const truth = stateOfProvider(snapshot, expected.total);
    const order = await orders.order(expected.orderId);
    expect(order?.state, `${expected.orderId} (${expected.gateway.provider}${expected.managed ? ', managed' : ', legacy'})`).toBe(truth);
    // The money too, not only the state it implies: every refund counted once, at its own amount.
    expect(order?.amounts.refunded.toString(), `${expected.orderId}: refunded`).toBe(snapshot.refundedAmount.toString());
    expect(order?.amounts.captured.toString(), `${expected.orderId}: captured`).toBe(snapshot.capturedAmount.toString());
    const platform = await platformState(expected.orderId);
    expect(platform.state, `${expected.orderId} on the platform`).toBe(truth);
    expect(new Set(platform.transactionKeys).size, `${expected.orderId}: each platform update once`).toBe(platform.transactionKeys.length);
    let state: OrderState | undefined = order?.history[0]?.from;
    for (const entry of order?.history ?? []) {
      expect(entry.from).toBe(state);
      expect(orderStateMachine.canTransition(entry.from, entry.to), `${expected.orderId}: ${entry.from} -> ${entry.to}`).toBe(true);
      state = entry.to;
    }
  }
}

describe('a webhook storm with duplicates and reordering', () => {
  it('ends consistent on the in-memory platform', { timeout: 180_000 }, async () => {
    world = await createZeroLossWorld(server, { seed: 63 });
    const active = world;
    const platform = new InMemoryCommercePlatform({ platform: 'memory' });
    const orders = createOrderStateSynchronizer({ journal: active.journal, platform, operations: active.transactions, gateways: [active.gateways.stripe, active.gateways.adyen], logger: silentLogger() });
    const relay = relayFor(active, orders);
    const random = createSeededRandom(2026);
    const setup = await runStormPayments(active, orders, random, async (total, index) => {
      const orderId = `order-${String(index).padStart(3, '0')}`;
      platform.addOrder({ orderId, total });
      if (index >= 50) await orders.registerOrder({ orderId, total });
      return orderId;
    });
    expect(setup.webhooks.length).toBeGreaterThan(150);
    const counts = await deliverStorm(active, orders, relay, setup.webhooks, random);
    expect(counts['duplicate']).toBeGreaterThan(0);
    expect(counts['unknown_payment'] ?? 0).toBe(0);
    const platformOrders = (): Map<string, ReturnType<typeof platform.orders>[number]> => new Map(platform.orders().map((order) => [order.orderId, order]));
    await expectConsistent(orders, setup, async (orderId) => {
      const order = platformOrders().get(orderId);
      return { state: order?.canonicalState as OrderState, transactionKeys: (order?.transactions ?? []).map((transaction) => `${transaction.kind}:${transaction.providerReference}`) };
    });
    expect(await orders.escalations()).toEqual([]);
    const invariants = await checkInvariants({
      journal: active.journal,
      fakes: { stripe: truthOf(stripeTruth(active.stripe), managedPrefix), adyen: truthOf(adyenTruth(active.adyen), managedPrefix) },
    });
    expect(invariants.violations).toEqual([]);
  });

  it('ends consistent through the Shopify adapter, whose own webhooks change nothing', { timeout: 180_000 }, async () => {
    world = await createZeroLossWorld(server, { seed: 64 });
    const active = world;
    const shopify: ShopifyFake = createShopifyFake({ maximumAvailable: 1_000_000_000, restoreRate: 1_000_000 });
    server.use(...shopify.handlers);
    const platform: CommercePlatformV1 = createShopifyPlatform({
      shopDomain: shopify.shopDomain,
      adminAccessToken: shopify.adminAccessToken,
      apiSecretKey: shopify.apiSecretKey,
      environment: {},
    });
    const orders = createOrderStateSynchronizer({ journal: active.journal, platform, operations: active.transactions, gateways: [active.gateways.stripe, active.gateways.adyen], logger: silentLogger() });
    const relay = relayFor(active, orders);
    const random = createSeededRandom(2027);
    const setup = await runStormPayments(active, orders, random, async (total, index) => {
      // Shopify holds the authorization its checkout made (the payments app resolved the session).
      // Through the gateway of the provider that takes the payment: Adyen after the cutover, and
      // for the odd legacy orders (paid on Adyen before paymigrate).
      const onAdyen = (index >= 25 && index < 50) || (index >= 50 && index % 2 === 1);
      const orderId = shopify.addOrder({ total, financialStatus: 'AUTHORIZED', gateway: onAdyen ? newProvider : oldProvider });
      if (index >= 50) await orders.registerOrder({ orderId, total, state: 'authorized' });
      return orderId;
    });
    const counts = await deliverStorm(active, orders, relay, setup.webhooks, random);
    expect(counts['unknown_payment'] ?? 0).toBe(0);
    await expectConsistent(orders, setup, async (orderId) => {
      const view = shopify.order(orderId);
      const order = await platform.getOrder({ orderId });
      // The adapter's state and core's Shopify table agree on every order here.
      const mapped = mapShopifyOrderStatus({
        displayFinancialStatus: order?.platformFinancialStatus,
        displayFulfillmentStatus: order?.platformFulfillmentStatus,
        cancelledAt: order?.cancelledAt,
      });
      expect(mapped, orderId).toBe(order?.canonicalState);
      return { state: order?.canonicalState as OrderState, transactionKeys: (view?.transactions ?? []).map((transaction) => transaction.id) };
    });
    expect(await orders.escalations()).toEqual([]);

    // Shopify's own webhooks about all of this (duplicated, shuffled) agree and change nothing.
    const before = await Promise.all(setup.orders.map(async (order) => (await orders.order(order.orderId))?.version));
    for (const webhook of shopify.takeWebhooks({ duplicate: true, order: 'shuffled' })) {
      const event = await platform.verifyWebhook(webhook.request);
      expect(['ignored', 'duplicate']).toContain((await orders.handlePlatformEvent(event)).status);
    }
    expect(await Promise.all(setup.orders.map(async (order) => (await orders.order(order.orderId))?.version))).toEqual(before);
  });
});
