import murmurhash from 'murmurhash';
import { RolloutPercentError } from './routing-errors.js';

/** How many buckets a rollout has: one bucket is 0.001 % of the customers. */
export const rolloutBucketCount = 100_000;

/** How many buckets one percent is. */
const bucketsPerPercent = rolloutBucketCount / 100;

/** 2^32: the size of the MurmurHash3 x86 32-bit output range. */
const hashRange = 2 ** 32;

/** The seed of every rollout hash (the salt, not the seed, separates decisions). */
export const rolloutHashSeed = 0;

/** Encodes keys without a new encoder per call (murmurhash's string path creates one per call). */
const utf8Encoder = new TextEncoder();

/** Reused output buffer of `utf8Encoder.encodeInto` for keys that fit (UTF-8 needs at most 3 bytes per UTF-16 unit). */
const keyBuffer = new Uint8Array(1024);

/** The text that is hashed for a customer: `salt:customerId`. */
export function rolloutKey(salt: string, customerId: string): string {
  return `${salt}:${customerId}`;
}

/**
 * MurmurHash3 x86 32-bit (seed 0) of the UTF-8 bytes of `salt:customerId`, as an unsigned
 * integer below 2^32. No Unicode normalization is applied: `é` precomposed and `e` + combining
 * accent are different customers (see docs/test-vectors/rollout-buckets.json).
 */
export function rolloutHash(salt: string, customerId: string): number {
  const key = rolloutKey(salt, customerId);
  if (key.length * 3 > keyBuffer.length) return murmurhash.v3(utf8Encoder.encode(key), rolloutHashSeed);
  const { written } = utf8Encoder.encodeInto(key, keyBuffer);
  return murmurhash.v3(keyBuffer.subarray(0, written), rolloutHashSeed);
}

/** A bucketing function for one salt that allocates nothing per call (the router's hot path). */
export interface RolloutHasher {
  /** The salt every key starts with. */
  readonly salt: string;
  /** The same bucket as `rolloutBucket(salt, customerId)`. */
  bucket(customerId: string): number;
}

/** Longest customer id a hasher encodes in its own buffer; longer ones take `rolloutBucket`'s path. */
const hasherCustomerIdLimit = 256;

/**
 * Writes the UTF-8 bytes of `text` into `target` and answers how many: an ASCII id (the common
 * case) byte by byte, without the call into the encoder; any other through `TextEncoder`, which
 * also replaces a lone surrogate by U+FFFD as `rolloutHash` does.
 */
function encodeCustomerId(text: string, target: Uint8Array): number {
  const length = text.length;
  for (let index = 0; index < length; index += 1) {
    const code = text.charCodeAt(index);
    if (code > 0x7f) return utf8Encoder.encodeInto(text, target).written;
    target[index] = code;
  }
  return length;
}

/**
 * Creates the bucketing function of one salt. The UTF-8 bytes of `salt:` are encoded once; each
 * call encodes only the customer id behind them into a reused buffer (an ASCII id by hand, without
 * the call into the encoder), and hashes a view of the exact length taken from a cache of views
 * (one per length, made on first use) with the kept `murmurhash` implementation, so a call creates
 * no string, no buffer and no view. The result equals `rolloutBucket(salt, customerId)` for every
 * input (a customer id over 256 characters takes that function's path).
 *
 * @example const hasher = createRolloutHasher('default:provider'); hasher.bucket('cus_1'); // 0..99,999
 */
export function createRolloutHasher(salt: string): RolloutHasher {
  const prefix = utf8Encoder.encode(`${salt}:`);
  const buffer = new Uint8Array(prefix.length + hasherCustomerIdLimit * 3);
  buffer.set(prefix);
  const tail = buffer.subarray(prefix.length);
  const views: Array<Uint8Array | undefined> = [];
  const bucket = (customerId: string): number => {
    if (customerId.length > hasherCustomerIdLimit) return rolloutBucket(salt, customerId);
    const length = prefix.length + encodeCustomerId(customerId, tail);
    let view = views[length];
    if (view === undefined) {
      view = buffer.subarray(0, length);
      views[length] = view;
    }
    return bucketOfHash(murmurhash.v3(view, rolloutHashSeed));
  };
  return Object.freeze({ salt, bucket });
}

/**
 * Maps a 32-bit hash onto `[0, rolloutBucketCount)` by multiply-shift: ⌊hash · 100,000 / 2^32⌋.
 * Exact in JavaScript numbers (the product stays below 2^53 and dividing by a power of two is
 * exact), and free of the modulo bias of `hash % 100,000`.
 */
export function bucketOfHash(hash: number): number {
  return Math.floor((hash * rolloutBucketCount) / hashRange);
}

/** The bucket of a customer for the decision named by `salt`. */
export function rolloutBucket(salt: string, customerId: string): number {
  return bucketOfHash(rolloutHash(salt, customerId));
}

/**
 * The number of buckets the new provider owns at `percent`: `[0, threshold)` goes to the new
 * provider, so raising the percentage only ever adds buckets (monotone: a customer never moves back).
 *
 * @throws RolloutPercentError when `percent` is not a number from 0 to 100 with at most 3 decimals.
 */
export function rolloutThreshold(percent: number): number {
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new RolloutPercentError({ percent, problem: 'must be a number from 0 to 100' });
  }
  const threshold = Math.round(percent * bucketsPerPercent);
  if (Math.abs(threshold - percent * bucketsPerPercent) > 1e-6) {
    throw new RolloutPercentError({ percent, problem: 'may have at most 3 decimals (0.001 % steps)' });
  }
  return threshold;
}

/** True when `bucket` lies in the new provider's range `[0, threshold)`. */
export function isBucketInRollout(bucket: number, threshold: number): boolean {
  return bucket < threshold;
}
