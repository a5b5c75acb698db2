import { type Money, type PaymentWebhookEvent, type PaymentWebhookEventType, type WebhookRequest, WebhookVerificationError } from '@paymigrate/core';
import type { PayPalRequestBuilderFactory } from './paypal-client.js';
import { payPalProviderName } from './paypal-error.js';
import { fromPayPalAmount } from './paypal-money.js';

/** The `paypal-*` headers PayPal signs every webhook delivery with (lower-case). */
export const payPalWebhookHeaders = {
  authAlgorithm: 'paypal-auth-algo',
  certificateUrl: 'paypal-cert-url',
  transmissionId: 'paypal-transmission-id',
  transmissionSignature: 'paypal-transmission-sig',
  transmissionTime: 'paypal-transmission-time',
} as const;

/** How a PayPal event type normalizes: the canonical type and whether the operation succeeded. */
export interface PayPalWebhookEventMeaning {
  /** Canonical type. */
  readonly type: PaymentWebhookEventType;
  /** Whether PayPal reports the underlying operation as successful. */
  readonly success: boolean;
}

/**
 * PayPal event types -> canonical types. Anything unlisted is `other`, never guessed:
 * `PAYMENT.CAPTURE.PENDING` (nothing moved yet), `PAYMENT.CAPTURE.REVERSED` (PayPal took the money
 * back, e.g. after a dispute: not a merchant refund), `CHECKOUT.ORDER.APPROVED` (the payer finished
 * 3-D Secure; core completes the payment by sending the authorization again under its key:
 * `settleCustomerStep` on the shop's return page, or the recovery loop's customer-step pass).
 * `PAYMENT.AUTHORIZATION.VOIDED`
 * is also what PayPal sends when an authorization lapses after 30 days: PayPal does not tell the
 * two apart, so both are `payment.voided`.
 */
export const payPalWebhookEventTable: Readonly<Record<string, PayPalWebhookEventMeaning>> = Object.freeze({
  'PAYMENT.AUTHORIZATION.CREATED': { type: 'payment.authorized', success: true },
  'PAYMENT.AUTHORIZATION.VOIDED': { type: 'payment.voided', success: true },
  'PAYMENT.CAPTURE.COMPLETED': { type: 'payment.captured', success: true },
  'PAYMENT.CAPTURE.DECLINED': { type: 'payment.capture_failed', success: false },
  'PAYMENT.CAPTURE.DENIED': { type: 'payment.capture_failed', success: false },
  'PAYMENT.CAPTURE.REFUNDED': { type: 'payment.refunded', success: true },
  'PAYMENT.REFUND.FAILED': { type: 'payment.refund_failed', success: false },
  'CHECKOUT.PAYMENT-APPROVAL.REVERSED': { type: 'payment.authorization_failed', success: false },
  'CUSTOMER.DISPUTE.CREATED': { type: 'payment.dispute_opened', success: true },
  'CUSTOMER.DISPUTE.RESOLVED': { type: 'payment.dispute_closed', success: true },
  'VAULT.PAYMENT-TOKEN.CREATED': { type: 'payment_method.saved', success: true },
});

/** The meaning of a PayPal event type (`other` for anything unlisted). */
export function mapPayPalWebhookEventType(eventType: string): PayPalWebhookEventMeaning {
  const meaning = Object.hasOwn(payPalWebhookEventTable, eventType) ? payPalWebhookEventTable[eventType] : undefined;
  return meaning ?? { type: 'other', success: !/(DENIED|DECLINED|FAILED|REVERSED)$/.test(eventType) };
}

/** The signed headers of one delivery. */
export interface PayPalWebhookSignature {
  /** `paypal-auth-algo`. */
  readonly authAlgorithm: string;
  /** `paypal-cert-url`. */
  readonly certificateUrl: string;
  /** `paypal-transmission-id`. */
  readonly transmissionId: string;
  /** `paypal-transmission-sig`. */
  readonly transmissionSignature: string;
  /** `paypal-transmission-time`, as sent. */
  readonly transmissionTime: string;
}

/** A parsed PayPal webhook event (raw JSON, snake_case: webhook bodies do not go through the SDK). */
export interface PayPalWebhookEnvelope {
  /** Event id. */
  readonly id: string;
  /** Event name. */
  readonly eventType: string;
  /** `create_time`. */
  readonly createTime: string | undefined;
  /** `resource_type`. */
  readonly resourceType: string | undefined;
  /** The resource, as sent. */
  readonly resource: Readonly<Record<string, unknown>>;
}

