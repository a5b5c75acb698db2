import { Money } from '@paymigrate/core';
import type { CustomerEntry } from './customer-directory.js';
import { forEachConcurrently, type PhaseRunner } from './rehearsal-context.js';
import { orderPaymentIdOf } from './world/world-seed.js';

export { orderPaymentIdOf } from './world/world-seed.js';

/**
 * Phase 1: seeds the world (deterministic from --seed) and the shop's own records: customers with
 * a card stored at the old provider, open orders whose payments are authorized at the old provider
 * through the Transaction State Manager (left uncaptured: they ship later, and drain), and active
 * sessions in the old session store.
 */
export const seedPhase: PhaseRunner = async (context) => {
  const { options, world, runtime, customers, progress } = context;
  progress.phaseProgress(0, undefined, 'seeding the world');
  const seeded = await world.call('seed', {
    provider: options.from,
    seed: options.seed,
    customers: options.customers,
    orders: options.orders,
    sessions: options.sessions,
    currency: context.currency,
  });
  const entries: CustomerEntry[] = seeded.customers.map((customer) => ({
    customerId: customer.customerId,
    cards: { [customer.card.provider]: { ...customer.card, savedAt: 0, origin: 'customer' as const } },
    subscription: customer.subscription,
  }));
  await customers.addAll(entries);
  let authorized = 0;
  let declined = 0;
  await forEachConcurrently(
    seeded.orders,
    options.concurrency,
    async (order) => {
      const card = customers.cardAt(order.customerId, options.from);
      /* v8 ignore next -- every seeded customer has a card at the old provider */
      if (card === undefined) return;
      const paymentId = orderPaymentIdOf(order.orderId);
      const startedAt = performance.now();
      const result = await runtime.transactions.authorize({
        paymentId,
        merchantReference: `ref-${paymentId}`,
        orderId: order.orderId,
        amount: Money.fromJSON(order.total),
        paymentMethodToken: card.token,
        customerId: order.customerId,
        customerReference: card.customerReference,
        captureMethod: 'manual',
        cardBrand: card.card.brand,
      });
      if (result.status === 'succeeded' && result.payment.state === 'authorized') {
        authorized += 1;
        await world.call('acknowledge', {
          paymentId,
          merchantReference: result.payment.merchantReference,
          provider: result.payment.provider,
          providerReference: result.payment.providerReference,
          amount: order.total,
          orderId: order.orderId,
          customerId: order.customerId,
          kind: 'order',
          latencyMs: performance.now() - startedAt,
          acknowledgedAt: Date.now(),
        });
      } else {
        declined += 1;
      }
    },
    (done) => progress.phaseProgress(done, seeded.orders.length, 'order payments authorized'),
  );
  return {
    coverage: 'covered',
    engines: ['transactions', `provider-${options.from}`, 'testkit fakes'],
    notes: [],
    counts: { customers: seeded.customers.length, orders: seeded.orders.length, orderPaymentsAuthorized: authorized, orderPaymentsDeclined: declined, sessions: seeded.sessionKeys.length },
    summary: `${seeded.customers.length} customers, ${seeded.orders.length} orders (${authorized} authorized at ${options.from}), ${seeded.sessionKeys.length} sessions`,
  };
};
