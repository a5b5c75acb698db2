import {
  type ClockV1,
  type JournalDelete,
  type JournalPut,
  type JournalRecord,
  type JournalWriteResult,
  type OutboxMessage,
  type OutboxMessageInput,
  VersionConflictError,
} from '@paymigrate/core';
import type Database from 'better-sqlite3';
import { messageFromRow, recordFromRow } from './sqlite-rows.js';
import type { OutboxRow, RecordRow, SqliteStatements } from './sqlite-statements.js';

/** What `claimRecords` needs, already validated. */
export interface RecordClaimRequest {
  /** Collection to claim from. */
  readonly collection: string;
  /** Index value the records must have. */
  readonly index: string;
  /** The claiming worker. */
  readonly owner: string;
  /** Lease length, milliseconds. */
  readonly leaseMs: number;
  /** Maximum number of records. */
  readonly limit: number;
}

/** What `claimMessages` needs, already validated; `topics` undefined means every topic. */
export interface MessageClaimRequest {
  /** The claiming worker. */
  readonly owner: string;
  /** Lease length, milliseconds. */
  readonly leaseMs: number;
  /** Maximum number of messages. */
  readonly limit: number;
  /** Topics to claim from; `undefined` for all. */
  readonly topics: readonly string[] | undefined;
}

/** One caller's batch inside a group commit, already validated. */
export interface GroupedBatch {
  /** Records to create or update. */
  readonly puts: readonly JournalPut[];
  /** Records to delete. */
  readonly deletes: readonly JournalDelete[];
  /** Messages to enqueue. */
  readonly outbox: readonly OutboxMessageInput[];
}

/** What became of one batch of a group: its result, or the conflict that rolled it back to its savepoint. */
export type GroupedBatchOutcome =
  | { readonly committed: true; readonly result: JournalWriteResult }
  | { readonly committed: false; readonly conflict: VersionConflictError };

/** The transaction functions of one connection (call `.immediate(...)` or `.deferred(...)`). */
export interface SqliteTransactions {
  readonly writeBatch: Database.Transaction<
    (puts: readonly JournalPut[], deletes: readonly JournalDelete[], outbox: readonly OutboxMessageInput[]) => JournalWriteResult
  >;
  readonly writeGroup: Database.Transaction<(batches: readonly GroupedBatch[]) => readonly GroupedBatchOutcome[]>;
  readonly readRecords: Database.Transaction<(collection: string, keys: readonly string[]) => readonly JournalRecord[]>;
  readonly claimRecords: Database.Transaction<(request: RecordClaimRequest) => readonly JournalRecord[]>;
  readonly claimMessages: Database.Transaction<(request: MessageClaimRequest) => readonly OutboxMessage[]>;
  readonly acknowledgeMessages: Database.Transaction<(sequences: readonly number[], owner: string) => readonly number[]>;
}

/**
 * The journal's multi-statement units of work as better-sqlite3 transaction functions, built once
 * per connection. Callers pick the mode: `.immediate(...)` for writers (the write lock is taken at
 * `BEGIN`, so the checks inside see the state the changes apply to, also across processes), and
 * `.deferred(...)` for consistent reads.
 *
 * Each function reads the clock inside the transaction, after the lock is held: a claimer that
 * waited for another process's lock still gets its full lease.
 */
