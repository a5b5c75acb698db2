import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type OrderRecord, OrderRepository, PaymentRepository, paymentsCollection, type PaymentRecord } from '@paymigrate/core';
import { knownNetworkTransactionIds } from './network-transaction-ids.js';
import { scanFiles } from './pan-scan.js';
import type { PhaseOutcome, RehearsalContext } from './rehearsal-context.js';
import { verifyRehearsal, type VerificationResult } from './verification.js';

/** A Visa test card number, written only by the `leak-card-number` fault to prove the scan finds it. */
const leakedTestCardNumber = ['4111', '1111', '1111', '1111'].join('');

/** Applies the journal and log faults a test asked for, right before the checks. */
async function injectLateFaults(context: RehearsalContext, payments: PaymentRecord[]): Promise<PaymentRecord[]> {
  let result = payments;
  if (context.options.faults.includes('tamper-journal')) {
    const victim = payments.find((payment) => payment.paymentId.startsWith('c') && payment.capturedAmount.isPositive());
    if (victim !== undefined) {
      await context.runtime.journal.write({ deletes: [{ collection: paymentsCollection, key: victim.paymentId, expectedVersion: 'any' }] });
      result = payments.filter((payment) => payment !== victim);
    }
  }
  if (context.options.faults.includes('leak-card-number')) {
    appendFileSync(context.files.log, `${JSON.stringify({ level: 30, msg: `customer typed ${leakedTestCardNumber} into the notes field` })}\n`);
  }
  return result;
}

/** Every file the rehearsal wrote that could hold card data by mistake. */
export function filesToScan(context: RehearsalContext): string[] {
  const mappings = existsSync(context.files.mappings) ? readdirSync(context.files.mappings).map((file) => join(context.files.mappings, file)) : [];
  return [context.files.log, context.files.journal, `${context.files.journal}-wal`, context.files.events, ...mappings];
}

/**
 * Phase 8: verification. Reads the providers' truth, the platform's orders, the session stores
 * and the customers' receipts from the world, every payment from the journal, and scans every
 * file the rehearsal wrote for card data; then computes the invariants. The report itself is
 * scanned by the runner once it is written.
 */
export async function verifyPhase(context: RehearsalContext): Promise<{ readonly outcome: PhaseOutcome; readonly verification: VerificationResult }> {
  context.progress.phaseProgress(0, 3, 'reading the journal');
  const repository = new PaymentRepository(context.runtime.journal);
  const listed: PaymentRecord[] = [];
  for await (const { value } of repository.listAll()) listed.push(value);
  const payments = await injectLateFaults(context, listed);
  context.progress.phaseProgress(1, 3, 'reading the providers, the platform and the session stores');
  const truth = await context.world.call('truth', {});
  context.progress.phaseProgress(2, 3, 'scanning files for card data');
  const networkTransactionIds = await knownNetworkTransactionIds(context.runtime.journal);
  const panScan = scanFiles(filesToScan(context), networkTransactionIds);
  const orders: OrderRecord[] = [];
  for await (const { value } of new OrderRepository(context.runtime.journal).listAll()) orders.push(value);
  const verification = verifyRehearsal({ truth, payments, panScan, orders });
  context.progress.phaseProgress(3, 3, 'done');
  const { invariants } = verification;
  const failing = Object.entries(invariants).filter(([, count]) => count > 0);
  return {
    verification,
    outcome: {
      coverage: 'covered',
      engines: ['PCI scanner', 'order state machine', 'order synchronizer records', 'provider fakes (truth)'],
      notes: failing.map(([name, count]) => `${name}: ${count}`),
      counts: {
        ...invariants,
        unjournaledCharges: verification.unjournaledCharges,
        ...verification.checked,
        networkTransactionIdsExcludedFromScan: panScan.reduce((sum, scan) => sum + scan.excludedNetworkTransactionIds, 0),
      },
      summary: failing.length === 0 ? 'every invariant holds' : `violated: ${failing.map(([name, count]) => `${name} ${count}`).join(', ')}`,
    },
  };
}
