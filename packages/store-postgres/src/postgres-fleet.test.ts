import { type JournalRecord, type JournalV1, type OutboxMessage, VersionConflictError } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import { usePostgresTestServer } from './__fixtures__/postgres-test-server.js';
import { advisoryLockKey } from './advisory-lock-keys.js';
import { maximumOrderingKeyLocks } from './postgres-outbox.js';
import { createPostgresJournal, type PostgresJournal } from './postgres-journal.js';

const database = usePostgresTestServer();
const opened: PostgresJournal[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((journal) => journal.close()));
});

/** `count` journals on one schema, each with its own pool: separate processes as far as PostgreSQL can tell. */
async function fleet(count: number, options: { schema?: string; clock?: ManualClock; poolSize?: number } = {}): Promise<PostgresJournal[]> {
  const schema = options.schema ?? database.freshSchema();
  const journals = Array.from({ length: count }, () =>
    createPostgresJournal({ connectionString: database.connectionString(), schema, clock: options.clock, poolSize: options.poolSize ?? 4 }),
  );
  opened.push(...journals);
  await Promise.all(journals.map((journal) => journal.open()));
  return journals;
}

/** Settles after `milliseconds` with `'pending'`, to show that a promise is still waiting. */
async function stillPending(promise: Promise<unknown>, milliseconds = 300): Promise<boolean> {
  const marker = Symbol('pending');
  const outcome = await Promise.race([promise.then(() => 'settled', () => 'settled'), sleepFor(milliseconds).then(() => marker)]);
  return outcome === marker;
}

const pendingKeys = Array.from({ length: 300 }, (_, position) => `payment-${String(position).padStart(3, '0')}`);

async function seedPending(journal: JournalV1): Promise<void> {
  await journal.write({ puts: pendingKeys.map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 as const })) });
}

