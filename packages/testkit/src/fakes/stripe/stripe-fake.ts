import type { WebhookRequest } from '@paymigrate/core';
import { http, type HttpHandler } from 'msw';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFakeApi, type FakeApi, type FakeRoute, type FakeRouteContext } from '../../http/fake-api.js';
import { json, type FakeResponse } from '../../http/fake-response.js';
import type { FaultHandle } from '../../http/fault-injection.js';
import { createStripeFakeAccount, stripeFakeDefaultApiVersion, type StripeFakeAccountView, type StripeRequest } from './stripe-fake-account.js';
import { apiError, invalidRequest, stripeErrorBody, StripeFakeError, stripeRateLimitBody, stripeServerErrorBody } from './stripe-fake-errors.js';
import { canonicalFormJson, decodeStripeForm, StripeFormDecodingError, type StripeFormObject } from './stripe-fake-form.js';
import { StripeIdempotencyStore } from './stripe-fake-idempotency.js';
import { FakeIdentifiers, type StripeJson } from './stripe-fake-records.js';
import { signStripeWebhook } from './stripe-fake-webhook-signature.js';
import type { StripeFakeCardBrand } from './stripe-test-tokens.js';

export { stripeFakeDefaultApiVersion } from './stripe-fake-account.js';

/** Route ids of the Stripe fake, for fault rules and `api.callsTo`. */
export const stripeFakeRoutes = {
  createPaymentIntent: 'POST /v1/payment_intents',
  searchPaymentIntents: 'GET /v1/payment_intents/search',
  retrievePaymentIntent: 'GET /v1/payment_intents/:intent',
  capturePaymentIntent: 'POST /v1/payment_intents/:intent/capture',
  cancelPaymentIntent: 'POST /v1/payment_intents/:intent/cancel',
  createRefund: 'POST /v1/refunds',
  listPaymentMethods: 'GET /v1/payment_methods',
} as const;

/** One route id of the Stripe fake. */
export type StripeFakeRouteId = (typeof stripeFakeRoutes)[keyof typeof stripeFakeRoutes];

/** The webhook signing secret of a fake built without one. */
export const stripeFakeDefaultWebhookSecret = 'whsec_paymigrate_fake_endpoint_secret';

/** Options of {@link createStripeFake}. */
export interface CreateStripeFakeOptions {
  /** Where the fake answers. @default 'https://api.stripe.com' */
  readonly baseUrl?: string | undefined;
  /**
   * The only secret key the fake accepts. Without it, any test-mode key (`sk_test_...`,
   * `rk_test_...`) is accepted; anything else is answered 401 like Stripe does.
   */
  readonly apiKey?: string | undefined;
  /** Signing secret of the fake's webhook endpoint. @default stripeFakeDefaultWebhookSecret */
  readonly webhookSecret?: string | undefined;
  /** Seed of ids and of fault probabilities, so runs are reproducible. @default 1 */
  readonly seed?: number | undefined;
  /** The fake's clock, epoch milliseconds (`created` fields, webhook timestamps). @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Card networks whose cards are all declined, with the decline code (`{ amex: 'card_not_supported' }`). */
  readonly failingBrands?: Partial<Readonly<Record<StripeFakeCardBrand, string>>> | undefined;
  /**
   * Whether the account may send `payment_method_options[card][mit_exemption]` (a network
   * transaction id for merchant-initiated charges). Stripe enables it per account; without it the
   * parameter is refused as unknown. @default true
   */
  readonly networkTransactionIdExemption?: boolean | undefined;
  /**
   * When new payment intents become visible to the Search API. Stripe's search is eventually
   * consistent (about a minute); `manual` keeps new intents out of search results until
   * `indexSearch()` is called. @default 'immediate'
   */
  readonly searchIndexing?: 'immediate' | 'manual' | undefined;
  /** Record calls (see `createFakeApi`). @default true */
  readonly recordCalls?: boolean | undefined;
}

/** Options of {@link StripeFake.signedWebhook}. */
export interface StripeFakeSignOptions {
  /** Signing time, epoch milliseconds. @default the fake's clock */
  readonly timestampMilliseconds?: number | undefined;
  /** Secret to sign with (a wrong one forges the webhook). @default the fake's webhook secret */
  readonly secret?: string | undefined;
  /** More secrets, each adding a `v1=` entry (secret rotation). */
  readonly additionalSecrets?: readonly string[] | undefined;
  /** Add Stripe's test-mode `v0=` entry. @default false */
  readonly includeTestModeSignature?: boolean | undefined;
}

