/** Stripe's error `type` values (the `api_errors` schema of the official spec). */
export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

/** The body of a Stripe error answer: `{ error: { type, code?, message, ... } }`. */
export interface StripeErrorBody {
  /** The error. */
  readonly error: {
    readonly type: StripeErrorType;
    readonly message: string;
    readonly code?: string | undefined;
    readonly decline_code?: string | undefined;
    readonly param?: string | undefined;
    readonly doc_url?: string | undefined;
    readonly charge?: string | undefined;
    readonly payment_intent?: unknown;
    readonly payment_method?: unknown;
    readonly request_log_url?: string | undefined;
  };
}

/** What a fake route throws to answer with a Stripe error. */
export class StripeFakeError extends Error {
  /** HTTP status of the answer. */
  readonly status: number;
  /** The JSON body. */
  readonly body: StripeErrorBody;
  /**
   * Whether Stripe saves this answer under the idempotency key. Stripe saves a result once the
   * endpoint started executing (card declines, 500s), never for requests that failed validation.
   */
  readonly savedForIdempotency: boolean;
  /** Extra response headers. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    body: StripeErrorBody,
    options: { readonly savedForIdempotency?: boolean; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(body.error.message);
    this.name = 'StripeFakeError';
    this.status = status;
    this.body = body;
    this.savedForIdempotency = options.savedForIdempotency ?? false;
    this.headers = options.headers ?? {};
  }
}

/** Stripe's documentation link for an error code. */
export function stripeDocumentationUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`;
}

/** Builds a Stripe error body, dropping absent fields. */
export function stripeErrorBody(error: {
  readonly type: StripeErrorType;
  readonly message: string;
  readonly code?: string | undefined;
  readonly decline_code?: string | undefined;
  readonly param?: string | undefined;
  readonly charge?: string | undefined;
  readonly payment_intent?: unknown;
  readonly payment_method?: unknown;
}): StripeErrorBody {
  const withDocumentation = error.code === undefined ? error : { ...error, doc_url: stripeDocumentationUrl(error.code) };
  return { error: Object.fromEntries(Object.entries(withDocumentation).filter(([, value]) => value !== undefined)) as StripeErrorBody['error'] };
}

/** A 400 `invalid_request_error` that Stripe does not save under the idempotency key. */
export function invalidRequest(message: string, options: { readonly code?: string; readonly param?: string } = {}): StripeFakeError {
  return new StripeFakeError(400, stripeErrorBody({ type: 'invalid_request_error', message, code: options.code, param: options.param }));
}

/** A 400 for a missing required parameter. */
export function missingParameter(param: string): StripeFakeError {
  return invalidRequest(`Missing required param: ${param}.`, { code: 'parameter_missing', param });
}

/** A 400 for a parameter the endpoint does not know. */
export function unknownParameter(param: string): StripeFakeError {
  return invalidRequest(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param });
}

/** A 400 for a parameter that should be an integer. */
export function invalidInteger(param: string, value: string): StripeFakeError {
  return invalidRequest(`Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param });
}

/**
 * A missing object: 404 when it is the object of the URL path, 400 when it is named by a
 * parameter (Stripe's behaviour; both carry `code: resource_missing`).
 */
export function resourceMissing(objectName: string, id: string, param: string, inPath: boolean): StripeFakeError {
  return new StripeFakeError(
    inPath ? 404 : 400,
    stripeErrorBody({ type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${objectName}: '${id}'` }),
  );
}

/** The 500 Stripe answers when something failed inside Stripe; saved under the idempotency key. */
export function apiError(): StripeFakeError {
  return new StripeFakeError(
    500,
    stripeErrorBody({ type: 'api_error', message: 'An unknown error occurred while processing your request. Please try again later.' }),
    { savedForIdempotency: true },
  );
}

/**
 * The body of a Stripe 429, for the toolkit's `rate-limit` fault (Stripe reports rate limits as
 * `invalid_request_error` with `code: rate_limit`).
 */
export function stripeRateLimitBody(): StripeErrorBody {
  return stripeErrorBody({
    type: 'invalid_request_error',
    code: 'rate_limit',
    message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
  });
}

/** The body of a Stripe 5xx, for the toolkit's `server-error` fault. */
export function stripeServerErrorBody(): StripeErrorBody {
  return stripeErrorBody({ type: 'api_error', message: 'An unknown error occurred while processing your request. Please try again later.' });
}
