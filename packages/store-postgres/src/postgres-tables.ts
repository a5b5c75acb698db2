import pg from 'pg';

/** Quoted, schema-qualified names of the journal's tables, ready to splice into SQL. */
export interface JournalTables {
  /** The schema name as configured (unquoted), for lock keys and messages. */
  readonly schemaName: string;
  /** The quoted schema. */
  readonly schema: string;
  /** Versioned records with their secondary index and lease. */
  readonly records: string;
  /** The transactional outbox. */
  readonly outbox: string;
  /** Applied schema migrations. */
  readonly migrations: string;
}

/**
 * The table names of a journal schema. The schema name was validated as a plain identifier by the
 * options; quoting it again keeps every statement safe on its own.
 */
export function journalTables(schemaName: string): JournalTables {
  const schema = pg.escapeIdentifier(schemaName);
  return {
    schemaName,
    schema,
    records: `${schema}.records`,
    outbox: `${schema}.outbox`,
    migrations: `${schema}.schema_migrations`,
  };
}
