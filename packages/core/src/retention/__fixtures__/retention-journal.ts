import { InMemoryJournal, ManualClock } from '@paymigrate/testkit';

/** One day in milliseconds. */
export const dayMs = 86_400_000;

/** An opened in-memory journal on a manual clock set to 2026-01-01, for the retention tests. */
export async function journalWithClock(): Promise<{ journal: InMemoryJournal; clock: ManualClock }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  return { journal, clock };
}
