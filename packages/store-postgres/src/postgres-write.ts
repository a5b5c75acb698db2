import {
  type JournalDelete,
  type JournalPut,
  type JournalRecord,
  type JournalWriteBatch,
  type JournalWriteResult,
  VersionConflictError,
} from '@paymigrate/core';
import { PostgresOutboxStatements } from './postgres-outbox.js';
import type { Queryable } from './postgres-queryable.js';
import { numberOrUndefined } from './postgres-records.js';
import type { JournalTables } from './postgres-tables.js';

/** Identity of a record inside a batch. */
function identityOf(operation: { readonly collection: string; readonly key: string }): string {
  return JSON.stringify([operation.collection, operation.key]);
}

/**
 * Sorts puts by record identity: the one order every writer inserts absent records in, so two
 * batches creating the same records wait for each other instead of deadlocking. (Identities in a
 * batch are distinct, so no two compare equal.)
 */
function inInsertOrder(puts: readonly JournalPut[]): JournalPut[] {
  return puts
    .map((put) => ({ identity: identityOf(put), put }))
    .sort((left, right) => (left.identity < right.identity ? -1 : 1))
    .map((entry) => entry.put);
}

/** Column arrays of some puts, for `unnest`. */
function putColumns(puts: readonly JournalPut[], now: number): unknown[] {
  return [puts.map((put) => put.collection), puts.map((put) => put.key), puts.map((put) => put.value), puts.map((put) => put.index ?? null), now];
}

/** The record a put produced. */
function writtenRecord(put: JournalPut, version: number, now: number): JournalRecord {
  return Object.freeze({ collection: put.collection, key: put.key, version, value: put.value, index: put.index, updatedAt: now, lease: undefined });
}

/**
 * Applies a validated batch inside the caller's transaction, in a handful of statements whatever
 * its size (`unnest` arrays, no statement per record):
 *
 * 1. Lock every named record that exists, `SELECT ... FOR UPDATE` in (collection, key) order, so
 *    two batches touching the same records lock them in the same order and cannot deadlock.
 * 2. Check every compare-and-set condition against the locked versions, puts then deletes, and
 *    throw `VersionConflictError` for the first that fails (the caller rolls back).
 * 3. Update the existing records, insert the absent ones, delete, enqueue the outbox.
 *
 * Absent records cannot be locked, so two batches may both find a record absent. Creations
 * (`expectedVersion: 0`) use `INSERT ... ON CONFLICT DO NOTHING`: the later one waits for the
 * earlier, finds the row and inserts nothing, which becomes a `VersionConflictError` naming the
 * record and the version now found, never a unique-violation error. Unconditional puts of absent
 * records (`'any'`) upsert, so a concurrent creation just becomes an earlier version.
 */
export class PostgresBatchWriter {
  readonly #tables: JournalTables;
  readonly #outbox: PostgresOutboxStatements;

  /** @param tables The schema's table names. */
  constructor(tables: JournalTables) {
    this.#tables = tables;
    this.#outbox = new PostgresOutboxStatements(tables);
  }

  /**
   * Applies `batch` on `client`, which must be inside a transaction. A deferred batch
   * (`durability: 'deferred'`) first sets `synchronous_commit` to `off` for this transaction only
   * (`SET LOCAL`): PostgreSQL's asynchronous commit, which is exactly the port's deferred guarantee.
   * The COMMIT returns without waiting for the WAL flush; the transaction is visible to everyone at
   * once; the WAL writer flushes it within three `wal_writer_delay` (200 ms by default); and the WAL
   * is flushed in order, so any later synchronous commit (whose COMMIT waits for the WAL up to its
   * own record) makes it durable too. A server crash can lose only the latest asynchronous commits,
   * never a synchronous one after them, and never part of a transaction.
   */
  async apply(client: Queryable, batch: JournalWriteBatch, now: number): Promise<JournalWriteResult> {
    if (batch.durability === 'deferred') await client.query('SET LOCAL synchronous_commit TO OFF');
    const puts = batch.puts ?? [];
    const deletes = batch.deletes ?? [];
    const versions = await this.#lockExisting(client, [...puts, ...deletes]);
    assertExpectedVersions([...puts, ...deletes], versions);

    const existing = puts.filter((put) => versions.has(identityOf(put)));
    const created = inInsertOrder(puts.filter((put) => !versions.has(identityOf(put)) && put.expectedVersion === 0));
    const upserted = inInsertOrder(puts.filter((put) => !versions.has(identityOf(put)) && put.expectedVersion === 'any'));
    const written = new Map<string, number>();
    for (const put of existing) written.set(identityOf(put), (versions.get(identityOf(put)) as number) + 1);
    await this.#update(client, existing, now);
    for (const put of await this.#create(client, created, now)) written.set(identityOf(put), 1);
    for (const [identity, version] of await this.#upsert(client, upserted, now)) written.set(identity, version);
    await this.#delete(
      client,
      deletes.filter((deletion) => versions.has(identityOf(deletion))),
    );
    const outboxSequences = await this.#outbox.enqueue(client, batch.outbox ?? [], now);
    const records = puts.map((put) => writtenRecord(put, written.get(identityOf(put)) as number, now));
    return Object.freeze({ records: Object.freeze(records), outboxSequences: Object.freeze(outboxSequences) });
  }

  /** Locks the named records that exist, in (collection, key) order; returns their versions. */
  async #lockExisting(client: Queryable, operations: readonly (JournalPut | JournalDelete)[]): Promise<Map<string, number>> {
    if (operations.length === 0) return new Map();
    const result = await client.query<{ collection: string; key: string; version: string }>(
      `SELECT record.collection, record.key, record.version
       FROM ${this.#tables.records} AS record
       JOIN unnest($1::text[], $2::text[]) AS named(collection, key) ON record.collection = named.collection AND record.key = named.key
       ORDER BY record.collection, record.key
       FOR UPDATE OF record`,
      [operations.map((operation) => operation.collection), operations.map((operation) => operation.key)],
    );
    return new Map(result.rows.map((row) => [identityOf(row), Number(row.version)]));
  }

