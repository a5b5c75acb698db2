import type { JournalPut } from '@paymigrate/core';
import type pg from 'pg';
import { describe, expect, test } from 'vitest';
import { usePostgresTestServer } from './__fixtures__/postgres-test-server.js';
import { createPostgresJournal } from './postgres-journal.js';
import type { Queryable } from './postgres-queryable.js';
import { journalTables } from './postgres-tables.js';
import { inTransaction } from './postgres-transaction.js';
import { PostgresBatchWriter } from './postgres-write.js';

const database = usePostgresTestServer();

/** A client wrapper that counts the statements (round trips) it sends. */
function counting(client: pg.PoolClient): { database: Queryable; statements: () => number } {
  let statements = 0;
  return {
    database: {
      query: (text, values) => {
        statements += 1;
        return client.query(text, values);
      },
    },
    statements: () => statements,
  };
}

function puts(count: number, prefix: string, expectedVersion: JournalPut['expectedVersion']): JournalPut[] {
  return Array.from({ length: count }, (_, position) => ({
    collection: 'payments',
    key: `${prefix}-${String(position).padStart(5, '0')}`,
    value: JSON.stringify({ position, amount: 1_250, currency: 'EUR' }),
    index: position % 2 === 0 ? 'pending' : undefined,
    expectedVersion,
  }));
}

describe('PostgresBatchWriter', () => {
  test('a 10,000-put batch is two statements inside its transaction, and every record is written', async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    const pool = database.createPool(2);
    const writer = new PostgresBatchWriter(journalTables(schema));
    const batch = puts(10_000, 'p', 0);
    const counter = await inTransaction<pg.PoolClient, ReturnType<typeof counting>>(pool, async (client) => {
      const wrapped = counting(client);
      const result = await writer.apply(wrapped.database, { puts: batch }, 1_000);
      expect(result.records).toHaveLength(10_000);
      expect(result.records[9_999]).toEqual({ ...batch[9_999], version: 1, updatedAt: 1_000, lease: undefined, expectedVersion: undefined });
      return wrapped;
    });
    expect(counter.statements()).toBe(2);
    expect(await journal.count('payments')).toBe(10_000);
    expect(await journal.count('payments', { index: 'pending' })).toBe(5_000);
    await journal.close();
  });

  test('a mixed batch is a fixed number of statements whatever its size', async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    await journal.write({ puts: [...puts(2_000, 'existing', 0), ...puts(2_000, 'doomed', 0)] });
    const pool = database.createPool(2);
    const writer = new PostgresBatchWriter(journalTables(schema));
    const statements = await inTransaction<pg.PoolClient, number>(pool, async (client) => {
      const wrapped = counting(client);
      const result = await writer.apply(
        wrapped.database,
        {
          puts: [...puts(2_000, 'existing', 1), ...puts(2_000, 'created', 0), ...puts(2_000, 'imported', 'any')],
          deletes: puts(2_000, 'doomed', 1).map(({ collection, key }) => ({ collection, key, expectedVersion: 1 })),
          outbox: Array.from({ length: 2_000 }, (_, position) => ({ topic: 't', orderingKey: `order-${position}`, deduplicationId: `d-${position}`, payload: '{}' })),
        },
        2_000,
      );
      expect(result.records.slice(0, 2_000).every((record) => record.version === 2)).toBe(true);
      expect(result.records.slice(2_000).every((record) => record.version === 1)).toBe(true);
      expect(result.outboxSequences).toHaveLength(2_000);
      return wrapped.statements();
    });
    // lock, update, insert, upsert, delete, enqueue lock, outbox insert.
    expect(statements).toBe(7);
    expect(await journal.count('payments')).toBe(6_000);
    expect(await journal.pendingOutboxCount()).toBe(2_000);
    await journal.close();
  });

  test("a deferred batch turns synchronous_commit off for its own transaction only (asynchronous commit); a durable one leaves it on", async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    const pool = database.createPool(1);
    const writer = new PostgresBatchWriter(journalTables(schema));
    const client = await pool.connect();
    const setting = async (): Promise<string> => (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit;
    const texts: string[] = [];
    const recording: Queryable = {
      query: (text, values) => {
        texts.push(text);
        return client.query(text, values);
      },
    };
    try {
      // The test server runs with synchronous commits off for speed; production servers have them on.
      await client.query('SET synchronous_commit TO ON');
      expect(await setting()).toBe('on');
      await client.query('BEGIN');
      await writer.apply(recording, { puts: puts(1, 'deferred', 0), outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: '{}' }], durability: 'deferred' }, 1_000);
      expect(texts[0]).toBe('SET LOCAL synchronous_commit TO OFF');
      expect(await setting()).toBe('off');
      await client.query('COMMIT');
      // SET LOCAL ends with its transaction: the pooled connection is back to synchronous commits.
      expect(await setting()).toBe('on');
      texts.length = 0;
      await client.query('BEGIN');
      await writer.apply(recording, { puts: puts(1, 'durable', 0), durability: 'durable' }, 1_000);
      expect(await setting()).toBe('on');
      await client.query('COMMIT');
      expect(texts.some((text) => text.includes('synchronous_commit'))).toBe(false);
      await client.query('RESET synchronous_commit');
    } finally {
      client.release();
    }
    // Committed and visible to every other connection at once.
    expect(await journal.get('payments', 'deferred-00000')).toMatchObject({ version: 1 });
    expect(await journal.pendingOutboxCount()).toBe(1);
    await journal.close();
  });

  test('a deferred write through the journal commits at once and a conflict still fails it whole', async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    const [record] = (await journal.write({ puts: puts(1, 'p', 0), durability: 'deferred' })).records;
    expect(record).toMatchObject({ key: 'p-00000', version: 1 });
    await expect(journal.write({ puts: [...puts(1, 'q', 0), ...puts(1, 'p', 0)], outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: '{}' }], durability: 'deferred' })).rejects.toMatchObject({
      code: 'JOURNAL_VERSION_CONFLICT',
    });
    expect(await journal.get('payments', 'q-00000')).toBeUndefined();
    expect(await journal.pendingOutboxCount()).toBe(0);
    await journal.close();
  });
});
