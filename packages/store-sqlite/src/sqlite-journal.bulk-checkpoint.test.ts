import { statSync } from 'node:fs';
import type { JournalPut } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { bulkCheckpointHoldMs, bulkWalAutocheckpointPages, bulkWriteRecords, defaultWalAutocheckpointPages, SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-bulk-');
afterAll(() => directory.remove());

/** Bytes of one WAL frame of a 4 KiB page (24-byte frame header + the page). */
const walFrameBytes = 24 + 4096;

function puts(count: number, prefix: string): JournalPut[] {
  return Array.from({ length: count }, (_, position) => ({ collection: 'token-vault', key: `${prefix}${position}`, value: 'x'.repeat(400), index: `cu_${position % 97}`, expectedVersion: 0 }));
}

/** Frames in the file's WAL since it was last reset, read through another connection (which then checkpoints them). */
function walFrames(filename: string): number {
  const other = new Database(filename);
  try {
    const [row] = other.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    return row?.log ?? 0;
  } finally {
    other.close();
  }
}

/** A file journal on a manual clock that has committed 12 bulk batches. */
async function afterBulkWrites(name: string): Promise<{ readonly journal: SqliteJournal; readonly clock: ManualClock; readonly filename: string }> {
  const filename = directory.file(name);
  const clock = new ManualClock(0);
  const journal = new SqliteJournal({ filename, clock });
  await journal.open();
  for (let batch = 0; batch < 12; batch += 1) await journal.write({ puts: puts(bulkWriteRecords, `bulk-${batch}-`) });
  return { journal, clock, filename };
}

describe('bulk writes checkpoint the WAL less often', () => {
  test(`batches of ${bulkWriteRecords}+ records let the WAL grow towards ${bulkWalAutocheckpointPages} pages`, async () => {
    expect(bulkWalAutocheckpointPages).toBeGreaterThan(defaultWalAutocheckpointPages);
    const { journal, filename } = await afterBulkWrites('bulk');
    expect(journal.groupCommitStatistics().bulkGroups).toBe(12);
    // At the default threshold the WAL would have been checkpointed and reused after about 1,000
    // pages; here it holds every commit.
    expect(statSync(`${filename}-wal`).size).toBeGreaterThan((defaultWalAutocheckpointPages + 500) * walFrameBytes);
    expect(await journal.count('token-vault')).toBe(12 * bulkWriteRecords);
    await journal.close();
  });

  test('small writes right after bulk ones (an import completing) keep the bulk threshold', async () => {
    const { journal, clock, filename } = await afterBulkWrites('hold');
    await clock.advance(bulkCheckpointHoldMs - 1);
    await journal.write({ puts: puts(1, 'small-a-') });
    await journal.write({ puts: puts(1, 'small-b-') });
    // Nothing checkpointed the WAL: it still holds the bulk commits.
    expect(walFrames(filename)).toBeGreaterThan(defaultWalAutocheckpointPages + 500);
    expect(journal.groupCommitStatistics().bulkGroups).toBe(12);
    await journal.close();
  });

  test(`a small group ${bulkCheckpointHoldMs} ms after the last bulk one puts SQLite's default back`, async () => {
    const { journal, clock, filename } = await afterBulkWrites('restore');
    await clock.advance(bulkCheckpointHoldMs);
    // Its commit takes the WAL past the default threshold and checkpoints it; the next commit
    // starts the WAL over.
    await journal.write({ puts: puts(1, 'small-a-') });
    await journal.write({ puts: puts(1, 'small-b-') });
    expect(walFrames(filename)).toBeLessThan(50);
    expect(await journal.count('token-vault')).toBe(12 * bulkWriteRecords + 2);
    await journal.close();
  });

  test('an in-memory journal has no WAL to checkpoint and counts no bulk group', async () => {
    const journal = new SqliteJournal({ filename: ':memory:' });
    await journal.open();
    await journal.write({ puts: puts(bulkWriteRecords, 'memory-') });
    expect(journal.groupCommitStatistics().bulkGroups).toBe(0);
    await journal.close();
  });
});
