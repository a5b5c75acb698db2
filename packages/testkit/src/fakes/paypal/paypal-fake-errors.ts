import { json, type FakeJsonResponse } from '../../http/fake-response.js';

/** One entry of a PayPal error's `details`. */
export interface PayPalErrorDetail {
  /** PayPal's fine-grained issue code, e.g. `INSTRUMENT_DECLINED`. */
  readonly issue: string;
  /** Human-readable description. */
  readonly description?: string | undefined;
  /** JSON pointer of the field at fault. */
  readonly field?: string | undefined;
  /** The value at fault. */
  readonly value?: string | undefined;
  /** Where the field is: `body`, `path`, `query` or `header`. */
  readonly location?: 'body' | 'path' | 'query' | 'header' | undefined;
}

/** The top-level `name` and `message` PayPal sends for each error status (PayPal's `error_4xx`/`error_5xx` schemas). */
const errorNames: Readonly<Record<number, { readonly name: string; readonly message: string }>> = {
  400: { name: 'INVALID_REQUEST', message: 'Request is not well-formed, syntactically incorrect, or violates schema.' },
  401: { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to missing authorization header, or invalid authentication credentials.' },
  403: { name: 'NOT_AUTHORIZED', message: 'Authorization failed due to insufficient permissions.' },
  404: { name: 'RESOURCE_NOT_FOUND', message: 'The specified resource does not exist.' },
  409: { name: 'RESOURCE_CONFLICT', message: 'The server has detected a conflict while processing this request.' },
  422: { name: 'UNPROCESSABLE_ENTITY', message: 'The requested action could not be performed, semantically incorrect, or failed business validation.' },
  429: { name: 'RATE_LIMIT_REACHED', message: 'Too many requests. Blocked due to rate limiting.' },
  500: { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.' },
  502: { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.' },
  503: { name: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable.' },
  504: { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.' },
};

let debugCounter = 0;

/** A PayPal-style debug id (hex, 13 characters), unique within the process. */
export function nextDebugId(): string {
  debugCounter += 1;
  return `f${debugCounter.toString(16).padStart(12, '0')}`.slice(-13);
}

/**
 * A PayPal error body, in the shape of PayPal's `error_<status>` schemas:
 * `{ name, message, debug_id, details?, links }`.
 * @param status HTTP status; picks `name` and `message`.
 * @param details The `details` entries (omitted when empty).
 * @param debugId The debug id (a fresh one by default).
 */
export function payPalErrorBody(status: number, details: readonly PayPalErrorDetail[] = [], debugId: string = nextDebugId()): Record<string, unknown> {
  const { name, message } = errorNames[status] ?? { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.' };
  const issue = details[0]?.issue;
  return {
    name,
    message,
    debug_id: debugId,
    ...(details.length > 0 ? { details: details.map((detail) => ({ ...detail })) } : {}),
    links: [
      {
        href: `https://developer.paypal.com/docs/api/orders/v2/#error-${issue ?? name}`,
        rel: 'information_link',
        method: 'GET',
      },
    ],
  };
}

/**
 * A PayPal error answer: the body from {@link payPalErrorBody} and the `paypal-debug-id` header.
 * @param status HTTP status.
 * @param details The `details` entries.
 */
export function payPalErrorResponse(status: number, details: readonly PayPalErrorDetail[] = []): FakeJsonResponse {
  const debugId = nextDebugId();
  return json(payPalErrorBody(status, details, debugId), { status, headers: { 'paypal-debug-id': debugId } });
}

/**
 * Error bodies in PayPal's shape for fault injection (`fake.api.faults.inject({ kind: 'rate-limit',
 * retryAfterSeconds: 2, body: payPalFaultBodies.rateLimited() })`), so the adapter parses an
 * injected fault exactly as it parses a real PayPal error.
 */
export const payPalFaultBodies = {
  /** 429 `RATE_LIMIT_REACHED`. */
  rateLimited: (): Record<string, unknown> => payPalErrorBody(429),
  /** 500 `INTERNAL_SERVER_ERROR`. */
  internalServerError: (): Record<string, unknown> => payPalErrorBody(500),
  /** 503 `SERVICE_UNAVAILABLE`. */
  serviceUnavailable: (): Record<string, unknown> => payPalErrorBody(503),
} as const;
