import { type ChildProcess, fork } from 'node:child_process';
import { createSeededRandom } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bundleJournalChild } from './__fixtures__/bundle-journal-child.js';
import {
  type ChildReport,
  crashNames,
  crashRecordKeys,
  crashRecordValue,
  groupCrashCounterKey,
  groupCrashNames,
  groupCrashRecordKeys,
} from './__fixtures__/journal-child-protocol.js';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-processes-');
let childScript = '';

beforeAll(async () => {
  childScript = await bundleJournalChild(directory.path);
});
afterAll(() => directory.remove());

/** A forked journal child with its reports and its exit. */
interface RunningChild {
  readonly process: ChildProcess;
  readonly reports: ChildReport[];
  /** Resolves with the first report of `type`. */
  next(type: ChildReport['type']): Promise<ChildReport>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(argumentsOfChild: readonly string[], onReport?: (report: ChildReport, child: ChildProcess) => void): RunningChild {
  const child = fork(childScript, [...argumentsOfChild], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const reports: ChildReport[] = [];
  const waiters: { type: ChildReport['type']; resolve: (report: ChildReport) => void }[] = [];
  child.on('message', (message) => {
    const report = message as ChildReport;
    reports.push(report);
    onReport?.(report, child);
    for (const waiter of waiters.filter((candidate) => candidate.type === report.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(report);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    reports,
    exited,
    next: (type) => {
      const earlier = reports.find((report) => report.type === type);
      if (earlier !== undefined) return Promise.resolve(earlier);
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
  };
}

describe('crash safety: a writer killed with SIGKILL at random moments', () => {
  test('every acknowledged batch is fully present, no batch is partially present, the file opens cleanly (20 seeded kill points)', async () => {
    const filename = directory.file('crash');
    const random = createSeededRandom(20_261_126);
    let committed = 0;
    for (let round = 1; round <= 20; round += 1) {
      const killAfterAcknowledgements = random.integer(1, 12);
      const extraDelayMs = random.integer(0, 3);
      let acknowledged = 0;
      let highestAcknowledged = 0;
      let killing = false;
      const child = startChild(['crash-writer', filename, String(committed + 1)], (report, process) => {
        if (report.type !== 'acknowledged') return;
        acknowledged += 1;
        highestAcknowledged = Math.max(highestAcknowledged, report.batch);
        if (acknowledged === killAfterAcknowledgements && !killing) {
          killing = true;
          setTimeout(() => process.kill('SIGKILL'), extraDelayMs);
        }
      });
      const exit = await child.exited;
      expect(exit, `round ${round}: the writer must die of SIGKILL, not on its own`).toEqual({ code: null, signal: 'SIGKILL' });

      const journal = new SqliteJournal({ filename });
      await journal.open();
      try {
        const counter = await journal.get(crashNames.counters, crashNames.counter);
        const nowCommitted = Number(counter?.value ?? 0);
        expect(counter?.version ?? 0, 'the counter moves by one per batch').toBe(nowCommitted);
        expect(nowCommitted, `round ${round}: acknowledged batch ${highestAcknowledged} is missing`).toBeGreaterThanOrEqual(highestAcknowledged);
        expect(highestAcknowledged).toBeGreaterThan(committed);
        // Nothing partial: exactly three records and one message per committed batch, and nothing of the next one.
        expect(await journal.count(crashNames.records)).toBe(3 * nowCommitted);
        expect(await journal.pendingOutboxCount({ topics: [crashNames.topic] })).toBe(nowCommitted);
        for (let batch = committed + 1; batch <= nowCommitted; batch += 1) {
          const records = await journal.getMany(crashNames.records, crashRecordKeys(batch));
          expect(records.map((record) => record.value)).toEqual([0, 1, 2].map((part) => crashRecordValue(batch, part)));
        }
        expect(await journal.getMany(crashNames.records, crashRecordKeys(nowCommitted + 1))).toEqual([]);
        committed = nowCommitted;
      } finally {
        await journal.close();
      }
      const check = new Database(filename, { readonly: true });
      try {
        expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        check.close();
      }
    }
    // Every message of every committed batch is there once, in order: the outbox was never torn either.
    const journal = new SqliteJournal({ filename });
    await journal.open();
    const messages = await journal.claimOutbox({ owner: 'auditor', leaseMs: 60_000, limit: 10_000 });
    expect(messages.map((message) => message.payload)).toEqual(Array.from({ length: committed }, (_, position) => String(position + 1)));
    await journal.close();
  });
});

describe('crash safety of group commit: concurrent writers in one process killed with SIGKILL', () => {
  test('every acknowledged batch is fully present and no batch of a group is partially present (15 seeded kill points, 8 writers)', async () => {
    const filename = directory.file('group-crash');
    const writers = 8;
    const random = createSeededRandom(20_261_127);
    const committed = Array.from({ length: writers }, () => 0);
    let largestGroup = 0;
    for (let round = 1; round <= 15; round += 1) {
      const killAfterAcknowledgements = random.integer(5, 200);
      const highestAcknowledged = Array.from({ length: writers }, () => 0);
      let acknowledged = 0;
      let killing = false;
      const child = startChild(['group-crash-writer', filename, String(writers)], (report, process) => {
        if (report.type !== 'group-acknowledged') return;
        acknowledged += 1;
        highestAcknowledged[report.writer] = Math.max(highestAcknowledged[report.writer] as number, report.batch);
        largestGroup = Math.max(largestGroup, report.largestGroup);
        if (acknowledged === killAfterAcknowledgements && !killing) {
          killing = true;
          process.kill('SIGKILL');
        }
      });
      const exit = await child.exited;
      expect(exit, `round ${round}: the writer must die of SIGKILL, not on its own`).toEqual({ code: null, signal: 'SIGKILL' });

      const journal = new SqliteJournal({ filename });
      await journal.open();
      try {
        for (let writer = 0; writer < writers; writer += 1) {
          const counter = await journal.get(groupCrashNames.counters, groupCrashCounterKey(writer));
          const nowCommitted = Number(counter?.value ?? 0);
          expect(counter?.version ?? 0, 'the counter moves by one per batch').toBe(nowCommitted);
          expect(nowCommitted, `round ${round}: writer ${writer}'s acknowledged batch ${highestAcknowledged[writer]} is missing`).toBeGreaterThanOrEqual(
            highestAcknowledged[writer] as number,
          );
          for (let batch = (committed[writer] as number) + 1; batch <= nowCommitted; batch += 1) {
            const records = await journal.getMany(groupCrashNames.records, groupCrashRecordKeys(writer, batch));
            expect(records.map((record) => record.value)).toEqual([0, 1, 2].map((part) => crashRecordValue(batch, part)));
          }
          expect(await journal.getMany(groupCrashNames.records, groupCrashRecordKeys(writer, nowCommitted + 1))).toEqual([]);
          committed[writer] = nowCommitted;
        }
        // Nothing partial anywhere: three records and one message per committed batch.
        const total = committed.reduce((sum, count) => sum + count, 0);
        expect(await journal.count(groupCrashNames.records)).toBe(3 * total);
        expect(await journal.pendingOutboxCount({ topics: [groupCrashNames.topic] })).toBe(total);
      } finally {
        await journal.close();
      }
    }
    // The writes really were grouped (several batches per commit), so the kills hit groups.
    expect(largestGroup).toBeGreaterThan(1);
    const check = new Database(filename, { readonly: true });
    try {
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
  });
});

describe('two processes sharing one file', () => {
  test('racing claim over 200 records and claimOutbox over 200 messages get disjoint sets covering everything', async () => {
    const filename = directory.file('race');
    // Both children open the fresh file at the same time: the schema is created once, under the write lock.
    const children = ['worker-a', 'worker-b'].map((owner) => startChild(['claimer', filename, owner]));
    await Promise.all(children.map((child) => child.next('ready')));

    const journal = new SqliteJournal({ filename });
    await journal.open();
    const keys = Array.from({ length: 200 }, (_, position) => `p${String(position).padStart(3, '0')}`);
    await journal.write({ puts: keys.map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 })) });
    const { outboxSequences } = await journal.write({
      // 50 ordering keys with 4 messages each: a key's next message only comes out once its previous one is acknowledged.
      outbox: Array.from({ length: 200 }, (_, position) => ({
        topic: 'race.message',
        orderingKey: `order-${position % 50}`,
        deduplicationId: `message-${position}`,
        payload: String(position),
      })),
    });

    for (const child of children) child.process.send({ type: 'start' });
    const results = (await Promise.all(children.map((child) => child.next('claimed')))) as Extract<ChildReport, { type: 'claimed' }>[];
    const exits = await Promise.all(children.map((child) => child.exited));
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    const [first, second] = results as [Extract<ChildReport, { type: 'claimed' }>, Extract<ChildReport, { type: 'claimed' }>];

    const claimedRecords = [...first.records, ...second.records];
    expect(new Set(claimedRecords).size, 'a record was claimed by both processes').toBe(claimedRecords.length);
    expect([...claimedRecords].sort()).toEqual(keys);
    expect(first.conflicts + second.conflicts, 'a worker lost a compare-and-set on a record it had claimed').toBe(0);
    expect(first.records.length).toBeGreaterThan(0);
    expect(second.records.length).toBeGreaterThan(0);

    const claimedSequences = [...first.messages, ...second.messages].map((message) => message.sequence);
    expect(new Set(claimedSequences).size, 'a message was claimed by both processes').toBe(claimedSequences.length);
    expect([...claimedSequences].sort((left, right) => left - right)).toEqual(outboxSequences);
    expect([...first.messages, ...second.messages].every((message) => message.attempts === 1)).toBe(true);
    expect(first.unacknowledged + second.unacknowledged).toBe(0);

    expect(await journal.count('payments', { index: 'done' })).toBe(200);
    expect(await journal.pendingOutboxCount()).toBe(0);
    expect(await journal.schemaVersion()).toBe(2);
    await journal.close();
  });
});
