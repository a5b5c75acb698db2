import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setImmediate as scheduleImmediate } from 'node:timers';
import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  type JournalClaimOptions,
  type JournalListOptions,
  type JournalRecord,
  type JournalV1,
  type JournalWriteBatch,
  type JournalWriteResult,
  type OutboxClaimOptions,
  type OutboxMessage,
  type PendingOutboxQuery,
  VersionConflictError,
} from '@paymigrate/core';
import Database from 'better-sqlite3';
import { assertAvailableAt, assertBatchShape, assertDeliveredBefore, assertLeaseMilliseconds, assertLimit, assertPendingOutboxQuery } from './journal-arguments.js';
import { CommitFootprints } from './sqlite-commit-footprints.js';
import { journalClosedError, journalOpenError, journalReadonlyError, journalSchemaError, translateSqliteError } from './sqlite-journal-errors.js';
import {
  inMemoryFilename,
  parseSqliteJournalOptions,
  type ResolvedSqliteJournalOptions,
  type SqliteJournalOptions,
} from './sqlite-journal-options.js';
import { applySqliteMigrations, readSchemaVersion, sqliteMigrations } from './sqlite-migrations.js';
import { readRecords } from './sqlite-record-reads.js';
import { messageFromRow, recordFromRow } from './sqlite-rows.js';
import { prepareSqliteStatements, type SqliteStatements } from './sqlite-statements.js';
import { createSqliteTransactions, type GroupedBatch, type SqliteTransactions } from './sqlite-transactions.js';
import { setBulkCacheSpill } from './sqlite-bulk-cache-spill.js';
import { WalSynchronizer } from './sqlite-wal-sync.js';

/** One open connection and everything prepared on it. */
interface SqliteConnection {
  readonly database: Database.Database;
  readonly statements: SqliteStatements;
  readonly transactions: SqliteTransactions;
  readonly schemaVersion: number;
  /** Syncs the WAL off the event loop (`synchronous: 'FULL'` on a file in WAL mode); absent when SQLite syncs, or nothing needs syncing. */
  readonly walSync: WalSynchronizer | undefined;
  /** What each commit changed (a collection, the outbox), so a claim waits only for the commits that changed what it searched. */
  readonly footprints: CommitFootprints;
  /** Whether this writable connection runs the file in WAL mode (checkpoint thresholds apply). */
  readonly walMode: boolean;
  /** Whether the connection's `wal_autocheckpoint` is at `bulkWalAutocheckpointPages` now. */
  bulkCheckpoints: boolean;
  /** When the last bulk group committed (journal clock). */
  lastBulkGroupAt: number;
}

/**
 * Records one batch must put for its group commit to count as a bulk write (a token import writes
 * thousands per batch). Small batches (the Transaction State Manager's), however many share a
 * group, never do.
 */
export const bulkWriteRecords = 1_000;

/**
 * The WAL size (pages) at which SQLite checkpoints while bulk batches commit, instead of its
 * default `defaultWalAutocheckpointPages`. A checkpoint copies each page changed since the previous
 * one into the database file once, however often it changed meanwhile. Bulk writes into random
 * keys (two index pages per record) rewrite the same pages commit after commit: checkpointing at
 * 1,000 pages copied nearly every page of every commit (random writes, the disk's bottleneck),
 * while at this size many of those rewrites collapse into one copy (a third fewer bytes written by
 * a 200,000-row token import). The WAL then grows to about 128 MB before it is reused.
 */
export const bulkWalAutocheckpointPages = 32_000;

/** SQLite's own `wal_autocheckpoint`, in force for every other group commit. */
export const defaultWalAutocheckpointPages = 1_000;

/**
 * How long after the last bulk group the bulk threshold stays (journal clock, ms): the small writes
 * a bulk writer makes between or right after its batches (an import's claim, its completion) do not
 * each flip the threshold back and checkpoint the whole WAL on the spot.
 */
export const bulkCheckpointHoldMs = 1_000;

/** The first pause before retrying a busy `open()`; each retry waits one step longer. */
const openRetryStepMs = 5;
/** The longest pause between two attempts of a busy `open()`. */
const maximumOpenRetryDelayMs = 50;

/** An empty write result, shared: it is frozen. */
const emptyWriteResult: JournalWriteResult = Object.freeze({ records: Object.freeze([]), outboxSequences: Object.freeze([]) });

/** What an empty claim returns, shared: it is frozen. */
const emptyClaim: readonly never[] = Object.freeze([]);

