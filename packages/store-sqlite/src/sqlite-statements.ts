import type Database from 'better-sqlite3';

/**
 * A row of `records` in `recordColumns` order, as better-sqlite3 returns it in raw mode (an array;
 * NULL as `null`). Raw rows cost about half of what named rows cost better-sqlite3 to build.
 */
export type RecordRow = readonly [
  collection: string,
  key: string,
  version: number,
  value: string,
  indexValue: string | null,
  updatedAt: number,
  leaseOwner: string | null,
  leaseExpiresAt: number | null,
];

/** A row of `outbox` in `outboxColumns` order, as better-sqlite3 returns it in raw mode (an array; NULL as `null`). */
export type OutboxRow = readonly [
  sequence: number,
  topic: string,
  orderingKey: string,
  deduplicationId: string,
  payload: string,
  attempts: number,
  enqueuedAt: number,
  availableAt: number,
  leaseOwner: string | null,
  leaseExpiresAt: number | null,
  lastError: string | null,
];

/** The columns of `RecordRow`, in its order. */
const recordColumns = 'collection, key, version, value, index_value, updated_at, lease_owner, lease_expires_at';
/** The columns of `OutboxRow`, in its order. */
const outboxColumns =
  'sequence, topic, ordering_key, deduplication_id, payload, attempts, enqueued_at, available_at, lease_owner, lease_expires_at, last_error';

/**
 * The undelivered messages a claim may take, oldest first: available, not under an unexpired lease,
 * and the head of their ordering key (no earlier undelivered message with the same key, whatever its
 * topic, lease or back-off). Being the head, each is the only candidate of its key.
 */
function claimableMessages(topicFilter: string): string {
  return `
    SELECT candidate.sequence FROM outbox AS candidate
    WHERE candidate.delivered_at IS NULL
      AND candidate.available_at <= @now
      AND (candidate.lease_owner IS NULL OR candidate.lease_expires_at <= @now)
      ${topicFilter}
      AND NOT EXISTS (
        SELECT 1 FROM outbox AS earlier
        WHERE earlier.delivered_at IS NULL
          AND earlier.ordering_key = candidate.ordering_key
          AND earlier.sequence < candidate.sequence
      )
    ORDER BY candidate.sequence
    LIMIT @limit`;
}

/** `topics` arrive as one JSON array parameter, expanded by `json_each`, so one statement fits any list. */
const topicFilter = 'AND candidate.topic IN (SELECT value FROM json_each(@topics))';

/**
 * The undelivered messages `listPendingOutbox` reads, leased or not, backed off or not, with at
 * least `@minimumAttempts` attempts, after `@afterSequence`, lowest sequence first. `INDEXED BY
 * outbox_pending` walks the undelivered messages in sequence order from `@afterSequence`, which is
 * the `ORDER BY`: no sort, and a page stops after `@limit` matches. Left to itself, SQLite takes
 * `outbox_pending_by_topic` for a topic filter and sorts every undelivered message of those topics
 * (a temporary B-tree) to return a page. `INDEXED BY` also makes preparing fail, rather than the
 * plan degrade in silence, should a migration drop the index.
 */
function pendingMessages(topicFilter: string): string {
  return `
    SELECT ${outboxColumns} FROM outbox AS candidate INDEXED BY outbox_pending
    WHERE candidate.delivered_at IS NULL
      AND candidate.sequence > @afterSequence
      AND candidate.attempts >= @minimumAttempts
      ${topicFilter}
    ORDER BY candidate.sequence
    LIMIT @limit`;
}

/** The named parameters of `listPendingMessages`. */
export interface PendingMessagesParameters {
  afterSequence: number;
  minimumAttempts: number;
  limit: number;
}

