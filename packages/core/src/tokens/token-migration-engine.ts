import type { Counter } from '@opentelemetry/api';
import { parseOptions } from '../config/parse-options.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import type { StoredRecord } from '../journal/journal-repository.js';
import { PaymentRepository } from '../journal/payment-repository.js';
import { type SavedPaymentMethodRecord, SavedPaymentMethodRepository } from '../journal/saved-payment-method-repository.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalPut, JournalRecord, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { StoredPaymentMethod } from '../ports/shared/v1/card.js';
import type { TokenExchangeV1 } from '../ports/token-exchange/v1/token-exchange.js';
import type { TokenLocator } from '../routing/routing-types.js';
import { AdaptiveRateLimiter } from './adaptive-rate-limiter.js';
import type { MappingFileFormat } from './formats/mapping-file-row.js';
import type { VerifiedMappingFile } from './mapping-file-source.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import {
  addOutcome,
  emptyExchangeCounts,
  type ExchangeBatchPlan,
  exchangeBatch,
  exchangeOne,
  type ExchangeCounts,
  type ExchangeItem,
  type ExchangeRunContext,
  verifyMapping,
} from './token-exchange-runner.js';
import { importMappingFile, type MappingFileImportOptions, mappingFileFormats, type TokenImportReport } from './token-file-import.js';
import { checkMappingFileImport, type TotalQueueReport } from './token-import-check.js';
import {
  parseCheckpoint,
  type TokenImportCheckpoint,
  type TokenImportRejection,
  tokenImportRejectionSchema,
  tokenImportRejectionsCollection,
  tokenImportsCollection,
} from './token-import-checkpoint.js';
import { createTokenLocator } from './token-locator.js';
import type { TokenMapping } from './token-mapping.js';
import {
  type ResolvedTokenMigrationEngineOptions,
  type TokenMigrationEngineOptions,
  tokenMigrationEngineOptionsSchema,
} from './token-migration-options.js';
import {
  recollectionIndex,
  recollectionWrites,
  type TokenRecollectionRecord,
  tokenRecollectionCollection,
  tokenRecollectionSchema,
} from './token-recollection.js';
import { envelopeInfo, type StoredTokenMapping, TokenVault, tokenVaultCollection, type VaultKeyRotation } from './token-vault.js';

