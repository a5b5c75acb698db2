import { describe, expect, it } from 'vitest';
import { encodeDigitFree } from './digit-free-base64.js';
import { vaultEnvelopeText } from './vault-envelope-text.js';

describe('vaultEnvelopeText', () => {
  const iv = encodeDigitFree(Buffer.from('0123456789ab'));
  const ciphertext = encodeDigitFree(Buffer.from('any ciphertext bytes \u0000\u00ff', 'latin1'));

  it('is exactly the JSON.stringify text of the envelope object, with and without import members', () => {
    expect(vaultEnvelopeText(1, iv, ciphertext, 'imp_abc', 42)).toBe(JSON.stringify({ v: 1, iv, ct: ciphertext, im: 'imp_abc', rw: 42 }));
    expect(vaultEnvelopeText(1, iv, ciphertext, undefined, undefined)).toBe(JSON.stringify({ v: 1, iv, ct: ciphertext, im: undefined, rw: undefined }));
    expect(vaultEnvelopeText(1, iv, ciphertext, 'imp_abc', undefined)).toBe(JSON.stringify({ v: 1, iv, ct: ciphertext, im: 'imp_abc' }));
    expect(vaultEnvelopeText(1, iv, ciphertext, undefined, 7)).toBe(JSON.stringify({ v: 1, iv, ct: ciphertext, rw: 7 }));
  });

  it('escapes an import id that needs escaping, so the text stays parseable', () => {
    const importId = 'imp_"quoted"\\\n';
    const text = vaultEnvelopeText(1, iv, ciphertext, importId, 1);
    expect(JSON.parse(text)).toEqual({ v: 1, iv, ct: ciphertext, im: importId, rw: 1 });
  });
});
