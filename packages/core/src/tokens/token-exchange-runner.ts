import { createHash } from 'node:crypto';
import { InvalidRequestError, ProviderRetryableError, ProviderUnavailableError, RateLimitedError, UnknownOutcomeError } from '../errors/provider-errors.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { JournalPut, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import type { StoredPaymentMethod } from '../ports/shared/v1/card.js';
import type { TokenExchangeV1, TokenImportResult, TokenVerificationResult } from '../ports/token-exchange/v1/token-exchange.js';
import type { AdaptiveRateLimiter } from './adaptive-rate-limiter.js';
import { countFailure } from './token-import-checkpoint.js';
import { safeDetail } from './mapping-row-classifier.js';
import type { TokenMapping, TokenMappingOrigin } from './token-mapping.js';
import { recollectionWrites } from './token-recollection.js';
import type { TokenVault } from './token-vault.js';
import { forEachConcurrently } from '../concurrency/map-concurrently.js';

/** Same-key retries of provider calls. */
export interface ExchangeRetryPolicy {
  /** Calls per payment method for transient failures (timeouts, 5xx, unavailable), the first included. */
  readonly maxAttempts: number;
  /** First back-off, doubled each attempt. */
  readonly baseDelayMs: number;
  /** Longest back-off. */
  readonly maxDelayMs: number;
  /** 429 answers tolerated per payment method (each waits its `Retry-After`). */
  readonly maxRateLimitedAttempts: number;
}

/** What a run of exchanges needs. */
export interface ExchangeRunContext {
  readonly vault: TokenVault;
  readonly clock: ClockV1;
  readonly limiter: AdaptiveRateLimiter;
  readonly concurrency: number;
  readonly retry: ExchangeRetryPolicy;
  readonly recollectionTopic: string;
}

/** One payment method to move. */
export interface ExchangeItem {
  /** The payment method where it is now. */
  readonly method: StoredPaymentMethod;
  /** The merchant's customer id. */
  readonly customerId: string;
  /** The customer at the destination, when known (cards of one customer stay together). */
  readonly destinationCustomerReference?: string | undefined;
  /** More writes for the same batch (marking a saved method synced). */
  readonly extraPuts?: readonly JournalPut[] | undefined;
}

/** Counters of a run of exchanges. */
export interface ExchangeCounts {
  /** Payment methods moved. */
  mapped: number;
  /** Payment methods the destination refused (now in re-collection). */
  recollect: number;
  /** Left for a later run after transient failures (nothing was written for them). */
  deferred: number;
  /** Provider calls made (imports and verifications, retries included). */
  calls: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Verifications that passed. */
  verified: number;
  /** Not-mapped methods by brand, then reason. */
  readonly failures: Record<string, Record<string, number>>;
}

/** A fresh set of counters. */
export function emptyExchangeCounts(): ExchangeCounts {
  return { mapped: 0, recollect: 0, deferred: 0, calls: 0, rateLimited: 0, verified: 0, failures: {} };
}

/** A stable idempotency key of at most 64 characters for an operation on a mapping. */
export function exchangeIdempotencyKey(operation: 'import' | 'verify', mappingKey: string): string {
  return `${operation === 'import' ? 'tki' : 'tkv'}_${createHash('sha256').update(mappingKey).digest('base64url').slice(0, 43)}`;
}

/** The outcome of one provider call after retries: its answer, or the error that made us give up. */
type CallOutcome<Answer> = { readonly kind: 'answer'; readonly answer: Answer } | { readonly kind: 'deferred'; readonly error: unknown };

/**
 * Calls the provider with rate limiting and same-key retries: a 429 pauses every caller for its
 * `Retry-After` and lowers the rate (see `AdaptiveRateLimiter`); timeouts, retryable errors and
 * outages back off exponentially; anything else is thrown (a configuration or programming error).
 */
