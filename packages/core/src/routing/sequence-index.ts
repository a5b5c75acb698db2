import { slotNotFound } from './slot-index.js';

/** Positions a `SequenceIndex` sweeps per `sweep` call: 8 pairs, one 64-byte cache line, read in order. */
const sweepStep = 8;

/** Sequence numbers are kept modulo a multiple of the window below 2^30 (an `Int32Array` cell holds sequence + 1). */
const sequenceLimit = 2 ** 30;

/** The largest window a `SequenceIndex` takes (an entry can then never live long enough to alias a newer sequence). */
export const maximumSequenceWindow = 2 ** 28;

/**
 * A fixed-size hash index from string keys to the last `window` sequence numbers of a ring whose
 * slot of sequence `s` is `s % window` (the keys stay in the ring, `keys[slot]`). Like `SlotIndex`
 * (open addressing, linear probing, [hash, sequence + 1] pairs in one preallocated `Int32Array`,
 * at most half full of live entries), but an entry leaves without a removal: it is live while its
 * sequence is among the last `window` ones, which the index tells from the numbers alone, without
 * reading the ring. A stale entry is skipped by `find`, taken over by `set`, and removed (backward
 * shift, no tombstones) by `sweep`, which walks the table in order one cache line per call: so a
 * ring that overwrites its oldest slot touches no random place of the index to forget it (a
 * removal reads a random place of a table of megabytes, beyond the core's own caches).
 *
 * Bounds: the sweep goes round the table within `positions / (sweepStep - 1)` calls, so at most
 * that many stale entries are held (under 1/7 of the table on top of the live half), and an entry
 * is gone well before its sequence number could come round again modulo `period`.
 */
export class SequenceIndex {
  readonly #mask: number;
  /** Live sequences: the last `window` ones. */
  readonly #window: number;
  /** Sequences are counted modulo `period`, a multiple of `window`. */
  readonly #period: number;
  /** Pairs: `cells[2 * position]` the key's hash, `cells[2 * position + 1]` its sequence + 1 (0 = empty). */
  readonly #cells: Int32Array;
  /** The next position `sweep` looks at. */
  #sweepAt = 0;
  /** Changes made to the table so far (a `find` miss is valid for `set` while none was made since). */
  #changes = 0;
  /**
   * The last `find` that missed: the hash, the `next` it was asked with, the table's `#changes`
   * then, and the first empty or stale position of the key's probe run (where `set` puts the key).
   */
  #missHash = 0;
  #missNext = -1;
  #missChanges = -1;
  #missPosition = 0;

  /**
   * @param keys The most live keys held at once (at most `window`: fewer while the ring grows).
   * @param window How many of the latest sequences are live (the ring's capacity), 1 to `maximumSequenceWindow`.
   */
  constructor(keys: number, window: number) {
    let positions = 16;
    while (positions < keys * 2) positions *= 2;
    this.#mask = positions - 1;
    this.#window = Math.min(Math.max(1, window), maximumSequenceWindow);
    this.#period = this.#window * Math.floor(sequenceLimit / this.#window);
    this.#cells = new Int32Array(positions * 2);
  }

  /** The period of the sequence numbers: the ring counts sequences modulo it. */
  get period(): number {
    return this.#period;
  }

  /** The sequence number after `sequence` (modulo `period`). */
  following(sequence: number): number {
    return sequence + 1 === this.#period ? 0 : sequence + 1;
  }

