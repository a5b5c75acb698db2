import type { Meter } from '@opentelemetry/api';
import { createSeededRandom, InMemoryJournal, InMemorySessionStore, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { SensitiveDataError } from '../pci/sensitive-data-error.js';
import type { SessionEntry, SessionStoreV1 } from '../ports/session-store/v1/session-store.js';
import {
  HookedSessionStore,
  sessionV1Text,
  sessionV2Text,
  silentLogger,
  testCardNumber,
  yieldToEventLoop,
} from './__fixtures__/session-fixtures.js';
import { createMigratingSessionStore } from './migrating-session-store.js';
import { SessionDualWriteError, SessionWritesPausedError } from './session-errors.js';
import { createSessionMigrationController, type SessionMigrationLink } from './session-migration-controller.js';
import type { SessionMigrationPhaseOrNotStarted } from './session-migration-state.js';
import { parseSession, type SessionV2 } from './session-schema.js';
import { isTombstoneValue, serializeSession, sessionChecksum, tombstoneValue } from './session-values.js';

const ttlSeconds = 3600;

/** A meter that remembers every counter increment. */
function recordingMeter(): { meter: Meter; added: Array<{ name: string; attributes: unknown }> } {
  const added: Array<{ name: string; attributes: unknown }> = [];
  const meter = { createCounter: (name: string) => ({ add: (_value: number, attributes: unknown) => added.push({ name, attributes }) }) } as unknown as Meter;
  return { meter, added };
}

interface LiveHarness {
  readonly clock: ManualClock;
  readonly sourceStore: InMemorySessionStore;
  readonly targetStore: InMemorySessionStore;
  readonly source: HookedSessionStore;
  readonly target: HookedSessionStore;
  readonly live: SessionStoreV1;
  readonly link: SessionMigrationLink & { phase: SessionMigrationPhaseOrNotStarted; changedAt: number | undefined; phaseReads: number; failPhaseRead: boolean };
  readonly added: Array<{ name: string; attributes: unknown }>;
}

/** A live store on in-memory stores with a controllable phase; copy-through by a real controller. */
async function liveHarness(phase: SessionMigrationPhaseOrNotStarted, phaseCacheMs = 0, rollbackFenceMs = 0): Promise<LiveHarness> {
  const clock = new ManualClock();
  const sourceStore = new InMemorySessionStore({ clock });
  const targetStore = new InMemorySessionStore({ clock });
  const source = new HookedSessionStore(sourceStore, 'memcached');
  const target = new HookedSessionStore(targetStore, 'redis');
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const controller = createSessionMigrationController({ source, target, journal, clock, logger: silentLogger, batchSize: 10, concurrency: 2, migrationId: 'm' });
  const link = {
    phase,
    changedAt: phase === 'not-started' ? undefined : clock.now(),
    phaseReads: 0,
    failPhaseRead: false,
    async readPhase() {
      link.phaseReads += 1;
      if (link.failPhaseRead) throw new Error('journal unreachable');
      return { phase: link.phase, changedAt: link.changedAt };
    },
    copyThrough: (key: string) => controller.copyThrough(key),
  };
  const { meter, added } = recordingMeter();
  const live = createMigratingSessionStore({ source, target, controller: link, clock, phaseCacheMs, rollbackFenceMs, logger: silentLogger, meter });
  return { clock, sourceStore, targetStore, source, target, live, link, added };
}

function preferencesOf(entry: SessionEntry | undefined): Record<string, string> | undefined {
  if (entry === undefined) return undefined;
  const parsed = parseSession(entry.value);
  if (!parsed.ok) throw new Error(`unreadable session ${entry.key}: ${parsed.failure.reason}`);
  return { ...parsed.session.preferences };
}

describe('live store by phase', () => {
  it('not-started: already the window (deploying the live store opens it): target first, source mirrored', async () => {
    const { live, sourceStore, targetStore } = await liveHarness('not-started');
    await sourceStore.set('s:old', sessionV2Text(), { ttlSeconds });
    expect((await live.get('s:old'))?.version).toMatch(/^t:/);
    const written = await live.set('s:1', sessionV2Text(), { ttlSeconds });
    expect(written.version).toMatch(/^t:/);
    expect((await targetStore.get('s:1'))?.value).toBe(sessionV2Text());
    expect((await sourceStore.get('s:1'))?.value).toBe(sessionV2Text());
  });

  it('copying: reads the target and copies a source-only session through, transformed', async () => {
    const { live, sourceStore, targetStore } = await liveHarness('copying');
    await sourceStore.set('s:1', sessionV1Text(), { ttlSeconds });
    const read = await live.get('s:1');
    expect(read?.version).toMatch(/^t:/);
    expect(read?.value).toBe(serializeSession((parseSession(sessionV1Text()) as { session: SessionV2 }).session));
    expect((await targetStore.get('s:1'))?.value).toBe(read?.value);
    expect(await live.get('s:absent')).toBeUndefined();
  });

  it('copying: writes the target first, then mirrors the source', async () => {
    const { live, source, sourceStore, targetStore } = await liveHarness('copying');
    const order: string[] = [];
    source.before = (operation) => {
      order.push(`source.${operation}`);
    };
    const written = await live.set('s:1', sessionV2Text(), { ttlSeconds });
    expect(written.version).toMatch(/^t:/);
    expect(order).toStrictEqual(['source.set']);
    expect((await targetStore.get('s:1'))?.value).toBe(sessionV2Text());
    expect((await sourceStore.get('s:1'))?.value).toBe(sessionV2Text());
  });

  it('compareAndSet compares with the target version and mirrors the result', async () => {
    const { live, sourceStore } = await liveHarness('copying');
    const first = await live.compareAndSet('s:1', sessionV2Text(), { ttlSeconds, expectedVersion: null });
    expect(first.ok).toBe(true);
    const entry = (first as { entry: SessionEntry }).entry;
    const changed = sessionV2Text({ preferences: { language: 'fr' } });
    expect((await live.compareAndSet('s:1', changed, { ttlSeconds, expectedVersion: entry.version })).ok).toBe(true);
    const stale = await live.compareAndSet('s:1', sessionV2Text(), { ttlSeconds, expectedVersion: entry.version });
    expect(stale).toMatchObject({ ok: false, current: { value: changed } });
    expect((await sourceStore.get('s:1'))?.value).toBe(changed);
  });

  it('compareAndSet(null) means absent from BOTH stores: a source-only session is copied and reported as current', async () => {
    const { live, sourceStore, targetStore } = await liveHarness('copying');
    await sourceStore.set('s:1', sessionV2Text(), { ttlSeconds });
    const result = await live.compareAndSet('s:1', sessionV2Text({ preferences: {} }), { ttlSeconds, expectedVersion: null });
    expect(result).toMatchObject({ ok: false, current: { value: sessionV2Text() } });
    expect((await targetStore.get('s:1'))?.value).toBe(sessionV2Text());
    await targetStore.set('s:2', sessionV2Text(), { ttlSeconds });
    expect(await live.compareAndSet('s:2', sessionV2Text(), { ttlSeconds, expectedVersion: null })).toMatchObject({ ok: false });
  });

  it("a version of the other store never matches by accident: the caller gets a conflict and today's entry", async () => {
    const { live, link, targetStore } = await liveHarness('rolled-back');
    const fromSource = await live.set('s:1', sessionV2Text(), { ttlSeconds });
    expect(fromSource.version).toMatch(/^s:/);
    link.phase = 'copying';
    // The target's own counter could reach the same number; the tag tells the stores apart.
    await targetStore.set('s:other', '{}', { ttlSeconds });
    const result = await live.compareAndSet('s:1', sessionV2Text({ preferences: {} }), { ttlSeconds, expectedVersion: fromSource.version });
    expect(result).toMatchObject({ ok: false, current: { value: sessionV2Text() } });
    expect((result as { current: SessionEntry }).current.version).toMatch(/^t:/);
    expect(await live.compareAndSet('s:1', '{}', { ttlSeconds, expectedVersion: 'garbage' })).toMatchObject({ ok: false });
  });

  it('reads-switched: reads the target only, still mirrors writes to the source', async () => {
    const { live, sourceStore } = await liveHarness('reads-switched');
    await sourceStore.set('s:only-in-source', sessionV2Text(), { ttlSeconds });
    expect(await live.get('s:only-in-source')).toBeUndefined();
    await live.set('s:1', sessionV2Text(), { ttlSeconds });
    expect(await sourceStore.get('s:1')).toBeDefined();
    const created = await live.compareAndSet('s:2', sessionV2Text(), { ttlSeconds, expectedVersion: null });
    expect(created.ok).toBe(true);
  });

  it('done: the target only; the source is left alone', async () => {
    const { live, sourceStore, targetStore } = await liveHarness('done');
    await live.set('s:1', sessionV2Text(), { ttlSeconds });
    expect(await sourceStore.get('s:1')).toBeUndefined();
    await targetStore.set('s:deleted', tombstoneValue(1), { ttlSeconds });
    expect(await live.get('s:deleted')).toBeUndefined();
    expect(await live.delete('s:deleted')).toBe(false);
    expect(await live.delete('s:1')).toBe(true);
    expect(await live.delete('s:1')).toBe(false);
  });

  it('rolled-back: the source again; target copies are removed on write and adopted when the source lost one', async () => {
    const { live, sourceStore, targetStore, source, target, added } = await liveHarness('rolled-back');
    await targetStore.set('s:stale', sessionV2Text({ preferences: { old: 'yes' } }), { ttlSeconds });
    await live.set('s:stale', sessionV2Text(), { ttlSeconds });
    expect(await targetStore.get('s:stale')).toBeUndefined();
    expect((await live.get('s:stale'))?.version).toMatch(/^s:/);

    await targetStore.set('s:orphan', sessionV2Text(), { ttlSeconds });
    const adopted = await live.get('s:orphan');
    expect(adopted?.version).toMatch(/^s:/);
    expect((await sourceStore.get('s:orphan'))?.value).toBe(sessionV2Text());
    expect(await live.compareAndSet('s:orphan', '{}', { ttlSeconds, expectedVersion: null })).toMatchObject({ ok: false });
    await targetStore.set('s:tomb', tombstoneValue(1), { ttlSeconds });
    expect(await live.get('s:tomb')).toBeUndefined();
    expect(await live.get('s:none')).toBeUndefined();

    // Another node wrote the session into the source between this read and its adoption.
    await targetStore.set('s:raced', sessionV2Text(), { ttlSeconds });
    const racing = sessionV2Text({ preferences: { racing: 'node' } });
    source.before = async (operation, key) => {
      if (operation === 'compareAndSet' && key === 's:raced') await sourceStore.set('s:raced', racing, { ttlSeconds });
    };
    expect((await live.get('s:raced'))?.value).toBe(racing);
    source.before = undefined;

    target.before = (operation) => {
      if (operation === 'delete') throw new Error('target gone');
    };
    await live.set('s:3', sessionV2Text(), { ttlSeconds });
    target.before = (operation) => {
      if (operation === 'delete') throw 'not an error';
    };
    await live.set('s:3', sessionV2Text(), { ttlSeconds });
    expect(added).toContainEqual({ name: 'paymigrate.sessions.live.repairs', attributes: { kind: 'target-remove-failed' } });
    expect(await live.delete('s:3')).toBe(true);
    expect(await sourceStore.get('s:3')).toBeUndefined();
  });

  it('rolled-back: adopts an entry without expiry with a day to live, and skips one already expired', async () => {
    const { live, clock, target, sourceStore } = await liveHarness('rolled-back');
    target.getOverride = (key) =>
      key === 's:forever'
        ? { key, value: sessionV2Text(), version: '1', expiresAt: undefined }
        : key === 's:expired'
          ? { key, value: sessionV2Text(), version: '2', expiresAt: clock.now() - 1 }
          : 'pass';
    expect(await live.get('s:forever')).toBeDefined();
    expect((await sourceStore.get('s:forever'))?.expiresAt).toBe(clock.now() + 86_400_000);
    expect(await live.get('s:expired')).toBeUndefined();
  });

  it('enumerates the stores reads may come from', async () => {
    const { live, link, sourceStore, targetStore } = await liveHarness('copying');
    await sourceStore.set('a', '{}', { ttlSeconds });
    await targetStore.set('b', '{}', { ttlSeconds });
    const keysOf = async (): Promise<string[]> => {
      const keys: string[] = [];
      for await (const batch of live.enumerate()) keys.push(...batch);
      return keys;
    };
    expect(await keysOf()).toStrictEqual(['b', 'a']);
    link.phase = 'done';
    expect(await keysOf()).toStrictEqual(['b']);
    link.phase = 'rolled-back';
    expect(await keysOf()).toStrictEqual(['a', 'b']);
  });

  it('declares the stricter capabilities of the two stores and closes both', async () => {
    const { live, source, target } = await liveHarness('copying');
    expect(live.name).toBe('migrating(memcached->redis)');
    expect(live.specificationVersion).toBe('v1');
    expect(live.capabilities).toStrictEqual({ enumeration: 'scan', ttlGranularity: 'milliseconds', maxValueBytes: undefined });
    source.capabilities = { enumeration: 'index', ttlGranularity: 'seconds', maxValueBytes: 1000 };
    target.capabilities = { enumeration: 'scan', ttlGranularity: 'milliseconds', maxValueBytes: 5000 };
    const link = { readPhase: async () => ({ phase: 'copying' as const, changedAt: 0 }), copyThrough: async () => undefined };
    const combined = createMigratingSessionStore({ source, target, controller: link });
    expect(combined.capabilities).toStrictEqual({ enumeration: 'scan', ttlGranularity: 'seconds', maxValueBytes: 1000 });
    await live.close();
    expect(source.closed && target.closed).toBe(true);
  });

  it('refuses card data in any write', async () => {
    const { live, sourceStore } = await liveHarness('copying');
    await expect(live.set('s:1', `{"note":"${testCardNumber}"}`, { ttlSeconds })).rejects.toSatisfy(SensitiveDataError.isInstance);
    await expect(live.compareAndSet('s:1', '{"cvv":"123"}', { ttlSeconds, expectedVersion: null })).rejects.toSatisfy(SensitiveDataError.isInstance);
    expect(await sourceStore.get('s:1')).toBeUndefined();
  });
});

describe('live store: deletes during the window', () => {
  it('leave a tombstone in the target that reads as absent and expires with the session', async () => {
    const { live, clock, sourceStore, targetStore } = await liveHarness('copying');
    await sourceStore.set('s:1', sessionV2Text(), { ttlSeconds: 100 });
    await targetStore.set('s:1', sessionV2Text(), { ttlSeconds: 50 });
    expect(await live.delete('s:1')).toBe(true);
    const tombstone = await targetStore.get('s:1');
    expect(isTombstoneValue(tombstone?.value ?? '')).toBe(true);
    expect(tombstone?.expiresAt).toBe(clock.now() + 100_000);
    expect(await sourceStore.get('s:1')).toBeUndefined();
    expect(await live.get('s:1')).toBeUndefined();
    expect(await live.delete('s:1')).toBe(false);
    expect(await live.delete('s:never')).toBe(false);
    expect(await targetStore.get('s:never')).toBeUndefined();
  });

  it('a session deleted while its copy is in flight is not resurrected', async () => {
    const { live, source, sourceStore, targetStore, link } = await liveHarness('copying');
    await sourceStore.set('s:1', sessionV2Text(), { ttlSeconds });
    let deleting: Promise<boolean> | undefined;
    source.before = async (operation, key) => {
      // The copy has read the source; the customer logs out before the copy writes the target.
      if (operation === 'get' && key === 's:1' && deleting === undefined) {
        deleting = Promise.resolve().then(() => live.delete('s:1'));
        await deleting;
      }
    };
    const copiedDuringLogout = await link.copyThrough('s:1');
    expect(copiedDuringLogout).toBeUndefined();
    expect(await deleting).toBe(true);
    expect(await live.get('s:1')).toBeUndefined();
    expect(isTombstoneValue((await targetStore.get('s:1'))?.value ?? '')).toBe(true);
  });

  it('can create the session again over a tombstone, with set or compareAndSet(null)', async () => {
    const { live, targetStore } = await liveHarness('copying');
    await targetStore.set('s:1', tombstoneValue(1), { ttlSeconds });
    await targetStore.set('s:2', tombstoneValue(1), { ttlSeconds });
    expect((await live.compareAndSet('s:1', sessionV2Text(), { ttlSeconds, expectedVersion: null })).ok).toBe(true);
    await live.set('s:2', sessionV2Text(), { ttlSeconds });
    expect((await live.get('s:1'))?.value).toBe(sessionV2Text());
    expect((await live.get('s:2'))?.value).toBe(sessionV2Text());
  });

  it('report a tombstone found by a failed compareAndSet as absent', async () => {
    const { live, target, targetStore } = await liveHarness('copying');
    const created = await live.compareAndSet('s:1', sessionV2Text(), { ttlSeconds, expectedVersion: null });
    target.before = async (operation) => {
      if (operation === 'compareAndSet') {
        target.before = undefined;
        await targetStore.set('s:1', tombstoneValue(1), { ttlSeconds });
      }
    };
    const result = await live.compareAndSet('s:1', '{}', { ttlSeconds, expectedVersion: (created as { entry: SessionEntry }).entry.version });
    expect(result).toStrictEqual({ ok: false, current: undefined });
  });

  it('fail with SessionDualWriteError when the source copy cannot be removed', async () => {
    const { live, source, sourceStore } = await liveHarness('verifying');
    await sourceStore.set('s:1', sessionV2Text(), { ttlSeconds });
    source.before = (operation) => {
      if (operation === 'delete') throw new Error('memcached down');
    };
    const error = await live.delete('s:1').catch((caught: unknown) => caught);
    expect(SessionDualWriteError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ key: 's:1', store: 'source', isRetryable: true });
  });
});

