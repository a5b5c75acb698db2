import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '@paymigrate/core';

/** Options of {@link signStripeWebhook}. */
export interface SignStripeWebhookOptions {
  /** The endpoint's signing secret (`whsec_...`). */
  readonly secret: string;
  /** Signing time, epoch milliseconds (Stripe signs whole seconds). */
  readonly timestampMilliseconds: number;
  /**
   * More secrets to sign with, each adding a `v1=` entry: Stripe signs with every active secret
   * while an endpoint's secret is being rolled.
   */
  readonly additionalSecrets?: readonly string[] | undefined;
  /** Add a `v0=` entry (Stripe adds one in test mode; verifiers ignore it). @default false */
  readonly includeTestModeSignature?: boolean | undefined;
}

/** Hex HMAC-SHA256 of `"{timestamp}.{payload}"`, Stripe's v1 scheme. */
export function stripeSignature(secret: string, timestampSeconds: number, payload: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`, 'utf8').digest('hex');
}

/**
 * Signs a webhook body the way Stripe does: header `Stripe-Signature: t=<seconds>,v1=<hex>` where
 * the hex is HMAC-SHA256 of `"<t>.<raw body>"` with the endpoint secret. Returns the request as
 * the port receives it (lower-case header names, `receivedAt` = signing time, so staleness can be
 * tested by moving `receivedAt`).
 */
export function signStripeWebhook(rawBody: string, options: SignStripeWebhookOptions): WebhookRequest {
  const timestampSeconds = Math.floor(options.timestampMilliseconds / 1000);
  const entries = [`t=${timestampSeconds}`];
  for (const secret of [options.secret, ...(options.additionalSecrets ?? [])]) {
    entries.push(`v1=${stripeSignature(secret, timestampSeconds, rawBody)}`);
  }
  if (options.includeTestModeSignature === true) {
    entries.push(`v0=${stripeSignature('test-mode', timestampSeconds, rawBody)}`);
  }
  return {
    rawBody,
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': entries.join(',') },
    receivedAt: timestampSeconds * 1000,
  };
}
