import { AsyncLocalStorage } from 'node:async_hooks';
import Stripe from 'stripe';

/** What the gateway needs to build its Stripe client. */
export interface StripeClientOptions {
  /** Secret or restricted key. */
  readonly apiKey: string;
  /** Scheme, host and port of the API. */
  readonly apiBaseUrl: URL;
  /** Default per-request timeout (each call also passes it). */
  readonly timeoutMilliseconds: number;
}

/** The SDK client plus a way to bind a caller's `AbortSignal` to the requests of one call. */
export interface StripeClient {
  /** The official SDK client: retries off, telemetry off, our fetch. */
  readonly sdk: Stripe;
  /** Runs `call` so that every request it makes is aborted when `signal` fires. */
  run<Result>(signal: AbortSignal | undefined, call: () => Promise<Result>): Promise<Result>;
}

/**
 * A network failure the SDK must not recognize as retryable. The SDK retries a request once on
 * `ECONNRESET` or `EPIPE` even with `maxNetworkRetries: 0`; hiding the code behind
 * `transportCode` keeps every retry decision with core. The error mapper reads `transportCode`.
 */
export class StripeTransportError extends Error {
  /** The Node or undici error code (`ECONNREFUSED`, `ECONNRESET`, `UND_ERR_SOCKET`, ...), when there was one. */
  readonly transportCode: string | undefined;

  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StripeTransportError';
    this.transportCode = transportCodeOf(cause);
  }
}

/** The first error code found on an error, its cause, or the causes of an aggregate (undici nests them). */
export function transportCodeOf(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const record = error as { code?: unknown; cause?: unknown; errors?: unknown; transportCode?: unknown };
  if (typeof record.transportCode === 'string') return record.transportCode;
  if (typeof record.code === 'string') return record.code;
  const fromCause = transportCodeOf(record.cause, depth + 1);
  if (fromCause !== undefined) return fromCause;
  return Array.isArray(record.errors) ? transportCodeOf(record.errors[0], depth + 1) : undefined;
}

/** The SDK's own signal (its timeout) combined with the caller's, when there are two. */
export function combineSignals(sdkSignal: AbortSignal | null | undefined, callSignal: AbortSignal | undefined): AbortSignal | undefined {
  if (sdkSignal === null || sdkSignal === undefined) return callSignal;
  return callSignal === undefined ? sdkSignal : AbortSignal.any([sdkSignal, callSignal]);
}

/** Whether the SDK turns this error into its timeout (an abort, ours or its own). */
function isAbortOrTimeout(error: unknown): boolean {
  const record = error as { name?: unknown; code?: unknown };
  return record.name === 'AbortError' || record.code === 'ETIMEDOUT';
}

/**
 * Builds the official SDK client. It talks to the API through the SDK's own fetch client with:
 * - `maxNetworkRetries: 0` and every connection error stripped of its retryable code, so the SDK
 *   never resends a request behind core's back;
 * - `telemetry: false`;
 * - `globalThis.fetch` looked up at each request (a fetch patched later, by msw for instance, is used);
 * - the caller's `AbortSignal`, carried by `run`, combined with the SDK's own timeout signal.
 */
export function createStripeClient(options: StripeClientOptions): StripeClient {
  const signals = new AsyncLocalStorage<AbortSignal>();
  const fetchThroughSignal = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const signal = combineSignals(init?.signal, signals.getStore());
    try {
      return await globalThis.fetch(input, { ...init, signal });
    } catch (error) {
      if (isAbortOrTimeout(error)) throw error;
      throw new StripeTransportError(error);
    }
  };
  const { protocol, hostname, port } = options.apiBaseUrl;
  const secure = protocol === 'https:';
  const sdk = new Stripe(options.apiKey, {
    host: hostname,
    port: port === '' ? (secure ? 443 : 80) : Number(port),
    protocol: secure ? 'https' : 'http',
    maxNetworkRetries: 0,
    telemetry: false,
    timeout: options.timeoutMilliseconds,
    httpClient: Stripe.createFetchHttpClient(fetchThroughSignal as typeof fetch),
    appInfo: { name: 'paymigrate' },
  });
  return {
    sdk,
    run: (signal, call) => (signal === undefined ? call() : signals.run(signal, call)),
  };
}