/** The report of an API re-tokenization, delta sync direction or verification pass. */
export interface TokenExchangeReport {
  /** Payment methods moved (or verified) now. */
  readonly mapped: number;
  /** Payment methods refused (now in re-collection), by brand and reason in `failures`. */
  readonly recollect: number;
  /** Payment methods already in the vault: nothing was sent for them. */
  readonly skipped: number;
  /** Left for a later run after transient failures. */
  readonly deferred: number;
  /** Provider calls, retries included. */
  readonly calls: number;
  /** 429 answers received. */
  readonly rateLimited: number;
  /** Zero-amount verifications that passed. */
  readonly verified: number;
  /** Not-moved payment methods by brand, then reason. */
  readonly failures: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The report of a delta sync. */
export interface DeltaSyncReport {
  /** Old -> new: cards saved on the old provider during the migration window. */
  readonly forward: TokenExchangeReport;
  /** New -> old: cards saved on the new provider, copied back so a rollback loses none. */
  readonly reverse: TokenExchangeReport;
  /** Saved cards of other providers, or of a direction without a configured exchange: left pending. */
  readonly ignored: number;
  /** Re-collections resolved because the customer saved a card that was moved. */
  readonly recollectionsResolved: number;
}

/** The Token Migration Engine: see `createTokenMigrationEngine`. */
export interface TokenMigrationEngine {
  /** The encrypted vault (lookups, key rotation). */
  readonly vault: TokenVault;
  /** The adaptive rate limiter of API calls. */
  readonly limiter: AdaptiveRateLimiter;
  /** Imports a verified mapping file (resumable; see `importMappingFile`). */
  importMappingFile(options: MappingFileImportOptions): Promise<TokenImportReport>;
  /** The total-queue check of a file import. */
  checkImport(options: { readonly file: VerifiedMappingFile; readonly format: keyof typeof mappingFileFormats | MappingFileFormat; readonly importId?: string | undefined }): Promise<TotalQueueReport>;
  /** A file import's checkpoint, if it exists. */
  importStatus(importId: string): Promise<TokenImportCheckpoint | undefined>;
  /** The rejected rows of a file import, in row order. */
  listRejections(importId: string, options?: { readonly afterRow?: number | undefined; readonly limit?: number | undefined }): Promise<TokenImportRejection[]>;
  /** API re-tokenization of stored payment methods of the source provider into the target provider. */
  importViaApi(options: {
    readonly methods: Iterable<StoredPaymentMethod> | AsyncIterable<StoredPaymentMethod>;
    readonly customerIdOf?: ((method: StoredPaymentMethod) => string) | undefined;
    readonly verifyCurrency?: string | undefined;
    readonly batchSize?: number | undefined;
    readonly signal?: AbortSignal | undefined;
  }): Promise<TokenExchangeReport>;
  /** Copies cards saved during the migration window (the TSM's `saved-payment-methods`), both directions. */
  syncDelta(options?: { readonly batchSize?: number | undefined; readonly verifyCurrency?: string | undefined }): Promise<DeltaSyncReport>;
  /** Copies cards a gateway lists for these customers that the vault does not know (catch-up from the provider itself). */
  syncFromGateway(options: {
    readonly gateway: PaymentGatewayV1;
    readonly customerReferences: readonly string[];
    readonly customerIdOf?: ((method: StoredPaymentMethod) => string) | undefined;
  }): Promise<TokenExchangeReport>;
  /** Verifies mapped tokens not verified yet with a zero-amount authorization at the target provider. */
  verifyMappings(options: { readonly currency: string; readonly importId?: string | undefined; readonly batchSize?: number | undefined }): Promise<TokenExchangeReport>;
  /** A `TokenLocator` for the router and the TSM's renewals. */
  locator(preferredProvider: () => string): TokenLocator;
  /** Open re-collections of a customer. */
  openRecollections(customerId: string): Promise<TokenRecollectionRecord[]>;
  /** Re-wraps the vault's data key under the key provider's active key. */
  rotateKeys(actor: string): Promise<VaultKeyRotation>;
}

function reportOf(counts: ExchangeCounts, skipped: number): TokenExchangeReport {
  return {
    mapped: counts.mapped,
    recollect: counts.recollect,
    skipped,
    deferred: counts.deferred,
    calls: counts.calls,
    rateLimited: counts.rateLimited,
    verified: counts.verified,
    failures: counts.failures,
  };
}

async function* asAsync<Item>(items: Iterable<Item> | AsyncIterable<Item>): AsyncGenerator<Item> {
  for await (const item of items) yield item;
}

/** The engine behind `createTokenMigrationEngine`. */
class TokenMigrationEngineImplementation implements TokenMigrationEngine {
  readonly vault: TokenVault;
  readonly limiter: AdaptiveRateLimiter;
  readonly #options: ResolvedTokenMigrationEngineOptions;
  readonly #clock: ClockV1;
  readonly #logger: Logger;
  readonly #rows: Counter;