function rejected(reason: 'missing-signature' | 'malformed-signature' | 'signature-mismatch' | 'stale' | 'malformed-body', detail: string): WebhookVerificationError {
  return new WebhookVerificationError({ source: payPalProviderName, reason, detail });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(record: Readonly<Record<string, unknown>> | undefined, field: string): string | undefined {
  const value = record?.[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads the five `paypal-*` headers.
 * @throws WebhookVerificationError `missing-signature` when one is absent.
 */
export function readPayPalWebhookSignature(request: WebhookRequest): PayPalWebhookSignature {
  const values = Object.fromEntries(Object.entries(payPalWebhookHeaders).map(([key, name]) => [key, request.headers[name]]));
  const missing = Object.entries(payPalWebhookHeaders).find(([key]) => typeof values[key] !== 'string' || values[key] === '');
  if (missing !== undefined) throw rejected('missing-signature', `header ${missing[1]} is missing`);
  return values as unknown as PayPalWebhookSignature;
}

/**
 * Checks what can be checked locally before asking PayPal: a parseable transmission time within
 * the tolerance of the receipt time, and a certificate URL on a PayPal host over HTTPS (PayPal
 * fetches it, so a forged URL is refused early).
 * @throws WebhookVerificationError `malformed-signature` or `stale`.
 */
export function checkPayPalWebhookFreshness(signature: PayPalWebhookSignature, receivedAt: number, toleranceMilliseconds: number): void {
  const transmittedAt = Date.parse(signature.transmissionTime);
  if (Number.isNaN(transmittedAt)) throw rejected('malformed-signature', 'paypal-transmission-time is not a date');
  let certificateHost: string;
  try {
    const url = new URL(signature.certificateUrl);
    certificateHost = url.protocol === 'https:' ? url.hostname : '';
  } catch {
    certificateHost = '';
  }
  if (certificateHost !== 'paypal.com' && !certificateHost.endsWith('.paypal.com')) {
    throw rejected('malformed-signature', 'paypal-cert-url is not an https URL on a paypal.com host');
  }
  if (Math.abs(receivedAt - transmittedAt) > toleranceMilliseconds) {
    throw rejected('stale', `transmitted more than ${Math.round(toleranceMilliseconds / 1000)} s from its receipt`);
  }
}

/**
 * Parses the raw body as a PayPal event.
 * @throws WebhookVerificationError `malformed-body`.
 */
export function parsePayPalWebhookBody(rawBody: string): PayPalWebhookEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw rejected('malformed-body', 'the body is not JSON');
  }
  if (!isRecord(parsed)) throw rejected('malformed-body', 'the body is not a JSON object');
  const id = text(parsed, 'id');
  const eventType = text(parsed, 'event_type');
  if (id === undefined || eventType === undefined || !isRecord(parsed.resource)) {
    throw rejected('malformed-body', 'the event has no id, event_type or resource');
  }
  return { id, eventType, createTime: text(parsed, 'create_time'), resourceType: text(parsed, 'resource_type'), resource: parsed.resource };
}

/**
 * Asks PayPal whether a delivery is genuine: `POST /v1/notifications/verify-webhook-signature`.
 * The SDK has no controller for it, so the call goes through the SDK's own request builder (its
 * HTTP client, OAuth token, timeout and no-retry settings). The event is spliced into the request
 * byte for byte from the raw body: PayPal checks a CRC of it, and re-serializing parsed JSON could
 * change it.
 * @returns PayPal's `verification_status` (`SUCCESS` or `FAILURE`).
 */
export async function verifyPayPalWebhookSignature(
  createRequest: PayPalRequestBuilderFactory,
  input: { readonly signature: PayPalWebhookSignature; readonly webhookId: string; readonly rawBody: string },
  requestOptions?: { readonly abortSignal?: AbortSignal | undefined },
): Promise<string> {
  const { signature } = input;
  const fields = JSON.stringify({
    auth_algo: signature.authAlgorithm,
    cert_url: signature.certificateUrl,
    transmission_id: signature.transmissionId,
    transmission_sig: signature.transmissionSignature,
    transmission_time: signature.transmissionTime,
    webhook_id: input.webhookId,
  });
  const request = createRequest('POST', '/v1/notifications/verify-webhook-signature');
  request.baseUrl('default');
  request.header('Content-Type', 'application/json');
  request.text(`${fields.slice(0, -1)},"webhook_event":${input.rawBody.trim()}}`);
  request.authenticate([{ oauth2: true }]);
  const response = await request.callAsText({ abortSignal: requestOptions?.abortSignal });
  const parsed: unknown = JSON.parse(response.result);
  return isRecord(parsed) && typeof parsed.verification_status === 'string' ? parsed.verification_status : 'FAILURE';
}

/** The capture id a refund resource points at (its `up` link), for finding the order. */
export function refundedCaptureId(resource: Readonly<Record<string, unknown>>): string | undefined {
  const links = Array.isArray(resource.links) ? resource.links : [];
  for (const candidate of links) {
    if (isRecord(candidate) && candidate.rel === 'up' && typeof candidate.href === 'string') {
      const match = /\/v2\/payments\/captures\/([^/?#]+)$/.exec(candidate.href);
      if (match !== null) return match[1];
    }
  }
  return undefined;
}

/** The order id PayPal names in a resource (`supplementary_data.related_ids.order_id`, or the order itself). */
export function relatedOrderId(envelope: PayPalWebhookEnvelope): string | undefined {
  if (envelope.resourceType === 'checkout-order') return text(envelope.resource, 'id');
  const supplementary = envelope.resource.supplementary_data;
  const related = isRecord(supplementary) && isRecord(supplementary.related_ids) ? supplementary.related_ids : undefined;
  return text(related, 'order_id');
}

/** The first purchase unit of an order resource. */
function firstPurchaseUnit(envelope: PayPalWebhookEnvelope): Readonly<Record<string, unknown>> | undefined {
  const units = Array.isArray(envelope.resource.purchase_units) ? envelope.resource.purchase_units : [];
  const first: unknown = units[0];
  return isRecord(first) ? first : undefined;
}

function amountOf(envelope: PayPalWebhookEnvelope): Money | undefined {
  const money = envelope.resourceType === 'checkout-order' ? firstPurchaseUnit(envelope)?.amount : envelope.resource.amount;
  if (!isRecord(money)) return undefined;
  try {
    return fromPayPalAmount({ currencyCode: text(money, 'currency_code'), value: text(money, 'value') });
  } catch (error) {
    throw new WebhookVerificationError({ source: payPalProviderName, reason: 'malformed-body', detail: 'the resource amount is unreadable', cause: error });
  }
}

/** Our reference in the resource: `custom_id`, the order's first unit's, or a refund's `invoice_id`. */
function merchantReferenceOf(envelope: PayPalWebhookEnvelope): string | undefined {
  if (envelope.resourceType === 'refund') return text(envelope.resource, 'invoice_id');
  if (envelope.resourceType === 'checkout-order') return text(firstPurchaseUnit(envelope), 'custom_id');
  return text(envelope.resource, 'custom_id');
}

/**
 * Normalizes a verified PayPal event. `providerReference` is the order id (for refunds, pass the
 * one found through the refunded capture); `operationReference` the authorization, capture or
 * refund id; `merchantReference` the `custom_id` (for refunds, the refund's `invoice_id`, which
 * the adapter sets to the refund's merchant reference).
 */
export function normalizePayPalWebhook(envelope: PayPalWebhookEnvelope, providerReference: string | undefined, receivedAt: number): PaymentWebhookEvent {
  const meaning = mapPayPalWebhookEventType(envelope.eventType);
  const isPaymentResource = envelope.resourceType === 'authorization' || envelope.resourceType === 'capture' || envelope.resourceType === 'refund';
  const occurred = Date.parse(envelope.createTime ?? '');
  return {
    eventId: envelope.id,
    provider: payPalProviderName,
    type: meaning.type,
    providerType: envelope.eventType,
    success: meaning.success,
    providerReference,
    operationReference: isPaymentResource ? text(envelope.resource, 'id') : undefined,
    merchantReference: merchantReferenceOf(envelope),
    amount: amountOf(envelope),
    occurredAt: Number.isNaN(occurred) ? receivedAt : occurred,
  };
}
