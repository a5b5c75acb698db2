import { inspect } from 'node:util';
import { PaymigrateError } from '@paymigrate/core';
import { findFreePort } from '@paymigrate/testkit';
import { createServer } from 'node:net';
import { setTimeout as sleepFor } from 'node:timers/promises';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { usePostgresTestServer } from './__fixtures__/postgres-test-server.js';
import { describePostgresServer, errorCodeOf, isTransientConflict, type PostgresServerDescription, toJournalError } from './postgres-errors.js';
import { createPostgresJournal } from './postgres-journal.js';

const database = usePostgresTestServer();
const password = 'Sup3r-Secret-Passw0rd';

/** Everything an operator could see of an error: message, string form, JSON and a deep inspection. */
function everythingShown(error: unknown): string {
  return [String(error), JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join('\n');
}

/** A pg database error with a SQLSTATE, as the server would send it. */
function databaseError(code: string, message = `server says ${code}`): pg.DatabaseError {
  const error = new pg.DatabaseError(message, 0, 'error');
  error.code = code;
  return error;
}

const server: PostgresServerDescription = { address: '10.0.0.5:5432', user: 'app', database: 'shop', password };

describe('PostgreSQL journal errors against real servers', () => {
  test('a server that is not running: JOURNAL_UNAVAILABLE naming host:port, never the password', async () => {
    const port = await findFreePort();
    const journal = createPostgresJournal({ connectionString: `postgresql://paymigrate:${password}@127.0.0.1:${port}/shop` });
    const error = await journal.open().catch((caught: unknown) => caught);
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'JOURNAL_UNAVAILABLE', isRetryable: true });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(everythingShown(error)).not.toContain(password);
    await journal.close();
  });

  test('a server that accepts but never answers: JOURNAL_UNAVAILABLE after connectionTimeoutMs', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as { port: number };
    const journal = createPostgresJournal({ connectionString: `postgresql://paymigrate:${password}@127.0.0.1:${port}/shop`, connectionTimeoutMs: 200 });
    const error = await journal.open().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'JOURNAL_UNAVAILABLE', isRetryable: true, message: expect.stringContaining(`127.0.0.1:${port}`) });
    expect(everythingShown(error)).not.toContain(password);
    await journal.close();
    silent.close();
  });

  test('the connection dying under a running query: JOURNAL_UNAVAILABLE, and the journal recovers', async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    const blocker = await database.administration().connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}".records IN ACCESS EXCLUSIVE MODE`);
      let settled = false;
      const counting = journal
        .count('payments')
        .catch((caught: unknown) => caught)
        .finally(() => {
          settled = true;
        });
      let victims: number[] = [];
      for (const deadline = Date.now() + 20_000; victims.length === 0 && !settled && Date.now() < deadline; await sleepFor(10)) {
        const waiting = await blocker.query<{ pid: number }>(
          // Each test file has its own server, so the only backend waiting on a lock is the count.
          "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        );
        victims = waiting.rows.map((row) => row.pid);
      }
      // The count must still be waiting on the lock (not finished or failed some other way).
      expect({ settled, outcome: settled ? await counting : undefined }).toEqual({ settled: false, outcome: undefined });
      expect(victims).toHaveLength(1);
      await blocker.query('SELECT pg_terminate_backend($1)', [victims[0]]);
      const error = await counting;
      expect(error).toMatchObject({ code: 'JOURNAL_UNAVAILABLE', isRetryable: true, message: expect.stringContaining(`during count: cannot use the server at 127.0.0.1:${database.server().port}`) });
      await blocker.query('COMMIT');
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    expect(await journal.count('payments')).toBe(0);
    await journal.close();
  }, 60_000);

  test('an unknown role or database: JOURNAL_ACCESS_DENIED, not retryable, without the password', async () => {
    const port = database.server().port;
    for (const [connectionString, fragment] of [
      [`postgresql://nobody:${password}@127.0.0.1:${port}/postgres`, "user 'nobody'"],
      [`postgresql://postgres:${password}@127.0.0.1:${port}/missing_database`, "database 'missing_database'"],
    ] as const) {
      const journal = createPostgresJournal({ connectionString });
      const error = await journal.open().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'JOURNAL_ACCESS_DENIED', isRetryable: false });
      expect((error as Error).message).toContain(fragment);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect(everythingShown(error)).not.toContain(password);
      await journal.close();
    }
  });

  test('a schema dropped under a running journal: JOURNAL_QUERY_FAILED with the SQLSTATE', async () => {
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema });
    await journal.open();
    await database.administration().query(`DROP SCHEMA "${schema}" CASCADE`);
    const error = await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'JOURNAL_QUERY_FAILED', isRetryable: false, message: expect.stringContaining('(SQLSTATE 42P01)') });
    expect(await journal.schemaVersion()).toBe(0);
    await journal.close();
  });
});

