import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const percentMarker = Symbol.for('paymigrate.error.routing.percent-invalid');
const recordMarker = Symbol.for('paymigrate.error.routing.record-invalid');
const requestMarker = Symbol.for('paymigrate.error.routing.request-invalid');
const conflictMarker = Symbol.for('paymigrate.error.routing.control-conflict');
const splitCartMarker = Symbol.for('paymigrate.error.routing.split-cart');

/** A rollout percentage is out of 0..100 or finer than 0.001 %. Nothing was routed with it. */
export class RolloutPercentError extends PaymigrateError {
  private readonly [percentMarker] = true;

  /** The value that was refused, as given. */
  readonly percent: unknown;

  constructor(options: { percent: unknown; problem: string }) {
    super('ROUTING_PERCENT_INVALID', `Rollout percentage ${String(options.percent)} ${options.problem}.`);
    this.name = 'RolloutPercentError';
    this.percent = options.percent;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is RolloutPercentError {
    return hasMarker(error, percentMarker);
  }
}

/**
 * A routing record in the journal (kill switch state, routing assignment, guardrail verdict) breaks
 * its schema: written by another version or edited by hand. It is refused rather than routed on;
 * nodes keep their last good configuration and fail safe when it gets too old.
 */
export class RoutingRecordInvalidError extends PaymigrateError {
  private readonly [recordMarker] = true;

  /** The journal collection. */
  readonly collection: string;

  /** The record key. */
  readonly key: string;

  constructor(options: { collection: string; key: string; problem: string; cause?: unknown }) {
    super('ROUTING_RECORD_INVALID', `Routing record '${options.collection}/${options.key}' is invalid: ${options.problem}. Fix or delete the record; nothing was routed on it.`, {
      cause: options.cause,
    });
    this.name = 'RoutingRecordInvalidError';
    this.collection = options.collection;
    this.key = options.key;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is RoutingRecordInvalidError {
    return hasMarker(error, recordMarker);
  }
}

/** A call to the router or the kill switch is missing a field or has an invalid one. Nothing was written. */
export class RoutingRequestError extends PaymigrateError {
  private readonly [requestMarker] = true;

  /** The offending field, e.g. `paymentId`, `actor`. */
  readonly field: string;

  constructor(options: { field: string; problem: string }) {
    super('ROUTING_REQUEST_INVALID', `Routing request field '${options.field}' ${options.problem}.`);
    this.name = 'RoutingRequestError';
    this.field = options.field;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is RoutingRequestError {
    return hasMarker(error, requestMarker);
  }
}

/**
 * The routing control record (kill switch) kept changing under this call: every compare-and-set
 * attempt lost to another writer. Retryable: read the state and decide again.
 */
export class RoutingControlConflictError extends PaymigrateError {
  private readonly [conflictMarker] = true;

  /** The migration whose control record was contended. */
  readonly migrationId: string;

  /** How many attempts were made. */
  readonly attempts: number;

  constructor(options: { migrationId: string; attempts: number; cause?: unknown }) {
    super(
      'ROUTING_CONTROL_CONFLICT',
      `The routing control record of migration '${options.migrationId}' changed concurrently ${options.attempts} times in a row; nothing was written by this call. Retry.`,
      { cause: options.cause, isRetryable: true },
    );
    this.name = 'RoutingControlConflictError';
    this.migrationId = options.migrationId;
    this.attempts = options.attempts;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is RoutingControlConflictError {
    return hasMarker(error, conflictMarker);
  }
}

/** A split cart cannot be planned or executed as given (a line no provider can take, an empty cart, ...). Nothing was sent. */
export class SplitCartError extends PaymigrateError {
  private readonly [splitCartMarker] = true;

  /** The cart. */
  readonly cartId: string;

  /** The line at fault, when one is. */
  readonly lineId: string | undefined;

  constructor(options: { cartId: string; problem: string; lineId?: string | undefined }) {
    const where = options.lineId === undefined ? '' : ` (line '${options.lineId}')`;
    super('ROUTING_SPLIT_CART_INVALID', `Split cart '${options.cartId}'${where}: ${options.problem}. Nothing was sent to a provider.`);
    this.name = 'SplitCartError';
    this.cartId = options.cartId;
    this.lineId = options.lineId;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SplitCartError {
    return hasMarker(error, splitCartMarker);
  }
}
