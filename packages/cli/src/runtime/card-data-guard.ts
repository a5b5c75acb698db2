import { findSensitiveData, type JournalV1, type JournalWriteBatch, SensitiveDataError, type SensitiveDataFinding } from '@paymigrate/core';

/** Keys whose value is a network transaction id (scheme reference): 15-digit ids that core's scanner can mistake for card numbers. */
export const networkTransactionIdKeyPattern = /^(networkTransactionId|network_transaction_id|networkTxReference)$/;

/** Placeholder a network transaction id is scanned as. */
const placeholder = '[network transaction id]';

/** A hexadecimal digest: 32 or more hex digits, at least one of them a letter (SHA-1, SHA-256, ...). */
const hexDigestPattern = /(?<![0-9a-fA-F])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])/g;

/**
 * Text with every hexadecimal digest blanked out (same length). A digest is never card data, but
 * its decimal runs can pass the Luhn check in a card brand's range: the Order State
 * Synchronizer's `ord_<sha1>` idempotency keys do, one in a few hundred.
 */
export function withoutHexDigests(text: string): string {
  return text.replace(hexDigestPattern, (digest) => 'h'.repeat(digest.length));
}

/** A copy of a JSON value with every network transaction id replaced by a placeholder and every hex digest blanked out. */
export function withoutNetworkTransactionIds(value: unknown): unknown {
  if (typeof value === 'string') return withoutHexDigests(value);
  if (Array.isArray(value)) return value.map(withoutNetworkTransactionIds);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [key, networkTransactionIdKeyPattern.test(key) && typeof entry === 'string' ? placeholder : withoutNetworkTransactionIds(entry)]),
  );
}

/** A journal value as it is scanned: parsed JSON without its network transaction ids and digests, or the text without its digests. */
function scannable(text: string): unknown {
  if (!text.startsWith('{') && !text.startsWith('[')) return withoutHexDigests(text);
  try {
    return withoutNetworkTransactionIds(JSON.parse(text));
  } catch {
    return withoutHexDigests(text);
  }
}

/** Every card-data finding in a write batch. */
function findingsOf(batch: JournalWriteBatch): SensitiveDataFinding[] {
  const findings: SensitiveDataFinding[] = [];
  for (const [index, put] of (batch.puts ?? []).entries()) {
    findings.push(...findSensitiveData({ key: withoutHexDigests(put.key), index: put.index ?? '', value: scannable(put.value) }, { path: `$.puts[${index}]` }));
  }
  for (const [index, remove] of (batch.deletes ?? []).entries()) findings.push(...findSensitiveData(remove.key, { path: `$.deletes[${index}].key` }));
  for (const [index, message] of (batch.outbox ?? []).entries()) {
    findings.push(
      ...findSensitiveData({ ...message, deduplicationId: withoutHexDigests(message.deduplicationId), payload: scannable(message.payload) }, { path: `$.outbox[${index}]` }),
    );
  }
  return findings;
}

/**
 * Wraps a journal so no write can store cardholder data (core's `guardJournal`, with two
 * differences). Values under a network-transaction-id key are not scanned: Visa's 15-digit
 * transaction ids pass the Luhn check and a brand range about one time in thirty, and core's
 * guard then refuses the Transaction State Manager's own write of the payment. Hexadecimal
 * digests are blanked out before scanning: the Order State Synchronizer's SHA-1 idempotency keys
 * hold Luhn-valid digit runs now and then, and its platform update could never be written. Every
 * other field, key, index and outbox payload is scanned as core does.
 */
export function guardJournalCardData(journal: JournalV1): JournalV1 {
  return new Proxy(journal, {
    get(target, property, receiver) {
      if (property === 'write') {
        return async (batch: JournalWriteBatch) => {
          const findings = findingsOf(batch);
          if (findings.length > 0) throw new SensitiveDataError({ boundary: 'journal', findings });
          return target.write(batch);
        };
      }
      const member = Reflect.get(target, property, receiver) as unknown;
      return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
    },
  });
}
