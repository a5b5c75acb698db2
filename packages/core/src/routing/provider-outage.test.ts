import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Money } from '../money/money.js';
import type { ProviderSelectionRequest, ProviderSelector } from '../transactions/provider-selector.js';
import { createTransactionStateManager } from '../transactions/transaction-state-manager.js';
import { createRoutingHarness, newProvider, oldProvider } from './__fixtures__/routing-harness.js';

// cockatiel's breakers read Date.now(): the reset timeout is moved by hand.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2026, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

/**
 * Provider API outage at 100 % ramp: the new provider stops answering. Its circuit opens after the
 * failed authorizations and new payments fail over to the old provider ("circuit open"); payments
 * already authorized on the new provider keep going there for capture and refund (the breaker is
 * consulted only in select(), which the TSM never calls for follow-ups); after the reset timeout a
 * trial payment closes the circuit again.
 */
describe('provider API outage', () => {
  it('fails new payments over while follow-ups stay pinned, and recovers through a trial', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter({ circuitBreaker: { kind: 'consecutive', failures: 3, halfOpenAfterMs: 30_000 } });
    const adyen = new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock });
    const stripe = new InMemoryPaymentGateway({ provider: oldProvider, clock: harness.clock });
    const selectCalls: string[] = [];
    const selector: ProviderSelector = {
      select: (request: ProviderSelectionRequest) => {
        selectCalls.push(request.paymentId);
        return router.select(request);
      },
    };
    const transactions = createTransactionStateManager({
      journal: harness.journal,
      gateways: [router.instrumentGateway(adyen), router.instrumentGateway(stripe)],
      selectProvider: selector,
      clock: harness.clock,
      logger: harness.logger,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const amount = Money.of(4_000, 'EUR');
    const authorize = (id: number) => transactions.authorize({ paymentId: `pay_${id}`, merchantReference: `order_${id}`, amount, paymentMethodToken: 'tok_visa', customerId: `cus_${id}` });

    // Before the outage: two payments authorized on the new provider.
    for (const id of [1, 2]) expect((await authorize(id)).payment.provider).toBe(newProvider);

    adyen.setAvailable(false);
    // Three new payments hit the outage: nothing was sent, so the TSM says "retry elsewhere".
    for (const id of [3, 4, 5]) {
      const result = await authorize(id);
      expect(result).toMatchObject({ status: 'failed', retryElsewhere: true });
      expect(result.payment.provider).toBe(newProvider);
    }
    expect(router.circuitBreakers?.state(newProvider)).toBe('open');

    // New payments (and the retries of the failed ones, under new payment ids) fail over.
    for (const id of [6, 7, 8]) {
      const result = await authorize(id);
      expect(result.status).toBe('succeeded');
      expect(result.payment).toMatchObject({ provider: oldProvider, routingReason: 'circuit open: adyen' });
    }

    // Follow-ups of the payments pinned to the new provider still go there, outage or not.
    const capture = await transactions.capture({ paymentId: 'pay_1' });
    expect(capture.payment.provider).toBe(newProvider);
    expect(adyen.calls.filter((call) => call.operation === 'capture')).toHaveLength(1);
    expect(stripe.calls.some((call) => call.operation === 'capture')).toBe(false);
    adyen.setAvailable(true);
    expect((await transactions.capture({ paymentId: 'pay_1', sequence: 1 })).payment.provider).toBe(newProvider);
    expect((await transactions.cancel({ paymentId: 'pay_2' })).payment).toMatchObject({ provider: newProvider, state: 'voided' });
    // The circuit was never asked by a follow-up: select ran only for the 8 new payments.
    expect(selectCalls).toEqual(['pay_1', 'pay_2', 'pay_3', 'pay_4', 'pay_5', 'pay_6', 'pay_7', 'pay_8']);
    expect(router.circuitBreakers?.state(newProvider)).toBe('open');

    // After the reset timeout, one trial payment goes to the new provider and closes the circuit.
    vi.advanceTimersByTime(30_000);
    const trial = await authorize(9);
    expect(trial.payment).toMatchObject({ provider: newProvider, state: 'authorized' });
    expect(trial.payment.routingReason).toMatch(/\(circuit trial\)$/);
    expect(router.circuitBreakers?.state(newProvider)).toBe('closed');
    expect((await authorize(10)).payment).toMatchObject({ provider: newProvider, routingReason: expect.stringMatching(/^ramp: bucket/) as string });

    // The unknown-outcome path never fails over: an answer lost after applying stays with its provider.
    adyen.failAfterApplying('authorize');
    const unknown = await authorize(11);
    expect(unknown.payment.provider).toBe(newProvider);
    expect(stripe.calls.some((call) => call.operation === 'authorize' && call.input.merchantReference === 'order_11')).toBe(false);
    await router.node.stop();
  });
});
