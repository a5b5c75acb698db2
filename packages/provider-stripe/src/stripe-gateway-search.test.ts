import { describe, expect, it } from 'vitest';
import { authorizeInput, useStripeFake } from './__fixtures__/stripe-fake-harness.js';

// Stripe's Search API is eventually consistent: a new payment can be missing from results for
// about a minute. The fake holds new payments back until `indexSearch()`.
const { fake, gateway } = useStripeFake({ searchIndexing: 'manual' });

describe('findByMerchantReference on an eventually consistent search', () => {
  it('answers undefined until Stripe has indexed the payment, then finds it', async () => {
    const input = authorizeInput();
    const payment = await gateway().authorize(input);
    // Too early: core must not conclude from this that the authorization never happened.
    expect(await gateway().findByMerchantReference({ merchantReference: input.merchantReference })).toBeUndefined();
    fake.indexSearch();
    const found = await gateway().findByMerchantReference({ merchantReference: input.merchantReference });
    expect(found?.providerReference).toBe(payment.providerReference);
    expect(found?.state).toBe('authorized');
    expect(found?.networkTransactionId).toBe(payment.networkTransactionId);
  });

  it('only counts exact matches of our reference', async () => {
    await gateway().authorize(authorizeInput({ merchantReference: 'order-1' }));
    await gateway().authorize(authorizeInput({ merchantReference: 'order-10' }));
    fake.indexSearch();
    expect((await gateway().findByMerchantReference({ merchantReference: 'order-1' }))?.merchantReference).toBe('order-1');
    expect(await gateway().findByMerchantReference({ merchantReference: 'order' })).toBeUndefined();
  });
});
