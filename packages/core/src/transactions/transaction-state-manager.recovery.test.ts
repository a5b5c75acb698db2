import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ProviderUnavailableError } from '../errors/provider-errors.js';
import { isNonTerminalIntentStatus } from '../journal/intent-repository.js';
import { createHarness, type Harness, SimulatedCrash, usd, writesIntentStatus } from './__fixtures__/transaction-harness.js';

function authorization(paymentId: string) {
  return { paymentId, merchantReference: `ref-${paymentId}`, orderId: `order-${paymentId}`, amount: usd(10_000), paymentMethodToken: 'tok_visa' };
}

/** Every intent in the journal, by status. */
async function intentStatuses(harness: Harness): Promise<string[]> {
  const statuses: string[] = [];
  for await (const stored of harness.intents.listAll()) statuses.push(`${stored.value.intentId}:${stored.value.status}`);
  return statuses;
}

async function expectAllTerminal(harness: Harness): Promise<void> {
  for await (const stored of harness.intents.listAll()) {
    expect(isNonTerminalIntentStatus(stored.value.status), stored.value.intentId).toBe(false);
  }
}

describe('crash simulation (invariant 1: no intent without a final outcome after recovery)', () => {
  it('a crash after the intent write, before the call: recovery sends it once', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    expect(harness.old.calls).toHaveLength(0);
    expect(await intentStatuses(harness)).toEqual(['pay_1.authorize.1:pending']);
    harness.journal.afterWrite = undefined;
    const restarted = harness.create();
    const report = await restarted.recover({ owner: 'node-2' });
    expect(report).toEqual({ examined: 1, succeeded: 1, failed: 0, stillWaiting: 0, stillUnknown: 0, unresolved: 0, deferred: 0, fenced: 0, errors: 0 });
    expect(harness.old.payments()).toHaveLength(1);
    expect((await restarted.payment('pay_1'))?.state).toBe('authorized');
    await expectAllTerminal(harness);
  });

  it('a crash after the provider call, before the outcome write: recovery re-sends the same key and the provider replays; one payment', async () => {
    const harness = await createHarness();
    harness.journal.beforeWrite = (batch) => {
      if (writesIntentStatus(batch, 'succeeded')) throw new SimulatedCrash('after the provider call');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    expect(harness.old.payments()).toHaveLength(1);
    harness.journal.beforeWrite = undefined;
    const restarted = harness.create();
    expect(await restarted.recover({ owner: 'node-2' })).toMatchObject({ examined: 1, succeeded: 1 });
    expect(harness.old.payments()).toHaveLength(1);
    expect(harness.old.calls.map((call) => call.idempotencyKey)).toEqual(['pay_1.authorize.1', 'pay_1.authorize.1']);
    const payment = await restarted.payment('pay_1');
    expect(payment).toMatchObject({ state: 'authorized', providerReference: harness.old.payments()[0]?.providerReference });
    // The platform hears of it exactly once.
    expect(await harness.memory.pendingOutboxCount()).toBe(1);
  });

  it('crashes around captures and refunds: every intent ends final and the provider holds exactly one operation per intent', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization('pay_1'));
    let crashes = 0;
    harness.journal.beforeWrite = (batch) => {
      if (writesIntentStatus(batch, 'succeeded') && crashes < 2) {
        crashes += 1;
        throw new SimulatedCrash('before the outcome write');
      }
    };
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(6_000), final: false })).rejects.toThrow(SimulatedCrash);
    // The claim of the crashed capture still counts: the next capture sees only 4 000 available.
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(4_001) })).rejects.toMatchObject({ problem: 'exceeds-available' });
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(4_000), final: false })).rejects.toThrow(SimulatedCrash);
    harness.journal.beforeWrite = undefined;
    const report = await harness.create().recover({ owner: 'node-2' });
    expect(report).toMatchObject({ examined: 2, succeeded: 2 });
    await expectAllTerminal(harness);
    const captures = harness.old.calls.filter((call) => call.operation === 'capture');
    expect(new Set(captures.map((call) => call.idempotencyKey))).toEqual(new Set(['pay_1.capture.1', 'pay_1.capture.2']));
    const [atProvider] = harness.old.payments();
    const payment = await transactions.payment('pay_1');
    expect(atProvider?.capturedAmount.equals(usd(10_000))).toBe(true);
    expect(payment?.capturedAmount.equals(atProvider!.capturedAmount)).toBe(true);
    expect(payment).toMatchObject({ state: 'captured', pendingOperations: [] });
  });

  it('a crash after an unknown outcome was journaled: recovery resolves it on the same provider', async () => {
    const harness = await createHarness();
    harness.old.failAfterApplying('authorize');
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'unknown')) throw new SimulatedCrash('after the unknown write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    harness.journal.afterWrite = undefined;
    expect(await harness.create().recover({ owner: 'node-2' })).toMatchObject({ examined: 1, succeeded: 1 });
    expect(harness.old.payments()).toHaveLength(1);
    expect(harness.next.calls).toHaveLength(0);
  });

  it('a pending authorization found by recovery while its provider is down waits (it may exist there): never failed, never elsewhere', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    harness.journal.afterWrite = undefined;
    harness.old.setAvailable(false);
    const transactions = harness.create();
    expect(await transactions.recover({ owner: 'node-2' })).toMatchObject({ stillWaiting: 1 });
    expect((await harness.intents.get('pay_1.authorize.1'))?.value).toMatchObject({ status: 'waiting', mayHaveExecuted: true });
    harness.old.setAvailable(true);
    await harness.clock.advance(1);
    expect(await transactions.recover({ owner: 'node-2' })).toMatchObject({ succeeded: 1 });
    expect(harness.next.calls).toHaveLength(0);
  });
});

