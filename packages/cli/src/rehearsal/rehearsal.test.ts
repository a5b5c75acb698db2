import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../output/command-io.js';
import { runCli } from '../cli.js';
import { runRehearsal } from './rehearsal.js';
import { parseRehearsalOptions } from './rehearsal-options.js';
import type { RehearsalReport } from './report.js';

/** A small rehearsal, world in this process. */
const small = { world: 'in-process', customers: 24, orders: 12, sessions: 40, concurrency: 4, json: true } as const;

describe('runRehearsal', () => {
  it('rehearses a whole migration at small scale with every invariant at 0 and exit code 0', async () => {
    const io = memoryIo();
    const journal = join(mkdtempSync(join(tmpdir(), 'paymigrate-rehearsal-test-')), 'journal.sqlite');
    const result = await runRehearsal(parseRehearsalOptions({ ...small, from: 'stripe', to: 'adyen', journal }), io);
    const report = JSON.parse(io.output()) as RehearsalReport;
    expect(report.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
    expect(report.ok).toBe(true);
    expect(result.exitCode).toBe(0);
    expect(report.phases.map((phase) => phase.phase)).toStrictEqual(['seed', 'traffic', 'tokens', 'ramp', 'cutover', 'rollback-drill', 'drain', 'verify']);
    expect(report.figures.checkouts).toBeGreaterThan(0);
    expect(report.figures.checkoutLatencyMs.p99).toBeGreaterThanOrEqual(report.figures.checkoutLatencyMs.p50);
    const tokens = report.phases.find((phase) => phase.phase === 'tokens');
    expect(tokens?.counts.bulkImported).toBe(24);
    expect(report.figures.tokensMigrated).toBe(24 + (tokens?.counts.deltaImported ?? 0));
    expect(report.figures.paymentsByProvider.stripe).toBeGreaterThan(0);
    expect(report.figures.paymentsByProvider.adyen).toBeGreaterThan(0);
    const drill = report.phases.find((phase) => phase.phase === 'rollback-drill');
    expect(drill?.counts.inFlightFinishedWhereStarted).toBe(drill?.counts.paymentsHeldInFlight);
    expect(drill?.counts.checkoutsOnNewAfterRollback).toBe(0);
    expect(report.phases.find((phase) => phase.phase === 'drain')?.counts.migrationDone).toBe(1);
    expect(tokens?.coverage).toBe('covered');
    expect(tokens?.notes.join(' ')).toContain('PGP-encrypted and signed, verified before use');
    expect(tokens?.counts.rejected).toBe(0);
    expect(tokens?.counts.verified).toBeGreaterThanOrEqual(24);
    expect(report.enginesNotAvailable).toStrictEqual([]);
    expect(io.errors()).toContain('[8/8] verification');

    // Run again on the finished journal: the stored report is printed, nothing runs.
    const again = memoryIo();
    expect(await runCli(['rehearse', '--world', 'in-process', '--journal', journal, '--customers', '24', '--orders', '12', '--sessions', '40', '--concurrency', '4', '--json'], again)).toBe(0);
    expect(JSON.parse(again.output())).toStrictEqual(report);

    // Another rehearsal's options on the same journal are refused.
    const other = memoryIo();
    expect(await runCli(['rehearse', '--world', 'in-process', '--journal', journal, '--customers', '25'], other)).toBe(1);
    expect(other.errors()).toContain('REHEARSAL_OPTIONS_MISMATCH');
  }, 240_000);

  it('finds every injected fault: each invariant counts its own violations and the exit code is 1', async () => {
    const io = memoryIo();
    const result = await runRehearsal(
      parseRehearsalOptions({ ...small, from: 'paypal', to: 'stripe', faults: ['double-charge', 'tamper-journal', 'drop-session', 'rewind-order', 'leak-card-number'] }),
      io,
    );
    const report = JSON.parse(io.output()) as RehearsalReport;
    expect(result.exitCode).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.invariants.doubleCharges).toBeGreaterThan(0);
    expect(report.invariants.lostPayments).toBeGreaterThan(0);
    expect(report.invariants.droppedSessions).toBe(1);
    expect(report.invariants.invalidOrders).toBeGreaterThan(0);
    expect(report.invariants.panHits).toBeGreaterThan(0);
    expect(report.violations.lostPayments.join('\n')).toContain('missing from the journal');
    expect(report.violations.doubleCharges.join('\n')).toContain('charged 2 times');
    expect(report.violations.panHits.join('\n')).not.toMatch(/4111111111111111/);
    expect(report.unjournaledCharges).toBeGreaterThan(0);
  }, 240_000);
});
