import type { Counter, Meter } from '@opentelemetry/api';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import { SensitiveDataError } from '../pci/sensitive-data-error.js';
import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type {
  SessionCompareAndSetResult,
  SessionEntry,
  SessionStoreCapabilities,
  SessionStoreV1,
  SessionWriteOptions,
} from '../ports/session-store/v1/session-store.js';
import { SessionDualWriteError, SessionWritesPausedError } from './session-errors.js';
import type { SessionMigrationLink, SessionMigrationPhaseInfo } from './session-migration-controller.js';
import type { SessionMigrationPhaseOrNotStarted } from './session-migration-state.js';
import { liveEntry, remainingTtlSeconds, tombstoneValue } from './session-values.js';

/** Options of `createMigratingSessionStore`. Validated once, at construction. */
export interface MigratingSessionStoreOptions {
  /** The store sessions move from (the application's store before the migration). */
  readonly source: SessionStoreV1;
  /** The store sessions move to. */
  readonly target: SessionStoreV1;
  /** The controller of the migration (or anything giving its phase and a per-key copy). */
  readonly controller: SessionMigrationLink;
  /** Decides phase cache expiry and remaining TTLs. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /**
   * How long a phase read from the journal is used before it is read again, milliseconds. 0 reads
   * it for every call.
   * @default 1000
   */
  readonly phaseCacheMs?: number | undefined;
  /**
   * How long writes pause after a rollback, milliseconds, counted from the rollback's journal time:
   * until every node has read the rollback (`phaseCacheMs`) and finished the writes it started on
   * the target, no node may compare-and-set on the source. Must cover `phaseCacheMs`, the slowest
   * write and the clock skew between nodes.
   * @default 5000
   */
  readonly rollbackFenceMs?: number | undefined;
  /** @default createLogger({ name: 'paymigrate.sessions.live' }) */
  readonly logger?: Logger | undefined;
  /** Records `paymigrate.sessions.live.repairs` (attribute `kind`). @default defaultMeter() */
  readonly meter?: Meter | undefined;
}

type StoreRole = 'source' | 'target';

/** How the live store behaves in one phase. */
interface PhaseMode {
  /** Where reads are served from and writes land first. */
  readonly primary: StoreRole;
  /** What happens to the other store's copy on a write: kept equal (`mirror`), removed (`remove`), nothing. */
  readonly secondary: 'mirror' | 'remove' | undefined;
  /**
   * A read the primary cannot answer: `copy-through` asks the controller to copy the session from
   * the source; `adopt` copies the target's copy back into the source (after a rollback).
   */
  readonly fallback: 'copy-through' | 'adopt' | undefined;
  /** Whether a delete leaves a tombstone in the target, so an in-flight copy cannot resurrect it. */
  readonly tombstones: boolean;
  /** Whether writes are refused (`SessionWritesPausedError`): right after a rollback. */
  readonly writesPaused: boolean;
}

/** Reads and writes by the target, the source kept equal: the migration window. */
const windowMode: PhaseMode = { primary: 'target', secondary: 'mirror', fallback: 'copy-through', tombstones: true, writesPaused: false };

/** Back on the source after a rollback; target copies are removed as sessions change. */
const rolledBackMode: PhaseMode = { primary: 'source', secondary: 'remove', fallback: 'adopt', tombstones: false, writesPaused: false };

/**
 * The live behaviour by phase. There is one store every node compares-and-sets against (the
 * target from the moment the live store is deployed, the source again after a rollback), so two
 * nodes can never both win a compare-and-set on different stores. `not-started` already behaves
 * like `copying`: deploying the live store opens the window, and no node switches its store when
 * the bulk copy starts.
 */
const phaseModes: { readonly [Phase in SessionMigrationPhaseOrNotStarted]: PhaseMode } = {
  'not-started': windowMode,
  copying: windowMode,
  verifying: windowMode,
  'reads-switched': { ...windowMode, fallback: undefined },
  done: { primary: 'target', secondary: undefined, fallback: undefined, tombstones: false, writesPaused: false },
  'rolled-back': rolledBackMode,
};

/** Right after a rollback: reads as after it, writes refused until every node switched. */
const rollbackFenceMode: PhaseMode = { ...rolledBackMode, writesPaused: true };

/** Versions handed out carry the store they came from, so a version of one store is never compared with the other's. */
const versionTags: { readonly [Role in StoreRole]: string } = { source: 's:', target: 't:' };

/** How often a mirror re-copies the target when concurrent writers keep changing the key. */
const mirrorRounds = 5;

