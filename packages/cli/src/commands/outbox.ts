import type { JournalV1, OutboxMessage } from '@paymigrate/core';
import { CliUsageError } from '../cli-errors.js';
import type { CommandIo } from '../output/command-io.js';
import { formatTable } from '../output/format.js';
import { withRuntime } from './open-runtime.js';

/**
 * Delivery attempts from which a message counts as failing: its first attempt and one retry have
 * failed, so it is backing off rather than waiting for its first delivery.
 */
export const failingOutboxAttempts = 3;

/** The most messages one listing shows (the journal's page limit). */
const maximumListed = 1_000;

/** One undelivered message as an operator sees it: where it goes and why it is still there, never its payload. */
export interface OutboxEntry {
  readonly sequence: number;
  readonly topic: string;
  /** What it holds up: later messages with the same key wait for it (an order id, a payment id). */
  readonly orderingKey: string;
  readonly attempts: number;
  /** The error code of the last failed delivery. */
  readonly lastError: string | undefined;
  /** ISO time it was enqueued. */
  readonly enqueuedAt: string;
  /** ISO time of its next attempt (its back-off, or the end of an expired lease), when it is not being delivered now. */
  readonly nextAttemptAt: string | undefined;
  /** The worker delivering it now and until when (ISO), when one holds an unexpired lease on it. */
  readonly deliveringBy: { readonly owner: string; readonly until: string } | undefined;
}

/** What `paymigrate outbox` reports. */
export interface OutboxReport {
  /** Whether the journal can list its outbox (`JournalV1.listPendingOutbox`). */
  readonly supported: boolean;
  /** The attempts a listed message has at least. */
  readonly minimumAttempts: number;
  /** The topics asked for; every topic when absent. */
  readonly topics: readonly string[] | undefined;
  /** Undelivered messages of those topics in all, failing or not. */
  readonly undelivered: number;
  /** The messages listed, lowest sequence first. */
  readonly messages: readonly OutboxEntry[];
  /** The sequence to pass as `--after` for the next page, when the page was full. */
  readonly nextAfter: number | undefined;
}

/** Parses a whole-number option within bounds. */
function wholeNumberOf(argument: string, text: string, minimum: number, maximum: number, fix: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new CliUsageError({ argument, problem: `'${text}' is not a whole number from ${minimum} to ${maximum}`, fix });
  }
  return value;
}

/** An operator's view of a message at `now`: an expired lease is a delivery that stopped (a relay that died), not one under way. */
function entryOf(message: OutboxMessage, now: number): OutboxEntry {
  const lease = message.lease !== undefined && message.lease.expiresAt > now ? message.lease : undefined;
  // A message whose lease expired is taken over by the next claim once its back-off has passed.
  const nextAttemptAt = Math.max(message.availableAt, message.lease?.expiresAt ?? 0);
  return {
    sequence: message.sequence,
    topic: message.topic,
    orderingKey: message.orderingKey,
    attempts: message.attempts,
    lastError: message.lastError,
    enqueuedAt: new Date(message.enqueuedAt).toISOString(),
    nextAttemptAt: lease === undefined ? new Date(nextAttemptAt).toISOString() : undefined,
    deliveringBy: lease === undefined ? undefined : { owner: lease.owner, until: new Date(lease.expiresAt).toISOString() },
  };
}

/**
 * Lists the journal's undelivered outbox messages with at least `minimumAttempts` attempts: what
 * keeps failing (a platform refusing an update, a handler rejecting a payload) and which ordering
 * keys it holds up. A journal without `listPendingOutbox` is reported as not supported, with its
 * count of undelivered messages. `now` (the journal's clock, epoch milliseconds) tells a delivery
 * under way from a lease that expired.
 */
export async function inspectOutbox(
  journal: JournalV1,
  query: { readonly minimumAttempts: number; readonly topics?: readonly string[] | undefined; readonly afterSequence?: number | undefined; readonly limit: number },
  now: number = Date.now(),
): Promise<OutboxReport> {
  const undelivered = await journal.pendingOutboxCount({ topics: query.topics });
  const base = { minimumAttempts: query.minimumAttempts, topics: query.topics, undelivered };
  if (journal.listPendingOutbox === undefined) return { ...base, supported: false, messages: [], nextAfter: undefined };
  const messages = await journal.listPendingOutbox(query);
  return {
    ...base,
    supported: true,
    messages: messages.map((message) => entryOf(message, now)),
    nextAfter: messages.length === query.limit ? (messages.at(-1) as OutboxMessage).sequence : undefined,
  };
}

/**
 * How many undelivered messages are failing (`failingOutboxAttempts` attempts or more), counted up
 * to 1,000; `undefined` when the journal cannot list its outbox.
 */
export async function countFailingOutbox(journal: JournalV1): Promise<number | undefined> {
  if (journal.listPendingOutbox === undefined) return undefined;
  return (await journal.listPendingOutbox({ minimumAttempts: failingOutboxAttempts, limit: maximumListed })).length;
}

/** The human form of an outbox report. */
export function renderOutbox(report: OutboxReport): string {
  const of = report.topics === undefined ? '' : ` of ${report.topics.join(', ')}`;
  if (!report.supported) return `Outbox${of}: ${report.undelivered} undelivered. This journal cannot list its messages (its adapter has no listPendingOutbox).\n`;
  const lines = [`Outbox${of}: ${report.undelivered} undelivered; with at least ${report.minimumAttempts} delivery attempts: ${report.messages.length}${report.nextAfter === undefined ? '' : '+'}`];
  if (report.messages.length > 0) {
    lines.push(
      formatTable([
        ['  sequence', 'topic', 'ordering key', 'attempts', 'last error', 'next attempt', 'enqueued'],
        ...report.messages.map((entry) => [
          `  ${entry.sequence}`,
          entry.topic,
          entry.orderingKey,
          String(entry.attempts),
          entry.lastError ?? '-',
          entry.deliveringBy === undefined ? (entry.nextAttemptAt as string) : `being delivered by ${entry.deliveringBy.owner}`,
          entry.enqueuedAt,
        ]),
      ]),
    );
  }
  if (report.nextAfter !== undefined) lines.push(`More: paymigrate outbox --after ${report.nextAfter}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `paymigrate outbox`: the undelivered outbox messages that keep failing, oldest first, with their
 * attempts, last error, next attempt and the ordering key each holds up. Never their payloads.
 * Reads only: the relay keeps retrying them with back-off.
 */
export async function outboxCommand(
  options: { readonly config: string; readonly minAttempts: string; readonly topic?: readonly string[] | undefined; readonly after?: string | undefined; readonly limit: string; readonly json: boolean },
  io: CommandIo,
): Promise<number> {
  const minimumAttempts = wholeNumberOf('--min-attempts', options.minAttempts, 0, Number.MAX_SAFE_INTEGER, `pass --min-attempts ${failingOutboxAttempts} to see the failing messages, 0 to see every undelivered one`);
  const limit = wholeNumberOf('--limit', options.limit, 1, maximumListed, 'pass --limit 50, and --after with the last sequence shown for the next page');
  const afterSequence = options.after === undefined ? undefined : wholeNumberOf('--after', options.after, 0, Number.MAX_SAFE_INTEGER, 'pass the last sequence of the previous page');
  const topics = options.topic === undefined || options.topic.length === 0 ? undefined : options.topic;
  const report = await withRuntime(options.config, io, ({ runtime }) => inspectOutbox(runtime.journal, { minimumAttempts, topics, afterSequence, limit }));
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderOutbox(report));
  return 0;
}
