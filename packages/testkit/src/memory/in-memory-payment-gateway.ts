import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  type AuthorizeInput,
  type CallOptions,
  type CancelByMerchantReferenceInput,
  type CancelInput,
  type CaptureInput,
  type CaptureMethod,
  type CardBrand,
  type CardSummary,
  type ClockV1,
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  type MoneyJson,
  PaymentDeclinedError,
  type PaymentGatewayCapabilities,
  type PaymentGatewayV1,
  type PaymentNextAction,
  type PaymentOperationResult,
  type PaymentSnapshot,
  type PaymentState,
  paymentStateFromAmounts,
  paymentStateMachine,
  type PaymentWebhookEvent,
  type PaymentWebhookEventType,
  paymentWebhookEventTypes,
  ProviderUnavailableError,
  type RefundInput,
  ResourceNotFoundError,
  type StoredPaymentMethod,
  type StoredPaymentMethodChargeInput,
  systemClock,
  UnknownOutcomeError,
  UnsupportedOperationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@paymigrate/core';

// ---------------------------------------------------------------------------------------------
// Idempotency ledger (shared by the in-memory adapters of this folder)
// ---------------------------------------------------------------------------------------------

/** The longest idempotency key the ports accept (Adyen's limit, the strictest). */
export const maximumIdempotencyKeyLength = 64;

