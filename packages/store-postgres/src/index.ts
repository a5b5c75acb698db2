export { createPostgresJournal, PostgresJournal } from './postgres-journal.js';
export { postgresConnectionStringVariable, type PostgresJournalOptions } from './postgres-journal-options.js';
export { migratePostgresSchema, postgresMigrations, type MigrationOutcome, type PostgresMigration } from './postgres-migrations.js';
export { journalTables, type JournalTables } from './postgres-tables.js';
