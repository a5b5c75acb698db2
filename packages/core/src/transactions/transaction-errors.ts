import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';
import type { Money } from '../money/money.js';

const paymentNotFoundMarker = Symbol.for('paymigrate.error.transaction.payment-not-found');
const amountMarker = Symbol.for('paymigrate.error.transaction.amount');
const operationNotAllowedMarker = Symbol.for('paymigrate.error.transaction.operation-not-allowed');
const providerNotConfiguredMarker = Symbol.for('paymigrate.error.transaction.provider-not-configured');
const inputMarker = Symbol.for('paymigrate.error.transaction.input');

/** A capture, refund or cancellation named a payment the journal does not hold. Nothing was sent. */
export class PaymentNotFoundError extends PaymigrateError {
  private readonly [paymentNotFoundMarker] = true;

  /** The payment id asked for. */
  readonly paymentId: string;

  constructor(options: { paymentId: string }) {
    super('TRANSACTION_PAYMENT_NOT_FOUND', `Payment '${options.paymentId}' is not in the journal. Authorize it first, or check the payment id.`);
    this.name = 'PaymentNotFoundError';
    this.paymentId = options.paymentId;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is PaymentNotFoundError {
    return hasMarker(error, paymentNotFoundMarker);
  }
}

/** Why an amount was refused. */
export type PaymentAmountProblem = 'exceeds-available' | 'currency-mismatch' | 'not-positive';

/**
 * An amount was refused against the journal before anything was sent (invariant 4): a capture
 * above what remains authorized, a refund above what remains captured (claims in flight count), an
 * amount in another currency, or an amount that is not positive.
 */
export class PaymentAmountError extends PaymigrateError {
  private readonly [amountMarker] = true;

  /** The payment. */
  readonly paymentId: string;

  /** `capture` or `refund`. */
  readonly operation: string;

  /** What was wrong. */
  readonly problem: PaymentAmountProblem;

  /** The amount asked for. */
  readonly requested: Money;

  /** What the journal allows now (in the payment's currency). */
  readonly available: Money;

  constructor(options: { paymentId: string; operation: string; problem: PaymentAmountProblem; requested: Money; available: Money }) {
    const explanation: Record<PaymentAmountProblem, string> = {
      'exceeds-available': `only ${options.available.toString()} is available (claims in flight count against it)`,
      'currency-mismatch': `the payment is in ${options.available.currency}`,
      'not-positive': 'the amount must be positive',
    };
    super(
      'TRANSACTION_AMOUNT_INVALID',
      `Cannot ${options.operation} ${options.requested.toString()} on payment '${options.paymentId}': ${explanation[options.problem]}. Nothing was sent to the provider.`,
    );
    this.name = 'PaymentAmountError';
    this.paymentId = options.paymentId;
    this.operation = options.operation;
    this.problem = options.problem;
    this.requested = options.requested;
    this.available = options.available;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is PaymentAmountError {
    return hasMarker(error, amountMarker);
  }
}

/** The payment's state (or an operation in flight) does not allow the operation. Nothing was sent. */
export class OperationNotAllowedError extends PaymigrateError {
  private readonly [operationNotAllowedMarker] = true;

  /** The payment. */
  readonly paymentId: string;

  /** The operation refused. */
  readonly operation: string;

  /** The payment's state. */
  readonly state: string;

  constructor(options: { paymentId: string; operation: string; state: string; reason: string }) {
    super(
      'TRANSACTION_OPERATION_NOT_ALLOWED',
      `Cannot ${options.operation} payment '${options.paymentId}' (state '${options.state}'): ${options.reason}. Nothing was sent to the provider.`,
    );
    this.name = 'OperationNotAllowedError';
    this.paymentId = options.paymentId;
    this.operation = options.operation;
    this.state = options.state;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is OperationNotAllowedError {
    return hasMarker(error, operationNotAllowedMarker);
  }
}

/**
 * No gateway is configured for a provider the router chose or a payment is pinned to. A pinned
 * payment's follow-ups never go to another provider, so they wait for the operator to configure it.
 */
export class ProviderNotConfiguredError extends PaymigrateError {
  private readonly [providerNotConfiguredMarker] = true;

  /** The provider asked for. */
  readonly provider: string;

  /** The providers that have a gateway. */
  readonly configuredProviders: readonly string[];

  constructor(options: { provider: string; configuredProviders: readonly string[] }) {
    super(
      'TRANSACTION_PROVIDER_NOT_CONFIGURED',
      `No gateway for provider '${options.provider}' (configured: ${options.configuredProviders.join(', ') || 'none'}). Add its adapter to the transaction state manager's gateways.`,
    );
    this.name = 'ProviderNotConfiguredError';
    this.provider = options.provider;
    this.configuredProviders = options.configuredProviders;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is ProviderNotConfiguredError {
    return hasMarker(error, providerNotConfiguredMarker);
  }
}

/**
 * An operation's input is invalid (a payment id that cannot form an idempotency key, a payment id
 * reused with other parameters, a sequence out of order). Nothing was written or sent.
 */
export class InvalidTransactionInputError extends PaymigrateError {
  private readonly [inputMarker] = true;

  /** The offending field. */
  readonly field: string;

  constructor(options: { field: string; problem: string }) {
    super('TRANSACTION_INPUT_INVALID', `Invalid '${options.field}': ${options.problem}.`);
    this.name = 'InvalidTransactionInputError';
    this.field = options.field;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is InvalidTransactionInputError {
    return hasMarker(error, inputMarker);
  }
}

const leaseLostMarker = Symbol.for('paymigrate.error.transaction.intent-lease-lost');

/**
 * A recovery worker's claim on an intent expired and another worker took it over (fencing): this
 * worker stops working on it without writing. Retryable: the other worker finishes it, or a later
 * pass does.
 */
export class IntentLeaseLostError extends PaymigrateError {
  private readonly [leaseLostMarker] = true;

  /** The intent. */
  readonly intentId: string;

  /** The worker that lost the lease. */
  readonly owner: string;

  /** The worker that holds it now. */
  readonly holder: string;

  constructor(options: { intentId: string; owner: string; holder: string }) {
    super(
      'TRANSACTION_INTENT_LEASE_LOST',
      `Worker '${options.owner}' lost its claim on intent '${options.intentId}' to '${options.holder}'; it stops without writing. Use a lease longer than the slowest provider call.`,
      { isRetryable: true },
    );
    this.name = 'IntentLeaseLostError';
    this.intentId = options.intentId;
    this.owner = options.owner;
    this.holder = options.holder;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is IntentLeaseLostError {
    return hasMarker(error, leaseLostMarker);
  }
}
