import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  type ExpectedVersion,
  type JournalLease,
  type JournalRecord,
  type JournalV1,
  type JournalWriteResult,
  type OutboxMessage,
  type OutboxMessageInput,
  VersionConflictError,
} from '@paymigrate/core';
import { expect } from 'vitest';
import { type ContractContext, type ContractInput, type ContractSuite, runContract, withSubject } from './contract-suite.js';
import { captureError } from '../assertions/caught-errors.js';

/** A clock the contract can move: `ManualClock` from this package, or anything with `advance`. */
export interface AdvanceableClock {
  /** Moves time forward by `milliseconds`; resolves when the move has settled. */
  advance(milliseconds: number): Promise<void>;
}

/** Options of `journalContract`. */
export interface JournalContractOptions {
  /**
   * The clock the journal under test was built with. When given, lease-expiry and back-off cases
   * advance it; when `undefined`, the journal runs on real time and those cases use short real
   * leases (100 ms) and wait for them.
   */
  readonly clock: AdvanceableClock | undefined;
  /**
   * Needed by the `durability` suite only: closes `subject` (or not) and returns a journal opened
   * on the same storage, as a restarted process would. The contract closes the returned journal
   * when it is a different object; `destroy` still receives the original subject.
   */
  readonly reopen?: ((subject: JournalV1) => Promise<JournalV1>) | undefined;
}

/** Context every journal suite receives. */
type JournalContext = ContractContext<JournalV1, JournalContractOptions>;

/** A lease long enough never to expire during a test. */
const longLeaseMs = 60_000;
/** A lease short enough to let expire in real time. */
const shortLeaseMs = 100;
/** How long to wait for a short lease to expire. */
const pastShortLeaseMs = 150;

/** Runs `body` with a fresh, opened journal. */
function withJournal<Result>(context: JournalContext, body: (journal: JournalV1) => Promise<Result>): Promise<Result> {
  return withSubject(context, async (journal) => {
    await journal.open();
    return body(journal);
  });
}

/** Lets `milliseconds` pass on the journal's clock: advances the manual clock, or really waits. */
async function elapse(options: JournalContractOptions, milliseconds: number): Promise<void> {
  if (options.clock === undefined) {
    await sleepFor(milliseconds);
  } else {
    await options.clock.advance(milliseconds);
  }
}

/** Asserts a `VersionConflictError` naming exactly this record and versions. */
function expectVersionConflict(
  error: unknown,
  expected: { collection: string; key: string; expectedVersion: number; actualVersion: number | undefined },
): void {
  expect(VersionConflictError.isInstance(error), `expected a VersionConflictError, got ${String(error)}`).toBe(true);
  const conflict = error as VersionConflictError;
  expect({
    collection: conflict.collection,
    key: conflict.key,
    expectedVersion: conflict.expectedVersion,
    actualVersion: conflict.actualVersion,
  }).toStrictEqual(expected);
}

/** Writes one record. */
async function put(
  journal: JournalV1,
  record: { collection?: string; key: string; value?: string; index?: string; expectedVersion: ExpectedVersion },
): Promise<JournalRecord> {
  const result = await journal.write({
    puts: [
      {
        collection: record.collection ?? 'payments',
        key: record.key,
        value: record.value ?? JSON.stringify({ key: record.key }),
        index: record.index,
        expectedVersion: record.expectedVersion,
      },
    ],
  });
  expect(result.records).toHaveLength(1);
  return result.records[0] as JournalRecord;
}

/** Builds an outbox message with readable defaults. */
function message(name: string, overrides: Partial<OutboxMessageInput> = {}): OutboxMessageInput {
  return {
    topic: 'platform.order-update',
    orderingKey: `order-${name}`,
    deduplicationId: `dedup-${name}`,
    payload: JSON.stringify({ name }),
    ...overrides,
  };
}

/** Enqueues messages in one batch and returns their sequences. */
async function enqueue(journal: JournalV1, ...messages: OutboxMessageInput[]): Promise<readonly number[]> {
  return (await journal.write({ outbox: messages })).outboxSequences;
}

/** The sequences of claimed messages. */
function sequencesOf(messages: readonly OutboxMessage[]): number[] {
  return messages.map((claimed) => claimed.sequence);
}

/** The keys of records. */
function keysOf(records: readonly JournalRecord[]): string[] {
  return records.map((record) => record.key);
}

/** The lease of a record or message, failing the test when there is none. */
function leaseOf(holder: { readonly lease: JournalLease | undefined } | undefined): JournalLease {
  expect(holder?.lease, 'expected a lease, found none').toBeDefined();
  return holder?.lease as JournalLease;
}

/** A deterministic permutation, so insertion order never equals key order. */
function shuffled<Item>(items: readonly Item[]): Item[] {
  const result = [...items];
  let state = 7;
  for (let position = result.length - 1; position > 0; position -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const other = state % (position + 1);
    [result[position], result[other]] = [result[other] as Item, result[position] as Item];
  }
  return result;
}

/** Lifecycle: identity, `open` and the schema version, an empty start. */
export const journalLifecycleSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test } = context;

  test('declares specification v1 and a backend name', () =>
    withSubject(context, async (journal) => {
      expect(journal.specificationVersion).toBe('v1');
      expect(typeof journal.name).toBe('string');
      expect(journal.name.length).toBeGreaterThan(0);
    }));

  test('open is idempotent and reports the same schema version of at least 1', () =>
    withSubject(context, async (journal) => {
      await journal.open();
      await journal.open();
      const version = await journal.schemaVersion();
      expect(Number.isSafeInteger(version)).toBe(true);
      expect(version).toBeGreaterThanOrEqual(1);
      await journal.open();
      expect(await journal.schemaVersion()).toBe(version);
    }));

  test('a fresh journal is empty', () =>
    withJournal(context, async (journal) => {
      expect(await journal.get('payments', 'p1')).toBeUndefined();
      expect(await journal.getMany('payments', ['p1', 'p2'])).toEqual([]);
      expect(await journal.list('payments', { limit: 10 })).toEqual([]);
      expect(await journal.count('payments')).toBe(0);
      expect(await journal.pendingOutboxCount()).toBe(0);
      expect(await journal.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 })).toEqual([]);
      expect(await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 })).toEqual([]);
    }));
};

