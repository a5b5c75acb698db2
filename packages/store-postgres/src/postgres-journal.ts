import {
  type JournalClaimOptions,
  type JournalListOptions,
  type JournalRecord,
  type JournalV1,
  type JournalWriteBatch,
  type JournalWriteResult,
  type OutboxClaimOptions,
  type OutboxMessage,
  PaymigrateError,
  type PendingOutboxQuery,
} from '@paymigrate/core';
import pg from 'pg';
import {
  assertLeaseMilliseconds,
  assertLimit,
  assertStorableText,
  assertValidBatch,
  toAvailableAt,
  toDeliveredBefore,
  toPendingOutboxQuery,
} from './journal-input-validation.js';
import { describePostgresServer, type PostgresServerDescription, toJournalError } from './postgres-errors.js';
import { type PostgresJournalOptions, parsePostgresJournalOptions, type ResolvedPostgresJournalOptions } from './postgres-journal-options.js';
import { migratePostgresSchema, readSchemaVersion } from './postgres-migrations.js';
import { PostgresOutboxStatements } from './postgres-outbox.js';
import { PostgresRecordStatements } from './postgres-records.js';
import { type JournalTables, journalTables } from './postgres-tables.js';
import { inTransaction } from './postgres-transaction.js';
import { PostgresBatchWriter } from './postgres-write.js';

/** Lifecycle of a journal instance. */
type JournalState = 'created' | 'open' | 'closed';

/** An empty write result, shared: it is frozen. */
const emptyWriteResult: JournalWriteResult = Object.freeze({ records: Object.freeze([]), outboxSequences: Object.freeze([]) });

/**
 * The journal on PostgreSQL, for fleets of app servers sharing work: every guarantee of
 * `JournalV1` holds across processes, not just within one.
 *
 * - `open()` migrates the schema under an advisory lock (safe when a fleet starts at once).
 * - `write` is one READ COMMITTED transaction of a few multi-row statements: named records are
 *   locked `FOR UPDATE` in key order, every compare-and-set condition is checked, then everything
 *   is applied. A 10,000-put batch takes four round trips. A deferred batch (`durability:
 *   'deferred'`) is the same transaction with `SET LOCAL synchronous_commit TO OFF`: its COMMIT
 *   does not wait for the WAL flush (PostgreSQL's asynchronous commit, see `PostgresBatchWriter`).
 * - `claim` and `claimOutbox` are single statements over `FOR UPDATE SKIP LOCKED`.
 * - A deadlock or serialization failure rolls the transaction back with nothing applied; the
 *   journal runs it again (up to four attempts) and only then throws the server's error as
 *   `JOURNAL_QUERY_FAILED`. A lost compare-and-set is never retried internally: it is the
 *   caller's `VersionConflictError`.
 * - A server that cannot be reached, or a connection that breaks, is `JOURNAL_UNAVAILABLE`
 *   (retryable) naming `host:port`; no error message ever contains the password.
 *
 * Decisions where the port leaves room follow the in-memory reference journal: code-point key
 * order (`COLLATE "C"`), leases expire at `expiresAt`, a claim leaves `updatedAt` alone, a batch
 * names each record once, `getMany` keeps the order of `keys`, acknowledging and releasing accept
 * the current lease owner after expiry, releasing without `error` keeps `lastError`, and records
 * and messages handed out are frozen. Times come from the journal's clock, never the server's.
 * Texts PostgreSQL cannot store exactly (NUL, lone surrogates) are a `TypeError`.
 *
 * @example
 * const journal = createPostgresJournal({ connectionString: process.env.DATABASE_URL, schema: 'paymigrate' });
 * await journal.open();
 * await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
 * await journal.close();
 */
