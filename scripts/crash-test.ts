// The long-run crash test: `npx tsx scripts/crash-test.ts --kills 5000 --seed 7 [--lanes 4] [--workers 6]`.
// Children run seeded streams of checkouts, captures, refunds and cancellations against Stripe and
// PayPal fakes served over loopback by this process, on SQLite journals, and are SIGKILLed at
// seeded points; after the last kill every journal is recovered and checked against the providers'
// truth. A failing seed replays with `--seed <seed>`. Exit code 1 on any violation.
import { runCrashTest } from '../scenarios/support/crash/crash-run.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

const kills = option('kills', 200);
const seed = option('seed', Math.floor(Math.random() * 1_000_000_000) + 1);
const lanes = option('lanes', 4);
const workers = option('workers', 6);
process.stderr.write(`crash test: ${kills} kills, seed ${seed}, ${lanes} lanes, ${workers} workers per child (replay: --seed ${seed})\n`);
const result = await runCrashTest({ kills, seed, lanes, workers, log: (line) => process.stderr.write(`  ${line}\n`), verbose: process.argv.includes('--verbose') });
const acknowledged = Object.values(result.acknowledged).reduce((sum, count) => sum + count, 0);
const summary = {
  seed: result.seed,
  kills: result.kills,
  killsDuringRecovery: result.killsDuringRecovery,
  lanes: result.lanes,
  acknowledgedOperations: acknowledged,
  acknowledgedByOperationAndStatus: result.acknowledged,
  recoveredOnStart: result.recoveredOnStart,
  finalRecovery: result.finalRecovery,
  payments: result.payments,
  intentsByStatus: result.intents,
  providerPayments: result.providerPayments,
  childErrors: result.childErrors.length,
  violations: result.violations.length,
  durationSeconds: Math.round(result.durationMs / 100) / 10,
  killsPerSecond: Math.round((result.kills / (result.durationMs / 1000)) * 10) / 10,
};
process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
for (const error of result.childErrors.slice(0, 20)) process.stderr.write(`child error: ${error}\n`);
for (const violation of result.violations.slice(0, 50)) process.stderr.write(`VIOLATION: ${violation}\n`);
process.stderr.write(result.violations.length === 0 ? `PASSED: no violation (seed ${seed})\n` : `FAILED: ${result.violations.length} violation(s); replay with --seed ${seed}\n`);
process.exitCode = result.violations.length === 0 ? 0 : 1;
