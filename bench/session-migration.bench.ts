// Session migration throughput on real servers: N live sessions move from a real memcached to a real
// Redis through the Session Migration Controller while application nodes keep updating carts through
// the live store. Measures sessions/s and counts drops (sessions missing from Redis afterwards) and
// lost updates (increments a writer saw succeed that are missing afterwards). A naive copy (get + set,
// no transform, no verification, no protection of live writes) of the same sessions runs side by side.
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  createMigratingSessionStore,
  createSessionMigrationController,
  parseSession,
  serializeSession,
  type SessionMigrationReport,
  type SessionStoreV1,
} from '@paymigrate/core';
import { createMemcachedSessionStore } from '@paymigrate/store-memcached';
import { createRedisSessionStore } from '@paymigrate/store-redis';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { createSeededRandom, startMemcachedServer, startRedisServer } from '@paymigrate/testkit';
import { type Benchmark, formatRate } from './support/benchmark.js';

const silent = createLogger({ level: 'silent' });

/** A realistic session: a v1 one in three (upgraded on the way), else v2, a few cart lines. */
function sessionValue(index: number): string {
  const lines = 1 + (index % 4);
  if (index % 3 === 0) {
    return JSON.stringify({
      customerId: `customer-${index}`,
      currency: 'EUR',
      cartItems: Array.from({ length: lines }, (_, line) => ({ sku: `SKU-${(index + line) % 997}`, qty: 1 + line, price: '19.90', name: 'Organic cotton T-shirt' })),
      prefs: { language: 'de', currencyDisplay: 'symbol' },
      updatedAt: 1_767_000_000_000 + index,
    });
  }
  return serializeSession({
    schemaVersion: 2,
    customerId: `customer-${index}`,
    cart: {
      currency: 'EUR',
      lines: Array.from({ length: lines }, (_, line) => ({
        sku: `SKU-${(index + line) % 997}`,
        quantity: 1 + line,
        unitPrice: { minorUnits: '1990', currency: 'EUR' },
        title: 'Organic cotton T-shirt',
      })),
    },
    preferences: { language: 'fr', currencyDisplay: 'symbol' },
    updatedAt: 1_767_000_000_000 + index,
  });
}

async function forEachConcurrently<Item>(items: readonly Item[], concurrency: number, work: (item: Item, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        await work(items[index] as Item, index);
      }
    }),
  );
}

/** What one size measured. */
interface SizeResult {
  readonly sessions: number;
  readonly seedSeconds: number;
  readonly copySeconds: number;
  readonly report: SessionMigrationReport;
  readonly liveWrites: number;
  readonly conflicts: number;
  readonly absentReads: number;
  readonly drops: number;
  readonly lostUpdates: number;
  readonly naiveSeconds: number;
  /** CPU time of this process (controller, live writers, store clients) during the copy, seconds. */
  readonly copyCpuSeconds: number;
}

