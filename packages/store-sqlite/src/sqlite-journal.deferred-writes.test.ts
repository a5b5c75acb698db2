import { unlinkSync } from 'node:fs';
import type { JournalPut, OutboxMessageInput } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-deferred-');
afterAll(() => directory.remove());

async function openJournal(filename: string = directory.file(), synchronous: 'FULL' | 'NORMAL' = 'FULL'): Promise<SqliteJournal> {
  const journal = new SqliteJournal({ filename, synchronous, clock: new ManualClock(0) });
  await journal.open();
  return journal;
}

function put(key: string, expectedVersion: JournalPut['expectedVersion'] = 0): JournalPut {
  return { collection: 'payments', key, value: `{"key":"${key}"}`, index: 'pending', expectedVersion };
}

function message(name: string): OutboxMessageInput {
  return { topic: 't', orderingKey: `o-${name}`, deduplicationId: name, payload: '{}' };
}

/** Lets the event loop run (the thread pool's sync completes) until `done()` or a second passes. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 1_000;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** The value of a record as another connection (another process) sees it in the file. */
function valueSeenByAnotherConnection(filename: string, key: string): string | undefined {
  const other = new Database(filename, { readonly: true });
  try {
    return other.prepare('SELECT value FROM records WHERE collection = ? AND key = ?').pluck().get('payments', key) as string | undefined;
  } finally {
    other.close();
  }
}

describe("durability 'deferred' on synchronous 'FULL'", () => {
  test('a deferred write resolves right after its commit, before the WAL sync; a durable write of the same group still waits for that sync', async () => {
    const filename = directory.file('mixed-group');
    const journal = await openJournal(filename);
    const start = journal.groupCommitStatistics().walSyncs;
    const order: string[] = [];
    const syncsNow = (): number => journal.groupCommitStatistics().walSyncs - start;
    const deferred = journal.write({ puts: [put('d1')], durability: 'deferred' }).then((result) => {
      order.push(`deferred settled after ${syncsNow()} sync`);
      // Committed when it resolves: another connection already reads it from the file.
      expect(valueSeenByAnotherConnection(filename, 'd1')).toBe('{"key":"d1"}');
      return result;
    });
    const durable = journal.write({ puts: [put('p1')] }).then(() => order.push(`durable settled after ${syncsNow()} sync`));
    const [result] = await Promise.all([deferred, durable]);
    expect(result.records[0]).toMatchObject({ key: 'd1', version: 1 });
    expect(order).toEqual(['deferred settled after 0 sync', 'durable settled after 1 sync']);
    // One group, one commit, one sync for both.
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 1, batches: 2 });
    await journal.close();
  });

  test('a group of deferred writes only is still synced, on its own, without anybody waiting for it', async () => {
    const journal = await openJournal();
    const start = journal.groupCommitStatistics().walSyncs;
    await Promise.all([journal.write({ puts: [put('d1')], durability: 'deferred' }), journal.write({ puts: [put('d2')], durability: 'deferred' })]);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start);
    await until(() => journal.groupCommitStatistics().walSyncs > start);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    await journal.close();
  });

  test('reads show a deferred write at once without waiting for its sync; a read after a durable write still waits', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [put('settled')] });
    const start = journal.groupCommitStatistics().walSyncs;
    await journal.write({ puts: [put('d1')], durability: 'deferred' });
    // No turn of the event loop since the commit: the sync cannot have completed yet.
    expect(await journal.get('payments', 'd1')).toMatchObject({ version: 1 });
    expect(await journal.getMany('payments', ['settled', 'd1'])).toHaveLength(2);
    expect(await journal.count('payments')).toBe(2);
    expect(await journal.list('payments', { limit: 10 })).toHaveLength(2);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start);
    // A durable write committed meanwhile (by this connection) makes reads wait again.
    const written = journal.write({ puts: [put('p2')] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await journal.get('payments', 'p2')).toMatchObject({ version: 1 });
    expect(journal.groupCommitStatistics().walSyncs).toBeGreaterThan(start);
    await written;
    await journal.close();
  });

  test('the next durable write settles only once the deferred commits before it are on disk (commit-order prefix)', async () => {
    const journal = await openJournal();
    const start = journal.groupCommitStatistics().walSyncs;
    await journal.write({ puts: [put('d1')], durability: 'deferred' });
    await journal.write({ puts: [put('d1', 1)], durability: 'deferred' });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start);
    // Compare-and-set on the deferred record's version: it is committed.
    const [record] = (await journal.write({ puts: [put('d1', 2)] })).records;
    expect(record).toMatchObject({ version: 3 });
    // Settled after a sync that started after its own commit, which came after both deferred ones.
    expect(journal.groupCommitStatistics().walSyncs).toBeGreaterThan(start);
    await journal.close();
  });

  test('an outbox claim still waits for the sync of the deferred commit that enqueued its message', async () => {
    const journal = await openJournal();
    const start = journal.groupCommitStatistics().walSyncs;
    await journal.write({ puts: [put('d1')], outbox: [message('m1')], durability: 'deferred' });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start);
    const claimed = await journal.claimOutbox({ owner: 'relay', leaseMs: 1_000, limit: 10 });
    expect(claimed.map((claimedMessage) => claimedMessage.deduplicationId)).toEqual(['m1']);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    await journal.close();
  });

  test('close() syncs deferred writes that no sync covered yet, and they survive a reopen', async () => {
    const filename = directory.file('close-flushes');
    const journal = await openJournal(filename);
    const start = journal.groupCommitStatistics().walSyncs;
    // Still queued (not committed) when close() runs: close commits and syncs it.
    const queued = journal.write({ puts: [put('queued')], outbox: [message('m1')], durability: 'deferred' });
    await journal.close();
    expect((await queued).records[0]).toMatchObject({ key: 'queued', version: 1 });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    const reopened = await openJournal(filename);
    expect(await reopened.get('payments', 'queued')).toMatchObject({ version: 1 });
    expect(await reopened.pendingOutboxCount()).toBe(1);
    await reopened.close();
  });

  test('a failed sync after a deferred-only group rejects nobody then; the journal takes no write after it', async () => {
    const filename = directory.file('unsyncable');
    const journal = await openJournal(filename);
    unlinkSync(`${filename}-wal`);
    // Committed (SQLite keeps writing the open, unlinked WAL): the deferred write resolves.
    expect((await journal.write({ puts: [put('d1')], durability: 'deferred' })).records[0]).toMatchObject({ version: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(journal.write({ puts: [put('p1')] })).rejects.toMatchObject({ code: 'JOURNAL_SYNC_FAILED', isRetryable: false });
    await expect(journal.write({ puts: [put('d2')], durability: 'deferred' })).rejects.toMatchObject({ code: 'JOURNAL_SYNC_FAILED' });
    await journal.close();
  });

  test("'NORMAL' journals resolve deferred and durable writes alike, right after their commit", async () => {
    const journal = await openJournal(directory.file('normal'), 'NORMAL');
    await journal.write({ puts: [put('d1')], durability: 'deferred' });
    await journal.write({ puts: [put('p1')], durability: 'durable' });
    expect(await journal.count('payments')).toBe(2);
    expect(journal.groupCommitStatistics().walSyncs).toBe(0);
    await journal.close();
  });
});
