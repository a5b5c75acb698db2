import { type ClockV1, type JournalV1, PaymigrateError } from '@paymigrate/core';
import { journalContract, ManualClock } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { usePostgresTestServer } from './__fixtures__/postgres-test-server.js';
import { createPostgresJournal, PostgresJournal } from './postgres-journal.js';
import { postgresConnectionStringVariable } from './postgres-journal-options.js';

const database = usePostgresTestServer();

/** Builds contract subjects on fresh schemas and reopens them on the same schema. */
function contractSubjects(clock: ClockV1 | undefined): {
  create: () => JournalV1;
  destroy: (journal: JournalV1) => Promise<void>;
  reopen: (journal: JournalV1) => Promise<JournalV1>;
} {
  const schemas = new WeakMap<JournalV1, string>();
  const build = (schema: string): JournalV1 => {
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema, clock, poolSize: 25 });
    schemas.set(journal, schema);
    return journal;
  };
  return {
    create: () => build(database.freshSchema()),
    destroy: async (journal) => {
      await journal.close();
      await database.administration().query(`DROP SCHEMA IF EXISTS "${schemas.get(journal)}" CASCADE`);
    },
    reopen: async (journal) => {
      await journal.close();
      const reopened = build(schemas.get(journal) as string);
      await reopened.open();
      return reopened;
    },
  };
}

describe('PostgresJournal on a manual clock', () => {
  const clock = new ManualClock();
  const subjects = contractSubjects(clock);
  journalContract({ test, create: subjects.create, destroy: subjects.destroy, options: { clock, reopen: subjects.reopen } });
});

describe('PostgresJournal on the system clock', () => {
  const subjects = contractSubjects(undefined);
  journalContract({ test, create: subjects.create, destroy: subjects.destroy, options: { clock: undefined, reopen: subjects.reopen } });
});

