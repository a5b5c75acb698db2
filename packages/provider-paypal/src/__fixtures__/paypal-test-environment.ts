import { randomUUID } from 'node:crypto';
import type { Money, PaymentGatewayV1 } from '@paymigrate/core';
import { createPayPalFake, type PayPalFake } from '@paymigrate/testkit';
import { setupServer } from 'msw/node';
import { createPayPalGateway } from '../paypal-gateway.js';
import type { PayPalGatewayOptions } from '../paypal-options.js';
import { toPayPalAmount } from '../paypal-money.js';

/** One msw server per test file; each test swaps in a fresh fake's handlers. */
export const server = setupServer();

/** A fresh fake and a gateway pointed at it (through msw, on the SDK's sandbox host). */
export interface PayPalTestSubject {
  readonly fake: PayPalFake;
  readonly gateway: PaymentGatewayV1;
}

/**
 * Creates a fresh PayPal fake, installs its handlers on the shared msw server and builds a
 * gateway with the fake's credentials. Extra gateway options override the defaults.
 */
export function createPayPalTestSubject(options: PayPalGatewayOptions = {}, fakeOptions: Parameters<typeof createPayPalFake>[0] = {}): PayPalTestSubject {
  const fake = createPayPalFake(fakeOptions);
  server.resetHandlers(...fake.handlers);
  const gateway = createPayPalGateway({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    webhookId: fake.webhookId,
    environmentVariables: {},
    ...options,
  });
  return { fake, gateway };
}

/** A fresh idempotency key. */
export function newKey(): string {
  return `test-${randomUUID()}`;
}

/** A fresh merchant reference. */
export function newReference(): string {
  return `order-${randomUUID()}`;
}

/**
 * A customer id PayPal's vault accepts (7 to 36 of [0-9a-zA-Z_-]). Twelve hex characters at most
 * in a row: a longer run of digits could pass for a card number in the contract's PAN scan.
 */
export function newCustomerId(): string {
  return `customer-${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** PayPal's snake_case `money` for an amount, as webhook resources carry it. */
export function wireMoney(amount: Money): { currency_code: string; value: string } {
  const { currencyCode, value } = toPayPalAmount(amount);
  return { currency_code: currencyCode, value };
}

/** What `action` rejected with; fails the test when it resolves (the testkit's `captureError`). */
export { captureError as failure } from '@paymigrate/testkit';
