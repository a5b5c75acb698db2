import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type CallOptions,
  type CartLine,
  type ClockV1,
  type CommercePlatformV1,
  InvalidRequestError,
  isOpenOrderState,
  Money,
  type OrderState,
  orderStateMachine,
  type Page,
  type PlatformCancelInput,
  type PlatformCart,
  type PlatformOrder,
  type PlatformPaymentUpdate,
  type PlatformTransaction,
  type PlatformWebhookEvent,
  ProviderUnavailableError,
  ResourceNotFoundError,
  systemClock,
  UnknownOutcomeError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@paymigrate/core';
import { InMemoryIdempotencyLedger } from './in-memory-payment-gateway.js';

/** The secret of an `InMemoryCommercePlatform` built without one. */
export const inMemoryDefaultPlatformWebhookSecret = 'shpss_memory_test_secret';

/** Header names of the Shopify webhook scheme the in-memory platform uses. */
export const inMemoryPlatformWebhookHeaders = Object.freeze({
  /** Base64 HMAC-SHA256 of the raw body with the app secret. */
  signature: 'x-shopify-hmac-sha256',
  /** The event id, the deduplication key. */
  eventId: 'x-shopify-webhook-id',
  /** The topic (`orders/updated`, ...). */
  topic: 'x-shopify-topic',
  /** When the platform fired the webhook (ISO 8601). */
  triggeredAt: 'x-shopify-triggered-at',
});

/** The largest page `listOpenOrders` serves (Shopify's limit). */
export const inMemoryMaximumPageSize = 250;

/** Platform topics and the canonical event type each maps to; any other topic is `other`. */
const topicTypes: Readonly<Record<string, PlatformWebhookEvent['type']>> = {
  'orders/create': 'order.created',
  'orders/updated': 'order.updated',
  'orders/cancelled': 'order.cancelled',
  'orders/paid': 'order.paid',
  'refunds/create': 'refund.created',
};

/** Base64 HMAC-SHA256 of `rawBody` with `secret`. */
function hmacBase64(secret: string, rawBody: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64');
}

/**
 * Builds a webhook signed with Shopify's scheme, as `InMemoryCommercePlatform.verifyWebhook`
 * checks it: `x-shopify-hmac-sha256` = base64 HMAC-SHA256 of the raw body with `secret`,
 * `x-shopify-webhook-id` = `eventId`, `x-shopify-topic` = `topic`, and, when `triggeredAt` is
 * given, `x-shopify-triggered-at` (ISO 8601) and `receivedAt`.
 *
 * @param secret The app secret.
 * @param event Event id, topic, and the body (an object is serialized with `JSON.stringify`; a
 *   string is sent as is). The in-memory platform reads the order from the body's `orderId`.
 */
export function signInMemoryPlatformWebhook(
  secret: string,
  event: { readonly eventId: string; readonly topic: string; readonly body: string | Readonly<Record<string, unknown>>; readonly triggeredAt?: number | undefined },
): WebhookRequest {
  const rawBody = typeof event.body === 'string' ? event.body : JSON.stringify(event.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [inMemoryPlatformWebhookHeaders.signature]: hmacBase64(secret, rawBody),
    [inMemoryPlatformWebhookHeaders.eventId]: event.eventId,
    [inMemoryPlatformWebhookHeaders.topic]: event.topic,
  };
  if (event.triggeredAt !== undefined) {
    headers[inMemoryPlatformWebhookHeaders.triggeredAt] = new Date(event.triggeredAt).toISOString();
  }
  return { rawBody, headers, receivedAt: event.triggeredAt };
}

/** Options of `InMemoryCommercePlatform`. */
export interface InMemoryCommercePlatformOptions {
  /** Platform name. @default 'memory' */
  readonly platform?: string | undefined;
  /** App secret of the webhook scheme. @default inMemoryDefaultPlatformWebhookSecret */
  readonly webhookSecret?: string | undefined;
  /** Time source for `updatedAt`, `createdAt` and `cancelledAt`. @default systemClock */
  readonly clock?: ClockV1 | undefined;
}

/** Input of `InMemoryCommercePlatform.addOrder`. */
export interface InMemoryOrderSeed {
  /** The order id. */
  readonly orderId: string;
  /** The order total. */
  readonly total: Money;
  /** Starting state. @default 'payment_pending' */
  readonly canonicalState?: OrderState | undefined;
  /** The customer's id on the platform. */
  readonly customerId?: string | undefined;
  /** Display name (`#1001`). */
  readonly name?: string | undefined;
  /** Last change, epoch milliseconds. @default the clock's now */
  readonly updatedAt?: number | undefined;
  /** Transactions already on the order. @default none */
  readonly transactions?: readonly PlatformTransaction[] | undefined;
}

