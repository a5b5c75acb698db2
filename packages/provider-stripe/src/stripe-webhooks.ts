import { type Money, type PaymentWebhookEvent, type PaymentWebhookEventType, type WebhookRequest, WebhookVerificationError } from '@paymigrate/core';
import Stripe from 'stripe';
import { stripeProviderName } from './stripe-error.js';
import { fromStripeAmount } from './stripe-money.js';
import { merchantReferenceMetadataKey } from './stripe-payment-snapshot.js';

/** The header Stripe signs webhooks in (lower case, as the port delivers headers). */
export const stripeSignatureHeader = 'stripe-signature';

/**
 * Stripe event types -> canonical types. Events not listed are `other` (never guessed). Some are
 * refined by their content (see `normalizeStripeEvent`):
 * - `payment_intent.canceled` by Stripe itself after expiry -> `payment.expired`;
 * - `charge.refunded` that only releases an uncaptured authorization -> `other`; one that refunds
 *   the customer reports `refundedTotal` (the charge's customer refunds so far), not an `amount`;
 * - `charge.refund.updated` / `refund.updated` -> `payment.refund_failed` only when the refund failed
 *   or was cancelled, else `other`.
 * `charge.succeeded`, `charge.captured`, `charge.failed`, `refund.created` are `other`: their
 * payment-intent counterparts carry the same news, and counting both would double it.
 */
export const stripeWebhookEventTypes: Readonly<Record<string, PaymentWebhookEventType>> = Object.freeze({
  'payment_intent.amount_capturable_updated': 'payment.authorized',
  'payment_intent.succeeded': 'payment.captured',
  'payment_intent.payment_failed': 'payment.authorization_failed',
  'payment_intent.canceled': 'payment.voided',
  'payment_intent.requires_action': 'payment.requires_action',
  'charge.refunded': 'payment.refunded',
  'charge.refund.updated': 'payment.refund_failed',
  'refund.updated': 'payment.refund_failed',
  'refund.failed': 'payment.refund_failed',
  'charge.dispute.created': 'payment.dispute_opened',
  'charge.dispute.closed': 'payment.dispute_closed',
  'payment_method.attached': 'payment_method.saved',
});

/** Options of {@link verifyStripeWebhook}. */
export interface VerifyStripeWebhookOptions {
  /** The endpoint's signing secret. */
  readonly secret: string;
  /** How old the signature may be, in seconds. */
  readonly toleranceSeconds: number;
}

type JsonRecord = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reject(reason: WebhookVerificationError['reason'], detail: string): WebhookVerificationError {
  return new WebhookVerificationError({ source: stripeProviderName, reason, detail });
}

/** Whether the header has a timestamp and at least one `v1` signature (the shape Stripe sends). */
function isWellFormedSignatureHeader(header: string): boolean {
  let timestamp = false;
  let signature = false;
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^[0-9]+$/.test(value)) timestamp = true;
    if (key === 'v1' && /^[0-9a-f]+$/i.test(value)) signature = true;
  }
  return timestamp && signature;
}

/**
 * Verifies a Stripe webhook with the SDK's own helper (`Stripe.webhooks.constructEvent`: HMAC-SHA256
 * of `"<t>.<raw body>"`, constant-time comparison, any of several `v1` signatures, timestamp
 * tolerance against `receivedAt`).
 *
 * @throws WebhookVerificationError with `missing-signature`, `malformed-signature`,
 *   `signature-mismatch`, `stale` or `malformed-body`; the message never repeats the body or the
 *   signature.
 */
export function verifyStripeWebhook(request: WebhookRequest, options: VerifyStripeWebhookOptions): Stripe.Event {
  const header = request.headers[stripeSignatureHeader];
  if (header === undefined || header.trim() === '') throw reject('missing-signature', 'no Stripe-Signature header');
  if (!isWellFormedSignatureHeader(header)) throw reject('malformed-signature', 'the Stripe-Signature header needs t=<seconds> and v1=<hex>');
  if (request.rawBody === '') throw reject('malformed-body', 'the body is empty');
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(request.rawBody, header, options.secret, options.toleranceSeconds, undefined, request.receivedAt);
  } catch (error) {
    if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) throw reject('malformed-body', 'the body is not JSON');
    // The SDK checks the signature before the age: if it verifies with the age check off, the age failed.
    try {
      Stripe.webhooks.constructEvent(request.rawBody, header, options.secret, 0);
    } catch {
      throw reject('signature-mismatch', 'no v1 signature matches the body and the endpoint secret');
    }
    throw reject('stale', `signed more than ${options.toleranceSeconds} seconds before it was received`);
  }
  if (
    !isRecord(event) ||
    typeof event['id'] !== 'string' ||
    typeof event['type'] !== 'string' ||
    typeof event['created'] !== 'number' ||
    !isRecord(event['data']) ||
    !isRecord(event['data']['object'])
  ) {
    throw reject('malformed-body', 'not a Stripe event (id, type, created, data.object)');
  }
  return event as unknown as Stripe.Event;
}

function stringField(object: JsonRecord, key: string): string | undefined {
  const value = object[key];
  if (typeof value === 'string') return value;
  return isRecord(value) && typeof value['id'] === 'string' ? value['id'] : undefined;
}

