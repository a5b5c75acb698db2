import type { Counter, Meter } from '@opentelemetry/api';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { MigrationStateInvalidError } from './cutover-errors.js';
import { defaultMigrationId, migrationCollection, type MigrationState, parseMigrationRecord } from './migration-state.js';

/**
 * Where a new payment goes, why, and on which routing generation. Structurally a superset of the
 * Transaction State Manager's `ProviderSelection` ({ provider, reason }), so this selector plugs
 * into it as is.
 */
export interface MigrationProviderSelection {
  /** The provider the new payment is pinned to for its whole life. */
  readonly provider: string;
  /** Why, e.g. `phase cutover`, `ramp routing not configured`, `stale routing config`. */
  readonly reason: string;
  /**
   * The migration epoch the decision was based on (0 when the migration has not started or was never
   * read). Every decision with a higher epoch is newer.
   */
  readonly epoch: number;
}

/** What a ramp selector answers: one of the two providers of the migration, and why. */
export interface RampSelection {
  /** `fromProvider` or `toProvider`. */
  readonly provider: string;
  /** Why, e.g. `bucket 3 < 12.5 %`. */
  readonly reason: string;
}

/** What a ramp selector knows about the migration besides the request and the percentage. */
export interface RampSelectionContext {
  /** The provider payments move away from. */
  readonly fromProvider: string;
  /** The provider payments move to. */
  readonly toProvider: string;
  /** The migration epoch the ramp percentage belongs to. */
  readonly epoch: number;
}

/**
 * Splits new payments during the ramp (the traffic router plugs in here): returns `fromProvider` or
 * `toProvider` with a reason. It must be monotone: raising `percent` only moves customers to the new
 * provider. Anything else it returns, or a throw, routes the payment to `fromProvider`.
 */
export type RampSelector<Request = unknown> = (
  request: Request,
  percent: number,
  context: RampSelectionContext,
) => RampSelection | Promise<RampSelection>;

/**
 * Decides new payments in EVERY phase from its own view of the migration (the traffic router fits:
 * its node applies a broadcast change at once, and it applies the kill switch, the circuit breakers
 * and the stale-configuration fail-safe whatever the phase). Its answer must name the epoch it was
 * made on.
 */
export interface PhaseRouter<Request = unknown> {
  /** The provider of a new payment, why, and the epoch the decision was made on. */
  select(request: Request): Promise<MigrationProviderSelection> | MigrationProviderSelection;
}

/** Options of `createMigrationProviderSelector`. Validated once, at construction. */
export interface MigrationProviderSelectorOptions<Request = unknown> {
  /** Where the migration state lives (collection `migration`). */
  readonly journal: JournalV1;
  /**
   * The migration to follow.
   * @default 'default'
   */
  readonly migrationId?: string | undefined;
  /**
   * The old provider: where new payments go before the migration starts, and the fail-safe choice
   * while the routing configuration cannot be read (a selector that has never read it knows no
   * other provider). A journaled migration that moves away from another provider is refused.
   */
  readonly fromProvider: string;
  /**
   * Tells the age of the cached state.
   * @default systemClock
   */
  readonly clock?: ClockV1 | undefined;
  /**
   * A cached state older than this cannot be used: when the journal cannot be read, new payments
   * go to `fromProvider` with reason `stale routing config`, milliseconds.
   * @default 5000
   */
  readonly maxConfigAgeMs?: number | undefined;
  /**
   * How old the cached state may get before `select` re-reads it, milliseconds; 0 reads on every
   * call. Must be below `maxConfigAgeMs`.
   * @default a fifth of maxConfigAgeMs (1000 ms)
   */
  readonly refreshIntervalMs?: number | undefined;
  /**
   * How long `select` waits for a journal read before treating it as failed (the cached state, or
   * the fail-safe, is used; the read goes on in the background), milliseconds.
   * @default 250
   */
  readonly readTimeoutMs?: number | undefined;
  /** Splits new payments during `ramp`; without it the ramp routes to `fromProvider` ("ramp routing not configured"). */
  readonly rampSelector?: RampSelector<Request> | undefined;
  /**
   * The router that decides every new payment in every phase (prepare and shadow: the old provider;
   * ramp: its percentage; cutover, drain, done: the new provider; rolled back: the old provider at
   * once), so its kill switch, circuit breakers and stale-config fail-safe apply in every phase. The
   * selector then reads no state for `select`: a throw or an answer without a provider routes to
   * `fromProvider` (reason `routing failed: ...`). Exclusive with `rampSelector`.
   */
  readonly router?: PhaseRouter<Request> | undefined;
  /**
   * Receives read failures and rejected ramp selections.
   * @default createLogger({ name: 'paymigrate.cutover.selector' })
   */
  readonly logger?: Logger | undefined;
  /**
   * Records `paymigrate.cutover.selections` (attributes `provider`, `phase`; `phase` is `router` when a router decides).
   * @default defaultMeter()
   */
  readonly meter?: Meter | undefined;
}

