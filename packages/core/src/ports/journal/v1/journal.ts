/**
 * A record in the journal: a versioned document in a collection. Core keeps its typed records
 * (payment intents and outcomes, token mappings, order versions, routing config, checkpoints,
 * leases) as JSON text in collections; adapters store them without parsing.
 */
export interface JournalRecord {
  /** Collection name (`payment-intents`, `token-mappings`, ...). */
  readonly collection: string;
  /** Key, unique within the collection. */
  readonly key: string;
  /** Starts at 1 on creation, +1 on every write or claim: the compare-and-set token. */
  readonly version: number;
  /** JSON text, opaque to the journal. Encrypted by core where it holds token mappings. */
  readonly value: string;
  /**
   * Secondary index value (a state such as `pending`), used by `list`, `count` and `claim`;
   * `undefined` when not indexed.
   */
  readonly index: string | undefined;
  /** When the record was last written, epoch milliseconds (from the journal's clock). */
  readonly updatedAt: number;
  /** Present while a worker holds a claim on the record. */
  readonly lease: JournalLease | undefined;
}

/** A time-bound claim on a record or outbox message. */
export interface JournalLease {
  /** The worker that holds it. */
  readonly owner: string;
  /** When it expires, epoch milliseconds. After that any worker may claim it. */
  readonly expiresAt: number;
}

/**
 * The version a write expects: `0` means "must not exist", `n` means "must be at version n",
 * `'any'` writes unconditionally (use only for data with a single writer, such as imports).
 */
export type ExpectedVersion = number | 'any';

/** One record write inside a batch. A successful put clears the record's lease. */
export interface JournalPut {
  /** Collection. */
  readonly collection: string;
  /** Key. */
  readonly key: string;
  /** JSON text. */
  readonly value: string;
  /** Secondary index value; omit to un-index. */
  readonly index?: string | undefined;
  /** Compare-and-set condition. */
  readonly expectedVersion: ExpectedVersion;
}

/** One record deletion inside a batch. */
export interface JournalDelete {
  /** Collection. */
  readonly collection: string;
  /** Key. */
  readonly key: string;
  /** Compare-and-set condition; deleting an absent record with `'any'` is a no-op. */
  readonly expectedVersion: ExpectedVersion;
}

/** A message to deliver at least once after the batch commits (the transactional outbox). */
export interface OutboxMessageInput {
  /** Destination (`platform.order-update`, `events.token-recollection`, ...). */
  readonly topic: string;
  /**
   * Ordering key: messages with the same key are delivered one at a time in enqueue order
   * (an order id, a payment id).
   */
  readonly orderingKey: string;
  /** Unique id; enqueueing an id that is already in the outbox (pending or delivered) is ignored. */
  readonly deduplicationId: string;
  /** JSON text. */
  readonly payload: string;
}

/** A message in the outbox. */
export interface OutboxMessage extends OutboxMessageInput {
  /** Position in the outbox, strictly increasing in enqueue order. */
  readonly sequence: number;
  /** Delivery attempts so far (incremented by each claim). */
  readonly attempts: number;
  /** When it was enqueued, epoch milliseconds. */
  readonly enqueuedAt: number;
  /** Earliest time it may be claimed, epoch milliseconds (set by `releaseOutbox` for back-off). */
  readonly availableAt: number;
  /** Present while a worker holds it. */
  readonly lease: JournalLease | undefined;
  /** The last delivery error recorded by `releaseOutbox`. */
  readonly lastError: string | undefined;
}

/** Which undelivered outbox messages `listPendingOutbox` lists. */
export interface PendingOutboxQuery {
  /** Only messages with at least this many delivery attempts (claims so far), an integer >= 0. @default 0 */
  readonly minimumAttempts?: number | undefined;
  /** Only messages of these topics (an empty list names none). @default every topic */
  readonly topics?: readonly string[] | undefined;
  /** Only messages after this sequence (the last one of the previous page), an integer >= 0. @default 0 */
  readonly afterSequence?: number | undefined;
  /** At most this many messages, an integer from 1 to 1,000. */
  readonly limit: number;
}

/**
 * When `write` resolves relative to the batch reaching stable storage.
 * - `'durable'`: the batch survives a power loss once `write` resolves.
 * - `'deferred'`: the batch is committed when `write` resolves, and durable a little later (see
 *   `JournalWriteBatch.durability` for the exact guarantee).
 */