describe('live store: the mirror to the source', () => {
  it('removes the source copy when it cannot be updated, so it is never older than the target', async () => {
    const { live, source, sourceStore, targetStore, added } = await liveHarness('copying');
    await sourceStore.set('s:1', sessionV2Text(), { ttlSeconds });
    source.before = (operation) => {
      if (operation === 'set') throw new Error('memcached busy');
    };
    const newer = sessionV2Text({ preferences: { language: 'fr' } });
    await live.set('s:1', newer, { ttlSeconds });
    expect((await targetStore.get('s:1'))?.value).toBe(newer);
    expect(await sourceStore.get('s:1')).toBeUndefined();
    expect(added).toContainEqual({ name: 'paymigrate.sessions.live.repairs', attributes: { kind: 'mirror-removed' } });
  });

  it('throws SessionDualWriteError when the source copy can be neither updated nor removed', async () => {
    const { live, source, targetStore } = await liveHarness('copying');
    source.before = (operation) => {
      if (operation === 'set' || operation === 'delete') throw new Error('memcached down');
    };
    await expect(live.set('s:1', sessionV2Text(), { ttlSeconds })).rejects.toSatisfy(SessionDualWriteError.isInstance);
    // The write itself is not lost: reads are served from the target.
    expect((await targetStore.get('s:1'))?.value).toBe(sessionV2Text());
  });

  it('never leaves an older value in the source when two writers interleave', async () => {
    const { live, source, sourceStore, targetStore } = await liveHarness('copying');
    const first = sessionV2Text({ preferences: { writer: 'first' } });
    const second = sessionV2Text({ preferences: { writer: 'second' } });
    let secondWriter: Promise<SessionEntry> | undefined;
    source.before = async (operation) => {
      // The first writer's mirror is delayed until the second writer wrote both stores.
      if (operation === 'set' && secondWriter === undefined) {
        secondWriter = live.set('s:1', second, { ttlSeconds });
        await secondWriter;
      }
    };
    await live.set('s:1', first, { ttlSeconds });
    await secondWriter;
    expect((await targetStore.get('s:1'))?.value).toBe(second);
    expect((await sourceStore.get('s:1'))?.value).toBe(second);
  });

  it('mirrors a delete that overtook the write as a removal, and gives up after five contended rounds', async () => {
    const { live, source, sourceStore, target, targetStore, added } = await liveHarness('copying');
    let deleted = false;
    source.before = async (operation) => {
      if (operation === 'set' && !deleted) {
        deleted = true;
        await targetStore.delete('s:1');
      }
    };
    await live.set('s:1', sessionV2Text(), { ttlSeconds });
    expect(await sourceStore.get('s:1')).toBeUndefined();

    source.before = undefined;
    let version = 0;
    target.getOverride = (key, entry) => (entry === undefined ? 'pass' : { ...entry, key, version: `moving-${(version += 1)}` });
    await live.set('s:2', sessionV2Text(), { ttlSeconds });
    expect(added).toContainEqual({ name: 'paymigrate.sessions.live.repairs', attributes: { kind: 'mirror-contended' } });
    expect(source.calls.set).toBe(6);
  });
});

