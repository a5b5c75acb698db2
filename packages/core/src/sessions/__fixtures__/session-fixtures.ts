import { setImmediate as nextMacrotask } from 'node:timers';
import { createLogger } from '../../observability/logger.js';
import type { JournalV1, JournalWriteBatch } from '../../ports/journal/v1/journal.js';
import type {
  SessionCompareAndSetRequest,
  SessionCompareAndSetResult,
  SessionEntry,
  SessionStoreCapabilities,
  SessionStoreV1,
  SessionWriteOptions,
} from '../../ports/session-store/v1/session-store.js';
import type { SessionV2 } from '../session-schema.js';
import { serializeSession } from '../session-values.js';

/** A logger that writes nothing. */
export const silentLogger = createLogger({ level: 'silent' });

/** A card number that passes the Luhn check (Visa test card). */
export const testCardNumber = '4111111111111111';

/** A valid v2 session. */
export function sessionV2(overrides: Partial<SessionV2> = {}): SessionV2 {
  return {
    schemaVersion: 2,
    customerId: 'customer-1',
    cartId: 'cart-1',
    cart: { currency: 'EUR', lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: { minorUnits: '1250', currency: 'EUR' }, title: 'Mug' }] },
    preferences: { language: 'de' },
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** The text of a v2 session. */
export function sessionV2Text(overrides: Partial<SessionV2> = {}): string {
  return serializeSession(sessionV2(overrides));
}

/** The text of a v1 session (`cartItems`, `currency`, `prefs`). */
export function sessionV1Text(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    customerId: 'customer-1',
    cartId: 'cart-1',
    currency: 'EUR',
    cartItems: [{ sku: 'SKU-1', qty: 2, price: '12.50', name: 'Mug' }],
    prefs: { language: 'de', newsletter: true },
    updatedAt: 1_700_000_000_000,
    ...fields,
  });
}

/** Lets every pending microtask and one macrotask run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    nextMacrotask(resolve);
  });
}

/** A session store operation, as seen by `HookedSessionStore`. */
export type SessionStoreOperation = 'get' | 'set' | 'compareAndSet' | 'delete' | 'enumerate' | 'getMany' | 'compareAndSetMany';

/**
 * A session store wrapper for tests: runs `before` ahead of every call (to throw, to delay, to let
 * another writer in) and counts calls per operation. Everything else goes to the inner store.
 */
export class HookedSessionStore implements SessionStoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly calls: Record<SessionStoreOperation, number> = { get: 0, set: 0, compareAndSet: 0, delete: 0, enumerate: 0, getMany: 0, compareAndSetMany: 0 };
  /** Runs before each call; may throw or wait. */
  before: ((operation: SessionStoreOperation, key: string | undefined) => Promise<void> | void) | undefined;
  /** Replaces what `compareAndSet` answers when it returns something. */
  compareAndSetOverride: ((key: string, value: string) => SessionCompareAndSetResult | undefined) | undefined;
  /** Replaces what `get` answers when it returns something other than `'pass'`. */
  getOverride: ((key: string, entry: SessionEntry | undefined) => SessionEntry | undefined | 'pass') | undefined;
  /** Replaces the batches `enumerate` yields. */
  enumerateOverride: (() => AsyncIterable<readonly string[]>) | undefined;
  /** What the store declares; the inner store's unless replaced. */
  capabilities: SessionStoreCapabilities;
  closed = false;

  readonly #inner: SessionStoreV1;

  constructor(inner: SessionStoreV1, name = inner.name) {
    this.#inner = inner;
    this.name = name;
    this.capabilities = inner.capabilities;
  }

  async get(key: string): Promise<SessionEntry | undefined> {
    await this.#before('get', key);
    const entry = await this.#inner.get(key);
    if (this.getOverride === undefined) return entry;
    const overridden = this.getOverride(key, entry);
    return overridden === 'pass' ? entry : overridden;
  }

  async set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    await this.#before('set', key);
    return this.#inner.set(key, value, options);
  }

  async compareAndSet(key: string, value: string, options: SessionWriteOptions & { readonly expectedVersion: string | null }): Promise<SessionCompareAndSetResult> {
    await this.#before('compareAndSet', key);
    const overridden = this.compareAndSetOverride?.(key, value);
    if (overridden !== undefined) return overridden;
    return this.#inner.compareAndSet(key, value, options);
  }

  async delete(key: string): Promise<boolean> {
    await this.#before('delete', key);
    return this.#inner.delete(key);
  }

  async *enumerate(options?: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined }): AsyncIterable<readonly string[]> {
    await this.#before('enumerate', undefined);
    yield* this.enumerateOverride?.() ?? this.#inner.enumerate(options);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Runs the hook of an operation (for subclasses adding members). */
  protected async runBefore(operation: SessionStoreOperation, key: string | undefined): Promise<void> {
    await this.#before(operation, key);
  }

  async #before(operation: SessionStoreOperation, key: string | undefined): Promise<void> {
    this.calls[operation] += 1;
    await this.before?.(operation, key);
  }
}

/**
 * A `HookedSessionStore` with the optional batch members, delegated to the inner store's (which
 * must have them). Each batch call runs `before` once, with no key, and is counted.
 */
export class BatchingHookedSessionStore extends HookedSessionStore {
  /** Replaces what `getMany` answers when it returns something. */
  getManyOverride: ((keys: readonly string[]) => readonly (SessionEntry | undefined)[] | undefined) | undefined;
  /** Replaces what `compareAndSetMany` answers when it returns something. */
  compareAndSetManyOverride: ((requests: readonly SessionCompareAndSetRequest[]) => readonly SessionCompareAndSetResult[] | undefined) | undefined;

  readonly #batchInner: Required<Pick<SessionStoreV1, 'getMany' | 'compareAndSetMany'>>;

  constructor(inner: SessionStoreV1, name = inner.name) {
    super(inner, name);
    const { getMany, compareAndSetMany } = inner;
    if (getMany === undefined || compareAndSetMany === undefined) throw new TypeError('BatchingHookedSessionStore needs an inner store with getMany and compareAndSetMany.');
    this.#batchInner = { getMany: getMany.bind(inner), compareAndSetMany: compareAndSetMany.bind(inner) };
  }

  async getMany(keys: readonly string[]): Promise<readonly (SessionEntry | undefined)[]> {
    await this.runBefore('getMany', undefined);
    return this.getManyOverride?.(keys) ?? this.#batchInner.getMany(keys);
  }

  async compareAndSetMany(requests: readonly SessionCompareAndSetRequest[]): Promise<readonly SessionCompareAndSetResult[]> {
    await this.runBefore('compareAndSetMany', undefined);
    return this.compareAndSetManyOverride?.(requests) ?? this.#batchInner.compareAndSetMany(requests);
  }
}

/**
 * A journal whose `write` runs `beforeWrite` first (to fail it, or to let "another node" write in
 * between); everything else goes to the inner journal.
 */
export function hookJournal(inner: JournalV1, beforeWrite: (batch: JournalWriteBatch) => Promise<void> | void): JournalV1 {
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'write') {
        return async (batch: JournalWriteBatch) => {
          await beforeWrite(batch);
          return target.write(batch);
        };
      }
      const member = Reflect.get(target, property, receiver) as unknown;
      return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
    },
  });
}
