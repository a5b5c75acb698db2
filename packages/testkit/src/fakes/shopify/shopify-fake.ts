import { randomUUID } from 'node:crypto';
import { type ClockV1, systemClock, type WebhookRequest } from '@paymigrate/core';
import { buildSchema, execute, type GraphQLSchema } from 'graphql';
import type { HttpHandler } from 'msw';
import { createFakeApi, type FakeApi, type FakeRouteContext } from '../../http/fake-api.js';
import { json, type FakeResponse } from '../../http/fake-response.js';
import { createSeededRandom } from '../../http/seeded-random.js';
import { actualQueryCost, requestedQueryCost, ShopifyCostBucket, type ShopifyThrottleStatus } from './shopify-fake-cost.js';
import { createShopifyDocumentChecker } from './shopify-fake-documents.js';
import { selectOperation } from './shopify-graphql-selection.js';
import { ShopifyFakeResolvers } from './shopify-fake-resolvers.js';
import { shopifyFakeSchemaSdl } from './shopify-fake-schema.js';
import {
  type ShopifyFakeChange,
  type ShopifyFakeFulfillmentStatus,
  type ShopifyFakeOrderAmounts,
  type ShopifyFakeOrderRecord,
  type ShopifyFakeOrderSeed,
  type ShopifyFakeReturnStatus,
  ShopifyFakeStore,
  type ShopifyFakeWebhookTopic,
} from './shopify-fake-store.js';
import { type ShopifyFakeWebhook, shopifyOrderWebhookPayload, shopifyRefundWebhookPayload, signShopifyWebhook } from './shopify-fake-webhooks.js';

/** The Admin API version the fake implements. */
export const shopifyFakeApiVersion = '2025-01';

/** Route ids of the Shopify fake, for `fake.api.callsTo(...)` and fault rules. */
export const shopifyFakeRoutes = {
  /** `POST https://{shop}/admin/api/{version}/graphql.json`. */
  graphql: 'POST /admin/api/:version/graphql.json',
} as const;

/** Defaults of {@link createShopifyFake}. */
export const shopifyFakeDefaults = Object.freeze({
  shopDomain: 'paymigrate-test.myshopify.com',
  adminAccessToken: 'shpat_paymigrate_fake_admin_token',
  apiSecretKey: 'shpss_paymigrate_fake_app_secret',
  /** Shopify's standard bucket: 1000 points. */
  maximumAvailable: 1000,
  /** Shopify's standard restore rate: 50 points per second. */
  restoreRate: 50,
});

/** Shopify's body of a 401 on the Admin API. */
export const shopifyUnauthorizedBody = Object.freeze({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });

/** Bodies in Shopify's shape for fault injection (`server-error`, `rate-limit`). */
export const shopifyFaultBodies = Object.freeze({
  serverError: Object.freeze({ errors: 'Internal Server Error' }),
  serviceUnavailable: Object.freeze({ errors: 'Service Unavailable' }),
  tooManyRequests: Object.freeze({ errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }),
});

/** Options of {@link createShopifyFake}. */
export interface CreateShopifyFakeOptions {
  /** The shop the fake answers for. @default 'paymigrate-test.myshopify.com' */
  readonly shopDomain?: string | undefined;
  /** The Admin API access token it accepts (`X-Shopify-Access-Token`). */
  readonly adminAccessToken?: string | undefined;
  /** The app's API secret key that signs webhooks. */
  readonly apiSecretKey?: string | undefined;
  /** Time for timestamps, the cost bucket and cancellation jobs. @default systemClock */
  readonly clock?: Pick<ClockV1, 'now'> | undefined;
  /** Size of the cost bucket. @default 1000 */
  readonly maximumAvailable?: number | undefined;
  /** Points restored per second. @default 50 */
  readonly restoreRate?: number | undefined;
  /** How long after `orderCancel` its job cancels the order. @default 0 (done in the mutation) */
  readonly cancelJobDelayMilliseconds?: number | undefined;
  /** Seed of the generators behind fault probabilities and webhook shuffling. @default 1 */
  readonly seed?: number | undefined;
  /** Record calls (turn off for long benchmarks). @default true */
  readonly recordCalls?: boolean | undefined;
}