/**
 * The selector of new payments' provider during a migration. It is asked once per NEW payment
 * (the Transaction State Manager pins the answer; follow-ups never ask again), so it fits the
 * TSM's `ProviderSelector` port structurally.
 */
export interface MigrationProviderSelector<Request = unknown> {
  /**
   * Picks the provider for a new payment from the migration phase:
   * prepare, shadow, rolled_back -> `fromProvider`; ramp -> the ramp selector (or `fromProvider`
   * with "ramp routing not configured"); cutover, drain, done -> `toProvider`; not started ->
   * `fromProvider`. With a cached state older than `maxConfigAgeMs` and a journal that cannot be
   * read: `fromProvider`, reason `stale routing config`. With a `router`, the router decides in
   * every phase instead (see `MigrationProviderSelectorOptions.router`). Never throws.
   */
  select(request: Request): Promise<MigrationProviderSelection>;

  /**
   * Reads the migration state now and caches it (the hook for the `control.migration` broadcast);
   * resolves to the state, `undefined` when the migration has not started.
   *
   * @throws the journal's error, or MigrationStateInvalidError, when the read fails (the cache is kept).
   */
  refresh(): Promise<MigrationState | undefined>;
}

/** The result of one successful read. */
interface CachedState {
  /** The state; `undefined` when the migration did not exist. */
  readonly state: MigrationState | undefined;
  /** When the read started (the conservative age of what it returned), epoch milliseconds. */
  readonly readAt: number;
  /** Order in which the read started: the cache only ever moves to a later read. */
  readonly sequence: number;
}

/** Reasons the selector gives, besides the ramp selector's own. */
export const migrationSelectionReasons = {
  notStarted: 'migration not started',
  stale: 'stale routing config',
  rampNotConfigured: 'ramp routing not configured',
  rampFailed: 'ramp routing failed',
  routerFailed: 'routing failed',
  rolledBack: 'rolled back',
} as const;

const optionsSchema = z
  .object({
    journal: z
      .custom<JournalV1>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'get') === 'function', {
        message: 'must be a JournalV1 (with get)',
      })
      .meta({ fix: 'pass the journal the orchestrator writes to' }),
    migrationId: z.string().min(1).default(defaultMigrationId),
    fromProvider: z.string().min(1).meta({ fix: "pass the current (old) provider's name, e.g. 'stripe'" }),
    clock: z
      .custom<ClockV1>(
        (value) =>
          typeof value === 'object' && value !== null && typeof Reflect.get(value, 'now') === 'function' && typeof Reflect.get(value, 'sleep') === 'function',
        { message: 'must be a ClockV1' },
      )
      .optional(),
    maxConfigAgeMs: z.number().int().positive().default(5000),
    refreshIntervalMs: z.number().int().min(0).optional(),
    readTimeoutMs: z.number().int().positive().default(250),
    rampSelector: z.custom<RampSelector<never>>((value) => typeof value === 'function', { message: 'must be a function' }).optional(),
    router: z
      .custom<PhaseRouter<never>>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'select') === 'function', { message: 'must have select(request)' })
      .meta({ fix: 'pass the traffic router (createTrafficRouter)' })
      .optional(),
    logger: z
      .custom<Logger>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'warn') === 'function', {
        message: 'must be a logger (createLogger)',
      })
      .optional(),
    meter: z
      .custom<Meter>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'createCounter') === 'function', {
        message: 'must be an OpenTelemetry Meter',
      })
      .optional(),
  })
  .superRefine((options, context) => {
    if (options.router !== undefined && options.rampSelector !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['rampSelector'],
        message: 'cannot be combined with router: the router already decides the ramp (pass only router, which decides every phase)',
      });
    }
    if (options.refreshIntervalMs !== undefined && options.refreshIntervalMs >= options.maxConfigAgeMs) {
      context.addIssue({
        code: 'custom',
        path: ['refreshIntervalMs'],
        message: `must be below maxConfigAgeMs (${options.maxConfigAgeMs}), or every cached state would be stale before its refresh`,
      });
    }
  });

