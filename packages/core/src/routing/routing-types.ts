import type { ProviderSelectionRequest } from '../transactions/provider-selector.js';

/**
 * What the router can be told about a customer besides the Transaction State Manager's selection
 * request. The TSM passes none of these; a `customerAttributes` hook of the router can look them
 * up, or a caller of `select` can pass them directly.
 */
export interface CustomerAttributes {
  /** Billing or card-issuing country, ISO 3166-1 alpha-2 (`DE`). */
  readonly country?: string | undefined;
  /** The merchant's segment of the customer (`vip`, `b2b`, ...). */
  readonly customerSegment?: string | undefined;
  /** True for a customer who paid before, false for a first purchase. */
  readonly returningCustomer?: boolean | undefined;
}

/** A request to route a NEW payment: the TSM's selection request plus optional customer attributes. */
export interface RoutingRequest extends ProviderSelectionRequest, CustomerAttributes {}

/** Where a customer's stored payment method lives, as the token engine knows it. */
export interface TokenLocation {
  /** The provider holding the token. */
  readonly provider: string;
  /** The provider's token of the stored payment method (never a card number). */
  readonly token: string;
  /** The provider's customer reference owning the token, when known (needed to charge it). */
  readonly customerReference?: string | undefined;
  /** Network transaction id of the first customer-initiated payment: keeps renewals merchant-initiated. */
  readonly networkTransactionId?: string | undefined;
}

/**
 * Finds where a customer's stored token lives (implemented by the token engine). Subscription
 * renewals are routed to that provider: it is the only one that can charge the token.
 */
export interface TokenLocator {
  /** The token's location, or `undefined` when the customer has no stored token. */
  locate(customerId: string): Promise<TokenLocation | undefined> | TokenLocation | undefined;
}

/** Why a payment went where it went, as a stable category (metrics attribute `kind`). */
export type RoutingReasonKind =
  | 'stale-config'
  | 'kill-switch'
  | 'not-started'
  | 'phase'
  | 'rolled-back'
  | 'renewal'
  | 'capability'
  | 'cohort'
  | 'bucket'
  | 'circuit-open'
  | 'assigned';

/** The router's answer for a new payment: a superset of the TSM's `ProviderSelection` and of the cutover's `MigrationProviderSelection`. */
export interface RoutingDecision {
  /** The provider the payment is pinned to for its whole life. */
  readonly provider: string;
  /** Why, in words (kept on the payment by the TSM and in the routing assignment). */
  readonly reason: string;
  /** The category of the reason. */
  readonly kind: RoutingReasonKind;
  /** The migration epoch the decision was made on (0 when none was read). */
  readonly epoch: number;
  /** The cohort: the matching rule's name, `default` for the plain ramp split. */
  readonly cohort: string;
  /** The customer's bucket (0..99,999) when a percentage split decided. */
  readonly bucket?: number | undefined;
  /** True when the decision is part of the ramp experiment the guardrail compares (the default split). */
  readonly experiment: boolean;
  /** True when this answer is the assignment recorded earlier for the same payment id. */
  readonly pinned: boolean;
  /** For a renewal routed to its token: the token to charge and the network transaction id to carry. */
  readonly storedPaymentMethod?: TokenLocation | undefined;
}