/** Records: creation, versions, timestamps, indexes, collections, deletion, byte-exact values. */
export const journalRecordsSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test, options } = context;

  test('a put creates version 1 with the value, the index and an integer timestamp; get returns the same', () =>
    withJournal(context, async (journal) => {
      const value = JSON.stringify({ amount: 1250, currency: 'EUR' });
      const written = await put(journal, { key: 'p1', value, index: 'pending', expectedVersion: 0 });
      expect(written).toEqual({
        collection: 'payments',
        key: 'p1',
        version: 1,
        value,
        index: 'pending',
        updatedAt: expect.any(Number),
        lease: undefined,
      });
      expect(Number.isSafeInteger(written.updatedAt)).toBe(true);
      expect(await journal.get('payments', 'p1')).toEqual(written);
    }));

  test('every write adds 1 to the version, conditional or unconditional', () =>
    withJournal(context, async (journal) => {
      expect((await put(journal, { key: 'p1', value: '"one"', expectedVersion: 0 })).version).toBe(1);
      expect((await put(journal, { key: 'p1', value: '"two"', expectedVersion: 1 })).version).toBe(2);
      expect((await put(journal, { key: 'p1', value: '"three"', expectedVersion: 'any' })).version).toBe(3);
      expect(await journal.get('payments', 'p1')).toMatchObject({ version: 3, value: '"three"' });
      expect((await put(journal, { key: 'p2', value: '"new"', expectedVersion: 'any' })).version).toBe(1);
    }));

  test('updatedAt follows the journal clock', () =>
    withJournal(context, async (journal) => {
      const first = await put(journal, { key: 'p1', expectedVersion: 0 });
      await elapse(options, 40);
      const second = await put(journal, { key: 'p1', expectedVersion: 1 });
      expect(second.updatedAt - first.updatedAt).toBeGreaterThanOrEqual(options.clock === undefined ? 35 : 40);
      expect((await journal.get('payments', 'p1'))?.updatedAt).toBe(second.updatedAt);
    }));

  test('omitting the index on a later put un-indexes the record', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', index: 'pending', expectedVersion: 0 });
      expect(await journal.count('payments', { index: 'pending' })).toBe(1);
      const updated = await put(journal, { key: 'p1', expectedVersion: 1 });
      expect(updated.index).toBeUndefined();
      expect((await journal.get('payments', 'p1'))?.index).toBeUndefined();
      expect(await journal.count('payments', { index: 'pending' })).toBe(0);
      expect(await journal.count('payments')).toBe(1);
    }));

  test('collections are separate namespaces for keys', () =>
    withJournal(context, async (journal) => {
      await put(journal, { collection: 'payments', key: 'shared', value: '"payment"', expectedVersion: 0 });
      await put(journal, { collection: 'orders', key: 'shared', value: '"order"', expectedVersion: 0 });
      expect((await journal.get('payments', 'shared'))?.value).toBe('"payment"');
      expect((await journal.get('orders', 'shared'))?.value).toBe('"order"');
      await journal.write({ deletes: [{ collection: 'payments', key: 'shared', expectedVersion: 1 }] });
      expect(await journal.get('payments', 'shared')).toBeUndefined();
      expect(await journal.get('orders', 'shared')).toMatchObject({ version: 1, value: '"order"' });
      expect(await journal.count('payments')).toBe(0);
      expect(await journal.count('orders')).toBe(1);
    }));

  test('getMany returns the present records and leaves absent keys out', () =>
    withJournal(context, async (journal) => {
      await journal.write({
        puts: ['k1', 'k2', 'k3'].map((key) => ({ collection: 'payments', key, value: `"${key}"`, expectedVersion: 0 })),
      });
      await put(journal, { collection: 'orders', key: 'k2', expectedVersion: 0 });
      const found = await journal.getMany('payments', ['k3', 'missing', 'k1']);
      expect(found.map((record) => [record.key, record.value]).sort()).toEqual([
        ['k1', '"k1"'],
        ['k3', '"k3"'],
      ]);
      expect(await journal.getMany('payments', [])).toEqual([]);
      expect(await journal.getMany('refunds', ['k1'])).toEqual([]);
    }));

  test('values round-trip byte-exact: JSON text is never parsed or normalized', () =>
    withJournal(context, async (journal) => {
      const large = JSON.stringify({ data: 'x€😀'.repeat(14_000) });
      expect(Buffer.byteLength(large, 'utf8')).toBeGreaterThan(100_000);
      const values = [
        '{"b":1,  "a":[1.0, 2e3, -0.0], "escaped":"\\u00e9\\n\\"", "z":null}',
        ' {"padded": true}\n',
        JSON.stringify({ text: 'é 中文 😀 e\u0301 \u2028 \u05e9\u05dc\u05d5\u05dd \u{1f1fa}\u{1f1f8}' }),
        large,
      ];
      await journal.write({ puts: values.map((value, position) => ({ collection: 'payments', key: `v${position}`, value, expectedVersion: 0 })) });
      for (const [position, value] of values.entries()) {
        const record = await journal.get('payments', `v${position}`);
        expect(record?.value.length).toBe(value.length);
        expect(record?.value === value, `value v${position} changed on its way through the journal`).toBe(true);
      }
    }));

  test('delete removes a record; a later create starts again at version 1', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', expectedVersion: 0 });
      const result = await journal.write({ deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 1 }] });
      expect(result).toEqual({ records: [], outboxSequences: [] });
      expect(await journal.get('payments', 'p1')).toBeUndefined();
      expect(await journal.count('payments')).toBe(0);
      expect((await put(journal, { key: 'p1', expectedVersion: 0 })).version).toBe(1);
    }));

  test("deleting an absent record with 'any' is a no-op", () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'other', expectedVersion: 0 });
      const result = await journal.write({ deletes: [{ collection: 'payments', key: 'absent', expectedVersion: 'any' }] });
      expect(result).toEqual({ records: [], outboxSequences: [] });
      expect(await journal.count('payments')).toBe(1);
      await journal.write({ deletes: [{ collection: 'payments', key: 'other', expectedVersion: 'any' }] });
      expect(await journal.get('payments', 'other')).toBeUndefined();
    }));

  test('write returns the records in the order of its puts', () =>
    withJournal(context, async (journal) => {
      const result = await journal.write({
        puts: ['c', 'a', 'b'].map((key) => ({ collection: 'payments', key, value: `"${key}"`, expectedVersion: 0 })),
      });
      expect(result.records.map((record) => [record.key, record.value, record.version])).toEqual([
        ['c', '"c"', 1],
        ['a', '"a"', 1],
        ['b', '"b"', 1],
      ]);
    }));

  test('records handed out are snapshots: changing them does not change the journal', () =>
    withJournal(context, async (journal) => {
      const puts = [{ collection: 'payments', key: 'p1', value: '"original"', index: 'pending', expectedVersion: 0 as const }];
      const result = await journal.write({ puts });
      puts[0] = { ...puts[0]!, value: '"changed input"' };
      for (const record of [result.records[0], await journal.get('payments', 'p1')]) {
        try {
          Reflect.set(record as object, 'value', '"tampered"');
          Reflect.set(record as object, 'version', 99);
        } catch {
          // Frozen records throw in strict mode; that is fine too.
        }
      }
      expect(await journal.get('payments', 'p1')).toMatchObject({ value: '"original"', version: 1, index: 'pending' });
    }));
};

/** Compare-and-set: every kind of match and conflict, and a race. */
export const journalCompareAndSetSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test } = context;

  test('expected version 0 creates only when the record is absent', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', value: '"first"', expectedVersion: 0 });
      const error = await captureError(() => put(journal, { key: 'p1', value: '"second"', expectedVersion: 0 }));
      expectVersionConflict(error, { collection: 'payments', key: 'p1', expectedVersion: 0, actualVersion: 1 });
      expect(await journal.get('payments', 'p1')).toMatchObject({ version: 1, value: '"first"' });
    }));

  test('a matching version writes; a stale one fails naming the record and both versions', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', value: '"v1"', expectedVersion: 0 });
      expect((await put(journal, { key: 'p1', value: '"v2"', expectedVersion: 1 })).version).toBe(2);
      const error = await captureError(() => put(journal, { key: 'p1', value: '"stale"', expectedVersion: 1 }));
      expectVersionConflict(error, { collection: 'payments', key: 'p1', expectedVersion: 1, actualVersion: 2 });
      expect(await journal.get('payments', 'p1')).toMatchObject({ version: 2, value: '"v2"' });
    }));

  test('a version expected of an absent record fails with the actual version absent', () =>
    withJournal(context, async (journal) => {
      const error = await captureError(() => put(journal, { collection: 'orders', key: 'o1', expectedVersion: 3 }));
      expectVersionConflict(error, { collection: 'orders', key: 'o1', expectedVersion: 3, actualVersion: undefined });
      expect(await journal.get('orders', 'o1')).toBeUndefined();
    }));

  test('the conflict is a retryable VersionConflictError with code JOURNAL_VERSION_CONFLICT', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', expectedVersion: 0 });
      const error = await captureError(() => put(journal, { key: 'p1', expectedVersion: 0 }));
      expect(error).toMatchObject({ code: 'JOURNAL_VERSION_CONFLICT', isRetryable: true });
    }));

  test('delete with the matching version deletes; with a stale version it fails and keeps the record', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', expectedVersion: 0 });
      await put(journal, { key: 'p1', value: '"v2"', expectedVersion: 1 });
      const error = await captureError(() => journal.write({ deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 1 }] }));
      expectVersionConflict(error, { collection: 'payments', key: 'p1', expectedVersion: 1, actualVersion: 2 });
      expect(await journal.get('payments', 'p1')).toMatchObject({ version: 2, value: '"v2"' });
      await journal.write({ deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 2 }] });
      expect(await journal.get('payments', 'p1')).toBeUndefined();
    }));

  test('delete with a version of an absent record fails; with 0 it is a no-op', () =>
    withJournal(context, async (journal) => {
      const error = await captureError(() => journal.write({ deletes: [{ collection: 'payments', key: 'absent', expectedVersion: 1 }] }));
      expectVersionConflict(error, { collection: 'payments', key: 'absent', expectedVersion: 1, actualVersion: undefined });
      expect(await journal.write({ deletes: [{ collection: 'payments', key: 'absent', expectedVersion: 0 }] })).toEqual({
        records: [],
        outboxSequences: [],
      });
      await put(journal, { key: 'present', expectedVersion: 0 });
      const present = await captureError(() => journal.write({ deletes: [{ collection: 'payments', key: 'present', expectedVersion: 0 }] }));
      expectVersionConflict(present, { collection: 'payments', key: 'present', expectedVersion: 0, actualVersion: 1 });
    }));

  test('twenty concurrent writers expecting the same version: exactly one wins', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', value: '"start"', expectedVersion: 0 });
      const writers = Array.from({ length: 20 }, (_, writer) => put(journal, { key: 'p1', value: `"writer-${writer}"`, expectedVersion: 1 }));
      const outcomes = await Promise.allSettled(writers);
      const winners = outcomes.flatMap((outcome, writer) => (outcome.status === 'fulfilled' ? [writer] : []));
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expectVersionConflict(outcome.reason, { collection: 'payments', key: 'p1', expectedVersion: 1, actualVersion: 2 });
        }
      }
      expect(await journal.get('payments', 'p1')).toMatchObject({ version: 2, value: `"writer-${winners[0]}"` });
    }));

  test('twenty concurrent read-modify-write loops lose no update', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'counter', value: '0', expectedVersion: 0 });
      const increment = async (): Promise<void> => {
        for (;;) {
          const current = (await journal.get('payments', 'counter')) as JournalRecord;
          expect(current, 'the counter vanished').toBeDefined();
          try {
            await put(journal, { key: 'counter', value: String(Number(current.value) + 1), expectedVersion: current.version });
            return;
          } catch (error) {
            expect(VersionConflictError.isInstance(error), `expected only version conflicts, got ${String(error)}`).toBe(true);
          }
        }
      };
      await Promise.all(Array.from({ length: 20 }, increment));
      expect(await journal.get('payments', 'counter')).toMatchObject({ value: '20', version: 21 });
    }));
};

