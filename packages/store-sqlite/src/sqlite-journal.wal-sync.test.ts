import { unlinkSync } from 'node:fs';
import { type JournalPut, PaymigrateError } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-wal-sync-');
afterAll(() => directory.remove());

async function openJournal(options: { filename?: string; synchronous?: 'FULL' | 'NORMAL' } = {}): Promise<SqliteJournal> {
  const journal = new SqliteJournal({ filename: options.filename ?? directory.file(), synchronous: options.synchronous, clock: new ManualClock(0) });
  await journal.open();
  return journal;
}

function put(key: string, expectedVersion: JournalPut['expectedVersion'] = 0): JournalPut {
  return { collection: 'payments', key, value: `{"key":"${key}"}`, index: 'pending', expectedVersion };
}

/** The journal mode of the file, read through another connection. */
function journalMode(filename: string): string {
  const other = new Database(filename, { readonly: true });
  try {
    return other.pragma('journal_mode', { simple: true }) as string;
  } finally {
    other.close();
  }
}

describe("synchronous 'FULL': the WAL sync runs off the event loop", () => {
  test('writes of one turn share one commit and one WAL sync, and resolve only after it', async () => {
    const filename = directory.file('shared');
    const journal = await openJournal({ filename });
    expect(journalMode(filename)).toBe('wal');
    const before = journal.groupCommitStatistics().walSyncs;
    const results = await Promise.all(Array.from({ length: 25 }, (_, position) => journal.write({ puts: [put(`k${position}`)] })));
    expect(results.every((result) => result.records[0]?.version === 1)).toBe(true);
    expect(journal.groupCommitStatistics()).toMatchObject({ commits: 1, batches: 25, walSyncs: before + 1 });
    await journal.close();
    expect(journal.groupCommitStatistics().walSyncs).toBe(before + 1);
  });

  test('a read issued while a commit is not yet on disk answers only after the sync (never data a power loss could take back)', async () => {
    const journal = await openJournal();
    const before = journal.groupCommitStatistics().walSyncs;
    const order: string[] = [];
    const written = journal.write({ puts: [put('p1')] }).then(() => order.push('write settled'));
    // The group commits in this turn's check phase; its sync then runs on the thread pool.
    await new Promise((resolve) => setImmediate(resolve));
    const read = journal.get('payments', 'p1').then((record) => order.push(`read ${record?.version} after ${journal.groupCommitStatistics().walSyncs - before} sync`));
    await Promise.all([written, read]);
    expect(order).toEqual(['write settled', 'read 1 after 1 sync']);
    const syncs = journal.groupCommitStatistics().walSyncs;
    // Nothing new committed: a read needs no sync.
    expect(await journal.count('payments')).toBe(1);
    expect(await journal.list('payments', { limit: 10 })).toHaveLength(1);
    expect(await journal.getMany('payments', ['p1'])).toHaveLength(1);
    expect(await journal.pendingOutboxCount()).toBe(0);
    expect(journal.groupCommitStatistics().walSyncs).toBe(syncs);
    await journal.close();
  });

  test("another process's commit (seen through data_version) is synced before a read returns it", async () => {
    const filename = directory.file('foreign');
    const journal = await openJournal({ filename });
    await journal.write({ puts: [put('mine')] });
    const syncs = journal.groupCommitStatistics().walSyncs;
    const other = new Database(filename);
    try {
      other.pragma('synchronous = NORMAL');
      other.prepare("INSERT INTO records (collection, key, version, value, index_value, updated_at) VALUES ('payments', 'theirs', 1, '{}', NULL, 0)").run();
    } finally {
      other.close();
    }
    expect(await journal.get('payments', 'theirs')).toMatchObject({ version: 1 });
    expect(journal.groupCommitStatistics().walSyncs).toBe(syncs + 1);
    await journal.close();
  });

  test('claims, acknowledgements and releases settle after their own sync', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [put('c1')], outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd1', payload: '{}' }] });
    const start = journal.groupCommitStatistics().walSyncs;
    expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 })).toHaveLength(1);
    const [message] = await journal.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 });
    await journal.releaseOutbox({ sequence: message!.sequence, owner: 'w', availableAt: 0 });
    const [again] = await journal.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 });
    expect(await journal.acknowledgeOutbox({ sequences: [again!.sequence], owner: 'w' })).toEqual({ acknowledged: [again!.sequence] });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 5);
    await journal.close();
  });

  test('a WAL that cannot be synced rejects the writes of that commit with the retryable JOURNAL_SYNC_FAILED', async () => {
    const filename = directory.file('unsyncable');
    const journal = await openJournal({ filename });
    // The file disappears under the journal before its first sync: the sync cannot open it.
    unlinkSync(`${filename}-wal`);
    const error = await journal.write({ puts: [put('after')] }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'JOURNAL_SYNC_FAILED', isRetryable: true });
    expect((error as Error).message).toContain('check the disk');
    // Every later sync tries again (and fails again): nothing unsynced is ever returned.
    await expect(journal.get('payments', 'after')).rejects.toMatchObject({ code: 'JOURNAL_SYNC_FAILED' });
    await journal.close();
  });

  test("'NORMAL' and ':memory:' journals never sync the WAL themselves", async () => {
    const normal = await openJournal({ synchronous: 'NORMAL' });
    await normal.write({ puts: [put('n1')] });
    expect(await normal.get('payments', 'n1')).toMatchObject({ version: 1 });
    expect(normal.groupCommitStatistics().walSyncs).toBe(0);
    await normal.close();
    const memory = await openJournal({ filename: ':memory:' });
    await memory.write({ puts: [put('m1')] });
    expect(await memory.get('payments', 'm1')).toMatchObject({ version: 1 });
    expect(memory.groupCommitStatistics().walSyncs).toBe(0);
    await memory.close();
  });
});
