import type { JournalRecord, JournalV1, JournalWriteBatch, JournalWriteResult } from '../../ports/journal/v1/journal.js';

/**
 * A journal that keeps only small collections (checkpoints, keys) and counts the rest of the writes
 * without keeping them: for measuring the import pipeline's own memory, not the journal's.
 */
export class DiscardingJournal implements JournalV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'discarding';
  readonly written = new Map<string, number>();
  readonly #kept = new Map<string, JournalRecord>();
  readonly #keep: ReadonlySet<string>;

  constructor(keep: readonly string[]) {
    this.#keep = new Set(keep);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async schemaVersion(): Promise<number> {
    return 1;
  }
  async get(collection: string, key: string): Promise<JournalRecord | undefined> {
    return this.#kept.get(`${collection}/${key}`);
  }
  async getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    return keys.map((key) => this.#kept.get(`${collection}/${key}`)).filter((record): record is JournalRecord => record !== undefined);
  }
  async list(): Promise<readonly JournalRecord[]> {
    return [];
  }
  async count(): Promise<number> {
    return 0;
  }
  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    const records = (batch.puts ?? []).map((put) => {
      this.written.set(put.collection, (this.written.get(put.collection) ?? 0) + 1);
      const previous = this.#kept.get(`${put.collection}/${put.key}`);
      const record: JournalRecord = { collection: put.collection, key: put.key, value: put.value, index: put.index, version: (previous?.version ?? 0) + 1, updatedAt: 0, lease: undefined };
      if (this.#keep.has(put.collection)) this.#kept.set(`${put.collection}/${put.key}`, record);
      return record;
    });
    return { records, outboxSequences: (batch.outbox ?? []).map((_message, index) => index + 1) };
  }
  async claim(): Promise<readonly JournalRecord[]> {
    return [];
  }
  async claimOutbox(): Promise<never[]> {
    return [];
  }
  async acknowledgeOutbox(): Promise<{ readonly acknowledged: readonly number[] }> {
    return { acknowledged: [] };
  }
  async releaseOutbox(): Promise<void> {}
  async pendingOutboxCount(): Promise<number> {
    return 0;
  }
}
