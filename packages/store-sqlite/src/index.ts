export { createSqliteJournal, SqliteJournal } from './sqlite-journal.js';
export {
  parseSqliteJournalOptions,
  type ResolvedSqliteJournalOptions,
  type SqliteJournalOptions,
  sqliteJournalOptionsSchema,
  type SqliteSynchronousMode,
} from './sqlite-journal-options.js';
export { applySqliteMigrations, readSchemaVersion, type SqliteMigration, sqliteMigrations } from './sqlite-migrations.js';
