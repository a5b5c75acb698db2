import { type ClockV1, IdempotencyConflictError, UnknownOutcomeError } from '@paymigrate/core';
import { shopifyComponent } from './shopify-options.js';

/** What the adapter noted about an attempt before it mutated: lets a replay see whether it happened. */
export interface ShopifyAttemptEvidence {
  /** Ids of the order's transactions before the mutation. */
  readonly knownTransactionIds: ReadonlySet<string>;
  /** The job of an `orderCancel` Shopify accepted: a replay waits for it instead of cancelling again. */
  readonly acceptedCancellationJob?: string | undefined;
}

interface LedgerEntry {
  readonly fingerprint: string;
  readonly createdAt: number;
  state: 'in-flight' | 'done' | 'unknown';
  promise: Promise<unknown> | undefined;
  evidence: ShopifyAttemptEvidence | undefined;
}

/** How `perform` runs a new attempt. */
export interface ShopifyAttempt {
  /** Evidence noted by an earlier attempt whose outcome was unknown. */
  readonly previous: ShopifyAttemptEvidence | undefined;
  /** Notes evidence before mutating, for a replay after an unknown outcome. */
  remember(evidence: ShopifyAttemptEvidence): void;
}

/**
 * The idempotency guard of the adapter's writes. Shopify's Admin API 2025-01 has no idempotency
 * key for `orderCapture`, `orderMarkAsPaid`, `refundCreate` or `orderCancel`, so the adapter keeps
 * one itself, per adapter instance:
 *
 * - a key replayed with the same parameters after success records nothing and answers the order
 *   as it is now (`replay`); with other parameters it is an `IdempotencyConflictError`;
 * - a replay while the first call runs waits for it and shares its outcome;
 * - after an `UnknownOutcomeError` the key stays, with the evidence the attempt noted, so the
 *   replay can tell from the order whether the mutation was applied before sending it again;
 * - any other failure had no effect: the key is forgotten, like Stripe does when validation fails.
 *
 * Keys are kept for `retentionMilliseconds` (24 hours, Stripe's minimum) and at most
 * `maximumEntries` of them (oldest dropped first). The guard does not survive a restart; where
 * Shopify can store the key itself the adapter also marks the operation durably (the refund note).
 */
export class ShopifyIdempotencyLedger {
  readonly #clock: Pick<ClockV1, 'now'>;
  readonly #maximumEntries: number;
  readonly #retentionMilliseconds: number;
  readonly #entries = new Map<string, LedgerEntry>();

  constructor(options: { readonly clock: Pick<ClockV1, 'now'>; readonly maximumEntries?: number; readonly retentionMilliseconds?: number }) {
    this.#clock = options.clock;
    this.#maximumEntries = options.maximumEntries ?? 10_000;
    this.#retentionMilliseconds = options.retentionMilliseconds ?? 24 * 60 * 60 * 1000;
  }

  /** How many keys are held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs `perform` once per key: see the class comment.
   * @throws IdempotencyConflictError when the key was used with another fingerprint.
   */
  async run<Result>(key: string, fingerprint: string, perform: (attempt: ShopifyAttempt) => Promise<Result>, replay: () => Promise<Result>): Promise<Result> {
    this.#expire();
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing.fingerprint !== fingerprint) {
      throw new IdempotencyConflictError(`Idempotency key '${key}' was already used with other parameters on this shop.`, { provider: shopifyComponent, idempotencyKey: key });
    }
    if (existing?.state === 'in-flight') return (await existing.promise) as Result;
    if (existing?.state === 'done') return replay();
    const entry: LedgerEntry = { fingerprint, createdAt: existing?.createdAt ?? this.#clock.now(), state: 'in-flight', promise: undefined, evidence: existing?.evidence };
    const promise = perform({
      previous: existing?.evidence,
      remember: (evidence) => {
        entry.evidence = evidence;
      },
    });
    entry.promise = promise;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    try {
      const result = await promise;
      entry.state = 'done';
      return result;
    } catch (error) {
      if (UnknownOutcomeError.isInstance(error)) entry.state = 'unknown';
      else this.#entries.delete(key);
      throw error;
    } finally {
      entry.promise = undefined;
    }
  }

  #expire(): void {
    const oldest = this.#clock.now() - this.#retentionMilliseconds;
    for (const [key, entry] of this.#entries) {
      if (entry.createdAt < oldest || this.#entries.size > this.#maximumEntries) {
        if (entry.state !== 'in-flight') this.#entries.delete(key);
      } else {
        break;
      }
    }
  }
}