function amountField(object: JsonRecord, units: number | undefined): Money | undefined {
  const currency = object['currency'];
  if (typeof units !== 'number' || typeof currency !== 'string') return undefined;
  try {
    return fromStripeAmount(units, currency);
  } catch {
    return undefined;
  }
}

function numberField(object: JsonRecord, key: string): number | undefined {
  const value = object[key];
  return typeof value === 'number' ? value : undefined;
}

function metadataReference(object: JsonRecord): string | undefined {
  const metadata = object['metadata'];
  return isRecord(metadata) && typeof metadata[merchantReferenceMetadataKey] === 'string' ? (metadata[merchantReferenceMetadataKey] as string) : undefined;
}

/** Customer refunds of a charge object (the released rest of an authorization is not a refund). */
function chargeCustomerRefunds(charge: JsonRecord): number {
  if (charge['captured'] !== true) return 0;
  const amount = numberField(charge, 'amount') ?? 0;
  const captured = numberField(charge, 'amount_captured') ?? 0;
  const refunded = numberField(charge, 'amount_refunded') ?? 0;
  return Math.min(captured, Math.max(0, refunded - (amount - captured)));
}

interface NormalizedFields {
  readonly type: PaymentWebhookEventType;
  readonly success: boolean;
  readonly providerReference?: string | undefined;
  readonly operationReference?: string | undefined;
  readonly merchantReference?: string | undefined;
  readonly amount?: Money | undefined;
  readonly refundedTotal?: Money | undefined;
}

function paymentIntentFields(type: PaymentWebhookEventType, providerType: string, intent: JsonRecord): NormalizedFields {
  const base = { providerReference: stringField(intent, 'id'), merchantReference: metadataReference(intent) };
  switch (providerType) {
    case 'payment_intent.amount_capturable_updated':
      return { ...base, type, success: true, amount: amountField(intent, numberField(intent, 'amount_capturable')) };
    case 'payment_intent.succeeded':
      return { ...base, type, success: true, operationReference: stringField(intent, 'latest_charge'), amount: amountField(intent, numberField(intent, 'amount_received')) };
    case 'payment_intent.payment_failed':
      return { ...base, type, success: false, amount: amountField(intent, numberField(intent, 'amount')) };
    case 'payment_intent.canceled': {
      const reason = intent['cancellation_reason'];
      const expired = reason === 'automatic' || reason === 'expired';
      return { ...base, type: expired ? 'payment.expired' : type, success: true, amount: amountField(intent, numberField(intent, 'amount')) };
    }
    default:
      return { ...base, type, success: true, amount: amountField(intent, numberField(intent, 'amount')) };
  }
}

function refundFields(type: PaymentWebhookEventType, providerType: string, refund: JsonRecord): NormalizedFields {
  const status = refund['status'];
  const failed = status === 'failed' || status === 'canceled';
  const base = {
    providerReference: stringField(refund, 'payment_intent'),
    operationReference: stringField(refund, 'id'),
    merchantReference: metadataReference(refund),
    amount: amountField(refund, numberField(refund, 'amount')),
  };
  if (providerType === 'refund.failed' || failed) return { ...base, type, success: false };
  return { ...base, type: 'other', success: true };
}

function fieldsOf(providerType: string, object: JsonRecord): NormalizedFields {
  const type = stripeWebhookEventTypes[providerType] ?? 'other';
  if (providerType.startsWith('payment_intent.')) return paymentIntentFields(type, providerType, object);
  switch (providerType) {
    case 'charge.refunded': {
      // The charge's refunds so far, not the refund that raised the event: a running total, which
      // names no single refund (a refunds list, where an old API version sends one, may already
      // show a later refund). Counted as a total, a second refund is never taken for the sum of both.
      const refunded = chargeCustomerRefunds(object);
      return {
        type: refunded > 0 ? type : 'other',
        success: true,
        providerReference: stringField(object, 'payment_intent'),
        refundedTotal: refunded > 0 ? amountField(object, refunded) : undefined,
      };
    }
    case 'charge.refund.updated':
    case 'refund.created':
    case 'refund.updated':
    case 'refund.failed':
      return refundFields(type, providerType, object);
    case 'charge.dispute.created':
    case 'charge.dispute.closed':
      return {
        type,
        success: providerType === 'charge.dispute.created' || object['status'] === 'won',
        providerReference: stringField(object, 'payment_intent'),
        operationReference: stringField(object, 'id'),
        amount: amountField(object, numberField(object, 'amount')),
      };
    case 'payment_method.attached':
      return { type, success: true, operationReference: stringField(object, 'id') };
    default:
      return { type: 'other', success: true, providerReference: stringField(object, 'payment_intent') };
  }
}

/** Normalizes a verified Stripe event. The event id is the deduplication key; `occurredAt` is `created` in milliseconds. */
export function normalizeStripeEvent(event: Stripe.Event): PaymentWebhookEvent {
  const object = event.data.object as unknown as JsonRecord;
  const fields = fieldsOf(event.type, object);
  return {
    eventId: event.id,
    provider: stripeProviderName,
    providerType: event.type,
    occurredAt: event.created * 1000,
    ...fields,
  };
}