/** Atomic batches: all puts, deletes and outbox messages, or none. */
export const journalAtomicBatchesSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test } = context;

  /** Seeds `a` (version 1) and `c` (version 2) and returns a check that nothing else changed. */
  async function seed(journal: JournalV1): Promise<() => Promise<void>> {
    await put(journal, { key: 'a', value: '"a1"', index: 'pending', expectedVersion: 0 });
    await put(journal, { key: 'c', value: '"c1"', expectedVersion: 0 });
    await put(journal, { key: 'c', value: '"c2"', expectedVersion: 1 });
    const before = await journal.getMany('payments', ['a', 'c']);
    return async () => {
      expect(await journal.getMany('payments', ['a', 'c'])).toEqual(before);
      expect(await journal.get('payments', 'd')).toBeUndefined();
      expect(await journal.count('payments')).toBe(2);
      expect(await journal.pendingOutboxCount()).toBe(0);
      expect(await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 })).toEqual([]);
      // The deduplication id of the failed batch was not consumed: enqueueing it now works.
      await enqueue(journal, message('m1'));
      expect(await journal.pendingOutboxCount()).toBe(1);
    };
  }

  test('a batch with one stale put applies nothing: puts, deletes and outbox untouched', () =>
    withJournal(context, async (journal) => {
      const unchanged = await seed(journal);
      const error = await captureError(() =>
        journal.write({
          puts: [
            { collection: 'payments', key: 'a', value: '"a2"', expectedVersion: 1 },
            { collection: 'payments', key: 'd', value: '"d1"', expectedVersion: 0 },
            { collection: 'payments', key: 'b', value: '"b1"', expectedVersion: 7 },
          ],
          deletes: [{ collection: 'payments', key: 'c', expectedVersion: 2 }],
          outbox: [message('m1')],
        }),
      );
      expectVersionConflict(error, { collection: 'payments', key: 'b', expectedVersion: 7, actualVersion: undefined });
      await unchanged();
    }));

  test('a batch with one stale delete applies nothing: puts, deletes and outbox untouched', () =>
    withJournal(context, async (journal) => {
      const unchanged = await seed(journal);
      const error = await captureError(() =>
        journal.write({
          puts: [
            { collection: 'payments', key: 'a', value: '"a2"', expectedVersion: 1 },
            { collection: 'payments', key: 'd', value: '"d1"', expectedVersion: 0 },
          ],
          deletes: [{ collection: 'payments', key: 'c', expectedVersion: 1 }],
          outbox: [message('m1')],
        }),
      );
      expectVersionConflict(error, { collection: 'payments', key: 'c', expectedVersion: 1, actualVersion: 2 });
      await unchanged();
    }));

  test('a successful batch applies its puts, deletes and outbox messages together', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'x', expectedVersion: 0 });
      const result = await journal.write({
        puts: [
          { collection: 'payments', key: 'a', value: '"a"', expectedVersion: 0 },
          { collection: 'orders', key: 'b', value: '"b"', index: 'open', expectedVersion: 0 },
        ],
        deletes: [{ collection: 'payments', key: 'x', expectedVersion: 1 }],
        outbox: [message('m1'), message('m2')],
      });
      expect(result.records.map((record) => [record.collection, record.key, record.version])).toEqual([
        ['payments', 'a', 1],
        ['orders', 'b', 1],
      ]);
      expect(result.outboxSequences).toHaveLength(2);
      expect(result.outboxSequences[1]).toBeGreaterThan(result.outboxSequences[0] as number);
      expect(await journal.get('payments', 'x')).toBeUndefined();
      expect(await journal.get('orders', 'b')).toMatchObject({ index: 'open' });
      expect(await journal.pendingOutboxCount()).toBe(2);
    }));

  test('an empty batch commits nothing and returns empty results', () =>
    withJournal(context, async (journal) => {
      expect(await journal.write({})).toEqual({ records: [], outboxSequences: [] });
      expect(await journal.write({ puts: [], deletes: [], outbox: [] })).toEqual({ records: [], outboxSequences: [] });
      expect(await journal.pendingOutboxCount()).toBe(0);
    }));

  test('of two concurrent batches moving the same record from one version, exactly one commits, outbox included', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'a', expectedVersion: 0 });
      const batch = (name: string): Promise<JournalWriteResult> =>
        journal.write({
          puts: [
            { collection: 'payments', key: `side-${name}`, value: '"side"', expectedVersion: 0 },
            { collection: 'payments', key: 'a', value: `"${name}"`, expectedVersion: 1 },
          ],
          outbox: [message(name)],
        });
      const names = ['left', 'right'];
      const statuses = (await Promise.allSettled(names.map(batch))).map((outcome) => outcome.status);
      const winners = names.filter((_, position) => statuses[position] === 'fulfilled');
      expect(winners).toHaveLength(1);
      const loser = names.find((name) => name !== winners[0]);
      expect((await journal.get('payments', 'a'))?.value).toBe(`"${winners[0]}"`);
      // The losing batch's first put had no conflict of its own; it must not have been applied either.
      expect(await journal.get('payments', `side-${winners[0]}`)).toBeDefined();
      expect(await journal.get('payments', `side-${loser}`)).toBeUndefined();
      const claimed = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(claimed.map((claimedMessage) => claimedMessage.deduplicationId)).toEqual([`dedup-${winners[0]}`]);
    }));
};

/**
 * Deferred writes (`durability: 'deferred'`): committed when `write` resolves, exactly like a durable
 * batch (atomic, compare-and-set, visible to every later read, claim and compare-and-set); only its
 * durability comes later (checked across a reopen by the `durability` suite).
 */
export const journalDeferredWritesSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test } = context;

  test('a deferred batch is visible at once to get, getMany, list, count, claim and claimOutbox', () =>
    withJournal(context, async (journal) => {
      const result = await journal.write({
        puts: [
          { collection: 'payments', key: 'a', value: '"a1"', index: 'pending', expectedVersion: 0 },
          { collection: 'payments', key: 'b', value: '"b1"', expectedVersion: 0 },
        ],
        outbox: [message('m1')],
        durability: 'deferred',
      });
      expect(result.records.map((record) => [record.key, record.version])).toEqual([
        ['a', 1],
        ['b', 1],
      ]);
      expect(result.outboxSequences).toHaveLength(1);
      expect(await journal.get('payments', 'a')).toEqual(result.records[0]);
      expect(keysOf(await journal.getMany('payments', ['a', 'b']))).toEqual(['a', 'b']);
      expect(keysOf(await journal.list('payments', { index: 'pending', limit: 10 }))).toEqual(['a']);
      expect(await journal.count('payments')).toBe(2);
      expect(await journal.pendingOutboxCount()).toBe(1);
      const [claimed] = await journal.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(claimed).toMatchObject({ key: 'a', version: 2 });
      const messages = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(messages.map((claimedMessage) => claimedMessage.deduplicationId)).toEqual(['dedup-m1']);
    }));

  test('the next compare-and-set sees a deferred batch: its versions win, stale ones fail, deduplication ids are taken', () =>
    withJournal(context, async (journal) => {
      const deferred = await journal.write({ puts: [{ collection: 'payments', key: 'a', value: '"a1"', expectedVersion: 0 }], outbox: [message('m1')], durability: 'deferred' });
      const error = await captureError(() => put(journal, { key: 'a', expectedVersion: 0 }));
      expectVersionConflict(error, { collection: 'payments', key: 'a', expectedVersion: 0, actualVersion: 1 });
      // A deferred write on top of a deferred write, then a durable one on top of both.
      await journal.write({ puts: [{ collection: 'payments', key: 'a', value: '"a2"', expectedVersion: 1 }], durability: 'deferred' });
      expect(await put(journal, { key: 'a', value: '"a3"', expectedVersion: 2 })).toMatchObject({ version: 3, value: '"a3"' });
      // The deferred batch's deduplication id is known: enqueueing it again reports its sequence.
      expect(await enqueue(journal, message('m1'))).toEqual(deferred.outboxSequences);
      expect(await journal.pendingOutboxCount()).toBe(1);
    }));

  test('a conflict fails a deferred batch whole: puts, deletes and outbox untouched', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'a', value: '"a1"', expectedVersion: 0 });
      await put(journal, { key: 'c', value: '"c1"', expectedVersion: 0 });
      const error = await captureError(() =>
        journal.write({
          puts: [
            { collection: 'payments', key: 'a', value: '"a2"', expectedVersion: 1 },
            { collection: 'payments', key: 'b', value: '"b1"', expectedVersion: 3 },
          ],
          deletes: [{ collection: 'payments', key: 'c', expectedVersion: 1 }],
          outbox: [message('m1')],
          durability: 'deferred',
        }),
      );
      expectVersionConflict(error, { collection: 'payments', key: 'b', expectedVersion: 3, actualVersion: undefined });
      expect((await journal.get('payments', 'a'))?.value).toBe('"a1"');
      expect((await journal.get('payments', 'c'))?.value).toBe('"c1"');
      expect(await journal.get('payments', 'b')).toBeUndefined();
      expect(await journal.pendingOutboxCount()).toBe(0);
    }));

  test('deferred and durable batches written concurrently all commit, each atomically', () =>
    withJournal(context, async (journal) => {
      const writes = Array.from({ length: 10 }, (_, position) =>
        journal.write({
          puts: [
            { collection: 'payments', key: `p${position}`, value: `"${position}"`, expectedVersion: 0 },
            { collection: 'orders', key: `o${position}`, value: '{}', expectedVersion: 0 },
          ],
          outbox: [message(`m${position}`)],
          durability: position % 2 === 0 ? 'deferred' : 'durable',
        }),
      );
      const results = await Promise.all(writes);
      expect(results.every((result) => result.records.length === 2 && result.outboxSequences.length === 1)).toBe(true);
      expect(await journal.count('payments')).toBe(10);
      expect(await journal.count('orders')).toBe(10);
      expect(await journal.pendingOutboxCount()).toBe(10);
    }));

  test("durability 'durable' behaves as leaving it out", () =>
    withJournal(context, async (journal) => {
      const result = await journal.write({ puts: [{ collection: 'payments', key: 'a', value: '"a"', expectedVersion: 0 }], durability: 'durable' });
      expect(result.records[0]).toMatchObject({ key: 'a', version: 1 });
      expect(await journal.get('payments', 'a')).toEqual(result.records[0]);
    }));
};

