import { z } from 'zod';
import { JournalRepository } from '../journal/journal-repository.js';
import { WrittenValueRepository } from '../journal/written-value-repository.js';
import { moneySchema, timestampSchema } from '../journal/journal-schemas.js';
import type { Money } from '../money/money.js';
import { type OrderState, orderStates } from '../order/order-state.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { OrderAmounts, OrderPayment } from './order-payment-facts.js';

/** The collection of orders: key = order id, index = state (or `escalated`). */
export const ordersCollection = 'orders';

/** Events already handled by the synchronizer (provider webhooks, payment outcomes, platform webhooks). */
export const orderProcessedEventsCollection = 'order-processed-events';

/** Which order and payment a provider reference belongs to: key = `${provider}:${providerReference}`. */
export const orderPaymentReferencesCollection = 'order-payment-references';

/** Orders given to operators: key = escalation id, index = `open`. */
export const orderEscalationsCollection = 'order-escalations';

/** Compensations and platform-requested refunds (sagas): key = compensation id, index = status. */
export const orderCompensationsCollection = 'order-compensations';

/** The index value of an escalated order: repair passes no longer claim it. */
export const escalatedOrderIndex = 'escalated';

/** What caused a transition. */
export type OrderCauseKind = 'provider_event' | 'payment_outcome' | 'platform' | 'compensation' | 'repair' | 'operator';

/** The cause of a transition: its id is the transition's idempotency key and the outbox deduplication id. */
export interface OrderTransitionCause {
  /** What kind of cause. */
  readonly kind: OrderCauseKind;
  /**
   * Unique id of the cause (an event id, an intent id, a request id). It is the deduplication id
   * of the transition's outbox message, which shares one namespace with every other outbox
   * message: the synchronizer's own ids start with `order.`; give yours a prefix too.
   */
  readonly id: string;
  /** Free text for people (never card data). */
  readonly detail?: string | undefined;
}

/** One transition in an order's history. */
export interface OrderTransitionEntry {
  /** The order version this transition produced. */
  readonly version: number;
  /** State before. */
  readonly from: OrderState;
  /** State after. */
  readonly to: OrderState;
  /** What caused it. */
  readonly cause: OrderTransitionCause;
  /** When, epoch milliseconds. */
  readonly at: number;
}

/** A flag raised on an order for people to look at. */
export interface OrderFlag {
  /** Stable code (`capture_failed_after_paid`, ...). */
  readonly code: string;
  /** What happened, in words. */
  readonly reason: string;
  /** The cause that raised it. */
  readonly causeId: string;
  /** When, epoch milliseconds. */
  readonly at: number;
}

/** The open escalation of an order. */
export interface OrderEscalationSummary {
  /** The escalation record's key. */
  readonly escalationId: string;
  /** Stable code. */
  readonly code: string;
  /** Why, in words. */
  readonly reason: string;
  /** When, epoch milliseconds. */
  readonly at: number;
}

/**
 * An order as the synchronizer keeps it. Key = order id; index = state, or `escalated` while an
 * escalation is open (a later transition clears it).
 *
 * `version` counts transitions (1 on registration, +1 per transition); the journal record's own
 * version is the compare-and-set token (claims bump it too).
 */
export interface OrderRecord {
  /** The platform's order id. */
  readonly orderId: string;
  /** The platform (`shopify`, ...). */
  readonly platform: string;
  /** Canonical state. */
  readonly state: OrderState;
  /** Order version: 1 on registration, +1 per transition. */
  readonly version: number;
  /** When the order entered its state, epoch milliseconds (stuck-order deadlines count from it). */
  readonly stateEnteredAt: number;
  /** The order's payments, in the order they were attached. */
  readonly paymentIds: readonly string[];
  /** What the order knows about each payment. */
  readonly payments: readonly OrderPayment[];
  /** Money summed over the payments. */
  readonly amounts: OrderAmounts;
  /** When the last provider or platform event about it happened, epoch milliseconds. */
  readonly lastEventAt?: number | undefined;
  /** Every transition, oldest first. */
  readonly history: readonly OrderTransitionEntry[];
  /** Flags raised, oldest first. */
  readonly flags: readonly OrderFlag[];
  /** The open escalation, if any. */
  readonly escalation?: OrderEscalationSummary | undefined;
  /** When the synchronizer first saw the order, epoch milliseconds. */
  readonly createdAt: number;
  /** Last change, epoch milliseconds. */
  readonly updatedAt: number;
}

