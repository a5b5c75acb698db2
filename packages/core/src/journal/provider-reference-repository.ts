import { z } from 'zod';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { JournalRepository } from './journal-repository.js';

/** The collection that maps provider payment references to payment ids. */
export const providerReferencesCollection = 'provider-references';

/**
 * Which payment a provider reference belongs to, so a webhook (which names the provider's
 * reference) finds the payment. Written in the same batch as the outcome that revealed the
 * reference. Key = `${provider}:${providerReference}`.
 */
export interface ProviderReferenceRecord {
  /** Provider. */
  readonly provider: string;
  /** The provider's payment reference. */
  readonly providerReference: string;
  /** Our payment id. */
  readonly paymentId: string;
}

const providerReferenceSchema: z.ZodType<ProviderReferenceRecord> = z.object({
  provider: z.string().min(1),
  providerReference: z.string().min(1),
  paymentId: z.string().min(1),
});

/** The key of a provider reference: `${provider}:${providerReference}`. */
export function providerReferenceKey(provider: string, providerReference: string): string {
  return `${provider}:${providerReference}`;
}

/** The `provider-references` collection. */
export class ProviderReferenceRepository extends JournalRepository<ProviderReferenceRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, {
      collection: providerReferencesCollection,
      schema: providerReferenceSchema,
      keyOf: (reference) => providerReferenceKey(reference.provider, reference.providerReference),
      indexOf: () => undefined,
    });
  }
}
