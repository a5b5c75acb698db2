/** An answer the fake can replay. */
export interface StoredStripeAnswer {
  /** HTTP status. */
  readonly status: number;
  /** JSON body. */
  readonly body: unknown;
  /** Response headers (without the per-request ones). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the store decided for an incoming request. */
export type IdempotencyDecision =
  /** No key, or a key never seen: run the request (call `finish` or `abandon` afterwards). */
  | { readonly kind: 'execute' }
  /** Same key, same parameters, finished: replay this answer. */
  | { readonly kind: 'replay'; readonly answer: StoredStripeAnswer }
  /** Same key, other endpoint or parameters. */
  | { readonly kind: 'conflict' }
  /** Same key, a request with it is still executing. */
  | { readonly kind: 'in-progress' };

interface Entry {
  readonly fingerprint: string;
  answer: StoredStripeAnswer | undefined;
}

/**
 * Stripe's idempotency semantics: the first answer for a key is replayed for every later request
 * with the same endpoint and parameters, including 500s and card declines; the same key with other
 * parameters is an `idempotency_error`; a request arriving while another with the same key is
 * still executing is refused with a 409 and nothing is saved for it; nothing is saved when the
 * request fails validation. Keys are kept for the life of the fake (Stripe keeps them at least
 * 24 hours); `forget` drops them, like their expiry.
 */
export class StripeIdempotencyStore {
  readonly #entries = new Map<string, Entry>();

  /**
   * Decides what to do with a request carrying `key`.
   * @param fingerprint The endpoint and canonical parameters of the request.
   */
  begin(key: string, fingerprint: string): IdempotencyDecision {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#entries.set(key, { fingerprint, answer: undefined });
      return { kind: 'execute' };
    }
    if (entry.fingerprint !== fingerprint) return { kind: 'conflict' };
    if (entry.answer === undefined) return { kind: 'in-progress' };
    return { kind: 'replay', answer: entry.answer };
  }

  /** Saves the answer of an executed request under its key. */
  finish(key: string, answer: StoredStripeAnswer): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.answer = answer;
  }

  /** Forgets a key whose request failed validation (nothing is saved, the key stays free). */
  abandon(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.answer === undefined) this.#entries.delete(key);
  }

  /** Forgets every key, as if they had expired. */
  forget(): void {
    this.#entries.clear();
  }
}
