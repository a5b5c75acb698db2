import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidRequestError, ProviderError, ProviderUnavailableError, RateLimitedError } from '@paymigrate/core';
import { createShopifyAdminSubsetChecker } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { euros, useShopifyFake } from './__fixtures__/shopify-test-environment.js';
import type { ShopifyAdminClient, ShopifyGraphqlCall } from './shopify-admin-client.js';
import { ordersQuery, ShopifyOrderReads, shopifyMaximumOrdersPerRead } from './shopify-order-reads.js';
import { getOrderQuery } from './shopify-queries.js';

const introspectionFile = fileURLToPath(new URL('../../../../shared/specs/shopify-admin-subset.introspection.json', import.meta.url));
const specsPresent = existsSync(introspectionFile);

const { fake, platform } = useShopifyFake({ shopDomain: 'paymigrate-reads.myshopify.com' });

/** An order node as Shopify answers it (the fields `readShopifyOrder` needs). */
function orderNode(id: string): Record<string, unknown> {
  return {
    id,
    name: '#1001',
    displayFinancialStatus: 'AUTHORIZED',
    displayFulfillmentStatus: 'UNFULFILLED',
    returnStatus: 'NO_RETURN',
    cancelledAt: null,
    closed: false,
    updatedAt: '2026-11-27T09:00:00Z',
    presentmentCurrencyCode: 'EUR',
    totalPriceSet: { presentmentMoney: { amount: '50.0', currencyCode: 'EUR' } },
    customer: null,
    transactions: [],
    capturableTransactions: [],
    refunds: [],
  };
}

/** A client answering from `answer`, recording each call. */
function stubClient(answer: (call: ShopifyGraphqlCall) => Promise<unknown>): { readonly client: ShopifyAdminClient; readonly calls: ShopifyGraphqlCall[] } {
  const calls: ShopifyGraphqlCall[] = [];
  const client = {
    request: (call: ShopifyGraphqlCall) => {
      calls.push(call);
      return answer(call);
    },
  } as unknown as ShopifyAdminClient;
  return { client, calls };
}

/** Answers every order of a call (alone or batched) from `nodes` (ids absent from it have no order). */
function answering(nodes: Readonly<Record<string, unknown>>): (call: ShopifyGraphqlCall) => Promise<unknown> {
  return async (call) => {
    if (call.document === getOrderQuery) return { order: nodes[call.variables['id'] as string] ?? null };
    return Object.fromEntries(Object.entries(call.variables).map(([name, id]) => [name.replace('id', 'order'), nodes[id as string] ?? null]));
  };
}

const gid = (number: number): string => `gid://shopify/Order/${number}`;

