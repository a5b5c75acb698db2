import { setImmediate as scheduleImmediate } from 'node:timers';
import { PaymigrateError } from '@paymigrate/core';
import type { ShopifyAdminClient } from './shopify-admin-client.js';
import type { ShopifyCallEffect } from './shopify-error.js';
import { readShopifyOrder, type ShopifyOrderView } from './shopify-order.js';
import { getOrderQuery, orderFragment } from './shopify-queries.js';

/**
 * Orders read in one request at most. The `order` selection costs a few points (an object, its
 * money sets, its transaction and refund lists); 10 aliases stay far below the 1,000-point
 * single-query maximum of every plan, and their cost is taken from the bucket as one request's:
 * a throttled batch is retried as a whole after the wait its own requested cost needs.
 */
export const shopifyMaximumOrdersPerRead = 10;

/** The document reading `count` orders (aliases `order0`...; variables `$id0`...). One order is `getOrderQuery` itself. */
export function ordersQuery(count: number): string {
  if (count === 1) return getOrderQuery;
  const indexes = Array.from({ length: count }, (_, index) => index);
  return `
  query PaymigrateGetOrders(${indexes.map((index) => `$id${index}: ID!`).join(', ')}) {
${indexes.map((index) => `    order${index}: order(id: $id${index}) {\n      ...PaymigrateOrder\n    }`).join('\n')}
  }
  ${orderFragment}
`;
}

/** One read waiting for its batch. */
interface PendingOrderRead {
  readonly orderId: string;
  readonly resolve: (view: ShopifyOrderView | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Reads orders by id, the reads started in the same turn of the event loop sharing requests.
 *
 * Every payment update reads its order first (what is authorized, captured, refunded); when the
 * relay delivers 64 updates at once, that is 64 requests for reads alone. Reads made in the same
 * turn (without an abort signal of their own) are sent together, `shopifyMaximumOrdersPerRead` per
 * request, as aliases of one query (Shopify runs them as one query and charges the sum of their
 * costs). Each caller gets exactly its own order (`undefined` when Shopify has none), read and
 * checked alone. A read alone, or with its own signal, is the plain `order(id:)` query.
 *
 * A batch that fails as a whole with a retryable error (throttled beyond the client's retries,
 * unavailable, timed out) fails each of its reads with that error, as each alone would have. Any
 * other failure (a GraphQL error that may concern one order) reads each order again on its own,
 * so every caller sees the outcome of its own read, never a neighbour's.
 */
export class ShopifyOrderReads {
  readonly #client: ShopifyAdminClient;
  readonly #pending = new Map<ShopifyCallEffect, PendingOrderRead[]>();

  /** @param client The Admin GraphQL client. */
  constructor(client: ShopifyAdminClient) {
    this.#client = client;
  }

  /** The order `orderId` (a GID), or `undefined` when Shopify has none. */
  read(orderId: string, effect: ShopifyCallEffect, signal: AbortSignal | undefined): Promise<ShopifyOrderView | undefined> {
    // A caller's own signal must abort its read only, never a batch shared with others.
    if (signal !== undefined) return this.#readAlone(orderId, effect, signal);
    return new Promise((resolve, reject) => {
      const waiting = this.#pending.get(effect);
      if (waiting !== undefined) {
        waiting.push({ orderId, resolve, reject });
        return;
      }
      this.#pending.set(effect, [{ orderId, resolve, reject }]);
      scheduleImmediate(() => this.#flush(effect));
    });
  }

  async #readAlone(orderId: string, effect: ShopifyCallEffect, signal: AbortSignal | undefined): Promise<ShopifyOrderView | undefined> {
    const data = await this.#client.request<{ readonly order?: unknown }>({ operation: 'order', document: getOrderQuery, variables: { id: orderId }, effect, signal });
    if (data.order === null || data.order === undefined) return undefined;
    return readShopifyOrder(data.order, 'order', effect);
  }

  #flush(effect: ShopifyCallEffect): void {
    const waiting = this.#pending.get(effect) as PendingOrderRead[];
    this.#pending.delete(effect);
    for (let start = 0; start < waiting.length; start += shopifyMaximumOrdersPerRead) {
      void this.#readBatch(waiting.slice(start, start + shopifyMaximumOrdersPerRead), effect);
    }
  }

  async #readBatch(batch: readonly PendingOrderRead[], effect: ShopifyCallEffect): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [PendingOrderRead];
      await this.#readAlone(only.orderId, effect, undefined).then(only.resolve, only.reject);
      return;
    }
    let data: Readonly<Record<string, unknown>>;
    try {
      data = await this.#client.request<Readonly<Record<string, unknown>>>({
        operation: 'order',
        document: ordersQuery(batch.length),
        variables: Object.fromEntries(batch.map((read, index) => [`id${index}`, read.orderId])),
        effect,
        signal: undefined,
      });
    } catch (error) {
      // Throttled, unavailable, timed out: each read alone would have failed the same way (and
      // sending them one by one would only add load to a struggling API).
      if (PaymigrateError.isInstance(error) && error.isRetryable) {
        for (const read of batch) read.reject(error);
        return;
      }
      // Anything else may be about one of the orders: each is read on its own, so its caller
      // gets the outcome of its own read.
      await Promise.all(batch.map((read) => this.#readAlone(read.orderId, effect, undefined).then(read.resolve, read.reject)));
      return;
    }
    for (const [index, read] of batch.entries()) {
      try {
        const node = data[`order${index}`];
        read.resolve(node === null || node === undefined ? undefined : readShopifyOrder(node, 'order', effect));
      } catch (error) {
        read.reject(error);
      }
    }
  }
}
