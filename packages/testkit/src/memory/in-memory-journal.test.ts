import {
  type JournalClaimOptions,
  type JournalRecord,
  type JournalV1,
  type JournalWriteBatch,
  type JournalWriteResult,
  type OutboxClaimOptions,
  type OutboxMessage,
  type PendingOutboxQuery,
  PaymigrateError,
  VersionConflictError,
} from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { failingCases } from '../contracts/__fixtures__/failing-cases.js';
import { type ContractTest, runContract } from '../contracts/contract-suite.js';
import {
  journalAtomicBatchesSuite,
  journalClaimsSuite,
  journalCompareAndSetSuite,
  journalContract,
  type JournalContractOptions,
  journalDurabilitySuite,
  journalOutboxInspectionSuite,
  journalOutboxSuite,
} from '../contracts/journal-contract.js';
import { InMemoryJournal } from './in-memory-journal.js';
import { ManualClock } from './manual-clock.js';

const durabilityOptOut = 'an in-memory journal keeps nothing once its process or instance is gone';

describe('InMemoryJournal on a manual clock', () => {
  const clock = new ManualClock();
  journalContract({
    test,
    create: () => new InMemoryJournal({ clock }),
    destroy: (journal) => journal.close(),
    options: { clock },
    optOuts: { durability: durabilityOptOut },
  });
});

describe('InMemoryJournal on the system clock', () => {
  journalContract({
    test,
    create: () => new InMemoryJournal(),
    destroy: (journal) => journal.close(),
    options: { clock: undefined },
    optOuts: { durability: durabilityOptOut },
  });
});

/** A journal object that is not the instance itself but acts on it, as a new connection would. */
function delegateTo(journal: InMemoryJournal): JournalV1 {
  return {
    specificationVersion: 'v1',
    name: journal.name,
    open: () => journal.open(),
    close: () => journal.close(),
    schemaVersion: () => journal.schemaVersion(),
    get: (collection, key) => journal.get(collection, key),
    getMany: (collection, keys) => journal.getMany(collection, keys),
    list: (collection, options) => journal.list(collection, options),
    count: (collection, options) => journal.count(collection, options),
    write: (batch) => journal.write(batch),
    claim: (options) => journal.claim(options),
    claimOutbox: (options) => journal.claimOutbox(options),
    acknowledgeOutbox: (input) => journal.acknowledgeOutbox(input),
    releaseOutbox: (input) => journal.releaseOutbox(input),
    pendingOutboxCount: (options) => journal.pendingOutboxCount(options),
  };
}

describe('the durability suite, reopening the same in-memory instance', () => {
  const clock = new ManualClock();
  runContract(
    'JournalV1 reopened in place',
    { durability: journalDurabilitySuite },
    {
      test,
      create: () => new InMemoryJournal({ clock }),
      destroy: (journal) => journal.close(),
      options: {
        clock,
        reopen: async (journal) => {
          await journal.close();
          await journal.open();
          return journal;
        },
      },
    },
  );
  runContract(
    'JournalV1 reopened through another object',
    { durability: journalDurabilitySuite },
    {
      test,
      create: () => new InMemoryJournal({ clock }),
      options: {
        clock,
        reopen: async (journal) => {
          if (!(journal instanceof InMemoryJournal)) throw new TypeError('expected an InMemoryJournal');
          await journal.close();
          const reopened = delegateTo(journal);
          await reopened.open();
          return reopened;
        },
      },
    },
  );
});

test('the durability suite without options.reopen fails each case with a TypeError saying what to pass', async () => {
  const bodies: (() => Promise<unknown>)[] = [];
  const recordingTest = ((_name: string, body: () => Promise<unknown>) => {
    bodies.push(body);
  }) as unknown as ContractTest;
  journalDurabilitySuite({ test: recordingTest, create: () => new InMemoryJournal(), options: { clock: undefined } });
  expect(bodies).toHaveLength(4);
  for (const body of bodies) {
    await expect(body()).rejects.toThrow(
      new TypeError("journalContract: the 'durability' suite needs options.reopen(subject); pass it or opt out with a reason."),
    );
  }
});

/** Captures the error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** An opened journal on a manual clock. */
async function openJournal(clock = new ManualClock(0)): Promise<InMemoryJournal> {
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  return journal;
}