/** Listing: key order, index filter, keyset pagination, limits, counts. */
export const journalListingSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test } = context;

  test('lists in Unicode code-point key order (UTF-8 byte order, like COLLATE "C")', () =>
    withJournal(context, async (journal) => {
      const ordered = ['B', '_', 'a', 'a-1', 'a1', 'b', 'é', '\ue000', '😀'];
      await journal.write({ puts: shuffled(ordered).map((key) => ({ collection: 'payments', key, value: '{}', expectedVersion: 0 })) });
      expect(keysOf(await journal.list('payments', { limit: 100 }))).toEqual(ordered);
      expect(keysOf(await journal.list('payments', { afterKey: 'é', limit: 100 }))).toEqual(['\ue000', '😀']);
    }));

  test('filters by index and pages after a key, present or not, with a limit', () =>
    withJournal(context, async (journal) => {
      const keys = Array.from({ length: 10 }, (_, position) => `k0${position}`);
      await journal.write({
        puts: shuffled(keys).map((key) => ({
          collection: 'payments',
          key,
          value: '{}',
          index: Number(key.slice(1)) % 2 === 0 ? 'even' : 'odd',
          expectedVersion: 0,
        })),
      });
      expect(keysOf(await journal.list('payments', { index: 'even', limit: 2 }))).toEqual(['k00', 'k02']);
      expect(keysOf(await journal.list('payments', { index: 'even', afterKey: 'k02', limit: 2 }))).toEqual(['k04', 'k06']);
      expect(keysOf(await journal.list('payments', { index: 'even', afterKey: 'k07', limit: 10 }))).toEqual(['k08']);
      expect(keysOf(await journal.list('payments', { index: 'even', afterKey: 'k08', limit: 10 }))).toEqual([]);
      expect(keysOf(await journal.list('payments', { afterKey: 'k06', limit: 10 }))).toEqual(['k07', 'k08', 'k09']);
      expect(keysOf(await journal.list('payments', { index: 'none', limit: 10 }))).toEqual([]);
      const [first] = await journal.list('payments', { limit: 1 });
      expect(first).toEqual(await journal.get('payments', 'k00'));
    }));

  test('keyset pagination covers every key exactly once, in order, and never another collection', () =>
    withJournal(context, async (journal) => {
      const keys = Array.from({ length: 250 }, (_, position) => `payment-${String(position).padStart(4, '0')}`);
      await journal.write({ puts: shuffled(keys).map((key) => ({ collection: 'payments', key, value: '{}', expectedVersion: 0 })) });
      await journal.write({ puts: [{ collection: 'orders', key: 'payment-0100x', value: '{}', expectedVersion: 0 }] });
      const seen: string[] = [];
      let afterKey: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const records = await journal.list('payments', { afterKey, limit: 7 });
        if (records.length === 0) break;
        expect(records.length).toBeLessThanOrEqual(7);
        seen.push(...keysOf(records));
        afterKey = records.at(-1)?.key;
      }
      expect(seen).toEqual(keys);
    }));

  test('count counts a collection, optionally by index', () =>
    withJournal(context, async (journal) => {
      await journal.write({
        puts: [
          { collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 },
          { collection: 'payments', key: 'p2', value: '{}', index: 'pending', expectedVersion: 0 },
          { collection: 'payments', key: 'p3', value: '{}', index: 'done', expectedVersion: 0 },
          { collection: 'payments', key: 'p4', value: '{}', expectedVersion: 0 },
          { collection: 'orders', key: 'o1', value: '{}', index: 'pending', expectedVersion: 0 },
        ],
      });
      expect(await journal.count('payments')).toBe(4);
      expect(await journal.count('payments', {})).toBe(4);
      expect(await journal.count('payments', { index: 'pending' })).toBe(2);
      expect(await journal.count('payments', { index: 'done' })).toBe(1);
      expect(await journal.count('payments', { index: 'missing' })).toBe(0);
      expect(await journal.count('orders', { index: 'pending' })).toBe(1);
    }));

  test('list rejects a limit outside 1..10,000 with a TypeError, and accepts both ends', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', expectedVersion: 0 });
      for (const limit of [0, -1, 10_001, 1.5, Number.NaN]) {
        const error = await captureError(() => journal.list('payments', { limit }));
        expect(error, `limit ${limit}`).toBeInstanceOf(TypeError);
        expect((error as TypeError).message).toContain('limit');
      }
      expect(keysOf(await journal.list('payments', { limit: 1 }))).toEqual(['p1']);
      expect(keysOf(await journal.list('payments', { limit: 10_000 }))).toEqual(['p1']);
    }));
};

