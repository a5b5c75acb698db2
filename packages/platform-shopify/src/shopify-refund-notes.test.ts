import { Money } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { recordedRefundAmount, recordOnlyRefundNote, refundNote, refundNoteMarker } from './shopify-refund-notes.js';

const input = { idempotencyKey: 'ord_abc', orderId: 'gid://shopify/Order/1', kind: 'refund', amount: Money.of(4999, 'JPY'), provider: 'adyen', providerReference: 'PSP-1' } as const;

describe('refund notes', () => {
  it('carry the key marker, the provider and its reference', () => {
    expect(refundNote(input)).toBe(`Refunded at adyen (PSP-1) ${refundNoteMarker('ord_abc')}`);
    expect(recordOnlyRefundNote({ ...input, operationReference: 'PSP-R1' }, ['stripe', 'paypal'])).toBe(
      `Refund of 4999 JPY made at adyen (PSP-R1), recorded without moving money: the order was paid through gateway 'stripe', 'paypal', not adyen. ${refundNoteMarker('ord_abc')}`,
    );
  });

  it('tell what a refund recorded: its money, else the amount a record-only note names, else nothing', () => {
    const zero = Money.zero('JPY');
    expect(recordedRefundAmount({ id: 'r1', note: undefined, amount: Money.of(10, 'JPY') })).toBe('10 JPY');
    expect(recordedRefundAmount({ id: 'r2', note: recordOnlyRefundNote(input, ['stripe']), amount: zero })).toBe('4999 JPY');
    expect(recordedRefundAmount({ id: 'r3', note: 'restock only', amount: zero })).toBeUndefined();
    expect(recordedRefundAmount({ id: 'r4', note: undefined, amount: zero })).toBeUndefined();
  });
});
