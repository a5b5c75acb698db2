import { cardBrands } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { mapStripeCardBrand, mapStripeFunding, toCardSummary } from './map-stripe-card.js';
import { mapStripeDeclineCode } from './map-stripe-decline-code.js';

describe('card brands', () => {
  it.each([
    ['visa', 'visa'],
    ['mastercard', 'mastercard'],
    ['amex', 'amex'],
    ['discover', 'discover'],
    ['jcb', 'jcb'],
    ['unionpay', 'unionpay'],
    ['diners', 'diners'],
    ['cartes_bancaires', 'cartes_bancaires'],
    ['eftpos_au', 'unknown'],
    ['unknown', 'unknown'],
    ['link', 'unknown'],
    [null, 'unknown'],
    [undefined, 'unknown'],
    ['hasOwnProperty', 'unknown'],
  ] as const)('%j -> %s', (brand, expected) => {
    expect(mapStripeCardBrand(brand)).toBe(expected);
    expect(cardBrands).toContain(mapStripeCardBrand(brand));
  });

  it.each([
    ['credit', 'credit'],
    ['debit', 'debit'],
    ['prepaid', 'prepaid'],
    ['unknown', 'unknown'],
    [null, 'unknown'],
  ] as const)('funding %j -> %s', (funding, expected) => {
    expect(mapStripeFunding(funding)).toBe(expected);
  });
});

describe('card summaries', () => {
  it('keeps brand, last four, expiry, fingerprint, funding and country', () => {
    expect(toCardSummary({ brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, fingerprint: 'Xt5EWLLDS7FJjR1c', funding: 'credit', country: 'US' })).toEqual({
      brand: 'visa',
      last4: '4242',
      expiryMonth: 12,
      expiryYear: 2034,
      fingerprint: 'Xt5EWLLDS7FJjR1c',
      funding: 'credit',
      issuingCountry: 'US',
    });
  });

  it('leaves out what Stripe did not report', () => {
    expect(toCardSummary({ brand: null, last4: '0005', exp_month: 1, exp_year: 2030, fingerprint: null, funding: null, country: null })).toEqual({
      brand: 'unknown',
      last4: '0005',
      expiryMonth: 1,
      expiryYear: 2030,
      fingerprint: undefined,
      funding: 'unknown',
      issuingCountry: undefined,
    });
  });

  it.each([null, undefined, { last4: null, exp_month: 1, exp_year: 2030 }, { last4: '42', exp_month: 1, exp_year: 2030 }, { last4: '4242', exp_month: null, exp_year: 2030 }, { last4: '4242', exp_month: 1 }])(
    'is undefined without last four digits and expiry: %j',
    (card) => {
      expect(toCardSummary(card)).toBeUndefined();
    },
  );
});

describe('decline codes', () => {
  it.each([
    ['insufficient_funds', 'insufficient_funds'],
    ['generic_decline', 'generic_decline'],
    ['card_declined', 'generic_decline'],
    ['do_not_honor', 'do_not_honor'],
    ['fraudulent', 'fraud_suspected'],
    ['lost_card', 'lost_card'],
    ['stolen_card', 'stolen_card'],
    ['pickup_card', 'stolen_card'],
    ['expired_card', 'expired_card'],
    ['incorrect_cvc', 'incorrect_cvc'],
    ['processing_error', 'processing_error'],
    ['authentication_required', 'authentication_required'],
    ['card_not_supported', 'card_not_supported'],
    ['card_velocity_exceeded', 'limit_exceeded'],
    ['something_new', 'generic_decline'],
    [null, 'generic_decline'],
    [undefined, 'generic_decline'],
  ] as const)('%j -> %s', (code, reason) => {
    expect(mapStripeDeclineCode(code)).toBe(reason);
    expect(mapStripeDeclineCode(code)).toMatch(/^[a-z_]+$/);
  });
});
