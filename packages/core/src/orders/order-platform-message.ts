import { z } from 'zod';
import { moneySchema, timestampSchema } from '../journal/journal-schemas.js';
import type { Money } from '../money/money.js';
import { type OrderState, orderStates } from '../order/order-state.js';
import { OutboxPayloadInvalidError } from '../outbox/outbox-errors.js';
import type { PlatformCancelInput, PlatformPaymentUpdate } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { OutboxMessage } from '../ports/journal/v1/journal.js';
import type { OrderTransitionCause } from './order-records.js';

/** The default topic of order updates for the commerce platform. */
export const platformOrderTopic = 'platform.order';

/** The default topic of flagged orders (for people: alerting, a staff queue). */
export const orderFlaggedTopic = 'order.flagged';

/** The default topic of escalated orders (for operators). */
export const orderEscalatedTopic = 'order.escalated';

/** A platform call an order update asks for, with its own idempotency key. */
export type PlatformOrderAction =
  | {
      /** `CommercePlatformV1.recordPayment`. */
      readonly type: 'record_payment';
      /** The platform idempotency key: derived from the order, the payment and the operation, so it is the same on every replay. */
      readonly idempotencyKey: string;
      /** What happened at the provider. */
      readonly kind: PlatformPaymentUpdate['kind'];
      /** Amount. */
      readonly amount: Money;
      /** Provider that holds the payment. */
      readonly provider: string;
      /** The provider's payment reference. */
      readonly providerReference: string;
      /** The provider's reference of the capture or refund. */
      readonly operationReference?: string | undefined;
    }
  | {
      /** `CommercePlatformV1.cancelOrder`. */
      readonly type: 'cancel_order';
      /** The platform idempotency key. */
      readonly idempotencyKey: string;
      /** Why. */
      readonly reason: PlatformCancelInput['reason'];
      /** Note for staff. */
      readonly staffNote?: string | undefined;
    };

/**
 * An order update for the commerce platform (topic `platform.order`, ordering key = order id,
 * deduplication id = the cause id), enqueued in the same journal batch as the order change it
 * reports. Every transition is announced; only `actions` call the platform.
 */
export interface PlatformOrderMessage {
  /** The order. */
  readonly orderId: string;
  /** The order's version after the change. */
  readonly version: number;
  /** The order's state after the change. */
  readonly state: OrderState;
  /** Transitions of this change, in order (empty when only money was recorded). */
  readonly transitions: readonly { readonly from: OrderState; readonly to: OrderState; readonly version: number }[];
  /** Platform calls, in order. */
  readonly actions: readonly PlatformOrderAction[];
  /** What caused the change. */
  readonly cause: OrderTransitionCause;
  /** When paymigrate received the event that caused it, epoch milliseconds (sync latency counts from it). */
  readonly receivedAt: number;
}

const stateSchema = z.enum(orderStates);

const messageSchema: z.ZodType<PlatformOrderMessage> = z.object({
  orderId: z.string().min(1),
  version: z.number().int().positive(),
  state: stateSchema,
  transitions: z.array(z.object({ from: stateSchema, to: stateSchema, version: z.number().int().positive() })),
  actions: z.array(
    z.discriminatedUnion('type', [
      z.object({
        type: z.literal('record_payment'),
        idempotencyKey: z.string().min(1).max(64),
        kind: z.enum(['authorization', 'capture', 'refund', 'void']),
        amount: moneySchema,
        provider: z.string().min(1),
        providerReference: z.string().min(1),
        operationReference: z.string().optional(),
      }),
      z.object({
        type: z.literal('cancel_order'),
        idempotencyKey: z.string().min(1).max(64),
        reason: z.enum(['customer', 'fraud', 'inventory', 'declined', 'other']),
        staffNote: z.string().optional(),
      }),
    ]),
  ),
  cause: z.object({
    kind: z.enum(['provider_event', 'payment_outcome', 'platform', 'compensation', 'repair', 'operator']),
    id: z.string().min(1),
    detail: z.string().optional(),
  }),
  receivedAt: timestampSchema,
});

/** The JSON payload of an order update. */
export function encodePlatformOrderMessage(message: PlatformOrderMessage): string {
  return JSON.stringify(message);
}

/**
 * Reads the order update an outbox message carries.
 *
 * @throws OutboxPayloadInvalidError when the payload is not JSON or not an order update.
 */
export function decodePlatformOrderMessage(message: Pick<OutboxMessage, 'payload' | 'topic' | 'sequence'>): PlatformOrderMessage {
  let json: unknown;
  try {
    json = JSON.parse(message.payload);
  } catch {
    throw new OutboxPayloadInvalidError({ topic: message.topic, sequence: message.sequence, problem: 'it is not JSON' });
  }
  const parsed = messageSchema.safeParse(json);
  if (!parsed.success) {
    // A failed parse always reports at least one issue.
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw new OutboxPayloadInvalidError({ topic: message.topic, sequence: message.sequence, problem: `'${issue.path.map(String).join('.')}' ${issue.message}` });
  }
  return parsed.data;
}