export function createSqliteTransactions(database: Database.Database, statements: SqliteStatements, clock: ClockV1): SqliteTransactions {
  /** Throws `VersionConflictError` unless the record is at the expected version (absent for 0). */
  function assertVersionMatches(operation: JournalPut | JournalDelete): void {
    const expected = operation.expectedVersion;
    if (expected === 'any') return;
    const actual = statements.selectVersion.get(operation.collection, operation.key);
    if (expected === 0 ? actual === undefined : actual === expected) return;
    throw new VersionConflictError({ collection: operation.collection, key: operation.key, expectedVersion: expected, actualVersion: actual });
  }

  /**
   * Checks every compare-and-set condition (puts, then deletes) before changing anything, then
   * applies puts, deletes and outbox messages. A thrown conflict rolls the transaction back (or,
   * called inside `writeGroup`, rolls back to the batch's savepoint).
   */
  const writeBatch = database.transaction(
    (puts: readonly JournalPut[], deletes: readonly JournalDelete[], outbox: readonly OutboxMessageInput[]): JournalWriteResult => {
      for (const operation of puts) assertVersionMatches(operation);
      for (const operation of deletes) assertVersionMatches(operation);
      const now = clock.now();
      const records = puts.map((put): JournalRecord => {
        const index = put.index ?? undefined;
        const version = statements.upsertRecord.get(put.collection, put.key, put.value, index ?? null, now) as number;
        return Object.freeze({ collection: put.collection, key: put.key, version, value: put.value, index, updatedAt: now, lease: undefined });
      });
      for (const deletion of deletes) statements.deleteRecord.run(deletion.collection, deletion.key);
      const outboxSequences = outbox.map(
        (message) =>
          statements.insertMessage.get(message.topic, message.orderingKey, message.deduplicationId, message.payload, now, now) ??
          (statements.selectSequenceByDeduplicationId.get(message.deduplicationId) as number),
      );
      return Object.freeze({ records: Object.freeze(records), outboxSequences: Object.freeze(outboxSequences) });
    },
  );

  return {
    writeBatch,

    /**
     * Group commit: several callers' batches in ONE transaction, each in its own savepoint
     * (better-sqlite3 turns a transaction function called inside another into `SAVEPOINT` /
     * `RELEASE`, and into `ROLLBACK TO` when it throws). A batch whose compare-and-set fails is
     * rolled back to its savepoint and reported as a conflict; the others stay, and all of them
     * become durable with the one commit (one WAL fsync with `synchronous = FULL`). Batches apply
     * in the order given, so a later batch sees the earlier ones, exactly as if they had been
     * written one after the other. Any other error aborts the whole group (nothing is committed).
     */
    writeGroup: database.transaction((batches: readonly GroupedBatch[]): readonly GroupedBatchOutcome[] =>
      batches.map((batch): GroupedBatchOutcome => {
        try {
          return { committed: true, result: writeBatch(batch.puts, batch.deletes, batch.outbox) };
        } catch (error) {
          if (VersionConflictError.isInstance(error)) return { committed: false, conflict: error };
          throw error;
        }
      }),
    ),

    /** Reads several records from one snapshot, in the order of `keys`, each once. */
    readRecords: database.transaction((collection: string, keys: readonly string[]): readonly JournalRecord[] => {
      const found: JournalRecord[] = [];
      for (const key of new Set(keys)) {
        const row = statements.selectRecord.get(collection, key);
        if (row !== undefined) found.push(recordFromRow(row));
      }
      return Object.freeze(found);
    }),

    /** Leases the oldest claimable records and bumps their versions. */
    claimRecords: database.transaction((request: RecordClaimRequest): readonly JournalRecord[] => {
      const now = clock.now();
      const rowids = statements.selectClaimableRecords.all({
        collection: request.collection,
        index: request.index,
        owner: request.owner,
        now,
        limit: request.limit,
      });
      const expiresAt = now + request.leaseMs;
      return Object.freeze(
        rowids.map((rowid) => recordFromRow(statements.claimRecord.get({ rowid, owner: request.owner, expiresAt }) as RecordRow)),
      );
    }),

    /** Leases the oldest claimable heads of line and counts the attempts. */
    claimMessages: database.transaction((request: MessageClaimRequest): readonly OutboxMessage[] => {
      const now = clock.now();
      const sequences =
        request.topics === undefined
          ? statements.selectClaimableMessages.all({ now, limit: request.limit })
          : statements.selectClaimableMessagesOfTopics.all({ now, limit: request.limit, topics: JSON.stringify(request.topics) });
      const expiresAt = now + request.leaseMs;
      return Object.freeze(
        sequences.map((sequence) => messageFromRow(statements.claimMessage.get({ sequence, owner: request.owner, expiresAt }) as OutboxRow)),
      );
    }),

    /** Marks delivered the messages `owner` holds; returns those it marked, in the order given. */
    acknowledgeMessages: database.transaction((sequences: readonly number[], owner: string): readonly number[] => {
      const now = clock.now();
      const acknowledged = sequences.filter((sequence) => statements.acknowledgeMessage.run({ sequence, owner, now }).changes === 1);
      return Object.freeze(acknowledged);
    }),
  };
}
