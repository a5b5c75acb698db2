import type { InFlightPayments } from '../cutover-guards.js';

/**
 * A stand-in for the Transaction State Manager's in-flight listing: payments are started and
 * finished by hand, per provider, and the count can be made to fail.
 */
export class FakeInFlightPayments implements InFlightPayments {
  /** When set, `countInFlight` rejects with it. */
  failure: Error | undefined;

  /** Every provider `countInFlight` was asked about, in order. */
  readonly asked: string[] = [];

  readonly #inFlight = new Map<string, Set<string>>();

  /** Records a payment in flight on `provider`. */
  begin(provider: string, paymentId: string): void {
    const payments = this.#inFlight.get(provider) ?? new Set<string>();
    payments.add(paymentId);
    this.#inFlight.set(provider, payments);
  }

  /** Records that the payment reached a final state on `provider`; throws when it was not in flight there. */
  finish(provider: string, paymentId: string): void {
    if (this.#inFlight.get(provider)?.delete(paymentId) !== true) {
      throw new Error(`payment ${paymentId} was not in flight on ${provider}`);
    }
  }

  /** Number of payments in flight on `provider`. */
  async countInFlight(provider: string): Promise<number> {
    this.asked.push(provider);
    if (this.failure !== undefined) throw this.failure;
    return this.#inFlight.get(provider)?.size ?? 0;
  }
}
