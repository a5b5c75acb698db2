import { type JournalPut, type JournalWriteResult, type PaymigrateError, VersionConflictError } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { defaultMaximumGroupCommitBatches } from './sqlite-journal-options.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-group-commit-');
afterAll(() => directory.remove());

async function openJournal(filename = directory.file(), options: { busyTimeoutMs?: number; maximumGroupCommitBatches?: number } = {}): Promise<SqliteJournal> {
  const journal = new SqliteJournal({ filename, clock: new ManualClock(0), ...options });
  await journal.open();
  return journal;
}

function put(key: string, expectedVersion: JournalPut['expectedVersion'], value = `{"key":"${key}"}`): JournalPut {
  return { collection: 'payments', key, value, index: 'pending', expectedVersion };
}

function message(id: string) {
  return { topic: 'platform.payment', orderingKey: id, deduplicationId: id, payload: `{"id":"${id}"}` };
}

/** Settles every promise, keeping each outcome. */
async function settle<Value>(promises: readonly Promise<Value>[]): Promise<PromiseSettledResult<Value>[]> {
  return Promise.allSettled(promises);
}

/** Rows of a table read through a separate connection: what another process would see. */
function committedKeys(filename: string): { records: string[]; messages: string[] } {
  const other = new Database(filename, { readonly: true });
  try {
    const records = (other.prepare('SELECT key FROM records ORDER BY key').all() as { key: string }[]).map((row) => row.key);
    const messages = (other.prepare('SELECT deduplication_id FROM outbox ORDER BY sequence').all() as { deduplication_id: string }[]).map(
      (row) => row.deduplication_id,
    );
    return { records, messages };
  } finally {
    other.close();
  }
}

