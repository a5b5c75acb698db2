import type { JournalRecord, JournalV1 } from '../ports/journal/v1/journal.js';

/** One `get` waiting for its collection's `getMany`. */
interface PendingRead {
  readonly key: string;
  readonly resolve: (record: JournalRecord | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The journal with its single-record reads coalesced: every `get` made in the same run of
 * microtasks (the events of one chunk reading their orders, say) is answered by ONE `getMany` per
 * collection (a record read alone still goes through `get`). A burst of events then costs a few
 * multi-key reads instead of one round trip (and, for SQLite, one durability check) per record.
 * Each caller still gets exactly the record of its key, or `undefined`; a failing read rejects
 * every caller of its batch. Every other method is the journal's own.
 *
 * Reads were never isolated from each other: the synchronizer's compare-and-set writes decide, so
 * a record read from a snapshot a microtask later changes nothing it guarantees.
 */
export function coalescedReads(journal: JournalV1): JournalV1 {
  const pending = new Map<string, PendingRead[]>();

  /** One record alone is read with `get` (no multi-key transaction for an event that came alone). */
  const read = async (collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> => {
    if (keys.length > 1) return journal.getMany(collection, keys);
    const record = await journal.get(collection, keys[0] as string);
    return record === undefined ? [] : [record];
  };

  const flush = (collection: string): void => {
    const batch = pending.get(collection) as PendingRead[];
    pending.delete(collection);
    read(collection, batch.map((entry) => entry.key)).then(
      (records) => {
        const byKey = new Map(records.map((record) => [record.key, record]));
        for (const entry of batch) entry.resolve(byKey.get(entry.key));
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  };

  const get = (collection: string, key: string): Promise<JournalRecord | undefined> =>
    new Promise((resolve, reject) => {
      const batch = pending.get(collection);
      if (batch !== undefined) {
        batch.push({ key, resolve, reject });
        return;
      }
      pending.set(collection, [{ key, resolve, reject }]);
      queueMicrotask(() => flush(collection));
    });

  return {
    specificationVersion: journal.specificationVersion,
    name: journal.name,
    open: () => journal.open(),
    close: () => journal.close(),
    schemaVersion: () => journal.schemaVersion(),
    get,
    getMany: (collection, keys) => journal.getMany(collection, keys),
    list: (collection, options) => journal.list(collection, options),
    count: (collection, options) => journal.count(collection, options),
    write: (batch) => journal.write(batch),
    claim: (options) => journal.claim(options),
    claimOutbox: (options) => journal.claimOutbox(options),
    acknowledgeOutbox: (input) => journal.acknowledgeOutbox(input),
    releaseOutbox: (input) => journal.releaseOutbox(input),
    pendingOutboxCount: (options) => journal.pendingOutboxCount(options),
  };
}