describe('InMemoryJournal', () => {
  test('is a v1 journal named memory', () => {
    const journal = new InMemoryJournal();
    expect(journal.specificationVersion).toBe('v1');
    expect(journal.name).toBe('memory');
  });

  test('every operation before open throws JOURNAL_CLOSED telling to call open()', async () => {
    const journal = new InMemoryJournal();
    const operations: [string, () => Promise<unknown>][] = [
      ['schemaVersion', () => journal.schemaVersion()],
      ['get', () => journal.get('payments', 'p1')],
      ['getMany', () => journal.getMany('payments', ['p1'])],
      ['list', () => journal.list('payments', { limit: 1 })],
      ['count', () => journal.count('payments')],
      ['write', () => journal.write({})],
      ['claim', () => journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 1, limit: 1 })],
      ['claimOutbox', () => journal.claimOutbox({ owner: 'a', leaseMs: 1, limit: 1 })],
      ['acknowledgeOutbox', () => journal.acknowledgeOutbox({ sequences: [1], owner: 'a' })],
      ['releaseOutbox', () => journal.releaseOutbox({ sequence: 1, owner: 'a', availableAt: 0 })],
      ['pendingOutboxCount', () => journal.pendingOutboxCount()],
    ];
    for (const [operation, call] of operations) {
      const error = await rejectionOf(call());
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'JOURNAL_CLOSED',
        isRetryable: false,
        message: `In-memory journal has not been opened: call open() before ${operation}().`,
      });
    }
  });

  test('after close every operation throws JOURNAL_CLOSED; open() reopens with the data intact', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '"kept"', expectedVersion: 0 }], outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }] });
    await journal.close();
    await journal.close();
    await expect(journal.get('payments', 'p1')).rejects.toThrow('In-memory journal has been closed: call open() before get().');
    await expect(journal.write({})).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
    await journal.open();
    expect(await journal.get('payments', 'p1')).toMatchObject({ value: '"kept"', version: 1 });
    expect(await journal.pendingOutboxCount()).toBe(1);
    expect(await journal.schemaVersion()).toBe(1);
  });

  test('close before open is allowed and leaves the journal closed', async () => {
    const journal = new InMemoryJournal();
    await journal.close();
    await expect(journal.count('payments')).rejects.toThrow('has been closed');
  });

  test('defaults to the system clock', async () => {
    const journal = new InMemoryJournal();
    await journal.open();
    const before = Date.now();
    const { records } = await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    expect(records[0]?.updatedAt).toBeGreaterThanOrEqual(before);
    expect(records[0]?.updatedAt).toBeLessThanOrEqual(Date.now());
  });

  test('stamps updatedAt, enqueuedAt and lease expiries from its clock', async () => {
    const clock = new ManualClock(5_000);
    const journal = await openJournal(clock);
    const { records } = await journal.write({
      puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }],
      outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }],
    });
    expect(records[0]?.updatedAt).toBe(5_000);
    await clock.advance(250);
    const [claimed] = await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 1_000, limit: 1 });
    expect(claimed).toMatchObject({ updatedAt: 5_000, lease: { owner: 'a', expiresAt: 6_250 } });
    const [message] = await journal.claimOutbox({ owner: 'a', leaseMs: 2_000, limit: 1 });
    expect(message).toMatchObject({ enqueuedAt: 5_000, availableAt: 5_000, lease: { owner: 'a', expiresAt: 7_250 } });
  });

  test('a lease is expired from its expiresAt on, exactly', async () => {
    const clock = new ManualClock(0);
    const journal = await openJournal(clock);
    await journal.write({
      puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }],
      outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }],
    });
    const claimRecord = (owner: string) => journal.claim({ collection: 'payments', index: 'pending', owner, leaseMs: 100, limit: 1 });
    const claimMessage = (owner: string) => journal.claimOutbox({ owner, leaseMs: 100, limit: 1 });
    await claimRecord('a');
    await claimMessage('a');
    await clock.advance(99);
    expect(await claimRecord('b')).toEqual([]);
    expect(await claimMessage('b')).toEqual([]);
    await clock.advance(1);
    expect(await claimRecord('b')).toHaveLength(1);
    expect(await claimMessage('b')).toHaveLength(1);
  });

  test('a back-off ends exactly at availableAt', async () => {
    const clock = new ManualClock(0);
    const journal = await openJournal(clock);
    const { outboxSequences } = await journal.write({ outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }] });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    await journal.releaseOutbox({ sequence: outboxSequences[0]!, owner: 'a', availableAt: 50 });
    await clock.advance(49);
    expect(await journal.claimOutbox({ owner: 'b', leaseMs: 100, limit: 1 })).toEqual([]);
    await clock.advance(1);
    expect(await journal.claimOutbox({ owner: 'b', leaseMs: 100, limit: 1 })).toHaveLength(1);
  });

  test('records, messages and results handed out are frozen, leases included', async () => {
    const journal = await openJournal();
    const result = await journal.write({
      puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }],
      outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }],
    });
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.records)).toBe(true);
    expect(Object.isFrozen(result.outboxSequences)).toBe(true);
    const [claimed] = await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit: 1 });
    expect(Object.isFrozen(claimed)).toBe(true);
    expect(Object.isFrozen(claimed?.lease)).toBe(true);
    const [message] = await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    expect(Object.isFrozen(message)).toBe(true);
    expect(Object.isFrozen(message?.lease)).toBe(true);
    expect(Object.isFrozen(await journal.list('payments', { limit: 1 }))).toBe(true);
    expect(Object.isFrozen(await journal.getMany('payments', ['p1']))).toBe(true);
    expect(Object.isFrozen(await journal.acknowledgeOutbox({ sequences: [1], owner: 'a' }))).toBe(true);
    expect(() => {
      (claimed as { value: string }).value = 'changed';
    }).toThrow(TypeError);
  });

  test('getMany returns records in the order of the keys, each once', async () => {
    const journal = await openJournal();
    await journal.write({ puts: ['a', 'b', 'c'].map((key) => ({ collection: 'payments', key, value: '{}', expectedVersion: 0 as const })) });
    const records = await journal.getMany('payments', ['c', 'a', 'missing', 'c', 'b', 'a']);
    expect(records.map((record) => record.key)).toEqual(['c', 'a', 'b']);
  });

  test('orders keys by code point, astral characters after U+E000..U+FFFF', async () => {
    const journal = await openJournal();
    const ordered = ['\u0000', 'Z', 'z', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{1f600}a'];
    await journal.write({ puts: [...ordered].reverse().map((key) => ({ collection: 'keys', key, value: '{}', expectedVersion: 0 as const })) });
    expect((await journal.list('keys', { limit: 100 })).map((record) => record.key)).toEqual(ordered);
  });

  test('claims with equal updatedAt in key order', async () => {
    const journal = await openJournal();
    await journal.write({ puts: ['\u{1f600}', '\ue000', 'b', 'a'].map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 as const })) });
    const claimed = await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit: 10 });
    expect(claimed.map((record) => record.key)).toEqual(['a', 'b', '\ue000', '\u{1f600}']);
    expect(await journal.claim({ collection: 'absent', index: 'pending', owner: 'a', leaseMs: 100, limit: 10 })).toEqual([]);
  });

  test('a batch naming a record twice is a TypeError and applies nothing', async () => {
    const journal = await openJournal();
    const twice = await rejectionOf(
      journal.write({
        puts: [
          { collection: 'payments', key: 'p1', value: '"one"', expectedVersion: 0 },
          { collection: 'payments', key: 'p1', value: '"two"', expectedVersion: 'any' },
        ],
        outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }],
      }),
    );
    expect(twice).toEqual(new TypeError("Journal batch names record 'payments/p1' more than once; a batch may put or delete each record once."));
    const putAndDelete = await rejectionOf(
      journal.write({
        puts: [{ collection: 'payments', key: 'p1', value: '"one"', expectedVersion: 0 }],
        deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 'any' }],
      }),
    );
    expect(putAndDelete).toBeInstanceOf(TypeError);
    expect(await journal.count('payments')).toBe(0);
    expect(await journal.pendingOutboxCount()).toBe(0);
    // Keys that only look alike are different records.
    await journal.write({
      puts: [
        { collection: 'a/b', key: 'c', value: '{}', expectedVersion: 0 },
        { collection: 'a', key: 'b/c', value: '{}', expectedVersion: 0 },
      ],
    });
    expect(await journal.count('a/b')).toBe(1);
    expect(await journal.count('a')).toBe(1);
  });

  test('rejects an expected version that is not any or an integer >= 0', async () => {
    const journal = await openJournal();
    for (const expectedVersion of [-1, 1.5, Number.NaN]) {
      const error = await rejectionOf(journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion }] }));
      expect(error).toEqual(
        new TypeError(`Journal write of 'payments/p1': 'expectedVersion' must be 'any' or an integer >= 0 (0 = must not exist), got ${expectedVersion}.`),
      );
    }
    const deleteError = await rejectionOf(journal.write({ deletes: [{ collection: 'payments', key: 'p1', expectedVersion: -2 }] }));
    expect(deleteError).toBeInstanceOf(TypeError);
  });

  test('reports the first conflicting record, puts before deletes', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    const error = await rejectionOf(
      journal.write({
        puts: [
          { collection: 'payments', key: 'p2', value: '{}', expectedVersion: 4 },
          { collection: 'payments', key: 'p3', value: '{}', expectedVersion: 5 },
        ],
        deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 9 }],
      }),
    );
    expect(VersionConflictError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ key: 'p2', expectedVersion: 4, actualVersion: undefined });
  });

  test('claim and claimOutbox validate limit and leaseMs', async () => {
    const journal = await openJournal();
    for (const limit of [0, 10_001, 2.5]) {
      await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit })).rejects.toThrow(
        new TypeError(`Journal claim: 'limit' must be an integer from 1 to 10000, got ${limit}.`),
      );
      await expect(journal.claimOutbox({ owner: 'a', leaseMs: 100, limit })).rejects.toThrow(
        new TypeError(`Journal claimOutbox: 'limit' must be an integer from 1 to 10000, got ${limit}.`),
      );
    }
    for (const leaseMs of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
      await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs, limit: 1 })).rejects.toThrow(
        new TypeError(`Journal claim: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`),
      );
      await expect(journal.claimOutbox({ owner: 'a', leaseMs, limit: 1 })).rejects.toThrow(
        new TypeError(`Journal claimOutbox: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`),
      );
    }
    await expect(journal.list('payments', { limit: 0 })).rejects.toThrow(new TypeError("Journal list: 'limit' must be an integer from 1 to 10000, got 0."));
  });

  test('releaseOutbox rejects a non-finite availableAt, ignores unknown sequences and keeps the last error when none is given', async () => {
    const clock = new ManualClock(0);
    const journal = await openJournal(clock);
    const { outboxSequences } = await journal.write({ outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }] });
    const sequence = outboxSequences[0]!;
    await expect(journal.releaseOutbox({ sequence, owner: 'a', availableAt: Number.NaN })).rejects.toThrow(
      new TypeError("Journal releaseOutbox: 'availableAt' must be finite epoch milliseconds, got NaN."),
    );
    await journal.releaseOutbox({ sequence: 999, owner: 'a', availableAt: 0 });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    await journal.releaseOutbox({ sequence, owner: 'a', availableAt: 0, error: 'first failure' });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    await journal.releaseOutbox({ sequence, owner: 'a', availableAt: 0 });
    const [message] = await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    expect(message).toMatchObject({ attempts: 3, lastError: 'first failure' });
  });

  test('an unclaimed message cannot be released', async () => {
    const journal = await openJournal();
    const { outboxSequences } = await journal.write({ outbox: [{ topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' }] });
    await journal.releaseOutbox({ sequence: outboxSequences[0]!, owner: 'a', availableAt: 1_000_000, error: 'ignored' });
    const [message] = await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    expect(message).toMatchObject({ availableAt: 0, lastError: undefined, attempts: 1 });
  });

  test('acknowledge reports each sequence once, in the order given', async () => {
    const journal = await openJournal();
    const { outboxSequences } = await journal.write({
      outbox: ['m1', 'm2'].map((name) => ({ topic: 't', orderingKey: name, deduplicationId: name, payload: '{}' })),
    });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 10 });
    const [first, second] = outboxSequences as [number, number];
    expect((await journal.acknowledgeOutbox({ sequences: [second, first, second], owner: 'a' })).acknowledged).toEqual([second, first]);
  });
});

