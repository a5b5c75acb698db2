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

/** The outbox sequences of a batch without messages, shared: it is frozen. */
const emptySequences: readonly number[] = Object.freeze([]);

/** Orders outbox rows by sequence, lowest first. */
function bySequence(left: OutboxRow, right: OutboxRow): number {
  return left[0] - right[0];
}

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

/** What became of one batch of a group: its result, or the conflict that kept it from being written. */
export type GroupedBatchOutcome =
  | { readonly committed: true; readonly result: JournalWriteResult }
  | { readonly committed: false; readonly conflict: VersionConflictError };

/** The transaction functions of one connection (call `.immediate(...)` or `.deferred(...)`). */
export interface SqliteTransactions {
  readonly writeBatch: Database.Transaction<
    (puts: readonly JournalPut[], deletes: readonly JournalDelete[], outbox: readonly OutboxMessageInput[]) => JournalWriteResult
  >;
  readonly writeGroup: Database.Transaction<(batches: readonly GroupedBatch[]) => readonly GroupedBatchOutcome[]>;
  readonly claimRecords: Database.Transaction<(request: RecordClaimRequest) => readonly JournalRecord[]>;
  readonly claimMessages: Database.Transaction<(request: MessageClaimRequest) => readonly OutboxMessage[]>;
  readonly acknowledgeMessages: Database.Transaction<(sequences: readonly number[], owner: string) => readonly number[]>;
}

/**
 * The journal's multi-statement units of work as better-sqlite3 transaction functions, built once
 * per connection. Callers pick the mode: `.immediate(...)` for writers (the write lock is taken at
 * `BEGIN`, so the checks inside see the state the changes apply to, also across processes), and
 * `.deferred(...)` for consistent reads. (`getMany` needs none: it reads its keys in one statement,
 * see `readRecords`.)
 *
 * Each function reads the clock inside the transaction, after the lock is held: a claimer that
 * waited for another process's lock still gets its full lease.
 */
