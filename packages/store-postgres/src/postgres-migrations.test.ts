import { PaymigrateError } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { usePostgresTestServer } from './__fixtures__/postgres-test-server.js';
import { createPostgresJournal } from './postgres-journal.js';
import { migratePostgresSchema, type PostgresMigration, postgresMigrations, readSchemaVersion } from './postgres-migrations.js';
import { journalTables } from './postgres-tables.js';

const database = usePostgresTestServer();

/** The applied migrations recorded in a schema. */
async function recordedMigrations(schema: string): Promise<{ version: number; name: string }[]> {
  const result = await database.administration().query<{ version: number; name: string }>(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
  return result.rows;
}

describe('PostgreSQL journal migrations', () => {
  test('the migration list is numbered 1, 2, ... without gaps', () => {
    expect(postgresMigrations.map((migration) => migration.version)).toEqual(postgresMigrations.map((_, position) => position + 1));
    expect(new Set(postgresMigrations.map((migration) => migration.name)).size).toBe(postgresMigrations.length);
  });

  test('five journals opening at once: every migration runs exactly once', async () => {
    const schema = database.freshSchema();
    const journals = Array.from({ length: 5 }, () => createPostgresJournal({ connectionString: database.connectionString(), schema, poolSize: 2 }));
    await Promise.all(journals.map((journal) => journal.open()));
    expect(await Promise.all(journals.map((journal) => journal.schemaVersion()))).toEqual([2, 2, 2, 2, 2]);
    expect(await recordedMigrations(schema)).toEqual([
      { version: 1, name: 'records-and-outbox' },
      { version: 2, name: 'work-queue-indexes' },
    ]);
    await Promise.all(journals.map((journal) => journal.close()));
  });

  test('five processes migrating at once: one applies everything, the others find it applied', async () => {
    const schema = database.freshSchema();
    const pools = Array.from({ length: 5 }, () => database.createPool(1));
    const outcomes = await Promise.all(
      pools.map(async (pool) => {
        const client = await pool.connect();
        try {
          return await migratePostgresSchema(client, journalTables(schema));
        } finally {
          client.release();
        }
      }),
    );
    expect(outcomes.map((outcome) => outcome.version)).toEqual([2, 2, 2, 2, 2]);
    const appliers = outcomes.filter((outcome) => outcome.applied.length > 0);
    expect(appliers).toEqual([{ applied: [1, 2], version: 2 }]);
    await Promise.all(pools.map((pool) => pool.end()));
  });

  test('reopening is idempotent: nothing applied again, data kept', async () => {
    const schema = database.freshSchema();
    const first = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await first.open();
    await first.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    await first.close();
    const client = await database.administration().connect();
    try {
      expect(await migratePostgresSchema(client, journalTables(schema))).toEqual({ applied: [], version: 2 });
    } finally {
      client.release();
    }
    const second = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await second.open();
    await second.open();
    expect(await second.schemaVersion()).toBe(2);
    expect(await second.get('payments', 'p1')).toMatchObject({ version: 1 });
    expect(await recordedMigrations(schema)).toHaveLength(2);
    await second.close();
  });

  test('upgrades a schema at version 1, keeping its data', async () => {
    const schema = database.freshSchema();
    const tables = journalTables(schema);
    const client = await database.administration().connect();
    try {
      expect(await readSchemaVersion(client, tables)).toBe(0);
      expect(await migratePostgresSchema(client, tables, postgresMigrations.slice(0, 1))).toEqual({ applied: [1], version: 1 });
      await client.query(`INSERT INTO ${tables.records} (collection, key, version, value, index_value, updated_at) VALUES ('payments', 'old', 3, '"v3"', 'pending', 5)`);
      await client.query(`INSERT INTO ${tables.outbox} (topic, ordering_key, deduplication_id, payload, enqueued_at, available_at) VALUES ('t', 'o', 'old-message', '{}', 5, 5)`);
    } finally {
      client.release();
    }
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    expect(await journal.schemaVersion()).toBe(2);
    expect(await recordedMigrations(schema)).toEqual([
      { version: 1, name: 'records-and-outbox' },
      { version: 2, name: 'work-queue-indexes' },
    ]);
    const indexes = await database.administration().query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema]);
    expect(indexes.rows.map((row) => row.indexname)).toEqual(
      expect.arrayContaining(['outbox_pending_ordering_key', 'outbox_pending_sequence', 'records_claim_order', 'records_index_key']),
    );
    expect(await journal.get('payments', 'old')).toMatchObject({ version: 3, value: '"v3"', index: 'pending' });
    const [claimed] = await journal.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: 1_000, limit: 1 });
    expect(claimed).toMatchObject({ key: 'old', version: 4 });
    expect(await journal.pendingOutboxCount()).toBe(1);
    await journal.close();
  });

  test('refuses a schema migrated by a newer release', async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    await journal.close();
    const client = await database.administration().connect();
    try {
      const error = await migratePostgresSchema(client, journalTables(schema), postgresMigrations.slice(0, 1)).catch((caught: unknown) => caught);
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'JOURNAL_SCHEMA_TOO_NEW', isRetryable: false, message: expect.stringContaining('at version 2, newer than this release knows (1)') });
    } finally {
      client.release();
    }
  });

  test('open refuses a schema migrated by a newer release, and the journal stays unopened', async () => {
    const schema = database.freshSchema();
    const first = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await first.open();
    await first.close();
    await database.administration().query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (3, 'from-the-future')`);
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await expect(journal.open()).rejects.toMatchObject({ code: 'JOURNAL_SCHEMA_TOO_NEW', message: expect.stringContaining("schema '" + schema + "' is at version 3") });
    await expect(journal.count('payments')).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
    await journal.close();
  });

  test('a failing migration is rolled back completely', async () => {
    const schema = database.freshSchema();
    const broken: PostgresMigration = { version: 3, name: 'broken', statements: ({ records }) => `ALTER TABLE ${records} ADD COLUMN extra text; SELECT missing_column FROM ${records}` };
    const client = await database.administration().connect();
    try {
      await expect(migratePostgresSchema(client, journalTables(schema), [...postgresMigrations, broken])).rejects.toThrow('missing_column');
      expect(await readSchemaVersion(client, journalTables(schema))).toBe(0);
      const schemas = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      expect(schemas.rows).toHaveLength(0);
    } finally {
      client.release();
    }
  });

  test('an empty migration list leaves a fresh schema at version 0', async () => {
    const client = await database.administration().connect();
    try {
      expect(await migratePostgresSchema(client, journalTables(database.freshSchema()), [])).toEqual({ applied: [], version: 0 });
    } finally {
      client.release();
    }
  });
});