describe('PostgresJournal lifecycle', () => {
  test("is named 'postgres' and refuses every call before open and after close with JOURNAL_CLOSED", async () => {
    const journal = new PostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema() });
    expect(journal.name).toBe('postgres');
    await expect(journal.get('payments', 'p1')).rejects.toMatchObject({ code: 'JOURNAL_CLOSED', message: expect.stringContaining('has not been opened') });
    await journal.open();
    await journal.close();
    const calls: (() => Promise<unknown>)[] = [
      () => journal.schemaVersion(),
      () => journal.get('payments', 'p1'),
      () => journal.getMany('payments', ['p1']),
      () => journal.list('payments', { limit: 1 }),
      () => journal.count('payments'),
      () => journal.write({}),
      () => journal.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: 1_000, limit: 1 }),
      () => journal.claimOutbox({ owner: 'worker-a', leaseMs: 1_000, limit: 1 }),
      () => journal.acknowledgeOutbox({ sequences: [1], owner: 'worker-a' }),
      () => journal.releaseOutbox({ sequence: 1, owner: 'worker-a', availableAt: 0 }),
      () => journal.pendingOutboxCount(),
      () => journal.listPendingOutbox({ limit: 1 }),
      () => journal.pruneDeliveredOutbox({ deliveredBefore: 0, limit: 1 }),
    ];
    for (const call of calls) {
      const error = await call().catch((caught: unknown) => caught);
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'JOURNAL_CLOSED', message: expect.stringContaining('has been closed') });
    }
    await journal.close();
  });

  test('a closed journal reopens on a new pool with its data', async () => {
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema() });
    await journal.open();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    await journal.close();
    await journal.open();
    expect(await journal.get('payments', 'p1')).toMatchObject({ version: 1 });
    await journal.close();
  });

  test('concurrent open calls share one attempt', async () => {
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema() });
    await Promise.all([journal.open(), journal.open(), journal.open()]);
    expect(await journal.schemaVersion()).toBe(2);
    await Promise.all([journal.close(), journal.close()]);
  });

  test('an injected pool is used and never ended by close', async () => {
    const pool = database.createPool(3);
    const schema = database.freshSchema();
    const journal = createPostgresJournal({ pool, schema });
    await journal.open();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{"a":1}', expectedVersion: 0 }] });
    await journal.close();
    expect(pool.ended).toBe(false);
    const rows = await pool.query(`SELECT value FROM "${schema}".records WHERE key = 'p1'`);
    expect(rows.rows).toEqual([{ value: '{"a":1}' }]);
    await pool.end();
  });

  test(`reads the connection string from ${postgresConnectionStringVariable} when none is given`, async () => {
    const previous = process.env[postgresConnectionStringVariable];
    process.env[postgresConnectionStringVariable] = database.connectionString();
    try {
      const journal = createPostgresJournal({ schema: database.freshSchema() });
      await journal.open();
      expect(await journal.count('payments')).toBe(0);
      await journal.close();
    } finally {
      if (previous === undefined) delete process.env[postgresConnectionStringVariable];
      else process.env[postgresConnectionStringVariable] = previous;
    }
  });

  test('texts PostgreSQL cannot store exactly are a TypeError before any query', async () => {
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema() });
    await journal.open();
    const nul = 'a\u0000b';
    const lone = 'x\ud800y';
    const rejected: (() => Promise<unknown>)[] = [
      () => journal.get(nul, 'k'),
      () => journal.get('payments', lone),
      () => journal.getMany(lone, []),
      () => journal.getMany('payments', ['ok', nul]),
      () => journal.list(nul, { limit: 1 }),
      () => journal.list('payments', { limit: 1, index: lone }),
      () => journal.list('payments', { limit: 1, afterKey: '\udc00' }),
      () => journal.count(nul),
      () => journal.count('payments', { index: nul }),
      () => journal.write({ puts: [{ collection: 'payments', key: nul, value: '{}', expectedVersion: 0 }] }),
      () => journal.write({ puts: [{ collection: 'payments', key: 'k', value: lone, expectedVersion: 0 }] }),
      () => journal.write({ puts: [{ collection: 'payments', key: 'k', value: '{}', index: nul, expectedVersion: 0 }] }),
      () => journal.write({ deletes: [{ collection: lone, key: 'k', expectedVersion: 'any' }] }),
      () => journal.write({ outbox: [{ topic: nul, orderingKey: 'o', deduplicationId: 'd', payload: '{}' }] }),
      () => journal.write({ outbox: [{ topic: 't', orderingKey: lone, deduplicationId: 'd', payload: '{}' }] }),
      () => journal.write({ outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: nul, payload: '{}' }] }),
      () => journal.write({ outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: lone }] }),
      () => journal.claim({ collection: 'payments', index: 'pending', owner: nul, leaseMs: 1_000, limit: 1 }),
      () => journal.claimOutbox({ owner: lone, leaseMs: 1_000, limit: 1 }),
      () => journal.claimOutbox({ owner: 'worker-a', leaseMs: 1_000, limit: 1, topics: ['ok', nul] }),
      () => journal.acknowledgeOutbox({ sequences: [1], owner: nul }),
      () => journal.releaseOutbox({ sequence: 1, owner: lone, availableAt: 0 }),
      () => journal.releaseOutbox({ sequence: 1, owner: 'worker-a', availableAt: 0, error: nul }),
      () => journal.pendingOutboxCount({ topics: [lone] }),
    ];
    for (const [position, call] of rejected.entries()) {
      const error = await call().catch((caught: unknown) => caught);
      expect(error, `call ${position}`).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toContain('PostgreSQL text cannot store exactly');
    }
    expect(await journal.get('payments', '😀 paired surrogates are fine')).toBeUndefined();
    await journal.close();
  });

  test('rejects bad expected versions and duplicate records in a batch with a TypeError', async () => {
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema() });
    await journal.open();
    await expect(journal.write({ puts: [{ collection: 'payments', key: 'k', value: '{}', expectedVersion: -1 }] })).rejects.toThrow(TypeError);
    await expect(journal.write({ deletes: [{ collection: 'payments', key: 'k', expectedVersion: 1.5 }] })).rejects.toThrow("'expectedVersion' must be 'any'");
    await expect(
      journal.write({
        puts: [{ collection: 'payments', key: 'k', value: '{}', expectedVersion: 0 }],
        deletes: [{ collection: 'payments', key: 'k', expectedVersion: 'any' }],
      }),
    ).rejects.toThrow('more than once');
    await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: 0, limit: 1 })).rejects.toThrow("'leaseMs'");
    await expect(journal.claimOutbox({ owner: 'worker-a', leaseMs: 1_000, limit: 0 })).rejects.toThrow("'limit'");
    await expect(journal.releaseOutbox({ sequence: 1, owner: 'worker-a', availableAt: Number.POSITIVE_INFINITY })).rejects.toThrow("'availableAt'");
    await journal.close();
  });

  test('ignores sequences that cannot exist; rounds availableAt up to whole milliseconds', async () => {
    const clock = new ManualClock();
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema(), clock });
    await journal.open();
    const {
      outboxSequences: [sequence],
    } = await journal.write({ outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: '{}' }] });
    await journal.claimOutbox({ owner: 'worker-a', leaseMs: 1_000, limit: 1 });
    expect((await journal.acknowledgeOutbox({ sequences: [0, -1, 1.5, Number.NaN], owner: 'worker-a' })).acknowledged).toEqual([]);
    await journal.releaseOutbox({ sequence: 2.5, owner: 'worker-a', availableAt: 0 });
    await journal.releaseOutbox({ sequence: sequence!, owner: 'worker-a', availableAt: clock.now() + 10.2 });
    await clock.advance(10);
    expect(await journal.claimOutbox({ owner: 'worker-b', leaseMs: 1_000, limit: 1 })).toEqual([]);
    await clock.advance(1);
    expect(await journal.claimOutbox({ owner: 'worker-b', leaseMs: 1_000, limit: 1 })).toMatchObject([{ sequence, availableAt: clock.now() }]);
    await journal.close();
  });
});

describe('PostgresJournal argument checks', () => {
  test('a closed journal reports JOURNAL_CLOSED before judging arguments, like the reference journal', async () => {
    const journal = createPostgresJournal({ connectionString: database.connectionString(), schema: database.freshSchema() });
    await expect(journal.list('payments', { limit: 0 })).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
    await expect(journal.releaseOutbox({ sequence: 1, owner: 'a', availableAt: Number.NaN })).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
  });
});
