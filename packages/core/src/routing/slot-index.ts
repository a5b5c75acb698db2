/**
 * The 32-bit hash of `text` under `seed`: FNV-1a over its UTF-16 code units, then MurmurHash3's
 * finalizer so the low bits (the table position) depend on every character. Not cryptographic:
 * a per-table random seed only keeps positions unpredictable from outside.
 */
export function slotKeyHash(text: string, seed: number): number {
  let hash = seed;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash | 0;
}

/** What `SlotIndex.find` answers for a key it does not hold. */
export const slotNotFound = -1;

/**
 * A fixed-size hash index from string keys to slots of a ring (0..capacity-1), for at most
 * `capacity` keys: open addressing with linear probing in one preallocated `Int32Array` of
 * [hash, slot + 1] pairs, at most half full. The keys stay in the ring (`keys[slot]`); the index
 * compares the stored hash first and reads a key only when the hashes match. Finding, setting and
 * removing allocate nothing, and a miss usually costs one memory access.
 */
export class SlotIndex {
  readonly #mask: number;
  /** Pairs: `cells[2 * position]` the key's hash, `cells[2 * position + 1]` its slot + 1 (0 = empty). */
  readonly #cells: Int32Array;

  /** @param capacity The most keys held at once. */
  constructor(capacity: number) {
    let positions = 16;
    while (positions < capacity * 2) positions *= 2;
    this.#mask = positions - 1;
    this.#cells = new Int32Array(positions * 2);
  }

  /** The slot of `key` (whose hash is `hash`), or `slotNotFound`. `keys` is the ring's key array. */
  find(hash: number, key: string, keys: readonly (string | undefined)[]): number {
    const cells = this.#cells;
    const mask = this.#mask;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const slot = cells[position * 2 + 1] as number;
      if (slot === 0) return slotNotFound;
      if (cells[position * 2] === hash && keys[slot - 1] === key) return slot - 1;
    }
  }

  /** Points `key` (already stored in `keys[slot]`) at `slot`, replacing the slot it pointed at. */
  set(hash: number, key: string, keys: readonly (string | undefined)[], slot: number): void {
    const cells = this.#cells;
    const mask = this.#mask;
    for (let position = hash & mask; ; position = (position + 1) & mask) {
      const existing = cells[position * 2 + 1] as number;
      if (existing === 0 || (cells[position * 2] === hash && keys[existing - 1] === key)) {
        cells[position * 2] = hash;
        cells[position * 2 + 1] = slot + 1;
        return;
      }
    }
  }

  /**
   * Removes the entry of `slot` whose key hashed to `hash`, if there is one (a newer slot may
   * have taken the key over), shifting later entries of the probe sequence back (no tombstones).
   */
  remove(hash: number, slot: number): void {
    const cells = this.#cells;
    const mask = this.#mask;
    let hole = hash & mask;
    for (; ; hole = (hole + 1) & mask) {
      const existing = cells[hole * 2 + 1] as number;
      if (existing === 0) return;
      if (existing === slot + 1) break;
    }
    for (let next = (hole + 1) & mask; ; next = (next + 1) & mask) {
      const existing = cells[next * 2 + 1] as number;
      if (existing === 0) break;
      const home = (cells[next * 2] as number) & mask;
      // The entry at `next` may fill the hole unless its home position lies cyclically in (hole, next].
      const homeBetween = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!homeBetween) {
        cells[hole * 2] = cells[next * 2] as number;
        cells[hole * 2 + 1] = existing;
        hole = next;
      }
    }
    cells[hole * 2] = 0;
    cells[hole * 2 + 1] = 0;
  }
}
