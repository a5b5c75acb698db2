import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';
import { applySqliteMigrations, readSchemaVersion, type SqliteMigration, sqliteMigrations } from './sqlite-migrations.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-migrations-');
afterAll(() => directory.remove());

/** Runs `body` on a raw better-sqlite3 connection to `filename`, then closes it. */
function withDatabase<Result>(filename: string, body: (database: Database.Database) => Result): Result {
  const database = new Database(filename);
  try {
    return body(database);
  } finally {
    database.close();
  }
}

/** The `schema_migrations` rows of a file. */
function appliedMigrations(filename: string): { version: number; name: string; applied_at: number }[] {
  return withDatabase(filename, (database) => database.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as never);
}

/** The names of the tables and indexes of a file, sorted. */
function schemaObjects(filename: string): string[] {
  return withDatabase(filename, (database) =>
    (database.prepare("SELECT type || ' ' || name AS entry FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY entry").pluck().all() as string[]),
  );
}

describe('SQLite journal migrations', () => {
  test('are numbered 1, 2, 3, ... in order, with names', () => {
    expect(sqliteMigrations.map((migration) => migration.version)).toEqual(sqliteMigrations.map((_, position) => position + 1));
    expect(sqliteMigrations.every((migration) => migration.name.length > 0)).toBe(true);
    expect(Object.isFrozen(sqliteMigrations)).toBe(true);
  });

  test('open() on a fresh file creates it, applies every migration and records each one', async () => {
    const filename = `${directory.path}/nested/folder/fresh.sqlite`;
    const journal = new SqliteJournal({ filename, clock: { specificationVersion: 'v1', now: () => 1_234, sleep: () => Promise.resolve() } });
    await journal.open();
    expect(await journal.schemaVersion()).toBe(sqliteMigrations.length);
    await journal.close();
    expect(appliedMigrations(filename)).toEqual([
      { version: 1, name: 'create records', applied_at: 1_234 },
      { version: 2, name: 'create outbox', applied_at: 1_234 },
    ]);
    expect(schemaObjects(filename)).toEqual([
      'index outbox_pending',
      'index outbox_pending_by_ordering_key',
      'index outbox_pending_by_topic',
      'index records_by_index',
      'table outbox',
      'table records',
      'table schema_migrations',
    ]);
    expect(withDatabase(filename, (database) => database.pragma('journal_mode', { simple: true }))).toBe('wal');
  });

  test('reopening is idempotent: nothing is applied twice and the data stays', async () => {
    const filename = directory.file('reopen');
    const journal = new SqliteJournal({ filename });
    await journal.open();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '"kept"', expectedVersion: 0 }] });
    await journal.close();
    const before = appliedMigrations(filename);
    for (let time = 0; time < 3; time += 1) {
      const again = new SqliteJournal({ filename });
      await again.open();
      await again.open();
      expect(await again.schemaVersion()).toBe(2);
      expect(await again.get('payments', 'p1')).toMatchObject({ value: '"kept"', version: 1 });
      await again.close();
    }
    expect(appliedMigrations(filename)).toEqual(before);
    expect(withDatabase(filename, (database) => applySqliteMigrations(database, { now: () => 0 }))).toBe(2);
    expect(appliedMigrations(filename)).toEqual(before);
  });

  test('a file at schema version 1 is upgraded on open, keeping its records', async () => {
    const filename = directory.file('upgrade');
    withDatabase(filename, (database) => {
      expect(applySqliteMigrations(database, { migrations: sqliteMigrations.slice(0, 1), now: () => 5 })).toBe(1);
      database
        .prepare('INSERT INTO records (collection, key, version, value, index_value, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run('payments', 'old', 3, '{"from":"version 1"}', 'pending', 5);
    });
    expect(schemaObjects(filename)).not.toContain('table outbox');
    expect(appliedMigrations(filename)).toHaveLength(1);

    const journal = new SqliteJournal({ filename });
    await journal.open();
    expect(await journal.schemaVersion()).toBe(2);
    expect(await journal.get('payments', 'old')).toMatchObject({ version: 3, value: '{"from":"version 1"}', index: 'pending' });
    const { outboxSequences } = await journal.write({ outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }] });
    expect(outboxSequences).toEqual([1]);
    await journal.close();
    expect(appliedMigrations(filename).map((migration) => migration.version)).toEqual([1, 2]);
  });

  test('each migration runs in its own transaction: a failing one is rolled back, the earlier ones stay', () => {
    const broken: SqliteMigration[] = [
      sqliteMigrations[0] as SqliteMigration,
      { version: 2, name: 'broken', sql: 'CREATE TABLE half_done (id INTEGER); SELECT no_such_column FROM half_done;' },
    ];
    withDatabase(':memory:', (database) => {
      expect(() => applySqliteMigrations(database, { migrations: broken, now: () => 0 })).toThrow(/no_such_column/);
      expect(readSchemaVersion(database)).toBe(1);
      expect(database.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      expect(applySqliteMigrations(database, { now: () => 0 })).toBe(2);
    });
  });

  test('a list that is not numbered 1, 2, 3, ... is refused before anything runs', () => {
    withDatabase(':memory:', (database) => {
      const gap = [sqliteMigrations[0] as SqliteMigration, { version: 3, name: 'skips two', sql: 'SELECT 1' }];
      expect(() => applySqliteMigrations(database, { migrations: gap, now: () => 0 })).toThrow(
        new TypeError("SQLite journal migration 'skips two' has version 3; expected 2 (versions count 1, 2, 3, ... without gaps)."),
      );
      expect(readSchemaVersion(database)).toBe(0);
    });
  });

  test('a file without schema_migrations is at version 0', () => {
    withDatabase(':memory:', (database) => {
      expect(readSchemaVersion(database)).toBe(0);
    });
  });
});
