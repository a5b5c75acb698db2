import type { JournalV1 } from '@paymigrate/core';
import { InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { countFailingOutbox, failingOutboxAttempts, inspectOutbox, renderOutbox } from './outbox.js';

/** A journal holding: m1 failing three times (backing off), m2 failing twice and held by a relay now, m3 never tried, m4 delivered. */
async function journalWithFailures(): Promise<{ readonly journal: InMemoryJournal; readonly clock: ManualClock; readonly sequences: readonly number[] }> {
  const clock = new ManualClock(Date.parse('2026-11-27T12:00:00.000Z'));
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const { outboxSequences } = await journal.write({
    outbox: [
      { topic: 'platform.order-update', orderingKey: 'order-1', deduplicationId: 'm1', payload: '{"secret":"payload"}' },
      { topic: 'events.token-recollection', orderingKey: 'customer-2', deduplicationId: 'm2', payload: '{}' },
      { topic: 'platform.order-update', orderingKey: 'order-3', deduplicationId: 'm3', payload: '{}' },
      { topic: 'platform.order-update', orderingKey: 'order-4', deduplicationId: 'm4', payload: '{}' },
    ],
  });
  const [m1, m2, m3, m4] = outboxSequences as [number, number, number, number];
  // m4 is delivered at once; m1 and m2 fail twice.
  await journal.claimOutbox({ owner: 'relay', leaseMs: 60_000, limit: 4 });
  await journal.acknowledgeOutbox({ sequences: [m4], owner: 'relay' });
  await journal.releaseOutbox({ sequence: m3, owner: 'relay', availableAt: clock.now() });
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    if (attempt > 1) await journal.claimOutbox({ owner: 'relay', leaseMs: 60_000, limit: 2, topics: ['events.token-recollection'] });
    await journal.releaseOutbox({ sequence: m2, owner: 'relay', availableAt: clock.now(), error: 'PLATFORM_UNAVAILABLE' });
  }
  // m1 fails a third time and backs off for a minute; m2 is claimed a third time and is being delivered.
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    if (attempt > 1) await journal.claimOutbox({ owner: 'relay', leaseMs: 60_000, limit: 1, topics: ['platform.order-update'] });
    await journal.releaseOutbox({ sequence: m1, owner: 'relay', availableAt: clock.now() + (attempt === 3 ? 60_000 : 0), error: 'PLATFORM_REJECTED' });
  }
  await journal.claimOutbox({ owner: 'relay-b', leaseMs: 30_000, limit: 1, topics: ['events.token-recollection'] });
  return { journal, clock, sequences: [m1, m2, m3, m4] };
}

describe('paymigrate outbox', () => {
  it('lists the failing messages oldest first with attempts, last error, next attempt or who delivers them now, never payloads', async () => {
    const { journal, sequences } = await journalWithFailures();
    const [m1, m2] = sequences as [number, number];
    const report = await inspectOutbox(journal, { minimumAttempts: failingOutboxAttempts, limit: 50 }, Date.parse('2026-11-27T12:00:00.000Z'));
    expect(report).toEqual({
      supported: true,
      minimumAttempts: 3,
      topics: undefined,
      undelivered: 3,
      messages: [
        {
          sequence: m1,
          topic: 'platform.order-update',
          orderingKey: 'order-1',
          attempts: 3,
          lastError: 'PLATFORM_REJECTED',
          enqueuedAt: '2026-11-27T12:00:00.000Z',
          nextAttemptAt: '2026-11-27T12:01:00.000Z',
          deliveringBy: undefined,
        },
        {
          sequence: m2,
          topic: 'events.token-recollection',
          orderingKey: 'customer-2',
          attempts: 3,
          lastError: 'PLATFORM_UNAVAILABLE',
          enqueuedAt: '2026-11-27T12:00:00.000Z',
          nextAttemptAt: undefined,
          deliveringBy: { owner: 'relay-b', until: '2026-11-27T12:00:30.000Z' },
        },
      ],
      nextAfter: undefined,
    });
    const text = renderOutbox(report);
    expect(text).toContain('Outbox: 3 undelivered; with at least 3 delivery attempts: 2\n');
    expect(text).toMatch(new RegExp(`${m1}\\s+platform\\.order-update\\s+order-1\\s+3\\s+PLATFORM_REJECTED\\s+2026-11-27T12:01:00\\.000Z`));
    expect(text).toContain('being delivered by relay-b');
    expect(JSON.stringify(report)).not.toContain('secret');
    expect(text).not.toContain('secret');
    expect(await countFailingOutbox(journal)).toBe(2);
  });

  it('shows a message whose lease expired (its relay stopped) as waiting for the next claim, not as being delivered', async () => {
    const { journal, clock, sequences } = await journalWithFailures();
    const [, m2] = sequences as [number, number];
    await clock.advance(45_000);
    const report = await inspectOutbox(journal, { minimumAttempts: failingOutboxAttempts, limit: 50 }, clock.now());
    expect(report.messages.find((entry) => entry.sequence === m2)).toMatchObject({ deliveringBy: undefined, nextAttemptAt: '2026-11-27T12:00:30.000Z' });
    expect(renderOutbox(report)).not.toContain('being delivered');
  });

  it('filters by topic and pages with nextAfter', async () => {
    const { journal, sequences } = await journalWithFailures();
    const [m1, m2, m3] = sequences as [number, number, number];
    const ofTopic = await inspectOutbox(journal, { minimumAttempts: 0, topics: ['platform.order-update'], limit: 50 });
    expect(ofTopic.undelivered).toBe(2);
    expect(ofTopic.messages.map((entry) => entry.sequence)).toEqual([m1, m3]);
    expect(renderOutbox(ofTopic)).toContain('Outbox of platform.order-update: 2 undelivered; with at least 0 delivery attempts: 2\n');
    const firstPage = await inspectOutbox(journal, { minimumAttempts: 0, limit: 2 });
    expect(firstPage.messages.map((entry) => entry.sequence)).toEqual([m1, m2]);
    expect(firstPage.nextAfter).toBe(m2);
    expect(renderOutbox(firstPage)).toContain(`attempts: 2+\n`);
    expect(renderOutbox(firstPage)).toContain(`More: paymigrate outbox --after ${m2}`);
    const secondPage = await inspectOutbox(journal, { minimumAttempts: 0, afterSequence: firstPage.nextAfter, limit: 2 });
    expect(secondPage.messages.map((entry) => entry.sequence)).toEqual([m3]);
    expect(secondPage.nextAfter).toBeUndefined();
    const none = await inspectOutbox(journal, { minimumAttempts: 10, limit: 50 });
    expect(renderOutbox(none)).toBe('Outbox: 3 undelivered; with at least 10 delivery attempts: 0\n');
  });

  it('reports a journal that cannot list its outbox, with its count', async () => {
    const { journal } = await journalWithFailures();
    // An adapter that predates listPendingOutbox: every member but that one.
    const older = new Proxy(journal, {
      get: (target, property) => {
        if (property === 'listPendingOutbox') return undefined;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
      },
    }) as JournalV1;
    const report = await inspectOutbox(older, { minimumAttempts: 3, topics: ['platform.order-update'], limit: 50 });
    expect(report).toEqual({ supported: false, minimumAttempts: 3, topics: ['platform.order-update'], undelivered: 2, messages: [], nextAfter: undefined });
    expect(renderOutbox(report)).toBe('Outbox of platform.order-update: 2 undelivered. This journal cannot list its messages (its adapter has no listPendingOutbox).\n');
    expect(await countFailingOutbox(older)).toBeUndefined();
  });
});
