import type { SessionEntry } from '@paymigrate/core';
import { InMemorySessionStore } from '@paymigrate/testkit';
import type { SessionEntryJson, SessionFacts, SessionStoreName, WorldCalls } from './world-protocol.js';

/** The world's two session stores (the shop's current one and the one sessions move to), with every key ever written tracked. */
export interface WorldSessions {
  /** `get`. */
  get(input: WorldCalls['sessionGet']['input']): Promise<SessionEntryJson | null>;
  /** `set`. */
  set(input: WorldCalls['sessionSet']['input']): Promise<SessionEntryJson>;
  /** `compareAndSet`. */
  compareAndSet(input: WorldCalls['sessionCompareAndSet']['input']): Promise<WorldCalls['sessionCompareAndSet']['output']>;
  /** `delete`. */
  delete(input: WorldCalls['sessionDelete']['input']): Promise<boolean>;
  /** Every live key with a prefix. */
  keys(input: WorldCalls['sessionKeys']['input']): Promise<string[]>;
  /** Presence of every key ever written, for verification. */
  facts(): Promise<SessionFacts>;
}

/** An entry as JSON. */
function entryToJson(entry: SessionEntry): SessionEntryJson {
  return { key: entry.key, value: entry.value, version: entry.version, expiresAt: entry.expiresAt ?? null };
}

/**
 * Creates the world's session stores.
 *
 * @param options.isDeletionMarker Recognizes a value that marks a deleted session (the session
 *   migration's tombstone): such a key counts as absent.
 * @param options.dropSessionNumber The n-th key written is removed from both stores when the facts
 *   are read (the injected fault).
 */
export function createWorldSessions(options: { readonly isDeletionMarker: (value: string) => boolean; readonly dropSessionNumber?: number | undefined }): WorldSessions {
  const stores: Record<SessionStoreName, InMemorySessionStore> = { old: new InMemorySessionStore(), new: new InMemorySessionStore() };
  const written = new Set<string>();
  const writeOrder: string[] = [];

  const track = (key: string): void => {
    if (!written.has(key)) {
      written.add(key);
      writeOrder.push(key);
    }
  };

  const livePresent = async (store: SessionStoreName, key: string): Promise<boolean> => {
    const entry = await stores[store].get(key);
    return entry !== undefined && !options.isDeletionMarker(entry.value);
  };

  const countLive = async (store: SessionStoreName): Promise<number> => {
    let count = 0;
    for await (const batch of stores[store].enumerate()) {
      for (const key of batch) if (await livePresent(store, key)) count += 1;
    }
    return count;
  };

  return {
    async get(input) {
      const entry = await stores[input.store].get(input.key);
      return entry === undefined ? null : entryToJson(entry);
    },
    async set(input) {
      track(input.key);
      return entryToJson(await stores[input.store].set(input.key, input.value, { ttlSeconds: input.ttlSeconds }));
    },
    async compareAndSet(input) {
      const result = await stores[input.store].compareAndSet(input.key, input.value, { ttlSeconds: input.ttlSeconds, expectedVersion: input.expectedVersion });
      if (result.ok) {
        track(input.key);
        return { ok: true, entry: entryToJson(result.entry) };
      }
      return { ok: false, entry: result.current === undefined ? null : entryToJson(result.current) };
    },
    delete: (input) => stores[input.store].delete(input.key),
    async keys(input) {
      const found: string[] = [];
      for await (const batch of stores[input.store].enumerate({ prefix: input.prefix })) found.push(...batch);
      return [...new Set(found)];
    },
    async facts() {
      const dropped = options.dropSessionNumber === undefined ? undefined : writeOrder[options.dropSessionNumber - 1];
      if (dropped !== undefined) {
        await stores.old.delete(dropped);
        await stores.new.delete(dropped);
      }
      const absentKeys: string[] = [];
      for (const key of written) {
        if (!(await livePresent('old', key)) && !(await livePresent('new', key))) absentKeys.push(key);
      }
      return { written: written.size, absentKeys, inOldStore: await countLive('old'), inNewStore: await countLive('new') };
    },
  };
}
