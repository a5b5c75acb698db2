import { z } from 'zod';
import type { IntentStatus } from '../journal/intent-repository.js';
import type { Money } from '../money/money.js';
import type { Logger } from '../observability/logger.js';
import type { Meter } from '../observability/metrics.js';
import { type OrderState, orderStateMachine, orderStates } from '../order/order-state.js';
import { platformPaymentTopic } from '../outbox/platform-payment-message.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { CommercePlatformV1 } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { RefundInput } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { orderEscalatedTopic, orderFlaggedTopic, platformOrderTopic } from './order-platform-message.js';

/** What a refund or void through `PaymentOperations` came to. */
export interface PaymentOperationOutcome {
  /**
   * `succeeded` / `failed`: final. `pending`, `unknown`, `waiting`: still being driven (the step is
   * asked again later with the same sequence). `unresolved`: with the operators.
   */
  readonly status: IntentStatus;
  /** The code of the error that failed or delayed it. */
  readonly errorCode?: string | undefined;
}

/**
 * Money movements on a payment's pinned provider, as compensations need them. The Transaction
 * State Manager satisfies it as it is (`createTransactionStateManager(...)`): every call goes to the
 * provider that authorized the payment, whatever the router says now (invariant 2).
 */
export interface PaymentOperations {
  /** Refunds on the pinned provider. `sequence` replays an earlier call instead of refunding twice. */
  refund(input: {
    readonly paymentId: string;
    readonly amount: Money;
    readonly reason?: RefundInput['reason'];
    readonly sequence?: number | undefined;
  }): Promise<PaymentOperationOutcome>;
  /** Voids the authorization (or its uncaptured rest) on the pinned provider. */
  cancel(input: { readonly paymentId: string; readonly sequence?: number | undefined }): Promise<PaymentOperationOutcome>;
  /**
   * The payment's operation counters. When present, each compensation step fixes its sequence
   * (counter + 1) in the journal before the first call, so a retry after a crash replays the same
   * operation instead of starting a second one.
   */
  payment?(paymentId: string): Promise<{ readonly operationCounters: { readonly refund: number; readonly cancel: number } } | undefined>;
}

/** States that never end (no deadline may be set on them). */
const terminalStates = orderStates.filter((state) => orderStateMachine.isTerminal(state));

/** States a deadline may be set on. */
const nonTerminalStates = orderStates.filter((state) => !orderStateMachine.isTerminal(state));

/**
 * How long an order may stay in a state before a repair pass looks at it, by default: the states
 * where money waits for something (a payment outcome, a capture, a review, a retry).
 */
export const defaultOrderStateDeadlines: Readonly<Partial<Record<OrderState, number>>> = Object.freeze({
  checkout: 86_400_000,
  payment_pending: 3_600_000,
  authorized: 7 * 86_400_000,
  partially_paid: 7 * 86_400_000,
  on_hold: 3 * 86_400_000,
  expired: 86_400_000,
  failed: 86_400_000,
});