export async function callProvider<Answer>(context: ExchangeRunContext, counts: ExchangeCounts, call: () => Promise<Answer>): Promise<CallOutcome<Answer>> {
  let transient = 0;
  let limited = 0;
  for (;;) {
    await context.limiter.acquire();
    counts.calls += 1;
    try {
      const answer = await call();
      context.limiter.onSuccess();
      return { kind: 'answer', answer };
    } catch (error) {
      if (RateLimitedError.isInstance(error)) {
        counts.rateLimited += 1;
        limited += 1;
        context.limiter.onRateLimited(error.retryAfterMs);
        if (limited >= context.retry.maxRateLimitedAttempts) return { kind: 'deferred', error };
        continue;
      }
      if (ProviderRetryableError.isInstance(error) || UnknownOutcomeError.isInstance(error) || ProviderUnavailableError.isInstance(error)) {
        transient += 1;
        if (transient >= context.retry.maxAttempts) return { kind: 'deferred', error };
        await context.clock.sleep(Math.min(context.retry.maxDelayMs, context.retry.baseDelayMs * 2 ** (transient - 1)));
        continue;
      }
      throw error;
    }
  }
}

/** What one batch of exchanges turned into: the writes, to commit in one journal batch. */
export interface ExchangeBatchPlan {
  readonly puts: JournalPut[];
  readonly outbox: OutboxMessageInput[];
  /** Mapping keys written, with the mapping (for callers that resolve re-collections). */
  readonly written: { readonly key: string; readonly mapping: TokenMapping }[];
}

/** What one exchange turned into: the writes, for a batch the caller commits. */
export interface ExchangeOutcome {
  readonly puts: readonly JournalPut[];
  readonly outbox: readonly OutboxMessageInput[];
  readonly key: string;
  readonly mapping: TokenMapping;
}

/**
 * Moves one payment method to `exchange`'s provider: import it (idempotent by a key derived from
 * the mapping key, so a re-run after a crash replays instead of importing twice), optionally
 * verify it with a zero-amount authorization, and build its vault entry, re-collection and extra
 * writes. Resolves `undefined` (counted `deferred`) when the calls kept failing transiently:
 * nothing is written for it, so the next run tries again.
 */
export async function exchangeOne(
  context: ExchangeRunContext,
  counts: ExchangeCounts,
  item: ExchangeItem,
  options: { readonly exchange: TokenExchangeV1; readonly origin: TokenMappingOrigin; readonly verifyCurrency?: string | undefined },
): Promise<ExchangeOutcome | undefined> {
  const { vault, clock } = context;
  const { exchange } = options;
  const { method } = item;
  const mappingKey = vault.keyOf(method.provider, method.token);
  let imported: CallOutcome<TokenImportResult>;
  try {
    imported = await callProvider(context, counts, () =>
      exchange.importPaymentMethod({
        idempotencyKey: exchangeIdempotencyKey('import', mappingKey),
        sourceProvider: method.provider,
        sourceToken: method.token,
        sourceCustomerReference: method.customerReference,
        customerReference: item.destinationCustomerReference,
        card: method.card,
        networkTransactionId: method.networkTransactionId,
      }),
    );
  } catch (error) {
    // The provider refused the request itself (malformed card data): the card cannot be moved as it is.
    if (!InvalidRequestError.isInstance(error)) throw error;
    imported = { kind: 'answer', answer: { status: 'rejected', reason: 'invalid_data', detail: safeDetail(error.message) } };
  }
  if (imported.kind === 'deferred') {
    counts.deferred += 1;
    return undefined;
  }
  const now = clock.now();
  const base = {
    customerId: item.customerId,
    source: { provider: method.provider, token: method.token, customerReference: method.customerReference },
    card: method.card,
    networkTransactionId: method.networkTransactionId,
    origin: options.origin,
    createdAt: now,
    updatedAt: now,
  };
  let mapping: TokenMapping;
  const answer = imported.answer;
  if (answer.status === 'imported') {
    mapping = {
      ...base,
      networkTransactionId: answer.networkTransactionId ?? method.networkTransactionId,
      target: { provider: exchange.provider, token: answer.token, customerReference: answer.customerReference },
      status: 'mapped',
    };
    if (options.verifyCurrency !== undefined) mapping = await verifyMapping(context, counts, exchange, mapping, mappingKey, options.verifyCurrency);
  } else {
    mapping = { ...base, status: 'recollect', failureReason: answer.reason, failureDetail: answer.detail === undefined ? undefined : safeDetail(answer.detail) };
  }
  const puts: JournalPut[] = [vault.seal(mapping, 'any', mappingKey), ...(item.extraPuts ?? [])];
  const outbox: OutboxMessageInput[] = [];
  if (mapping.status === 'mapped') {
    counts.mapped += 1;
  } else {
    counts.recollect += 1;
    countFailure(counts.failures, mapping.card.brand, mapping.failureReason as string);
    const writes = recollectionWrites(mapping, mappingKey, vault.customerIndexOf(mapping.customerId), context.recollectionTopic);
    puts.push(writes.put);
    outbox.push(writes.message);
  }
  return { puts, outbox, key: mappingKey, mapping };
}

