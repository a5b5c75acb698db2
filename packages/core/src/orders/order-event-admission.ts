import { setImmediate as scheduleImmediate } from 'node:timers';

/**
 * One admitted event's place in its chunk. `release()` gives the place back once the event's
 * journal batch is queued (or the event needs no write); calling it again does nothing.
 */
export interface OrderEventTicket {
  /** Gives the place back; idempotent. */
  release(): void;
}

/**
 * Paces a burst of events through the synchronizer in bounded chunks.
 *
 * A journal that commits in groups (the SQLite journal commits every batch queued in one turn of
 * the event loop together) and reads that settle without I/O let 1,000 events arriving together
 * run in lock step: every one of them is read, planned and queued before the first commit, so the
 * first platform update waits for the last event. The admission lets at most `chunkSize` events
 * be handled at a time; the places of a chunk are handed out again only in a LATER turn of the
 * event loop (`setImmediate`), after the journal's group commit of that chunk was scheduled. So
 * each chunk commits on its own and the outbox relay delivers it while later chunks are handled.
 *
 * Events that arrive one by one (fewer than `chunkSize` in flight) are admitted at once: the
 * admission only shapes bursts. It orders nothing and guarantees nothing: correctness stays with
 * the journal's compare-and-set, so an event that still writes after giving its place back (a
 * conflict round) is as safe as before.
 */
export class OrderEventAdmission {
  readonly #chunkSize: number;
  #admitted = 0;
  readonly #waiting: (() => void)[] = [];
  #scheduled = false;

  /** @param chunkSize Events handled at a time, at least 1. */
  constructor(chunkSize: number) {
    this.#chunkSize = chunkSize;
  }

  /** Events holding a place now. */
  get admitted(): number {
    return this.#admitted;
  }

  /** Events waiting for a place. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a ticket once the event may be handled. */
  async admit(): Promise<OrderEventTicket> {
    if (this.#admitted < this.#chunkSize && this.#waiting.length === 0) {
      this.#admitted += 1;
    } else {
      // The place is counted by `#admitWaiting` before this resolves.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#admitted -= 1;
        this.#scheduleWaiting();
      },
    };
  }

  /** Hands free places to waiting events in the next turn of the event loop, never in this one. */
  #scheduleWaiting(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    scheduleImmediate(() => this.#admitWaiting());
  }

  #admitWaiting(): void {
    this.#scheduled = false;
    while (this.#admitted < this.#chunkSize && this.#waiting.length > 0) {
      this.#admitted += 1;
      (this.#waiting.shift() as () => void)();
    }
    // Places still held: their release schedules the next hand-out.
  }
}
