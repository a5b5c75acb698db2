import { describe, expect, test } from 'vitest';
import { isPrimaryAccountNumber } from './card-number.js';
import { findCardNumbersInText } from './card-numbers-in-text.js';
import { findSensitiveDataInText, redactSensitiveText } from './sensitive-data-scanner.js';

const visa = '4242424242424242';
/** SHA-1 of `order-595`: holds `4176138872142`, a Luhn-valid 13-digit Visa-range run, after the letter `f`. */
const digestWithInnerRun = 'f6661e16f9735ea1399e1bf4176138872142ab85';
/** SHA-1 of `order-41847`: starts with `42855269110869`, a Luhn-valid 14-digit Visa-range run. */
const digestStartingWithRun = '42855269110869c218727d0d8850747e40833970';

describe('digit runs inside identifiers are not card numbers', () => {
  test('the runs of the sample digests are card-number shaped on their own', () => {
    expect(isPrimaryAccountNumber('4176138872142')).toBe(true);
    expect(isPrimaryAccountNumber('42855269110869')).toBe(true);
  });

  test.each([
    `ord_${digestWithInnerRun}`,
    `ord_${digestStartingWithRun}`,
    digestStartingWithRun,
    `{"idempotencyKey":"ord_${digestStartingWithRun}","step":2}`,
    `sha256:${digestStartingWithRun}${digestWithInnerRun}`,
    // Glued to a letter on the left: the run continues an identifier.
    `pi_3PqW${visa}`,
    `MCC${visa}`,
    `cus${visa}x`,
    `fp_Xt5E${visa}LLDS7`,
  ])('finds nothing in %j', (text) => {
    expect(findCardNumbersInText(text)).toEqual([]);
    expect(findSensitiveDataInText(text)).toEqual([]);
    expect(redactSensitiveText(text)).toBe(text);
  });

  test('UUIDs stay exempt', () => {
    expect(findCardNumbersInText('id 12345678-1234-4716-4716-446655440008')).toEqual([]);
  });
});

describe('real card numbers are still found', () => {
  test.each([
    [`card ${visa} expires`, visa],
    ['card 4242 4242 4242 4242', visa],
    ['card 4242-4242-4242-4242', visa],
    [`pan=${visa}`, visa],
    [`pan=${visa}&exp=1228`, visa],
    [`{"number":"${visa}"}`, visa],
    [`{"number":${visa}}`, visa],
    // A token that starts with the card number is checked even with letters right after it.
    [`${visa}abc`, visa],
    [`pan=${visa}abc`, visa],
    // A grouped number glued to a letter is formatted for people: still a card number.
    ['x4242 4242 4242 4242', visa],
    [`ord_${visa}`, visa],
    // A short hex-looking token (not a 32+ digit digest) that starts with a card number.
    [`${visa}deadbeef`, visa],
  ])('finds the card number in %j', (text, digits) => {
    expect(findCardNumbersInText(text).map((found) => found.digits)).toEqual([digits]);
    expect(findSensitiveDataInText(text).map((finding) => finding.kind)).toEqual(['primary-account-number']);
    expect(redactSensitiveText(text)).not.toContain(digits);
  });

  test('EMV track-2 equivalent data is track data, even when it looks like a hex digest', () => {
    const emv = `${visa}D28122011143804400000F`;
    expect(findSensitiveDataInText(`tag57 ${emv}`).map((finding) => finding.kind)).toEqual(['track-data']);
    expect(redactSensitiveText(`tag57 ${emv}`)).toBe('tag57 [track data redacted]');
    // The same shape with a number that is no card number is left alone.
    expect(findSensitiveDataInText('1234567890123D2812201')).toEqual([]);
  });

  test('overlapping track data is redacted once, as a whole', () => {
    const text = `%B${visa}^DOE/JANE^${visa}=2812101`;
    expect(findSensitiveDataInText(text).map((finding) => finding.kind)).toEqual(['track-data', 'track-data']);
    expect(redactSensitiveText(text)).toBe('[track data redacted]');
  });

  test('text without three digits in a row is cleared without a full scan, and masks nothing', () => {
    const digitFree = 'tv_Qm!xZ$k(p)*,.:;AbCdEf+/==';
    expect(findSensitiveDataInText(digitFree)).toEqual([]);
    expect(redactSensitiveText(digitFree)).toBe(digitFree);
  });
});