describe('idempotency key retention', () => {
  const sevenHours = 7 * 60 * 60 * 1_000;

  it('a maybe-sent authorization found after the key retention is not sent again: it is looked up', async () => {
    const harness = await createHarness();
    harness.journal.beforeWrite = (batch) => {
      if (writesIntentStatus(batch, 'succeeded')) throw new SimulatedCrash('after the provider call');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    harness.journal.beforeWrite = undefined;
    await harness.clock.advance(sevenHours);
    const transactions = harness.create();
    expect(await transactions.recover({ owner: 'node-2' })).toMatchObject({ succeeded: 1 });
    expect(harness.old.calls.filter((call) => call.operation === 'authorize')).toHaveLength(1);
    expect((await harness.intents.get('pay_1.authorize.1'))?.value.outcome?.resolvedBy).toBe('lookup');
    expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
  });

  it('a maybe-sent capture found after the key retention is never re-sent: unresolved for an operator, the provider holds one capture', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization('pay_1'));
    harness.journal.beforeWrite = (batch) => {
      if (writesIntentStatus(batch, 'succeeded')) throw new SimulatedCrash('after the provider call');
    };
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(2_000), final: false })).rejects.toThrow(SimulatedCrash);
    harness.journal.beforeWrite = undefined;
    await harness.clock.advance(sevenHours);
    expect(await harness.create().recover({ owner: 'node-2' })).toMatchObject({ unresolved: 1 });
    expect(harness.old.calls.filter((call) => call.operation === 'capture')).toHaveLength(1);
    const [entry] = await transactions.unresolvedPayments();
    expect(entry?.intents[0]).toMatchObject({ intentId: 'pay_1.capture.1', lastErrorCode: 'TRANSACTION_IDEMPOTENCY_KEY_EXPIRED' });
  });

  it('an unknown outcome whose provider stays silent past the key retention becomes unresolved without another request', async () => {
    const silent = new InMemoryPaymentGateway({ provider: 'stripe', capabilities: { findByMerchantReference: false, technicalCancel: false } });
    const harness = await createHarness({ gateways: [silent] });
    silent.failAfterApplying('authorize');
    const authorize = silent.authorize.bind(silent);
    silent.authorize = async (input, options) => {
      const snapshot = authorize(input, options);
      silent.setAvailable(false);
      return snapshot;
    };
    const transactions = harness.create();
    expect((await transactions.authorize(authorization('pay_1'))).status).toBe('unknown');
    const calls = silent.calls.length;
    await harness.clock.advance(sevenHours);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ unresolved: 1 });
    expect(silent.calls).toHaveLength(calls);
  });
});

