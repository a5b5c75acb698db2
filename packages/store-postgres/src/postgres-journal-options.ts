import { type ClockV1, ConfigurationError, parseOptions, resolveSecret, systemClock } from '@paymigrate/core';
import pg from 'pg';
import { z } from 'zod';

/** The environment variable read when neither `connectionString` nor `pool` is given. */
export const postgresConnectionStringVariable = 'PAYMIGRATE_POSTGRES_URL';

/** Options of `createPostgresJournal` / `new PostgresJournal(...)`. */
export interface PostgresJournalOptions {
  /**
   * `postgresql://user:password@host:port/database`. The journal creates, owns and closes its own
   * pool. Give either this or `pool`; with neither, `PAYMIGRATE_POSTGRES_URL` is read.
   */
  readonly connectionString?: string | undefined;
  /**
   * A `pg.Pool` the application already has. The journal uses it but never ends it: `close()`
   * leaves it to its owner. Give either this or `connectionString`.
   */
  readonly pool?: pg.Pool | undefined;
  /**
   * The schema holding the journal's tables; one schema per journal. Lower-case letters, digits
   * and underscores, starting with a letter or underscore, at most 63 characters.
   * @default 'paymigrate'
   */
  readonly schema?: string | undefined;
  /**
   * The clock that stamps `updatedAt`, `enqueuedAt` and lease expiries and decides when a lease or
   * an `availableAt` has passed. Every process sharing a journal must use the same time base.
   * @default systemClock
   */
  readonly clock?: ClockV1 | undefined;
  /**
   * Maximum connections of the journal's own pool (ignored with `pool`).
   * @default 10
   */
  readonly poolSize?: number | undefined;
  /**
   * How long to wait for a new connection before reporting `JOURNAL_UNAVAILABLE`, milliseconds
   * (ignored with `pool`).
   * @default 10000
   */
  readonly connectionTimeoutMs?: number | undefined;
}

/** Options after validation, with defaults applied. */
export interface ResolvedPostgresJournalOptions {
  /** The injected pool, or `undefined` when the journal owns one built from `connectionString`. */
  readonly pool: pg.Pool | undefined;
  /** Configuration of the journal's own pool; `undefined` with an injected pool. */
  readonly poolConfig: pg.PoolConfig | undefined;
  /** The schema name (validated, needs no quoting beyond double quotes). */
  readonly schema: string;
  /** The journal's clock. */
  readonly clock: ClockV1;
}

/** A schema name that is a plain lower-case identifier: safe to quote, never folded. */
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** True for a value that looks like a `pg.Pool` (duck-typed: two installed copies of pg differ). */
function isPool(value: unknown): value is pg.Pool {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate['connect'] === 'function' && typeof candidate['query'] === 'function' && typeof candidate['end'] === 'function';
}

/** True for a value that implements `ClockV1`. */
function isClock(value: unknown): value is ClockV1 {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return candidate['specificationVersion'] === 'v1' && typeof candidate['now'] === 'function';
}

const optionsSchema = z
  .object({
    connectionString: z
      .string()
      .min(1)
      .optional()
      .meta({ fix: `pass 'connectionString' as postgresql://user:password@host:port/database, or set ${postgresConnectionStringVariable}` }),
    pool: z.custom<pg.Pool>(isPool, { message: 'expected a pg.Pool' }).optional().meta({ fix: "pass a pg.Pool instance as 'pool'" }),
    schema: z
      .string()
      .regex(schemaPattern, { message: 'expected a lower-case identifier' })
      .default('paymigrate')
      .meta({ fix: "use lower-case letters, digits and '_', starting with a letter or '_', at most 63 characters (e.g. 'paymigrate')" }),
    clock: z.custom<ClockV1>(isClock, { message: 'expected a ClockV1' }).optional().meta({ fix: 'pass a ClockV1 such as systemClock' }),
    poolSize: z.number().int().min(1).max(1_000).default(10).meta({ fix: "pass 'poolSize' as an integer from 1 to 1000" }),
    connectionTimeoutMs: z.number().int().min(1).default(10_000).meta({ fix: "pass 'connectionTimeoutMs' as a positive integer number of milliseconds" }),
  })
  .strict();

/**
 * Validates the journal's options once, at construction, and resolves the connection string
 * (option or `PAYMIGRATE_POSTGRES_URL`). No error ever echoes the connection string: it carries
 * the password.
 *
 * @throws ConfigurationError naming the option and the fix.
 */
export function parsePostgresJournalOptions(input: PostgresJournalOptions): ResolvedPostgresJournalOptions {
  const parsed = parseOptions(optionsSchema, input, { component: 'postgres' });
  const clock = parsed.clock ?? systemClock;
  if (parsed.pool !== undefined) {
    if (parsed.connectionString !== undefined) {
      throw new ConfigurationError({
        option: 'postgres.connectionString',
        problem: "is given together with 'pool'",
        fix: "pass either 'connectionString' (the journal owns its pool) or 'pool' (yours), not both",
      });
    }
    return { pool: parsed.pool, poolConfig: undefined, schema: parsed.schema, clock };
  }
  const connectionString = resolveSecret({
    option: 'postgres.connectionString',
    environmentVariable: postgresConnectionStringVariable,
    value: parsed.connectionString,
  });
  assertParsableConnectionString(connectionString);
  return {
    pool: undefined,
    poolConfig: {
      connectionString,
      max: parsed.poolSize,
      connectionTimeoutMillis: parsed.connectionTimeoutMs,
      application_name: 'paymigrate-journal',
    },
    schema: parsed.schema,
    clock,
  };
}

/** Parses the connection string the way pg will, without keeping the parser's error (it quotes the input). */
function assertParsableConnectionString(connectionString: string): void {
  try {
    new pg.Client({ connectionString });
  } catch {
    throw new ConfigurationError({
      option: 'postgres.connectionString',
      problem: 'is not a valid PostgreSQL connection string',
      fix: 'use the form postgresql://user:password@host:port/database, percent-encoding special characters in the password',
    });
  }
}