/** Claims: leases, ordering, exclusivity under races, expiry, takeover and fencing. */
export const journalClaimsSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test, options } = context;
  const claimPending = (journal: JournalV1, owner: string, limit = 100, leaseMs = longLeaseMs): Promise<readonly JournalRecord[]> =>
    journal.claim({ collection: 'payments', index: 'pending', owner, leaseMs, limit });

  test('a claim leases the matching records, bumps their version and keeps their value and updatedAt', () =>
    withJournal(context, async (journal) => {
      const written = await journal.write({
        puts: [
          { collection: 'payments', key: 'p1', value: '"one"', index: 'pending', expectedVersion: 0 },
          { collection: 'payments', key: 'p2', value: '"two"', index: 'pending', expectedVersion: 0 },
          { collection: 'payments', key: 'p3', value: '"three"', index: 'done', expectedVersion: 0 },
          { collection: 'payments', key: 'p4', value: '"four"', expectedVersion: 0 },
          { collection: 'orders', key: 'o1', value: '"order"', index: 'pending', expectedVersion: 0 },
        ],
      });
      const claimed = await claimPending(journal, 'worker-a');
      expect(keysOf(claimed)).toEqual(['p1', 'p2']);
      for (const record of claimed) {
        const before = written.records.find((candidate) => candidate.key === record.key);
        expect(record).toMatchObject({ collection: 'payments', version: 2, value: before?.value, index: 'pending', updatedAt: before?.updatedAt });
        const lease = leaseOf(record);
        expect(lease.owner).toBe('worker-a');
        expect(lease.expiresAt - record.updatedAt).toBeGreaterThanOrEqual(longLeaseMs);
        expect(lease.expiresAt - record.updatedAt).toBeLessThanOrEqual(longLeaseMs + (options.clock === undefined ? 5_000 : 0));
        expect(await journal.get('payments', record.key)).toEqual(record);
      }
      expect(await journal.get('payments', 'p3')).toMatchObject({ version: 1, lease: undefined });
      expect(await journal.get('payments', 'p4')).toMatchObject({ version: 1, lease: undefined });
      expect(await journal.get('orders', 'o1')).toMatchObject({ version: 1, lease: undefined });
    }));

  test('hands out the oldest updatedAt first, then key order, and respects the limit', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'z', index: 'pending', expectedVersion: 0 });
      await elapse(options, 20);
      await journal.write({
        puts: ['b', 'a'].map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 })),
      });
      expect(keysOf(await claimPending(journal, 'worker-a', 2))).toEqual(['z', 'a']);
      expect(keysOf(await claimPending(journal, 'worker-b', 10))).toEqual(['b']);
    }));

  test('a leased record is not claimed by another owner, and is claimed again by its owner', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', index: 'pending', expectedVersion: 0 });
      const [first] = await claimPending(journal, 'worker-a');
      expect(await claimPending(journal, 'worker-b')).toEqual([]);
      const [again] = await claimPending(journal, 'worker-a');
      expect(again?.version).toBe(3);
      expect(leaseOf(again!).owner).toBe('worker-a');
      expect(leaseOf(again!).expiresAt).toBeGreaterThanOrEqual(leaseOf(first!).expiresAt);
    }));

  test('concurrent claimers never receive the same record', () =>
    withJournal(context, async (journal) => {
      const keys = Array.from({ length: 50 }, (_, position) => `p${String(position).padStart(2, '0')}`);
      await journal.write({ puts: keys.map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 })) });
      const owners = ['worker-a', 'worker-b', 'worker-c'];
      const claimedBy = new Map<string, string[]>();
      for (let round = 0; round < 50; round += 1) {
        const batches = await Promise.all(owners.map((owner) => claimPending(journal, `${owner}-${round}`, 7)));
        if (batches.every((batch) => batch.length === 0)) break;
        batches.forEach((batch, position) => {
          for (const record of batch) {
            claimedBy.set(record.key, [...(claimedBy.get(record.key) ?? []), `${owners[position]}-${round}`]);
          }
        });
      }
      expect([...claimedBy.keys()].sort()).toEqual(keys);
      for (const [key, claimants] of claimedBy) {
        expect(claimants, `record ${key} was claimed by ${claimants.join(' and ')}`).toHaveLength(1);
        expect(leaseOf((await journal.get('payments', key))!).owner).toBe(claimants[0]);
      }
    }));

  test('two owners racing for 50 records in one go get disjoint sets', () =>
    withJournal(context, async (journal) => {
      const keys = Array.from({ length: 50 }, (_, position) => `p${String(position).padStart(2, '0')}`);
      await journal.write({ puts: keys.map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 })) });
      const [left, right] = await Promise.all([claimPending(journal, 'worker-a', 50), claimPending(journal, 'worker-b', 50)]);
      const claimed = [...keysOf(left!), ...keysOf(right!)];
      expect(new Set(claimed).size, 'a record was given to both owners').toBe(claimed.length);
      expect(claimed.length).toBeLessThanOrEqual(50);
    }));

  test('an expired lease is taken over by another owner', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', index: 'pending', expectedVersion: 0 });
      expect(keysOf(await claimPending(journal, 'worker-a', 10, shortLeaseMs))).toEqual(['p1']);
      expect(await claimPending(journal, 'worker-b', 10, shortLeaseMs)).toEqual([]);
      await elapse(options, pastShortLeaseMs);
      const [takenOver] = await claimPending(journal, 'worker-b');
      expect(takenOver).toMatchObject({ key: 'p1', version: 3 });
      expect(leaseOf(takenOver!).owner).toBe('worker-b');
      expect(await claimPending(journal, 'worker-a')).toEqual([]);
    }));

  test('fencing: after a takeover the previous owner loses its compare-and-set', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', index: 'pending', expectedVersion: 0 });
      const [claimedByA] = await claimPending(journal, 'worker-a', 10, shortLeaseMs);
      await elapse(options, pastShortLeaseMs);
      const [claimedByB] = await claimPending(journal, 'worker-b');
      expect(claimedByB?.version).toBe(claimedByA!.version + 1);
      const error = await captureError(() => put(journal, { key: 'p1', value: '"from a"', index: 'done', expectedVersion: claimedByA!.version }));
      expectVersionConflict(error, { collection: 'payments', key: 'p1', expectedVersion: claimedByA!.version, actualVersion: claimedByB!.version });
      const written = await put(journal, { key: 'p1', value: '"from b"', index: 'done', expectedVersion: claimedByB!.version });
      expect(written).toMatchObject({ version: claimedByB!.version + 1, value: '"from b"', lease: undefined });
    }));

  test('a put clears the lease, so the record can be claimed again at once', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', index: 'pending', expectedVersion: 0 });
      const [claimed] = await claimPending(journal, 'worker-a');
      const written = await put(journal, { key: 'p1', value: '"retry later"', index: 'pending', expectedVersion: claimed!.version });
      expect(written.lease).toBeUndefined();
      expect((await journal.get('payments', 'p1'))?.lease).toBeUndefined();
      const [reclaimed] = await claimPending(journal, 'worker-b');
      expect(reclaimed).toMatchObject({ key: 'p1', version: written.version + 1, value: '"retry later"' });
      expect(leaseOf(reclaimed!).owner).toBe('worker-b');
    }));
};

