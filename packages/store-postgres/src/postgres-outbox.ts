import type { OutboxClaimOptions, OutboxMessage, OutboxMessageInput } from '@paymigrate/core';
import { advisoryLockKey } from './advisory-lock-keys.js';
import type { ResolvedPendingOutboxQuery } from './journal-input-validation.js';
import type { Queryable } from './postgres-queryable.js';
import type { JournalTables } from './postgres-tables.js';

/** An `outbox` row as pg returns it (`bigint` columns arrive as decimal strings; a claimed row has its lease set). */
interface OutboxRow {
  readonly sequence: string;
  readonly topic: string;
  readonly ordering_key: string;
  readonly deduplication_id: string;
  readonly payload: string;
  readonly attempts: number;
  readonly enqueued_at: string;
  readonly available_at: string;
  readonly lease_owner: string | null;
  readonly lease_expires_at: string | null;
  readonly last_error: string | null;
}

/** The columns of an `OutboxRow`, in a fixed order. */
const outboxColumns =
  'sequence, topic, ordering_key, deduplication_id, payload, attempts, enqueued_at, available_at, lease_owner, lease_expires_at, last_error';

/**
 * The most distinct ordering keys a batch locks one by one. A batch with more takes the outbox's
 * enqueue lock exclusively instead, so no transaction ever holds more than this many advisory locks
 * (PostgreSQL's lock table is shared and sized by `max_locks_per_transaction`).
 */
export const maximumOrderingKeyLocks = 32;

/** Turns a row into the frozen message the port hands out; the lease is there while `lease_owner` is set (claim and release set and clear both columns). */
function toOutboxMessage(row: OutboxRow): OutboxMessage {
  return Object.freeze({
    topic: row.topic,
    orderingKey: row.ordering_key,
    deduplicationId: row.deduplication_id,
    payload: row.payload,
    sequence: Number(row.sequence),
    attempts: row.attempts,
    enqueuedAt: Number(row.enqueued_at),
    availableAt: Number(row.available_at),
    lease: row.lease_owner === null ? undefined : Object.freeze({ owner: row.lease_owner, expiresAt: Number(row.lease_expires_at) }),
    lastError: row.last_error ?? undefined,
  });
}

/** Positive safe integers of a list, each once, in their first order: the only sequences that can exist. */
function validSequences(sequences: readonly number[]): number[] {
  return [...new Set(sequences.filter((sequence) => Number.isSafeInteger(sequence) && sequence > 0))];
}

/**
 * The transactional outbox on PostgreSQL.
 *
 * Per-key order needs care with a `bigserial`: two concurrent transactions can take sequences 10
 * and 11 and commit 11 first, so a claimer could hand out 11 while 10, earlier and of the same
 * ordering key, is still invisible. Enqueueing therefore takes a transaction-scoped advisory lock
 * per ordering key (under a shared enqueue lock; a batch with more than
 * `maximumOrderingKeyLocks` keys takes the enqueue lock exclusively), so sequences of one ordering
 * key are allocated in commit order and the head of each key is always the earliest message.
 */
export class PostgresOutboxStatements {
  readonly #tables: JournalTables;
  readonly #enqueueLock: string;
  readonly #orderingKeyLockPrefix: string;

  /** @param tables The schema's table names. */
  constructor(tables: JournalTables) {
    this.#tables = tables;
    this.#enqueueLock = advisoryLockKey(`paymigrate.journal.outbox-enqueue:${tables.schemaName}`);
    this.#orderingKeyLockPrefix = `paymigrate.journal.outbox-ordering-key:${tables.schemaName}:`;
  }

