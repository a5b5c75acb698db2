import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const impossibleStateMarker = Symbol.for('paymigrate.error.orders.impossible-platform-state');
const orderNotFoundMarker = Symbol.for('paymigrate.error.orders.order-not-found');

/** Describes the platform states of an order for a message: `displayFinancialStatus 'VOIDED' with displayFulfillmentStatus 'FULFILLED'`. */
function describeStates(states: Readonly<Record<string, string>>): string {
  return Object.entries(states)
    .map(([field, value]) => `${field} '${value}'`)
    .join(' with ');
}

/**
 * A commerce platform reported an order whose statuses cannot be mapped to one canonical order
 * state: a combination the platform never produces (Shopify `VOIDED` and `FULFILLED`, Magento state
 * `new` with status `complete`) or a value outside the platform's enum. paymigrate never guesses a
 * state for such an order: the adapter raises this error and the order is escalated.
 *
 * The message names the platform, the order and every status involved.
 */
export class ImpossiblePlatformStateError extends PaymigrateError {
  private readonly [impossibleStateMarker] = true;

  /** The platform (`shopify`, `magento`, `woocommerce`). */
  readonly platform: string;

  /** The platform's order id, when the caller knew it. */
  readonly orderId: string | undefined;

  /**
   * Every platform status involved, by the platform's field name: for Shopify
   * `{ displayFinancialStatus: 'VOIDED', displayFulfillmentStatus: 'FULFILLED' }` (plus `cancelled`
   * or `closed` when they decide), for Magento `{ state: 'new', status: 'complete' }`.
   */
  readonly states: Readonly<Record<string, string>>;

  /** Why the combination is impossible (or the value unknown). */
  readonly reason: string;

  constructor(options: { platform: string; orderId?: string | undefined; states: Readonly<Record<string, string>>; reason: string }) {
    const subject = options.orderId === undefined ? `An order on ${options.platform}` : `Order '${options.orderId}' on ${options.platform}`;
    super(
      'ORDER_IMPOSSIBLE_PLATFORM_STATE',
      `${subject} is in a state paymigrate cannot map: ${describeStates(options.states)} (${options.reason}). No canonical state is guessed; correct the order on ${options.platform} or resolve its escalation.`,
    );
    this.name = 'ImpossiblePlatformStateError';
    this.platform = options.platform;
    this.orderId = options.orderId;
    this.states = Object.freeze({ ...options.states });
    this.reason = options.reason;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is ImpossiblePlatformStateError {
    return hasMarker(error, impossibleStateMarker);
  }
}

/** An order operation named an order the synchronizer does not track (and the platform does not know). */
export class OrderNotFoundError extends PaymigrateError {
  private readonly [orderNotFoundMarker] = true;

  /** The order id asked for. */
  readonly orderId: string;

  constructor(options: { orderId: string }) {
    super('ORDER_NOT_FOUND', `Order '${options.orderId}' is not tracked by the order synchronizer. Register it (registerOrder) or check the order id.`);
    this.name = 'OrderNotFoundError';
    this.orderId = options.orderId;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is OrderNotFoundError {
    return hasMarker(error, orderNotFoundMarker);
  }
}
