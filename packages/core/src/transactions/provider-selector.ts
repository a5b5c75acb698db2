import type { Money } from '../money/money.js';
import type { CardBrand } from '../ports/shared/v1/card.js';

/** What the router knows when it picks a provider for a new payment. */
export interface ProviderSelectionRequest {
  /** Our payment id. */
  readonly paymentId: string;
  /** Our merchant reference. */
  readonly merchantReference: string;
  /** Amount to authorize. */
  readonly amount: Money;
  /** Currency of the amount (ISO 4217). */
  readonly currency: string;
  /** The platform's customer id: the stable key of sticky bucketing. */
  readonly customerId?: string | undefined;
  /** Card brand, when known before authorization (capability constraints). */
  readonly cardBrand?: CardBrand | undefined;
  /** A renewal of a subscription (merchant-initiated). */
  readonly isRenewal?: boolean | undefined;
}

/** The router's choice. */
export interface ProviderSelection {
  /** Provider name; must match a configured gateway's `provider`. */
  readonly provider: string;
  /** Why (cohort, percentage bucket, capability constraint, kill switch...), kept on the payment. */
  readonly reason: string;
}

/**
 * Picks the provider of a NEW payment. The transaction state manager asks it once per payment and
 * pins the answer: captures, refunds and cancellations never consult it (invariant 2). The traffic
 * router implements it; `fixedProviderSelector` is the one-provider version.
 */
export interface ProviderSelector {
  /** Chooses a provider for a new payment. */
  select(request: ProviderSelectionRequest): Promise<ProviderSelection>;
}

/**
 * A selector that always answers `provider` (reason `fixed`): for single-provider setups and tests.
 *
 * @example createTransactionStateManager({ journal, gateways: [stripe], selectProvider: fixedProviderSelector('stripe') })
 */
export function fixedProviderSelector(provider: string): ProviderSelector {
  return Object.freeze({ select: async () => ({ provider, reason: 'fixed' }) });
}
