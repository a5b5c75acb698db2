// A customer completing checkout while the orchestrator flips new payments from Stripe to Adyen:
// real adapters, stateful fakes, the SQLite journal. No checkout fails, each completes on the
// provider it began on, and the old provider drains to zero so the migration can finish.
//
// The order of events is made explicit (checkouts wait at the payment form until released), so the
// assertions hold however slowly a loaded machine runs; the timing within each group is random.
import { setTimeout as sleep } from 'node:timers/promises';
import { createSeededRandom, type SeededRandom } from '@paymigrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockServer } from './support/mock-server.js';
import { type CheckoutOutcome, createZeroLossWorld, newProvider, oldProvider, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A gate the customers of a group wait at (the payment form), opened once. */
function gate(): { readonly wait: () => Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open };
}

interface TimedCheckout extends CheckoutOutcome {
  /** Whether its authorization was sent after the routing change committed. */
  readonly authorizedAfterChange: boolean;
}

/**
 * Runs `before` checkouts that begin before `change` (half of them authorize right away, half wait at
 * the payment form until the change committed), then `change`, then `after` checkouts that begin
 * after it, all concurrently with random customer delays.
 */
async function checkoutsAround(
  active: ZeroLossWorld,
  random: SeededRandom,
  prefix: string,
  counts: { readonly before: number; readonly after: number },
  change: () => Promise<number>,
): Promise<{ before: TimedCheckout[]; after: TimedCheckout[]; epoch: number }> {
  let changed = false;
  const form = gate();
  const begun: Promise<void>[] = [];
  const start = (index: number, waitForChange: boolean): Promise<TimedCheckout> => {
    let authorizedAfterChange = false;
    let markBegun!: () => void;
    begun.push(new Promise((resolve) => (markBegun = resolve)));
    return active
      .checkout({
        paymentId: `${prefix}_${index}`,
        amount: 1_000 + index,
        atPaymentForm: async () => {
          markBegun();
          if (waitForChange) await form.wait();
          await sleep(random.integer(0, 40));
          authorizedAfterChange = changed;
        },
      })
      .then((outcome) => ({ ...outcome, authorizedAfterChange }));
  };
  const before = Array.from({ length: counts.before }, (_, index) => start(index, index % 2 === 0));
  await Promise.all(begun);
  const epoch = await change();
  changed = true;
  form.open();
  const after = Array.from({ length: counts.after }, (_, index) => start(counts.before + index, false));
  return { before: await Promise.all(before), after: await Promise.all(after), epoch };
}

describe('checkouts in flight while the cutover flips the epoch', () => {
  it('80 concurrent checkouts: none fails, each completes on the provider it began on, the old provider drains, the migration finishes', async () => {
    world = await createZeroLossWorld(server, { seed: 11 });
    const active = world;
    await active.prepareCutover();
    const { before, after, epoch } = await checkoutsAround(active, createSeededRandom(20_261_201), 'pay_flip', { before: 40, after: 40 }, () => active.cutover());

    // None fails; pinned: each payment lives where its checkout began, whatever the routing said when it was authorized.
    for (const outcome of [...before, ...after]) {
      expect(outcome.authorization.status, outcome.paymentId).toBe('succeeded');
      expect(outcome.capture?.status, outcome.paymentId).toBe('succeeded');
      expect(outcome.authorization.payment.provider, outcome.paymentId).toBe(outcome.begunOn);
      expect(outcome.begunOn).toBe(outcome.epoch >= epoch ? newProvider : oldProvider);
    }
    for (const outcome of before) expect(outcome.begunOn).toBe(oldProvider);
    for (const outcome of after) expect(outcome.begunOn).toBe(newProvider);
    // At least half of the old-provider checkouts were still at the payment form when the flip committed: they finished on Stripe.
    expect(before.filter((outcome) => outcome.authorizedAfterChange).length).toBeGreaterThanOrEqual(20);

    // Adyen confirms its captures by webhook; then nothing is in flight anywhere.
    await active.recoverAll();
    for (const outcome of [...before, ...after]) {
      const payment = await active.payment(outcome.paymentId);
      expect(payment.state, outcome.paymentId).toBe('captured');
      expect(payment.capturedAmount.toNumberOfMinorUnits()).toBe(outcome.authorization.payment.amount.toNumberOfMinorUnits());
    }
    expect(await active.transactions.inFlight({ provider: oldProvider })).toEqual([]);
    expect(await active.transactions.inFlight({ provider: newProvider })).toEqual([]);
    await active.orchestrator.advance({ to: 'drain', actor: 'scenario', reason: 'routing settled' });
    expect((await active.orchestrator.advance({ to: 'done', actor: 'scenario', reason: 'old provider drained' })).phase).toBe('done');

    // Provider truth: one payment per checkout, on its provider only, with the journal's amounts.
    expect(active.stripe.paymentIntents()).toHaveLength(40);
    expect(active.adyen.payments()).toHaveLength(40);
    const report = await active.invariants();
    expect(report.violations).toEqual([]);
    expect(report.counts).toMatchObject({ payments: 80, intents: 160, intentsByStatus: { succeeded: 160 } });
  });

  it('a rollback in the middle of the checkouts: those begun on Adyen finish on Adyen, new ones go back to Stripe', async () => {
    world = await createZeroLossWorld(server, { seed: 12 });
    const active = world;
    await active.prepareCutover();
    await active.cutover();
    const { before, after, epoch } = await checkoutsAround(active, createSeededRandom(20_261_202), 'pay_back', { before: 20, after: 20 }, () => active.rollback());
    for (const outcome of [...before, ...after]) {
      expect(outcome.authorization.status).toBe('succeeded');
      expect(outcome.capture?.status).toBe('succeeded');
      expect(outcome.authorization.payment.provider).toBe(outcome.begunOn);
      expect(outcome.begunOn).toBe(outcome.epoch >= epoch ? oldProvider : newProvider);
    }
    for (const outcome of before) expect(outcome.begunOn).toBe(newProvider);
    for (const outcome of after) expect(outcome.begunOn).toBe(oldProvider);
    expect(before.filter((outcome) => outcome.authorizedAfterChange).length).toBeGreaterThanOrEqual(10);
    await active.recoverAll();
    const report = await active.invariants();
    expect(report.violations).toEqual([]);
    expect(report.counts.intentsByStatus).toEqual({ succeeded: 80 });
  });
});
