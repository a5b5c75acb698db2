import { Money } from '@paymigrate/core';
import { createSeededRandom, type SeededRandom } from '@paymigrate/testkit';
import type { WorldPlatform } from './world-platform.js';
import type { SeededCustomer, SeededOrder, SeededWorld, WorldSeedSpecification } from './world-protocol.js';
import { type WorldCardBrand, type WorldProviders } from './world-providers.js';
import type { WorldSessions } from './world-sessions.js';

/** A session lives this long (one day): nothing expires during a rehearsal. */
export const sessionTimeToLiveSeconds = 86_400;

/** The id of the n-th (1-based) customer. */
export function customerIdOf(index: number): string {
  return `cust-${String(index).padStart(5, '0')}`;
}

/** The id of the n-th (1-based) open order. */
export function orderIdOf(index: number): string {
  return `order-${String(index).padStart(5, '0')}`;
}

/** The payment id the shop gives the payment of a seeded open order. */
export function orderPaymentIdOf(orderId: string): string {
  return `pay-${orderId}`;
}

/** The key of the n-th (1-based) session. */
export function sessionKeyOf(index: number): string {
  return `session:${String(index).padStart(6, '0')}`;
}

/** A brand drawn with the shares of a typical European shop: 60 % Visa, 30 % Mastercard, 10 % Amex. */
function drawBrand(random: SeededRandom): WorldCardBrand {
  const draw = random.next();
  return draw < 0.6 ? 'visa' : draw < 0.9 ? 'mastercard' : 'amex';
}

/** A price in minor units, rounded to 10 cents. */
function drawPrice(random: SeededRandom, minimum: number, maximum: number): number {
  return random.integer(minimum / 10, maximum / 10) * 10;
}

/**
 * Seeds the world deterministically from the specification: customers with a card stored at the
 * old provider (a fifth of them with a monthly subscription), open orders on the platform, and
 * active sessions (with their platform carts) in the old session store.
 */
export async function seedWorld(
  specification: WorldSeedSpecification,
  world: { readonly providers: WorldProviders; readonly platform: WorldPlatform; readonly sessions: WorldSessions },
): Promise<SeededWorld> {
  const random = createSeededRandom(specification.seed);
  const currency = specification.currency;
  const customers: SeededCustomer[] = [];
  for (let index = 1; index <= specification.customers; index += 1) {
    const customerId = customerIdOf(index);
    const card = await world.providers.saveCard(specification.provider, { customerId, brand: drawBrand(random) });
    const subscribed = random.next() < 0.2;
    customers.push({ customerId, card, subscription: subscribed ? Money.of(drawPrice(random, 500, 5000), currency).toJSON() : undefined });
  }
  const orders: SeededOrder[] = [];
  for (let index = 1; index <= specification.orders; index += 1) {
    const orderId = orderIdOf(index);
    const customer = customers[random.integer(0, Math.max(0, customers.length - 1))];
    const order: SeededOrder = { orderId, customerId: customer?.customerId ?? customerIdOf(1), total: Money.of(drawPrice(random, 1_000, 30_000), currency).toJSON() };
    world.platform.createOrder(order);
    orders.push(order);
  }
  const sessionKeys: string[] = [];
  for (let index = 1; index <= specification.sessions; index += 1) {
    const key = sessionKeyOf(index);
    const customer = random.next() < 0.7 ? customers[random.integer(0, Math.max(0, customers.length - 1))] : undefined;
    const cartId = `cart-${String(index).padStart(6, '0')}`;
    const lines = Array.from({ length: random.integer(1, 4) }, (_, line) => ({
      sku: `sku-${random.integer(1, 500)}`,
      quantity: random.integer(1, 3),
      unitPrice: Money.of(drawPrice(random, 200, 9_000), currency).toJSON(),
      title: `Item ${line + 1}`,
    }));
    const updatedAt = Date.now();
    world.platform.addCart({ cartId, customerId: customer?.customerId, currency, lines, updatedAt });
    // A tenth of the sessions are paying an open order (bound to the order's payment); one in two
    // hundred was damaged by an old application version (it must be quarantined and rebuilt).
    const paying = index % 10 === 0 ? orders[(index / 10 - 1) % Math.max(1, orders.length)] : undefined;
    const session = {
      schemaVersion: 2,
      ...(customer === undefined ? {} : { customerId: customer.customerId }),
      cartId,
      cart: { currency, lines },
      preferences: { language: random.next() < 0.5 ? 'en' : 'de' },
      ...(paying === undefined ? {} : { checkout: { step: 'payment', paymentId: orderPaymentIdOf(paying.orderId), provider: specification.provider } }),
      updatedAt,
    };
    const text = JSON.stringify(session);
    const value = index % 200 === 0 ? text.slice(0, Math.floor(text.length / 2)) : text;
    await world.sessions.set({ store: 'old', key, value, ttlSeconds: sessionTimeToLiveSeconds });
    sessionKeys.push(key);
  }
  return { customers, orders, sessionKeys };
}