const stateSchema = z.enum(orderStates);
const causeSchema = z.object({
  kind: z.enum(['provider_event', 'payment_outcome', 'platform', 'compensation', 'repair', 'operator']),
  id: z.string().min(1),
  detail: z.string().optional(),
});

const orderPaymentSchema: z.ZodType<OrderPayment> = z.object({
  paymentId: z.string().min(1),
  provider: z.string().min(1),
  providerReference: z.string().optional(),
  amount: moneySchema.optional(),
  authorized: moneySchema,
  operations: z.array(
    z.object({
      reference: z.string().min(1),
      kind: z.enum(['capture', 'refund']),
      amount: moneySchema,
      status: z.enum(['succeeded', 'failed']),
      at: timestampSchema,
    }),
  ),
  voided: z.boolean(),
  expired: z.boolean(),
  failed: z.boolean(),
  lastEventAt: timestampSchema,
});

const orderSchema: z.ZodType<OrderRecord> = z.object({
  orderId: z.string().min(1),
  platform: z.string().min(1),
  state: stateSchema,
  version: z.number().int().positive(),
  stateEnteredAt: timestampSchema,
  paymentIds: z.array(z.string()),
  payments: z.array(orderPaymentSchema),
  amounts: z.object({ total: moneySchema, authorized: moneySchema, captured: moneySchema, refunded: moneySchema }),
  lastEventAt: timestampSchema.optional(),
  history: z.array(z.object({ version: z.number().int().positive(), from: stateSchema, to: stateSchema, cause: causeSchema, at: timestampSchema })),
  flags: z.array(z.object({ code: z.string(), reason: z.string(), causeId: z.string(), at: timestampSchema })),
  escalation: z.object({ escalationId: z.string(), code: z.string(), reason: z.string(), at: timestampSchema }).optional(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

/** The `orders` collection. */
export class OrderRepository extends WrittenValueRepository<OrderRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: ordersCollection,
      schema: orderSchema,
      keyOf: (order) => order.orderId,
      indexOf: (order) => (order.escalation === undefined ? order.state : escalatedOrderIndex),
    });
  }
}

/** An event the synchronizer handled. Key = its processed key (`provider:stripe:evt_1`, ...). */
export interface OrderProcessedEventRecord {
  /** The key. */
  readonly key: string;
  /** The order it was about, when one was found. */
  readonly orderId?: string | undefined;
  /** Whether it changed the order. */
  readonly outcome: 'applied' | 'ignored';
  /** Why it changed nothing. */
  readonly reason?: string | undefined;
  /** When, epoch milliseconds. */
  readonly processedAt: number;
}

/** The `order-processed-events` collection. */
export class OrderProcessedEventRepository extends JournalRepository<OrderProcessedEventRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: orderProcessedEventsCollection,
      schema: z.object({
        key: z.string().min(1),
        orderId: z.string().optional(),
        outcome: z.enum(['applied', 'ignored']),
        reason: z.string().optional(),
        processedAt: timestampSchema,
      }),
      keyOf: (event) => event.key,
      indexOf: () => undefined,
    });
  }
}

/** Which order and payment a provider reference belongs to. */
export interface OrderPaymentReferenceRecord {
  /** Provider. */
  readonly provider: string;
  /** The provider's payment reference. */
  readonly providerReference: string;
  /** The order. */
  readonly orderId: string;
  /** The payment. */
  readonly paymentId: string;
}

/** The key of a payment reference: `${provider}:${providerReference}`. */
export function orderPaymentReferenceKey(provider: string, providerReference: string): string {
  return `${provider}:${providerReference}`;
}

/** The `order-payment-references` collection. */
export class OrderPaymentReferenceRepository extends WrittenValueRepository<OrderPaymentReferenceRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: orderPaymentReferencesCollection,
      schema: z.object({ provider: z.string().min(1), providerReference: z.string().min(1), orderId: z.string().min(1), paymentId: z.string().min(1) }),
      keyOf: (reference) => orderPaymentReferenceKey(reference.provider, reference.providerReference),
      indexOf: () => undefined,
    });
  }
}

