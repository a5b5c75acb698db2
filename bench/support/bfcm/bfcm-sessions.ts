// The sessions that move during the load: N shoppers' sessions (carts) seeded in a real memcached
// before the load starts, moved to a real Redis by the Session Migration Controller while the load
// runs, with live shoppers updating their carts through the migrating store meanwhile. Afterwards
// every session is read back from Redis: one missing there (or unreadable) is a dropped session.
import { createLogger, createMigratingSessionStore, createSessionMigrationController, type JournalV1, parseSession, serializeSession, type SessionMigrationReport } from '@paymigrate/core';
import { createMemcachedSessionStore } from '@paymigrate/store-memcached';
import { createRedisSessionStore } from '@paymigrate/store-redis';
import { forEachConcurrently, shopperSession } from '../shopper-sessions.js';

const silent = createLogger({ level: 'silent' });

/** A shopper's session with a cart of one to four lines. */
function sessionValue(index: number): string {
  return shopperSession(index, 'en');
}

/** What the session move did. */
export interface BfcmSessionReport {
  readonly sessions: number;
  readonly copySeconds: number;
  readonly migration: SessionMigrationReport;
  /** Cart updates the live shoppers made during the copy. */
  readonly liveUpdates: number;
  /** Sessions missing or unreadable in Redis afterwards. */
  readonly dropped: number;
  /** Live cart updates a shopper saw succeed that are missing afterwards. */
  readonly lostUpdates: number;
  readonly droppedExamples: readonly string[];
}

/** The session move: `seed()` before the load, `migrate()` during it, `verify()` after it. */
export interface BfcmSessions {
  seed(): Promise<void>;
  migrate(): Promise<{ readonly report: SessionMigrationReport; readonly seconds: number; readonly liveUpdates: number }>;
  verify(migrated: { readonly report: SessionMigrationReport; readonly seconds: number; readonly liveUpdates: number }): Promise<BfcmSessionReport>;
  close(): Promise<void>;
}

/** Sessions of `count` shoppers between the memcached at `memcachedServers` and the Redis at `redisUrl`. */
export function createBfcmSessions(options: { readonly journal: JournalV1; readonly memcachedServers: string; readonly redisUrl: string; readonly count: number; readonly liveShoppers: number }): BfcmSessions {
  const source = createMemcachedSessionStore({ servers: options.memcachedServers, keyPrefix: 'bfcm:' });
  const target = createRedisSessionStore({ url: options.redisUrl, keyPrefix: 'bfcm:' });
  const keys = Array.from({ length: options.count }, (_, index) => `session:${index}`);
  const applied = new Map<string, number>();
  return {
    async seed() {
      await forEachConcurrently(keys, 64, async (key, index) => {
        await source.set(key, sessionValue(index), { ttlSeconds: 3_600 });
      });
    },
    async migrate() {
      const controller = createSessionMigrationController({ source, target, journal: options.journal, logger: silent, batchSize: 500, concurrency: 16, migrationId: 'bfcm-sessions' });
      const live = createMigratingSessionStore({ source, target, controller, phaseCacheMs: 250, rollbackFenceMs: 2_000, logger: silent });
      let copying = true;
      let liveUpdates = 0;
      // Shoppers keep adding to their carts while the sessions move (one update at a time each).
      const shopper = async (shopperIndex: number): Promise<void> => {
        let step = shopperIndex;
        while (copying) {
          const key = keys[(step * 7_919) % keys.length] as string;
          step += options.liveShoppers;
          const entry = await live.get(key);
          if (entry === undefined) continue;
          const parsed = parseSession(entry.value);
          if (!parsed.ok) continue;
          const count = Number(parsed.session.preferences.views ?? '0');
          const next = serializeSession({ ...parsed.session, preferences: { ...parsed.session.preferences, views: String(count + 1) } });
          const result = await live.compareAndSet(key, next, { ttlSeconds: 3_600, expectedVersion: entry.version });
          if (result.ok) {
            liveUpdates += 1;
            applied.set(key, Math.max(applied.get(key) ?? 0, count + 1));
          }
        }
      };
      const shoppers = Array.from({ length: options.liveShoppers }, (_, index) => shopper(index));
      const started = performance.now();
      try {
        const report = await controller.migrate();
        return { report, seconds: (performance.now() - started) / 1000, liveUpdates };
      } finally {
        copying = false;
        await Promise.all(shoppers);
      }
    },
    async verify(migrated) {
      let dropped = 0;
      let lostUpdates = 0;
      const droppedExamples: string[] = [];
      await forEachConcurrently(keys, 64, async (key) => {
        const entry = await target.get(key);
        const parsed = entry === undefined ? undefined : parseSession(entry.value);
        if (parsed === undefined || !parsed.ok) {
          dropped += 1;
          if (droppedExamples.length < 10) droppedExamples.push(`${key}: ${entry === undefined ? 'missing from Redis' : 'unreadable in Redis'}`);
          return;
        }
        const expected = applied.get(key);
        if (expected !== undefined && Number(parsed.session.preferences.views ?? '0') < expected) lostUpdates += 1;
      });
      return { sessions: keys.length, copySeconds: migrated.seconds, migration: migrated.report, liveUpdates: migrated.liveUpdates, dropped, lostUpdates, droppedExamples };
    },
    async close() {
      await Promise.all([source.close(), target.close()]);
    },
  };
}