/** The transactional outbox: sequences, de-duplication, per-key ordering, leases, back-off. */
export const journalOutboxSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test, options } = context;
  const claimAll = (journal: JournalV1, owner: string, extra: { leaseMs?: number; limit?: number; topics?: readonly string[] } = {}): Promise<readonly OutboxMessage[]> =>
    journal.claimOutbox({ owner, leaseMs: extra.leaseMs ?? longLeaseMs, limit: extra.limit ?? 100, topics: extra.topics });

  test('sequences increase strictly in enqueue order, within and across batches; claims carry every field', () =>
    withJournal(context, async (journal) => {
      const first = await enqueue(journal, message('m1'), message('m2', { topic: 'events.token-recollection' }));
      const second = await enqueue(journal, message('m3'));
      const sequences = [...first, ...second];
      expect(sequences[1]).toBeGreaterThan(sequences[0]!);
      expect(sequences[2]).toBeGreaterThan(sequences[1]!);
      const claimed = await claimAll(journal, 'worker-a');
      expect(sequencesOf(claimed)).toEqual(sequences);
      expect(claimed[1]).toMatchObject({
        topic: 'events.token-recollection',
        orderingKey: 'order-m2',
        deduplicationId: 'dedup-m2',
        payload: JSON.stringify({ name: 'm2' }),
        sequence: sequences[1],
        attempts: 1,
        lastError: undefined,
      });
      for (const claimedMessage of claimed) {
        const lease = leaseOf(claimedMessage);
        expect(lease.owner).toBe('worker-a');
        const claimedAt = lease.expiresAt - longLeaseMs;
        expect(claimedMessage.enqueuedAt).toBeLessThanOrEqual(claimedAt);
        expect(claimedMessage.availableAt).toBeLessThanOrEqual(claimedAt);
      }
    }));

  test('a known deduplication id is ignored and reports the existing sequence, also after delivery', () =>
    withJournal(context, async (journal) => {
      const [sequence] = await enqueue(journal, message('m1'));
      expect(await enqueue(journal, message('m1', { payload: '"duplicate"' }))).toEqual([sequence]);
      const pair = await enqueue(journal, message('m2'), message('m2', { payload: '"duplicate in the same batch"' }));
      expect(pair).toHaveLength(2);
      expect(pair[0]).toBeGreaterThan(sequence!);
      expect(pair[1]).toBe(pair[0]);
      expect(await journal.pendingOutboxCount()).toBe(2);
      const claimed = await claimAll(journal, 'worker-a');
      expect(claimed.map((claimedMessage) => claimedMessage.payload)).toEqual([JSON.stringify({ name: 'm1' }), JSON.stringify({ name: 'm2' })]);
      expect((await journal.acknowledgeOutbox({ sequences: sequencesOf(claimed), owner: 'worker-a' })).acknowledged).toEqual(sequencesOf(claimed));
      expect(await enqueue(journal, message('m1', { payload: '"after delivery"' }))).toEqual([sequence]);
      expect(await journal.pendingOutboxCount()).toBe(0);
      expect(await claimAll(journal, 'worker-b')).toEqual([]);
    }));

  test('messages with the same ordering key are handed out one at a time, in enqueue order', () =>
    withJournal(context, async (journal) => {
      const [m1, m2, m3] = await enqueue(
        journal,
        message('m1', { orderingKey: 'k1' }),
        message('m2', { orderingKey: 'k1' }),
        message('m3', { orderingKey: 'k2' }),
      );
      expect(sequencesOf(await claimAll(journal, 'worker-a'))).toEqual([m1, m3]);
      expect(await claimAll(journal, 'worker-b')).toEqual([]);
      expect((await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' })).acknowledged).toEqual([m1]);
      expect(sequencesOf(await claimAll(journal, 'worker-b'))).toEqual([m2]);
      expect((await journal.acknowledgeOutbox({ sequences: [m3!], owner: 'worker-a' })).acknowledged).toEqual([m3]);
      expect((await journal.acknowledgeOutbox({ sequences: [m2!], owner: 'worker-b' })).acknowledged).toEqual([m2]);
      expect(await journal.pendingOutboxCount()).toBe(0);
    }));

  test('an earlier message that is backing off still blocks later messages of its ordering key', () =>
    withJournal(context, async (journal) => {
      const [m1] = await enqueue(journal, message('m1', { orderingKey: 'k1' }), message('m2', { orderingKey: 'k1' }));
      const [claimed] = await claimAll(journal, 'worker-a');
      expect(claimed?.sequence).toBe(m1);
      await journal.releaseOutbox({ sequence: m1!, owner: 'worker-a', availableAt: claimed!.enqueuedAt + 600_000, error: 'gateway timeout' });
      expect(await claimAll(journal, 'worker-b')).toEqual([]);
      expect(await journal.pendingOutboxCount()).toBe(2);
    }));

  test('a released message comes back after its back-off with its error and one more attempt', () =>
    withJournal(context, async (journal) => {
      const [sequence] = await enqueue(journal, message('m1'));
      const [first] = await claimAll(journal, 'worker-a');
      expect(first).toMatchObject({ sequence, attempts: 1, lastError: undefined });
      const claimedAt = leaseOf(first!).expiresAt - longLeaseMs;
      const availableAt = claimedAt + shortLeaseMs;
      await journal.releaseOutbox({ sequence: sequence!, owner: 'worker-a', availableAt, error: 'HTTP 503 from platform' });
      expect(await claimAll(journal, 'worker-b')).toEqual([]);
      await elapse(options, pastShortLeaseMs);
      const [second] = await claimAll(journal, 'worker-b');
      expect(second).toMatchObject({ sequence, attempts: 2, availableAt, lastError: 'HTTP 503 from platform' });
      expect(leaseOf(second!).owner).toBe('worker-b');
    }));

  test('attempts count every claim, including takeovers of expired leases', () =>
    withJournal(context, async (journal) => {
      const [sequence] = await enqueue(journal, message('m1'));
      expect((await claimAll(journal, 'worker-a', { leaseMs: shortLeaseMs }))[0]?.attempts).toBe(1);
      expect(await claimAll(journal, 'worker-b', { leaseMs: shortLeaseMs })).toEqual([]);
      await elapse(options, pastShortLeaseMs);
      const [takenOver] = await claimAll(journal, 'worker-b', { leaseMs: shortLeaseMs });
      expect(takenOver).toMatchObject({ sequence, attempts: 2 });
      expect(leaseOf(takenOver!).owner).toBe('worker-b');
      expect((await journal.acknowledgeOutbox({ sequences: [sequence!], owner: 'worker-a' })).acknowledged).toEqual([]);
      await journal.releaseOutbox({ sequence: sequence!, owner: 'worker-b', availableAt: takenOver!.enqueuedAt });
      expect((await claimAll(journal, 'worker-c'))[0]).toMatchObject({ sequence, attempts: 3 });
    }));

  test('only the lease owner can acknowledge; other acknowledgements are ignored and left out of the report', () =>
    withJournal(context, async (journal) => {
      const [m1, m2] = await enqueue(journal, message('m1'), message('m2'));
      await claimAll(journal, 'worker-a');
      expect((await journal.acknowledgeOutbox({ sequences: [m1!, m2!], owner: 'worker-b' })).acknowledged).toEqual([]);
      expect(await journal.pendingOutboxCount()).toBe(2);
      expect((await journal.acknowledgeOutbox({ sequences: [m1!, m2! + 1_000_000], owner: 'worker-a' })).acknowledged).toEqual([m1]);
      expect((await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' })).acknowledged).toEqual([]);
      expect(await journal.pendingOutboxCount()).toBe(1);
    }));

  test('an unclaimed message cannot be acknowledged', () =>
    withJournal(context, async (journal) => {
      const [sequence] = await enqueue(journal, message('m1'));
      expect((await journal.acknowledgeOutbox({ sequences: [sequence!], owner: 'worker-a' })).acknowledged).toEqual([]);
      expect(await journal.pendingOutboxCount()).toBe(1);
    }));

  test('a release by anyone but the lease owner does not free the message', () =>
    withJournal(context, async (journal) => {
      const [sequence] = await enqueue(journal, message('m1'));
      const [claimed] = await claimAll(journal, 'worker-a');
      // Ignoring or rejecting are both acceptable; freeing the message is not.
      await Promise.allSettled([journal.releaseOutbox({ sequence: sequence!, owner: 'worker-b', availableAt: claimed!.enqueuedAt, error: 'not mine' })]);
      expect(await claimAll(journal, 'worker-c')).toEqual([]);
      expect((await journal.acknowledgeOutbox({ sequences: [sequence!], owner: 'worker-a' })).acknowledged).toEqual([sequence]);
    }));

  test('topics filter claims and pending counts; an earlier message of another topic still blocks its key', () =>
    withJournal(context, async (journal) => {
      const [m1, m2] = await enqueue(
        journal,
        message('m1', { topic: 'platform.order-update', orderingKey: 'order-1' }),
        message('m2', { topic: 'events.token-recollection', orderingKey: 'order-2' }),
        message('m3', { topic: 'events.token-recollection', orderingKey: 'order-1' }),
      );
      expect(await journal.pendingOutboxCount()).toBe(3);
      expect(await journal.pendingOutboxCount({})).toBe(3);
      expect(await journal.pendingOutboxCount({ topics: ['events.token-recollection'] })).toBe(2);
      expect(await journal.pendingOutboxCount({ topics: ['platform.order-update', 'events.token-recollection'] })).toBe(3);
      expect(await journal.pendingOutboxCount({ topics: ['unknown'] })).toBe(0);
      expect(sequencesOf(await claimAll(journal, 'worker-a', { topics: ['events.token-recollection'] }))).toEqual([m2]);
      expect(sequencesOf(await claimAll(journal, 'worker-b', { topics: ['platform.order-update'] }))).toEqual([m1]);
      expect(await claimAll(journal, 'worker-c', { topics: ['unknown'] })).toEqual([]);
    }));

  test('claimOutbox respects its limit, oldest first', () =>
    withJournal(context, async (journal) => {
      const sequences = await enqueue(journal, ...['m1', 'm2', 'm3', 'm4', 'm5'].map((name) => message(name)));
      expect(sequencesOf(await claimAll(journal, 'worker-a', { limit: 2 }))).toEqual(sequences.slice(0, 2));
      expect(sequencesOf(await claimAll(journal, 'worker-b', { limit: 10 }))).toEqual(sequences.slice(2));
    }));

  test('pendingOutboxCount counts undelivered messages, leased or not', () =>
    withJournal(context, async (journal) => {
      const [m1] = await enqueue(journal, message('m1'), message('m2'), message('m3'));
      await claimAll(journal, 'worker-a', { limit: 1 });
      expect(await journal.pendingOutboxCount()).toBe(3);
      await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' });
      expect(await journal.pendingOutboxCount()).toBe(2);
    }));

  test('concurrent outbox claimers never receive the same message', () =>
    withJournal(context, async (journal) => {
      const sequences = await enqueue(journal, ...Array.from({ length: 40 }, (_, position) => message(`m${position}`)));
      const claimedBy = new Map<number, number>();
      for (let round = 0; round < 50; round += 1) {
        const batches = await Promise.all(['worker-a', 'worker-b', 'worker-c'].map((owner) => claimAll(journal, `${owner}-${round}`, { limit: 5 })));
        if (batches.every((batch) => batch.length === 0)) break;
        for (const claimedMessage of batches.flat()) {
          claimedBy.set(claimedMessage.sequence, (claimedBy.get(claimedMessage.sequence) ?? 0) + 1);
        }
      }
      expect([...claimedBy.keys()].sort((left, right) => left - right)).toEqual(sequences);
      expect([...claimedBy.values()].every((times) => times === 1)).toBe(true);
    }));
};

/**
 * Durability: what was committed is still there after the journal is reopened on the same
 * storage. Needs `options.reopen`; an in-memory journal opts out.
 */
export const journalDurabilitySuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test, options } = context;

  async function withReopened(journal: JournalV1, body: (reopened: JournalV1) => Promise<void>): Promise<void> {
    if (options.reopen === undefined) {
      throw new TypeError("journalContract: the 'durability' suite needs options.reopen(subject); pass it or opt out with a reason.");
    }
    const reopened = await options.reopen(journal);
    try {
      await body(reopened);
    } finally {
      if (reopened !== journal) await reopened.close();
    }
  }

  test('records, versions, indexes and leases survive a reopen', () =>
    withJournal(context, async (journal) => {
      const value = '{"text":"é 中文 😀", "amount":1.0}';
      await journal.write({
        puts: [
          { collection: 'payments', key: 'p1', value, index: 'pending', expectedVersion: 0 },
          { collection: 'payments', key: 'p2', value: '{}', index: 'pending', expectedVersion: 0 },
          { collection: 'orders', key: 'o1', value: '{}', expectedVersion: 0 },
        ],
      });
      await put(journal, { collection: 'orders', key: 'o1', value: '{"v":2}', expectedVersion: 1 });
      await journal.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: longLeaseMs, limit: 1 });
      const schemaVersion = await journal.schemaVersion();
      const before = [...(await journal.list('payments', { limit: 10 })), ...(await journal.list('orders', { limit: 10 }))];
      await withReopened(journal, async (reopened) => {
        expect(await reopened.schemaVersion()).toBe(schemaVersion);
        const after = [...(await reopened.list('payments', { limit: 10 })), ...(await reopened.list('orders', { limit: 10 }))];
        expect(after).toEqual(before);
        expect(await reopened.claim({ collection: 'payments', index: 'pending', owner: 'worker-b', leaseMs: longLeaseMs, limit: 10 })).toHaveLength(1);
        const error = await captureError(() => put(reopened, { collection: 'orders', key: 'o1', expectedVersion: 1 }));
        expectVersionConflict(error, { collection: 'orders', key: 'o1', expectedVersion: 1, actualVersion: 2 });
      });
    }));

  test('the outbox survives a reopen: pending messages, attempts, errors, delivered ids, increasing sequences', () =>
    withJournal(context, async (journal) => {
      const [m1, m2] = await enqueue(journal, message('m1'), message('m2'));
      const claimed = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' });
      await journal.releaseOutbox({ sequence: m2!, owner: 'worker-a', availableAt: claimed[1]!.enqueuedAt, error: 'HTTP 502' });
      await withReopened(journal, async (reopened) => {
        expect(await reopened.pendingOutboxCount()).toBe(1);
        expect(await enqueue(reopened, message('m1'))).toEqual([m1]);
        const [m3] = await enqueue(reopened, message('m3'));
        expect(m3).toBeGreaterThan(m2!);
        const [again] = await reopened.claimOutbox({ owner: 'worker-b', leaseMs: longLeaseMs, limit: 1 });
        expect(again).toMatchObject({ sequence: m2, attempts: 2, lastError: 'HTTP 502', payload: JSON.stringify({ name: 'm2' }) });
      });
    }));

  test('a deferred batch followed by a durable one: both survive a reopen, in order', () =>
    withJournal(context, async (journal) => {
      await journal.write({
        puts: [{ collection: 'payments', key: 'p1', value: '"deferred"', index: 'authorized', expectedVersion: 0 }],
        outbox: [message('m1')],
        durability: 'deferred',
      });
      await journal.write({
        puts: [{ collection: 'payments', key: 'p1', value: '"durable"', index: 'captured', expectedVersion: 1 }],
        outbox: [message('m2', { orderingKey: 'order-m1' })],
      });
      await withReopened(journal, async (reopened) => {
        expect(await reopened.get('payments', 'p1')).toMatchObject({ version: 2, value: '"durable"', index: 'captured' });
        // Both messages, in enqueue order: one ordering key hands out the deferred batch's first.
        const claimed = await reopened.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
        expect(claimed.map((claimedMessage) => claimedMessage.deduplicationId)).toEqual(['dedup-m1']);
        expect(await reopened.pendingOutboxCount()).toBe(2);
      });
    }));

  test('deferred batches written last are flushed by close and survive a reopen', () =>
    withJournal(context, async (journal) => {
      await put(journal, { key: 'p1', value: '"durable"', expectedVersion: 0 });
      await Promise.all([
        journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '"deferred"', expectedVersion: 1 }], durability: 'deferred' }),
        journal.write({ puts: [{ collection: 'payments', key: 'p2', value: '"deferred"', expectedVersion: 0 }], outbox: [message('m1')], durability: 'deferred' }),
      ]);
      await withReopened(journal, async (reopened) => {
        expect(await reopened.get('payments', 'p1')).toMatchObject({ version: 2, value: '"deferred"' });
        expect(await reopened.get('payments', 'p2')).toMatchObject({ version: 1, value: '"deferred"' });
        expect(await reopened.pendingOutboxCount()).toBe(1);
      });
    }));
};

