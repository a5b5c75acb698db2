import { Money } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { payPalCaptureResult, payPalRefundResult, payPalVoidResult } from './paypal-operation-result.js';
import { type PayPalOrderLike, payPalOrderSnapshot, type PayPalPaymentResourceLike } from './paypal-order-snapshot.js';

const usd = (value: string) => ({ currencyCode: 'USD', value });

function order(status: string, payments?: NonNullable<NonNullable<PayPalOrderLike['purchaseUnits']>[number]['payments']>, extra: Partial<PayPalOrderLike> = {}): PayPalOrderLike {
  return { id: 'ORDER1', status, intent: 'AUTHORIZE', purchaseUnits: [{ amount: usd('100.00'), customId: 'order-7', payments }], ...extra };
}

function authorization(status: string, value = '100.00', extra: Partial<PayPalPaymentResourceLike> = {}): PayPalPaymentResourceLike {
  return { id: 'AUTH1', status, amount: usd(value), ...extra };
}

function capture(status: string, value: string, id = 'CAP1'): PayPalPaymentResourceLike {
  return { id, status, amount: usd(value) };
}

function refund(status: string, value: string, captureId = 'CAP1'): PayPalPaymentResourceLike {
  return { id: `REF-${value}`, status, amount: usd(value), links: [{ rel: 'up', href: `https://api-m.paypal.com/v2/payments/captures/${captureId}` }] };
}

const money = (value: string): Money => Money.fromDecimal(value, 'USD');

