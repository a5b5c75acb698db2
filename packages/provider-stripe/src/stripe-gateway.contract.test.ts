import { randomUUID } from 'node:crypto';
import { Money, type PaymentGatewayV1, type WebhookRequest } from '@paymigrate/core';
import { createStripeFake, paymentGatewayContract, type PaymentGatewayContractWebhookEvent, type StripeJson, trafficDumpDirectory } from '@paymigrate/testkit';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { createStripeGateway } from './stripe-gateway.js';
import { toStripeAmount } from './stripe-money.js';

// One fake Stripe account for the whole run, like a real test-mode account; every case gets a
// fresh adapter (the contract's `create`).
const fake = createStripeFake();
const server = setupServer(...fake.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  fake.api.faults.clear();
  fake.takePendingWebhooks();
});
afterAll(async () => {
  server.close();
  const directory = trafficDumpDirectory();
  if (directory !== undefined) await fake.api.dumpTraffic(`${directory}/stripe-contract-traffic.json`);
  // Every write the contract made carried an idempotency key, and the SDK retried nothing.
  const writes = fake.api.calls.filter((call) => call.method === 'POST');
  expect(writes.length).toBeGreaterThan(0);
  expect(writes.every((call) => /^contract-[0-9a-f-]{36}$/.test(call.requestHeaders['idempotency-key'] ?? ''))).toBe(true);
});

/** The Stripe event a canonical webhook type comes from, shaped around the fake's real objects. */
function stripeEventFor(event: PaymentGatewayContractWebhookEvent): StripeJson {
  const intent = fake.paymentIntent(event.providerReference) ?? { id: event.providerReference, object: 'payment_intent', metadata: {} };
  const { amount, currency } = toStripeAmount(event.amount);
  switch (event.type) {
    case 'payment.authorized':
      return fake.buildEvent({ id: event.eventId, type: 'payment_intent.amount_capturable_updated', object: { ...intent, amount_capturable: amount, currency } });
    case 'payment.captured':
      return fake.buildEvent({ id: event.eventId, type: 'payment_intent.succeeded', object: { ...intent, status: 'succeeded', amount_received: amount, currency } });
    case 'payment.voided':
      return fake.buildEvent({ id: event.eventId, type: 'payment_intent.canceled', object: { ...intent, status: 'canceled', amount, currency } });
    case 'payment.refunded': {
      const charge = fake.charge(String(intent['latest_charge'])) ?? {};
      return fake.buildEvent({
        id: event.eventId,
        type: 'charge.refunded',
        object: { ...charge, payment_intent: event.providerReference, amount, amount_captured: amount, amount_refunded: amount, captured: true, currency },
      });
    }
    default:
      throw new Error(`No Stripe event builds ${event.type}`);
  }
}

function signWebhook(event: PaymentGatewayContractWebhookEvent): WebhookRequest {
  return fake.signedWebhook(stripeEventFor(event));
}

function forgeWebhook(event: PaymentGatewayContractWebhookEvent): WebhookRequest {
  return fake.signedWebhook(stripeEventFor(event), { secret: 'whsec_someone_else' });
}

async function customerForStoredMethods(subject: PaymentGatewayV1): Promise<{ customerReference: string; paymentMethodToken: string }> {
  const customer = String(fake.createCustomer({ email: 'shopper@example.com' })['id']);
  const payment = await subject.authorize({
    idempotencyKey: `contract-${randomUUID()}`,
    merchantReference: `setup-${randomUUID()}`,
    amount: toMoney(5000n),
    paymentMethodToken: 'pm_card_visa',
    customerReference: customer,
    savePaymentMethod: true,
    captureMethod: 'automatic',
  });
  const token = payment.storedPaymentMethod?.token;
  if (token === undefined) throw new Error('authorize with savePaymentMethod returned no stored payment method');
  return { customerReference: customer, paymentMethodToken: token };
}

function toMoney(minorUnits: bigint): Money {
  return Money.of(minorUnits, 'EUR');
}

paymentGatewayContract({
  test,
  create: () =>
    createStripeGateway({
      apiKey: 'sk_test_paymigrate_contract',
      webhookSecret: fake.webhookSecret,
      apiBaseUrl: fake.baseUrl,
      networkTransactionIdExemption: true,
    }),
  options: {
    currency: 'EUR',
    amountMinor: 5000n,
    paymentMethodTokens: {
      approved: 'pm_card_visa',
      declined: 'pm_card_visa_chargeDeclinedInsufficientFunds',
      requiresAction: 'pm_card_threeDSecure2Required',
    },
    customerForStoredMethods,
    signWebhook,
    forgeWebhook,
    webhookTimestamps: true,
    webhookEventTypes: ['payment.authorized', 'payment.captured', 'payment.refunded', 'payment.voided'],
    idempotencyConflictDetected: true,
    unknownProviderReference: 'pi_3UnknownUnknownUnknown00',
  },
  // No opt-outs: every suite runs. Cases needing capabilities Stripe lacks (several captures,
  // technical cancel) skip themselves with the capability named.
});
