import type { FaultKind } from './fault-injection.js';

/**
 * One request a fake API received. The recorder adds it synchronously when the request arrives
 * (so it is visible even while the request is still running, see TOOLING gotcha 6) and fills in
 * the body and the outcome as they become known.
 */
export interface RecordedCall {
  /** Id of the matched route. */
  readonly routeId: string;
  /** HTTP method, upper case. */
  readonly method: string;
  /** The full request URL, query string included. */
  readonly url: string;
  /** Request headers with lower-case names; secret values are replaced by `'[redacted]'`. */
  readonly requestHeaders: Readonly<Record<string, string>>;
  /** The request body as text (`''` until read, and for requests without a body). */
  readonly requestBody: string;
  /** The request body parsed as JSON, or `undefined` when it is empty or not JSON. */
  readonly requestBodyJson: unknown;
  /**
   * The HTTP status the client got, `'network-error'` when the connection failed, or
   * `'pending'` while the request is still being handled.
   */
  readonly status: number | 'network-error' | 'pending';
  /** The response body text, or `undefined` for no body, a network error, or a pending call. */
  readonly responseBody: string | undefined;
  /** Whether the route's handler ran (its state change happened), even if the client saw a failure. */
  readonly applied: boolean;
  /** Epoch milliseconds when the request arrived. */
  readonly startedAt: number;
  /** Time from arrival to answer (or connection failure); `0` while pending. */
  readonly durationMilliseconds: number;
  /** The injected fault that decided the outcome (`'latency'` when only latency applied), if any. */
  readonly fault: FaultKind | undefined;
}

/** A {@link RecordedCall} the recorder can still fill in. */
export type MutableRecordedCall = { -readonly [Key in keyof RecordedCall]: RecordedCall[Key] };

/** The value written in place of a secret header's value. */
export const redactedValue = '[redacted]';

const secretHeaderNames: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'stripe-signature',
  'paypal-auth-assertion',
  'paypal-transmission-sig',
  'x-shopify-access-token',
  'x-shopify-hmac-sha256',
]);

const secretHeaderPattern = /authorization|api-?key|secret|token|signature|password|hmac|credential|cookie/i;

/**
 * Whether a header carries a secret and must be redacted in recordings: `authorization`,
 * `x-api-key`, `stripe-signature` and every name that looks like one (`*token*`, `*secret*`,
 * `*signature*`, `*hmac*`, ...). `idempotency-key` is not a secret and stays readable.
 * @param name Header name, any case.
 * @param extraSecretNames More names to treat as secret, any case.
 */
export function isSecretHeaderName(name: string, extraSecretNames: readonly string[] = []): boolean {
  const lowerCaseName = name.toLowerCase();
  return (
    secretHeaderNames.has(lowerCaseName) ||
    secretHeaderPattern.test(lowerCaseName) ||
    extraSecretNames.some((extraName) => extraName.toLowerCase() === lowerCaseName)
  );
}

/**
 * Copies headers into a plain object with lower-case names, replacing secret values with
 * {@link redactedValue}.
 * @param headers The request headers.
 * @param extraSecretNames More names to treat as secret (see {@link isSecretHeaderName}).
 */
export function redactHeaders(headers: Headers, extraSecretNames: readonly string[] = []): Record<string, string> {
  const redacted: Record<string, string> = {};
  headers.forEach((value, name) => {
    redacted[name] = isSecretHeaderName(name, extraSecretNames) ? redactedValue : value;
  });
  return redacted;
}

const jsonStartPattern = /^\s*[[{"\-\d]|^\s*(?:true|false|null)\b/;

/**
 * Parses a body as JSON for the recorder.
 * @returns The parsed value, or `undefined` when the body is empty or not JSON.
 */
export function parseJsonOrUndefined(bodyText: string): unknown {
  // Skip bodies that cannot be JSON (form bodies, mostly) without paying for a thrown SyntaxError.
  if (!jsonStartPattern.test(bodyText)) return undefined;
  try {
    return JSON.parse(bodyText) as unknown;
  } catch {
    return undefined;
  }
}
