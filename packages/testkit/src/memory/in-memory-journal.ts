import {
  type ClockV1,
  type ExpectedVersion,
  type JournalClaimOptions,
  type JournalListOptions,
  type JournalRecord,
  type JournalV1,
  type JournalWriteBatch,
  type JournalWriteResult,
  type OutboxClaimOptions,
  type OutboxMessage,
  type PendingOutboxQuery,
  PaymigrateError,
  systemClock,
  VersionConflictError,
} from '@paymigrate/core';

/** Options of `InMemoryJournal`. */
export interface InMemoryJournalOptions {
  /**
   * The clock that stamps `updatedAt`, `enqueuedAt` and lease expiries and decides when a lease
   * or an `availableAt` has passed. Pass a `ManualClock` to test leases without waiting.
   * @default systemClock
   */
  readonly clock?: ClockV1 | undefined;
}

/** The largest `limit` that `list`, `claim` and `claimOutbox` accept. */
const maximumJournalPageSize = 10_000;

/** The largest `limit` that `listPendingOutbox` accepts (an operator's page). */
const maximumPendingOutboxPageSize = 1_000;

/** Lifecycle of a journal instance. */
type JournalState = 'created' | 'open' | 'closed';

/**
 * Compares two keys by Unicode code point, which is the order of their UTF-8 bytes: the order of
 * SQLite's `BINARY` and PostgreSQL's `COLLATE "C"`. Plain `<` compares UTF-16 code units and would
 * put U+E000..U+FFFF after astral characters.
 */
function compareJournalKeys(left: string, right: string): number {
  const length = Math.min(left.length, right.length);
  for (let position = 0; position < length; position += 1) {
    const leftUnit = left.charCodeAt(position);
    const rightUnit = right.charCodeAt(position);
    if (leftUnit !== rightUnit) {
      return codePointRank(leftUnit) - codePointRank(rightUnit);
    }
  }
  return left.length - right.length;
}

/** Maps a UTF-16 code unit to a rank in code-point order (surrogates above U+E000..U+FFFF). */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * The reference journal: everything in process memory, every guarantee of `JournalV1` kept.
 * Used by core's tests and as the model the SQLite and PostgreSQL journals are checked against
 * (`journalContract`).
 *
 * Decisions where the port leaves room (the durable journals follow the same ones):
 * - Keys are ordered by Unicode code point, i.e. by UTF-8 bytes (SQLite `BINARY`, PostgreSQL `COLLATE "C"`).
 * - A lease is expired from its `expiresAt` on (`expiresAt <= now`).
 * - A claim does not change `updatedAt` (it is not a write of the value), so a record keeps its
 *   place in the claim order while workers retry it.
 * - A batch may touch each record once; naming the same record twice (two puts, or a put and a
 *   delete) is a `TypeError`, because the result would depend on the order of application.
 * - `acknowledgeOutbox` and `releaseOutbox` accept the message's current lease owner even after
 *   its lease expired, as long as nobody took it over; anyone else is ignored.
 * - `releaseOutbox` without `error` keeps the previous `lastError`.
 * - `getMany` returns records in the order of `keys`, each at most once.
 * - Records and messages handed out are frozen snapshots: mutating them cannot change the journal.
 *
 * @example
 * const journal = new InMemoryJournal({ clock: new ManualClock() });
 * await journal.open();
 * await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
 */
