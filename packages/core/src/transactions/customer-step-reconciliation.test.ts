import { describe, expect, it } from 'vitest';
import { emptyOperationCounters, type PaymentRecord } from '../journal/payment-repository.js';
import { Money } from '../money/money.js';
import type { PaymentSnapshot } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { decideCustomerStep } from './customer-step-reconciliation.js';

const eur = (minorUnits: number) => Money.of(minorUnits, 'EUR');
const hour = 3_600_000;

const waiting: PaymentRecord = {
  paymentId: 'pay_1',
  merchantReference: 'ref-1',
  provider: 'adyen',
  providerReference: 'psp_1',
  captureMethod: 'manual',
  initialIntentId: 'pay_1.authorize.1',
  amount: eur(5_000),
  authorizedAmount: eur(0),
  capturedAmount: eur(0),
  refundedAmount: eur(0),
  released: false,
  state: 'requires_action',
  pendingOperations: [],
  appliedOperationReferences: [],
  operationCounters: { ...emptyOperationCounters, authorize: 1 },
  createdAt: 0,
  updatedAt: 0,
};

function snapshot(overrides: Partial<PaymentSnapshot>): PaymentSnapshot {
  return {
    provider: 'adyen',
    providerReference: 'psp_1',
    state: 'requires_action',
    providerStatus: 'RedirectShopper',
    amount: eur(5_000),
    authorizedAmount: eur(0),
    capturedAmount: eur(0),
    refundedAmount: eur(0),
    ...overrides,
  };
}

const expiry = { three_d_secure: hour, redirect: 24 * hour };

describe('decideCustomerStep', () => {
  it.each([
    ['authorized', 'payment.authorized', true],
    ['partially_captured', 'payment.authorized', true],
    ['captured', 'payment.authorized', true],
    ['partially_refunded', 'payment.authorized', true],
    ['refunded', 'payment.authorized', true],
    ['failed', 'payment.authorization_failed', false],
    ['voided', 'payment.voided', true],
  ] as const)('a provider that reports %s: applies %s, named after the provider payment and the event type', (state, type, success) => {
    const verdict = decideCustomerStep(waiting, snapshot({ state, providerStatus: 'Authorised', authorizedAmount: eur(5_000) }), 10, expiry);
    expect(verdict).toEqual({
      kind: 'advanced',
      event: {
        eventId: `reconciliation:psp_1:${type}`,
        provider: 'adyen',
        type,
        providerType: 'reconciliation:Authorised',
        success,
        providerReference: 'psp_1',
        merchantReference: 'ref-1',
        amount: type === 'payment.authorized' ? eur(5_000) : undefined,
        occurredAt: 10,
      },
    });
  });

  it.each(['created', 'unknown'] as const)('a provider that reports %s has settled nothing: still waiting, never cancelled', (state) => {
    expect(decideCustomerStep(waiting, snapshot({ state }), 1_000 * hour, expiry)).toEqual({ kind: 'waiting' });
  });

  it('a provider that waits for the merchant (authorizing: PayPal APPROVED) is resumed, never cancelled', () => {
    expect(decideCustomerStep(waiting, snapshot({ state: 'authorizing', providerStatus: 'APPROVED' }), 1_000 * hour, expiry)).toEqual({ kind: 'resume' });
  });

  it('cancels only past the expiry of the step the provider names; a step without an expiry never', () => {
    const challenge = snapshot({ nextAction: { type: 'three_d_secure', url: 'https://acs.example/challenge' } });
    expect(decideCustomerStep(waiting, challenge, hour - 1, expiry)).toEqual({ kind: 'waiting' });
    expect(decideCustomerStep(waiting, challenge, hour, expiry)).toEqual({ kind: 'abandoned', step: 'three_d_secure' });
    const redirect = snapshot({ nextAction: { type: 'redirect' } });
    expect(decideCustomerStep(waiting, redirect, 2 * hour, expiry)).toEqual({ kind: 'waiting' });
    expect(decideCustomerStep(waiting, redirect, 24 * hour, expiry)).toEqual({ kind: 'abandoned', step: 'redirect' });
    expect(decideCustomerStep(waiting, snapshot({ nextAction: { type: 'other' } }), 10_000 * hour, expiry)).toEqual({ kind: 'waiting' });
    // No step named: `other`.
    expect(decideCustomerStep(waiting, snapshot({}), 10_000 * hour, expiry)).toEqual({ kind: 'waiting' });
    expect(decideCustomerStep(waiting, snapshot({}), 3 * hour, { other: 2 * hour })).toEqual({ kind: 'abandoned', step: 'other' });
    // Measured from the payment's last change.
    expect(decideCustomerStep({ ...waiting, updatedAt: 5 * hour }, challenge, 5 * hour + hour - 1, expiry)).toEqual({ kind: 'waiting' });
  });
});
