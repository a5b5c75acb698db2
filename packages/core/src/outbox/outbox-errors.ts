import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const payloadMarker = Symbol.for('paymigrate.error.outbox-payload-invalid');

/**
 * An outbox message's payload is not what its topic's handler expects. Retrying will not fix it:
 * the relay keeps it (backing off to the longest delay) and logs it as an error for an operator.
 */
export class OutboxPayloadInvalidError extends PaymigrateError {
  private readonly [payloadMarker] = true;

  /** The topic. */
  readonly topic: string;

  /** The message's outbox sequence. */
  readonly sequence: number;

  constructor(options: { topic: string; sequence: number; problem: string }) {
    super(
      'OUTBOX_PAYLOAD_INVALID',
      `Outbox message ${options.sequence} on topic '${options.topic}' has an invalid payload: ${options.problem}. It was written by an incompatible version; repair or remove it.`,
    );
    this.name = 'OutboxPayloadInvalidError';
    this.topic = options.topic;
    this.sequence = options.sequence;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is OutboxPayloadInvalidError {
    return hasMarker(error, payloadMarker);
  }
}

/**
 * The stable code of any thrown value, for logs and `lastError`: a paymigrate error's `code`, an
 * `Error`'s name, else `UNKNOWN_ERROR`. Never the message, which may echo a payload.
 */
export function errorCodeOf(error: unknown): string {
  if (PaymigrateError.isInstance(error)) return error.code;
  return error instanceof Error ? error.name : 'UNKNOWN_ERROR';
}
