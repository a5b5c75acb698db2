import type { JournalLease, JournalRecord, OutboxMessage } from '@paymigrate/core';
import type { OutboxRow, RecordRow } from './sqlite-statements.js';

/** A frozen lease, or `undefined` when the row has no owner. */
function leaseOf(owner: string | null, expiresAt: number | null): JournalLease | undefined {
  if (owner === null) return undefined;
  return Object.freeze({ owner, expiresAt: expiresAt as number });
}

/** Maps a raw `records` row (`RecordRow`) to a frozen `JournalRecord` snapshot. */
export function recordFromRow(row: RecordRow): JournalRecord {
  return Object.freeze({
    collection: row[0],
    key: row[1],
    version: row[2],
    value: row[3],
    index: row[4] ?? undefined,
    updatedAt: row[5],
    lease: leaseOf(row[6], row[7]),
  });
}

/** Maps a raw `outbox` row (`OutboxRow`) to a frozen `OutboxMessage` snapshot. */
export function messageFromRow(row: OutboxRow): OutboxMessage {
  return Object.freeze({
    topic: row[1],
    orderingKey: row[2],
    deduplicationId: row[3],
    payload: row[4],
    sequence: row[0],
    attempts: row[5],
    enqueuedAt: row[6],
    availableAt: row[7],
    lease: leaseOf(row[8], row[9]),
    lastError: row[10] ?? undefined,
  });
}