  constructor(options: ResolvedTokenMigrationEngineOptions, vault: TokenVault) {
    this.#options = options;
    this.vault = vault;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? createLogger({ name: 'paymigrate.tokens' });
    this.#rows = (options.meter ?? defaultMeter()).createCounter('paymigrate.tokens.payment_methods', { description: 'Payment methods processed by the token engine, by outcome.' });
    this.limiter = new AdaptiveRateLimiter({ clock: this.#clock, ratePerSecond: options.api.requestsPerSecond, burst: options.api.burst });
  }

  importMappingFile(options: MappingFileImportOptions): Promise<TokenImportReport> {
    const customerIdOf = this.#options.customerIdOf ?? ((row: { readonly sourceCustomerReference: string }) => row.sourceCustomerReference);
    return importMappingFile(
      {
        vault: this.vault,
        clock: this.#clock,
        logger: this.#logger,
        sourceProvider: this.#options.sourceProvider,
        targetProvider: this.#options.targetProvider,
        classification: { supportedBrands: this.#options.supportedBrands, recollectExpired: this.#options.recollectExpiredCards, customerIdOf },
        recollectionTopic: this.#options.recollectionTopic,
        onRows: (counts) => {
          this.#rows.add(counts.mapped, { outcome: 'mapped', origin: 'file' });
          this.#rows.add(counts.recollect, { outcome: 'recollect', origin: 'file' });
          this.#rows.add(counts.rejected, { outcome: 'rejected', origin: 'file' });
        },
      },
      options,
    );
  }

  checkImport(options: { readonly file: VerifiedMappingFile; readonly format: keyof typeof mappingFileFormats | MappingFileFormat; readonly importId?: string | undefined }): Promise<TotalQueueReport> {
    const format = typeof options.format === 'string' ? mappingFileFormats[options.format] : options.format;
    return checkMappingFileImport(this.vault, {
      file: options.file,
      format,
      importId: options.importId ?? `imp_${options.file.digest.slice(0, 24)}`,
      sourceProvider: this.#options.sourceProvider,
    });
  }

  async importStatus(importId: string): Promise<TokenImportCheckpoint | undefined> {
    const record = await this.vault.journal.get(tokenImportsCollection, importId);
    return record === undefined ? undefined : parseCheckpoint(record);
  }

  async listRejections(importId: string, options: { readonly afterRow?: number | undefined; readonly limit?: number | undefined } = {}): Promise<TokenImportRejection[]> {
    const afterKey = options.afterRow === undefined ? undefined : `${importId}:${String(options.afterRow).padStart(10, '0')}`;
    const records = await this.vault.journal.list(tokenImportRejectionsCollection, { index: importId, afterKey, limit: options.limit ?? 1000 });
    return records.map((record) => tokenImportRejectionSchema.parse(JSON.parse(record.value)));
  }

  #runContext(): ExchangeRunContext {
    const { api } = this.#options;
    return {
      vault: this.vault,
      clock: this.#clock,
      limiter: this.limiter,
      concurrency: api.concurrency,
      retry: { maxAttempts: api.maxAttempts, baseDelayMs: api.baseDelayMs, maxDelayMs: api.maxDelayMs, maxRateLimitedAttempts: api.maxRateLimitedAttempts },
      recollectionTopic: this.#options.recollectionTopic,
    };
  }

  #exchange(direction: 'target' | 'source'): TokenExchangeV1 {
    const exchange = direction === 'target' ? this.#options.targetExchange : this.#options.sourceExchange;
    if (exchange === undefined) {
      throw new ConfigurationError({
        option: `tokenMigrationEngine.${direction}Exchange`,
        problem: 'is missing',
        fix: `pass the ${direction === 'target' ? 'new' : 'old'} provider's TokenExchange adapter to move tokens by API`,
      });
    }
    return exchange;
  }

  async #commit(plan: ExchangeBatchPlan, extraPuts: readonly JournalPut[] = [], outbox: readonly OutboxMessageInput[] = []): Promise<void> {
    const puts = [...plan.puts, ...extraPuts];
    if (puts.length === 0 && plan.outbox.length === 0 && outbox.length === 0) return;
    await this.vault.journal.write({ puts, outbox: [...plan.outbox, ...outbox] });
    for (const { mapping } of plan.written) this.#rows.add(1, { outcome: mapping.status, origin: mapping.origin });
  }

