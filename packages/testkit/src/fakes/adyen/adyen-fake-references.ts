import { createHash } from 'node:crypto';
import { createSeededRandom } from '../../http/seeded-random.js';

/** Letters and digits Adyen-style references are drawn from (no I, O, 0 or 1, which read alike). */
const referenceAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZ';

/** Makes the identifiers the fake hands out: deterministic for a seed, unique within one fake. */
export interface AdyenReferenceGenerator {
  /**
   * A 16-character PSP reference such as `QFQTPCQ8HXSKGK82`. Every fourth character is a letter,
   * so a reference never looks like a card number to a PAN scanner.
   */
  pspReference(): string;
  /** A 16-character stored payment method id, same shape as a PSP reference. */
  storedPaymentMethodId(): string;
  /** A 15-digit scheme (network) transaction id, like Visa's transaction identifier. */
  networkTransactionId(): string;
  /** A 6-digit authorisation code. */
  authorisationCode(): string;
}

/** Creates a reference generator from a seed. */
export function createAdyenReferenceGenerator(seed: number): AdyenReferenceGenerator {
  const random = createSeededRandom(seed);
  const issued = new Set<string>();

  function draw(alphabet: string): string {
    return alphabet[random.integer(0, alphabet.length - 1)] as string;
  }

  function unique(make: () => string): string {
    for (;;) {
      const candidate = make();
      if (!issued.has(candidate)) {
        issued.add(candidate);
        return candidate;
      }
    }
  }

  function alphanumeric(): string {
    let reference = '';
    for (let index = 0; index < 16; index += 1) reference += draw(index % 4 === 0 ? letters : referenceAlphabet);
    return reference;
  }

  return {
    pspReference: () => unique(alphanumeric),
    storedPaymentMethodId: () => unique(alphanumeric),
    networkTransactionId: () =>
      unique(() => {
        let digits = String(random.integer(1, 9));
        for (let index = 1; index < 15; index += 1) digits += String(random.integer(0, 9));
        return digits;
      }),
    authorisationCode: () => String(random.integer(0, 999_999)).padStart(6, '0'),
  };
}

/**
 * A Payment Account Reference (PAR)-like fingerprint of a card number: 29 characters, the same for
 * the same card, irreversible (derived from a SHA-256 digest), and with a letter every fourth
 * character so it never looks like a card number.
 */
export function adyenFakeCardFingerprint(cardNumber: string): string {
  const digest = createHash('sha256').update(`paymigrate-adyen-fake:${cardNumber}`).digest();
  let fingerprint = 'V001';
  for (let index = 0; index < 25; index += 1) {
    const byte = digest[index] as number;
    const alphabet = index % 4 === 0 ? letters : referenceAlphabet;
    fingerprint += alphabet[byte % alphabet.length];
  }
  return fingerprint;
}
