// Payments that stop at a customer step (3-D Secure, a redirect) and whose webhook never arrives:
// `reconcileCustomerSteps` reads them at the provider that holds them, through the REAL adapters
// against the testkit fakes. A customer who finished the step is followed to what the provider
// reports (completed by the merchant where the provider waits for it: PayPal's APPROVED order); an
// abandoned step is cancelled at that provider (once), never anywhere else, and only where the
// provider can be read live (never at Adyen, which closes abandoned payments itself).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IntentRecord, type PaymentRecord, type ProviderSelector, createTransactionStateManager, type TransactionStateManager } from '@paymigrate/core';
import { createPayPalGateway } from '@paymigrate/provider-paypal';
import { createStripeGateway } from '@paymigrate/provider-stripe';
import { createSqliteJournal, type SqliteJournal } from '@paymigrate/store-sqlite';
import {
  adyenEventDate,
  adyenFakeRoutes,
  adyenTestTokens,
  createPayPalFake,
  createStripeFake,
  ManualClock,
  type PayPalFake,
  payPalFakeRoutes,
  payPalTestPaymentTokens,
  type StripeFake,
} from '@paymigrate/testkit';
import type { SetupServer } from 'msw/node';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants } from './support/invariants.js';
import { useMockServer } from './support/mock-server.js';
import { createZeroLossWorld, eur, newProvider, oldProvider, silentLogger, type ZeroLossWorld } from './support/world.js';

const minute = 60_000;
/** Read at the provider after 15 minutes; a 3-D Secure challenge counts as abandoned after an hour, a redirect after two. */
const customerSteps = { checkAfterMs: 15 * minute, expireAfterMs: { three_d_secure: 60 * minute, redirect: 120 * minute } } as const;
const returnUrl = 'https://shop.example/checkout/return';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
let payPalWorld: PayPalWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
  await payPalWorld?.close();
  payPalWorld = undefined;
});

/** A zero-loss world (Stripe old, Adyen new) whose Transaction State Manager runs on `clock`. */
function createStepWorld(seed: number, clock: ManualClock): Promise<ZeroLossWorld> {
  return createZeroLossWorld(server, { seed, transactions: { clock, customerSteps } });
}

/** A checkout that stops at the customer step, paid with `paymentMethodToken`: a test card of the chosen provider that always asks for 3-D Secure. */
function challengedCheckout(paymentId: string, paymentMethodToken: string, options: { readonly amount?: number; readonly captureMethod?: 'automatic' | 'manual' } = {}) {
  return {
    paymentId,
    merchantReference: `order-${paymentId}`,
    orderId: `order-${paymentId}`,
    amount: eur(options.amount ?? 4_900),
    paymentMethodToken,
    returnUrl,
    ...(options.captureMethod === undefined ? {} : { captureMethod: options.captureMethod }),
  };
}

/** `operation:status` of each intent of a payment, in order. */
function intentSummary(intents: readonly IntentRecord[]): string[] {
  return intents.map((intent) => `${intent.operation}:${intent.status}`);
}

/** The Stripe fake's payment intent (its own truth), by id. */
function stripeIntent(fake: StripeFake, paymentIntentId: string): { status: string; amount_received: number; cancellation_reason: string | null } {
  const intent = fake.paymentIntent(paymentIntentId) as { status: string; amount_received: number; cancellation_reason: string | null } | undefined;
  if (intent === undefined) throw new Error(`the Stripe fake has no payment intent ${paymentIntentId}`);
  return intent;
}

/** Writes (non-GET calls) a fake received. */
function writesTo(calls: readonly { readonly method: string }[]): number {
  return calls.filter((call) => call.method !== 'GET').length;
}

// ---------------------------------------------------------------------------------------------
// A Stripe + PayPal world (the zero-loss world has no PayPal): the real adapters against the fakes
// behind msw, an SQLite journal, every new payment pinned to PayPal.
// ---------------------------------------------------------------------------------------------

