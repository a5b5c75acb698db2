import { PaymentRepository } from '../journal/payment-repository.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { SessionV2 } from './session-schema.js';

/** Where a payment lives: the provider that holds it and its reference there. */
export interface PaymentLocation {
  /** The provider the payment is pinned to (never changes after its first authorization). */
  readonly provider: string;
  /** The provider's payment reference, once known. */
  readonly providerReference?: string | undefined;
}

/**
 * Finds the provider that holds a payment. The Transaction State Manager's journal is the source
 * of truth (`createJournalPaymentLocator`): a session in the middle of paying is bound to that
 * provider, never to the one the router would choose today (invariant 2).
 */
export interface PaymentLocator {
  /** The payment's location; `undefined` when the journal has no such payment. */
  locate(paymentId: string): Promise<PaymentLocation | undefined>;
}

/** A `PaymentLocator` on the `payments` collection of the journal the Transaction State Manager writes. */
export function createJournalPaymentLocator(journal: JournalV1): PaymentLocator {
  const payments = new PaymentRepository(journal);
  return {
    async locate(paymentId) {
      const stored = await payments.get(paymentId);
      if (stored === undefined) return undefined;
      return { provider: stored.value.provider, providerReference: stored.value.providerReference };
    },
  };
}

/**
 * What `bindCheckoutPayment` did:
 * - `none`: no payment in the checkout;
 * - `confirmed`: the session already named the journal's provider and reference;
 * - `rebound`: the session named another provider or reference (or none): the journal's now;
 * - `unlocated`: the journal has no such payment (or no locator was given): left as it was.
 */
export type CheckoutBinding = 'none' | 'confirmed' | 'rebound' | 'unlocated';

/**
 * Binds a session's in-progress payment to the provider that holds it, as the locator reports it.
 * Never picks a provider itself: a payment the locator does not know keeps whatever the session
 * said. A locator failure rejects (the session is retried later, never guessed).
 */
export async function bindCheckoutPayment(
  session: SessionV2,
  locator: PaymentLocator | undefined,
): Promise<{ readonly session: SessionV2; readonly binding: CheckoutBinding }> {
  const checkout = session.checkout;
  if (checkout?.paymentId === undefined) return { session, binding: 'none' };
  const location = locator === undefined ? undefined : await locator.locate(checkout.paymentId);
  if (location === undefined) return { session, binding: 'unlocated' };
  const sameProvider = checkout.provider === location.provider;
  // A reference belongs to its provider: the session's is kept only while the provider is the same.
  const providerReference = location.providerReference ?? (sameProvider ? checkout.providerReference : undefined);
  if (sameProvider && checkout.providerReference === providerReference) return { session, binding: 'confirmed' };
  const { providerReference: _previous, ...rest } = checkout;
  const bound = { ...rest, provider: location.provider, ...(providerReference === undefined ? {} : { providerReference }) };
  return { session: { ...session, checkout: bound }, binding: 'rebound' };
}