/** Input of `InMemoryCommercePlatform.addCart`. */
export interface InMemoryCartSeed {
  /** The cart id. */
  readonly cartId: string;
  /** Cart currency. */
  readonly currency: string;
  /** Lines. */
  readonly lines: readonly CartLine[];
  /** The customer's id on the platform. */
  readonly customerId?: string | undefined;
  /** Last change, epoch milliseconds. @default the clock's now */
  readonly updatedAt?: number | undefined;
}

/** The operations of `InMemoryCommercePlatform` that reach the platform. */
export type InMemoryPlatformOperation = 'getOrder' | 'listOpenOrders' | 'recordPayment' | 'cancelOrder' | 'getCart';

/** One order as the platform holds it. */
interface OrderRecord {
  readonly orderId: string;
  readonly name: string | undefined;
  readonly total: Money;
  readonly customerId: string | undefined;
  readonly transactions: PlatformTransaction[];
  canonicalState: OrderState;
  updatedAt: number;
  cancelledAt: number | undefined;
}

/** The position after which the next page of `listOpenOrders` starts. */
interface CursorPosition {
  readonly updatedAt: number;
  readonly orderId: string;
}

/** Orders by last change, oldest first; ties by order id. */
function compareOrders(left: CursorPosition, right: CursorPosition): number {
  return left.updatedAt === right.updatedAt ? (left.orderId < right.orderId ? -1 : left.orderId > right.orderId ? 1 : 0) : left.updatedAt - right.updatedAt;
}

/** Sums the successful transactions of one kind. */
function sumOf(record: OrderRecord, kind: PlatformTransaction['kind']): Money {
  return record.transactions
    .filter((transaction) => transaction.kind === kind && transaction.status === 'success')
    .reduce((sum, transaction) => sum.add(transaction.amount), Money.zero(record.total.currency));
}

/**
 * A commerce platform in memory: the reference implementation of `CommercePlatformV1`, Shopify
 * flavoured (its webhook scheme, a 250-order page limit).
 *
 * - Orders and carts are seeded with `addOrder` / `addCart`.
 * - `recordPayment` moves the canonical state by `orderStateMachine` rules, from the amounts:
 *   `authorization` -> `authorized`; `capture` -> `paid` once captures reach the total, else
 *   `partially_paid`; `refund` -> `refunded` once refunds reach what was captured, else
 *   `partially_refunded`; `void` -> `cancelled` from `authorized`, and from `partially_paid` it
 *   releases the uncaptured rest without changing the state. Anything the machine refuses, a
 *   capture beyond the total, a refund beyond the captured amount, or another currency is an
 *   `InvalidRequestError` naming the order and the states. Idempotent by key: a replay records
 *   nothing and answers the order as it is now.
 * - `listOpenOrders` lists orders whose state is open by `isOpenOrderState`, oldest `updatedAt`
 *   first (ties by order id), with an opaque keyset cursor that survives concurrent changes.
 * - The platform's own financial status is the canonical state in upper case (`PARTIALLY_PAID`).
 */
