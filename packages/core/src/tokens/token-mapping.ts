import type { TokenFailureReason } from '../ports/token-exchange/v1/token-exchange.js';
import type { CardSummary } from '../ports/shared/v1/card.js';

/** A stored payment method at one provider. */
export interface TokenReference {
  /** Provider that holds the token (`stripe`, `adyen`, `braintree`, ...). */
  readonly provider: string;
  /** The provider's token (`pm_…`, `card_…`, a `storedPaymentMethodId`, a vault id). Never a card number. */
  readonly token: string;
  /** The provider's customer reference owning the token (`cus_…`, a `shopperReference`). */
  readonly customerReference: string;
}

/** Where a mapping came from. */
export type TokenMappingOrigin = 'file' | 'api' | 'delta' | 'reverse';

/**
 * `mapped`: the payment method exists at both providers. `recollect`: it could not be moved (see
 * `failureReason`); renewals stay on the source provider until the customer saves a card again.
 */
export type TokenMappingStatus = 'mapped' | 'recollect';

/** The zero-amount verification of a mapped token. */
export interface TokenVerificationRecord {
  /** `verified` when the issuer accepted the zero-amount authorization. */
  readonly status: 'verified' | 'failed';
  /** Canonical decline reason when it failed. */
  readonly declineReason?: string | undefined;
  /** When it ran, epoch milliseconds. */
  readonly verifiedAt: number;
}

/**
 * One source payment method and what became of it: the vault's unit. Stored encrypted
 * (AES-256-GCM) under the vault's data key; found by a keyed hash of the source token.
 */
export interface TokenMapping {
  /** The merchant's customer id (what the router's `TokenLocator.locate` is asked with). */
  readonly customerId: string;
  /** The payment method at the provider it comes from. */
  readonly source: TokenReference;
  /** The payment method at the provider it was moved to; absent unless `status` is `mapped`. */
  readonly target?: TokenReference | undefined;
  /** Brand, last four, expiry, fingerprint: what may be kept (PCI DSS 3.4.1). */
  readonly card: CardSummary;
  /** Network transaction id of the first customer-initiated payment, for merchant-initiated renewals. */
  readonly networkTransactionId?: string | undefined;
  /** Whether the payment method was moved. */
  readonly status: TokenMappingStatus;
  /** Why it was not moved (when `status` is `recollect`). */
  readonly failureReason?: TokenFailureReason | undefined;
  /** A card-data-free detail of the failure. */
  readonly failureDetail?: string | undefined;
  /** How the mapping was made. */
  readonly origin: TokenMappingOrigin;
  /** The file import that made it. */
  readonly importId?: string | undefined;
  /** The 1-based record number in that file. */
  readonly row?: number | undefined;
  /** The latest zero-amount verification of the target token. */
  readonly verification?: TokenVerificationRecord | undefined;
  /** When the mapping was first written, epoch milliseconds. */
  readonly createdAt: number;
  /** When it was last written, epoch milliseconds. */
  readonly updatedAt: number;
}

/**
 * Why a row or a payment method was not moved: a `TokenFailureReason` of the token exchange port,
 * or a row-level problem of a mapping file: `sensitive_data` (the row held a card number, a
 * security code or track data; it was dropped without being stored or echoed).
 */
export type TokenRejectionReason = TokenFailureReason | 'sensitive_data';
