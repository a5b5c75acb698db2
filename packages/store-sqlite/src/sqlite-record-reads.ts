import type { JournalRecord } from '@paymigrate/core';
import { recordFromRow } from './sqlite-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** What a read of no key, or of keys none of which exists, returns, shared: it is frozen. */
const noRecords: readonly JournalRecord[] = Object.freeze([]);

/**
 * Reads several records of one collection from one snapshot, in the order of `keys`, each once;
 * absent keys are left out. ONE statement (`selectRecordsByKeys`) reads them all, so no
 * transaction is needed for the snapshot: a `BEGIN`/`COMMIT` and a statement per key cost more
 * than the key lookups themselves.
 */
export function readRecords(statements: SqliteStatements, collection: string, keys: readonly string[]): readonly JournalRecord[] {
  if (keys.length === 0) return noRecords;
  const rows = statements.selectRecordsByKeys.all(collection, JSON.stringify(keys));
  if (rows.length === 0) return noRecords;
  const rowsByKey = new Map(rows.map((row) => [row[1], row]));
  const found: JournalRecord[] = [];
  for (const key of keys) {
    const row = rowsByKey.get(key);
    if (row === undefined) continue;
    // Deleted once found: a key named twice is returned once.
    rowsByKey.delete(key);
    found.push(recordFromRow(row));
  }
  return Object.freeze(found);
}
