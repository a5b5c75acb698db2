import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest } from '@paymigrate/core';

/**
 * The headers PayPal sends with every webhook (lower-case, as the port's `WebhookRequest` carries
 * them). PayPal signs `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body>`.
 */
export const payPalWebhookHeaderNames = {
  authAlgorithm: 'paypal-auth-algo',
  certificateUrl: 'paypal-cert-url',
  transmissionId: 'paypal-transmission-id',
  transmissionSignature: 'paypal-transmission-sig',
  transmissionTime: 'paypal-transmission-time',
} as const;

/** The algorithm PayPal names in `paypal-auth-algo`. */
export const payPalWebhookAuthAlgorithm = 'SHA256withRSA';

/** The certificate URL the fake puts in `paypal-cert-url` (a PayPal sandbox host, as in real webhooks). */
export const payPalFakeCertificateUrl = 'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-fake0000';

/** A PayPal webhook event body (`event_version` 1.0), as PayPal posts it. */
export interface PayPalWebhookEventBody {
  /** Event id (`WH-...`); a redelivery keeps it. */
  readonly id: string;
  /** Always `1.0` for the events the fake sends. */
  readonly event_version: string;
  /** When the event happened, ISO 8601. */
  readonly create_time: string;
  /** `authorization`, `capture`, `refund`, `checkout-order`, `payment_token`. */
  readonly resource_type: string;
  /** Version of the resource schema (`2.0` for Payments v2 resources). */
  readonly resource_version?: string | undefined;
  /** The event name, e.g. `PAYMENT.CAPTURE.COMPLETED`. */
  readonly event_type: string;
  /** A human-readable summary. */
  readonly summary: string;
  /** The resource the event is about, in its API shape. */
  readonly resource: Readonly<Record<string, unknown>>;
  /** HATEOAS links of the event. */
  readonly links: readonly { readonly href: string; readonly rel: string; readonly method: string }[];
}

/** Options of {@link signPayPalWebhook}. */
export interface SignPayPalWebhookOptions {
  /** The shared secret the fake signs with (it stands for PayPal's private key). */
  readonly secret: string;
  /** The id of the webhook subscription the event is delivered to. */
  readonly webhookId: string;
  /** The raw body, byte for byte. */
  readonly rawBody: string;
  /** Transmission time, epoch milliseconds; also the request's `receivedAt`. */
  readonly transmissionTime: number;
  /** Transmission id (a fresh UUID by default; redeliveries get new ones). */
  readonly transmissionId?: string | undefined;
}

const crcTable: readonly number[] = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit += 1) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

/** CRC-32 (IEEE) of a string's UTF-8 bytes, as an unsigned decimal number: PayPal signs it this way. */
export function payPalCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = (crcTable[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The transmission signature the fake puts in `paypal-transmission-sig`: base64 HMAC-SHA256, with
 * the shared secret, of PayPal's signed string `<id>|<time>|<webhook id>|<CRC-32 of the raw body>`.
 * Real PayPal signs the same string with RSA; the fake is the only verifier, so a shared secret
 * keeps the scheme's inputs and failure modes without a key pair.
 */
export function payPalTransmissionSignature(input: {
  readonly secret: string;
  readonly transmissionId: string;
  readonly transmissionTime: string;
  readonly webhookId: string;
  readonly rawBody: string;
}): string {
  const signed = `${input.transmissionId}|${input.transmissionTime}|${input.webhookId}|${payPalCrc32(input.rawBody)}`;
  return createHmac('sha256', input.secret).update(signed, 'utf8').digest('base64');
}

/** Compares two signatures in constant time (different lengths are simply unequal). */
export function signaturesMatch(expected: string, actual: string): boolean {
  const expectedBytes = Buffer.from(expected, 'utf8');
  const actualBytes = Buffer.from(actual, 'utf8');
  return expectedBytes.length === actualBytes.length && timingSafeEqual(expectedBytes, actualBytes);
}

/**
 * Builds a webhook request the way PayPal delivers it: the raw body and the five `paypal-*`
 * headers, signed for `webhookId`. `receivedAt` is the transmission time (delivered at once).
 */
export function signPayPalWebhook(options: SignPayPalWebhookOptions): WebhookRequest {
  const transmissionId = options.transmissionId ?? randomUUID();
  const transmissionTime = new Date(options.transmissionTime).toISOString();
  const signature = payPalTransmissionSignature({
    secret: options.secret,
    transmissionId,
    transmissionTime,
    webhookId: options.webhookId,
    rawBody: options.rawBody,
  });
  return {
    rawBody: options.rawBody,
    headers: {
      'content-type': 'application/json',
      [payPalWebhookHeaderNames.authAlgorithm]: payPalWebhookAuthAlgorithm,
      [payPalWebhookHeaderNames.certificateUrl]: payPalFakeCertificateUrl,
      [payPalWebhookHeaderNames.transmissionId]: transmissionId,
      [payPalWebhookHeaderNames.transmissionSignature]: signature,
      [payPalWebhookHeaderNames.transmissionTime]: transmissionTime,
    },
    receivedAt: options.transmissionTime,
  };
}
