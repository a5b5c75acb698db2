// A child process for the multi-process tests; bundled by `bundle-journal-child.ts` and started
// with `fork`. Arguments: <mode> <filename> [mode arguments]. It talks to the parent over IPC.
//
// crash-writer <filename> <first batch>: writes atomic batches forever (3 puts + 1 outbox message
//   + a compare-and-set counter), reporting each batch number once its write resolved.
// group-crash-writer <filename> <writers>: runs <writers> concurrent loops in one process, each
//   writing atomic batches (3 puts + 1 outbox message + a compare-and-set counter of its own), so
//   the journal commits them in shared groups; continues from the counters already in the file and
//   reports each batch once its write resolved.
// claimer <filename> <owner>: opens the file, reports `ready`, waits for `start`, then claims and
//   completes records and claims and acknowledges outbox messages until none are left; reports what
//   it got.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { SqliteJournal } from '../sqlite-journal.js';
import {
  type ChildReport,
  crashNames,
  crashRecordKeys,
  crashRecordValue,
  groupCrashCounterKey,
  groupCrashNames,
  groupCrashRecordKeys,
} from './journal-child-protocol.js';

function report(message: ChildReport): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, {}, (error) => (error === null ? resolve() : reject(error)));
  });
}

async function crashWriter(filename: string, firstBatch: number): Promise<void> {
  const journal = new SqliteJournal({ filename });
  await journal.open();
  await report({ type: 'ready' });
  for (let batch = firstBatch; ; batch += 1) {
    await journal.write({
      puts: [
        ...crashRecordKeys(batch).map((key, part) => ({ collection: crashNames.records, key, value: crashRecordValue(batch, part), expectedVersion: 0 as const })),
        { collection: crashNames.counters, key: crashNames.counter, value: String(batch), expectedVersion: batch - 1 },
      ],
      outbox: [{ topic: crashNames.topic, orderingKey: `batch-${batch}`, deduplicationId: `batch-${batch}`, payload: String(batch) }],
    });
    await report({ type: 'acknowledged', batch });
  }
}

async function groupCrashWriter(filename: string, writers: number): Promise<void> {
  const journal = new SqliteJournal({ filename });
  await journal.open();
  await report({ type: 'ready' });
  const writer = async (index: number): Promise<never> => {
    const counter = await journal.get(groupCrashNames.counters, groupCrashCounterKey(index));
    for (let batch = Number(counter?.value ?? 0) + 1; ; batch += 1) {
      await journal.write({
        puts: [
          ...groupCrashRecordKeys(index, batch).map((key, part) => ({
            collection: groupCrashNames.records,
            key,
            value: crashRecordValue(batch, part),
            expectedVersion: 0 as const,
          })),
          { collection: groupCrashNames.counters, key: groupCrashCounterKey(index), value: String(batch), expectedVersion: batch - 1 },
        ],
        outbox: [{ topic: groupCrashNames.topic, orderingKey: `writer-${index}`, deduplicationId: `writer-${index}-batch-${batch}`, payload: String(batch) }],
      });
      // Not awaited: the writer goes on while the report travels, so writes keep overlapping.
      void report({ type: 'group-acknowledged', writer: index, batch, largestGroup: journal.groupCommitStatistics().largestGroup });
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, index) => writer(index)));
}

async function claimer(filename: string, owner: string): Promise<void> {
  const journal = new SqliteJournal({ filename });
  await journal.open();
  const started = new Promise<void>((resolve) => process.once('message', () => resolve()));
  await report({ type: 'ready' });
  await started;
  const records: string[] = [];
  const messages: { sequence: number; attempts: number }[] = [];
  let conflicts = 0;
  let unacknowledged = 0;
  for (;;) {
    const claimed = await journal.claim({ collection: 'payments', index: 'pending', owner, leaseMs: 600_000, limit: 7 });
    if (claimed.length > 0) {
      records.push(...claimed.map((record) => record.key));
      // Work happens outside transactions, as in a real worker; it leaves the write lock free for the
      // other process (SQLite's lock is not fair: a loop that never pauses would starve it).
      await sleepFor(2);
      try {
        await journal.write({
          puts: claimed.map((record) => ({ collection: 'payments', key: record.key, value: JSON.stringify({ doneBy: owner }), index: 'done', expectedVersion: record.version })),
        });
      } catch {
        conflicts += 1;
      }
    }
    const leased = await journal.claimOutbox({ owner, leaseMs: 600_000, limit: 5 });
    messages.push(...leased.map((message) => ({ sequence: message.sequence, attempts: message.attempts })));
    const { acknowledged } = await journal.acknowledgeOutbox({ sequences: leased.map((message) => message.sequence), owner });
    unacknowledged += leased.length - acknowledged.length;
    await sleepFor(1);
    if (claimed.length === 0 && leased.length === 0 && (await journal.pendingOutboxCount()) === 0) break;
  }
  await journal.close();
  await report({ type: 'claimed', records, messages, conflicts, unacknowledged });
}

const [mode, filename, argument] = process.argv.slice(2);
const run =
  mode === 'crash-writer'
    ? crashWriter(String(filename), Number(argument))
    : mode === 'group-crash-writer'
      ? groupCrashWriter(String(filename), Number(argument))
      : claimer(String(filename), String(argument));
run.then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`journal-child ${mode} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