/** The text of anything thrown. */
function describeThrown(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the provider selector for NEW payments during a migration. It reads the migration state
 * from the journal, caches it for `refreshIntervalMs`, and fails safe to the old provider when the
 * state cannot be read and the cache is older than `maxConfigAgeMs`.
 *
 * Pinning (invariants 2 and 8): the selector is asked once per new payment. After a cutover or a
 * rollback, only new payments change provider; payments in flight finish on the provider the
 * Transaction State Manager pinned them to.
 *
 * @throws ConfigurationError when an option is missing or invalid.
 * @example
 * const selector = createMigrationProviderSelector({ journal, fromProvider: 'stripe', router: trafficRouter });
 * const { provider, reason, epoch } = await selector.select({ customerId: 'cus_1' });
 */
export function createMigrationProviderSelector<Request = unknown>(options: MigrationProviderSelectorOptions<Request>): MigrationProviderSelector<Request> {
  const parsed = parseOptions(optionsSchema, options, { component: 'cutoverSelector' });
  const { journal, migrationId, fromProvider, maxConfigAgeMs, readTimeoutMs } = parsed;
  const refreshIntervalMs = parsed.refreshIntervalMs ?? Math.floor(maxConfigAgeMs / 5);
  const clock = parsed.clock ?? systemClock;
  const rampSelector = options.rampSelector;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.cutover.selector' });
  const selections: Counter = (parsed.meter ?? defaultMeter()).createCounter('paymigrate.cutover.selections', {
    description: 'Provider selections for new payments during a migration, by provider and phase.',
  });

  let cache: CachedState | undefined;
  let readsStarted = 0;
  let sharedRead: Promise<CachedState> | undefined;

  /** Reads the state once; a successful read replaces the cache unless a later-started read already did. */
  const readState = async (): Promise<CachedState> => {
    readsStarted += 1;
    const sequence = readsStarted;
    const readAt = clock.now();
    const record = await journal.get(migrationCollection, migrationId);
    const state = record === undefined ? undefined : parseMigrationRecord(record).state;
    if (state !== undefined && state.fromProvider !== fromProvider) {
      throw new MigrationStateInvalidError({
        migrationId,
        problem: `it moves away from '${state.fromProvider}' but this selector was configured with fromProvider '${fromProvider}'`,
      });
    }
    const result: CachedState = { state, readAt, sequence };
    if (cache === undefined || sequence > cache.sequence) cache = result;
    return result;
  };

  /**
   * The read a `select` waits for. With `refreshIntervalMs` 0 every call reads for itself, so a call
   * made after a change always sees it; otherwise concurrent calls share one read (its age is
   * counted from when it started, so sharing never hides staleness).
   */
  const readForSelect = (): Promise<CachedState> => {
    if (refreshIntervalMs === 0) return readState();
    sharedRead ??= readState().finally(() => {
      sharedRead = undefined;
    });
    return sharedRead;
  };

  /** Reads within `readTimeoutMs`; a failure or a timeout is logged and gives `undefined`. */
  const readWithinTimeout = async (): Promise<CachedState | undefined> => {
    const controller = new AbortController();
    const timeout = clock.sleep(readTimeoutMs, controller.signal).then(
      () => undefined,
      () => undefined,
    );
    try {
      const result = await Promise.race([readForSelect(), timeout]);
      if (result === undefined) logger.warn({ migrationId, readTimeoutMs }, 'routing config read timed out; using the cached state or the fail-safe');
      return result;
    } catch (error) {
      logger.error({ migrationId, error: describeThrown(error) }, 'routing config read failed; using the cached state or the fail-safe');
      return undefined;
    } finally {
      controller.abort();
    }
  };

  const fromPhase = async (state: MigrationState | undefined, request: Request): Promise<MigrationProviderSelection> => {
    if (state === undefined) return { provider: fromProvider, reason: migrationSelectionReasons.notStarted, epoch: 0 };
    const { epoch } = state;
    switch (state.phase) {
      case 'prepare':
      case 'shadow':
        return { provider: state.fromProvider, reason: `phase ${state.phase}`, epoch };
      case 'cutover':
      case 'drain':
      case 'done':
        return { provider: state.toProvider, reason: `phase ${state.phase}`, epoch };
      case 'rolled_back':
        return { provider: state.fromProvider, reason: migrationSelectionReasons.rolledBack, epoch };
      case 'ramp':
        break;
    }
    if (rampSelector === undefined) return { provider: state.fromProvider, reason: migrationSelectionReasons.rampNotConfigured, epoch };
    try {
      const selection = await rampSelector(request, state.rampPercent, { fromProvider: state.fromProvider, toProvider: state.toProvider, epoch });
      if (selection.provider === state.fromProvider || selection.provider === state.toProvider) {
        return { provider: selection.provider, reason: selection.reason, epoch };
      }
      logger.error({ migrationId, provider: selection.provider }, 'ramp selector chose a provider outside the migration; using the old provider');
      return { provider: state.fromProvider, reason: `${migrationSelectionReasons.rampFailed}: '${selection.provider}' is not part of the migration`, epoch };
    } catch (error) {
      logger.error({ migrationId, error: describeThrown(error) }, 'ramp selector failed; using the old provider');
      return { provider: state.fromProvider, reason: `${migrationSelectionReasons.rampFailed}: ${describeThrown(error)}`, epoch };
    }
  };

  const router = options.router;

  /** The router's selection; a throw or a malformed answer fails safe to the old provider. */
  const fromRouter = async (phaseRouter: PhaseRouter<Request>, request: Request): Promise<MigrationProviderSelection> => {
    try {
      const selection = await phaseRouter.select(request);
      if (typeof selection?.provider === 'string' && selection.provider !== '') {
        return { provider: selection.provider, reason: selection.reason, epoch: typeof selection.epoch === 'number' ? selection.epoch : (cache?.state?.epoch ?? 0) };
      }
      logger.error({ migrationId }, 'router answered without a provider; using the old provider');
      return { provider: fromProvider, reason: `${migrationSelectionReasons.routerFailed}: no provider in the answer`, epoch: cache?.state?.epoch ?? 0 };
    } catch (error) {
      logger.error({ migrationId, error: describeThrown(error) }, 'router failed; using the old provider');
      return { provider: fromProvider, reason: `${migrationSelectionReasons.routerFailed}: ${describeThrown(error)}`, epoch: cache?.state?.epoch ?? 0 };
    }
  };

  const select = async (request: Request): Promise<MigrationProviderSelection> => {
    if (router !== undefined) {
      const selection = await fromRouter(router, request);
      selections.add(1, { provider: selection.provider, phase: 'router' });
      return selection;
    }
    let known = cache;
    if (known === undefined || clock.now() - known.readAt >= refreshIntervalMs) known = (await readWithinTimeout()) ?? cache;
    const usable = known !== undefined && clock.now() - known.readAt < maxConfigAgeMs ? known : undefined;
    const selection =
      usable === undefined
        ? { provider: fromProvider, reason: migrationSelectionReasons.stale, epoch: known?.state?.epoch ?? 0 }
        : await fromPhase(usable.state, request);
    selections.add(1, { provider: selection.provider, phase: usable === undefined ? 'stale' : (usable.state?.phase ?? 'not_started') });
    return selection;
  };

  const refresh = async (): Promise<MigrationState | undefined> => (await readState()).state;

  return Object.freeze({ select, refresh });
}