describe('payPalOrderSnapshot', () => {
  it.each([
    ['CREATED', 'created'],
    ['SAVED', 'created'],
    ['APPROVED', 'authorizing'],
    ['VOIDED', 'voided'],
    ['COMPLETED', 'unknown'],
    ['NEW_STATUS', 'unknown'],
  ])('an order %s without payments is %s', (status, state) => {
    const snapshot = payPalOrderSnapshot(order(status));
    expect(snapshot.state).toBe(state);
    expect(snapshot.capturedAmount.isZero()).toBe(true);
    expect(snapshot.providerStatus).toBe(status);
  });

  it('an order waiting for 3-D Secure is requires_action with the payer-action link', () => {
    const snapshot = payPalOrderSnapshot(order('PAYER_ACTION_REQUIRED', undefined, { links: [{ rel: 'self', href: 'x' }, { rel: 'payer-action', href: 'https://www.paypal.com/3ds' }] }));
    expect(snapshot.state).toBe('requires_action');
    expect(snapshot.nextAction).toEqual({ type: 'three_d_secure', url: 'https://www.paypal.com/3ds' });
    expect(payPalOrderSnapshot(order('PAYER_ACTION_REQUIRED')).nextAction).toEqual({ type: 'other' });
  });

  it('an authorization CREATED is authorized, with the network transaction id', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CREATED', '100.00', { networkTransactionReference: { id: '123456789012345' } })] }));
    expect(snapshot).toMatchObject({ provider: 'paypal', providerReference: 'ORDER1', merchantReference: 'order-7', state: 'authorized', providerStatus: 'COMPLETED/authorization:CREATED' });
    expect(snapshot.authorizedAmount.equals(money('100.00'))).toBe(true);
    expect(snapshot.networkTransactionId).toBe('123456789012345');
    expect(snapshot.declineReason).toBeUndefined();
  });

  it('a COMPLETED order hiding a DENIED authorization is failed with the decline reason', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('DENIED', '100.00', { processorResponse: { responseCode: '5120' } })] }));
    expect(snapshot.state).toBe('failed');
    expect(snapshot.declineReason).toBe('insufficient_funds');
    expect(snapshot.authorizedAmount.isZero()).toBe(true);
  });

  it('an expired authorization is failed (authorization_expired)', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('EXPIRED')] }));
    expect(snapshot).toMatchObject({ state: 'failed', declineReason: 'authorization_expired' });
  });

  it('a PENDING authorization is still authorizing', () => {
    expect(payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('PENDING')] })).state).toBe('authorizing');
  });

  it('partial and final captures', () => {
    const partial = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('PARTIALLY_CAPTURED')], captures: [capture('COMPLETED', '25.00')] }));
    expect(partial.state).toBe('partially_captured');
    expect(partial.capturedAmount.equals(money('25.00'))).toBe(true);
    expect(partial.authorizedAmount.equals(money('100.00'))).toBe(true);
    expect(partial.providerStatus).toBe('COMPLETED/authorization:PARTIALLY_CAPTURED/capture:COMPLETED');

    const finalPartial = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CAPTURED')], captures: [capture('COMPLETED', '50.00')] }));
    expect(finalPartial.state).toBe('captured');
    expect(finalPartial.authorizedAmount.equals(money('50.00'))).toBe(true);
  });

  it('a pending capture moves nothing and releases nothing', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CAPTURED')], captures: [capture('PENDING', '100.00')] }));
    expect(snapshot.state).toBe('authorized');
    expect(snapshot.capturedAmount.isZero()).toBe(true);
  });

  it('a declined capture of an authorization leaves it authorized', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CREATED')], captures: [capture('DECLINED', '100.00')] }));
    expect(snapshot.state).toBe('authorized');
  });

  it('a voided authorization is voided with nothing authorized', () => {
    const snapshot = payPalOrderSnapshot(order('VOIDED', { authorizations: [authorization('VOIDED')] }));
    expect(snapshot.state).toBe('voided');
    expect(snapshot.authorizedAmount.isZero()).toBe(true);
  });

  it('refunds: partial, full, and the ones that moved nothing', () => {
    const base = { authorizations: [authorization('CAPTURED')] };
    const partial = payPalOrderSnapshot(order('COMPLETED', { ...base, captures: [capture('PARTIALLY_REFUNDED', '100.00')], refunds: [refund('COMPLETED', '30.00'), refund('FAILED', '10.00'), refund('PENDING', '5.00')] }));
    expect(partial.state).toBe('partially_refunded');
    expect(partial.refundedAmount.equals(money('30.00'))).toBe(true);
    const full = payPalOrderSnapshot(order('COMPLETED', { ...base, captures: [capture('REFUNDED', '100.00')], refunds: [refund('COMPLETED', '100.00')] }));
    expect(full.state).toBe('refunded');
  });

  it('intent CAPTURE: the capture is the payment', () => {
    const capturedOrder = (payments: Parameters<typeof order>[1]) => order('COMPLETED', payments, { intent: 'CAPTURE' });
    expect(payPalOrderSnapshot(capturedOrder({ captures: [capture('COMPLETED', '100.00')] })).state).toBe('captured');
    expect(payPalOrderSnapshot(capturedOrder({ captures: [capture('PARTIALLY_REFUNDED', '100.00')], refunds: [refund('COMPLETED', '40.00')] })).state).toBe('partially_refunded');
    expect(payPalOrderSnapshot(capturedOrder({ captures: [capture('PENDING', '100.00')] })).state).toBe('authorizing');
    const declined = payPalOrderSnapshot(capturedOrder({ captures: [{ ...capture('DECLINED', '100.00'), processorResponse: { responseCode: '0500' } }] }));
    expect(declined).toMatchObject({ state: 'failed', declineReason: 'do_not_honor' });
    expect(declined.capturedAmount.isZero()).toBe(true);
  });

  it('an unrecognized status anywhere makes the payment unknown, never a success', () => {
    expect(payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('NEW')] })).state).toBe('unknown');
    expect(payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CREATED')], captures: [capture('NEW', '10.00')] })).state).toBe('unknown');
    expect(payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CAPTURED')], captures: [capture('COMPLETED', '100.00')], refunds: [refund('NEW', '1.00')] })).state).toBe('unknown');
    expect(payPalOrderSnapshot(order('COMPLETED', { authorizations: [{ id: 'AUTH1', amount: usd('100.00') }] })).providerStatus).toBe('COMPLETED/authorization:UNKNOWN');
  });

  it('amounts that do not add up are unknown', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CAPTURED', '10.00')], captures: [capture('COMPLETED', '100.00')] }));
    expect(snapshot.state).toBe('unknown');
  });

  it('reports the stored card when PayPal says it is vaulted for a customer', () => {
    const card = { brand: 'VISA', lastDigits: '1111', expiry: '2031-12', type: 'CREDIT', attributes: { vault: { id: 'vault-1', status: 'VAULTED', customer: { id: 'customer-1' } } } };
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { authorizations: [authorization('CREATED', '100.00', { networkTransactionReference: { id: 'NTID1' } })] }, { paymentSource: { card } }));
    expect(snapshot.storedPaymentMethod).toEqual({
      provider: 'paypal',
      token: 'vault-1',
      customerReference: 'customer-1',
      card: { brand: 'visa', last4: '1111', expiryMonth: 12, expiryYear: 2031, funding: 'credit' },
      networkTransactionId: 'NTID1',
    });
    const notVaulted = { ...card, attributes: { vault: { id: 'vault-1', status: 'APPROVED', customer: { id: 'customer-1' } } } };
    expect(payPalOrderSnapshot(order('COMPLETED', undefined, { paymentSource: { card: notVaulted } })).storedPaymentMethod).toBeUndefined();
  });

  it('takes the network transaction id from a capture when there is no authorization', () => {
    const snapshot = payPalOrderSnapshot(order('COMPLETED', { captures: [{ ...capture('COMPLETED', '100.00'), networkTransactionReference: { id: 'NTID2' } }] }, { intent: 'CAPTURE' }));
    expect(snapshot.networkTransactionId).toBe('NTID2');
  });

  it('missing statuses and ids are spelled out, never guessed', () => {
    const snapshot = payPalOrderSnapshot({ purchaseUnits: [{ amount: usd('1.00'), payments: { authorizations: [authorization('CREATED', '1.00')], captures: [{ id: 'C', amount: usd('1.00') }] } }] });
    expect(snapshot.providerStatus).toBe('UNKNOWN/authorization:CREATED/capture:UNKNOWN');
    expect(snapshot.providerReference).toBe('');
    expect(snapshot.state).toBe('unknown');
  });

  it('refuses an order without an amount', () => {
    expect(() => payPalOrderSnapshot({ id: 'X', status: 'CREATED' })).toThrow(/without an amount/);
  });
});

