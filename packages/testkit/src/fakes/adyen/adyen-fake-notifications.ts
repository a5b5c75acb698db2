import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '@paymigrate/core';

/**
 * Adyen standard webhooks ("notifications"), built and signed the way Adyen does it: a JSON body
 * `{ live, notificationItems: [ { NotificationRequestItem } ] }` whose item carries
 * `additionalData.hmacSignature`, the base64 HMAC-SHA256 (key: the hex HMAC key from the Customer
 * Area) of `pspReference:originalReference:merchantAccountCode:merchantReference:value:currency:eventCode:success`,
 * with an empty string for a missing field. Built with `node:crypto` only: the testkit never
 * imports a provider SDK.
 */

/** Amount as Adyen writes it: minor units of Adyen's currency table. */
export interface AdyenFakeAmount {
  /** Minor units. */
  readonly value: number;
  /** ISO 4217 code. */
  readonly currency: string;
}

/** A `NotificationRequestItem` as the fake sends it (field names and types of Adyen's Webhooks v1 spec). */
export interface AdyenNotificationItem {
  /** Extra fields; `hmacSignature` is added when the item is signed. */
  readonly additionalData?: Readonly<Record<string, string>> | undefined;
  /** Amount of the event. */
  readonly amount: AdyenFakeAmount;
  /** Event code: `AUTHORISATION`, `CAPTURE`, `REFUND`, `CANCELLATION`, ... */
  readonly eventCode: string;
  /** ISO 8601 with offset, e.g. `2026-11-26T10:00:00+00:00`. */
  readonly eventDate: string;
  /** Merchant account of the payment. */
  readonly merchantAccountCode: string;
  /** The merchant's reference of the payment. */
  readonly merchantReference: string;
  /** For modifications: the payment's PSP reference. */
  readonly originalReference?: string | undefined;
  /** RECURRING_CONTRACT only: PSP reference of the payment that created the token. */
  readonly originalPsp?: string | undefined;
  /** Payment method, e.g. `visa`. */
  readonly paymentMethod?: string | undefined;
  /** PSP reference of the payment (authorisation) or of the modification. */
  readonly pspReference: string;
  /** Explanation; for a successful card authorisation `authCode:last4:expiry`. */
  readonly reason?: string | undefined;
  /** `'true'` or `'false'`, a string as in Adyen's JSON. */
  readonly success: 'true' | 'false';
}

/** The string Adyen signs for one notification item. */
export function adyenNotificationSigningString(item: AdyenNotificationItem): string {
  return [
    item.pspReference,
    item.originalReference ?? '',
    item.merchantAccountCode,
    item.merchantReference,
    String(item.amount.value),
    item.amount.currency,
    item.eventCode,
    item.success,
  ].join(':');
}

/**
 * The base64 HMAC-SHA256 signature of a notification item.
 * @param item The item.
 * @param hmacKey The HMAC key as hexadecimal, as shown in Adyen's Customer Area.
 */
export function computeAdyenNotificationSignature(item: AdyenNotificationItem, hmacKey: string): string {
  return createHmac('sha256', Buffer.from(hmacKey, 'hex')).update(adyenNotificationSigningString(item), 'utf8').digest('base64');
}

/**
 * Builds a signed webhook request carrying one notification item, as Adyen delivers it.
 * @param item The item; `additionalData.hmacSignature` is set (an existing one is replaced).
 * @param hmacKey The hex HMAC key.
 * @param options `live` flag of the body (default `'false'`) and the `receivedAt` time to stamp.
 */
export function signAdyenNotification(
  item: AdyenNotificationItem,
  hmacKey: string,
  options: { readonly live?: boolean | undefined; readonly receivedAt?: number | undefined } = {},
): WebhookRequest {
  const signed: AdyenNotificationItem = {
    ...item,
    additionalData: { ...item.additionalData, hmacSignature: computeAdyenNotificationSignature(item, hmacKey) },
  };
  const body = { live: options.live === true ? 'true' : 'false', notificationItems: [{ NotificationRequestItem: signed }] };
  return {
    rawBody: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    receivedAt: options.receivedAt,
  };
}

/** Formats epoch milliseconds as Adyen's `eventDate` (ISO 8601, seconds, `+00:00` offset). */
export function adyenEventDate(epochMilliseconds: number): string {
  return new Date(epochMilliseconds).toISOString().replace(/\.[0-9]{3}Z$/, '+00:00');
}