/** An order given to operators: the synchronizer never guesses, it escalates. */
export interface OrderEscalationRecord {
  /** Key: `${orderId}.v${version}.${code}`. */
  readonly escalationId: string;
  /** The order. */
  readonly orderId: string;
  /** Stable code (`truths_disagree`, `still_stuck`, `platform_refused`, ...). */
  readonly code: string;
  /** Why, in words: what each side says. */
  readonly reason: string;
  /** The order's canonical state then. */
  readonly orderState: OrderState;
  /** What the provider's amounts say, when read. */
  readonly providerState?: OrderState | undefined;
  /** What the platform says, when read. */
  readonly platformState?: OrderState | undefined;
  /** When, epoch milliseconds. */
  readonly at: number;
}

/** The `order-escalations` collection (index `open`). */
export class OrderEscalationRepository extends JournalRepository<OrderEscalationRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: orderEscalationsCollection,
      schema: z.object({
        escalationId: z.string().min(1),
        orderId: z.string().min(1),
        code: z.string().min(1),
        reason: z.string(),
        orderState: stateSchema,
        providerState: stateSchema.optional(),
        platformState: stateSchema.optional(),
        at: timestampSchema,
      }),
      keyOf: (escalation) => escalation.escalationId,
      indexOf: () => 'open',
    });
  }
}

/** One step of a compensation: the money movement that undoes (or carries out) a step of the order. */
export interface OrderCompensationStep {
  /** What the step does at the provider. */
  readonly action: 'refund' | 'void';
  /** The order step it undoes: a capture is undone by a refund, an authorization by a void; `platform_request` carries out a refund the platform asked for. */
  readonly compensates: 'capture' | 'authorization' | 'platform_request';
  /** The payment, pinned to its provider. */
  readonly paymentId: string;
  /** Provider that holds the payment. */
  readonly provider: string;
  /** Amount (refunds). */
  readonly amount?: Money | undefined;
  /** The payment's operation sequence used for this step, fixed before the first call so a retry replays it. */
  readonly sequence?: number | undefined;
  /** `planned` -> `requested` (sent, outcome pending) -> `succeeded` | `failed`. */
  readonly status: 'planned' | 'requested' | 'succeeded' | 'failed';
  /** The error or intent status that failed or delayed it. */
  readonly errorCode?: string | undefined;
}

/** A journaled saga of compensating steps (or the refunds a platform asked for). */
export interface OrderCompensationRecord {
  /** Key. */
  readonly compensationId: string;
  /** The order. */
  readonly orderId: string;
  /** Why the steps run. */
  readonly kind: 'platform_cancellation' | 'platform_refund';
  /** The cause that started it. */
  readonly cause: OrderTransitionCause;
  /** Refund reason sent to the provider. */
  readonly reason: 'requested_by_customer' | 'duplicate' | 'fraudulent' | 'order_cancelled';
  /** Steps, run in order. */
  readonly steps: readonly OrderCompensationStep[];
  /** `running` until every step succeeded (`completed`) or one failed (`failed`, escalated). */
  readonly status: 'running' | 'completed' | 'failed';
  /** When it started, epoch milliseconds. */
  readonly createdAt: number;
  /** Last change, epoch milliseconds. */
  readonly updatedAt: number;
}

/** The `order-compensations` collection (index = status). */
export class OrderCompensationRepository extends JournalRepository<OrderCompensationRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: orderCompensationsCollection,
      schema: z.object({
        compensationId: z.string().min(1),
        orderId: z.string().min(1),
        kind: z.enum(['platform_cancellation', 'platform_refund']),
        cause: causeSchema,
        reason: z.enum(['requested_by_customer', 'duplicate', 'fraudulent', 'order_cancelled']),
        steps: z.array(
          z.object({
            action: z.enum(['refund', 'void']),
            compensates: z.enum(['capture', 'authorization', 'platform_request']),
            paymentId: z.string().min(1),
            provider: z.string().min(1),
            amount: moneySchema.optional(),
            sequence: z.number().int().positive().optional(),
            status: z.enum(['planned', 'requested', 'succeeded', 'failed']),
            errorCode: z.string().optional(),
          }),
        ),
        status: z.enum(['running', 'completed', 'failed']),
        createdAt: timestampSchema,
        updatedAt: timestampSchema,
      }),
      keyOf: (compensation) => compensation.compensationId,
      indexOf: (compensation) => compensation.status,
    });
  }
}