export class InMemoryJournal implements JournalV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Backend name. */
  readonly name = 'memory';

  readonly #clock: ClockV1;
  #state: JournalState = 'created';
  readonly #collections = new Map<string, Map<string, JournalRecord>>();
  /** Undelivered messages by sequence; a `Map` iterates in insertion, i.e. sequence, order. */
  readonly #outbox = new Map<number, OutboxMessage>();
  /** Every deduplication id enqueued (pending, or delivered and not pruned) and its sequence. */
  readonly #deduplicationIds = new Map<string, number>();
  /** Delivered messages not pruned yet, by sequence: their deduplication id and when they were acknowledged. */
  readonly #delivered = new Map<number, { readonly deduplicationId: string; readonly deliveredAt: number }>();
  #nextSequence = 1;

  /** @param options See `InMemoryJournalOptions`. */
  constructor(options: InMemoryJournalOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Opens the journal. Idempotent; also reopens a closed instance with its data intact. */
  async open(): Promise<void> {
    this.#state = 'open';
  }

  /** Closes the journal; every later call except `open` and `close` throws `JOURNAL_CLOSED`. */
  async close(): Promise<void> {
    this.#state = 'closed';
  }

  /** Always 1: the in-memory journal has a single, implicit schema. */
  async schemaVersion(): Promise<number> {
    this.#assertOpen('schemaVersion');
    return 1;
  }

  /** Reads one record. */
  async get(collection: string, key: string): Promise<JournalRecord | undefined> {
    this.#assertOpen('get');
    return this.#collections.get(collection)?.get(key);
  }

  /** Reads several records of one collection, in the order of `keys`, each once; absent keys are left out. */
  async getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    this.#assertOpen('getMany');
    const records = this.#collections.get(collection);
    const found: JournalRecord[] = [];
    for (const key of new Set(keys)) {
      const record = records?.get(key);
      if (record !== undefined) found.push(record);
    }
    return Object.freeze(found);
  }

  /**
   * Lists records of a collection in code-point key order, optionally with one index
   * value and after a key.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000.
   */
  async list(collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]> {
    this.#assertOpen('list');
    assertLimit('list', options.limit);
    const { index, afterKey } = options;
    const matching = [...(this.#collections.get(collection)?.values() ?? [])].filter(
      (record) => (index === undefined || record.index === index) && (afterKey === undefined || compareJournalKeys(record.key, afterKey) > 0),
    );
    matching.sort((left, right) => compareJournalKeys(left.key, right.key));
    return Object.freeze(matching.slice(0, options.limit));
  }

  /** Counts records of a collection, optionally with one index value. */
  async count(collection: string, options: { readonly index?: string | undefined } = {}): Promise<number> {
    this.#assertOpen('count');
    const { index } = options;
    let total = 0;
    for (const record of this.#collections.get(collection)?.values() ?? []) {
      if (index === undefined || record.index === index) total += 1;
    }
    return total;
  }

  /**
   * Applies a batch atomically: every compare-and-set condition is checked before anything is
   * applied, so a conflict leaves records and outbox untouched. `durability` is accepted and makes
   * no difference here: every batch is applied when `write` resolves and nothing is lost before
   * `close()` (memory survives no crash anyway), so `'deferred'` and `'durable'` behave alike.
   * @throws VersionConflictError naming the first record (puts, then deletes) whose version does not match.
   * @throws TypeError when an expected version is not `'any'` or an integer >= 0, or a record appears twice.
   */
  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    this.#assertOpen('write');
    const puts = batch.puts ?? [];
    const deletes = batch.deletes ?? [];
    const touched = new Set<string>();
    for (const operation of [...puts, ...deletes]) {
      assertExpectedVersion(operation.collection, operation.key, operation.expectedVersion);
      const identity = JSON.stringify([operation.collection, operation.key]);
      if (touched.has(identity)) {
        throw new TypeError(
          `Journal batch names record '${operation.collection}/${operation.key}' more than once; a batch may put or delete each record once.`,
        );
      }
      touched.add(identity);
    }
    for (const operation of [...puts, ...deletes]) {
      const expected = operation.expectedVersion;
      if (expected === 'any') continue;
      const current = this.#collections.get(operation.collection)?.get(operation.key);
      const matches = expected === 0 ? current === undefined : current?.version === expected;
      if (!matches) {
        throw new VersionConflictError({ collection: operation.collection, key: operation.key, expectedVersion: expected, actualVersion: current?.version });
      }
    }

    const now = this.#clock.now();
    const records: JournalRecord[] = [];
    for (const put of puts) {
      const current = this.#collections.get(put.collection)?.get(put.key);
      const record = freezeRecord({
        collection: put.collection,
        key: put.key,
        version: (current?.version ?? 0) + 1,
        value: put.value,
        index: put.index,
        updatedAt: now,
        lease: undefined,
      });
      this.#collectionFor(put.collection).set(put.key, record);
      records.push(record);
    }
    for (const deletion of deletes) {
      this.#collections.get(deletion.collection)?.delete(deletion.key);
    }
    const outboxSequences: number[] = [];
    for (const message of batch.outbox ?? []) {
      const existing = this.#deduplicationIds.get(message.deduplicationId);
      if (existing !== undefined) {
        outboxSequences.push(existing);
        continue;
      }
      const sequence = this.#nextSequence;
      this.#nextSequence += 1;
      this.#deduplicationIds.set(message.deduplicationId, sequence);
      this.#outbox.set(
        sequence,
        freezeMessage({
          topic: message.topic,
          orderingKey: message.orderingKey,
          deduplicationId: message.deduplicationId,
          payload: message.payload,
          sequence,
          attempts: 0,
          enqueuedAt: now,
          availableAt: now,
          lease: undefined,
          lastError: undefined,
        }),
      );
      outboxSequences.push(sequence);
    }
    return Object.freeze({ records: Object.freeze(records), outboxSequences: Object.freeze(outboxSequences) });
  }

  /**
   * Claims up to `limit` records with the index whose lease is absent, expired or held by `owner`,
   * oldest `updatedAt` first, then by key; sets the lease and bumps the version.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `leaseMs` is not a positive integer.
   */
  async claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]> {
    this.#assertOpen('claim');
    assertLimit('claim', options.limit);
    assertLeaseMilliseconds('claim', options.leaseMs);
    const now = this.#clock.now();
    const records = this.#collections.get(options.collection);
    const candidates = [...(records?.values() ?? [])].filter(
      (record) => record.index === options.index && (record.lease === undefined || record.lease.expiresAt <= now || record.lease.owner === options.owner),
    );
    candidates.sort((left, right) => left.updatedAt - right.updatedAt || compareJournalKeys(left.key, right.key));
    const claimed = candidates.slice(0, options.limit).map((record) => {
      const next = freezeRecord({ ...record, version: record.version + 1, lease: { owner: options.owner, expiresAt: now + options.leaseMs } });
      records?.set(record.key, next);
      return next;
    });
    return Object.freeze(claimed);
  }

  /**
   * Claims up to `limit` available messages, lowest sequence first: at most one per ordering key,
   * and none whose ordering key has an earlier undelivered message (leased, backing off or of
   * another topic). Increments `attempts`.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `leaseMs` is not a positive integer.
   */
  async claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]> {
    this.#assertOpen('claimOutbox');
    assertLimit('claimOutbox', options.limit);
    assertLeaseMilliseconds('claimOutbox', options.leaseMs);
    const now = this.#clock.now();
    const topics = options.topics === undefined ? undefined : new Set(options.topics);
    const blockedOrderingKeys = new Set<string>();
    const claimed: OutboxMessage[] = [];
    for (const message of this.#outbox.values()) {
      if (claimed.length >= options.limit) break;
      if (blockedOrderingKeys.has(message.orderingKey)) continue;
      // This is the earliest undelivered message of its key: claimed now or not, it blocks the rest.
      blockedOrderingKeys.add(message.orderingKey);
      const available =
        (topics === undefined || topics.has(message.topic)) &&
        message.availableAt <= now &&
        (message.lease === undefined || message.lease.expiresAt <= now);
      if (!available) continue;
      const next = freezeMessage({ ...message, attempts: message.attempts + 1, lease: { owner: options.owner, expiresAt: now + options.leaseMs } });
      this.#outbox.set(message.sequence, next);
      claimed.push(next);
    }
    return Object.freeze(claimed);
  }

  /**
   * Marks messages delivered when `owner` holds their lease; unknown, already delivered or
   * foreign-leased sequences are ignored and left out of `acknowledged`. Their deduplication ids
   * stay known, so enqueueing them again is still ignored.
   */
  async acknowledgeOutbox(input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }> {
    this.#assertOpen('acknowledgeOutbox');
    const acknowledged: number[] = [];
    for (const sequence of input.sequences) {
      const message = this.#outbox.get(sequence);
      if (message?.lease?.owner !== input.owner) continue;
      this.#outbox.delete(sequence);
      this.#delivered.set(sequence, { deduplicationId: message.deduplicationId, deliveredAt: this.#clock.now() });
      acknowledged.push(sequence);
    }
    return Object.freeze({ acknowledged: Object.freeze(acknowledged) });
  }

  /**
   * Gives a message back for a later attempt when `owner` holds its lease: clears the lease, sets
   * `availableAt` and records `error` as `lastError` (kept when `error` is omitted). Ignored for
   * anyone else and for unknown or delivered sequences.
   * @throws TypeError when `availableAt` is not a finite number.
   */
  async releaseOutbox(input: { readonly sequence: number; readonly owner: string; readonly availableAt: number; readonly error?: string | undefined }): Promise<void> {
    this.#assertOpen('releaseOutbox');
    if (!Number.isFinite(input.availableAt)) {
      throw new TypeError(`Journal releaseOutbox: 'availableAt' must be finite epoch milliseconds, got ${input.availableAt}.`);
    }
    const message = this.#outbox.get(input.sequence);
    if (message?.lease?.owner !== input.owner) return;
    this.#outbox.set(
      input.sequence,
      freezeMessage({ ...message, availableAt: input.availableAt, lease: undefined, lastError: input.error ?? message.lastError }),
    );
  }

  /**
   * Forgets up to `limit` delivered messages acknowledged before `deliveredBefore` (lowest sequence
   * first) with their deduplication ids; undelivered messages are never touched.
   * @throws TypeError when `limit` is not an integer from 1 to 10,000 or `deliveredBefore` is not finite.
   */
  async pruneDeliveredOutbox(input: { readonly deliveredBefore: number; readonly limit: number }): Promise<{ readonly deleted: number }> {
    this.#assertOpen('pruneDeliveredOutbox');
    assertLimit('pruneDeliveredOutbox', input.limit);
    if (!Number.isFinite(input.deliveredBefore)) {
      throw new TypeError(`Journal pruneDeliveredOutbox: 'deliveredBefore' must be finite epoch milliseconds, got ${input.deliveredBefore}.`);
    }
    const old = [...this.#delivered].filter(([, delivered]) => delivered.deliveredAt < input.deliveredBefore).sort(([left], [right]) => left - right);
    const pruned = old.slice(0, input.limit);
    for (const [sequence, delivered] of pruned) {
      this.#delivered.delete(sequence);
      if (this.#deduplicationIds.get(delivered.deduplicationId) === sequence) this.#deduplicationIds.delete(delivered.deduplicationId);
    }
    return Object.freeze({ deleted: pruned.length });
  }

  /**
   * Reads undelivered messages (leased or not, available or backing off) with at least
   * `minimumAttempts` attempts, of some topics, after `afterSequence`, lowest sequence first, at
   * most `limit`; changes nothing.
   * @throws TypeError when `limit` is not an integer from 1 to 1,000, or `minimumAttempts` or `afterSequence` not an integer >= 0.
   */
  async listPendingOutbox(query: PendingOutboxQuery): Promise<readonly OutboxMessage[]> {
    this.#assertOpen('listPendingOutbox');
    if (!(Number.isInteger(query.limit) && query.limit >= 1 && query.limit <= maximumPendingOutboxPageSize)) {
      throw new TypeError(`Journal listPendingOutbox: 'limit' must be an integer from 1 to ${maximumPendingOutboxPageSize}, got ${query.limit}.`);
    }
    const minimumAttempts = query.minimumAttempts ?? 0;
    const afterSequence = query.afterSequence ?? 0;
    for (const [name, value] of [['minimumAttempts', minimumAttempts], ['afterSequence', afterSequence]] as const) {
      if (!(Number.isSafeInteger(value) && value >= 0)) throw new TypeError(`Journal listPendingOutbox: '${name}' must be an integer >= 0, got ${value}.`);
    }
    const topics = query.topics === undefined ? undefined : new Set(query.topics);
    const listed: OutboxMessage[] = [];
    // The map holds undelivered messages in enqueue (sequence) order.
    for (const message of this.#outbox.values()) {
      if (message.sequence <= afterSequence || message.attempts < minimumAttempts || (topics !== undefined && !topics.has(message.topic))) continue;
      listed.push(message);
      if (listed.length === query.limit) break;
    }
    return Object.freeze(listed);
  }

  /** Counts undelivered messages (leased or not, available or backing off), optionally of some topics. */
  async pendingOutboxCount(options: { readonly topics?: readonly string[] | undefined } = {}): Promise<number> {
    this.#assertOpen('pendingOutboxCount');
    if (options.topics === undefined) return this.#outbox.size;
    const topics = new Set(options.topics);
    let total = 0;
    for (const message of this.#outbox.values()) {
      if (topics.has(message.topic)) total += 1;
    }
    return total;
  }

  #collectionFor(collection: string): Map<string, JournalRecord> {
    let records = this.#collections.get(collection);
    if (records === undefined) {
      records = new Map();
      this.#collections.set(collection, records);
    }
    return records;
  }

  #assertOpen(operation: string): void {
    if (this.#state === 'open') return;
    const problem = this.#state === 'created' ? 'has not been opened' : 'has been closed';
    throw new PaymigrateError('JOURNAL_CLOSED', `In-memory journal ${problem}: call open() before ${operation}().`);
  }
}