describe('group commit: concurrent writes share one transaction and one fsync', () => {
  test('each batch of a group is atomic: a conflicting batch writes nothing and is rejected, its neighbours commit', async () => {
    const filename = directory.file('neighbours');
    const journal = await openJournal(filename);
    await journal.write({ puts: [put('x', 0)] });
    const before = journal.groupCommitStatistics();

    // Issued in the same turn of the event loop: one group. B names `x` at a version it does not have.
    const a = journal.write({ puts: [put('a1', 0), put('a2', 0)], outbox: [message('a')] });
    const b = journal.write({ puts: [put('b1', 0), put('x', 7)], outbox: [message('b')] });
    const c = journal.write({ puts: [put('c1', 0), put('c2', 0)], deletes: [{ collection: 'payments', key: 'x', expectedVersion: 1 }], outbox: [message('c')] });
    const [first, second, third] = (await settle<JournalWriteResult>([a, b, c])) as [
      PromiseSettledResult<JournalWriteResult>,
      PromiseSettledResult<JournalWriteResult>,
      PromiseSettledResult<JournalWriteResult>,
    ];

    expect(journal.groupCommitStatistics()).toEqual({
      commits: before.commits + 1,
      batches: before.batches + 3,
      conflicts: before.conflicts + 1,
      largestGroup: 3,
      // One WAL sync, off the event loop, for the whole group.
      walSyncs: before.walSyncs + 1,
      // Small batches are no bulk write.
      bulkGroups: 0,
    });
    expect(first).toMatchObject({ status: 'fulfilled', value: { records: [{ key: 'a1', version: 1 }, { key: 'a2', version: 1 }], outboxSequences: [1] } });
    expect(second.status).toBe('rejected');
    const conflict = (second as PromiseRejectedResult).reason as VersionConflictError;
    expect(VersionConflictError.isInstance(conflict)).toBe(true);
    expect(conflict).toMatchObject({ collection: 'payments', key: 'x', expectedVersion: 7, actualVersion: 1 });
    // C comes after B in the group and still sees `x` at version 1: B left nothing behind.
    expect(third).toMatchObject({ status: 'fulfilled', value: { records: [{ key: 'c1' }, { key: 'c2' }], outboxSequences: [2] } });

    expect(committedKeys(filename)).toEqual({ records: ['a1', 'a2', 'c1', 'c2'], messages: ['a', 'c'] });
    expect(await journal.get('payments', 'b1')).toBeUndefined();
    await journal.close();
  });

  test('batches apply in call order: a later batch of the group sees the earlier ones, exactly as if written one after the other', async () => {
    const journal = await openJournal();
    const created = journal.write({ puts: [put('p', 0, '{"step":1}')] });
    const updated = journal.write({ puts: [put('p', 1, '{"step":2}')] });
    const createdAgain = journal.write({ puts: [put('p', 0, '{"step":"duplicate"}')] });
    const updatedTwice = journal.write({ puts: [put('p', 2, '{"step":3}')] });
    const [first, second, third, fourth] = await settle<JournalWriteResult>([created, updated, createdAgain, updatedTwice]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { records: [{ version: 1 }] } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { records: [{ version: 2 }] } });
    expect(third).toMatchObject({ status: 'rejected', reason: { key: 'p', expectedVersion: 0, actualVersion: 2 } });
    expect(fourth).toMatchObject({ status: 'fulfilled', value: { records: [{ version: 3, value: '{"step":3}' }] } });
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 1, batches: 4, conflicts: 1 });
    expect(await journal.get('payments', 'p')).toMatchObject({ version: 3, value: '{"step":3}' });
    await journal.close();
  });

  test('a caller hears of its write only after the shared commit: before, another connection sees nothing; after, everything', async () => {
    const filename = directory.file('visibility');
    const journal = await openJournal(filename);
    const writes = Array.from({ length: 20 }, (_, position) => journal.write({ puts: [put(`k${String(position).padStart(2, '0')}`, 0)], outbox: [message(`m${position}`)] }));
    // Nothing is committed in the calling tick: the group commits once this turn of the event loop is over.
    expect(committedKeys(filename).records).toEqual([]);
    let settledEarly = false;
    void Promise.all(writes).then(() => {
      settledEarly = committedKeys(filename).records.length !== 20;
    });
    await Promise.all(writes);
    expect(settledEarly).toBe(false);
    expect(committedKeys(filename).records).toHaveLength(20);
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 1, batches: 20, largestGroup: 20 });
    await journal.close();
  });

  test('a group that cannot get the lock commits nothing and rejects every batch with the retryable JOURNAL_BUSY', async () => {
    const filename = directory.file('busy-group');
    const journal = await openJournal(filename, { busyTimeoutMs: 20 });
    const other = new Database(filename);
    other.exec('BEGIN IMMEDIATE');
    let outcomes: PromiseSettledResult<JournalWriteResult>[];
    try {
      outcomes = await settle([journal.write({ puts: [put('a', 0)] }), journal.write({ puts: [put('b', 0)] }), journal.write({ outbox: [message('c')] })]);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as PaymigrateError;
      expect(error).toMatchObject({ code: 'JOURNAL_BUSY', isRetryable: true });
    }
    expect(await journal.count('payments')).toBe(0);
    expect(await journal.pendingOutboxCount()).toBe(0);
    // The next group goes through.
    expect(await journal.write({ puts: [put('a', 0)] })).toMatchObject({ records: [{ version: 1 }] });
    await journal.close();
  });

  test(`more than ${defaultMaximumGroupCommitBatches} waiting writes (the default group size) are split into several commits, all in call order`, async () => {
    const journal = await openJournal();
    const total = defaultMaximumGroupCommitBatches * 3 + 10;
    const results = await Promise.all(
      Array.from({ length: total }, (_, position) => journal.write({ puts: [put('counter', position, String(position + 1))] })),
    );
    expect(results.map((result) => result.records[0]?.version)).toEqual(Array.from({ length: total }, (_, position) => position + 1));
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 4, batches: total, conflicts: 0, largestGroup: defaultMaximumGroupCommitBatches });
    await journal.close();
  });

  test('each group beyond the first commits in a later turn of the event loop, so callbacks queued meanwhile run between groups', async () => {
    const filename = directory.file('later-turns');
    const journal = await openJournal(filename, { maximumGroupCommitBatches: 4 });
    const writes = Array.from({ length: 10 }, (_, position) => journal.write({ puts: [put(`k${position}`, 0)] }));
    // What another connection sees at each turn of the event loop, from the turn of the first group on.
    const committedPerTurn: number[] = [];
    await new Promise<void>((done) => {
      const observe = (): void => {
        committedPerTurn.push(committedKeys(filename).records.length);
        if (committedPerTurn.length < 4) setImmediate(observe);
        else done();
      };
      setImmediate(observe);
    });
    expect(committedPerTurn).toEqual([4, 8, 10, 10]);
    const results = await Promise.all(writes);
    expect(results.map((result) => result.records[0]?.key)).toEqual(Array.from({ length: 10 }, (_, position) => `k${position}`));
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 3, batches: 10, largestGroup: 4 });
    await journal.close();
  });

  test('writes queued while later groups wait join the end of the queue: call order is kept across groups', async () => {
    const journal = await openJournal(directory.file('queue-order'), { maximumGroupCommitBatches: 2 });
    const first = Array.from({ length: 5 }, (_, position) => journal.write({ puts: [put('counter', position, String(position + 1))] }));
    // Issued after the first group committed, while three batches of the first burst still wait.
    await new Promise((resolve) => setImmediate(resolve));
    const later = journal.write({ puts: [put('counter', 5, 'late')] });
    const results = await Promise.all([...first, later]);
    expect(results.map((result) => result.records[0]?.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await journal.get('payments', 'counter')).toMatchObject({ version: 6, value: 'late' });
    await journal.close();
  });

  test('close() commits the writes still waiting for their group before it lets go of the file', async () => {
    const filename = directory.file('close-with-queue');
    const journal = await openJournal(filename);
    const pending = journal.write({ puts: [put('last', 0)] });
    await journal.close();
    await expect(pending).resolves.toMatchObject({ records: [{ key: 'last', version: 1 }] });
    const reopened = await openJournal(filename);
    expect(await reopened.get('payments', 'last')).toMatchObject({ version: 1 });
    await reopened.close();
  });

  test('close() commits every waiting group at once, and the turn scheduled for them finds nothing left to do', async () => {
    const filename = directory.file('close-with-groups');
    const journal = await openJournal(filename, { maximumGroupCommitBatches: 2 });
    const pending = Array.from({ length: 5 }, (_, position) => journal.write({ puts: [put(`k${position}`, 0)] }));
    await journal.close();
    expect((await Promise.all(pending)).map((result) => result.records[0]?.version)).toEqual([1, 1, 1, 1, 1]);
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 3, batches: 5, largestGroup: 2 });
    // The group commit scheduled by the first write runs after close() and commits nothing.
    await new Promise((resolve) => setImmediate(resolve));
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 3 });
    expect(committedKeys(filename).records).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  });

  test('a malformed batch is refused at once and never joins (or spoils) a group', async () => {
    const journal = await openJournal();
    const good = journal.write({ puts: [put('good', 0)] });
    const malformed = journal.write({ puts: [put('twice', 0), put('twice', 0)] });
    await expect(malformed).rejects.toBeInstanceOf(TypeError);
    await expect(good).resolves.toMatchObject({ records: [{ key: 'good' }] });
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 1, batches: 1 });
    await journal.close();
  });
});
