import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Meter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { KeyProviderV1 } from '../ports/key-provider/v1/key-provider.js';
import { cardBrands, type CardBrand } from '../ports/shared/v1/card.js';
import type { TokenExchangeV1 } from '../ports/token-exchange/v1/token-exchange.js';
import { recollectCardTopic } from './token-recollection.js';

/** Options of `createTokenMigrationEngine`. */
export interface TokenMigrationEngineOptions {
  /** The journal (opened). The engine wraps it with the PCI guard. */
  readonly journal: JournalV1;
  /** Wraps the vault's data key. */
  readonly keyProvider: KeyProviderV1;
  /** The provider the shop moves away from (`braintree`, `adyen`, ...). */
  readonly sourceProvider: string;
  /** The provider the shop moves to. */
  readonly targetProvider: string;
  /** The new provider's token import API, where it has one (API mode, delta sync, verification). */
  readonly targetExchange?: TokenExchangeV1 | undefined;
  /** The old provider's token import API, for the reverse sync (new -> old) that makes a rollback safe. */
  readonly sourceExchange?: TokenExchangeV1 | undefined;
  /** Time source. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Logger. @default createLogger({ name: 'paymigrate.tokens' }) */
  readonly logger?: Logger | undefined;
  /** OpenTelemetry meter. @default defaultMeter() */
  readonly meter?: Meter | undefined;
  /** Brands the target provider accepts; cards of other brands go to re-collection. @default every brand */
  readonly supportedBrands?: readonly CardBrand[] | undefined;
  /** Whether expired cards in a mapping file go to re-collection. @default true */
  readonly recollectExpiredCards?: boolean | undefined;
  /**
   * The merchant's customer id of a file row (what `TokenLocator.locate` is asked with).
   * @default the source customer reference (shops that keep the provider's customer id)
   */
  readonly customerIdOf?: ((row: { readonly sourceCustomerReference: string; readonly targetCustomerReference: string | undefined }) => string) | undefined;
  /** API re-tokenization limits. */
  readonly api?:
    | {
        /** The provider's rate limit, requests per second (the adaptive limiter never exceeds it). @default 25 */
        readonly requestsPerSecond?: number | undefined;
        /** Requests in flight at once. @default 8 */
        readonly concurrency?: number | undefined;
        /** Requests sent back to back after an idle period. @default 5 % of the rate */
        readonly burst?: number | undefined;
        /** Calls per payment method on transient failures. @default 5 */
        readonly maxAttempts?: number | undefined;
        /** First back-off. @default 200 */
        readonly baseDelayMs?: number | undefined;
        /** Longest back-off. @default 5000 */
        readonly maxDelayMs?: number | undefined;
        /** 429 answers tolerated per payment method. @default 50 */
        readonly maxRateLimitedAttempts?: number | undefined;
      }
    | undefined;
  /** The outbox topic of re-collection requests. @default 'platform.recollect-card' */
  readonly recollectionTopic?: string | undefined;
  /** The origin written to vault audit entries. @default host and process id */
  readonly auditOrigin?: string | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const exchangeSchema = z.custom<TokenExchangeV1>(
  (value) => isObject(value) && value['specificationVersion'] === 'v1' && typeof value['provider'] === 'string' && typeof value['importPaymentMethod'] === 'function',
  { message: 'must be a TokenExchangeV1 (specificationVersion v1)' },
);

/** The validated options with every default applied. */
export const tokenMigrationEngineOptionsSchema = z.object({
  journal: z
    .custom<JournalV1>((value) => isObject(value) && value['specificationVersion'] === 'v1' && typeof value['write'] === 'function', { message: 'must be a JournalV1' })
    .meta({ fix: 'pass an opened journal adapter (InMemoryJournal, the SQLite or the PostgreSQL journal)' }),
  keyProvider: z
    .custom<KeyProviderV1>((value) => isObject(value) && value['specificationVersion'] === 'v1' && typeof value['wrapKey'] === 'function', { message: 'must be a KeyProviderV1' })
    .meta({ fix: 'pass a key provider (a KMS adapter; InMemoryKeyProvider in tests)' }),
  sourceProvider: z.string().min(1).meta({ fix: "name the provider the shop leaves, e.g. 'braintree'" }),
  targetProvider: z.string().min(1).meta({ fix: "name the provider the shop moves to, e.g. 'stripe'" }),
  targetExchange: exchangeSchema.optional(),
  sourceExchange: exchangeSchema.optional(),
  clock: z.custom<ClockV1>((value) => isObject(value) && typeof value['now'] === 'function' && typeof value['sleep'] === 'function').optional(),
  logger: z.custom<Logger>((value) => isObject(value) && typeof value['info'] === 'function').optional(),
  meter: z.custom<Meter>((value) => isObject(value) && typeof value['createCounter'] === 'function').optional(),
  supportedBrands: z.array(z.enum(cardBrands)).optional(),
  recollectExpiredCards: z.boolean().default(true),
  customerIdOf: z.custom<NonNullable<TokenMigrationEngineOptions['customerIdOf']>>((value) => typeof value === 'function').optional(),
  api: z
    .object({
      requestsPerSecond: z.number().positive().default(25),
      concurrency: z.number().int().min(1).max(256).default(8),
      burst: z.number().positive().optional(),
      maxAttempts: z.number().int().min(1).max(20).default(5),
      baseDelayMs: z.number().int().nonnegative().default(200),
      maxDelayMs: z.number().int().nonnegative().default(5_000),
      maxRateLimitedAttempts: z.number().int().min(1).default(50),
    })
    .default({ requestsPerSecond: 25, concurrency: 8, maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, maxRateLimitedAttempts: 50 }),
  recollectionTopic: z.string().min(1).default(recollectCardTopic),
  auditOrigin: z.string().min(1).optional(),
});

/** Options after validation and defaults. */
export type ResolvedTokenMigrationEngineOptions = z.output<typeof tokenMigrationEngineOptionsSchema>;
