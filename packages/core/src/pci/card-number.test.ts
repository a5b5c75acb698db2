import { describe, expect, test } from 'vitest';
import { brandOfCardNumber, isPrimaryAccountNumber, maskCardNumber, passesLuhnCheck } from './card-number.js';

/** Published test card numbers of each brand (provider test cards; never real cards). */
const testCardNumbers = [
  ['4242424242424242', 'visa'],
  ['4000056655665556', 'visa'],
  ['4222222222222', 'visa'],
  ['5555555555554444', 'mastercard'],
  ['2223003122003222', 'mastercard'],
  ['5200828282828210', 'mastercard'],
  ['378282246310005', 'amex'],
  ['371449635398431', 'amex'],
  ['6011111111111117', 'discover'],
  ['6445644564456445', 'discover'],
  ['6500000000000002', 'discover'],
  ['3566002020360505', 'jcb'],
  ['6200000000000005', 'unionpay'],
  ['36227206271667', 'diners'],
  ['3056930009020004', 'diners'],
  ['6759649826438453', 'maestro'],
] as const;

describe('card numbers', () => {
  test.each(testCardNumbers)('%s is a %s card number', (digits, brand) => {
    expect(passesLuhnCheck(digits)).toBe(true);
    expect(brandOfCardNumber(digits)).toBe(brand);
    expect(isPrimaryAccountNumber(digits)).toBe(true);
  });

  test('a wrong check digit is not a card number', () => {
    expect(passesLuhnCheck('4242424242424241')).toBe(false);
    expect(isPrimaryAccountNumber('4242424242424241')).toBe(false);
  });

  test('millisecond timestamps pass no issuer range, even when Luhn-valid', () => {
    let flagged = 0;
    for (let timestamp = Date.UTC(2020, 0, 1); timestamp < Date.UTC(2030, 0, 1); timestamp += 86_400_037) {
      if (isPrimaryAccountNumber(String(timestamp))) flagged += 1;
    }
    expect(flagged).toBe(0);
  });

  test('lengths outside 13-19, non-digits and unknown issuers are refused', () => {
    expect(isPrimaryAccountNumber('424242424242')).toBe(false);
    expect(isPrimaryAccountNumber('42424242424242424242')).toBe(false);
    expect(isPrimaryAccountNumber('4242a24242424242')).toBe(false);
    expect(brandOfCardNumber('9999999999999995')).toBeUndefined();
    expect(brandOfCardNumber('378282246310005000')).toBeUndefined();
  });

  test('masking shows at most the first six and last four digits', () => {
    expect(maskCardNumber('4242424242424242')).toBe('424242******4242');
    expect(maskCardNumber('3782 822463 10005')).toBe('378282*****0005');
    expect(maskCardNumber('4222222222222')).toBe('422222***2222');
    expect(maskCardNumber('123456789')).toBe('*****6789');
    expect(maskCardNumber('123')).toBe('123');
  });
});
