import { z } from 'zod';
import type { JournalPut, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import { cardBrands, type CardBrand } from '../ports/shared/v1/card.js';
import { tokenFailureReasons } from '../ports/token-exchange/v1/token-exchange.js';
import type { TokenMapping } from './token-mapping.js';

/** The journal collection of cards waiting for their customer to save a card again. */
export const tokenRecollectionCollection = 'token-recollection';

/** The outbox topic the platform listens on to ask a customer for a card. */
export const recollectCardTopic = 'platform.recollect-card';

/** A card that could not be moved: the customer is asked to save one again. */
export interface TokenRecollectionRecord {
  /** The vault mapping key (`tv_…`) of the card. */
  readonly mappingKey: string;
  /** The merchant's customer id: who to ask. */
  readonly customerId: string;
  /** The provider the card stays on meanwhile (renewals are charged there). */
  readonly sourceProvider: string;
  /** Brand and last four, to tell the customer which card (PCI DSS 3.4.1 allows them). */
  readonly brand: CardBrand;
  /** Last four digits. */
  readonly last4: string;
  /** Why the card was not moved. */
  readonly reason: (typeof tokenFailureReasons)[number];
  /** `open` until the customer saved a card again; then `resolved`. */
  readonly status: 'open' | 'resolved';
  /** When it was opened, epoch milliseconds. */
  readonly openedAt: number;
  /** When it was resolved. */
  readonly resolvedAt?: number | undefined;
  /** The mapping key of the card that resolved it. */
  readonly resolvedBy?: string | undefined;
}

/** The payload of a `platform.recollect-card` message. */
export interface RecollectCardMessage {
  /** Message type. */
  readonly type: 'token.recollect-card';
  /** The merchant's customer id. */
  readonly customerId: string;
  /** The card to replace: brand and last four only. */
  readonly card: { readonly brand: CardBrand; readonly last4: string; readonly expiryMonth: number; readonly expiryYear: number };
  /** Why it could not be moved. */
  readonly reason: string;
  /** Where renewals are charged until the customer saves a card. */
  readonly chargeableAt: string;
  /** The vault mapping key, to correlate. */
  readonly mappingKey: string;
}

export const tokenRecollectionSchema: z.ZodType<TokenRecollectionRecord> = z.object({
  mappingKey: z.string(),
  customerId: z.string(),
  sourceProvider: z.string(),
  brand: z.enum(cardBrands),
  last4: z.string(),
  reason: z.enum([...tokenFailureReasons]),
  status: z.enum(['open', 'resolved']),
  openedAt: z.number(),
  resolvedAt: z.number().optional(),
  resolvedBy: z.string().optional(),
});

/** The index of a recollection record: open ones are found per customer. */
export function recollectionIndex(status: 'open' | 'resolved', customerIndex: string): string {
  return status === 'open' ? `open:${customerIndex}` : 'resolved';
}

/**
 * The writes that put a card into the re-collection workflow, for the same atomic batch as its
 * vault entry: the `token-recollection` record (open, indexed per customer) and the
 * `platform.recollect-card` outbox message (deduplicated per mapping, so a retried batch or a
 * re-run never asks the customer twice).
 */
export function recollectionWrites(
  mapping: TokenMapping,
  mappingKey: string,
  customerIndex: string,
  topic: string,
): { readonly put: JournalPut; readonly message: OutboxMessageInput } {
  const record: TokenRecollectionRecord = {
    mappingKey,
    customerId: mapping.customerId,
    sourceProvider: mapping.source.provider,
    brand: mapping.card.brand,
    last4: mapping.card.last4,
    // A mapping in re-collection always has its reason.
    reason: mapping.failureReason as TokenRecollectionRecord['reason'],
    status: 'open',
    openedAt: mapping.updatedAt,
  };
  const payload: RecollectCardMessage = {
    type: 'token.recollect-card',
    customerId: mapping.customerId,
    card: { brand: mapping.card.brand, last4: mapping.card.last4, expiryMonth: mapping.card.expiryMonth, expiryYear: mapping.card.expiryYear },
    reason: record.reason,
    chargeableAt: mapping.source.provider,
    mappingKey,
  };
  return {
    put: { collection: tokenRecollectionCollection, key: mappingKey, value: JSON.stringify(record), index: recollectionIndex('open', customerIndex), expectedVersion: 'any' },
    message: { topic, orderingKey: `recollect:${customerIndex}`, deduplicationId: `recollect:${mappingKey}`, payload: JSON.stringify(payload) },
  };
}