/**
 * The optional `pruneDeliveredOutbox`: delivered messages older than a cutoff are deleted with
 * their deduplication ids, lowest sequence first; undelivered ones never. A journal without the
 * member opts this suite out.
 */
export const journalOutboxRetentionSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test, options } = context;

  /** The journal's `pruneDeliveredOutbox`, which this suite requires. */
  const pruneOf = (journal: JournalV1): NonNullable<JournalV1['pruneDeliveredOutbox']> => {
    expect(journal.pruneDeliveredOutbox, "this journal has no pruneDeliveredOutbox: opt the 'outboxRetention' suite out").toBeTypeOf('function');
    return (input) => (journal.pruneDeliveredOutbox as NonNullable<JournalV1['pruneDeliveredOutbox']>)(input);
  };

  test('deletes delivered messages acknowledged before the cutoff, lowest sequence first, at most limit; undelivered ones stay', () =>
    withJournal(context, async (journal) => {
      const prune = pruneOf(journal);
      const [m1, m2, m3, m4] = await enqueue(journal, message('m1'), message('m2'), message('m3'), message('m4'));
      await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      // Acknowledged out of sequence order; m4 stays leased, undelivered.
      await journal.acknowledgeOutbox({ sequences: [m3!, m1!, m2!], owner: 'worker-a' });
      await elapse(options, 20);
      const [m5] = await enqueue(journal, message('m5'));
      const [claimedM5] = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(claimedM5?.sequence).toBe(m5);
      const cutoff = (claimedM5 as OutboxMessage).enqueuedAt;
      await elapse(options, 20);
      await journal.acknowledgeOutbox({ sequences: [m5!], owner: 'worker-a' });

      expect(await prune({ deliveredBefore: cutoff, limit: 2 })).toEqual({ deleted: 2 });
      // m1 and m2 are forgotten: enqueued again, each is a new message; m3 (not pruned yet) is still known.
      const [again1] = await enqueue(journal, message('m1'));
      expect(again1).toBeGreaterThan(m5!);
      expect(await enqueue(journal, message('m3'))).toEqual([m3]);
      expect(await prune({ deliveredBefore: cutoff, limit: 10 })).toEqual({ deleted: 1 });
      expect(await prune({ deliveredBefore: cutoff, limit: 10 })).toEqual({ deleted: 0 });
      // Delivered after the cutoff (m5) and undelivered (m4, the new m1): kept.
      expect(await enqueue(journal, message('m5'))).toEqual([m5]);
      expect(await enqueue(journal, message('m4'))).toEqual([m4]);
      expect(await journal.pendingOutboxCount()).toBe(2);
      const [m3Again] = await enqueue(journal, message('m3'));
      expect(m3Again).toBeGreaterThan(again1!);
    }));

  test('never reuses a sequence, even of the newest message pruned', () =>
    withJournal(context, async (journal) => {
      const prune = pruneOf(journal);
      const [m1] = await enqueue(journal, message('m1'));
      await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' });
      await elapse(options, 20);
      const [m2] = await enqueue(journal, message('m2'));
      const [claimed] = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      await journal.acknowledgeOutbox({ sequences: [m2!], owner: 'worker-a' });
      await elapse(options, 20);
      const [probe] = await enqueue(journal, message('probe'));
      const [probeMessage] = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(probeMessage?.sequence).toBe(probe);
      expect(claimed?.sequence).toBe(m2);
      await journal.acknowledgeOutbox({ sequences: [probe!], owner: 'worker-a' });
      await elapse(options, 20);
      const [last] = await enqueue(journal, message('last'));
      const [lastMessage] = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      await journal.acknowledgeOutbox({ sequences: [last!], owner: 'worker-a' });
      // Everything delivered before `last` was enqueued, the newest (probe) included, is pruned.
      expect(await prune({ deliveredBefore: (lastMessage as OutboxMessage).enqueuedAt, limit: 10 })).toEqual({ deleted: 3 });
      const [next] = await enqueue(journal, message('m2'));
      expect(next).toBeGreaterThan(last!);
    }));

  test('refuses a limit outside 1-10,000 and a cutoff that is not a finite time, deleting nothing', () =>
    withJournal(context, async (journal) => {
      const prune = pruneOf(journal);
      const [m1] = await enqueue(journal, message('m1'));
      const [claimed] = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' });
      // A cutoff after the delivery: only the bad limit keeps m1.
      const deliveredBefore = (claimed as OutboxMessage).enqueuedAt + 10 * longLeaseMs;
      for (const limit of [0, 10_001, 1.5]) {
        expect(await captureError(() => prune({ deliveredBefore, limit }))).toBeInstanceOf(TypeError);
      }
      expect(await captureError(() => prune({ deliveredBefore: Number.NaN, limit: 10 }))).toBeInstanceOf(TypeError);
      expect(await enqueue(journal, message('m1'))).toEqual([m1]);
    }));
};