/** A scheduled internal Stripe failure, returned by {@link StripeFake.scheduleApiError}. */
export interface StripeFakeScheduledFailure {
  /** How many more requests it will fail. */
  readonly remaining: number;
  /** Cancels it. */
  remove(): void;
}

/** A stateful fake of the Stripe API endpoints the paymigrate Stripe adapter uses. */
export interface StripeFake extends StripeFakeAccountView {
  /** The underlying fake API: call recorder (`api.calls`), fault injection (`api.faults`), traffic dumps. */
  readonly api: FakeApi;
  /** The msw handlers to serve: `setupServer(...fake.handlers)` (includes the connection-refusal switch). */
  readonly handlers: HttpHandler[];
  /** Base URL without a trailing slash. */
  readonly baseUrl: string;
  /** The webhook endpoint's signing secret. */
  readonly webhookSecret: string;
  /** Route ids, for `api.faults.inject({ route })` and `api.callsTo`. */
  readonly routes: typeof stripeFakeRoutes;

  /**
   * Makes Stripe itself fail: a 500 `api_error`, either before the request changes anything or
   * after (`afterApply`). Unlike the toolkit's `server-error` fault, this answer is saved under the
   * idempotency key and replayed to every retry with the same key, as Stripe does.
   */
  scheduleApiError(input?: {
    readonly route?: StripeFakeRouteId | undefined;
    readonly times?: number | undefined;
    readonly afterApply?: boolean | undefined;
  }): StripeFakeScheduledFailure;
  /** Makes each request take this long inside Stripe (after the idempotency key is taken), to provoke concurrent use of a key. */
  setExecutionDelay(milliseconds: number): void;
  /**
   * Fails connections before any byte reaches Stripe, with a real Node error code (`ECONNREFUSED`
   * by default): the only way to show a client a refused connection through msw, whose network
   * errors carry no code. Nothing is recorded or applied. msw logs each refusal with
   * `console.error`.
   */
  refuseConnections(input?: { readonly times?: number | undefined; readonly code?: 'ECONNREFUSED' | 'ENOTFOUND' | 'ECONNRESET' | undefined }): StripeFakeScheduledFailure;
  /** Injects the toolkit's `rate-limit` fault with Stripe's 429 body. */
  injectRateLimit(input: {
    readonly route?: StripeFakeRouteId | undefined;
    readonly retryAfterSeconds: number;
    readonly times?: number | undefined;
  }): FaultHandle;
  /** Injects the toolkit's `server-error` fault with Stripe's 5xx body (a failure in front of Stripe: never replayed by key). */
  injectServerError(input: {
    readonly route?: StripeFakeRouteId | undefined;
    readonly status?: 500 | 502 | 503 | 504 | undefined;
    readonly applyFirst?: boolean | undefined;
    readonly times?: number | undefined;
  }): FaultHandle;
  /** Forgets every idempotency key, as if they had expired. */
  forgetIdempotencyKeys(): void;
  /** Takes the pending events and signs each, ready for `verifyWebhook`. */
  takeSignedWebhooks(options?: StripeFakeSignOptions): WebhookRequest[];
  /** Signs an event (or a raw body) the way Stripe signs webhooks. */
  signedWebhook(event: StripeJson | string, options?: StripeFakeSignOptions): WebhookRequest;
}

interface ScheduledFailure {
  readonly route: string | undefined;
  remaining: number;
  readonly afterApply: boolean;
}

/**
 * Creates a stateful Stripe fake on the toolkit's `createFakeApi`: payment intents (create and
 * confirm, retrieve, search, capture, cancel), refunds and customers' payment methods, with
 * Stripe's idempotency, amount rules and error shapes, test cards, merchant-initiated charges with
 * a network transaction id, and signed webhooks. The account's state and rules live in
 * `createStripeFakeAccount`; this adds the HTTP side: authentication, idempotency keys, faults.
 *
 * @example
 * const fake = createStripeFake();
 * const server = setupServer(...fake.handlers);
 * server.listen({ onUnhandledRequest: 'error' });
 */