/** Turns a value into its canonical JSON form: sorted keys, no `undefined`, `Money` and bigint as strings. */
function canonicalValue(value: unknown): unknown {
  if (Money.isInstance(value)) {
    return value.toJSON();
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (Array.isArray(value)) {
    return value.map(canonicalValue);
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return Object.fromEntries(keys.map((key) => [key, canonicalValue(record[key])]));
  }
  return value;
}

/**
 * The canonical JSON of a value: object keys sorted, `undefined` members dropped, `Money` as its
 * JSON form and bigints as decimal strings. Two inputs that mean the same thing give the same text.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value));
}

/** What the ledger remembers for one key. */
interface LedgerEntry {
  /** Operation and canonical parameters of the first request. */
  readonly fingerprint: string;
  /** The first answer: a value, or an error that is replayed as well. */
  readonly outcome: { readonly kind: 'value'; readonly value: unknown } | { readonly kind: 'error'; readonly error: unknown };
}

/**
 * Stripe-style idempotency for the in-memory adapters: the first answer for a key is replayed for
 * every later request with the same operation and parameters; the same key with anything else is
 * an `IdempotencyConflictError`. Like Stripe, nothing is remembered when the request fails
 * validation (the operation never started); errors that `remembersError` accepts (declines) are
 * remembered and replayed.
 *
 * Used by the in-memory adapters of `@paymigrate/testkit`; not part of the package surface.
 */
export class InMemoryIdempotencyLedger {
  readonly #provider: string;
  readonly #entries = new Map<string, LedgerEntry>();

  /** @param provider Provider name used in the errors this ledger throws. */
  constructor(provider: string) {
    this.#provider = provider;
  }

  /**
   * Replays the answer remembered for `idempotencyKey`, or runs `execute` and remembers its answer.
   *
   * @param operation Operation name, part of the request fingerprint.
   * @param idempotencyKey The caller's key, 1 to 64 characters.
   * @param input The request; every member but `idempotencyKey` is part of the fingerprint.
   * @param execute Performs the operation.
   * @param remembersError Which thrown errors are remembered and replayed (default: none).
   * @throws InvalidRequestError when the key is empty or longer than 64 characters.
   * @throws IdempotencyConflictError when the key was used with another operation or other parameters.
   */
  run<Result>(
    operation: string,
    idempotencyKey: string,
    input: object,
    execute: () => Result,
    remembersError: (error: unknown) => boolean = () => false,
  ): Result {
    if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > maximumIdempotencyKeyLength) {
      throw new InvalidRequestError(`The idempotency key must be 1 to ${maximumIdempotencyKeyLength} characters long.`, {
        provider: this.#provider,
        httpStatus: 400,
        parameter: 'idempotencyKey',
      });
    }
    const parameters = Object.fromEntries(Object.entries(input).filter(([key]) => key !== 'idempotencyKey'));
    const fingerprint = `${operation}:${canonicalJson(parameters)}`;
    const previous = this.#entries.get(idempotencyKey);
    if (previous !== undefined) {
      if (previous.fingerprint !== fingerprint) {
        throw new IdempotencyConflictError(
          `Idempotency key '${idempotencyKey}' was first used with other parameters (or another operation) than this ${operation}. Replay the exact parameters recorded with the key, or use a new key.`,
          { provider: this.#provider, httpStatus: 400, providerCode: 'idempotency_key_in_use', idempotencyKey },
        );
      }
      if (previous.outcome.kind === 'error') {
        throw previous.outcome.error;
      }
      return previous.outcome.value as Result;
    }
    try {
      const value = execute();
      this.#entries.set(idempotencyKey, { fingerprint, outcome: { kind: 'value', value } });
      return value;
    } catch (error) {
      if (remembersError(error)) {
        this.#entries.set(idempotencyKey, { fingerprint, outcome: { kind: 'error', error } });
      }
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Test tokens
// ---------------------------------------------------------------------------------------------

/** How a test token behaves at `authorize`. */
export interface InMemoryTestToken {
  /** What `authorize` does with it. */
  readonly outcome: 'authorized' | 'declined' | 'requires_action';
  /** The card behind the token (safe summary; the fingerprint is derived from the token name). */
  readonly card: Omit<CardSummary, 'fingerprint'>;
  /** The canonical decline reason when `outcome` is `declined`. */
  readonly declineReason?: string | undefined;
  /** What the token is for, in words. */
  readonly description: string;
}

/**
 * The single-use test tokens `InMemoryPaymentGateway.authorize` understands, like Stripe's
 * `tok_visa` family. Any other token that is not a stored payment method of the gateway is refused
 * with `InvalidRequestError` (`parameter: 'paymentMethodToken'`).
 *
 * A card whose brand is not in `capabilities.brands` is declined with `card_not_supported`,
 * whatever its outcome here; `tok_unknown_brand` (brand `unknown`) is declined that way unless
 * `unknown` is explicitly listed as an accepted brand.
 */
export const inMemoryTestTokens = {
  tok_visa: {
    outcome: 'authorized',
    card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2034, funding: 'credit', issuingCountry: 'US' },
    description: 'Visa credit card, authorized.',
  },
  tok_mastercard: {
    outcome: 'authorized',
    card: { brand: 'mastercard', last4: '4444', expiryMonth: 11, expiryYear: 2033, funding: 'credit', issuingCountry: 'US' },
    description: 'Mastercard credit card, authorized.',
  },
  tok_amex: {
    outcome: 'authorized',
    card: { brand: 'amex', last4: '8431', expiryMonth: 10, expiryYear: 2032, funding: 'credit', issuingCountry: 'US' },
    description: 'American Express card, authorized.',
  },
  tok_declined: {
    outcome: 'declined',
    declineReason: 'generic_decline',
    card: { brand: 'visa', last4: '0002', expiryMonth: 12, expiryYear: 2034, funding: 'credit', issuingCountry: 'US' },
    description: 'Declined by the issuer without a specific reason (generic_decline).',
  },
  tok_insufficient_funds: {
    outcome: 'declined',
    declineReason: 'insufficient_funds',
    card: { brand: 'visa', last4: '9995', expiryMonth: 12, expiryYear: 2034, funding: 'debit', issuingCountry: 'US' },
    description: 'Declined for insufficient funds.',
  },
  tok_expired_card: {
    outcome: 'declined',
    declineReason: 'expired_card',
    card: { brand: 'visa', last4: '0069', expiryMonth: 1, expiryYear: 2020, funding: 'credit', issuingCountry: 'US' },
    description: 'Declined because the card has expired.',
  },
  tok_3ds: {
    outcome: 'requires_action',
    card: { brand: 'visa', last4: '3220', expiryMonth: 12, expiryYear: 2034, funding: 'credit', issuingCountry: 'GB' },
    description: 'Needs a 3-D Secure challenge: authorize answers requires_action; finish with completeRequiredAction.',
  },
  tok_unknown_brand: {
    outcome: 'authorized',
    card: { brand: 'unknown', last4: '1117', expiryMonth: 12, expiryYear: 2034, funding: 'unknown' },
    description: "A card of a network the gateway cannot name: declined with card_not_supported unless 'unknown' is an accepted brand.",
  },
} as const satisfies Readonly<Record<string, InMemoryTestToken>>;

/** The name of one of `inMemoryTestTokens`. */
export type InMemoryTestTokenName = keyof typeof inMemoryTestTokens;

/** Every brand the in-memory gateway accepts by default: every named brand except `unknown`. */
const defaultBrands: readonly CardBrand[] = [
  'visa',
  'mastercard',
  'amex',
  'discover',
  'jcb',
  'unionpay',
  'diners',
  'maestro',
  'cartes_bancaires',
];

/** The capabilities of an `InMemoryPaymentGateway` when none are overridden: it can do everything. */
export const inMemoryDefaultCapabilities: PaymentGatewayCapabilities = Object.freeze({
  currencies: 'all',
  brands: defaultBrands,
  partialCapture: true,
  multipleCaptures: true,
  partialRefund: true,
  multipleRefunds: true,
  merchantInitiatedWithNetworkTransactionId: true,
  tokenImport: true,
  findByMerchantReference: true,
  technicalCancel: true,
  liveRetrieve: true,
  webhookVerification: 'local-signature',
});

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

/** The header carrying the in-memory webhook signature: `t=<epoch ms>,v1=<hex HMAC-SHA256 of "t.rawBody">`. */
export const inMemoryWebhookSignatureHeader = 'x-memory-signature';

/** How far a webhook's signing time may be from the time it is verified, in milliseconds (300 s, like Stripe). */
export const inMemoryWebhookToleranceMilliseconds = 300_000;

/** The webhook secret of an `InMemoryPaymentGateway` built without one. */
export const inMemoryDefaultWebhookSecret = 'whsec_memory_test_secret';

/** The JSON body of an in-memory provider webhook. */
export interface InMemoryWebhookBody {
  /** Event id, the deduplication key. */
  readonly id: string;
  /** Event type: a canonical `PaymentWebhookEventType`; anything else is normalized to `other`. */
  readonly type: string;
  /** The payment it is about. */
  readonly providerReference: string;
  /** The capture or refund it is about. */
  readonly operationReference?: string | undefined;
  /** Our merchant reference. */
  readonly merchantReference?: string | undefined;
  /** Amount, as `Money` or its JSON form (`minorUnits` may also be a safe-integer number). */
  readonly amount?: Money | MoneyJson | { readonly minorUnits: number; readonly currency: string } | undefined;
  /** When it happened, epoch milliseconds. */
  readonly occurredAt: number;
  /** Whether the operation succeeded. */
  readonly success: boolean;
}

/** Hex HMAC-SHA256 of `payload` with `secret`. */
function hmacHex(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

/**
 * Builds a webhook request signed the way `InMemoryPaymentGateway.verifyWebhook` checks it:
 * header `x-memory-signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<rawBody>">`.
 * `receivedAt` is set to `timestamp` (delivered at once); drop or change it to test staleness.
 *
 * @param secret The gateway's webhook secret.
 * @param body The body: an object (serialized with `JSON.stringify`) or the exact raw text.
 * @param timestamp The signing time, epoch milliseconds.
 */
export function signInMemoryWebhook(secret: string, body: InMemoryWebhookBody | string, timestamp: number): WebhookRequest {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = hmacHex(secret, `${timestamp}.${rawBody}`);
  return {
    rawBody,
    headers: { 'content-type': 'application/json', [inMemoryWebhookSignatureHeader]: `t=${timestamp},v1=${signature}` },
    receivedAt: timestamp,
  };
}

/** A parsed `x-memory-signature` header. */
interface ParsedSignature {
  readonly timestamp: number;
  readonly signatures: readonly string[];
}

/** Parses `t=...,v1=...[,v1=...]`; `undefined` when malformed. Unknown schemes (`v0=`) are ignored. */
function parseSignatureHeader(header: string): ParsedSignature | undefined {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^[0-9]{1,16}$/.test(value)) {
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) {
        return undefined;
      }
      signatures.push(value.toLowerCase());
    }
  }
  return timestamp === undefined || signatures.length === 0 ? undefined : { timestamp, signatures };
}

/** True when `value` is a plain JSON object. */
function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a webhook amount: `{ minorUnits: "1234" | 1234, currency }`, or `undefined` when absent.
 *
 * @throws when it is present but not a valid amount.
 */
function parseWebhookAmount(value: unknown): Money | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!isJsonObject(value) || typeof value['currency'] !== 'string') {
    throw new TypeError('amount is not { minorUnits, currency }');
  }
  const minorUnits = value['minorUnits'];
  return typeof minorUnits === 'number'
    ? Money.of(minorUnits, value['currency'])
    : Money.fromJSON({ minorUnits: minorUnits as string, currency: value['currency'] });
}

