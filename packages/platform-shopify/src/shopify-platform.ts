import {
  type CallOptions,
  type ClockV1,
  type CommercePlatformV1,
  IdempotencyConflictError,
  InvalidRequestError,
  isOpenOrderState,
  type Page,
  type PlatformCancelInput,
  type PlatformCart,
  type PlatformOrder,
  type PlatformPaymentUpdate,
  type PlatformWebhookEvent,
  ProviderError,
  ResourceNotFoundError,
  UnknownOutcomeError,
  type WebhookRequest,
} from '@paymigrate/core';
import { openFinancialStatuses } from './shopify-open-orders.js';
import { appliedSince, planShopifyPayment, type ShopifyPaymentPlan, transactionRecording } from './plan-shopify-payment.js';
import { ShopifyAdminClient, type ShopifyThrottleStatus } from './shopify-admin-client.js';
import { malformedResponse, type ShopifyCallEffect, type ShopifyUserError, userErrorsToError } from './shopify-error.js';
import { toOrderGid } from './shopify-ids.js';
import { type ShopifyAttempt, ShopifyIdempotencyLedger } from './shopify-idempotency-ledger.js';
import { parseShopifyPlatformOptions, type ResolvedShopifyPlatformOptions, shopifyComponent, type ShopifyPlatformOptions } from './shopify-options.js';
import { gatewayRoles } from './shopify-gateways.js';
import { readShopifyOrder, type ShopifyOrderView } from './shopify-order.js';
import { ShopifyOrderReads } from './shopify-order-reads.js';
import { recordedRefundAmount, recordOnlyRefundNote, refundNote, refundNoteMarker } from './shopify-refund-notes.js';
import { cancelMutation, captureMutation, listOrdersQuery, markAsPaidMutation, refundMutation } from './shopify-queries.js';
import { verifyShopifyWebhook } from './shopify-webhooks.js';

/** What this adapter can and cannot do on Shopify's Admin API 2025-01. */
export interface ShopifyPlatformCapabilities {
  /** `getCart` reads carts. The Admin API has no cart (or abandoned checkout) read in 2025-01's subset: `getCart` answers `undefined`. */
  readonly carts: false;
  /** `recordPayment({ kind: 'authorization' })` adds an authorization. It only confirms one Shopify already holds (see `ShopifyPaymentPlan`). */
  readonly recordsAuthorizations: false;
  /** A partial payment can be recorded without an authorization. Only the whole outstanding amount (`orderMarkAsPaid`). */
  readonly partialPaymentsWithoutAuthorization: false;
  /** `recordPayment({ kind: 'void' })` after a partial capture. */
  readonly voidsAfterPartialCapture: false;
  /** Replays are recognised across processes. Only refunds (their note carries the key); other writes within one adapter instance. */
  readonly durableIdempotency: 'refunds-only';
}

/** The capabilities of every Shopify adapter. */
export const shopifyPlatformCapabilities: ShopifyPlatformCapabilities = Object.freeze({
  carts: false,
  recordsAuthorizations: false,
  partialPaymentsWithoutAuthorization: false,
  voidsAfterPartialCapture: false,
  durableIdempotency: 'refunds-only',
});

/** The Shopify commerce platform adapter. */
export interface ShopifyPlatform extends CommercePlatformV1 {
  readonly platform: 'shopify';
  /** What the adapter can do; core adapts to it. */
  readonly capabilities: ShopifyPlatformCapabilities;
  /** The last cost-bucket status Shopify reported (`extensions.cost.throttleStatus`), if any. */
  throttleStatus(): ShopifyThrottleStatus | undefined;
}

/** Canonical cancel reasons as `OrderCancelReason`. */
const cancelReasons: Readonly<Record<PlatformCancelInput['reason'], string>> = {
  customer: 'CUSTOMER',
  fraud: 'FRAUD',
  inventory: 'INVENTORY',
  declined: 'DECLINED',
  other: 'OTHER',
};

/** The largest `limit` `listOpenOrders` accepts (Shopify's page limit). */
export const shopifyMaximumListLimit = 250;