/**
 * The optional `listPendingOutbox`: an operator's read of the undelivered messages (leased or
 * not, backed off or not) with their attempts and last error, filtered and paged by sequence,
 * changing nothing. A journal without the member opts this suite out.
 */
export const journalOutboxInspectionSuite: ContractSuite<JournalV1, JournalContractOptions> = (context) => {
  const { test } = context;

  /** The journal's `listPendingOutbox`, which this suite requires. */
  const listOf = (journal: JournalV1): NonNullable<JournalV1['listPendingOutbox']> => {
    expect(journal.listPendingOutbox, "this journal has no listPendingOutbox: opt the 'outboxInspection' suite out").toBeTypeOf('function');
    return (query) => (journal.listPendingOutbox as NonNullable<JournalV1['listPendingOutbox']>)(query);
  };

  test('lists undelivered messages lowest sequence first, leased, backed off or available, with attempts and last error; never delivered ones', () =>
    withJournal(context, async (journal) => {
      const list = listOf(journal);
      expect(await list({ limit: 10 })).toEqual([]);
      const [m1, m2, m3, m4] = await enqueue(journal, message('m1'), message('m2', { topic: 'events.token-recollection' }), message('m3'), message('m4'));
      const claimed = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(sequencesOf(claimed)).toEqual([m1, m2, m3, m4]);
      // m1 delivered; m2 released with an error and backed off far into the future; m3 leased; m4 released without error.
      await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' });
      const backedOffUntil = (claimed[1] as OutboxMessage).enqueuedAt + 10 * longLeaseMs;
      await journal.releaseOutbox({ sequence: m2!, owner: 'worker-a', availableAt: backedOffUntil, error: 'PLATFORM_REJECTED' });
      await journal.releaseOutbox({ sequence: m4!, owner: 'worker-a', availableAt: (claimed[3] as OutboxMessage).enqueuedAt });
      const [m5] = await enqueue(journal, message('m5'));

      const listed = await list({ limit: 10 });
      expect(sequencesOf(listed)).toEqual([m2, m3, m4, m5]);
      expect(listed[0]).toMatchObject({
        topic: 'events.token-recollection',
        orderingKey: 'order-m2',
        deduplicationId: 'dedup-m2',
        payload: JSON.stringify({ name: 'm2' }),
        sequence: m2,
        attempts: 1,
        availableAt: backedOffUntil,
        lease: undefined,
        lastError: 'PLATFORM_REJECTED',
      });
      expect(leaseOf(listed[1]).owner).toBe('worker-a');
      expect(listed[1]).toMatchObject({ sequence: m3, attempts: 1, lastError: undefined });
      expect(listed[2]).toMatchObject({ sequence: m4, attempts: 1, lease: undefined });
      expect(listed[3]).toMatchObject({ sequence: m5, attempts: 0, lease: undefined, lastError: undefined });
    }));

  test('filters by minimum attempts and topics, and pages by sequence', () =>
    withJournal(context, async (journal) => {
      const list = listOf(journal);
      const [m1, m2, m3] = await enqueue(journal, message('m1'), message('m2', { topic: 'events.token-recollection' }), message('m3'));
      // Claims of 2 take m1 and m2 (oldest first) twice: m1 fails both times, m2 fails once and is
      // still held after its second claim; m3 is never claimed.
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const claimed = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 2 });
        for (const failed of claimed) {
          if (attempt === 2 && failed.sequence === m2) continue;
          await journal.releaseOutbox({ sequence: failed.sequence, owner: 'worker-a', availableAt: failed.enqueuedAt, error: `FAILED_${attempt}` });
        }
      }
      const listed = await list({ limit: 10 });
      const attemptsBySequence = new Map(listed.map((entry) => [entry.sequence, entry.attempts]));
      expect(attemptsBySequence.get(m1!)).toBe(2);
      expect(attemptsBySequence.get(m3!)).toBe(0);
      expect(attemptsBySequence.get(m2!)).toBe(2);
      const failing = await list({ limit: 10, minimumAttempts: 2 });
      expect(sequencesOf(failing)).toEqual([m1, m2]);
      expect(failing[0]).toMatchObject({ lease: undefined, lastError: 'FAILED_2' });
      expect(leaseOf(failing[1]).owner).toBe('worker-a');
      expect(sequencesOf(await list({ limit: 10, minimumAttempts: 3 }))).toEqual([]);
      expect(sequencesOf(await list({ limit: 10, minimumAttempts: 0 }))).toEqual([m1, m2, m3]);
      expect(sequencesOf(await list({ limit: 10, topics: ['events.token-recollection'] }))).toEqual([m2]);
      expect(sequencesOf(await list({ limit: 10, topics: ['platform.order-update', 'events.token-recollection'] }))).toEqual([m1, m2, m3]);
      expect(sequencesOf(await list({ limit: 10, topics: ['unknown'] }))).toEqual([]);
      // An empty list of topics names none, as for pendingOutboxCount.
      expect(sequencesOf(await list({ limit: 10, topics: [] }))).toEqual([]);
      // Pages: limit, then after the last sequence of the page.
      const firstPage = await list({ limit: 2 });
      expect(sequencesOf(firstPage)).toEqual([m1, m2]);
      expect(sequencesOf(await list({ limit: 2, afterSequence: (firstPage.at(-1) as OutboxMessage).sequence }))).toEqual([m3]);
      expect(sequencesOf(await list({ limit: 2, afterSequence: m3! }))).toEqual([]);
    }));

  test('reads only: listing claims, leases and changes nothing', () =>
    withJournal(context, async (journal) => {
      const list = listOf(journal);
      const [m1] = await enqueue(journal, message('m1'));
      const before = await list({ limit: 10 });
      await list({ limit: 10, minimumAttempts: 0 });
      expect(await list({ limit: 10 })).toEqual(before);
      const [claimed] = await journal.claimOutbox({ owner: 'worker-a', leaseMs: longLeaseMs, limit: 10 });
      expect(claimed).toMatchObject({ sequence: m1, attempts: 1 });
      expect(await list({ limit: 10 })).toMatchObject([{ sequence: m1, attempts: 1 }]);
      await journal.acknowledgeOutbox({ sequences: [m1!], owner: 'worker-a' });
      expect(await list({ limit: 10 })).toEqual([]);
      expect(await journal.pendingOutboxCount()).toBe(0);
    }));

  test('refuses a limit outside 1-1,000 and a negative or fractional minimumAttempts or afterSequence', () =>
    withJournal(context, async (journal) => {
      const list = listOf(journal);
      await enqueue(journal, message('m1'));
      for (const limit of [0, 1_001, 1.5, Number.NaN]) {
        expect(await captureError(() => list({ limit }))).toBeInstanceOf(TypeError);
      }
      for (const minimumAttempts of [-1, 0.5, Number.NaN]) {
        expect(await captureError(() => list({ limit: 10, minimumAttempts }))).toBeInstanceOf(TypeError);
      }
      for (const afterSequence of [-1, 2.5, Number.POSITIVE_INFINITY]) {
        expect(await captureError(() => list({ limit: 10, afterSequence }))).toBeInstanceOf(TypeError);
      }
      expect(await list({ limit: 1_000 })).toHaveLength(1);
    }));
};

/** Every journal suite by name, for `journalContract` or to run one on its own. */
export const journalContractSuites = {
  lifecycle: journalLifecycleSuite,
  records: journalRecordsSuite,
  compareAndSet: journalCompareAndSetSuite,
  atomicBatches: journalAtomicBatchesSuite,
  deferredWrites: journalDeferredWritesSuite,
  listing: journalListingSuite,
  claims: journalClaimsSuite,
  outbox: journalOutboxSuite,
  outboxRetention: journalOutboxRetentionSuite,
  outboxInspection: journalOutboxInspectionSuite,
  durability: journalDurabilitySuite,
} satisfies Record<string, ContractSuite<JournalV1, JournalContractOptions>>;

/** Name of a journal suite. */
export type JournalContractSuiteName = keyof typeof journalContractSuites;

/**
 * The whole `JournalV1` contract. Every adapter runs it from its own test file.
 *
 * @example
 * const clock = new ManualClock();
 * journalContract({
 *   test,
 *   create: () => new InMemoryJournal({ clock }),
 *   destroy: (journal) => journal.close(),
 *   options: { clock },
 *   optOuts: { durability: 'memory journal keeps nothing across processes' },
 * });
 */
export function journalContract(input: ContractInput<JournalV1, JournalContractOptions, JournalContractSuiteName>): void {
  runContract('JournalV1', journalContractSuites, input);
}
