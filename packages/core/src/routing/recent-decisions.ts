import type { StatisticsLabels } from './router-statistics.js';
import type { DecisionTally } from './routing-decision-counts.js';
import type { RoutingDecision } from './routing-types.js';
import { maximumSequenceWindow, SequenceIndex } from './sequence-index.js';
import { SlotIndex, slotKeyHash, slotNotFound } from './slot-index.js';

/** A remembered decision that a tally does not describe (a stored payment method, an assignment), with the labels it was counted under. */
class RememberedDecision {
  /**
   * @param decision The decision as it was made.
   * @param labels The statistics labels it was counted under.
   */
  constructor(
    readonly decision: RoutingDecision,
    readonly labels: StatisticsLabels,
  ) {}
}

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
  readonly #references: (string | undefined)[] = [];
  /** The reference of each slot as the reference index holds it (it lags behind `#references`). */
  readonly #indexedReferences: (string | undefined)[] = [];
  #indexedReferenceHashes: Int32Array;
  /**
   * What each slot keeps of its decision: the tally of a compact decision (its labels are the
   * tally's), else the decision object with its labels. One array, so remembering a decision
   * writes few bytes (fewer pages touched while the ring turns).
   */
  readonly #payloads: (DecisionTally | RememberedDecision | undefined)[] = [];
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
  /** Whether the last `find` was for `#lastPaymentId` and missed (its `remember` then skips the index probe). */
  #lastPaymentMissed = false;

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
    this.#indexedReferenceHashes = new Int32Array(this.#size);
    this.#buckets = new Float64Array(this.#size);
  }

  /**
   * Remembers `decision` for `paymentId` (and `merchantReference`), counted under `labels`. Give
   * the decision's `tally` (whose labels are `labels`) to keep it compact; without one the object
   * is kept. Right after a `find` of the same payment id that missed, the payment index is not
   * probed again.
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
    this.#paymentIndex.set(hash, paymentId, this.#paymentIds, sequence, this.#lastPaymentMissed);
    this.#lastPaymentMissed = false;
    this.#paymentIndex.sweep(this.#sequence);
    this.#references[slot] = merchantReference;
    if (tally !== undefined && labels === tally.labels && decision.storedPaymentMethod === undefined) {
      this.#payloads[slot] = tally;
      this.#reasons[slot] = decision.reason;
      this.#buckets[slot] = decision.bucket ?? Number.NaN;
    } else {
      this.#payloads[slot] = new RememberedDecision(decision, labels);
      this.#reasons[slot] = undefined;
    }
  }

  /** The slot of the decision remembered for `paymentId`, or `notRemembered`. */
  find(paymentId: string): number {
    const slot = this.#paymentIndex.find(this.#hashOfPayment(paymentId), paymentId, this.#paymentIds, this.#sequence);
    this.#lastPaymentMissed = slot === notRemembered;
    return slot;
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
    const payload = this.#payloads[slot] as DecisionTally | RememberedDecision;
    return payload.labels;
  }

  /** The decision in `slot` (from `find`), answered again: `pinned: true`. */
  pinnedDecisionAt(slot: number): RoutingDecision {
    const payload = this.#payloads[slot] as DecisionTally | RememberedDecision;
    if (payload instanceof RememberedDecision) {
      const decision = payload.decision;
      return decision.pinned ? decision : { ...decision, pinned: true };
    }
    const tally = payload;
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
    this.#indexedReferenceHashes = widened(this.#indexedReferenceHashes, new Int32Array(size));
    this.#buckets = widened(this.#buckets, new Float64Array(size));
    this.#size = size;
    this.#paymentIndex = new SequenceIndex(size, this.#capacity);
    this.#referenceIndex = new SlotIndex(size);
    for (let slot = 0; slot < filled; slot += 1) {
      // The ring has not wrapped yet: the decision in `slot` has sequence number `slot`.
      const paymentId = this.#paymentIds[slot] as string;
      this.#paymentIndex.set(slotKeyHash(paymentId, this.#seed), paymentId, this.#paymentIds, slot);
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
      this.#lastPaymentMissed = false;
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
