/** A card brand as Stripe spells it in `card.brand`. */
export type StripeFakeCardBrand = 'amex' | 'diners' | 'discover' | 'eftpos_au' | 'jcb' | 'mastercard' | 'unionpay' | 'visa' | 'unknown';

/** What confirming a payment with a test card does. */
export type StripeTestCardOutcome =
  /** The issuer approves. */
  | 'approve'
  /** The issuer declines with `declineCode`. */
  | 'decline'
  /** 3-D Secure is needed for every payment, on or off session (Stripe's "authentication required" card). */
  | 'authenticate_always'
  /** 3-D Secure is needed when the customer is present; saved for later, off-session charges pass. */
  | 'authenticate_on_setup';

/** One test payment method of the Stripe fake: the safe card summary and what the issuer does. */
export interface StripeTestToken {
  /** Card network as Stripe names it. */
  readonly brand: StripeFakeCardBrand;
  /** Last four digits (never a full card number). */
  readonly last4: string;
  /** Expiry month, 1-12. */
  readonly expMonth: number;
  /** Expiry year, four digits. */
  readonly expYear: number;
  /** Funding type as Stripe reports it. */
  readonly funding: 'credit' | 'debit' | 'prepaid' | 'unknown';
  /** Issuing country, ISO 3166-1 alpha-2. */
  readonly country: string;
  /** What confirmation does. */
  readonly outcome: StripeTestCardOutcome;
  /** Stripe's error `code` for a decline (`card_declined`, `expired_card`, `incorrect_cvc`, `processing_error`). */
  readonly errorCode?: string | undefined;
  /** Stripe's `decline_code` for a decline (`insufficient_funds`, `lost_card`, ...). */
  readonly declineCode?: string | undefined;
  /** The message Stripe returns with the decline. */
  readonly declineMessage?: string | undefined;
  /** What the token is for, in words. */
  readonly description: string;
}

const visa = { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034, funding: 'credit', country: 'US' } as const;

/**
 * The test payment methods the Stripe fake understands, named like Stripe's own test
 * PaymentMethods (`pm_card_visa`, ...). Confirming with one creates a fresh `pm_...` the way Stripe
 * does; saving it for a customer keeps its behaviour for later off-session charges. Cards hold no
 * number: only brand, last four, expiry, funding and country.
 *
 * Brand-wide failures (every card of one network declined) are set with the fake's
 * `failingBrands` option or `setBrandFailure`.
 */
export const stripeTestTokens = {
  pm_card_visa: { ...visa, outcome: 'approve', description: 'Visa credit card, approved.' },
  pm_card_visa_debit: { ...visa, last4: '5556', funding: 'debit', outcome: 'approve', description: 'Visa debit card, approved.' },
  pm_card_mastercard: {
    brand: 'mastercard',
    last4: '4444',
    expMonth: 11,
    expYear: 2033,
    funding: 'credit',
    country: 'US',
    outcome: 'approve',
    description: 'Mastercard credit card, approved.',
  },
  pm_card_amex: {
    brand: 'amex',
    last4: '8431',
    expMonth: 10,
    expYear: 2032,
    funding: 'credit',
    country: 'US',
    outcome: 'approve',
    description: 'American Express card, approved.',
  },
  pm_card_discover: {
    brand: 'discover',
    last4: '1117',
    expMonth: 9,
    expYear: 2031,
    funding: 'credit',
    country: 'US',
    outcome: 'approve',
    description: 'Discover card, approved.',
  },
  pm_card_jcb: { brand: 'jcb', last4: '0505', expMonth: 8, expYear: 2030, funding: 'credit', country: 'JP', outcome: 'approve', description: 'JCB card, approved.' },
  pm_card_unionpay: {
    brand: 'unionpay',
    last4: '0005',
    expMonth: 7,
    expYear: 2030,
    funding: 'debit',
    country: 'CN',
    outcome: 'approve',
    description: 'UnionPay card, approved.',
  },
  pm_card_diners: {
    brand: 'diners',
    last4: '0004',
    expMonth: 6,
    expYear: 2030,
    funding: 'credit',
    country: 'US',
    outcome: 'approve',
    description: 'Diners Club card, approved.',
  },
  pm_card_visa_chargeDeclined: {
    ...visa,
    last4: '0002',
    outcome: 'decline',
    errorCode: 'card_declined',
    declineCode: 'generic_decline',
    declineMessage: 'Your card was declined.',
    description: 'Declined without a specific reason (generic_decline).',
  },
  pm_card_visa_chargeDeclinedInsufficientFunds: {
    ...visa,
    last4: '9995',
    funding: 'debit',
    outcome: 'decline',
    errorCode: 'card_declined',
    declineCode: 'insufficient_funds',
    declineMessage: 'Your card has insufficient funds.',
    description: 'Declined for insufficient funds.',
  },
  pm_card_visa_chargeDeclinedLostCard: {
    ...visa,
    last4: '9987',
    outcome: 'decline',
    errorCode: 'card_declined',
    declineCode: 'lost_card',
    declineMessage: 'Your card was declined.',
    description: 'Declined: the card was reported lost.',
  },
  pm_card_visa_chargeDeclinedStolenCard: {
    ...visa,
    last4: '9979',
    outcome: 'decline',
    errorCode: 'card_declined',
    declineCode: 'stolen_card',
    declineMessage: 'Your card was declined.',
    description: 'Declined: the card was reported stolen.',
  },
  pm_card_visa_chargeDeclinedFraudulent: {
    ...visa,
    last4: '0019',
    outcome: 'decline',
    errorCode: 'card_declined',
    declineCode: 'fraudulent',
    declineMessage: 'Your card was declined.',
    description: 'Declined by the issuer as fraudulent.',
  },
  pm_card_chargeDeclinedExpiredCard: {
    ...visa,
    last4: '0069',
    outcome: 'decline',
    errorCode: 'expired_card',
    declineCode: 'expired_card',
    declineMessage: 'Your card has expired.',
    description: 'Declined: the card has expired.',
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    ...visa,
    last4: '0127',
    outcome: 'decline',
    errorCode: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    declineMessage: "Your card's security code is incorrect.",
    description: 'Declined: the security code is wrong.',
  },
  pm_card_chargeDeclinedProcessingError: {
    ...visa,
    last4: '0119',
    outcome: 'decline',
    errorCode: 'processing_error',
    declineCode: 'processing_error',
    declineMessage: 'An error occurred while processing your card. Try again in a little bit.',
    description: 'Declined because of a processing error at the issuer.',
  },
  pm_card_threeDSecure2Required: {
    ...visa,
    last4: '3184',
    outcome: 'authenticate_always',
    description: 'Needs 3-D Secure on every payment; off-session charges fail with authentication_required.',
  },
  pm_card_authenticationRequiredOnSetup: {
    ...visa,
    last4: '3155',
    outcome: 'authenticate_on_setup',
    description: 'Needs 3-D Secure when the customer is present; once saved, off-session charges pass.',
  },
} as const satisfies Readonly<Record<string, StripeTestToken>>;

/** The name of one of `stripeTestTokens`. */
export type StripeTestTokenName = keyof typeof stripeTestTokens;

/** The test token called `name`, or `undefined`. */
export function stripeTestToken(name: string): StripeTestToken | undefined {
  return Object.hasOwn(stripeTestTokens, name) ? stripeTestTokens[name as StripeTestTokenName] : undefined;
}
