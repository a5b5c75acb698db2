export {
  type CollectionRetentionReport,
  defaultProcessedEventRetentionMs,
  minimumProcessedEventRetentionMs,
  processedEventCollections,
  type ProcessedEventRetentionOptions,
  type ProcessedEventRetentionReport,
  pruneProcessedEvents,
} from './processed-event-retention.js';
export {
  defaultDeliveredOutboxRetentionMs,
  type DeliveredOutboxRetentionOptions,
  type DeliveredOutboxRetentionReport,
  minimumDeliveredOutboxRetentionMs,
  pruneDeliveredOutbox,
} from './delivered-outbox-retention.js';
