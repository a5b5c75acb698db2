import { hash } from 'node:crypto';

/**
 * The sixteen letters that stand for the sixteen hexadecimal digits, `a` for 0 to `p` for 15.
 *
 * Why not hex: a hex digest holds runs of 13 to 19 decimal digits often enough (one key in a few
 * hundred) for the PCI guard, which looks for such runs passing the Luhn check, to take a key for
 * a card number and refuse the journal write or the log line carrying it. A key without a single
 * digit can never look like a PAN. Letters only (unlike digit-free base64) also keep the key safe
 * in URLs, headers and the notes a platform stores it in.
 */
const nibbleLetters = 'abcdefghijklmnop';

/** The two letters of every byte value (`byteLetters[0x3f]` is `'dp'`): one lookup per digest byte. */
const byteLetters: readonly string[] = Array.from({ length: 256 }, (_, byte) => (nibbleLetters[byte >> 4] as string) + (nibbleLetters[byte & 15] as string));

/** Bytes of the SHA-256 digest a key keeps: 160 bits, 40 letters. */
const keptBytes = 20;

/**
 * The platform idempotency key of one call the Order State Synchronizer makes: `ord_` and 40
 * lower-case letters (`a`-`p`), a SHA-256 digest of the order, the payment and the operation.
 * The same inputs give the same key on every replay, so the platform deduplicates the call; the
 * key holds no digit, so it never looks like a card number.
 *
 * @example orderIdempotencyKey('gid://shopify/Order/1', 'pay_1', 'capture:ch_1') // 'ord_' + 40 letters
 */
export function orderIdempotencyKey(orderId: string, paymentId: string, operation: string): string {
  // One-shot hashing: no Hash object per key (a key is derived for every platform call planned).
  const digest = hash('sha256', `${orderId}\u0000${paymentId}\u0000${operation}`, 'buffer');
  let letters = '';
  for (let index = 0; index < keptBytes; index += 1) letters += byteLetters[digest[index] as number] as string;
  return `ord_${letters}`;
}
