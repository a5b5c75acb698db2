import type { Counter, Meter } from '@opentelemetry/api';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import { findSensitiveDataInText, redactSensitiveText } from '../pci/sensitive-data-scanner.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { CommercePlatformV1 } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { SessionCompareAndSetResult, SessionEntry, SessionStoreV1 } from '../ports/session-store/v1/session-store.js';
import { compareAndSetSessionEntries, getSessionEntries } from '../ports/session-store/v1/session-store-batch.js';
import { bindCheckoutPayment, type CheckoutBinding, type PaymentLocator } from './payment-locator.js';
import { SessionMigrationConflictError, SessionMigrationPhaseError, SessionSwitchRefusedError } from './session-errors.js';
import {
  emptySessionMigrationCounts,
  parseSessionMigrationRecord,
  type SessionMigrationCounts,
  sessionMigrationCollection,
  type SessionMigrationPhase,
  sessionMigrationPhaseMachine,
  type SessionMigrationPhaseOrNotStarted,
  type SessionMigrationProgress,
  type SessionMigrationState,
  serializeSessionMigrationState,
  type VersionedSessionMigrationState,
} from './session-migration-state.js';
import {
  recoverCartId,
  sessionFromPlatformCart,
  type SessionQuarantineKind,
  sessionQuarantineCollection,
  type SessionQuarantineRecord,
  type SessionRebuildOutcome,
} from './session-quarantine.js';
import { parseSession } from './session-schema.js';
import { isTombstoneValue, remainingTtlSeconds, serializeSession, sessionChecksum, sha256Hex } from './session-values.js';
import { mapConcurrently } from '../concurrency/map-concurrently.js';

/**
 * What the live store (`createMigratingSessionStore`) needs from the controller: the journaled
 * phase, and the copy of one session on demand (a read that found nothing in the target).
 * `SessionMigrationController` implements it.
 */
export interface SessionMigrationLink {
  /** The journaled phase (`not-started` before the first `migrate()`) and when it began. */
  readPhase(): Promise<SessionMigrationPhaseInfo>;
  /**
   * Copies one session from the source to the target exactly as the bulk copy does (transform,
   * card-data check, quarantine and rebuild, remaining TTL, compare-and-set on absence, checksum)
   * and returns what the target holds for the key afterwards; `undefined` when there is no
   * session to serve (absent, expired, deleted, or quarantined without a rebuild).
   * @throws the store's or the locator's error, or `PaymigrateError` `SESSION_COPY_FAILED`.
   */
  copyThrough(key: string): Promise<SessionEntry | undefined>;
}

/** The journaled phase and when it began. */
export interface SessionMigrationPhaseInfo {
  /** The phase; `not-started` while there is no record. */
  readonly phase: SessionMigrationPhaseOrNotStarted;
  /** When it began, epoch milliseconds (the controller's clock); `undefined` while not started. */
  readonly changedAt: number | undefined;
}

/** Options of `createSessionMigrationController`. Validated once, at construction. */
export interface SessionMigrationControllerOptions {
  /** The store sessions move from. Never written by the controller. */
  readonly source: SessionStoreV1;
  /** The store sessions move to. Written only with compare-and-set on absence: a live write always wins. */
  readonly target: SessionStoreV1;
  /** Holds the migration record (collection `session-migration`) and the quarantine (`session-quarantine`). */
  readonly journal: JournalV1;
  /** Where a quarantined session's cart is rebuilt from (`getCart`); without it nothing is rebuilt. */
  readonly platform?: CommercePlatformV1 | undefined;
  /** Binds in-progress payments to the provider that holds them; without it checkouts are copied as they are. */
  readonly paymentLocator?: PaymentLocator | undefined;
  /** @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** @default createLogger({ name: 'paymigrate.sessions' }) */
  readonly logger?: Logger | undefined;
  /** Records `paymigrate.sessions.copied` (attributes `outcome`, `origin`). @default defaultMeter() */
  readonly meter?: Meter | undefined;
  /**
   * Keys per enumeration batch, and per checkpoint. Each batch is copied in chunks of
   * `storeBatchSize` keys.
   */
  readonly batchSize: number;
  /**
   * Chunks (of `storeBatchSize` keys) in flight at once, across enumeration batches; within a
   * chunk, also the per-session work (payment binding, quarantine, the single-key path) and the
   * calls to a store without the batch members running at once. With such a store, a small
   * `storeBatchSize` keeps the calls in flight near `concurrency` (1: exactly the sessions in flight).
   */
  readonly concurrency: number;
  /**
   * Keys per batched store call: a chunk is read from the source with one `getMany`, created in the
   * target with one `compareAndSetMany` and read back with one `getMany` for the checksum check
   * (three round trips per chunk instead of three per session). Stores without the optional batch
   * members get the same calls key by key (`getSessionEntries`, `compareAndSetSessionEntries`).
   * @default 250
   */
  readonly storeBatchSize?: number | undefined;
  /** Key of the migration record; one id per attempt (a rolled-back id cannot be migrated again). */
  readonly migrationId: string;
  /** Only keys starting with this are migrated. @default '' */
  readonly keyPrefix?: string | undefined;
  /** TTL given in the target to a source session that has no expiry, seconds. @default 86400 */
  readonly ttlSecondsWithoutExpiry?: number | undefined;
}