/** How one kind of claim looks for candidates, claims, and says what it read and what it changed. */
interface ClaimRun<Item> {
  /** A plain read (no lock): is there at least one item to claim now? */
  readonly hasCandidate: () => boolean;
  /** The claiming transaction (`BEGIN IMMEDIATE`). */
  readonly claimItems: () => readonly Item[];
  /** The generation of the latest pending commit that changed what the claim reads. */
  readonly footprintOfRead: (footprints: CommitFootprints) => number;
  /** Notes what the claim's own lease commit changed. */
  readonly noteLeases: (footprints: CommitFootprints, generation: number) => void;
}

/** A `write()` waiting for the next group commit. */
interface QueuedWrite extends GroupedBatch {
  /** `durability: 'deferred'`: settled right after its group commits, without waiting for the WAL sync. */
  readonly deferred: boolean;
  readonly resolve: (result: JournalWriteResult) => void;
  readonly reject: (error: unknown) => void;
}

/** What the group commit of one journal instance has done since it was created (`groupCommitStatistics()`). */
export interface GroupCommitStatistics {
  /** Transactions committed (or attempted) for `write()` calls: one per group. */
  readonly commits: number;
  /** `write()` batches those groups carried (committed, conflicting or failed with their group). */
  readonly batches: number;
  /** Batches rejected with `VersionConflictError` (nothing of them written; their neighbours committed). */
  readonly conflicts: number;
  /** The largest number of batches one commit carried. */
  readonly largestGroup: number;
  /**
   * WAL syncs done off the event loop (`synchronous: 'FULL'`): each one makes every commit made
   * before it started durable, so one sync usually settles several groups.
   */
  readonly walSyncs: number;
  /** Groups committed as bulk writes (a batch of `bulkWriteRecords` records or more: rarer WAL checkpoints, see `bulkWalAutocheckpointPages`). */
  readonly bulkGroups: number;
}

/**
 * The embedded journal: one SQLite file in WAL mode through better-sqlite3, shared safely by
 * several processes on one machine. Semantics match `InMemoryJournal` exactly (checked by
 * `journalContract`, durability included).
 *
 * How it keeps the `JournalV1` guarantees:
 * - Durability: `write` resolves after its commit; with `synchronous: 'FULL'` (the default) the WAL
 *   is fsync'ed first, so the batch survives power loss; `'NORMAL'` survives process crashes only.
 *   The fsync of `'FULL'` runs off the event loop (see `WalSynchronizer`): SQLite runs with
 *   `NORMAL` and the journal syncs the WAL on libuv's thread pool after each commit, settling
 *   writes (and acknowledgements, releases) only when the sync is done, letting reads answer only
 *   once everything they may show is on disk (at once when no commit is pending), and claims once
 *   the commits that changed what they searched are (`CommitFootprints`), including other
 *   processes' commits (seen through `PRAGMA data_version`). Same guarantee as SQLite's own
 *   `FULL`, without stalling the process for each fsync.
 * - Deferred writes (`durability: 'deferred'`): settled right after their group's commit, without
 *   waiting for its WAL sync, which starts all the same (so they are on disk soon after on their
 *   own, and durable writes of the same or a later group still wait for it). Reads do not wait for
 *   commits that carried deferred batches only; claims still wait for the commits that changed what
 *   they searched, so no outbox message is handed out before it is on disk. The WAL is one file,
 *   appended and synced in commit order: a power loss can take a deferred batch only with every
 *   later commit not synced yet, never a durable one that settled.
 * - Group commit: `write` does not commit on its own. It queues its batch, and once per turn of the
 *   event loop (`setImmediate`) up to `maximumGroupCommitBatches` queued batches are committed in
 *   ONE `BEGIN IMMEDIATE` transaction, so concurrent writers share one commit and one fsync. The batches beyond wait for the next group, in a later turn, so
 *   I/O callbacks run between groups rather than after one long synchronous transaction. Each
 *   caller's promise settles only after its group's commit is durable.
 * - Atomicity and compare-and-set: each put and delete checks its expected version in the statement
 *   that writes it (insert-only for `0`), in order, puts then deletes; a batch names each record once,
 *   so the first conflict met is the first conflicting record. In a group, each batch's versions
 *   are read and checked before any of its statements run (no savepoint per batch: they cost more
 *   than the reads); a batch that conflicts writes nothing and is rejected with
 *   `VersionConflictError` naming that record, while the other batches of the group commit. Batches apply in call order, so the outcome is the one of writing
 *   them one after the other. A failure of the group itself (`JOURNAL_BUSY`, a disk error) commits
 *   nothing and rejects every batch of the group with it.
 * - Exclusive claims across processes: SQLite has no `SKIP LOCKED`; `claim` and `claimOutbox` run in
 *   `BEGIN IMMEDIATE` transactions, so the database write lock serializes claimers, and each one sees
 *   the leases of the previous one. Waiting for the lock lasts at most `busyTimeoutMs`, then the
 *   operation fails with the retryable `JOURNAL_BUSY`. A claim first looks for one candidate with a
 *   plain read (the latest committed state, whichever process committed it) and takes no lock and
 *   commits nothing when there is none. A claim settles once every commit it read is durable, not
 *   its own lease commit: losing a lease in a power loss only means the item is claimed again
 *   (at-least-once), and any later durable commit (an acknowledgement, a write) covers it.
 * - Keys sort by Unicode code point: SQLite's `BINARY` collation compares UTF-8 bytes.
 * - Checkpoints: SQLite's own, in the `COMMIT` that takes the WAL past `wal_autocheckpoint`. While
 *   groups carry bulk batches (`bulkWriteRecords` records or more, e.g. a token import), the
 *   threshold is `bulkWalAutocheckpointPages` instead of 1,000, so the index pages such writes
 *   rewrite again and again are copied into the database file once per checkpoint, not once per
 *   commit; any other group puts the default back. Bulk groups also keep up to
 *   `bulkCacheSpillPages` dirty pages in memory before SQLite spills any mid-transaction.
 *
 * Decisions shared with the in-memory journal: a lease is expired from its `expiresAt` on; a claim
 * bumps the version but keeps `updatedAt`; a batch may name each record once (`TypeError`
 * otherwise); delivered outbox messages keep their rows (marked `delivered_at`) so their
 * deduplication ids stay known; `releaseOutbox` without `error` keeps the previous `lastError`.
 * One difference: strings holding a lone UTF-16 surrogate are refused by `write` (`TypeError`),
 * because UTF-8 cannot represent them and SQLite would store an altered text.
 *
 * better-sqlite3 is synchronous: every method (but `write`, which waits for its group, and an
 * `open()` that must retry) does its work in the calling tick, so operations of one instance never
 * interleave; a wait for another process's lock blocks the event loop for up to `busyTimeoutMs`.
 * SQLite's lock is not fair (waiters poll with back-off), so a process that writes without pause can
 * starve others until their timeout.
 *
 * @example
 * const journal = createSqliteJournal({ filename: './data/paymigrate-journal.sqlite' });
 * await journal.open();
 * await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
 * await journal.close();
 */
