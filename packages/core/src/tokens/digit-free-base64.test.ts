import { describe, expect, it } from 'vitest';
import { digitFreeLength, encodeDigitFree, encodeDigitFreeInto, prefixedDigitFreeDigest } from './digit-free-base64.js';

/** Digit-free base64 defined through Node's base64: the reference the one-pass encoder must match. */
function reference(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('base64')
    .replace(/[0-9]/g, (digit) => '!#$()*,.:;'.charAt(Number(digit)));
}

describe('digit-free base64 encoders', () => {
  const samples = Array.from({ length: 70 }, (_, length) => Buffer.from(Array.from({ length }, (_, index) => (index * 97 + length * 31) & 255)));

  it('encodes exactly as base64 with the digits replaced, at every length and offset', () => {
    for (const bytes of samples) {
      expect(encodeDigitFree(bytes)).toBe(reference(bytes));
      const target = Buffer.alloc(digitFreeLength(bytes.length) + 5, 0x7e);
      expect(encodeDigitFreeInto(bytes, 0, bytes.length, target, 3)).toBe(3 + digitFreeLength(bytes.length));
      expect(target.toString('latin1', 3, 3 + digitFreeLength(bytes.length))).toBe(reference(bytes));
      expect(target.toString('latin1', 0, 3)).toBe('~~~');
      if (bytes.length > 4) {
        const end = encodeDigitFreeInto(bytes, 2, bytes.length - 1, target, 0);
        expect(target.toString('latin1', 0, end)).toBe(reference(bytes.subarray(2, bytes.length - 1)));
      }
    }
  });

  it('prefixes an unpadded encoding, even one longer than its scratch buffer', () => {
    for (const bytes of [...samples, Buffer.alloc(200, 0xab)]) {
      expect(prefixedDigitFreeDigest('tv_', bytes)).toBe(`tv_${reference(bytes).replace(/=+$/, '')}`);
    }
    expect(prefixedDigitFreeDigest('cu_', Buffer.alloc(0))).toBe('cu_');
  });
});
