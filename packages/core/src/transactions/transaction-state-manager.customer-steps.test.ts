import { describe, expect, it } from 'vitest';
import { Money } from '../money/money.js';
import type { PaymentSnapshot, PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymentDeclinedError, ProviderError, ProviderUnavailableError } from '../errors/provider-errors.js';
import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { PaymentNotFoundError } from './transaction-errors.js';
import { createHarness } from './__fixtures__/transaction-harness.js';

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');
const minute = 60_000;

/** A checkout that stops at the 3-D Secure challenge. */
const challenged = (paymentId: string, overrides: Record<string, unknown> = {}) => ({
  paymentId,
  merchantReference: `order-${paymentId}`,
  orderId: `order-${paymentId}`,
  amount: usd(10_000),
  paymentMethodToken: 'tok_3ds',
  returnUrl: 'https://shop.example/return',
  customerId: 'customer-1',
  ...overrides,
});

/** Stripe's webhook of the authorization of the 100.00 USD checkout above. */
const authorizedWebhook = (eventId: string, providerReference: string, occurredAt: number): PaymentWebhookEvent => ({
  eventId,
  provider: 'stripe',
  type: 'payment.authorized',
  providerType: 'payment_intent.amount_capturable_updated',
  success: true,
  providerReference,
  amount: usd(10_000),
  occurredAt,
});

