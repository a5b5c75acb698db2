import type { JournalV1 } from '@paymigrate/core';
import { journalContract, ManualClock } from '@paymigrate/testkit';
import { afterAll, describe, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory();
afterAll(() => directory.remove());

/** Closes `subject` and opens a new `SqliteJournal` on its file, as a restarted process would. */
function reopenWith(clock: ManualClock | undefined): (subject: JournalV1) => Promise<JournalV1> {
  return async (subject) => {
    if (!(subject instanceof SqliteJournal)) throw new TypeError('expected a SqliteJournal');
    await subject.close();
    const reopened = new SqliteJournal({ filename: subject.filename, clock });
    await reopened.open();
    return reopened;
  };
}

describe('SqliteJournal on a temporary file and a manual clock', () => {
  const clock = new ManualClock();
  journalContract({
    test,
    create: () => new SqliteJournal({ filename: directory.file('manual-clock'), clock }),
    destroy: (journal) => journal.close(),
    options: { clock, reopen: reopenWith(clock) },
  });
});

describe('SqliteJournal on a temporary file and the system clock', () => {
  journalContract({
    test,
    create: () => new SqliteJournal({ filename: directory.file('system-clock') }),
    destroy: (journal) => journal.close(),
    options: { clock: undefined, reopen: reopenWith(undefined) },
  });
});
