import type { Money } from '@paymigrate/core';
import { fromPayPalAmount } from './paypal-money.js';
import { type PayPalOrderLike, payPalOrderPayments } from './paypal-order-snapshot.js';

/** How many orders a gateway remembers the authorization of, by default. */
export const defaultPayPalAuthorizationMemoryCapacity = 10_000;

/** The authorization of an order: what a capture or a void needs to know about it. */
export interface RememberedPayPalAuthorization {
  /** PayPal's authorization id (`purchase_units[0].payments.authorizations[0].id`). */
  readonly authorizationId: string;
  /** The amount it authorized. */
  readonly amount: Money;
}

/**
 * The authorization of an order as this process last saw it in one of PayPal's answers, so that a
 * capture or a void goes straight to `/v2/payments/authorizations/{id}` instead of reading the order
 * first. Only what never changes is kept: an order's first authorization (the one the adapter
 * captures and voids) keeps its id and its amount for good. Its status is not kept: PayPal refuses a
 * capture of a voided or expired authorization itself, as it would after a read.
 *
 * Bounded: past `capacity` orders, the one remembered longest ago is forgotten. A forgotten or
 * never-seen order (another process, a restart) is read from PayPal, as before.
 */
export class PayPalAuthorizationMemory {
  readonly #capacity: number;
  readonly #authorizations = new Map<string, RememberedPayPalAuthorization>();

  /** @param capacity How many orders to remember at most (at least 1). */
  constructor(capacity: number = defaultPayPalAuthorizationMemoryCapacity) {
    this.#capacity = Math.max(1, Math.floor(capacity));
  }

  /** How many orders are remembered now. */
  get size(): number {
    return this.#authorizations.size;
  }

  /** The authorization remembered for an order, if any. */
  recall(orderId: string): RememberedPayPalAuthorization | undefined {
    return this.#authorizations.get(orderId);
  }

  /**
   * Remembers the authorization of an order PayPal answered with. An order without an id or without
   * a readable authorization (automatic capture, waiting for the payer, a malformed amount) is left
   * out: the next capture or void reads it.
   */
  rememberOrder(order: PayPalOrderLike): void {
    const orderId = order.id;
    const authorization = payPalOrderPayments(order).authorization;
    const authorizationId = authorization?.id;
    if (orderId === undefined || orderId === '' || authorizationId === undefined || authorizationId === '') return;
    let amount: Money;
    try {
      amount = fromPayPalAmount(authorization?.amount);
    } catch {
      return;
    }
    this.#remember(orderId, { authorizationId, amount });
  }

  #remember(orderId: string, authorization: RememberedPayPalAuthorization): void {
    // Re-inserted at the end: the order is the newest one again.
    this.#authorizations.delete(orderId);
    this.#authorizations.set(orderId, authorization);
    if (this.#authorizations.size > this.#capacity) {
      const oldest = this.#authorizations.keys().next();
      /* v8 ignore next -- the map holds more than `capacity` (>= 1) entries here, so it has a first key. */
      if (oldest.done === true) return;
      this.#authorizations.delete(oldest.value);
    }
  }
}
