import type { CheckoutAPI } from '@adyen/api-library';
import { ProviderUnavailableError } from '@paymigrate/core';
import { adyenProviderName, normalizeAdyenError } from './adyen-error.js';
import { adyenLibrary } from './adyen-library.js';
import { type AdyenTransport, createAdyenAgent, createKeepAliveTransport } from './adyen-keep-alive-transport.js';
import type { ResolvedAdyenOptions } from './adyen-options.js';

/** The SDK's request options (`IRequest.Options`): https request options plus `idempotencyKey`. */
export type AdyenRequestOptions = NonNullable<Parameters<CheckoutAPI['PaymentsApi']['payments']>[1]>;


/** What one call to Adyen is, for the request options and for error messages. */
export interface AdyenCallDescription {
  /** Operation name for messages (`authorize`, `capture`, ...). */
  readonly operation: string;
  /** Whether the call changes state (every POST). */
  readonly write: boolean;
  /** Our idempotency key, sent as `Idempotency-Key` on every write. */
  readonly idempotencyKey?: string | undefined;
  /** What a not-found answer would be about. */
  readonly resource?: string | undefined;
}

/** The Adyen SDK, configured once, and the one way the adapter calls it. */
export interface AdyenApiClient {
  /** Checkout `PaymentsApi` (`/payments`). */
  readonly payments: CheckoutAPI['PaymentsApi'];
  /** Checkout `ModificationsApi` (captures, refunds, cancels, reversals, technical cancel). */
  readonly modifications: CheckoutAPI['ModificationsApi'];
  /** Checkout `RecurringApi` (`/storedPaymentMethods`). */
  readonly recurring: CheckoutAPI['RecurringApi'];
  /**
   * Runs one SDK call with the per-request timeout, the caller's signal and our idempotency key,
   * and maps any failure to one core error (see `normalizeAdyenError`).
   */
  call<Result>(description: AdyenCallDescription, run: (requestOptions: AdyenRequestOptions) => Promise<Result>, signal?: AbortSignal): Promise<Result>;
}

/** Whether a signal has fired (a function, so the check is not narrowed away after an await). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The version segment of a Checkout endpoint path (`/v72`). */
const versionSegment = /\/v[0-9]+(?=\/|$)/;

/**
 * Sends every request to `baseUrl` instead of the environment's host: the SDK still builds the
 * request and its own `HttpURLConnectionClient` still sends it; only the part of the URL up to
 * the version segment is replaced. This is the SDK's documented extension point (`new Client(config,
 * httpClient)`), and the way to point the SDK at a proxy or a loopback fake.
 */
export function createBaseUrlTransport(baseUrl: string, inner: AdyenTransport = new adyenLibrary.HttpURLConnectionClient()): AdyenTransport {
  return {
    request(endpoint, json, config, isApiKeyRequired, requestOptions) {
      const url = new URL(endpoint);
      const match = versionSegment.exec(url.pathname);
      const rest = match === null ? url.pathname : url.pathname.slice(match.index + match[0].length);
      return inner.request(`${baseUrl}${rest}${url.search}`, json, config, isApiKeyRequired, requestOptions);
    },
  };
}

/**
 * Builds the SDK client. Retries: the Adyen Node SDK has no automatic retry, and 308 redirects
 * (which would resend a write) are turned off, so one adapter call is exactly one HTTP request.
 * The per-request timeout is enforced with an `AbortSignal` (and, a second later, the SDK's own
 * socket timeout as a backstop).
 */
export function createAdyenApiClient(options: ResolvedAdyenOptions): AdyenApiClient {
  const config = new adyenLibrary.Config({
    apiKey: options.apiKey,
    environment: options.environment === 'live' ? adyenLibrary.EnvironmentEnum.LIVE : adyenLibrary.EnvironmentEnum.TEST,
    liveEndpointUrlPrefix: options.liveEndpointUrlPrefix,
    connectionTimeoutMillis: options.timeoutMilliseconds + 1_000,
    applicationName: options.applicationName,
    enable308Redirect: false,
  });
  const libraryTransport = new adyenLibrary.HttpURLConnectionClient();
  const transport = createKeepAliveTransport(
    createAdyenAgent({ certificateAuthority: options.certificateAuthority }),
    options.baseUrl === undefined ? libraryTransport : createBaseUrlTransport(options.baseUrl, libraryTransport),
  );
  const client = new adyenLibrary.Client(config, transport);
  const checkout = new adyenLibrary.CheckoutAPI(client);
  return {
    payments: checkout.PaymentsApi,
    modifications: checkout.ModificationsApi,
    recurring: checkout.RecurringApi,
    async call(description, run, signal) {
      if (isAborted(signal)) {
        throw new ProviderUnavailableError(`${description.operation} was aborted before it was sent; nothing reached Adyen.`, {
          provider: adyenProviderName,
          cause: signal?.reason,
        });
      }
      const timeout = AbortSignal.timeout(options.timeoutMilliseconds);
      const requestOptions: AdyenRequestOptions = {
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
        ...(description.idempotencyKey === undefined ? {} : { idempotencyKey: description.idempotencyKey }),
      };
      try {
        return await run(requestOptions);
      } catch (error) {
        throw normalizeAdyenError(error, {
          operation: description.operation,
          write: description.write,
          resource: description.resource,
          timedOut: timeout.aborted,
          timeoutMilliseconds: options.timeoutMilliseconds,
          aborted: isAborted(signal),
        });
      }
    },
  };
}
