import type { Types } from '@adyen/api-library';
import {
  type PaymentWebhookEvent,
  type WebhookRejectionReason,
  type WebhookRequest,
  WebhookVerificationError,
} from '@paymigrate/core';
import { adyenProviderName } from './adyen-error.js';
import { adyenLibrary } from './adyen-library.js';
import type { AdyenNotificationFacts } from './adyen-ledger-updates.js';
import { fromAdyenAmount } from './adyen-money.js';
import { mapAdyenEventCode } from './map-adyen-event-code.js';

/** How webhooks are checked. */
export interface AdyenWebhookSettings {
  /** Hex HMAC key of the standard webhook. */
  readonly hmacKey: string;
  /** The gateway's environment: a webhook whose `live` flag says otherwise is refused. */
  readonly environment: 'test' | 'live';
  /** Refuse items whose `eventDate` is older than this (off when undefined). */
  readonly maximumAgeMilliseconds?: number | undefined;
  /** Clock used when the request has no `receivedAt`. */
  readonly now: () => number;
}

/** A verified webhook: the normalized event and the facts the ledger needs. */
export interface VerifiedAdyenWebhook {
  /** The normalized event. */
  readonly event: PaymentWebhookEvent;
  /** What the notification says, typed. */
  readonly notification: AdyenNotificationFacts;
}

