import { InMemoryCommercePlatform, InMemoryJournal, InMemorySessionStore, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { Money } from '../money/money.js';
import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';
import type { JournalV1, JournalWriteBatch } from '../ports/journal/v1/journal.js';
import type { SessionEntry, SessionStoreV1 } from '../ports/session-store/v1/session-store.js';
import {
  HookedSessionStore,
  hookJournal,
  sessionV1Text,
  sessionV2,
  sessionV2Text,
  silentLogger,
  testCardNumber,
} from './__fixtures__/session-fixtures.js';
import type { PaymentLocator } from './payment-locator.js';
import { SessionMigrationConflictError, SessionMigrationPhaseError, SessionSwitchRefusedError } from './session-errors.js';
import {
  createSessionMigrationController,
  type SessionMigrationController,
  type SessionMigrationControllerOptions,
} from './session-migration-controller.js';
import { emptySessionMigrationCounts, sessionMigrationCollection } from './session-migration-state.js';
import { sessionQuarantineCollection, type SessionQuarantineRecord } from './session-quarantine.js';
import { parseSession, type SessionV2 } from './session-schema.js';
import { serializeSession, tombstoneValue } from './session-values.js';

const ttlSeconds = 1800;

interface Harness {
  readonly clock: ManualClock;
  readonly sourceStore: InMemorySessionStore;
  readonly targetStore: InMemorySessionStore;
  readonly source: HookedSessionStore;
  readonly target: HookedSessionStore;
  readonly journal: InMemoryJournal;
  readonly platform: InMemoryCommercePlatform;
  readonly controller: SessionMigrationController;
  readonly create: (overrides?: Partial<SessionMigrationControllerOptions>) => SessionMigrationController;
}

async function harness(overrides: Partial<SessionMigrationControllerOptions> = {}): Promise<Harness> {
  const clock = new ManualClock();
  const sourceStore = new InMemorySessionStore({ clock });
  const targetStore = new InMemorySessionStore({ clock });
  const source = new HookedSessionStore(sourceStore, 'source');
  const target = new HookedSessionStore(targetStore, 'target');
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const platform = new InMemoryCommercePlatform({ clock });
  const create = (more: Partial<SessionMigrationControllerOptions> = {}): SessionMigrationController =>
    createSessionMigrationController({
      source,
      target,
      journal,
      platform,
      clock,
      logger: silentLogger,
      batchSize: 10,
      concurrency: 4,
      migrationId: 'sessions-1',
      ...overrides,
      ...more,
    });
  return { clock, sourceStore, targetStore, source, target, journal, platform, controller: create(), create };
}

async function quarantineRecord(journal: JournalV1, key: string): Promise<SessionQuarantineRecord | undefined> {
  const record = await journal.get(sessionQuarantineCollection, key);
  return record === undefined ? undefined : (JSON.parse(record.value) as SessionQuarantineRecord);
}

function addPlatformCart(platform: InMemoryCommercePlatform, cartId: string): void {
  platform.addCart({ cartId, customerId: 'customer-9', currency: 'EUR', lines: [{ sku: 'REBUILT', quantity: 1, unitPrice: Money.of(990, 'EUR') }], updatedAt: 5_000 });
}

describe('migrate: copying sessions', () => {
  it('copies v1 and v2 sessions as canonical v2 with the REMAINING time to live, and verifies them', async () => {
    const { clock, sourceStore, targetStore, controller } = await harness();
    await sourceStore.set('session:v2', sessionV2Text(), { ttlSeconds });
    await sourceStore.set('session:v1', sessionV1Text(), { ttlSeconds: 600 });
    await clock.advance(100_500);

    const report = await controller.migrate();

    expect(report.counts).toStrictEqual({ ...emptySessionMigrationCounts, migrated: 2 });
    expect(report).toMatchObject({ migrationId: 'sessions-1', run: 1, resumedRun: undefined, phase: 'verifying', keysSeen: 2, quarantined: [], failures: [] });
    const copiedV1 = (await targetStore.get('session:v1')) as SessionEntry;
    // 600 s - 100.5 s = 499.5 s, rounded up: never shorter than the source.
    expect(copiedV1.expiresAt).toBe(clock.now() + 500_000);
    expect(copiedV1.value).toBe(serializeSession((parseSession(sessionV1Text()) as { session: SessionV2 }).session));
    expect(((await targetStore.get('session:v2')) as SessionEntry).expiresAt).toBe(clock.now() + 1_700_000);
    expect((await sourceStore.get('session:v1'))?.value).toBe(sessionV1Text());
  });

  it('skips sessions already expired by its clock (a source whose clock lags)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const source = new InMemorySessionStore({ clock: new ManualClock(Date.UTC(2026, 0, 1) - 120_000) });
    const target = new InMemorySessionStore({ clock });
    await source.set('session:old', sessionV2Text(), { ttlSeconds: 60 });
    await source.set('session:fresh', sessionV2Text(), { ttlSeconds: 600 });
    const controller = createSessionMigrationController({
      source,
      target,
      journal: await openJournal(),
      clock,
      logger: silentLogger,
      batchSize: 5,
      concurrency: 2,
      migrationId: 'lag',
    });
    const report = await controller.migrate();
    expect(report.counts).toMatchObject({ migrated: 1, expired: 1 });
    expect(await target.get('session:old')).toBeUndefined();
    expect((await target.get('session:fresh'))?.expiresAt).toBe(clock.now() + 480_000);
  });

  it('gives a session without expiry the configured TTL', async () => {
    const { clock, source, sourceStore, targetStore, create } = await harness();
    await sourceStore.set('session:forever', sessionV2Text(), { ttlSeconds });
    source.getOverride = (_key, entry) => (entry === undefined ? undefined : { ...entry, expiresAt: undefined });
    await create({ ttlSecondsWithoutExpiry: 99 }).migrate();
    expect((await targetStore.get('session:forever'))?.expiresAt).toBe(clock.now() + 99_000);
  });

  it('counts sessions gone between enumeration and read, and source tombstones, as vanished', async () => {
    const { source, sourceStore, controller } = await harness();
    await sourceStore.set('session:gone', sessionV2Text(), { ttlSeconds });
    await sourceStore.set('session:tomb', tombstoneValue(1), { ttlSeconds });
    source.before = async (operation, key) => {
      if (operation === 'get' && key === 'session:gone') await sourceStore.delete(key);
    };
    const report = await controller.migrate();
    expect(report.counts).toMatchObject({ vanished: 2, migrated: 0 });
  });

  it('de-duplicates keys an enumeration yields twice', async () => {
    const { source, sourceStore, controller } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    source.enumerateOverride = async function* () {
      yield ['session:1', 'session:1'];
      yield ['session:1'];
    };
    const report = await controller.migrate();
    expect(report.keysSeen).toBe(1);
    expect(report.counts.migrated).toBe(1);
  });

  it('keeps a newer session the target already holds (a live write) and counts it', async () => {
    const { sourceStore, targetStore, controller } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    await sourceStore.set('session:2', sessionV2Text(), { ttlSeconds });
    await sourceStore.set('session:3', sessionV2Text(), { ttlSeconds });
    const newer = sessionV2Text({ preferences: { language: 'fr' } });
    await targetStore.set('session:1', newer, { ttlSeconds });
    await targetStore.set('session:2', tombstoneValue(1), { ttlSeconds });
    // The same session copied by an earlier run, written with other key order: recognized by checksum.
    const { schemaVersion, cart, ...rest } = sessionV2();
    await targetStore.set('session:3', JSON.stringify({ ...rest, cart, schemaVersion }, null, 1), { ttlSeconds });

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ alreadyCurrent: 1, vanished: 1, migrated: 1 });
    expect((await targetStore.get('session:1'))?.value).toBe(newer);
  });

  it('re-binds in-progress payments to the provider the journal pins them to, and counts unknown ones', async () => {
    const locations: Record<string, { provider: string; providerReference: string }> = { pay_1: { provider: 'adyen', providerReference: 'PSP-1' } };
    const paymentLocator: PaymentLocator = {
      locate: async (paymentId) => {
        if (paymentId === 'pay_broken') throw new Error('journal unavailable');
        return locations[paymentId];
      },
    };
    const { sourceStore, targetStore, create } = await harness();
    await sourceStore.set('session:paying', sessionV1Text({ checkoutStep: 'payment', paymentId: 'pay_1' }), { ttlSeconds });
    await sourceStore.set('session:unknown', sessionV2Text({ checkout: { step: 'review', paymentId: 'pay_2', provider: 'stripe' } }), { ttlSeconds });
    await sourceStore.set('session:broken', sessionV2Text({ checkout: { step: 'payment', paymentId: 'pay_broken' } }), { ttlSeconds });

    const report = await create({ paymentLocator }).migrate();

    expect(report.counts).toMatchObject({ migrated: 2, reboundPayments: 1, unlocatedPayments: 1, failed: 1 });
    expect(report.failures).toStrictEqual([{ key: 'session:broken', reason: 'Error: journal unavailable' }]);
    const paying = parseSession((await targetStore.get('session:paying'))?.value as string);
    expect(paying.ok && paying.session.checkout).toStrictEqual({ step: 'payment', paymentId: 'pay_1', provider: 'adyen', providerReference: 'PSP-1' });
  });

  it('quarantines a session whose payment location carries card data', async () => {
    const { sourceStore, targetStore, platform, create } = await harness();
    addPlatformCart(platform, 'cart-1');
    await sourceStore.set('session:paying', sessionV2Text({ checkout: { step: 'payment', paymentId: 'pay_1' } }), { ttlSeconds });
    const report = await create({ paymentLocator: { locate: async () => ({ provider: 'adyen', providerReference: testCardNumber }) } }).migrate();
    expect(report.quarantined).toStrictEqual([{ key: 'session:paying', kind: 'card-data', rebuild: 'rebuilt' }]);
    expect(findSensitiveDataInText((await targetStore.get('session:paying'))?.value ?? '')).toStrictEqual([]);
  });

  it('quarantines a session larger than the target takes', async () => {
    const { sourceStore, target, create } = await harness();
    target.capabilities = { ...target.capabilities, maxValueBytes: 100 };
    await sourceStore.set('session:big', sessionV2Text(), { ttlSeconds });
    const report = await create({ platform: undefined }).migrate();
    expect(report.quarantined).toStrictEqual([{ key: 'session:big', kind: 'too-large', rebuild: 'no-platform' }]);
  });

  it('only migrates keys with the configured prefix', async () => {
    const { sourceStore, targetStore, create } = await harness();
    await sourceStore.set('shop-a:1', sessionV2Text(), { ttlSeconds });
    await sourceStore.set('shop-b:1', sessionV2Text(), { ttlSeconds });
    await create({ keyPrefix: 'shop-a:' }).migrate();
    expect(await targetStore.get('shop-a:1')).toBeDefined();
    expect(await targetStore.get('shop-b:1')).toBeUndefined();
  });
});

