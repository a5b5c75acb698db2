import { randomUUID } from 'node:crypto';
import type { Counter, Histogram } from '@opentelemetry/api';
import { parseOptions } from '../config/parse-options.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { IdempotencyConflictError } from '../errors/provider-errors.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import {
  type IntentCall,
  intentIdFor,
  type IntentOperation,
  type IntentOutcome,
  type IntentRecord,
  type IntentRecordBase,
  IntentRepository,
  type IntentResolution,
  isNonTerminalIntentStatus,
  nonTerminalIntentStatuses,
} from '../journal/intent-repository.js';
import type { StoredRecord } from '../journal/journal-repository.js';
import { emptyOperationCounters, type PaymentRecord, PaymentRepository, type PendingOperation } from '../journal/payment-repository.js';
import { processedEventKey, ProcessedEventRepository } from '../journal/processed-event-repository.js';
import { providerReferenceKey, ProviderReferenceRepository } from '../journal/provider-reference-repository.js';
import { savedPaymentMethodKey, SavedPaymentMethodRepository } from '../journal/saved-payment-method-repository.js';
import { Money } from '../money/money.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import { errorCodeOf } from '../outbox/outbox-errors.js';
import { encodePlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import { type PaymentState, paymentStateMachine } from '../payment/payment-state.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalDurability, JournalPut, JournalRecord, JournalV1, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { PaymentOperationResult, PaymentSnapshot, PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import {
  applyConfirmedOperation,
  cancellableStates,
  capturableAmount,
  capturableStates,
  refundableAmount,
  refundableStates,
  withPaymentState,
} from './payment-amounts.js';
import {
  classifyProviderError,
  gatewayMethodOf,
  type ProviderCallOutcome,
  providerStillProcessingCode,
  sendIntent,
  unsettledSnapshotFailure,
} from './provider-call.js';
import { decideCustomerStep, declinedCustomerStepEvent } from './customer-step-reconciliation.js';
import { decideProviderEvent, type PaymentMessageDraft } from './provider-event-decision.js';
import type { ProviderSelector } from './provider-selector.js';
import { withChanges } from './record-changes.js';
import {
  IntentLeaseLostError,
  InvalidTransactionInputError,
  OperationNotAllowedError,
  PaymentAmountError,
  PaymentNotFoundError,
  ProviderNotConfiguredError,
} from './transaction-errors.js';
import {
  type ResolvedTransactionStateManagerOptions,
  type TransactionStateManagerOptions,
  transactionStateManagerOptionsSchema,
} from './transaction-options.js';
import type {
  AuthorizePaymentInput,
  CancelPaymentInput,
  CapturePaymentInput,
  ChargeStoredPaymentMethodInput,
  CustomerStepReport,
  ProviderEventResult,
  RecoverOptions,
  RecoveryLoopOptions,
  RecoveryReport,
  RefundPaymentInput,
  TransactionResult,
  TransactionStateManager,
  UnresolvedPayment,
} from './transaction-types.js';
import { forEachConcurrently } from '../concurrency/map-concurrently.js';

/** A payment id: short and plain, so every idempotency key derived from it fits 64 characters. */
const paymentIdPattern = /^[A-Za-z0-9_-]{1,36}$/;

/** Something that looks like a card number (13-19 digits, spaces or dashes allowed): never accepted as a token. */
const cardNumberLikePattern = /^[0-9][0-9 -]{11,21}[0-9]$/;

/** The strictest provider limit on idempotency keys (Adyen). */
const maximumIdempotencyKeyLength = 64;

/** Code of an intent whose idempotency key the provider may have forgotten. */
const keyExpiredCode = 'TRANSACTION_IDEMPOTENCY_KEY_EXPIRED';

/** Compare-and-set rounds before a conflict is given up to the caller (only under extreme contention). */
const maximumConflictRounds = 100;

/** Payment states in which money is held or work is outstanding at the provider. */
const unsettledStates: readonly PaymentState[] = ['created', 'authorizing', 'requires_action', 'unknown', 'authorized', 'partially_captured'];

/** Payment states in which the provider holds an authorization the platform should record. */
const authorizedStates: readonly PaymentState[] = ['authorized', 'partially_captured', 'captured', 'partially_refunded', 'refunded'];

/** Operations that create a payment. */
function isCreation(operation: IntentOperation): operation is 'authorize' | 'charge_stored' {
  return operation === 'authorize' || operation === 'charge_stored';
}

/** Operations on an existing payment, each holding a claim on its amount until its outcome is known. */
function isFollowUp(operation: IntentOperation): operation is 'capture' | 'refund' | 'cancel' {
  return operation === 'capture' || operation === 'refund' || operation === 'cancel';
}

/** Provider views of a payment that settle nothing: it had not answered the authorization yet. */
const unsettledViewStates: readonly PaymentState[] = ['authorizing', 'unknown'];

/** The provider calls one run made for an intent. */
interface Progress {
  /** Calls made in this run. */
  readonly attempts: number;
  /** When the last one was sent. */
  readonly lastSentAt?: number | undefined;
}

/** A journal change an intent's run decided on. */
interface Decision {
      /** The intent afterwards. */
      readonly intent: IntentRecord;
      /** The payment afterwards (omitted: unchanged). */
      readonly payment?: PaymentRecord | undefined;
      /** Another intent changed in the same batch (the one a technical cancel resolves), with the version read. */
      readonly related?: { readonly intent: IntentRecord; readonly version: number } | undefined;
      /** Further records (provider reference, saved payment method). */
      readonly puts?: readonly JournalPut[] | undefined;
      /** Platform messages to enqueue in the same batch. */
      readonly messages?: readonly PaymentMessageDraft[] | undefined;
}

/** Decides a change from the intent and the payment as they are now (called again after a conflict). */
type Decide = (intent: StoredRecord<IntentRecord>, payment: StoredRecord<PaymentRecord>) => Promise<Decision>;

/**
 * An intent and its payment as this run last wrote them (what one write of `update`, or the write
 * of a new intent, left in the journal). The next step starts from them instead of reading them
 * back; if anyone changed them since, its compare-and-set fails and it reads them afresh.
 */
interface Updated {
  /** The intent as stored now. */
  readonly intent: StoredRecord<IntentRecord>;
  /** Its payment as stored now. */
  readonly payment: StoredRecord<PaymentRecord>;
}

/** What a lookup by merchant reference established. */
type Lookup =
  | { readonly kind: 'found'; readonly snapshot: PaymentSnapshot }
  | { readonly kind: 'absent' }
  | { readonly kind: 'inconclusive'; readonly failure: CallFailure };

/** The last inconclusive answer while resolving. */
interface CallFailure {
  /** What kind of failure. */
  readonly kind: ProviderCallOutcome['kind'];
  /** Its stable code. */
  readonly code: string;
  /** The provider's `Retry-After`, milliseconds (0 when none). */
  readonly retryAfterMs: number;
}

/** The instruments the state manager records on. */
interface Instruments {
  /** Intents reaching a status, by provider, operation and status. */
  readonly intents: Counter;
  /** Provider call latency in milliseconds, by provider, operation and outcome. */
  readonly providerCalls: Histogram;
  /** Intents given up on, by provider and operation. */
  readonly unresolved: Counter;
  /** Provider events handled, by provider, type and result. */
  readonly providerEvents: Counter;
  /** Payments waiting for their customer read at their provider, by provider and verdict. */
  readonly customerSteps: Counter;
}

/** The engine behind `createTransactionStateManager`. */
class TransactionEngine implements TransactionStateManager {
  readonly #journal: JournalV1;
  readonly #payments: PaymentRepository;
  readonly #intents: IntentRepository;
  readonly #savedMethods: SavedPaymentMethodRepository;
  readonly #processedEvents: ProcessedEventRepository;
  readonly #providerReferences: ProviderReferenceRepository;
  readonly #gateways: ReadonlyMap<string, PaymentGatewayV1>;
  readonly #selector: ProviderSelector;
  readonly #clock: ClockV1;
  readonly #logger: Logger;
  readonly #instruments: Instruments;
  readonly #options: ResolvedTransactionStateManagerOptions;
  readonly #defaultOwner: string;
  /** The last payment id `reconcileCustomerSteps` read: the next pass goes on after it, so a long queue of waiting payments is read in turn. */
  #customerStepCursor: string | undefined;

