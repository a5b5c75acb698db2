/**
 * Test cards and payment-method tokens of the Adyen fake.
 *
 * Adyen's test environment accepts unencrypted card fields prefixed with `test_` in place of the
 * client-side encrypted values (`encryptedCardNumber: 'test_4111111145551142'`), and triggers a
 * refusal reason when the card holder name is that reason (`holderName: 'NOT_ENOUGH_BALANCE'`).
 * The fake follows both conventions. A token is what Adyen's Drop-in hands the merchant server:
 * the `paymentMethod` object, here serialized as JSON. These numbers are Adyen's public test cards;
 * the fake never stores or returns a card number (only brand, last four, expiry and a fingerprint).
 */

/** Card brands as Adyen names them (`mc` is Mastercard, `cup` is UnionPay). */
export type AdyenFakeCardBrand = 'visa' | 'mc' | 'amex' | 'jcb' | 'discover' | 'diners' | 'cup' | 'maestro';

/** What the fake does with a test card when no refusal is requested through the holder name. */
export type AdyenTestCardBehaviour = 'authorise' | 'redirect-3ds';

/** One of Adyen's public test cards. */
export interface AdyenTestCard {
  /** The test card number (test environment only). */
  readonly number: string;
  /** Adyen's brand code. */
  readonly brand: AdyenFakeCardBrand;
  /** Expiry month, two digits. */
  readonly expiryMonth: string;
  /** Expiry year, four digits. */
  readonly expiryYear: string;
  /** Security code. */
  readonly securityCode: string;
  /** What `/payments` answers for it. */
  readonly behaviour: AdyenTestCardBehaviour;
}

/** Adyen's public test cards that the fake knows by name. */
export const adyenTestCards = {
  visa: { number: '4111111145551142', brand: 'visa', expiryMonth: '03', expiryYear: '2030', securityCode: '737', behaviour: 'authorise' },
  mastercard: { number: '5555341244441115', brand: 'mc', expiryMonth: '03', expiryYear: '2030', securityCode: '737', behaviour: 'authorise' },
  amex: { number: '370000000000002', brand: 'amex', expiryMonth: '03', expiryYear: '2030', securityCode: '7373', behaviour: 'authorise' },
  jcb: { number: '3569990010095841', brand: 'jcb', expiryMonth: '03', expiryYear: '2030', securityCode: '737', behaviour: 'authorise' },
  visaThreeDSecure: {
    number: '4917610000000000',
    brand: 'visa',
    expiryMonth: '03',
    expiryYear: '2030',
    securityCode: '737',
    behaviour: 'redirect-3ds',
  },
} as const satisfies Readonly<Record<string, AdyenTestCard>>;

/** The outcome the fake answers for a refusal requested through the holder name. */
export interface AdyenTestRefusal {
  /** `resultCode` of the answer. */
  readonly resultCode: 'Refused' | 'Error' | 'Cancelled';
  /** Adyen's `refusalReason` text. */
  readonly refusalReason: string;
  /** Adyen's `refusalReasonCode`. */
  readonly refusalReasonCode: string;
}

/**
 * Holder names that make the fake refuse, with Adyen's refusal reason texts and codes (Adyen's
 * "testing result codes and refusal reasons" convention).
 */
export const adyenTestRefusals = {
  DECLINED: { resultCode: 'Refused', refusalReason: 'Refused', refusalReasonCode: '2' },
  REFERRAL: { resultCode: 'Refused', refusalReason: 'Referral', refusalReasonCode: '3' },
  ERROR: { resultCode: 'Error', refusalReason: 'Acquirer Error', refusalReasonCode: '4' },
  BLOCKED_CARD: { resultCode: 'Refused', refusalReason: 'Blocked Card', refusalReasonCode: '5' },
  CARD_EXPIRED: { resultCode: 'Refused', refusalReason: 'Expired Card', refusalReasonCode: '6' },
  INVALID_AMOUNT: { resultCode: 'Refused', refusalReason: 'Invalid Amount', refusalReasonCode: '7' },
  INVALID_CARD: { resultCode: 'Refused', refusalReason: 'Invalid Card Number', refusalReasonCode: '8' },
  ISSUER_UNAVAILABLE: { resultCode: 'Refused', refusalReason: 'Issuer Unavailable', refusalReasonCode: '9' },
  NOT_SUPPORTED: { resultCode: 'Refused', refusalReason: 'Not supported', refusalReasonCode: '10' },
  NOT_3D_AUTHENTICATED: { resultCode: 'Refused', refusalReason: '3D Not Authenticated', refusalReasonCode: '11' },
  NOT_ENOUGH_BALANCE: { resultCode: 'Refused', refusalReason: 'Not enough balance', refusalReasonCode: '12' },
  ACQUIRER_FRAUD: { resultCode: 'Refused', refusalReason: 'Acquirer Fraud', refusalReasonCode: '14' },
  CANCELLED: { resultCode: 'Cancelled', refusalReason: 'Cancelled', refusalReasonCode: '15' },
  SHOPPER_CANCELLED: { resultCode: 'Refused', refusalReason: 'Shopper Cancelled', refusalReasonCode: '16' },
  FRAUD: { resultCode: 'Refused', refusalReason: 'FRAUD', refusalReasonCode: '20' },
  TRANSACTION_NOT_PERMITTED: { resultCode: 'Refused', refusalReason: 'Transaction Not Permitted', refusalReasonCode: '23' },
  CVC_DECLINED: { resultCode: 'Refused', refusalReason: 'CVC Declined', refusalReasonCode: '24' },
  RESTRICTED_CARD: { resultCode: 'Refused', refusalReason: 'Restricted Card', refusalReasonCode: '25' },
  REVOCATION_OF_AUTH: { resultCode: 'Refused', refusalReason: 'Revocation Of Auth', refusalReasonCode: '26' },
  DECLINED_NON_GENERIC: { resultCode: 'Refused', refusalReason: 'Declined Non Generic', refusalReasonCode: '27' },
  WITHDRAWAL_AMOUNT_EXCEEDED: { resultCode: 'Refused', refusalReason: 'Withdrawal amount exceeded', refusalReasonCode: '28' },
  WITHDRAWAL_COUNT_EXCEEDED: { resultCode: 'Refused', refusalReason: 'Withdrawal count exceeded', refusalReasonCode: '29' },
  ISSUER_SUSPECTED_FRAUD: { resultCode: 'Refused', refusalReason: 'Issuer Suspected Fraud', refusalReasonCode: '31' },
  AVS_DECLINED: { resultCode: 'Refused', refusalReason: 'AVS Declined', refusalReasonCode: '32' },
} as const satisfies Readonly<Record<string, AdyenTestRefusal>>;

