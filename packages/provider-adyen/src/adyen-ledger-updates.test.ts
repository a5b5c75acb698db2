import { Money } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { type AdyenNotificationFacts, applyNotification, applyPaymentAnswer, entryAmounts, newLedgerEntry, recordOperation, snapshotOfEntry } from './adyen-ledger-updates.js';
import { type AdyenLedgerEntry, createInMemoryAdyenPaymentLedger, isAdyenPaymentLedger } from './adyen-payment-ledger.js';

const now = 1_700_000_000_000;
const sent = newLedgerEntry({ entryId: 'key-1', merchantReference: 'order-1', amount: Money.of(1000n, 'EUR'), captureMethod: 'manual', now });

function authorised(additionalData: Record<string, string> = {}): AdyenLedgerEntry {
  return applyPaymentAnswer(sent, { resultCode: 'Authorised', pspReference: 'PAYM2222ENTX3333', additionalData }, { shopperReference: 'shopper-1', now });
}

function notification(overrides: Partial<AdyenNotificationFacts>): AdyenNotificationFacts {
  return {
    eventCode: 'CAPTURE',
    success: true,
    pspReference: 'MODI2222FYXX3333',
    originalReference: 'PAYM2222ENTX3333',
    merchantReference: 'order-1',
    amount: Money.of(1000n, 'EUR'),
    additionalData: {},
    ...overrides,
  };
}

describe('stored payment method facts from Adyen answers', () => {
  const card = { 'tokenization.storedPaymentMethodId': 'TOKN2222XXXX3333', cardSummary: '1142', paymentMethod: 'visa' };

  test('two-digit years, funding sources and issuing country are read; unknown funding is unknown', () => {
    expect(authorised({ ...card, expiryDate: '3/30', fundingSource: 'DEBIT', cardIssuingCountry: 'NL' }).storedPaymentMethod?.card).toMatchObject({ expiryYear: 2030, funding: 'debit', issuingCountry: 'NL' });
    expect(authorised({ ...card, expiryDate: '03/2030', fundingSource: 'SOMETHING' }).storedPaymentMethod?.card.funding).toBe('unknown');
    expect(authorised({ ...card, expiryDate: '03/2030' }).storedPaymentMethod?.card.funding).toBeUndefined();
  });

  test('incomplete card data stores no payment method rather than a wrong one', () => {
    expect(authorised({ ...card, expiryDate: '13/2030' }).storedPaymentMethod).toBeUndefined();
    expect(authorised({ ...card, expiryDate: 'soon' }).storedPaymentMethod).toBeUndefined();
    expect(authorised({ ...card, expiryDate: '3/2030', cardSummary: '11' }).storedPaymentMethod).toBeUndefined();
    expect(authorised({ 'tokenization.storedPaymentMethodId': 'TOKN2222XXXX3333', expiryDate: '3/2030' }).storedPaymentMethod).toBeUndefined();
  });

  test('an answer without a result code is unknown', () => {
    const entry = applyPaymentAnswer(sent, { pspReference: 'PAYM2222ENTX3333' }, { now });
    expect(snapshotOfEntry(entry)).toMatchObject({ state: 'unknown', providerStatus: 'unknown' });
  });
});

