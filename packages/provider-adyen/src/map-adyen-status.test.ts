import { readFileSync } from 'node:fs';
import { type PaymentState, paymentStates, type PaymentWebhookEventType, paymentWebhookEventTypes } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { mapAdyenCardBrand } from './map-adyen-card-brand.js';
import { adyenEventCodes, isAdyenEventCode, mapAdyenEventCode } from './map-adyen-event-code.js';
import { adyenRefusalReasonCodes, mapAdyenRefusalReason } from './map-adyen-refusal-reason.js';
import { adyenModificationStatuses, adyenResultCodes, isAdyenResultCode, mapAdyenModificationStatus, mapAdyenResultCode } from './map-adyen-status.js';

const checkoutSpecUrl = new URL('../../../../shared/specs/adyen-checkout.openapi.json', import.meta.url);
const webhooksSpecUrl = new URL('../../../../shared/specs/adyen-webhooks.openapi.json', import.meta.url);

function readSpec(url: URL): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

type Schemas = Record<string, { properties: Record<string, { enum?: string[] }> }>;

const checkoutSpec = readSpec(checkoutSpecUrl);
const webhooksSpec = readSpec(webhooksSpecUrl);

describe('mapAdyenResultCode', () => {
  const expected: Readonly<Record<string, PaymentState>> = {
    AuthenticationFinished: 'authorizing',
    AuthenticationNotRequired: 'authorizing',
    Authorised: 'authorized',
    Cancelled: 'failed',
    ChallengeShopper: 'requires_action',
    Error: 'failed',
    IdentifyShopper: 'requires_action',
    PartiallyAuthorised: 'authorized',
    Pending: 'authorizing',
    PresentToShopper: 'requires_action',
    Received: 'authorizing',
    RedirectShopper: 'requires_action',
    Refused: 'failed',
    Success: 'unknown',
  };

  test.each(Object.entries(expected))('%s -> %s', (resultCode, state) => {
    expect(mapAdyenResultCode(resultCode)).toBe(state);
    expect(isAdyenResultCode(resultCode)).toBe(true);
  });

  test('the table covers exactly the documented result codes', () => {
    expect([...adyenResultCodes].sort()).toEqual(Object.keys(expected).sort());
  });

  test.skipIf(checkoutSpec === undefined)('the table covers every resultCode of the Checkout v72 spec (skipped when /work/shared/specs is absent)', () => {
    const schemas = (checkoutSpec?.components as { schemas: Schemas }).schemas;
    const specCodes = schemas.PaymentResponse?.properties.resultCode?.enum ?? [];
    expect(specCodes.length).toBeGreaterThan(0);
    expect([...adyenResultCodes].sort()).toEqual([...specCodes].sort());
  });

  test.each(['Authorized', 'authorised', 'AUTHORISED', 'Settled', '', undefined, 'Captured'])('an unknown result code %j is unknown, never a success', (resultCode) => {
    expect(mapAdyenResultCode(resultCode)).toBe('unknown');
    expect(isAdyenResultCode(resultCode)).toBe(false);
  });

  test('every state it produces is a canonical state', () => {
    for (const resultCode of adyenResultCodes) expect(paymentStates).toContain(mapAdyenResultCode(resultCode));
  });
});

describe('mapAdyenModificationStatus', () => {
  test('received (the only documented status) is pending: the webhook decides', () => {
    expect(adyenModificationStatuses).toEqual(['received']);
    expect(mapAdyenModificationStatus('received')).toBe('pending');
  });

  test.skipIf(checkoutSpec === undefined)('covers the status enum of every modification response in the spec', () => {
    const schemas = (checkoutSpec?.components as { schemas: Schemas }).schemas;
    for (const name of ['PaymentCaptureResponse', 'PaymentRefundResponse', 'PaymentCancelResponse', 'StandalonePaymentCancelResponse', 'PaymentReversalResponse']) {
      expect(schemas[name]?.properties.status?.enum, name).toEqual([...adyenModificationStatuses]);
    }
  });

  test.each(['succeeded', 'captured', undefined, ''])('an unknown status %j is pending, never succeeded', (status) => {
    expect(mapAdyenModificationStatus(status)).toBe('pending');
  });
});