describe('live store: the rollback fence', () => {
  it('pauses writes right after a rollback, keeps serving reads, and resumes on the source', async () => {
    const { live, link, clock, sourceStore, targetStore } = await liveHarness('copying', 0, 5_000);
    await live.set('s:1', sessionV2Text(), { ttlSeconds });
    link.phase = 'rolled-back';
    link.changedAt = clock.now();
    await clock.advance(1_000);
    const paused = await live.set('s:1', '{}', { ttlSeconds }).catch((error: unknown) => error);
    expect(SessionWritesPausedError.isInstance(paused)).toBe(true);
    expect(paused).toMatchObject({ key: 's:1', retryAfterMs: 4_000, isRetryable: true });
    await expect(live.compareAndSet('s:1', '{}', { ttlSeconds, expectedVersion: null })).rejects.toSatisfy(SessionWritesPausedError.isInstance);
    await expect(live.delete('s:1')).rejects.toSatisfy(SessionWritesPausedError.isInstance);
    expect((await live.get('s:1'))?.version).toMatch(/^s:/);

    await clock.advance(4_000);
    const after = sessionV2Text({ preferences: { after: 'rollback' } });
    expect((await live.set('s:1', after, { ttlSeconds })).version).toMatch(/^s:/);
    expect((await sourceStore.get('s:1'))?.value).toBe(after);
    expect(await targetStore.get('s:1')).toBeUndefined();
  });
});

