import { type ProcessedEventRetentionReport, pruneProcessedEvents } from '@paymigrate/core';
import { CliUsageError } from '../cli-errors.js';
import type { CommandIo } from '../output/command-io.js';
import { withRuntime } from './open-runtime.js';

/** One day in milliseconds. */
const dayMs = 86_400_000;

/** Parses `--keep-days`: a whole number of days (the core refuses fewer than 7). */
function keepDaysOf(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days <= 0) {
    throw new CliUsageError({ argument: '--keep-days', problem: `'${text}' is not a whole number of days`, fix: 'pass --keep-days 30 (at least 7: providers redeliver webhook events for days)' });
  }
  return days;
}

/**
 * `paymigrate prune-events`: deletes the records of handled webhook events older than
 * `--keep-days` (default 30), which otherwise grow with every event the shop receives. Run it
 * daily; what a run leaves (a record rewritten meanwhile) goes with the next one.
 */
export async function pruneEventsCommand(options: { readonly config: string; readonly keepDays: string; readonly json: boolean }, io: CommandIo): Promise<number> {
  const retentionMs = keepDaysOf(options.keepDays) * dayMs;
  const report: ProcessedEventRetentionReport = await withRuntime(options.config, io, ({ runtime }) => pruneProcessedEvents({ journal: runtime.journal, retentionMs }));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [`Handled webhook events written before ${new Date(report.cutoff).toISOString()}:`];
  for (const [collection, counts] of Object.entries(report.collections)) {
    const kept = counts.conflicts === 0 ? '' : `, ${counts.conflicts} rewritten meanwhile and kept for the next run`;
    lines.push(`  ${collection}: ${counts.deleted} deleted of ${counts.examined} read${kept}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
