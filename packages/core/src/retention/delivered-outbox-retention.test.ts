import { describe, expect, it } from 'vitest';
import { dayMs, journalWithClock } from './__fixtures__/retention-journal.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { defaultDeliveredOutboxRetentionMs, minimumDeliveredOutboxRetentionMs, pruneDeliveredOutbox } from './delivered-outbox-retention.js';

/** Enqueues messages named `names` and delivers them (claimed and acknowledged now). */
async function deliver(journal: JournalV1, names: readonly string[]): Promise<void> {
  const { outboxSequences } = await journal.write({
    outbox: names.map((name) => ({ topic: 'platform.payment', orderingKey: `order-${name}`, deduplicationId: name, payload: '{}' })),
  });
  await journal.claimOutbox({ owner: 'relay', leaseMs: 60_000, limit: 10_000 });
  await journal.acknowledgeOutbox({ sequences: outboxSequences, owner: 'relay' });
}

/** Whether the outbox still knows `deduplicationId` (enqueueing it again returns its old sequence instead of a new one). */
async function known(journal: JournalV1, deduplicationId: string, sequenceBefore: number): Promise<boolean> {
  const { outboxSequences } = await journal.write({ outbox: [{ topic: 'probe', orderingKey: 'probe', deduplicationId, payload: '{}' }] });
  return (outboxSequences[0] as number) <= sequenceBefore;
}

describe('pruneDeliveredOutbox', () => {
  it('deletes the messages delivered before the retention, page by page, and keeps the younger and the undelivered ones', async () => {
    const { journal, clock } = await journalWithClock();
    await deliver(journal, ['old-1', 'old-2', 'old-3', 'old-4', 'old-5']);
    await clock.advance(20 * dayMs);
    await deliver(journal, ['young']);
    await journal.write({ outbox: [{ topic: 'platform.payment', orderingKey: 'order-pending', deduplicationId: 'pending', payload: '{}' }] });
    await clock.advance(11 * dayMs);

    const report = await pruneDeliveredOutbox({ journal, clock, pageSize: 2 });

    expect(report).toEqual({ cutoff: clock.now() - defaultDeliveredOutboxRetentionMs, supported: true, deleted: 5, stopped: false });
    expect(await journal.pendingOutboxCount()).toBe(1);
    expect(await known(journal, 'young', 7)).toBe(true);
    expect(await known(journal, 'pending', 7)).toBe(true);
    expect(await known(journal, 'old-3', 7)).toBe(false);
    // Nothing old is left: a second run deletes nothing.
    expect((await pruneDeliveredOutbox({ journal, clock })).deleted).toBe(0);
  });

  it('reports a journal without pruneDeliveredOutbox as not supported, deleting nothing', async () => {
    const { journal, clock } = await journalWithClock();
    await deliver(journal, ['old']);
    await clock.advance(40 * dayMs);
    const withoutPruning: JournalV1 = new Proxy(journal, {
      get(target, property, receiver) {
        if (property === 'pruneDeliveredOutbox') return undefined;
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
      },
    });
    expect(await pruneDeliveredOutbox({ journal: withoutPruning, clock })).toEqual({ cutoff: clock.now() - defaultDeliveredOutboxRetentionMs, supported: false, deleted: 0, stopped: false });
    expect(await known(journal, 'old', 1)).toBe(true);
  });

  it('stops after the page in progress when its signal aborts; the next run goes on', async () => {
    const { journal, clock } = await journalWithClock();
    await deliver(journal, ['a', 'b', 'c', 'd', 'e']);
    await clock.advance(31 * dayMs);
    const controller = new AbortController();
    const prune = journal.pruneDeliveredOutbox.bind(journal);
    journal.pruneDeliveredOutbox = async (input) => {
      const page = await prune(input);
      controller.abort();
      return page;
    };
    expect(await pruneDeliveredOutbox({ journal, clock, pageSize: 2, signal: controller.signal })).toMatchObject({ deleted: 2, stopped: true });
    journal.pruneDeliveredOutbox = prune;
    expect(await pruneDeliveredOutbox({ journal, clock, pageSize: 2 })).toMatchObject({ deleted: 3, stopped: false });
  });

  it('refuses a retention under 7 days or a bad page size, naming the option and the fix', async () => {
    const { journal } = await journalWithClock();
    const error = await pruneDeliveredOutbox({ journal, retentionMs: minimumDeliveredOutboxRetentionMs - 1 }).catch((caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/retentionMs.*at least 604800000/s);
    await expect(pruneDeliveredOutbox({ journal, pageSize: 0 })).rejects.toThrow(/pageSize/);
    await expect(pruneDeliveredOutbox({ journal: {} as JournalV1 })).rejects.toThrow(/journal/);
  });
});