// ---------------------------------------------------------------------------------------------
// The gateway
// ---------------------------------------------------------------------------------------------

/** The operations of `InMemoryPaymentGateway` and the input each receives. */
export interface InMemoryGatewayInputs {
  /** `authorize`. */
  readonly authorize: AuthorizeInput;
  /** `chargeStoredPaymentMethod`. */
  readonly chargeStoredPaymentMethod: StoredPaymentMethodChargeInput;
  /** `capture`. */
  readonly capture: CaptureInput;
  /** `refund`. */
  readonly refund: RefundInput;
  /** `cancel`. */
  readonly cancel: CancelInput;
  /** `cancelByMerchantReference`. */
  readonly cancelByMerchantReference: CancelByMerchantReferenceInput;
  /** `retrieve`. */
  readonly retrieve: { readonly providerReference: string };
  /** `findByMerchantReference`. */
  readonly findByMerchantReference: { readonly merchantReference: string };
  /** `listStoredPaymentMethods`. */
  readonly listStoredPaymentMethods: { readonly customerReference: string };
  /** `verifyWebhook`. */
  readonly verifyWebhook: WebhookRequest;
}

/** The name of a gateway operation. */
export type InMemoryGatewayOperation = keyof InMemoryGatewayInputs;

/** One call the in-memory gateway received, in arrival order. */
export type InMemoryGatewayCall = {
  readonly [Operation in InMemoryGatewayOperation]: {
    /** Which operation. */
    readonly operation: Operation;
    /** The idempotency key it carried (writes only). */
    readonly idempotencyKey: string | undefined;
    /** The input exactly as passed. */
    readonly input: InMemoryGatewayInputs[Operation];
  };
}[InMemoryGatewayOperation];

/** Options of `InMemoryPaymentGateway`. */
export interface InMemoryPaymentGatewayOptions {
  /** Provider name reported by the gateway, its snapshots and its errors. @default 'memory' */
  readonly provider?: string | undefined;
  /** Overrides of `inMemoryDefaultCapabilities`; the gateway enforces what it declares. */
  readonly capabilities?: Partial<PaymentGatewayCapabilities> | undefined;
  /** Secret of the `x-memory-signature` webhook scheme. @default inMemoryDefaultWebhookSecret */
  readonly webhookSecret?: string | undefined;
  /** Time source for stored-method creation times and webhook tolerance. @default systemClock */
  readonly clock?: ClockV1 | undefined;
}

/** Everything the gateway knows about one payment. */
interface PaymentRecord {
  readonly providerReference: string;
  readonly merchantReference: string;
  readonly amount: Money;
  readonly captureMethod: CaptureMethod;
  readonly card: CardSummary;
  readonly customerReference: string | undefined;
  readonly savePaymentMethod: boolean;
  state: PaymentState;
  /** Amount held at authorization; zero until authorized. */
  authorized: Money;
  captured: Money;
  refunded: Money;
  /** The uncaptured remainder was released (cancel, or a final capture). */
  released: boolean;
  networkTransactionId: string | undefined;
  storedPaymentMethod: StoredPaymentMethod | undefined;
  declineReason: string | undefined;
  nextAction: PaymentNextAction | undefined;
}

/** States from which each follow-up operation is possible. */
const capturableStates: readonly PaymentState[] = ['authorized', 'partially_captured'];
const refundableStates: readonly PaymentState[] = ['partially_captured', 'captured', 'partially_refunded'];
const cancellableStates: readonly PaymentState[] = ['authorized', 'partially_captured', 'requires_action'];
/** States where a technical cancel has nothing left to release. */
const settledWithoutHoldStates: readonly PaymentState[] = ['failed', 'voided'];

/** Operations that write (and therefore time out with an unknown outcome when aborted). */
const writeOperations: ReadonlySet<InMemoryGatewayOperation> = new Set<InMemoryGatewayOperation>([
  'authorize',
  'chargeStoredPaymentMethod',
  'capture',
  'refund',
  'cancel',
  'cancelByMerchantReference',
]);

/** Letters-only hash text (no digit runs that could look like a card number in a PAN scan). */
function letterHash(text: string, length: number): string {
  return createHash('sha256')
    .update(text, 'utf8')
    .digest('hex')
    .slice(0, length)
    .replace(/[0-9a-f]/g, (digit) => 'abcdefghijklmnop'.charAt(Number.parseInt(digit, 16)));
}

