import { Money, type OrderState, type PlatformCart, type PlatformOrder } from '@paymigrate/core';
import { InMemoryCommercePlatform } from '@paymigrate/testkit';
import type { OrderFact, PlatformCartJson, PlatformOrderJson, PlatformPaymentUpdateJson, WorldCalls } from './world-protocol.js';

/** The commerce platform of the world: the reference in-memory platform, with every state change of every order recorded. */
export interface WorldPlatform {
  /** The platform. */
  readonly platform: InMemoryCommercePlatform;
  /** Creates an order unless it exists; answers whether it was created. */
  createOrder(input: WorldCalls['createOrder']['input']): boolean;
  /** Adds a cart. */
  addCart(cart: PlatformCartJson): void;
  /** `getOrder`, as JSON. */
  getOrder(orderId: string): Promise<PlatformOrderJson | null>;
  /** `listOpenOrders`, as JSON. */
  listOpenOrders(input: WorldCalls['platformListOpenOrders']['input']): Promise<WorldCalls['platformListOpenOrders']['output']>;
  /** `recordPayment`, as JSON, with the state change recorded. */
  recordPayment(input: PlatformPaymentUpdateJson): Promise<PlatformOrderJson>;
  /** `cancelOrder`, as JSON, with the state change recorded. */
  cancelOrder(input: WorldCalls['platformCancelOrder']['input']): Promise<PlatformOrderJson>;
  /** `getCart`, as JSON. */
  getCart(cartId: string): Promise<PlatformCartJson | null>;
  /** Moves an order to another state behind the application's back (the injected fault). */
  forceState(orderId: string, state: OrderState): void;
  /** Every order, for verification. */
  facts(): OrderFact[];
}

/** An order as JSON. */
export function orderToJson(order: PlatformOrder): PlatformOrderJson {
  return {
    ...order,
    total: order.total.toJSON(),
    transactions: order.transactions.map((transaction) => ({ ...transaction, amount: transaction.amount.toJSON() })),
  };
}

/** A cart as JSON. */
function cartToJson(cart: PlatformCart): PlatformCartJson {
  return { ...cart, lines: cart.lines.map((line) => ({ ...line, unitPrice: line.unitPrice.toJSON() })) };
}

/** Creates the world's platform. */
export function createWorldPlatform(): WorldPlatform {
  const platform = new InMemoryCommercePlatform({ platform: 'shopify' });
  const history = new Map<string, { from: OrderState; to: OrderState }[]>();
  const forced = new Map<string, OrderState>();

  const track = async (orderId: string, change: () => Promise<PlatformOrder>): Promise<PlatformOrderJson> => {
    const before = (await platform.getOrder({ orderId }))?.canonicalState;
    const after = await change();
    if (before !== undefined && before !== after.canonicalState) {
      const changes = history.get(orderId) ?? [];
      changes.push({ from: before, to: after.canonicalState });
      history.set(orderId, changes);
    }
    return orderToJson(after);
  };

  const sumOf = (order: PlatformOrder, kind: 'capture' | 'refund'): number =>
    order.transactions
      .filter((transaction) => transaction.kind === kind && transaction.status === 'success')
      .reduce((sum, transaction) => sum + Number(transaction.amount.toJSON().minorUnits), 0);

  return {
    platform,
    createOrder(input) {
      if (platform.orders().some((order) => order.orderId === input.orderId)) return false;
      platform.addOrder({ orderId: input.orderId, total: Money.fromJSON(input.total), customerId: input.customerId, canonicalState: 'payment_pending' });
      return true;
    },
    addCart(cart) {
      platform.addCart({ ...cart, lines: cart.lines.map((line) => ({ ...line, unitPrice: Money.fromJSON(line.unitPrice) })) });
    },
    async getOrder(orderId) {
      const order = await platform.getOrder({ orderId });
      return order === undefined ? null : orderToJson(order);
    },
    async listOpenOrders(input) {
      const page = await platform.listOpenOrders(input);
      return { items: page.items.map(orderToJson), nextCursor: page.nextCursor };
    },
    recordPayment: (input) => track(input.orderId, () => platform.recordPayment({ ...input, amount: Money.fromJSON(input.amount) })),
    cancelOrder: (input) => track(input.orderId, () => platform.cancelOrder(input)),
    async getCart(cartId) {
      const cart = await platform.getCart({ cartId });
      return cart === undefined ? null : cartToJson(cart);
    },
    forceState(orderId, state) {
      forced.set(orderId, state);
    },
    facts() {
      return platform.orders().map((order) => ({
        orderId: order.orderId,
        totalMinor: Number(order.total.toJSON().minorUnits),
        state: forced.get(order.orderId) ?? order.canonicalState,
        history: [...(history.get(order.orderId) ?? []), ...(forced.has(order.orderId) ? [{ from: order.canonicalState, to: forced.get(order.orderId) as OrderState }] : [])],
        capturedMinor: sumOf(order, 'capture'),
        refundedMinor: sumOf(order, 'refund'),
      }));
    },
  };
}