export { refundNoteMarker } from './shopify-refund-notes.js';

/** Shopify search time: whole seconds, rounded up (its timestamps have a one-second resolution). */
function searchTime(epochMilliseconds: number): string {
  return new Date(Math.ceil(epochMilliseconds / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

interface Payload {
  readonly userErrors?: readonly ShopifyUserError[];
  readonly orderCancelUserErrors?: readonly ShopifyUserError[];
}

class ShopifyCommercePlatform implements ShopifyPlatform {
  readonly specificationVersion = 'v1' as const;
  readonly platform = 'shopify' as const;
  readonly capabilities = shopifyPlatformCapabilities;

  readonly #options: ResolvedShopifyPlatformOptions;
  readonly #client: ShopifyAdminClient;
  readonly #clock: ClockV1;
  readonly #ledger: ShopifyIdempotencyLedger;
  readonly #reads: ShopifyOrderReads;

  constructor(options: ResolvedShopifyPlatformOptions) {
    this.#options = options;
    this.#clock = options.clock;
    this.#client = new ShopifyAdminClient(options);
    this.#ledger = new ShopifyIdempotencyLedger({ clock: options.clock });
    this.#reads = new ShopifyOrderReads(this.#client);
  }

  throttleStatus(): ShopifyThrottleStatus | undefined {
    return this.#client.throttleStatus();
  }

  async getOrder(input: { readonly orderId: string }, options?: CallOptions): Promise<PlatformOrder | undefined> {
    const orderId = toOrderGid(input.orderId);
    if (orderId === undefined) return undefined;
    return (await this.#readOrder(orderId, 'read', options?.signal))?.order;
  }

  async listOpenOrders(
    input: { readonly limit: number; readonly cursor?: string | undefined; readonly updatedSince?: number | undefined },
    options?: CallOptions,
  ): Promise<Page<PlatformOrder>> {
    if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > shopifyMaximumListLimit) {
      throw new InvalidRequestError(`limit must be an integer from 1 to ${shopifyMaximumListLimit}, got ${input.limit}.`, { provider: shopifyComponent, parameter: 'limit' });
    }
    const terms = [`(${openFinancialStatuses.map((status) => `financial_status:${status}`).join(' OR ')})`, '-status:cancelled'];
    if (input.updatedSince !== undefined) terms.push(`updated_at:>='${searchTime(input.updatedSince)}'`);
    const data = await this.#client.request<{ readonly orders?: { readonly nodes?: unknown; readonly pageInfo?: { readonly hasNextPage?: unknown; readonly endCursor?: unknown } } }>({
      operation: 'orders',
      document: listOrdersQuery,
      variables: { first: Math.min(input.limit, this.#options.maximumPageSize), after: input.cursor ?? null, query: terms.join(' AND ') },
      effect: 'read',
      signal: options?.signal,
    });
    const nodes = data.orders?.nodes;
    if (!Array.isArray(nodes)) throw malformedResponse('orders', 'no orders.nodes', 'read');
    const updatedSince = input.updatedSince ?? Number.NEGATIVE_INFINITY;
    const items = nodes
      .map((node) => readShopifyOrder(node, 'orders', 'read').order)
      .filter((order) => isOpenOrderState(order.canonicalState) && order.updatedAt >= updatedSince);
    const endCursor = data.orders?.pageInfo?.endCursor;
    const nextCursor = data.orders?.pageInfo?.hasNextPage === true && typeof endCursor === 'string' ? endCursor : undefined;
    return { items, nextCursor };
  }

  async recordPayment(input: PlatformPaymentUpdate, options?: CallOptions): Promise<PlatformOrder> {
    const orderId = this.#orderGidOrThrow(input.orderId);
    if (!input.amount.isPositive()) {
      throw new InvalidRequestError(`The ${input.kind} amount must be positive, got ${input.amount.toString()}.`, { provider: shopifyComponent, parameter: 'amount' });
    }
    const fingerprint = JSON.stringify({
      operation: 'recordPayment',
      orderId,
      kind: input.kind,
      amount: input.amount.toJSON(),
      provider: input.provider,
      providerReference: input.providerReference,
      operationReference: input.operationReference ?? null,
    });
    return this.#ledger.run(
      input.idempotencyKey,
      fingerprint,
      (attempt) => this.#recordPayment(orderId, input, attempt, options?.signal),
      () => this.#currentOrder(orderId, options?.signal),
    );
  }

  async cancelOrder(input: PlatformCancelInput, options?: CallOptions): Promise<PlatformOrder> {
    const orderId = this.#orderGidOrThrow(input.orderId);
    const fingerprint = JSON.stringify({ operation: 'cancelOrder', orderId, reason: input.reason, staffNote: input.staffNote ?? null });
    return this.#ledger.run(
      input.idempotencyKey,
      fingerprint,
      async (attempt) => {
        const view = await this.#existingOrder(orderId, options?.signal);
        if (view.order.cancelledAt !== undefined) {
          if (attempt.previous !== undefined) return view.order;
          throw new InvalidRequestError(`Order '${orderId}' is already cancelled.`, { provider: shopifyComponent, httpStatus: 422, parameter: 'orderId' });
        }
        const note = `${input.staffNote === undefined ? 'Cancelled by paymigrate' : input.staffNote} (paymigrate idempotency key ${input.idempotencyKey})`;
        return this.#cancel(orderId, cancelReasons[input.reason], note, view, attempt, options?.signal);
      },
      () => this.#currentOrder(orderId, options?.signal),
    );
  }

  /** The Admin API 2025-01 has no cart read (carts live in the Storefront API, per buyer): always `undefined`, nothing is sent. */
  async getCart(_input: { readonly cartId: string }, _options?: CallOptions): Promise<PlatformCart | undefined> {
    return undefined;
  }

  async verifyWebhook(request: WebhookRequest, _options?: CallOptions): Promise<PlatformWebhookEvent> {
    return verifyShopifyWebhook(request, { secret: this.#options.apiSecretKey, shopDomain: this.#options.shopDomain, clock: this.#clock });
  }

  // -------------------------------------------------------------------------------------------

  #orderGidOrThrow(orderId: string): string {
    const gid = toOrderGid(orderId);
    if (gid === undefined) throw this.#notFound(orderId);
    return gid;
  }

  #notFound(orderId: string): ResourceNotFoundError {
    return new ResourceNotFoundError(`No order '${orderId}' on ${this.#options.shopDomain}.`, { provider: shopifyComponent, resource: `order ${orderId}` });
  }

  /** The order (reads of the same turn share requests: see `ShopifyOrderReads`). */
  #readOrder(orderId: string, effect: ShopifyCallEffect, signal: AbortSignal | undefined): Promise<ShopifyOrderView | undefined> {
    return this.#reads.read(orderId, effect, signal);
  }

  async #existingOrder(orderId: string, signal: AbortSignal | undefined): Promise<ShopifyOrderView> {
    const view = await this.#readOrder(orderId, 'read', signal);
    if (view === undefined) throw this.#notFound(orderId);
    return view;
  }

  async #currentOrder(orderId: string, signal: AbortSignal | undefined): Promise<PlatformOrder> {
    return (await this.#existingOrder(orderId, signal)).order;
  }

  async #recordPayment(orderId: string, input: PlatformPaymentUpdate, attempt: ShopifyAttempt, signal: AbortSignal | undefined): Promise<PlatformOrder> {
    const view = await this.#existingOrder(orderId, signal);
    if (attempt.previous !== undefined && appliedSince(view, input, attempt.previous)) return view.order;
    const recorded = transactionRecording(view, input);
    if (recorded !== undefined) {
      if (!recorded.amount.equals(input.amount)) {
        throw new IdempotencyConflictError(
          `Order '${orderId}' already records ${input.kind} ${String(input.operationReference)} with ${recorded.amount.toString()}, not ${input.amount.toString()}.`,
          { provider: shopifyComponent, idempotencyKey: input.idempotencyKey },
        );
      }
      return view.order;
    }
    if (input.kind === 'refund') {
      const marked = view.refunds.find((refund) => refund.note?.includes(refundNoteMarker(input.idempotencyKey)) === true);
      if (marked !== undefined) {
        const recorded = recordedRefundAmount(marked);
        if (recorded !== input.amount.toString()) {
          throw new IdempotencyConflictError(`Idempotency key '${input.idempotencyKey}' already recorded a refund of ${String(recorded)} on order '${orderId}'.`, {
            provider: shopifyComponent,
            idempotencyKey: input.idempotencyKey,
          });
        }
        return view.order;
      }
    }
    const plan = planShopifyPayment(view, input, gatewayRoles(input.provider, this.#options.gatewayProviders));
    attempt.remember({ knownTransactionIds: new Set(view.transactions.map((transaction) => transaction.id)) });
    return this.#execute(orderId, plan, input, view, attempt, signal);
  }

  async #execute(
    orderId: string,
    plan: ShopifyPaymentPlan,
    input: PlatformPaymentUpdate,
    view: ShopifyOrderView,
    attempt: ShopifyAttempt,
    signal: AbortSignal | undefined,
  ): Promise<PlatformOrder> {
    switch (plan.type) {
      case 'none':
        return view.order;
      case 'capture': {
        const data = await this.#mutate<{ readonly orderCapture?: Payload & { readonly transaction?: { readonly order?: unknown } | null } }>(
          'orderCapture',
          captureMutation,
          { input: { id: orderId, parentTransactionId: plan.parentTransactionId, amount: plan.amount.toDecimalString(), currency: plan.amount.currency, finalCapture: plan.finalCapture } },
          signal,
        );
        const payload = this.#payload('orderCapture', data.orderCapture, orderId);
        return this.#orderAfter('orderCapture', payload.transaction?.order, orderId, signal);
      }
      case 'mark-as-paid': {
        const data = await this.#mutate<{ readonly orderMarkAsPaid?: Payload & { readonly order?: unknown } }>('orderMarkAsPaid', markAsPaidMutation, { input: { id: orderId } }, signal);
        const payload = this.#payload('orderMarkAsPaid', data.orderMarkAsPaid, orderId);
        return this.#orderAfter('orderMarkAsPaid', payload.order, orderId, signal);
      }
      case 'refund': {
        const transactions = plan.lines.map((line) => ({ orderId, parentId: line.parentId, gateway: line.gateway, kind: 'REFUND', amount: line.amount.toDecimalString() }));
        return this.#refund(orderId, { orderId, currency: input.amount.currency, note: refundNote(input), notify: false, transactions }, signal);
      }
      case 'refund-record':
        // No transactions: Shopify keeps the refund and its note and moves no money.
        return this.#refund(orderId, { orderId, currency: input.amount.currency, note: recordOnlyRefundNote(input, plan.gateways), notify: false, transactions: [] }, signal);
      case 'void': {
        const note = `Authorization ${input.providerReference} voided at ${input.provider} (paymigrate idempotency key ${input.idempotencyKey})`;
        return this.#cancel(orderId, 'OTHER', note, view, attempt, signal);
      }
    }
  }

  async #refund(orderId: string, refundInput: Record<string, unknown>, signal: AbortSignal | undefined): Promise<PlatformOrder> {
    const data = await this.#mutate<{ readonly refundCreate?: Payload & { readonly order?: unknown } }>('refundCreate', refundMutation, { input: refundInput }, signal);
    const payload = this.#payload('refundCreate', data.refundCreate, orderId);
    return this.#orderAfter('refundCreate', payload.order, orderId, signal);
  }

  #mutate<Data>(operation: string, document: string, variables: Record<string, unknown>, signal: AbortSignal | undefined): Promise<Data> {
    return this.#client.request<Data>({ operation, document, variables, effect: 'write', signal });
  }

  /** A mutation payload, or its user errors as an exception. */
  #payload<Result extends Payload>(operation: string, payload: Result | null | undefined, orderId: string): Result {
    if (payload === null || payload === undefined) throw malformedResponse(operation, `no ${operation} payload`, 'write');
    const userErrors = payload.orderCancelUserErrors ?? payload.userErrors ?? [];
    if (userErrors.length > 0) throw userErrorsToError(operation, userErrors, orderId);
    return payload;
  }

  /** The order a mutation answered with, or read again when the payload does not carry it. */
  async #orderAfter(operation: string, node: unknown, orderId: string, signal: AbortSignal | undefined): Promise<PlatformOrder> {
    if (node !== null && node !== undefined) return readShopifyOrder(node, operation, 'write').order;
    return this.#afterWrite(operation, () => this.#currentOrder(orderId, signal));
  }

  /** A read after an applied write: its failure must not look like the write's. */
  async #afterWrite<Result>(operation: string, read: () => Promise<Result>): Promise<Result> {
    try {
      return await read();
    } catch (error) {
      if (UnknownOutcomeError.isInstance(error)) throw error;
      throw new UnknownOutcomeError(`${operation} was sent, but the order could not be read afterwards; replay with the same key to confirm`, {
        provider: shopifyComponent,
        cause: error,
        httpStatus: ProviderError.isInstance(error) ? error.httpStatus : undefined,
      });
    }
  }

  /**
   * `orderCancel` runs as a job: after the mutation the adapter reads the order until it shows
   * the cancellation, `cancelMaxPolls` times at most, `cancelPollIntervalMilliseconds` apart.
   */
  async #cancel(orderId: string, reason: string, staffNote: string, view: ShopifyOrderView, attempt: ShopifyAttempt, signal: AbortSignal | undefined): Promise<PlatformOrder> {
    let jobId = attempt.previous?.acceptedCancellationJob;
    const knownTransactionIds = new Set(view.transactions.map((transaction) => transaction.id));
    attempt.remember({ knownTransactionIds, acceptedCancellationJob: jobId });
    if (jobId === undefined) {
      // Not accepted yet (or the earlier attempt's answer was lost): send it.
      const data = await this.#mutate<{ readonly orderCancel?: Payload & { readonly job?: { readonly id?: unknown } | null } }>(
        'orderCancel',
        cancelMutation,
        { orderId, reason, restock: this.#options.restockOnCancel, staffNote: staffNote.slice(0, 255) },
        signal,
      );
      const payload = this.#payload('orderCancel', data.orderCancel, orderId);
      jobId = typeof payload.job?.id === 'string' ? payload.job.id : 'unknown job';
      attempt.remember({ knownTransactionIds, acceptedCancellationJob: jobId });
    }
    return this.#afterWrite('orderCancel', async () => {
      for (let poll = 0; ; poll += 1) {
        const order = await this.#currentOrder(orderId, signal);
        if (order.cancelledAt !== undefined) return order;
        if (poll >= this.#options.cancelMaxPolls) {
          throw new UnknownOutcomeError(
            `orderCancel was accepted (${jobId}) but order '${orderId}' does not show the cancellation after ${poll + 1} reads; replay with the same key to confirm`,
            { provider: shopifyComponent },
          );
        }
        await this.#clock.sleep(this.#options.cancelPollIntervalMilliseconds, signal);
      }
    });
  }
}

/**
 * Creates the Shopify commerce platform adapter on `@shopify/shopify-api` (a custom store app on
 * the Admin GraphQL API 2025-01).
 *
 * @throws ConfigurationError for invalid options or a missing secret (see `parseShopifyPlatformOptions`).
 * @example
 * const shopify = createShopifyPlatform({ shopDomain: 'my-shop.myshopify.com' }); // secrets from the environment
 * const order = await shopify.getOrder({ orderId: 'gid://shopify/Order/5123456789' });
 */
export function createShopifyPlatform(options: ShopifyPlatformOptions): ShopifyPlatform {
  return new ShopifyCommercePlatform(parseShopifyPlatformOptions(options));
}