describe('toJournalError', () => {
  const map = (error: unknown): unknown => toJournalError(error, { operation: 'write', server });

  test('passes paymigrate errors and programming errors through unchanged', () => {
    const journalError = new PaymigrateError('JOURNAL_CLOSED', 'closed');
    const typeError = new TypeError('bad limit');
    expect(map(journalError)).toBe(journalError);
    expect(map(typeError)).toBe(typeError);
    expect(map('a string')).toBe('a string');
  });

  test.each([
    ['socket error code', Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['happy-eyeballs AggregateError', new AggregateError([Object.assign(new Error('x'), { code: 'ENETUNREACH' })], ''), 'ENETUNREACH'],
    ['connection exception (class 08)', databaseError('08006'), '08006'],
    ['administrator shutdown', databaseError('57P01'), '57P01'],
    ['too many connections (class 53)', databaseError('53300'), '53300'],
    ['I/O error (class 58)', databaseError('58030'), '58030'],
    ['broken connection without a code', new Error('Connection terminated unexpectedly'), 'Connection terminated unexpectedly'],
    ['connect timeout', new Error('timeout exceeded when trying to connect'), 'timeout exceeded when trying to connect'],
  ])('%s: JOURNAL_UNAVAILABLE, retryable', (_, error, reason) => {
    const mapped = map(error);
    expect(mapped).toMatchObject({ code: 'JOURNAL_UNAVAILABLE', isRetryable: true });
    expect((mapped as Error).message).toContain(`during write: cannot use the server at 10.0.0.5:5432 (${reason})`);
    expect((mapped as Error).cause).toBe(error);
  });

  test('a refused password: JOURNAL_ACCESS_DENIED with the password redacted even if the server echoed it', () => {
    const mapped = map(databaseError('28P01', `password authentication failed for user "app" (tried ${password})`));
    expect(mapped).toMatchObject({ code: 'JOURNAL_ACCESS_DENIED', isRetryable: false });
    expect((mapped as Error).message).toContain("user 'app', database 'shop'");
    expect((mapped as Error).message).toContain('(tried ***)');
    expect((mapped as Error).message).not.toContain(password);
  });

  test('names unknown user and database as unknown', () => {
    const mapped = toJournalError(databaseError('3D000'), { operation: 'open', server: { address: 'h:1', user: undefined, database: undefined, password: undefined } });
    expect((mapped as Error).message).toContain("user 'unknown', database 'unknown'");
  });

  test('other server errors: JOURNAL_QUERY_FAILED, not retryable, with the SQLSTATE', () => {
    expect(map(databaseError('23514', 'check constraint violated'))).toMatchObject({
      code: 'JOURNAL_QUERY_FAILED',
      isRetryable: false,
      message: 'PostgreSQL journal write failed on 10.0.0.5:5432: check constraint violated (SQLSTATE 23514).',
    });
  });

  test('a server error whose message matches a broken connection is still a query failure', () => {
    expect(map(databaseError('XX000', 'Connection terminated by a trigger'))).toMatchObject({ code: 'JOURNAL_QUERY_FAILED' });
  });
});

describe('error helpers', () => {
  test('errorCodeOf reads codes, looks into AggregateError and tolerates anything', () => {
    expect(errorCodeOf(databaseError('40P01'))).toBe('40P01');
    expect(errorCodeOf(new AggregateError([{ code: 'ECONNREFUSED' }]))).toBe('ECONNREFUSED');
    expect(errorCodeOf(new AggregateError([]))).toBeUndefined();
    expect(errorCodeOf({ code: 42 })).toBeUndefined();
    expect(errorCodeOf(undefined)).toBeUndefined();
    expect(errorCodeOf('ECONNREFUSED')).toBeUndefined();
  });

  test('isTransientConflict is true for deadlocks and serialization failures only', () => {
    expect(isTransientConflict(databaseError('40P01'))).toBe(true);
    expect(isTransientConflict(databaseError('40001'))).toBe(true);
    expect(isTransientConflict(databaseError('23505'))).toBe(false);
    expect(isTransientConflict(new Error('no code'))).toBe(false);
  });

  test('describePostgresServer reads host, port, user and database and keeps the password only for redaction', () => {
    expect(describePostgresServer({ connectionString: `postgresql://app:${password}@db.internal:6543/shop` })).toEqual({
      address: 'db.internal:6543',
      user: 'app',
      database: 'shop',
      password,
    });
    expect(describePostgresServer({ host: '::1', port: 5433, user: 'app', password: '' })).toMatchObject({ address: '[::1]:5433', password: undefined });
  });
});