/** TTL given to an adopted copy without expiry, seconds. */
const adoptTtlSecondsWithoutExpiry = 86_400;

const storeSchema = z.custom<SessionStoreV1>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    ['get', 'set', 'compareAndSet', 'delete', 'enumerate', 'close'].every((method) => typeof Reflect.get(value, method) === 'function'),
  { message: 'must be a SessionStoreV1' },
);

function objectWith<Value>(method: string, message: string) {
  return z.custom<Value>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, method) === 'function', { message });
}

const optionsSchema = z.object({
  source: storeSchema,
  target: storeSchema,
  controller: objectWith<SessionMigrationLink>('readPhase', 'must have readPhase() and copyThrough(key)').meta({
    fix: 'pass the SessionMigrationController of this migration',
  }),
  clock: objectWith<ClockV1>('now', 'must be a ClockV1').optional(),
  phaseCacheMs: z.int().min(0).default(1000),
  rollbackFenceMs: z.int().min(0).default(5000),
  logger: objectWith<Logger>('info', 'must be a logger (createLogger)').optional(),
  meter: objectWith<Meter>('createCounter', 'must be an OpenTelemetry Meter').optional(),
}).superRefine((options, context) => {
  if (options.rollbackFenceMs < options.phaseCacheMs) {
    context.addIssue({ code: 'custom', path: ['rollbackFenceMs'], message: `must be at least phaseCacheMs (${options.phaseCacheMs})` });
  }
});

function combinedCapabilities(source: SessionStoreV1, target: SessionStoreV1): SessionStoreCapabilities {
  const limits = [source.capabilities.maxValueBytes, target.capabilities.maxValueBytes].filter((limit): limit is number => limit !== undefined);
  return Object.freeze({
    enumeration: target.capabilities.enumeration,
    ttlGranularity: source.capabilities.ttlGranularity === 'seconds' || target.capabilities.ttlGranularity === 'seconds' ? 'seconds' : 'milliseconds',
    maxValueBytes: limits.length === 0 ? undefined : Math.min(...limits),
  });
}

/**
 * The `SessionStoreV1` the application uses while its sessions move (invariant 7: a session is
 * never absent from both stores; a write is never lost). Its behaviour follows the migration's
 * journaled phase (cached for `phaseCacheMs`):
 *
 * | phase | reads | writes and deletes |
 * |---|---|---|
 * | not-started, copying, verifying | target, else copied through from the source | target, then mirrored to the source |
 * | reads-switched | target | target, then mirrored to the source |
 * | done | target | target |
 * | rolled-back (first `rollbackFenceMs`) | source, else adopted from the target | refused: `SessionWritesPausedError` (retryable) |
 * | rolled-back | source, else adopted from the target | source; the target's copy is removed |
 *
 * Deploy it on every node before `migrate()`: it opens the window itself (`not-started` behaves
 * like `copying`), so no node ever changes the store it compares-and-sets against while another
 * still uses the old one. The one change of store, the rollback, pauses writes until every node
 * has switched.
 *
 * Decisions:
 * - Writes go to the store reads are served from FIRST. A write that resolved is visible to every
 *   read at once, and the store reads come from is never older than the other. Then the other store
 *   is brought up to the primary's current state, re-reading the primary until it did not change
 *   meanwhile, so concurrent writers can never leave an older value there (the last writer to finish
 *   always copies the final state). If the mirror fails, the other copy is removed rather than left
 *   older; if even that fails, `SessionDualWriteError` (retryable) is thrown.
 * - `compareAndSet` compares against the primary's version. Versions handed out carry their store
 *   (`t:` / `s:`), so after a phase change an old version fails the comparison instead of matching
 *   a number of the other store by accident; the caller re-reads and retries as after any conflict.
 *   `expectedVersion: null` means absent from both stores: a session still only in the source is
 *   copied first, and the comparison fails with it as `current`.
 * - Deletes during the window leave a tombstone in the target (read as absent, expiring with the
 *   session), so a copy of the session already in flight cannot bring it back.
 * - Values holding cardholder data are refused with `SensitiveDataError` (boundary `session`).
 */
