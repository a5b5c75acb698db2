import type { Counter, Histogram } from '@opentelemetry/api';
import { parseOptions } from '../config/parse-options.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { IdempotencyConflictError, InvalidRequestError, ResourceNotFoundError } from '../errors/provider-errors.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import type { StoredRecord } from '../journal/journal-repository.js';
import { type PaymentRecord, PaymentRepository } from '../journal/payment-repository.js';
import { providerReferenceKey, ProviderReferenceRepository } from '../journal/provider-reference-repository.js';
import { Money } from '../money/money.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import { type OrderState, orderStateMachine } from '../order/order-state.js';
import { errorCodeOf } from '../outbox/outbox-errors.js';
import type { OutboxHandler } from '../outbox/outbox-relay.js';
import { decodePlatformPaymentMessage, type PlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { CommercePlatformV1, PlatformOrder, PlatformWebhookEvent } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { JournalPut, JournalWriteBatch, OutboxMessage, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { PaymentSnapshot, PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { planCancellationSteps, planRefundSteps } from './order-compensation.js';
import {
  applyPaymentChange,
  capturedOf,
  isForwardMove,
  newOrderPayment,
  orderAmountsOf,
  type OrderPayment,
  type OrderPaymentOperation,
  orderPaymentRank,
  orderStateFromAmounts,
  orderStateFromPayments,
  orderStatePath,
  type PaymentChange,
  type PaymentChangeEffect,
  refundedOf,
} from './order-payment-facts.js';
import { OrderEventAdmission, type OrderEventTicket } from './order-event-admission.js';
import { orderIdempotencyKey } from './order-idempotency-key.js';
import { coalescedReads } from './order-journal-reads.js';
import { decodePlatformOrderMessage, encodePlatformOrderMessage, type PlatformOrderAction, type PlatformOrderMessage } from './order-platform-message.js';
import {
  type OrderCompensationRecord,
  OrderCompensationRepository,
  type OrderCompensationStep,
  type OrderEscalationRecord,
  OrderEscalationRepository,
  type OrderFlag,
  orderPaymentReferenceKey,
  OrderPaymentReferenceRepository,
  type OrderProcessedEventRecord,
  OrderProcessedEventRepository,
  type OrderRecord,
  OrderRepository,
  type OrderTransitionCause,
} from './order-records.js';
import { WrittenValueMemory, writtenValueMemoryCapacity } from '../journal/written-value-repository.js';
import { type OrderStateSynchronizerOptions, orderStateSynchronizerOptionsSchema, type ResolvedOrderStateSynchronizerOptions, resolveDeadlines } from './order-sync-options.js';
import { ImpossiblePlatformStateError, OrderNotFoundError } from './order-sync-errors.js';
import type {
  AttachPaymentInput,
  OrderEventResult,
  OrderRepairReport,
  OrderStateChange,
  OrderStateSynchronizer,
  OrderTransitionResult,
  RefundOrderInput,
  RegisterOrderInput,
  RepairStuckOrdersOptions,
} from './order-sync-types.js';
import { forEachConcurrently } from '../concurrency/map-concurrently.js';

/** Compare-and-set rounds before a conflict is given up to the caller (only under extreme contention). */
const maximumConflictRounds = 100;

/** States the platform decides (holds, shipping, returns); the money decides every other one. */
const platformOwnedStates: ReadonlySet<OrderState> = new Set<OrderState>(['on_hold', 'partially_fulfilled', 'fulfilled', 'return_requested']);

/** Platform errors that no retry fixes: the update is escalated and the message acknowledged. */
function isRefusal(error: unknown): boolean {
  return (
    InvalidRequestError.isInstance(error) ||
    ResourceNotFoundError.isInstance(error) ||
    IdempotencyConflictError.isInstance(error) ||
    UnsupportedOperationError.isInstance(error)
  );
}

/** A payment change a provider webhook reports; `undefined` for events that move no money. */
function paymentChangeOfProviderEvent(event: PaymentWebhookEvent): PaymentChange | undefined {
  const base = { amount: event.amount, reference: event.operationReference ?? `event:${event.eventId}`, at: event.occurredAt };
  switch (event.type) {
    case 'payment.authorized':
      return { ...base, kind: event.success ? 'authorized' : 'authorization_failed' };
    case 'payment.authorization_failed':
      return { ...base, kind: 'authorization_failed' };
    case 'payment.captured':
      // A failed capture names the capture it is about, never a new one.
      return event.success ? { ...base, kind: 'captured' } : { ...base, reference: event.operationReference, kind: 'capture_failed' };
    case 'payment.capture_failed':
      return { ...base, reference: event.operationReference, kind: 'capture_failed' };
    case 'payment.refunded':
      return event.success ? { ...base, kind: 'refunded', total: event.refundedTotal } : { ...base, reference: event.operationReference, kind: 'refund_failed' };
    case 'payment.refund_failed':
    case 'payment.refund_reversed':
      return { ...base, reference: event.operationReference, kind: 'refund_failed' };
    case 'payment.voided':
      return event.success ? { ...base, kind: 'voided' } : undefined;
    case 'payment.expired':
      return { ...base, kind: 'expired' };
    default:
      return undefined;
  }
}

/** The payment change a payment outcome of the Transaction State Manager reports. */
function paymentChangeOfOutcome(message: PlatformPaymentMessage, payment: PaymentRecord | undefined): PaymentChange {
  const base = { amount: message.amount, reference: message.operationReference ?? message.intentId, at: message.occurredAt };
  switch (message.type) {
    case 'payment.authorized':
      return { ...base, kind: 'authorized' };
    case 'payment.captured':
      return { ...base, kind: 'captured' };
    case 'payment.refunded':
      return { ...base, kind: 'refunded' };
    case 'payment.voided':
      // The state manager reports a lapsed authorization as a release too; its record says which.
      return { ...base, kind: payment?.failureReason === 'authorization_expired' ? 'expired' : 'voided' };
    case 'payment.failed':
      return { ...base, amount: undefined, kind: 'authorization_failed' };
  }
}

/** The order facts of a payment as its provider reports it now (provider truth). */
function paymentOfSnapshot(payment: OrderPayment, snapshot: PaymentSnapshot, at: number): OrderPayment {
  const currency = payment.authorized.currency;
  const operations: OrderPaymentOperation[] = [];
  if (snapshot.capturedAmount.isPositive()) operations.push({ reference: 'provider-truth:capture', kind: 'capture', amount: snapshot.capturedAmount, status: 'succeeded', at });
  if (snapshot.refundedAmount.isPositive()) operations.push({ reference: 'provider-truth:refund', kind: 'refund', amount: snapshot.refundedAmount, status: 'succeeded', at });
  const holding = snapshot.state === 'authorized' || snapshot.state === 'partially_captured';
  return {
    ...newOrderPayment({ paymentId: payment.paymentId, provider: payment.provider, currency, providerReference: snapshot.providerReference, at }),
    authorized: holding ? snapshot.authorizedAmount : snapshot.capturedAmount,
    operations,
    voided: snapshot.state === 'voided',
    failed: snapshot.state === 'failed',
  };
}

/** Merges provider truth into what the order knows, monotonically: missing money is added as one operation. */
function mergeProviderTruth(known: OrderPayment, truth: OrderPayment, at: number): OrderPayment {
  const operations = [...known.operations];
  const captured = capturedOf(truth).subtract(capturedOf(known));
  if (captured.isPositive()) operations.push({ reference: `provider-truth:capture:${at}`, kind: 'capture', amount: captured, status: 'succeeded', at });
  const refunded = refundedOf(truth).subtract(refundedOf(known));
  if (refunded.isPositive()) operations.push({ reference: `provider-truth:refund:${at}`, kind: 'refund', amount: refunded, status: 'succeeded', at });
  return {
    ...known,
    providerReference: known.providerReference ?? truth.providerReference,
    authorized: known.authorized.max(truth.authorized),
    operations,
    voided: known.voided || truth.voided,
    failed: known.failed || truth.failed,
    lastEventAt: Math.max(known.lastEventAt, at),
  };
}

/** Whether provider truth and platform truth say the same about an order. */
function truthsAgree(platformState: OrderState, providerState: OrderState): boolean {
  if (platformState === providerState) return true;
  // The platform knows shipping (and holds) the provider cannot: the money must still match.
  if (platformState === 'partially_fulfilled' || platformState === 'fulfilled' || platformState === 'return_requested') {
    return providerState === 'paid' || providerState === 'partially_paid';
  }
  return platformState === 'on_hold' && (providerState === 'payment_pending' || providerState === 'authorized');
}

/**
 * Whether the reference index already holds `payment` exactly as `located` found it, so the batch
 * need not write it again (the record is derived from the order and never changes).
 */
function isIndexed(located: LocatedPayment, payment: OrderPayment): boolean {
  return located.indexed === true && payment.provider === located.provider && payment.providerReference === located.providerReference && payment.paymentId === located.paymentId;
}

/**
 * `promise`, marked as handled: a read started early (with an earlier round of reads) whose
 * outcome is awaited later, or not at all when the event turns out to need it no more.
 */
function readEarly<Value>(promise: Promise<Value>): Promise<Value> {
  promise.catch(() => undefined);
  return promise;
}

/** Reads of an event started with the ones that locate its payment: one round of reads fewer per event. */
interface EarlyReads {
  /** The event's processed record. */
  readonly processed: Promise<StoredRecord<OrderProcessedEventRecord> | undefined>;
  /** The order, when the payment's order was known before its other reads. */
  readonly order?: Promise<StoredRecord<OrderRecord> | undefined> | undefined;
}

/** A payment the synchronizer found for an event. */
interface LocatedPayment {
  readonly orderId: string;
  readonly paymentId: string;
  readonly provider: string;
  readonly providerReference?: string | undefined;
  readonly amount?: Money | undefined;
  /** Found through the synchronizer's own reference index (its record is already written). */
  readonly indexed?: boolean | undefined;
}

/** What a payment change does to an order. */
interface PaymentUpdate {
  readonly order: OrderRecord;
  readonly transitions: readonly OrderStateChange[];
  readonly actions: readonly PlatformOrderAction[];
  readonly flags: readonly OrderFlag[];
}

/** An escalation, ready for a batch. */
interface Escalation {
  readonly order: OrderRecord;
  readonly record: OrderEscalationRecord;
  readonly puts: readonly JournalPut[];
  readonly outbox: readonly OutboxMessageInput[];
}

/** The instruments the synchronizer records on. */
interface Instruments {
  /** Transitions, by from, to and cause kind. */
  readonly transitions: Counter;
  /** Compensation steps reaching an outcome, by kind, action and outcome. */
  readonly compensations: Counter;
  /** Escalations, by code. */
  readonly escalations: Counter;
  /** Events handled, by source and result. */
  readonly events: Counter;
  /** Latency from receiving an event to the platform update, milliseconds. */
  readonly syncLatency: Histogram;
}

/** The engine behind `createOrderStateSynchronizer`. */
class OrderSyncEngine implements OrderStateSynchronizer {
  readonly #options: ResolvedOrderStateSynchronizerOptions;
  readonly #platform: CommercePlatformV1;
  readonly #gateways: ReadonlyMap<string, PaymentGatewayV1>;
  readonly #deadlines: ReadonlyMap<OrderState, number>;
  readonly #clock: ClockV1;
  readonly #logger: Logger;
  readonly #instruments: Instruments;
  readonly #orders: OrderRepository;
  readonly #processed: OrderProcessedEventRepository;
  readonly #references: OrderPaymentReferenceRepository;
  readonly #escalations: OrderEscalationRepository;
  readonly #compensations: OrderCompensationRepository;
  readonly #stateManagerReferences: ProviderReferenceRepository;
  readonly #stateManagerPayments: PaymentRepository;
  readonly #admission: OrderEventAdmission;
  /** The order updates this synchronizer enqueued, by deduplication id: the relay's delivery reads them back without decoding. */
  readonly #enqueuedUpdates = new WrittenValueMemory<PlatformOrderMessage>(writtenValueMemoryCapacity);

  constructor(options: ResolvedOrderStateSynchronizerOptions) {
    this.#options = options;
    // The records every event reads go through the coalescer (one getMany per collection for the
    // events of a chunk); the rest, and every write (`#tryWrite`), go to the journal itself.
    const journal = options.journal;
    const eventReads = coalescedReads(journal);
    this.#platform = options.platform;
    this.#gateways = new Map(options.gateways.map((gateway) => [gateway.provider, gateway]));
    this.#deadlines = resolveDeadlines(options.deadlines);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? createLogger({ name: 'paymigrate.orders' });
    this.#orders = new OrderRepository(eventReads);
    this.#processed = new OrderProcessedEventRepository(eventReads);
    this.#references = new OrderPaymentReferenceRepository(eventReads);
    this.#escalations = new OrderEscalationRepository(journal);
    this.#compensations = new OrderCompensationRepository(journal);
    this.#stateManagerReferences = new ProviderReferenceRepository(eventReads);
    this.#stateManagerPayments = new PaymentRepository(eventReads);
    this.#admission = new OrderEventAdmission(options.eventChunkSize);
    const meter = options.meter ?? defaultMeter();
    this.#instruments = {
      transitions: meter.createCounter('paymigrate.orders.transitions', { description: 'Order transitions, by from, to and cause.' }),
      compensations: meter.createCounter('paymigrate.orders.compensations', { description: 'Compensation steps reaching an outcome.' }),
      escalations: meter.createCounter('paymigrate.orders.escalations', { description: 'Orders escalated to operators.' }),
      events: meter.createCounter('paymigrate.orders.events', { description: 'Events handled by the order synchronizer.' }),
      syncLatency: meter.createHistogram('paymigrate.orders.sync.duration', { description: 'From receiving an event to the platform update.', unit: 'ms' }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Orders
  // -------------------------------------------------------------------------------------------

  async registerOrder(input: RegisterOrderInput): Promise<OrderRecord> {
    const existing = await this.#orders.get(input.orderId);
    if (existing !== undefined) return existing.value;
    const now = this.#clock.now();
    const order = this.#newOrder(input.orderId, input.total, input.state ?? 'payment_pending');
    const payments = (input.payments ?? []).map((payment) =>
      newOrderPayment({ ...payment, currency: input.total.currency, at: now }),
    );
    const next = this.#withPayments(order, payments);
    const puts = [this.#orders.put(next, 0), ...payments.flatMap((payment) => this.#referencePut(next.orderId, payment))];
    // Registered concurrently: answer with that one.
    if (!(await this.#tryWrite({ puts }, maximumConflictRounds, true))) return (await this.#requireOrder(input.orderId)).value;
    return next;
  }

  async attachPayment(input: AttachPaymentInput): Promise<OrderRecord> {
    for (let round = 1; ; round += 1) {
      const stored = await this.#requireOrder(input.orderId);
      const order = stored.value;
      const known = order.payments.find((payment) => payment.paymentId === input.paymentId);
      const payment: OrderPayment = known
        ? { ...known, providerReference: known.providerReference ?? input.providerReference, amount: known.amount ?? input.amount }
        : newOrderPayment({ ...input, currency: order.amounts.total.currency, at: this.#clock.now() });
      const next = this.#withPayments(order, this.#replacePayment(order.payments, payment));
      if (await this.#tryWrite({ puts: [this.#orders.put(next, stored.version), ...this.#referencePut(order.orderId, payment)] }, round)) return next;
    }
  }

  async order(orderId: string): Promise<OrderRecord | undefined> {
    return (await this.#orders.get(orderId))?.value;
  }

  async escalations(): Promise<OrderEscalationRecord[]> {
    const records: OrderEscalationRecord[] = [];
    for await (const stored of this.#escalations.listAll({ index: 'open' })) records.push(stored.value);
    // An escalation is open while its order still carries it: the order's next transition closes
    // it (the record stays, as history).
    const orders = new Map((await this.#orders.getMany([...new Set(records.map((record) => record.orderId))])).map((stored) => [stored.key, stored.value]));
    return records.filter((record) => orders.get(record.orderId)?.escalation?.escalationId === record.escalationId);
  }

  async applyTransition(
    orderId: string,
    to: OrderState,
    cause: OrderTransitionCause,
    options: { readonly expectedVersion?: number | undefined } = {},
  ): Promise<OrderTransitionResult> {
    orderStateMachine.assertState(to, orderId);
    if (typeof cause?.id !== 'string' || cause.id.length === 0) {
      throw new PaymigrateError('ORDER_CAUSE_INVALID', `A transition of order '${orderId}' needs a cause with a non-empty id (its idempotency key).`);
    }
    for (let round = 1; ; round += 1) {
      const stored = await this.#requireOrder(orderId);
      const order = stored.value;
      const earlier = order.history.find((entry) => entry.cause.id === cause.id);
      if (earlier !== undefined) {
        if (earlier.to !== to) {
          throw new PaymigrateError(
            'ORDER_CAUSE_REUSED',
            `Cause '${cause.id}' already moved order '${orderId}' to '${earlier.to}'; a transition to '${to}' needs its own cause id.`,
          );
        }
        return { status: 'duplicate', order, from: earlier.from, to };
      }
      if (options.expectedVersion !== undefined && options.expectedVersion !== order.version) {
        throw new VersionConflictError({ collection: this.#orders.collection, key: orderId, expectedVersion: options.expectedVersion, actualVersion: order.version });
      }
      // Throws IllegalTransitionError: the loser of a race re-reads and is checked again here.
      orderStateMachine.assertTransition(order.state, to, orderId);
      const compensation = to === 'cancelled' ? this.#cancellationCompensation(order, cause) : undefined;
      const { order: next, transitions } = this.#advance(order, [to], cause);
      const actions: PlatformOrderAction[] =
        to === 'cancelled' && cause.kind !== 'platform'
          ? [{ type: 'cancel_order', idempotencyKey: this.#key(orderId, '-', `cancel:${cause.id}`), reason: 'other', staffNote: cause.detail }]
          : [];
      const batch: JournalWriteBatch = {
        puts: [this.#orders.put(next, stored.version), ...(compensation === undefined ? [] : [this.#compensations.put(compensation, 0)])],
        outbox: [this.#orderMessage(next, transitions, actions, cause, this.#clock.now())],
      };
      if (!(await this.#tryWrite(batch, round))) continue;
      this.#observeTransitions(transitions, cause);
      const ran = compensation === undefined ? undefined : await this.#runCompensation(compensation.compensationId);
      return { status: 'applied', order: next, from: order.state, to, compensation: ran };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Events
  // -------------------------------------------------------------------------------------------

  async handleProviderEvent(event: PaymentWebhookEvent): Promise<OrderEventResult> {
    const receivedAt = this.#clock.now();
    const ticket = await this.#admission.admit();
    try {
      return await this.#handleProviderEvent(event, receivedAt, ticket);
    } finally {
      ticket.release();
    }
  }

  async #handleProviderEvent(event: PaymentWebhookEvent, receivedAt: number, ticket: OrderEventTicket): Promise<OrderEventResult> {
    const change = paymentChangeOfProviderEvent(event);
    const reference = event.providerReference;
    if (change === undefined || reference === undefined) {
      return this.#observeEvent('provider', { status: 'ignored', reason: `a ${event.type} event moves no money of a known payment`, transitions: [] });
    }
    const key = `provider:${event.provider}:${event.eventId}`;
    // Read along with the payment's reference (the key is the event's own), not after it.
    const processed = readEarly(this.#processed.get(key));
    const located = await this.#locate(event.provider, reference);
    if (located === undefined) {
      return this.#observeEvent('provider', { status: 'unknown_payment', reason: `no order has ${event.provider} payment '${reference}'`, transitions: [] });
    }
    if (located.managed && change.kind !== 'capture_failed' && change.kind !== 'refund_failed') {
      // One source of money per payment: the state manager already interprets its provider's
      // webhooks (matching them to its own operations) and reports each change once, as an
      // outcome. Only a failure after the fact (Adyen CAPTURE_FAILED after CAPTURE) is taken here:
      // the state manager never moves amounts backwards, so it reports none.
      return this.#observeEvent('provider', {
        status: 'ignored',
        orderId: located.orderId,
        paymentId: located.paymentId,
        reason: 'the Transaction State Manager holds this payment: its outcomes (handlePaymentOutcome) move the order',
        transitions: [],
      });
    }
    const early: EarlyReads = { processed, order: located.order };
    const result = await this.#applyChange(key, { kind: 'provider_event', id: `order.${key}`, detail: event.type }, change, located, receivedAt, ticket, early);
    return this.#observeEvent('provider', result);
  }

  async handlePaymentOutcome(outcome: PlatformPaymentMessage): Promise<OrderEventResult> {
    const receivedAt = this.#clock.now();
    const ticket = await this.#admission.admit();
    try {
      return await this.#handlePaymentOutcome(outcome, receivedAt, ticket);
    } finally {
      ticket.release();
    }
  }

  async #handlePaymentOutcome(outcome: PlatformPaymentMessage, receivedAt: number, ticket: OrderEventTicket): Promise<OrderEventResult> {
    if (outcome.orderId === undefined) {
      return this.#observeEvent('outcome', { status: 'ignored', paymentId: outcome.paymentId, reason: 'the payment belongs to no order', transitions: [] });
    }
    const key = `outcome:${outcome.type}:${outcome.intentId}`;
    // The three reads of an outcome need nothing from each other: one round.
    const early: EarlyReads = { processed: readEarly(this.#processed.get(key)), order: readEarly(this.#orders.get(outcome.orderId)) };
    const payment = (await this.#stateManagerPayments.get(outcome.paymentId))?.value;
    const located: LocatedPayment = {
      orderId: outcome.orderId,
      paymentId: outcome.paymentId,
      provider: outcome.provider,
      providerReference: outcome.providerReference ?? payment?.providerReference,
      amount: payment?.amount,
    };
    const result = await this.#applyChange(key, { kind: 'payment_outcome', id: `order.${key}`, detail: outcome.type }, paymentChangeOfOutcome(outcome, payment), located, receivedAt, ticket, early);
    return this.#observeEvent('outcome', result);
  }

  async handlePlatformEvent(event: PlatformWebhookEvent): Promise<OrderEventResult> {
    const receivedAt = this.#clock.now();
    const orderId = event.orderId;
    if (orderId === undefined) return this.#observeEvent('platform', { status: 'ignored', reason: 'the event names no order', transitions: [] });
    const key = `platform:${this.#platform.platform}:${event.eventId}`;
    const cause: OrderTransitionCause = { kind: 'platform', id: `order.${key}`, detail: event.type };
    for (let round = 1; ; round += 1) {
      if ((await this.#processed.get(key)) !== undefined) return this.#observeEvent('platform', { status: 'duplicate', orderId, transitions: [] });
      // The webhook only names the order: its state is read from the platform, never guessed.
      const platformOrder = await this.#readPlatformOrder(orderId);
      if (ImpossiblePlatformStateError.isInstance(platformOrder)) {
        if ((await this.#orders.get(orderId)) !== undefined) await this.#escalateOrder(orderId, 'platform_state_impossible', platformOrder.message);
        return this.#observeEvent('platform', { status: 'ignored', orderId, reason: platformOrder.message, transitions: [] });
      }
      if (platformOrder === undefined) {
        return this.#observeEvent('platform', { status: 'unknown_order', orderId, reason: `the platform has no order '${orderId}'`, transitions: [] });
      }
      const stored = await this.#orders.get(orderId);
      const order = stored?.value ?? this.#newOrder(orderId, platformOrder.total, platformOrder.canonicalState);
      const version = stored?.version ?? 0;
      const cancellationStarted = (await this.#compensations.get(`${orderId}.cancellation`)) !== undefined;
      const plan = this.#platformPlan(order, platformOrder.canonicalState, cause, cancellationStarted);
      const processed = this.#processed.put(
        { key, orderId, outcome: plan.kind === 'ignore' ? 'ignored' : 'applied', reason: plan.kind === 'ignore' ? plan.reason : undefined, processedAt: this.#clock.now() },
        0,
      );
      let batch: JournalWriteBatch = { puts: [processed, ...(version === 0 ? [this.#orders.put(order, 0)] : [])] };
      let transitions: readonly OrderStateChange[] = [];
      let escalation: Escalation | undefined;
      if (plan.kind === 'escalate') {
        escalation = this.#escalation(order, plan.code, plan.reason, { platformState: platformOrder.canonicalState });
        batch = { puts: [processed, this.#orders.put(escalation.order, version), ...escalation.puts], outbox: escalation.outbox };
      } else if (plan.kind === 'move') {
        const advanced = this.#advance(order, plan.targets, cause);
        transitions = advanced.transitions;
        batch = {
          puts: [processed, this.#orders.put(advanced.order, version), ...(plan.compensation === undefined ? [] : [this.#compensations.put(plan.compensation, 0)])],
          outbox: transitions.length === 0 ? [] : [this.#orderMessage(advanced.order, transitions, [], cause, receivedAt)],
        };
      }
      if (!(await this.#tryWrite(batch, round))) continue;
      this.#observeTransitions(transitions, cause);
      if (escalation !== undefined) this.#observeEscalation(escalation.record);
      if (plan.kind === 'ignore') return this.#observeEvent('platform', { status: 'ignored', orderId, reason: plan.reason, transitions });
      const compensation = plan.kind === 'move' && plan.compensation !== undefined ? await this.#runCompensation(plan.compensation.compensationId) : undefined;
      return this.#observeEvent('platform', { status: 'applied', orderId, transitions, compensation });
    }
  }

  async refundOrder(input: RefundOrderInput): Promise<OrderCompensationRecord> {
    if (!Money.isInstance(input.amount) || !input.amount.isPositive() || typeof input.requestId !== 'string' || input.requestId.length === 0) {
      throw new PaymigrateError('ORDER_REFUND_INVALID', `A refund of order '${input.orderId}' needs a positive Money amount and the platform's request id.`);
    }
    const compensationId = `${input.orderId}.refund.${input.requestId}`;
    if ((await this.#compensations.get(compensationId)) === undefined) {
      const order = (await this.#requireOrder(input.orderId)).value;
      const steps = planRefundSteps(order, input.amount);
      if (steps === undefined) {
        throw new PaymigrateError(
          'ORDER_REFUND_EXCEEDS_CAPTURED',
          `Order '${input.orderId}' cannot refund ${input.amount.toString()}: it captured ${order.amounts.captured.toString()} and refunded ${order.amounts.refunded.toString()}.`,
        );
      }
      const now = this.#clock.now();
      const record: OrderCompensationRecord = {
        compensationId,
        orderId: input.orderId,
        kind: 'platform_refund',
        cause: { kind: 'platform', id: `order.refund:${input.orderId}:${input.requestId}` },
        reason: input.reason ?? 'requested_by_customer',
        steps,
        status: 'running',
        createdAt: now,
        updatedAt: now,
      };
      // A concurrent request with the same id wrote it first: run that one.
      await this.#tryWrite({ puts: [this.#compensations.put(record, 0)] }, maximumConflictRounds, true);
    }
    return this.#runCompensation(compensationId);
  }

  // -------------------------------------------------------------------------------------------
  // Repair
  // -------------------------------------------------------------------------------------------

  async repairStuckOrders(options: RepairStuckOrdersOptions): Promise<OrderRepairReport> {
    const limit = options.limit ?? 100;
    const leaseMs = this.#options.claimLeaseMs;
    const claimed: StoredRecord<OrderRecord>[] = [];
    for (const state of this.#deadlines.keys()) {
      const remaining = limit - claimed.length;
      if (remaining <= 0) break;
      claimed.push(...(await this.#orders.claim({ index: state, owner: options.owner, leaseMs, limit: remaining })));
    }
    const report = { claimed: claimed.length, examined: 0, repaired: 0, escalated: 0, deferred: 0, superseded: 0, errors: 0, compensationsResumed: 0 };
    const now = this.#clock.now();
    await forEachConcurrently(claimed, this.#options.concurrency, async (stored) => {
      const order = stored.value;
      if (now - order.stateEnteredAt < (this.#deadlines.get(order.state) as number)) {
        report.deferred += 1;
        return;
      }
      report.examined += 1;
      try {
        report[await this.#repair(stored)] += 1;
      } catch (error) {
        report.errors += 1;
        this.#logger.error({ orderId: order.orderId, state: order.state, errorCode: errorCodeOf(error) }, 'Repair of a stuck order failed; it is retried in the next pass');
      }
    });
    const compensations = await this.#compensations.claim({ index: 'running', owner: options.owner, leaseMs, limit: Math.max(1, limit - claimed.length) });
    for (const stored of compensations) {
      try {
        await this.#runCompensation(stored.key);
        report.compensationsResumed += 1;
      } catch (error) {
        report.errors += 1;
        this.#logger.error({ compensationId: stored.key, errorCode: errorCodeOf(error) }, 'Resuming a compensation failed; it is retried in the next pass');
      }
    }
    this.#logger.info({ owner: options.owner, ...report }, 'Order repair pass done');
    return Object.freeze(report);
  }

  /** Repairs one stuck order from provider and platform truth, or escalates it. */
  async #repair(stored: StoredRecord<OrderRecord>): Promise<'repaired' | 'escalated' | 'superseded'> {
    const order = stored.value;
    const now = this.#clock.now();
    const escalate = async (code: string, reason: string, states: { providerState?: OrderState; platformState?: OrderState } = {}): Promise<'escalated' | 'superseded'> => {
      const escalation = this.#escalation(order, code, reason, states);
      if (!(await this.#tryWrite({ puts: [this.#orders.put(escalation.order, stored.version), ...escalation.puts], outbox: escalation.outbox }, maximumConflictRounds, true))) {
        return 'superseded';
      }
      this.#observeEscalation(escalation.record);
      return 'escalated';
    };
    const truths: OrderPayment[] = [];
    for (const payment of order.payments) {
      const gateway = this.#gateways.get(payment.provider);
      const providerReference = payment.providerReference ?? (await this.#stateManagerPayments.get(payment.paymentId))?.value.providerReference;
      if (gateway === undefined || providerReference === undefined) {
        return escalate('provider_truth_unavailable', `payment '${payment.paymentId}' cannot be read at ${payment.provider}: ${gateway === undefined ? 'no gateway is configured for it' : 'its provider reference is unknown'}`);
      }
      try {
        truths.push(paymentOfSnapshot(payment, await gateway.retrieve({ providerReference }), now));
      } catch (error) {
        if (!ResourceNotFoundError.isInstance(error)) throw error;
        return escalate('provider_truth_unavailable', `${payment.provider} has no payment '${providerReference}'`);
      }
    }
    const providerState = orderStateFromPayments(order.amounts.total, truths);
    const platformOrder = await this.#readPlatformOrder(order.orderId);
    if (ImpossiblePlatformStateError.isInstance(platformOrder)) return escalate('platform_state_impossible', platformOrder.message, { providerState });
    if (platformOrder === undefined) return escalate('platform_order_missing', `the platform has no order '${order.orderId}'`, { providerState });
    const platformState = platformOrder.canonicalState;
    const states = { providerState, platformState };
    if (!truthsAgree(platformState, providerState)) {
      return escalate('truths_disagree', `the provider's amounts say ${providerState}, the platform says ${platformState}, the order is ${order.state}`, states);
    }
    if (platformState === order.state) {
      const hours = Math.round((now - order.stateEnteredAt) / 360_000) / 10;
      return escalate('still_stuck', `${order.state} for ${hours} h: provider and platform agree, so someone must act (capture, cancel or release it)`, states);
    }
    // Truths that agree never say cart or checkout, which every non-terminal state reaches (see the
    // tests of orderStatePath). A repair never passes through money the truths do not show
    // (fulfilled -> partially_refunded -> partially_fulfilled -> on_hold).
    const path = orderStatePath(order.state, platformState) as OrderState[];
    if (path.slice(0, -1).some((step) => orderPaymentRank[step] > orderPaymentRank[platformState])) {
      return escalate('no_legal_path', `provider and platform agree on ${platformState}, which the canonical machine reaches from ${order.state} only through money they do not show`, states);
    }
    const cause: OrderTransitionCause = { kind: 'repair', id: `order.repair:${order.orderId}:v${order.version}`, detail: `provider and platform agree on ${platformState}` };
    const payments = order.payments.map((payment, index) => mergeProviderTruth(payment, truths[index] as OrderPayment, now));
    const { order: next, transitions } = this.#advance(this.#withPayments(order, payments), path, cause);
    const batch = { puts: [this.#orders.put(next, stored.version)], outbox: [this.#orderMessage(next, transitions, [], cause, now)] };
    if (!(await this.#tryWrite(batch, maximumConflictRounds, true))) return 'superseded';
    this.#observeTransitions(transitions, cause);
    this.#logger.info({ orderId: order.orderId, from: order.state, to: platformState }, 'Stuck order repaired: provider and platform agree');
    return 'repaired';
  }

  // -------------------------------------------------------------------------------------------
  // Outbox
  // -------------------------------------------------------------------------------------------

  outboxHandlers(): Readonly<Record<string, OutboxHandler>> {
    const { platformPayment, platformOrder } = this.#options.topics;
    return Object.freeze({
      [platformPayment]: async (message: OutboxMessage) => {
        const result = await this.handlePaymentOutcome(decodePlatformPaymentMessage(message));
        if (result.status === 'deferred') {
          // Retried by the relay with back-off, like a provider redelivery.
          throw new PaymigrateError('ORDER_OUTCOME_DEFERRED', `Payment outcome ${message.sequence} waits for an earlier one: ${result.reason}`, { isRetryable: true });
        }
      },
      [platformOrder]: (message: OutboxMessage) => this.#deliverPlatformOrder(message),
    });
  }

  /** Calls the platform for one order update, each call with its own idempotency key. */
  async #deliverPlatformOrder(message: OutboxMessage): Promise<void> {
    // Enqueued by this process with exactly this payload: the message it was encoded from. Any
    // other payload (another process, a retry after the memory moved on) is decoded and validated.
    const update = this.#enqueuedUpdates.take(message.deduplicationId, message.payload) ?? decodePlatformOrderMessage(message);
    for (const action of update.actions) {
      try {
        if (action.type === 'record_payment') {
          await this.#platform.recordPayment({
            idempotencyKey: action.idempotencyKey,
            orderId: update.orderId,
            kind: action.kind,
            amount: action.amount,
            provider: action.provider,
            providerReference: action.providerReference,
            operationReference: action.operationReference,
          });
        } else {
          await this.#platform.cancelOrder({ idempotencyKey: action.idempotencyKey, orderId: update.orderId, reason: action.reason, staffNote: action.staffNote });
        }
      } catch (error) {
        if (!isRefusal(error)) throw error;
        // No retry fixes a refusal: the order is escalated and the update acknowledged, so the
        // order's later updates are not blocked behind it.
        const what = action.type === 'record_payment' ? `recording a ${action.kind} of ${action.amount.toString()}` : 'cancelling the order';
        await this.#escalateOrder(update.orderId, 'platform_refused', `the platform refused ${what} (${errorCodeOf(error)}) after the order moved to ${update.state}`);
      }
    }
    if (update.actions.length > 0) this.#instruments.syncLatency.record(this.#clock.now() - update.receivedAt, { platform: this.#platform.platform });
  }

  // -------------------------------------------------------------------------------------------
  // Payment changes
  // -------------------------------------------------------------------------------------------

  /**
   * Finds the order and payment of a provider reference: the synchronizer's own index, else the
   * state manager's records. `managed` tells whether the state manager holds the payment.
   */
  async #locate(
    provider: string,
    providerReference: string,
  ): Promise<(LocatedPayment & { readonly managed: boolean; readonly order?: Promise<StoredRecord<OrderRecord> | undefined> | undefined }) | undefined> {
    const referenceKey = orderPaymentReferenceKey(provider, providerReference);
    // The reference this process wrote (at registration, say) names the order and payment before
    // the index is read: both are read along with it, in one round. The index read still decides:
    // the early reads are used only when it names the same order and payment.
    const hint = this.#references.lastWritten(referenceKey);
    const hinted =
      hint === undefined ? undefined : { hint, order: readEarly(this.#orders.get(hint.orderId)), managed: readEarly(this.#stateManagerPayments.get(hint.paymentId)) };
    const own = (await this.#references.get(referenceKey))?.value;
    const paymentId = own?.paymentId ?? (await this.#stateManagerReferences.get(providerReferenceKey(provider, providerReference)))?.value.paymentId;
    if (paymentId === undefined) return undefined;
    const early = own !== undefined && hinted !== undefined && hinted.hint.orderId === own.orderId && hinted.hint.paymentId === own.paymentId ? hinted : undefined;
    // Our own index names the order: it is read with the state manager's payment, in one round.
    const order = own === undefined ? undefined : (early?.order ?? readEarly(this.#orders.get(own.orderId)));
    const managed = (await (early?.managed ?? this.#stateManagerPayments.get(paymentId)))?.value;
    if (own !== undefined) return { ...own, indexed: true, managed: managed !== undefined, order };
    if (managed?.orderId === undefined) return undefined;
    return { orderId: managed.orderId, paymentId, provider, providerReference, amount: managed.amount, managed: true };
  }

  /**
   * Applies one payment change to its order, once per key, with the platform update in the same
   * batch. The event's admission place is given back as soon as its batch is queued: the commit
   * is shared with the rest of its chunk, and the next chunk is handled while it syncs.
   */
  async #applyChange(
    key: string,
    cause: OrderTransitionCause,
    change: PaymentChange,
    located: LocatedPayment,
    receivedAt: number,
    ticket: OrderEventTicket,
    early: EarlyReads,
  ): Promise<OrderEventResult> {
    const ids = { orderId: located.orderId, paymentId: located.paymentId };
    for (let round = 1; ; round += 1) {
      // Both read at once (the first round's were started with the event's earlier reads); a
      // round after a compare-and-set conflict reads both again.
      const first = round === 1 ? early : undefined;
      const [processed, stored] = await Promise.all([first?.processed ?? this.#processed.get(key), first?.order ?? this.#orders.get(located.orderId)]);
      if (processed !== undefined) return { status: 'duplicate', ...ids, transitions: [] };
      const loaded = await this.#loadOrder(located.orderId, stored);
      if (loaded === undefined) return { status: 'unknown_order', ...ids, reason: `the platform has no order '${located.orderId}'`, transitions: [] };
      const { order, version } = loaded;
      const known = order.payments.find((payment) => payment.paymentId === located.paymentId);
      const payment: OrderPayment = {
        ...(known ?? newOrderPayment({ ...located, currency: order.amounts.total.currency, at: change.at })),
        providerReference: known?.providerReference ?? located.providerReference,
        amount: known?.amount ?? located.amount,
      };
      const decision = applyPaymentChange(payment, change);
      if (decision.kind === 'defer') return { status: 'deferred', ...ids, reason: decision.reason, transitions: [] };
      const processedAt = this.#clock.now();
      if (decision.kind === 'ignore') {
        const ignoring = this.#tryWrite({ puts: [this.#processed.put({ key, orderId: located.orderId, outcome: 'ignored', reason: decision.reason, processedAt }, 0)] }, round);
        ticket.release();
        if (!(await ignoring)) continue;
        return { status: 'ignored', ...ids, reason: decision.reason, transitions: [] };
      }
      const update = this.#planPaymentUpdate(order, decision.payment, decision.effect, cause);
      const outbox: OutboxMessageInput[] = [];
      if (update.transitions.length > 0 || update.actions.length > 0) outbox.push(this.#orderMessage(update.order, update.transitions, update.actions, cause, receivedAt));
      outbox.push(...update.flags.map((flag) => this.#flagMessage(update.order, flag)));
      const puts = [
        this.#processed.put({ key, orderId: located.orderId, outcome: 'applied', processedAt }, 0),
        this.#orders.put(update.order, version),
        ...(isIndexed(located, decision.payment) ? [] : this.#referencePut(located.orderId, decision.payment)),
      ];
      // Queued synchronously by `write`: the place goes back before the commit is awaited.
      const writing = this.#tryWrite({ puts, outbox }, round);
      ticket.release();
      if (!(await writing)) continue;
      this.#observeTransitions(update.transitions, cause);
      for (const flag of update.flags) this.#logger.warn({ orderId: located.orderId, code: flag.code, causeId: cause.id }, `Order flagged: ${flag.reason}`);
      return { status: 'applied', ...ids, transitions: update.transitions };
    }
  }

  /** The transitions, platform calls and flags a changed payment asks of its order. */
  #planPaymentUpdate(order: OrderRecord, payment: OrderPayment, effect: PaymentChangeEffect, cause: OrderTransitionCause): PaymentUpdate {
    const from = order.state;
    const now = this.#clock.now();
    const withMoney = this.#withPayments(order, this.#replacePayment(order.payments, payment));
    const derived = orderStateFromAmounts(withMoney.amounts, withMoney.payments);
    const terminal = orderStateMachine.isTerminal(from);
    const flags: OrderFlag[] = [];
    let targets: OrderState[] = [];
    if (effect.failedCapture !== undefined) {
      const failed = effect.failedCapture;
      flags.push({
        code: 'capture_failed_after_paid',
        reason: `capture '${failed.reference}' of ${failed.amount.toString()} failed after the platform was told it succeeded; reverse it on the platform`,
        causeId: cause.id,
        at: now,
      });
      // Compensation of the "platform shows paid" step: back through on_hold to what the money says.
      if ((from === 'paid' || from === 'partially_paid') && derived !== from) targets = ['on_hold', ...(orderStatePath('on_hold', derived) ?? [])];
    } else if (effect.failedRefund !== undefined) {
      const failed = effect.failedRefund;
      flags.push({
        code: 'refund_failed_after_refunded',
        reason: `refund '${failed.reference}' of ${failed.amount.toString()} failed or was reversed after it was counted; the order never moves back, so check it with the provider`,
        causeId: cause.id,
        at: now,
      });
    } else if (!terminal) {
      const repeated = (from === 'partially_paid' && effect.newCapture !== undefined) || (from === 'partially_refunded' && effect.newRefund !== undefined);
      if (derived === from) targets = repeated ? [from] : [];
      // Every non-terminal state reaches every state money can say (checked by the tests of orderStatePath).
      else if (isForwardMove(from, derived)) targets = orderStatePath(from, derived) as OrderState[];
    }
    const flagged = flags.length === 0 ? withMoney : { ...withMoney, flags: [...withMoney.flags, ...flags] };
    const { order: next, transitions } = this.#advance(flagged, targets, cause);
    const actions = terminal ? [] : this.#paymentActions(order.orderId, from, targets, payment, effect);
    return { order: next, transitions, actions, flags };
  }

  /** The platform calls that report a payment change. */
  #paymentActions(orderId: string, from: OrderState, targets: readonly OrderState[], payment: OrderPayment, effect: PaymentChangeEffect): PlatformOrderAction[] {
    const providerReference = payment.providerReference;
    if (providerReference === undefined) return [];
    const record = (kind: 'authorization' | 'capture' | 'refund' | 'void', amount: Money, what: string, operationReference?: string): PlatformOrderAction => ({
      type: 'record_payment',
      idempotencyKey: this.#key(orderId, payment.paymentId, what),
      kind,
      amount,
      provider: payment.provider,
      providerReference,
      operationReference,
    });
    const actions: PlatformOrderAction[] = [];
    if (effect.authorizationGrew === true && targets.includes('authorized')) actions.push(record('authorization', payment.authorized.max(capturedOf(payment)), 'authorization'));
    if (effect.newCapture !== undefined) actions.push(record('capture', effect.newCapture.amount, `capture:${effect.newCapture.reference}`, effect.newCapture.reference));
    if (effect.newRefund !== undefined) actions.push(record('refund', effect.newRefund.amount, `refund:${effect.newRefund.reference}`, effect.newRefund.reference));
    const released = effect.released;
    if (released !== undefined && effect.expired !== true) {
      if ((from === 'authorized' || from === 'partially_paid') && released.isPositive()) {
        actions.push(record('void', released, 'void'));
      } else if (targets.at(-1) === 'cancelled') {
        actions.push({ type: 'cancel_order', idempotencyKey: this.#key(orderId, payment.paymentId, 'cancel'), reason: 'other', staffNote: 'The payment authorization was voided at the provider.' });
      }
    }
    return actions;
  }

  // -------------------------------------------------------------------------------------------
  // Platform changes and cancellations
  // -------------------------------------------------------------------------------------------

  /** What a platform's state asks of the order: a move (with compensations), an escalation, or nothing. */
  #platformPlan(
    order: OrderRecord,
    platformState: OrderState,
    cause: OrderTransitionCause,
    cancellationStarted: boolean,
  ):
    | { readonly kind: 'move'; readonly targets: readonly OrderState[]; readonly compensation?: OrderCompensationRecord | undefined }
    | { readonly kind: 'escalate'; readonly code: string; readonly reason: string }
    | { readonly kind: 'ignore'; readonly reason: string } {
    const state = order.state;
    if (platformState === state) return { kind: 'ignore', reason: `the platform agrees (${state})` };
    if (platformState === 'cancelled') {
      if (orderStateMachine.canTransition(state, 'cancelled')) return { kind: 'move', targets: ['cancelled'], compensation: this.#cancellationCompensation(order, cause) };
      // The machine has no partially_paid -> cancelled: the refunds and the void take it to refunded.
      if (state === 'partially_paid') {
        return cancellationStarted
          ? { kind: 'ignore', reason: 'the compensations of the cancellation are already running' }
          : { kind: 'move', targets: [], compensation: this.#cancellationCompensation(order, cause) };
      }
      return { kind: 'escalate', code: 'platform_cancelled_unexpectedly', reason: `the platform cancelled the order while it is ${state}, which cannot be cancelled` };
    }
    const path = orderStatePath(state, platformState);
    const throughPlatformStates = path !== undefined && platformOwnedStates.has(platformState) && path.slice(0, -1).every((step) => platformOwnedStates.has(step));
    const holdReleased = state === 'on_hold' && path?.length === 1 && platformState === orderStateFromPayments(order.amounts.total, order.payments);
    if (path !== undefined && (throughPlatformStates || holdReleased)) return { kind: 'move', targets: path };
    return { kind: 'ignore', reason: `the platform says ${platformState}, the order is ${state}: the payments decide that, not the platform` };
  }

  /** The journaled compensation of cancelling an order that holds money (void, refund); `undefined` when it holds none. */
  #cancellationCompensation(order: OrderRecord, cause: OrderTransitionCause): OrderCompensationRecord | undefined {
    const steps = planCancellationSteps(order);
    if (steps.length === 0) return undefined;
    const now = this.#clock.now();
    return {
      compensationId: `${order.orderId}.cancellation`,
      orderId: order.orderId,
      kind: 'platform_cancellation',
      cause,
      reason: 'order_cancelled',
      steps,
      status: 'running',
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Runs a compensation's steps in order, journaling each before it is sent (with the payment's
   * operation sequence, so a retry replays it) and after. A step still being driven by the state
   * manager stops the run: a later repair pass resumes it. A failed step escalates the order.
   */
  async #runCompensation(compensationId: string): Promise<OrderCompensationRecord> {
    for (let round = 1; ; round += 1) {
      const stored = (await this.#compensations.get(compensationId)) as StoredRecord<OrderCompensationRecord>;
      const record = stored.value;
      if (record.status !== 'running') return record;
      const index = record.steps.findIndex((step) => step.status === 'planned' || step.status === 'requested');
      const now = this.#clock.now();
      if (index === -1) {
        const failed = record.steps.some((step) => step.status === 'failed');
        const finished: OrderCompensationRecord = { ...record, status: failed ? 'failed' : 'completed', updatedAt: now };
        if (!(await this.#tryWrite({ puts: [this.#compensations.put(finished, stored.version)] }, round))) continue;
        if (failed) {
          const steps = finished.steps
            .filter((step) => step.status === 'failed')
            .map((step) => `${step.action}${step.amount === undefined ? '' : ` of ${step.amount.toString()}`} on payment ${step.paymentId} at ${step.provider} (${step.errorCode})`);
          await this.#escalateOrder(record.orderId, 'compensation_failed', `the ${record.kind} failed: ${steps.join(', ')}; the money must be moved by hand`);
        }
        return finished;
      }
      const step = record.steps[index] as OrderCompensationStep;
      const withStep = (changed: OrderCompensationStep): OrderCompensationRecord => ({
        ...record,
        steps: record.steps.map((candidate, position) => (position === index ? changed : candidate)),
        updatedAt: now,
      });
      if (step.status === 'planned') {
        const counters = (await this.#options.operations.payment?.(step.paymentId))?.operationCounters;
        const sequence = counters === undefined ? undefined : (step.action === 'refund' ? counters.refund : counters.cancel) + 1;
        // Journaled before it is sent: a crash after this point replays the same operation.
        await this.#tryWrite({ puts: [this.#compensations.put(withStep({ ...step, status: 'requested', sequence }), stored.version)] }, round);
        continue;
      }
      const outcome = await this.#sendStep(record, step);
      if (outcome.status === 'requested') {
        this.#logger.info({ compensationId, paymentId: step.paymentId, action: step.action, errorCode: outcome.errorCode }, 'Compensation step still in progress; a repair pass resumes it');
        return record;
      }
      if (!(await this.#tryWrite({ puts: [this.#compensations.put(withStep({ ...step, ...outcome }), stored.version)] }, round))) continue;
      this.#instruments.compensations.add(1, { kind: record.kind, action: step.action, outcome: outcome.status });
      if (outcome.status === 'failed') this.#logger.error({ compensationId, paymentId: step.paymentId, action: step.action, errorCode: outcome.errorCode }, 'Compensation step failed');
    }
  }

  /** Sends one step to the payment's pinned provider (through the payment operations). */
  async #sendStep(record: OrderCompensationRecord, step: OrderCompensationStep): Promise<{ readonly status: OrderCompensationStep['status']; readonly errorCode?: string | undefined }> {
    const operations = this.#options.operations;
    try {
      const outcome =
        step.action === 'refund'
          ? await operations.refund({ paymentId: step.paymentId, amount: step.amount as Money, reason: record.reason, sequence: step.sequence })
          : await operations.cancel({ paymentId: step.paymentId, sequence: step.sequence });
      if (outcome.status === 'succeeded') return { status: 'succeeded' };
      if (outcome.status === 'failed' || outcome.status === 'unresolved') return { status: 'failed', errorCode: outcome.errorCode ?? outcome.status };
      return { status: 'requested', errorCode: outcome.errorCode ?? outcome.status };
    } catch (error) {
      // A refusal before anything was sent (nothing refundable, wrong state) fails the step; a
      // transient error leaves it requested for the next pass.
      if (PaymigrateError.isInstance(error) && !error.isRetryable) return { status: 'failed', errorCode: error.code };
      return { status: 'requested', errorCode: errorCodeOf(error) };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Escalations
  // -------------------------------------------------------------------------------------------

  /** An escalation of `order`, ready for a batch (the order leaves the repair index until it moves again). */
  #escalation(order: OrderRecord, code: string, reason: string, states: { readonly providerState?: OrderState | undefined; readonly platformState?: OrderState | undefined }): Escalation {
    const now = this.#clock.now();
    const escalationId = `${order.orderId}.v${order.version}.${code}`;
    const record: OrderEscalationRecord = { escalationId, orderId: order.orderId, code, reason, orderState: order.state, ...states, at: now };
    const { escalated } = this.#options.topics;
    return {
      order: { ...order, escalation: { escalationId, code, reason, at: now }, updatedAt: now },
      record,
      puts: [this.#escalations.put(record, 'any')],
      outbox: [{ topic: escalated, orderingKey: `${escalated}:${order.orderId}`, deduplicationId: `order.escalated:${escalationId}`, payload: JSON.stringify(record) }],
    };
  }

  /** Escalates a tracked order on its own (compare-and-set on the order). */
  async #escalateOrder(orderId: string, code: string, reason: string): Promise<void> {
    for (let round = 1; ; round += 1) {
      const stored = await this.#requireOrder(orderId);
      const escalation = this.#escalation(stored.value, code, reason, {});
      if (!(await this.#tryWrite({ puts: [this.#orders.put(escalation.order, stored.version), ...escalation.puts], outbox: escalation.outbox }, round))) continue;
      this.#observeEscalation(escalation.record);
      return;
    }
  }

  #observeEscalation(record: OrderEscalationRecord): void {
    this.#instruments.escalations.add(1, { code: record.code });
    this.#logger.warn({ orderId: record.orderId, code: record.code, orderState: record.orderState }, `Order escalated: ${record.reason}`);
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  #newOrder(orderId: string, total: Money, state: OrderState): OrderRecord {
    const now = this.#clock.now();
    return {
      orderId,
      platform: this.#platform.platform,
      state,
      version: 1,
      stateEnteredAt: now,
      paymentIds: [],
      payments: [],
      amounts: orderAmountsOf(total, []),
      history: [],
      flags: [],
      createdAt: now,
      updatedAt: now,
    };
  }

  /** The tracked order (`stored`, as just read), or the platform's order as a new record (version 0: not written yet). */
  async #loadOrder(orderId: string, stored: StoredRecord<OrderRecord> | undefined): Promise<{ readonly order: OrderRecord; readonly version: number } | undefined> {
    if (stored !== undefined) return { order: stored.value, version: stored.version };
    const platformOrder: PlatformOrder | undefined = await this.#platform.getOrder({ orderId });
    return platformOrder === undefined ? undefined : { order: this.#newOrder(orderId, platformOrder.total, platformOrder.canonicalState), version: 0 };
  }

  /** The platform's order; an order the platform adapter cannot map comes back as the error, to be escalated. */
  async #readPlatformOrder(orderId: string): Promise<PlatformOrder | ImpossiblePlatformStateError | undefined> {
    try {
      return await this.#platform.getOrder({ orderId });
    } catch (error) {
      if (ImpossiblePlatformStateError.isInstance(error)) return error;
      throw error;
    }
  }

  async #requireOrder(orderId: string): Promise<StoredRecord<OrderRecord>> {
    const stored = await this.#orders.get(orderId);
    if (stored === undefined) throw new OrderNotFoundError({ orderId });
    return stored;
  }

  #replacePayment(payments: readonly OrderPayment[], payment: OrderPayment): OrderPayment[] {
    const index = payments.findIndex((candidate) => candidate.paymentId === payment.paymentId);
    return index === -1 ? [...payments, payment] : payments.map((candidate, position) => (position === index ? payment : candidate));
  }

  #withPayments(order: OrderRecord, payments: readonly OrderPayment[]): OrderRecord {
    const lastEventAt = payments.reduce<number | undefined>((latest, payment) => Math.max(latest ?? 0, payment.lastEventAt), order.lastEventAt);
    return {
      ...order,
      payments,
      paymentIds: payments.map((payment) => payment.paymentId),
      amounts: orderAmountsOf(order.amounts.total, payments),
      lastEventAt,
      updatedAt: this.#clock.now(),
    };
  }

  /** Moves the order through `targets`, one version per step, each checked by the canonical machine. */
  #advance(order: OrderRecord, targets: readonly OrderState[], cause: OrderTransitionCause): { readonly order: OrderRecord; readonly transitions: OrderStateChange[] } {
    const now = this.#clock.now();
    let next = order;
    const transitions: OrderStateChange[] = [];
    for (const to of targets) {
      orderStateMachine.assertTransition(next.state, to, order.orderId);
      const version = next.version + 1;
      transitions.push({ from: next.state, to });
      next = {
        ...next,
        state: to,
        version,
        stateEnteredAt: now,
        history: [...next.history, { version, from: next.state, to, cause, at: now }],
        escalation: undefined,
        updatedAt: now,
      };
    }
    return { order: next, transitions };
  }

  #referencePut(orderId: string, payment: OrderPayment): JournalPut[] {
    const providerReference = payment.providerReference;
    if (providerReference === undefined) return [];
    // Derived from the order and identical on every replay: written unconditionally.
    return [this.#references.put({ provider: payment.provider, providerReference, orderId, paymentId: payment.paymentId }, 'any')];
  }

  /** A platform idempotency key for one call, the same on every replay, without a digit (see `orderIdempotencyKey`). */
  #key(orderId: string, paymentId: string, what: string): string {
    return orderIdempotencyKey(orderId, paymentId, what);
  }

  #orderMessage(
    order: OrderRecord,
    transitions: readonly OrderStateChange[],
    actions: readonly PlatformOrderAction[],
    cause: OrderTransitionCause,
    receivedAt: number,
  ): OutboxMessageInput {
    let version = order.version - transitions.length;
    const message: PlatformOrderMessage = {
      orderId: order.orderId,
      version: order.version,
      state: order.state,
      transitions: transitions.map((transition) => ({ ...transition, version: (version += 1) })),
      actions,
      cause,
      receivedAt,
    };
    const payload = encodePlatformOrderMessage(message);
    this.#enqueuedUpdates.remember(cause.id, payload, message);
    return { topic: this.#options.topics.platformOrder, orderingKey: order.orderId, deduplicationId: cause.id, payload };
  }

  #flagMessage(order: OrderRecord, flag: OrderFlag): OutboxMessageInput {
    const { flagged } = this.#options.topics;
    return {
      topic: flagged,
      // Its own ordering key: an unread flag never holds back the order's platform updates.
      orderingKey: `${flagged}:${order.orderId}`,
      deduplicationId: `order.flagged:${order.orderId}:${flag.causeId}`,
      payload: JSON.stringify({ orderId: order.orderId, state: order.state, version: order.version, ...flag }),
    };
  }

  /**
   * Writes a batch; `false` on a compare-and-set conflict so the caller reads again and decides
   * again. From round `maximumConflictRounds` on the conflict is thrown, unless `quiet` (then `false`).
   */
  async #tryWrite(batch: JournalWriteBatch, round: number, quiet = false): Promise<boolean> {
    try {
      await this.#options.journal.write(batch);
      return true;
    } catch (error) {
      if (!VersionConflictError.isInstance(error) || (round >= maximumConflictRounds && !quiet)) throw error;
      return false;
    }
  }

  #observeTransitions(transitions: readonly OrderStateChange[], cause: OrderTransitionCause): void {
    for (const transition of transitions) this.#instruments.transitions.add(1, { from: transition.from, to: transition.to, cause: cause.kind });
  }

  #observeEvent(source: 'provider' | 'outcome' | 'platform', result: OrderEventResult): OrderEventResult {
    this.#instruments.events.add(1, { source, result: result.status });
    return Object.freeze(result);
  }
}

/**
 * Creates the Order State Synchronizer (see `OrderStateSynchronizer`).
 *
 * @example
 * const orders = createOrderStateSynchronizer({ journal, platform: shopify, operations: transactions, gateways: [stripe, adyen] });
 * const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: orders.outboxHandlers() });
 * await orders.handleProviderEvent(await stripe.verifyWebhook(request));
 * await orders.repairStuckOrders({ owner: 'node-1' });
 * @throws ConfigurationError for invalid options.
 */
export function createOrderStateSynchronizer(options: OrderStateSynchronizerOptions): OrderStateSynchronizer {
  return new OrderSyncEngine(parseOptions(orderStateSynchronizerOptionsSchema, options, { component: 'orderStateSynchronizer' }));
}
