/** Card networks paymigrate knows by name. `unknown` is explicit: never guess a brand. */
export const cardBrands = [
  'visa',
  'mastercard',
  'amex',
  'discover',
  'jcb',
  'unionpay',
  'diners',
  'maestro',
  'cartes_bancaires',
  'unknown',
] as const;

/** A card network. */
export type CardBrand = (typeof cardBrands)[number];

/**
 * What may be known about a card without holding its number (PCI DSS 3.4.1: at most the BIN and
 * the last four digits). Nothing here is sensitive authentication data.
 */
export interface CardSummary {
  /** Card network. */
  readonly brand: CardBrand;
  /** Last four digits, exactly four characters. */
  readonly last4: string;
  /** Expiry month, 1-12. */
  readonly expiryMonth: number;
  /** Expiry year, four digits. */
  readonly expiryYear: number;
  /**
   * The provider's fingerprint of the card number (same card -> same fingerprint at one provider).
   * Used to detect duplicates; never a hash that could be reversed to a PAN.
   */
  readonly fingerprint?: string | undefined;
  /** Funding type, when the provider says. */
  readonly funding?: 'credit' | 'debit' | 'prepaid' | 'unknown' | undefined;
  /** Issuing country (ISO 3166-1 alpha-2), when the provider says. */
  readonly issuingCountry?: string | undefined;
}

/** A payment method stored at a provider for a customer, as the provider reports it. */
export interface StoredPaymentMethod {
  /** Provider that holds the token. */
  readonly provider: string;
  /** The provider's token (`pm_...`, Adyen `storedPaymentMethodId`, PayPal vault id). */
  readonly token: string;
  /** The provider's customer reference (`cus_...`, Adyen `shopperReference`, PayPal customer id). */
  readonly customerReference: string;
  /** Card details that are safe to keep. */
  readonly card: CardSummary;
  /**
   * Network transaction id of the customer-initiated payment that set up the card (scheme
   * reference). Needed for merchant-initiated renewals on any provider.
   */
  readonly networkTransactionId?: string | undefined;
  /** When the provider created it, epoch milliseconds. */
  readonly createdAt?: number | undefined;
}