  /**
   * A continuous pipeline, so the provider's rate limit is used fully: a reader takes methods from
   * the source in chunks and drops those already in the vault (one `peek` per chunk), `concurrency`
   * workers call the provider without waiting for each other, and finished exchanges are committed
   * in batches of `batchSize` by a single committer (in order, never two commits at once).
   */
  async importViaApi(options: Parameters<TokenMigrationEngine['importViaApi']>[0]): Promise<TokenExchangeReport> {
    const exchange = this.#exchange('target');
    const context = this.#runContext();
    const counts = emptyExchangeCounts();
    const batchSize = options.batchSize ?? 200;
    const customerIdOf = options.customerIdOf ?? ((method: StoredPaymentMethod) => method.customerReference);
    const links = new Map<string, string>();
    const source = asAsync(options.methods)[Symbol.asyncIterator]();
    const queue: ExchangeItem[] = [];
    let exhausted = false;
    let skipped = 0;
    let refilling: Promise<void> | undefined;
    // The signal stops the run between chunks: exchanges in flight complete and are committed.
    const refill = async (): Promise<void> => {
      const chunk: StoredPaymentMethod[] = [];
      while (chunk.length < batchSize) {
        if (options.signal?.aborted === true) {
          exhausted = true;
          break;
        }
        const next = await source.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        chunk.push(next.value);
      }
      const existing = await this.vault.peek(chunk.map((method) => this.vault.keyOf(method.provider, method.token)));
      for (const method of chunk) {
        if (existing.has(this.vault.keyOf(method.provider, method.token))) {
          skipped += 1;
          continue;
        }
        const customerId = customerIdOf(method);
        queue.push({ method, customerId, destinationCustomerReference: links.get(customerId) });
      }
    };
    const take = async (): Promise<ExchangeItem | undefined> => {
      for (;;) {
        if (queue.length <= context.concurrency && !exhausted && refilling === undefined) {
          refilling = refill().finally(() => {
            refilling = undefined;
          });
        }
        const item = queue.shift();
        if (item !== undefined) return item;
        if (refilling === undefined) return undefined;
        await refilling;
      }
    };
    let pending: ExchangeBatchPlan = { puts: [], outbox: [], written: [] };
    let committing: Promise<void> = Promise.resolve();
    const commitPending = (): void => {
      const plan = pending;
      pending = { puts: [], outbox: [], written: [] };
      committing = committing.then(() => this.#commit(plan));
      // Reported by the final `await committing`; not an unhandled rejection meanwhile.
      committing.catch(() => undefined);
    };
    await Promise.all(
      Array.from({ length: context.concurrency }, async () => {
        for (let item = await take(); item !== undefined; item = await take()) {
          const outcome = await exchangeOne(context, counts, item, { exchange, origin: 'api', verifyCurrency: options.verifyCurrency });
          if (outcome === undefined) continue;
          if (outcome.mapping.target !== undefined) links.set(outcome.mapping.customerId, outcome.mapping.target.customerReference);
          addOutcome(pending, outcome);
          if (pending.written.length >= batchSize) commitPending();
        }
      }),
    );
    commitPending();
    await committing;
    const report = reportOf(counts, skipped);
    this.#logger.info({ mapped: report.mapped, recollect: report.recollect, skipped, deferred: report.deferred, calls: report.calls, rateLimited: report.rateLimited }, 'token API import finished');
    return report;
  }

  /** The customer's mappings (read once per run and customer). */
  async #customerMappings(customerId: string, cache: Map<string, StoredTokenMapping[]>): Promise<StoredTokenMapping[]> {
    let stored = cache.get(customerId);
    if (stored === undefined) {
      stored = await this.vault.readCustomer(customerId, { actor: 'token-delta-sync', purpose: 'customer-link' });
      cache.set(customerId, stored);
    }
    return stored;
  }

  /** Whether a token is already in one of the customer's mappings, as source or as target. */
  async #knownToken(customerId: string, method: { readonly provider: string; readonly token: string }, cache: Map<string, StoredTokenMapping[]>): Promise<boolean> {
    return (await this.#customerMappings(customerId, cache)).some(
      ({ mapping }) =>
        (mapping.source.provider === method.provider && mapping.source.token === method.token) ||
        (mapping.target?.provider === method.provider && mapping.target.token === method.token),
    );
  }

