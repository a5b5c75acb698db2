import { digitFreeLength, encodeDigitFreeInto } from './digit-free-base64.js';

/** Reused copy of a ciphertext's parts, so they are encoded in one pass (grown when needed). */
let sealedScratch = Buffer.allocUnsafe(1024);
/** Reused buffer the envelope text is written into (grown when needed). */
let textScratch = Buffer.allocUnsafe(2048);
/** The import id `importMemberBytes` was last asked for, its JSON member's UTF-8 bytes, and whether they are ASCII. */
let lastImportId: string | undefined;
let lastImportMember: Uint8Array = new Uint8Array(0);
let lastImportMemberAscii = true;
/** The version `versionMemberBytes` was last asked for and `{"v":<version>,"iv":"` as bytes. */
let lastVersion: number | undefined;
let lastVersionMember: Uint8Array = new Uint8Array(0);
/** The text between the encoded IV and ciphertext. */
const ciphertextMember = Buffer.from('","ct":"', 'latin1');
/** The text before a row number. */
const rowMemberName = Buffer.from(',"rw":', 'latin1');
/** `"` and `}`. */
const quote = 34;
const closingBrace = 125;

/** `,"im":<JSON text>` of an import id as UTF-8 bytes; an import writes the same one on every row, so the last is kept. */
function importMemberBytes(importId: string): Uint8Array {
  if (importId !== lastImportId) {
    lastImportMember = Buffer.from(`,"im":${JSON.stringify(importId)}`, 'utf8');
    lastImportMemberAscii = lastImportMember.every((byte) => byte < 128);
    lastImportId = importId;
  }
  return lastImportMember;
}

/** `{"v":<version>,"iv":"` as bytes (the last version asked for is kept). */
function versionMemberBytes(version: number): Uint8Array {
  if (version !== lastVersion) {
    lastVersionMember = Buffer.from(`{"v":${JSON.stringify(version)},"iv":"`, 'utf8');
    lastVersion = version;
  }
  return lastVersionMember;
}

/**
 * The stored text of a vault envelope: exactly what `JSON.stringify` gives for
 * `{ v: version, iv: encodeDigitFree(iv), ct: encodeDigitFree(body + rest + tag), im: importId, rw: row }`
 * with absent members left out, so readers parse it as before. `body`, `rest` and `tag` are what
 * AES-GCM's `update`, `final` and `getAuthTag` return. Built in one reused buffer and turned into
 * text once (a million of them per import): no concatenated ciphertext, no encoded IV or
 * ciphertext strings, no member strings (the constant members are kept as bytes). Digit-free
 * base64 holds no character JSON escapes, so it is written between quotes as it is; the import id
 * is escaped by `JSON.stringify`.
 */
export function sealedEnvelopeText(
  version: number,
  iv: Uint8Array,
  body: Uint8Array,
  rest: Uint8Array,
  tag: Uint8Array,
  importId: string | undefined,
  row: number | undefined,
): string {
  const sealedLength = body.length + rest.length + tag.length;
  if (sealedScratch.length < sealedLength) sealedScratch = Buffer.allocUnsafe(sealedLength * 2);
  sealedScratch.set(body, 0);
  sealedScratch.set(rest, body.length);
  sealedScratch.set(tag, body.length + rest.length);
  const head = versionMemberBytes(version);
  const importMember = importId === undefined ? undefined : importMemberBytes(importId);
  const ascii = importMember === undefined || lastImportMemberAscii;
  // A row is a positive integer (written as its digits); anything else is written by JSON.stringify.
  const rowText = row === undefined || (Number.isSafeInteger(row) && row >= 0) ? undefined : JSON.stringify(row);
  const needed = head.length + digitFreeLength(iv.length) + digitFreeLength(sealedLength) + (importMember?.length ?? 0) + 64 + (rowText?.length ?? 0);
  if (textScratch.length < needed) textScratch = Buffer.allocUnsafe(needed * 2);
  const target = textScratch;
  target.set(head, 0);
  let offset = encodeDigitFreeInto(iv, 0, iv.length, target, head.length);
  target.set(ciphertextMember, offset);
  offset = encodeDigitFreeInto(sealedScratch, 0, sealedLength, target, offset + ciphertextMember.length);
  target[offset] = quote;
  offset += 1;
  if (importMember !== undefined) {
    target.set(importMember, offset);
    offset += importMember.length;
  }
  if (row !== undefined) {
    target.set(rowMemberName, offset);
    offset += rowMemberName.length;
    offset = rowText === undefined ? writeDigits(row, target, offset) : offset + target.write(rowText, offset, 'latin1');
  }
  target[offset] = closingBrace;
  return target.toString(ascii ? 'latin1' : 'utf8', 0, offset + 1);
}

/** Writes a non-negative safe integer's decimal digits (what JSON.stringify gives) at `offset`; returns the offset after them. */
function writeDigits(value: number, target: Uint8Array, offset: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  let rest = value;
  for (let position = offset + digits - 1; position >= offset; position -= 1) {
    target[position] = 48 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return offset + digits;
}
