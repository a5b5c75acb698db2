export { errorCodeOf, OutboxPayloadInvalidError } from './outbox-errors.js';
export { createOutboxRelay, type OutboxHandler, type OutboxRelay, type OutboxRelayOptions, type OutboxRunReport } from './outbox-relay.js';
export { platformPaymentHandler } from './platform-payment-handler.js';
export {
  decodePlatformPaymentMessage,
  encodePlatformPaymentMessage,
  type PlatformPaymentMessage,
  type PlatformPaymentMessageType,
  platformPaymentMessageTypes,
  platformPaymentTopic,
} from './platform-payment-message.js';