describe('live store: phase cache', () => {
  it('reads the phase once per phaseCacheMs, and keeps the last phase when the journal is unreachable', async () => {
    const { live, link, clock } = await liveHarness('copying', 1_000, 1_000);
    await live.get('a');
    await live.get('b');
    expect(link.phaseReads).toBe(1);
    await clock.advance(1_000);
    link.failPhaseRead = true;
    await live.get('c');
    expect(link.phaseReads).toBe(2);
    link.readPhase = async () => {
      link.phaseReads += 1;
      throw 'not an error';
    };
    await clock.advance(1_000);
    await live.get('d');
    expect(link.phaseReads).toBe(3);
  });

  it('fails when the phase was never read', async () => {
    const { live, link } = await liveHarness('copying');
    link.failPhaseRead = true;
    await expect(live.get('a')).rejects.toThrow('journal unreachable');
  });

  it('validates its options', () => {
    const store = new InMemorySessionStore();
    expect(() => createMigratingSessionStore({ source: store, target: store, controller: {} as never })).toThrow(ConfigurationError);
    expect(() => createMigratingSessionStore({ source: store, target: store, controller: { readPhase: async () => ({ phase: 'copying', changedAt: 0 }), copyThrough: async () => undefined }, phaseCacheMs: -1 })).toThrow(
      /sessions\.live\.phaseCacheMs/,
    );
    expect(() =>
      createMigratingSessionStore({
        source: store,
        target: store,
        controller: { readPhase: async () => ({ phase: 'copying', changedAt: 0 }), copyThrough: async () => undefined },
        phaseCacheMs: 2_000,
        rollbackFenceMs: 1_000,
      }),
    ).toThrow("Option 'sessions.live.rollbackFenceMs' is invalid: must be at least phaseCacheMs (2000)");
  });
});

