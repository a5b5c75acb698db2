import { type OutboxMessageInput, PaymigrateError } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';
import { applySqliteMigrations } from './sqlite-migrations.js';
import { prepareSqliteStatements } from './sqlite-statements.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-pending-outbox-');
afterAll(() => directory.remove());

/** An opened journal on a fresh temporary file (or `filename`) and a manual clock. */
async function openJournal(filename = directory.file()): Promise<SqliteJournal> {
  const journal = new SqliteJournal({ filename, clock: new ManualClock(0) });
  await journal.open();
  return journal;
}

/** Captures the error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** A message named `name` (its deduplication id and ordering key), of `topic`. */
function message(name: string, topic = 'platform.order-update'): OutboxMessageInput {
  return { topic, orderingKey: `order-${name}`, deduplicationId: name, payload: JSON.stringify({ name }) };
}

/** The `detail` lines of `EXPLAIN QUERY PLAN` for the statement `sql` with `parameters`. */
function queryPlan(database: Database.Database, sql: string, parameters: Record<string, unknown>): string[] {
  return database
    .prepare<[Record<string, unknown>], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(parameters)
    .map((row) => row.detail);
}

describe('SqliteJournal listPendingOutbox', () => {
  test('walks the partial index of undelivered messages in sequence order, without a sort, with or without topics, statistics or not', () => {
    const database = new Database(':memory:');
    try {
      applySqliteMigrations(database, { now: () => 0 });
      const statements = prepareSqliteStatements(database);
      const parameters = { afterSequence: 0, minimumAttempts: 0, limit: 10 };
      const plans = () => [
        queryPlan(database, statements.listPendingMessages.source, parameters),
        queryPlan(database, statements.listPendingMessagesOfTopics.source, { ...parameters, topics: '["platform.order-update"]' }),
      ];
      const expectIndexWalk = (plan: string[]) => {
        expect(plan[0]).toBe('SEARCH candidate USING INDEX outbox_pending (sequence>?)');
        expect(plan.filter((detail) => /TEMP B-TREE|SCAN candidate|INTEGER PRIMARY KEY/.test(detail))).toEqual([]);
      };
      for (const plan of plans()) expectIndexWalk(plan);
      // Statistics of a file whose messages are nearly all delivered, and of one topic, change nothing.
      const insert = database.prepare<[string, string, string, number | null]>(
        `INSERT INTO outbox (topic, ordering_key, deduplication_id, payload, enqueued_at, available_at, delivered_at) VALUES (?, ?, ?, '{}', 0, 0, ?)`,
      );
      database.transaction(() => {
        for (let position = 0; position < 2_000; position += 1) insert.run(position % 50 === 0 ? 'rare' : 'common', `k${position}`, `d${position}`, position < 1_900 ? 1 : null);
      })();
      database.exec('ANALYZE');
      for (const plan of plans()) expectIndexWalk(plan);
    } finally {
      database.close();
    }
  });

  test('a read-only journal lists what a writer enqueued, leases, attempts and errors included, while the writer is open', async () => {
    const filename = directory.file('readonly');
    const writer = await openJournal(filename);
    const { outboxSequences } = await writer.write({ outbox: [message('m1'), message('m2', 'events.token-recollection'), message('m3')] });
    const [m1, m2, m3] = outboxSequences as [number, number, number];
    const claimed = await writer.claimOutbox({ owner: 'worker-a', leaseMs: 60_000, limit: 2 });
    expect(claimed.map((claim) => claim.sequence)).toEqual([m1, m2]);
    await writer.releaseOutbox({ sequence: m1, owner: 'worker-a', availableAt: 5_000, error: 'PLATFORM_REJECTED' });

    const reader = new SqliteJournal({ filename, readonly: true });
    await reader.open();
    try {
      const listed = await reader.listPendingOutbox({ limit: 10 });
      expect(listed).toEqual([
        { ...message('m1'), sequence: m1, attempts: 1, enqueuedAt: 0, availableAt: 5_000, lease: undefined, lastError: 'PLATFORM_REJECTED' },
        { ...message('m2', 'events.token-recollection'), sequence: m2, attempts: 1, enqueuedAt: 0, availableAt: 0, lease: { owner: 'worker-a', expiresAt: 60_000 }, lastError: undefined },
        { ...message('m3'), sequence: m3, attempts: 0, enqueuedAt: 0, availableAt: 0, lease: undefined, lastError: undefined },
      ]);
      expect(await reader.listPendingOutbox({ limit: 10, minimumAttempts: 1, topics: ['platform.order-update'] })).toMatchObject([{ sequence: m1 }]);
      // What the writer changes next is seen by the next read.
      await writer.acknowledgeOutbox({ sequences: [m2], owner: 'worker-a' });
      expect((await reader.listPendingOutbox({ limit: 10 })).map((entry) => entry.sequence)).toEqual([m1, m3]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  test('throws JOURNAL_CLOSED before open and after close, as every other operation does', async () => {
    const journal = new SqliteJournal({ filename: directory.file() });
    const beforeOpen = await rejectionOf(journal.listPendingOutbox({ limit: 10 }));
    expect(PaymigrateError.isInstance(beforeOpen)).toBe(true);
    expect(beforeOpen).toMatchObject({
      code: 'JOURNAL_CLOSED',
      isRetryable: false,
      message: 'SQLite journal has not been opened: call open() before listPendingOutbox().',
    });
    await journal.open();
    expect(await journal.listPendingOutbox({ limit: 10 })).toEqual([]);
    await journal.close();
    // Closed comes first: even a bad query hears that the journal is closed.
    await expect(journal.listPendingOutbox({ limit: 0 })).rejects.toMatchObject({
      code: 'JOURNAL_CLOSED',
      message: 'SQLite journal has been closed: call open() before listPendingOutbox().',
    });
  });

  test('refuses a bad query with a TypeError naming the operation, the argument and the value', async () => {
    const journal = await openJournal();
    try {
      const refusals: [Parameters<SqliteJournal['listPendingOutbox']>[0], string][] = [
        [{ limit: 0 }, "Journal listPendingOutbox: 'limit' must be an integer from 1 to 1000, got 0."],
        [{ limit: 1_001 }, "Journal listPendingOutbox: 'limit' must be an integer from 1 to 1000, got 1001."],
        [{ limit: 10, minimumAttempts: Number.POSITIVE_INFINITY }, "Journal listPendingOutbox: 'minimumAttempts' must be an integer >= 0, got Infinity."],
        [{ limit: 10, minimumAttempts: -1 }, "Journal listPendingOutbox: 'minimumAttempts' must be an integer >= 0, got -1."],
        [{ limit: 10, afterSequence: 0.5 }, "Journal listPendingOutbox: 'afterSequence' must be an integer >= 0, got 0.5."],
        [{ limit: 10, afterSequence: 2 ** 53 }, `Journal listPendingOutbox: 'afterSequence' must be an integer >= 0, got ${2 ** 53}.`],
      ];
      for (const [query, text] of refusals) {
        const error = await rejectionOf(journal.listPendingOutbox(query));
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ message: text });
      }
    } finally {
      await journal.close();
    }
  });

  test('matches topics byte for byte, JSON escapes included, each message once however often its topic is named', async () => {
    const journal = await openJournal();
    try {
      const topics = ['"quoted"', 'back\\slash', 'line\nbreak', 'é', '😀', '1', ' padded '];
      const { outboxSequences } = await journal.write({ outbox: topics.map((topic, position) => message(`m${position}`, topic)) });
      for (const [position, topic] of topics.entries()) {
        expect((await journal.listPendingOutbox({ limit: 10, topics: [topic] })).map((entry) => entry.sequence)).toEqual([outboxSequences[position]]);
      }
      const twice = await journal.listPendingOutbox({ limit: 10, topics: ['é', '😀', 'é'] });
      expect(twice.map((entry) => entry.topic)).toEqual(['é', '😀']);
      expect(await journal.listPendingOutbox({ limit: 10, topics: ['quoted', 'e', 'padded', '1.0'] })).toEqual([]);
    } finally {
      await journal.close();
    }
  });

  test('pages through more than 1,000 messages, frozen, skipping delivered ones', async () => {
    const journal = await openJournal();
    try {
      const names = Array.from({ length: 1_500 }, (_, position) => `m${position}`);
      const { outboxSequences } = await journal.write({ outbox: names.map((name) => message(name)) });
      // Deliver the first 100: the pages start after them.
      const claimed = await journal.claimOutbox({ owner: 'worker-a', leaseMs: 60_000, limit: 100 });
      await journal.acknowledgeOutbox({ sequences: claimed.map((entry) => entry.sequence), owner: 'worker-a' });
      const first = await journal.listPendingOutbox({ limit: 1_000 });
      expect(first).toHaveLength(1_000);
      expect(first[0]?.sequence).toBe(outboxSequences[100]);
      expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
      const second = await journal.listPendingOutbox({ limit: 1_000, afterSequence: (first.at(-1) as { sequence: number }).sequence });
      expect(second.map((entry) => entry.sequence)).toEqual(outboxSequences.slice(1_100));
    } finally {
      await journal.close();
    }
  });
});
