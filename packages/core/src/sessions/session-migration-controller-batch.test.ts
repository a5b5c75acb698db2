import { InMemoryJournal, InMemorySessionStore, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import type { SessionEntry } from '../ports/session-store/v1/session-store.js';
import { BatchingHookedSessionStore, hookJournal, sessionV1Text, sessionV2Text, silentLogger } from './__fixtures__/session-fixtures.js';
import { createSessionMigrationController, type SessionMigrationControllerOptions } from './session-migration-controller.js';
import { emptySessionMigrationCounts, sessionMigrationCollection } from './session-migration-state.js';
import { parseSession, type SessionV2 } from './session-schema.js';
import { serializeSession, tombstoneValue } from './session-values.js';

const ttlSeconds = 1800;

/** Source and target with the native batch members, hooked. */
async function batchingHarness(overrides: Partial<SessionMigrationControllerOptions> = {}) {
  const clock = new ManualClock();
  const sourceStore = new InMemorySessionStore({ clock });
  const targetStore = new InMemorySessionStore({ clock });
  const source = new BatchingHookedSessionStore(sourceStore, 'source');
  const target = new BatchingHookedSessionStore(targetStore, 'target');
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const controller = createSessionMigrationController({
    source,
    target,
    journal,
    clock,
    logger: silentLogger,
    batchSize: 100,
    concurrency: 4,
    storeBatchSize: 25,
    migrationId: 'batched',
    ...overrides,
  });
  return { clock, sourceStore, targetStore, source, target, journal, controller };
}

/** Writes `count` v2 sessions (every third one v1) named `session:<n>`. */
async function seed(store: InMemorySessionStore, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, index) => `session:${index}`);
  for (const [index, key] of keys.entries()) {
    await store.set(key, index % 3 === 0 ? sessionV1Text({ customerId: `customer-${index}` }) : sessionV2Text({ customerId: `customer-${index}` }), {
      ttlSeconds: 600 + index,
    });
  }
  return keys;
}

/** The canonical v2 text a source value is copied as. */
function copiedText(value: string): string {
  return serializeSession((parseSession(value) as { session: SessionV2 }).session);
}

