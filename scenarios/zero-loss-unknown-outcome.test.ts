// Authorizations whose answer is lost after the provider APPLIED them (timeout-after-apply), during
// a cutover: resolved to exactly one payment at the provider the checkout began on, never sent to
// the other provider.
//
// The Adyen SDK's timeout does not reach msw's request signal, so the fake would hold a timed-out
// request for its default 30 s: the Adyen faults here let go after `heldMs` instead (the client
// has given up long before, after `providerTimeoutMs`).
import { adyenFakeRoutes, type FaultRequest } from '@paymigrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockServer } from './support/mock-server.js';
import { createZeroLossWorld, newProvider, oldProvider, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
/** The adapters give up after this long... */
const timeoutMs = 400;
/** ...while the fake holds a `timeout-after-apply` request this long. */
const heldMs = 700;
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** A fault predicate: only requests about one order. */
function aboutOrder(paymentId: string): (request: FaultRequest) => boolean {
  return (request) => request.bodyText.includes(`order-${paymentId}`);
}

/** Every request a fake received that mentions the order. */
function requestsAbout(calls: readonly { readonly requestBody: string; readonly url: string }[], paymentId: string) {
  return calls.filter((call) => call.requestBody.includes(`order-${paymentId}`) || call.url.includes(`order-${paymentId}`));
}

describe('an authorization timeout during cutover where the provider applied it', () => {
  it('on the new provider (Adyen): the same-key retry recovers the payment; one payment at Adyen, nothing at Stripe', async () => {
    world = await createZeroLossWorld(server, { seed: 21, providerTimeoutMs: timeoutMs });
    await world.prepareCutover();
    await world.cutover();
    world.adyen.api.faults.inject({ kind: 'timeout-after-apply', milliseconds: heldMs, route: adyenFakeRoutes.payments, times: 1, when: aboutOrder('pay_lost') });

    const outcome = await world.checkout({ paymentId: 'pay_lost' });
    expect(outcome.begunOn).toBe(newProvider);
    expect(outcome.authorization).toMatchObject({ status: 'succeeded', intent: { mayHaveExecuted: true, outcome: { resolvedBy: 'same-key-retry' } } });
    expect(outcome.capture?.status).toBe('succeeded');

    // The provider applied the first request and replayed it for the retry: one payment.
    const attempts = world.adyen.api.callsTo(adyenFakeRoutes.payments).filter((call) => call.requestBody.includes('order-pay_lost'));
    expect(attempts).toHaveLength(2);
    expect(attempts.map((call) => [call.applied, call.fault, call.requestHeaders['idempotency-key']])).toEqual([
      [true, 'timeout-after-apply', 'pay_lost.authorize.1'],
      [true, undefined, 'pay_lost.authorize.1'],
    ]);
    expect(world.adyen.payments().filter((payment) => payment.merchantReference === 'order-pay_lost')).toHaveLength(1);
    expect(requestsAbout(world.stripe.api.calls, 'pay_lost')).toEqual([]);

    await world.recoverAll();
    expect((await world.payment('pay_lost')).state).toBe('captured');
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('on the new provider, answers lost on every retry: technically cancelled at Adyen (one payment, nothing held), never sent to Stripe; the retried checkout succeeds', async () => {
    world = await createZeroLossWorld(server, { seed: 22, providerTimeoutMs: timeoutMs });
    await world.prepareCutover();
    await world.cutover();
    const fault = world.adyen.api.faults.inject({ kind: 'timeout-after-apply', milliseconds: heldMs, route: adyenFakeRoutes.payments, when: aboutOrder('pay_gone') });

    const outcome = await world.checkout({ paymentId: 'pay_gone' });
    fault.remove();
    expect(outcome.begunOn).toBe(newProvider);
    // Adyen has no lookup by merchant reference: the lost authorization is released by a technical cancel.
    expect(outcome.authorization).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_TECHNICALLY_CANCELLED', retryElsewhere: false });
    expect(outcome.capture).toBeUndefined();
    expect(world.adyen.api.callsTo(adyenFakeRoutes.technicalCancels)).toHaveLength(1);
    const atAdyen = world.adyen.payments().filter((payment) => payment.merchantReference === 'order-pay_gone');
    expect(atAdyen).toHaveLength(1);
    expect(atAdyen[0]?.cancelled).toBe(true);
    expect(requestsAbout(world.stripe.api.calls, 'pay_gone')).toEqual([]);

    // The customer tries again: a new payment for the same order, pinned to the provider its checkout
    // began on. The order is charged once: the first attempt holds nothing (checked by the invariants).
    const retried = await world.checkout({ paymentId: 'pay_gone_2', orderId: 'order-pay_gone' });
    expect(retried.begunOn).toBe(newProvider);
    expect(retried.capture?.status).toBe('succeeded');
    await world.recoverAll();
    expect(await world.payment('pay_gone')).toMatchObject({ state: 'failed', released: true, failureReason: 'technically_cancelled' });
    expect((await world.invariants()).violations).toEqual([]);
    // Adyen's AUTHORISATION and TECHNICAL_CANCEL webhooks name a PSP reference the journal never
    // learned (the answer was lost): the state manager matches webhooks by provider reference only,
    // so they stay unmatched (Adyen retries them, then gives up). Nothing depends on them.
    expect(world.unmatchedWebhooks).toHaveLength(2);
  });

  it('on the old provider (Stripe) just before the flip: answers lost on every retry, the payment is found by merchant reference and adopted', async () => {
    world = await createZeroLossWorld(server, { seed: 23, providerTimeoutMs: timeoutMs });
    await world.prepareCutover();
    const active = world;
    const fault = world.stripe.api.faults.inject({
      kind: 'timeout-after-apply',
      route: world.stripe.routes.createPaymentIntent,
      when: (request) => request.bodyText.includes('order-pay_slow'),
    });
    // The checkout begins on Stripe; the flip commits while its authorization hangs.
    const checkout = active.checkout({ paymentId: 'pay_slow', beforeAuthorize: () => void active.cutover() });
    const outcome = await checkout;
    fault.remove();
    expect(outcome.begunOn).toBe(oldProvider);
    expect(outcome.authorization).toMatchObject({ status: 'succeeded', intent: { provider: oldProvider, outcome: { resolvedBy: 'lookup' } } });
    expect(outcome.capture?.status).toBe('succeeded');
    expect(world.stripe.paymentIntents().filter((intent) => (intent.metadata as Record<string, string>).merchant_reference === 'order-pay_slow')).toHaveLength(1);
    expect(requestsAbout(world.adyen.api.calls, 'pay_slow')).toEqual([]);
    // New checkouts meanwhile went to Adyen.
    expect((await world.checkout({ paymentId: 'pay_after' })).begunOn).toBe(newProvider);
    await world.recoverAll();
    expect((await world.invariants()).violations).toEqual([]);
  });

  // Over real TLS sockets (msw reports every dropped connection as a bare "Network error", which
  // the adapters must read as "never sent"): the reset comes after the request left, an unknown
  // outcome, resolved at Adyen and never sent to Stripe.
  it('on the new provider, a connection reset after Adyen applied the authorization is resolved, not failed over', async () => {
    world = await createZeroLossWorld(server, { seed: 24, providerTimeoutMs: timeoutMs, adyenOverTls: true });
    await world.prepareCutover();
    await world.cutover();
    world.adyen.api.faults.inject({ kind: 'reset-after-apply', route: adyenFakeRoutes.payments, times: 1, when: aboutOrder('pay_reset') });
    const outcome = await world.checkout({ paymentId: 'pay_reset' });
    await world.recoverAll();
    expect((await world.invariants()).violations).toEqual([]);
    expect(outcome.begunOn).toBe(newProvider);
    expect(outcome.authorization).toMatchObject({ status: 'succeeded', retryElsewhere: false, intent: { mayHaveExecuted: true } });
    expect(world.adyen.api.callsTo(adyenFakeRoutes.payments).filter((call) => call.requestBody.includes('order-pay_reset')).map((call) => call.fault)).toEqual([
      'reset-after-apply',
      undefined,
    ]);
    expect(world.adyen.payments().filter((payment) => payment.merchantReference === 'order-pay_reset')).toHaveLength(1);
    expect(requestsAbout(world.stripe.api.calls, 'pay_reset')).toEqual([]);
  });
});
