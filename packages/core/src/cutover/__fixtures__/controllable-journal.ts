import type {
  JournalClaimOptions,
  JournalListOptions,
  JournalRecord,
  JournalV1,
  JournalWriteBatch,
  JournalWriteResult,
  OutboxClaimOptions,
  OutboxMessage,
} from '../../ports/journal/v1/journal.js';

/**
 * A journal wrapper for cutover tests: delegates to a real journal (the testkit's `InMemoryJournal`)
 * and lets a test make reads fail or hang, make writes fail, or run code just before a write (to
 * play "another node wrote meanwhile").
 */
export class ControllableJournal implements JournalV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;

  /** Backend name. */
  readonly name = 'controllable';

  /** When set, `get` rejects with it. */
  readError: Error | undefined;

  /** When true at the call, `get` reads at once but does not settle until `releaseHungReads` (a slow network). */
  hangReads = false;

  /** When set, `write` rejects with the error it returns (called once per write). */
  writeError: (() => Error) | undefined;

  /** Runs before each write is passed on (and is cleared when it returns `'once'`). */
  beforeWrite: ((batch: JournalWriteBatch) => Promise<void | 'once'>) | undefined;

  /** How many times `get` was called. */
  reads = 0;

  /** Every batch passed on to the inner journal. */
  readonly batches: JournalWriteBatch[] = [];

  readonly #inner: JournalV1;
  readonly #hung: Array<() => void> = [];

  /** @param inner The journal that does the work. */
  constructor(inner: JournalV1) {
    this.#inner = inner;
  }

  /** Lets every hung read return what it read. */
  releaseHungReads(): void {
    for (const release of this.#hung.splice(0)) release();
  }

  /** Opens the inner journal. */
  open(): Promise<void> {
    return this.#inner.open();
  }

  /** Closes the inner journal. */
  close(): Promise<void> {
    return this.#inner.close();
  }

  /** The inner journal's schema version. */
  schemaVersion(): Promise<number> {
    return this.#inner.schemaVersion();
  }

  /** Reads, failing or hanging on demand. */
  async get(collection: string, key: string): Promise<JournalRecord | undefined> {
    this.reads += 1;
    const hang = this.hangReads;
    if (this.readError !== undefined) throw this.readError;
    const found = await this.#inner.get(collection, key);
    if (hang) {
      await new Promise<void>((resolve) => {
        this.#hung.push(resolve);
      });
    }
    return found;
  }

  /** Passed on. */
  getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    return this.#inner.getMany(collection, keys);
  }

  /** Passed on. */
  list(collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]> {
    return this.#inner.list(collection, options);
  }

  /** Passed on. */
  count(collection: string, options?: { readonly index?: string | undefined }): Promise<number> {
    return this.#inner.count(collection, options);
  }

  /** Writes, after `beforeWrite`, failing on demand. */
  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    if (this.beforeWrite !== undefined && (await this.beforeWrite(batch)) === 'once') this.beforeWrite = undefined;
    if (this.writeError !== undefined) throw this.writeError();
    const result = await this.#inner.write(batch);
    this.batches.push(batch);
    return result;
  }

  /** Passed on. */
  claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]> {
    return this.#inner.claim(options);
  }

  /** Passed on. */
  claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]> {
    return this.#inner.claimOutbox(options);
  }

  /** Passed on. */
  acknowledgeOutbox(input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }> {
    return this.#inner.acknowledgeOutbox(input);
  }

  /** Passed on. */
  releaseOutbox(input: { readonly sequence: number; readonly owner: string; readonly availableAt: number; readonly error?: string | undefined }): Promise<void> {
    return this.#inner.releaseOutbox(input);
  }

  /** Passed on. */
  pendingOutboxCount(options?: { readonly topics?: readonly string[] | undefined }): Promise<number> {
    return this.#inner.pendingOutboxCount(options);
  }
}