describe('ShopifyOrderReads', () => {
  it('reads the orders asked for in one turn together, at most 10 a request, each caller its own order', async () => {
    const nodes = Object.fromEntries(Array.from({ length: 12 }, (_, index) => [gid(index + 1), orderNode(gid(index + 1))]));
    const { client, calls } = stubClient(answering(nodes));
    const reads = new ShopifyOrderReads(client);
    const ids = [...Array.from({ length: 12 }, (_, index) => gid(index + 1)), gid(99)];
    const views = await Promise.all(ids.map((id) => reads.read(id, 'read', undefined)));
    expect(views.map((view) => view?.order.orderId)).toStrictEqual([...ids.slice(0, 12), undefined]);
    expect(calls.map((call) => Object.keys(call.variables).length)).toStrictEqual([shopifyMaximumOrdersPerRead, 3]);
    expect(calls[1]?.document).toBe(ordersQuery(3));
    // A read alone is the plain query.
    expect((await reads.read(gid(1), 'read', undefined))?.order.orderId).toBe(gid(1));
    expect(calls[2]).toMatchObject({ document: getOrderQuery, variables: { id: gid(1) } });
    expect(ordersQuery(1)).toBe(getOrderQuery);
  });

  it('keeps reads with their own signal, and reads of another effect, out of a batch', async () => {
    const nodes = { [gid(1)]: orderNode(gid(1)), [gid(2)]: orderNode(gid(2)) };
    const { client, calls } = stubClient(answering(nodes));
    const reads = new ShopifyOrderReads(client);
    const signal = new AbortController().signal;
    await Promise.all([reads.read(gid(1), 'read', signal), reads.read(gid(2), 'read', undefined), reads.read(gid(1), 'write', undefined)]);
    expect(calls.map((call) => [call.document === getOrderQuery, call.effect, call.signal])).toStrictEqual([
      [true, 'read', signal],
      [true, 'read', undefined],
      [true, 'write', undefined],
    ]);
  });

  it('fails only the caller whose order answer is malformed', async () => {
    const { client } = stubClient(answering({ [gid(1)]: orderNode(gid(1)), [gid(2)]: { id: gid(2) } }));
    const reads = new ShopifyOrderReads(client);
    const [first, second] = await Promise.allSettled([reads.read(gid(1), 'read', undefined), reads.read(gid(2), 'read', undefined)]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { order: { orderId: gid(1) } } });
    expect(second.status).toBe('rejected');
    expect(ProviderError.isInstance((second as PromiseRejectedResult).reason)).toBe(true);
  });

  it('fails every read of a batch with a retryable failure, without sending them one by one', async () => {
    const throttled = new RateLimitedError('throttled', { provider: 'shopify', retryAfterMs: 1_000 });
    const { client, calls } = stubClient(async () => {
      throw throttled;
    });
    const reads = new ShopifyOrderReads(client);
    const outcomes = await Promise.allSettled([reads.read(gid(1), 'read', undefined), reads.read(gid(2), 'read', undefined)]);
    expect(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason)).toStrictEqual([throttled, throttled]);
    expect(calls).toHaveLength(1);
  });

  it('reads each order on its own when a batch fails otherwise, so each caller gets its own outcome', async () => {
    const refused = new InvalidRequestError('invalid id', { provider: 'shopify' });
    const { client, calls } = stubClient(async (call) => {
      if (call.document !== getOrderQuery) throw refused;
      if (call.variables['id'] === gid(2)) throw new ProviderUnavailableError('down', { provider: 'shopify' });
      return answering({ [gid(1)]: orderNode(gid(1)) })(call);
    });
    const reads = new ShopifyOrderReads(client);
    const [first, second] = await Promise.allSettled([reads.read(gid(1), 'read', undefined), reads.read(gid(2), 'read', undefined)]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { order: { orderId: gid(1) } } });
    expect(ProviderUnavailableError.isInstance((second as PromiseRejectedResult).reason)).toBe(true);
    expect(calls.map((call) => Object.keys(call.variables))).toStrictEqual([['id0', 'id1'], ['id'], ['id']]);
  });
});

describe('order reads against the Shopify fake', () => {
  it('answer concurrent reads of an adapter with shared requests, each its own order', async () => {
    fake.reset();
    const adapter = platform();
    const ids = Array.from({ length: 4 }, (_, index) => fake.addOrder({ total: euros(1_000 * (index + 1)), financialStatus: 'AUTHORIZED' }));
    const since = fake.api.calls.length;
    const orders = await Promise.all([...ids, 'gid://shopify/Order/1'].map((orderId) => adapter.getOrder({ orderId })));
    expect(orders.map((order) => order?.total.toString())).toStrictEqual(['10.00 EUR', '20.00 EUR', '30.00 EUR', '40.00 EUR', undefined]);
    const calls = fake.api.calls.slice(since);
    expect(calls).toHaveLength(1);
    // The batch's cost is the sum of its orders' (one request, charged once).
    const cost = (JSON.parse(calls[0]?.responseBody ?? '{}') as { extensions: { cost: { requestedQueryCost: number } } }).extensions.cost.requestedQueryCost;
    await adapter.getOrder({ orderId: ids[0] as string });
    const single = (JSON.parse(fake.api.calls.at(-1)?.responseBody ?? '{}') as { extensions: { cost: { requestedQueryCost: number } } }).extensions.cost.requestedQueryCost;
    expect(cost).toBe(single * 5);
    expect(cost).toBeLessThan(1_000 / 2);
  });

  it.skipIf(!specsPresent)('send a document valid against the official 2025-01 subset, answered with every selected field', async () => {
    const checker = createShopifyAdminSubsetChecker(JSON.parse(readFileSync(introspectionFile, 'utf8')));
    fake.reset();
    const adapter = platform();
    const ids = [fake.addOrder({ total: euros(1_000), financialStatus: 'AUTHORIZED' }), fake.addOrder({ total: euros(2_000), financialStatus: 'PAID' })];
    const since = fake.api.calls.length;
    await Promise.all(ids.map((orderId) => adapter.getOrder({ orderId })));
    const [call] = fake.api.calls.slice(since);
    const body = call?.requestBodyJson as { query: string; variables: Record<string, unknown> };
    expect(body.query).toBe(ordersQuery(2));
    expect(checker.validate(ordersQuery(shopifyMaximumOrdersPerRead))).toStrictEqual([]);
    expect(checker.validate(body.query)).toStrictEqual([]);
    expect(checker.missingSelections(body.query, (JSON.parse(call?.responseBody ?? '{}') as { data: unknown }).data, { variables: body.variables })).toStrictEqual([]);
  });
});
