import type { JournalV1 } from '@paymigrate/core';
import { createPostgresJournal } from '@paymigrate/store-postgres';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import type { JournalConfig } from '../config/config-schema.js';
import { type Environment, readSecret } from './environment.js';

/**
 * Creates (does not open) the journal the configuration names: the embedded SQLite file or
 * PostgreSQL, whose connection string is read from the environment variable the configuration names.
 *
 * @throws ConfigFileError when the PostgreSQL connection string variable is not set.
 */
export function createConfiguredJournal(config: JournalConfig, environment: Environment, source: string): JournalV1 {
  if (config.type === 'sqlite') return createSqliteJournal({ filename: config.file, synchronous: config.synchronous });
  const connectionString = readSecret(
    environment,
    config.connectionStringEnvironmentVariable,
    'journal.connectionStringEnvironmentVariable',
    source,
    'the PostgreSQL connection string (postgresql://user:password@host:5432/database)',
  );
  return createPostgresJournal({ connectionString });
}
