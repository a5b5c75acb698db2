import { ManualClock } from '@paymigrate/testkit';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-set-statements-');
afterAll(() => directory.remove());

/** An opened journal on a fresh temporary file and a manual clock. */
async function openJournal(): Promise<SqliteJournal> {
  const journal = new SqliteJournal({ filename: directory.file(), clock: new ManualClock(0) });
  await journal.open();
  return journal;
}

/**
 * `getMany`, `claimOutbox` and `acknowledgeOutbox` pass their keys or sequences to ONE statement as
 * a JSON array (`json_each`), and enqueueing reads the sequence from `lastInsertRowid`: these tests
 * pin what that must not change.
 */
describe('SqliteJournal statements over sets of keys and sequences', () => {
  test('getMany finds keys that JSON escapes or that look like numbers, byte for byte', async () => {
    const journal = await openJournal();
    const keys = ['"quoted"', 'back\\slash', 'line\nbreak', 'nul\u0000inside', '01', '1', '1.0', 'é', '😀', ' padded '];
    await journal.write({ puts: keys.map((key) => ({ collection: 'payments', key, value: JSON.stringify({ key }), expectedVersion: 0 })) });
    const reversed = [...keys].reverse();
    const records = await journal.getMany('payments', reversed);
    expect(records.map((record) => record.key)).toEqual(reversed);
    expect(records.map((record) => JSON.parse(record.value) as unknown)).toEqual(reversed.map((key) => ({ key })));
    // Near misses of stored keys match nothing.
    expect(await journal.getMany('payments', ['quoted', '1.00', '001', 'e', 'padded'])).toEqual([]);
    await journal.close();
  });

  test('getMany of no key, or of absent keys only, returns a frozen empty list', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    const none = await journal.getMany('payments', []);
    const absent = await journal.getMany('payments', ['p2', 'p3']);
    expect(none).toEqual([]);
    expect(absent).toEqual([]);
    expect(Object.isFrozen(none) && Object.isFrozen(absent)).toBe(true);
    // Another collection's record with the same key is not found.
    expect(await journal.getMany('intents', ['p1'])).toEqual([]);
    await journal.close();
  });

  test('getMany reads thousands of keys at once, leases and indexes included', async () => {
    const journal = await openJournal();
    const keys = Array.from({ length: 3_000 }, (_, position) => `p${position}`);
    await journal.write({
      puts: keys.map((key, position) => ({ collection: 'payments', key, value: `{"n":${position}}`, index: position % 2 === 0 ? 'even' : undefined, expectedVersion: 0 })),
    });
    const [claimed] = await journal.claim({ collection: 'payments', index: 'even', owner: 'worker', leaseMs: 50, limit: 1 });
    const records = await journal.getMany('payments', [...keys, 'missing']);
    expect(records).toHaveLength(3_000);
    expect(records[1]).toEqual({ collection: 'payments', key: 'p1', version: 1, value: '{"n":1}', index: undefined, updatedAt: 0, lease: undefined });
    expect(records.find((record) => record.key === claimed?.key)).toEqual({ ...claimed, lease: { owner: 'worker', expiresAt: 50 } });
    await journal.close();
  });

  test('a batch mixing new and known deduplication ids gets each message its own sequence', async () => {
    const journal = await openJournal();
    const message = (deduplicationId: string) => ({ topic: 't', orderingKey: deduplicationId, deduplicationId, payload: '{}' });
    const first = await journal.write({ outbox: [message('a'), message('b')] });
    const second = await journal.write({ outbox: [message('c'), message('a'), message('d'), message('b')] });
    expect(first.outboxSequences).toEqual([1, 2]);
    // Known ids get their first sequence back; new ones get fresh, increasing sequences (a skipped
    // duplicate may leave a gap: SQLite's AUTOINCREMENT counts the attempt).
    const [c, a, d, b] = second.outboxSequences as [number, number, number, number];
    expect([a, b]).toEqual([1, 2]);
    expect(c).toBeGreaterThan(2);
    expect(d).toBeGreaterThan(c);
    const claimed = await journal.claimOutbox({ owner: 'worker', leaseMs: 10, limit: 10 });
    expect(claimed.map((message) => [message.sequence, message.deduplicationId])).toEqual([[1, 'a'], [2, 'b'], [c, 'c'], [d, 'd']]);
    await journal.close();
  });

  test('claimOutbox returns the messages it leased lowest sequence first, whatever order SQLite updated them in', async () => {
    const journal = await openJournal();
    const outbox = Array.from({ length: 200 }, (_, position) => ({ topic: 't', orderingKey: `k${position % 7}`, deduplicationId: `d${position}`, payload: `{"n":${position}}` }));
    await journal.write({ outbox });
    const claimed = await journal.claimOutbox({ owner: 'worker', leaseMs: 10, limit: 100 });
    expect(claimed.map((message) => message.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(claimed[6]).toEqual({ ...outbox[6], sequence: 7, attempts: 1, enqueuedAt: 0, availableAt: 0, lease: { owner: 'worker', expiresAt: 10 }, lastError: undefined });
    await journal.close();
  });

  test('acknowledgeOutbox of no sequence, or of sequences leased to someone else, acknowledges nothing', async () => {
    const journal = await openJournal();
    await journal.write({ outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }] });
    const [claimed] = await journal.claimOutbox({ owner: 'worker', leaseMs: 10, limit: 1 });
    expect(await journal.acknowledgeOutbox({ sequences: [], owner: 'worker' })).toEqual({ acknowledged: [] });
    expect(await journal.acknowledgeOutbox({ sequences: [claimed?.sequence ?? 0, 99], owner: 'other' })).toEqual({ acknowledged: [] });
    expect(await journal.pendingOutboxCount()).toBe(1);
    expect(await journal.acknowledgeOutbox({ sequences: [99, claimed?.sequence ?? 0], owner: 'worker' })).toEqual({ acknowledged: [1] });
    expect(await journal.pendingOutboxCount()).toBe(0);
    await journal.close();
  });
});