describe('notifications', () => {
  test('an AUTHORISATION without a reason, and one confirming an authorised entry, keep the authorised amount', () => {
    const partial = { ...authorised(), authorizedMinor: '600' };
    const confirmed = applyNotification(partial, notification({ eventCode: 'AUTHORISATION', pspReference: 'PAYM2222ENTX3333', originalReference: undefined }), { entryId: 'key-1', now });
    expect(confirmed?.authorizedMinor).toBe('600');
    expect(confirmed?.storedPaymentMethod).toBeUndefined();
  });

  test('a failure notice about an operation still pending marks it failed; EXPIRE false and unknown events change nothing', () => {
    const pending = recordOperation(authorised(), { pspReference: 'MODI2222FYXX3333', kind: 'capture', amountMinor: '1000', status: 'pending' }, now);
    expect(recordOperation(pending, { pspReference: 'MODI2222FYXX3333', kind: 'capture', amountMinor: '1000', status: 'pending' }, now)).toBe(pending);
    const failed = applyNotification(pending, notification({ eventCode: 'CAPTURE_FAILED' }), { entryId: 'key-1', now });
    expect(failed?.operations).toEqual([{ pspReference: 'MODI2222FYXX3333', kind: 'capture', amountMinor: '1000', status: 'failed' }]);
    expect(applyNotification(pending, notification({ eventCode: 'EXPIRE', success: false }), { entryId: 'key-1', now })).toBeUndefined();
    expect(applyNotification(pending, notification({ eventCode: 'ORDER_OPENED' }), { entryId: 'key-1', now })).toBeUndefined();
    expect(applyNotification(undefined, notification({ eventCode: 'CAPTURE' }), { entryId: 'key-1', now })).toBeUndefined();
  });

  test('CANCEL_OR_REFUND that refunded keeps the amount recorded when it was requested', () => {
    const automatic = applyPaymentAnswer({ ...sent, captureMethod: 'automatic' }, { resultCode: 'Authorised', pspReference: 'PAYM2222ENTX3333' }, { now });
    const requested = recordOperation(automatic, { pspReference: 'REVE2222RSAL3333', kind: 'reversal', amountMinor: '1000', status: 'pending' }, now);
    const refunded = applyNotification(requested, notification({ eventCode: 'CANCEL_OR_REFUND', pspReference: 'REVE2222RSAL3333', additionalData: { 'modification.action': 'refund' } }), { entryId: 'key-1', now });
    expect(snapshotOfEntry(refunded as AdyenLedgerEntry)).toMatchObject({ state: 'refunded', refundedAmount: Money.of(1000n, 'EUR') });
  });

  test('amounts are capped so a confused sequence never breaks the state derivation', () => {
    const entry: AdyenLedgerEntry = {
      ...authorised(),
      operations: [
        { pspReference: 'C1', kind: 'capture', amountMinor: '800', status: 'succeeded' },
        { pspReference: 'C2', kind: 'capture', amountMinor: '800', status: 'succeeded' },
        { pspReference: 'R1', kind: 'refund', amountMinor: '5000', status: 'succeeded' },
        { pspReference: 'X1', kind: 'reversal', action: 'refund', status: 'succeeded' },
      ],
    };
    expect(entryAmounts(entry)).toEqual({ authorized: 1000n, captured: 1000n, refunded: 1000n, finalCaptured: false });
    expect(snapshotOfEntry(entry).state).toBe('refunded');
  });
});

describe('ledger', () => {
  test('the in-memory ledger indexes by PSP and merchant reference, newest merchant reference wins', async () => {
    const ledger = createInMemoryAdyenPaymentLedger();
    await ledger.update('key-1', () => authorised());
    await ledger.update('key-2', () => ({ ...sent, entryId: 'key-2' }));
    expect((await ledger.get('PAYM2222ENTX3333'))?.entryId).toBe('key-1');
    expect((await ledger.findByMerchantReference('order-1'))?.entryId).toBe('key-2');
    await ledger.update('key-1', (current) => ({ ...(current as AdyenLedgerEntry), providerStatus: 'CAPTURE' }));
    expect((await ledger.findByMerchantReference('order-1'))?.entryId).toBe('key-2');
    expect(await ledger.get('nope')).toBeUndefined();
    expect(await ledger.findByMerchantReference('nope')).toBeUndefined();
  });

  test('isAdyenPaymentLedger checks the three methods', () => {
    expect(isAdyenPaymentLedger(createInMemoryAdyenPaymentLedger())).toBe(true);
    expect(isAdyenPaymentLedger(null)).toBe(false);
    expect(isAdyenPaymentLedger('ledger')).toBe(false);
    expect(isAdyenPaymentLedger({ get: () => undefined, update: () => undefined })).toBe(false);
  });
});