export class SqliteJournal implements JournalV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Backend name. */
  readonly name = 'sqlite';

  readonly #options: ResolvedSqliteJournalOptions;
  #state: 'created' | 'open' | 'closed' = 'created';
  #connection: SqliteConnection | undefined;
  #opening: Promise<void> | undefined;
  #queuedWrites: QueuedWrite[] = [];
  #groupCommitScheduled = false;
  #statistics = { commits: 0, batches: 0, conflicts: 0, largestGroup: 0, walSyncs: 0, bulkGroups: 0 };
  /** `PRAGMA data_version` when this connection last looked: a change means another connection committed. */
  #dataVersion = 0;

  /**
   * Validates the options; opens nothing (call `open()`).
   * @throws ConfigurationError naming the bad option, e.g. `sqlite.synchronous`.
   */
  constructor(options: SqliteJournalOptions) {
    this.#options = parseSqliteJournalOptions(options);
  }

  /** The journal file's path as given (`':memory:'` for an in-memory journal). */
  get filename(): string {
    return this.#options.filename;
  }

  /**
   * Opens the file (creating it and its directory when absent, unless read-only), switches it to WAL
   * and runs pending migrations. Idempotent (concurrent calls share one attempt); also reopens a
   * closed instance.
   *
   * When several processes open a fresh file at once, switching to WAL can fail at once with
   * `SQLITE_BUSY` (SQLite refuses to wait there, to avoid a deadlock); the attempt is then closed and
   * retried with a short back-off until `busyTimeoutMs` has passed.
   * @throws PaymigrateError `JOURNAL_OPEN_FAILED` (SQLite refused the file), `JOURNAL_SCHEMA_UNSUPPORTED`
   *   (written by a newer version), `JOURNAL_SCHEMA_OUTDATED` (read-only and not migrated), `JOURNAL_BUSY`.
   */
  async open(): Promise<void> {
    if (this.#connection !== undefined) return;
    this.#opening ??= this.#openWithRetries().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #openWithRetries(): Promise<void> {
    const deadline = Date.now() + this.#options.busyTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        this.#connection = this.#openConnection();
        this.#state = 'open';
        return;
      } catch (error) {
        const failure = journalOpenError(this.#options.filename, translateSqliteError(error, 'open'));
        if (failure.code !== 'JOURNAL_BUSY' || Date.now() >= deadline) throw failure;
      }
      await sleepFor(Math.min(attempt * openRetryStepMs, maximumOpenRetryDelayMs));
    }
  }

  /** One synchronous attempt at opening, configuring and migrating; closes what it opened when it fails. */
  #openConnection(): SqliteConnection {
    const { filename, readonly, busyTimeoutMs, synchronous, clock } = this.#options;
    if (filename !== inMemoryFilename && !readonly) mkdirSync(dirname(resolve(filename)), { recursive: true });
    const database = new Database(filename, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    try {
      // A read-only connection cannot change the journal mode; the file keeps the WAL mode its writer set.
      const walMode = !readonly && database.pragma('journal_mode = WAL', { simple: true }) === 'wal';
      // In WAL mode FULL = NORMAL + a WAL sync after each commit, which the journal does off the event loop.
      const walSync = walMode && synchronous === 'FULL' ? new WalSynchronizer(`${resolve(filename)}-wal`) : undefined;
      database.pragma(`synchronous = ${walSync === undefined ? synchronous : 'NORMAL'}`);
      database.pragma('foreign_keys = ON');
      const schemaVersion = readonly ? readSchemaVersion(database) : applySqliteMigrations(database, { now: () => clock.now() });
      if (schemaVersion !== sqliteMigrations.length) throw journalSchemaError(filename, schemaVersion, sqliteMigrations.length);
      const statements = prepareSqliteStatements(database);
      this.#dataVersion = statements.dataVersion.get() as number;
      return { database, statements, transactions: createSqliteTransactions(database, statements, clock), schemaVersion, walSync, footprints: new CommitFootprints(), walMode, bulkCheckpoints: false, lastBulkGroupAt: 0 };
    } catch (error) {
      database.close();
      throw error;
    }
  }

  /**
   * Checkpoints the WAL into the main file (without waiting for other processes' readers) and
   * closes. Idempotent; every later call except `open` and `close` throws `JOURNAL_CLOSED`.
   */
  async close(): Promise<void> {
    // An open() in flight finishes first (successfully or not), so close() never leaves it behind.
    await this.#opening?.catch(() => undefined);
    // Writes already accepted are committed before the connection goes away.
    this.#commitQueuedWrites();
    const connection = this.#connection;
    this.#connection = undefined;
    this.#state = 'closed';
    if (connection === undefined) return;
    const { database, walSync } = connection;
    if (walSync !== undefined) {
      // Their callers hear of them once they are on disk (a failed sync is reported to them).
      await walSync.durable().catch(() => undefined);
      walSync.close();
      this.#statistics.walSyncs += walSync.syncs;
    }
    try {
      if (!this.#options.readonly) {
        // TRUNCATE resets the WAL when no other connection is using it; busy_timeout 0 makes it give
        // up at once rather than wait for other processes (their commits are safe in the WAL anyway,
        // and the last connection to close checkpoints completely).
        database.pragma('busy_timeout = 0');
        database.pragma('wal_checkpoint(TRUNCATE)');
      }
    } finally {
      database.close();
    }
  }

  /** The number of applied migrations, as found by `open()`. */
  async schemaVersion(): Promise<number> {
    return this.#connect('schemaVersion').schemaVersion;
  }

  /** Reads one record. */
  async get(collection: string, key: string): Promise<JournalRecord | undefined> {
    const connection = this.#connect('get');
    const row = this.#guard('get', () => connection.statements.selectRecord.get(collection, key));
    return this.#durableRead(connection, row === undefined ? undefined : recordFromRow(row));
  }

  /** Reads several records of one collection from one snapshot, in the order of `keys`, each once; absent keys are left out. */
  async getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    const connection = this.#connect('getMany');
    return this.#durableRead(connection, this.#guard('getMany', () => readRecords(connection.statements, collection, keys)));
  }

  /**
   * Lists records of a collection in code-point key order, optionally with one index value and
   * after a key.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000.
   */
  async list(collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]> {
    const connection = this.#connect('list');
    const { statements } = connection;
    assertLimit('list', options.limit);
    const { index, afterKey, limit } = options;
    const rows = this.#guard('list', () => {
      if (index === undefined) {
        return afterKey === undefined
          ? statements.listRecords.all({ collection, limit })
          : statements.listRecordsAfter.all({ collection, afterKey, limit });
      }
      return afterKey === undefined
        ? statements.listIndexedRecords.all({ collection, index, limit })
        : statements.listIndexedRecordsAfter.all({ collection, index, afterKey, limit });
    });
    return this.#durableRead(connection, Object.freeze(rows.map(recordFromRow)));
  }

  /** Counts records of a collection, optionally with one index value. */
  async count(collection: string, options: { readonly index?: string | undefined } = {}): Promise<number> {
    const connection = this.#connect('count');
    const { statements } = connection;
    const { index } = options;
    const count = this.#guard('count', () =>
      Number(index === undefined ? statements.countRecords.get(collection) : statements.countIndexedRecords.get(collection, index)),
    );
    return this.#durableRead(connection, count);
  }

  /**
   * Applies a batch atomically: every compare-and-set condition is checked before anything is
   * applied, so a conflict leaves records and outbox untouched. The batch is committed together with
   * the other batches written in the same turn of the event loop (group commit: one `BEGIN
   * IMMEDIATE` transaction, one fsync); the promise resolves once that commit
   * is durable, or right after the commit for `durability: 'deferred'` (the sync follows on its own).
   * An empty batch takes no lock and commits nothing.
   * @throws VersionConflictError naming the first record (puts, then deletes) whose version does not
   *   match; the other batches of the group are not affected.
   * @throws TypeError when an expected version is not `'any'` or an integer >= 0, a record appears
   *   twice, or a stored string holds a lone UTF-16 surrogate (SQLite's UTF-8 cannot keep it; the
   *   in-memory journal would accept it). Checked at once: such a batch never joins a group.
   * @throws PaymigrateError `JOURNAL_BUSY` when the group could not get the lock within
   *   `busyTimeoutMs` (nothing of the group was written).
   * @throws PaymigrateError `JOURNAL_SYNC_FAILED` (not retryable) when a WAL sync has failed since
   *   the journal was opened: it takes no write until it is closed and opened again.
   */
  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    this.#writable('write');
    const puts = batch.puts ?? [];
    const deletes = batch.deletes ?? [];
    const outbox = batch.outbox ?? [];
    assertBatchShape(puts, deletes, outbox);
    if (puts.length === 0 && deletes.length === 0 && outbox.length === 0) return emptyWriteResult;
    return new Promise<JournalWriteResult>((resolve, reject) => {
      this.#queuedWrites.push({ puts, deletes, outbox, deferred: batch.durability === 'deferred', resolve, reject });
      this.#scheduleGroupCommit();
    });
  }

  /** What the group commit has done so far: commits, batches, conflicts, the largest group. */
  groupCommitStatistics(): GroupCommitStatistics {
    const statistics = this.#statistics;
    return Object.freeze({ ...statistics, walSyncs: statistics.walSyncs + (this.#connection?.walSync?.syncs ?? 0) });
  }

  /** Has the next group committed in a later turn of the event loop (`setImmediate`), once however many writes ask. */
  #scheduleGroupCommit(): void {
    if (this.#groupCommitScheduled) return;
    this.#groupCommitScheduled = true;
    scheduleImmediate(() => this.#commitNextGroup());
  }

  /**
   * Commits the oldest queued writes, at most `maximumGroupCommitBatches`, and leaves the rest to
   * a later turn of the event loop (I/O callbacks run in between). Never throws.
   */
  #commitNextGroup(): void {
    this.#groupCommitScheduled = false;
    if (this.#queuedWrites.length === 0) return;
    this.#commitGroup(this.#queuedWrites.splice(0, this.#options.maximumGroupCommitBatches));
    if (this.#queuedWrites.length > 0) this.#scheduleGroupCommit();
  }

  /** Commits every queued write at once, group after group (for `close()`). Never throws. */
  #commitQueuedWrites(): void {
    while (this.#queuedWrites.length > 0) {
      this.#commitGroup(this.#queuedWrites.splice(0, this.#options.maximumGroupCommitBatches));
    }
  }

  /** Commits one group and settles each of its callers: its result, its conflict, or the group's failure. */
  #commitGroup(group: readonly QueuedWrite[]): void {
    const statistics = this.#statistics;
    statistics.commits += 1;
    statistics.batches += group.length;
    statistics.largestGroup = Math.max(statistics.largestGroup, group.length);
    // Writes are queued only while open, and close() commits the queue before letting go of the connection.
    const connection = this.#connection as SqliteConnection;
    this.#setCheckpointThreshold(connection, group);
    const { transactions } = connection;
    if (group.length === 1) {
      // Alone in its turn of the event loop: its own transaction, whose statements check the versions.
      const [only] = group as [QueuedWrite];
      let result: JournalWriteResult;
      try {
        result = this.#guard('write', () => transactions.writeBatch.immediate(only.puts, only.deletes, only.outbox));
      } catch (error) {
        if (VersionConflictError.isInstance(error)) statistics.conflicts += 1;
        only.reject(error);
        return;
      }
      this.#settleWhenDurable(connection, [{ queued: only, result }]);
      return;
    }
    let outcomes;
    try {
      outcomes = this.#guard('write', () => transactions.writeGroup.immediate(group));
    } catch (error) {
      for (const queued of group) queued.reject(error);
      return;
    }
    const committed: { readonly queued: QueuedWrite; readonly result: JournalWriteResult }[] = [];
    outcomes.forEach((outcome, position) => {
      const queued = group[position] as QueuedWrite;
      if (outcome.committed) {
        committed.push({ queued, result: outcome.result });
      } else {
        // Nothing of it was written: its caller may hear of the conflict at once.
        statistics.conflicts += 1;
        queued.reject(outcome.conflict);
      }
    });
    this.#settleWhenDurable(connection, committed);
  }

  /**
   * Before a group commits: raises the WAL checkpoint threshold to `bulkWalAutocheckpointPages` when
   * one of its batches is a bulk write (`bulkWriteRecords` records or more), and puts SQLite's
   * default back for a group without one once `bulkCheckpointHoldMs` passed since the last bulk
   * group. Checkpoints stay SQLite's own (in the `COMMIT` that crosses the threshold), only rarer
   * during bulk writes; durability does not depend on them.
   */
  #setCheckpointThreshold(connection: SqliteConnection, group: readonly QueuedWrite[]): void {
    if (!connection.walMode) return;
    const now = this.#options.clock.now();
    let bulk = group.some((queued) => queued.puts.length >= bulkWriteRecords);
    if (bulk) {
      this.#statistics.bulkGroups += 1;
      connection.lastBulkGroupAt = now;
    } else {
      bulk = connection.bulkCheckpoints && now - connection.lastBulkGroupAt < bulkCheckpointHoldMs;
    }
    if (bulk === connection.bulkCheckpoints) return;
    connection.bulkCheckpoints = bulk;
    connection.database.pragma(`wal_autocheckpoint = ${bulk ? bulkWalAutocheckpointPages : defaultWalAutocheckpointPages}`);
    // Bulk transactions keep their dirty pages in memory up to a bound instead of spilling them mid-transaction.
    setBulkCacheSpill(connection.database, bulk);
  }

  /**
   * Resolves committed writes once their commit is on disk (at once when SQLite synced it in
   * `COMMIT`); a failed sync rejects them. Deferred writes resolve at once, right after the commit;
   * the sync starts all the same, so they are flushed soon after on their own (and every durable
   * write of this or a later group waits for it). A failed sync is reported to the durable writes
   * of the group only; the next durable write's sync tries again and covers everything committed
   * before it, deferred commits included.
   */
  #settleWhenDurable(connection: SqliteConnection, committed: readonly { readonly queued: QueuedWrite; readonly result: JournalWriteResult }[]): void {
    const { walSync, footprints } = connection;
    if (walSync === undefined) {
      for (const { queued, result } of committed) queued.resolve(result);
      return;
    }
    const durable = committed.filter(({ queued }) => !queued.deferred);
    const generation = walSync.noteCommit(durable.length === 0);
    footprints.noteBatches(generation, committed.map(({ queued }) => queued));
    for (const { queued, result } of committed) if (queued.deferred) queued.resolve(result);
    this.#untilDurable(walSync, generation).then(
      () => {
        for (const { queued, result } of durable) queued.resolve(result);
      },
      (error: unknown) => {
        for (const { queued } of durable) queued.reject(error);
      },
    );
  }

  /** Resolves once commit `generation` (and every commit before it) is on disk; at once (no sync, no wait) when it already is. */
  async #untilDurable(walSync: WalSynchronizer, generation: number): Promise<void> {
    if (!walSync.isDurable(generation)) await walSync.durable(generation);
  }

  /**
   * Returns `result` once everything it may show is on disk: this connection's commits, and any
   * other connection's (another process) since the last look (`PRAGMA data_version` moved). With
   * no commit pending, it answers without waiting for any sync. Commits of deferred writes only
   * made after the last other commit are not waited for (`WalSynchronizer.readableGeneration`): a
   * deferred batch is visible at once by contract.
   */
  async #durableRead<Result>(connection: SqliteConnection, result: Result): Promise<Result> {
    const { walSync } = connection;
    if (walSync === undefined) return result;
    this.#noteOtherCommits(connection, walSync);
    await this.#untilDurable(walSync, walSync.readableGeneration);
    return result;
  }

  /** Notes the commits of other connections since the last look (`PRAGMA data_version` moved) as one commit to sync, changing anything. */
  #noteOtherCommits(connection: SqliteConnection, walSync: WalSynchronizer): void {
    const dataVersion = this.#guard('read', () => connection.statements.dataVersion.get() as number);
    if (dataVersion === this.#dataVersion) return;
    this.#dataVersion = dataVersion;
    connection.footprints.noteEverything(walSync.noteCommit());
  }

  /**
   * Runs a claim: a plain read for one candidate first (no lock, no commit, no sync when there is
   * none), then the claiming transaction. Returns the claimed items once the commits that changed
   * what it searched (the collection, or the outbox: `CommitFootprints`) are on disk, ours and other
   * connections', without waiting for its own lease commit: a lease lost in a power loss only means
   * the items are claimed again, and the next durable commit covers it anyway.
   */
  async #durableClaim<Item>(connection: SqliteConnection, operation: string, claimRun: ClaimRun<Item>): Promise<readonly Item[]> {
    if (!this.#guard(operation, claimRun.hasCandidate)) return this.#durableRead(connection, emptyClaim);
    const claimed = this.#guard(operation, claimRun.claimItems);
    const { walSync, footprints } = connection;
    if (walSync === undefined) return claimed;
    // Commits of other connections seen now happened before the claim took the write lock, or after it (waiting for those too is only cautious).
    this.#noteOtherCommits(connection, walSync);
    const generationRead = claimRun.footprintOfRead(footprints);
    // A claim that found nothing after all (taken meanwhile by another process) changed no row: no frames to sync.
    if (claimed.length > 0) claimRun.noteLeases(footprints, walSync.noteCommit());
    await this.#untilDurable(walSync, generationRead);
    return claimed;
  }

  /** Returns `result` of a writing transaction on the outbox (acknowledgement, release) once its commit is on disk. */
  async #durableOutboxWrite<Result>(connection: SqliteConnection, result: Result): Promise<Result> {
    const { walSync } = connection;
    if (walSync === undefined) return result;
    const generation = walSync.noteCommit();
    connection.footprints.noteOutbox(generation);
    await this.#untilDurable(walSync, generation);
    return result;
  }

  /**
   * Claims up to `limit` records with the index whose lease is absent, expired or held by `owner`,
   * oldest `updatedAt` first, then by key; sets the lease and bumps the version. Runs under the
   * database write lock, so claimers in other processes never get the same record.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `leaseMs` is not a positive integer.
   */
  async claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]> {
    const connection = this.#writable('claim');
    assertLimit('claim', options.limit);
    assertLeaseMilliseconds('claim', options.leaseMs);
    const request = { collection: options.collection, index: options.index, owner: options.owner, leaseMs: options.leaseMs, limit: options.limit };
    const { statements, transactions } = connection;
    return this.#durableClaim(connection, 'claim', {
      hasCandidate: () =>
        statements.selectClaimableRecords.get({ collection: request.collection, index: request.index, owner: request.owner, now: this.#options.clock.now(), limit: 1 }) !==
        undefined,
      claimItems: () => transactions.claimRecords.immediate(request),
      footprintOfRead: (footprints) => footprints.generationOfCollection(request.collection),
      noteLeases: (footprints, generation) => footprints.noteCollection(generation, request.collection),
    });
  }

  /**
   * Claims up to `limit` available messages, lowest sequence first: at most one per ordering key,
   * and none whose ordering key has an earlier undelivered message (leased, backing off or of
   * another topic). Increments `attempts`. Runs under the database write lock.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `leaseMs` is not a positive integer.
   */
  async claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]> {
    const connection = this.#writable('claimOutbox');
    assertLimit('claimOutbox', options.limit);
    assertLeaseMilliseconds('claimOutbox', options.leaseMs);
    const request = { owner: options.owner, leaseMs: options.leaseMs, limit: options.limit, topics: options.topics };
    const { statements, transactions } = connection;
    return this.#durableClaim(connection, 'claimOutbox', {
      hasCandidate: () => {
        const now = this.#options.clock.now();
        const candidate =
          request.topics === undefined
            ? statements.selectClaimableMessages.get({ now, limit: 1 })
            : statements.selectClaimableMessagesOfTopics.get({ now, limit: 1, topics: JSON.stringify(request.topics) });
        return candidate !== undefined;
      },
      claimItems: () => transactions.claimMessages.immediate(request),
      footprintOfRead: (footprints) => footprints.generationOfOutbox(),
      noteLeases: (footprints, generation) => footprints.noteOutbox(generation),
    });
  }

  /**
   * Marks messages delivered when `owner` holds their lease (expired or not, as long as nobody took
   * it over); unknown, already delivered or foreign-leased sequences are ignored and left out of
   * `acknowledged`. Their deduplication ids stay known.
   */
  async acknowledgeOutbox(input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }> {
    const connection = this.#writable('acknowledgeOutbox');
    const acknowledged = this.#guard('acknowledgeOutbox', () => connection.transactions.acknowledgeMessages.immediate(input.sequences, input.owner));
    return this.#durableOutboxWrite(connection, Object.freeze({ acknowledged }));
  }

  /**
   * Gives a message back for a later attempt when `owner` holds its lease: clears the lease, sets
   * `availableAt` and records `error` as `lastError` (kept when `error` is omitted). Ignored for
   * anyone else and for unknown or delivered sequences.
   * @throws TypeError when `availableAt` is not a finite number.
   */
  async releaseOutbox(input: { readonly sequence: number; readonly owner: string; readonly availableAt: number; readonly error?: string | undefined }): Promise<void> {
    const connection = this.#writable('releaseOutbox');
    assertAvailableAt(input.availableAt);
    const parameters = { sequence: input.sequence, owner: input.owner, availableAt: input.availableAt, error: input.error ?? null };
    this.#guard('releaseOutbox', () => connection.statements.releaseMessage.run(parameters));
    await this.#durableOutboxWrite(connection, undefined);
  }

  /**
   * Deletes up to `limit` messages delivered before `deliveredBefore` (journal clock), lowest
   * sequence first, with their deduplication ids; undelivered messages are never touched. One
   * statement, atomic; durable when it resolves.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `deliveredBefore` is not finite.
   */
  async pruneDeliveredOutbox(input: { readonly deliveredBefore: number; readonly limit: number }): Promise<{ readonly deleted: number }> {
    const connection = this.#writable('pruneDeliveredOutbox');
    assertLimit('pruneDeliveredOutbox', input.limit);
    assertDeliveredBefore(input.deliveredBefore);
    const { changes } = this.#guard('pruneDeliveredOutbox', () => connection.statements.deleteDeliveredMessages.run(input.deliveredBefore, input.limit));
    return this.#durableOutboxWrite(connection, Object.freeze({ deleted: changes }));
  }

  /** Counts undelivered messages (leased or not, available or backing off), optionally of some topics. */
  async pendingOutboxCount(options: { readonly topics?: readonly string[] | undefined } = {}): Promise<number> {
    const connection = this.#connect('pendingOutboxCount');
    const { statements } = connection;
    const { topics } = options;
    const count = this.#guard('pendingOutboxCount', () =>
      Number(topics === undefined ? statements.countPendingMessages.get() : statements.countPendingMessagesOfTopics.get(JSON.stringify(topics))),
    );
    return this.#durableRead(connection, count);
  }

  /**
   * Reads undelivered messages (leased or not, available or backing off) with at least
   * `minimumAttempts` attempts (default 0), of some topics (all when absent, none for an empty
   * list), after `afterSequence` (default 0), lowest sequence first, at most `limit`; each as
   * `claimOutbox` returns it. One statement on the partial index of undelivered messages, in
   * sequence order (no sort); takes no lock and changes nothing, so a read-only journal lists too.
   * @throws TypeError when `limit` is not an integer from 1 to 1,000, or `minimumAttempts` or
   *   `afterSequence` is not an integer >= 0.
   */
  async listPendingOutbox(query: PendingOutboxQuery): Promise<readonly OutboxMessage[]> {
    const connection = this.#connect('listPendingOutbox');
    assertPendingOutboxQuery(query);
    const { statements } = connection;
    const { topics } = query;
    const parameters = { afterSequence: query.afterSequence ?? 0, minimumAttempts: query.minimumAttempts ?? 0, limit: query.limit };
    const rows = this.#guard('listPendingOutbox', () => {
      if (topics === undefined) return statements.listPendingMessages.all(parameters);
      // No topic matches nothing: no need to walk every undelivered message to find that out.
      return topics.length === 0 ? [] : statements.listPendingMessagesOfTopics.all({ ...parameters, topics: JSON.stringify(topics) });
    });
    return this.#durableRead(connection, Object.freeze(rows.map(messageFromRow)));
  }

  /** The open connection, or `JOURNAL_CLOSED`. */
  #connect(operation: string): SqliteConnection {
    if (this.#connection !== undefined) return this.#connection;
    throw journalClosedError(this.#state === 'created' ? 'has not been opened' : 'has been closed', operation);
  }

  /** The open connection of a writable journal, or `JOURNAL_CLOSED` / `JOURNAL_READONLY`. */
  #writable(operation: string): SqliteConnection {
    const connection = this.#connect(operation);
    if (this.#options.readonly) throw journalReadonlyError(this.#options.filename, operation);
    // After a failed WAL sync nothing more is committed (writes, deferred or not, claims, outbox changes) until the journal is reopened.
    const failure = connection.walSync?.failure;
    if (failure !== undefined) throw failure;
    return connection;
  }

  /** Runs database work, turning a lock timeout into the retryable `JOURNAL_BUSY`. */
  #guard<Result>(operation: string, work: () => Result): Result {
    try {
      return work();
    } catch (error) {
      throw translateSqliteError(error, operation);
    }
  }
}

/**
 * Creates an SQLite journal; call `open()` before use.
 * @throws ConfigurationError naming the bad option, e.g. `sqlite.synchronous`.
 * @example
 * const journal = createSqliteJournal({ filename: './data/paymigrate-journal.sqlite', synchronous: 'FULL' });
 * await journal.open();
 */
export function createSqliteJournal(options: SqliteJournalOptions): SqliteJournal {
  return new SqliteJournal(options);
}