describe('recovery pass', () => {
  it('leaves young intents to the request that may still work on them (grace), then drives them', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    harness.journal.afterWrite = undefined;
    const transactions = harness.create({ recovery: { graceMs: 10_000 } });
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 0, deferred: 1 });
    await harness.clock.advance(10_000);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 1, succeeded: 1 });
  });

  it('claims at most `limit` intents per pass', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    for (const paymentId of ['pay_1', 'pay_2', 'pay_3']) {
      await expect(harness.create().authorize(authorization(paymentId))).rejects.toThrow(SimulatedCrash);
    }
    harness.journal.afterWrite = undefined;
    const transactions = harness.create();
    expect(await transactions.recover({ owner: 'node-1', limit: 2 })).toMatchObject({ examined: 2 });
    expect(await transactions.recover({ owner: 'node-1', limit: 2 })).toMatchObject({ examined: 1 });
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 0 });
    expect(harness.old.payments()).toHaveLength(3);
  });

  it('fencing: a worker whose lease was taken over stops without writing', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    harness.journal.afterWrite = undefined;
    const authorize = harness.old.authorize.bind(harness.old);
    harness.old.authorize = async (input, options) => {
      // Worker A is slow: its lease expires and worker B claims the intent meanwhile.
      await harness.clock.advance(60_000);
      await harness.memory.claim({ collection: 'payment-intents', index: 'pending', owner: 'worker-b', leaseMs: 60_000, limit: 10 });
      harness.old.authorize = authorize;
      return authorize(input, options);
    };
    const report = await harness.create().recover({ owner: 'worker-a' });
    expect(report).toMatchObject({ examined: 1, fenced: 1, succeeded: 0 });
    expect((await harness.intents.get('pay_1.authorize.1'))?.value.status).toBe('pending');
    // Worker B finishes it with the same key; the provider replays: still one payment.
    expect(await harness.create().recover({ owner: 'worker-b' })).toMatchObject({ succeeded: 1 });
    expect(harness.old.payments()).toHaveLength(1);
  });

  it('counts a conflict met during recovery as failed, and a damaged journal as an error for the next pass', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    await expect(harness.create().authorize(authorization('pay_2'))).rejects.toThrow(SimulatedCrash);
    harness.journal.afterWrite = undefined;
    // pay_1: the provider already saw its key with other parameters.
    await harness.old.authorize({ idempotencyKey: 'pay_1.authorize.1', merchantReference: 'other', amount: usd(1), paymentMethodToken: 'tok_visa' });
    // pay_2: its payment record vanished (changed outside paymigrate).
    await harness.memory.write({ deletes: [{ collection: 'payments', key: 'pay_2', expectedVersion: 'any' }] });
    const report = await harness.create().recover({ owner: 'node-1' });
    expect(report).toMatchObject({ examined: 2, failed: 1, errors: 1 });
    expect(harness.lines.some((line) => line['errorCode'] === 'TRANSACTION_RECORD_MISSING' && line['level'] === 50)).toBe(true);
  });

  it('the recovery loop runs on start and on every interval until aborted, surviving a failing pass', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    harness.journal.afterWrite = undefined;
    const transactions = harness.create({ recovery: { graceMs: 0, owner: 'loop-owner' } });
    const controller = new AbortController();
    const claim = harness.memory.claim.bind(harness.memory);
    let passes = 0;
    harness.memory.claim = async (options) => {
      if (options.index === 'pending') passes += 1;
      if (passes === 2 && options.index === 'pending') throw new Error('journal unreachable');
      expect(options.owner).toBe('loop-owner');
      return claim(options);
    };
    const loop = transactions.startRecoveryLoop({ intervalMs: 1_000, signal: controller.signal });
    await harness.clock.advance(0);
    expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
    await harness.clock.advance(1_000);
    await harness.clock.advance(1_000);
    expect(passes).toBe(3);
    expect(harness.lines.some((line) => String(line['msg']).startsWith('Recovery pass failed'))).toBe(true);
    controller.abort();
    await loop;
    const stopped = harness.create().startRecoveryLoop({ intervalMs: 1_000, signal: AbortSignal.abort() });
    await expect(stopped).resolves.toBeUndefined();
  });

  it('the loop owner defaults to a random id per state manager', async () => {
    const harness = await createHarness();
    const owners = new Set<string>();
    const claim = harness.memory.claim.bind(harness.memory);
    harness.memory.claim = async (options) => {
      owners.add(options.owner);
      return claim(options);
    };
    const controller = new AbortController();
    const loop = harness.create().startRecoveryLoop({ intervalMs: 10, signal: controller.signal, limit: 5 });
    await harness.clock.advance(0);
    controller.abort();
    await loop;
    expect([...owners][0]).toMatch(/^transaction-state-manager-[0-9a-f-]{36}$/);
  });
});