export type JournalDurability = 'durable' | 'deferred';

/** An atomic set of writes: all apply or none do. */
export interface JournalWriteBatch {
  /** Records to create or update. */
  readonly puts?: readonly JournalPut[] | undefined;
  /** Records to delete. */
  readonly deletes?: readonly JournalDelete[] | undefined;
  /** Messages to enqueue in the outbox in this order. */
  readonly outbox?: readonly OutboxMessageInput[] | undefined;
  /**
   * Whether `write` waits for the batch to be durable (`'durable'`, the default) or only for it to
   * be committed (`'deferred'`).
   *
   * A `'deferred'` batch, once `write` resolves, is exactly as atomic and as committed as a durable
   * one: all of it or none of it applied, compare-and-set checked the same way (a conflict still
   * fails the whole batch), and visible to every later `get`, `getMany`, `list`, `count`, `claim`,
   * `claimOutbox` and compare-and-set on this journal, in any process. Only its durability is
   * deferred:
   * - it is durable no later than the moment the next `'durable'` write on the same journal resolves
   *   (commit-order prefix durability: the store makes its commits durable in commit order, as the
   *   write-ahead logs of SQLite and PostgreSQL do), and any durable write committed after it covers it;
   * - the store flushes it on its own soon after, without anyone writing again (SQLite: its group's
   *   WAL sync, started at the commit; PostgreSQL: the WAL writer, within three `wal_writer_delay`,
   *   600 ms by default);
   * - a crash (power loss, kernel panic; a process crash alone loses nothing committed) may lose it,
   *   but only together with everything committed after it that was not durable yet: never a durable
   *   batch committed after it, and never a part of it.
   *
   * Use it only for a batch whose loss in a crash something else repairs: for the Transaction State
   * Manager, an outcome that the recovery pass re-derives from the durable intent and the provider's
   * truth. Never for a write-ahead intent, nor for anything acknowledged to another system that
   * cannot re-derive it.
   * @default 'durable'
   */
  readonly durability?: JournalDurability | undefined;
}

/** What a committed batch produced. */
export interface JournalWriteResult {
  /** The records as written, in the order of `puts`. */
  readonly records: readonly JournalRecord[];
  /** Sequences of the enqueued messages, in order; a de-duplicated message reports its existing sequence. */
  readonly outboxSequences: readonly number[];
}

/** Options of `Journal.list`. */
export interface JournalListOptions {
  /** Only records with this index value. */
  readonly index?: string | undefined;
  /** Only keys greater than this one (keyset pagination). */
  readonly afterKey?: string | undefined;
  /** Maximum number of records, 1-10,000. */
  readonly limit: number;
}

/** Options of `Journal.claim`. */
export interface JournalClaimOptions {
  /** Collection to claim from. */
  readonly collection: string;
  /** Only records with this index value (e.g. `pending`). */
  readonly index: string;
  /** The claiming worker's id. */
  readonly owner: string;
  /** How long the claim lasts, milliseconds. */
  readonly leaseMs: number;
  /** Maximum number of records. */
  readonly limit: number;
}

/** Options of `Journal.claimOutbox`. */
export interface OutboxClaimOptions {
  /** The claiming worker's id. */
  readonly owner: string;
  /** How long the claim lasts, milliseconds. */
  readonly leaseMs: number;
  /** Maximum number of messages. */
  readonly limit: number;
  /** Only messages of these topics; all topics when omitted. */
  readonly topics?: readonly string[] | undefined;
}

