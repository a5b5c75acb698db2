import { describe, expect, it } from 'vitest';
import { declineReasonFromIssue, declineReasonFromProcessorCode } from './map-paypal-decline-reason.js';
import { mapPayPalCardBrand, payPalCardSummary } from './map-paypal-card.js';
import {
  describePayPalStatus,
  isKnownPayPalStatus,
  mapPayPalStatus,
  payPalAuthorizationStatuses,
  payPalCaptureStatuses,
  payPalOrderStatuses,
  payPalRefundStatuses,
} from './map-paypal-status.js';

/** Every status value in PayPal's specs (Orders v2, Payments v2) and docs, with the state it must map to. */
const expectedStates = {
  order: {
    CREATED: 'created',
    SAVED: 'created',
    APPROVED: 'authorizing',
    PAYER_ACTION_REQUIRED: 'requires_action',
    VOIDED: 'voided',
    COMPLETED: 'unknown',
  },
  authorization: {
    CREATED: 'authorized',
    PENDING: 'authorizing',
    PARTIALLY_CAPTURED: 'partially_captured',
    CAPTURED: 'captured',
    DENIED: 'failed',
    VOIDED: 'voided',
    EXPIRED: 'failed',
  },
  capture: {
    COMPLETED: 'captured',
    PARTIALLY_REFUNDED: 'partially_refunded',
    REFUNDED: 'refunded',
    PENDING: 'authorizing',
    DECLINED: 'failed',
    FAILED: 'failed',
  },
  refund: {
    COMPLETED: 'refunded',
    PENDING: 'captured',
    FAILED: 'captured',
    CANCELLED: 'captured',
  },
} as const;

const expectedOperations = {
  capture: { COMPLETED: 'succeeded', PARTIALLY_REFUNDED: 'succeeded', REFUNDED: 'succeeded', PENDING: 'pending', DECLINED: 'failed', FAILED: 'failed' },
  refund: { COMPLETED: 'succeeded', PENDING: 'pending', FAILED: 'failed', CANCELLED: 'failed' },
} as const;

describe('mapPayPalStatus', () => {
  it('lists exactly the statuses of the specs (plus EXPIRED from the API reference)', () => {
    expect([...payPalOrderStatuses].sort()).toEqual(Object.keys(expectedStates.order).sort());
    expect([...payPalAuthorizationStatuses].sort()).toEqual(Object.keys(expectedStates.authorization).sort());
    expect([...payPalCaptureStatuses].sort()).toEqual(Object.keys(expectedStates.capture).sort());
    expect([...payPalRefundStatuses].sort()).toEqual(Object.keys(expectedStates.refund).sort());
  });

  for (const [kind, table] of Object.entries(expectedStates) as [keyof typeof expectedStates, Record<string, string>][]) {
    for (const [status, state] of Object.entries(table)) {
      it(`${kind} ${status} -> ${state}`, () => {
        expect(mapPayPalStatus(kind, status)).toBe(state);
        expect(isKnownPayPalStatus(kind, status)).toBe(true);
      });
    }
    it(`an unknown ${kind} status is unknown, never a success, never settled`, () => {
      for (const status of ['SOMETHING_NEW', 'completed', '', 'toString', '__proto__', undefined]) {
        const meaning = describePayPalStatus(kind, status);
        expect(meaning.state).toBe('unknown');
        expect(meaning.operation).toBe('pending');
        expect(meaning.settled).toBe(false);
        expect(isKnownPayPalStatus(kind, status)).toBe(false);
      }
    });
  }

  for (const [kind, table] of Object.entries(expectedOperations) as [keyof typeof expectedOperations, Record<string, string>][]) {
    for (const [status, operation] of Object.entries(table)) {
      it(`${kind} ${status} is operation ${operation}`, () => {
        expect(describePayPalStatus(kind, status).operation).toBe(operation);
        expect(describePayPalStatus(kind, status).settled).toBe(operation === 'succeeded');
      });
    }
  }

  it('never maps a non-terminal or failed status to a success state', () => {
    const successes = new Set(['authorized', 'captured', 'partially_captured', 'partially_refunded', 'refunded']);
    for (const status of ['PENDING', 'DENIED', 'EXPIRED', 'DECLINED', 'FAILED']) {
      expect(successes.has(mapPayPalStatus('authorization', status))).toBe(false);
      if (isKnownPayPalStatus('capture', status)) expect(successes.has(mapPayPalStatus('capture', status))).toBe(false);
    }
  });
});

