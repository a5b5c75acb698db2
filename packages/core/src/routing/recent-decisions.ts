import type { StatisticsLabels } from './router-statistics.js';
import type { DecisionTally } from './routing-decision-counts.js';
import type { RoutingDecision } from './routing-types.js';
import { maximumSequenceWindow, SequenceIndex } from './sequence-index.js';
import { SlotIndex, slotKeyHash, slotNotFound } from './slot-index.js';

/** What `RecentDecisions.find` answers when the payment is not remembered. */
export const notRemembered = slotNotFound;

/**
 * The last `capacity` routing decisions of a router, by payment id and by merchant reference: the
 * in-process pin `select` and `decide` answer again, and the attribution of outcomes and paid
 * checkouts to their cohort. Exactly the last `capacity` decisions are kept.
 *
 * Memory is bounded: a ring of `capacity` slots in parallel arrays (a new decision takes the
 * oldest one's slot) and two hash indexes: from payment id to the decision's sequence number
 * (`SequenceIndex`: the oldest decision's entry goes stale by its number alone, so overwriting a
 * slot reads no random place of the index; a sweep clears stale entries one cache line per
 * decision) and from merchant reference to slot (`SlotIndex`). The ring starts small and doubles
 * until it holds `capacity` slots (each doubling re-indexes the decisions kept, a handful of times
 * in a router's life); from then on remembering a decision allocates nothing and touches about one
 * place in memory that is not already cached (the new entry's place in the payment index):
 * - a decision a tally fully describes (no stored payment method: every ramp, phase, cohort or
 *   capability decision) is kept as its tally, reason and bucket, not as the object, and answering
 *   it again builds the pinned copy;
 * - the merchant-reference index is brought up to date when it is read (outcomes, which follow a
 *   provider call), not on every decision: the references are kept in the ring meanwhile.
 */
export class RecentDecisions {
  readonly #capacity: number;
  /** Seed of the key hashes (random per table: positions are not predictable from outside). */
  readonly #seed: number;
  /** Slots allocated so far (doubles up to `#capacity` while the ring fills). */
  #size: number;
  #paymentIndex: SequenceIndex;
  #referenceIndex: SlotIndex;
  readonly #paymentIds: (string | undefined)[] = [];
  #paymentHashes: Int32Array;
  readonly #references: (string | undefined)[] = [];
  /** The reference of each slot as the reference index holds it (it lags behind `#references`). */
  readonly #indexedReferences: (string | undefined)[] = [];
  #indexedReferenceHashes: Int32Array;
  readonly #labels: (StatisticsLabels | undefined)[] = [];
  /** The decision object, for one a tally does not describe (else `undefined`). */
  readonly #decisions: (RoutingDecision | undefined)[] = [];
  /** The tally of a compact decision (else `undefined`). */
  readonly #tallies: (DecisionTally | undefined)[] = [];
  readonly #reasons: (string | undefined)[] = [];
  /** The bucket of a compact decision, NaN when it has none. */
  #buckets: Float64Array;
  /** The slot the next decision goes to. */
  #next = 0;
  /** The sequence number of the next decision, modulo the payment index's period (its slot is `#next`). */
  #sequence = 0;
  /** Decisions remembered so far, and how many of them the reference index has seen. */
  #remembered = 0;
  #referencesIndexed = 0;
  /** The last payment id hashed and its hash (`decide` looks a payment up, then remembers it). */
  #lastPaymentId: string | undefined;
  #lastPaymentHash = 0;

  /**
   * @param capacity How many decisions are kept (1 to `maximumSequenceWindow`, 2^28).
   * @param initialSlots Slots allocated at first (the ring doubles from there). @default 1024
   */
  constructor(capacity: number, initialSlots = 1024) {
    this.#capacity = Math.min(Math.max(1, capacity), maximumSequenceWindow);
    this.#seed = (Math.random() * 0x1_0000_0000) | 0;
    this.#size = Math.min(this.#capacity, Math.max(1, initialSlots));
    this.#paymentIndex = new SequenceIndex(this.#size, this.#capacity);
    this.#referenceIndex = new SlotIndex(this.#size);
    this.#paymentHashes = new Int32Array(this.#size);
    this.#indexedReferenceHashes = new Int32Array(this.#size);
    this.#buckets = new Float64Array(this.#size);
  }