/** A quarantined session in a report: its key, why, and whether it was rebuilt. */
export interface QuarantinedSessionSummary {
  /** The session key. */
  readonly key: string;
  /** Why it was quarantined. */
  readonly kind: SessionQuarantineKind;
  /** What became of the rebuild. */
  readonly rebuild: SessionRebuildOutcome;
}

/** A session that could not be copied in a report: its key and why (no session data). */
export interface FailedSessionSummary {
  /** The session key. */
  readonly key: string;
  /** Why. */
  readonly reason: string;
}

/** What `migrate()` reports: counts and keys only, never session data. */
export interface SessionMigrationReport {
  /** The migration id. */
  readonly migrationId: string;
  /** The run number. */
  readonly run: number;
  /** The run this one resumed (re-ran), when the previous one was interrupted. */
  readonly resumedRun: number | undefined;
  /** The phase afterwards (`verifying`). */
  readonly phase: SessionMigrationPhase;
  /** Distinct keys handled. */
  readonly keysSeen: number;
  /** Every key's outcome, counted. */
  readonly counts: SessionMigrationCounts;
  /** Every quarantined session of this run. */
  readonly quarantined: readonly QuarantinedSessionSummary[];
  /** Every session that failed to copy in this run. */
  readonly failures: readonly FailedSessionSummary[];
  /** When the run started and finished, epoch milliseconds (controller clock). */
  readonly startedAt: number;
  /** See `startedAt`. */
  readonly finishedAt: number;
}

/** Who changes a phase, and why (journaled). */
export interface SessionPhaseChangeInput {
  /** @default 'system' */
  readonly actor?: string | undefined;
  /** @default a description of the change */
  readonly reason?: string | undefined;
}

/**
 * Moves live customer sessions from one store to another (engine 4): capture -> transform ->
 * write with the remaining TTL -> verify -> switch reads, with a live store
 * (`createMigratingSessionStore`) serving the application meanwhile.
 *
 * Invariant 7: a session is never absent from both stores, and a write during the migration is
 * never lost. The controller only reads the source and only creates keys in the target
 * (compare-and-set on absence), so a live write is never overwritten by an older copy; corrupt
 * sessions are quarantined in the journal and rebuilt where possible, never dropped silently.
 */
export interface SessionMigrationController extends SessionMigrationLink {
  /** The migration id. */
  readonly migrationId: string;

  /**
   * Runs (or resumes) the bulk copy: enters `copying` (from no record or `verifying`), enumerates
   * the source (de-duplicated), copies each enumeration batch in chunks of `storeBatchSize` with
   * batched store calls (`concurrency` chunks at a time) and checkpoints after every batch (in the
   * background, one journal write at a time: batches finished while one is written are recorded by
   * the next). When the enumeration is through, the phase becomes `verifying` and the report is
   * returned.
   *
   * Precondition: every application node already serves sessions through the live store
   * (`createMigratingSessionStore`), which dual-writes from the moment it is deployed. A node
   * still writing the source alone could write a session after its copy, and that write would be
   * missing from the target. A restart re-runs the whole enumeration
   * (store enumeration orders are not stable); sessions already copied are recognized by the
   * target's presence and checksum, cheaply and with the same counts.
   *
   * Aborting (`signal`) stops after the current chunks; the checkpoint is written, then the
   * signal's reason is thrown.
   *
   * @throws SessionMigrationPhaseError from `reads-switched`, `done` or `rolled-back`.
   * @throws SessionMigrationConflictError when the record changed under it (another controller, a rollback).
   */
  migrate(options?: { readonly signal?: AbortSignal | undefined }): Promise<SessionMigrationReport>;

  /**
   * `verifying` -> `reads-switched`: live stores read the target only.
   * @throws SessionSwitchRefusedError when the last run left sessions that failed to copy.
   * @throws SessionMigrationPhaseError in any other phase.
   */
  switchReads(input?: SessionPhaseChangeInput): Promise<SessionMigrationState>;

  /**
   * `reads-switched` -> `done`: live stores stop writing the source. Final; no rollback after it.
   * @throws SessionMigrationPhaseError in any other phase.
   */
  complete(input?: SessionPhaseChangeInput): Promise<SessionMigrationState>;

  /**
   * Any phase but `done` -> `rolled-back`: live stores go back to the source, which every live
   * write reached while the window was open. Idempotent.
   * @throws SessionMigrationPhaseError once `done` or before the migration started.
   */
  rollback(input?: SessionPhaseChangeInput): Promise<SessionMigrationState>;