  /** The customer's reference at `provider`, from the customer's mappings in the vault. */
  async #customerLink(customerId: string, provider: string, cache: Map<string, StoredTokenMapping[]>): Promise<string | undefined> {
    for (const { mapping } of await this.#customerMappings(customerId, cache)) {
      if (mapping.source.provider === provider) return mapping.source.customerReference;
      if (mapping.target?.provider === provider) return mapping.target.customerReference;
    }
    return undefined;
  }

  /** Resolves a customer's open re-collections: a card of theirs was just moved. */
  async #resolutions(written: ExchangeBatchPlan['written']): Promise<JournalPut[]> {
    const puts: JournalPut[] = [];
    const seen = new Set<string>();
    for (const { key, mapping } of written) {
      if (mapping.status !== 'mapped' || seen.has(mapping.customerId)) continue;
      seen.add(mapping.customerId);
      for (const record of await this.#openRecollectionRecords(mapping.customerId)) {
        const value = tokenRecollectionSchema.parse(JSON.parse(record.value));
        const resolved: TokenRecollectionRecord = { ...value, status: 'resolved', resolvedAt: this.#clock.now(), resolvedBy: key };
        puts.push({ collection: tokenRecollectionCollection, key: record.key, value: JSON.stringify(resolved), index: recollectionIndex('resolved', ''), expectedVersion: record.version });
      }
    }
    return puts;
  }

  async #openRecollectionRecords(customerId: string): Promise<readonly JournalRecord[]> {
    return this.vault.journal.list(tokenRecollectionCollection, { index: recollectionIndex('open', this.vault.customerIndexOf(customerId)), limit: 100 });
  }

  async openRecollections(customerId: string): Promise<TokenRecollectionRecord[]> {
    return (await this.#openRecollectionRecords(customerId)).map((record) => tokenRecollectionSchema.parse(JSON.parse(record.value)));
  }

  async syncDelta(options: { readonly batchSize?: number | undefined; readonly verifyCurrency?: string | undefined } = {}): Promise<DeltaSyncReport> {
    const saved = new SavedPaymentMethodRepository(this.vault.journal);
    const payments = new PaymentRepository(this.vault.journal);
    const context = this.#runContext();
    const forward = emptyExchangeCounts();
    const reverse = emptyExchangeCounts();
    let forwardSkipped = 0;
    let reverseSkipped = 0;
    let ignored = 0;
    let resolved = 0;
    const batchSize = options.batchSize ?? 100;
    let afterKey: string | undefined;
    for (;;) {
      const page = await saved.listDeltaPending({ limit: batchSize, afterKey });
      if (page.length === 0) break;
      const cache = new Map<string, StoredTokenMapping[]>();
      const items: { forward: ExchangeItem[]; reverse: ExchangeItem[] } = { forward: [], reverse: [] };
      const markSynced: JournalPut[] = [];
      const existing = await this.vault.peek(page.map((record) => this.vault.keyOf(record.value.provider, record.value.token)));
      const now = this.#clock.now();
      for (const record of page) {
        const value = record.value;
        const direction = value.provider === this.#options.sourceProvider ? 'forward' : value.provider === this.#options.targetProvider ? 'reverse' : undefined;
        const exchange = direction === 'forward' ? this.#options.targetExchange : direction === 'reverse' ? this.#options.sourceExchange : undefined;
        if (direction === undefined || exchange === undefined) {
          ignored += 1;
          continue;
        }
        const synced = saved.put({ ...value, syncedAt: now }, record.version);
        const customerId = await this.#customerIdOfSaved(payments, record);
        // Already moved (the bulk file had it, an earlier sync did, or it is the target of a mapping): just mark it synced.
        if (existing.has(this.vault.keyOf(value.provider, value.token)) || (await this.#knownToken(customerId, value, cache))) {
          markSynced.push(synced);
          if (direction === 'forward') forwardSkipped += 1;
          else reverseSkipped += 1;
          continue;
        }
        items[direction].push({
          method: { provider: value.provider, token: value.token, customerReference: value.customerReference, card: value.card, networkTransactionId: value.networkTransactionId },
          customerId,
          destinationCustomerReference: await this.#customerLink(customerId, exchange.provider, cache),
          extraPuts: [synced],
        });
      }
      const forwardPlan = await exchangeBatch(context, forward, items.forward, { exchange: this.#options.targetExchange as TokenExchangeV1, origin: 'delta', verifyCurrency: options.verifyCurrency });
      const reversePlan = await exchangeBatch(context, reverse, items.reverse, { exchange: this.#options.sourceExchange as TokenExchangeV1, origin: 'reverse' });
      const resolutions = await this.#resolutions([...forwardPlan.written, ...reversePlan.written]);
      try {
        await this.#commit(
          { puts: [...forwardPlan.puts, ...reversePlan.puts], outbox: [...forwardPlan.outbox, ...reversePlan.outbox], written: [...forwardPlan.written, ...reversePlan.written] },
          [...markSynced, ...resolutions],
        );
        resolved += resolutions.length;
      } catch (error) {
        // A saved record changed meanwhile: its page is read again (the provider calls replay by key).
        if (!VersionConflictError.isInstance(error)) throw error;
        continue;
      }
      afterKey = (page.at(-1) as StoredRecord<SavedPaymentMethodRecord>).key;
    }
    const report = { forward: reportOf(forward, forwardSkipped), reverse: reportOf(reverse, reverseSkipped), ignored, recollectionsResolved: resolved };
    this.#logger.info({ forward: report.forward.mapped, reverse: report.reverse.mapped, ignored, resolved }, 'token delta sync finished');
    return report;
  }

  async #customerIdOfSaved(payments: PaymentRepository, record: StoredRecord<SavedPaymentMethodRecord>): Promise<string> {
    const paymentId = record.value.paymentId;
    const payment = paymentId === undefined ? undefined : await payments.get(paymentId);
    return payment?.value.customerId ?? record.value.customerReference;
  }

  async syncFromGateway(options: Parameters<TokenMigrationEngine['syncFromGateway']>[0]): Promise<TokenExchangeReport> {
    const { gateway } = options;
    const forward = gateway.provider === this.#options.sourceProvider;
    if (!forward && gateway.provider !== this.#options.targetProvider) {
      throw new ConfigurationError({ option: 'syncFromGateway.gateway', problem: `is for '${gateway.provider}', neither the source nor the target provider`, fix: 'pass the old or the new provider\'s gateway' });
    }
    const exchange = this.#exchange(forward ? 'target' : 'source');
    const context = this.#runContext();
    const counts = emptyExchangeCounts();
    const customerIdOf = options.customerIdOf ?? ((method: StoredPaymentMethod) => method.customerReference);
    let skipped = 0;
    for (const customerReference of options.customerReferences) {
      const methods = await gateway.listStoredPaymentMethods({ customerReference });
      const existing = await this.vault.peek(methods.map((method) => this.vault.keyOf(method.provider, method.token)));
      const cache = new Map<string, StoredTokenMapping[]>();
      const items: ExchangeItem[] = [];
      for (const method of methods) {
        if (existing.has(this.vault.keyOf(method.provider, method.token))) {
          skipped += 1;
          continue;
        }
        const customerId = customerIdOf(method);
        // A token the vault knows as the target of a mapping was moved here, not saved here.
        if (await this.#knownToken(customerId, method, cache)) {
          skipped += 1;
          continue;
        }
        items.push({ method, customerId, destinationCustomerReference: await this.#customerLink(customerId, exchange.provider, cache) });
      }
      const plan = await exchangeBatch(context, counts, items, { exchange, origin: forward ? 'delta' : 'reverse' });
      await this.#commit(plan, await this.#resolutions(plan.written));
    }
    return reportOf(counts, skipped);
  }

  async verifyMappings(options: { readonly currency: string; readonly importId?: string | undefined; readonly batchSize?: number | undefined }): Promise<TokenExchangeReport> {
    const exchange = this.#exchange('target');
    const context = this.#runContext();
    const counts = emptyExchangeCounts();
    let skipped = 0;
    let afterKey: string | undefined;
    const pageSize = options.batchSize ?? 200;
    for (;;) {
      const page = await this.vault.journal.list(tokenVaultCollection, { afterKey, limit: pageSize });
      const selected = page.filter((record) => options.importId === undefined || envelopeInfo(record).importId === options.importId);
      const stored = await this.vault.openRecords(selected, { actor: 'token-verification', purpose: 'verification' });
      const puts: JournalPut[] = [];
      const outbox: OutboxMessageInput[] = [];
      for (const entry of stored) {
        const { mapping } = entry;
        if (mapping.status !== 'mapped' || mapping.target?.provider !== exchange.provider || mapping.verification !== undefined) {
          skipped += 1;
          continue;
        }
        const verified: TokenMapping = await verifyMapping(context, counts, exchange, mapping, entry.key, options.currency);
        if (verified === mapping) {
          counts.deferred += 1;
          continue;
        }
        puts.push(this.vault.seal(verified, entry.version));
        if (verified.status === 'recollect') {
          counts.recollect += 1;
          const writes = recollectionWrites(verified, entry.key, this.vault.customerIndexOf(verified.customerId), this.#options.recollectionTopic);
          puts.push(writes.put);
          outbox.push(writes.message);
          const byReason = (counts.failures[verified.card.brand] ??= {});
          byReason['verification_failed'] = (byReason['verification_failed'] ?? 0) + 1;
        }
      }
      if (puts.length > 0) await this.vault.journal.write({ puts, outbox });
      if (page.length < pageSize) break;
      afterKey = (page.at(-1) as JournalRecord).key;
    }
    return reportOf(counts, skipped);
  }

  locator(preferredProvider: () => string): TokenLocator {
    return createTokenLocator(this.vault, { preferredProvider });
  }

  rotateKeys(actor: string): Promise<VaultKeyRotation> {
    return this.vault.rotateKeyEncryptionKey({ actor, purpose: 'key-rotation' });
  }
}

/**
 * Creates the Token Migration Engine (engine 2 of DESIGN.md): moves every stored payment method
 * from the old provider to the new one without a customer re-typing a card.
 *
 * - Mapping files (`importMappingFile`): Stripe JSON, Adyen output CSV, the generic CSV; PGP
 *   decrypted and signature-verified before any row is used, streamed, resumable, checked by a
 *   total-queue check (`checkImport`).
 * - API re-tokenization (`importViaApi`) through the new provider's `TokenExchange`, rate limited
 *   by an adaptive token bucket that backs off on 429 `Retry-After` and recovers additively.
 * - Delta sync of cards saved during the window and reverse sync new -> old (`syncDelta`,
 *   `syncFromGateway`), so a rollback leaves no customer with a card only on the new provider.
 * - Zero-amount verification (`verifyMappings`), failure classes by brand and reason, and the
 *   re-collection workflow (`token-recollection` + `platform.recollect-card`).
 * - The encrypted vault (`TokenVault`) and a `TokenLocator` for renewals.
 *
 * Every journal write goes through the PCI guard; logs, events, errors and reports carry no card
 * number or security code (invariant 5).
 *
 * @throws ConfigurationError naming the first invalid option.
 */
export async function createTokenMigrationEngine(options: TokenMigrationEngineOptions): Promise<TokenMigrationEngine> {
  const resolved = parseOptions(tokenMigrationEngineOptionsSchema, options, { component: 'tokenMigrationEngine' });
  const vault = await TokenVault.open({ journal: resolved.journal, keyProvider: resolved.keyProvider, clock: resolved.clock, origin: resolved.auditOrigin });
  return new TokenMigrationEngineImplementation(resolved, vault);
}
