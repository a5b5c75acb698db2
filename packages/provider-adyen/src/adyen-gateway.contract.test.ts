import { randomUUID } from 'node:crypto';
import { Money, type PaymentGatewayV1 } from '@paymigrate/core';
import { type AdyenFake, adyenTestTokens, paymentGatewayContract } from '@paymigrate/testkit';
import { test } from 'vitest';
import { createTestSubject, expectedEventId, forgeWebhook, newKey, newReference, signWebhook, useMockServer } from './__fixtures__/adyen-test-setup.js';

const server = useMockServer();
const fakes = new Map<PaymentGatewayV1, AdyenFake>();

paymentGatewayContract({
  test,
  create: () => {
    const { fake, gateway } = createTestSubject(server);
    fakes.set(gateway, fake);
    return gateway;
  },
  destroy: (subject) => {
    fakes.delete(subject);
  },
  options: {
    currency: 'EUR',
    amountMinor: 1000n,
    paymentMethodTokens: { approved: adyenTestTokens.visa, declined: adyenTestTokens.declined, requiresAction: adyenTestTokens.threeDSecure },
    customerForStoredMethods: async (subject) => {
      // Letters only: a UUID's digit groups joined by dashes can look like a card number to the contract's PAN scan.
      const customerReference = `shopper-${randomUUID().replace(/[0-9-]/g, (character) => 'ghijklmnopq'.charAt('0123456789-'.indexOf(character)))}`;
      const payment = await subject.authorize({
        idempotencyKey: newKey(),
        merchantReference: newReference(),
        amount: Money.of(1000n, 'EUR'),
        paymentMethodToken: adyenTestTokens.visa,
        customerReference,
        savePaymentMethod: true,
      });
      const token = payment.storedPaymentMethod?.token;
      if (token === undefined) throw new Error('the authorization stored no payment method');
      return { customerReference, paymentMethodToken: token };
    },
    signWebhook,
    expectedEventId,
    forgeWebhook,
    webhookTimestamps: false,
    settle: async (subject) => {
      await fakes.get(subject)?.deliverPendingWebhooks((request) => subject.verifyWebhook(request));
    },
  },
});
