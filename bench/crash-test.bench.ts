// The long crash test for the record: the CI suite runs 200 kill points; this runs 2,000 (200 with
// --quick). `npx tsx scripts/crash-test.ts --kills N --seed S` is the same run from the command line,
// and the way to replay a failing seed.
import { loadavg } from 'node:os';
import { runCrashTest } from '../scenarios/support/crash/crash-run.js';
import type { Benchmark } from './support/benchmark.js';

const benchmark: Benchmark = async ({ scale, seed, log }) => {
  const kills = Math.max(20, Math.round(2_000 * scale));
  const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  const result = await runCrashTest({ kills, seed, lanes: 4, log });
  const acknowledged = Object.values(result.acknowledged).reduce((sum, count) => sum + count, 0);
  const seconds = result.durationMs / 1000;
  return {
    title: `Crash test: ${kills.toLocaleString('en-US')} SIGKILL points, then recovery against the providers' truth`,
    description:
      'Child processes run seeded streams of checkouts, captures, refunds and cancellations through the Transaction State Manager on SQLite journals (synchronous=FULL, group commit) against the Stripe and PayPal fakes served over loopback HTTP, and are SIGKILLed at seeded points (some during the recovery of their predecessor). After the last kill every journal is recovered and compared with what the providers hold.',
    targets: [
      { measure: 'violations (acknowledged operation lost, double charge, journal != provider truth)', target: '0', achieved: String(result.violations.length), met: result.violations.length === 0, owner: 'user' },
      { measure: 'kill points', target: `${kills}`, achieved: String(result.kills), met: result.kills === kills, owner: 'ours' },
    ],
    figures: {
      seed: result.seed,
      'acknowledged operations': acknowledged,
      ...Object.fromEntries(Object.entries(result.acknowledged).map(([key, count]) => [`acknowledged ${key}`, count])),
      'kills during a recovery': result.killsDuringRecovery,
      'intents recovered on restart (examined / succeeded / failed / unresolved)': `${result.recoveredOnStart.examined} / ${result.recoveredOnStart.succeeded} / ${result.recoveredOnStart.failed} / ${result.recoveredOnStart.unresolved}`,
      'final recovery (examined / succeeded / failed / passes)': `${result.finalRecovery.examined} / ${result.finalRecovery.succeeded} / ${result.finalRecovery.failed} / ${result.finalRecovery.passes}`,
      payments: result.payments,
      'payments at the providers': Object.entries(result.providerPayments).map(([provider, count]) => `${provider} ${count}`).join(', '),
      'child errors': result.childErrors.length,
      'kills per second': Math.round((result.kills / seconds) * 10) / 10,
      'machine load (1 min) at start': loadAtStart,
    },
    notes: [
      `Replay this run with \`npx tsx scripts/crash-test.ts --kills ${kills} --seed ${result.seed}\`.`,
      ...result.violations.slice(0, 20).map((violation) => `VIOLATION: ${violation}`),
    ],
  };
};

export default benchmark;
