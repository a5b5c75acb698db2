import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { bulkCacheSpillPages, setBulkCacheSpill } from './sqlite-bulk-cache-spill.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-spill-');
afterAll(() => directory.remove());

/** The spill threshold in force (pages): `PRAGMA cache_spill` reports it, or 0 when spilling is off. */
function spillThreshold(database: Database.Database): number {
  return database.pragma('cache_spill', { simple: true }) as number;
}

describe('bulk cache spill threshold', () => {
  test('raises the threshold for bulk transactions and puts SQLite default back, spilling staying enabled', () => {
    const database = new Database(directory.file('spill.sqlite'));
    try {
      database.pragma('journal_mode = WAL');
      const initial = spillThreshold(database);
      expect(initial).toBeGreaterThan(0);
      expect(initial).toBeLessThan(bulkCacheSpillPages);
      setBulkCacheSpill(database, true);
      expect(spillThreshold(database)).toBe(bulkCacheSpillPages);
      setBulkCacheSpill(database, false);
      expect(spillThreshold(database)).toBe(initial);
    } finally {
      database.close();
    }
  });
});
