import { type WebhookRequest } from '@paymigrate/core';
import { type CommercePlatformContractWebhookEvent, type CommercePlatformContractWebhookType, commercePlatformContract } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { seedCanonicalOrder, useShopifyFake, withCaseOptOuts } from './__fixtures__/shopify-test-environment.js';

// One fake shop for the whole run, like a real development store; every case gets a fresh adapter.
const { fake, platform } = useShopifyFake();

const topics: Readonly<Record<CommercePlatformContractWebhookType, string>> = {
  'order.created': 'orders/create',
  'order.updated': 'orders/updated',
  'order.cancelled': 'orders/cancelled',
  'order.paid': 'orders/paid',
  'refund.created': 'refunds/create',
};

function signWebhook(event: CommercePlatformContractWebhookEvent, secret?: string): WebhookRequest {
  return fake.signWebhook({ topic: topics[event.type], orderId: event.orderId, webhookId: event.eventId, secret });
}

const caseOptOuts = {
  'recording an authorization makes the order authorized, with the transaction':
    'the Admin API 2025-01 has no mutation that adds an authorization to an order (Shopify records it when the payments app resolves the payment session); recordPayment only confirms an authorization Shopify already holds, see shopify-platform.test.ts',
};

describe('Shopify adapter on the Admin GraphQL fake', () => {
  commercePlatformContract({
    test: withCaseOptOuts(test, caseOptOuts),
    create: () => platform(),
    options: {
      currency: 'EUR',
      totalMinor: 5000n,
      provider: 'stripe',
      seedOrder: async (_subject, input) => seedCanonicalOrder(fake, input),
      // No seedCart: the Admin API has no cart read, getCart answers undefined (its 'unknown cart' case still runs).
      signWebhook: (event) => signWebhook(event),
      forgeWebhook: (event) => signWebhook(event, 'shpss_someone_else'),
    },
  });
});

describe('Shopify adapter in a zero-decimal currency with an odd total', () => {
  commercePlatformContract({
    test: withCaseOptOuts(test, caseOptOuts),
    create: () => platform(),
    options: {
      currency: 'JPY',
      totalMinor: 4999n,
      provider: 'adyen',
      seedOrder: async (_subject, input) => seedCanonicalOrder(fake, input),
      signWebhook: (event) => signWebhook(event),
      forgeWebhook: (event) => signWebhook(event, 'shpss_someone_else'),
      webhookEventTypes: ['refund.created'],
    },
    optOuts: { orders: 'covered by the EUR run on the same fake; this run checks amounts in a zero-decimal currency' },
  });
});

test('the contract run sent every write as a GraphQL mutation to the 2025-01 endpoint, without SDK retries', () => {
  const calls = fake.api.calls;
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.every((call) => call.url === fake.graphqlUrl)).toBe(true);
  expect(calls.every((call) => call.status === 200)).toBe(true);
});
