/**
 * Base64 with the ten digits swapped for ten punctuation characters that base64 never uses.
 *
 * Why: everything the vault writes (ciphertexts, keyed hashes) passes the PCI guard, which looks
 * for 13-19 digit runs that pass the Luhn check. Plain base64 of random bytes holds such a run
 * about once in a few million values: at a million mappings per import that is a real chance of
 * the guard refusing a batch of ciphertext. With no digits at all the guard can never match, and
 * its scan is cheaper (no digit run to examine). Same length as base64, one table lookup a byte.
 */
const digits = '0123456789';
const replacements = '!#$()*,.:;';

const encodeTable = new Uint8Array(256);
const decodeTable = new Uint8Array(256);
for (let code = 0; code < 256; code += 1) {
  encodeTable[code] = code;
  decodeTable[code] = code;
}
for (let index = 0; index < digits.length; index += 1) {
  encodeTable[digits.charCodeAt(index)] = replacements.charCodeAt(index);
  decodeTable[replacements.charCodeAt(index)] = digits.charCodeAt(index);
}

function translate(text: string, table: Uint8Array): string {
  const bytes = Buffer.from(text, 'latin1');
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = table[bytes[index] as number] as number;
  return bytes.toString('latin1');
}

/** The 64 characters of digit-free base64 by value: base64's alphabet with its digits replaced. */
const alphabet = Uint8Array.from(Buffer.from(`ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz${replacements}+/`, 'latin1'));
/** `=`, base64's padding character. */
const padding = 61;

/** Characters of the digit-free base64 of `byteLength` bytes, padding included. */
export function digitFreeLength(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

/**
 * Writes the digit-free base64 of `bytes[start, end)` (padding kept) into `target` from `offset`,
 * which must have room for `digitFreeLength(end - start)` bytes; returns the offset after it. One
 * pass, straight from the alphabet, no intermediate buffer or string: the vault encodes three
 * values per mapping (IV, ciphertext, keyed hash), a million mappings per import.
 */
export function encodeDigitFreeInto(bytes: Uint8Array, start: number, end: number, target: Uint8Array, offset: number): number {
  let written = offset;
  let index = start;
  for (; index + 2 < end; index += 3) {
    const triple = ((bytes[index] as number) << 16) | ((bytes[index + 1] as number) << 8) | (bytes[index + 2] as number);
    target[written] = alphabet[triple >>> 18] as number;
    target[written + 1] = alphabet[(triple >>> 12) & 63] as number;
    target[written + 2] = alphabet[(triple >>> 6) & 63] as number;
    target[written + 3] = alphabet[triple & 63] as number;
    written += 4;
  }
  const rest = end - index;
  if (rest > 0) {
    const first = bytes[index] as number;
    const second = rest === 2 ? (bytes[index + 1] as number) : 0;
    const pair = (first << 8) | second;
    target[written] = alphabet[pair >>> 10] as number;
    target[written + 1] = alphabet[(pair >>> 4) & 63] as number;
    target[written + 2] = rest === 2 ? (alphabet[(pair << 2) & 63] as number) : padding;
    target[written + 3] = padding;
    written += 4;
  }
  return written;
}

/** Encodes bytes as digit-free base64 (padding kept). */
export function encodeDigitFree(bytes: Uint8Array): string {
  const output = Buffer.allocUnsafe(digitFreeLength(bytes.length));
  encodeDigitFreeInto(bytes, 0, bytes.length, output, 0);
  return output.toString('latin1');
}

/** Reused output of `prefixedDigitFreeDigest` (grown when a longer value comes). */
let digestScratch = Buffer.allocUnsafe(128);

/**
 * `prefix` followed by the digit-free base64 of `digest` without its trailing `=` padding, built in
 * one buffer and turned into text once (what `prefix + encodeDigitFree(digest).replace(/=+$/, '')`
 * gives). `prefix` must be latin1 text (the vault's `tv_` and `cu_`).
 */
export function prefixedDigitFreeDigest(prefix: string, digest: Uint8Array): string {
  const needed = prefix.length + digitFreeLength(digest.length);
  if (digestScratch.length < needed) digestScratch = Buffer.allocUnsafe(needed);
  // The prefix is a few characters: a loop is cheaper than a native write.
  const start = prefix.length;
  for (let index = 0; index < start; index += 1) digestScratch[index] = prefix.charCodeAt(index);
  let end = encodeDigitFreeInto(digest, 0, digest.length, digestScratch, start);
  while (end > start && digestScratch[end - 1] === padding) end -= 1;
  return digestScratch.toString('latin1', 0, end);
}

/** Decodes digit-free base64; returns `undefined` for text that is not digit-free base64. */
export function decodeDigitFree(text: string): Buffer | undefined {
  if (!/^[A-Za-z!#$()*,.:;+/]*={0,2}$/.test(text)) return undefined;
  const base64 = translate(text, decodeTable);
  const bytes = Buffer.from(base64, 'base64');
  return bytes.toString('base64') === base64 ? bytes : undefined;
}
