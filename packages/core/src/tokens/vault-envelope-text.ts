/**
 * The stored text of a vault envelope, written without building an object for `JSON.stringify`
 * (a million of them per import). The text is exactly what `JSON.stringify` gives for
 * `{ v, iv, ct, im, rw }` with absent members left out, so readers parse it as before.
 *
 * `iv` and `ct` must be digit-free base64 (`encodeDigitFree`): its alphabet holds no character
 * JSON escapes (`"`, `\`, control characters), so they are written between quotes as they are.
 * `importId` is escaped by `JSON.stringify`: it comes from the caller.
 */
export function vaultEnvelopeText(version: number, iv: string, ciphertext: string, importId: string | undefined, row: number | undefined): string {
  const importMember = importId === undefined ? '' : `,"im":${JSON.stringify(importId)}`;
  const rowMember = row === undefined ? '' : `,"rw":${JSON.stringify(row)}`;
  return `{"v":${version},"iv":"${iv}","ct":"${ciphertext}"${importMember}${rowMember}}`;
}
