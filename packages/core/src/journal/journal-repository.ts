import type { z } from 'zod';
import type { ExpectedVersion, JournalLease, JournalPut, JournalRecord, JournalV1 } from '../ports/journal/v1/journal.js';
import { JournalRecordInvalidError } from './journal-record-invalid-error.js';

/** A typed record read from the journal, with the version to compare-and-set against. */
export interface StoredRecord<Value> {
  /** Key within the collection. */
  readonly key: string;
  /** The typed value. */
  readonly value: Value;
  /** The record's version: pass it as `expectedVersion` to update it only if nobody else did. */
  readonly version: number;
  /** Secondary index value the record was written with. */
  readonly index: string | undefined;
  /** When the record was last written, epoch milliseconds (from the journal's clock). */
  readonly updatedAt: number;
  /** The claim a worker holds on the record, if any. */
  readonly lease: JournalLease | undefined;
}

/** How one collection maps typed values to journal records. */
export interface JournalRepositoryDefinition<Value> {
  /** Collection name. */
  readonly collection: string;
  /** Validates parsed JSON and revives it (amounts become `Money`). */
  readonly schema: z.ZodType<Value>;
  /** The record key of a value. */
  readonly keyOf: (value: Value) => string;
  /** The secondary index value of a value; `undefined` leaves the record un-indexed. */
  readonly indexOf: (value: Value) => string | undefined;
}

/** Options of `JournalRepository.list`. */
export interface RepositoryListOptions {
  /** Only records with this index value. */
  readonly index?: string | undefined;
  /** Only keys after this one (keyset pagination). */
  readonly afterKey?: string | undefined;
  /** Maximum number of records, 1-10,000. */
  readonly limit: number;
}

/** Options of `JournalRepository.claim`. */
export interface RepositoryClaimOptions {
  /** Only records with this index value. */
  readonly index: string;
  /** The claiming worker. */
  readonly owner: string;
  /** How long the claim lasts, milliseconds. */
  readonly leaseMs: number;
  /** Maximum number of records. */
  readonly limit: number;
}

/** The page size `listAll` reads with. */
const listAllPageSize = 500;

/**
 * Typed access to one journal collection: values are stored as JSON (amounts through
 * `Money.toJSON`) and validated on the way back, so an engine never works on a half-understood
 * record. Writes are compare-and-set by version; `put` builds a write for an atomic batch that
 * spans several repositories.
 *
 * @example
 * const payments = new PaymentRepository(journal);
 * const stored = await payments.get('pay_1');
 * await journal.write({ puts: [payments.put({ ...stored.value, state: 'captured' }, stored.version)] });
 */
export class JournalRepository<Value> {
  /** Collection name. */
  readonly collection: string;

  /** The journal this repository reads and writes. */
  protected readonly journal: JournalV1;

  readonly #definition: JournalRepositoryDefinition<Value>;

  /**
   * @param journal The journal.
   * @param definition Collection name, schema, key and index of the values.
   */
  constructor(journal: JournalV1, definition: JournalRepositoryDefinition<Value>) {
    this.journal = journal;
    this.collection = definition.collection;
    this.#definition = definition;
  }

  /** The key `value` is stored under. */
  keyOf(value: Value): string {
    return this.#definition.keyOf(value);
  }

  /**
   * Reads one record.
   *
   * @throws JournalRecordInvalidError when the stored JSON is not a valid value of this collection.
   */
  async get(key: string): Promise<StoredRecord<Value> | undefined> {
    const record = await this.journal.get(this.collection, key);
    return record === undefined ? undefined : this.decode(record);
  }

  /** Reads several records; absent keys are left out. */
  async getMany(keys: readonly string[]): Promise<StoredRecord<Value>[]> {
    if (keys.length === 0) return [];
    const records = await this.journal.getMany(this.collection, keys);
    return records.map((record) => this.decode(record));
  }

  /** Lists records in key order, optionally with one index value. */
  async list(options: RepositoryListOptions): Promise<StoredRecord<Value>[]> {
    const records = await this.journal.list(this.collection, options);
    return records.map((record) => this.decode(record));
  }

  /** Iterates over every record (optionally with one index value), a page at a time. */
  async *listAll(options: { readonly index?: string | undefined } = {}): AsyncGenerator<StoredRecord<Value>> {
    let afterKey: string | undefined;
    for (;;) {
      const page = await this.list({ index: options.index, afterKey, limit: listAllPageSize });
      for (const record of page) yield record;
      const last = page.at(-1);
      if (page.length < listAllPageSize || last === undefined) return;
      afterKey = last.key;
    }
  }

  /** Counts records, optionally with one index value. */
  count(options: { readonly index?: string | undefined } = {}): Promise<number> {
    return this.journal.count(this.collection, options);
  }

  /**
   * Claims records with an index value for a worker (see `JournalV1.claim`): the claim bumps each
   * record's version, so a worker whose lease was taken over loses its next compare-and-set.
   */
  async claim(options: RepositoryClaimOptions): Promise<StoredRecord<Value>[]> {
    const records = await this.journal.claim({ collection: this.collection, ...options });
    return records.map((record) => this.decode(record));
  }

  /** Builds the write of `value` for a batch, indexed by the collection's rule. */
  put(value: Value, expectedVersion: ExpectedVersion): JournalPut {
    return {
      collection: this.collection,
      key: this.#definition.keyOf(value),
      value: this.encode(value),
      index: this.#definition.indexOf(value),
      expectedVersion,
    };
  }

  /**
   * Writes one value on its own (compare-and-set) and returns it as stored.
   *
   * @throws VersionConflictError when the record's version is not `expectedVersion`.
   */
  async save(value: Value, expectedVersion: ExpectedVersion): Promise<StoredRecord<Value>> {
    const result = await this.journal.write({ puts: [this.put(value, expectedVersion)] });
    // A committed batch returns its records in the order of its puts (JournalV1 guarantee).
    return this.decode(result.records[0] as JournalRecord);
  }

  /**
   * The typed record a committed put of `value` left in the journal, without reading it back: the
   * value is the one this process just encoded (so it needs neither parsing nor validation), the
   * version and timestamps are the journal's. Use it only for `record` from the result of the write
   * that carried `put(value, ...)`; a later change by someone else shows as a version conflict on
   * the next compare-and-set, never as a silently stale value being written.
   */
  written(value: Value, record: JournalRecord): StoredRecord<Value> {
    return Object.freeze({
      key: record.key,
      value,
      version: record.version,
      index: record.index,
      updatedAt: record.updatedAt,
      lease: record.lease,
    });
  }

  /** The JSON text of a value (amounts as `Money.toJSON`, `undefined` members left out). */
  encode(value: Value): string {
    return JSON.stringify(value);
  }

  /**
   * Reads a journal record of this collection as a typed value.
   *
   * @throws JournalRecordInvalidError when the JSON is malformed or does not match the schema.
   */
  decode(record: JournalRecord): StoredRecord<Value> {
    let json: unknown;
    try {
      json = JSON.parse(record.value);
    } catch (error) {
      throw new JournalRecordInvalidError({ collection: this.collection, key: record.key, field: '', problem: 'the value is not JSON', cause: error });
    }
    const parsed = this.#definition.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new JournalRecordInvalidError({
        collection: this.collection,
        key: record.key,
        field: issue === undefined ? '' : issue.path.map(String).join('.'),
        problem: issue?.message ?? 'it does not match the schema',
      });
    }
    return Object.freeze({
      key: record.key,
      value: parsed.data,
      version: record.version,
      index: record.index,
      updatedAt: record.updatedAt,
      lease: record.lease,
    });
  }
}
