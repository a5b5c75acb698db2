import { ConfigurationError, systemClock } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { defaultMaximumGroupCommitBatches, parseSqliteJournalOptions } from './sqlite-journal-options.js';
import { createSqliteJournal, SqliteJournal } from './sqlite-journal.js';

/** The `ConfigurationError` that `run` throws. */
function configurationErrorOf(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('SQLite journal options', () => {
  test('apply the defaults: system clock, synchronous FULL, 5 s busy timeout, read-write, groups of 256 batches', () => {
    expect(parseSqliteJournalOptions({ filename: 'journal.sqlite' })).toEqual({
      filename: 'journal.sqlite',
      clock: systemClock,
      synchronous: 'FULL',
      busyTimeoutMs: 5_000,
      readonly: false,
      maximumGroupCommitBatches: defaultMaximumGroupCommitBatches,
    });
    expect(defaultMaximumGroupCommitBatches).toBe(256);
  });

  test('keep what is given', () => {
    const clock = new ManualClock();
    expect(
      parseSqliteJournalOptions({ filename: ':memory:', clock, synchronous: 'NORMAL', busyTimeoutMs: 0, readonly: undefined, maximumGroupCommitBatches: 1 }),
    ).toEqual({
      filename: ':memory:',
      clock,
      synchronous: 'NORMAL',
      busyTimeoutMs: 0,
      readonly: false,
      maximumGroupCommitBatches: 1,
    });
  });

  test.each([
    ['a filename that is not a string', { filename: 42 }, 'sqlite.filename', 'is invalid', "e.g. './data/paymigrate-journal.sqlite'"],
    ['an empty filename', { filename: '' }, 'sqlite.filename', 'is invalid', "or ':memory:' in tests"],
    ['a missing filename', {}, 'sqlite.filename', 'is missing', 'pass the path of the journal file'],
    ['an unknown synchronous mode', { filename: 'j.sqlite', synchronous: 'OFF' }, 'sqlite.synchronous', 'is invalid', "use 'FULL' (a resolved write survives power loss)"],
    ['a lower-case synchronous mode', { filename: 'j.sqlite', synchronous: 'full' }, 'sqlite.synchronous', 'is invalid', "or 'NORMAL'"],
    ['a negative busy timeout', { filename: 'j.sqlite', busyTimeoutMs: -1 }, 'sqlite.busyTimeoutMs', 'is invalid', 'from 0 to 2147483647'],
    ['a fractional busy timeout', { filename: 'j.sqlite', busyTimeoutMs: 1.5 }, 'sqlite.busyTimeoutMs', 'is invalid', 'e.g. 5000'],
    ['a clock without now()', { filename: 'j.sqlite', clock: { sleep: () => Promise.resolve() } }, 'sqlite.clock', 'expected a ClockV1', 'systemClock'],
    ['a clock that is not an object', { filename: 'j.sqlite', clock: 'system' }, 'sqlite.clock', 'is invalid', 'systemClock'],
    ['a read-only in-memory journal', { filename: ':memory:', readonly: true }, 'sqlite.readonly', 'cannot be read-only', 'pass true or false'],
    ['a group of no batches', { filename: 'j.sqlite', maximumGroupCommitBatches: 0 }, 'sqlite.maximumGroupCommitBatches', 'is invalid', 'from 1 to 10000'],
    ['a fractional group size', { filename: 'j.sqlite', maximumGroupCommitBatches: 2.5 }, 'sqlite.maximumGroupCommitBatches', 'is invalid', 'e.g. 256'],
    ['a group size over 10,000', { filename: 'j.sqlite', maximumGroupCommitBatches: 10_001 }, 'sqlite.maximumGroupCommitBatches', 'is invalid', 'from 1 to 10000'],
    ['a read-only flag that is not a boolean', { filename: 'j.sqlite', readonly: 'yes' }, 'sqlite.readonly', 'is invalid', 'pass true or false'],
    ['an unknown option (a typo)', { filename: 'j.sqlite', synchronus: 'FULL' }, 'sqlite', 'synchronus', 'pass an options object'],
    ['no options object', undefined, 'sqlite', 'is missing', 'pass an options object'],
  ])('reject %s with a ConfigurationError naming the option', (_case, input, option, problem, fix) => {
    const error = configurationErrorOf(() => new SqliteJournal(input as never));
    expect(error.code).toBe('CONFIGURATION_INVALID');
    expect(error.option).toBe(option);
    expect(error.message).toContain(problem);
    expect(error.fix).toContain(fix);
  });

  test('never echo a rejected value', () => {
    const error = configurationErrorOf(() => parseSqliteJournalOptions({ filename: 'j.sqlite', synchronous: 'secret-looking-value' }));
    expect(error.message).not.toContain('secret-looking-value');
  });

  test('createSqliteJournal validates and returns an unopened SqliteJournal', async () => {
    const journal = createSqliteJournal({ filename: ':memory:' });
    expect(journal).toBeInstanceOf(SqliteJournal);
    expect(journal.filename).toBe(':memory:');
    await expect(journal.count('payments')).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
    expect(() => createSqliteJournal({ filename: 'j.sqlite', synchronous: 'EXTRA' as never })).toThrow(/sqlite\.synchronous/);
  });
});
