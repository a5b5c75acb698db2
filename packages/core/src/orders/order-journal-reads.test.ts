import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { coalescedReads } from './order-journal-reads.js';

async function journalWithRecords() {
  const journal = new InMemoryJournal();
  await journal.open();
  await journal.write({
    puts: [
      { collection: 'orders', key: 'o1', value: '{"n":1}', expectedVersion: 0 },
      { collection: 'orders', key: 'o2', value: '{"n":2}', expectedVersion: 0 },
      { collection: 'events', key: 'e1', value: '{"n":3}', expectedVersion: 0 },
    ],
  });
  return journal;
}

describe('coalescedReads', () => {
  it('answers the gets of one run of microtasks with one getMany per collection, each caller its own record', async () => {
    const journal = await journalWithRecords();
    const getMany = vi.spyOn(journal, 'getMany');
    const get = vi.spyOn(journal, 'get');
    const reads = coalescedReads(journal);
    const [first, second, again, missing, event] = await Promise.all([
      reads.get('orders', 'o1'),
      reads.get('orders', 'o2'),
      reads.get('orders', 'o1'),
      reads.get('orders', 'absent'),
      reads.get('events', 'e1'),
    ]);
    expect([first?.value, second?.value, again?.value, missing, event?.value]).toStrictEqual(['{"n":1}', '{"n":2}', '{"n":1}', undefined, '{"n":3}']);
    expect(getMany.mock.calls).toStrictEqual([['orders', ['o1', 'o2', 'o1', 'absent']]]);
    expect(get.mock.calls).toStrictEqual([['events', 'e1']]);
    // A later read is a batch of its own; alone, it is a plain get.
    expect((await reads.get('orders', 'o2'))?.version).toBe(1);
    expect(await reads.get('orders', 'absent')).toBeUndefined();
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(get.mock.calls).toStrictEqual([
      ['events', 'e1'],
      ['orders', 'o2'],
      ['orders', 'absent'],
    ]);
  });

  it('rejects every caller of a batch whose getMany failed; the next batch reads again', async () => {
    const journal = await journalWithRecords();
    const failure = new Error('journal unreachable');
    vi.spyOn(journal, 'getMany').mockRejectedValueOnce(failure);
    const reads = coalescedReads(journal);
    const results = await Promise.allSettled([reads.get('orders', 'o1'), reads.get('orders', 'o2')]);
    expect(results).toStrictEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    expect((await reads.get('orders', 'o1'))?.value).toBe('{"n":1}');
  });

  it('passes every other call to the journal itself', async () => {
    const journal = new InMemoryJournal();
    const reads = coalescedReads(journal);
    expect(reads.specificationVersion).toBe('v1');
    expect(reads.name).toBe(journal.name);
    await reads.open();
    expect(await reads.schemaVersion()).toBe(await journal.schemaVersion());
    await reads.write({ puts: [{ collection: 'c', key: 'k', value: '{}', expectedVersion: 0, index: 'i' }], outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: 'p' }] });
    expect((await reads.getMany('c', ['k'])).map((record) => record.key)).toStrictEqual(['k']);
    expect((await reads.list('c', { limit: 10 })).map((record) => record.key)).toStrictEqual(['k']);
    expect(await reads.count('c')).toBe(1);
    expect((await reads.claim({ collection: 'c', index: 'i', owner: 'w', leaseMs: 1_000, limit: 1 })).map((record) => record.key)).toStrictEqual(['k']);
    expect(await reads.pendingOutboxCount()).toBe(1);
    const [message] = await reads.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 1 });
    await reads.releaseOutbox({ sequence: message?.sequence as number, owner: 'w', availableAt: 0 });
    const [again] = await reads.claimOutbox({ owner: 'w', leaseMs: 1_000, limit: 1 });
    expect(await reads.acknowledgeOutbox({ sequences: [again?.sequence as number], owner: 'w' })).toStrictEqual({ acknowledged: [again?.sequence] });
    await reads.close();
  });
});