export function createStripeFake(options: CreateStripeFakeOptions = {}): StripeFake {
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const webhookSecret = options.webhookSecret ?? stripeFakeDefaultWebhookSecret;
  const identifiers = new FakeIdentifiers(`stripe-fake:${seed}`);
  const idempotency = new StripeIdempotencyStore();
  const account = createStripeFakeAccount({
    now,
    identifiers,
    failingBrands: options.failingBrands ?? {},
    networkTransactionIdExemption: options.networkTransactionIdExemption ?? true,
    manualSearchIndexing: options.searchIndexing === 'manual',
  });
  const { endpoints } = account;
  let scheduledFailures: ScheduledFailure[] = [];
  let executionDelayMilliseconds = 0;
  let refusals: { remaining: number; readonly code: string } | undefined;

  // -------------------------------------------------------------------------------------------
  // Request pipeline: authentication, idempotency, scheduled failures
  // -------------------------------------------------------------------------------------------

  function authenticationFailure(authorization: string | null): StripeFakeError | undefined {
    const key = authorization?.startsWith('Bearer ') === true ? authorization.slice('Bearer '.length).trim() : undefined;
    if (key === undefined || key === '') {
      return new StripeFakeError(
        401,
        stripeErrorBody({
          type: 'invalid_request_error',
          message: "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        }),
      );
    }
    const accepted = options.apiKey === undefined ? /^(sk|rk)_test_[A-Za-z0-9_]+$/.test(key) : key === options.apiKey;
    if (accepted) return undefined;
    return new StripeFakeError(401, stripeErrorBody({ type: 'invalid_request_error', message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` }));
  }

  function takeScheduledFailure(routeId: string): ScheduledFailure | undefined {
    const failure = scheduledFailures.find((candidate) => candidate.remaining > 0 && (candidate.route === undefined || candidate.route === routeId));
    if (failure === undefined) return undefined;
    failure.remaining -= 1;
    scheduledFailures = scheduledFailures.filter((candidate) => candidate.remaining > 0);
    return failure;
  }

  function respond(status: number, body: unknown, headers: Readonly<Record<string, string>>): FakeResponse {
    return json(body, { status, headers });
  }

  function stripeRoute(method: 'GET' | 'POST', path: string, execute: (request: StripeRequest) => StripeJson): FakeRoute {
    const routeId = `${method} ${path}`;
    return {
      method,
      path,
      handle: async (context: FakeRouteContext): Promise<FakeResponse> => {
        const requestId = identifiers.next('req', 14);
        const headers: Record<string, string> = {
          'request-id': requestId,
          'stripe-version': context.headers.get('stripe-version') ?? stripeFakeDefaultApiVersion,
        };
        const unauthenticated = authenticationFailure(context.headers.get('authorization'));
        if (unauthenticated !== undefined) return respond(unauthenticated.status, unauthenticated.body, headers);
        let params: StripeFormObject;
        try {
          params = decodeStripeForm(method === 'GET' ? context.url.searchParams : context.bodyText);
        } catch (error) {
          if (!(error instanceof StripeFormDecodingError)) throw error;
          const key = error.key;
          return respond(400, invalidRequest(`Invalid array or object syntax in parameter '${key}'.`, { param: key }).body, headers);
        }
        const idempotencyKey = method === 'POST' ? context.headers.get('idempotency-key') : null;
        if (idempotencyKey !== null) {
          headers['idempotency-key'] = idempotencyKey;
          if (idempotencyKey.length > 255) {
            return respond(400, invalidRequest('Idempotency keys can be at most 255 characters long.', { param: 'Idempotency-Key' }).body, headers);
          }
          const decision = idempotency.begin(idempotencyKey, `${routeId} ${context.url.pathname} ${canonicalFormJson(params)}`);
          if (decision.kind === 'replay') {
            return respond(decision.answer.status, decision.answer.body, { ...decision.answer.headers, ...headers, 'idempotent-replayed': 'true' });
          }
          if (decision.kind === 'conflict') {
            return respond(
              400,
              stripeErrorBody({
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
              }),
              headers,
            );
          }
          if (decision.kind === 'in-progress') {
            return respond(
              409,
              stripeErrorBody({
                type: 'idempotency_error',
                code: 'idempotency_key_in_use',
                message: 'There is currently another in-progress request using this idempotent key (that probably means you submitted twice, and the other request is still going through). Please try again later.',
              }),
              headers,
            );
          }
        }
        const request: StripeRequest = { params, pathParams: context.params, requestId, idempotencyKey };
        let status = 200;
        let body: unknown;
        let extraHeaders: Readonly<Record<string, string>> = {};
        let saved = true;
        try {
          if (executionDelayMilliseconds > 0) await sleep(executionDelayMilliseconds);
          const failure = takeScheduledFailure(routeId);
          if (failure !== undefined && !failure.afterApply) throw apiError();
          body = execute(request);
          if (failure !== undefined) throw apiError();
        } catch (error) {
          if (!(error instanceof StripeFakeError)) {
            if (idempotencyKey !== null) idempotency.abandon(idempotencyKey);
            throw error;
          }
          status = error.status;
          body = error.body;
          extraHeaders = error.headers;
          saved = error.savedForIdempotency;
        }
        if (idempotencyKey !== null) {
          if (saved) idempotency.finish(idempotencyKey, { status, body, headers: extraHeaders });
          else idempotency.abandon(idempotencyKey);
        }
        return respond(status, body, { ...extraHeaders, ...headers });
      },
    };
  }

  const api = createFakeApi({
    name: 'stripe',
    baseUrl: options.baseUrl ?? 'https://api.stripe.com',
    seed,
    recordCalls: options.recordCalls,
    routes: [
      stripeRoute('POST', '/v1/payment_intents', endpoints.createPaymentIntent),
      // Declared before `/v1/payment_intents/:intent` so that `search` is not taken for an id.
      stripeRoute('GET', '/v1/payment_intents/search', endpoints.searchPaymentIntents),
      stripeRoute('GET', '/v1/payment_intents/:intent', endpoints.retrievePaymentIntent),
      stripeRoute('POST', '/v1/payment_intents/:intent/capture', endpoints.capturePaymentIntent),
      stripeRoute('POST', '/v1/payment_intents/:intent/cancel', endpoints.cancelPaymentIntent),
      stripeRoute('POST', '/v1/refunds', endpoints.createRefund),
      stripeRoute('GET', '/v1/payment_methods', endpoints.listPaymentMethods),
    ],
  });

  /** Fails the connection with a Node error code before anything reaches the fake API. */
  const connectionSwitch = http.all(`${api.baseUrl}/*`, () => {
    if (refusals === undefined || refusals.remaining <= 0) return undefined;
    refusals.remaining -= 1;
    const host = new URL(api.baseUrl).host;
    throw Object.assign(new Error(`connect ${refusals.code} ${host}`), { code: refusals.code, errno: -111, syscall: 'connect' });
  });

  const { endpoints: _endpoints, ...view } = account;
  const fake: StripeFake = {
    ...view,
    api,
    handlers: [connectionSwitch, ...api.handlers],
    baseUrl: api.baseUrl,
    webhookSecret,
    routes: stripeFakeRoutes,
    scheduleApiError(input = {}) {
      const failure: ScheduledFailure = { route: input.route, remaining: input.times ?? 1, afterApply: input.afterApply ?? false };
      scheduledFailures.push(failure);
      return {
        get remaining() {
          return failure.remaining;
        },
        remove() {
          failure.remaining = 0;
          scheduledFailures = scheduledFailures.filter((candidate) => candidate !== failure);
        },
      };
    },
    setExecutionDelay(milliseconds) {
      executionDelayMilliseconds = milliseconds;
    },
    refuseConnections(input = {}) {
      const refusal = { remaining: input.times ?? Number.POSITIVE_INFINITY, code: input.code ?? 'ECONNREFUSED' };
      refusals = refusal;
      return {
        get remaining() {
          return refusal.remaining;
        },
        remove() {
          refusal.remaining = 0;
        },
      };
    },
    injectRateLimit(input) {
      return api.faults.inject({ kind: 'rate-limit', route: input.route, retryAfterSeconds: input.retryAfterSeconds, times: input.times, body: stripeRateLimitBody() });
    },
    injectServerError(input) {
      return api.faults.inject({
        kind: 'server-error',
        route: input.route,
        status: input.status,
        applyFirst: input.applyFirst,
        times: input.times,
        body: stripeServerErrorBody(),
      });
    },
    forgetIdempotencyKeys() {
      idempotency.forget();
    },
    takeSignedWebhooks(signOptions) {
      return account.takePendingWebhooks().map((event) => fake.signedWebhook(event, signOptions));
    },
    signedWebhook(event, signOptions = {}) {
      // Stripe delivers events pretty-printed with two spaces.
      const rawBody = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
      return signStripeWebhook(rawBody, {
        secret: signOptions.secret ?? webhookSecret,
        timestampMilliseconds: signOptions.timestampMilliseconds ?? now(),
        additionalSecrets: signOptions.additionalSecrets,
        includeTestModeSignature: signOptions.includeTestModeSignature,
      });
    },
  };
  return fake;
}