describe('PostgreSQL journal shared by a fleet', () => {
  test('three processes racing claim over 300 records get disjoint sets that cover every record once', async () => {
    const workers = await fleet(3);
    await seedPending(workers[0]!);
    const claimedBy = new Map<string, string[]>();
    // A new owner id per round: an owner gets its own unexpired leases back, by contract.
    for (let round = 0; round < 100; round += 1) {
      const batches = await Promise.all(
        workers.map((journal, worker) =>
          journal.claim({ collection: 'payments', index: 'pending', owner: `worker-${worker}-${round}`, leaseMs: 600_000, limit: 9 }),
        ),
      );
      if (batches.every((batch) => batch.length === 0)) break;
      batches.forEach((batch, worker) => {
        for (const record of batch) claimedBy.set(record.key, [...(claimedBy.get(record.key) ?? []), `worker-${worker}-${round}`]);
      });
    }
    expect([...claimedBy.keys()].sort()).toEqual(pendingKeys);
    expect([...claimedBy.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    const stored = await workers[1]!.list('payments', { limit: 1_000 });
    for (const record of stored) {
      expect(record.lease?.owner).toBe(claimedBy.get(record.key)?.[0]);
      expect(record.version).toBe(2);
    }
  });

  test('three processes claiming 300 records in one go each never share a record', async () => {
    const workers = await fleet(3);
    await seedPending(workers[0]!);
    const batches = await Promise.all(
      workers.map((journal, worker) => journal.claim({ collection: 'payments', index: 'pending', owner: `worker-${worker}`, leaseMs: 600_000, limit: 300 })),
    );
    const keys = batches.flatMap((batch) => batch.map((record) => record.key));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThan(0);
  });

  test('three processes draining 300 outbox messages: each delivered once, one at a time per ordering key, in enqueue order', async () => {
    const workers = await fleet(3);
    const messages = Array.from({ length: 300 }, (_, position) => ({
      topic: position % 2 === 0 ? 'platform.order-update' : 'events.token-recollection',
      orderingKey: `order-${position % 60}`,
      deduplicationId: `message-${position}`,
      payload: JSON.stringify({ position }),
    }));
    const sequences = [...(await workers[0]!.write({ outbox: messages.slice(0, 150) })).outboxSequences, ...(await workers[1]!.write({ outbox: messages.slice(150) })).outboxSequences];
    const inFlight = new Map<string, number>();
    const deliveredByKey = new Map<string, number[]>();
    const claimCounts = new Map<number, number>();
    const violations: string[] = [];
    const drain = async (journal: JournalV1, owner: string): Promise<void> => {
      for (let idle = 0; idle < 5; ) {
        const claimed: readonly OutboxMessage[] = await journal.claimOutbox({ owner, leaseMs: 600_000, limit: 7 });
        if (claimed.length === 0) {
          idle += 1;
          await sleepFor(5);
          continue;
        }
        idle = 0;
        for (const message of claimed) {
          if (inFlight.has(message.orderingKey)) violations.push(`${message.orderingKey}: ${message.sequence} while ${inFlight.get(message.orderingKey)} in flight`);
          inFlight.set(message.orderingKey, message.sequence);
          claimCounts.set(message.sequence, (claimCounts.get(message.sequence) ?? 0) + 1);
        }
        await sleepFor(1);
        for (const message of claimed) {
          inFlight.delete(message.orderingKey);
          deliveredByKey.set(message.orderingKey, [...(deliveredByKey.get(message.orderingKey) ?? []), message.sequence]);
        }
        const { acknowledged } = await journal.acknowledgeOutbox({ sequences: claimed.map((message) => message.sequence), owner });
        expect(acknowledged).toEqual(claimed.map((message) => message.sequence));
      }
    };
    await Promise.all(workers.map((journal, worker) => drain(journal, `worker-${worker}`)));
    expect(violations).toEqual([]);
    expect([...claimCounts.keys()].sort((left, right) => left - right)).toEqual(sequences);
    expect([...claimCounts.values()].every((count) => count === 1)).toBe(true);
    for (const [, delivered] of deliveredByKey) expect(delivered).toEqual([...delivered].sort((left, right) => left - right));
    expect(await workers[2]!.pendingOutboxCount()).toBe(0);
  });

  test('an expired lease is taken over by another process, and the previous holder loses its compare-and-set and its acknowledgement', async () => {
    const clock = new ManualClock();
    const [first, second] = await fleet(2, { clock });
    await first!.write({
      puts: [{ collection: 'payments', key: 'p1', value: '"pending"', index: 'pending', expectedVersion: 0 }],
      outbox: [{ topic: 't', orderingKey: 'o1', deduplicationId: 'd1', payload: '{}' }],
    });
    const [heldByFirst] = await first!.claim({ collection: 'payments', index: 'pending', owner: 'worker-a', leaseMs: 1_000, limit: 10 });
    const [messageForFirst] = await first!.claimOutbox({ owner: 'worker-a', leaseMs: 1_000, limit: 10 });
    expect(await second!.claim({ collection: 'payments', index: 'pending', owner: 'worker-b', leaseMs: 1_000, limit: 10 })).toEqual([]);
    expect(await second!.claimOutbox({ owner: 'worker-b', leaseMs: 1_000, limit: 10 })).toEqual([]);
    await clock.advance(999);
    expect(await second!.claim({ collection: 'payments', index: 'pending', owner: 'worker-b', leaseMs: 1_000, limit: 10 })).toEqual([]);
    await clock.advance(1);
    const [heldBySecond] = await second!.claim({ collection: 'payments', index: 'pending', owner: 'worker-b', leaseMs: 1_000, limit: 10 });
    const [messageForSecond] = await second!.claimOutbox({ owner: 'worker-b', leaseMs: 1_000, limit: 10 });
    expect(heldBySecond).toMatchObject({ key: 'p1', version: heldByFirst!.version + 1, lease: { owner: 'worker-b', expiresAt: clock.now() + 1_000 } });
    expect(messageForSecond).toMatchObject({ sequence: messageForFirst!.sequence, attempts: 2, lease: { owner: 'worker-b' } });

    const error = await first!
      .write({ puts: [{ collection: 'payments', key: 'p1', value: '"done by a"', index: 'done', expectedVersion: heldByFirst!.version }] })
      .catch((caught: unknown) => caught);
    expect(VersionConflictError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ expectedVersion: heldByFirst!.version, actualVersion: heldBySecond!.version });
    expect((await first!.acknowledgeOutbox({ sequences: [messageForFirst!.sequence], owner: 'worker-a' })).acknowledged).toEqual([]);
    await first!.releaseOutbox({ sequence: messageForFirst!.sequence, owner: 'worker-a', availableAt: 0, error: 'too late' });
    expect((await second!.acknowledgeOutbox({ sequences: [messageForSecond!.sequence], owner: 'worker-b' })).acknowledged).toEqual([messageForSecond!.sequence]);
    await second!.write({ puts: [{ collection: 'payments', key: 'p1', value: '"done by b"', index: 'done', expectedVersion: heldBySecond!.version }] });
    expect(await first!.get('payments', 'p1')).toMatchObject({ value: '"done by b"', version: heldBySecond!.version + 1, lease: undefined });
  });

  test('ten processes creating the same record at once: exactly one wins, the others get VersionConflictError and apply nothing', async () => {
    const creators = await fleet(10, { poolSize: 1 });
    const outcomes = await Promise.allSettled(
      creators.map((journal, creator) =>
        journal.write({
          puts: [
            { collection: 'payments', key: `side-${creator}`, value: '{}', expectedVersion: 0 },
            { collection: 'payments', key: 'contested', value: JSON.stringify({ creator }), expectedVersion: 0 },
          ],
          outbox: [{ topic: 't', orderingKey: `creator-${creator}`, deduplicationId: `created-by-${creator}`, payload: '{}' }],
        }),
      ),
    );
    const winners = outcomes.flatMap((outcome, creator) => (outcome.status === 'fulfilled' ? [creator] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        expect(VersionConflictError.isInstance(outcome.reason), String(outcome.reason)).toBe(true);
        expect(outcome.reason).toMatchObject({ collection: 'payments', key: 'contested', expectedVersion: 0, actualVersion: 1 });
      }
    }
    expect(await creators[0]!.get('payments', 'contested')).toMatchObject({ version: 1, value: JSON.stringify({ creator: winners[0] }) });
    expect((await creators[0]!.list('payments', { limit: 100 })).map((record: JournalRecord) => record.key)).toEqual(['contested', `side-${winners[0]}`]);
    expect(await creators[0]!.pendingOutboxCount()).toBe(1);
  });

  test('a creation that waits on an uncommitted insert of the same key becomes a VersionConflictError, not a unique violation', async () => {
    const schema = database.freshSchema();
    const [journal] = await fleet(1, { schema });
    const other = await database.administration().connect();
    try {
      await other.query('BEGIN');
      await other.query(`INSERT INTO "${schema}".records (collection, key, version, value, updated_at) VALUES ('payments', 'racy', 1, '"other"', 0)`);
      const creation = journal!.write({
        puts: [
          { collection: 'payments', key: 'mine', value: '{}', expectedVersion: 0 },
          { collection: 'payments', key: 'racy', value: '"mine"', expectedVersion: 0 },
        ],
      });
      expect(await stillPending(creation)).toBe(true);
      await other.query('COMMIT');
      const error = await creation.catch((caught: unknown) => caught);
      expect(VersionConflictError.isInstance(error), String(error)).toBe(true);
      expect(error).toMatchObject({ key: 'racy', expectedVersion: 0, actualVersion: 1 });
      expect(await journal!.get('payments', 'mine')).toBeUndefined();
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });

  test('an unconditional put that waits on an uncommitted insert of the same key writes the next version', async () => {
    const schema = database.freshSchema();
    const [journal] = await fleet(1, { schema });
    const other = await database.administration().connect();
    try {
      await other.query('BEGIN');
      await other.query(`INSERT INTO "${schema}".records (collection, key, version, value, updated_at, lease_owner, lease_expires_at) VALUES ('payments', 'racy', 1, '"other"', 0, 'w', 9)`);
      const overwrite = journal!.write({ puts: [{ collection: 'payments', key: 'racy', value: '"mine"', index: 'done', expectedVersion: 'any' }] });
      expect(await stillPending(overwrite)).toBe(true);
      await other.query('COMMIT');
      expect((await overwrite).records).toMatchObject([{ key: 'racy', version: 2, value: '"mine"', index: 'done', lease: undefined }]);
      expect(await journal!.get('payments', 'racy')).toMatchObject({ version: 2, value: '"mine"', index: 'done', lease: undefined });
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });

  test('enqueueing waits for a transaction holding the same ordering key, so sequences of a key follow commit order', async () => {
    const schema = database.freshSchema();
    const [journal] = await fleet(1, { schema });
    const other = await database.administration().connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey(`paymigrate.journal.outbox-ordering-key:${schema}:order-1`)]);
      const sameKey = journal!.write({ outbox: [{ topic: 't', orderingKey: 'order-1', deduplicationId: 'd1', payload: '{}' }] });
      const otherKey = journal!.write({ outbox: [{ topic: 't', orderingKey: 'order-2', deduplicationId: 'd2', payload: '{}' }] });
      expect((await otherKey).outboxSequences).toHaveLength(1);
      expect(await stillPending(sameKey)).toBe(true);
      await other.query('COMMIT');
      expect((await sameKey).outboxSequences).toHaveLength(1);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });

  test(`a batch with more than ${maximumOrderingKeyLocks} ordering keys takes the enqueue lock exclusively instead of one lock per key`, async () => {
    const schema = database.freshSchema();
    const [journal] = await fleet(1, { schema });
    const many = Array.from({ length: maximumOrderingKeyLocks + 1 }, (_, position) => ({ topic: 't', orderingKey: `order-${position}`, deduplicationId: `d-${position}`, payload: '{}' }));
    const other = await database.administration().connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock_shared($1::bigint)', [advisoryLockKey(`paymigrate.journal.outbox-enqueue:${schema}`)]);
      const few = journal!.write({ outbox: many.slice(0, maximumOrderingKeyLocks) });
      expect((await few).outboxSequences).toHaveLength(maximumOrderingKeyLocks);
      const large = journal!.write({ outbox: many.map((message) => ({ ...message, deduplicationId: `large-${message.deduplicationId}` })) });
      expect(await stillPending(large)).toBe(true);
      await other.query('COMMIT');
      const sequences = (await large).outboxSequences;
      expect(sequences).toEqual([...sequences].sort((left, right) => left - right));
      expect(new Set(sequences).size).toBe(many.length);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });

  test('a batch chosen as a deadlock victim is run again and commits', async () => {
    const schema = database.freshSchema();
    const [journal] = await fleet(1, { schema });
    await journal!.write({
      puts: ['r1', 'r2'].map((key) => ({ collection: 'payments', key, value: '"seed"', expectedVersion: 0 as const })),
    });
    const other = await database.administration().connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM "${schema}".records WHERE key = 'r2' FOR UPDATE`);
      // The batch locks r1, then waits for r2; its wait starts first, so after deadlock_timeout its
      // own backend finds the cycle and rolls the batch back; the retry then waits for us to commit.
      const batch = journal!.write({
        puts: ['r1', 'r2'].map((key) => ({ collection: 'payments', key, value: '"batch"', expectedVersion: 'any' as const })),
      });
      expect(await stillPending(batch, 200)).toBe(true);
      await other.query(`SELECT 1 FROM "${schema}".records WHERE key = 'r1' FOR UPDATE`);
      await other.query(`UPDATE "${schema}".records SET value = '"other"', version = version + 1`);
      await other.query('COMMIT');
      const result = await batch;
      expect(result.records.map((record) => [record.key, record.version])).toEqual([
        ['r1', 3],
        ['r2', 3],
      ]);
      expect((await journal!.getMany('payments', ['r1', 'r2'])).map((record) => record.value)).toEqual(['"batch"', '"batch"']);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
  });
});
