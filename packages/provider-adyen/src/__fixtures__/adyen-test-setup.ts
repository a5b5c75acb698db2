import { randomUUID } from 'node:crypto';
import type { WebhookRequest } from '@paymigrate/core';
import {
  type AdyenFake,
  type AdyenFakeOptions,
  type AdyenNotificationItem,
  adyenEventDate,
  adyenFakeDefaults,
  createAdyenFake,
  type PaymentGatewayContractWebhookEvent,
  signAdyenNotification,
} from '@paymigrate/testkit';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type AdyenGateway, createAdyenGateway } from '../adyen-gateway.js';
import { toAdyenAmount } from '../adyen-money.js';
import type { AdyenGatewayOptions } from '../adyen-options.js';

/** Return URL every test gateway is configured with. */
export const testReturnUrl = 'https://shop.example/checkout/return';

/** Gateway options that point at a fake (the test environment host, which msw intercepts). */
export function gatewayOptionsFor(fake: AdyenFake, overrides: Partial<AdyenGatewayOptions> = {}): AdyenGatewayOptions {
  return {
    environment: 'test',
    apiKey: fake.apiKey,
    hmacKey: fake.hmacKey,
    merchantAccount: fake.merchantAccount,
    returnUrl: testReturnUrl,
    environmentVariables: {},
    ...overrides,
  };
}

/** One msw server per test file, failing on any request no fake answers. */
export function useMockServer(): SetupServer {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** A fake, a gateway on it, and a way to deliver the fake's queued webhooks to the gateway. */
export interface AdyenTestSubject {
  readonly fake: AdyenFake;
  readonly gateway: AdyenGateway;
  /** Delivers every queued webhook to `gateway.verifyWebhook`; resolves with how many. */
  settle(): Promise<number>;
}

/** Creates a fresh fake and gateway and installs the fake's handlers on `server`. */
export function createTestSubject(
  server: SetupServer,
  options: { readonly fake?: AdyenFakeOptions; readonly gateway?: Partial<AdyenGatewayOptions> } = {},
): AdyenTestSubject {
  const fake = createAdyenFake(options.fake);
  server.resetHandlers(...fake.handlers);
  const gateway = createAdyenGateway(gatewayOptionsFor(fake, options.gateway));
  return { fake, gateway, settle: () => fake.deliverPendingWebhooks((request) => gateway.verifyWebhook(request)) };
}

/** A fresh idempotency key. */
export function newKey(): string {
  return `test-${randomUUID()}`;
}

/** A fresh merchant reference, without digits (so no run of it can look like a card number to a PAN scan). */
export function newReference(): string {
  return `order-${randomUUID().replace(/[0-9]/g, (digit) => 'ghijklmnop'.charAt(Number(digit)))}`;
}

/** The testkit's `captureError`, re-exported for the Adyen tests that import it from here. */
export { captureError } from '@paymigrate/testkit';

const eventCodes = {
  'payment.authorized': 'AUTHORISATION',
  'payment.captured': 'CAPTURE',
  'payment.refunded': 'REFUND',
  'payment.voided': 'CANCELLATION',
} as const;

/** The notification item Adyen would send for a contract event. */
export function notificationItem(event: PaymentGatewayContractWebhookEvent): AdyenNotificationItem {
  const eventCode = eventCodes[event.type as keyof typeof eventCodes] ?? 'AUTHORISATION';
  const modification = eventCode !== 'AUTHORISATION';
  return {
    amount: toAdyenAmount(event.amount),
    eventCode,
    eventDate: adyenEventDate(Date.now()),
    merchantAccountCode: adyenFakeDefaults.merchantAccount,
    merchantReference: 'contract-webhook',
    ...(modification ? { originalReference: event.providerReference } : {}),
    pspReference: modification ? event.eventId.replace(/^evt_/, '').slice(0, 16).toUpperCase() : event.providerReference,
    paymentMethod: 'visa',
    reason: '',
    success: 'true',
  };
}

/** The event id the adapter derives for a contract event: `pspReference:eventCode:success`. */
export function expectedEventId(event: PaymentGatewayContractWebhookEvent): string {
  const item = notificationItem(event);
  return `${item.pspReference}:${item.eventCode}:${item.success}`;
}

/** Signs a contract event the way Adyen would send it, with the fake's key. */
export function signWebhook(event: PaymentGatewayContractWebhookEvent): WebhookRequest {
  return signAdyenNotification(notificationItem(event), adyenFakeDefaults.hmacKey, { receivedAt: Date.now() });
}

/** The same webhook signed with another key. */
export function forgeWebhook(event: PaymentGatewayContractWebhookEvent): WebhookRequest {
  return signAdyenNotification(notificationItem(event), 'AB'.repeat(32), { receivedAt: Date.now() });
}