  /**
   * Enqueues messages inside the caller's transaction, in batch order; a deduplication id already
   * in the outbox (pending or delivered, or earlier in the same batch) is not enqueued again and
   * reports the existing sequence. A concurrent batch with the same id makes this insert wait and
   * then skip, so ids stay unique without a unique-violation error.
   *
   * @returns One sequence per message, in order.
   */
  async enqueue(client: Queryable, messages: readonly OutboxMessageInput[], now: number): Promise<number[]> {
    if (messages.length === 0) return [];
    const firstOccurrences = new Map<string, OutboxMessageInput>();
    for (const message of messages) {
      if (!firstOccurrences.has(message.deduplicationId)) firstOccurrences.set(message.deduplicationId, message);
    }
    const fresh = [...firstOccurrences.values()];
    await this.#lockOrderingKeys(client, fresh);
    const inserted = await client.query<{ sequence: string; deduplication_id: string }>(
      `INSERT INTO ${this.#tables.outbox} (topic, ordering_key, deduplication_id, payload, enqueued_at, available_at)
       SELECT message.topic, message.ordering_key, message.deduplication_id, message.payload, $5, $5
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
         AS message(topic, ordering_key, deduplication_id, payload, position)
       ORDER BY message.position
       ON CONFLICT (deduplication_id) DO NOTHING
       RETURNING sequence, deduplication_id`,
      [fresh.map((message) => message.topic), fresh.map((message) => message.orderingKey), fresh.map((message) => message.deduplicationId), fresh.map((message) => message.payload), now],
    );
    const sequences = new Map(inserted.rows.map((row) => [row.deduplication_id, Number(row.sequence)]));
    const known = fresh.filter((message) => !sequences.has(message.deduplicationId)).map((message) => message.deduplicationId);
    if (known.length > 0) {
      const existing = await client.query<{ sequence: string; deduplication_id: string }>(
        `SELECT sequence, deduplication_id FROM ${this.#tables.outbox} WHERE deduplication_id = ANY($1::text[])`,
        [known],
      );
      for (const row of existing.rows) sequences.set(row.deduplication_id, Number(row.sequence));
    }
    return messages.map((message) => sequences.get(message.deduplicationId) as number);
  }