/** Options of `createOrderStateSynchronizer`. */
export interface OrderStateSynchronizerOptions {
  /** The journal (orders, processed events, escalations, compensations, the outbox). Must be opened. */
  readonly journal: JournalV1;
  /** The commerce platform: its orders are the platform truth, and its updates leave through the outbox. */
  readonly platform: CommercePlatformV1;
  /** Refunds and voids on the pinned provider (the Transaction State Manager). */
  readonly operations: PaymentOperations;
  /** Gateways by provider, to read provider truth (`retrieve`) when repairing stuck orders. @default none: such orders are escalated */
  readonly gateways?: readonly PaymentGatewayV1[] | undefined;
  /**
   * Milliseconds an order may stay in a state before a repair pass looks at it, merged over
   * `defaultOrderStateDeadlines`; `null` removes a default. Terminal states take none.
   */
  readonly deadlines?: Readonly<Partial<Record<OrderState, number | null>>> | undefined;
  /** How long a repair pass's claim on an order (or a compensation) lasts. @default 60_000 */
  readonly claimLeaseMs?: number | undefined;
  /** Orders repaired at the same time in one pass. @default 4 */
  readonly concurrency?: number | undefined;
  /**
   * Payment events (provider webhooks, payment outcomes) handled at a time. A burst beyond it is
   * handled in chunks of this size, each committed on its own, so the first platform updates leave
   * while later events are still being handled (see `OrderEventAdmission`). Smaller chunks start
   * the first updates sooner; each chunk costs a commit and a sync. @default 128
   */
  readonly eventChunkSize?: number | undefined;
  /** Outbox topics. */
  readonly topics?:
    | {
        /** Order updates for the platform. @default 'platform.order' */
        readonly platformOrder?: string | undefined;
        /** Payment outcomes of the Transaction State Manager. @default 'platform.payment' */
        readonly platformPayment?: string | undefined;
        /** Flagged orders. @default 'order.flagged' */
        readonly flagged?: string | undefined;
        /** Escalated orders. @default 'order.escalated' */
        readonly escalated?: string | undefined;
      }
    | undefined;
  /** Time source. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Logger. @default createLogger({ name: 'paymigrate.orders' }) */
  readonly logger?: Logger | undefined;
  /** OpenTelemetry meter. @default defaultMeter() */
  readonly meter?: Meter | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const hasFunctions = (value: unknown, names: readonly string[]): boolean => isObject(value) && names.every((name) => typeof value[name] === 'function');

const deadlineSchema = z.number().int().positive().nullable().optional();

/** The validated options with every default applied. */
export const orderStateSynchronizerOptionsSchema = z.object({
  journal: z
    .custom<JournalV1>((value) => isObject(value) && value['specificationVersion'] === 'v1' && hasFunctions(value, ['write', 'claim', 'get']), {
      message: 'must be a JournalV1 (specificationVersion v1)',
    })
    .meta({ fix: 'pass an opened journal adapter (InMemoryJournal, the SQLite or the PostgreSQL journal)' }),
  platform: z
    .custom<CommercePlatformV1>((value) => isObject(value) && value['specificationVersion'] === 'v1' && hasFunctions(value, ['getOrder', 'recordPayment', 'cancelOrder']), {
      message: 'must be a CommercePlatformV1 (specificationVersion v1)',
    })
    .meta({ fix: 'pass the commerce platform adapter (createShopifyPlatform, InMemoryCommercePlatform, ...)' }),
  operations: z
    .custom<PaymentOperations>((value) => hasFunctions(value, ['refund', 'cancel']), { message: 'must have refund(input) and cancel(input)' })
    .meta({ fix: 'pass the Transaction State Manager (createTransactionStateManager), which refunds and voids on the pinned provider' }),
  gateways: z
    .array(z.custom<PaymentGatewayV1>((value) => isObject(value) && typeof value['provider'] === 'string' && hasFunctions(value, ['retrieve'])))
    .refine((gateways) => new Set(gateways.map((gateway) => gateway.provider)).size === gateways.length, { message: 'provider names must be unique' })
    .default([])
    .meta({ fix: 'pass one gateway adapter per provider, each with a distinct provider name' }),
  deadlines: z
    .object(Object.fromEntries(nonTerminalStates.map((state) => [state, deadlineSchema])) as Record<OrderState, typeof deadlineSchema>)
    .strict()
    .default({})
    .meta({ fix: `give milliseconds (or null) for non-terminal states only; ${terminalStates.join(' and ')} are final and never stuck` }),
  claimLeaseMs: z.number().int().positive().default(60_000),
  concurrency: z.number().int().min(1).max(64).default(4),
  eventChunkSize: z.number().int().min(1).max(10_000).default(128),
  topics: z
    .object({
      platformOrder: z.string().min(1).default(platformOrderTopic),
      platformPayment: z.string().min(1).default(platformPaymentTopic),
      flagged: z.string().min(1).default(orderFlaggedTopic),
      escalated: z.string().min(1).default(orderEscalatedTopic),
    })
    .default({ platformOrder: platformOrderTopic, platformPayment: platformPaymentTopic, flagged: orderFlaggedTopic, escalated: orderEscalatedTopic }),
  clock: z.custom<ClockV1>((value) => hasFunctions(value, ['now', 'sleep'])).optional(),
  logger: z.custom<Logger>((value) => hasFunctions(value, ['info', 'warn', 'error'])).optional(),
  meter: z.custom<Meter>((value) => hasFunctions(value, ['createCounter', 'createHistogram'])).optional(),
});

/** Options after validation and defaults. */
export type ResolvedOrderStateSynchronizerOptions = z.output<typeof orderStateSynchronizerOptionsSchema>;

/** The deadline of every state that has one, after merging the options over the defaults. */
export function resolveDeadlines(given: Readonly<Partial<Record<OrderState, number | null | undefined>>>): ReadonlyMap<OrderState, number> {
  const merged = new Map<OrderState, number>();
  for (const state of orderStates) {
    const value = given[state] === undefined ? defaultOrderStateDeadlines[state] : given[state];
    if (typeof value === 'number') merged.set(state, value);
  }
  return merged;
}
