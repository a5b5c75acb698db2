import { closeSync, fdatasync, open } from 'node:fs';
import { promisify } from 'node:util';
import { PaymigrateError } from '@paymigrate/core';

/** Opens a file on libuv's thread pool (the callback API: no `FileHandle` object per call). */
const openFile = promisify(open);

/** One `fdatasync` on libuv's thread pool. */
const datasync = promisify(fdatasync);

/**
 * Makes commits durable without blocking the event loop.
 *
 * In WAL mode, SQLite's `synchronous = FULL` differs from `NORMAL` by exactly one thing: after
 * each commit, the WAL file is synced (https://sqlite.org/pragma.html#pragma_synchronous). SQLite
 * does that sync inside `COMMIT`, and better-sqlite3 runs `COMMIT` on the JavaScript thread, so
 * every fsync (here 0.5 ms typical, tens of ms at worst) stalls every request of the process. The
 * journal therefore runs the connection with `NORMAL` and performs that same sync itself, on
 * libuv's thread pool (`fdatasync` of the `-wal` file, which flushes every frame written to it,
 * whichever connection wrote it), and settles a write only once a sync that started after its
 * commit has finished. Concurrent waiters share one sync. The file stays open between syncs (one
 * thread-pool task per sync); while the connection is open SQLite never deletes its WAL.
 *
 * Since other code may see a commit between the commit and its sync, readers wait too
 * (`durable()` up to `readableGeneration`), so nothing this journal returns can vanish in a power
 * loss, except what deferred batches (`durability: 'deferred'`) wrote: those are visible before
 * they are on disk by contract, and are lost only together with every later commit not synced yet.
 */
export class WalSynchronizer {
  readonly #walPath: string;
  /** Commits noted so far (ours, and other connections' ones seen through `data_version`). */
  #committed = 0;
  /** The latest commit noted that was not deferred: reads wait for it (`readableGeneration`). */
  #lastUndeferred = 0;
  /** The highest commit generation known to be on disk. */
  #durable = 0;
  /** The sync in flight, if any. */
  #syncing: Promise<void> | undefined;
  /** Syncs completed. */
  #syncs = 0;
  /** The first failed sync, after which no sync is trusted again (see `failure`). */
  #failure: PaymigrateError | undefined;
  /** The WAL file, opened at the first sync. */
  #descriptor: number | undefined;

  /** @param walPath Path of the database's `-wal` file. */
  constructor(walPath: string) {
    this.#walPath = walPath;
  }

  /** Syncs completed so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /**
   * The generation a read must see durable before it answers: the latest commit noted that was not
   * deferred (`noteCommit(true)`). A read may show deferred commits made after it before they are on
   * disk: a deferred batch is visible at once by contract, and a power loss takes it back only
   * together with every later commit that is not durable yet (the WAL is synced in commit order).
   */
  get readableGeneration(): number {
    return this.#lastUndeferred;
  }

  /**
   * The error of the first failed sync, or `undefined`. Once a sync has failed, none is trusted
   * again: after a failed `fsync`, Linux may drop the dirty pages it could not write and report
   * the next `fsync` of the file as successful, so a later success would not prove the earlier
   * commits are on disk (PostgreSQL stops the server for the same reason). The journal refuses
   * further writes and durable reads until it is closed and opened again: opening reads what the
   * file really holds, and the recovery pass resolves every intent that lost its outcome from the
   * provider's truth.
   */
  get failure(): PaymigrateError | undefined {
    return this.#failure;
  }

  /** Whether every commit up to `generation` is known to be on disk (then `durable(generation)` would not wait). */
  isDurable(generation: number): boolean {
    return this.#durable >= generation;
  }

  /**
   * Notes a commit whose frames are in the WAL but maybe not on disk yet; returns its generation.
   * @param deferred True for a commit of deferred write batches only (`durability: 'deferred'`):
   *   reads do not wait for it (`readableGeneration`).
   */
  noteCommit(deferred = false): number {
    this.#committed += 1;
    if (!deferred) this.#lastUndeferred = this.#committed;
    return this.#committed;
  }

  /**
   * Resolves once every commit up to `generation` (default: every commit noted so far) is on disk.
   * @throws PaymigrateError `JOURNAL_SYNC_FAILED` when the sync fails (the commit is in the file but
   *   may not survive a power loss).
   */
  async durable(generation: number = this.#committed): Promise<void> {
    while (this.#durable < generation) {
      if (this.#failure !== undefined) throw this.#failure;
      this.#syncing ??= this.#sync();
      await this.#syncing;
    }
  }

  /** One `fdatasync` of the WAL covering every commit noted before it started. */
  async #sync(): Promise<void> {
    const target = this.#committed;
    try {
      // Read-only is enough for fdatasync.
      this.#descriptor ??= await openFile(this.#walPath, 'r');
      await datasync(this.#descriptor);
      this.#durable = Math.max(this.#durable, target);
      this.#syncs += 1;
    } catch (error) {
      this.close();
      // node:fs rejects with Error objects (errno errors).
      this.#failure = new PaymigrateError(
        'JOURNAL_SYNC_FAILED',
        `SQLite journal could not sync its WAL file '${this.#walPath}' to disk: ${(error as Error).message}. The last writes are committed but may not survive a power loss, and no later sync can prove they did (the system may have dropped the pages it failed to write). Check the disk and its free space, then close the journal and open it again: the recovery pass resolves every payment that lost its outcome from the provider's truth.`,
        { cause: error, isRetryable: false },
      );
      throw this.#failure;
    } finally {
      this.#syncing = undefined;
    }
  }

  /** Closes the WAL file (the journal calls it after the last sync, before closing the database). */
  close(): void {
    const descriptor = this.#descriptor;
    this.#descriptor = undefined;
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