export function createMigratingSessionStore(options: MigratingSessionStoreOptions): SessionStoreV1 {
  const parsed = parseOptions(optionsSchema, options, { component: 'sessions.live' });
  const { source, target, controller, phaseCacheMs, rollbackFenceMs } = parsed;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.sessions.live' });
  const repairs: Counter = (parsed.meter ?? defaultMeter()).createCounter('paymigrate.sessions.live.repairs', {
    description: 'Live session writes whose copy in the other store had to be removed, or could not be updated.',
  });
  const stores: { readonly [Role in StoreRole]: SessionStoreV1 } = { source, target };
  const otherRole = (role: StoreRole): StoreRole => (role === 'source' ? 'target' : 'source');

  let cached: { readonly phase: SessionMigrationPhaseInfo; readonly readAt: number } | undefined;
  let refreshing: Promise<SessionMigrationPhaseInfo> | undefined;

  const currentPhase = async (): Promise<SessionMigrationPhaseInfo> => {
    if (cached !== undefined && clock.now() - cached.readAt < phaseCacheMs) return cached.phase;
    refreshing ??= (async () => {
      try {
        const phase = await controller.readPhase();
        cached = { phase, readAt: clock.now() };
        return phase;
      } finally {
        refreshing = undefined;
      }
    })();
    try {
      return await refreshing;
    } catch (error) {
      if (cached === undefined) throw error;
      logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'session migration phase unreadable; using the last one read');
      return cached.phase;
    }
  };

  const currentMode = async (): Promise<PhaseMode> => {
    const { phase, changedAt } = await currentPhase();
    return phase === 'rolled-back' && clock.now() < (changedAt as number) + rollbackFenceMs ? rollbackFenceMode : phaseModes[phase];
  };

  /** The mode for a write: refused while writes are paused after a rollback. */
  const writeMode = async (key: string): Promise<PhaseMode> => {
    const mode = await currentMode();
    if (mode.writesPaused) {
      const { changedAt } = await currentPhase();
      throw new SessionWritesPausedError({ key, retryAfterMs: Math.max(1, (changedAt as number) + rollbackFenceMs - clock.now()) });
    }
    return mode;
  };

  const tagged = (role: StoreRole, entry: SessionEntry): SessionEntry => Object.freeze({ ...entry, version: versionTags[role] + entry.version });

  /** The entry as the application sees it: tagged, tombstones absent. */
  const visible = (role: StoreRole, entry: SessionEntry | undefined): SessionEntry | undefined => {
    const live = liveEntry(entry);
    return live === undefined ? undefined : tagged(role, live);
  };

  const assertNoCardData = (value: string): void => {
    const findings = findSensitiveDataInText(value);
    if (findings.length > 0) throw new SensitiveDataError({ boundary: 'session', findings });
  };

  /** A read the primary could not answer; `undefined` when neither store has the session. */
  const fallbackRead = async (mode: PhaseMode, key: string): Promise<SessionEntry | undefined> => {
    if (mode.fallback === 'copy-through') return visible('target', await controller.copyThrough(key));
    if (mode.fallback === undefined) return undefined;
    // adopt: after a rollback, a session whose source copy a failed mirror removed lives on in the target.
    const entry = liveEntry(await target.get(key));
    if (entry === undefined) return undefined;
    const ttlSeconds = remainingTtlSeconds(entry.expiresAt, clock.now(), adoptTtlSecondsWithoutExpiry);
    if (ttlSeconds <= 0) return undefined;
    const result = await source.compareAndSet(key, entry.value, { ttlSeconds, expectedVersion: null });
    return visible('source', result.ok ? result.entry : result.current);
  };

  /** Brings the source up to the target's state for `key`, starting from the state just written. */
  const mirrorToSource = async (key: string, written: SessionEntry, ttlSeconds: number): Promise<void> => {
    let state: SessionEntry | undefined = written;
    let ttl = ttlSeconds;
    for (let round = 1; round <= mirrorRounds; round += 1) {
      try {
        const live = liveEntry(state);
        if (live !== undefined && ttl > 0) await source.set(key, live.value, { ttlSeconds: ttl });
        else await source.delete(key);
      } catch (error) {
        try {
          await source.delete(key);
        } catch {
          repairs.add(1, { kind: 'mirror-failed' });
          throw new SessionDualWriteError({ key, store: 'source', cause: error });
        }
        repairs.add(1, { kind: 'mirror-removed' });
        logger.warn({ key }, 'session written to the target; its source copy could not be updated and was removed');
        return;
      }
      const check = await target.get(key);
      if (check?.version === state?.version) return;
      state = check;
      ttl = remainingTtlSeconds(check?.expiresAt, clock.now(), ttlSeconds);
    }
    // Other writers changed the key in every round; the last of them mirrors the final state.
    repairs.add(1, { kind: 'mirror-contended' });
  };

  const afterWrite = async (mode: PhaseMode, key: string, written: SessionEntry, ttlSeconds: number): Promise<void> => {
    if (mode.secondary === 'mirror') {
      await mirrorToSource(key, written, ttlSeconds);
    } else if (mode.secondary === 'remove') {
      await removeFromTarget(key);
    }
  };

  /** After a rollback: the target's copy would be older than the source from now on, so it goes. */
  const removeFromTarget = async (key: string): Promise<void> => {
    try {
      await target.delete(key);
    } catch (error) {
      repairs.add(1, { kind: 'target-remove-failed' });
      logger.warn({ key, error: error instanceof Error ? error.message : String(error) }, 'rolled back: the target copy could not be removed');
    }
  };

  const get = async (key: string): Promise<SessionEntry | undefined> => {
    const mode = await currentMode();
    const entry = await stores[mode.primary].get(key);
    if (entry !== undefined) return visible(mode.primary, entry);
    return fallbackRead(mode, key);
  };

  const set = async (key: string, value: string, writeOptions: SessionWriteOptions): Promise<SessionEntry> => {
    assertNoCardData(value);
    const mode = await writeMode(key);
    const written = await stores[mode.primary].set(key, value, writeOptions);
    await afterWrite(mode, key, written, writeOptions.ttlSeconds);
    return tagged(mode.primary, written);
  };

  const compareAndSet = async (
    key: string,
    value: string,
    writeOptions: SessionWriteOptions & { readonly expectedVersion: string | null },
  ): Promise<SessionCompareAndSetResult> => {
    assertNoCardData(value);
    const mode = await writeMode(key);
    const primary = stores[mode.primary];
    let expectedVersion: string | null = null;
    if (writeOptions.expectedVersion === null) {
      const current = await primary.get(key);
      const live = liveEntry(current);
      if (live !== undefined) return Object.freeze({ ok: false, current: tagged(mode.primary, live) });
      if (current !== undefined) {
        expectedVersion = current.version; // a tombstone: the session was deleted, it may be created again
      } else {
        const elsewhere = await fallbackRead(mode, key);
        if (elsewhere !== undefined) return Object.freeze({ ok: false, current: elsewhere });
      }
    } else {
      const tag = versionTags[mode.primary];
      if (!writeOptions.expectedVersion.startsWith(tag)) return Object.freeze({ ok: false, current: await get(key) });
      expectedVersion = writeOptions.expectedVersion.slice(tag.length);
    }
    const result = await primary.compareAndSet(key, value, { ttlSeconds: writeOptions.ttlSeconds, expectedVersion });
    if (!result.ok) return Object.freeze({ ok: false, current: visible(mode.primary, result.current) });
    await afterWrite(mode, key, result.entry, writeOptions.ttlSeconds);
    return Object.freeze({ ok: true, entry: tagged(mode.primary, result.entry) });
  };

  const deleteDuringWindow = async (key: string): Promise<boolean> => {
    const [inTarget, inSource] = await Promise.all([target.get(key), source.get(key)]);
    const now = clock.now();
    const lifetimes = [liveEntry(inTarget), liveEntry(inSource)]
      .filter((entry) => entry !== undefined)
      .map((entry) => remainingTtlSeconds(entry.expiresAt, now, adoptTtlSecondsWithoutExpiry));
    const existed = lifetimes.length > 0;
    if (existed) await target.set(key, tombstoneValue(now), { ttlSeconds: Math.max(1, ...lifetimes) });
    try {
      await source.delete(key);
    } catch (error) {
      repairs.add(1, { kind: 'mirror-failed' });
      throw new SessionDualWriteError({ key, store: 'source', cause: error });
    }
    return existed;
  };

  const remove = async (key: string): Promise<boolean> => {
    const mode = await writeMode(key);
    if (mode.tombstones) return deleteDuringWindow(key);
    const primary = stores[mode.primary];
    const before = mode.primary === 'target' ? await target.get(key) : undefined;
    const removed = await primary.delete(key);
    if (mode.secondary === 'remove') await removeFromTarget(key);
    return mode.primary === 'target' ? removed && liveEntry(before) !== undefined : removed;
  };

  async function* enumerate(enumerateOptions: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined } = {}): AsyncIterable<readonly string[]> {
    const mode = await currentMode();
    yield* stores[mode.primary].enumerate(enumerateOptions);
    if (mode.fallback !== undefined) yield* stores[otherRole(mode.primary)].enumerate(enumerateOptions);
  }

  const close = async (): Promise<void> => {
    await Promise.all([source.close(), target.close()]);
  };

  return Object.freeze({
    specificationVersion: 'v1' as const,
    name: `migrating(${source.name}->${target.name})`,
    capabilities: combinedCapabilities(source, target),
    get,
    set,
    compareAndSet,
    delete: remove,
    enumerate,
    close,
  });
}
