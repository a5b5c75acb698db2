import {
  type CommercePlatformV1,
  Money,
  type Page,
  type PlatformCancelInput,
  type PlatformCart,
  type PlatformOrder,
  type PlatformPaymentUpdate,
  type PlatformWebhookEvent,
  UnsupportedOperationError,
} from '@paymigrate/core';
import type { WorldClient } from './world-client.js';
import type { PlatformCartJson, PlatformOrderJson } from './world-protocol.js';

/** An order from JSON. */
function orderOf(json: PlatformOrderJson): PlatformOrder {
  return {
    ...json,
    total: Money.fromJSON(json.total),
    transactions: json.transactions.map((transaction) => ({ ...transaction, amount: Money.fromJSON(transaction.amount) })),
  };
}

/** A cart from JSON. */
function cartOf(json: PlatformCartJson): PlatformCart {
  return { ...json, lines: json.lines.map((line) => ({ ...line, unitPrice: Money.fromJSON(line.unitPrice) })) };
}

/** The world's commerce platform as a `CommercePlatformV1`, reached over the world's control API. */
export class RemoteCommercePlatform implements CommercePlatformV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;
  /** The platform's name in the world. */
  readonly platform = 'shopify';
  readonly #client: WorldClient;

  /** @param client The world. */
  constructor(client: WorldClient) {
    this.#client = client;
  }

  /** Reads one order. */
  async getOrder(input: { readonly orderId: string }): Promise<PlatformOrder | undefined> {
    const order = await this.#client.call('platformGetOrder', { orderId: input.orderId });
    return order === null ? undefined : orderOf(order);
  }

  /** Lists open orders. */
  async listOpenOrders(input: { readonly limit: number; readonly cursor?: string | undefined; readonly updatedSince?: number | undefined }): Promise<Page<PlatformOrder>> {
    const page = await this.#client.call('platformListOpenOrders', input);
    return { items: page.items.map(orderOf), nextCursor: page.nextCursor };
  }

  /** Records a payment operation on an order. */
  async recordPayment(input: PlatformPaymentUpdate): Promise<PlatformOrder> {
    return orderOf(await this.#client.call('platformRecordPayment', { ...input, amount: input.amount.toJSON() }));
  }

  /** Cancels an order. */
  async cancelOrder(input: PlatformCancelInput): Promise<PlatformOrder> {
    return orderOf(await this.#client.call('platformCancelOrder', input));
  }

  /** Reads a cart. */
  async getCart(input: { readonly cartId: string }): Promise<PlatformCart | undefined> {
    const cart = await this.#client.call('platformGetCart', { cartId: input.cartId });
    return cart === null ? undefined : cartOf(cart);
  }

  /** The rehearsal delivers no platform webhooks. */
  async verifyWebhook(): Promise<PlatformWebhookEvent> {
    throw new UnsupportedOperationError({ component: 'rehearsal platform', operation: 'verifyWebhook', reason: 'the rehearsal world sends no platform webhooks' });
  }
}