/** Options of `ShopifyFake.takeWebhooks`: what the test's delivery does to the queue. */
export interface ShopifyFakeTakeWebhooksOptions {
  /** Deliver these again right after themselves, with the same `X-Shopify-Webhook-Id` (Shopify retries). */
  readonly duplicate?: boolean | ((webhook: ShopifyFakeWebhook, index: number) => boolean) | undefined;
  /** Delivery order. @default 'queued' */
  readonly order?: 'queued' | 'reversed' | 'shuffled' | undefined;
}

/** Input of `ShopifyFake.signWebhook`. */
export interface ShopifyFakeSignWebhookInput {
  readonly topic: string;
  /** The order the payload describes (its current state). */
  readonly orderId: string;
  /** @default a fresh UUID */
  readonly webhookId?: string | undefined;
  /** Sign with another secret (a forgery). @default the fake's API secret key */
  readonly secret?: string | undefined;
  /** @default the clock's now */
  readonly triggeredAt?: number | undefined;
}

/** An order as the fake holds it, with Shopify's derived amounts: for assertions. */
export interface ShopifyFakeOrderView extends Readonly<Omit<ShopifyFakeOrderRecord, 'transactions' | 'refunds' | 'tags'>> {
  readonly amounts: ShopifyFakeOrderAmounts;
  readonly transactions: readonly Readonly<ShopifyFakeOrderRecord['transactions'][number]>[];
  readonly refunds: readonly Readonly<ShopifyFakeOrderRecord['refunds'][number]>[];
}

/** A stateful fake of the Shopify Admin GraphQL API 2025-01 on msw. */
export interface ShopifyFake {
  /** The fake API (calls, faults, traffic dump). */
  readonly api: FakeApi;
  /** `setupServer(...fake.handlers)`. */
  readonly handlers: HttpHandler[];
  readonly shopDomain: string;
  readonly adminAccessToken: string;
  readonly apiSecretKey: string;
  /** `https://{shop}/admin/api/2025-01/graphql.json`. */
  readonly graphqlUrl: string;
  /** The executable schema the fake serves. */
  readonly schema: GraphQLSchema;
  /** Seeds an order and answers its gid (queues `orders/create`). */
  addOrder(seed: ShopifyFakeOrderSeed): string;
  /** One order with its derived amounts, or `undefined`. */
  order(orderId: string): ShopifyFakeOrderView | undefined;
  /** Every order. */
  orders(): ShopifyFakeOrderView[];
  /** Changes fulfillment or return status, as a fulfillment or returns app would (queues `orders/updated`). */
  setFulfillment(orderId: string, change: { readonly fulfillmentStatus?: ShopifyFakeFulfillmentStatus; readonly returnStatus?: ShopifyFakeReturnStatus }): void;
  /** The cost bucket as Shopify would report it now. */
  throttleStatus(): ShopifyThrottleStatus;
  /** Sets the points available now (drain the bucket to test throttling). */
  setAvailablePoints(points: number): void;
  /** The webhooks queued so far, oldest first. */
  pendingWebhooks(): readonly ShopifyFakeWebhook[];
  /** Removes and answers the queued webhooks, with injected duplicates and reordering. */
  takeWebhooks(options?: ShopifyFakeTakeWebhooksOptions): ShopifyFakeWebhook[];
  /** Builds a signed webhook for an order's current state. */
  signWebhook(input: ShopifyFakeSignWebhookInput): WebhookRequest;
  /** Forgets orders, webhooks, calls and faults and refills the bucket. */
  reset(): void;
}

const schemaCache: { schema?: GraphQLSchema } = {};

/** The fake's executable schema (built once). */
export function shopifyFakeSchema(): GraphQLSchema {
  schemaCache.schema ??= buildSchema(shopifyFakeSchemaSdl);
  return schemaCache.schema;
}

interface GraphqlRequestBody {
  readonly query?: unknown;
  readonly variables?: unknown;
  readonly operationName?: unknown;
}