  /** The journaled state; `undefined` before the first `migrate()`. */
  status(): Promise<SessionMigrationState | undefined>;
}

/** The outcome of one key. */
type KeyOutcome =
  | { readonly outcome: 'migrated' | 'alreadyCurrent'; readonly entry: SessionEntry; readonly binding?: CheckoutBinding | undefined }
  | { readonly outcome: 'quarantined'; readonly kind: SessionQuarantineKind; readonly rebuild: SessionRebuildOutcome; readonly entry: SessionEntry | undefined }
  | { readonly outcome: 'expired' | 'vanished' }
  | { readonly outcome: 'failed'; readonly reason: string; readonly error?: unknown };

/** What the target holds for a key after a write attempt. */
type WriteOutcome =
  | { readonly outcome: 'migrated' | 'alreadyCurrent'; readonly entry: SessionEntry }
  | { readonly outcome: 'vanished' }
  | { readonly outcome: 'failed'; readonly reason: string };

/** A session read from the source: its outcome already (`done`), or the text to create in the target. */
type PreparedCopy =
  | { readonly done: KeyOutcome; readonly write?: undefined }
  | {
      readonly done?: undefined;
      readonly write: { readonly text: string; readonly ttlSeconds: number; readonly sourceExpiresAt: number | undefined; readonly binding: CheckoutBinding };
    };

/** A create in the target waiting for its batch. */
interface PendingWrite {
  readonly position: number;
  readonly key: string;
  readonly text: string;
  /** When the session expires in the source: the remaining TTL is taken again right before the write. */
  readonly sourceExpiresAt: number | undefined;
  readonly binding: CheckoutBinding;
}

const defaultTtlSecondsWithoutExpiry = 86_400;
const defaultStoreBatchSize = 250;
/** Sessions of a chunk transformed between two yields to the event loop. */
const yieldEverySessions = 16;
/** How often a compare-and-set on absence is retried when the key vanished between the attempt and its answer. */
const absentWriteAttempts = 3;

const storeSchema = z.custom<SessionStoreV1>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['get', 'set', 'compareAndSet', 'delete', 'enumerate'].every((method) => typeof Reflect.get(value, method) === 'function'),
  { message: 'must be a SessionStoreV1 (get, set, compareAndSet, delete, enumerate)' },
);

function objectWith<Value>(method: string, message: string) {
  return z.custom<Value>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, method) === 'function', { message });
}

const optionsSchema = z.object({
  source: storeSchema.meta({ fix: 'pass the session store sessions move from, e.g. createMemcachedSessionStore(...)' }),
  target: storeSchema.meta({ fix: 'pass the session store sessions move to, e.g. createRedisSessionStore(...)' }),
  journal: objectWith<JournalV1>('write', 'must be a JournalV1').meta({ fix: 'pass an opened journal' }),
  platform: objectWith<CommercePlatformV1>('getCart', 'must be a CommercePlatformV1 with getCart').optional(),
  paymentLocator: objectWith<PaymentLocator>('locate', 'must have locate(paymentId)')
    .optional()
    .meta({ fix: 'pass createJournalPaymentLocator(journal), or leave it out' }),
  clock: objectWith<ClockV1>('now', 'must be a ClockV1').optional(),
  logger: objectWith<Logger>('info', 'must be a logger (createLogger)').optional(),
  meter: objectWith<Meter>('createCounter', 'must be an OpenTelemetry Meter').optional(),
  batchSize: z.int().min(1).max(10_000).meta({ fix: 'pass a batch size from 1 to 10000, e.g. 500' }),
  concurrency: z.int().min(1).max(1_000).meta({ fix: 'pass a concurrency from 1 to 1000, e.g. 32' }),
  migrationId: z.string().min(1).meta({ fix: "pass an id for this attempt, e.g. 'sessions-2026-01'" }),
  keyPrefix: z.string().default(''),
  ttlSecondsWithoutExpiry: z.int().min(1).default(defaultTtlSecondsWithoutExpiry),
  storeBatchSize: z.int().min(1).max(10_000).default(defaultStoreBatchSize).meta({ fix: 'pass a store batch size from 1 to 10000, e.g. 250, or leave it out' }),
});

/** The reason of a failed key: the error's code or name and its message, card data masked. */
function describeError(error: unknown): string {
  if (PaymigrateError.isInstance(error)) return `${error.code}: ${error.message}`;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return redactSensitiveText(message);
}

/** Splits `items` into consecutive chunks of at most `size`. */
function chunksOf<Item>(items: readonly Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Iterates `batches` while asking for the next batch as soon as the current one is handed out, so
 * the enumeration of the store overlaps with the copy of the batch before.
 */
async function* prefetching<Batch>(batches: AsyncIterable<Batch>): AsyncGenerator<Batch> {
  const iterator = batches[Symbol.asyncIterator]();
  let next = iterator.next();
  let exhausted = false;
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) {
        exhausted = true;
        return;
      }
      next = iterator.next();
      // A failure of the prefetch surfaces when it is awaited; never as an unhandled rejection meanwhile.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    // Stopped early (abort, a failed checkpoint): let the store end its enumeration.
    if (!exhausted && iterator.return !== undefined) await iterator.return().catch(() => undefined);
  }
}