interface LoadWorld {
  readonly clock: ManualClock;
  readonly sourceStore: InMemorySessionStore;
  readonly targetStore: InMemorySessionStore;
  readonly controller: ReturnType<typeof createSessionMigrationController>;
  /** One live store per application node, each with its own phase cache. */
  readonly nodes: readonly SessionStoreV1[];
  readonly keys: readonly string[];
  readonly applied: Map<string, Map<string, number>>;
  readonly counters: { absentReads: number; conflicts: number; paused: number };
  /** Starts `count` writers doing `increments` read-modify-CAS increments each, spread over the nodes. */
  readonly startWriters: (count: number, increments: number) => Promise<void>[];
}

/**
 * Sessions in a "memcached" source, an empty "redis" target, both with seeded random delays on
 * every call so operations interleave, several application nodes, and writers that each count
 * their own increments in the session's preferences (so every lost update is visible).
 */
async function loadWorld(options: { sessions: number; nodes: number; seed: number }): Promise<LoadWorld> {
  const clock = new ManualClock();
  const random = createSeededRandom(options.seed);
  const jitter = async (): Promise<void> => {
    const turns = random.integer(0, 2);
    for (let turn = 0; turn < turns; turn += 1) await yieldToEventLoop();
  };
  const sourceStore = new InMemorySessionStore({ clock });
  const targetStore = new InMemorySessionStore({ clock });
  const source = new HookedSessionStore(sourceStore, 'memcached');
  const target = new HookedSessionStore(targetStore, 'redis');
  source.before = jitter;
  target.before = jitter;
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const keys = Array.from({ length: options.sessions }, (_, index) => `session:${index}`);
  for (const [index, key] of keys.entries()) {
    const value = index % 3 === 0 ? sessionV1Text({ customerId: `c-${index}` }) : sessionV2Text({ customerId: `c-${index}` });
    await sourceStore.set(key, value, { ttlSeconds });
  }
  const controller = createSessionMigrationController({ source, target, journal, clock, logger: silentLogger, batchSize: 50, concurrency: 16, migrationId: 'load' });
  const nodes = Array.from({ length: options.nodes }, () =>
    createMigratingSessionStore({ source, target, controller, clock, phaseCacheMs: 100, rollbackFenceMs: 500, logger: silentLogger }),
  );
  const applied = new Map<string, Map<string, number>>();
  const counters = { absentReads: 0, conflicts: 0, paused: 0 };
  const hotKeys = keys.slice(0, 20);

  const writer = async (writerId: string, live: SessionStoreV1, increments: number): Promise<void> => {
    for (let increment = 0; increment < increments; increment += 1) {
      const key = random.next() < 0.5 ? (hotKeys[random.integer(0, hotKeys.length - 1)] as string) : (keys[random.integer(0, keys.length - 1)] as string);
      for (;;) {
        const entry = await live.get(key);
        if (entry === undefined) {
          counters.absentReads += 1;
          break;
        }
        const parsed = parseSession(entry.value);
        if (!parsed.ok) throw new Error(`unreadable ${key}: ${parsed.failure.reason}`);
        const count = Number(parsed.session.preferences[writerId] ?? '0');
        const next = serializeSession({ ...parsed.session, preferences: { ...parsed.session.preferences, [writerId]: String(count + 1) } });
        let result;
        try {
          result = await live.compareAndSet(key, next, { ttlSeconds, expectedVersion: entry.version });
        } catch (error) {
          if (!SessionWritesPausedError.isInstance(error)) throw error;
          counters.paused += 1;
          await yieldToEventLoop();
          continue;
        }
        if (result.ok) {
          const perWriter = applied.get(key) ?? new Map<string, number>();
          perWriter.set(writerId, (perWriter.get(writerId) ?? 0) + 1);
          applied.set(key, perWriter);
          break;
        }
        counters.conflicts += 1;
      }
    }
  };
  const startWriters = (count: number, increments: number): Promise<void>[] =>
    Array.from({ length: count }, (_, index) => writer(`w${index}`, nodes[index % nodes.length] as SessionStoreV1, increments));
  return { clock, sourceStore, targetStore, controller, nodes, keys, applied, counters, startWriters };
}