  /** Takes the enqueue lock (shared) and the ordering-key locks in a fixed order, or the enqueue lock alone, exclusively. */
  async #lockOrderingKeys(client: Queryable, messages: readonly OutboxMessageInput[]): Promise<void> {
    const orderingKeys = new Set(messages.map((message) => message.orderingKey));
    if (orderingKeys.size > maximumOrderingKeyLocks) {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [this.#enqueueLock]);
      return;
    }
    const keyLocks = [...new Set([...orderingKeys].map((orderingKey) => advisoryLockKey(this.#orderingKeyLockPrefix + orderingKey)))].sort();
    // Rows of a function scan come in array order: the shared lock first, then the key locks sorted.
    await client.query(
      `SELECT CASE WHEN lock.position = 1 THEN pg_advisory_xact_lock_shared(lock.key) ELSE pg_advisory_xact_lock(lock.key) END
       FROM unnest($1::bigint[]) WITH ORDINALITY AS lock(key, position)`,
      [[this.#enqueueLock, ...keyLocks]],
    );
  }

  /**
   * Claims, in one statement, up to `limit` messages, lowest sequence first: undelivered,
   * available, lease absent or expired, of the requested topics, and the head of their ordering
   * key (no earlier undelivered message of the key exists, whatever its topic, lease or back-off).
   * Candidates are locked with `FOR UPDATE SKIP LOCKED`; each claimed message gets the lease and
   * one more attempt.
   */
  async claim(database: Queryable, options: OutboxClaimOptions, now: number): Promise<readonly OutboxMessage[]> {
    const { outbox } = this.#tables;
    const result = await database.query<OutboxRow>(
      `WITH candidates AS MATERIALIZED (
         SELECT message.sequence FROM ${outbox} AS message
         WHERE message.delivered_at IS NULL
           AND message.available_at <= $1
           AND (message.lease_owner IS NULL OR message.lease_expires_at <= $1)
           AND ($2::text[] IS NULL OR message.topic = ANY($2::text[]))
           AND NOT EXISTS (
             SELECT 1 FROM ${outbox} AS earlier
             WHERE earlier.ordering_key = message.ordering_key AND earlier.delivered_at IS NULL AND earlier.sequence < message.sequence
           )
         ORDER BY message.sequence
         LIMIT $3
         FOR UPDATE OF message SKIP LOCKED
       ), claimed AS (
         UPDATE ${outbox} AS message
         SET attempts = message.attempts + 1, lease_owner = $4, lease_expires_at = $5
         FROM candidates
         WHERE message.sequence = candidates.sequence
         RETURNING message.*
       )
       SELECT ${outboxColumns} FROM claimed ORDER BY sequence`,
      [now, options.topics === undefined ? null : [...options.topics], options.limit, options.owner, now + options.leaseMs],
    );
    return Object.freeze(result.rows.map(toOutboxMessage));
  }

  /** Marks delivered the messages `owner` holds; returns those sequences in the order given. */
  async acknowledge(database: Queryable, sequences: readonly number[], owner: string, now: number): Promise<readonly number[]> {
    const candidates = validSequences(sequences);
    if (candidates.length === 0) return Object.freeze([]);
    const result = await database.query<{ sequence: string }>(
      `UPDATE ${this.#tables.outbox} SET delivered_at = $3
       WHERE sequence = ANY($1::bigint[]) AND lease_owner = $2 AND delivered_at IS NULL
       RETURNING sequence`,
      [candidates, owner, now],
    );
    const acknowledged = new Set(result.rows.map((row) => Number(row.sequence)));
    return Object.freeze(candidates.filter((sequence) => acknowledged.has(sequence)));
  }

  /** Gives a message `owner` holds back for a later attempt; ignored for anyone else. */
  async release(database: Queryable, input: { sequence: number; owner: string; availableAt: number; error: string | undefined }): Promise<void> {
    if (validSequences([input.sequence]).length === 0) return;
    await database.query(
      `UPDATE ${this.#tables.outbox}
       SET available_at = $3, lease_owner = NULL, lease_expires_at = NULL, last_error = COALESCE($4, last_error)
       WHERE sequence = $1 AND lease_owner = $2 AND delivered_at IS NULL`,
      [input.sequence, input.owner, input.availableAt, input.error ?? null],
    );
  }

  /**
   * Deletes up to `limit` messages delivered before `deliveredBefore`, lowest sequence first; rows
   * another pruner holds are skipped (`SKIP LOCKED`), never waited for. Returns how many it deleted.
   */
  async pruneDelivered(database: Queryable, deliveredBefore: number, limit: number): Promise<number> {
    const result = await database.query(
      `DELETE FROM ${this.#tables.outbox} WHERE sequence IN (
         SELECT sequence FROM ${this.#tables.outbox}
         WHERE delivered_at IS NOT NULL AND delivered_at < $1
         ORDER BY sequence LIMIT $2
         FOR UPDATE SKIP LOCKED
       )`,
      [deliveredBefore, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Counts undelivered messages, optionally of some topics. */
  async pendingCount(database: Queryable, topics: readonly string[] | undefined): Promise<number> {
    const result = await database.query<{ total: string }>(
      `SELECT count(*) AS total FROM ${this.#tables.outbox} WHERE delivered_at IS NULL AND ($1::text[] IS NULL OR topic = ANY($1::text[]))`,
      [topics === undefined ? null : [...topics]],
    );
    return Number((result.rows[0] as { total: string }).total);
  }

  /**
   * Reads undelivered messages (leased or not, available or backing off) with at least
   * `minimumAttempts` attempts, of the requested topics, after `afterSequence`, lowest sequence
   * first, at most `limit`: one plain SELECT (no row locks, nothing changed) that walks the partial
   * index of pending messages by sequence (`outbox_pending_sequence`) from `afterSequence` on.
   */
  async listPending(database: Queryable, query: ResolvedPendingOutboxQuery): Promise<readonly OutboxMessage[]> {
    const result = await database.query<OutboxRow>(
      `SELECT ${outboxColumns} FROM ${this.#tables.outbox}
       WHERE delivered_at IS NULL
         AND sequence > $1::bigint
         AND attempts >= $2::bigint
         AND ($3::text[] IS NULL OR topic = ANY($3::text[]))
       ORDER BY sequence
       LIMIT $4`,
      [query.afterSequence, query.minimumAttempts, query.topics === undefined ? null : [...query.topics], query.limit],
    );
    return Object.freeze(result.rows.map(toOutboxMessage));
  }
}