/** Broken: writes every put and delete unconditionally. */
class CompareAndSetIgnoringJournal extends InMemoryJournal {
  override write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    return super.write({
      puts: batch.puts?.map((operation) => ({ ...operation, expectedVersion: 'any' as const })),
      deletes: batch.deletes?.map((operation) => ({ ...operation, expectedVersion: 'any' as const })),
      outbox: batch.outbox,
    });
  }
}

/** Broken: applies a batch one operation at a time, so a conflict leaves the earlier ones applied. */
class NonAtomicJournal extends InMemoryJournal {
  override async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    const records: JournalRecord[] = [];
    for (const operation of batch.puts ?? []) records.push(...(await super.write({ puts: [operation] })).records);
    for (const operation of batch.deletes ?? []) await super.write({ deletes: [operation] });
    const { outboxSequences } = await super.write({ outbox: batch.outbox });
    return { records, outboxSequences };
  }
}

/** Broken: every claimant is treated as the record lease holder, and outbox leases are dropped at once. */
class LeaseIgnoringJournal extends InMemoryJournal {
  override claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]> {
    return super.claim({ ...options, owner: 'everyone' });
  }

  override async claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]> {
    const claimed = await super.claimOutbox(options);
    for (const message of claimed) await super.releaseOutbox({ sequence: message.sequence, owner: options.owner, availableAt: 0 });
    return claimed;
  }
}

