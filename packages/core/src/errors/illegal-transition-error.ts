import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const marker = Symbol.for('paymigrate.error.illegal-transition');

/** A state machine (payment, order, cutover phase) refused a transition that its rules do not allow. */
export class IllegalTransitionError extends PaymigrateError {
  private readonly [marker] = true;

  /** Which machine refused: `payment`, `order`, `cutover`, ... */
  readonly machine: string;

  /** The entity whose state was to change (payment id, order id), when known. */
  readonly entityId: string | undefined;

  /** The current state. */
  readonly from: string;

  /** The state that was asked for. */
  readonly to: string;

  /** The states that are legal from `from`. */
  readonly allowed: readonly string[];

  constructor(options: { machine: string; entityId?: string; from: string; to: string; allowed: readonly string[] }) {
    const subject = options.entityId === undefined ? options.machine : `${options.machine} '${options.entityId}'`;
    const legal = options.allowed.length === 0 ? `'${options.from}' is final` : `allowed from '${options.from}': ${options.allowed.join(', ')}`;
    super('STATE_ILLEGAL_TRANSITION', `Illegal transition of ${subject} from '${options.from}' to '${options.to}' (${legal}).`);
    this.name = 'IllegalTransitionError';
    this.machine = options.machine;
    this.entityId = options.entityId;
    this.from = options.from;
    this.to = options.to;
    this.allowed = options.allowed;
  }

  static override isInstance(error: unknown): error is IllegalTransitionError {
    return hasMarker(error, marker);
  }

}