/** Checks that every applied increment is in `store`, for every session and writer. */
async function expectEveryIncrementIn(world: LoadWorld, store: InMemorySessionStore, writers: number, where: string): Promise<number> {
  let total = 0;
  for (const key of world.keys) {
    const preferences = preferencesOf(await store.get(key));
    expect(preferences, `${key} in the ${where}`).toBeDefined();
    for (let index = 0; index < writers; index += 1) {
      const writerId = `w${index}`;
      const expected = world.applied.get(key)?.get(writerId) ?? 0;
      total += expected;
      expect(Number(preferences?.[writerId] ?? '0'), `${key} ${writerId} in the ${where}`).toBe(expected);
    }
  }
  return total;
}

describe('invariant 7 under load: 1,000 sessions, 50 concurrent read-modify-CAS writers while migrate() runs', () => {
  it('loses no update and never shows a session as absent, through the copy and the switch of reads', async () => {
    const world = await loadWorld({ sessions: 1_000, nodes: 5, seed: 7 });
    const writerCount = 50;
    const incrementsPerWriter = 40;

    // Writers start with the live stores deployed (the window is open), before the bulk copy.
    const writers = world.startWriters(writerCount, incrementsPerWriter);
    for (let turn = 0; turn < 10; turn += 1) await yieldToEventLoop();
    const report = await world.controller.migrate();
    await world.controller.switchReads({ actor: 'test', reason: 'copy verified' });
    await world.clock.advance(150); // every node's phase cache expires: reads from the target only
    await Promise.all(writers);

    expect(world.counters.absentReads).toBe(0);
    expect(world.counters.conflicts).toBeGreaterThan(0);
    expect(report.keysSeen).toBe(1_000);
    expect(report.counts.migrated + report.counts.alreadyCurrent).toBe(1_000);
    expect(report.counts.alreadyCurrent).toBeGreaterThan(0);
    expect(report.counts).toMatchObject({ quarantined: 0, failed: 0, vanished: 0, expired: 0 });
    // Every increment is in the store reads come from, and (for a rollback) in the source too.
    expect(await expectEveryIncrementIn(world, world.targetStore, writerCount, 'target')).toBe(writerCount * incrementsPerWriter);
    expect(await expectEveryIncrementIn(world, world.sourceStore, writerCount, 'source')).toBe(writerCount * incrementsPerWriter);
    const sample = world.keys[1] as string;
    expect(sessionChecksum((await world.targetStore.get(sample))?.value ?? '')).toBe(sessionChecksum((await world.sourceStore.get(sample))?.value ?? ''));
  });

  it('loses no update when the migration is rolled back in the middle of it', async () => {
    const world = await loadWorld({ sessions: 300, nodes: 4, seed: 11 });
    const writerCount = 24;
    const incrementsPerWriter = 30;
    const writers = world.startWriters(writerCount, incrementsPerWriter);
    const aborter = new AbortController();
    const migration = world.controller.migrate({ signal: aborter.signal }).catch((error: unknown) => error);
    for (let turn = 0; turn < 40; turn += 1) await yieldToEventLoop();
    await world.controller.rollback({ actor: 'test', reason: 'target latency' });
    aborter.abort(new Error('rolled back'));
    await world.clock.advance(150); // nodes read the rollback: writes pause (fence)
    for (let turn = 0; turn < 30; turn += 1) await yieldToEventLoop(); // writes begun on the target finish
    await world.clock.advance(400); // the fence is over: every node writes the source
    await Promise.all(writers);
    await migration;

    expect(world.counters.absentReads).toBe(0);
    expect(world.counters.paused).toBeGreaterThan(0);
    expect(await expectEveryIncrementIn(world, world.sourceStore, writerCount, 'source')).toBe(writerCount * incrementsPerWriter);
  });
});
