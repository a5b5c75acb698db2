import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const marker = Symbol.for('paymigrate.error.webhook-verification');

/** Why a webhook was refused. */
export type WebhookRejectionReason = 'missing-signature' | 'malformed-signature' | 'signature-mismatch' | 'stale' | 'malformed-body';

/**
 * A webhook failed verification. It must be answered with a 4xx and never acted upon.
 * The message names the reason only: it never echoes the body or the expected signature.
 */
export class WebhookVerificationError extends PaymigrateError {
  private readonly [marker] = true;

  /** Who sent it (`stripe`, `adyen`, `paypal`, `shopify`, ...). */
  readonly source: string;

  /** Why it was refused. */
  readonly reason: WebhookRejectionReason;

  constructor(options: { source: string; reason: WebhookRejectionReason; detail?: string; cause?: unknown }) {
    const detail = options.detail === undefined ? '' : `: ${options.detail}`;
    super('WEBHOOK_REJECTED', `Webhook from ${options.source} rejected (${options.reason})${detail}.`, { cause: options.cause });
    this.name = 'WebhookVerificationError';
    this.source = options.source;
    this.reason = options.reason;
  }

  static override isInstance(error: unknown): error is WebhookVerificationError {
    return hasMarker(error, marker);
  }
}
