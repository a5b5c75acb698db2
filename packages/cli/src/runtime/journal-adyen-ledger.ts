import { type JournalPut, type JournalV1, VersionConflictError } from '@paymigrate/core';
import type { AdyenLedgerEntry, AdyenPaymentLedger } from '@paymigrate/provider-adyen';

/** Collection of the Adyen ledger's entries (key: entry id). */
export const adyenLedgerCollection = 'adyen-ledger';

/** Collection mapping a PSP reference to its entry id. */
export const adyenLedgerPspReferenceCollection = 'adyen-ledger-psp-reference';

/** Collection mapping a merchant reference to its newest entry id. */
export const adyenLedgerMerchantReferenceCollection = 'adyen-ledger-merchant-reference';

/** Compare-and-set rounds before an update gives up (only under extreme contention). */
const maximumRounds = 50;

/** Reads an entry's JSON. */
function parseEntry(value: string): AdyenLedgerEntry {
  return JSON.parse(value) as AdyenLedgerEntry;
}

/**
 * An `AdyenPaymentLedger` kept in the paymigrate journal, so that what Adyen told the adapter
 * (Adyen's Checkout API has no payment lookup) survives a restart and is shared by every process
 * on the journal. `update` is a compare-and-set on the entry, retried on conflict; the PSP and
 * merchant reference indexes are written in the same atomic batch.
 *
 * @example createAdyenGateway({ ...options, ledger: createJournalAdyenLedger(journal) })
 */
export function createJournalAdyenLedger(journal: JournalV1): AdyenPaymentLedger {
  const entryById = async (entryId: string | undefined): Promise<AdyenLedgerEntry | undefined> => {
    if (entryId === undefined) return undefined;
    const record = await journal.get(adyenLedgerCollection, entryId);
    return record === undefined ? undefined : parseEntry(record.value);
  };

  return {
    async get(pspReference) {
      const alias = await journal.get(adyenLedgerPspReferenceCollection, pspReference);
      return entryById(alias?.value);
    },
    async findByMerchantReference(merchantReference) {
      const alias = await journal.get(adyenLedgerMerchantReferenceCollection, merchantReference);
      return entryById(alias?.value);
    },
    async update(entryId, change) {
      let lastConflict: unknown;
      for (let round = 0; round < maximumRounds; round += 1) {
        const record = await journal.get(adyenLedgerCollection, entryId);
        const current = record === undefined ? undefined : parseEntry(record.value);
        const next = change(current);
        const puts: JournalPut[] = [
          { collection: adyenLedgerCollection, key: entryId, value: JSON.stringify(next), expectedVersion: record?.version ?? 0 },
          { collection: adyenLedgerMerchantReferenceCollection, key: next.merchantReference, value: entryId, expectedVersion: 'any' },
        ];
        if (next.pspReference !== undefined) {
          puts.push({ collection: adyenLedgerPspReferenceCollection, key: next.pspReference, value: entryId, expectedVersion: 'any' });
        }
        try {
          await journal.write({ puts });
          return next;
        } catch (error) {
          if (!VersionConflictError.isInstance(error)) throw error;
          lastConflict = error;
        }
      }
      throw lastConflict;
    },
  };
}
