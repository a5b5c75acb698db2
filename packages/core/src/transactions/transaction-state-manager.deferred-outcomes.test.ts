import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { decodePlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { JournalV1, JournalWriteBatch } from '../ports/journal/v1/journal.js';
import { createHarness, type Harness, usd } from './__fixtures__/transaction-harness.js';
import { createTransactionStateManager } from './transaction-state-manager.js';
import type { TransactionStateManager } from './transaction-types.js';

const checkout = { paymentId: 'pay_1', merchantReference: 'order-1001-1', orderId: 'order-1001', amount: usd(10_000), paymentMethodToken: 'tok_visa' };

/**
 * Keeps every batch the state manager committed, in commit order, to rebuild the journal a power
 * loss would leave: commit-order prefix durability (`JournalWriteBatch.durability`) keeps every
 * batch up to the last durable one, deferred ones included, and may lose every deferred batch after
 * it. (A checkout makes no claims, so replaying the batches rebuilds the same versions.)
 */
function recordCommits(harness: Harness): JournalWriteBatch[] {
  const committed: JournalWriteBatch[] = [];
  harness.journal.afterWrite = (batch) => {
    committed.push(batch);
  };
  return committed;
}

/** The journal after the worst power loss now: every deferred batch after the last durable one is gone. */
async function journalAfterPowerLoss(harness: Harness, committed: readonly JournalWriteBatch[]): Promise<{ journal: InMemoryJournal; lost: number }> {
  const lastDurable = committed.findLastIndex((batch) => batch.durability !== 'deferred');
  const journal = new InMemoryJournal({ clock: harness.clock });
  await journal.open();
  for (const batch of committed.slice(0, lastDurable + 1)) await journal.write(batch);
  return { journal, lost: committed.length - lastDurable - 1 };
}

/** A state manager restarted on `journal`, with the same providers (their truth survived). */
function restartedOn(harness: Harness, journal: JournalV1): TransactionStateManager {
  return createTransactionStateManager({
    journal,
    gateways: [harness.old, harness.next],
    selectProvider: harness.selector,
    clock: harness.clock,
    logger: harness.logger,
    meter: harness.meter,
    retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    unknownOutcome: { resolveAfterMs: 0, lookupDelayMs: 0 },
    recovery: { graceMs: 0, leaseMs: 60_000, concurrency: 2 },
  });
}

/** What must not depend on whether the outcome survived: the payment, its intents' outcomes, the platform messages. */
async function observable(journal: JournalV1, transactions: TransactionStateManager): Promise<unknown> {
  const payment = await transactions.payment('pay_1');
  const intents = await transactions.intents('pay_1');
  const messages = await journal.claimOutbox({ owner: 'observer', leaseMs: 60_000, limit: 100 });
  const pending = await journal.pendingOutboxCount();
  return {
    payment: payment === undefined ? undefined : { ...payment, updatedAt: 'any' },
    intents: intents.map((intent) => ({ intentId: intent.intentId, status: intent.status, outcome: intent.outcome, idempotencyKey: intent.idempotencyKey })),
    messages: messages.map((message) => {
      const payload = decodePlatformPaymentMessage(message);
      return { topic: message.topic, orderingKey: message.orderingKey, deduplicationId: message.deduplicationId, type: payload.type, amount: payload.amount.toString(), providerReference: payload.providerReference };
    }),
    pending,
  };
}

describe('a deferred outcome lost in a power loss is re-created by the recovery pass (invariant 1)', () => {
  it('losing the capture outcome: recovery re-sends the capture with its key, the provider replays, and the journal ends as without the loss', async () => {
    const harness = await createHarness();
    const committed = recordCommits(harness);
    const transactions = harness.create();
    await transactions.authorize(checkout);
    const answered = await transactions.capture({ paymentId: 'pay_1' });
    expect(answered).toMatchObject({ status: 'succeeded', payment: { state: 'captured' } });
    const withoutLoss = await observable(harness.memory, transactions);

    const { journal, lost } = await journalAfterPowerLoss(harness, committed);
    // Only the capture outcome is lost; the authorization outcome was covered by the durable capture intent after it.
    expect(lost).toBe(1);
    const restarted = restartedOn(harness, journal);
    expect(await restarted.payment('pay_1')).toMatchObject({ state: 'authorized', pendingOperations: [{ intentId: 'pay_1.capture.1', status: 'in_flight' }] });
    expect(await restarted.recover({ owner: 'node-2' })).toMatchObject({ examined: 1, succeeded: 1, errors: 0 });

    expect(await observable(journal, restarted)).toEqual(withoutLoss);
    // The provider captured once: the recovery call was a replay of the same key.
    const [providerPayment, ...others] = harness.old.payments();
    expect(others).toEqual([]);
    expect(providerPayment).toMatchObject({ state: 'captured' });
    expect(providerPayment?.capturedAmount.equals(usd(10_000))).toBe(true);
    expect(harness.old.calls.map((call) => `${call.operation}:${call.idempotencyKey}`)).toEqual([
      'authorize:pay_1.authorize.1',
      'capture:pay_1.capture.1',
      'capture:pay_1.capture.1',
    ]);
  });

  it('losing the authorization outcome: recovery re-sends the authorization with its key, no second authorization, and the checkout goes on', async () => {
    const harness = await createHarness();
    const committed = recordCommits(harness);
    const transactions = harness.create();
    expect(await transactions.authorize(checkout)).toMatchObject({ status: 'succeeded', payment: { state: 'authorized' } });
    const withoutLoss = await observable(harness.memory, transactions);

    const { journal, lost } = await journalAfterPowerLoss(harness, committed);
    expect(lost).toBe(1);
    const restarted = restartedOn(harness, journal);
    expect(await restarted.payment('pay_1')).toMatchObject({ state: 'authorizing' });
    expect(await restarted.recover({ owner: 'node-2' })).toMatchObject({ examined: 1, succeeded: 1, errors: 0 });
    expect(await observable(journal, restarted)).toEqual(withoutLoss);
    expect(harness.old.payments()).toHaveLength(1);
    expect(harness.old.calls.map((call) => `${call.operation}:${call.idempotencyKey}`)).toEqual(['authorize:pay_1.authorize.1', 'authorize:pay_1.authorize.1']);
    // The merchant was told "authorized" before the loss: its capture works on the recovered journal.
    expect(await restarted.capture({ paymentId: 'pay_1' })).toMatchObject({ status: 'succeeded', payment: { state: 'captured' } });
    expect(harness.old.payments()[0]?.capturedAmount.equals(usd(10_000))).toBe(true);
  });

  it('a durable write after a deferred outcome keeps it: only the deferred outcomes after the last durable write can be lost', async () => {
    const harness = await createHarness();
    const committed = recordCommits(harness);
    const transactions = harness.create();
    await transactions.authorize(checkout);
    await transactions.capture({ paymentId: 'pay_1' });
    // The refund intent is durable: it covers the capture outcome committed before it.
    expect(await transactions.refund({ paymentId: 'pay_1', amount: usd(1_000) })).toMatchObject({ status: 'succeeded', payment: { state: 'partially_refunded' } });
    const withoutLoss = await observable(harness.memory, transactions);

    const { journal, lost } = await journalAfterPowerLoss(harness, committed);
    expect(lost).toBe(1);
    const restarted = restartedOn(harness, journal);
    expect((await restarted.intents('pay_1')).map((intent) => `${intent.intentId}:${intent.status}`)).toEqual([
      'pay_1.authorize.1:succeeded',
      'pay_1.capture.1:succeeded',
      'pay_1.refund.1:pending',
    ]);
    expect(await restarted.payment('pay_1')).toMatchObject({ state: 'captured' });
    expect(await restarted.recover({ owner: 'node-2' })).toMatchObject({ examined: 1, succeeded: 1, errors: 0 });
    expect(await observable(journal, restarted)).toEqual(withoutLoss);
    expect(harness.old.payments()[0]?.refundedAmount.equals(usd(1_000))).toBe(true);
  });
});
