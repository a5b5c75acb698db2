import { createHash } from 'node:crypto';
import { cardBrands, type CardBrand, type ClockV1, systemClock } from '@paymigrate/core';
import { createFakeApi, type FakeApi, type FakeRouteContext } from '../../http/fake-api.js';
import { json, type FakeResponse } from '../../http/fake-response.js';

/** Route ids of the token-import fake. */
export const tokenImportFakeRoutes = {
  importPaymentMethod: 'POST /v1/payment_method_imports',
  verifyPaymentMethod: 'POST /v1/payment_method_verifications',
} as const;

/** Options of {@link createTokenImportFake}. */
export interface CreateTokenImportFakeOptions {
  /** Base URL the routes live under. @default 'https://token-import.test' */
  readonly baseUrl?: string | undefined;
  /** Provider name of the API (prefix of the tokens it issues). @default 'tokenimport' */
  readonly provider?: string | undefined;
  /**
   * The API's rate limit: a token bucket shared by every route. Requests beyond it get 429 with
   * `Retry-After` (whole seconds, as HTTP says) and `Retry-After-Ms` (the precise wait).
   * @default no limit
   */
  readonly rateLimit?: { readonly requestsPerSecond: number; readonly burst?: number | undefined } | undefined;
  /** Brands the API accepts. @default every named brand except 'unknown' */
  readonly supportedBrands?: readonly CardBrand[] | undefined;
  /** Time source for expiry checks and the rate limit. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Record calls (turn off for benchmarks). @default true */
  readonly recordCalls?: boolean | undefined;
}

/** Counters of the fake. */
export interface TokenImportFakeStats {
  /** Requests answered by a route (not rate limited). */
  readonly served: number;
  /** Requests answered 429. */
  readonly rateLimited: number;
  /** Payment methods imported (new tokens). */
  readonly imported: number;
  /** Idempotent replays. */
  readonly replayed: number;
}

/** A generic provider token-import API: stateful, idempotent, rate limited. */
export interface TokenImportFake {
  /** The fake API (handlers for msw or `serveOverHttp`, calls, faults). */
  readonly api: FakeApi;
  /** Counters. */
  stats(): TokenImportFakeStats;
  /** Makes verifications of this token decline with `declineReason`. */
  failVerification(token: string, declineReason?: string): void;
  /**
   * Answers one request directly, without msw (for `serveTokenImportFake`): the same routes, state
   * and rate limit as `api.handlers`, at a fraction of the cost per call. Fault rules of `api.faults`
   * do not apply here. `undefined` when no route matches.
   */
  answer(request: { readonly method: string; readonly path: string; readonly headers: Headers; readonly bodyText: string }): FakeResponse | undefined;
}

/** The wire format of an import request. */
interface ImportRequest {
  readonly source_provider?: unknown;
  readonly source_token?: unknown;
  readonly source_customer_reference?: unknown;
  readonly customer_reference?: unknown;
  readonly card?: { readonly brand?: unknown; readonly last4?: unknown; readonly exp_month?: unknown; readonly exp_year?: unknown; readonly fingerprint?: unknown } | undefined;
  readonly network_transaction_id?: unknown;
}

const defaultBrands = cardBrands.filter((brand) => brand !== 'unknown');

function letters(text: string): string {
  return createHash('sha256')
    .update(text)
    .digest('hex')
    .slice(0, 20)
    .replace(/[0-9]/g, (digit) => 'ghijklmnop'.charAt(Number(digit)));
}

function invalid(message: string, parameter: string): FakeResponse {
  return json({ error: { type: 'invalid_request_error', message, param: parameter } }, { status: 400 });
}

/**
 * A generic HTTP token-import API of a provider (the kind `TokenExchangeV1` adapters call), for
 * the API-mode benchmark and for tests over real HTTP:
 *
 * - `POST /v1/payment_method_imports` (header `Idempotency-Key` required): imports a payment
 *   method; answers `{ status: 'imported', token, customer_reference, card, network_transaction_id }`
 *   or `{ status: 'rejected', reason, detail }` (`brand_not_supported`, `expired`,
 *   `invalid_data`). A customer is created per source customer unless `customer_reference` is
 *   given. Same key, same body: the first answer is replayed; other body: 409.
 * - `POST /v1/payment_method_verifications`: a zero-amount verification of an imported token.
 * - Rate limit: a token bucket across routes; beyond it 429 `Retry-After` and `Retry-After-Ms`.
 */
