import type { CommercePlatformV1, PlatformPaymentUpdate } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { OutboxHandler } from './outbox-relay.js';
import { decodePlatformPaymentMessage, type PlatformPaymentMessageType } from './platform-payment-message.js';

/** The platform transaction kind each payment message records; `payment.failed` records nothing. */
const platformKinds: Readonly<Record<PlatformPaymentMessageType, PlatformPaymentUpdate['kind'] | undefined>> = {
  'payment.authorized': 'authorization',
  'payment.captured': 'capture',
  'payment.refunded': 'refund',
  'payment.voided': 'void',
  'payment.failed': undefined,
};

/**
 * The outbox handler of the `platform.payment` topic: records each payment change on the
 * platform's order with `recordPayment`, using the message's deduplication id as the idempotency
 * key, so a redelivery (the relay is at-least-once) records nothing twice.
 *
 * Messages that move no money on the order are acknowledged without a call: `payment.failed`, and
 * any message without an order id or a provider reference.
 *
 * @example
 * createOutboxRelay({ journal, owner: 'relay-1', handlers: { 'platform.payment': platformPaymentHandler(shopify) } });
 * @throws OutboxPayloadInvalidError (from the returned handler) for a payload that is not a payment message.
 */
export function platformPaymentHandler(platform: CommercePlatformV1): OutboxHandler {
  return async (message) => {
    const payment = decodePlatformPaymentMessage(message);
    const kind = platformKinds[payment.type];
    if (kind === undefined || payment.orderId === undefined || payment.providerReference === undefined) {
      return;
    }
    await platform.recordPayment({
      idempotencyKey: message.deduplicationId,
      orderId: payment.orderId,
      kind,
      amount: payment.amount,
      provider: payment.provider,
      providerReference: payment.providerReference,
      operationReference: payment.operationReference,
    });
  };
}
