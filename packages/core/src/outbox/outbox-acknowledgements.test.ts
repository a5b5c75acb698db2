import { InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { coalescedAcknowledgements } from './outbox-acknowledgements.js';
import { createOutboxRelay } from './outbox-relay.js';

async function journalWithMessages(count: number) {
  const clock = new ManualClock();
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  await journal.write({
    outbox: Array.from({ length: count }, (_, index) => ({ topic: 'orders', orderingKey: `order-${index}`, deduplicationId: `event-${index}`, payload: String(index) })),
  });
  return journal;
}

describe('coalescedAcknowledgements', () => {
  it('acknowledges a burst of deliveries in one journal call, each caller told about its own message', async () => {
    const journal = await journalWithMessages(200);
    const acknowledgeOutbox = vi.spyOn(journal, 'acknowledgeOutbox');
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { orders: async () => undefined }, batchSize: 200 });

    expect(await relay.runOnce()).toStrictEqual({ claimed: 200, delivered: 200, failed: 0 });
    expect(acknowledgeOutbox).toHaveBeenCalledTimes(1);
    expect(acknowledgeOutbox.mock.calls[0]?.[0].sequences).toHaveLength(200);
    expect(await journal.pendingOutboxCount()).toBe(0);
  });

  it('acknowledges deliveries that finish at different times in separate calls, without waiting for the slowest', async () => {
    const journal = await journalWithMessages(3);
    const acknowledgeOutbox = vi.spyOn(journal, 'acknowledgeOutbox');
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const relay = createOutboxRelay({ journal, owner: 'relay-1', handlers: { orders: async (message) => (message.payload === '2' ? slow : undefined) }, batchSize: 3 });

    const run = relay.runOnce();
    await vi.waitFor(() => expect(acknowledgeOutbox).toHaveBeenCalledTimes(1));
    expect(acknowledgeOutbox.mock.calls[0]?.[0].sequences).toHaveLength(2);
    releaseSlow();
    expect(await run).toStrictEqual({ claimed: 3, delivered: 3, failed: 0 });
    expect(acknowledgeOutbox).toHaveBeenCalledTimes(2);
  });

  it('tells each caller whether its own message was acknowledged (a lease taken over is not)', async () => {
    const acknowledgeOutbox = vi.fn(async (input: { readonly sequences: readonly number[] }) => ({ acknowledged: input.sequences.filter((sequence) => sequence !== 2) }));
    const acknowledge = coalescedAcknowledgements({ acknowledgeOutbox }, 'relay-1');
    expect(await Promise.all([acknowledge(1), acknowledge(2), acknowledge(3)])).toStrictEqual([true, false, true]);
    expect(acknowledgeOutbox).toHaveBeenCalledTimes(1);
  });

  it('rejects every caller of a batch whose journal call failed; the next batch is sent again', async () => {
    const failure = new Error('journal unreachable');
    const acknowledgeOutbox = vi
      .fn<(input: { readonly sequences: readonly number[] }) => Promise<{ readonly acknowledged: readonly number[] }>>()
      .mockRejectedValueOnce(failure)
      .mockImplementation(async (input) => ({ acknowledged: [...input.sequences] }));
    const acknowledge = coalescedAcknowledgements({ acknowledgeOutbox }, 'relay-1');
    const results = await Promise.allSettled([acknowledge(1), acknowledge(2)]);
    expect(results).toStrictEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
    expect(await acknowledge(1)).toBe(true);
    expect(acknowledgeOutbox).toHaveBeenCalledTimes(2);
  });
});
