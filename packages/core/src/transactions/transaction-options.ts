import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import type { Meter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import { platformPaymentTopic } from '../outbox/platform-payment-message.js';
import type { CustomerStepExpiry } from './customer-step-reconciliation.js';
import type { ProviderSelector } from './provider-selector.js';

/** Options of `createTransactionStateManager`. */
export interface TransactionStateManagerOptions {
  /** The journal: intents before calls, outcomes after, the outbox. Must be opened. */
  readonly journal: JournalV1;
  /** One gateway per provider, found by its `provider` name. Names must be unique. */
  readonly gateways: readonly PaymentGatewayV1[];
  /** Picks the provider of new payments (the traffic router). Follow-ups never ask it. */
  readonly selectProvider: ProviderSelector;
  /** Time source (lease expiries, back-off, consistency delays). @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Logger. @default createLogger({ name: 'paymigrate.transactions' }) */
  readonly logger?: Logger | undefined;
  /** OpenTelemetry meter. @default defaultMeter() */
  readonly meter?: Meter | undefined;
  /**
   * Same-key retries of rate-limited and retryable provider answers (and of unknown outcomes while
   * resolving): up to `maxAttempts` calls per run, waiting `baseDelayMs * 2^(attempt - 1)` (at most
   * `maxDelayMs`, at least the provider's `Retry-After`) between them.
   */
  readonly retry?:
    | {
        /** Calls per run, the first included. @default 4 */
        readonly maxAttempts?: number | undefined;
        /** First back-off. @default 200 */
        readonly baseDelayMs?: number | undefined;
        /** Longest back-off (also the longest wait before a `waiting` intent is due again). @default 5000 */
        readonly maxDelayMs?: number | undefined;
      }
    | undefined;
  /** Resolution of unknown outcomes. */
  readonly unknownOutcome?:
    | {
        /** Wait before the first resolution attempt after an unknown outcome. @default 0 */
        readonly resolveAfterMs?: number | undefined;
        /**
         * How long after the last request the provider's "not found" (from
         * `findByMerchantReference`) is trusted to mean the payment never happened. @default 2000
         */
        readonly lookupDelayMs?: number | undefined;
        /**
         * How long providers keep an idempotency key (PayPal: 6 h for orders, Stripe: 24 h, Adyen:
         * 31 days). Past it, a request that may have executed is never sent again under its key (the
         * provider could execute it a second time); it is resolved by lookup, technical cancel or an
         * operator. @default 21_600_000 (6 h, the strictest)
         */
        readonly keyRetentionMs?: number | undefined;
      }
    | undefined;
  /** The recovery pass. */
  readonly recovery?:
    | {
        /** How long a claim on an intent lasts. @default 60_000 */
        readonly leaseMs?: number | undefined;
        /**
         * `pending` and `unknown` intents younger than this are left to the request that is still
         * working on them (another node's, or this one's). @default 10_000
         */
        readonly graceMs?: number | undefined;
        /** Intents driven at the same time. @default 4 */
        readonly concurrency?: number | undefined;
        /** Owner id of `startRecoveryLoop` claims. @default `transaction-state-manager-<random>` */
        readonly owner?: string | undefined;
      }
    | undefined;
  /**
   * Payments waiting for their customer (`requires_action`: a 3-D Secure challenge, a redirect):
   * `reconcileCustomerSteps` (run by `startRecoveryLoop` every `intervalMs`) reads each one that has
   * waited `checkAfterMs` at its provider. One the provider has moved on (the customer finished the
   * step, the webhook was lost) is brought to the provider's state; one the provider still holds
   * waiting past the expiry of its kind of step is cancelled at that provider, so no payment waits
   * forever and a drain can finish.
   */
  readonly customerSteps?:
    | {
        /** How long a payment waits for its customer before it is read at the provider. @default 900_000 (15 minutes) */
        readonly checkAfterMs?: number | undefined;
        /** How often `startRecoveryLoop` runs `reconcileCustomerSteps`. @default 300_000 (5 minutes) */
        readonly intervalMs?: number | undefined;
        /**
         * When a step still waiting at the provider counts as abandoned and is cancelled, by the
         * provider's `nextAction.type`; a kind left out never expires (its payments are only followed).
         * Replaces the default as a whole. @default { three_d_secure: 3_600_000 (1 hour), redirect: 86_400_000 (24 hours) }: `other` (vouchers,
         * bank transfers that take days) never expires.
         */
        readonly expireAfterMs?: CustomerStepExpiry | undefined;
        /** Payments read at the providers per pass, at most (the next pass goes on after the last one). @default 200 */
        readonly limitPerPass?: number | undefined;
      }
    | undefined;
  /** Outbox topics. */
  readonly outboxTopics?:
    | {
        /** Topic of payment changes for the commerce platform. @default 'platform.payment' */
        readonly platformPayment?: string | undefined;
      }
    | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const journalSchema = z
  .custom<JournalV1>((value) => isObject(value) && value['specificationVersion'] === 'v1' && typeof value['write'] === 'function' && typeof value['claim'] === 'function', {
    message: 'must be a JournalV1 (specificationVersion v1)',
  })
  .meta({ fix: 'pass an opened journal adapter (InMemoryJournal, the SQLite or the PostgreSQL journal)' });

const gatewaySchema = z.custom<PaymentGatewayV1>(
  (value) => isObject(value) && value['specificationVersion'] === 'v1' && typeof value['provider'] === 'string' && typeof value['authorize'] === 'function',
  { message: 'must be a PaymentGatewayV1 (specificationVersion v1)' },
);

/** The default `customerSteps.expireAfterMs`: 3-D Secure after an hour, redirects after a day, other steps never. */
const defaultCustomerStepExpiry = Object.freeze({ three_d_secure: 3_600_000, redirect: 86_400_000 });

/** The validated options with every default applied. */
export const transactionStateManagerOptionsSchema = z.object({
  journal: journalSchema,
  gateways: z
    .array(gatewaySchema)
    .min(1)
    .refine((gateways) => new Set(gateways.map((gateway) => gateway.provider)).size === gateways.length, { message: 'provider names must be unique' })
    .meta({ fix: 'pass one gateway adapter per provider, each with a distinct provider name' }),
  selectProvider: z
    .custom<ProviderSelector>((value) => isObject(value) && typeof value['select'] === 'function', { message: 'must have a select(request) method' })
    .meta({ fix: "pass the traffic router, or fixedProviderSelector('<provider>')" }),
  clock: z.custom<ClockV1>((value) => isObject(value) && typeof value['now'] === 'function' && typeof value['sleep'] === 'function').optional(),
  logger: z.custom<Logger>((value) => isObject(value) && typeof value['info'] === 'function' && typeof value['error'] === 'function').optional(),
  meter: z.custom<Meter>((value) => isObject(value) && typeof value['createCounter'] === 'function').optional(),
  retry: z
    .object({
      maxAttempts: z.number().int().min(1).max(20).default(4),
      baseDelayMs: z.number().int().nonnegative().default(200),
      maxDelayMs: z.number().int().nonnegative().default(5_000),
    })
    .default({ maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 }),
  unknownOutcome: z
    .object({
      resolveAfterMs: z.number().int().nonnegative().default(0),
      lookupDelayMs: z.number().int().nonnegative().default(2_000),
      keyRetentionMs: z.number().int().positive().default(21_600_000),
    })
    .default({ resolveAfterMs: 0, lookupDelayMs: 2_000, keyRetentionMs: 21_600_000 }),
  recovery: z
    .object({
      leaseMs: z.number().int().positive().default(60_000),
      graceMs: z.number().int().nonnegative().default(10_000),
      concurrency: z.number().int().min(1).max(64).default(4),
      owner: z.string().min(1).optional(),
    })
    .default({ leaseMs: 60_000, graceMs: 10_000, concurrency: 4 }),
  customerSteps: z
    .object({
      checkAfterMs: z.number().int().positive().default(900_000),
      intervalMs: z.number().int().positive().default(300_000),
      expireAfterMs: z
        .object({
          three_d_secure: z.number().int().positive().optional(),
          redirect: z.number().int().positive().optional(),
          other: z.number().int().positive().optional(),
        })
        .strict()
        .default(defaultCustomerStepExpiry)
        .meta({ fix: 'pass milliseconds per kind of step, e.g. { three_d_secure: 3_600_000, redirect: 86_400_000 }; leave a kind out to never cancel it' }),
      limitPerPass: z.number().int().min(1).max(10_000).default(200),
    })
    .default({ checkAfterMs: 900_000, intervalMs: 300_000, expireAfterMs: defaultCustomerStepExpiry, limitPerPass: 200 }),
  outboxTopics: z.object({ platformPayment: z.string().min(1).default(platformPaymentTopic) }).default({ platformPayment: platformPaymentTopic }),
});

/** Options after validation and defaults. */
export type ResolvedTransactionStateManagerOptions = z.output<typeof transactionStateManagerOptionsSchema>;
