import { hostname } from 'node:os';
import type { CustomerStepReport, RecoveryReport } from '@paymigrate/core';
import type { CommandIo } from '../output/command-io.js';
import { formatCounts } from '../output/format.js';
import type { PaymigrateRuntime } from '../runtime/runtime.js';
import { withRuntime } from './open-runtime.js';

/** What `paymigrate recover` did. */
export interface RecoverSummary {
  /** Recovery passes run. */
  readonly passes: number;
  /** Totals over the passes. */
  readonly totals: Omit<RecoveryReport, 'examined'> & { readonly examined: number };
  /**
   * The pass over payments waiting for their customer (3-D Secure, a redirect) past the
   * `customerSteps` delays: followed at their provider, or cancelled there once abandoned.
   */
  readonly customerSteps: CustomerStepReport;
  /** Outbox messages delivered. */
  readonly outboxDelivered: number;
  /** Outbox messages still undelivered. */
  readonly outboxPending: number;
  /** Payments with an unresolved intent (for operators). */
  readonly unresolvedPayments: readonly string[];
}

/** Passes at most. */
const maximumPasses = 50;

/**
 * Runs recovery passes until a pass drives nothing (every non-final intent is completed, waits
 * for its provider, or is with the operators), then one pass over the payments waiting for their
 * customer, then delivers the outbox.
 */
export async function recoverAll(runtime: PaymigrateRuntime): Promise<RecoverSummary> {
  const owner = `cli-recover-${hostname()}-${process.pid}`;
  const totals = { examined: 0, succeeded: 0, failed: 0, stillWaiting: 0, stillUnknown: 0, unresolved: 0, deferred: 0, fenced: 0, errors: 0 };
  let passes = 0;
  for (; passes < maximumPasses; ) {
    const report = await runtime.transactions.recover({ owner, limit: 500 });
    passes += 1;
    for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += report[key];
    if (report.succeeded + report.failed === 0) break;
  }
  const customerSteps = await runtime.transactions.reconcileCustomerSteps();
  let outboxDelivered = 0;
  for (let round = 0; round < 100; round += 1) {
    const report = await runtime.relay.runOnce();
    outboxDelivered += report.delivered;
    if (report.claimed === 0) break;
  }
  const outboxPending = await runtime.journal.pendingOutboxCount({ topics: runtime.relayTopics });
  const unresolvedPayments = (await runtime.transactions.unresolvedPayments()).map((entry) => entry.payment.paymentId);
  return { passes, totals, customerSteps, outboxDelivered, outboxPending, unresolvedPayments };
}

/** `paymigrate recover`: completes every open intent and delivers the outbox. Exit code 1 when payments are left unresolved. */
export async function recoverCommand(options: { readonly config: string; readonly json: boolean }, io: CommandIo): Promise<number> {
  const summary = await withRuntime(options.config, io, ({ runtime }) => recoverAll(runtime));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    io.stdout.write(
      [
        `Recovery: ${summary.passes} pass(es); ${formatCounts(summary.totals) || 'nothing to do'}.`,
        `Payments waiting for their customer: ${formatCounts({ ...summary.customerSteps }) || 'none due'}.`,
        `Outbox: ${summary.outboxDelivered} delivered, ${summary.outboxPending} undelivered.`,
        summary.unresolvedPayments.length === 0 ? 'No unresolved payment.' : `Unresolved payments (need an operator): ${summary.unresolvedPayments.join(', ')}`,
        '',
      ].join('\n'),
    );
  }
  return summary.unresolvedPayments.length === 0 ? 0 : 1;
}