function assertExpectedVersion(collection: string, key: string, expected: ExpectedVersion): void {
  if (expected === 'any' || (Number.isSafeInteger(expected) && expected >= 0)) return;
  throw new TypeError(
    `Journal write of '${collection}/${key}': 'expectedVersion' must be 'any' or an integer >= 0 (0 = must not exist), got ${String(expected)}.`,
  );
}

function assertLimit(operation: string, limit: number): void {
  if (Number.isInteger(limit) && limit >= 1 && limit <= maximumJournalPageSize) return;
  throw new TypeError(`Journal ${operation}: 'limit' must be an integer from 1 to ${maximumJournalPageSize}, got ${limit}.`);
}

function assertLeaseMilliseconds(operation: string, leaseMs: number): void {
  if (Number.isSafeInteger(leaseMs) && leaseMs > 0) return;
  throw new TypeError(`Journal ${operation}: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`);
}

function freezeRecord(record: JournalRecord): JournalRecord {
  return Object.freeze({ ...record, lease: record.lease === undefined ? undefined : Object.freeze({ ...record.lease }) });
}

function freezeMessage(message: OutboxMessage): OutboxMessage {
  return Object.freeze({ ...message, lease: message.lease === undefined ? undefined : Object.freeze({ ...message.lease }) });
}
