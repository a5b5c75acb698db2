// The crash test: children run seeded streams of checkouts, captures, refunds and cancellations on
// SQLite journals against Stripe and PayPal fakes served over loopback HTTP by this process (the
// fakes outlive every child), and are SIGKILLed at seeded points; a new child recovers what its
// predecessor left. At the end every acknowledged operation is in the journal, nothing was charged
// twice, and each journal equals the providers' truth.
//
// PAYMIGRATE_CRASH_KILLS (default 200) and PAYMIGRATE_CRASH_SEED (default 20261126) change the run;
// `npx tsx scripts/crash-test.ts --kills 5000 --seed N` is the long run.
import { describe, expect, it } from 'vitest';
import { runCrashTest } from './support/crash/crash-run.js';

const kills = Number(process.env.PAYMIGRATE_CRASH_KILLS ?? 200);
const seed = Number(process.env.PAYMIGRATE_CRASH_SEED ?? 20_261_126);

describe('SIGKILL at seeded points while checkouts, captures, refunds and cancellations run', () => {
  it(`${kills} kill points (seed ${seed}): nothing acknowledged is lost, nothing charged twice, journal == provider truth`, async () => {
    const result = await runCrashTest({ kills, seed, lanes: 4 });
    expect(result.violations, `replay with: npx tsx scripts/crash-test.ts --kills ${kills} --seed ${seed}`).toEqual([]);
    expect(result.kills).toBe(kills);
    // The kills left work behind that the next child's recovery finished: they hit real windows.
    expect(result.recoveredOnStart.examined).toBeGreaterThan(0);
    expect(result.killsDuringRecovery).toBeGreaterThan(0);
    const acknowledged = Object.values(result.acknowledged).reduce((sum, count) => sum + count, 0);
    expect(acknowledged).toBeGreaterThan(kills);
    for (const operation of ['authorize', 'capture', 'refund', 'cancel']) expect(result.acknowledged[`${operation}:succeeded`] ?? 0, operation).toBeGreaterThan(0);
    expect(Object.keys(result.intents).sort()).toEqual(['succeeded', ...(result.intents.failed === undefined ? [] : ['failed'])].sort());
    expect(result.childErrors).toEqual([]);
  }, 600_000);
});
