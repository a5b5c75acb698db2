import type { JournalLease, JournalRecord, OutboxMessage } from '@paymigrate/core';
import type { OutboxRow, RecordRow } from './sqlite-statements.js';

/** A frozen lease, or `undefined` when the row has no owner. */
function leaseOf(owner: string | null, expiresAt: number | null): JournalLease | undefined {
  if (owner === null) return undefined;
  return Object.freeze({ owner, expiresAt: expiresAt as number });
}

/** Maps a `records` row to a frozen `JournalRecord` snapshot. */
export function recordFromRow(row: RecordRow): JournalRecord {
  return Object.freeze({
    collection: row.collection,
    key: row.key,
    version: row.version,
    value: row.value,
    index: row.index_value ?? undefined,
    updatedAt: row.updated_at,
    lease: leaseOf(row.lease_owner, row.lease_expires_at),
  });
}

/** Maps an `outbox` row to a frozen `OutboxMessage` snapshot. */
export function messageFromRow(row: OutboxRow): OutboxMessage {
  return Object.freeze({
    topic: row.topic,
    orderingKey: row.ordering_key,
    deduplicationId: row.deduplication_id,
    payload: row.payload,
    sequence: row.sequence,
    attempts: row.attempts,
    enqueuedAt: row.enqueued_at,
    availableAt: row.available_at,
    lease: leaseOf(row.lease_owner, row.lease_expires_at),
    lastError: row.last_error ?? undefined,
  });
}