/**
 * The durable record of everything paymigrate does, version 1 of the port: the write-ahead intent
 * before every provider call, outcomes, token mappings, order versions, routing configuration,
 * checkpoints, leases and the outbox. Implementations: in-memory (tests), SQLite (embedded default),
 * PostgreSQL (fleets).
 *
 * Guarantees every implementation gives (checked by `journalContract` in `@paymigrate/testkit`):
 * - `write` is atomic: all puts, deletes and outbox messages, or none; it is committed (visible to
 *   every later read, claim and compare-and-set) when it resolves.
 * - `write` of a batch with `durability: 'durable'` (the default) is durable when it resolves. A
 *   `'deferred'` batch is durable no later than the next durable write on the same journal resolves
 *   (commit-order prefix durability), and flushed by the store soon after on its own; a crash may
 *   lose it only together with every later commit that was not durable yet (never a part of it).
 * - Compare-and-set: a put or delete whose `expectedVersion` does not match fails the whole batch
 *   with `VersionConflictError` naming the record.
 * - `claim` and `claimOutbox` never give the same unexpired lease to two workers, also across
 *   processes sharing the journal; a claim bumps the record's version, so a worker whose lease
 *   expired and was taken over loses its next compare-and-set (fencing).
 * - Outbox messages with the same ordering key are handed out one at a time, in enqueue order.
 */
export interface JournalV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion: 'v1';

  /** Backend name (`memory`, `sqlite`, `postgres`). */
  readonly name: string;

  /** Opens the journal and runs pending schema migrations. Idempotent. */
  open(): Promise<void>;

  /** Flushes and closes. */
  close(): Promise<void>;

  /** The schema version after `open` (number of migrations applied). */
  schemaVersion(): Promise<number>;

  /** Reads one record. */
  get(collection: string, key: string): Promise<JournalRecord | undefined>;

  /** Reads several records of one collection; absent keys are left out. */
  getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]>;

  /** Lists records of a collection in key order. */
  list(collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]>;

  /** Counts records of a collection, optionally with one index value. */
  count(collection: string, options?: { readonly index?: string | undefined }): Promise<number>;

  /** Applies a batch atomically; durable when it resolves unless the batch is `'deferred'` (see the guarantees above). */
  write(batch: JournalWriteBatch): Promise<JournalWriteResult>;

  /**
   * Claims up to `limit` records with the given index whose lease is absent, expired or already
   * held by `owner`; sets the lease and bumps the version. PostgreSQL: `FOR UPDATE SKIP LOCKED`.
   */
  claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]>;

  /**
   * Claims up to `limit` available outbox messages, oldest first, at most one per ordering key and
   * never one whose key has an earlier undelivered message. Increments `attempts`.
   */
  claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]>;

  /** Marks messages delivered. Only the lease owner may acknowledge; others are ignored and reported. */
  acknowledgeOutbox(input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }>;

  /** Gives a claimed message back for a later attempt, with the error that stopped it. */
  releaseOutbox(input: {
    readonly sequence: number;
    readonly owner: string;
    readonly availableAt: number;
    readonly error?: string | undefined;
  }): Promise<void>;

  /** Counts undelivered outbox messages, optionally of some topics. */
  pendingOutboxCount(options?: { readonly topics?: readonly string[] | undefined }): Promise<number>;

  /**
   * Optional (a journal without it offers only `pendingOutboxCount`): reads undelivered outbox
   * messages, leased or not and whether or not their back-off has passed, with at least
   * `minimumAttempts` delivery attempts, of the given topics (all when absent), with a sequence
   * above `afterSequence`, lowest sequence first, at most `limit`. Each comes as `claimOutbox` would
   * return it, with its attempts, back-off (`availableAt`), lease and last error. Reads only: no
   * message is claimed, leased or changed. What an operator needs to find the messages that keep
   * failing (a platform refusing an update, a handler rejecting a payload) and the ordering keys
   * they hold up. Refuses (TypeError) a limit outside 1-1,000 and a negative or fractional
   * `minimumAttempts` or `afterSequence`.
   */
  listPendingOutbox?(query: PendingOutboxQuery): Promise<readonly OutboxMessage[]>;

  /**
   * Optional (a journal without it keeps every delivered message): deletes up to `limit` outbox
   * messages delivered (acknowledged) before `deliveredBefore` (epoch milliseconds, the journal's
   * clock), lowest sequence first. Undelivered messages, leased or not, are never touched. The
   * deduplication id of a deleted message is forgotten with it: enqueueing that id again creates a
   * new message (downstream deduplication by `deduplicationId` still catches it). Sequences are
   * never reused. Resolves with how many it deleted; fewer than `limit` means none older is left.
   */
  pruneDeliveredOutbox?(input: { readonly deliveredBefore: number; readonly limit: number }): Promise<{ readonly deleted: number }>;
}

/** The current version of the journal port. */
export type Journal = JournalV1;