/** Every prepared statement of one connection; `@name` parameters bind from objects. */
export interface SqliteStatements {
  readonly selectRecord: Database.Statement<[string, string], RecordRow>;
  /** Parameters: collection, keys as one JSON array. Rows in no particular order, each once. */
  readonly selectRecordsByKeys: Database.Statement<[string, string], RecordRow>;
  readonly selectVersion: Database.Statement<[string, string], number>;
  /** Parameters: collection, key, value, index (or null), now. Positional: the hot path of bulk writes, faster than named binding. */
  readonly upsertRecord: Database.Statement<[string, string, string, string | null, number], number>;
  /** Parameters: collection, key, value, index (or null), now. Creates at version 1; `changes` is 0 when the record exists. */
  readonly insertNewRecord: Database.Statement<[string, string, string, string | null, number]>;
  /** Parameters: value, index (or null), now, collection, key, expected version. `changes` is 0 when the record is absent or at another version. */
  readonly updateRecordAtVersion: Database.Statement<[string, string | null, number, string, string, number]>;
  readonly deleteRecord: Database.Statement<[string, string]>;
  /** Parameters: collection, key, expected version. Deletes only at that version (`changes` says whether it did). */
  readonly deleteRecordAtVersion: Database.Statement<[string, string, number]>;
  readonly listRecords: Database.Statement<{ collection: string; limit: number }, RecordRow>;
  readonly listRecordsAfter: Database.Statement<{ collection: string; afterKey: string; limit: number }, RecordRow>;
  readonly listIndexedRecords: Database.Statement<{ collection: string; index: string; limit: number }, RecordRow>;
  readonly listIndexedRecordsAfter: Database.Statement<{ collection: string; index: string; afterKey: string; limit: number }, RecordRow>;
  readonly countRecords: Database.Statement<[string], number>;
  readonly countIndexedRecords: Database.Statement<[string, string], number>;
  readonly selectClaimableRecords: Database.Statement<{ collection: string; index: string; owner: string; now: number; limit: number }, number>;
  readonly claimRecord: Database.Statement<{ rowid: number; owner: string; expiresAt: number }, RecordRow>;
  /**
   * Parameters: topic, ordering key, deduplication id, payload, enqueued at, available at. `changes`
   * is 0 when the deduplication id is already known; otherwise `lastInsertRowid` is the sequence.
   */
  readonly insertMessage: Database.Statement<[string, string, string, string, number, number]>;
  readonly selectSequenceByDeduplicationId: Database.Statement<[string], number>;
  readonly selectClaimableMessages: Database.Statement<{ now: number; limit: number }, number>;
  readonly selectClaimableMessagesOfTopics: Database.Statement<{ now: number; limit: number; topics: string }, number>;
  /** Parameters: owner, expires at, sequences as one JSON array. Rows in no particular order. */
  readonly claimMessages: Database.Statement<[string, number, string], OutboxRow>;
  /** Parameters: now, sequences as one JSON array, owner. Returns the sequences it marked, in no particular order. */
  readonly acknowledgeMessages: Database.Statement<[number, string, string], number>;
  readonly releaseMessage: Database.Statement<{ sequence: number; owner: string; availableAt: number; error: string | null }>;
  /** Parameters: delivered before, limit. Deletes the delivered messages acknowledged before the cutoff, lowest sequence first (`changes`: how many). */
  readonly deleteDeliveredMessages: Database.Statement<[number, number]>;
  readonly countPendingMessages: Database.Statement<[], number>;
  readonly countPendingMessagesOfTopics: Database.Statement<[string], number>;
  /** Undelivered messages for `listPendingOutbox`, lowest sequence first (see `pendingMessages`). */
  readonly listPendingMessages: Database.Statement<PendingMessagesParameters, OutboxRow>;
  /** The same, of the topics given as one JSON array. */
  readonly listPendingMessagesOfTopics: Database.Statement<PendingMessagesParameters & { topics: string }, OutboxRow>;
  /** `PRAGMA data_version`: changes when another connection (another process) commits. */
  readonly dataVersion: Database.Statement<[], number>;
}

/**
 * Prepares every statement the journal runs, once per connection (better-sqlite3 caches nothing by
 * itself; preparing per call would dominate small operations).
 */