function reject(reason: WebhookRejectionReason, detail: string, cause?: unknown): WebhookVerificationError {
  return new WebhookVerificationError({ source: adyenProviderName, reason, detail, cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The notification item after its shape was checked. */
interface CheckedItem {
  readonly pspReference: string;
  readonly originalReference?: string | undefined;
  readonly merchantAccountCode: string;
  readonly merchantReference: string;
  readonly eventCode: string;
  readonly eventDate: string;
  readonly success: 'true' | 'false';
  readonly amount: { readonly value: number; readonly currency: string };
  readonly reason?: string | undefined;
  readonly paymentMethod?: string | undefined;
  readonly additionalData: Readonly<Record<string, string>>;
}

const requiredStrings = ['pspReference', 'merchantAccountCode', 'merchantReference', 'eventCode', 'eventDate'] as const;

function checkItem(raw: unknown): CheckedItem {
  if (!isRecord(raw)) throw reject('malformed-body', 'the notification item is not an object');
  for (const field of requiredStrings) {
    if (typeof raw[field] !== 'string') throw reject('malformed-body', `the notification item has no ${field}`);
  }
  if (raw.success !== 'true' && raw.success !== 'false') throw reject('malformed-body', "the notification item's success is not 'true' or 'false'");
  const amount = raw.amount;
  if (!isRecord(amount) || typeof amount.value !== 'number' || typeof amount.currency !== 'string') {
    throw reject('malformed-body', 'the notification item has no amount { value, currency }');
  }
  for (const field of ['originalReference', 'reason', 'paymentMethod'] as const) {
    if (raw[field] !== undefined && typeof raw[field] !== 'string') throw reject('malformed-body', `the notification item's ${field} is not a string`);
  }
  const additionalData = raw.additionalData ?? {};
  if (!isRecord(additionalData)) throw reject('malformed-body', 'additionalData is not an object');
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(additionalData)) {
    if (typeof value === 'string') strings[key] = value;
  }
  return { ...(raw as unknown as CheckedItem), amount: { value: amount.value, currency: amount.currency }, additionalData: strings };
}

/** Whether a signature is base64 of a 32-byte HMAC-SHA256. */
function isWellFormedSignature(signature: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(signature);
}

/**
 * Verifies and normalizes an Adyen standard webhook (JSON), as Adyen documents it:
 *
 * 1. The body is `{ live, notificationItems: [ { NotificationRequestItem } ] }` with exactly one
 *    item (Adyen sends one item per JSON webhook).
 * 2. `additionalData.hmacSignature` is checked with the SDK's `hmacValidator.validateHMAC`, which
 *    computes the base64 HMAC-SHA256 of `pspReference:originalReference:merchantAccountCode:
 *    merchantReference:value:currency:eventCode:success` and compares it with `timingSafeEqual`
 *    (constant time, length-checked first). Only those fields are signed: anything else in the
 *    item (eventDate, reason, additionalData) is not covered by the signature.
 * 3. A `live` flag that contradicts the gateway's environment is refused.
 * 4. When `maximumAgeMilliseconds` is set, an item older than that is refused as `stale`. Adyen
 *    signs no timestamp, so this only filters old genuine deliveries, not replays.
 *
 * The event id is `pspReference:eventCode:success`: Adyen has no event id, and it deduplicates by
 * exactly these fields (a redelivery carries the same ones).
 *
 * @throws WebhookVerificationError `malformed-body`, `missing-signature`, `malformed-signature`,
 *   `signature-mismatch` or `stale`. Messages never echo the body or a signature.
 */
export function verifyAdyenWebhook(request: WebhookRequest, settings: AdyenWebhookSettings): VerifiedAdyenWebhook {
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody);
  } catch (error) {
    throw reject('malformed-body', 'the body is not JSON', error);
  }
  if (!isRecord(body) || !Array.isArray(body.notificationItems)) throw reject('malformed-body', 'the body has no notificationItems array');
  if (body.notificationItems.length !== 1) {
    throw reject('malformed-body', `expected exactly one notification item, got ${body.notificationItems.length}`);
  }
  const wrapper: unknown = body.notificationItems[0];
  const item = checkItem(isRecord(wrapper) ? wrapper.NotificationRequestItem : undefined);
  const signature = item.additionalData.hmacSignature;
  if (signature === undefined || signature === '') throw reject('missing-signature', 'the item has no additionalData.hmacSignature');
  if (!isWellFormedSignature(signature)) throw reject('malformed-signature', 'hmacSignature is not a base64 HMAC-SHA256');
  // The SDK's validator reads the item as its NotificationRequestItem type; the checked item has every signed field.
  const valid = new adyenLibrary.hmacValidator().validateHMAC(item as unknown as Types.notification.NotificationRequestItem, settings.hmacKey);
  if (!valid) throw reject('signature-mismatch', 'hmacSignature does not match the signed fields');
  const live = body.live === true || body.live === 'true';
  if (live !== (settings.environment === 'live')) {
    throw reject('malformed-body', `a ${live ? 'live' : 'test'} webhook reached a ${settings.environment} gateway`);
  }
  const occurredAt = Date.parse(item.eventDate);
  if (Number.isNaN(occurredAt)) throw reject('malformed-body', 'eventDate is not an ISO 8601 date');
  if (settings.maximumAgeMilliseconds !== undefined) {
    const receivedAt = request.receivedAt ?? settings.now();
    if (receivedAt - occurredAt > settings.maximumAgeMilliseconds) {
      throw reject('stale', `the event is older than ${settings.maximumAgeMilliseconds} ms`);
    }
  }
  let amount;
  try {
    amount = fromAdyenAmount(item.amount);
  } catch (error) {
    throw reject('malformed-body', 'the amount is not representable as money', error);
  }
  const success = item.success === 'true';
  const originalReference = item.originalReference === '' ? undefined : item.originalReference;
  const notification: AdyenNotificationFacts = {
    eventCode: item.eventCode,
    success,
    pspReference: item.pspReference,
    originalReference,
    merchantReference: item.merchantReference,
    amount,
    reason: item.reason,
    paymentMethod: item.paymentMethod,
    additionalData: item.additionalData,
  };
  const event: PaymentWebhookEvent = {
    eventId: `${item.pspReference}:${item.eventCode}:${item.success}`,
    provider: adyenProviderName,
    type: mapAdyenEventCode(item.eventCode, success, item.additionalData['modification.action']),
    providerType: item.eventCode,
    success,
    providerReference: originalReference ?? item.pspReference,
    operationReference: originalReference === undefined ? undefined : item.pspReference,
    merchantReference: item.merchantReference,
    amount,
    occurredAt,
  };
  return { event, notification };
}
