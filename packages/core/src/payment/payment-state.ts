import { InvalidMoneyError } from '../errors/money-errors.js';
import type { Money } from '../money/money.js';
import { defineStateMachine, type StateMachine } from '../state-machine/state-machine.js';

/**
 * The canonical states of a payment, whatever the provider. Adapters map their provider's status
 * (Stripe PaymentIntent, Adyen resultCode and webhooks, PayPal order/authorization/capture) to one
 * of these.
 *
 * - `created`: known locally, nothing sent to the provider yet.
 * - `authorizing`: the authorization request was sent.
 * - `requires_action`: the customer must act (3-D Secure, redirect).
 * - `authorized`: funds are held, nothing captured.
 * - `partially_captured`: part of the authorization was captured; more may follow.
 * - `captured`: everything that will be captured was captured.
 * - `partially_refunded` / `refunded`: part / all of the captured amount went back.
 * - `voided`: the authorization was released with nothing captured.
 * - `failed`: declined, errored or expired.
 * - `unknown`: a request was sent and no answer came back. Unknown is a state, not a failure:
 *   it is resolved later on the same provider, and the resolution may reveal any later state.
 */
export const paymentStates = [
  'created',
  'authorizing',
  'requires_action',
  'authorized',
  'partially_captured',
  'captured',
  'partially_refunded',
  'refunded',
  'voided',
  'failed',
  'unknown',
] as const;

/** One of `paymentStates`. */
export type PaymentState = (typeof paymentStates)[number];

/**
 * The canonical payment state machine (machine name `payment`). Terminal: `refunded`, `voided`,
 * `failed`. Self-transitions exist only where a step repeats: another partial capture, another
 * partial refund.
 */
export const paymentStateMachine: StateMachine<PaymentState> = defineStateMachine<PaymentState>({
  name: 'payment',
  transitions: {
    created: ['authorizing', 'failed'],
    // `captured` directly: automatic capture.
    authorizing: ['requires_action', 'authorized', 'captured', 'failed', 'unknown'],
    requires_action: ['authorizing', 'authorized', 'captured', 'failed', 'unknown'],
    // `failed` here is an expired authorization.
    authorized: ['partially_captured', 'captured', 'voided', 'failed'],
    // `voided` here releases the uncaptured remainder.
    partially_captured: ['partially_captured', 'captured', 'partially_refunded', 'refunded', 'voided'],
    captured: ['partially_refunded', 'refunded'],
    partially_refunded: ['partially_refunded', 'refunded'],
    refunded: [],
    voided: [],
    failed: [],
    // Resolving an unknown outcome can reveal any later state.
    unknown: ['authorized', 'requires_action', 'partially_captured', 'captured', 'partially_refunded', 'refunded', 'voided', 'failed'],
  },
});

/** The amounts of a payment, as its provider reports them. */
export interface PaymentAmounts {
  /** Amount authorized (held). */
  readonly authorized: Money;
  /** Total captured so far; at most `authorized`. */
  readonly captured: Money;
  /** Total refunded so far; at most `captured`. */
  readonly refunded: Money;
  /** Whether the authorization (or its uncaptured remainder) was released. */
  readonly voided: boolean;
}

/**
 * Derives the money-driven payment state from amounts, for providers that report amounts rather
 * than a status (or whose status hides partial captures and refunds). First match wins:
 *
 * 1. nothing captured and voided: `voided`;
 * 2. something refunded, less than captured: `partially_refunded`;
 * 3. everything captured refunded (and something was captured): `refunded`;
 * 4. everything authorized captured (and something was captured): `captured`;
 * 5. part captured: `captured` when voided (the remainder was released), else `partially_captured`;
 * 6. otherwise (nothing captured, not voided): `authorized`. This includes a zero-amount
 *    authorization (card verification), which is never `captured`.
 *
 * Never returns `created`, `authorizing`, `requires_action`, `failed` or `unknown`: amounts cannot
 * tell those apart.
 *
 * @throws CurrencyMismatchError when the three amounts are not in one currency.
 * @throws InvalidMoneyError when an amount is negative, captured exceeds authorized, or refunded exceeds captured.
 */
export function paymentStateFromAmounts(input: PaymentAmounts): PaymentState {
  const { authorized, captured, refunded, voided } = input;
  // compare() throws CurrencyMismatchError first, before any amount rule.
  const capturedVersusAuthorized = captured.compare(authorized);
  const refundedVersusCaptured = refunded.compare(captured);
  for (const [label, amount] of [
    ['authorized', authorized],
    ['captured', captured],
    ['refunded', refunded],
  ] as const) {
    if (amount.isNegative()) {
      throw new InvalidMoneyError(`Payment amounts: ${label} is ${amount.toString()}; amounts are never negative.`);
    }
  }
  if (capturedVersusAuthorized > 0) {
    throw new InvalidMoneyError(
      `Payment amounts: captured ${captured.toString()} exceeds authorized ${authorized.toString()}; a capture can never exceed its authorization.`,
    );
  }
  if (refundedVersusCaptured > 0) {
    throw new InvalidMoneyError(
      `Payment amounts: refunded ${refunded.toString()} exceeds captured ${captured.toString()}; only captured money can be refunded.`,
    );
  }
  if (captured.isZero()) {
    return voided ? 'voided' : 'authorized';
  }
  if (refunded.isPositive()) {
    return refundedVersusCaptured < 0 ? 'partially_refunded' : 'refunded';
  }
  if (capturedVersusAuthorized === 0 || voided) {
    return 'captured';
  }
  return 'partially_captured';
}