/** What a PayPal customer-step scenario works with. */
interface PayPalWorld {
  readonly journal: SqliteJournal;
  readonly stripe: StripeFake;
  readonly payPal: PayPalFake;
  readonly transactions: TransactionStateManager;
  payment(paymentId: string): Promise<PaymentRecord>;
  close(): Promise<void>;
}

/** Every new payment goes to PayPal. */
const toPayPal: ProviderSelector = Object.freeze({ select: async () => ({ provider: 'paypal', reason: 'customer-step scenario: PayPal checkout' }) });

async function createPayPalWorld(mockServer: SetupServer, clock: ManualClock): Promise<PayPalWorld> {
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-customer-steps-'));
  const journal = createSqliteJournal({ filename: join(directory, 'journal.sqlite') });
  await journal.open();
  const stripe = createStripeFake({ seed: 71 });
  const payPal = createPayPalFake();
  mockServer.resetHandlers(...stripe.handlers, ...payPal.handlers);
  const transactions = createTransactionStateManager({
    journal,
    gateways: [
      createStripeGateway({ apiKey: 'sk_test_paymigrate_customer_steps', webhookSecret: stripe.webhookSecret, timeoutMilliseconds: 2_000 }),
      createPayPalGateway({ clientId: payPal.clientId, clientSecret: payPal.clientSecret, webhookId: payPal.webhookId, timeoutMilliseconds: 2_000, environmentVariables: {} }),
    ],
    selectProvider: toPayPal,
    clock,
    logger: silentLogger(),
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
    recovery: { graceMs: 0, leaseMs: 5_000, concurrency: 8 },
    customerSteps,
  });
  return {
    journal,
    stripe,
    payPal,
    transactions,
    async payment(paymentId) {
      const payment = await transactions.payment(paymentId);
      if (payment === undefined) throw new Error(`payment ${paymentId} is not in the journal`);
      return payment;
    },
    async close() {
      await journal.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

describe('Stripe: a 3-D Secure step whose webhook is lost', () => {
  it('the customer passed the challenge: after checkAfterMs the payment is read at Stripe and authorized; nothing is cancelled', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(81, clock);
    const started = await world.transactions.authorize(challengedCheckout('pay_3ds_ok', 'pm_card_threeDSecure2Required'));
    expect(started.payment).toMatchObject({ state: 'requires_action', provider: oldProvider });
    const paymentIntentId = started.payment.providerReference as string;
    expect(stripeIntent(world.stripe, paymentIntentId).status).toBe('requires_action');

    // The customer finishes the challenge at Stripe; the webhooks it queued are lost.
    world.stripe.completeThreeDSecure(paymentIntentId, 'succeeded');
    world.stripe.takeSignedWebhooks();
    expect(stripeIntent(world.stripe, paymentIntentId).status).toBe('requires_capture');

    // Too young to be read: Stripe is not asked.
    await clock.advance(14 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 0, advanced: 0, cancelled: 0, waiting: 0, errors: 0 });
    expect(world.stripe.api.callsTo(world.stripe.routes.retrievePaymentIntent)).toHaveLength(0);

    await clock.advance(1 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 1, cancelled: 0, waiting: 0, errors: 0 });
    const payment = await world.payment('pay_3ds_ok');
    expect(payment).toMatchObject({ state: 'authorized', provider: oldProvider, providerReference: paymentIntentId });
    expect(payment.authorizedAmount.toNumberOfMinorUnits()).toBe(4_900);
    expect(world.stripe.api.callsTo(world.stripe.routes.retrievePaymentIntent)).toHaveLength(1);
    expect(world.stripe.api.callsTo(world.stripe.routes.cancelPaymentIntent)).toHaveLength(0);
    expect(stripeIntent(world.stripe, paymentIntentId).status).toBe('requires_capture');

    // Nothing waits any more: a later pass reads nothing, the payment can be captured as usual.
    await clock.advance(2 * 60 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0, cancelled: 0 });
    expect(await world.transactions.capture({ paymentId: 'pay_3ds_ok' })).toMatchObject({ status: 'succeeded', payment: { state: 'captured' } });
    expect(stripeIntent(world.stripe, paymentIntentId)).toMatchObject({ status: 'succeeded', amount_received: 4_900 });
    expect(intentSummary(await world.transactions.intents('pay_3ds_ok'))).toEqual(['authorize:succeeded', 'capture:succeeded']);
    expect(writesTo(world.adyen.api.calls)).toBe(0);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('automatic capture: the finished challenge is followed to captured', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(82, clock);
    const started = await world.transactions.authorize(challengedCheckout('pay_3ds_auto', 'pm_card_threeDSecure2Required', { amount: 3_100, captureMethod: 'automatic' }));
    expect(started.payment.state).toBe('requires_action');
    const paymentIntentId = started.payment.providerReference as string;
    world.stripe.completeThreeDSecure(paymentIntentId, 'succeeded');
    world.stripe.takeSignedWebhooks();

    await clock.advance(customerSteps.checkAfterMs);
    expect(await world.transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, advanced: 1, cancelled: 0 });
    const payment = await world.payment('pay_3ds_auto');
    expect(payment.state).toBe('captured');
    expect(payment.capturedAmount.toNumberOfMinorUnits()).toBe(3_100);
    expect(stripeIntent(world.stripe, paymentIntentId)).toMatchObject({ status: 'succeeded', amount_received: 3_100 });
    expect(world.stripe.api.callsTo(world.stripe.routes.cancelPaymentIntent)).toHaveLength(0);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('the customer failed the challenge: the payment fails from what Stripe reports, nothing is cancelled', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(83, clock);
    const started = await world.transactions.authorize(challengedCheckout('pay_3ds_failed', 'pm_card_threeDSecure2Required'));
    const paymentIntentId = started.payment.providerReference as string;
    world.stripe.completeThreeDSecure(paymentIntentId, 'failed');
    world.stripe.takeSignedWebhooks();

    await clock.advance(customerSteps.checkAfterMs);
    expect(await world.transactions.reconcileCustomerSteps()).toMatchObject({ examined: 1, advanced: 1, cancelled: 0 });
    const payment = await world.payment('pay_3ds_failed');
    expect(payment.state).toBe('failed');
    expect(payment.authorizedAmount.isZero()).toBe(true);
    expect(stripeIntent(world.stripe, paymentIntentId).status).toBe('requires_payment_method');
    expect(world.stripe.api.callsTo(world.stripe.routes.cancelPaymentIntent)).toHaveLength(0);
    expect(intentSummary(await world.transactions.intents('pay_3ds_failed'))).toEqual(['authorize:succeeded']);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('an abandoned challenge is left alone within its expiry, then cancelled at Stripe once: the journal fails it, Adyen sees nothing', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(84, clock);
    const started = await world.transactions.authorize(challengedCheckout('pay_3ds_gone', 'pm_card_threeDSecure2Required'));
    const paymentIntentId = started.payment.providerReference as string;
    world.stripe.takeSignedWebhooks();

    // Read after 15 minutes: still waiting at Stripe, within the hour: left alone.
    await clock.advance(30 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    expect(world.stripe.api.callsTo(world.stripe.routes.cancelPaymentIntent)).toHaveLength(0);
    expect((await world.payment('pay_3ds_gone')).state).toBe('requires_action');

    // Past the hour: cancelled through a journaled intent, at Stripe.
    await clock.advance(30 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 1, waiting: 0, errors: 0 });
    const payment = await world.payment('pay_3ds_gone');
    expect(payment).toMatchObject({ state: 'failed', provider: oldProvider, pendingOperations: [] });
    expect(intentSummary(await world.transactions.intents('pay_3ds_gone'))).toEqual(['authorize:succeeded', 'cancel:succeeded']);
    const cancels = world.stripe.api.callsTo(world.stripe.routes.cancelPaymentIntent);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.requestHeaders['idempotency-key']).toBe('pay_3ds_gone.cancel.1');
    expect(stripeIntent(world.stripe, paymentIntentId).status).toBe('canceled');

    // Nothing left to do: no second cancellation, nothing at the other provider.
    await clock.advance(60 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0, cancelled: 0 });
    expect(world.stripe.api.callsTo(world.stripe.routes.cancelPaymentIntent)).toHaveLength(1);
    expect(world.adyen.api.calls).toHaveLength(0);
    expect(world.adyen.payments()).toHaveLength(0);
    expect(await world.transactions.inFlight({ provider: oldProvider })).toEqual([]);
    expect((await world.invariants()).violations).toEqual([]);
  });
});