/** Mutable tallies of one run. */
class RunTally {
  readonly counts: { -readonly [Field in keyof SessionMigrationCounts]: number } = { ...emptySessionMigrationCounts };
  readonly quarantined: QuarantinedSessionSummary[] = [];
  readonly failures: FailedSessionSummary[] = [];
  keysSeen = 0;

  add(key: string, result: KeyOutcome): void {
    this.keysSeen += 1;
    this.counts[result.outcome] += 1;
    if (result.outcome === 'quarantined') {
      this.quarantined.push({ key, kind: result.kind, rebuild: result.rebuild });
      if (result.rebuild === 'rebuilt') this.counts.rebuilt += 1;
    } else if (result.outcome === 'failed') {
      this.failures.push({ key, reason: result.reason });
    } else if (result.outcome === 'migrated' || result.outcome === 'alreadyCurrent') {
      if (result.binding === 'rebound') this.counts.reboundPayments += 1;
      if (result.binding === 'unlocated') this.counts.unlocatedPayments += 1;
    }
  }
}

/**
 * Creates the Session Migration Controller. Nothing is read or written until a method is called.
 *
 * @throws ConfigurationError when an option is missing or invalid.
 * @example
 * const controller = createSessionMigrationController({ source, target, journal, platform, batchSize: 500, concurrency: 32, migrationId: 'sessions-1' });
 * const sessions = createMigratingSessionStore({ source, target, controller });
 * const report = await controller.migrate();
 * await controller.switchReads();
 * await controller.complete();
 */