describe('concurrent workers on one intent', () => {
  it('when recovery finishes an intent while its request still waits for the provider, the request adopts that outcome', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    let nested = false;
    harness.old.authorize = async (input, options) => {
      if (!nested) {
        nested = true;
        expect(await harness.create().recover({ owner: 'node-2' })).toMatchObject({ succeeded: 1 });
      }
      return authorize(input, options);
    };
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(result).toMatchObject({ status: 'succeeded', payment: { state: 'authorized' } });
    expect(harness.old.payments()).toHaveLength(1);
    expect(await harness.memory.pendingOutboxCount()).toBe(1);
  });

  it('an intent another pass finished meanwhile is reported as it is, not sent again', async () => {
    const harness = await createHarness();
    harness.journal.afterWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new SimulatedCrash('after the intent write');
    };
    for (const paymentId of ['pay_1', 'pay_2']) {
      await expect(harness.create().authorize(authorization(paymentId))).rejects.toThrow(SimulatedCrash);
    }
    harness.journal.afterWrite = undefined;
    const authorize = harness.old.authorize.bind(harness.old);
    let nested = false;
    harness.old.authorize = async (input, options) => {
      if (!nested) {
        nested = true;
        await harness.create({ recovery: { graceMs: 0, concurrency: 1 } }).recover({ owner: 'node-1' });
      }
      return authorize(input, options);
    };
    const report = await harness.create({ recovery: { graceMs: 0, concurrency: 1 } }).recover({ owner: 'node-1' });
    expect(report).toMatchObject({ examined: 2, succeeded: 2 });
    expect(harness.old.calls.filter((call) => call.input !== undefined && call.idempotencyKey === 'pay_2.authorize.1')).toHaveLength(1);
    expect(harness.old.payments()).toHaveLength(2);
  });
});

describe('queries', () => {
  it('inFlight lists the payments pinned to a provider that still hold money or have work outstanding (the cutover drain)', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization('pay_authorized'));
    await transactions.authorize(authorization('pay_captured'));
    await transactions.capture({ paymentId: 'pay_captured' });
    await transactions.authorize(authorization('pay_refund_waiting'));
    await transactions.capture({ paymentId: 'pay_refund_waiting' });
    harness.old.failNext('refund', new ProviderUnavailableError('down', { provider: 'stripe' }));
    expect((await transactions.refund({ paymentId: 'pay_refund_waiting', amount: usd(100) })).status).toBe('waiting');
    await transactions.authorize({ ...authorization('pay_z_3ds'), paymentMethodToken: 'tok_3ds' });
    harness.selector.provider = 'adyen';
    await transactions.authorize(authorization('pay_new'));
    const inFlight = await transactions.inFlight({ provider: 'stripe' });
    expect(inFlight.map((payment) => payment.paymentId)).toEqual(['pay_authorized', 'pay_refund_waiting', 'pay_z_3ds']);
    expect((await transactions.inFlight({ provider: 'adyen' })).map((payment) => payment.paymentId)).toEqual(['pay_new']);
    expect(await transactions.unresolvedPayments()).toEqual([]);
    expect(await transactions.payment('pay_none')).toBeUndefined();
  });
});