/** A holder name that triggers a refusal. */
export type AdyenTestRefusalName = keyof typeof adyenTestRefusals;

/**
 * Builds a payment-method token the way Adyen's Drop-in produces one (the `paymentMethod` object,
 * serialized), with Adyen's `test_` convention for the encrypted fields.
 *
 * @param card The test card.
 * @param holderName Optional holder name; a key of `adyenTestRefusals` makes the fake refuse.
 */
export function adyenTestToken(card: AdyenTestCard, holderName?: string): string {
  return JSON.stringify({
    type: 'scheme',
    encryptedCardNumber: `test_${card.number}`,
    encryptedExpiryMonth: `test_${card.expiryMonth}`,
    encryptedExpiryYear: `test_${card.expiryYear}`,
    encryptedSecurityCode: `test_${card.securityCode}`,
    ...(holderName === undefined ? {} : { holderName }),
  });
}

/** Ready-made tokens for the common cases. */
export const adyenTestTokens = {
  /** Visa, authorised. */
  visa: adyenTestToken(adyenTestCards.visa),
  /** Mastercard, authorised. */
  mastercard: adyenTestToken(adyenTestCards.mastercard),
  /** American Express, authorised. */
  amex: adyenTestToken(adyenTestCards.amex),
  /** Refused without a specific reason (refusal code 2). */
  declined: adyenTestToken(adyenTestCards.visa, 'DECLINED'),
  /** Refused for insufficient funds (refusal code 12). */
  insufficientFunds: adyenTestToken(adyenTestCards.visa, 'NOT_ENOUGH_BALANCE'),
  /** Refused because the card expired (refusal code 6). */
  expiredCard: adyenTestToken(adyenTestCards.visa, 'CARD_EXPIRED'),
  /** Refused as fraud (refusal code 20). */
  fraud: adyenTestToken(adyenTestCards.visa, 'FRAUD'),
  /** Answered with `resultCode: Error` (acquirer error). */
  error: adyenTestToken(adyenTestCards.visa, 'ERROR'),
  /** Needs 3-D Secure: answered with `RedirectShopper` and a redirect action. */
  threeDSecure: adyenTestToken(adyenTestCards.visaThreeDSecure),
  /** A JCB card: fails with error 905 when JCB is among the fake's `unsupportedBrands` (the default). */
  unsupportedBrand: adyenTestToken(adyenTestCards.jcb),
} as const;

/** The card network of a card number by its issuer identification number, or `undefined`. */
export function adyenFakeBrandOf(cardNumber: string): AdyenFakeCardBrand | undefined {
  const prefix2 = Number(cardNumber.slice(0, 2));
  const prefix3 = Number(cardNumber.slice(0, 3));
  const prefix4 = Number(cardNumber.slice(0, 4));
  if (cardNumber.startsWith('4')) return 'visa';
  if ((prefix2 >= 51 && prefix2 <= 55) || (prefix4 >= 2221 && prefix4 <= 2720)) return 'mc';
  if (prefix2 === 34 || prefix2 === 37) return 'amex';
  if (prefix4 >= 3528 && prefix4 <= 3589) return 'jcb';
  if (prefix4 === 6011 || prefix2 === 65 || (prefix3 >= 644 && prefix3 <= 649)) return 'discover';
  if (prefix2 === 36 || prefix2 === 38 || (prefix3 >= 300 && prefix3 <= 305)) return 'diners';
  if (prefix2 === 62) return 'cup';
  if (prefix2 === 50 || (prefix2 >= 56 && prefix2 <= 69)) return 'maestro';
  return undefined;
}

/** Whether a digit string passes the Luhn check. */
export function passesLuhnCheck(digits: string): boolean {
  if (!/^[0-9]{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