export function createSqliteTransactions(database: Database.Database, statements: SqliteStatements, clock: ClockV1): SqliteTransactions {
  /** The conflict of `operation`, with the version the record has now (`undefined` when absent). */
  function versionConflict(operation: JournalPut | JournalDelete, expectedVersion: number): VersionConflictError {
    const actualVersion = statements.selectVersion.get(operation.collection, operation.key);
    return new VersionConflictError({ collection: operation.collection, key: operation.key, expectedVersion, actualVersion });
  }

  /**
   * Writes one record in ONE statement chosen by its condition: insert-only for `0`, update at that
   * version for `n`, upsert for `'any'`. Returns the new version.
   * @throws VersionConflictError when the condition does not hold (nothing of this record written).
   */
  function applyPut(put: JournalPut, index: string | null, now: number): number {
    const expected = put.expectedVersion;
    if (expected === 'any') return statements.upsertRecord.get(put.collection, put.key, put.value, index, now) as number;
    const written =
      expected === 0
        ? statements.insertNewRecord.run(put.collection, put.key, put.value, index, now).changes
        : statements.updateRecordAtVersion.run(put.value, index, now, put.collection, put.key, expected).changes;
    if (written === 0) throw versionConflict(put, expected);
    return expected + 1;
  }

  /**
   * Deletes one record when its condition holds (absent for `0`: nothing to delete).
   * @throws VersionConflictError when it does not.
   */
  function applyDelete(deletion: JournalDelete): void {
    const expected = deletion.expectedVersion;
    if (expected === 'any') {
      statements.deleteRecord.run(deletion.collection, deletion.key);
      return;
    }
    if (expected === 0) {
      if (statements.selectVersion.get(deletion.collection, deletion.key) === undefined) return;
    } else if (statements.deleteRecordAtVersion.run(deletion.collection, deletion.key, expected).changes === 1) {
      return;
    }
    throw versionConflict(deletion, expected);
  }

  /** Enqueues one message, or finds the sequence of the message already enqueued with its deduplication id. */
  function enqueueMessage(message: OutboxMessageInput, now: number): number {
    const inserted = statements.insertMessage.run(message.topic, message.orderingKey, message.deduplicationId, message.payload, now, now);
    // Sequences are safe integers (AUTOINCREMENT from 1), so `lastInsertRowid` is a number.
    if (inserted.changes === 1) return Number(inserted.lastInsertRowid);
    return statements.selectSequenceByDeduplicationId.get(message.deduplicationId) as number;
  }

  /**
   * Applies puts (in order), deletes and outbox messages, each put and delete checking its own
   * compare-and-set condition in the statement that writes it. A batch names each record once
   * (`assertBatchShape`), so applying an earlier operation never changes the version a later one
   * sees: the first conflict met is the first conflicting record in the documented order (puts,
   * then deletes), exactly as if every version had been checked first. Not a transaction itself:
   * the caller's transaction rolls back whatever it applied when it throws.
   */
  function applyBatch(puts: readonly JournalPut[], deletes: readonly JournalDelete[], outbox: readonly OutboxMessageInput[]): JournalWriteResult {
    const now = clock.now();
    const records = new Array<JournalRecord>(puts.length);
    for (let position = 0; position < puts.length; position += 1) {
      const put = puts[position] as JournalPut;
      const index = put.index;
      const version = applyPut(put, index ?? null, now);
      records[position] = Object.freeze({
        collection: put.collection,
        key: put.key,
        version,
        value: put.value,
        index: index ?? undefined,
        updatedAt: now,
        lease: undefined,
      });
    }
    for (const deletion of deletes) applyDelete(deletion);
    const outboxSequences = outbox.length === 0 ? emptySequences : outbox.map((message) => enqueueMessage(message, now));
    return Object.freeze({ records: Object.freeze(records), outboxSequences: Object.freeze(outboxSequences) });
  }

  /**
   * The conflict of the first put or delete (puts in order, then deletes) whose compare-and-set
   * condition does not hold now, or `undefined` when every one holds: one version read per
   * conditional operation (`'any'` has no condition). Inside the group's write transaction nothing
   * else writes between this check and the batch's statements, so a batch that passes it applies
   * without a conflict.
   */
  function firstConflict(puts: readonly JournalPut[], deletes: readonly JournalDelete[]): VersionConflictError | undefined {
    for (const operation of puts) {
      const conflict = conflictOf(operation);
      if (conflict !== undefined) return conflict;
    }
    for (const operation of deletes) {
      const conflict = conflictOf(operation);
      if (conflict !== undefined) return conflict;
    }
    return undefined;
  }

  /** The conflict of one operation whose expected version is not the record's (absent for `0`), else `undefined`. */
  function conflictOf(operation: JournalPut | JournalDelete): VersionConflictError | undefined {
    const expectedVersion = operation.expectedVersion;
    if (expectedVersion === 'any') return undefined;
    const actualVersion = statements.selectVersion.get(operation.collection, operation.key);
    if ((expectedVersion === 0 ? undefined : expectedVersion) === actualVersion) return undefined;
    return new VersionConflictError({ collection: operation.collection, key: operation.key, expectedVersion, actualVersion });
  }

  return {
    /** One batch in its own transaction: a conflict rolls all of it back. */
    writeBatch: database.transaction(applyBatch),

    /**
     * Group commit: several callers' batches in ONE transaction, so all of them become durable with
     * the one commit (one WAL fsync with `synchronous = FULL`). Each batch's compare-and-set
     * conditions are checked first (`firstConflict`): a batch whose condition fails is reported as
     * a conflict and nothing of it is written, the others stay. Batches apply in the order given,
     * so a later batch sees (and is checked against) the earlier ones, exactly as if they had been
     * written one after the other. Any other error aborts the whole group (nothing is committed).
     *
     * No savepoint per batch: SQLite copies every page a savepoint first changes into a statement
     * journal (a temporary file), which cost a group of 128 batches with an outbox message each
     * about 100 us per batch, several times the version reads that replace it.
     */
    writeGroup: database.transaction((batches: readonly GroupedBatch[]): readonly GroupedBatchOutcome[] =>
      batches.map((batch): GroupedBatchOutcome => {
        const conflict = firstConflict(batch.puts, batch.deletes);
        if (conflict !== undefined) return { committed: false, conflict };
        return { committed: true, result: applyBatch(batch.puts, batch.deletes, batch.outbox) };
      }),
    ),

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
      const rows = statements.claimMessages.all(request.owner, now + request.leaseMs, JSON.stringify(sequences));
      // The selection is in sequence order; `RETURNING` rows come in no particular order.
      rows.sort(bySequence);
      return Object.freeze(rows.map(messageFromRow));
    }),

    /** Marks delivered the messages `owner` holds; returns those it marked, in the order given. */
    acknowledgeMessages: database.transaction((sequences: readonly number[], owner: string): readonly number[] => {
      if (sequences.length === 0) return emptySequences;
      const marked = new Set(statements.acknowledgeMessages.all(clock.now(), JSON.stringify(sequences), owner));
      // In the order given, each once (a sequence named twice was marked once).
      const acknowledged: number[] = [];
      for (const sequence of sequences) if (marked.delete(sequence)) acknowledged.push(sequence);
      return Object.freeze(acknowledged);
    }),
  };
}