const benchmark: Benchmark = async ({ scale, seed, log }) => {
  const sizes = [10_000, 100_000].map((size) => Math.round(size * scale));
  const batchSize = 1_000;
  // 32 sessions in flight: on two shared cores more only adds socket writes competing for CPU.
  const concurrency = 32;
  const writerCount = 16;
  const memcached = await startMemcachedServer({ memoryMegabytes: 1_024 });
  const redis = await startRedisServer();
  const directory = await mkdtemp(join(tmpdir(), 'paymigrate-session-bench-'));
  const results: SizeResult[] = [];
  try {
    for (const size of sizes) {
      log(`${size.toLocaleString('en-US')} sessions: seeding memcached`);
      const prefix = `bench-${size}:`;
      const source = createMemcachedSessionStore({ servers: memcached.servers, keyPrefix: prefix });
      const target = createRedisSessionStore({ url: redis.url, keyPrefix: prefix });
      const naiveTarget = createRedisSessionStore({ url: redis.url, keyPrefix: `naive-${prefix}` });
      const journal = createSqliteJournal({ filename: join(directory, `journal-${size}.sqlite`) });
      await journal.open();
      const keys = Array.from({ length: size }, (_, index) => `session:${index}`);
      const seedStarted = performance.now();
      await forEachConcurrently(keys, 128, async (key, index) => {
        await source.set(key, sessionValue(index), { ttlSeconds: 1_800 + (index % 1_800) });
      });
      const seedSeconds = (performance.now() - seedStarted) / 1000;

      // Baseline: a naive copy (get, set with the original TTL) of the same sessions.
      log(`${size.toLocaleString('en-US')} sessions: naive copy (baseline)`);
      const naiveStarted = performance.now();
      await forEachConcurrently(keys, concurrency, async (key) => {
        const entry = await source.get(key);
        if (entry !== undefined) await naiveTarget.set(key, entry.value, { ttlSeconds: Math.max(1, Math.ceil(((entry.expiresAt as number) - Date.now()) / 1000)) });
      });
      const naiveSeconds = (performance.now() - naiveStarted) / 1000;

      log(`${size.toLocaleString('en-US')} sessions: migrating with ${writerCount} live writers`);
      const controller = createSessionMigrationController({ source, target, journal, logger: silent, batchSize, concurrency, migrationId: `bench-${size}` });
      const nodes = Array.from({ length: 2 }, () => createMigratingSessionStore({ source, target, controller, phaseCacheMs: 250, rollbackFenceMs: 2_000, logger: silent }));
      const random = createSeededRandom(seed);
      const applied = new Map<string, number>();
      let liveWrites = 0;
      let conflicts = 0;
      let absentReads = 0;
      let copying = true;
      const writer = async (writerId: string, live: SessionStoreV1): Promise<void> => {
        while (copying) {
          const key = keys[random.integer(0, keys.length - 1)] as string;
          for (;;) {
            const entry = await live.get(key);
            if (entry === undefined) {
              absentReads += 1;
              break;
            }
            const parsed = parseSession(entry.value);
            if (!parsed.ok) throw new Error(`unreadable session ${key}: ${parsed.failure.reason}`);
            const count = Number(parsed.session.preferences[writerId] ?? '0');
            const next = serializeSession({ ...parsed.session, preferences: { ...parsed.session.preferences, [writerId]: String(count + 1) } });
            const result = await live.compareAndSet(key, next, { ttlSeconds: 1_800, expectedVersion: entry.version });
            if (result.ok) {
              liveWrites += 1;
              applied.set(`${key}|${writerId}`, (applied.get(`${key}|${writerId}`) ?? 0) + 1);
              break;
            }
            conflicts += 1;
          }
        }
      };
      const writers = Array.from({ length: writerCount }, (_, index) => writer(`w${index}`, nodes[index % nodes.length] as SessionStoreV1));
      const copyStarted = performance.now();
      const cpuBefore = process.cpuUsage();
      let report: SessionMigrationReport;
      try {
        report = await controller.migrate();
      } finally {
        copying = false;
      }
      const copySeconds = (performance.now() - copyStarted) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const copyCpuSeconds = (cpu.user + cpu.system) / 1e6;
      await Promise.all(writers);

      log(`${size.toLocaleString('en-US')} sessions: copied in ${copySeconds.toFixed(2)} s; checking every session in Redis`);
      let drops = 0;
      let lostUpdates = 0;
      await forEachConcurrently(keys, 128, async (key) => {
        const entry = await target.get(key);
        if (entry === undefined) {
          drops += 1;
          return;
        }
        const parsed = parseSession(entry.value);
        if (!parsed.ok) {
          drops += 1;
          return;
        }
        for (let index = 0; index < writerCount; index += 1) {
          const writerId = `w${index}`;
          const expected = applied.get(`${key}|${writerId}`) ?? 0;
          if (Number(parsed.session.preferences[writerId] ?? '0') !== expected) lostUpdates += 1;
        }
      });
      results.push({ sessions: size, seedSeconds, copySeconds, report, liveWrites, conflicts, absentReads, drops, lostUpdates, naiveSeconds, copyCpuSeconds });
      await Promise.all([source.close(), target.close(), naiveTarget.close(), journal.close()]);
    }
  } finally {
    await Promise.all([memcached.stop(), redis.stop()]);
    await rm(directory, { recursive: true, force: true });
  }

  const [small, large] = results as [SizeResult, SizeResult];
  const rate = (result: SizeResult): number => result.sessions / result.copySeconds;
  const clean = (result: SizeResult): boolean => result.drops === 0 && result.lostUpdates === 0 && result.absentReads === 0 && result.report.counts.failed === 0;
  const figures: Record<string, string | number> = {};
  for (const result of results) {
    const label = `${result.sessions.toLocaleString('en-US')} sessions`;
    figures[`${label}: copy time`] = `${result.copySeconds.toFixed(2)} s`;
    figures[`${label}: throughput`] = formatRate(rate(result), 'sessions');
    figures[`${label}: drops (missing from Redis)`] = result.drops;
    figures[`${label}: lost updates`] = result.lostUpdates;
    figures[`${label}: reads that found no session`] = result.absentReads;
    figures[`${label}: live writes during the copy (conflicts retried)`] = `${result.liveWrites.toLocaleString('en-US')} (${result.conflicts.toLocaleString('en-US')})`;
    figures[`${label}: migrated / already current (live) / failed`] = `${result.report.counts.migrated} / ${result.report.counts.alreadyCurrent} / ${result.report.counts.failed}`;
    figures[`${label}: baseline naive copy (get + set, unverified)`] = `${result.naiveSeconds.toFixed(2)} s, ${formatRate(result.sessions / result.naiveSeconds, 'sessions')}`;
    figures[`${label}: controller / naive copy time`] = (result.copySeconds / result.naiveSeconds).toFixed(2);
    figures[`${label}: CPU of this process during the copy`] = `${result.copyCpuSeconds.toFixed(2)} s (${((result.copyCpuSeconds / result.copySeconds) * 100).toFixed(0)} % of one core, ${Math.round((result.copyCpuSeconds * 1e6) / result.sessions)} µs per session)`;
    figures[`${label}: seeding memcached`] = `${result.seedSeconds.toFixed(2)} s`;
  }
  figures['peak RSS'] = `${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`;
  figures['load average at the end (1 / 5 / 15 min)'] = loadavg().map((value) => value.toFixed(2)).join(' / ');
  return {
    title: 'Session migration: memcached -> Redis with live writes (real servers)',
    description:
      `Sessions (one in three in the old v1 schema) in a real memcached (createMemcachedSessionStore, key index) are migrated to a real Redis (createRedisSessionStore) by the Session Migration Controller ` +
      `(batch ${batchSize}, concurrency ${concurrency}, SQLite journal for checkpoints) while ${writerCount} writers on 2 live stores keep doing read-modify-compare-and-set increments on random sessions. ` +
      'Afterwards every session is read back from Redis: a drop is a session missing or unreadable there, a lost update an increment a writer saw succeed that is missing. A naive copy (get + set) of the same sessions runs first as a baseline.',
    targets: [
      { measure: `${small.sessions.toLocaleString('en-US')} sessions with live writes: drops and lost updates`, target: '0', achieved: `${small.drops} drops, ${small.lostUpdates} lost`, met: clean(small), owner: 'user' },
      {
        measure: `${large.sessions.toLocaleString('en-US')} sessions with live writes: copy time, zero drops and lost updates`,
        target: '<= 10 s, 0 drops, 0 lost',
        achieved: `${large.copySeconds.toFixed(2)} s, ${large.drops} drops, ${large.lostUpdates} lost`,
        met: clean(large) && large.copySeconds <= 10,
        owner: 'ours',
      },
    ],
    figures,
    notes: [
      'Per session the controller reads memcached, parses and upgrades the session (zod), scans it for card data, writes Redis with compare-and-set on absence (a Lua script), re-reads it and compares SHA-256 checksums; the naive baseline does one read and one write, verifies nothing and would overwrite live writes.',
      'Copy time is migrate() from its call to the report: enumeration of the memcached key index, every copy, a SQLite checkpoint per batch and the phase change; seeding and the final read-back are not included.',
      'Live writers run on the same two cores as the controller, memcached and Redis, and compete with them; their sessions are picked at random, so most keys are copied by the bulk copy and some by read-through.',
      'CPU of this process counts the controller, the live writers and both store clients (socket writes dominate a CPU profile: about 4 round trips per session, one of them the memcached adapter checking each indexed key is live during enumeration); memcached and Redis run in their own processes.',
      'The machine is shared (2 cores, other test runs in parallel): compare the figures of one run side by side, and see the load average figure.',
    ],
  };
};

export default benchmark;