describe('decline reasons', () => {
  it.each([
    ['5120', 'insufficient_funds'],
    ['0500', 'do_not_honor'],
    ['5400', 'expired_card'],
    ['9500', 'fraud_suspected'],
    ['9520', 'lost_or_stolen_card'],
    ['00N7', 'incorrect_cvc'],
    ['PCVV', 'incorrect_cvc'],
    ['5650', 'authentication_required'],
    ['ZZZZ', 'generic_decline'],
    [undefined, 'generic_decline'],
    ['constructor', 'generic_decline'],
  ])('processor response %s -> %s', (code, reason) => {
    expect(declineReasonFromProcessorCode(code)).toBe(reason);
  });

  it.each([
    ['INSTRUMENT_DECLINED', 'generic_decline'],
    ['PAYMENT_SOURCE_DECLINED_BY_PROCESSOR', 'processor_declined'],
    ['CARD_BRAND_NOT_SUPPORTED', 'card_not_supported'],
    ['CARD_EXPIRED', 'expired_card'],
    ['TRANSACTION_REFUSED', 'transaction_not_allowed'],
  ])('422 issue %s -> %s', (issue, reason) => {
    expect(declineReasonFromIssue(issue)).toBe(reason);
  });

  it('other 422 issues are not declines', () => {
    for (const issue of ['MAX_CAPTURE_AMOUNT_EXCEEDED', 'DUPLICATE_INVOICE_ID', 'AUTHORIZATION_VOIDED', 'hasOwnProperty', undefined]) {
      expect(declineReasonFromIssue(issue)).toBeUndefined();
    }
  });

  it('every canonical reason is snake_case', () => {
    for (const code of ['0100', '0390', '5100', '5110', '5130', '5135', '5140', '5150', '5170', '5180', '5200', '5700', '5710', '9100', '9530', '9540']) {
      expect(declineReasonFromProcessorCode(code)).toMatch(/^[a-z_]+$/);
    }
  });
});

describe('cards', () => {
  it.each([
    ['VISA', 'visa'],
    ['ELECTRON', 'visa'],
    ['DELTA', 'visa'],
    ['MASTERCARD', 'mastercard'],
    ['AMEX', 'amex'],
    ['DISCOVER', 'discover'],
    ['JCB', 'jcb'],
    ['CHINA_UNION_PAY', 'unionpay'],
    ['MAESTRO', 'maestro'],
    ['SOLO', 'maestro'],
    ['SWITCH', 'maestro'],
    ['CB_NATIONALE', 'cartes_bancaires'],
    ['STAR', 'unknown'],
    ['CETELEM', 'unknown'],
    ['CONFIDIS', 'unknown'],
    ['CONFIGOGA', 'unknown'],
    ['SOMETHING_NEW', 'unknown'],
    [undefined, 'unknown'],
  ])('brand %s -> %s', (brand, expected) => {
    expect(mapPayPalCardBrand(brand)).toBe(expected);
  });

  it('summarizes a card with the last four digits only', () => {
    expect(payPalCardSummary({ brand: 'VISA', lastDigits: '4111111111', expiry: '2031-02', type: 'DEBIT' })).toEqual({
      brand: 'visa',
      last4: '1111',
      expiryYear: 2031,
      expiryMonth: 2,
      funding: 'debit',
    });
    expect(payPalCardSummary({ brand: 'AMEX', lastDigits: '0005', expiry: '2030-12' })).toEqual({ brand: 'amex', last4: '0005', expiryYear: 2030, expiryMonth: 12 });
    expect(payPalCardSummary({ brand: 'AMEX', lastDigits: '0005', expiry: '2030-12', type: 'WHATEVER' })?.funding).toBeUndefined();
  });

  it('refuses to summarize what PayPal did not fully send', () => {
    expect(payPalCardSummary(undefined)).toBeUndefined();
    expect(payPalCardSummary({ brand: 'VISA', expiry: '2030-12' })).toBeUndefined();
    expect(payPalCardSummary({ brand: 'VISA', lastDigits: '11', expiry: '2030-12' })).toBeUndefined();
    expect(payPalCardSummary({ brand: 'VISA', lastDigits: '1111', expiry: '2030-13' })).toBeUndefined();
    expect(payPalCardSummary({ brand: 'VISA', lastDigits: '1111' })).toBeUndefined();
  });
});
