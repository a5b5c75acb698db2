import { Money } from '@paymigrate/core';
import { checkoutsBetween, rehearsalActor, waitForRoutingToSettle } from './phase-ramp.js';
import type { PhaseRunner, RehearsalContext } from './rehearsal-context.js';

/** Payments held in flight at the new provider when the rollback hits. */
export const drillPaymentCount = 8;

/** The payment ids of the drill's in-flight payments. */
export function drillPaymentIds(): string[] {
  return Array.from({ length: drillPaymentCount }, (_, index) => `drill-${String(index + 1).padStart(2, '0')}`);
}

/** Authorizes the drill's payments (at the new provider: the migration is cut over) and gives the customers their receipts. Idempotent. */
async function holdPaymentsInFlight(context: RehearsalContext): Promise<number> {
  const { runtime, customers, world, options } = context;
  const withNewCards = customers.all().filter((customer) => customer.cards[options.to] !== undefined);
  let held = 0;
  for (const [index, paymentId] of drillPaymentIds().entries()) {
    const customer = withNewCards[index % Math.max(1, withNewCards.length)];
    const card = customer === undefined ? undefined : customers.cardAt(customer.customerId, options.to);
    if (customer === undefined || card === undefined) continue;
    const amount = Money.of(4_990 + index * 100, context.currency);
    const startedAt = performance.now();
    await runtime.routing.decide({ paymentId, merchantReference: `ref-${paymentId}`, amount, currency: context.currency, customerId: customer.customerId });
    const result = await runtime.transactions.authorize({
      paymentId,
      merchantReference: `ref-${paymentId}`,
      amount,
      paymentMethodToken: card.token,
      customerId: customer.customerId,
      customerReference: card.customerReference,
      captureMethod: 'manual',
      cardBrand: card.card.brand,
    });
    if (result.status !== 'succeeded' || result.payment.state !== 'authorized') continue;
    held += 1;
    await world.call('acknowledge', {
      paymentId,
      merchantReference: result.payment.merchantReference,
      provider: result.payment.provider,
      providerReference: result.payment.providerReference,
      amount: amount.toJSON(),
      orderId: undefined,
      customerId: customer.customerId,
      kind: 'drill',
      latencyMs: performance.now() - startedAt,
      acknowledgedAt: Date.now(),
    });
  }
  return held;
}

/** Moves a rolled-back migration forward again to the cutover (guards apply at every step). */
async function rollForward(context: RehearsalContext): Promise<void> {
  const { orchestrator } = context.runtime;
  let state = await orchestrator.status();
  if (state.phase === 'rolled_back') state = { ...state, ...(await orchestrator.advance({ to: 'prepare', actor: rehearsalActor, reason: 'incident over: roll forward' })) };
  if (state.phase === 'prepare') state = { ...state, ...(await orchestrator.advance({ to: 'shadow', actor: rehearsalActor, reason: 'roll forward' })) };
  if (state.phase === 'shadow') state = { ...state, ...(await orchestrator.advance({ to: 'ramp', actor: rehearsalActor, reason: 'roll forward' })) };
  if (state.phase === 'ramp' && state.rampPercent < 100) state = { ...state, ...(await orchestrator.setRampPercent({ percent: 100, actor: rehearsalActor, reason: 'roll forward' })) };
  if (state.phase === 'ramp') await orchestrator.advance({ to: 'cutover', actor: rehearsalActor, reason: 'roll forward complete' });
  context.events.record('rollback-drill.rolled-forward', {});
}

/** How long the drill waits for the kill switch to reach this process's router. */
const killSwitchPropagationTimeoutMs = 5_000;

