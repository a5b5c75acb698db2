import { type DeliveredOutboxRetentionReport, type ProcessedEventRetentionReport, pruneDeliveredOutbox, pruneProcessedEvents } from '@paymigrate/core';
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

/** What `paymigrate prune-events` did: the handled-event records, and the delivered outbox messages under `outbox`. */
export interface PruneEventsReport extends ProcessedEventRetentionReport {
  /** The delivered outbox messages older than the same retention. */
  readonly outbox: DeliveredOutboxRetentionReport;
}

/**
 * `paymigrate prune-events`: deletes the records of handled webhook events and the delivered
 * outbox messages older than `--keep-days` (default 30), which otherwise grow with every event the
 * shop receives and every update it sends. Run it daily; what a run leaves (a record rewritten
 * meanwhile) goes with the next one. Undelivered messages are never touched.
 */
export async function pruneEventsCommand(options: { readonly config: string; readonly keepDays: string; readonly json: boolean }, io: CommandIo): Promise<number> {
  const retentionMs = keepDaysOf(options.keepDays) * dayMs;
  const report: PruneEventsReport = await withRuntime(options.config, io, async ({ runtime }) => {
    const events = await pruneProcessedEvents({ journal: runtime.journal, retentionMs });
    const outbox = await pruneDeliveredOutbox({ journal: runtime.journal, retentionMs });
    return { ...events, outbox };
  });
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [`Handled webhook events written before ${new Date(report.cutoff).toISOString()}:`];
  for (const [collection, counts] of Object.entries(report.collections)) {
    const kept = counts.conflicts === 0 ? '' : `, ${counts.conflicts} rewritten meanwhile and kept for the next run`;
    lines.push(`  ${collection}: ${counts.deleted} deleted of ${counts.examined} read${kept}`);
  }
  lines.push(
    report.outbox.supported
      ? `Outbox messages delivered before ${new Date(report.outbox.cutoff).toISOString()}: ${report.outbox.deleted} deleted`
      : 'Outbox messages: this journal keeps every delivered message (its adapter has no pruneDeliveredOutbox)',
  );
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
