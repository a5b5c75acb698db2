// The checkout's provider decision, pinned per payment (used by the scenarios and the benchmarks).
import type { MigrationProviderSelector, ProviderSelection, ProviderSelectionRequest, ProviderSelector } from '@paymigrate/core';

/**
 * The checkout's provider decision, made ONCE when the payment form is rendered (the form, and so
 * the payment method token, belongs to that provider) and pinned for the payment: `begin` asks the
 * migration selector; the Transaction State Manager's later `select` for the same payment id gets
 * the same answer, however the routing changed meanwhile. Payments that never began ask the
 * migration selector directly.
 */
export class CheckoutRouter implements ProviderSelector {
  readonly #selector: MigrationProviderSelector<ProviderSelectionRequest>;
  readonly #pinned = new Map<string, ProviderSelection & { readonly epoch: number }>();

  constructor(selector: MigrationProviderSelector<ProviderSelectionRequest>) {
    this.#selector = selector;
  }

  /** Decides the provider of a new checkout. */
  async begin(request: ProviderSelectionRequest): Promise<ProviderSelection & { readonly epoch: number }> {
    const selection = await this.#selector.select(request);
    this.#pinned.set(request.paymentId, selection);
    return selection;
  }

  /**
   * The Transaction State Manager's question: the checkout's decision. The TSM asks once per new
   * payment and journals the answer with its intent, so the decision is handed over and forgotten
   * here (a long run must not keep every checkout it ever began).
   */
  async select(request: ProviderSelectionRequest): Promise<ProviderSelection> {
    const pinned = this.#pinned.get(request.paymentId);
    if (pinned === undefined) return this.#selector.select(request);
    this.#pinned.delete(request.paymentId);
    return pinned;
  }
}