export function createSessionMigrationController(options: SessionMigrationControllerOptions): SessionMigrationController {
  const parsed = parseOptions(optionsSchema, options, { component: 'sessions' });
  const { source, target, journal, platform, paymentLocator, batchSize, concurrency, migrationId, keyPrefix, ttlSecondsWithoutExpiry, storeBatchSize } = parsed;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.sessions' });
  const copied: Counter = (parsed.meter ?? defaultMeter()).createCounter('paymigrate.sessions.copied', {
    description: 'Sessions handled by the session migration, by outcome and origin (bulk, read-through).',
  });
  const maxValueBytes = target.capabilities.maxValueBytes;
  let createdAtCache: number | undefined;

  // ----- the journaled record -----

  const read = async (): Promise<VersionedSessionMigrationState | undefined> => {
    const record = await journal.get(sessionMigrationCollection, migrationId);
    if (record === undefined) return undefined;
    const versioned = parseSessionMigrationRecord(record);
    createdAtCache = versioned.state.createdAt;
    return versioned;
  };

  const write = async (state: SessionMigrationState, expectedVersion: number, attempted: string): Promise<VersionedSessionMigrationState> => {
    try {
      const result = await journal.write({
        puts: [{ collection: sessionMigrationCollection, key: migrationId, value: serializeSessionMigrationState(state), index: state.phase, expectedVersion }],
      });
      return { state, version: (result.records[0] as { version: number }).version };
    } catch (error) {
      if (VersionConflictError.isInstance(error)) throw new SessionMigrationConflictError({ migrationId, attempted, cause: error });
      throw error;
    }
  };

  const changePhase = async (
    current: VersionedSessionMigrationState,
    to: SessionMigrationPhase,
    input: SessionPhaseChangeInput,
    defaultReason: string,
    progress: SessionMigrationProgress | undefined = current.state.progress,
  ): Promise<VersionedSessionMigrationState> => {
    sessionMigrationPhaseMachine.assertTransition(current.state.phase, to, migrationId);
    const at = clock.now();
    const change = { from: current.state.phase, to, at, actor: input.actor ?? 'system', reason: input.reason ?? defaultReason };
    const next: SessionMigrationState = { ...current.state, phase: to, phaseChangedAt: at, history: [...current.state.history, change], progress };
    const written = await write(next, current.version, `the change to '${to}'`);
    logger.info({ migrationId, from: change.from, to, actor: change.actor, reason: change.reason }, 'session migration phase changed');
    return written;
  };

  const requirePhase = async (operation: string, allowed: readonly SessionMigrationPhase[]): Promise<VersionedSessionMigrationState> => {
    const current = await read();
    if (current === undefined || !allowed.includes(current.state.phase)) {
      throw new SessionMigrationPhaseError({ migrationId, operation, phase: current?.state.phase ?? 'not-started', allowedPhases: allowed });
    }
    return current;
  };

  const fallbackUpdatedAt = async (): Promise<number> => {
    if (createdAtCache === undefined) await read();
    return createdAtCache ?? clock.now();
  };

  // ----- one session -----

  /** Classifies what the target holds for a key against the text this copy would write. */
  const classifyExisting = (text: string, current: SessionEntry): WriteOutcome => {
    if (isTombstoneValue(current.value)) return { outcome: 'vanished' };
    return { outcome: sessionChecksum(current.value) === sessionChecksum(text) ? 'migrated' : 'alreadyCurrent', entry: current };
  };

  /**
   * What a write that succeeded left, checked against a re-read of the key: the same version with
   * the same bytes (SHA-256) is `migrated`; another version is a live write that came after.
   */
  const verifyWritten = (text: string, written: SessionEntry, reread: SessionEntry | undefined): WriteOutcome => {
    if (reread === undefined) return { outcome: 'failed', reason: 'absent from the target right after it was written (evicted?)' };
    if (reread.version !== written.version) return classifyExisting(text, reread);
    // `text` is the canonical JSON written: the stored bytes must hash the same.
    if (sha256Hex(reread.value) !== sha256Hex(text)) return { outcome: 'failed', reason: 'the target returned other bytes than were written (checksum mismatch)' };
    return { outcome: 'migrated', entry: reread };
  };

  /** Creates the key in the target if absent, then verifies what the target holds by checksum. */
  const writeIfAbsent = async (key: string, text: string, ttlSeconds: number): Promise<WriteOutcome> => {
    for (let attempt = 1; attempt <= absentWriteAttempts; attempt += 1) {
      const result = await target.compareAndSet(key, text, { ttlSeconds, expectedVersion: null });
      if (!result.ok) {
        // Present: a newer live write, a tombstone, or this copy from an earlier run.
        if (result.current !== undefined) return classifyExisting(text, result.current);
        continue;
      }
      return verifyWritten(text, result.entry, await target.get(key));
    }
    return { outcome: 'failed', reason: 'the key kept appearing and vanishing in the target' };
  };

  const rebuildFromPlatform = async (
    key: string,
    cartId: string | undefined,
    ttlSeconds: number,
  ): Promise<{ readonly rebuild: SessionRebuildOutcome; readonly entry?: SessionEntry | undefined; readonly detail?: string | undefined }> => {
    if (cartId === undefined) return { rebuild: 'no-cart-id' };
    if (platform === undefined) return { rebuild: 'no-platform' };
    let cart;
    try {
      cart = await platform.getCart({ cartId });
    } catch (error) {
      return { rebuild: 'platform-error', detail: describeError(error) };
    }
    if (cart === undefined) return { rebuild: 'cart-not-found' };
    const rebuilt = sessionFromPlatformCart(cart);
    if (rebuilt === undefined) return { rebuild: 'cart-unusable', detail: 'the platform cart does not make a valid session' };
    const written = await writeIfAbsent(key, rebuilt.text, ttlSeconds);
    switch (written.outcome) {
      case 'migrated':
        return { rebuild: 'rebuilt', entry: written.entry };
      case 'alreadyCurrent':
        return { rebuild: 'superseded', entry: written.entry };
      case 'vanished':
        return { rebuild: 'superseded' };
      default:
        throw new PaymigrateError('SESSION_COPY_FAILED', `Session '${key}': the rebuilt session could not be written: ${written.reason}.`);
    }
  };

  const recordQuarantine = async (record: SessionQuarantineRecord): Promise<void> => {
    const existing = await journal.get(sessionQuarantineCollection, record.key);
    try {
      await journal.write({
        puts: [{ collection: sessionQuarantineCollection, key: record.key, value: JSON.stringify(record), index: record.kind, expectedVersion: existing?.version ?? 0 }],
      });
    } catch (error) {
      // A read-through and the bulk copy quarantined the same session at once: one record is enough.
      if (!VersionConflictError.isInstance(error)) throw error;
    }
  };

  const quarantine = async (key: string, raw: string, kind: SessionQuarantineKind, reason: string, ttlSeconds: number): Promise<KeyOutcome> => {
    const cartId = recoverCartId(raw);
    const { rebuild, entry, detail } = await rebuildFromPlatform(key, cartId, ttlSeconds);
    await recordQuarantine({
      migrationId,
      key,
      kind,
      reason,
      detectedAt: clock.now(),
      rawLength: raw.length,
      sha256: sha256Hex(raw),
      // Never the raw text of a session with card data; every other kind was scanned clean.
      raw: kind === 'card-data' ? undefined : raw,
      cartId,
      rebuild,
      rebuildDetail: detail,
    });
    logger.warn({ migrationId, key, kind, rebuild }, 'session quarantined');
    return { outcome: 'quarantined', kind, rebuild, entry };
  };

  /**
   * Everything before the write, for a session read from the source: expiry, transform, payment
   * binding, card-data and size checks, quarantine. Either the key's outcome, or the text to
   * create in the target.
   */
  const prepareCopy = async (key: string, entry: SessionEntry | undefined, updatedAtFallback: number): Promise<PreparedCopy> => {
    if (entry === undefined || isTombstoneValue(entry.value)) return { done: { outcome: 'vanished' } };
    const ttlSeconds = remainingTtlSeconds(entry.expiresAt, clock.now(), ttlSecondsWithoutExpiry);
    if (ttlSeconds <= 0) return { done: { outcome: 'expired' } };
    const parsedSession = parseSession(entry.value, { fallbackUpdatedAt: updatedAtFallback });
    if (!parsedSession.ok) return { done: await quarantine(key, entry.value, parsedSession.failure.kind, parsedSession.failure.reason, ttlSeconds) };
    const { session, binding } = await bindCheckoutPayment(parsedSession.session, paymentLocator);
    const text = serializeSession(session);
    if (binding === 'rebound' && findSensitiveDataInText(text).length > 0) {
      return { done: await quarantine(key, entry.value, 'card-data', 'the payment locator returned cardholder data', ttlSeconds) };
    }
    if (maxValueBytes !== undefined && Buffer.byteLength(text, 'utf8') > maxValueBytes) {
      return { done: await quarantine(key, entry.value, 'too-large', `${Buffer.byteLength(text, 'utf8')} bytes, the target takes at most ${maxValueBytes}`, ttlSeconds) };
    }
    return { write: { text, ttlSeconds, sourceExpiresAt: entry.expiresAt, binding } };
  };

  /** The key's outcome from what the target holds after the write. */
  const afterWrite = (written: WriteOutcome, binding: CheckoutBinding): KeyOutcome =>
    written.outcome === 'migrated' || written.outcome === 'alreadyCurrent' ? { ...written, binding } : written;

  const failedWith = (error: unknown): KeyOutcome => ({ outcome: 'failed', reason: describeError(error), error });

  /** Copies one session with single-key calls: read-through, and the path a failed batch falls back to. */
  const copySession = async (key: string, updatedAtFallback: number): Promise<KeyOutcome> => {
    try {
      const prepared = await prepareCopy(key, await source.get(key), updatedAtFallback);
      if (prepared.done !== undefined) return prepared.done;
      const { text, ttlSeconds, binding } = prepared.write;
      return afterWrite(await writeIfAbsent(key, text, ttlSeconds), binding);
    } catch (error) {
      return failedWith(error);
    }
  };

  /**
   * Copies a chunk of sessions with three batched store calls: read the source (`getMany`), create
   * the absent keys in the target (`compareAndSetMany` with `expectedVersion: null`, so a live
   * write is never overwritten), read them back (`getMany`) and verify by checksum. Each key ends
   * exactly as `copySession` would end it. When a batched call fails, the keys it covered take the
   * single-key path, so one bad key or a transient failure costs only that key its copy.
   */
  const copyChunk = async (keys: readonly string[], updatedAtFallback: number): Promise<readonly KeyOutcome[]> => {
    let entries: readonly (SessionEntry | undefined)[];
    try {
      entries = await getSessionEntries(source, keys, { fallbackConcurrency: concurrency });
    } catch {
      return mapConcurrently(keys, concurrency, (key) => copySession(key, updatedAtFallback));
    }
    const outcomes = new Array<KeyOutcome>(keys.length);
    const writes: PendingWrite[] = [];
    // Parsing and transforming a chunk is CPU work without a single wait in between: the chunk is
    // prepared a slice at a time, yielding to the event loop between slices, so the application's
    // live reads and writes on this process are not held up behind it.
    const slices = chunksOf(keys.map((_, position) => position), yieldEverySessions);
    for (const [sliceIndex, slice] of slices.entries()) {
      if (sliceIndex > 0) await yieldToEventLoop();
      await mapConcurrently(slice, concurrency, async (position) => {
        const key = keys[position] as string;
        try {
          const prepared = await prepareCopy(key, entries[position], updatedAtFallback);
          if (prepared.done !== undefined) outcomes[position] = prepared.done;
          else writes.push({ position, key, text: prepared.write.text, sourceExpiresAt: prepared.write.sourceExpiresAt, binding: prepared.write.binding });
        } catch (error) {
          outcomes[position] = failedWith(error);
        }
      });
    }
    const written = await createInTarget(writes);
    writes.forEach((write, index) => {
      outcomes[write.position] = afterWrite(written[index] as WriteOutcome, write.binding);
    });
    return outcomes;
  };

  /** Creates the keys of `writes` in the target if absent and verifies them (see `copyChunk`); one outcome per write. */
  const createInTarget = async (writes: readonly PendingWrite[]): Promise<readonly WriteOutcome[]> => {
    if (writes.length === 0) return [];
    // The remaining TTL as of now, not as of the read: a chunk may have waited for the ones ahead of
    // it, and the copy must not outlive the source by that wait. At least 1 s: the rounding up of
    // `remainingTtlSeconds` already lets a copy outlive its source by under a second.
    const ttlSecondsNow = (write: PendingWrite): number => Math.max(1, remainingTtlSeconds(write.sourceExpiresAt, clock.now(), ttlSecondsWithoutExpiry));
    const single = (write: PendingWrite): Promise<WriteOutcome> =>
      writeIfAbsent(write.key, write.text, ttlSecondsNow(write)).catch((error: unknown) => ({ outcome: 'failed' as const, reason: describeError(error) }));
    let results;
    try {
      results = await compareAndSetSessionEntries(
        target,
        writes.map((write) => ({ key: write.key, value: write.text, ttlSeconds: ttlSecondsNow(write), expectedVersion: null })),
        { fallbackConcurrency: concurrency },
      );
    } catch {
      return mapConcurrently(writes, concurrency, single);
    }
    const createdPositions = results.flatMap((result, index) => (result.ok ? [index] : []));
    let rereads: readonly (SessionEntry | undefined)[] | undefined;
    try {
      rereads = await getSessionEntries(target, createdPositions.map((index) => (writes[index] as PendingWrite).key), { fallbackConcurrency: concurrency });
    } catch {
      rereads = undefined;
    }
    const rereadOf = new Map(createdPositions.map((index, position) => [index, rereads?.[position]]));
    return mapConcurrently(writes, concurrency, async (write, index) => {
      const result = results[index] as SessionCompareAndSetResult;
      if (!result.ok) {
        // Present: a newer live write, a tombstone, or this copy from an earlier run.
        if (result.current !== undefined) return classifyExisting(write.text, result.current);
        // Vanished between the comparison and its answer: the single-key path retries.
        return single(write);
      }
      if (rereads === undefined) {
        try {
          return verifyWritten(write.text, result.entry, await target.get(write.key));
        } catch (error) {
          return { outcome: 'failed', reason: describeError(error) };
        }
      }
      return verifyWritten(write.text, result.entry, rereadOf.get(index));
    });
  };

  // ----- the operations -----

  const startRun = async (): Promise<VersionedSessionMigrationState> => {
    const current = await read();
    if (current === undefined) {
      const at = clock.now();
      const state: SessionMigrationState = {
        migrationId,
        phase: 'copying',
        createdAt: at,
        phaseChangedAt: at,
        history: [{ from: null, to: 'copying', at, actor: 'system', reason: 'session migration started' }],
        progress: undefined,
      };
      const created = await write(state, 0, 'the start');
      createdAtCache = at;
      logger.info({ migrationId }, 'session migration started');
      return created;
    }
    if (current.state.phase === 'copying') return current;
    if (current.state.phase === 'verifying') return changePhase(current, 'copying', {}, 'copy run restarted');
    throw new SessionMigrationPhaseError({ migrationId, operation: 'migrate', phase: current.state.phase, allowedPhases: ['not-started', 'copying', 'verifying'] });
  };

  const migrate = async (runOptions: { readonly signal?: AbortSignal | undefined } = {}): Promise<SessionMigrationReport> => {
    const { signal } = runOptions;
    signal?.throwIfAborted();
    let current = await startRun();
    const previous = current.state.progress;
    const resumedRun = previous !== undefined && !previous.complete ? previous.run : undefined;
    const run = (previous?.run ?? 0) + 1;
    const startedAt = clock.now();
    const updatedAtFallback = current.state.createdAt;
    const tally = new RunTally();
    const seen = new Set<string>();
    let batchesDone = 0;
    const progress = (complete: boolean): SessionMigrationProgress => ({
      run,
      startedAt,
      batches: batchesDone,
      keysSeen: tally.keysSeen,
      counts: { ...tally.counts },
      complete,
      finishedAt: complete ? clock.now() : undefined,
    });
    const checkpoint = async (): Promise<void> => {
      current = await write({ ...current.state, progress: progress(false) }, current.version, 'a checkpoint');
    };
    logger.info({ migrationId, run, resumedRun }, resumedRun === undefined ? 'session copy run started' : 'session copy run resumed (re-run)');
    // Checkpoints never hold up the copy: one is written at a time, in the background, with the
    // progress of the moment it starts; batches finished while it is being written are recorded by
    // the next one, started as soon as it lands. (A journal write is an fsync: on a busy disk it
    // takes longer than copying a batch.) A failed checkpoint stops the run at the next batch.
    let checkpointing: Promise<void> | undefined;
    let checkpointWanted = false;
    let checkpointFailure: { readonly error: unknown } | undefined;
    const requestCheckpoint = (): void => {
      // After a failed checkpoint nothing more is written: the run stops at the next batch.
      if (checkpointFailure !== undefined) return;
      checkpointWanted = true;
      checkpointing ??= (async () => {
        try {
          while (checkpointWanted) {
            checkpointWanted = false;
            await checkpoint();
          }
        } catch (error) {
          checkpointFailure = { error };
        } finally {
          checkpointing = undefined;
        }
      })();
    };
    /** Waits for the checkpoints requested so far, and rethrows a failed one. */
    const checkpointsWritten = async (): Promise<void> => {
      await checkpointing;
      if (checkpointFailure !== undefined) throw checkpointFailure.error;
    };
    requestCheckpoint();
    const copyAndTally = async (chunk: readonly string[]): Promise<void> => {
      const outcomes = await copyChunk(chunk, updatedAtFallback);
      chunk.forEach((key, position) => {
        const result = outcomes[position] as KeyOutcome;
        tally.add(key, result);
        copied.add(1, { outcome: result.outcome, origin: 'bulk' });
        if (result.outcome === 'failed') logger.warn({ migrationId, key, reason: result.reason }, 'session copy failed');
      });
    };
    // A window of `concurrency` chunks in flight across batch boundaries: the chunks of the next
    // batch start while the slowest of the current one still runs (each chunk is three round trips,
    // and a busy server makes round trips, not CPU, the limit). Batches complete in order.
    const inFlight = new Set<Promise<void>>();
    let batchesCompleted: Promise<void> = Promise.resolve();
    try {
      const batches = prefetching(source.enumerate({ prefix: keyPrefix, batchSize }));
      for await (const batch of batches) {
        const keys: string[] = [];
        for (const key of batch) {
          if (seen.has(key)) continue;
          seen.add(key);
          keys.push(key);
        }
        const chunks: Promise<void>[] = [];
        for (const chunk of chunksOf(keys, storeBatchSize)) {
          while (inFlight.size >= concurrency) await Promise.race(inFlight);
          if (signal?.aborted === true) break;
          const copying = copyAndTally(chunk).finally(() => inFlight.delete(copying));
          inFlight.add(copying);
          chunks.push(copying);
        }
        const batchCopied = Promise.all(chunks);
        batchesCompleted = batchesCompleted.then(async () => {
          await batchCopied;
          batchesDone += 1;
          requestCheckpoint();
        });
        if (checkpointFailure !== undefined) throw checkpointFailure.error;
        if (signal?.aborted === true) break;
      }
      await batchesCompleted;
    } finally {
      // Whatever stopped the run, the chunks in flight finish and the checkpoints requested land
      // (or fail) before it is reported.
      await Promise.allSettled([...inFlight]);
      await batchesCompleted.catch(() => undefined);
      await checkpointing;
    }
    await checkpointsWritten();
    signal?.throwIfAborted();
    current = await changePhase(current, 'verifying', {}, `copy run ${run} complete`, progress(true));
    const report: SessionMigrationReport = {
      migrationId,
      run,
      resumedRun,
      phase: current.state.phase,
      keysSeen: tally.keysSeen,
      counts: { ...tally.counts },
      quarantined: tally.quarantined,
      failures: tally.failures,
      startedAt,
      finishedAt: (current.state.progress as SessionMigrationProgress).finishedAt as number,
    };
    logger.info({ migrationId, run, keysSeen: report.keysSeen, counts: report.counts }, 'session copy run complete');
    return report;
  };

  const copyThrough = async (key: string): Promise<SessionEntry | undefined> => {
    const result = await copySession(key, await fallbackUpdatedAt());
    copied.add(1, { outcome: result.outcome, origin: 'read-through' });
    switch (result.outcome) {
      case 'migrated':
      case 'alreadyCurrent':
      case 'quarantined':
        return result.entry;
      case 'failed':
        throw PaymigrateError.isInstance(result.error)
          ? result.error
          : new PaymigrateError('SESSION_COPY_FAILED', `Session '${key}' could not be copied to the target: ${result.reason}.`, { cause: result.error, isRetryable: true });
      default:
        return undefined;
    }
  };

  const switchReads = async (input: SessionPhaseChangeInput = {}): Promise<SessionMigrationState> => {
    const current = await requirePhase('switchReads', ['verifying']);
    const failed = (current.state.progress as SessionMigrationProgress).counts.failed;
    if (failed > 0) throw new SessionSwitchRefusedError({ migrationId, failed });
    return (await changePhase(current, 'reads-switched', input, 'copy verified; reads served by the target')).state;
  };

  const complete = async (input: SessionPhaseChangeInput = {}): Promise<SessionMigrationState> => {
    const current = await requirePhase('complete', ['reads-switched']);
    return (await changePhase(current, 'done', input, 'migration complete; the source is no longer written')).state;
  };

  const rollback = async (input: SessionPhaseChangeInput = {}): Promise<SessionMigrationState> => {
    const current = await requirePhase('rollback', ['copying', 'verifying', 'reads-switched', 'rolled-back']);
    if (current.state.phase === 'rolled-back') return current.state;
    return (await changePhase(current, 'rolled-back', input, 'rolled back to the source')).state;
  };

  const readPhase = async (): Promise<SessionMigrationPhaseInfo> => {
    const state = (await read())?.state;
    return { phase: state?.phase ?? 'not-started', changedAt: state?.phaseChangedAt };
  };

  const status = async (): Promise<SessionMigrationState | undefined> => (await read())?.state;

  return Object.freeze({ migrationId, migrate, switchReads, complete, rollback, status, readPhase, copyThrough });
}
