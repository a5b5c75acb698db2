import { intentsCollection, type JournalV1, paymentsCollection, savedPaymentMethodsCollection } from '@paymigrate/core';
import { adyenLedgerCollection } from '../runtime/journal-adyen-ledger.js';
import { customerCollection } from './customer-directory.js';

/** Keys whose value is a network transaction id (scheme reference) in the records the rehearsal writes. */
const networkTransactionIdKeyPattern = /^(networkTransactionId|network_transaction_id|networkTxReference)$/;

/** Collections whose records carry network transaction ids. */
const collections = [paymentsCollection, intentsCollection, savedPaymentMethodsCollection, adyenLedgerCollection, customerCollection];

/** Adds every string under a network-transaction-id key of a JSON value to `found`. */
function collect(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const entry of value) collect(entry, found);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, entry] of Object.entries(value)) {
    if (networkTransactionIdKeyPattern.test(key) && typeof entry === 'string') found.add(entry);
    else collect(entry, found);
  }
}

/**
 * The network transaction ids the providers issued, as the journal recorded them. Core's scanner
 * knows an id by the name written next to it; a raw scan of the journal file's bytes can meet one
 * without its name (a record split across pages), and a 15-digit id passes the Luhn check in a
 * brand range now and then. They are scheme references, so the PAN scan leaves exactly these out
 * (and reports how many it left out).
 */
export async function knownNetworkTransactionIds(journal: JournalV1): Promise<Set<string>> {
  const found = new Set<string>();
  for (const collection of collections) {
    let afterKey: string | undefined;
    for (;;) {
      const page = await journal.list(collection, { limit: 1000, afterKey });
      for (const record of page) {
        try {
          collect(JSON.parse(record.value), found);
        } catch {
          // Not JSON: nothing to collect.
        }
      }
      if (page.length < 1000) break;
      afterKey = page.at(-1)?.key;
    }
  }
  return found;
}
