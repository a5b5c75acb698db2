import type { PhaseRunner } from './rehearsal-context.js';

/** Checkouts the traffic phase waits for before the migration begins. */
export const warmUpCheckouts = 30;

/**
 * Phase 2: customers start checking out (the traffic keeps running through the token migration,
 * the ramp, the cutover and the rollback drill, and stops at the drain). Every checkout asks the
 * routing which provider to pay at, pays with the customer's card there through the Transaction
 * State Manager, and gets a receipt once authorized.
 */
export const trafficPhase: PhaseRunner = async (context) => {
  const traffic = context.traffic;
  /* v8 ignore next -- the runner starts the traffic before this phase */
  if (traffic === undefined) throw new Error('the checkout traffic is not running');
  const before = traffic.snapshot().acknowledged;
  const waiting = traffic.waitForCheckouts(warmUpCheckouts, 30_000);
  const timer = setInterval(() => context.progress.phaseProgress(Math.min(warmUpCheckouts, traffic.snapshot().acknowledged - before), warmUpCheckouts, 'checkouts'), 250);
  await waiting;
  clearInterval(timer);
  const snapshot = traffic.snapshot();
  return {
    coverage: 'covered',
    engines: ['transactions', 'traffic router'],
    notes: [],
    counts: { concurrency: context.options.concurrency, checkouts: snapshot.acknowledged },
    summary: `${context.options.concurrency} concurrent customers, ${snapshot.acknowledged} checkouts so far`,
  };
};
