import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { dayMs, journalWithClock } from './__fixtures__/retention-journal.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { processedEventsCollection } from '../journal/processed-event-repository.js';
import { orderProcessedEventsCollection } from '../orders/order-records.js';
import type { JournalV1, JournalWriteBatch } from '../ports/journal/v1/journal.js';
import { defaultProcessedEventRetentionMs, minimumProcessedEventRetentionMs, pruneProcessedEvents } from './processed-event-retention.js';

async function put(journal: JournalV1, collection: string, key: string): Promise<void> {
  await journal.write({ puts: [{ collection, key, value: JSON.stringify({ key }), expectedVersion: 0 }] });
}

async function keysOf(journal: JournalV1, collection: string): Promise<string[]> {
  return (await journal.list(collection, { limit: 10_000 })).map((record) => record.key);
}

/** `journal` with one member replaced (the others bound to it). */
function overriding<Member extends 'list' | 'write'>(journal: JournalV1, member: Member, replacement: JournalV1[Member]): JournalV1 {
  return new Proxy(journal, {
    get(target, property, receiver) {
      if (property === member) return replacement;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('pruneProcessedEvents', () => {
  it('deletes the handled events of both collections written before the retention, and keeps the younger ones and other collections', async () => {
    const { journal, clock } = await journalWithClock();
    for (let index = 0; index < 7; index += 1) await put(journal, processedEventsCollection, `stripe:evt_old_${index}`);
    await put(journal, orderProcessedEventsCollection, 'order-old');
    await put(journal, 'payments', 'pay_1');
    await clock.advance(20 * dayMs);
    await put(journal, processedEventsCollection, 'stripe:evt_young');
    await put(journal, orderProcessedEventsCollection, 'order-young');
    await clock.advance(11 * dayMs);

    const report = await pruneProcessedEvents({ journal, clock, pageSize: 3 });

    expect(report.cutoff).toBe(clock.now() - defaultProcessedEventRetentionMs);
    expect(report.stopped).toBe(false);
    expect(report.collections).toEqual({
      [processedEventsCollection]: { examined: 8, deleted: 7, conflicts: 0 },
      [orderProcessedEventsCollection]: { examined: 2, deleted: 1, conflicts: 0 },
    });
    expect(await keysOf(journal, processedEventsCollection)).toEqual(['stripe:evt_young']);
    expect(await keysOf(journal, orderProcessedEventsCollection)).toEqual(['order-young']);
    expect(await keysOf(journal, 'payments')).toEqual(['pay_1']);
    // Nothing old is left: a second run deletes nothing.
    const again = await pruneProcessedEvents({ journal, clock });
    expect(again.collections[processedEventsCollection]).toEqual({ examined: 1, deleted: 0, conflicts: 0 });
  });

  it('keeps a record another writer rewrote after it was read, and still deletes the rest of the page', async () => {
    const { journal, clock } = await journalWithClock();
    for (const key of ['a', 'b', 'c']) await put(journal, processedEventsCollection, key);
    await clock.advance(31 * dayMs);
    // Between the page read and the deletes, another writer rewrites 'b'.
    const racing = overriding(journal, 'list', async (...args) => {
      const page = await journal.list(...args);
      if (args[0] === processedEventsCollection && page.length > 0) {
        await journal.write({ puts: [{ collection: processedEventsCollection, key: 'b', value: '{"again":true}', expectedVersion: 'any' }] });
      }
      return page;
    });

    const report = await pruneProcessedEvents({ journal: racing, clock });

    expect(report.collections[processedEventsCollection]).toEqual({ examined: 3, deleted: 2, conflicts: 1 });
    expect(await keysOf(journal, processedEventsCollection)).toEqual(['b']);
  });

  it('stops between pages when its signal aborts, and says so; the next run prunes the rest', async () => {
    const { journal, clock } = await journalWithClock();
    for (let index = 0; index < 5; index += 1) await put(journal, processedEventsCollection, `k${index}`);
    await clock.advance(31 * dayMs);
    const controller = new AbortController();
    const aborting = overriding(journal, 'list', async (...args) => {
      const page = await journal.list(...args);
      controller.abort();
      return page;
    });

    const first = await pruneProcessedEvents({ journal: aborting, clock, pageSize: 2, signal: controller.signal });
    expect(first.stopped).toBe(true);
    expect(first.collections[processedEventsCollection]).toEqual({ examined: 2, deleted: 2, conflicts: 0 });
    expect(first.collections[orderProcessedEventsCollection]).toBeUndefined();

    const second = await pruneProcessedEvents({ journal, clock, pageSize: 2 });
    expect(second.collections[processedEventsCollection]).toEqual({ examined: 3, deleted: 3, conflicts: 0 });
    expect(await keysOf(journal, processedEventsCollection)).toEqual([]);
  });

  it('passes on a journal error other than a version conflict, in the batch and one by one', async () => {
    const { journal, clock } = await journalWithClock();
    for (const key of ['a', 'b']) await put(journal, processedEventsCollection, key);
    await clock.advance(31 * dayMs);
    const failing = (failOn: (batch: JournalWriteBatch) => Error | undefined): JournalV1 =>
      overriding(journal, 'write', async (batch) => {
        const error = failOn(batch);
        if (error !== undefined) throw error;
        return journal.write(batch);
      });
    const unavailable = new Error('journal unavailable');
    await expect(pruneProcessedEvents({ journal: failing(() => unavailable), clock })).rejects.toBe(unavailable);
    // The batch conflicts, then a single delete fails otherwise.
    const conflict = new VersionConflictError({ collection: processedEventsCollection, key: 'a', expectedVersion: 1, actualVersion: 2 });
    const mixed = failing((batch) => ((batch.deletes?.length ?? 0) > 1 ? conflict : unavailable));
    await expect(pruneProcessedEvents({ journal: mixed, clock })).rejects.toBe(unavailable);
    expect(await keysOf(journal, processedEventsCollection)).toEqual(['a', 'b']);
  });

  it('reads the system clock by default: a record written just now is kept', async () => {
    const journal = new InMemoryJournal();
    await journal.open();
    await put(journal, processedEventsCollection, 'stripe:evt_now');
    const before = Date.now();
    const report = await pruneProcessedEvents({ journal });
    expect(report.cutoff).toBeGreaterThanOrEqual(before - defaultProcessedEventRetentionMs);
    expect(report.collections[processedEventsCollection]).toEqual({ examined: 1, deleted: 0, conflicts: 0 });
  });

  it('refuses a retention shorter than the providers redeliver events, naming the option and the fix', async () => {
    const { journal } = await journalWithClock();
    const error = await pruneProcessedEvents({ journal, retentionMs: dayMs }).catch((caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as ConfigurationError).message).toContain('pruneProcessedEvents.retentionMs');
    expect((error as ConfigurationError).message).toContain(String(minimumProcessedEventRetentionMs));
    const notJournal = await pruneProcessedEvents({ journal: {} as JournalV1 }).catch((caught: unknown) => caught);
    expect((notJournal as ConfigurationError).message).toContain('pruneProcessedEvents.journal');
  });
});