export class PostgresJournal implements JournalV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Backend name. */
  readonly name = 'postgres';

  readonly #options: ResolvedPostgresJournalOptions;
  readonly #tables: JournalTables;
  readonly #server: PostgresServerDescription;
  readonly #records: PostgresRecordStatements;
  readonly #outbox: PostgresOutboxStatements;
  readonly #writer: PostgresBatchWriter;
  #pool: pg.Pool | undefined;
  #state: JournalState = 'created';
  #opening: Promise<void> | undefined;

  /**
   * Validates the options; connects nothing until `open()`.
   * @param options See `PostgresJournalOptions`.
   * @throws ConfigurationError naming the bad option.
   */
  constructor(options: PostgresJournalOptions = {}) {
    this.#options = parsePostgresJournalOptions(options);
    this.#pool = this.#options.pool;
    this.#tables = journalTables(this.#options.schema);
    this.#server = describePostgresServer(this.#options.pool === undefined ? this.#options.poolConfig : this.#options.pool.options);
    this.#records = new PostgresRecordStatements(this.#tables);
    this.#outbox = new PostgresOutboxStatements(this.#tables);
    this.#writer = new PostgresBatchWriter(this.#tables);
  }

  /**
   * Connects and brings the schema to the latest version (see `postgresMigrations`). Idempotent,
   * and concurrent calls share one attempt; reopens a closed instance.
   * @throws PaymigrateError `JOURNAL_UNAVAILABLE`, `JOURNAL_ACCESS_DENIED` or `JOURNAL_SCHEMA_TOO_NEW`.
   */
  async open(): Promise<void> {
    if (this.#state === 'open') return;
    this.#opening ??= this.#connectAndMigrate().finally(() => {
      this.#opening = undefined;
    });
    await this.#opening;
  }

  /**
   * Closes the journal: ends the pool it created from `connectionString` (waiting for queries in
   * flight); an injected pool is left to its owner. Every later call except `open` and `close`
   * throws `JOURNAL_CLOSED`.
   */
  async close(): Promise<void> {
    await this.#opening?.catch(() => undefined);
    this.#state = 'closed';
    if (this.#options.pool !== undefined || this.#pool === undefined) return;
    const pool = this.#pool;
    this.#pool = undefined;
    await pool.end();
  }

  /** The number of migrations applied to the schema. */
  async schemaVersion(): Promise<number> {
    return this.#run('schemaVersion', (pool) => readSchemaVersion(pool, this.#tables));
  }

  /** Reads one record. */
  async get(collection: string, key: string): Promise<JournalRecord | undefined> {
    this.#assertOpen('get');
    assertStorableText('get', 'collection', collection);
    assertStorableText('get', 'key', key);
    return this.#run('get', (pool) => this.#records.get(pool, collection, key));
  }

  /** Reads several records of one collection, in the order of `keys`, each once; absent keys are left out. */
  async getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    this.#assertOpen('getMany');
    assertStorableText('getMany', 'collection', collection);
    for (const key of keys) assertStorableText('getMany', 'key', key);
    return this.#run('getMany', (pool) => this.#records.getMany(pool, collection, keys));
  }

  /**
   * Lists records of a collection in code-point key order, optionally with one index value and
   * after a key.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000.
   */
  async list(collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]> {
    this.#assertOpen('list');
    assertLimit('list', options.limit);
    assertStorableText('list', 'collection', collection);
    if (options.index !== undefined) assertStorableText('list', 'index', options.index);
    if (options.afterKey !== undefined) assertStorableText('list', 'afterKey', options.afterKey);
    return this.#run('list', (pool) => this.#records.list(pool, collection, options));
  }

  /** Counts records of a collection, optionally with one index value. */
  async count(collection: string, options: { readonly index?: string | undefined } = {}): Promise<number> {
    this.#assertOpen('count');
    assertStorableText('count', 'collection', collection);
    if (options.index !== undefined) assertStorableText('count', 'index', options.index);
    return this.#run('count', (pool) => this.#records.count(pool, collection, options.index));
  }

  /**
   * Applies a batch atomically in one transaction (see the class notes).
   * @throws VersionConflictError naming the first record (puts, then deletes) whose version does
   *   not match, also when a concurrent batch created a record this one expected absent.
   * @throws TypeError when an expected version is not `'any'` or an integer >= 0, a record appears
   *   twice, or a text cannot be stored.
   */
  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    this.#assertOpen('write');
    assertValidBatch(batch);
    if ((batch.puts ?? []).length === 0 && (batch.deletes ?? []).length === 0 && (batch.outbox ?? []).length === 0) {
      return emptyWriteResult;
    }
    return this.#run('write', (pool) => inTransaction<pg.PoolClient, JournalWriteResult>(pool, (client) => this.#writer.apply(client, batch, this.#now())));
  }

  /**
   * Claims up to `limit` records with the index whose lease is absent, expired or held by `owner`,
   * oldest `updatedAt` first, then key order; sets the lease and bumps the version.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `leaseMs` is not a positive integer.
   */
  async claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]> {
    this.#assertOpen('claim');
    assertLimit('claim', options.limit);
    assertLeaseMilliseconds('claim', options.leaseMs);
    for (const [field, value] of [
      ['collection', options.collection],
      ['index', options.index],
      ['owner', options.owner],
    ] as const) {
      assertStorableText('claim', field, value);
    }
    return this.#run('claim', (pool) => this.#records.claim(pool, options, this.#now()));
  }

  /**
   * Claims up to `limit` available messages, lowest sequence first, at most one per ordering key
   * and none whose ordering key has an earlier undelivered message. Increments `attempts`.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `leaseMs` is not a positive integer.
   */
  async claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]> {
    this.#assertOpen('claimOutbox');
    assertLimit('claimOutbox', options.limit);
    assertLeaseMilliseconds('claimOutbox', options.leaseMs);
    assertStorableText('claimOutbox', 'owner', options.owner);
    for (const topic of options.topics ?? []) assertStorableText('claimOutbox', 'topics', topic);
    return this.#run('claimOutbox', (pool) => this.#outbox.claim(pool, options, this.#now()));
  }

  /**
   * Marks messages delivered when `owner` holds their lease; other sequences are ignored and left
   * out of `acknowledged`. Delivered messages stay in the table, so their deduplication ids are
   * still recognised.
   */
  async acknowledgeOutbox(input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }> {
    this.#assertOpen('acknowledgeOutbox');
    assertStorableText('acknowledgeOutbox', 'owner', input.owner);
    const acknowledged = await this.#run('acknowledgeOutbox', (pool) => this.#outbox.acknowledge(pool, input.sequences, input.owner, this.#now()));
    return Object.freeze({ acknowledged });
  }

  /**
   * Gives a message `owner` holds back for a later attempt: clears the lease, sets `availableAt`
   * (rounded up to whole milliseconds) and records `error` as `lastError` (kept when omitted).
   * Ignored for anyone else and for unknown or delivered sequences.
   * @throws TypeError when `availableAt` is not finite.
   */
  async releaseOutbox(input: { readonly sequence: number; readonly owner: string; readonly availableAt: number; readonly error?: string | undefined }): Promise<void> {
    this.#assertOpen('releaseOutbox');
    const availableAt = toAvailableAt(input.availableAt);
    assertStorableText('releaseOutbox', 'owner', input.owner);
    if (input.error !== undefined) assertStorableText('releaseOutbox', 'error', input.error);
    await this.#run('releaseOutbox', (pool) =>
      this.#outbox.release(pool, { sequence: input.sequence, owner: input.owner, availableAt, error: input.error }),
    );
  }

  /**
   * Deletes up to `limit` messages delivered before `deliveredBefore` (journal clock), lowest
   * sequence first, with their deduplication ids; undelivered messages are never touched. Safe
   * beside other pruners and relays (one statement; rows another pruner holds are skipped).
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `deliveredBefore` is not finite.
   */
  async pruneDeliveredOutbox(input: { readonly deliveredBefore: number; readonly limit: number }): Promise<{ readonly deleted: number }> {
    this.#assertOpen('pruneDeliveredOutbox');
    assertLimit('pruneDeliveredOutbox', input.limit);
    const deliveredBefore = toDeliveredBefore(input.deliveredBefore);
    const deleted = await this.#run('pruneDeliveredOutbox', (pool) => this.#outbox.pruneDelivered(pool, deliveredBefore, input.limit));
    return Object.freeze({ deleted });
  }

  /** Counts undelivered messages (leased or not, available or backing off), optionally of some topics. */
  async pendingOutboxCount(options: { readonly topics?: readonly string[] | undefined } = {}): Promise<number> {
    this.#assertOpen('pendingOutboxCount');
    for (const topic of options.topics ?? []) assertStorableText('pendingOutboxCount', 'topics', topic);
    return this.#run('pendingOutboxCount', (pool) => this.#outbox.pendingCount(pool, options.topics));
  }

  /**
   * Reads undelivered messages (leased or not, available or backing off) with at least
   * `minimumAttempts` attempts (default 0), of some topics (all when absent, none for an empty
   * list), after `afterSequence` (default 0), lowest sequence first, at most `limit`, each as
   * `claimOutbox` returns it. One plain SELECT: it takes no row lock and changes nothing.
   * @throws TypeError when `limit` is not an integer from 1 to 1,000, or `minimumAttempts` or `afterSequence` is not an integer >= 0.
   */
  async listPendingOutbox(query: PendingOutboxQuery): Promise<readonly OutboxMessage[]> {
    this.#assertOpen('listPendingOutbox');
    const resolved = toPendingOutboxQuery(query);
    return this.#run('listPendingOutbox', (pool) => this.#outbox.listPending(pool, resolved));
  }

  async #connectAndMigrate(): Promise<void> {
    const pool = this.#pool ?? this.#createPool();
    this.#pool = pool;
    try {
      const client = await pool.connect();
      try {
        await migratePostgresSchema(client, this.#tables);
        client.release();
      } catch (error) {
        client.release(true);
        throw error;
      }
    } catch (error) {
      throw toJournalError(error, { operation: 'open', server: this.#server });
    }
    this.#state = 'open';
  }

  /** The journal's own pool. Errors of idle connections (a server restart) only remove them from the pool. */
  #createPool(): pg.Pool {
    const pool = new pg.Pool(this.#options.poolConfig);
    pool.on('error', () => undefined);
    return pool;
  }

  #now(): number {
    return Math.trunc(this.#options.clock.now());
  }

  #assertOpen(operation: string): pg.Pool {
    if (this.#state === 'open') return this.#pool as pg.Pool;
    const problem = this.#state === 'created' ? 'has not been opened' : 'has been closed';
    throw new PaymigrateError('JOURNAL_CLOSED', `PostgreSQL journal ${problem}: call open() before ${operation}().`);
  }

  /** Runs an operation on the pool, mapping pg errors to the journal's. */
  async #run<Result>(operation: string, action: (pool: pg.Pool) => Promise<Result>): Promise<Result> {
    const pool = this.#assertOpen(operation);
    try {
      return await action(pool);
    } catch (error) {
      throw toJournalError(error, { operation, server: this.#server });
    }
  }
}

/**
 * Creates a PostgreSQL journal; call `open()` before use.
 * @param options See `PostgresJournalOptions`.
 * @throws ConfigurationError naming the bad option.
 */
export function createPostgresJournal(options: PostgresJournalOptions = {}): PostgresJournal {
  return new PostgresJournal(options);
}