  constructor(options: ResolvedTransactionStateManagerOptions) {
    this.#options = options;
    this.#journal = options.journal;
    this.#payments = new PaymentRepository(options.journal);
    this.#intents = new IntentRepository(options.journal);
    this.#savedMethods = new SavedPaymentMethodRepository(options.journal);
    this.#processedEvents = new ProcessedEventRepository(options.journal);
    this.#providerReferences = new ProviderReferenceRepository(options.journal);
    this.#gateways = new Map(options.gateways.map((gateway) => [gateway.provider, gateway]));
    this.#selector = options.selectProvider;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? createLogger({ name: 'paymigrate.transactions' });
    this.#defaultOwner = options.recovery.owner ?? `transaction-state-manager-${randomUUID()}`;
    const meter = options.meter ?? defaultMeter();
    this.#instruments = {
      intents: meter.createCounter('paymigrate.transactions.intents', { description: 'Payment intents reaching a status.' }),
      providerCalls: meter.createHistogram('paymigrate.transactions.provider_call.duration', { description: 'Provider call latency.', unit: 'ms' }),
      unresolved: meter.createCounter('paymigrate.transactions.unresolved', { description: 'Payment intents whose outcome could not be resolved.' }),
      providerEvents: meter.createCounter('paymigrate.transactions.provider_events', { description: 'Provider webhook events handled.' }),
      customerSteps: meter.createCounter('paymigrate.transactions.customer_steps', { description: 'Payments waiting for their customer, read at their provider, by verdict.' }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // New payments
  // -------------------------------------------------------------------------------------------

  async authorize(input: AuthorizePaymentInput): Promise<TransactionResult> {
    this.#validateCreation(input);
    const existing = await this.#payments.get(input.paymentId);
    if (existing !== undefined) return this.#replayCreation(existing, input);
    const selection = await this.#selector.select({
      paymentId: input.paymentId,
      merchantReference: input.merchantReference,
      amount: input.amount,
      currency: input.amount.currency,
      customerId: input.customerId,
      cardBrand: input.cardBrand,
      isRenewal: false,
    });
    const gateway = this.#gateway(selection.provider);
    const captureMethod = input.captureMethod ?? 'manual';
    return this.#create(
      withChanges(input, { provider: gateway.provider, routingReason: selection.reason, captureMethod }),
      {
        operation: 'authorize',
        request: {
          merchantReference: input.merchantReference,
          amount: input.amount,
          paymentMethodToken: input.paymentMethodToken,
          customerReference: input.customerReference,
          captureMethod,
          savePaymentMethod: input.savePaymentMethod,
          returnUrl: input.returnUrl,
        },
      },
    );
  }

  async chargeStoredPaymentMethod(input: ChargeStoredPaymentMethodInput): Promise<TransactionResult> {
    this.#validateCreation(input);
    const existing = await this.#payments.get(input.paymentId);
    if (existing !== undefined) return this.#replayCreation(existing, input);
    const gateway = this.#gateway(input.provider);
    const captureMethod = input.captureMethod ?? 'automatic';
    return this.#create(
      withChanges(input, { provider: gateway.provider, routingReason: 'stored payment method', captureMethod }),
      {
        operation: 'charge_stored',
        request: {
          merchantReference: input.merchantReference,
          amount: input.amount,
          customerReference: input.customerReference,
          paymentMethodToken: input.paymentMethodToken,
          networkTransactionId: input.networkTransactionId,
          reason: input.reason ?? 'subscription',
          captureMethod,
        },
      },
    );
  }

  #validateCreation(input: { readonly paymentId: string; readonly merchantReference: string; readonly amount: Money; readonly paymentMethodToken: string }): void {
    if (typeof input.paymentId !== 'string' || !paymentIdPattern.test(input.paymentId)) {
      throw new InvalidTransactionInputError({
        field: 'paymentId',
        problem: 'use 1 to 36 characters of A-Z, a-z, 0-9, _ and - (every idempotency key is derived from it and must fit 64 characters)',
      });
    }
    if (typeof input.merchantReference !== 'string' || input.merchantReference.length === 0) {
      throw new InvalidTransactionInputError({ field: 'merchantReference', problem: 'it is required and must be unique per payment' });
    }
    if (!Money.isInstance(input.amount) || input.amount.isNegative()) {
      throw new InvalidTransactionInputError({ field: 'amount', problem: 'pass a Money that is not negative' });
    }
    if (typeof input.paymentMethodToken !== 'string' || input.paymentMethodToken.length === 0) {
      throw new InvalidTransactionInputError({ field: 'paymentMethodToken', problem: "pass the provider's token of the payment method" });
    }
    if (cardNumberLikePattern.test(input.paymentMethodToken)) {
      throw new InvalidTransactionInputError({
        field: 'paymentMethodToken',
        problem: "it looks like a card number; pass the provider's token, never card data (it was not stored)",
      });
    }
  }

  async #replayCreation(
    existing: StoredRecord<PaymentRecord>,
    input: { readonly paymentId: string; readonly merchantReference: string; readonly amount: Money },
  ): Promise<TransactionResult> {
    if (!existing.value.amount.equals(input.amount) || existing.value.merchantReference !== input.merchantReference) {
      throw new InvalidTransactionInputError({
        field: 'paymentId',
        problem: `payment '${input.paymentId}' already exists with another amount or merchant reference; a new payment needs a new payment id`,
      });
    }
    return this.#replay(existing.value.initialIntentId);
  }

  async #create(
    payment: {
      readonly paymentId: string;
      readonly merchantReference: string;
      readonly orderId?: string | undefined;
      readonly customerId?: string | undefined;
      readonly customerReference?: string | undefined;
      readonly amount: Money;
      readonly provider: string;
      readonly routingReason: string;
      readonly captureMethod: PaymentRecord['captureMethod'];
    },
    call: Extract<IntentCall, { readonly operation: 'authorize' | 'charge_stored' }>,
  ): Promise<TransactionResult> {
    const now = this.#clock.now();
    const intentId = intentIdFor(payment.paymentId, call.operation, 1);
    const zero = Money.zero(payment.amount.currency);
    const record: PaymentRecord = {
      paymentId: payment.paymentId,
      merchantReference: payment.merchantReference,
      orderId: payment.orderId,
      customerId: payment.customerId,
      customerReference: payment.customerReference,
      provider: payment.provider,
      routingReason: payment.routingReason,
      captureMethod: payment.captureMethod,
      initialIntentId: intentId,
      amount: payment.amount,
      authorizedAmount: zero,
      capturedAmount: zero,
      refundedAmount: zero,
      released: false,
      state: 'authorizing',
      pendingOperations: [],
      appliedOperationReferences: [],
      operationCounters: { ...emptyOperationCounters, [call.operation]: 1 },
      createdAt: now,
      updatedAt: now,
    };
    const intent = this.#newIntent(record, call, 1);
    let records: readonly JournalRecord[];
    try {
      // The intent is durable before the provider hears of it (invariant 1).
      ({ records } = await this.#journal.write({ puts: [this.#payments.put(record, 0), this.#intents.put(intent, 0)] }));
    } catch (error) {
      if (!VersionConflictError.isInstance(error)) throw error;
      // A concurrent request created the same payment first: answer with it.
      const existing = await this.#require(this.#payments, payment.paymentId);
      return this.#replayCreation(existing, payment);
    }
    // A committed batch returns its records in the order of its puts (JournalV1 guarantee).
    return this.#drive(intentId, undefined, {
      payment: this.#payments.written(record, records[0] as JournalRecord),
      intent: this.#intents.written(intent, records[1] as JournalRecord),
    });
  }

  #newIntent(payment: PaymentRecord, call: IntentCall, sequence: number): IntentRecord {
    const now = this.#clock.now();
    const intentId = intentIdFor(payment.paymentId, call.operation, sequence);
    /* v8 ignore next 6 -- payment ids are at most 36 characters, so only a sequence beyond 10^9 gets here. */
    if (intentId.length > maximumIdempotencyKeyLength) {
      throw new InvalidTransactionInputError({
        field: 'paymentId',
        problem: `the idempotency key '${intentId}' would be longer than ${maximumIdempotencyKeyLength} characters`,
      });
    }
    const base: IntentRecordBase = {
      intentId,
      paymentId: payment.paymentId,
      provider: payment.provider,
      sequence,
      idempotencyKey: intentId,
      status: 'pending',
      attempts: 0,
      mayHaveExecuted: false,
      createdAt: now,
      updatedAt: now,
    };
    return withChanges(call, base);
  }

  // -------------------------------------------------------------------------------------------
  // Follow-ups: always on the pinned provider
  // -------------------------------------------------------------------------------------------

  capture(input: CapturePaymentInput): Promise<TransactionResult> {
    return this.#startFollowUp(input, 'capture', (payment, gateway, intentId) => {
      this.#assertState(payment, 'capture', capturableStates);
      this.#assertNoCancellation(payment, 'capture');
      const available = capturableAmount(payment);
      const amount = input.amount ?? available;
      this.#assertAmount(payment, 'capture', amount, available);
      const finalCapture = input.final ?? true;
      const open = payment.authorizedAmount.subtract(payment.capturedAmount);
      if (amount.lessThan(open) && !gateway.capabilities.partialCapture) {
        throw new UnsupportedOperationError({ component: gateway.provider, operation: 'partial capture', reason: 'capabilities.partialCapture is false' });
      }
      if (!finalCapture && !gateway.capabilities.multipleCaptures) {
        throw new UnsupportedOperationError({ component: gateway.provider, operation: 'non-final capture', reason: 'capabilities.multipleCaptures is false' });
      }
      return {
        call: { operation: 'capture', request: { providerReference: this.#providerReference(payment, 'capture'), amount, finalCapture, merchantReference: intentId } },
        pending: { operation: 'capture', amount, finalCapture },
      };
    });
  }

  refund(input: RefundPaymentInput): Promise<TransactionResult> {
    return this.#startFollowUp(input, 'refund', (payment, gateway, intentId) => {
      this.#assertState(payment, 'refund', refundableStates);
      const available = refundableAmount(payment);
      this.#assertAmount(payment, 'refund', input.amount, available);
      if (input.amount.lessThan(payment.capturedAmount) && !gateway.capabilities.partialRefund) {
        throw new UnsupportedOperationError({ component: gateway.provider, operation: 'partial refund', reason: 'capabilities.partialRefund is false' });
      }
      const earlierRefunds = payment.refundedAmount.isPositive() || payment.pendingOperations.some((pending) => pending.operation === 'refund');
      if (earlierRefunds && !gateway.capabilities.multipleRefunds) {
        throw new UnsupportedOperationError({ component: gateway.provider, operation: 'a second refund', reason: 'capabilities.multipleRefunds is false' });
      }
      return {
        call: {
          operation: 'refund',
          request: { providerReference: this.#providerReference(payment, 'refund'), amount: input.amount, merchantReference: intentId, reason: input.reason },
        },
        pending: { operation: 'refund', amount: input.amount },
      };
    });
  }

  cancel(input: CancelPaymentInput): Promise<TransactionResult> {
    return this.#startFollowUp(input, 'cancel', (payment, _gateway, intentId) => {
      const inProgress = payment.pendingOperations.find((pending) => pending.operation === 'cancel');
      if (inProgress !== undefined) return { replay: inProgress.intentId };
      const lastCancel = payment.operationCounters.cancel;
      if ((payment.released || payment.state === 'voided') && lastCancel > 0) {
        return { replay: intentIdFor(payment.paymentId, 'cancel', lastCancel) };
      }
      this.#assertState(payment, 'cancel', cancellableStates);
      if (payment.released) {
        throw new OperationNotAllowedError({ paymentId: payment.paymentId, operation: 'cancel', state: payment.state, reason: 'nothing remains authorized' });
      }
      return {
        call: { operation: 'cancel', request: { providerReference: this.#providerReference(payment, 'cancel'), merchantReference: intentId } },
        pending: { operation: 'cancel', amount: capturableAmount(payment) },
      };
    });
  }

  async #startFollowUp(
    input: { readonly paymentId: string; readonly sequence?: number | undefined },
    operation: 'capture' | 'refund' | 'cancel',
    build: (
      payment: PaymentRecord,
      gateway: PaymentGatewayV1,
      intentId: string,
    ) =>
      | { readonly replay: string }
      | { readonly call: IntentCall; readonly pending: Omit<PendingOperation, 'intentId' | 'status'> },
  ): Promise<TransactionResult> {
    for (let round = 1; ; round += 1) {
      const stored = await this.#payments.get(input.paymentId);
      if (stored === undefined) throw new PaymentNotFoundError({ paymentId: input.paymentId });
      const payment = stored.value;
      const count = payment.operationCounters[operation];
      if (input.sequence !== undefined) {
        if (!Number.isSafeInteger(input.sequence) || input.sequence < 1 || input.sequence > count + 1) {
          throw new InvalidTransactionInputError({
            field: 'sequence',
            problem: `payment '${payment.paymentId}' has ${count} ${operation} operation(s); pass 1 to ${count} to replay one, ${count + 1} (or nothing) for a new one`,
          });
        }
        if (input.sequence <= count) return this.#replay(intentIdFor(payment.paymentId, operation, input.sequence));
      }
      // Follow-ups go to the provider the payment is pinned to, whatever the router says now (invariant 2).
      const gateway = this.#gateway(payment.provider);
      const sequence = count + 1;
      const intentId = intentIdFor(payment.paymentId, operation, sequence);
      const plan = build(payment, gateway, intentId);
      if ('replay' in plan) return this.#replay(plan.replay);
      const intent = this.#newIntent(payment, plan.call, sequence);
      const next: PaymentRecord = {
        ...payment,
        operationCounters: { ...payment.operationCounters, [operation]: sequence },
        pendingOperations: [...payment.pendingOperations, withChanges(plan.pending, { intentId, status: 'in_flight' as const })],
        updatedAt: this.#clock.now(),
      };
      let records: readonly JournalRecord[];
      try {
        // The claim on the amount and the intent commit together, compare-and-set on the payment:
        // of two concurrent captures, the second re-reads and re-checks the amount.
        ({ records } = await this.#journal.write({ puts: [this.#payments.put(next, stored.version), this.#intents.put(intent, 0)] }));
      } catch (error) {
        if (VersionConflictError.isInstance(error) && round < maximumConflictRounds) continue;
        throw error;
      }
      return this.#drive(intentId, undefined, {
        payment: this.#payments.written(next, records[0] as JournalRecord),
        intent: this.#intents.written(intent, records[1] as JournalRecord),
      });
    }
  }

  #assertState(payment: PaymentRecord, operation: string, allowed: readonly PaymentState[]): void {
    if (!allowed.includes(payment.state)) {
      throw new OperationNotAllowedError({
        paymentId: payment.paymentId,
        operation,
        state: payment.state,
        reason: `only a payment that is ${allowed.join(', ')} can be asked to ${operation}`,
      });
    }
  }

  #assertNoCancellation(payment: PaymentRecord, operation: string): void {
    if (payment.pendingOperations.some((pending) => pending.operation === 'cancel')) {
      throw new OperationNotAllowedError({ paymentId: payment.paymentId, operation, state: payment.state, reason: 'a cancellation is in progress' });
    }
  }

  #assertAmount(payment: PaymentRecord, operation: 'capture' | 'refund', amount: Money, available: Money): void {
    const base = { paymentId: payment.paymentId, operation, requested: amount, available };
    if (!Money.isInstance(amount) || amount.currency !== payment.amount.currency) {
      throw new PaymentAmountError({ ...base, requested: Money.isInstance(amount) ? amount : Money.zero(payment.amount.currency), problem: 'currency-mismatch' });
    }
    if (!amount.isPositive()) throw new PaymentAmountError({ ...base, problem: 'not-positive' });
    if (amount.greaterThan(available)) throw new PaymentAmountError({ ...base, problem: 'exceeds-available' });
  }

  #providerReference(payment: PaymentRecord, operation: string): string {
    if (payment.providerReference === undefined) {
      throw new OperationNotAllowedError({ paymentId: payment.paymentId, operation, state: payment.state, reason: "the provider's reference of the payment is not known" });
    }
    return payment.providerReference;
  }

  // -------------------------------------------------------------------------------------------
  // Driving an intent to an outcome
  // -------------------------------------------------------------------------------------------

  /**
   * Sends a `pending` or `waiting` intent (same key, same parameters) and journals what came back;
   * an `unknown` one is resolved. `owner` is set for recovery workers (fencing by lease). `known`:
   * the intent and its payment as this run just wrote them (not read back; the outcome's
   * compare-and-set catches any change made since).
   */
  async #drive(intentId: string, owner: string | undefined, known?: Updated): Promise<TransactionResult> {
    const stored = known?.intent ?? (await this.#require(this.#intents, intentId));
    const intent = stored.value;
    if (!isNonTerminalIntentStatus(intent.status)) return this.#resultOf(stored, false);
    if (intent.status === 'unknown') return this.#resolve(intentId, owner);
    const gateway = this.#gateway(intent.provider);
    // A pending intent found by recovery may have been sent just before a crash.
    const mayHaveExecuted = intent.mayHaveExecuted || (owner !== undefined && intent.status === 'pending');
    if (mayHaveExecuted && this.#keyExpired(intent)) {
      // The provider may have forgotten the key: sent again, the request could execute twice.
      await this.#update(intentId, owner, this.#decideUnknown(keyExpiredCode, { attempts: 0 }, undefined), known);
      return this.#resolve(intentId, owner);
    }
    const { maxAttempts } = this.#options.retry;
    for (let attempts = 1; ; attempts += 1) {
      const lastSentAt = this.#clock.now();
      const outcome = await this.#send(gateway, intent);
      const progress: Progress = { attempts, lastSentAt };
      switch (outcome.kind) {
        case 'snapshot':
        case 'operation':
        case 'declined':
          // The first answer to the intent this request just wrote: its outcome may be deferred
          // (`#outcomeDurability` decides from what the batch holds).
          return this.#finish(intentId, owner, this.#decideResponse(outcome, progress, 'response'), known, owner === undefined && known !== undefined);
        case 'conflict':
          return this.#conflict(intentId, owner, outcome, progress, known);
        case 'rejected':
          return this.#finish(intentId, owner, this.#decideFailure(outcome.code, progress, 'response'), known);
        case 'unknown': {
          await this.#update(intentId, owner, this.#decideUnknown(outcome.code, progress, undefined), known);
          const { resolveAfterMs } = this.#options.unknownOutcome;
          if (resolveAfterMs > 0) await this.#clock.sleep(resolveAfterMs);
          return this.#resolve(intentId, owner);
        }
        case 'unavailable':
          if (isCreation(intent.operation) && !mayHaveExecuted) {
            // Nothing was sent: the new payment fails here, and the caller may retry it elsewhere.
            return this.#finish(intentId, owner, this.#decideFailure(outcome.code, progress, 'response'), known);
          }
          // A follow-up (or a payment that may exist) waits for its provider: never elsewhere.
          return this.#finish(intentId, owner, this.#decideWaiting(outcome.code, progress, this.#backoff(intent.attempts + attempts, 0), mayHaveExecuted), known);
        case 'throttled':
          if (attempts < maxAttempts) {
            await this.#clock.sleep(this.#backoff(attempts, outcome.retryAfterMs));
            continue;
          }
          return this.#finish(intentId, owner, this.#decideWaiting(outcome.code, progress, this.#backoff(attempts, outcome.retryAfterMs), mayHaveExecuted), known);
      }
    }
  }

  /**
   * Resolves an `unknown` intent on its own provider: (1) the same request with the same key
   * (while the provider keeps it), (2) for new payments a lookup by merchant reference, (3) a
   * technical cancel, (4) otherwise `unresolved` for an operator. A provider that does not answer
   * leaves it `unknown` for a later pass. Never a second provider, never a new key (invariant 3).
   */
  async #resolve(intentId: string, owner: string | undefined): Promise<TransactionResult> {
    const stored = await this.#require(this.#intents, intentId);
    const intent = stored.value;
    if (intent.status !== 'unknown' || intent.technicalCancelIntentId !== undefined) return this.#resultOf(stored, false);
    const gateway = this.#gateway(intent.provider);
    // Past the key's retention the same request is never sent again (it could execute twice).
    const keyExpired = this.#keyExpired(intent);
    let last: CallFailure = { kind: 'unknown', code: keyExpiredCode, retryAfterMs: 0 };
    let lastSentAt = intent.lastSentAt ?? stored.updatedAt;
    let attempts = 0;
    for (let attempt = 1; !keyExpired && attempt <= this.#options.retry.maxAttempts; attempt += 1) {
      if (attempt > 1) await this.#clock.sleep(this.#backoff(attempt - 1, last.retryAfterMs));
      lastSentAt = this.#clock.now();
      const outcome = await this.#send(gateway, intent);
      attempts = attempt;
      switch (outcome.kind) {
        case 'snapshot':
        case 'operation':
        case 'declined':
          return this.#finish(intentId, owner, this.#decideResponse(outcome, { attempts, lastSentAt }, 'same-key-retry'));
        case 'conflict':
          return this.#conflict(intentId, owner, outcome, { attempts, lastSentAt });
        default:
          last = { kind: outcome.kind, code: outcome.code, retryAfterMs: outcome.kind === 'throttled' ? outcome.retryAfterMs : 0 };
      }
    }
    const progress: Progress = { attempts, lastSentAt };
    const creation = intent.operation === 'authorize' || intent.operation === 'charge_stored' ? intent : undefined;
    if (creation !== undefined && gateway.capabilities.findByMerchantReference) {
      const lookup = await this.#lookUp(gateway, creation.request.merchantReference, lastSentAt);
      if (lookup.kind === 'found') return this.#finish(intentId, owner, this.#decideResponse({ kind: 'snapshot', snapshot: lookup.snapshot }, progress, 'lookup'));
      if (lookup.kind === 'absent') return this.#finish(intentId, owner, this.#decideFailure('TRANSACTION_NOT_AT_PROVIDER', progress, 'not-found'));
      last = lookup.failure;
    }
    // A capture, refund or cancellation has no lookup and no technical cancel: its own key is its
    // only way out, and sending it again is safe while the provider keeps the key. An answer that
    // never came (timeouts, resets, 5xx during an outage) is asked for again in a later pass.
    const followUpWithoutAnswer = isFollowUp(intent.operation) && last.kind === 'unknown';
    const notAnswering = last.kind === 'unavailable' || last.kind === 'throttled' || last.code === providerStillProcessingCode || followUpWithoutAnswer;
    if (notAnswering && !keyExpired) {
      // The provider is not answering (or still processing): nothing can be concluded, and a
      // transient outage is no reason to void a payment that may be fine. Stay unknown; a later
      // pass tries again (until the key's retention runs out).
      return this.#finish(intentId, owner, this.#decideUnknown(last.code, progress, this.#clock.now() + this.#options.retry.maxDelayMs));
    }
    if (creation !== undefined && gateway.capabilities.technicalCancel && gateway.cancelByMerchantReference !== undefined) {
      return this.#technicalCancel(intentId, owner, progress);
    }
    return this.#finish(intentId, owner, this.#decideUnresolved(last.code, progress));
  }

  /** Looks a lost payment up by merchant reference, trusting "not found" only after the provider's consistency delay. */
  async #lookUp(gateway: PaymentGatewayV1, merchantReference: string, lastSentAt: number): Promise<Lookup> {
    const find = async (): Promise<PaymentSnapshot | undefined> => {
      const started = this.#clock.now();
      try {
        const snapshot = await gateway.findByMerchantReference({ merchantReference });
        this.#recordCall(gateway.provider, 'find_by_merchant_reference', started, 'success');
        return snapshot;
      } catch (error) {
        this.#recordCall(gateway.provider, 'find_by_merchant_reference', started, classifyProviderError(error).kind);
        throw error;
      }
    };
    try {
      let snapshot = await find();
      if (snapshot === undefined) {
        const wait = this.#options.unknownOutcome.lookupDelayMs - (this.#clock.now() - lastSentAt);
        if (wait > 0) {
          await this.#clock.sleep(wait);
          snapshot = await find();
        }
      }
      if (snapshot === undefined) return { kind: 'absent' };
      const unsettled = unsettledSnapshotFailure(snapshot);
      return unsettled === undefined ? { kind: 'found', snapshot } : { kind: 'inconclusive', failure: { kind: unsettled.kind, code: unsettled.code, retryAfterMs: 0 } };
    } catch (error) {
      const failure = classifyProviderError(error);
      return { kind: 'inconclusive', failure: { kind: failure.kind, code: failure.code, retryAfterMs: 0 } };
    }
  }

  /** Journals a technical cancel of a lost authorization as its own intent, then sends it. */
  async #technicalCancel(intentId: string, owner: string | undefined, progress: Progress): Promise<TransactionResult> {
    const started = await this.#update(intentId, owner, async (original, payment) => {
      const sequence = payment.value.operationCounters.technical_cancel + 1;
      const cancel = this.#newIntent(payment.value, { operation: 'technical_cancel', request: { merchantReference: payment.value.merchantReference } }, sequence);
      return {
        intent: { ...this.#progressed(original.value, progress), technicalCancelIntentId: cancel.intentId },
        payment: { ...payment.value, operationCounters: { ...payment.value.operationCounters, technical_cancel: sequence }, updatedAt: this.#clock.now() },
        puts: [this.#intents.put({ ...cancel, resolvesIntentId: intentId }, 0)],
      };
    });
    const cancelIntentId = started.intent.value.technicalCancelIntentId;
    // Absent only when someone else settled the authorization first; a cancel already final returns at once.
    if (cancelIntentId !== undefined) await this.#drive(cancelIntentId, owner);
    return this.#resultOf(await this.#require(this.#intents, intentId), false);
  }

  async #conflict(
    intentId: string,
    owner: string | undefined,
    outcome: Extract<ProviderCallOutcome, { kind: 'conflict' }>,
    progress: Progress,
    known?: Updated,
  ): Promise<never> {
    const { intent } = await this.#update(intentId, owner, this.#decideFailure(outcome.code, progress, 'response'), known);
    this.#logger.error(
      { intentId, paymentId: intent.value.paymentId, provider: intent.value.provider, operation: intent.value.operation, errorCode: outcome.code },
      'IDEMPOTENCY CONFLICT: the provider saw this idempotency key with other parameters. The intent is failed and nothing was retried. This is a bug: the journal must replay the exact parameters recorded with the key. Investigate before retrying the payment.',
    );
    throw outcome.error;
  }

  async #send(gateway: PaymentGatewayV1, intent: IntentRecord): Promise<ProviderCallOutcome> {
    const started = this.#clock.now();
    const outcome = await sendIntent(gateway, intent);
    this.#recordCall(gateway.provider, gatewayMethodOf(intent), started, outcome.kind);
    return outcome;
  }

  #recordCall(provider: string, operation: string, started: number, outcome: string): void {
    this.#instruments.providerCalls.record(Math.max(0, this.#clock.now() - started), { provider, operation, outcome });
  }

  /** True once the provider may have forgotten the intent's idempotency key. */
  #keyExpired(intent: IntentRecord): boolean {
    return this.#clock.now() - intent.createdAt >= this.#options.unknownOutcome.keyRetentionMs;
  }

  #backoff(attempt: number, retryAfterMs: number): number {
    const { baseDelayMs, maxDelayMs } = this.#options.retry;
    return Math.max(retryAfterMs, Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1)));
  }

  // -------------------------------------------------------------------------------------------
  // Decisions: what an outcome writes (re-evaluated on fresh records after every conflict)
  // -------------------------------------------------------------------------------------------

  #progressed(intent: IntentRecord, progress: Progress): IntentRecord {
    return withChanges(intent, { attempts: intent.attempts + progress.attempts, lastSentAt: progress.lastSentAt ?? intent.lastSentAt, updatedAt: this.#clock.now() });
  }

  #settled(intent: IntentRecord, progress: Progress, changes: Partial<IntentRecordBase>): IntentRecord {
    return withChanges(withChanges(this.#progressed(intent, progress), { nextAttemptAt: undefined }), changes);
  }

  #decideResponse(
    outcome: Extract<ProviderCallOutcome, { kind: 'snapshot' | 'operation' | 'declined' }>,
    progress: Progress,
    resolvedBy: IntentResolution,
  ): Decide {
    return async (stored, payment) => {
      const intent = stored.value;
      if (intent.operation === 'technical_cancel') return this.#technicalCancelResponse(stored, payment.value, outcome, progress);
      if (outcome.kind === 'declined') {
        return this.#failure(intent, payment.value, outcome.code, progress, resolvedBy, {
          declineReason: outcome.error.declineReason,
          providerReference: outcome.error.providerReference,
        });
      }
      if (outcome.kind === 'snapshot') {
        if (outcome.snapshot.state === 'failed') {
          return this.#failure(intent, payment.value, 'PROVIDER_DECLINED', progress, resolvedBy, {
            declineReason: outcome.snapshot.declineReason ?? 'failed',
            providerReference: outcome.snapshot.providerReference,
          });
        }
        return this.#creationSucceeded(intent, payment.value, outcome.snapshot, progress, resolvedBy);
      }
      return this.#operationAnswered(intent, payment.value, outcome.result, progress, resolvedBy);
    };
  }

  async #creationSucceeded(intent: IntentRecord, payment: PaymentRecord, snapshot: PaymentSnapshot, progress: Progress, resolvedBy: IntentResolution): Promise<Decision> {
    const stored = snapshot.storedPaymentMethod;
    const next = this.#moveTo(
      withChanges(payment, {
        providerReference: snapshot.providerReference,
        authorizedAmount: snapshot.authorizedAmount,
        capturedAmount: snapshot.capturedAmount,
        refundedAmount: snapshot.refundedAmount,
        released: snapshot.state === 'voided',
        networkTransactionId: snapshot.networkTransactionId ?? payment.networkTransactionId,
        storedPaymentMethodToken: stored?.token ?? payment.storedPaymentMethodToken,
        customerReference: stored?.customerReference ?? payment.customerReference,
        updatedAt: this.#clock.now(),
      }),
      snapshot.state,
    );
    const messages: PaymentMessageDraft[] = [];
    if (authorizedStates.includes(snapshot.state)) {
      messages.push({ type: 'payment.authorized', amount: snapshot.authorizedAmount, deduplicationId: intent.intentId });
    }
    if (snapshot.capturedAmount.isPositive()) {
      messages.push({ type: 'payment.captured', amount: snapshot.capturedAmount, deduplicationId: `${intent.intentId}.captured` });
    }
    if (snapshot.state === 'voided') {
      messages.push({ type: 'payment.failed', amount: payment.amount, deduplicationId: intent.intentId });
    }
    const puts: JournalPut[] = [this.#referencePut(payment.paymentId, payment.provider, snapshot.providerReference)];
    if (intent.operation === 'authorize' && intent.request.savePaymentMethod === true && stored !== undefined) {
      // Dual-write of a card saved during the migration window, for the token engine's delta pass.
      const key = savedPaymentMethodKey(stored.provider, stored.token);
      if ((await this.#savedMethods.get(key)) === undefined) {
        puts.push(
          this.#savedMethods.put(
            {
              provider: stored.provider,
              token: stored.token,
              customerReference: stored.customerReference,
              card: stored.card,
              networkTransactionId: stored.networkTransactionId ?? snapshot.networkTransactionId,
              paymentId: payment.paymentId,
              savedAt: this.#clock.now(),
            },
            0,
          ),
        );
      }
    }
    const outcome: IntentOutcome = {
      resolvedBy,
      providerReference: snapshot.providerReference,
      providerStatus: snapshot.providerStatus,
      state: snapshot.state,
      amount: snapshot.amount,
      authorizedAmount: snapshot.authorizedAmount,
      capturedAmount: snapshot.capturedAmount,
      refundedAmount: snapshot.refundedAmount,
      nextAction: snapshot.nextAction,
    };
    return { intent: this.#settled(intent, progress, { status: 'succeeded', outcome }), payment: next, puts, messages };
  }

  #operationAnswered(intent: IntentRecord, payment: PaymentRecord, result: PaymentOperationResult, progress: Progress, resolvedBy: IntentResolution): Decision {
    const operation = intent.operation as PendingOperation['operation'];
    const outcome: IntentOutcome = {
      resolvedBy,
      providerReference: payment.providerReference,
      operationReference: result.operationReference,
      providerStatus: result.providerStatus,
      operationStatus: result.status,
      amount: result.amount,
    };
    if (result.status === 'failed') {
      return this.#failure(intent, payment, 'PROVIDER_OPERATION_FAILED', progress, resolvedBy, {});
    }
    if (result.status === 'pending') {
      // Accepted, not done (Adyen `received`): amounts stay as they are and the claim keeps
      // counting against the limits until a webhook confirms or refutes it.
      const counted = payment.appliedOperationReferences.includes(result.operationReference);
      const pendingOperations = payment.pendingOperations.flatMap((pending) => {
        if (pending.intentId !== intent.intentId) return [pending];
        return counted ? [] : [{ ...pending, status: 'awaiting_confirmation' as const, operationReference: result.operationReference }];
      });
      return {
        intent: this.#settled(intent, progress, { status: 'succeeded', outcome }),
        payment: { ...payment, pendingOperations, updatedAt: this.#clock.now() },
      };
    }
    try {
      const pending = payment.pendingOperations.find((candidate) => candidate.intentId === intent.intentId);
      const applied = applyConfirmedOperation(payment, {
        operation,
        amount: result.amount,
        operationReference: result.operationReference,
        finalCapture: pending?.finalCapture,
        intentId: intent.intentId,
      });
      const types = { capture: 'payment.captured', refund: 'payment.refunded', cancel: 'payment.voided' } as const;
      return {
        intent: this.#settled(intent, progress, { status: 'succeeded', outcome }),
        payment: { ...applied.payment, updatedAt: this.#clock.now() },
        messages: applied.counted ? [{ type: types[operation], amount: result.amount, deduplicationId: intent.intentId, operationReference: result.operationReference }] : [],
      };
    } catch (error) {
      // The provider's answer contradicts the journal (invariant 4: more captured than authorized,
      // another currency, ...): nobody may guess which is right.
      this.#logger.error({ intentId: intent.intentId, paymentId: payment.paymentId, errorCode: errorCodeOf(error) }, 'Provider answer contradicts the journal amounts');
      return { intent: this.#settled(intent, progress, { status: 'unresolved', lastErrorCode: 'TRANSACTION_AMOUNTS_DISAGREE', outcome }) };
    }
  }

  async #technicalCancelResponse(
    stored: StoredRecord<IntentRecord>,
    payment: PaymentRecord,
    outcome: Extract<ProviderCallOutcome, { kind: 'snapshot' | 'operation' | 'declined' }>,
    progress: Progress,
  ): Promise<Decision> {
    const cancel = stored.value;
    const original = await this.#require(this.#intents, cancel.resolvesIntentId as string);
    const result = outcome.kind === 'operation' ? outcome.result : undefined;
    // A cancel the provider accepted for later (Adyen answers `received`, a webhook confirms) comes
    // with the provider's view from before it, still authorizing or unknown: that view settles
    // nothing. For a MANUAL-capture authorization the accepted cancel releases whatever the provider
    // holds under the merchant reference: nothing of it can have been captured, since its reference
    // never reached us. An automatic capture may have taken the money: that view stays distrusted.
    const lost = original.value;
    const manualCapture = (lost.operation === 'authorize' || lost.operation === 'charge_stored') && lost.request.captureMethod === 'manual';
    const acceptedForLater = manualCapture && result?.status === 'pending' && result.payment !== undefined && unsettledViewStates.includes(result.payment.state);
    const snapshot = acceptedForLater ? undefined : result?.payment;
    const settledStates: readonly PaymentState[] = ['voided', 'failed'];
    if (result === undefined || result.status === 'failed' || (snapshot !== undefined && !settledStates.includes(snapshot.state))) {
      return this.#technicalCancelGaveUp(cancel, original, progress, outcome.kind === 'declined' ? outcome.code : 'PROVIDER_OPERATION_FAILED', 'failed');
    }
    const state = snapshot?.state ?? 'failed';
    const providerReference = snapshot?.providerReference;
    const next = this.#moveTo(
      {
        ...payment,
        providerReference: providerReference ?? payment.providerReference,
        authorizedAmount: snapshot?.authorizedAmount ?? payment.authorizedAmount,
        released: true,
        failureReason: 'technically_cancelled',
        updatedAt: this.#clock.now(),
      },
      state,
    );
    const code = 'TRANSACTION_TECHNICALLY_CANCELLED';
    return {
      intent: this.#settled(cancel, progress, {
        status: 'succeeded',
        outcome: { resolvedBy: 'response', operationReference: result.operationReference, operationStatus: result.status, providerReference, state },
      }),
      payment: next,
      related: {
        intent: this.#settled(original.value, { attempts: 0 }, { status: 'failed', lastErrorCode: code, outcome: { resolvedBy: 'technical-cancel', providerReference, state } }),
        version: original.version,
      },
      puts: providerReference === undefined ? [] : [this.#referencePut(payment.paymentId, payment.provider, providerReference)],
      messages: [{ type: 'payment.failed', amount: payment.amount, deduplicationId: original.value.intentId }],
    };
  }

  #technicalCancelGaveUp(
    cancel: IntentRecord,
    original: StoredRecord<IntentRecord>,
    progress: Progress,
    code: string,
    status: 'failed' | 'unresolved',
  ): Decision {
    return {
      intent: this.#settled(cancel, progress, { status, lastErrorCode: code }),
      related: { intent: this.#settled(original.value, { attempts: 0 }, { status: 'unresolved', lastErrorCode: code }), version: original.version },
    };
  }

  #decideFailure(code: string, progress: Progress, resolvedBy: IntentResolution): Decide {
    return async (stored, payment) => {
      const intent = stored.value;
      if (intent.operation === 'technical_cancel') {
        const original = await this.#require(this.#intents, intent.resolvesIntentId as string);
        return this.#technicalCancelGaveUp(intent, original, progress, code, 'failed');
      }
      return this.#failure(intent, payment.value, code, progress, resolvedBy, {});
    };
  }

  #failure(
    intent: IntentRecord,
    payment: PaymentRecord,
    code: string,
    progress: Progress,
    resolvedBy: IntentResolution,
    details: { readonly declineReason?: string | undefined; readonly providerReference?: string | undefined },
  ): Decision {
    const outcome: IntentOutcome = { resolvedBy, declineReason: details.declineReason, providerReference: details.providerReference };
    const failedIntent = this.#settled(intent, progress, { status: 'failed', lastErrorCode: code, outcome: { ...outcome, state: isCreation(intent.operation) ? 'failed' : undefined } });
    if (!isCreation(intent.operation)) {
      // The claim on the amount is released; the payment itself is unchanged.
      const pendingOperations = payment.pendingOperations.filter((pending) => pending.intentId !== intent.intentId);
      return { intent: failedIntent, payment: { ...payment, pendingOperations, updatedAt: this.#clock.now() } };
    }
    const next = this.#moveTo(
      {
        ...payment,
        providerReference: details.providerReference ?? payment.providerReference,
        failureReason: details.declineReason ?? code,
        updatedAt: this.#clock.now(),
      },
      'failed',
    );
    return {
      intent: failedIntent,
      payment: next,
      puts: details.providerReference === undefined ? [] : [this.#referencePut(payment.paymentId, payment.provider, details.providerReference)],
      messages: [{ type: 'payment.failed', amount: payment.amount, deduplicationId: intent.intentId }],
    };
  }

  #decideUnknown(code: string, progress: Progress, nextAttemptAt: number | undefined): Decide {
    return async (stored, payment) => {
      const intent = stored.value;
      const next = this.#progressed(intent, progress);
      return {
        intent: { ...next, status: 'unknown', mayHaveExecuted: true, lastErrorCode: code, nextAttemptAt },
        // Unknown is a state of the payment only while it is being created; a follow-up's unknown
        // outcome lives on its intent (the claim on the amount keeps counting meanwhile).
        payment: isCreation(intent.operation) ? { ...this.#moveTo(payment.value, 'unknown'), updatedAt: this.#clock.now() } : undefined,
      };
    };
  }

  #decideWaiting(code: string, progress: Progress, delay: number, mayHaveExecuted: boolean): Decide {
    return async (stored) => {
      const intent = stored.value;
      const next = this.#progressed(intent, progress);
      return { intent: { ...next, status: 'waiting', mayHaveExecuted, lastErrorCode: code, nextAttemptAt: this.#clock.now() + delay } };
    };
  }

  #decideUnresolved(code: string, progress: Progress): Decide {
    return async (stored) => {
      const intent = stored.value;
      if (intent.operation === 'technical_cancel') {
        const original = await this.#require(this.#intents, intent.resolvesIntentId as string);
        return this.#technicalCancelGaveUp(intent, original, progress, code, 'unresolved');
      }
      return { intent: this.#settled(intent, progress, { status: 'unresolved', lastErrorCode: code }) };
    };
  }

  /** Moves the payment to `target`, through `unknown` when the machine only allows it that way (a lookup revealing a later state). */
  #moveTo(payment: PaymentRecord, target: PaymentState): PaymentRecord {
    if (payment.state === target || paymentStateMachine.canTransition(payment.state, target)) return withPaymentState(payment, target);
    return withPaymentState(withPaymentState(payment, 'unknown'), target);
  }

  #referencePut(paymentId: string, provider: string, providerReference: string): JournalPut {
    // Derived from the outcome and identical on every replay, so it is written unconditionally.
    return this.#providerReferences.put({ provider, providerReference, paymentId }, 'any');
  }

  #message(payment: PaymentRecord, draft: PaymentMessageDraft): OutboxMessageInput {
    return {
      topic: this.#options.outboxTopics.platformPayment,
      orderingKey: payment.orderId ?? payment.paymentId,
      deduplicationId: draft.deduplicationId,
      payload: encodePlatformPaymentMessage({
        type: draft.type,
        paymentId: payment.paymentId,
        orderId: payment.orderId,
        merchantReference: payment.merchantReference,
        provider: payment.provider,
        providerReference: payment.providerReference,
        operationReference: draft.operationReference,
        amount: draft.amount,
        intentId: draft.deduplicationId,
        occurredAt: this.#clock.now(),
      }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Journal plumbing
  // -------------------------------------------------------------------------------------------

  async #finish(intentId: string, owner: string | undefined, decide: Decide, known?: Updated, deferrable = false): Promise<TransactionResult> {
    const { intent, payment } = await this.#update(intentId, owner, decide, known, deferrable);
    return this.#result(intent.value, payment.value, false);
  }

  /**
   * How durable an outcome's batch must be when `write` resolves. `'deferred'` (committed at once,
   * durable with the next durable write or the store's own flush a moment later) only when a crash
   * losing the batch changes nothing anybody relies on, because the recovery pass re-creates every
   * part of it from the durable intent (still `pending`) and the provider's truth:
   * - the outcome is a success the provider has recorded under the intent's idempotency key (an
   *   authorization, a charge, a capture, refund or void accepted or done): sent again with the
   *   same key it answers the same, or the lookup by merchant reference finds it; no second charge;
   * - the batch holds the intent, its payment, provider references (derived from the answer) and
   *   platform messages whose deduplication ids are the intent's, so the re-created ones are the same
   *   messages (the SQLite journal hands no message to the relay before it is on disk; on PostgreSQL a
   *   relay may deliver one first, and the platform then gets it again: at-least-once, as ever).
   * Everything else stays durable: failures and declines (the caller may retry elsewhere or with
   * another card, and a provider need not replay a decline or an unavailable call under the key, so
   * a re-sent request could execute), unresolved outcomes (an operator's queue), and saved payment
   * methods (the token engine's delta pass copies them to the new provider, and a lookup does not
   * bring them back). Only the first answer to a request's own new intent asks (`deferrable`), so
   * technical cancels and the intents they resolve (written by resolution and recovery) never do.
   */
  #outcomeDurability(decision: Decision): JournalDurability {
    if (decision.intent.status !== 'succeeded') return 'durable';
    const rederived = (decision.puts ?? []).every((put) => put.collection === this.#providerReferences.collection);
    return rederived ? 'deferred' : 'durable';
  }

  /**
   * Reads the intent and its payment, decides, and writes the decision compare-and-set on both
   * (and on any related intent), with the platform messages in the same batch. A conflict means
   * someone else wrote first: read again and decide again (the decision stops when the intent is
   * already final). A recovery worker whose claim was taken over stops (fencing). `known`: the
   * intent and payment as this run last wrote them, the first round's starting point instead of a
   * read (a change made since fails the compare-and-set, and the next round reads). `deferrable`:
   * the write is the request's outcome of its own intent, which `#outcomeDurability` may defer.
   */
  async #update(intentId: string, owner: string | undefined, decide: Decide, known?: Updated, deferrable = false): Promise<Updated> {
    for (let round = 1; ; round += 1) {
      const basis = round === 1 ? known : undefined;
      const intent = basis?.intent ?? (await this.#require(this.#intents, intentId));
      const payment = basis?.payment ?? (await this.#require(this.#payments, intent.value.paymentId));
      const lease = intent.lease;
      if (owner !== undefined && lease !== undefined && lease.owner !== owner && lease.expiresAt > this.#clock.now()) {
        throw new IntentLeaseLostError({ intentId, owner, holder: lease.owner });
      }
      // Someone else finished the intent first (its outcome is in), or a technical cancel, once
      // started, decides the outcome of the lost authorization: nothing more to write.
      if (!isNonTerminalIntentStatus(intent.value.status) || intent.value.technicalCancelIntentId !== undefined) return { intent, payment };
      const decision = await decide(intent, payment);
      const nextPayment = decision.payment;
      const puts: JournalPut[] = [this.#intents.put(decision.intent, intent.version)];
      if (nextPayment !== undefined) puts.push(this.#payments.put(nextPayment, payment.version));
      if (decision.related !== undefined) puts.push(this.#intents.put(decision.related.intent, decision.related.version));
      puts.push(...(decision.puts ?? []));
      const messagePayment = nextPayment ?? payment.value;
      const outbox = (decision.messages ?? []).map((draft) => this.#message(messagePayment, draft));
      const deferred = deferrable && this.#outcomeDurability(decision) === 'deferred';
      let records: readonly JournalRecord[];
      try {
        ({ records } = await this.#journal.write(deferred ? { puts, outbox, durability: 'deferred' } : { puts, outbox }));
      } catch (error) {
        if (VersionConflictError.isInstance(error) && round < maximumConflictRounds) continue;
        throw error;
      }
      // What was just written needs no reading back (records come in the order of the puts).
      const written = this.#intents.written(decision.intent, records[0] as JournalRecord);
      this.#observe(written.value, intent.value.status);
      if (decision.related !== undefined) this.#observe(decision.related.intent, 'unknown');
      return { intent: written, payment: nextPayment === undefined ? payment : this.#payments.written(nextPayment, records[1] as JournalRecord) };
    }
  }

  /** Logs and counts an intent's new status. */
  #observe(intent: IntentRecord, previous: IntentRecord['status']): void {
    const attributes = { provider: intent.provider, operation: intent.operation, status: intent.status };
    this.#instruments.intents.add(1, attributes);
    const fields = { intentId: intent.intentId, paymentId: intent.paymentId, ...attributes, previousStatus: previous, errorCode: intent.lastErrorCode };
    switch (intent.status) {
      case 'unresolved':
        this.#instruments.unresolved.add(1, { provider: intent.provider, operation: intent.operation });
        this.#logger.error(fields, 'Payment intent UNRESOLVED: its outcome at the provider could not be established; an operator must reconcile it (unresolvedPayments())');
        return;
      case 'unknown':
      case 'waiting':
        this.#logger.warn(fields, `Payment intent ${intent.status}`);
        return;
      default:
        this.#logger.info(fields, `Payment intent ${intent.status}`);
    }
  }

  async #require<Value>(repository: { readonly collection: string; get(key: string): Promise<StoredRecord<Value> | undefined> }, key: string): Promise<StoredRecord<Value>> {
    const stored = await repository.get(key);
    if (stored === undefined) {
      throw new PaymigrateError(
        'TRANSACTION_RECORD_MISSING',
        `Journal record '${repository.collection}/${key}' is missing although another record refers to it. The journal was changed outside paymigrate; restore it.`,
      );
    }
    return stored;
  }

  #gateway(provider: string): PaymentGatewayV1 {
    const gateway = this.#gateways.get(provider);
    if (gateway === undefined) throw new ProviderNotConfiguredError({ provider, configuredProviders: [...this.#gateways.keys()] });
    return gateway;
  }

  async #replay(intentId: string): Promise<TransactionResult> {
    const intent = await this.#require(this.#intents, intentId);
    return this.#resultOf(intent, true);
  }

  async #resultOf(intent: StoredRecord<IntentRecord>, replayed: boolean): Promise<TransactionResult> {
    const payment = await this.#require(this.#payments, intent.value.paymentId);
    return this.#result(intent.value, payment.value, replayed);
  }

  #result(intent: IntentRecord, payment: PaymentRecord, replayed: boolean): TransactionResult {
    return Object.freeze({
      status: intent.status,
      operation: intent.operation,
      paymentId: intent.paymentId,
      payment,
      intent,
      replayed,
      retryElsewhere: isCreation(intent.operation) && intent.status === 'failed' && intent.lastErrorCode === 'PROVIDER_UNAVAILABLE',
      awaitingConfirmation: payment.pendingOperations.some((pending) => pending.intentId === intent.intentId && pending.status === 'awaiting_confirmation'),
      declineReason: intent.outcome?.declineReason,
      errorCode: intent.status === 'succeeded' ? undefined : intent.lastErrorCode,
      nextAction: payment.state === 'requires_action' ? intent.outcome?.nextAction : undefined,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Webhooks
  // -------------------------------------------------------------------------------------------

  async applyProviderEvent(event: PaymentWebhookEvent): Promise<ProviderEventResult> {
    const result = await this.#applyProviderEvent(event);
    this.#instruments.providerEvents.add(1, { provider: event.provider, type: event.type, result: result.status });
    if (result.status === 'deferred') {
      this.#logger.warn({ provider: event.provider, eventId: event.eventId, type: event.type, paymentId: result.paymentId, reason: result.reason }, 'Provider event deferred');
    }
    return result;
  }

  async #applyProviderEvent(event: PaymentWebhookEvent): Promise<ProviderEventResult> {
    const key = processedEventKey(event.provider, event.eventId);
    const providerReference = event.providerReference;
    const reference = providerReference === undefined ? undefined : await this.#providerReferences.get(providerReferenceKey(event.provider, providerReference));
    if (providerReference !== undefined && reference === undefined) {
      // Not recorded: the provider redelivers it, and by then the outcome naming the reference may be in.
      return { status: 'unknown_payment', reason: `no payment has ${event.provider} reference '${providerReference}'` };
    }
    const paymentId = reference?.value.paymentId;
    for (let round = 1; ; round += 1) {
      if ((await this.#processedEvents.get(key)) !== undefined) return { status: 'duplicate', paymentId };
      const payment = paymentId === undefined ? undefined : await this.#require(this.#payments, paymentId);
      const decision = payment === undefined ? ({ kind: 'ignore', reason: 'the event names no payment' } as const) : decideProviderEvent(payment.value, event);
      if (decision.kind === 'defer') return { status: 'deferred', paymentId, reason: decision.reason };
      try {
        if (decision.kind === 'ignore') {
          await this.#recordEvent(event, paymentId, decision.reason, []);
          return { status: 'ignored', paymentId, reason: decision.reason };
        }
        // Only a payment's own decision applies a change.
        const version = (payment as StoredRecord<PaymentRecord>).version;
        const next = { ...decision.payment, updatedAt: this.#clock.now() };
        await this.#recordEvent(event, paymentId, undefined, [this.#payments.put(next, version)], decision.messages.map((draft) => this.#message(next, draft)));
        return { status: 'applied', paymentId };
      } catch (error) {
        // A concurrent delivery of the same event (or a change of the payment) won: look again.
        if (!VersionConflictError.isInstance(error) || round >= maximumConflictRounds) throw error;
      }
    }
  }

  async #recordEvent(
    event: PaymentWebhookEvent,
    paymentId: string | undefined,
    reason: string | undefined,
    puts: readonly JournalPut[],
    outbox: readonly OutboxMessageInput[] = [],
  ): Promise<void> {
    const processed = this.#processedEvents.put(
      {
        provider: event.provider,
        eventId: event.eventId,
        type: event.type,
        paymentId,
        outcome: reason === undefined ? 'applied' : 'ignored',
        reason,
        processedAt: this.#clock.now(),
      },
      0,
    );
    await this.#journal.write({ puts: [processed, ...puts], outbox });
  }

  // -------------------------------------------------------------------------------------------
  // Recovery
  // -------------------------------------------------------------------------------------------

  async recover(options: RecoverOptions): Promise<RecoveryReport> {
    const { leaseMs, graceMs, concurrency } = this.#options.recovery;
    const limit = options.limit ?? 100;
    const claimed: StoredRecord<IntentRecord>[] = [];
    for (const status of nonTerminalIntentStatuses) {
      const remaining = limit - claimed.length;
      if (remaining <= 0) break;
      claimed.push(...(await this.#intents.claim({ index: status, owner: options.owner, leaseMs, limit: remaining })));
    }
    const report = { examined: 0, succeeded: 0, failed: 0, stillWaiting: 0, stillUnknown: 0, unresolved: 0, deferred: 0, fenced: 0, errors: 0 };
    const tally: Record<IntentRecord['status'], keyof typeof report> = {
      pending: 'stillUnknown',
      unknown: 'stillUnknown',
      waiting: 'stillWaiting',
      succeeded: 'succeeded',
      failed: 'failed',
      unresolved: 'unresolved',
    };
    await forEachConcurrently(claimed, concurrency, async (stored) => {
      const intent = stored.value;
      const now = this.#clock.now();
      const due =
        intent.nextAttemptAt !== undefined ? intent.nextAttemptAt <= now : intent.status === 'waiting' || now - stored.updatedAt >= graceMs;
      if (!due) {
        report.deferred += 1;
        return;
      }
      report.examined += 1;
      try {
        const result = await this.#drive(intent.intentId, options.owner);
        report[tally[result.status]] += 1;
      } catch (error) {
        if (IntentLeaseLostError.isInstance(error)) {
          report.fenced += 1;
        } else if (IdempotencyConflictError.isInstance(error)) {
          report.failed += 1;
        } else {
          report.errors += 1;
          this.#logger.error(
            { intentId: intent.intentId, paymentId: intent.paymentId, errorCode: errorCodeOf(error) },
            'Recovery of a payment intent failed; it is retried in the next pass',
          );
        }
      }
    });
    this.#logger.info({ owner: options.owner, claimed: claimed.length, ...report }, 'Recovery pass done');
    return Object.freeze(report);
  }

  async startRecoveryLoop(options: RecoveryLoopOptions): Promise<void> {
    const owner = options.owner ?? this.#defaultOwner;
    let customerStepsDueAt = this.#clock.now();
    while (!options.signal.aborted) {
      try {
        await this.recover({ owner, limit: options.limit });
      } catch (error) {
        this.#logger.error({ owner, errorCode: errorCodeOf(error) }, 'Recovery pass failed; retrying after the interval');
      }
      if (this.#clock.now() >= customerStepsDueAt) {
        customerStepsDueAt = this.#clock.now() + this.#options.customerSteps.intervalMs;
        try {
          await this.reconcileCustomerSteps();
        } catch (error) {
          this.#logger.error({ owner, errorCode: errorCodeOf(error) }, 'Customer-step pass failed; retrying after its interval');
        }
      }
      try {
        await this.#clock.sleep(options.intervalMs, options.signal);
      } catch {
        return;
      }
    }
  }

  async reconcileCustomerSteps(): Promise<CustomerStepReport> {
    const { checkAfterMs, limitPerPass } = this.#options.customerSteps;
    const now = this.#clock.now();
    const due: PaymentRecord[] = [];
    for await (const stored of this.#payments.listByState('requires_action')) {
      if (now - stored.value.updatedAt >= checkAfterMs) due.push(stored.value);
    }
    // Key order, starting after the last payment the previous pass read (wrapping around).
    const cursor = this.#customerStepCursor;
    const start = cursor === undefined ? 0 : due.findIndex((payment) => payment.paymentId > cursor);
    const turn = start <= 0 ? due : [...due.slice(start), ...due.slice(0, start)];
    const selected = turn.slice(0, limitPerPass);
    this.#customerStepCursor = selected.length < due.length ? selected.at(-1)?.paymentId : undefined;
    const report = { examined: 0, advanced: 0, cancelled: 0, waiting: 0, errors: 0 };
    const tally = (payment: PaymentRecord, verdict: Exclude<keyof typeof report, 'examined'>): void => {
      report[verdict] += 1;
      this.#instruments.customerSteps.add(1, { provider: payment.provider, verdict });
    };
    await forEachConcurrently(selected, this.#options.recovery.concurrency, async (payment) => {
      const gateway = this.#gateways.get(payment.provider);
      if (gateway === undefined || payment.providerReference === undefined) {
        // Unreachable through the Transaction State Manager's own calls: a requires_action answer
        // names the provider's payment, and the provider is pinned. Reported, never guessed at.
        tally(payment, 'errors');
        this.#logger.error({ paymentId: payment.paymentId, provider: payment.provider }, 'A payment waiting for its customer cannot be read at its provider (no gateway or no provider reference)');
        return;
      }
      report.examined += 1;
      try {
        tally(payment, await this.#followCustomerStep(payment, gateway, payment.providerReference, true));
      } catch (error) {
        tally(payment, 'errors');
        this.#logger.warn(
          { paymentId: payment.paymentId, provider: payment.provider, errorCode: errorCodeOf(error) },
          'A payment waiting for its customer could not be reconciled; it is read again in the next pass',
        );
      }
    });
    this.#logger.info({ due: due.length, ...report }, 'Customer-step pass done');
    return Object.freeze(report);
  }

  async settleCustomerStep(input: { readonly paymentId: string }): Promise<TransactionResult> {
    const stored = await this.#payments.get(input.paymentId);
    if (stored === undefined) throw new PaymentNotFoundError({ paymentId: input.paymentId });
    const payment = stored.value;
    const gateway = this.#gateways.get(payment.provider);
    if (payment.state === 'requires_action' && gateway !== undefined && payment.providerReference !== undefined) {
      await this.#followCustomerStep(payment, gateway, payment.providerReference, false);
    }
    return this.#replay(payment.initialIntentId);
  }

  /**
   * Reads a payment waiting for its customer at its provider and acts on the answer: applies what
   * the provider settled, completes a step the provider waits on the merchant for (the
   * authorization sent again with its key, only while the provider still keeps that key), and,
   * when `mayCancel`, cancels a step abandoned past its expiry. Only a live answer
   * (`capabilities.liveRetrieve`) can expire a step: an adapter that answers from what it has seen
   * (Adyen) may not know the customer finished, and its provider closes abandoned payments itself.
   */
  async #followCustomerStep(payment: PaymentRecord, gateway: PaymentGatewayV1, providerReference: string, mayCancel: boolean): Promise<'advanced' | 'cancelled' | 'waiting'> {
    const started = this.#clock.now();
    let snapshot: PaymentSnapshot;
    try {
      snapshot = await gateway.retrieve({ providerReference });
      this.#recordCall(gateway.provider, 'retrieve', started, 'success');
    } catch (error) {
      this.#recordCall(gateway.provider, 'retrieve', started, classifyProviderError(error).kind);
      throw error;
    }
    const expiry = mayCancel && gateway.capabilities.liveRetrieve === true ? this.#options.customerSteps.expireAfterMs : {};
    let verdict = decideCustomerStep(payment, snapshot, this.#clock.now(), expiry);
    if (verdict.kind === 'resume') {
      const creation = await this.#require(this.#intents, payment.initialIntentId);
      if (this.#keyExpired(creation.value)) {
        this.#logger.warn(
          { paymentId: payment.paymentId, provider: payment.provider, intentId: creation.value.intentId },
          'The provider waits for the merchant to complete a customer step, but the idempotency key may be gone: not sent again (it could create a second payment)',
        );
        return 'waiting';
      }
      const resumeStarted = this.#clock.now();
      const resumed = await sendIntent(gateway, creation.value);
      this.#recordCall(gateway.provider, 'resume_creation', resumeStarted, resumed.kind === 'snapshot' ? 'success' : resumed.kind);
      if (resumed.kind === 'declined') {
        const declined = await this.applyProviderEvent(declinedCustomerStepEvent(payment, providerReference, this.#clock.now(), resumed.code));
        return declined.status === 'applied' ? 'advanced' : 'waiting';
      }
      // A creation answers with the payment, never with an operation result.
      if (resumed.kind === 'operation') return 'waiting';
      if (resumed.kind !== 'snapshot') {
        if (resumed.kind === 'unknown' && resumed.code === providerStillProcessingCode) return 'waiting';
        throw resumed.error ?? new PaymigrateError(resumed.code, `Completing the customer step of payment '${payment.paymentId}' failed (${resumed.code}).`);
      }
      // An answer replayed under the key: followed when it settles something, never a reason to cancel.
      verdict = decideCustomerStep(payment, resumed.snapshot, this.#clock.now(), {});
    }
    if (verdict.kind === 'advanced') {
      const applied = await this.applyProviderEvent(verdict.event);
      return applied.status === 'applied' ? 'advanced' : 'waiting';
    }
    if (verdict.kind !== 'abandoned') return 'waiting';
    // Moved on in the journal while the provider was read (its webhook arrived): not abandoned.
    // A cancellation already tried (the provider refused it, e.g. PayPal lets an unapproved order
    // expire by itself) is not sent again on every pass: the step expires at the provider.
    const current = await this.#payments.get(payment.paymentId);
    if (current?.value.state !== 'requires_action' || current.value.updatedAt !== payment.updatedAt || current.value.operationCounters.cancel > 0) {
      return 'waiting';
    }
    this.#logger.warn(
      { paymentId: payment.paymentId, provider: payment.provider, step: verdict.step, waitedMs: this.#clock.now() - payment.updatedAt },
      'The customer abandoned the payment step: cancelling the payment at its provider',
    );
    const cancelled = await this.cancel({ paymentId: payment.paymentId });
    if (cancelled.status === 'failed') {
      this.#logger.warn(
        { paymentId: payment.paymentId, provider: payment.provider, errorCode: cancelled.errorCode },
        'The provider refused to cancel an abandoned payment step; it is left to expire at the provider',
      );
      return 'waiting';
    }
    return 'cancelled';
  }

  // -------------------------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------------------------

  async payment(paymentId: string): Promise<PaymentRecord | undefined> {
    return (await this.#payments.get(paymentId))?.value;
  }

  async intents(paymentId: string): Promise<IntentRecord[]> {
    const payment = await this.#payments.get(paymentId);
    if (payment === undefined) return [];
    const keys = Object.entries(payment.value.operationCounters).flatMap(([operation, count]) =>
      Array.from({ length: count }, (_, index) => intentIdFor(paymentId, operation as IntentOperation, index + 1)),
    );
    const intents = await this.#intents.getMany(keys);
    return intents.map((stored) => stored.value).sort((left, right) => left.createdAt - right.createdAt || left.intentId.localeCompare(right.intentId));
  }

  async unresolvedPayments(): Promise<UnresolvedPayment[]> {
    const byPayment = new Map<string, IntentRecord[]>();
    for await (const stored of this.#intents.listAll({ index: 'unresolved' })) {
      byPayment.set(stored.value.paymentId, [...(byPayment.get(stored.value.paymentId) ?? []), stored.value]);
    }
    const payments = await this.#payments.getMany([...byPayment.keys()]);
    // Every payment read was listed by an intent of `byPayment`.
    return payments.map((stored) => ({ payment: stored.value, intents: byPayment.get(stored.value.paymentId) as IntentRecord[] }));
  }

  async inFlight(options: { readonly provider: string }): Promise<PaymentRecord[]> {
    const found = new Map<string, PaymentRecord>();
    for (const state of unsettledStates) {
      for await (const stored of this.#payments.listByState(state)) {
        if (stored.value.provider === options.provider) found.set(stored.value.paymentId, stored.value);
      }
    }
    const withOpenIntents = new Set<string>();
    for (const status of [...nonTerminalIntentStatuses, 'unresolved'] as const) {
      for await (const stored of this.#intents.listAll({ index: status })) {
        if (stored.value.provider === options.provider && !found.has(stored.value.paymentId)) withOpenIntents.add(stored.value.paymentId);
      }
    }
    for (const stored of await this.#payments.getMany([...withOpenIntents])) found.set(stored.value.paymentId, stored.value);
    // Payment ids are unique keys: never equal.
    return [...found.values()].sort((left, right) => (left.paymentId < right.paymentId ? -1 : 1));
  }
}

/**
 * Creates the Transaction State Manager (see `TransactionStateManager`).
 *
 * @example
 * const transactions = createTransactionStateManager({
 *   journal,
 *   gateways: [stripe, adyen],
 *   selectProvider: router,
 * });
 * await transactions.recover({ owner: 'node-1' }); // on start
 * const result = await transactions.authorize({ paymentId: 'pay_1', merchantReference: 'order-1001-1', amount: Money.of(1999, 'USD'), paymentMethodToken: 'tok_visa' });
 * @throws ConfigurationError for invalid options.
 */
export function createTransactionStateManager(options: TransactionStateManagerOptions): TransactionStateManager {
  const parsed = parseOptions(transactionStateManagerOptionsSchema, options, { component: 'transactionStateManager' });
  return new TransactionEngine(parsed);
}
