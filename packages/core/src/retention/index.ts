export {
  type CollectionRetentionReport,
  defaultProcessedEventRetentionMs,
  minimumProcessedEventRetentionMs,
  processedEventCollections,
  type ProcessedEventRetentionOptions,
  type ProcessedEventRetentionReport,
  pruneProcessedEvents,
} from './processed-event-retention.js';
