import type { JournalClaimOptions, JournalListOptions, JournalRecord } from '@paymigrate/core';
import type { Queryable } from './postgres-queryable.js';
import type { JournalTables } from './postgres-tables.js';

/** A `records` row as pg returns it (`bigint` columns arrive as decimal strings). */
interface RecordRow {
  readonly collection: string;
  readonly key: string;
  readonly version: string;
  readonly value: string;
  readonly index_value: string | null;
  readonly updated_at: string;
  readonly lease_owner: string | null;
  readonly lease_expires_at: string | null;
}

/** The columns of a `RecordRow`, in a fixed order. */
const recordColumns = 'collection, key, version, value, index_value, updated_at, lease_owner, lease_expires_at';

/** A nullable `bigint` column as a number, `undefined` for NULL. */
export function numberOrUndefined(value: string | null): number | undefined {
  return value === null ? undefined : Number(value);
}

/** Turns a row into the frozen record the port hands out. */
export function toJournalRecord(row: RecordRow): JournalRecord {
  return Object.freeze({
    collection: row.collection,
    key: row.key,
    version: Number(row.version),
    value: row.value,
    index: row.index_value ?? undefined,
    updatedAt: Number(row.updated_at),
    lease: row.lease_owner === null ? undefined : Object.freeze({ owner: row.lease_owner, expiresAt: Number(row.lease_expires_at) }),
  });
}

/**
 * The record statements that stand alone (reads and claims); batch writes are in
 * `postgres-write.ts`. Key comparisons and `ORDER BY key` use the columns' `COLLATE "C"`.
 */
export class PostgresRecordStatements {
  readonly #tables: JournalTables;

  /** @param tables The schema's table names. */
  constructor(tables: JournalTables) {
    this.#tables = tables;
  }

  /** Reads one record. */
  async get(database: Queryable, collection: string, key: string): Promise<JournalRecord | undefined> {
    const result = await database.query<RecordRow>(`SELECT ${recordColumns} FROM ${this.#tables.records} WHERE collection = $1 AND key = $2`, [collection, key]);
    const row = result.rows[0];
    return row === undefined ? undefined : toJournalRecord(row);
  }

  /** Reads several records of a collection, in the order of `keys`, each once; absent keys are left out. */
  async getMany(database: Queryable, collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    const unique = [...new Set(keys)];
    if (unique.length === 0) return Object.freeze([]);
    const result = await database.query<RecordRow>(
      `SELECT ${recordColumns} FROM ${this.#tables.records} WHERE collection = $1 AND key = ANY($2::text[])`,
      [collection, unique],
    );
    const byKey = new Map(result.rows.map((row) => [row.key, row]));
    return Object.freeze(unique.flatMap((key) => (byKey.has(key) ? [toJournalRecord(byKey.get(key) as RecordRow)] : [])));
  }

  /** Lists records in code-point key order, optionally with one index value and after a key. */
  async list(database: Queryable, collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]> {
    const result = await database.query<RecordRow>(
      `SELECT ${recordColumns} FROM ${this.#tables.records}
       WHERE collection = $1 AND ($2::text IS NULL OR index_value = $2) AND ($3::text IS NULL OR key > $3)
       ORDER BY key LIMIT $4`,
      [collection, options.index ?? null, options.afterKey ?? null, options.limit],
    );
    return Object.freeze(result.rows.map(toJournalRecord));
  }

  /** Counts records of a collection, optionally with one index value. */
  async count(database: Queryable, collection: string, index: string | undefined): Promise<number> {
    const result = await database.query<{ total: string }>(
      `SELECT count(*) AS total FROM ${this.#tables.records} WHERE collection = $1 AND ($2::text IS NULL OR index_value = $2)`,
      [collection, index ?? null],
    );
    return Number((result.rows[0] as { total: string }).total);
  }

  /**
   * Claims records in one statement: the candidates (index matches; lease absent, expired or the
   * owner's) are locked with `FOR UPDATE SKIP LOCKED`, oldest `updatedAt` first, then key order,
   * so concurrent claimers in any number of processes skip each other's rows instead of waiting;
   * each claimed row gets the lease and `version + 1` (fencing), `updated_at` unchanged.
   * In READ COMMITTED, a candidate another claimer committed meanwhile is re-checked against its
   * new lease and dropped, so an unexpired lease is never handed out twice.
   */
  async claim(database: Queryable, options: JournalClaimOptions, now: number): Promise<readonly JournalRecord[]> {
    const { records } = this.#tables;
    const result = await database.query<RecordRow>(
      `WITH candidates AS MATERIALIZED (
         SELECT collection, key FROM ${records}
         WHERE collection = $1 AND index_value = $2
           AND (lease_owner IS NULL OR lease_expires_at <= $3 OR lease_owner = $4)
         ORDER BY updated_at, key
         LIMIT $5
         FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE ${records} AS record
         SET version = record.version + 1, lease_owner = $4, lease_expires_at = $6
         FROM candidates
         WHERE record.collection = candidates.collection AND record.key = candidates.key
         RETURNING record.*
       )
       SELECT ${recordColumns} FROM claimed ORDER BY updated_at, key`,
      [options.collection, options.index, now, options.owner, options.limit, now + options.leaseMs],
    );
    return Object.freeze(result.rows.map(toJournalRecord));
  }
}
