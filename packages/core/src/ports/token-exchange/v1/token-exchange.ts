import type { CardSummary } from '../../shared/v1/card.js';
import type { CallOptions } from '../../shared/v1/webhook-request.js';
import type { IdempotentInput } from '../../payment-gateway/v1/payment-gateway-types.js';

/**
 * Why a stored payment method could not be moved. Each class leads to its own handling in the
 * re-collection workflow (ask the customer again, retry later, keep renewals on the old provider).
 */
export const tokenFailureReasons = [
  'brand_not_supported',
  'expired',
  'unknown_customer',
  'not_found_at_source',
  'duplicate',
  'invalid_data',
  'provider_rejected',
  'verification_failed',
] as const;

/** A reason a token was not moved. */
export type TokenFailureReason = (typeof tokenFailureReasons)[number];

/** Input of `TokenExchange.importPaymentMethod`. */
export interface TokenImportInput extends IdempotentInput {
  /** Provider the payment method comes from. */
  readonly sourceProvider: string;
  /** The token at the source provider. */
  readonly sourceToken: string;
  /** The customer reference at the source provider. */
  readonly sourceCustomerReference: string;
  /** The customer reference at this provider, when the customer already exists here. */
  readonly customerReference?: string | undefined;
  /** Card details that are safe to keep, as the source reports them. */
  readonly card: CardSummary;
  /** Network transaction id of the first customer-initiated payment; carried over for renewals. */
  readonly networkTransactionId?: string | undefined;
}

/** The outcome of one token import. */
export type TokenImportResult =
  | {
      /** The payment method now exists at this provider. */
      readonly status: 'imported';
      /** The new token at this provider. */
      readonly token: string;
      /** The customer reference at this provider. */
      readonly customerReference: string;
      /** Card details as this provider reports them (its own fingerprint). */
      readonly card: CardSummary;
      /** Network transaction id as kept by this provider. */
      readonly networkTransactionId?: string | undefined;
    }
  | {
      /** The payment method was not moved. */
      readonly status: 'rejected';
      /** Why. */
      readonly reason: TokenFailureReason;
      /** The provider's detail, free of card data. */
      readonly detail?: string | undefined;
    };

/** Input of `TokenExchange.verifyPaymentMethod`: a zero-amount verification. */
export interface TokenVerificationInput extends IdempotentInput {
  /** Token at this provider. */
  readonly token: string;
  /** Customer reference at this provider. */
  readonly customerReference: string;
  /** Currency of the zero-amount verification. */
  readonly currency: string;
}

/** The outcome of a zero-amount verification. */
export interface TokenVerificationResult {
  /** Whether the issuer accepted the verification. */
  readonly verified: boolean;
  /** Canonical decline reason when not verified. */
  readonly declineReason?: string | undefined;
  /** Network transaction id of the verification, when returned. */
  readonly networkTransactionId?: string | undefined;
}

/**
 * API re-tokenization at a provider, version 1 of the port: the provider receives a payment method
 * from another processor (card data travels processor to processor, never through the merchant)
 * and answers with its own token. Bulk migrations use mapping files instead; this port serves delta
 * and reverse syncs and providers that offer an import API.
 */
export interface TokenExchangeV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion: 'v1';

  /** Provider name, the same as its `PaymentGateway.provider`. */
  readonly provider: string;

  /**
   * Imports one payment method from another provider. Idempotent by `idempotencyKey`. Business
   * rejections are returned (`status: 'rejected'`); transport failures throw `ProviderError`s.
   */
  importPaymentMethod(input: TokenImportInput, options?: CallOptions): Promise<TokenImportResult>;

  /** Verifies a token with a zero-amount authorization. */
  verifyPaymentMethod(input: TokenVerificationInput, options?: CallOptions): Promise<TokenVerificationResult>;
}

/** The current version of the token exchange port. */
export type TokenExchange = TokenExchangeV1;