/** Milliseconds until the router's decisions show the kill switch (the node re-reads on the broadcast). */
async function killSwitchPropagation(context: RehearsalContext, engagedAt: number): Promise<number> {
  const { router } = context.runtime.routing;
  const probe = { paymentId: 'kill-switch-probe', merchantReference: 'ref-kill-switch-probe', amount: Money.of(100, context.currency), currency: context.currency, customerId: 'probe' };
  while (router.preview(probe).kind !== 'kill-switch') {
    if (performance.now() - engagedAt > killSwitchPropagationTimeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return Math.round(performance.now() - engagedAt);
}

/** Checkouts acknowledged per provider while `during` runs (after the checkouts already under way finish). */
async function checkoutsWhile(context: RehearsalContext, count: number): Promise<Record<string, number>> {
  await context.traffic?.waitForCheckouts(context.options.concurrency, 5_000);
  const before = context.traffic?.snapshot();
  await context.traffic?.waitForCheckouts(count, 15_000);
  const after = context.traffic?.snapshot();
  return before === undefined || after === undefined ? {} : checkoutsBetween(before, after);
}

/**
 * Phase 6: the emergency rollback drill, during live traffic. Payments are held in flight at the
 * new provider; the kill switch is engaged (fleet-wide: every new payment to the old provider at
 * once); then the migration is rolled back in the orchestrator (the durable state) and the switch
 * released. New payments must go to the old provider from the switch on, while the held payments
 * finish (capture) where they started. Then the migration rolls forward to the cutover again.
 */
export const rollbackDrillPhase: PhaseRunner = async (context) => {
  const { orchestrator, transactions, routing } = context.runtime;
  const { options } = context;
  const status = await orchestrator.status();
  const rolledBackBefore = status.history.some((entry) => entry.to === 'rolled_back');
  let held = 0;
  let propagationMs: number | undefined;
  let afterKillSwitch: Record<string, number> = {};
  let afterRollback: Record<string, number> = {};
  if (status.phase === 'cutover' && !rolledBackBefore) {
    // A run killed between the switch and the rollback left it engaged: start the drill again from the cutover.
    if ((await routing.killSwitch.read())?.killSwitchEngaged === true) {
      await routing.killSwitch.release({ actor: rehearsalActor, reason: 'drill restarted after a crash' });
      await waitForRoutingToSettle(context);
    }
    context.progress.phaseProgress(0, 5, 'holding payments in flight');
    held = await holdPaymentsInFlight(context);
    context.progress.phaseProgress(1, 5, 'kill switch');
    const engagedAt = performance.now();
    await routing.killSwitch.engage({ actor: rehearsalActor, reason: 'emergency rollback drill' });
    propagationMs = await killSwitchPropagation(context, engagedAt);
    context.events.record('rollback-drill.kill-switch', { held, propagationMs });
    afterKillSwitch = await checkoutsWhile(context, 15);
    context.progress.phaseProgress(2, 5, 'rolling back');
    await orchestrator.rollback({ actor: rehearsalActor, reason: 'emergency rollback drill' });
    await routing.killSwitch.release({ actor: rehearsalActor, reason: 'migration rolled back; the switch is no longer needed' });
    context.events.record('rollback-drill.rolled-back', { held });
  }
  if ((await orchestrator.status()).phase === 'rolled_back') {
    await waitForRoutingToSettle(context);
    afterRollback = await checkoutsWhile(context, 15);
  }
  context.progress.phaseProgress(3, 5, 'finishing in-flight payments');
  let finishedWhereStarted = 0;
  let finishedElsewhere = 0;
  for (const paymentId of drillPaymentIds()) {
    const payment = await transactions.payment(paymentId);
    if (payment === undefined) continue;
    const result = await transactions.capture({ paymentId, sequence: 1 });
    if (result.payment.provider === options.to && result.status !== 'failed') finishedWhereStarted += 1;
    else finishedElsewhere += 1;
  }
  context.progress.phaseProgress(4, 5, 'rolling forward');
  await rollForward(context);
  const newAfterSwitch = (afterKillSwitch[options.to] ?? 0) + (afterRollback[options.to] ?? 0);
  const oldAfterSwitch = (afterKillSwitch[options.from] ?? 0) + (afterRollback[options.from] ?? 0);
  const notes = [
    propagationMs === undefined ? 'kill switch engaged in an earlier run' : `the kill switch reached the router in ${propagationMs} ms`,
    `after the switch: ${oldAfterSwitch} checkouts at ${options.from}, ${newAfterSwitch} at ${options.to}`,
    `${finishedWhereStarted} in-flight payments finished at ${options.to}, where they started`,
  ];
  return {
    coverage: 'covered',
    engines: ['kill switch', 'traffic router', 'cutover orchestrator', 'transactions'],
    notes,
    counts: {
      paymentsHeldInFlight: held,
      inFlightFinishedWhereStarted: finishedWhereStarted,
      inFlightFinishedElsewhere: finishedElsewhere,
      killSwitchPropagationMs: propagationMs ?? 0,
      checkoutsOnOldAfterRollback: oldAfterSwitch,
      checkoutsOnNewAfterRollback: newAfterSwitch,
    },
    summary: `kill switch with ${held} payments in flight (${propagationMs ?? '?'} ms to take effect); ${newAfterSwitch} new checkouts reached ${options.to} after it; rolled back and forward`,
  };
};
