import type { GroupedBatch } from './sqlite-transactions.js';

/**
 * Which parts of the journal (a collection's records, the outbox) the commits of this connection
 * changed, by commit generation (`WalSynchronizer.noteCommit`), so a claim waits only for the
 * commits that changed what it searched, not for every commit before it (its own lease commit
 * included).
 *
 * Why it is safe: a sync makes a prefix of the WAL durable, so after a power loss the database is
 * the state after some prefix of the commits. What a claim read (the records of one collection, or
 * the outbox) is the state left by the last commit that changed it; once that commit is durable,
 * every later commit that may be lost leaves it alone, so it reads the same after recovery. Other
 * connections' commits (seen through `PRAGMA data_version`) have an unknown footprint: they count
 * for every claim.
 *
 * One number per collection and one for the outbox: the memory stays bounded by the number of
 * collections, and a generation at or below the durable one never makes anybody wait.
 */
export class CommitFootprints {
  /** Latest generation that changed a record of a collection (put, delete or lease). */
  readonly #collections = new Map<string, number>();
  /** Latest generation that changed the outbox (message enqueued, leased, delivered or released). */
  #outbox = 0;
  /** Latest generation with an unknown footprint (other connections' commits). */
  #everything = 0;

  /** Notes that commit `generation` changed (or may have changed) records of `collection`. */
  noteCollection(generation: number, collection: string): void {
    this.#collections.set(collection, generation);
  }

  /** Notes that commit `generation` changed the collections of write batches (their puts and deletes) and, when they enqueue messages, the outbox. */
  noteBatches(generation: number, batches: readonly GroupedBatch[]): void {
    for (const { puts, deletes, outbox } of batches) {
      for (const put of puts) this.#collections.set(put.collection, generation);
      for (const deletion of deletes) this.#collections.set(deletion.collection, generation);
      if (outbox.length > 0) this.#outbox = generation;
    }
  }

  /** Notes that commit `generation` changed the outbox (messages leased, delivered or released). */
  noteOutbox(generation: number): void {
    this.#outbox = generation;
  }

  /** Notes commits whose footprint is unknown (other connections'): every claim waits for them. */
  noteEverything(generation: number): void {
    this.#everything = generation;
  }

  /** The generation a search of a collection's records (a record claim) must see durable. */
  generationOfCollection(collection: string): number {
    return Math.max(this.#everything, this.#collections.get(collection) ?? 0);
  }

  /** The generation a search of the outbox (a message claim) must see durable. */
  generationOfOutbox(): number {
    return Math.max(this.#everything, this.#outbox);
  }
}