describe('operation results', () => {
  it('maps captures, refunds and voids, and never calls an unknown status a success', () => {
    expect(payPalCaptureResult(capture('COMPLETED', '10.00'))).toMatchObject({ operation: 'capture', operationReference: 'CAP1', status: 'succeeded', providerStatus: 'COMPLETED' });
    expect(payPalCaptureResult(capture('PENDING', '10.00')).status).toBe('pending');
    expect(payPalCaptureResult(capture('DECLINED', '10.00')).status).toBe('failed');
    expect(payPalCaptureResult({ amount: usd('1.00') })).toMatchObject({ operationReference: '', status: 'pending', providerStatus: 'UNKNOWN' });
    expect(payPalRefundResult(refund('COMPLETED', '10.00'))).toMatchObject({ operation: 'refund', status: 'succeeded' });
    expect(payPalRefundResult(refund('CANCELLED', '10.00')).status).toBe('failed');
    expect(payPalRefundResult({ amount: usd('1.00') })).toMatchObject({ operationReference: '', status: 'pending', providerStatus: 'UNKNOWN' });
    const amount = money('10.00');
    expect(payPalVoidResult(null, { id: 'AUTH1', amount })).toMatchObject({ operation: 'cancel', operationReference: 'AUTH1', status: 'succeeded', providerStatus: 'VOIDED' });
    expect(payPalVoidResult(authorization('VOIDED'), { id: 'AUTH1', amount })).toMatchObject({ status: 'succeeded', providerStatus: 'VOIDED' });
    expect(payPalVoidResult(authorization('PENDING'), { id: 'AUTH1', amount }).status).toBe('pending');
    expect(payPalVoidResult({}, { id: 'AUTH1', amount })).toMatchObject({ operationReference: 'AUTH1', status: 'pending', providerStatus: 'UNKNOWN' });
  });
});