/** Broken: lists every undelivered message, whatever the attempts and topics asked for. */
class FilterIgnoringJournal extends InMemoryJournal {
  override listPendingOutbox(query: PendingOutboxQuery): Promise<readonly OutboxMessage[]> {
    return super.listPendingOutbox({ limit: query.limit, afterSequence: query.afterSequence });
  }
}

/** Broken: takes the messages it lists (a claim instead of a read). */
class ClaimingListJournal extends InMemoryJournal {
  override async listPendingOutbox(query: PendingOutboxQuery): Promise<readonly OutboxMessage[]> {
    await this.claimOutbox({ owner: 'inspector', leaseMs: 60_000, limit: query.limit });
    return super.listPendingOutbox(query);
  }
}

describe('the journal contract catches broken journals', () => {
  const clock = new ManualClock();
  const options: JournalContractOptions = { clock };

  test('a journal that ignores expected versions fails every conflict case', async () => {
    const failed = await failingCases(journalCompareAndSetSuite, () => new CompareAndSetIgnoringJournal({ clock }), options);
    expect(failed).toEqual([
      'expected version 0 creates only when the record is absent',
      'a matching version writes; a stale one fails naming the record and both versions',
      'a version expected of an absent record fails with the actual version absent',
      'the conflict is a retryable VersionConflictError with code JOURNAL_VERSION_CONFLICT',
      'delete with the matching version deletes; with a stale version it fails and keeps the record',
      'delete with a version of an absent record fails; with 0 it is a no-op',
      'twenty concurrent writers expecting the same version: exactly one wins',
      'twenty concurrent read-modify-write loops lose no update',
    ]);
    expect(await failingCases(journalClaimsSuite, () => new CompareAndSetIgnoringJournal({ clock }), options)).toEqual([
      'fencing: after a takeover the previous owner loses its compare-and-set',
    ]);
  });

  test('a journal that applies batches piecemeal fails the atomicity cases', async () => {
    const failed = await failingCases(journalAtomicBatchesSuite, () => new NonAtomicJournal({ clock }), options);
    expect(failed).toEqual([
      'a batch with one stale put applies nothing: puts, deletes and outbox untouched',
      'a batch with one stale delete applies nothing: puts, deletes and outbox untouched',
      'of two concurrent batches moving the same record from one version, exactly one commits, outbox included',
    ]);
  });

  test('a journal whose leases exclude nobody fails the exclusivity cases', async () => {
    const failed = await failingCases(journalClaimsSuite, () => new LeaseIgnoringJournal({ clock }), options);
    expect(failed).toEqual([
      'a claim leases the matching records, bumps their version and keeps their value and updatedAt',
      'hands out the oldest updatedAt first, then key order, and respects the limit',
      'a leased record is not claimed by another owner, and is claimed again by its owner',
      'concurrent claimers never receive the same record',
      'two owners racing for 50 records in one go get disjoint sets',
      'an expired lease is taken over by another owner',
      'a put clears the lease, so the record can be claimed again at once',
    ]);
    const outboxFailures = await failingCases(journalOutboxSuite, () => new LeaseIgnoringJournal({ clock }), options);
    expect(outboxFailures).toEqual([
      'a known deduplication id is ignored and reports the existing sequence, also after delivery',
      'messages with the same ordering key are handed out one at a time, in enqueue order',
      'an earlier message that is backing off still blocks later messages of its ordering key',
      'a released message comes back after its back-off with its error and one more attempt',
      'attempts count every claim, including takeovers of expired leases',
      'only the lease owner can acknowledge; other acknowledgements are ignored and left out of the report',
      'a release by anyone but the lease owner does not free the message',
      'claimOutbox respects its limit, oldest first',
      'pendingOutboxCount counts undelivered messages, leased or not',
      'concurrent outbox claimers never receive the same message',
    ]);
  });

  test('a journal whose outbox listing ignores its filters, or claims what it lists, fails the inspection cases', async () => {
    expect(await failingCases(journalOutboxInspectionSuite, () => new FilterIgnoringJournal({ clock }), options)).toEqual([
      'filters by minimum attempts and topics, and pages by sequence',
      // It never sees minimumAttempts, so it cannot refuse a bad one either.
      'refuses a limit outside 1-1,000 and a negative or fractional minimumAttempts or afterSequence',
    ]);
    expect(await failingCases(journalOutboxInspectionSuite, () => new ClaimingListJournal({ clock }), options)).toEqual([
      'lists undelivered messages lowest sequence first, leased, backed off or available, with attempts and last error; never delivered ones',
      'filters by minimum attempts and topics, and pages by sequence',
      'reads only: listing claims, leases and changes nothing',
    ]);
  });
});