  /**
   * Remembers `decision` for `paymentId` (and `merchantReference`), counted under `labels`. Give
   * the decision's `tally` to keep it compact; without one the object is kept.
   */
  remember(paymentId: string, merchantReference: string | undefined, decision: RoutingDecision, labels: StatisticsLabels, tally?: DecisionTally): void {
    const slot = this.#next;
    if (slot === this.#size) this.#grow();
    this.#next = slot + 1 === this.#capacity ? 0 : slot + 1;
    this.#remembered += 1;
    const sequence = this.#sequence;
    this.#sequence = this.#paymentIndex.following(sequence);
    // The decision that had this slot leaves the payment index by its sequence number alone.
    const hash = this.#hashOfPayment(paymentId);
    this.#paymentIds[slot] = paymentId;
    this.#paymentHashes[slot] = hash;
    this.#paymentIndex.set(hash, paymentId, this.#paymentIds, sequence);
    this.#paymentIndex.sweep(this.#sequence);
    this.#references[slot] = merchantReference;
    this.#labels[slot] = labels;
    if (tally !== undefined && decision.storedPaymentMethod === undefined) {
      this.#tallies[slot] = tally;
      this.#reasons[slot] = decision.reason;
      this.#buckets[slot] = decision.bucket ?? Number.NaN;
      this.#decisions[slot] = undefined;
    } else {
      this.#tallies[slot] = undefined;
      this.#reasons[slot] = undefined;
      this.#decisions[slot] = decision;
    }
  }

  /** The slot of the decision remembered for `paymentId`, or `notRemembered`. */
  find(paymentId: string): number {
    return this.#paymentIndex.find(this.#hashOfPayment(paymentId), paymentId, this.#paymentIds, this.#sequence);
  }

  /** The slot of the latest decision of the payment sent with `merchantReference`, or `notRemembered`. */
  findByMerchantReference(merchantReference: string): number {
    this.#indexReferences();
    const slot = this.#referenceIndex.find(slotKeyHash(merchantReference, this.#seed), merchantReference, this.#indexedReferences);
    // The payment's latest decision (a later `pin` may have remembered it again without the reference).
    return slot === notRemembered ? notRemembered : this.find(this.#paymentIds[slot] as string);
  }

  /** The labels the decision in `slot` (from `find`) was counted under. */
  labelsAt(slot: number): StatisticsLabels {
    return this.#labels[slot] as StatisticsLabels;
  }

  /** The decision in `slot` (from `find`), answered again: `pinned: true`. */
  pinnedDecisionAt(slot: number): RoutingDecision {
    const tally = this.#tallies[slot];
    if (tally === undefined) {
      const decision = this.#decisions[slot] as RoutingDecision;
      return decision.pinned ? decision : { ...decision, pinned: true };
    }
    const reason = this.#reasons[slot] as string;
    const bucket = this.#buckets[slot] as number;
    const { provider, kind, epoch, cohort, experiment } = tally;
    if (Number.isNaN(bucket)) return { provider, reason, kind, epoch, cohort, experiment, pinned: true };
    return { provider, reason, kind, epoch, cohort, bucket, experiment, pinned: true };
  }

  /**
   * Doubles the ring (up to `capacity`) while it is still filling: the slots written so far keep
   * their place, and both indexes are rebuilt at the new size from the ring.
   */
  #grow(): void {
    const filled = this.#size;
    const size = Math.min(this.#capacity, filled * 2);
    const widened = <Values extends Int32Array | Float64Array>(values: Values, empty: Values): Values => {
      empty.set(values);
      return empty;
    };
    this.#paymentHashes = widened(this.#paymentHashes, new Int32Array(size));
    this.#indexedReferenceHashes = widened(this.#indexedReferenceHashes, new Int32Array(size));
    this.#buckets = widened(this.#buckets, new Float64Array(size));
    this.#size = size;
    this.#paymentIndex = new SequenceIndex(size, this.#capacity);
    this.#referenceIndex = new SlotIndex(size);
    for (let slot = 0; slot < filled; slot += 1) {
      // The ring has not wrapped yet: the decision in `slot` has sequence number `slot`.
      this.#paymentIndex.set(this.#paymentHashes[slot] as number, this.#paymentIds[slot] as string, this.#paymentIds, slot);
      // Every reference written so far is indexed now.
      const reference = this.#references[slot];
      this.#indexedReferences[slot] = reference;
      if (reference === undefined) continue;
      const hash = slotKeyHash(reference, this.#seed);
      this.#indexedReferenceHashes[slot] = hash;
      this.#referenceIndex.set(hash, reference, this.#indexedReferences, slot);
    }
    this.#referencesIndexed = this.#remembered;
  }

  #hashOfPayment(paymentId: string): number {
    if (paymentId !== this.#lastPaymentId) {
      this.#lastPaymentId = paymentId;
      this.#lastPaymentHash = slotKeyHash(paymentId, this.#seed);
    }
    return this.#lastPaymentHash;
  }

  /** Brings the reference index up to the ring: every slot written since the last read (each slot once at most). */
  #indexReferences(): void {
    const pending = Math.min(this.#remembered - this.#referencesIndexed, this.#capacity);
    this.#referencesIndexed = this.#remembered;
    let slot = (this.#next - pending + this.#capacity) % this.#capacity;
    for (let done = 0; done < pending; done += 1) {
      const indexed = this.#indexedReferences[slot];
      if (indexed !== undefined) this.#referenceIndex.remove(this.#indexedReferenceHashes[slot] as number, slot);
      const reference = this.#references[slot];
      this.#indexedReferences[slot] = reference;
      if (reference !== undefined) {
        const hash = slotKeyHash(reference, this.#seed);
        this.#indexedReferenceHashes[slot] = hash;
        this.#referenceIndex.set(hash, reference, this.#indexedReferences, slot);
      }
      slot = slot + 1 === this.#capacity ? 0 : slot + 1;
    }
  }
}
