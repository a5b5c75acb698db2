import type { JournalV1, JournalWriteBatch } from '../ports/journal/v1/journal.js';
import { SensitiveDataError } from './sensitive-data-error.js';
import { findSensitiveData, type SensitiveDataFinding } from './sensitive-data-scanner.js';

/** Throws `SensitiveDataError` when `value` holds cardholder data; does nothing otherwise. */
export function assertNoSensitiveData(value: unknown, boundary: string, path = '$'): void {
  const findings = findSensitiveData(value, { path });
  if (findings.length > 0) throw new SensitiveDataError({ boundary, findings });
}

function batchFindings(batch: JournalWriteBatch): SensitiveDataFinding[] {
  const findings: SensitiveDataFinding[] = [];
  for (const [index, put] of (batch.puts ?? []).entries()) {
    findings.push(...findSensitiveData({ key: put.key, index: put.index ?? '', value: put.value }, { path: `$.puts[${index}]` }));
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