describe('mapAdyenEventCode', () => {
  const expected: Readonly<Record<string, readonly [PaymentWebhookEventType, PaymentWebhookEventType]>> = {
    AUTHENTICATION: ['other', 'other'],
    AUTHORISATION: ['payment.authorized', 'payment.authorization_failed'],
    AUTHORISATION_ADJUSTMENT: ['other', 'other'],
    AUTORESCUE: ['other', 'other'],
    CANCELLATION: ['payment.voided', 'other'],
    CANCEL_AUTORESCUE: ['other', 'other'],
    CANCEL_OR_REFUND: ['other', 'other'],
    CAPTURE: ['payment.captured', 'payment.capture_failed'],
    CAPTURE_FAILED: ['payment.capture_failed', 'payment.capture_failed'],
    CHARGEBACK: ['payment.dispute_opened', 'payment.dispute_opened'],
    CHARGEBACK_REVERSED: ['payment.dispute_closed', 'other'],
    DISPUTE_DEFENSE_PERIOD_ENDED: ['other', 'other'],
    EXPIRE: ['payment.expired', 'other'],
    HANDLED_EXTERNALLY: ['other', 'other'],
    INFORMATION_SUPPLIED: ['other', 'other'],
    ISSUER_COMMENTS: ['other', 'other'],
    ISSUER_RESPONSE_TIMEFRAME_EXPIRED: ['other', 'other'],
    MANUAL_REVIEW_ACCEPT: ['other', 'other'],
    MANUAL_REVIEW_REJECT: ['other', 'other'],
    NOTIFICATION_OF_CHARGEBACK: ['payment.dispute_opened', 'payment.dispute_opened'],
    NOTIFICATION_OF_FRAUD: ['other', 'other'],
    OFFER_CLOSED: ['payment.authorization_failed', 'other'],
    ORDER_CLOSED: ['other', 'other'],
    ORDER_OPENED: ['other', 'other'],
    PAYOUT_DECLINE: ['other', 'other'],
    PAYOUT_EXPIRE: ['other', 'other'],
    PAYOUT_THIRDPARTY: ['other', 'other'],
    POSTPONED_REFUND: ['other', 'other'],
    PREARBITRATION_LOST: ['payment.dispute_closed', 'payment.dispute_closed'],
    PREARBITRATION_OPEN: ['payment.dispute_opened', 'payment.dispute_opened'],
    PREARBITRATION_WON: ['payment.dispute_closed', 'payment.dispute_closed'],
    RECURRING_CONTRACT: ['payment_method.saved', 'other'],
    REFUND: ['payment.refunded', 'payment.refund_failed'],
    REFUNDED_REVERSED: ['payment.refund_reversed', 'other'],
    REFUND_FAILED: ['payment.refund_failed', 'payment.refund_failed'],
    REFUND_WITH_DATA: ['other', 'other'],
    REQUEST_FOR_INFORMATION: ['other', 'other'],
    SECOND_CHARGEBACK: ['payment.dispute_opened', 'payment.dispute_opened'],
    TECHNICAL_CANCEL: ['payment.voided', 'other'],
    VOID_PENDING_REFUND: ['payment.refund_failed', 'other'],
  };

  test.each(Object.entries(expected))('%s -> %j (success true, false)', (eventCode, [whenSuccessful, whenUnsuccessful]) => {
    expect(isAdyenEventCode(eventCode)).toBe(true);
    expect(mapAdyenEventCode(eventCode, true)).toBe(whenSuccessful);
    expect(mapAdyenEventCode(eventCode, false)).toBe(whenUnsuccessful);
    expect(paymentWebhookEventTypes).toContain(whenSuccessful);
  });

  test('the table covers exactly the documented event codes', () => {
    expect([...adyenEventCodes].sort()).toEqual(Object.keys(expected).sort());
  });

  test.skipIf(webhooksSpec === undefined)('the table covers every eventCode of the Webhooks v1 spec (skipped when /work/shared/specs is absent)', () => {
    const schemas = (webhooksSpec?.components as { schemas: Schemas }).schemas;
    const specCodes = schemas.NotificationRequestItem?.properties.eventCode?.enum ?? [];
    expect(specCodes).toHaveLength(40);
    expect([...adyenEventCodes].sort()).toEqual([...specCodes].sort());
  });

  test('CANCEL_OR_REFUND follows modification.action', () => {
    expect(mapAdyenEventCode('CANCEL_OR_REFUND', true, 'cancel')).toBe('payment.voided');
    expect(mapAdyenEventCode('CANCEL_OR_REFUND', true, 'refund')).toBe('payment.refunded');
    expect(mapAdyenEventCode('CANCEL_OR_REFUND', true, 'something')).toBe('other');
    expect(mapAdyenEventCode('CANCEL_OR_REFUND', false, 'cancel')).toBe('other');
  });

  test.each(['PAYMENT_SUCCEEDED', 'authorisation', '', 'DONATION'])('an unknown event code %j is other, never guessed', (eventCode) => {
    expect(isAdyenEventCode(eventCode)).toBe(false);
    expect(mapAdyenEventCode(eventCode, true)).toBe('other');
    expect(mapAdyenEventCode(eventCode, false)).toBe('other');
  });
});