/**
 * Creates a stateful fake of the Shopify Admin GraphQL API 2025-01, served with msw at
 * `https://{shop}/admin/api/2025-01/graphql.json` (serve it over loopback HTTP with `serveOverHttp`).
 *
 * - Queries are parsed, validated and executed with graphql-js against `shopifyFakeSchemaSdl` (a
 *   part of the official 2025-01 schema); validation errors come back as `errors` with HTTP 200,
 *   as Shopify does. Parsing and validation run once per distinct document text (see
 *   `createShopifyDocumentChecker`); cost, throttling and execution run on every request.
 * - Orders hold transactions and refunds; `displayFinancialStatus` is derived from them the way
 *   Shopify does. Mutations follow Shopify's rules: capture at most what is authorized (one
 *   capture unless multi-capturable), refund at most what was captured, mark as paid only without
 *   an open authorization, cancel asynchronously through a job (voiding open authorizations),
 *   never cancel twice or with fulfillments. Rule failures are `userErrors`.
 * - Every answer carries `extensions.cost` with a leaky bucket (1000 points, 50 per second by
 *   default); a query costing more than is available gets `THROTTLED`, more than the bucket holds
 *   `MAX_COST_EXCEEDED`.
 * - Changes queue signed webhooks (`orders/create`, `orders/updated`, `orders/paid`,
 *   `orders/cancelled`, `refunds/create`) that the test delivers with `takeWebhooks`.
 * - A wrong access token is a 401; other API versions are a 404; faults come from `api.faults`.
 */
