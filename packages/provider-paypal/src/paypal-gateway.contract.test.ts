import type { PaymentWebhookEventType } from '@paymigrate/core';
import { paymentGatewayContract, payPalTestPaymentTokens, type PayPalFake } from '@paymigrate/testkit';
import { afterAll, beforeAll, test } from 'vitest';
import { createPayPalTestSubject, newCustomerId, server, wireMoney } from './__fixtures__/paypal-test-environment.js';

/** Canonical webhook types -> the PayPal event that normalizes to them. */
const payPalEventTypes: Partial<Record<PaymentWebhookEventType, string>> = {
  'payment.authorized': 'PAYMENT.AUTHORIZATION.CREATED',
  'payment.captured': 'PAYMENT.CAPTURE.COMPLETED',
  'payment.voided': 'PAYMENT.AUTHORIZATION.VOIDED',
};

let fake: PayPalFake;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

paymentGatewayContract({
  test,
  create: () => {
    const subject = createPayPalTestSubject();
    fake = subject.fake;
    return subject.gateway;
  },
  options: {
    currency: 'USD',
    amountMinor: 10_000n,
    paymentMethodTokens: {
      approved: payPalTestPaymentTokens.visa.vaultId,
      declined: payPalTestPaymentTokens.insufficientFunds.vaultId,
      requiresAction: payPalTestPaymentTokens.threeDSecure.vaultId,
    },
    customerForStoredMethods: () => {
      const card = fake.vaultCard({ customerId: newCustomerId(), testToken: 'visa' });
      return Promise.resolve({ customerReference: card.customerId, paymentMethodToken: card.vaultId });
    },
    signWebhook: (event) =>
      fake.signedWebhook(
        fake.webhookEvent({ eventType: payPalEventTypes[event.type] ?? 'UNMAPPED', orderId: event.providerReference, eventId: event.eventId, amount: wireMoney(event.amount) }),
      ),
    forgeWebhook: (event) =>
      fake.signedWebhook(
        fake.webhookEvent({ eventType: payPalEventTypes[event.type] ?? 'UNMAPPED', orderId: event.providerReference, eventId: event.eventId, amount: wireMoney(event.amount) }),
        { secret: 'a-secret-that-is-not-paypals' },
      ),
    webhookTimestamps: true,
    // Refund webhooks name only the capture; the contract's webhook cases run on an authorized,
    // never captured payment, so a refund event about it cannot be built. Refund webhooks are
    // covered in paypal-webhooks.test.ts with a real capture and refund.
    webhookEventTypes: ['payment.authorized', 'payment.captured', 'payment.voided'],
    // PayPal itself replays a reused PayPal-Request-Id; the adapter compares the replayed order
    // with the request and throws IdempotencyConflictError on a mismatch.
    idempotencyConflictDetected: true,
    unknownProviderReference: '9XY000000ZZZZZZZZZ',
  },
});
