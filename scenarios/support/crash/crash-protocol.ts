// What the crash-test parent and its children (crash-child.ts) share.

/** How the parent configures a child (JSON in the `PAYMIGRATE_CRASH_CHILD` environment variable). */
export interface CrashChildConfig {
  /** The lane's SQLite journal file. */
  readonly journal: string;
  /** `http://127.0.0.1:<port>` of the Stripe fake. */
  readonly stripeUrl: string;
  /** `http://127.0.0.1:<port>` of the PayPal fake. */
  readonly payPalUrl: string;
  readonly payPalClientId: string;
  readonly payPalClientSecret: string;
  /** The run's seed. */
  readonly seed: number;
  /** The lane (independent shop: own journal, own payment ids). */
  readonly lane: number;
  /** The child's generation in its lane (1, 2, ...): part of its payment ids. */
  readonly generation: number;
  /** Concurrent operation loops. */
  readonly workers: number;
}

/** One operation the child ran. */
export type CrashOperation = 'authorize' | 'capture' | 'refund' | 'cancel';

/** Messages from a child to the parent. */
export type CrashChildReport =
  /** Modules loaded; waiting for `go` (so the parent can start the next child while the current one runs). */
  | { readonly type: 'loaded' }
  /** The recovery passes on start finished. */
  | {
      readonly type: 'recovered';
      readonly passes: number;
      readonly examined: number;
      readonly succeeded: number;
      readonly failed: number;
      readonly unresolved: number;
      readonly milliseconds: number;
    }
  /**
   * The Transaction State Manager answered an operation: its intent and status are durable in the
   * journal. `refused` = rejected before any intent was written (amount or state check).
   */
  | {
      readonly type: 'ack';
      readonly operation: CrashOperation;
      readonly paymentId: string;
      readonly intentId: string | undefined;
      readonly status: string;
      readonly amountMinor: number;
    }
  /** An unexpected error (logged by the parent; the child goes on). */
  | { readonly type: 'error'; readonly operation: CrashOperation; readonly paymentId: string; readonly message: string };

/** What the parent sends a loaded child. */
export interface CrashChildGo {
  readonly type: 'go';
}

/** The environment variable carrying `CrashChildConfig`. */
export const crashChildConfigVariable = 'PAYMIGRATE_CRASH_CHILD';

/** The provider a payment id is pinned to: the last letter (`s` Stripe, `p` PayPal). */
export function crashProviderOf(paymentId: string): 'stripe' | 'paypal' {
  return paymentId.endsWith('s') ? 'stripe' : 'paypal';
}

/** The prefix of every payment id (and so every idempotency key and merchant reference) of a lane. */
export function crashLanePrefix(lane: number): string {
  return `L${lane}g`;
}

/** Recovery owner of a lane: the same for every generation, so a new child takes over its dead predecessor's claims at once. */
export function crashRecoveryOwner(lane: number): string {
  return `crash-lane-${lane}`;
}
