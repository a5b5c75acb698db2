import { setTimeout as sleep } from 'node:timers/promises';
import { intentsCollection, Money, PaymentRepository } from '@paymigrate/core';
import { outboxLeaseMs } from '../runtime/runtime.js';
import { rehearsalActor } from './phase-ramp.js';
import { completeSessions } from './session-steps.js';
import { forEachConcurrently, type PhaseRunner, type RehearsalContext } from './rehearsal-context.js';

/** Operations at the same time once the traffic has stopped. */
const drainConcurrency = 16;

/** How long the drain waits for every payment to settle. */
const settleTimeoutMs = 60_000;

/** Non-final intents left in the journal. */
async function openIntents(context: RehearsalContext): Promise<number> {
  const { journal } = context.runtime;
  const counts = await Promise.all(['pending', 'unknown', 'waiting'].map((index) => journal.count(intentsCollection, { index })));
  return counts.reduce((sum, value) => sum + value, 0);
}

/** Payments still holding money or work at either provider. */
async function unsettledPayments(context: RehearsalContext): Promise<number> {
  const { transactions } = context.runtime;
  const [from, to] = await Promise.all([transactions.inFlight({ provider: context.options.from }), transactions.inFlight({ provider: context.options.to })]);
  return from.length + to.length;
}

/** Delivers webhooks and runs recovery passes until nothing is left to settle (or the time is up). */
async function settleEverything(context: RehearsalContext): Promise<{ readonly recovered: number; readonly openIntents: number; readonly unsettled: number }> {
  const { transactions } = context.runtime;
  const deadline = Date.now() + settleTimeoutMs;
  let recovered = 0;
  for (;;) {
    const queued = await context.pump.deliverOnce();
    const report = await transactions.recover({ owner: `rehearsal-${context.run}`, limit: 500 });
    recovered += report.succeeded + report.failed;
    const open = await openIntents(context);
    const unsettled = await unsettledPayments(context);
    context.progress.phaseProgress(unsettled, undefined, `unsettled payments, ${open} open intents, ${queued} webhooks queued`);
    if ((open === 0 && unsettled === 0 && queued === 0) || Date.now() > deadline) return { recovered, openIntents: open, unsettled };
    await sleep(100);
  }
}

/**
 * Phase 7: drain and recovery. The traffic stops. Every authorized payment a customer was told
 * about is captured on the provider it is pinned to (old orders at the old provider, whatever the
 * routing says now); authorizations nobody was told about are voided; some old-provider orders
 * are refunded there. Webhooks are delivered, recovery passes complete every open intent, the
 * outbox is delivered to the platform, and the orchestrator moves to drain and done once nothing
 * is in flight at the old provider.
 */
export const drainPhase: PhaseRunner = async (context) => {
  const { runtime, options, world } = context;
  const { transactions, orchestrator } = runtime;
  await context.traffic?.stop();
  context.traffic = undefined;
  const receipts = new Set((await world.call('truth', {})).receipts.map((receipt) => receipt.paymentId));
  const payments = new PaymentRepository(runtime.journal);
  const authorized: string[] = [];
  for await (const { value } of payments.listByState('authorized')) authorized.push(value.paymentId);
  let captured = 0;
  let voided = 0;
  await forEachConcurrently(
    authorized,
    drainConcurrency,
    async (paymentId) => {
      if (receipts.has(paymentId)) {
        await transactions.capture({ paymentId, sequence: 1 });
        captured += 1;
      } else {
        await transactions.cancel({ paymentId, sequence: 1 });
        voided += 1;
      }
    },
    (done) => context.progress.phaseProgress(done, authorized.length, 'authorizations captured or voided'),
  );
  let settled = await settleEverything(context);
  const refundable: string[] = [];
  for await (const { value } of payments.listAll()) {
    if (value.paymentId.startsWith('pay-order-') && value.provider === options.from && value.capturedAmount.isPositive() && value.refundedAmount.isZero()) refundable.push(value.paymentId);
  }
  let refunded = 0;
  await forEachConcurrently(refundable.filter((_, index) => index % 5 === 0), drainConcurrency, async (paymentId) => {
    const payment = await transactions.payment(paymentId);
    /* v8 ignore next -- listed just above */
    if (payment === undefined) return;
    const half = halfOf(payment.capturedAmount);
    const result = await transactions.refund({ paymentId, amount: half, reason: 'requested_by_customer', sequence: 1 });
    if (result.status !== 'failed') refunded += 1;
  });
  settled = await settleEverything(context);
  let delivered = 0;
  // Messages a killed earlier run had claimed stay leased to it until their lease ends: wait that long
  // (and a little more) for them before calling anything undelivered.
  const deliveryDeadline = Date.now() + outboxLeaseMs + 10_000;
  while (Date.now() < deliveryDeadline) {
    const report = await runtime.relay.runOnce();
    delivered += report.delivered;
    if ((await runtime.journal.pendingOutboxCount({ topics: runtime.relayTopics })) === 0) break;
    if (report.claimed === 0) await sleep(100);
  }
  const outboxPending = await runtime.journal.pendingOutboxCount({ topics: runtime.relayTopics });
  let state = await orchestrator.status();
  if (state.phase === 'cutover') {
    await sleep(Math.max(0, runtime.config.routing.routingSettleMs - (Date.now() - state.updatedAt)) + 20);
    await orchestrator.advance({ to: 'drain', actor: rehearsalActor, reason: 'cutover settled' });
    state = await orchestrator.status();
  }
  if (state.phase === 'drain' && state.drain.complete) {
    await orchestrator.advance({ to: 'done', actor: rehearsalActor, reason: `nothing in flight at ${options.from}` });
    state = await orchestrator.status();
  }
  const sessions = await completeSessions(context);
  const unresolved = (await transactions.unresolvedPayments()).length;
  context.events.record('drain.done', { phase: state.phase, captured, voided, refunded, outboxDelivered: delivered });
  const notes: string[] = [sessions];
  if (state.phase !== 'done') notes.push(`the migration stopped at '${state.phase}': ${state.drain.inFlight ?? '?'} payments still in flight at ${options.from}`);
  if (settled.openIntents > 0) notes.push(`${settled.openIntents} intents still open after recovery`);
  if (outboxPending > 0) notes.push(`${outboxPending} outbox messages undelivered`);
  return {
    coverage: 'covered',
    engines: ['transactions (recovery)', 'outbox relay', 'cutover orchestrator', 'session migration controller', `provider-${options.from}`, `provider-${options.to}`],
    notes,
    counts: {
      captured,
      voided,
      refundedOldProviderOrders: refunded,
      recoveredIntents: settled.recovered,
      openIntents: settled.openIntents,
      unsettledPayments: settled.unsettled,
      unresolvedPayments: unresolved,
      outboxDelivered: delivered,
      outboxPending,
      migrationDone: state.phase === 'done' ? 1 : 0,
    },
    summary: `${captured} captured, ${voided} voided, ${refunded} old-provider orders refunded at ${options.from}, ${delivered} outbox messages delivered, migration ${state.phase}`,
  };
};

/** Half of an amount, rounded down to a minor unit (a partial refund). */
function halfOf(amount: Money): Money {
  const minor = BigInt(amount.toJSON().minorUnits);
  return Money.of(minor / 2n > 0n ? minor / 2n : minor, amount.currency);
}