  /**
   * The slot of `key` (whose hash is `hash`), or `slotNotFound`. `keys` is the ring's key array,
   * `next` the sequence the ring gives its next entry (every earlier one is written).
   */
  find(hash: number, key: string, keys: readonly (string | undefined)[], next: number): number {
    const cells = this.#cells;
    const mask = this.#mask;
    let free = -1;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const stored = cells[position * 2 + 1] as number;
      if (stored === 0) {
        this.#missHash = hash;
        this.#missNext = next;
        this.#missChanges = this.#changes;
        this.#missPosition = free === -1 ? position : free;
        return slotNotFound;
      }
      if (!this.#isLive(stored, next)) {
        if (free === -1) free = position;
      } else if (cells[position * 2] === hash) {
        const slot = (stored - 1) % this.#window;
        if (keys[slot] === key) return slot;
      }
    }
  }

  /**
   * Points `key` (already stored in `keys[sequence % window]`) at `sequence`, the latest sequence
   * written: in place of its live entry, or of the first stale or empty position of its probe run.
   *
   * @param afterMiss The caller's word that the last `find` was for this same key, with `next`
   *   equal to `sequence`, and missed: if the table did not change since, the key goes to the
   *   free position that `find` saw, without probing again (a router looks a payment up, then
   *   remembers it).
   */
  set(hash: number, key: string, keys: readonly (string | undefined)[], sequence: number, afterMiss = false): void {
    const cells = this.#cells;
    const changes = this.#changes;
    this.#changes = changes + 1;
    if (afterMiss && hash === this.#missHash && sequence === this.#missNext && changes === this.#missChanges) {
      // No live entry of the key, and that position was empty or stale then (so it still is).
      cells[this.#missPosition * 2] = hash;
      cells[this.#missPosition * 2 + 1] = sequence + 1;
      return;
    }
    const mask = this.#mask;
    const next = this.following(sequence);
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const stored = cells[position * 2 + 1] as number;
      const free = stored === 0 || !this.#isLive(stored, next);
      if (free || (cells[position * 2] === hash && keys[(stored - 1) % this.#window] === key)) {
        cells[position * 2] = hash;
        cells[position * 2 + 1] = sequence + 1;
        return;
      }
    }
  }

  /** Removes the stale entries among the next `sweepStep` positions of the table (in order, wrapping round). */
  sweep(next: number): void {
    const cells = this.#cells;
    const mask = this.#mask;
    const window = this.#window;
    const period = this.#period;
    const start = this.#sweepAt;
    // First, without a branch per position: which of the positions hold a stale entry (bit `step`).
    let staleSteps = 0;
    for (let step = 0; step < sweepStep; step += 1) {
      const stored = cells[((start + step) & mask) * 2 + 1] as number;
      const age = next - stored + 1;
      const wrappedAge = age + (((age - 1) >> 31) & period);
      // Negative when the position is taken (stored > 0) and its entry is stale (age > window).
      staleSteps |= (((window - wrappedAge) & (0 - stored)) >>> 31) << step;
    }
    if (staleSteps === 0) {
      this.#sweepAt = (start + sweepStep) & mask;
      return;
    }
    // From the first stale entry on, one position at a time (a removal shifts later entries back).
    const first = 31 - Math.clz32(staleSteps & -staleSteps);
    let position = (start + first) & mask;
    for (let step = first; step < sweepStep; step += 1) {
      const stored = cells[position * 2 + 1] as number;
      if (stored === 0) {
        position = (position + 1) & mask;
        continue;
      }
      const age = next - stored + 1;
      // A removal may shift a later entry into `position`: look at it again on the next step.
      if ((age <= 0 ? age + period : age) > window) this.#removeAt(position);
      else position = (position + 1) & mask;
    }
    this.#sweepAt = position;
  }

  /** Whether the entry holding `stored` (sequence + 1) is among the last `window` sequences before `next`. */
  #isLive(stored: number, next: number): boolean {
    const age = next - stored + 1;
    return (age <= 0 ? age + this.#period : age) <= this.#window;
  }

  /** Empties `hole`, shifting later entries of its probe run back (no tombstones). */
  #removeAt(hole: number): void {
    this.#changes += 1;
    const cells = this.#cells;
    const mask = this.#mask;
    let empty = hole;
    for (let next = (empty + 1) & mask; ; next = (next + 1) & mask) {
      const existing = cells[next * 2 + 1] as number;
      if (existing === 0) break;
      const home = (cells[next * 2] as number) & mask;
      // The entry at `next` may fill the hole unless its home position lies cyclically in (empty, next].
      const homeBetween = empty <= next ? home > empty && home <= next : home > empty || home <= next;
      if (!homeBetween) {
        cells[empty * 2] = cells[next * 2] as number;
        cells[empty * 2 + 1] = existing;
        empty = next;
      }
    }
    cells[empty * 2] = 0;
    cells[empty * 2 + 1] = 0;
  }
}