describe('Adyen: a 3-D Secure redirect (RedirectShopper) after the cutover', () => {
  // Adyen's adapter reads its own ledger (`capabilities.liveRetrieve: false`): a payment it still
  // reads as RedirectShopper may have been finished by the shopper, so paymigrate never cancels an
  // Adyen step; Adyen closes an abandoned payment itself (OFFER_CLOSED).
  it('an abandoned redirect is never cancelled by paymigrate; the OFFER_CLOSED webhook fails it, Stripe sees nothing', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(85, clock);
    await world.prepareCutover();
    await world.cutover();
    const started = await world.transactions.authorize(challengedCheckout('pay_redirect_gone', adyenTestTokens.threeDSecure, { amount: 5_200 }));
    expect(started.payment).toMatchObject({ state: 'requires_action', provider: newProvider });
    const pspReference = started.payment.providerReference as string;

    // Read within the expiry, then long past it (a day): waiting each time, never cancelled.
    for (const minutes of [30, customerSteps.expireAfterMs.redirect, 24 * 60]) {
      await clock.advance(minutes * minute);
      expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    }
    expect(world.adyen.api.callsTo(adyenFakeRoutes.cancels)).toHaveLength(0);
    expect(world.adyen.api.callsTo(adyenFakeRoutes.technicalCancels)).toHaveLength(0);
    expect(writesTo(world.adyen.api.calls)).toBe(1);
    expect(intentSummary(await world.transactions.intents('pay_redirect_gone'))).toEqual(['authorize:succeeded']);
    expect(await world.payment('pay_redirect_gone')).toMatchObject({ state: 'requires_action', pendingOperations: [] });
    expect(world.adyen.payments()).toMatchObject([{ pspReference, resultCode: 'RedirectShopper', authorisedValue: 0, cancelled: false }]);

    // Adyen closes the offer the shopper never finished: OFFER_CLOSED (success) is a failed authorization.
    const offerClosed = world.adyen.signedWebhook({
      amount: { currency: 'EUR', value: 5_200 },
      eventCode: 'OFFER_CLOSED',
      eventDate: adyenEventDate(clock.now()),
      merchantAccountCode: world.adyen.merchantAccount,
      merchantReference: started.payment.merchantReference,
      paymentMethod: 'visa',
      pspReference,
      reason: '',
      success: 'true',
    });
    const event = await world.gateways.adyen.verifyWebhook(offerClosed);
    expect(event).toMatchObject({ type: 'payment.authorization_failed', providerType: 'OFFER_CLOSED', providerReference: pspReference });
    expect(await world.transactions.applyProviderEvent(event)).toMatchObject({ status: 'applied' });
    const payment = await world.payment('pay_redirect_gone');
    expect(payment).toMatchObject({ state: 'failed', provider: newProvider, providerReference: pspReference, pendingOperations: [] });
    expect(payment.authorizedAmount.isZero()).toBe(true);

    // Nothing waits any more; nothing was ever sent to Stripe, nothing cancelled at Adyen.
    await clock.advance(60 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0, cancelled: 0 });
    expect(world.adyen.api.callsTo(adyenFakeRoutes.cancels)).toHaveLength(0);
    expect(writesTo(world.stripe.api.calls)).toBe(0);
    expect(intentSummary(await world.transactions.intents('pay_redirect_gone'))).toEqual(['authorize:succeeded']);
    expect(await world.transactions.inFlight({ provider: newProvider })).toEqual([]);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('the AUTHORISATION webhook reached the adapter but was never applied to the journal: the pass follows the adapter to authorized', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(86, clock);
    await world.prepareCutover();
    await world.cutover();
    const started = await world.transactions.authorize(challengedCheckout('pay_redirect_ok', adyenTestTokens.threeDSecure, { amount: 6_600 }));
    const pspReference = started.payment.providerReference as string;
    world.adyen.completeThreeDSecure(pspReference, 'authorised');
    // The webhook handler verified the notification (the adapter's ledger learned it), then the
    // process died before the journal applied it; Adyen counts it as delivered.
    for (const request of world.adyen.takePendingWebhooks()) await world.gateways.adyen.verifyWebhook(request);
    expect((await world.payment('pay_redirect_ok')).state).toBe('requires_action');

    await clock.advance(customerSteps.checkAfterMs);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 1, cancelled: 0, waiting: 0, errors: 0 });
    const payment = await world.payment('pay_redirect_ok');
    expect(payment).toMatchObject({ state: 'authorized', provider: newProvider });
    expect(payment.authorizedAmount.toNumberOfMinorUnits()).toBe(6_600);
    expect(world.adyen.payments()).toMatchObject([{ pspReference, resultCode: 'Authorised', authorisedValue: 6_600, cancelled: false }]);
    expect(world.adyen.api.callsTo(adyenFakeRoutes.cancels)).toHaveLength(0);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('the shop cancels an order whose redirect is still open: Adyen accepts the cancel (CANCELLATION), the shopper can no longer finish it', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(88, clock);
    await world.prepareCutover();
    await world.cutover();
    const started = await world.transactions.authorize(challengedCheckout('pay_redirect_withdrawn', adyenTestTokens.threeDSecure, { amount: 2_900 }));
    const pspReference = started.payment.providerReference as string;

    // A merchant's cancellation (not the pass): Adyen answers 201 received, the CANCELLATION webhook reports success.
    await clock.advance(10 * minute);
    await world.transactions.cancel({ paymentId: 'pay_redirect_withdrawn' });
    const cancels = world.adyen.api.callsTo(adyenFakeRoutes.cancels);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]?.status).toBe(201);
    expect(world.adyen.payments()).toMatchObject([{ pspReference, resultCode: 'RedirectShopper', authorisedValue: 0, cancelled: true }]);
    await world.deliverWebhooks();
    expect(await world.payment('pay_redirect_withdrawn')).toMatchObject({ state: 'failed', provider: newProvider, pendingOperations: [] });
    expect(intentSummary(await world.transactions.intents('pay_redirect_withdrawn'))).toEqual(['authorize:succeeded', 'cancel:succeeded']);
    // The shopper comes back too late: the cancelled payment cannot be authorised any more.
    expect(() => world?.adyen.completeThreeDSecure(pspReference, 'authorised')).toThrow('was cancelled');
    expect(world.adyen.payments()).toMatchObject([{ pspReference, authorisedValue: 0, cancelled: true }]);
    expect(writesTo(world.stripe.api.calls)).toBe(0);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('the shopper finished the redirect and its webhook is late: past the expiry nothing is cancelled; the late AUTHORISATION authorizes it', async () => {
    const clock = new ManualClock(Date.now());
    world = await createStepWorld(87, clock);
    await world.prepareCutover();
    await world.cutover();
    const started = await world.transactions.authorize(challengedCheckout('pay_redirect_late', adyenTestTokens.threeDSecure, { amount: 7_700 }));
    const pspReference = started.payment.providerReference as string;
    // The shopper finishes at Adyen; the AUTHORISATION webhook stays queued at Adyen (late).
    world.adyen.completeThreeDSecure(pspReference, 'authorised');
    expect(world.adyen.pendingWebhooks()).toHaveLength(1);

    // The adapter has not seen it: the payment reads as waiting, within and past the redirect expiry,
    // and is left alone (a cancellation here would cancel what the shopper authorised).
    await clock.advance(customerSteps.checkAfterMs);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    await clock.advance(customerSteps.expireAfterMs.redirect);
    expect(await world.transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    expect(world.adyen.api.callsTo(adyenFakeRoutes.cancels)).toHaveLength(0);
    expect(writesTo(world.adyen.api.calls)).toBe(1);
    expect(intentSummary(await world.transactions.intents('pay_redirect_late'))).toEqual(['authorize:succeeded']);
    expect(await world.payment('pay_redirect_late')).toMatchObject({ state: 'requires_action', pendingOperations: [] });
    expect(world.adyen.payments()).toMatchObject([{ pspReference, resultCode: 'Authorised', authorisedValue: 7_700, cancelled: false }]);

    // The AUTHORISATION webhook finally arrives.
    expect(await world.deliverWebhooks()).toMatchObject([{ status: 'applied' }]);
    const payment = await world.payment('pay_redirect_late');
    expect(payment).toMatchObject({ state: 'authorized', provider: newProvider, providerReference: pspReference });
    expect(payment.authorizedAmount.toNumberOfMinorUnits()).toBe(7_700);
    await clock.advance(60 * minute);
    expect(await world.transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0, cancelled: 0 });
    // Captured as usual (Adyen confirms a capture by its CAPTURE webhook).
    await world.transactions.capture({ paymentId: 'pay_redirect_late' });
    await world.deliverWebhooks();
    expect(await world.payment('pay_redirect_late')).toMatchObject({ state: 'captured', pendingOperations: [] });
    expect(world.adyen.payments()).toMatchObject([{ pspReference, capturedValue: 7_700, cancelled: false }]);
    expect(world.adyen.api.callsTo(adyenFakeRoutes.cancels)).toHaveLength(0);
    expect(writesTo(world.stripe.api.calls)).toBe(0);
    expect((await world.invariants()).violations).toEqual([]);
  });
});

