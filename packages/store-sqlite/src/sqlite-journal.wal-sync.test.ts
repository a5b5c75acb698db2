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

  test('a read waits for every commit pending when it ran, whatever it changed', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [put('settled')] });
    const start = journal.groupCommitStatistics().walSyncs;
    const written = journal.write({ puts: [put('pending')] });
    // The group commits in this turn's check phase; its sync then runs on the thread pool.
    await new Promise((resolve) => setImmediate(resolve));
    let writeSettled = false;
    void written.then(() => {
      writeSettled = true;
    });
    expect(await journal.count('orders')).toBe(0);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    await written;
    expect(writeSettled).toBe(true);
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

  test('acknowledgements and releases settle after their own sync; claims do not wait for the sync of their own lease commit', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [put('c1')], outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd1', payload: '{}' }] });
    const start = journal.groupCommitStatistics().walSyncs;
    const [message] = await journal.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start);
    // One sync covers the release and the lease committed before it.
    await journal.releaseOutbox({ sequence: message!.sequence, owner: 'w', availableAt: 0 });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    const [again] = await journal.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    expect(await journal.acknowledgeOutbox({ sequences: [again!.sequence], owner: 'w' })).toEqual({ acknowledged: [again!.sequence] });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 2);
    expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 })).toHaveLength(1);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 2);
    await journal.close();
  });

  test('a claim answers only once the commits it read are on disk (its own lease commit is synced later, by the next sync)', async () => {
    const filename = directory.file('claim-reads-durable');
    const journal = await openJournal({ filename });
    const start = journal.groupCommitStatistics().walSyncs;
    const order: string[] = [];
    const written = journal.write({ puts: [put('r1')], outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd1', payload: '{}' }] }).then(() => order.push('write settled'));
    // The group commits in this turn's check phase; its sync then runs on the thread pool.
    await new Promise((resolve) => setImmediate(resolve));
    const claimedMessages = journal.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 }).then((messages) => {
      order.push(`claimed ${messages.length} message after ${journal.groupCommitStatistics().walSyncs - start} sync`);
    });
    const claimedRecords = journal.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 }).then((records) => {
      order.push(`claimed ${records.length} record after ${journal.groupCommitStatistics().walSyncs - start} sync`);
    });
    await Promise.all([written, claimedMessages, claimedRecords]);
    // The record claim does not read the outbox: the message lease committed before it is not its concern.
    expect(order).toEqual(['write settled', 'claimed 1 message after 1 sync', 'claimed 1 record after 1 sync']);
    // The leases are committed (another connection sees them) though no sync covers them yet.
    const other = new Database(filename, { readonly: true });
    try {
      expect(other.prepare('SELECT lease_owner FROM outbox').pluck().all()).toEqual(['w']);
      expect(other.prepare('SELECT lease_owner FROM records').pluck().all()).toEqual(['w']);
    } finally {
      other.close();
    }
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 1);
    // A read showing a lease waits for its sync; one sync covers both leases.
    expect(await journal.get('payments', 'r1')).toMatchObject({ version: 2, lease: { owner: 'w' } });
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 2);
    expect(await journal.pendingOutboxCount()).toBe(1);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 2);
    // A claim of its own lease again reads the lease it committed: it waits for that sync.
    expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 })).toHaveLength(1);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 2);
    expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 })).toMatchObject([{ version: 4 }]);
    expect(journal.groupCommitStatistics().walSyncs).toBe(start + 3);
    await journal.close();
  });

  test("a claim waits for another process's commits it read (seen through data_version)", async () => {
    const filename = directory.file('claim-foreign');
    const journal = await openJournal({ filename });
    await journal.write({ puts: [put('mine')] });
    const syncs = journal.groupCommitStatistics().walSyncs;
    const other = new Database(filename);
    try {
      other.pragma('synchronous = NORMAL');
      other
        .prepare("INSERT INTO outbox (topic, ordering_key, deduplication_id, payload, attempts, enqueued_at, available_at) VALUES ('t', 'o', 'theirs', '{}', 0, 0, 0)")
        .run();
    } finally {
      other.close();
    }
    expect(await journal.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 })).toMatchObject([{ deduplicationId: 'theirs' }]);
    expect(journal.groupCommitStatistics().walSyncs).toBe(syncs + 1);
    await journal.close();
  });

  test('an empty claim takes no write lock, commits nothing and syncs nothing', async () => {
    const filename = directory.file('empty-claim');
    const journal = new SqliteJournal({ filename, clock: new ManualClock(0), busyTimeoutMs: 20 });
    await journal.open();
    await journal.write({ puts: [put('taken')], outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd1', payload: '{}' }] });
    expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 1_000, limit: 10 })).toHaveLength(1);
    expect(await journal.claimOutbox({ owner: 'a', leaseMs: 1_000, limit: 10 })).toHaveLength(1);
    await journal.write({ puts: [{ collection: 'payments', key: 'other', value: '{}', index: 'done', expectedVersion: 0 }] });
    const syncs = journal.groupCommitStatistics().walSyncs;
    // Another process holds the write lock: an empty claim does not need it.
    const other = new Database(filename);
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'b', leaseMs: 1_000, limit: 10 })).toMatchObject([]);
      expect(await journal.claimOutbox({ owner: 'b', leaseMs: 1_000, limit: 10 })).toEqual([]);
      expect(await journal.claimOutbox({ owner: 'b', leaseMs: 1_000, limit: 10, topics: ['t'] })).toEqual([]);
      // A claim that finds a candidate still takes the lock (and waits for it).
      await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 1_000, limit: 10 })).rejects.toMatchObject({ code: 'JOURNAL_BUSY' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(journal.groupCommitStatistics().walSyncs).toBe(syncs);
    await journal.close();
  });

  test('a claim whose candidate is gone by the time it holds the lock returns nothing and notes no commit of its own', async () => {
    const filename = directory.file('vanished-candidate');
    // The lease of worker b expires at 1,000: the look for a candidate runs at 1,000, the claim itself (a clock stepping back) at 999.
    const times = [0, 0, 1_000, 999];
    const clock = { specificationVersion: 'v1' as const, now: () => times.shift() ?? 2_000, sleep: () => Promise.resolve() };
    const journal = new SqliteJournal({ filename, clock });
    await journal.open();
    await journal.write({ outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd1', payload: '{}' }] });
    expect(await journal.claimOutbox({ owner: 'b', leaseMs: 1_000, limit: 10 })).toHaveLength(1);
    const syncs = journal.groupCommitStatistics().walSyncs;
    expect(await journal.claimOutbox({ owner: 'a', leaseMs: 1_000, limit: 10 })).toEqual([]);
    // Nothing new to sync for a read either.
    expect(await journal.pendingOutboxCount()).toBe(1);
    expect(journal.groupCommitStatistics().walSyncs).toBe(syncs + 1);
    await journal.close();
  });

  test('a WAL that cannot be synced fails the journal: JOURNAL_SYNC_FAILED (not retryable) for that commit and for every later write and read until it is reopened', async () => {
    const filename = directory.file('unsyncable');
    const journal = await openJournal({ filename });
    // The file disappears under the journal before its first sync: the sync cannot open it.
    unlinkSync(`${filename}-wal`);
    const error = await journal.write({ puts: [put('after')] }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'JOURNAL_SYNC_FAILED', isRetryable: false });
    expect((error as Error).message).toContain('Check the disk');
    expect((error as Error).message).toContain('close the journal and open it again');
    // No later sync is trusted (a failed fsync may have dropped the pages): nothing unsynced is returned ...
    await expect(journal.get('payments', 'after')).rejects.toBe(error);
    // ... and nothing more is committed, durable or deferred, nor claimed.
    await expect(journal.write({ puts: [put('refused')] })).rejects.toBe(error);
    await expect(journal.write({ puts: [put('refused-deferred')], durability: 'deferred' })).rejects.toBe(error);
    await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 })).rejects.toBe(error);
    const syncs = journal.groupCommitStatistics().walSyncs;
    await journal.close();
    expect(syncs).toBe(0);
    // Opened again, the journal holds what the file holds: the committed write, none of the refused ones.
    const reopened = await openJournal({ filename });
    expect(await reopened.getMany('payments', ['after', 'refused', 'refused-deferred'])).toMatchObject([{ key: 'after', version: 1 }]);
    await reopened.write({ puts: [put('again')] });
    expect(reopened.groupCommitStatistics().walSyncs).toBe(1);
    await reopened.close();
  });

  test("'NORMAL' and ':memory:' journals never sync the WAL themselves", async () => {
    const normal = await openJournal({ synchronous: 'NORMAL' });
    await normal.write({ puts: [put('n1')] });
    expect(await normal.get('payments', 'n1')).toMatchObject({ version: 1 });
    expect(normal.groupCommitStatistics().walSyncs).toBe(0);
    await normal.close();
    const memory = await openJournal({ filename: ':memory:' });
    await memory.write({ puts: [put('m1')], outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd1', payload: '{}' }] });
    expect(await memory.get('payments', 'm1')).toMatchObject({ version: 1 });
    // Claims, acknowledgements and releases settle right after their commit.
    expect(await memory.claim({ collection: 'payments', index: 'pending', owner: 'w', leaseMs: 1_000, limit: 10 })).toMatchObject([{ key: 'm1', version: 2 }]);
    const [message] = await memory.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 });
    await memory.releaseOutbox({ sequence: message!.sequence, owner: 'w', availableAt: 0 });
    const [again] = await memory.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 });
    expect(await memory.acknowledgeOutbox({ sequences: [again!.sequence], owner: 'w' })).toEqual({ acknowledged: [again!.sequence] });
    expect(await memory.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 10 })).toEqual([]);
    expect(memory.groupCommitStatistics().walSyncs).toBe(0);
    await memory.close();
  });
});
