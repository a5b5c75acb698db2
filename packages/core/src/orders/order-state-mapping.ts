import { type OrderState, orderStates } from '../order/order-state.js';

/** A canonical order state a platform cannot show, with the state it shows instead. */
export interface InexpressibleOrderState {
  /** The expressible canonical state the platform shows instead (what `fromCanonical` answers). */
  readonly nearest: OrderState;
  /** Why the platform cannot show the state itself. */
  readonly reason: string;
}

/** Where a platform status comes from, for error messages. */
export interface PlatformStatusContext {
  /** The platform's order id, named in `ImpossiblePlatformStateError`. */
  readonly orderId?: string | undefined;
}

/**
 * The two-way mapping between one commerce platform's order statuses and the canonical order
 * states. Platform adapters call `toCanonical` when they read an order (`PlatformOrder.canonicalState`)
 * and `fromCanonical` to know what the platform should show after a canonical transition.
 *
 * Guarantees (checked by the round-trip tests): `toCanonical(fromCanonical(state)) === state` for
 * every state in `expressible`; every other canonical state is in `inexpressible` with the nearest
 * state the platform shows instead, and `fromCanonical` answers that state's platform status.
 */
export interface OrderStateMapping<PlatformStatus, PlatformStatusInput = PlatformStatus> {
  /** Platform name, lower-case (`shopify`, `magento`, `woocommerce`). */
  readonly platform: string;
  /**
   * The canonical state of a platform status.
   *
   * @throws ImpossiblePlatformStateError for a combination the platform never produces or a value
   *   outside its enums, naming the order and the statuses.
   */
  toCanonical(status: PlatformStatusInput, context?: PlatformStatusContext): OrderState;
  /** The platform status a canonical state shows (for an inexpressible state: its nearest state's). */
  fromCanonical(state: OrderState): PlatformStatus;
  /** Canonical states the platform shows exactly, in `orderStates` order. */
  readonly expressible: readonly OrderState[];
  /** Every other canonical state, with its nearest expressible state and the reason. */
  readonly inexpressible: Readonly<Partial<Record<OrderState, InexpressibleOrderState>>>;
}

/**
 * Builds a mapping from its two directions and its list of inexpressible states; the expressible
 * states are every other canonical state. `fromCanonical` of an inexpressible state answers its
 * nearest state's platform status, so `fromCanonical` only needs the expressible ones.
 */
export function defineOrderStateMapping<PlatformStatus, PlatformStatusInput>(definition: {
  readonly platform: string;
  readonly toCanonical: (status: PlatformStatusInput, context?: PlatformStatusContext) => OrderState;
  readonly shows: Readonly<Partial<Record<OrderState, PlatformStatus>>>;
  readonly inexpressible: Readonly<Partial<Record<OrderState, InexpressibleOrderState>>>;
}): OrderStateMapping<PlatformStatus, PlatformStatusInput> {
  const inexpressible = Object.freeze({ ...definition.inexpressible });
  const expressible = Object.freeze(orderStates.filter((state) => inexpressible[state] === undefined));
  const shows = definition.shows;
  return Object.freeze({
    platform: definition.platform,
    toCanonical: definition.toCanonical,
    // An inexpressible state shows what its nearest (expressible) state shows; `shows` lists every
    // expressible state (checked by each mapping's tests).
    fromCanonical: (state: OrderState): PlatformStatus => shows[inexpressible[state]?.nearest ?? state] as PlatformStatus,
    expressible,
    inexpressible,
  });
}
