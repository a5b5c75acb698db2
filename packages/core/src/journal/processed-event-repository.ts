import { z } from 'zod';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { JournalRepository } from './journal-repository.js';
import { timestampSchema } from './journal-schemas.js';

/** The collection of provider webhook events already applied. */
export const processedEventsCollection = 'processed-events';

/** What applying a provider event did. */
export type ProcessedEventOutcome = 'applied' | 'ignored';

/**
 * A provider webhook event already handled: written in the same batch as the change it caused, so
 * a duplicate delivery (same event id) is recognized and does nothing. Key = `${provider}:${eventId}`.
 */
export interface ProcessedEventRecord {
  /** Provider that sent it. */
  readonly provider: string;
  /** The provider's event id. */
  readonly eventId: string;
  /** Canonical event type. */
  readonly type: string;
  /** The payment it was about, when one was found. */
  readonly paymentId?: string | undefined;
  /** Whether it changed the payment. */
  readonly outcome: ProcessedEventOutcome;
  /** Why it changed nothing, when it did not. */
  readonly reason?: string | undefined;
  /** When it was handled, epoch milliseconds. */
  readonly processedAt: number;
}

const processedEventSchema: z.ZodType<ProcessedEventRecord> = z.object({
  provider: z.string().min(1),
  eventId: z.string().min(1),
  type: z.string(),
  paymentId: z.string().optional(),
  outcome: z.enum(['applied', 'ignored']),
  reason: z.string().optional(),
  processedAt: timestampSchema,
});

/** The key of a processed event: `${provider}:${eventId}`. */
export function processedEventKey(provider: string, eventId: string): string {
  return `${provider}:${eventId}`;
}

/** The `processed-events` collection (webhook deduplication). */
export class ProcessedEventRepository extends JournalRepository<ProcessedEventRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: processedEventsCollection,
      schema: processedEventSchema,
      keyOf: (event) => processedEventKey(event.provider, event.eventId),
      indexOf: () => undefined,
    });
  }
}