export function createShopifyFake(options: CreateShopifyFakeOptions = {}): ShopifyFake {
  const shopDomain = options.shopDomain ?? shopifyFakeDefaults.shopDomain;
  const adminAccessToken = options.adminAccessToken ?? shopifyFakeDefaults.adminAccessToken;
  const apiSecretKey = options.apiSecretKey ?? shopifyFakeDefaults.apiSecretKey;
  const clock = options.clock ?? systemClock;
  const now = (): number => clock.now();
  const schema = shopifyFakeSchema();
  const random = createSeededRandom(options.seed ?? 1);
  const newBucket = (): ShopifyCostBucket =>
    new ShopifyCostBucket({ maximumAvailable: options.maximumAvailable ?? shopifyFakeDefaults.maximumAvailable, restoreRate: options.restoreRate ?? shopifyFakeDefaults.restoreRate, clock });
  let bucket = newBucket();
  let webhooks: ShopifyFakeWebhook[] = [];

  const store: ShopifyFakeStore = new ShopifyFakeStore({ now, onChange: (change) => queueWebhook(change), cancelJobDelayMilliseconds: () => options.cancelJobDelayMilliseconds ?? 0 });
  const resolvers = new ShopifyFakeResolvers(store);
  const checkDocument = createShopifyDocumentChecker(schema);

  function payloadFor(topic: string, order: ShopifyFakeOrderRecord, refundId?: string): Record<string, unknown> {
    if (topic !== 'refunds/create') return shopifyOrderWebhookPayload(order, store.amounts(order));
    const refund = order.refunds.find((candidate) => candidate.id === refundId) ?? order.refunds.at(-1);
    const synthetic = { legacyId: 8_900_000_000 + webhooks.length, id: 'gid://shopify/Refund/0', note: undefined, createdAt: now(), transactionIds: [], amountMinor: 0n };
    return shopifyRefundWebhookPayload(order, refund ?? synthetic);
  }

  function queueWebhook(change: ShopifyFakeChange): void {
    const order = store.order(change.orderId);
    if (order === undefined) return;
    const webhookId = randomUUID();
    webhooks.push({
      topic: change.topic,
      webhookId,
      orderId: order.id,
      request: signShopifyWebhook({ secret: apiSecretKey, topic: change.topic, payload: payloadFor(change.topic, order, change.refundId), shopDomain, webhookId, triggeredAt: now() }),
    });
  }

  function answer(body: unknown, status = 200): FakeResponse {
    return json(body, { status, headers: { 'x-request-id': randomUUID(), 'x-shopify-api-version': shopifyFakeApiVersion } });
  }

  function costExtension(requested: number, actual: number | null): Record<string, unknown> {
    return { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: bucket.status() } };
  }

  async function handleGraphql(context: FakeRouteContext): Promise<FakeResponse> {
    if (context.params['version'] !== shopifyFakeApiVersion) return answer({ errors: 'Not Found' }, 404);
    if (context.headers.get('x-shopify-access-token') !== adminAccessToken) return answer(shopifyUnauthorizedBody, 401);
    let body: GraphqlRequestBody;
    try {
      body = context.json<GraphqlRequestBody>();
    } catch {
      return answer({ errors: { query: 'Required parameter missing or invalid' } }, 400);
    }
    if (typeof body !== 'object' || body === null || typeof body.query !== 'string') return answer({ errors: { query: 'Required parameter missing or invalid' } }, 400);
    const variables = typeof body.variables === 'object' && body.variables !== null ? (body.variables as Record<string, unknown>) : {};
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    store.applyDueCancellations();
    const checked = checkDocument(body.query);
    if ('errors' in checked) return answer({ errors: checked.errors });
    const document = checked.document;
    if (selectOperation(document, operationName) === undefined) {
      return answer({ errors: [{ message: operationName === undefined ? 'An operation name is required' : `No operation named "${operationName}"` }] });
    }
    const requested = requestedQueryCost(schema, document, operationName, variables);
    if (requested > bucket.maximumAvailable) {
      return answer({
        errors: [
          {
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (${bucket.maximumAvailable}).`,
            extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: bucket.maximumAvailable },
          },
        ],
        extensions: costExtension(requested, null),
      });
    }
    if (!bucket.take(requested)) {
      return answer({
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: costExtension(requested, null),
      });
    }
    const result = await execute({ schema, document, rootValue: resolvers.root(), variableValues: variables, operationName });
    const actual = actualQueryCost(schema, document, operationName, variables, result.data);
    bucket.giveBack(requested - actual);
    const response: Record<string, unknown> = {};
    if (result.errors !== undefined) response['errors'] = result.errors.map((error) => error.toJSON());
    if (result.data !== undefined) response['data'] = result.data;
    response['extensions'] = costExtension(requested, actual);
    return answer(response);
  }

  const api = createFakeApi({
    name: 'shopify',
    baseUrl: `https://${shopDomain}`,
    seed: options.seed,
    recordCalls: options.recordCalls,
    secretHeaders: ['x-shopify-access-token'],
    routes: [{ method: 'POST', path: '/admin/api/:version/graphql.json', id: shopifyFakeRoutes.graphql, handle: handleGraphql }],
  });

  function view(record: ShopifyFakeOrderRecord): ShopifyFakeOrderView {
    return { ...record, transactions: [...record.transactions], refunds: [...record.refunds], amounts: store.amounts(record) };
  }

  return {
    api,
    handlers: api.handlers,
    shopDomain,
    adminAccessToken,
    apiSecretKey,
    graphqlUrl: `https://${shopDomain}/admin/api/${shopifyFakeApiVersion}/graphql.json`,
    schema,
    addOrder: (seed) => store.addOrder(seed).id,
    order: (orderId) => {
      store.applyDueCancellations();
      const record = store.order(orderId);
      return record === undefined ? undefined : view(record);
    },
    orders: () => {
      store.applyDueCancellations();
      return store.orders().map(view);
    },
    setFulfillment: (orderId, change) => {
      store.setFulfillment(orderId, change);
    },
    throttleStatus: () => bucket.status(),
    setAvailablePoints: (points) => bucket.set(points),
    pendingWebhooks: () => [...webhooks],
    takeWebhooks: (takeOptions = {}) => {
      const taken = webhooks;
      webhooks = [];
      const duplicate = takeOptions.duplicate;
      const delivered = taken.flatMap((webhook, index) => {
        const again = duplicate === true || (typeof duplicate === 'function' && duplicate(webhook, index));
        return again ? [webhook, webhook] : [webhook];
      });
      if (takeOptions.order === 'reversed') delivered.reverse();
      if (takeOptions.order === 'shuffled') {
        for (let index = delivered.length - 1; index > 0; index -= 1) {
          const other = Math.floor(random.next() * (index + 1));
          [delivered[index], delivered[other]] = [delivered[other] as ShopifyFakeWebhook, delivered[index] as ShopifyFakeWebhook];
        }
      }
      return delivered;
    },
    signWebhook: (input) => {
      const order = store.order(input.orderId);
      if (order === undefined) throw new Error(`Shopify fake: no order ${input.orderId} to build a webhook for`);
      return signShopifyWebhook({
        secret: input.secret ?? apiSecretKey,
        topic: input.topic,
        payload: payloadFor(input.topic as ShopifyFakeWebhookTopic, order),
        shopDomain,
        webhookId: input.webhookId ?? randomUUID(),
        triggeredAt: input.triggeredAt ?? now(),
      });
    },
    reset: () => {
      store.clear();
      webhooks = [];
      bucket = newBucket();
      api.resetCalls();
      api.faults.clear();
    },
  };
}