export class InMemoryCommercePlatform implements CommercePlatformV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;

  /** Platform name. */
  readonly platform: string;

  readonly #webhookSecret: string;
  readonly #clock: ClockV1;
  readonly #ledger: InMemoryIdempotencyLedger;
  readonly #orders = new Map<string, OrderRecord>();
  readonly #carts = new Map<string, PlatformCart>();
  readonly #injectedErrors = new Map<InMemoryPlatformOperation, Error[]>();
  #transactionCounter = 0;
  #available = true;

  /** @param options Platform name, webhook secret and clock. */
  constructor(options: InMemoryCommercePlatformOptions = {}) {
    this.platform = options.platform ?? 'memory';
    this.#webhookSecret = options.webhookSecret ?? inMemoryDefaultPlatformWebhookSecret;
    this.#clock = options.clock ?? systemClock;
    this.#ledger = new InMemoryIdempotencyLedger(this.platform);
  }

  // -------------------------------------------------------------------------------------------
  // Test controls
  // -------------------------------------------------------------------------------------------

  /** Seeds (or replaces) an order and returns it as `getOrder` will. */
  addOrder(seed: InMemoryOrderSeed): PlatformOrder {
    const record: OrderRecord = {
      orderId: seed.orderId,
      name: seed.name,
      total: seed.total,
      customerId: seed.customerId,
      transactions: [...(seed.transactions ?? [])],
      canonicalState: seed.canonicalState ?? 'payment_pending',
      updatedAt: seed.updatedAt ?? this.#clock.now(),
      cancelledAt: undefined,
    };
    this.#orders.set(record.orderId, record);
    return this.#snapshot(record);
  }

  /** Seeds (or replaces) a cart and returns it as `getCart` will. */
  addCart(seed: InMemoryCartSeed): PlatformCart {
    const cart: PlatformCart = Object.freeze({
      cartId: seed.cartId,
      customerId: seed.customerId,
      currency: seed.currency,
      lines: Object.freeze([...seed.lines]),
      updatedAt: seed.updatedAt ?? this.#clock.now(),
    });
    this.#carts.set(cart.cartId, cart);
    return cart;
  }

  /** Every order, as snapshots in insertion order: the platform's truth for invariant checks. */
  orders(): PlatformOrder[] {
    return [...this.#orders.values()].map((record) => this.#snapshot(record));
  }

  /** While unavailable, every call but `verifyWebhook` throws `ProviderUnavailableError` and changes nothing. */
  setAvailable(available: boolean): void {
    this.#available = available;
  }

  /** Queues `error` to be thrown by the next call of `operation`, before anything is applied. */
  failNext(operation: InMemoryPlatformOperation, error: Error): void {
    const queue = this.#injectedErrors.get(operation) ?? [];
    queue.push(error);
    this.#injectedErrors.set(operation, queue);
  }

  /** Builds a webhook signed with this platform's secret, triggered now by its clock. */
  signWebhook(event: { readonly eventId: string; readonly topic: string; readonly orderId?: string | undefined }): WebhookRequest {
    return signInMemoryPlatformWebhook(this.#webhookSecret, {
      eventId: event.eventId,
      topic: event.topic,
      body: { orderId: event.orderId },
      triggeredAt: this.#clock.now(),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Port
  // -------------------------------------------------------------------------------------------

  /** Reads one order; `undefined` when there is none. */
  async getOrder(input: { readonly orderId: string }, options?: CallOptions): Promise<PlatformOrder | undefined> {
    this.#beforeCall('getOrder', options);
    const record = this.#orders.get(input.orderId);
    return record === undefined ? undefined : this.#snapshot(record);
  }

  /**
   * Lists open orders (`isOpenOrderState`) changed at or after `updatedSince`, oldest change
   * first, `limit` per page (1 to 250).
   *
   * @throws InvalidRequestError for a bad `limit` or a cursor this platform did not issue.
   */
  async listOpenOrders(
    input: { readonly limit: number; readonly cursor?: string | undefined; readonly updatedSince?: number | undefined },
    options?: CallOptions,
  ): Promise<Page<PlatformOrder>> {
    this.#beforeCall('listOpenOrders', options);
    if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > inMemoryMaximumPageSize) {
      throw this.#invalid(`limit must be an integer from 1 to ${inMemoryMaximumPageSize}, got ${input.limit}.`, 'limit');
    }
    const after = input.cursor === undefined ? undefined : this.#decodeCursor(input.cursor);
    const updatedSince = input.updatedSince ?? Number.NEGATIVE_INFINITY;
    const matching = [...this.#orders.values()]
      .filter((record) => isOpenOrderState(record.canonicalState) && record.updatedAt >= updatedSince)
      .filter((record) => after === undefined || compareOrders(record, after) > 0)
      .sort(compareOrders);
    const page = matching.slice(0, input.limit);
    const last = page.at(-1);
    const nextCursor =
      matching.length > page.length && last !== undefined
        ? Buffer.from(JSON.stringify({ updatedAt: last.updatedAt, orderId: last.orderId }), 'utf8').toString('base64url')
        : undefined;
    return { items: page.map((record) => this.#snapshot(record)), nextCursor };
  }

  /** Records a payment operation on the order and moves its state; idempotent by key. */
  async recordPayment(input: PlatformPaymentUpdate, options?: CallOptions): Promise<PlatformOrder> {
    this.#beforeCall('recordPayment', options);
    this.#ledger.run('recordPayment', input.idempotencyKey, input, () => this.#recordPayment(input));
    return this.#snapshot(this.#find(input.orderId));
  }

  /** Cancels the order without moving money; idempotent by key. */
  async cancelOrder(input: PlatformCancelInput, options?: CallOptions): Promise<PlatformOrder> {
    this.#beforeCall('cancelOrder', options);
    this.#ledger.run('cancelOrder', input.idempotencyKey, input, () => {
      const record = this.#find(input.orderId);
      this.#assertTransition(record, 'cancelled', 'cancel');
      const now = this.#clock.now();
      record.canonicalState = 'cancelled';
      record.cancelledAt = now;
      record.updatedAt = now;
    });
    return this.#snapshot(this.#find(input.orderId));
  }

  /** Reads a cart; `undefined` when there is none. */
  async getCart(input: { readonly cartId: string }, options?: CallOptions): Promise<PlatformCart | undefined> {
    this.#beforeCall('getCart', options);
    return this.#carts.get(input.cartId);
  }

  /**
   * Verifies Shopify's scheme (base64 HMAC-SHA256 of the raw body in `x-shopify-hmac-sha256`,
   * compared in constant time; the scheme has no timestamp, so nothing is stale) and normalizes
   * it: event id from `x-shopify-webhook-id`, topic from `x-shopify-topic`, order from the body's
   * `orderId`, time from `x-shopify-triggered-at`, else `receivedAt`, else the clock.
   */
  async verifyWebhook(request: WebhookRequest, options?: CallOptions): Promise<PlatformWebhookEvent> {
    if (options?.signal?.aborted === true) {
      throw new ProviderUnavailableError('verifyWebhook was aborted by the caller.', { provider: this.platform, cause: options.signal.reason });
    }
    const reject = (reason: WebhookVerificationError['reason'], detail: string, cause?: unknown): WebhookVerificationError =>
      new WebhookVerificationError({ source: this.platform, reason, detail, cause });
    const headers = inMemoryPlatformWebhookHeaders;
    const signature = request.headers[headers.signature];
    if (signature === undefined || signature.length === 0) {
      throw reject('missing-signature', `no ${headers.signature} header`);
    }
    const given = Buffer.from(signature, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature) || given.length !== 32) {
      throw reject('malformed-signature', `${headers.signature} must be a base64 HMAC-SHA256`);
    }
    if (!timingSafeEqual(given, Buffer.from(hmacBase64(this.#webhookSecret, request.rawBody), 'base64'))) {
      throw reject('signature-mismatch', 'the signature does not match the body');
    }
    const eventId = request.headers[headers.eventId];
    const topic = request.headers[headers.topic];
    if (eventId === undefined || eventId.length === 0 || topic === undefined || topic.length === 0) {
      throw reject('malformed-body', `${headers.eventId} and ${headers.topic} are required`);
    }
    let body: unknown;
    try {
      body = JSON.parse(request.rawBody);
    } catch (error) {
      throw reject('malformed-body', 'the body is not JSON', error);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw reject('malformed-body', 'the body is not a JSON object');
    }
    const orderId: unknown = (body as Record<string, unknown>)['orderId'];
    if (orderId !== undefined && typeof orderId !== 'string') {
      throw reject('malformed-body', 'orderId must be a string');
    }
    const triggeredAt = Date.parse(request.headers[headers.triggeredAt] ?? '');
    return Object.freeze({
      eventId,
      topic,
      type: topicTypes[topic] ?? 'other',
      orderId,
      occurredAt: Number.isNaN(triggeredAt) ? (request.receivedAt ?? this.#clock.now()) : triggeredAt,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------

  #beforeCall(operation: InMemoryPlatformOperation, options: CallOptions | undefined): void {
    if (options?.signal?.aborted === true) {
      throw new UnknownOutcomeError(`${operation} was aborted by the caller.`, { provider: this.platform, cause: options.signal.reason });
    }
    if (!this.#available) {
      throw new ProviderUnavailableError(`The platform is unavailable; ${operation} was not sent.`, { provider: this.platform });
    }
    const injected = this.#injectedErrors.get(operation)?.shift();
    if (injected !== undefined) {
      throw injected;
    }
  }

  #invalid(message: string, parameter: string): InvalidRequestError {
    return new InvalidRequestError(message, { provider: this.platform, httpStatus: 422, parameter });
  }

  #find(orderId: string): OrderRecord {
    const record = this.#orders.get(orderId);
    if (record === undefined) {
      throw new ResourceNotFoundError(`No order '${orderId}'.`, { provider: this.platform, httpStatus: 404, resource: `order ${orderId}` });
    }
    return record;
  }

  #decodeCursor(cursor: string): CursorPosition {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      const { updatedAt, orderId } = decoded as Partial<CursorPosition>;
      if (typeof updatedAt === 'number' && typeof orderId === 'string') {
        return { updatedAt, orderId };
      }
    } catch {
      // Falls through to the error below.
    }
    throw this.#invalid('The cursor was not issued by this platform; pass back nextCursor unchanged.', 'cursor');
  }

  #assertTransition(record: OrderRecord, target: OrderState, action: string): void {
    if (!orderStateMachine.canTransition(record.canonicalState, target)) {
      const allowed = orderStateMachine.allowedFrom(record.canonicalState);
      throw this.#invalid(
        `Cannot ${action} order '${record.orderId}': it is ${record.canonicalState}, and ${record.canonicalState} -> ${target} is not allowed (allowed: ${allowed.join(', ') || 'none, it is final'}).`,
        'kind',
      );
    }
  }

  #recordPayment(input: PlatformPaymentUpdate): void {
    const record = this.#find(input.orderId);
    if (input.amount.currency !== record.total.currency) {
      throw this.#invalid(`Order '${record.orderId}' is in ${record.total.currency}, the ${input.kind} in ${input.amount.currency}.`, 'amount');
    }
    if (!input.amount.isPositive()) {
      throw this.#invalid(`The ${input.kind} amount must be positive, got ${input.amount.toString()}.`, 'amount');
    }
    const captured = sumOf(record, 'capture');
    const refunded = sumOf(record, 'refund');
    let target: OrderState;
    if (input.kind === 'authorization') {
      target = 'authorized';
      this.#assertTransition(record, target, 'record an authorization on');
    } else if (input.kind === 'capture') {
      const capturedAfter = captured.add(input.amount);
      target = capturedAfter.greaterThanOrEqual(record.total) ? 'paid' : 'partially_paid';
      this.#assertTransition(record, target, 'record a capture on');
      if (capturedAfter.greaterThan(record.total)) {
        throw this.#invalid(
          `Cannot record a capture of ${input.amount.toString()} on order '${record.orderId}': ${captured.toString()} of ${record.total.toString()} is already captured.`,
          'amount',
        );
      }
    } else if (input.kind === 'refund') {
      const refundedAfter = refunded.add(input.amount);
      target = refundedAfter.greaterThanOrEqual(captured) ? 'refunded' : 'partially_refunded';
      this.#assertTransition(record, target, 'record a refund on');
      if (refundedAfter.greaterThan(captured)) {
        throw this.#invalid(
          `Cannot record a refund of ${input.amount.toString()} on order '${record.orderId}': ${refunded.toString()} of the ${captured.toString()} captured is already refunded.`,
          'amount',
        );
      }
    } else {
      // A void releases what is still authorized: the whole order when nothing was captured,
      // only the rest (state unchanged) when part was.
      target = record.canonicalState === 'partially_paid' ? 'partially_paid' : 'cancelled';
      if (record.canonicalState !== 'authorized' && record.canonicalState !== 'partially_paid') {
        throw this.#invalid(
          `Cannot record a void on order '${record.orderId}': it is ${record.canonicalState}, and only an authorized or partially_paid order holds an authorization.`,
          'kind',
        );
      }
      this.#assertTransition(record, target, 'record a void on');
    }
    const now = this.#clock.now();
    this.#transactionCounter += 1;
    record.transactions.push(
      Object.freeze({
        id: `txn_memory_${String(this.#transactionCounter).padStart(6, '0')}`,
        kind: input.kind,
        status: 'success',
        amount: input.amount,
        gateway: input.provider,
        providerReference: input.operationReference ?? input.providerReference,
        createdAt: now,
      }),
    );
    record.canonicalState = target;
    record.updatedAt = now;
    if (target === 'cancelled') {
      record.cancelledAt = now;
    }
  }

  #snapshot(record: OrderRecord): PlatformOrder {
    return Object.freeze({
      orderId: record.orderId,
      name: record.name,
      platformFinancialStatus: record.canonicalState.toUpperCase(),
      platformFulfillmentStatus: undefined,
      canonicalState: record.canonicalState,
      total: record.total,
      transactions: Object.freeze([...record.transactions]),
      customerId: record.customerId,
      updatedAt: record.updatedAt,
      cancelledAt: record.cancelledAt,
    });
  }
}