export function prepareSqliteStatements(database: Database.Database): SqliteStatements {
  return {
    selectRecord: database.prepare<[string, string], RecordRow>(`SELECT ${recordColumns} FROM records WHERE collection = ? AND key = ?`).raw(),
    /**
     * Several records in ONE statement (one snapshot without a transaction): the keys arrive as one
     * JSON array expanded by `json_each`, each looked up through the primary key.
     */
    selectRecordsByKeys: database.prepare<[string, string], RecordRow>(
      `SELECT ${recordColumns} FROM records WHERE collection = ? AND key IN (SELECT value FROM json_each(?))`,
    ).raw(),
    selectVersion: database.prepare<[string, string], number>('SELECT version FROM records WHERE collection = ? AND key = ?').pluck(),
    /** Creates at version 1 or bumps the version; either way clears the lease. Returns the new version. */
    upsertRecord: database
      .prepare<[string, string, string, string | null, number], number>(
        `INSERT INTO records (${recordColumns})
         VALUES (?, ?, 1, ?, ?, ?, NULL, NULL)
         ON CONFLICT (collection, key) DO UPDATE SET
           version = version + 1, value = excluded.value, index_value = excluded.index_value,
           updated_at = excluded.updated_at, lease_owner = NULL, lease_expires_at = NULL
         RETURNING version`,
      )
      .pluck(),
    /**
     * The insert-only path of `expectedVersion: 0`: one statement instead of a version check plus an
     * upsert. No `RETURNING` (an inserted record is at version 1): SQLite buffers `RETURNING` rows,
     * which made this statement about 20 % slower in the import micro-benchmark.
     */
    insertNewRecord: database.prepare<[string, string, string, string | null, number]>(
      `INSERT INTO records (${recordColumns})
       VALUES (?, ?, 1, ?, ?, ?, NULL, NULL)
       ON CONFLICT (collection, key) DO NOTHING`,
    ),
    /** The compare-and-set path of `expectedVersion: n`: moves to version n + 1 and clears the lease, only at version n. */
    updateRecordAtVersion: database.prepare<[string, string | null, number, string, string, number]>(
      `UPDATE records SET
         version = version + 1, value = ?, index_value = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL
       WHERE collection = ? AND key = ? AND version = ?`,
    ),
    deleteRecord: database.prepare<[string, string]>('DELETE FROM records WHERE collection = ? AND key = ?'),
    deleteRecordAtVersion: database.prepare<[string, string, number]>('DELETE FROM records WHERE collection = ? AND key = ? AND version = ?'),
    listRecords: database.prepare<{ collection: string; limit: number }, RecordRow>(
      `SELECT ${recordColumns} FROM records WHERE collection = @collection ORDER BY key LIMIT @limit`,
    ).raw(),
    listRecordsAfter: database.prepare<{ collection: string; afterKey: string; limit: number }, RecordRow>(
      `SELECT ${recordColumns} FROM records WHERE collection = @collection AND key > @afterKey ORDER BY key LIMIT @limit`,
    ).raw(),
    listIndexedRecords: database.prepare<{ collection: string; index: string; limit: number }, RecordRow>(
      `SELECT ${recordColumns} FROM records WHERE collection = @collection AND index_value = @index ORDER BY key LIMIT @limit`,
    ).raw(),
    listIndexedRecordsAfter: database.prepare<{ collection: string; index: string; afterKey: string; limit: number }, RecordRow>(
      `SELECT ${recordColumns} FROM records
       WHERE collection = @collection AND index_value = @index AND key > @afterKey ORDER BY key LIMIT @limit`,
    ).raw(),
    countRecords: database.prepare<[string], number>('SELECT count(*) FROM records WHERE collection = ?').pluck(),
    countIndexedRecords: database.prepare<[string, string], number>('SELECT count(*) FROM records WHERE collection = ? AND index_value = ?').pluck(),
    /** Row ids of the records a claim takes, oldest `updated_at` first, then key order. */
    selectClaimableRecords: database
      .prepare<{ collection: string; index: string; owner: string; now: number; limit: number }, number>(
        `SELECT rowid FROM records
         WHERE collection = @collection AND index_value = @index
           AND (lease_owner IS NULL OR lease_expires_at <= @now OR lease_owner = @owner)
         ORDER BY updated_at, key
         LIMIT @limit`,
      )
      .pluck(),
    /** Leases one record and bumps its version; `updated_at` stays, so the record keeps its place in the claim order. */
    claimRecord: database.prepare<{ rowid: number; owner: string; expiresAt: number }, RecordRow>(
      `UPDATE records SET version = version + 1, lease_owner = @owner, lease_expires_at = @expiresAt
       WHERE rowid = @rowid
       RETURNING ${recordColumns}`,
    ).raw(),
    /**
     * Enqueues a message unless its deduplication id is known. Without `RETURNING` (SQLite buffers
     * `RETURNING` rows): the sequence is the row id of the insert (`lastInsertRowid`), read only when
     * `changes` is 1. About a fifth less CPU per enqueued message in the store micro-benchmark.
     */
    insertMessage: database.prepare<[string, string, string, string, number, number]>(
      `INSERT INTO outbox (topic, ordering_key, deduplication_id, payload, attempts, enqueued_at, available_at)
       VALUES (?, ?, ?, ?, 0, ?, ?)
       ON CONFLICT (deduplication_id) DO NOTHING`,
    ),
    selectSequenceByDeduplicationId: database.prepare<[string], number>('SELECT sequence FROM outbox WHERE deduplication_id = ?').pluck(),
    selectClaimableMessages: database.prepare<{ now: number; limit: number }, number>(claimableMessages('')).pluck(),
    selectClaimableMessagesOfTopics: database.prepare<{ now: number; limit: number; topics: string }, number>(claimableMessages(topicFilter)).pluck(),
    /** Leases the messages a claim selected and counts their attempts, in ONE statement. */
    claimMessages: database.prepare<[string, number, string], OutboxRow>(
      `UPDATE outbox SET attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?
       WHERE sequence IN (SELECT value FROM json_each(?))
       RETURNING ${outboxColumns}`,
    ).raw(),
    /** Marks delivered, in ONE statement, the messages `owner` holds the lease of (expired or not, as long as nobody took it over). */
    acknowledgeMessages: database
      .prepare<[number, string, string], number>(
        `UPDATE outbox SET delivered_at = ?
         WHERE sequence IN (SELECT value FROM json_each(?)) AND delivered_at IS NULL AND lease_owner = ?
         RETURNING sequence`,
      )
      .pluck(),
    /** Gives a message back for a later attempt; keeps the previous error when none is given. */
    releaseMessage: database.prepare<{ sequence: number; owner: string; availableAt: number; error: string | null }>(
      `UPDATE outbox SET available_at = @availableAt, lease_owner = NULL, lease_expires_at = NULL,
         last_error = coalesce(@error, last_error)
       WHERE sequence = @sequence AND delivered_at IS NULL AND lease_owner = @owner`,
    ),
    // Scans from the lowest sequence: delivered rows are nearly all the oldest ones, so a page is
    // found at the start of the table; AUTOINCREMENT keeps a deleted sequence from being reused.
    deleteDeliveredMessages: database.prepare<[number, number]>(
      `DELETE FROM outbox WHERE sequence IN (
         SELECT sequence FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ? ORDER BY sequence LIMIT ?
       )`,
    ),
    countPendingMessages: database.prepare<[], number>('SELECT count(*) FROM outbox WHERE delivered_at IS NULL').pluck(),
    countPendingMessagesOfTopics: database
      .prepare<[string], number>('SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND topic IN (SELECT value FROM json_each(?))')
      .pluck(),
    listPendingMessages: database.prepare<PendingMessagesParameters, OutboxRow>(pendingMessages('')).raw(),
    listPendingMessagesOfTopics: database.prepare<PendingMessagesParameters & { topics: string }, OutboxRow>(pendingMessages(topicFilter)).raw(),
    dataVersion: database.prepare<[], number>('PRAGMA data_version').pluck(),
  };
}
