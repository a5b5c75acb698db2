import { createHash } from 'node:crypto';
import {
  type CallOptions,
  type CardBrand,
  type CardSummary,
  type ClockV1,
  InvalidRequestError,
  isCurrencyCode,
  ProviderUnavailableError,
  type StoredPaymentMethod,
  systemClock,
  type TokenExchangeV1,
  type TokenImportInput,
  type TokenImportResult,
  type TokenVerificationInput,
  type TokenVerificationResult,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { InMemoryIdempotencyLedger } from './in-memory-payment-gateway.js';

/** Where imported payment methods can also be registered, so the gateway can charge them. */
export interface InMemoryStoredPaymentMethodSink {
  /** Provider name of the gateway; the exchange takes it as its own when `provider` is not given. */
  readonly provider: string;
  /** Registers a stored payment method (see `InMemoryPaymentGateway.addStoredPaymentMethod`). */
  addStoredPaymentMethod(method: Omit<StoredPaymentMethod, 'provider'>): StoredPaymentMethod;
}

/** Options of `InMemoryTokenExchange`. */
export interface InMemoryTokenExchangeOptions {
  /** Provider name. @default the gateway's provider, else 'memory' */
  readonly provider?: string | undefined;
  /** Brands this provider accepts. @default every named brand except 'unknown' */
  readonly supportedBrands?: readonly CardBrand[] | undefined;
  /** Customer references that already exist at this provider. @default none */
  readonly knownCustomers?: readonly string[] | undefined;
  /**
   * Whether an import may create the customer: without `customerReference` a customer is created
   * (one per source customer), and an unknown `customerReference` is adopted. When false, both
   * cases are rejected with `unknown_customer`.
   * @default true
   */
  readonly createCustomers?: boolean | undefined;
  /** Source tokens the source provider cannot find: rejected with `not_found_at_source`. @default none */
  readonly tokensMissingAtSource?: readonly string[] | undefined;
  /** When given, every imported payment method is also stored at this gateway, so it can be charged. */
  readonly gateway?: InMemoryStoredPaymentMethodSink | undefined;
  /** Time source for expiry checks. @default systemClock */
  readonly clock?: ClockV1 | undefined;
}

/** One payment method imported by an `InMemoryTokenExchange`. */
export interface InMemoryImportedPaymentMethod {
  /** The new token at this provider. */
  readonly token: string;
  /** The customer at this provider. */
  readonly customerReference: string;
  /** The card as this provider reports it (its own fingerprint). */
  readonly card: CardSummary;
  /** The network transaction id carried over. */
  readonly networkTransactionId: string | undefined;
  /** Provider it came from. */
  readonly sourceProvider: string;
  /** Token at the source provider. */
  readonly sourceToken: string;
  /** Customer at the source provider. */
  readonly sourceCustomerReference: string;
}

/** The operations of `InMemoryTokenExchange`. */
export type InMemoryTokenExchangeOperation = 'importPaymentMethod' | 'verifyPaymentMethod';

const defaultSupportedBrands: readonly CardBrand[] = [
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

/** Letters-only hash text (no digit runs that could look like a card number). */
function letterHash(text: string): string {
  return createHash('sha256')
    .update(text, 'utf8')
    .digest('hex')
    .slice(0, 16)
    .replace(/[0-9a-f]/g, (digit) => 'abcdefghijklmnop'.charAt(Number.parseInt(digit, 16)));
}

/** Why the card summary is not usable, or `undefined` when it is. */
function invalidCardDetail(card: CardSummary): string | undefined {
  if (!/^[0-9]{4}$/.test(card.last4)) {
    return 'last4 must be exactly four digits';
  }
  if (!Number.isInteger(card.expiryMonth) || card.expiryMonth < 1 || card.expiryMonth > 12) {
    return 'expiryMonth must be 1-12';
  }
  if (!Number.isInteger(card.expiryYear) || card.expiryYear < 1000 || card.expiryYear > 9999) {
    return 'expiryYear must have four digits';
  }
  return undefined;
}

/**
 * A provider's token-import API in memory: the reference implementation of `TokenExchangeV1`.
 *
 * Checks, in order (the first failing one is the rejection): `invalid_data` (last four not four
 * digits, month not 1-12, year not four digits), `not_found_at_source` (`tokensMissingAtSource`),
 * `brand_not_supported`, `expired` (the expiry month has ended by the clock, UTC),
 * `unknown_customer` (the customer neither exists nor may be created).
 *
 * Duplicates: importing a card whose fingerprint this provider already holds for the same customer
 * (another source token of the same card, or a catch-up pass importing it again) answers
 * `imported` with the **existing** token instead of creating a second one. Rejecting it as
 * `duplicate` would send the customer to re-collection for a card that was in fact moved, and
 * leave the second source token unmapped; so this adapter never answers `duplicate`. The fingerprint stands in for the PAN: the source
 * fingerprint when given, else brand, last four and expiry.
 *
 * `importPaymentMethod` and `verifyPaymentMethod` are idempotent by key (rejections are answers
 * and are replayed too); the same key with other parameters is an `IdempotencyConflictError`.
 */
export class InMemoryTokenExchange implements TokenExchangeV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;

  /** Provider name. */
  readonly provider: string;

  readonly #supportedBrands: readonly CardBrand[];
  readonly #knownCustomers: Set<string>;
  readonly #createCustomers: boolean;
  readonly #tokensMissingAtSource: ReadonlySet<string>;
  readonly #gateway: InMemoryStoredPaymentMethodSink | undefined;
  readonly #clock: ClockV1;
  readonly #ledger: InMemoryIdempotencyLedger;
  readonly #imported: InMemoryImportedPaymentMethod[] = [];
  readonly #createdCustomers = new Map<string, string>();
  readonly #failingVerifications = new Map<string, string>();
  readonly #injectedErrors = new Map<InMemoryTokenExchangeOperation, Error[]>();
  #counter = 0;
  #available = true;

  /** @param options Provider name, accepted brands, known customers, clock. */
  constructor(options: InMemoryTokenExchangeOptions = {}) {
    this.provider = options.provider ?? options.gateway?.provider ?? 'memory';
    this.#supportedBrands = options.supportedBrands ?? defaultSupportedBrands;
    this.#knownCustomers = new Set(options.knownCustomers ?? []);
    this.#createCustomers = options.createCustomers ?? true;
    this.#tokensMissingAtSource = new Set(options.tokensMissingAtSource ?? []);
    this.#gateway = options.gateway;
    this.#clock = options.clock ?? systemClock;
    this.#ledger = new InMemoryIdempotencyLedger(this.provider);
  }

  /** Every payment method imported so far (one entry per new token, with the first source token), in import order. */
  imported(): readonly InMemoryImportedPaymentMethod[] {
    return [...this.#imported];
  }

  /** Makes a token fail `verifyPaymentMethod` with `declineReason` from now on. */
  failVerification(token: string, declineReason = 'do_not_honor'): void {
    this.#failingVerifications.set(token, declineReason);
  }

  /** While unavailable, every call throws `ProviderUnavailableError` and changes nothing. */
  setAvailable(available: boolean): void {
    this.#available = available;
  }

  /** Queues `error` to be thrown by the next call of `operation`, before anything is applied. */
  failNext(operation: InMemoryTokenExchangeOperation, error: Error): void {
    const queue = this.#injectedErrors.get(operation) ?? [];
    queue.push(error);
    this.#injectedErrors.set(operation, queue);
  }

  /** Imports one payment method. Business rejections are answers, not errors. */
  async importPaymentMethod(input: TokenImportInput, options?: CallOptions): Promise<TokenImportResult> {
    this.#beforeCall('importPaymentMethod', options);
    return this.#ledger.run('importPaymentMethod', input.idempotencyKey, input, () => this.#import(input));
  }

  /**
   * Zero-amount verification: verified unless the token is unknown, belongs to another customer
   * (`declineReason: 'payment_method_not_found'`) or was marked with `failVerification`.
   *
   * @throws InvalidRequestError when `currency` is not an ISO 4217 code.
   */
  async verifyPaymentMethod(input: TokenVerificationInput, options?: CallOptions): Promise<TokenVerificationResult> {
    this.#beforeCall('verifyPaymentMethod', options);
    return this.#ledger.run('verifyPaymentMethod', input.idempotencyKey, input, () => this.#verify(input));
  }

  #beforeCall(operation: InMemoryTokenExchangeOperation, options: CallOptions | undefined): void {
    if (options?.signal?.aborted === true) {
      throw new UnknownOutcomeError(`${operation} was aborted by the caller.`, { provider: this.provider, cause: options.signal.reason });
    }
    if (!this.#available) {
      throw new ProviderUnavailableError(`The provider is unavailable; ${operation} was not sent.`, { provider: this.provider });
    }
    const injected = this.#injectedErrors.get(operation)?.shift();
    if (injected !== undefined) {
      throw injected;
    }
  }

  #nextId(prefix: string): string {
    this.#counter += 1;
    return `${prefix}_memory_${String(this.#counter).padStart(6, '0')}`;
  }

  #import(input: TokenImportInput): TokenImportResult {
    const { card } = input;
    const invalid = invalidCardDetail(card);
    if (invalid !== undefined) {
      return { status: 'rejected', reason: 'invalid_data', detail: invalid };
    }
    if (this.#tokensMissingAtSource.has(input.sourceToken)) {
      return { status: 'rejected', reason: 'not_found_at_source', detail: `${input.sourceProvider} has no token ${input.sourceToken}` };
    }
    if (!this.#supportedBrands.includes(card.brand)) {
      return { status: 'rejected', reason: 'brand_not_supported', detail: `${card.brand} is not accepted` };
    }
    const firstDayAfterExpiry = Date.UTC(card.expiryYear, card.expiryMonth, 1);
    if (firstDayAfterExpiry <= this.#clock.now()) {
      return { status: 'rejected', reason: 'expired', detail: `expired at the end of ${card.expiryMonth}/${card.expiryYear}` };
    }
    const customerReference = this.#customerFor(input);
    if (customerReference === undefined) {
      return { status: 'rejected', reason: 'unknown_customer', detail: 'the customer does not exist at this provider' };
    }
    const identity = card.fingerprint === undefined ? `${card.brand}:${card.last4}:${card.expiryMonth}:${card.expiryYear}` : `${input.sourceProvider}:${card.fingerprint}`;
    const fingerprint = `fp_${letterHash(`memory-import:${identity}`)}`;
    const existing = this.#imported.find((entry) => entry.customerReference === customerReference && entry.card.fingerprint === fingerprint);
    const imported = existing ?? this.#store(input, customerReference, { ...card, fingerprint });
    return {
      status: 'imported',
      token: imported.token,
      customerReference: imported.customerReference,
      card: imported.card,
      networkTransactionId: imported.networkTransactionId,
    };
  }

  /** The customer at this provider for the import, creating or adopting it when allowed. */
  #customerFor(input: TokenImportInput): string | undefined {
    const given = input.customerReference;
    if (given !== undefined) {
      if (!this.#knownCustomers.has(given) && !this.#createCustomers) {
        return undefined;
      }
      this.#knownCustomers.add(given);
      return given;
    }
    if (!this.#createCustomers) {
      return undefined;
    }
    const sourceKey = `${input.sourceProvider}:${input.sourceCustomerReference}`;
    const created = this.#createdCustomers.get(sourceKey) ?? this.#nextId('cus');
    this.#createdCustomers.set(sourceKey, created);
    this.#knownCustomers.add(created);
    return created;
  }

  #store(input: TokenImportInput, customerReference: string, card: CardSummary): InMemoryImportedPaymentMethod {
    const entry: InMemoryImportedPaymentMethod = Object.freeze({
      token: this.#nextId('pm'),
      customerReference,
      card: Object.freeze(card),
      networkTransactionId: input.networkTransactionId,
      sourceProvider: input.sourceProvider,
      sourceToken: input.sourceToken,
      sourceCustomerReference: input.sourceCustomerReference,
    });
    this.#imported.push(entry);
    this.#gateway?.addStoredPaymentMethod({
      token: entry.token,
      customerReference,
      card: entry.card,
      networkTransactionId: entry.networkTransactionId,
      createdAt: this.#clock.now(),
    });
    return entry;
  }

  #verify(input: TokenVerificationInput): TokenVerificationResult {
    if (!isCurrencyCode(input.currency)) {
      throw new InvalidRequestError(`'${input.currency}' is not an ISO 4217 currency code.`, {
        provider: this.provider,
        httpStatus: 400,
        parameter: 'currency',
      });
    }
    const imported = this.#imported.find((entry) => entry.token === input.token && entry.customerReference === input.customerReference);
    if (imported === undefined) {
      return { verified: false, declineReason: 'payment_method_not_found' };
    }
    const declineReason = this.#failingVerifications.get(input.token);
    if (declineReason !== undefined) {
      return { verified: false, declineReason };
    }
    return { verified: true, networkTransactionId: this.#nextId('ntid') };
  }
}
