import { z } from 'zod';
import { moneySchema, timestampSchema } from '../journal/journal-schemas.js';
import type { Money } from '../money/money.js';
import type { OutboxMessage } from '../ports/journal/v1/journal.js';
import { OutboxPayloadInvalidError } from './outbox-errors.js';

/** The default topic of payment messages for the commerce platform. */
export const platformPaymentTopic = 'platform.payment';

/** Every kind of payment message the transaction state manager enqueues. */
export const platformPaymentMessageTypes = ['payment.authorized', 'payment.captured', 'payment.refunded', 'payment.voided', 'payment.failed'] as const;

/** One of `platformPaymentMessageTypes`. */
export type PlatformPaymentMessageType = (typeof platformPaymentMessageTypes)[number];

/**
 * A payment change for the commerce platform, enqueued in the same journal batch as the change
 * itself (transactional outbox) and delivered at least once. Never carries card data.
 */
export interface PlatformPaymentMessage {
  /** What happened. */
  readonly type: PlatformPaymentMessageType;
  /** Our payment id. */
  readonly paymentId: string;
  /** The platform's order id; messages without one are not recorded on the platform. */
  readonly orderId?: string | undefined;
  /** Our merchant reference. */
  readonly merchantReference: string;
  /** Provider that holds the payment. */
  readonly provider: string;
  /** The provider's payment reference (absent when the payment never reached the provider). */
  readonly providerReference?: string | undefined;
  /** The provider's reference of the capture or refund. */
  readonly operationReference?: string | undefined;
  /** Amount of the change. */
  readonly amount: Money;
  /** The intent (or event) that caused it. */
  readonly intentId: string;
  /** When paymigrate recorded it, epoch milliseconds. */
  readonly occurredAt: number;
}

const platformPaymentMessageSchema: z.ZodType<PlatformPaymentMessage> = z.object({
  type: z.enum(platformPaymentMessageTypes),
  paymentId: z.string().min(1),
  orderId: z.string().optional(),
  merchantReference: z.string(),
  provider: z.string().min(1),
  providerReference: z.string().optional(),
  operationReference: z.string().optional(),
  amount: moneySchema,
  intentId: z.string().min(1),
  occurredAt: timestampSchema,
});

/** The JSON payload of a payment message. */
export function encodePlatformPaymentMessage(message: PlatformPaymentMessage): string {
  return JSON.stringify(message);
}

/**
 * Reads the payment message an outbox message carries.
 *
 * @throws OutboxPayloadInvalidError when the payload is not JSON or not a payment message.
 */
export function decodePlatformPaymentMessage(message: Pick<OutboxMessage, 'payload' | 'topic' | 'sequence'>): PlatformPaymentMessage {
  let json: unknown;
  try {
    json = JSON.parse(message.payload);
  } catch {
    throw new OutboxPayloadInvalidError({ topic: message.topic, sequence: message.sequence, problem: 'it is not JSON' });
  }
  const parsed = platformPaymentMessageSchema.safeParse(json);
  if (!parsed.success) {
    // A failed parse always reports at least one issue.
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw new OutboxPayloadInvalidError({ topic: message.topic, sequence: message.sequence, problem: `'${issue.path.map(String).join('.')}' ${issue.message}` });
  }
  return parsed.data;
}