  async #update(client: Queryable, puts: readonly JournalPut[], now: number): Promise<void> {
    if (puts.length === 0) return;
    await client.query(
      `UPDATE ${this.#tables.records} AS record
       SET version = record.version + 1, value = put.value, index_value = put.index_value, updated_at = $5,
           lease_owner = NULL, lease_expires_at = NULL
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS put(collection, key, value, index_value)
       WHERE record.collection = put.collection AND record.key = put.key`,
      putColumns(puts, now),
    );
  }

  /** Inserts records expected absent; throws `VersionConflictError` for one a concurrent batch created first. */
  async #create(client: Queryable, puts: readonly JournalPut[], now: number): Promise<readonly JournalPut[]> {
    if (puts.length === 0) return puts;
    const result = await client.query<{ collection: string; key: string }>(
      `INSERT INTO ${this.#tables.records} (collection, key, version, value, index_value, updated_at)
       SELECT put.collection, put.key, 1, put.value, put.index_value, $5
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS put(collection, key, value, index_value)
       ON CONFLICT (collection, key) DO NOTHING
       RETURNING collection, key`,
      putColumns(puts, now),
    );
    if (result.rows.length === puts.length) return puts;
    const inserted = new Set(result.rows.map(identityOf));
    const lost = puts.find((put) => !inserted.has(identityOf(put))) as JournalPut;
    // READ COMMITTED: this new statement sees the row the other batch committed.
    const found = await client.query<{ version: string | null }>(
      `SELECT (SELECT version FROM ${this.#tables.records} WHERE collection = $1 AND key = $2) AS version`,
      [lost.collection, lost.key],
    );
    throw new VersionConflictError({
      collection: lost.collection,
      key: lost.key,
      expectedVersion: 0,
      actualVersion: numberOrUndefined((found.rows[0] as { version: string | null }).version),
    });
  }

  /** Unconditional puts of records that were absent when locked; returns the versions written. */
  async #upsert(client: Queryable, puts: readonly JournalPut[], now: number): Promise<Map<string, number>> {
    if (puts.length === 0) return new Map();
    const result = await client.query<{ collection: string; key: string; version: string }>(
      `INSERT INTO ${this.#tables.records} AS record (collection, key, version, value, index_value, updated_at)
       SELECT put.collection, put.key, 1, put.value, put.index_value, $5
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS put(collection, key, value, index_value)
       ON CONFLICT (collection, key) DO UPDATE
       SET version = record.version + 1, value = EXCLUDED.value, index_value = EXCLUDED.index_value, updated_at = EXCLUDED.updated_at,
           lease_owner = NULL, lease_expires_at = NULL
       RETURNING collection, key, version`,
      putColumns(puts, now),
    );
    return new Map(result.rows.map((row) => [identityOf(row), Number(row.version)]));
  }

  async #delete(client: Queryable, deletes: readonly JournalDelete[]): Promise<void> {
    if (deletes.length === 0) return;
    await client.query(
      `DELETE FROM ${this.#tables.records} AS record
       USING unnest($1::text[], $2::text[]) AS named(collection, key)
       WHERE record.collection = named.collection AND record.key = named.key`,
      [deletes.map((deletion) => deletion.collection), deletes.map((deletion) => deletion.key)],
    );
  }
}

/** Throws `VersionConflictError` for the first operation (puts, then deletes) whose condition fails. */
function assertExpectedVersions(operations: readonly (JournalPut | JournalDelete)[], versions: ReadonlyMap<string, number>): void {
  for (const operation of operations) {
    const expected = operation.expectedVersion;
    if (expected === 'any') continue;
    const actual = versions.get(identityOf(operation));
    if (expected === 0 ? actual === undefined : actual === expected) continue;
    throw new VersionConflictError({ collection: operation.collection, key: operation.key, expectedVersion: expected, actualVersion: actual });
  }
}