describe('reconcileCustomerSteps: payments waiting for their customer', () => {
  it('leaves a young payment alone, then follows the provider when the customer finished the step but the webhook was lost', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const started = await transactions.authorize(challenged('pay_1'));
    expect(started.payment.state).toBe('requires_action');
    const providerReference = started.payment.providerReference as string;
    // The customer passes the challenge at the provider; no webhook reaches us.
    harness.old.completeRequiredAction(providerReference, { succeed: true });

    await harness.clock.advance(14 * minute);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 0, advanced: 0, cancelled: 0, waiting: 0, errors: 0 });
    expect(harness.old.calls.filter((call) => call.operation === 'retrieve')).toHaveLength(0);

    await harness.clock.advance(1 * minute);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 1, cancelled: 0, waiting: 0, errors: 0 });
    const payment = await transactions.payment('pay_1');
    expect(payment).toMatchObject({ state: 'authorized', provider: 'stripe' });
    expect(payment?.authorizedAmount.equals(usd(10_000))).toBe(true);
    // The platform learns it through the outbox, as from the webhook.
    const messages = await harness.memory.claimOutbox({ owner: 'relay', leaseMs: minute, limit: 10 });
    expect(messages.map((message) => JSON.parse(message.payload) as { type: string }).map((message) => message.type)).toEqual(['payment.authorized']);
    // Nothing is waiting any more: the next pass reads nothing; the real webhook, arriving late, changes nothing.
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0 });
    const late = await transactions.applyProviderEvent(authorizedWebhook('evt_late', providerReference, harness.clock.now()));
    expect(late.status).toBe('ignored');
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(0);
    expect(harness.metrics.filter((record) => record.name === 'paymigrate.transactions.customer_steps')).toEqual([
      { name: 'paymigrate.transactions.customer_steps', value: 1, attributes: { provider: 'stripe', verdict: 'advanced' } },
    ]);
  });

  it('a customer who failed the step at the provider: the payment fails, nothing is cancelled', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const started = await transactions.authorize(challenged('pay_1'));
    harness.old.completeRequiredAction(started.payment.providerReference as string, { succeed: false, declineReason: 'authentication_failed' });
    await harness.clock.advance(15 * minute);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, advanced: 1 });
    expect((await transactions.payment('pay_1'))?.state).toBe('failed');
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(0);
  });

  it('automatic capture: the finished step counts the capture too', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const started = await transactions.authorize(challenged('pay_1', { captureMethod: 'automatic' }));
    harness.old.completeRequiredAction(started.payment.providerReference as string, { succeed: true });
    await harness.clock.advance(15 * minute);
    await transactions.reconcileCustomerSteps();
    const payment = await transactions.payment('pay_1');
    expect(payment?.state).toBe('captured');
    expect(payment?.capturedAmount.equals(usd(10_000))).toBe(true);
  });

  it('a step still waiting at the provider is left within its expiry, then cancelled at the provider that holds it', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(challenged('pay_1'));
    await harness.clock.advance(30 * minute);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    expect((await transactions.payment('pay_1'))?.state).toBe('requires_action');

    await harness.clock.advance(30 * minute);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 1, waiting: 0, errors: 0 });
    const payment = await transactions.payment('pay_1');
    expect(payment?.state).toBe('failed');
    // Journaled as a cancellation intent before the call, sent to the provider that holds the payment only.
    const intents = await transactions.intents('pay_1');
    expect(intents.map((intent) => [intent.operation, intent.status])).toEqual([
      ['authorize', 'succeeded'],
      ['cancel', 'succeeded'],
    ]);
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(1);
    expect(harness.next.calls).toHaveLength(0);
    expect(harness.lines.some((line) => line['msg'] === 'The customer abandoned the payment step: cancelling the payment at its provider' && line['step'] === 'three_d_secure')).toBe(true);
    // Done: nothing left to read.
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0 });
  });

  it('a payment pinned to the new provider is read and cancelled there, never at the old one', async () => {
    const harness = await createHarness();
    harness.selector.provider = 'adyen';
    const transactions = harness.create();
    await transactions.authorize(challenged('pay_1'));
    harness.selector.provider = 'stripe';
    await harness.clock.advance(61 * minute);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, cancelled: 1 });
    expect(harness.next.calls.map((call) => call.operation)).toEqual(['authorize', 'retrieve', 'cancel']);
    expect(harness.old.calls).toHaveLength(0);
  });

  it('a kind of step without an expiry is followed, never cancelled (vouchers, bank transfers)', async () => {
    const harness = await createHarness();
    const transactions = harness.create({ customerSteps: { expireAfterMs: { redirect: 86_400_000 } } });
    await transactions.authorize(challenged('pay_1'));
    const retrieve = harness.old.retrieve.bind(harness.old);
    harness.old.retrieve = async (input, options) => ({ ...(await retrieve(input, options)), nextAction: { type: 'other' } });
    await harness.clock.advance(30 * 24 * 60 * minute);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, waiting: 1, cancelled: 0 });
    // No next action named by the provider counts as `other`.
    harness.old.retrieve = async (input, options) => ({ ...(await retrieve(input, options)), nextAction: undefined });
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, waiting: 1, cancelled: 0 });
    expect((await transactions.payment('pay_1'))?.state).toBe('requires_action');
  });

  it('a webhook that moves the payment while the provider is read wins: no cancellation', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const started = await transactions.authorize(challenged('pay_1'));
    const providerReference = started.payment.providerReference as string;
    await harness.clock.advance(61 * minute);
    const retrieve = harness.old.retrieve.bind(harness.old);
    harness.old.retrieve = async (input, options) => {
      const snapshot = await retrieve(input, options);
      // The customer finishes now; the webhook lands before the pass decides.
      harness.old.completeRequiredAction(providerReference, { succeed: true });
      await transactions.applyProviderEvent(authorizedWebhook('evt_1', providerReference, harness.clock.now()));
      return snapshot;
    };
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, waiting: 1, cancelled: 0 });
    expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(0);
  });

  it('a cancellation the provider refuses is tried once, not on every pass: the step expires at the provider', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(challenged('pay_1'));
    await harness.clock.advance(61 * minute);
    harness.old.failNext('cancel', new ProviderError('PROVIDER_REJECTED', 'the order holds no authorization to void', { provider: 'stripe' }, false));
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    expect(harness.lines.some((line) => line['msg'] === 'The provider refused to cancel an abandoned payment step; it is left to expire at the provider' && line['errorCode'] === 'PROVIDER_REJECTED')).toBe(true);
    // The refused cancellation changed the payment (its counters): read again once it has waited as long again.
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0 });
    await harness.clock.advance(61 * minute);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(1);
    expect((await transactions.payment('pay_1'))?.state).toBe('requires_action');
    // When the provider expires it, the next pass follows.
    harness.old.completeRequiredAction((await transactions.payment('pay_1'))?.providerReference as string, { succeed: false, declineReason: 'expired' });
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, advanced: 1 });
    expect((await transactions.payment('pay_1'))?.state).toBe('failed');
  });

  it('a provider that cannot be reached leaves its payments for the next pass', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(challenged('pay_1'));
    await harness.clock.advance(61 * minute);
    harness.old.setAvailable(false);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 0, errors: 1 });
    expect((await transactions.payment('pay_1'))?.state).toBe('requires_action');
    expect(harness.lines.some((line) => line['msg'] === 'A payment waiting for its customer could not be reconciled; it is read again in the next pass' && line['errorCode'] === 'PROVIDER_UNAVAILABLE')).toBe(true);
    harness.old.setAvailable(true);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, cancelled: 1 });
  });

  it('a payment whose provider has no gateway here is reported, not guessed at', async () => {
    const harness = await createHarness();
    await harness.create().authorize(challenged('pay_1'));
    await harness.clock.advance(61 * minute);
    const withoutStripe = harness.create({ gateways: [harness.next] });
    expect(await withoutStripe.reconcileCustomerSteps()).toEqual({ examined: 0, advanced: 0, cancelled: 0, waiting: 0, errors: 1 });
    expect(harness.lines.some((line) => String(line['msg']).startsWith('A payment waiting for its customer cannot be read at its provider'))).toBe(true);
  });

  it('reads at most limitPerPass payments per pass, going on after the last one read in the next pass', async () => {
    const harness = await createHarness();
    const transactions = harness.create({ customerSteps: { limitPerPass: 2, expireAfterMs: {} } });
    for (const paymentId of ['pay_a', 'pay_b', 'pay_c']) await transactions.authorize(challenged(paymentId));
    await harness.clock.advance(16 * minute);
    const readIn = async (): Promise<string[]> => {
      const before = harness.old.calls.length;
      await transactions.reconcileCustomerSteps();
      const references = harness.old.calls.slice(before).map((call) => (call.input as { providerReference: string }).providerReference);
      const payments = await Promise.all(['pay_a', 'pay_b', 'pay_c'].map(async (id) => [id, (await transactions.payment(id))?.providerReference] as const));
      return references.map((reference) => payments.find(([, known]) => known === reference)?.[0] as string);
    };
    expect(await readIn()).toEqual(['pay_a', 'pay_b']);
    expect(await readIn()).toEqual(['pay_c', 'pay_a']);
    expect(await readIn()).toEqual(['pay_b', 'pay_c']);
  });

  describe('a provider that waits for the merchant to go on (PayPal: the payer approved the order)', () => {
    /** Retrieve answers `authorizing` (APPROVED); the authorization sent again with its key completes it as `complete` says. */
    async function approvedAtProvider(complete: (providerReference: string) => Promise<PaymentSnapshot>) {
      const harness = await createHarness();
      const transactions = harness.create({ unknownOutcome: { keyRetentionMs: 6 * 60 * minute } });
      const started = await transactions.authorize(challenged('pay_1'));
      const providerReference = started.payment.providerReference as string;
      const retrieve = harness.old.retrieve.bind(harness.old);
      harness.old.retrieve = async (input, options) => ({ ...(await retrieve(input, options)), state: 'authorizing', providerStatus: 'APPROVED' });
      // Installed after the first authorization: every later call is the completion.
      const keys: string[] = [];
      harness.old.authorize = async (input) => {
        keys.push(input.idempotencyKey);
        return complete(providerReference);
      };
      return { harness, transactions, providerReference, keys, initialKey: started.intent.idempotencyKey };
    }

    it('sends the authorization again with its own key, and follows the completed answer', async () => {
      const { harness, transactions, keys, initialKey } = await approvedAtProvider(async (reference) => harness.old.completeRequiredAction(reference, { succeed: true }));
      await harness.clock.advance(15 * minute);
      expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, advanced: 1, cancelled: 0 });
      expect(keys).toEqual([initialKey]);
      expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
      expect((await transactions.intents('pay_1')).map((intent) => intent.operation)).toEqual(['authorize']);
    });

    it('a decline of the completion fails the payment', async () => {
      const { harness, transactions } = await approvedAtProvider(async () => {
        throw new PaymentDeclinedError('declined after the payer step', { provider: 'stripe', declineReason: 'do_not_honor' });
      });
      await harness.clock.advance(15 * minute);
      expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, advanced: 1 });
      expect((await transactions.payment('pay_1'))?.state).toBe('failed');
    });

    it('an answer still processing waits; an unreachable provider is read again in the next pass; neither is cancelled', async () => {
      let answer: () => Promise<PaymentSnapshot> = async () => {
        throw new ProviderUnavailableError('down', { provider: 'stripe' });
      };
      const { harness, transactions, providerReference } = await approvedAtProvider(() => answer());
      await harness.clock.advance(2 * 60 * minute);
      expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, errors: 1 });
      answer = async () => ({ ...(await harness.old.retrieve({ providerReference })), state: 'authorizing' });
      expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, waiting: 1, cancelled: 0 });
      expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(0);
    });

    it('is not sent again once the idempotency key may be gone (it could create a second payment)', async () => {
      const { harness, transactions, keys } = await approvedAtProvider(async (reference) => harness.old.completeRequiredAction(reference, { succeed: true }));
      await harness.clock.advance(6 * 60 * minute);
      expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, waiting: 1, advanced: 0 });
      expect(keys).toHaveLength(0);
      expect(harness.lines.some((line) => String(line['msg']).includes('the idempotency key may be gone'))).toBe(true);
    });
  });

  it('an adapter whose retrieve is not live (Adyen: answers from what it saw) never expires a step: its provider closes abandoned payments', async () => {
    const harness = await createHarness({ gateways: [] });
    const recorded = new InMemoryPaymentGateway({ provider: 'stripe', clock: harness.clock, capabilities: { liveRetrieve: false } });
    const transactions = harness.create({ gateways: [recorded, harness.next] });
    await transactions.authorize(challenged('pay_1'));
    await harness.clock.advance(48 * 60 * minute);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, waiting: 1, cancelled: 0 });
    expect(recorded.calls.filter((call) => call.operation === 'cancel')).toHaveLength(0);
  });

  it('settleCustomerStep (the customer is back): follows the provider at once, never cancels, and answers the payment as it stands', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const started = await transactions.authorize(challenged('pay_1'));
    // Back too early or past every expiry, still waiting: read, left as it is.
    await harness.clock.advance(3 * 60 * minute);
    const still = await transactions.settleCustomerStep({ paymentId: 'pay_1' });
    expect(still).toMatchObject({ status: 'succeeded', operation: 'authorize', replayed: true, nextAction: { type: 'three_d_secure' } });
    expect(still.payment.state).toBe('requires_action');
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(0);
    harness.old.completeRequiredAction(started.payment.providerReference as string, { succeed: true });
    const settled = await transactions.settleCustomerStep({ paymentId: 'pay_1' });
    expect(settled.payment.state).toBe('authorized');
    expect(settled.nextAction).toBeUndefined();
    // Not waiting any more: answered from the journal, the provider is not asked.
    const retrieves = harness.old.calls.filter((call) => call.operation === 'retrieve').length;
    expect((await transactions.settleCustomerStep({ paymentId: 'pay_1' })).payment.state).toBe('authorized');
    expect(harness.old.calls.filter((call) => call.operation === 'retrieve')).toHaveLength(retrieves);
    await expect(transactions.settleCustomerStep({ paymentId: 'pay_missing' })).rejects.toSatisfy((error: unknown) => PaymentNotFoundError.isInstance(error));
  });

  it('startRecoveryLoop runs a pass at once, then every customerSteps.intervalMs', async () => {
    const harness = await createHarness();
    const transactions = harness.create({ customerSteps: { intervalMs: 5 * minute } });
    const started = await transactions.authorize(challenged('pay_1'));
    await harness.clock.advance(15 * minute);
    const retrieves = (): number => harness.old.calls.filter((call) => call.operation === 'retrieve').length;
    const controller = new AbortController();
    const loop = transactions.startRecoveryLoop({ intervalMs: minute, signal: controller.signal });
    await harness.clock.advance(0);
    expect(retrieves()).toBe(1);
    for (let step = 0; step < 4; step += 1) await harness.clock.advance(minute);
    expect(retrieves()).toBe(1);
    harness.old.completeRequiredAction(started.payment.providerReference as string, { succeed: true });
    await harness.clock.advance(minute);
    expect(retrieves()).toBe(2);
    expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
    controller.abort();
    await loop;
  });

  it('a failing pass (journal unreachable) is logged by the loop and retried after its interval', async () => {
    const harness = await createHarness();
    const transactions = harness.create({ customerSteps: { intervalMs: minute } });
    const list = harness.memory.list.bind(harness.memory);
    let failures = 0;
    harness.memory.list = async (collection, options) => {
      if (collection === 'payments' && failures === 0) {
        failures += 1;
        throw new Error('journal unreachable');
      }
      return list(collection, options);
    };
    const controller = new AbortController();
    const loop = transactions.startRecoveryLoop({ intervalMs: minute, signal: controller.signal });
    await harness.clock.advance(0);
    expect(harness.lines.some((line) => line['msg'] === 'Customer-step pass failed; retrying after its interval')).toBe(true);
    await harness.clock.advance(minute);
    expect(harness.lines.some((line) => line['msg'] === 'Customer-step pass done')).toBe(true);
    controller.abort();
    await loop;
  });

  it('refuses an unknown kind of step or a non-positive expiry, naming the option and the fix', async () => {
    const harness = await createHarness();
    expect(() => harness.create({ customerSteps: { expireAfterMs: { sms_code: 1_000 } as never } })).toThrow(ConfigurationError);
    expect(() => harness.create({ customerSteps: { expireAfterMs: { sms_code: 1_000 } as never } })).toThrow(/customerSteps\.expireAfterMs.*three_d_secure/s);
    expect(() => harness.create({ customerSteps: { checkAfterMs: 0 } })).toThrow(/customerSteps\.checkAfterMs/);
  });
});