async function openJournal(): Promise<InMemoryJournal> {
  const journal = new InMemoryJournal();
  await journal.open();
  return journal;
}

describe('migrate: quarantine of unreadable sessions', () => {
  it('quarantines every corruption kind, rebuilds from the platform cart where it can, and never drops one silently', async () => {
    const { sourceStore, targetStore, journal, platform, controller } = await harness();
    for (const cartId of ['cart-json', 'cart-card', 'cart-schema']) addPlatformCart(platform, cartId);
    platform.addCart({ cartId: 'cart-unusable', currency: 'EUR', lines: [{ sku: 'X', quantity: 0, unitPrice: Money.of(1, 'EUR') }], updatedAt: 1 });
    await sourceStore.set('bad:json', '{"cartId":"cart-json","cart":{"lines":[', { ttlSeconds });
    await sourceStore.set('bad:card', `{"cartId":"cart-card","note":"pay with ${testCardNumber}"}`, { ttlSeconds });
    await sourceStore.set('bad:schema', sessionV2Text({ cartId: 'cart-schema', preferences: { size: 3 } } as never), { ttlSeconds });
    await sourceStore.set('bad:array', '[1,2,3]', { ttlSeconds });
    await sourceStore.set('bad:version', '{"schemaVersion":9,"cartId":"cart-missing"}', { ttlSeconds });
    await sourceStore.set('bad:unusable', '{"cartId":"cart-unusable"', { ttlSeconds });

    const report = await controller.migrate();

    expect(report.counts).toMatchObject({ quarantined: 6, rebuilt: 3, migrated: 0, failed: 0 });
    expect(new Map(report.quarantined.map((entry) => [entry.key, entry]))).toStrictEqual(
      new Map([
        ['bad:json', { key: 'bad:json', kind: 'invalid-json', rebuild: 'rebuilt' }],
        ['bad:card', { key: 'bad:card', kind: 'card-data', rebuild: 'rebuilt' }],
        ['bad:schema', { key: 'bad:schema', kind: 'schema-invalid', rebuild: 'rebuilt' }],
        ['bad:array', { key: 'bad:array', kind: 'not-an-object', rebuild: 'no-cart-id' }],
        ['bad:version', { key: 'bad:version', kind: 'unsupported-schema-version', rebuild: 'cart-not-found' }],
        ['bad:unusable', { key: 'bad:unusable', kind: 'invalid-json', rebuild: 'cart-unusable' }],
      ]),
    );
    const rebuilt = parseSession((await targetStore.get('bad:json'))?.value as string);
    expect(rebuilt.ok && rebuilt.session).toMatchObject({ cartId: 'cart-json', customerId: 'customer-9', cart: { lines: [{ sku: 'REBUILT', quantity: 1 }] } });
    expect(await targetStore.get('bad:array')).toBeUndefined();

    const json = await quarantineRecord(journal, 'bad:json');
    expect(json).toMatchObject({ migrationId: 'sessions-1', kind: 'invalid-json', raw: '{"cartId":"cart-json","cart":{"lines":[', cartId: 'cart-json', rebuild: 'rebuilt' });
    expect(json?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const unusable = await quarantineRecord(journal, 'bad:unusable');
    expect(unusable?.rebuildDetail).toBe('the platform cart does not make a valid session');
    expect(await journal.count(sessionQuarantineCollection)).toBe(6);
    expect(await journal.count(sessionQuarantineCollection, { index: 'card-data' })).toBe(1);
  });

  it('never writes a card-data session to the target, nor keeps its raw text anywhere', async () => {
    const { sourceStore, targetStore, journal, create } = await harness();
    const raw = `{"cartId":"cart-card","cvv":"123","pan":"${testCardNumber}"}`;
    await sourceStore.set('bad:card', raw, { ttlSeconds });
    const report = await create({ platform: undefined }).migrate();
    expect(report.quarantined).toStrictEqual([{ key: 'bad:card', kind: 'card-data', rebuild: 'no-platform' }]);
    expect(await targetStore.get('bad:card')).toBeUndefined();
    const record = await journal.get(sessionQuarantineCollection, 'bad:card');
    expect(record?.value).not.toContain(testCardNumber);
    expect(findSensitiveDataInText(record?.value ?? '')).toStrictEqual([]);
    expect(JSON.parse(record?.value ?? '{}')).toMatchObject({ kind: 'card-data', rawLength: raw.length, cartId: 'cart-card' });
    expect(JSON.parse(record?.value ?? '{}')).not.toHaveProperty('raw');
    expect(JSON.stringify(report)).not.toContain(testCardNumber);
  });

  it('records a platform failure as the rebuild outcome and keeps a newer target session over a rebuild', async () => {
    const { sourceStore, targetStore, journal, platform, create } = await harness();
    addPlatformCart(platform, 'cart-1');
    platform.failNext('getCart', new Error('platform timeout'));
    await sourceStore.set('bad:1', '{"cartId":"cart-1",', { ttlSeconds });
    await sourceStore.set('bad:2', '{"cartId":"cart-1",', { ttlSeconds });
    await sourceStore.set('bad:3', '{"cartId":"cart-1",', { ttlSeconds });
    const live = sessionV2Text({ preferences: { live: 'yes' } });
    await targetStore.set('bad:2', live, { ttlSeconds });
    await targetStore.set('bad:3', tombstoneValue(1), { ttlSeconds });

    const report = await create({ batchSize: 1, concurrency: 1 }).migrate();

    expect(report.quarantined).toStrictEqual([
      { key: 'bad:1', kind: 'invalid-json', rebuild: 'platform-error' },
      { key: 'bad:2', kind: 'invalid-json', rebuild: 'superseded' },
      { key: 'bad:3', kind: 'invalid-json', rebuild: 'superseded' },
    ]);
    expect(report.counts.rebuilt).toBe(0);
    expect((await targetStore.get('bad:2'))?.value).toBe(live);
    expect((await quarantineRecord(journal, 'bad:1'))?.rebuildDetail).toBe('Error: platform timeout');
  });

  it('writes one quarantine record per session, however often it is found', async () => {
    const { sourceStore, journal, controller } = await harness();
    await sourceStore.set('bad:1', 'garbage', { ttlSeconds });
    await controller.migrate();
    await controller.migrate();
    await controller.copyThrough('bad:1');
    expect(await journal.count(sessionQuarantineCollection)).toBe(1);
    expect((await journal.get(sessionQuarantineCollection, 'bad:1'))?.version).toBe(3);
  });

  it('lets a concurrent quarantine of the same session win, and fails the key when the journal fails', async () => {
    const clock = new ManualClock();
    const inner = new InMemoryJournal({ clock });
    await inner.open();
    let mode: 'race' | 'fail' = 'race';
    const journal = hookJournal(inner, async (batch: JournalWriteBatch) => {
      const put = batch.puts?.[0];
      if (put?.collection !== sessionQuarantineCollection) return;
      if (mode === 'race') {
        mode = 'fail';
        await inner.write({ puts: [{ ...put, expectedVersion: 'any' }] });
      } else {
        throw new PaymigrateError('JOURNAL_UNAVAILABLE', 'journal down');
      }
    });
    const { sourceStore, create } = await harness();
    await sourceStore.set('bad:1', 'garbage', { ttlSeconds });
    await sourceStore.set('bad:2', 'garbage', { ttlSeconds });
    const report = await create({ journal, batchSize: 1, concurrency: 1 }).migrate();
    expect(report.counts).toMatchObject({ quarantined: 1, failed: 1 });
    expect(report.failures[0]?.reason).toBe('JOURNAL_UNAVAILABLE: journal down');
  });
});

describe('migrate: verification of what the target holds', () => {
  it('fails a key whose copy is absent or altered right after the write, and retries a vanishing key', async () => {
    const { sourceStore, target, controller } = await harness();
    for (const key of ['evicted', 'altered', 'flapping', 'flapped-once', 'overtaken']) await sourceStore.set(key, sessionV2Text(), { ttlSeconds });
    let flappedOnce = false;
    target.compareAndSetOverride = (key) => {
      if (key === 'flapping') return { ok: false, current: undefined };
      if (key === 'flapped-once' && !flappedOnce) {
        flappedOnce = true;
        return { ok: false, current: undefined };
      }
      return undefined;
    };
    target.getOverride = (key, entry) => {
      if (key === 'evicted') return undefined;
      if (key === 'altered' && entry !== undefined) return { ...entry, value: sessionV2Text({ updatedAt: 1 }) };
      if (key === 'overtaken' && entry !== undefined) return { ...entry, version: 'newer', value: sessionV2Text({ updatedAt: 2 }) };
      return 'pass';
    };

    const report = await controller.migrate();

    expect(new Map(report.failures.map((failure) => [failure.key, failure.reason]))).toStrictEqual(
      new Map([
        ['evicted', 'absent from the target right after it was written (evicted?)'],
        ['altered', 'the target returned other bytes than were written (checksum mismatch)'],
        ['flapping', 'the key kept appearing and vanishing in the target'],
      ]),
    );
    expect(report.counts).toMatchObject({ failed: 3, migrated: 1, alreadyCurrent: 1 });
  });

  it('fails a quarantined key whose rebuilt session cannot be verified, and a key the target refuses', async () => {
    const { sourceStore, target, platform, controller } = await harness();
    addPlatformCart(platform, 'cart-1');
    await sourceStore.set('bad:1', '{"cartId":"cart-1"', { ttlSeconds });
    await sourceStore.set('good:1', sessionV2Text(), { ttlSeconds });
    target.getOverride = (key) => (key === 'bad:1' ? undefined : 'pass');
    target.before = (operation, key) => {
      if (operation === 'compareAndSet' && key === 'good:1') throw new Error('target unavailable');
    };
    const report = await controller.migrate();
    expect(new Map(report.failures.map((failure) => [failure.key, failure.reason]))).toStrictEqual(
      new Map([
        ['bad:1', "SESSION_COPY_FAILED: Session 'bad:1': the rebuilt session could not be written: absent from the target right after it was written (evicted?)."],
        ['good:1', 'Error: target unavailable'],
      ]),
    );
  });
});

describe('migrate: checkpoints and resume', () => {
  async function seed(store: InMemorySessionStore, platform: InMemoryCommercePlatform): Promise<void> {
    addPlatformCart(platform, 'cart-r');
    for (let index = 0; index < 57; index += 1) {
      const value = index % 3 === 0 ? sessionV1Text({ customerId: `c-${index}` }) : sessionV2Text({ customerId: `c-${index}` });
      await store.set(`session:${index}`, value, { ttlSeconds: 60 + index });
    }
    await store.set('bad:json', '{"cartId":"cart-r"', { ttlSeconds });
    await store.set('bad:card', `{"n":"${testCardNumber}"}`, { ttlSeconds });
    await store.set('bad:schema', '{"schemaVersion":2}', { ttlSeconds });
  }

  it('resumes after a crash and ends with the counts of an uninterrupted run', async () => {
    const uninterrupted = await harness();
    await seed(uninterrupted.sourceStore, uninterrupted.platform);
    const expected = await uninterrupted.controller.migrate();

    const crashed = await harness();
    await seed(crashed.sourceStore, crashed.platform);
    let checkpoints = 0;
    const crashingJournal = hookJournal(crashed.journal, (batch) => {
      if (batch.puts?.[0]?.collection === sessionMigrationCollection && ++checkpoints === 4) throw new Error('process killed');
    });
    await expect(crashed.create({ journal: crashingJournal }).migrate()).rejects.toThrow('process killed');
    const interrupted = await crashed.controller.status();
    expect(interrupted?.phase).toBe('copying');
    // Writes: creation, the run's first checkpoint, batch 1; batch 2's checkpoint crashed.
    expect(interrupted?.progress).toMatchObject({ run: 1, batches: 1, complete: false });
    // Counts are taken when the checkpoint starts: batch 1's keys, and those of later chunks already copied.
    expect(interrupted?.progress?.keysSeen).toBeGreaterThanOrEqual(10);

    const resumed = await crashed.create().migrate();

    expect(resumed).toMatchObject({ run: 2, resumedRun: 1, phase: 'verifying' });
    expect(resumed.counts).toStrictEqual(expected.counts);
    expect(resumed.counts).toMatchObject({ migrated: 57, quarantined: 3, rebuilt: 1 });
    expect(new Set(resumed.quarantined.map((entry) => entry.key))).toStrictEqual(new Set(expected.quarantined.map((entry) => entry.key)));
    for (let index = 0; index < 57; index += 1) {
      expect((await crashed.targetStore.get(`session:${index}`))?.value).toBe((await uninterrupted.targetStore.get(`session:${index}`))?.value);
    }
    expect((await crashed.controller.status())?.progress).toMatchObject({ run: 2, batches: 6, keysSeen: 60, complete: true });
  });

  it('stops on abort after the chunks in flight, checkpoints, and resumes later', async () => {
    const { sourceStore, platform, controller, source } = await harness();
    await seed(sourceStore, platform);
    const aborter = new AbortController();
    let reads = 0;
    source.before = (operation) => {
      if (operation === 'get' && ++reads === 15) aborter.abort(new Error('operator stop'));
    };
    await expect(controller.migrate({ signal: aborter.signal })).rejects.toThrow('operator stop');
    // The abort came during batch 2; chunks of the batches after it may already have been in flight (concurrency 4).
    const progress = (await controller.status())?.progress;
    expect(progress).toMatchObject({ run: 1, complete: false });
    expect(progress?.batches).toBeGreaterThanOrEqual(2);
    expect(progress?.batches).toBeLessThan(6);
    const resumed = await controller.migrate();
    expect(resumed.counts.migrated).toBe(57);
    await expect(controller.migrate({ signal: AbortSignal.abort(new Error('already stopped')) })).rejects.toThrow('already stopped');
  });

  it('lets an enumeration failure through after checkpointing the batches before it', async () => {
    const { sourceStore, source, controller } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    source.enumerateOverride = () => ({
      [Symbol.asyncIterator]() {
        let calls = 0;
        return {
          next: async () => {
            calls += 1;
            if (calls === 1) return { done: false, value: ['session:1'] };
            throw new Error('scan failed');
          },
          return: async () => {
            throw new Error('cannot close');
          },
        };
      },
    });
    await expect(controller.migrate()).rejects.toThrow('scan failed');
    expect((await controller.status())?.progress).toMatchObject({ batches: 1, keysSeen: 1, complete: false });
  });

  it('closes the enumeration when stopped early, also one that cannot close cleanly or has no return', async () => {
    const { sourceStore, source, controller, create } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    let closed = 0;
    const endless = (aborter: AbortController, withReturn: boolean): AsyncIterable<readonly string[]> => ({
      [Symbol.asyncIterator]() {
        return {
          next: async () => {
            aborter.abort(new Error('stop'));
            return { done: false, value: ['session:1'] };
          },
          ...(withReturn
            ? {
                return: async () => {
                  closed += 1;
                  throw new Error('cannot close');
                },
              }
            : {}),
        };
      },
    });
    const first = new AbortController();
    source.enumerateOverride = () => endless(first, true);
    await expect(controller.migrate({ signal: first.signal })).rejects.toThrow('stop');
    expect(closed).toBe(1);

    const second = new AbortController();
    const bare: SessionStoreV1 = {
      specificationVersion: 'v1',
      name: 'bare',
      capabilities: sourceStore.capabilities,
      get: (key) => sourceStore.get(key),
      set: (key, value, options) => sourceStore.set(key, value, options),
      compareAndSet: (key, value, options) => sourceStore.compareAndSet(key, value, options),
      delete: (key) => sourceStore.delete(key),
      enumerate: () => endless(second, false),
      close: async () => undefined,
    };
    await expect(create({ source: bare, migrationId: 'bare' }).migrate({ signal: second.signal })).rejects.toThrow('stop');
  });

  it('stops when another controller changed the record meanwhile', async () => {
    const { sourceStore, journal, create } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    let writes = 0;
    const racingJournal = hookJournal(journal, async (batch) => {
      if (batch.puts?.[0]?.collection === sessionMigrationCollection && ++writes === 2) {
        const current = await journal.get(sessionMigrationCollection, 'sessions-1');
        await journal.write({ puts: [{ collection: sessionMigrationCollection, key: 'sessions-1', value: current?.value ?? '', expectedVersion: 'any' }] });
      }
    });
    const error = await create({ journal: racingJournal })
      .migrate()
      .catch((caught: unknown) => caught);
    expect(SessionMigrationConflictError.isInstance(error)).toBe(true);
    expect((error as SessionMigrationConflictError).attempted).toBe('a checkpoint');
    expect(VersionConflictError.isInstance((error as Error).cause)).toBe(true);
  });

  it('stops when another controller started the same migration at the same time, and lets other journal errors through', async () => {
    const { journal, create } = await harness();
    const racingJournal = hookJournal(journal, async () => {
      if ((await journal.get(sessionMigrationCollection, 'sessions-1')) === undefined) {
        await journal.write({ puts: [{ collection: sessionMigrationCollection, key: 'sessions-1', value: '{}', expectedVersion: 0 }] });
      }
    });
    await expect(create({ journal: racingJournal }).migrate()).rejects.toSatisfy(SessionMigrationConflictError.isInstance);
    const failing = hookJournal(await openJournal(), () => {
      throw new Error('disk full');
    });
    await expect(create({ journal: failing }).migrate()).rejects.toThrow('disk full');
  });
});

describe('phases', () => {
  it('runs copying -> verifying -> reads-switched -> done, journaling each change', async () => {
    const { clock, sourceStore, controller } = await harness();
    expect(await controller.readPhase()).toStrictEqual({ phase: 'not-started', changedAt: undefined });
    expect(await controller.status()).toBeUndefined();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    await controller.migrate();
    expect(await controller.readPhase()).toStrictEqual({ phase: 'verifying', changedAt: clock.now() });
    await clock.advance(10);
    const switched = await controller.switchReads({ actor: 'alice', reason: 'report reviewed' });
    expect(switched.phase).toBe('reads-switched');
    expect(switched.history.at(-1)).toStrictEqual({ from: 'verifying', to: 'reads-switched', at: clock.now(), actor: 'alice', reason: 'report reviewed' });
    const done = await controller.complete();
    expect(done.phase).toBe('done');
    expect(done.history.map((change) => change.to)).toStrictEqual(['copying', 'verifying', 'reads-switched', 'done']);
    expect(done.history.at(-1)).toMatchObject({ actor: 'system', reason: 'migration complete; the source is no longer written' });
    await expect(controller.migrate()).rejects.toSatisfy(SessionMigrationPhaseError.isInstance);
    await expect(controller.rollback()).rejects.toSatisfy(SessionMigrationPhaseError.isInstance);
  });

  it('re-runs from verifying (to retry failures), recognizing what was copied', async () => {
    const { sourceStore, controller } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    await controller.migrate();
    const second = await controller.migrate();
    expect(second).toMatchObject({ run: 2, resumedRun: undefined, counts: { migrated: 1 } });
    expect((await controller.status())?.history.map((change) => change.to)).toStrictEqual(['copying', 'verifying', 'copying', 'verifying']);
  });

  it('refuses to switch reads while sessions failed to copy, or before the copy ran', async () => {
    const { sourceStore, target, controller } = await harness();
    await expect(controller.switchReads()).rejects.toSatisfy(SessionMigrationPhaseError.isInstance);
    await expect(controller.complete()).rejects.toSatisfy(SessionMigrationPhaseError.isInstance);
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    target.before = () => {
      throw new Error('target down');
    };
    await controller.migrate();
    const refusal = await controller.switchReads().catch((error: unknown) => error);
    expect(SessionSwitchRefusedError.isInstance(refusal)).toBe(true);
    expect((refusal as SessionSwitchRefusedError).failed).toBe(1);
    target.before = undefined;
    await controller.migrate();
    expect((await controller.switchReads()).phase).toBe('reads-switched');
  });

  it('rolls back from any phase before done, idempotently', async () => {
    const { controller } = await harness();
    await expect(controller.rollback()).rejects.toSatisfy(SessionMigrationPhaseError.isInstance);
    await controller.migrate();
    const rolledBack = await controller.rollback({ actor: 'bob', reason: 'target latency' });
    expect(rolledBack.phase).toBe('rolled-back');
    expect(rolledBack.history.at(-1)).toMatchObject({ from: 'verifying', to: 'rolled-back', actor: 'bob', reason: 'target latency' });
    expect(await controller.rollback()).toStrictEqual(rolledBack);
    await expect(controller.migrate()).rejects.toSatisfy(SessionMigrationPhaseError.isInstance);
  });
});

describe('copyThrough (a live read the target could not answer)', () => {
  it('copies one session like the bulk copy and returns what the target holds', async () => {
    const { clock, sourceStore, targetStore, platform, controller } = await harness();
    await sourceStore.set('session:1', sessionV1Text({ updatedAt: undefined }), { ttlSeconds });
    // Before the migration record exists, an upgraded session's updatedAt falls back to now.
    const early = await controller.copyThrough('session:1');
    expect(JSON.parse(early?.value ?? '{}')).toMatchObject({ updatedAt: clock.now() });
    expect(await targetStore.get('session:1')).toStrictEqual(early);
    expect(await controller.copyThrough('session:absent')).toBeUndefined();

    addPlatformCart(platform, 'cart-1');
    await sourceStore.set('bad:1', '{"cartId":"cart-1"', { ttlSeconds });
    await sourceStore.set('bad:2', 'garbage', { ttlSeconds });
    expect(JSON.parse((await controller.copyThrough('bad:1'))?.value ?? '{}')).toMatchObject({ cartId: 'cart-1' });
    expect(await controller.copyThrough('bad:2')).toBeUndefined();
  });

  it("uses the migration's creation time for upgraded sessions without updatedAt, as the bulk copy does", async () => {
    const { clock, sourceStore, controller, create } = await harness();
    await controller.migrate();
    const createdAt = (await controller.status())?.createdAt;
    await clock.advance(60_000);
    await sourceStore.set('session:late', sessionV1Text({ updatedAt: undefined }), { ttlSeconds });
    const copied = await create().copyThrough('session:late');
    expect(JSON.parse(copied?.value ?? '{}')).toMatchObject({ updatedAt: createdAt });
  });

  it("throws the store's error, or SESSION_COPY_FAILED for a copy that could not be verified", async () => {
    const { sourceStore, target, controller } = await harness();
    await sourceStore.set('session:1', sessionV2Text(), { ttlSeconds });
    target.before = () => {
      throw new PaymigrateError('SESSION_STORE_UNAVAILABLE', 'redis down', { isRetryable: true });
    };
    await expect(controller.copyThrough('session:1')).rejects.toThrow('redis down');
    target.before = () => {
      throw 'a string';
    };
    await expect(controller.copyThrough('session:1')).rejects.toThrow("Session 'session:1' could not be copied to the target: a string.");
    target.before = undefined;
    target.getOverride = () => undefined;
    const error = await controller.copyThrough('session:1').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SESSION_COPY_FAILED', isRetryable: true });
  });
});

describe('options', () => {
  it('are validated once, naming the option', async () => {
    const { source, target, journal } = await harness();
    const base = { source, target, journal, batchSize: 10, concurrency: 2, migrationId: 'm' };
    expect(() => createSessionMigrationController({ ...base, batchSize: 0 })).toThrow(ConfigurationError);
    expect(() => createSessionMigrationController({ ...base, source: {} as never })).toThrow(/sessions\.source/);
    expect(() => createSessionMigrationController({ ...base, migrationId: '' })).toThrow(/sessions\.migrationId/);
    expect(() => createSessionMigrationController({ ...base, paymentLocator: {} as never })).toThrow(/createJournalPaymentLocator/);
    expect(createSessionMigrationController(base).migrationId).toBe('m');
  });

  it('leaves session values untouched in reports: keys, kinds and counts only', async () => {
    const { sourceStore, controller } = await harness();
    await sourceStore.set('session:1', sessionV2Text({ customerId: 'secret-customer' }), { ttlSeconds });
    await sourceStore.set('bad:1', '{"customerId":"secret-customer"', { ttlSeconds });
    const report = await controller.migrate();
    expect(JSON.stringify(report)).not.toContain('secret-customer');
  });
});