describe('mapAdyenRefusalReason', () => {
  test.each([
    ['2', 'generic_decline'],
    ['5', 'restricted_card'],
    ['6', 'expired_card'],
    ['12', 'insufficient_funds'],
    ['14', 'fraud_suspected'],
    ['20', 'fraud_suspected'],
    ['24', 'incorrect_cvc'],
    ['27', 'do_not_honor'],
    ['29', 'card_velocity_exceeded'],
  ])('refusal code %s -> %s', (refusalReasonCode, canonical) => {
    expect(mapAdyenRefusalReason({ refusalReasonCode })).toBe(canonical);
  });

  test('every known code maps to a lower-case snake-case reason', () => {
    expect(adyenRefusalReasonCodes.length).toBeGreaterThan(40);
    for (const refusalReasonCode of adyenRefusalReasonCodes) expect(mapAdyenRefusalReason({ refusalReasonCode })).toMatch(/^[a-z_]+$/);
  });

  test('falls back to the reason text, then to the result code, then to generic_decline', () => {
    expect(mapAdyenRefusalReason({ refusalReason: 'Not enough balance' })).toBe('insufficient_funds');
    expect(mapAdyenRefusalReason({ refusalReasonCode: '999', refusalReason: ' cvc declined ' })).toBe('incorrect_cvc');
    expect(mapAdyenRefusalReason({ refusalReason: 'Something new', resultCode: 'Error' })).toBe('processing_error');
    expect(mapAdyenRefusalReason({ resultCode: 'Cancelled' })).toBe('cancelled');
    expect(mapAdyenRefusalReason({ resultCode: 'Refused' })).toBe('generic_decline');
    expect(mapAdyenRefusalReason({})).toBe('generic_decline');
  });
});

describe('mapAdyenCardBrand', () => {
  test.each([
    ['visa', 'visa'],
    ['visadankort', 'visa'],
    ['mc', 'mastercard'],
    ['mccredit', 'mastercard'],
    ['amex', 'amex'],
    ['AMEX_applepay', 'amex'],
    ['discover', 'discover'],
    ['jcb', 'jcb'],
    ['cup', 'unionpay'],
    ['diners', 'diners'],
    ['maestro', 'maestro'],
    ['cartebancaire', 'cartes_bancaires'],
    ['bcmc', 'unknown'],
    ['ideal', 'unknown'],
    [undefined, 'unknown'],
  ])('%s -> %s', (adyenBrand, brand) => {
    expect(mapAdyenCardBrand(adyenBrand)).toBe(brand);
  });
});