describe('PayPal: an order waiting for the payer (PAYER_ACTION_REQUIRED)', () => {
  it('an abandoned payer action: the adapter refuses to cancel an unapproved order; it is tried once, later passes do not ask again', async () => {
    const clock = new ManualClock(Date.now());
    payPalWorld = await createPayPalWorld(server, clock);
    const { transactions, payPal } = payPalWorld;
    const started = await transactions.authorize(challengedCheckout('pay_payer_gone', payPalTestPaymentTokens.threeDSecure.vaultId));
    expect(started.payment).toMatchObject({ state: 'requires_action', provider: 'paypal' });
    const orderId = started.payment.providerReference as string;
    expect(payPal.payments()).toMatchObject([{ orderId, status: 'PAYER_ACTION_REQUIRED', authorizations: [] }]);

    await clock.advance(customerSteps.expireAfterMs.three_d_secure);
    const first = await transactions.reconcileCustomerSteps();
    // Abandoned, cancellation tried, refused: counted as waiting (left to expire at PayPal).
    expect(first).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    // One cancellation intent, journaled, refused by the adapter before any write reached PayPal.
    const intents = await transactions.intents('pay_payer_gone');
    expect(intentSummary(intents)).toEqual(['authorize:succeeded', 'cancel:failed']);
    expect(intents[1]).toMatchObject({ provider: 'paypal', lastErrorCode: 'PROVIDER_INVALID_REQUEST', mayHaveExecuted: false });
    expect(payPal.api.callsTo(payPalFakeRoutes.voidAuthorization)).toHaveLength(0);
    const writesAfterFirst = writesTo(payPal.api.calls.filter((call) => call.routeId !== payPalFakeRoutes.oauthToken));

    // The next passes read the order and leave it to expire at PayPal: no second cancellation.
    for (const hours of [1, 5]) {
      await clock.advance(hours * 60 * minute);
      expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 0, cancelled: 0, waiting: 1, errors: 0 });
    }
    expect((await transactions.intents('pay_payer_gone')).map((intent) => intent.operation)).toEqual(['authorize', 'cancel']);
    expect(writesTo(payPal.api.calls.filter((call) => call.routeId !== payPalFakeRoutes.oauthToken))).toBe(writesAfterFirst);
    expect(payPal.api.callsTo(payPalFakeRoutes.voidAuthorization)).toHaveLength(0);
    expect(await payPalWorld.payment('pay_payer_gone')).toMatchObject({ state: 'requires_action', pendingOperations: [] });
    expect(payPal.payments()).toMatchObject([{ orderId, status: 'PAYER_ACTION_REQUIRED' }]);
    // Nothing at the other provider.
    expect(payPalWorld.stripe.api.calls).toHaveLength(0);
    const report = await checkInvariants({ journal: payPalWorld.journal, fakes: { stripe: payPalWorld.stripe, paypal: payPal } });
    expect(report.violations).toEqual([]);
  });

  // Once the payer finishes 3-D Secure the order is APPROVED (the adapter reads `authorizing`):
  // PayPal waits for the merchant. The pass sends the authorization again under its original key
  // (PayPal-Request-Id): the adapter's replay completes the order, no second order is created.
  it('a payer who finished 3-D Secure (order APPROVED, webhook lost) is authorized by the pass, with one authorization', async () => {
    const clock = new ManualClock(Date.now());
    payPalWorld = await createPayPalWorld(server, clock);
    const { transactions, payPal } = payPalWorld;
    const started = await transactions.authorize(challengedCheckout('pay_payer_done', payPalTestPaymentTokens.threeDSecure.vaultId, { amount: 4_200 }));
    expect(started.payment).toMatchObject({ state: 'requires_action', provider: 'paypal' });
    const orderId = started.payment.providerReference as string;
    payPal.completePayerAction(orderId);
    payPal.takeWebhooks();
    expect(payPal.payments()).toMatchObject([{ orderId, status: 'APPROVED', authorizations: [] }]);

    // Too young to be read.
    await clock.advance(14 * minute);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0 });
    expect(payPal.api.callsTo(payPalFakeRoutes.authorizeOrder)).toHaveLength(0);

    await clock.advance(1 * minute);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 1, cancelled: 0, waiting: 0, errors: 0 });
    const payment = await payPalWorld.payment('pay_payer_done');
    expect(payment).toMatchObject({ state: 'authorized', provider: 'paypal', providerReference: orderId, pendingOperations: [] });
    expect(payment.authorizedAmount.toNumberOfMinorUnits()).toBe(4_200);
    const orders = payPal.payments();
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ orderId, status: 'COMPLETED', authorizations: [{ status: 'CREATED', value: '42.00' }], captures: [] });
    expect(orders[0]?.authorizations).toHaveLength(1);
    expect(payPal.api.callsTo(payPalFakeRoutes.authorizeOrder)).toHaveLength(1);
    expect(payPal.api.callsTo(payPalFakeRoutes.voidAuthorization)).toHaveLength(0);
    // The replayed creation carried the original key, so PayPal answered with the same order.
    const creations = payPal.api.callsTo(payPalFakeRoutes.createOrder);
    expect(creations.length).toBeGreaterThanOrEqual(1);
    expect(new Set(creations.map((call) => call.requestHeaders['paypal-request-id'])).size).toBe(1);
    expect(intentSummary(await transactions.intents('pay_payer_done'))).toEqual(['authorize:succeeded']);

    // Nothing waits any more; the payment is captured as usual.
    await clock.advance(2 * 60 * minute);
    expect(await transactions.reconcileCustomerSteps()).toMatchObject({ examined: 0, cancelled: 0 });
    expect(await transactions.capture({ paymentId: 'pay_payer_done' })).toMatchObject({ status: 'succeeded', payment: { state: 'captured' } });
    expect(payPal.payments()[0]?.authorizations).toHaveLength(1);
    expect(payPalWorld.stripe.api.calls).toHaveLength(0);
    const report = await checkInvariants({ journal: payPalWorld.journal, fakes: { stripe: payPalWorld.stripe, paypal: payPal } });
    expect(report.violations).toEqual([]);
  });

  it('automatic capture: the finished step is completed to captured by the pass', async () => {
    const clock = new ManualClock(Date.now());
    payPalWorld = await createPayPalWorld(server, clock);
    const { transactions, payPal } = payPalWorld;
    const started = await transactions.authorize(challengedCheckout('pay_payer_auto', payPalTestPaymentTokens.threeDSecure.vaultId, { amount: 3_300, captureMethod: 'automatic' }));
    const orderId = started.payment.providerReference as string;
    payPal.completePayerAction(orderId);
    payPal.takeWebhooks();

    await clock.advance(customerSteps.checkAfterMs);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 1, cancelled: 0, waiting: 0, errors: 0 });
    const payment = await payPalWorld.payment('pay_payer_auto');
    expect(payment).toMatchObject({ state: 'captured', provider: 'paypal', providerReference: orderId });
    expect(payment.capturedAmount.toNumberOfMinorUnits()).toBe(3_300);
    expect(payPal.payments()).toMatchObject([{ orderId, status: 'COMPLETED', captures: [{ status: 'COMPLETED', value: '33.00' }] }]);
    expect(payPal.payments()[0]?.captures).toHaveLength(1);
    expect(payPal.api.callsTo(payPalFakeRoutes.captureOrder)).toHaveLength(1);
    expect(payPal.api.callsTo(payPalFakeRoutes.authorizeOrder)).toHaveLength(0);
    const report = await checkInvariants({ journal: payPalWorld.journal, fakes: { stripe: payPalWorld.stripe, paypal: payPal } });
    expect(report.violations).toEqual([]);
  });

  it('settleCustomerStep on the return page completes the finished step at once, without waiting for checkAfterMs', async () => {
    const clock = new ManualClock(Date.now());
    payPalWorld = await createPayPalWorld(server, clock);
    const { transactions, payPal } = payPalWorld;
    // A first payment the pass completes later, and a second whose customer returns at once.
    const waiting = await transactions.authorize(challengedCheckout('pay_payer_later', payPalTestPaymentTokens.threeDSecure.vaultId, { amount: 1_500 }));
    const returning = await transactions.authorize(challengedCheckout('pay_payer_returns', payPalTestPaymentTokens.threeDSecure.vaultId, { amount: 2_500 }));
    const waitingOrder = waiting.payment.providerReference as string;
    const returningOrder = returning.payment.providerReference as string;
    payPal.completePayerAction(returningOrder);
    payPal.takeWebhooks();

    // The shop's return page, seconds later.
    await clock.advance(5_000);
    const settled = await transactions.settleCustomerStep({ paymentId: 'pay_payer_returns' });
    expect(settled).toMatchObject({ status: 'succeeded', payment: { state: 'authorized', providerReference: returningOrder } });
    expect(settled.payment.authorizedAmount.toNumberOfMinorUnits()).toBe(2_500);
    expect(payPal.payments().find((order) => order.orderId === returningOrder)).toMatchObject({ status: 'COMPLETED', authorizations: [{ status: 'CREATED', value: '25.00' }] });
    // Settling twice changes nothing.
    expect(await transactions.settleCustomerStep({ paymentId: 'pay_payer_returns' })).toMatchObject({ status: 'succeeded', payment: { state: 'authorized' } });
    expect(payPal.payments().find((order) => order.orderId === returningOrder)?.authorizations).toHaveLength(1);
    expect(payPal.api.callsTo(payPalFakeRoutes.authorizeOrder)).toHaveLength(1);

    // A return page for a payer who has not finished yet reads, never cancels.
    expect(await transactions.settleCustomerStep({ paymentId: 'pay_payer_later' })).toMatchObject({ payment: { state: 'requires_action' } });
    expect(intentSummary(await transactions.intents('pay_payer_later'))).toEqual(['authorize:succeeded']);

    // The first payer finishes later; the pass completes that one too. Two orders in all, one authorization each.
    payPal.completePayerAction(waitingOrder);
    payPal.takeWebhooks();
    await clock.advance(customerSteps.checkAfterMs);
    expect(await transactions.reconcileCustomerSteps()).toEqual({ examined: 1, advanced: 1, cancelled: 0, waiting: 0, errors: 0 });
    expect((await payPalWorld.payment('pay_payer_later')).state).toBe('authorized');
    expect(payPal.payments()).toHaveLength(2);
    expect(payPal.payments().map((order) => order.authorizations.length)).toEqual([1, 1]);
    const report = await checkInvariants({ journal: payPalWorld.journal, fakes: { stripe: payPalWorld.stripe, paypal: payPal } });
    expect(report.violations).toEqual([]);
  });
});
