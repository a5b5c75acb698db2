import { ConfigurationError, systemClock } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { parsePostgresJournalOptions, postgresConnectionStringVariable } from './postgres-journal-options.js';

const password = 'Sup3r-Secret-Passw0rd';
const connectionString = `postgresql://app:${password}@db.internal:5432/shop`;

/** The ConfigurationError a bad input raises. */
function configurationErrorOf(input: unknown): ConfigurationError {
  try {
    parsePostgresJournalOptions(input as never);
  } catch (error) {
    expect(ConfigurationError.isInstance(error), String(error)).toBe(true);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parsePostgresJournalOptions', () => {
  const previous = process.env[postgresConnectionStringVariable];
  afterEach(() => {
    if (previous === undefined) delete process.env[postgresConnectionStringVariable];
    else process.env[postgresConnectionStringVariable] = previous;
  });

  test('applies the defaults to a connection string', () => {
    const resolved = parsePostgresJournalOptions({ connectionString });
    expect(resolved).toEqual({
      pool: undefined,
      poolConfig: { connectionString, max: 10, connectionTimeoutMillis: 10_000, application_name: 'paymigrate-journal' },
      schema: 'paymigrate',
      clock: systemClock,
    });
  });

  test('keeps an injected pool, schema, clock and pool settings', () => {
    const pool = new pg.Pool();
    const clock = new ManualClock();
    expect(parsePostgresJournalOptions({ pool, schema: 'shop_journal_2', clock })).toEqual({ pool, poolConfig: undefined, schema: 'shop_journal_2', clock });
    expect(parsePostgresJournalOptions({ connectionString, poolSize: 50, connectionTimeoutMs: 500 }).poolConfig).toMatchObject({ max: 50, connectionTimeoutMillis: 500 });
  });

  test(`falls back to ${postgresConnectionStringVariable}`, () => {
    process.env[postgresConnectionStringVariable] = connectionString;
    expect(parsePostgresJournalOptions({}).poolConfig?.connectionString).toBe(connectionString);
  });

  test('without connection string, pool or environment variable, names both the option and the variable', () => {
    delete process.env[postgresConnectionStringVariable];
    const error = configurationErrorOf({});
    expect(error.option).toBe('postgres.connectionString');
    expect(error.message).toContain(postgresConnectionStringVariable);
  });

  test.each([
    ['schema', { connectionString, schema: 'Paymigrate' }, 'postgres.schema'],
    ['schema', { connectionString, schema: 'drop table; --' }, 'postgres.schema'],
    ['schema', { connectionString, schema: 'x'.repeat(64) }, 'postgres.schema'],
    ['poolSize', { connectionString, poolSize: 0 }, 'postgres.poolSize'],
    ['connectionTimeoutMs', { connectionString, connectionTimeoutMs: 1.5 }, 'postgres.connectionTimeoutMs'],
    ['pool', { pool: { query: () => undefined } }, 'postgres.pool'],
    ['pool', { pool: 'postgres://pool' }, 'postgres.pool'],
    ['clock', { connectionString, clock: { now: () => 0 } }, 'postgres.clock'],
    ['clock', { connectionString, clock: null }, 'postgres.clock'],
    ['connectionString', { connectionString: '' }, 'postgres.connectionString'],
    ['unknown option', { connectionString, poolsize: 3 }, 'postgres'],
  ])('rejects a bad %s', (_, input, option) => {
    const error = configurationErrorOf(input);
    expect(error.option).toBe(option);
    expect(error.message).not.toContain(password);
  });

  test('rejects a connection string together with a pool', () => {
    const error = configurationErrorOf({ connectionString, pool: new pg.Pool() });
    expect(error.option).toBe('postgres.connectionString');
    expect(error.message).toContain("either 'connectionString'");
    expect(error.message).not.toContain(password);
  });

  test('rejects a connection string pg cannot parse without echoing it', () => {
    const error = configurationErrorOf({ connectionString: `postgresql://app:${password}@db.internal:99999999/shop` });
    expect(error.option).toBe('postgres.connectionString');
    expect(error.message).toContain('is not a valid PostgreSQL connection string');
    expect(String(error) + JSON.stringify(error)).not.toContain(password);
    expect(error.cause).toBeUndefined();
  });
});
