import type { CardBrand } from '../../shared/v1/card.js';

/**
 * What a gateway can do. Core reads capabilities before routing or calling: a payment in a
 * currency or brand the new provider does not take stays on the old one, with the reason recorded.
 */
export interface PaymentGatewayCapabilities {
  /** ISO 4217 codes accepted for authorization, or `'all'`. */
  readonly currencies: 'all' | readonly string[];
  /** Card brands accepted. */
  readonly brands: readonly CardBrand[];
  /** A capture may be for less than the authorized amount. */
  readonly partialCapture: boolean;
  /** Several partial captures may be made against one authorization. */
  readonly multipleCaptures: boolean;
  /** A refund may be for less than the captured amount. */
  readonly partialRefund: boolean;
  /** Several refunds may be made against one payment. */
  readonly multipleRefunds: boolean;
  /** Merchant-initiated charges of a stored token accept the network transaction id of the first payment. */
  readonly merchantInitiatedWithNetworkTransactionId: boolean;
  /** The provider imports tokens by API (see `TokenExchange`). */
  readonly tokenImport: boolean;
  /** `findByMerchantReference` can find a payment whose creation answer was lost. */
  readonly findByMerchantReference: boolean;
  /** `cancelByMerchantReference` exists (Adyen "technical cancel"). */
  readonly technicalCancel: boolean;
  /**
   * Whether `retrieve` reads the payment's current state at the provider (Stripe, PayPal), rather
   * than answering from what the adapter has seen (Adyen: its Checkout API has no payment lookup).
   * Only a live answer lets core cancel a customer step as abandoned (`customerSteps`): an adapter
   * that answers from what it saw may not know the customer finished. Absent counts as `false`.
   */
  readonly liveRetrieve?: boolean | undefined;
  /** How webhooks are verified: a local HMAC check or a call to the provider. */
  readonly webhookVerification: 'local-signature' | 'provider-api';
}
