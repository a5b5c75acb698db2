import { describe, expect, it } from 'vitest';
import { encodeDigitFree } from './digit-free-base64.js';
import { sealedEnvelopeText } from './vault-envelope-text.js';

/** The envelope text as `JSON.stringify` writes it (absent members left out). */
function envelopeJson(version: number, iv: Buffer, ciphertext: Buffer, importId: string | undefined, row: number | undefined): string {
  return JSON.stringify({ v: version, iv: encodeDigitFree(iv), ct: encodeDigitFree(ciphertext), im: importId, rw: row });
}

describe('sealedEnvelopeText', () => {
  const iv = Buffer.from('0123456789ab');
  const body = Buffer.from(Array.from({ length: 100 }, (_, index) => (index * 53) & 255));
  const tag = Buffer.from('0123456789abcdef');

  it('is exactly the JSON.stringify text of the envelope with the encoded IV and concatenated ciphertext, absent members left out', () => {
    const cases: [Buffer, Buffer, Buffer, string | undefined, number | undefined][] = [
      [body, Buffer.alloc(0), tag, 'imp_abc', 42],
      [body.subarray(0, 7), Buffer.from([1, 2]), tag, undefined, undefined],
      [body, Buffer.alloc(0), tag, 'imp_abc', undefined],
      [body, Buffer.alloc(0), tag, undefined, 7],
      [body, Buffer.alloc(0), tag, 'imp_ümlaut_€_"quoted"\\', 3],
      [body, Buffer.alloc(0), tag, 'imp_abc', 4],
      // Longer than the reused buffers: they grow.
      [Buffer.alloc(5000, 0x5a), Buffer.alloc(0), tag, 'imp_long'.repeat(400), 5],
      [body, Buffer.alloc(0), tag, 'imp_abc', 6],
      [body, Buffer.alloc(0), tag, 'imp_abc', 1234567890],
      [body, Buffer.alloc(0), tag, 'imp_abc', 0],
      // Not rows a vault writes, but still written as JSON.stringify does.
      [body, Buffer.alloc(0), tag, 'imp_abc', 1.5],
      [body, Buffer.alloc(0), tag, 'imp_abc', -3],
      [body, Buffer.alloc(0), tag, 'imp_abc', Number.NaN],
    ];
    for (const [sealedBody, rest, sealedTag, importId, row] of cases) {
      const expected = envelopeJson(1, iv, Buffer.concat([sealedBody, rest, sealedTag]), importId, row);
      expect(sealedEnvelopeText(1, iv, sealedBody, rest, sealedTag, importId, row)).toBe(expected);
    }
    const nextVersion = envelopeJson(2, iv, Buffer.concat([body, tag]), 'imp_abc', 9);
    expect(sealedEnvelopeText(2, iv, body, Buffer.alloc(0), tag, 'imp_abc', 9)).toBe(nextVersion);
  });

  it('escapes an import id that needs escaping, so the text stays parseable', () => {
    const importId = 'imp_"quoted"\\\n';
    const text = sealedEnvelopeText(1, iv, body, Buffer.alloc(0), tag, importId, 1);
    expect(JSON.parse(text)).toEqual({ v: 1, iv: encodeDigitFree(iv), ct: encodeDigitFree(Buffer.concat([body, tag])), im: importId, rw: 1 });
  });
});