/**
 * A payment provider that lives in memory: the reference implementation of `PaymentGatewayV1`
 * semantics, used to test core engines and to check the contract suite itself.
 *
 * - Idempotency works like Stripe's: a key replays its first answer (a decline included) for the
 *   same operation and parameters, and is an `IdempotencyConflictError` otherwise. Requests that
 *   fail validation are not remembered.
 * - Test tokens decide the outcome (see `inMemoryTestTokens`); stored tokens come from
 *   `savePaymentMethod: true` or `addStoredPaymentMethod`.
 * - Amount rules: a capture at most what remains authorized, a refund at most what was captured
 *   and not refunded, same currency; otherwise `InvalidRequestError` with `parameter: 'amount'`.
 *   Partial and repeated captures and refunds follow the declared capabilities
 *   (`UnsupportedOperationError` otherwise). A non-final capture releases nothing; a final one
 *   releases the remainder.
 * - Cancelling an authorization voids it; cancelling a partially captured payment releases the
 *   remainder and leaves it `captured` (as `paymentStateFromAmounts` derives); cancelling a payment
 *   that still requires customer action makes it `failed` (nothing was ever held, and the payment
 *   state machine has no `requires_action -> voided`).
 * - Faults: `setAvailable(false)`, `failNext(operation, error)`, `failAfterApplying(operation)`.
 *   Everything is recorded in `calls`.
 *
 * Every operation completes synchronously inside its promise, so concurrent calls cannot interleave.
 */
