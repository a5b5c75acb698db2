import { z } from 'zod';
import type { CardSummary } from '../ports/shared/v1/card.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { JournalRepository, type StoredRecord } from './journal-repository.js';
import { cardSummarySchema, timestampSchema } from './journal-schemas.js';

/** The collection of payment methods saved during the migration window. */
export const savedPaymentMethodsCollection = 'saved-payment-methods';

/** Index value of a saved method the token engine has not copied to the other provider yet. */
export const deltaPendingIndex = 'delta-pending';

/** Index value of a saved method the token engine has synchronized. */
export const deltaSyncedIndex = 'delta-synced';

/**
 * A card a customer saved while the migration runs (dual-written so the token engine's delta pass
 * can copy it to the other provider; the bulk export missed it). Never a card number: the
 * provider's token and a card summary. Key = `${provider}:${token}`.
 */
export interface SavedPaymentMethodRecord {
  /** Provider that holds the token. */
  readonly provider: string;
  /** The provider's token. */
  readonly token: string;
  /** The provider's customer reference owning the token. */
  readonly customerReference: string;
  /** Safe card details (brand, last four, expiry, fingerprint). */
  readonly card: CardSummary;
  /** Network transaction id of the payment that saved the card. */
  readonly networkTransactionId?: string | undefined;
  /** The payment that saved it. */
  readonly paymentId?: string | undefined;
  /** When paymigrate recorded it, epoch milliseconds. */
  readonly savedAt: number;
  /** When the token engine synchronized it, epoch milliseconds. */
  readonly syncedAt?: number | undefined;
}

const savedPaymentMethodSchema: z.ZodType<SavedPaymentMethodRecord> = z.object({
  provider: z.string().min(1),
  token: z.string().min(1),
  customerReference: z.string(),
  card: cardSummarySchema,
  networkTransactionId: z.string().optional(),
  paymentId: z.string().optional(),
  savedAt: timestampSchema,
  syncedAt: timestampSchema.optional(),
});

/** The key of a saved payment method: `${provider}:${token}`. */
export function savedPaymentMethodKey(provider: string, token: string): string {
  return `${provider}:${token}`;
}

/**
 * The `saved-payment-methods` collection. Records start indexed `delta-pending`; the token engine
 * lists them, copies each to the other provider and marks it synced.
 */
export class SavedPaymentMethodRepository extends JournalRepository<SavedPaymentMethodRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: savedPaymentMethodsCollection,
      schema: savedPaymentMethodSchema,
      keyOf: (method) => savedPaymentMethodKey(method.provider, method.token),
      indexOf: (method) => (method.syncedAt === undefined ? deltaPendingIndex : deltaSyncedIndex),
    });
  }

  /** Lists saved methods the delta pass has not synchronized yet, in key order. */
  listDeltaPending(options: { readonly limit: number; readonly afterKey?: string | undefined }): Promise<StoredRecord<SavedPaymentMethodRecord>[]> {
    return this.list({ index: deltaPendingIndex, ...options });
  }

  /**
   * Marks a saved method synchronized (compare-and-set on the version read).
   *
   * @throws VersionConflictError when it changed since it was read.
   */
  markSynced(stored: StoredRecord<SavedPaymentMethodRecord>, syncedAt: number): Promise<StoredRecord<SavedPaymentMethodRecord>> {
    return this.save({ ...stored.value, syncedAt }, stored.version);
  }
}
