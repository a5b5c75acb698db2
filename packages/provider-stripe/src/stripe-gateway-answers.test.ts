import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { authorizeInput, euros, newKey, useStripeFake } from './__fixtures__/stripe-fake-harness.js';

// Answers Stripe gives that the fake does not produce on its own (asynchronous captures and
// refunds, objects not expanded, payment methods that are not cards), served once in front of it.
const { fake, gateway, server } = useStripeFake();

describe('answers the fake does not produce by itself', () => {
  it('a capture still processing is pending, referenced by the intent when the charge is not expanded', async () => {
    const payment = await gateway().authorize(authorizeInput());
    const intent = { ...fake.paymentIntent(payment.providerReference), status: 'processing', latest_charge: null };
    server.use(http.post(`${fake.baseUrl}/v1/payment_intents/:intent/capture`, () => HttpResponse.json(intent), { once: true }));
    const result = await gateway().capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(5000) });
    expect(result).toMatchObject({ status: 'pending', providerStatus: 'processing', operationReference: payment.providerReference });
    expect(result.payment?.state).toBe('authorizing');
  });

  it('a cancellation still processing is pending', async () => {
    const payment = await gateway().authorize(authorizeInput());
    const intent = { ...fake.paymentIntent(payment.providerReference), status: 'processing' };
    server.use(http.post(`${fake.baseUrl}/v1/payment_intents/:intent/cancel`, () => HttpResponse.json(intent), { once: true }));
    expect(await gateway().cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference })).toMatchObject({ status: 'pending', providerStatus: 'processing' });
  });

  it('a refund without a status, its intent not expanded, is pending with no payment view', async () => {
    const payment = await gateway().authorize(authorizeInput({ captureMethod: 'automatic' }));
    const refund = { id: 're_async', object: 'refund', amount: 500, currency: 'eur', charge: 'ch_x', created: 1, metadata: {}, payment_intent: payment.providerReference, reason: null, status: null };
    server.use(http.post(`${fake.baseUrl}/v1/refunds`, () => HttpResponse.json(refund), { once: true }));
    const result = await gateway().refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(500) });
    expect(result).toMatchObject({ operation: 'refund', operationReference: 're_async', status: 'pending', providerStatus: 'unknown', payment: undefined });
    expect(result.amount.toJSON()).toEqual(euros(500).toJSON());
  });

  it('a customer payment method that is not a card is left out of the stored cards', async () => {
    const customer = String(fake.createCustomer()['id']);
    const card = fake.attachCard({ customer, token: 'pm_card_visa' });
    const sepa = { id: 'pm_sepa', object: 'payment_method', type: 'sepa_debit', customer, created: 1, livemode: false, billing_details: {}, metadata: {}, sepa_debit: { last4: '3000' } };
    server.use(http.get(`${fake.baseUrl}/v1/payment_methods`, () => HttpResponse.json({ object: 'list', data: [sepa, card], has_more: false, url: '/v1/payment_methods' }), { once: true }));
    const methods = await gateway().listStoredPaymentMethods({ customerReference: customer });
    expect(methods.map((method) => method.token)).toEqual([card['id']]);
  });

  it('a page claiming more without items ends the listing instead of looping', async () => {
    server.use(http.get(`${fake.baseUrl}/v1/payment_methods`, () => HttpResponse.json({ object: 'list', data: [], has_more: true, url: '/v1/payment_methods' }), { once: true }));
    expect(await gateway().listStoredPaymentMethods({ customerReference: 'cus_any' })).toEqual([]);
  });
});