export function createTokenImportFake(options: CreateTokenImportFakeOptions = {}): TokenImportFake {
  const clock = options.clock ?? systemClock;
  const provider = options.provider ?? 'tokenimport';
  const supported = new Set<string>(options.supportedBrands ?? defaultBrands);
  const answers = new Map<string, { readonly bodyHash: string; readonly answer: unknown }>();
  const customers = new Map<string, string>();
  const tokens = new Map<string, string>();
  const failingVerifications = new Map<string, string>();
  let served = 0;
  let rateLimited = 0;
  let imported = 0;
  let replayed = 0;
  let sequence = 0;

  const rate = options.rateLimit?.requestsPerSecond;
  const burst = Math.max(1, options.rateLimit?.burst ?? (rate === undefined ? 1 : rate * 0.1));
  let tokensInBucket = burst;
  let refilledAt = clock.now();
  /** Takes a request slot; returns the wait in milliseconds when there is none. */
  const take = (): number => {
    if (rate === undefined) return 0;
    const now = clock.now();
    tokensInBucket = Math.min(burst, tokensInBucket + ((now - refilledAt) * rate) / 1000);
    refilledAt = now;
    if (tokensInBucket >= 1) {
      tokensInBucket -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - tokensInBucket) * 1000) / rate));
  };

  const limited = (handle: (context: FakeRouteContext) => FakeResponse) => (context: FakeRouteContext): FakeResponse => {
    const wait = take();
    if (wait > 0) {
      rateLimited += 1;
      return json(
        { error: { type: 'rate_limit_error', message: 'Too many requests.' } },
        { status: 429, headers: { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))), 'retry-after-ms': String(wait) } },
      );
    }
    served += 1;
    return handle(context);
  };

  const idempotent = (context: FakeRouteContext, work: () => unknown): FakeResponse => {
    const key = context.headers.get('idempotency-key');
    if (key === null || key === '') return invalid('The Idempotency-Key header is required.', 'Idempotency-Key');
    const bodyHash = createHash('sha256').update(context.bodyText).digest('hex');
    const previous = answers.get(key);
    if (previous !== undefined) {
      if (previous.bodyHash !== bodyHash) return json({ error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters.' } }, { status: 409 });
      replayed += 1;
      return json(previous.answer, { headers: { 'idempotent-replayed': 'true' } });
    }
    const answer = work();
    answers.set(key, { bodyHash, answer });
    return json(answer);
  };

  const importPaymentMethod = (context: FakeRouteContext): FakeResponse => {
    let body: ImportRequest;
    try {
      body = context.json<ImportRequest>();
    } catch {
      return invalid('The body is not JSON.', 'body');
    }
    const card = body.card;
    if (typeof body.source_token !== 'string' || typeof body.source_customer_reference !== 'string' || card === undefined) {
      return invalid('source_token, source_customer_reference and card are required.', 'source_token');
    }
    return idempotent(context, () => {
      const brand = String(card.brand);
      const month = Number(card.exp_month);
      const year = Number(card.exp_year);
      if (typeof card.last4 !== 'string' || !/^[0-9]{4}$/.test(card.last4) || !(month >= 1 && month <= 12) || !(year >= 1000)) {
        return { status: 'rejected', reason: 'invalid_data', detail: 'card details are incomplete' };
      }
      if (!supported.has(brand)) return { status: 'rejected', reason: 'brand_not_supported', detail: `${brand} is not accepted` };
      if (Date.UTC(year, month, 1) <= clock.now()) return { status: 'rejected', reason: 'expired', detail: `expired at the end of ${month}/${year}` };
      const sourceCustomer = `${String(body.source_provider)}:${body.source_customer_reference}`;
      const customer =
        typeof body.customer_reference === 'string' ? body.customer_reference : (customers.get(sourceCustomer) ?? `cus_${letters(`${provider}:${sourceCustomer}`)}`);
      customers.set(sourceCustomer, customer);
      const sourceKey = `${String(body.source_provider)}:${body.source_token}`;
      let token = tokens.get(sourceKey);
      if (token === undefined) {
        sequence += 1;
        token = `pm_${letters(`${provider}:${sourceKey}:${sequence}`)}`;
        tokens.set(sourceKey, token);
        imported += 1;
      }
      return {
        status: 'imported',
        token,
        customer_reference: customer,
        card: { brand, last4: card.last4, exp_month: month, exp_year: year, fingerprint: `fp_${letters(`${provider}:${String(card.fingerprint ?? sourceKey)}`)}` },
        network_transaction_id: typeof body.network_transaction_id === 'string' ? body.network_transaction_id : undefined,
      };
    });
  };

  const verifyPaymentMethod = (context: FakeRouteContext): FakeResponse => {
    const body = context.json<{ token?: unknown; currency?: unknown }>();
    if (typeof body.token !== 'string' || typeof body.currency !== 'string') return invalid('token and currency are required.', 'token');
    return idempotent(context, () => {
      const token = body.token as string;
      const known = [...tokens.values()].includes(token);
      const decline = known ? failingVerifications.get(token) : 'payment_method_not_found';
      return decline === undefined ? { verified: true, network_transaction_id: `nt_${letters(token)}` } : { verified: false, decline_reason: decline };
    });
  };

  const routes = [
    { method: 'POST', path: '/v1/payment_method_imports', handle: limited(importPaymentMethod) },
    { method: 'POST', path: '/v1/payment_method_verifications', handle: limited(verifyPaymentMethod) },
  ] as const;
  const api = createFakeApi({ name: 'token-import', baseUrl: options.baseUrl ?? 'https://token-import.test', recordCalls: options.recordCalls, routes });

  return {
    api,
    stats: () => ({ served, rateLimited, imported, replayed }),
    failVerification(token, declineReason = 'do_not_honor') {
      failingVerifications.set(token, declineReason);
    },
    answer(request) {
      const route = routes.find((candidate) => candidate.method === request.method && candidate.path === request.path);
      if (route === undefined) return undefined;
      const context = {
        routeId: `${route.method} ${route.path}`,
        headers: request.headers,
        bodyText: request.bodyText,
        params: {},
        json: <T>() => JSON.parse(request.bodyText) as T,
      } as unknown as FakeRouteContext;
      return route.handle(context);
    },
  };
}

/** Whether a brand name is one paymigrate knows (for the client's answers). */
export function isCardBrand(value: unknown): value is CardBrand {
  return typeof value === 'string' && (cardBrands as readonly string[]).includes(value);
}
