import { type ClockV1, ProviderError } from '@paymigrate/core';
import { ApiVersion, type GraphqlClient, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { malformedResponse, normalizeShopifyFailure, type ShopifyCallEffect } from './shopify-error.js';
import { failedBeforeSending, installRoutingFetch, routeShop } from './shopify-fetch.js';
import type { ResolvedShopifyPlatformOptions } from './shopify-options.js';

/** Shopify's report of the cost bucket, from the last answer's `extensions.cost.throttleStatus`. */
export interface ShopifyThrottleStatus {
  readonly maximumAvailable: number;
  readonly currentlyAvailable: number;
  readonly restoreRate: number;
  /** When the answer arrived, by the adapter's clock. */
  readonly observedAt: number;
}

/** One GraphQL request. */
export interface ShopifyGraphqlCall {
  /** Name for messages (`order`, `orderCapture`...). */
  readonly operation: string;
  /** The GraphQL document (one operation plus fragments). */
  readonly document: string;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly effect: ShopifyCallEffect;
  readonly signal?: AbortSignal | undefined;
}

/**
 * The Admin GraphQL client: `@shopify/shopify-api` configured as a custom store app, without its
 * retries (paymigrate owns retries), with a per-request timeout, failures normalized to core
 * errors, and Shopify's cost throttling handled: a `THROTTLED` answer (or an HTTP 429) is retried
 * after the time the bucket needs to refill, at most `throttleMaxRetries` times and only when that
 * wait is at most `throttleMaxWaitMilliseconds`; otherwise the caller gets the `RateLimitedError`
 * with the wait as `retryAfterMs`.
 */
export class ShopifyAdminClient {
  readonly #client: GraphqlClient;
  readonly #options: ResolvedShopifyPlatformOptions;
  readonly #clock: ClockV1;
  #throttleStatus: ShopifyThrottleStatus | undefined;

  constructor(options: ResolvedShopifyPlatformOptions) {
    this.#options = options;
    this.#clock = options.clock;
    routeShop(options.shopDomain, options.apiOrigin);
    const shopify = shopifyApi({
      apiSecretKey: options.apiSecretKey,
      adminApiAccessToken: options.adminAccessToken,
      isCustomStoreApp: true,
      isEmbeddedApp: false,
      // The only version the options accept (`2025-01`): the adapter's queries are checked against it.
      apiVersion: ApiVersion.January25,
      hostName: options.hostName,
      // The adapter reports through its errors; the library's own start-up and debug lines are dropped.
      logger: { level: LogSeverity.Error, log: () => undefined, httpRequests: false },
      _logDisabledFutureFlags: false,
    });
    installRoutingFetch();
    this.#client = new shopify.clients.Graphql({ session: shopify.session.customAppSession(options.shopDomain) });
  }

  /** The last cost bucket status Shopify reported, if any. */
  throttleStatus(): ShopifyThrottleStatus | undefined {
    return this.#throttleStatus;
  }

  /** Sends one GraphQL request and answers its `data`. */
  async request<Data>(call: ShopifyGraphqlCall): Promise<Data> {
    for (let attempt = 0; ; attempt += 1) {
      const timeout = AbortSignal.timeout(this.#options.timeoutMilliseconds);
      const signal = call.signal === undefined ? timeout : AbortSignal.any([call.signal, timeout]);
      try {
        if (call.signal?.aborted === true) throw call.signal.reason;
        const response = await this.#client.request(call.document, { variables: { ...call.variables }, retries: 0, signal });
        this.#observe(response.extensions);
        if (typeof response.data !== 'object' || response.data === null) throw malformedResponse(call.operation, 'no data', call.effect);
        return response.data as Data;
      } catch (error) {
        if (ProviderError.isInstance(error)) throw error;
        const failure = normalizeShopifyFailure(error, {
          operation: call.operation,
          effect: call.effect,
          aborted: call.signal?.aborted === true,
          timedOut: timeout.aborted,
          notSent: failedBeforeSending(signal),
        });
        if (failure.kind === 'failed') throw failure.error;
        this.#observe((error as { readonly body?: { readonly extensions?: unknown } }).body?.extensions);
        const wait = failure.error.retryAfterMs;
        if (attempt >= this.#options.throttleMaxRetries || wait > this.#options.throttleMaxWaitMilliseconds) throw failure.error;
        try {
          await this.#clock.sleep(wait, call.signal);
        } catch (abort) {
          throw normalizeShopifyFailure(abort, { operation: call.operation, effect: call.effect, aborted: true, timedOut: false, notSent: false }).error;
        }
      }
    }
  }

  #observe(extensions: unknown): void {
    const status = (extensions as { readonly cost?: { readonly throttleStatus?: Record<string, unknown> } } | undefined)?.cost?.throttleStatus;
    const maximumAvailable = status?.['maximumAvailable'];
    const currentlyAvailable = status?.['currentlyAvailable'];
    const restoreRate = status?.['restoreRate'];
    if (typeof maximumAvailable !== 'number' || typeof currentlyAvailable !== 'number' || typeof restoreRate !== 'number') return;
    this.#throttleStatus = { maximumAvailable, currentlyAvailable, restoreRate, observedAt: this.#clock.now() };
  }
}