export class InMemoryPaymentGateway implements PaymentGatewayV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;

  /** Provider name. */
  readonly provider: string;

  /** What this gateway declares and enforces. */
  readonly capabilities: PaymentGatewayCapabilities;

  /**
   * Cancels a payment known only by its merchant reference (Adyen "technical cancel"). Present
   * only when `capabilities.technicalCancel` is true. When the provider has no payment under that
   * reference, or the payment already failed or was voided, nothing is held and the answer is a
   * `succeeded` no-op (amount zero); a captured payment is an `InvalidRequestError`.
   */
  readonly cancelByMerchantReference?: ((input: CancelByMerchantReferenceInput, options?: CallOptions) => Promise<PaymentOperationResult>) | undefined;

  readonly #webhookSecret: string;
  readonly #clock: ClockV1;
  readonly #ledger: InMemoryIdempotencyLedger;
  readonly #payments = new Map<string, PaymentRecord>();
  readonly #storedMethods = new Map<string, StoredPaymentMethod>();
  readonly #calls: InMemoryGatewayCall[] = [];
  readonly #injectedErrors = new Map<InMemoryGatewayOperation, Error[]>();
  readonly #lostAnswers = new Map<InMemoryGatewayOperation, number>();
  readonly #counters = new Map<string, number>();
  #available = true;

  /** @param options Provider name, capability overrides, webhook secret and clock. */
  constructor(options: InMemoryPaymentGatewayOptions = {}) {
    this.provider = options.provider ?? 'memory';
    const overrides = Object.entries(options.capabilities ?? {}).filter(([, value]) => value !== undefined);
    this.capabilities = Object.freeze({ ...inMemoryDefaultCapabilities, ...Object.fromEntries(overrides) });
    this.#webhookSecret = options.webhookSecret ?? inMemoryDefaultWebhookSecret;
    this.#clock = options.clock ?? systemClock;
    this.#ledger = new InMemoryIdempotencyLedger(this.provider);
    this.cancelByMerchantReference = this.capabilities.technicalCancel
      ? (input, callOptions) => this.#cancelByMerchantReference(input, callOptions)
      : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Test controls
  // -------------------------------------------------------------------------------------------

  /** Every call received, in arrival order (including calls that failed). */
  get calls(): readonly InMemoryGatewayCall[] {
    return this.#calls;
  }

  /**
   * Makes the provider reachable or not. While unavailable, every call that reaches the provider
   * throws `ProviderUnavailableError` and changes nothing; `verifyWebhook` (a local signature
   * check) keeps working.
   */
  setAvailable(available: boolean): void {
    this.#available = available;
  }

  /**
   * Queues `error` to be thrown by the next call of `operation`, before it reaches the provider
   * (nothing is applied or remembered). Several queued errors are thrown in order.
   */
  failNext(operation: InMemoryGatewayOperation, error: Error): void {
    const queue = this.#injectedErrors.get(operation) ?? [];
    queue.push(error);
    this.#injectedErrors.set(operation, queue);
  }

  /**
   * Makes the next call of `operation` take effect (and be remembered under its idempotency key)
   * but lose its answer: it throws `UnknownOutcomeError`. Retrying with the same key replays the
   * remembered answer; `findByMerchantReference` finds the payment.
   */
  failAfterApplying(operation: InMemoryGatewayOperation): void {
    this.#lostAnswers.set(operation, (this.#lostAnswers.get(operation) ?? 0) + 1);
  }

  /** Every payment the provider holds, as snapshots in creation order: the provider's truth for invariant checks. */
  payments(): PaymentSnapshot[] {
    return [...this.#payments.values()].map((record) => this.#snapshot(record));
  }

  /**
   * Seeds a stored payment method (as a token import or an earlier save would have made it).
   * Returns it as `listStoredPaymentMethods` will report it.
   */
  addStoredPaymentMethod(method: Omit<StoredPaymentMethod, 'provider'>): StoredPaymentMethod {
    const stored: StoredPaymentMethod = Object.freeze({
      ...method,
      provider: this.provider,
      card: Object.freeze({ ...method.card }),
      createdAt: method.createdAt ?? this.#clock.now(),
    });
    this.#storedMethods.set(stored.token, stored);
    return stored;
  }

  /**
   * Finishes the customer step of a `requires_action` payment (the 3-D Secure challenge of
   * `tok_3ds`): on success it becomes `authorized` (or `captured` with automatic capture) and saves
   * the payment method when asked; otherwise it fails with `declineReason`.
   *
   * @throws ResourceNotFoundError for an unknown reference.
   * @throws InvalidRequestError when the payment does not require action.
   */
  completeRequiredAction(providerReference: string, outcome: { readonly succeed: boolean; readonly declineReason?: string | undefined }): PaymentSnapshot {
    const record = this.#find(providerReference);
    this.#assertState(record, ['requires_action'], 'complete the required action of');
    record.nextAction = undefined;
    if (outcome.succeed) {
      this.#approve(record);
    } else {
      paymentStateMachine.assertTransition(record.state, 'failed', record.providerReference);
      record.state = 'failed';
      record.declineReason = outcome.declineReason ?? 'authentication_failed';
    }
    return this.#snapshot(record);
  }

  /**
   * Builds a webhook signed with this gateway's secret at the clock's current time, as the
   * provider would send it.
   */
  signWebhook(event: {
    readonly type: PaymentWebhookEventType | string;
    readonly providerReference: string;
    readonly eventId: string;
    readonly amount?: Money | undefined;
    readonly success?: boolean | undefined;
    readonly merchantReference?: string | undefined;
    readonly operationReference?: string | undefined;
  }): WebhookRequest {
    const now = this.#clock.now();
    return signInMemoryWebhook(
      this.#webhookSecret,
      {
        id: event.eventId,
        type: event.type,
        providerReference: event.providerReference,
        operationReference: event.operationReference,
        merchantReference: event.merchantReference,
        amount: event.amount,
        occurredAt: now,
        success: event.success ?? true,
      },
      now,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Port
  // -------------------------------------------------------------------------------------------

  /** Authorizes a payment with a test token or a stored token. See `inMemoryTestTokens`. */
  authorize(input: AuthorizeInput, options?: CallOptions): Promise<PaymentSnapshot> {
    return this.#call('authorize', input, input.idempotencyKey, options, () => this.#authorize(input));
  }

  /** Charges a stored payment method of the customer, recording the network transaction id. */
  chargeStoredPaymentMethod(input: StoredPaymentMethodChargeInput, options?: CallOptions): Promise<PaymentSnapshot> {
    return this.#call('chargeStoredPaymentMethod', input, input.idempotencyKey, options, () => this.#chargeStoredPaymentMethod(input));
  }

  /** Captures all or part of what remains authorized. */
  capture(input: CaptureInput, options?: CallOptions): Promise<PaymentOperationResult> {
    return this.#call('capture', input, input.idempotencyKey, options, () => this.#capture(input));
  }

  /** Refunds all or part of what was captured and not yet refunded. */
  refund(input: RefundInput, options?: CallOptions): Promise<PaymentOperationResult> {
    return this.#call('refund', input, input.idempotencyKey, options, () => this.#refund(input));
  }

  /** Voids an authorization, or releases the uncaptured remainder. */
  cancel(input: CancelInput, options?: CallOptions): Promise<PaymentOperationResult> {
    return this.#call('cancel', input, input.idempotencyKey, options, () => this.#cancel(this.#find(input.providerReference)));
  }

  /** Reads a payment. */
  retrieve(input: { readonly providerReference: string }, options?: CallOptions): Promise<PaymentSnapshot> {
    return this.#call('retrieve', input, undefined, options, () => this.#snapshot(this.#find(input.providerReference)));
  }

  /**
   * Finds the latest payment with this merchant reference, or `undefined`.
   *
   * @throws UnsupportedOperationError when `capabilities.findByMerchantReference` is false: a
   *   provider that cannot search must not answer "not found", which would prove a lost payment
   *   never happened.
   */
  findByMerchantReference(input: { readonly merchantReference: string }, options?: CallOptions): Promise<PaymentSnapshot | undefined> {
    return this.#call('findByMerchantReference', input, undefined, options, () => {
      if (!this.capabilities.findByMerchantReference) {
        throw new UnsupportedOperationError({
          component: this.provider,
          operation: 'findByMerchantReference',
          reason: 'capabilities.findByMerchantReference is false',
        });
      }
      const record = this.#findByMerchantReference(input.merchantReference);
      return record === undefined ? undefined : this.#snapshot(record);
    });
  }

  /** Lists the customer's stored payment methods (an unknown customer has none). */
  listStoredPaymentMethods(input: { readonly customerReference: string }, options?: CallOptions): Promise<readonly StoredPaymentMethod[]> {
    return this.#call('listStoredPaymentMethods', input, undefined, options, () =>
      [...this.#storedMethods.values()].filter((method) => method.customerReference === input.customerReference),
    );
  }

  /**
   * Verifies `x-memory-signature: t=<ms>,v1=<hex>` (HMAC-SHA256 of `"<t>.<rawBody>"`, several
   * `v1` accepted, constant-time comparison, 300 s tolerance against `request.receivedAt`, or the
   * clock when absent) and normalizes the body (see `InMemoryWebhookBody`).
   */
  verifyWebhook(request: WebhookRequest, options?: CallOptions): Promise<PaymentWebhookEvent> {
    return this.#call('verifyWebhook', request, undefined, options, () => this.#verifyWebhook(request));
  }

  // -------------------------------------------------------------------------------------------
  // Call plumbing
  // -------------------------------------------------------------------------------------------

  async #call<Operation extends InMemoryGatewayOperation, Result>(
    operation: Operation,
    input: InMemoryGatewayInputs[Operation],
    idempotencyKey: string | undefined,
    options: CallOptions | undefined,
    execute: () => Result,
  ): Promise<Result> {
    this.#calls.push({ operation, idempotencyKey, input } as InMemoryGatewayCall);
    if (options?.signal?.aborted === true) {
      const message = `${operation} was aborted by the caller.`;
      throw writeOperations.has(operation)
        ? new UnknownOutcomeError(message, { provider: this.provider, cause: options.signal.reason })
        : new ProviderUnavailableError(message, { provider: this.provider, cause: options.signal.reason });
    }
    if (!this.#available && operation !== 'verifyWebhook') {
      throw new ProviderUnavailableError(`The provider is unavailable; ${operation} was not sent.`, { provider: this.provider });
    }
    const injected = this.#injectedErrors.get(operation)?.shift();
    if (injected !== undefined) {
      throw injected;
    }
    let outcome: { readonly value: Result } | { readonly error: unknown };
    try {
      outcome = {
        value:
          idempotencyKey === undefined
            ? execute()
            : this.#ledger.run(operation, idempotencyKey, input, execute, (error) => PaymentDeclinedError.isInstance(error)),
      };
    } catch (error) {
      outcome = { error };
    }
    const lostAnswers = this.#lostAnswers.get(operation) ?? 0;
    if (lostAnswers > 0) {
      this.#lostAnswers.set(operation, lostAnswers - 1);
      throw new UnknownOutcomeError(`The answer to ${operation} was lost after the provider processed it.`, {
        provider: this.provider,
        cause: 'error' in outcome ? outcome.error : undefined,
      });
    }
    if ('error' in outcome) {
      throw outcome.error;
    }
    return outcome.value;
  }

  #nextId(prefix: string): string {
    const next = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, next);
    return `${prefix}_memory_${String(next).padStart(6, '0')}`;
  }

  #invalid(message: string, parameter: string | undefined): InvalidRequestError {
    return new InvalidRequestError(message, { provider: this.provider, httpStatus: 400, parameter });
  }

  #unsupported(operation: string, reason: string): UnsupportedOperationError {
    return new UnsupportedOperationError({ component: this.provider, operation, reason });
  }

  #find(providerReference: string): PaymentRecord {
    const record = this.#payments.get(providerReference);
    if (record === undefined) {
      throw new ResourceNotFoundError(`No payment '${providerReference}'.`, {
        provider: this.provider,
        httpStatus: 404,
        providerCode: 'resource_missing',
        resource: `payment ${providerReference}`,
      });
    }
    return record;
  }

  #findByMerchantReference(merchantReference: string): PaymentRecord | undefined {
    return [...this.#payments.values()].reverse().find((record) => record.merchantReference === merchantReference);
  }

  #assertState(record: PaymentRecord, allowed: readonly PaymentState[], action: string): void {
    if (!allowed.includes(record.state)) {
      throw this.#invalid(
        `Cannot ${action} payment '${record.providerReference}': it is ${record.state} (possible only when ${allowed.join(' or ')}).`,
        'providerReference',
      );
    }
  }

  #assertAmount(amount: Money, currency: string): void {
    if (amount.currency !== currency) {
      throw this.#invalid(`The amount is in ${amount.currency} but the payment is in ${currency}.`, 'amount');
    }
    if (!amount.isPositive()) {
      throw this.#invalid(`The amount must be positive, got ${amount.toString()}.`, 'amount');
    }
  }

  #assertCurrencyAccepted(amount: Money, operation: string): void {
    const { currencies } = this.capabilities;
    if (currencies !== 'all' && !currencies.includes(amount.currency)) {
      throw this.#unsupported(operation, `currency ${amount.currency} is not accepted (accepted: ${currencies.join(', ')})`);
    }
  }

  #assertMerchantReference(merchantReference: string): void {
    if (typeof merchantReference !== 'string' || merchantReference.length === 0) {
      throw this.#invalid('A merchant reference is required.', 'merchantReference');
    }
  }

  #snapshot(record: PaymentRecord): PaymentSnapshot {
    const zero = Money.zero(record.amount.currency);
    return Object.freeze({
      provider: this.provider,
      providerReference: record.providerReference,
      merchantReference: record.merchantReference,
      state: record.state,
      providerStatus: record.state,
      amount: record.amount,
      authorizedAmount: record.released ? record.captured : record.authorized,
      capturedAmount: record.captured,
      refundedAmount: record.refunded,
      networkTransactionId: record.networkTransactionId,
      storedPaymentMethod: record.storedPaymentMethod,
      declineReason: record.declineReason,
      nextAction: record.nextAction,
      ...(record.state === 'failed' ? { authorizedAmount: zero } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  #newRecord(input: {
    readonly merchantReference: string;
    readonly amount: Money;
    readonly captureMethod: CaptureMethod;
    readonly card: CardSummary;
    readonly customerReference: string | undefined;
    readonly savePaymentMethod: boolean;
  }): PaymentRecord {
    const zero = Money.zero(input.amount.currency);
    const record: PaymentRecord = {
      ...input,
      providerReference: this.#nextId('pay'),
      state: 'authorizing',
      authorized: zero,
      captured: zero,
      refunded: zero,
      released: false,
      networkTransactionId: undefined,
      storedPaymentMethod: undefined,
      declineReason: undefined,
      nextAction: undefined,
    };
    this.#payments.set(record.providerReference, record);
    return record;
  }

  /** Moves an authorizing (or challenged) payment to authorized, or captured with automatic capture. */
  #approve(record: PaymentRecord): void {
    const target: PaymentState = record.captureMethod === 'automatic' ? 'captured' : 'authorized';
    paymentStateMachine.assertTransition(record.state, target, record.providerReference);
    record.state = target;
    record.authorized = record.amount;
    record.captured = target === 'captured' ? record.amount : record.captured;
    record.networkTransactionId ??= this.#nextId('ntid');
    if (record.savePaymentMethod) {
      record.storedPaymentMethod = this.#savePaymentMethod(record);
    }
  }

  /** Stores the card of an approved payment for its customer (one stored method per card and customer). */
  #savePaymentMethod(record: PaymentRecord): StoredPaymentMethod {
    const customerReference = record.customerReference ?? this.#nextId('cus');
    const existing = [...this.#storedMethods.values()].find(
      (method) => method.customerReference === customerReference && method.card.fingerprint === record.card.fingerprint,
    );
    return (
      existing ??
      this.addStoredPaymentMethod({
        token: this.#nextId('pm'),
        customerReference,
        card: record.card,
        networkTransactionId: record.networkTransactionId,
      })
    );
  }

  #decline(record: PaymentRecord, declineReason: string): never {
    paymentStateMachine.assertTransition(record.state, 'failed', record.providerReference);
    record.state = 'failed';
    record.declineReason = declineReason;
    throw new PaymentDeclinedError(`Payment '${record.providerReference}' was declined (${declineReason}).`, {
      provider: this.provider,
      httpStatus: 402,
      providerCode: declineReason,
      declineReason,
      providerReference: record.providerReference,
    });
  }

  #authorize(input: AuthorizeInput): PaymentSnapshot {
    this.#assertMerchantReference(input.merchantReference);
    if (input.amount.isNegative()) {
      throw this.#invalid(`The amount must not be negative, got ${input.amount.toString()}.`, 'amount');
    }
    this.#assertCurrencyAccepted(input.amount, 'authorize');
    const resolved = this.#resolvePaymentMethod(input);
    const record = this.#newRecord({
      merchantReference: input.merchantReference,
      amount: input.amount,
      captureMethod: input.captureMethod ?? 'manual',
      card: resolved.card,
      customerReference: input.customerReference ?? resolved.customerReference,
      savePaymentMethod: input.savePaymentMethod ?? false,
    });
    if (!this.capabilities.brands.includes(resolved.card.brand)) {
      this.#decline(record, 'card_not_supported');
    }
    const { outcome } = resolved;
    if (outcome === 'declined') {
      this.#decline(record, resolved.declineReason);
    }
    if (outcome === 'requires_action') {
      paymentStateMachine.assertTransition(record.state, 'requires_action', record.providerReference);
      record.state = 'requires_action';
      record.nextAction = Object.freeze({ type: 'three_d_secure', url: `https://memory.invalid/3ds/${record.providerReference}` });
    } else {
      this.#approve(record);
    }
    return this.#snapshot(record);
  }

  /** The card and outcome behind an `authorize` token: a stored method, or a test token. */
  #resolvePaymentMethod(input: AuthorizeInput): {
    readonly card: CardSummary;
    readonly outcome: InMemoryTestToken['outcome'];
    readonly declineReason: string;
    readonly customerReference: string | undefined;
  } {
    const token = input.paymentMethodToken;
    const stored = this.#storedMethods.get(token);
    if (stored !== undefined) {
      if (input.customerReference !== undefined && stored.customerReference !== input.customerReference) {
        throw this.#invalid(`Payment method '${stored.token}' belongs to another customer.`, 'customerReference');
      }
      return { card: stored.card, outcome: 'authorized', declineReason: 'generic_decline', customerReference: stored.customerReference };
    }
    if (!Object.hasOwn(inMemoryTestTokens, token)) {
      throw this.#invalid(`No such payment method token '${token}'.`, 'paymentMethodToken');
    }
    const testToken: InMemoryTestToken = inMemoryTestTokens[token as InMemoryTestTokenName];
    return {
      card: Object.freeze({ ...testToken.card, fingerprint: `fp_${letterHash(`memory-card:${token}`, 16)}` }),
      outcome: testToken.outcome,
      declineReason: testToken.declineReason ?? 'generic_decline',
      customerReference: undefined,
    };
  }

  #chargeStoredPaymentMethod(input: StoredPaymentMethodChargeInput): PaymentSnapshot {
    this.#assertMerchantReference(input.merchantReference);
    this.#assertAmount(input.amount, input.amount.currency);
    this.#assertCurrencyAccepted(input.amount, 'chargeStoredPaymentMethod');
    if (input.networkTransactionId !== undefined && !this.capabilities.merchantInitiatedWithNetworkTransactionId) {
      throw this.#unsupported('chargeStoredPaymentMethod with a network transaction id', 'capabilities.merchantInitiatedWithNetworkTransactionId is false');
    }
    const stored = this.#storedMethods.get(input.paymentMethodToken);
    if (stored === undefined) {
      throw new ResourceNotFoundError(`No stored payment method '${input.paymentMethodToken}'.`, {
        provider: this.provider,
        httpStatus: 404,
        providerCode: 'resource_missing',
        resource: `payment method ${input.paymentMethodToken}`,
      });
    }
    if (stored.customerReference !== input.customerReference) {
      throw this.#invalid(`Payment method '${stored.token}' does not belong to customer '${input.customerReference}'.`, 'customerReference');
    }
    const record = this.#newRecord({
      merchantReference: input.merchantReference,
      amount: input.amount,
      captureMethod: input.captureMethod ?? 'automatic',
      card: stored.card,
      customerReference: stored.customerReference,
      savePaymentMethod: false,
    });
    record.networkTransactionId = input.networkTransactionId ?? stored.networkTransactionId;
    record.storedPaymentMethod = stored;
    this.#approve(record);
    return this.#snapshot(record);
  }

  #capture(input: CaptureInput): PaymentOperationResult {
    const record = this.#find(input.providerReference);
    this.#assertState(record, capturableStates, 'capture');
    this.#assertAmount(input.amount, record.amount.currency);
    const remaining = record.authorized.subtract(record.captured);
    if (input.amount.greaterThan(remaining)) {
      throw this.#invalid(
        `Cannot capture ${input.amount.toString()} on payment '${record.providerReference}': only ${remaining.toString()} remains authorized.`,
        'amount',
      );
    }
    const finalCapture = input.finalCapture ?? true;
    if (input.amount.lessThan(remaining) && !this.capabilities.partialCapture) {
      throw this.#unsupported('partial capture', 'capabilities.partialCapture is false');
    }
    if (!finalCapture && !this.capabilities.multipleCaptures) {
      throw this.#unsupported('non-final capture', 'capabilities.multipleCaptures is false');
    }
    const captured = record.captured.add(input.amount);
    const target = paymentStateFromAmounts({ authorized: record.authorized, captured, refunded: record.refunded, voided: finalCapture });
    paymentStateMachine.assertTransition(record.state, target, record.providerReference);
    record.captured = captured;
    record.released = finalCapture;
    record.state = target;
    return this.#operationResult('capture', this.#nextId('cap'), input.amount, record);
  }

  #refund(input: RefundInput): PaymentOperationResult {
    const record = this.#find(input.providerReference);
    this.#assertState(record, refundableStates, 'refund');
    this.#assertAmount(input.amount, record.amount.currency);
    const refundable = record.captured.subtract(record.refunded);
    if (input.amount.greaterThan(refundable)) {
      throw this.#invalid(
        `Cannot refund ${input.amount.toString()} on payment '${record.providerReference}': only ${refundable.toString()} is captured and not refunded.`,
        'amount',
      );
    }
    if (record.refunded.isPositive() && !this.capabilities.multipleRefunds) {
      throw this.#unsupported('a second refund', 'capabilities.multipleRefunds is false');
    }
    if (input.amount.lessThan(record.captured) && !this.capabilities.partialRefund) {
      throw this.#unsupported('partial refund', 'capabilities.partialRefund is false');
    }
    const refunded = record.refunded.add(input.amount);
    const target = paymentStateFromAmounts({ authorized: record.authorized, captured: record.captured, refunded, voided: record.released });
    paymentStateMachine.assertTransition(record.state, target, record.providerReference);
    record.refunded = refunded;
    record.state = target;
    return this.#operationResult('refund', this.#nextId('ref'), input.amount, record);
  }

  #cancel(record: PaymentRecord): PaymentOperationResult {
    this.#assertState(record, cancellableStates, 'cancel');
    if (record.state === 'requires_action') {
      paymentStateMachine.assertTransition(record.state, 'failed', record.providerReference);
      record.state = 'failed';
      record.declineReason = 'cancelled';
      record.nextAction = undefined;
      return this.#operationResult('cancel', record.providerReference, Money.zero(record.amount.currency), record);
    }
    const releasedAmount = record.authorized.subtract(record.captured);
    const target = paymentStateFromAmounts({ authorized: record.authorized, captured: record.captured, refunded: record.refunded, voided: true });
    paymentStateMachine.assertTransition(record.state, target, record.providerReference);
    record.released = true;
    record.state = target;
    return this.#operationResult('cancel', record.providerReference, releasedAmount, record);
  }

  #cancelByMerchantReference(input: CancelByMerchantReferenceInput, options: CallOptions | undefined): Promise<PaymentOperationResult> {
    return this.#call('cancelByMerchantReference', input, input.idempotencyKey, options, () => {
      this.#assertMerchantReference(input.merchantReference);
      const record = this.#findByMerchantReference(input.merchantReference);
      if (record === undefined) {
        return Object.freeze({
          operation: 'cancel',
          operationReference: this.#nextId('tcx'),
          status: 'succeeded',
          amount: Money.zero('XXX'),
          providerStatus: 'nothing_to_cancel',
        } satisfies PaymentOperationResult);
      }
      if (settledWithoutHoldStates.includes(record.state)) {
        return this.#operationResult('cancel', record.providerReference, Money.zero(record.amount.currency), record);
      }
      return this.#cancel(record);
    });
  }

  #operationResult(operation: PaymentOperationResult['operation'], operationReference: string, amount: Money, record: PaymentRecord): PaymentOperationResult {
    return Object.freeze({
      operation,
      operationReference,
      status: 'succeeded',
      amount,
      providerStatus: 'succeeded',
      payment: this.#snapshot(record),
    });
  }

  #verifyWebhook(request: WebhookRequest): PaymentWebhookEvent {
    const reject = (reason: WebhookVerificationError['reason'], detail: string, cause?: unknown): WebhookVerificationError =>
      new WebhookVerificationError({ source: this.provider, reason, detail, cause });
    const header = request.headers[inMemoryWebhookSignatureHeader];
    if (header === undefined || header.length === 0) {
      throw reject('missing-signature', `no ${inMemoryWebhookSignatureHeader} header`);
    }
    const parsed = parseSignatureHeader(header);
    if (parsed === undefined) {
      throw reject('malformed-signature', `expected ${inMemoryWebhookSignatureHeader}: t=<epoch ms>,v1=<64 hex digits>`);
    }
    const expected = Buffer.from(hmacHex(this.#webhookSecret, `${parsed.timestamp}.${request.rawBody}`), 'hex');
    const matches = parsed.signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
    if (!matches) {
      throw reject('signature-mismatch', 'no v1 signature matches the body');
    }
    const reference = request.receivedAt ?? this.#clock.now();
    if (Math.abs(reference - parsed.timestamp) > inMemoryWebhookToleranceMilliseconds) {
      throw reject('stale', `signed at ${parsed.timestamp}, verified at ${reference}, tolerance ${inMemoryWebhookToleranceMilliseconds} ms`);
    }
    let body: unknown;
    try {
      body = JSON.parse(request.rawBody);
    } catch (error) {
      throw reject('malformed-body', 'the body is not JSON', error);
    }
    if (!isJsonObject(body)) {
      throw reject('malformed-body', 'the body is not a JSON object');
    }
    const { id, type: providerType, providerReference, occurredAt, success, merchantReference, operationReference } = body;
    if (
      typeof id !== 'string' ||
      id.length === 0 ||
      typeof providerType !== 'string' ||
      typeof providerReference !== 'string' ||
      typeof occurredAt !== 'number' ||
      !Number.isFinite(occurredAt) ||
      typeof success !== 'boolean' ||
      !(merchantReference === undefined || typeof merchantReference === 'string') ||
      !(operationReference === undefined || typeof operationReference === 'string')
    ) {
      throw reject('malformed-body', 'expected { id, type, providerReference, occurredAt, success, amount? }');
    }
    let amount: Money | undefined;
    try {
      amount = parseWebhookAmount(body['amount']);
    } catch (error) {
      throw reject('malformed-body', 'amount must be { minorUnits, currency }', error);
    }
    const type = (paymentWebhookEventTypes as readonly string[]).includes(providerType) ? (providerType as PaymentWebhookEventType) : 'other';
    return Object.freeze({
      eventId: id,
      provider: this.provider,
      type,
      providerType,
      success,
      providerReference,
      operationReference,
      merchantReference,
      amount,
      occurredAt,
    });
  }
}