describe('migrate with batched store calls (getMany, compareAndSetMany)', () => {
  it('copies every session with three batched calls per chunk and no single-key call, keeping the remaining TTL', async () => {
    const { clock, sourceStore, targetStore, source, target, controller } = await batchingHarness();
    const keys = await seed(sourceStore, 120);
    await clock.advance(10_500);

    const report = await controller.migrate();

    expect(report.counts).toStrictEqual({ ...emptySessionMigrationCounts, migrated: 120 });
    expect(report.failures).toStrictEqual([]);
    // 120 keys in enumeration batches of 100 -> chunks of 25, 25, 25, 25 and 20: 5 chunks.
    expect(source.calls).toMatchObject({ getMany: 5, get: 0 });
    expect(target.calls).toMatchObject({ compareAndSetMany: 5, getMany: 5, compareAndSet: 0, get: 0 });
    for (const [index, key] of keys.entries()) {
      const copied = (await targetStore.get(key)) as SessionEntry;
      expect(copied.value).toBe(copiedText(((await sourceStore.get(key)) as SessionEntry).value));
      // 600 + index seconds written, 10.5 s passed: the remaining time, rounded up.
      expect(copied.expiresAt).toBe(clock.now() + (600 + index - 10) * 1_000);
    }
  });

  it('never overwrites a live write that reached the target between the source read and the batched create', async () => {
    const { sourceStore, targetStore, target, controller } = await batchingHarness();
    await seed(sourceStore, 30);
    const liveText = sessionV2Text({ customerId: 'live-writer' });
    let raced = false;
    target.before = async (operation) => {
      if (operation !== 'compareAndSetMany' || raced) return;
      raced = true;
      await targetStore.set('session:4', liveText, { ttlSeconds });
      await targetStore.set('session:5', tombstoneValue(1), { ttlSeconds });
    };

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ migrated: 28, alreadyCurrent: 1, vanished: 1, failed: 0 });
    expect((await targetStore.get('session:4'))?.value).toBe(liveText);
    expect((await targetStore.get('session:5'))?.value).toBe(tombstoneValue(1));
  });

  it('recognizes its own copy from an earlier run by checksum, and quarantines unreadable sessions in a chunk', async () => {
    const { sourceStore, targetStore, controller } = await batchingHarness();
    await seed(sourceStore, 10);
    await sourceStore.set('session:broken', '{"cartId":"cart-1"', { ttlSeconds });
    await targetStore.set('session:3', copiedText(((await sourceStore.get('session:3')) as SessionEntry).value), { ttlSeconds });

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ migrated: 10, quarantined: 1, failed: 0 });
    expect(report.quarantined).toStrictEqual([{ key: 'session:broken', kind: 'invalid-json', rebuild: 'no-platform' }]);
  });

  it('falls back to single-key copies when the batched source read fails, failing only the key that fails alone', async () => {
    const { sourceStore, targetStore, source, controller } = await batchingHarness();
    await seed(sourceStore, 20);
    source.before = (operation, key) => {
      if (operation === 'getMany') throw new Error('multi-get refused');
      if (operation === 'get' && key === 'session:7') throw new Error('item unreadable');
    };

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ migrated: 19, failed: 1 });
    expect(report.failures).toStrictEqual([{ key: 'session:7', reason: 'Error: item unreadable' }]);
    expect(await targetStore.get('session:7')).toBeUndefined();
  });

  it('falls back to single-key creates when the batched create fails, and to single reads when the re-read fails', async () => {
    const { sourceStore, targetStore, target, controller } = await batchingHarness();
    const keys = await seed(sourceStore, 50);
    let batchCalls = 0;
    target.before = (operation, key) => {
      if (operation === 'compareAndSetMany' && (batchCalls += 1) === 1) throw new Error('script refused');
      if (operation === 'getMany') throw new Error('multi-get refused');
      if (operation === 'get' && key === 'session:40') throw new Error('read refused');
    };

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ migrated: 49, failed: 1 });
    expect(report.failures).toStrictEqual([{ key: 'session:40', reason: 'Error: read refused' }]);
    for (const key of keys) expect((await targetStore.get(key))?.value).toBeDefined();
  });

  it('fails the keys of a chunk whose single-key create fails too, and retries a key that vanished under the batch', async () => {
    const { sourceStore, target, controller } = await batchingHarness();
    await seed(sourceStore, 6);
    target.compareAndSetManyOverride = (requests) => requests.map(() => ({ ok: false as const, current: undefined }));
    target.before = (operation, key) => {
      if (operation === 'compareAndSet' && key === 'session:2') throw new Error('target unavailable');
    };

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ migrated: 5, failed: 1 });
    expect(report.failures).toStrictEqual([{ key: 'session:2', reason: 'Error: target unavailable' }]);
  });

  it('verifies each created key by its re-read: evicted, altered and overtaken copies', async () => {
    const { sourceStore, targetStore, target, controller } = await batchingHarness();
    await seed(sourceStore, 4);
    target.getManyOverride = (keys) =>
      keys.map((key) => {
        if (key === 'session:0') return undefined;
        const entry = targetStoreSnapshot.get(key) as SessionEntry;
        if (key === 'session:1') return { ...entry, value: sessionV2Text({ updatedAt: 1 }) };
        if (key === 'session:2') return { ...entry, version: 'newer', value: sessionV2Text({ updatedAt: 2 }) };
        return entry;
      });
    const targetStoreSnapshot = new Map<string, SessionEntry | undefined>();
    target.before = async (operation) => {
      if (operation !== 'getMany') return;
      for (const key of ['session:1', 'session:2', 'session:3']) targetStoreSnapshot.set(key, await targetStore.get(key));
    };

    const report = await controller.migrate();

    expect(new Map(report.failures.map((failure) => [failure.key, failure.reason]))).toStrictEqual(
      new Map([
        ['session:0', 'absent from the target right after it was written (evicted?)'],
        ['session:1', 'the target returned other bytes than were written (checksum mismatch)'],
      ]),
    );
    expect(report.counts).toMatchObject({ failed: 2, alreadyCurrent: 1, migrated: 1 });
  });

  it('copies nothing for a chunk of expired and vanished sessions and makes no write call for it', async () => {
    const { clock, sourceStore, target, source, controller } = await batchingHarness();
    await sourceStore.set('session:short', sessionV2Text(), { ttlSeconds });
    await sourceStore.set('session:gone', sessionV2Text(), { ttlSeconds });
    // As a source whose clock runs behind the controller's would answer: expired by the controller's clock.
    source.getManyOverride = (keys) =>
      keys.map((key) => (key === 'session:short' ? { key, value: sessionV2Text(), version: '1', expiresAt: clock.now() - 1 } : undefined));

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ expired: 1, vanished: 1 });
    expect(target.calls.compareAndSetMany).toBe(0);
  });

  it('keeps copying while a slow checkpoint is written, recording the batches finished meanwhile with the next one', async () => {
    const { sourceStore, journal, source, target, clock } = await batchingHarness();
    await seed(sourceStore, 50);
    let checkpointWrites = 0;
    let releaseFirstCheckpoint: () => void = () => undefined;
    const firstCheckpointHeld = new Promise<void>((resolve) => {
      releaseFirstCheckpoint = resolve;
    });
    let batchesCopiedWhileHeld = 0;
    const slowJournal = hookJournal(journal, async (batch) => {
      if (batch.puts?.[0]?.collection !== sessionMigrationCollection) return;
      checkpointWrites += 1;
      // The first write creates the record; the second is the run's first checkpoint: held until five batches are copied.
      if (checkpointWrites === 2) await firstCheckpointHeld;
    });
    source.before = (operation) => {
      if (operation !== 'getMany') return;
      batchesCopiedWhileHeld += 1;
      if (batchesCopiedWhileHeld === 5) releaseFirstCheckpoint();
    };
    const controller = createSessionMigrationController({
      source,
      target,
      journal: slowJournal,
      clock,
      logger: silentLogger,
      batchSize: 10,
      concurrency: 4,
      migrationId: 'slow-journal',
    });

    const report = await controller.migrate();

    expect(report.counts.migrated).toBe(50);
    // Creation, the held checkpoint, fewer than one checkpoint per batch after it, and the phase change.
    expect(checkpointWrites).toBeLessThan(1 + 1 + 5 + 1);
    expect((await controller.status())?.progress).toMatchObject({ batches: 5, keysSeen: 50, complete: true });
  });

  it('validates storeBatchSize', async () => {
    const { source, target, journal } = await batchingHarness();
    const base = { source, target, journal, batchSize: 10, concurrency: 2, migrationId: 'm' };
    expect(() => createSessionMigrationController({ ...base, storeBatchSize: 0 })).toThrow(ConfigurationError);
    expect(() => createSessionMigrationController({ ...base, storeBatchSize: 1.5 })).toThrow(/sessions\.storeBatchSize/);
  });
});