/** Moves a batch of payment methods (see `exchangeOne`), at most `concurrency` at a time, and plans their writes. */
export async function exchangeBatch(
  context: ExchangeRunContext,
  counts: ExchangeCounts,
  items: readonly ExchangeItem[],
  options: { readonly exchange: TokenExchangeV1; readonly origin: TokenMappingOrigin; readonly verifyCurrency?: string | undefined },
): Promise<ExchangeBatchPlan> {
  const plan: ExchangeBatchPlan = { puts: [], outbox: [], written: [] };
  await forEachConcurrently(items, context.concurrency, async (item) => {
    const outcome = await exchangeOne(context, counts, item, options);
    if (outcome !== undefined) addOutcome(plan, outcome);
  });
  return plan;
}

/** Adds one exchange's writes to a batch plan. */
export function addOutcome(plan: ExchangeBatchPlan, outcome: ExchangeOutcome): void {
  plan.puts.push(...outcome.puts);
  plan.outbox.push(...outcome.outbox);
  plan.written.push({ key: outcome.key, mapping: outcome.mapping });
}

/**
 * Verifies a mapped token with a zero-amount authorization at its provider. A decline turns the
 * mapping into a re-collection (`verification_failed`): the card was moved but cannot be charged.
 * When the verification could not be done (transient failures) the mapping is returned as it
 * was, without a verification: a later verification pass retries it.
 */
export async function verifyMapping(
  context: ExchangeRunContext,
  counts: ExchangeCounts,
  exchange: TokenExchangeV1,
  mapping: TokenMapping,
  mappingKey: string,
  currency: string,
): Promise<TokenMapping> {
  const target = mapping.target as NonNullable<TokenMapping['target']>;
  const outcome: CallOutcome<TokenVerificationResult> = await callProvider(context, counts, () =>
    exchange.verifyPaymentMethod({ idempotencyKey: exchangeIdempotencyKey('verify', mappingKey), token: target.token, customerReference: target.customerReference, currency }),
  );
  // Could not verify now: keep the mapping as it was; a later verification pass retries.
  if (outcome.kind === 'deferred') return mapping;
  const now = context.clock.now();
  if (outcome.answer.verified) {
    counts.verified += 1;
    return { ...mapping, verification: { status: 'verified', verifiedAt: now }, updatedAt: now };
  }
  return {
    ...mapping,
    status: 'recollect',
    failureReason: 'verification_failed',
    failureDetail: safeDetail(`zero-amount verification declined: ${outcome.answer.declineReason ?? 'no reason given'}`),
    verification: { status: 'failed', declineReason: outcome.answer.declineReason, verifiedAt: now },
    updatedAt: now,
  };
}
