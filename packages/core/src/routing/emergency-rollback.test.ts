import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { Money } from '../money/money.js';
import type { ProviderSelectionRequest, ProviderSelector } from '../transactions/provider-selector.js';
import { createTransactionStateManager } from '../transactions/transaction-state-manager.js';
import { createRoutingHarness, newProvider, oldProvider, settle } from './__fixtures__/routing-harness.js';

/**
 * Emergency rollback during peak: 1,000 customers check out at a 50 % ramp; after 500 the on-call
 * engineer engages the kill switch on another node. Every payment already assigned keeps its
 * provider for capture and refund (pinned), every new one goes to the old provider.
 */
describe('emergency rollback during peak (kill switch mid-run)', () => {
  it('keeps 500 in-flight payments on their provider and sends the 500 after the switch to the old one', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const operatorNode = await harness.createRouter();
    const adyen = new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock });
    const stripe = new InMemoryPaymentGateway({ provider: oldProvider, clock: harness.clock });
    const selectCalls: string[] = [];
    const countingSelector: ProviderSelector = {
      select: (request: ProviderSelectionRequest) => {
        selectCalls.push(request.paymentId);
        return router.select(request);
      },
    };
    const transactions = createTransactionStateManager({
      journal: harness.journal,
      gateways: [router.instrumentGateway(adyen), router.instrumentGateway(stripe)],
      selectProvider: countingSelector,
      clock: harness.clock,
      logger: harness.logger,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const amount = Money.of(2_500, 'EUR');
    const providerBefore = new Map<string, string>();
    const capturedEarly = new Set<string>();

    for (let customer = 1; customer <= 1_000; customer += 1) {
      if (customer === 501) {
        // Engaged on another node; this node learns of it through the broadcast, not by polling.
        await harness.killSwitch.engage({ actor: 'on-call', reason: 'adyen double-charging (INC-7)' });
        await settle();
        expect(operatorNode.node.view().snapshot?.control?.killSwitchEngaged).toBe(true);
        expect(router.node.view().snapshot?.control?.killSwitchEngaged).toBe(true);
      }
      const paymentId = `pay_${customer}`;
      const result = await transactions.authorize({ paymentId, merchantReference: `order_${customer}`, amount, paymentMethodToken: 'tok_visa', customerId: `cus_${customer}` });
      expect(result.status).toBe('succeeded');
      providerBefore.set(paymentId, result.payment.provider);
      // A third of the early payments are captured before the switch; the rest stay in flight.
      if (customer <= 500 && customer % 3 === 0) {
        await transactions.capture({ paymentId });
        capturedEarly.add(paymentId);
      }
    }

    const early = [...providerBefore].filter(([paymentId]) => Number(paymentId.slice(4)) <= 500);
    const late = [...providerBefore].filter(([paymentId]) => Number(paymentId.slice(4)) > 500);
    const earlyOnNew = early.filter(([, provider]) => provider === newProvider).length;
    expect(earlyOnNew).toBeGreaterThan(200);
    expect(earlyOnNew).toBeLessThan(300);
    expect(late.every(([, provider]) => provider === oldProvider)).toBe(true);
    for (const [paymentId] of late) {
      expect((await transactions.payment(paymentId))?.routingReason).toBe('kill switch engaged (on-call: adyen double-charging (INC-7))');
    }

    // After the switch: capture everything still in flight, refund every fifth payment.
    for (const [paymentId] of providerBefore) {
      if (!capturedEarly.has(paymentId)) expect((await transactions.capture({ paymentId })).status).toBe('succeeded');
      if (Number(paymentId.slice(4)) % 5 === 0) expect((await transactions.refund({ paymentId, amount: Money.of(500, 'EUR') })).status).toBe('succeeded');
    }

    // Every payment finished where it started: the provider's own records agree with the pin.
    for (const [paymentId, provider] of providerBefore) {
      const payment = await transactions.payment(paymentId);
      expect(payment?.provider).toBe(provider);
      expect(payment?.state).toBe(Number(paymentId.slice(4)) % 5 === 0 ? 'partially_refunded' : 'captured');
    }
    const onAdyen = new Set(adyen.payments().map((payment) => payment.merchantReference));
    const onStripe = new Set(stripe.payments().map((payment) => payment.merchantReference));
    for (const [paymentId, provider] of providerBefore) {
      const reference = `order_${paymentId.slice(4)}`;
      expect(provider === newProvider ? onAdyen.has(reference) : onStripe.has(reference)).toBe(true);
      expect(provider === newProvider ? onStripe.has(reference) : onAdyen.has(reference)).toBe(false);
    }
    expect(adyen.payments().every((payment) => payment.state === 'captured' || payment.state === 'partially_refunded')).toBe(true);
    expect(adyen.calls.filter((call) => call.operation === 'capture')).toHaveLength(earlyOnNew);
    expect(adyen.calls.filter((call) => call.operation === 'refund').length).toBeGreaterThan(0);

    // The selector was asked once per new payment: captures and refunds never asked it.
    expect(selectCalls).toHaveLength(1_000);
    // A retry of an early payment (a 3-D Secure return, a double click) gets its pinned provider back.
    const retried = early.find(([, provider]) => provider === newProvider) as [string, string];
    expect(await router.select({ paymentId: retried[0], merchantReference: 'retry', amount, currency: 'EUR', customerId: 'cus_x' })).toMatchObject({ provider: newProvider, pinned: true });
    expect((await transactions.authorize({ paymentId: retried[0], merchantReference: `order_${retried[0].slice(4)}`, amount, paymentMethodToken: 'tok_visa' })).replayed).toBe(true);
    await router.node.stop();
    await operatorNode.node.stop();
  });
});
