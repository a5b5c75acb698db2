import type { JournalPut, JournalV1, JournalWriteBatch } from '../ports/journal/v1/journal.js';
import { SensitiveDataError } from './sensitive-data-error.js';
import { findSensitiveData, findSensitiveDataInText, type SensitiveDataFinding } from './sensitive-data-scanner.js';

/** Throws `SensitiveDataError` when `value` holds cardholder data; does nothing otherwise. */
export function assertNoSensitiveData(value: unknown, boundary: string, path = '$'): void {
  const findings = findSensitiveData(value, { path });
  if (findings.length > 0) throw new SensitiveDataError({ boundary, findings });
}

/** Adds the findings of one text member of a put (paths are built only for a finding). */
function scanText(findings: SensitiveDataFinding[], text: string, index: number, member: 'key' | 'index' | 'value'): void {
  const found = findSensitiveDataInText(text, '');
  for (const finding of found) findings.push({ ...finding, path: `$.puts[${index}].${member}` });
}

function batchFindings(batch: JournalWriteBatch): SensitiveDataFinding[] {
  const findings: SensitiveDataFinding[] = [];
  const puts = batch.puts ?? [];
  for (let index = 0; index < puts.length; index += 1) {
    const put = puts[index] as JournalPut;
    // Record keys, indexes and values are strings: scanned as text directly (a JSON value's
    // network transaction ids are recognized by their names in the text).
    scanText(findings, put.key, index, 'key');
    if (put.index !== undefined) scanText(findings, put.index, index, 'index');
    scanText(findings, put.value, index, 'value');
  }
  for (const [index, remove] of (batch.deletes ?? []).entries()) {
    findings.push(...findSensitiveData(remove.key, { path: `$.deletes[${index}].key` }));
  }
  for (const [index, message] of (batch.outbox ?? []).entries()) {
    findings.push(...findSensitiveData(message, { path: `$.outbox[${index}]` }));
  }
  return findings;
}

/**
 * Wraps a journal so that no write can store cardholder data: every record value, key, index and
 * outbox payload of a batch is scanned before the batch reaches the journal, and a batch with any
 * finding is refused whole with `SensitiveDataError`. Reads pass through untouched.
 *
 * What counts as cardholder data is `findSensitiveDataInText`'s rule: network transaction ids
 * under their names (`"networkTransactionId":"…"`) and digit runs inside identifiers (UUIDs, hex
 * digests, `pi_3PqW…`) are not card numbers, so the Transaction State Manager's records and the
 * Order State Synchronizer's keys pass. Text without three digits in a row (digit-free base64
 * ciphertext, keyed hashes) is cleared by a single test, which keeps the vault's writes cheap.
 */
export function guardJournal(journal: JournalV1): JournalV1 {
  return new Proxy(journal, {
    get(target, property, receiver) {
      if (property === 'write') {
        return async (batch: JournalWriteBatch) => {
          const findings = batchFindings(batch);
          if (findings.length > 0) throw new SensitiveDataError({ boundary: 'journal', findings });
          return target.write(batch);
        };
      }
      const member = Reflect.get(target, property, receiver) as unknown;
      return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
    },
  });
}
