// Adyen confirms captures and refunds asynchronously: the API answers `received`, a signed webhook
// says whether it happened. The journal counts money only once a webhook confirms it, never twice
// (duplicates, reordering), and a refuted capture releases its claim.
import { adyenFakeRoutes, type AdyenFake } from '@paymigrate/testkit';
import type { WebhookRequest } from '@paymigrate/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockServer } from './support/mock-server.js';
import { createZeroLossWorld, eur, newProvider, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Verifies each webhook with the Adyen adapter and hands it to the Transaction State Manager. */
async function deliver(active: ZeroLossWorld, requests: readonly WebhookRequest[]): Promise<string[]> {
  const statuses: string[] = [];
  for (const request of requests) {
    const event = await active.gateways.adyen.verifyWebhook(request);
    statuses.push(`${event.providerType}:${(await active.transactions.applyProviderEvent(event)).status}`);
  }
  return statuses;
}

function eventCodes(fake: AdyenFake): string[] {
  return fake.pendingWebhooks().map((request) => (JSON.parse(request.rawBody) as { notificationItems: { NotificationRequestItem: { eventCode: string } }[] }).notificationItems[0]?.NotificationRequestItem.eventCode ?? '?');
}

describe("Adyen's asynchronous captures, confirmed by webhook", () => {
  it('a capture counts only once its webhook confirms it; duplicates and reordered deliveries never count twice', async () => {
    world = await createZeroLossWorld(server, { seed: 51 });
    await world.prepareCutover();
    await world.cutover();
    const checkouts = await Promise.all(['pay_w1', 'pay_w2', 'pay_w3'].map((paymentId) => world!.checkout({ paymentId, amount: 4_200 })));
    for (const checkout of checkouts) {
      expect(checkout.begunOn).toBe(newProvider);
      expect(checkout.capture).toMatchObject({ status: 'succeeded', awaitingConfirmation: true });
      // Accepted, not confirmed: nothing is counted yet and the claim blocks a second capture.
      expect(checkout.capture?.payment).toMatchObject({ state: 'authorized', pendingOperations: [{ operation: 'capture', status: 'awaiting_confirmation' }] });
      expect(checkout.capture?.payment.capturedAmount.isZero()).toBe(true);
    }
    // Nothing confirmed can be refunded yet, and the payments are still in flight for the drain.
    await expect(world.transactions.refund({ paymentId: 'pay_w1', amount: eur(100) })).rejects.toMatchObject({ code: 'TRANSACTION_OPERATION_NOT_ALLOWED' });
    expect(await world.transactions.inFlight({ provider: newProvider })).toHaveLength(3);

    expect(eventCodes(world.adyen).sort()).toEqual(['AUTHORISATION', 'AUTHORISATION', 'AUTHORISATION', 'CAPTURE', 'CAPTURE', 'CAPTURE']);
    // Delivered newest first (webhooks arrive out of order), then all of them again (Adyen retries).
    const webhooks = world.adyen.takePendingWebhooks().reverse();
    const first = await deliver(world, webhooks);
    expect(first.filter((status) => status === 'CAPTURE:applied')).toHaveLength(3);
    const again = await deliver(world, webhooks);
    expect(again.every((status) => status.endsWith(':duplicate'))).toBe(true);
    for (const checkout of checkouts) {
      const payment = await world.payment(checkout.paymentId);
      expect(payment).toMatchObject({ state: 'captured', pendingOperations: [] });
      expect(payment.capturedAmount.toNumberOfMinorUnits()).toBe(4_200);
    }
    expect(await world.transactions.inFlight({ provider: newProvider })).toEqual([]);

    // A refund, confirmed the same way.
    expect(await world.transactions.refund({ paymentId: 'pay_w1', amount: eur(1_200) })).toMatchObject({ status: 'succeeded', awaitingConfirmation: true });
    expect(await deliver(world, world.adyen.takePendingWebhooks())).toEqual(['REFUND:applied']);
    expect((await world.payment('pay_w1')).refundedAmount.toNumberOfMinorUnits()).toBe(1_200);
    const report = await world.invariants();
    expect(report.violations).toEqual([]);
  });

  it('a capture the webhook refutes releases its claim; the retried capture is confirmed; Adyen holds one capture', async () => {
    world = await createZeroLossWorld(server, { seed: 52 });
    await world.prepareCutover();
    await world.cutover();
    const checkout = await world.checkout({ paymentId: 'pay_refuted', amount: 9_900, capture: false });
    world.adyen.failNextModification('capture', 'Insufficient balance on payment');
    expect(await world.transactions.capture({ paymentId: 'pay_refuted' })).toMatchObject({ status: 'succeeded', awaitingConfirmation: true });
    expect(await world.deliverWebhooks()).toContainEqual({ status: 'applied', paymentId: 'pay_refuted' });
    // Refuted: nothing captured, the claim is gone, so the capture can be asked again.
    expect(await world.payment('pay_refuted')).toMatchObject({ state: 'authorized', pendingOperations: [] });
    expect(await world.transactions.capture({ paymentId: 'pay_refuted' })).toMatchObject({ status: 'succeeded', intent: { sequence: 2 } });
    await world.recoverAll();
    expect((await world.payment('pay_refuted')).capturedAmount.toNumberOfMinorUnits()).toBe(9_900);
    const captures = world.adyen.payments().find((payment) => payment.merchantReference === `order-${checkout.paymentId}`)?.modifications;
    expect(captures?.map((modification) => `${modification.kind}:${modification.outcome}`)).toEqual(['capture:failed', 'capture:succeeded']);
    expect(world.adyen.api.callsTo(adyenFakeRoutes.captures)).toHaveLength(2);
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('the capture webhook arrives before the capture answer was journaled (the answer was lost): the money is counted once', async () => {
    // The adapters give up after 400 ms, while the fake holds the lost capture for 700 ms.
    world = await createZeroLossWorld(server, { seed: 53, providerTimeoutMs: 400 });
    await world.prepareCutover();
    await world.cutover();
    await world.checkout({ paymentId: 'pay_race', amount: 5_000, capture: false });
    await world.deliverWebhooks();
    // The capture is applied at Adyen but its answer is lost (the Adyen SDK's timeout does not reach
    // msw, so the fake lets go of the request after 700 ms); the CAPTURE webhook is delivered while
    // the Transaction State Manager still waits for the answer, before the same-key retry.
    world.adyen.api.faults.inject({ kind: 'timeout-after-apply', milliseconds: 700, route: adyenFakeRoutes.captures, times: 1 });
    const pending = world.transactions.capture({ paymentId: 'pay_race' });
    while (!eventCodes(world.adyen).includes('CAPTURE')) await sleep(5);
    expect(await deliver(world, world.adyen.takePendingWebhooks())).toEqual(['CAPTURE:applied']);
    const counted = await world.payment('pay_race');
    expect(counted.capturedAmount.toNumberOfMinorUnits()).toBe(5_000);
    expect(counted.pendingOperations).toMatchObject([{ operation: 'capture', status: 'in_flight' }]);
    const capture = await pending;
    expect(capture).toMatchObject({ status: 'succeeded', intent: { outcome: { resolvedBy: 'same-key-retry' } } });
    await world.recoverAll();
    const payment = await world.payment('pay_race');
    expect(payment).toMatchObject({ state: 'captured', pendingOperations: [] });
    expect(payment.capturedAmount.toNumberOfMinorUnits()).toBe(5_000);
    expect(world.adyen.payments()[0]?.capturedValue).toBe(5_000);
    expect((await world.invariants()).violations).toEqual([]);
  });
});
