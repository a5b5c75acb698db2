import { readFileSync } from 'node:fs';
import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import { bucketOfHash, createRolloutHasher, isBucketInRollout, rolloutBucket, rolloutBucketCount, rolloutHash, rolloutHashSeed, rolloutKey, rolloutThreshold } from './rollout-bucket.js';
import { RolloutPercentError } from './routing-errors.js';

/** The published vectors (docs/test-vectors/rollout-buckets.json at the repository root). */
interface VectorFile {
  readonly bucketCount: number;
  readonly seed: number;
  readonly vectors: ReadonlyArray<{ salt: string; customerId: string; key: string; keyUtf8Hex: string; hash: number; hashHex: string; bucket: number }>;
  readonly edgeHashes: ReadonlyArray<{ hash: number; bucket: number }>;
  readonly thresholds: ReadonlyArray<{ percent: number; threshold: number }>;
}

const vectorFile = JSON.parse(readFileSync(new URL('../../../../docs/test-vectors/rollout-buckets.json', import.meta.url), 'utf8')) as VectorFile;

describe('the published test vectors (docs/test-vectors/rollout-buckets.json)', () => {
  it('uses the bucket count and seed of the implementation', () => {
    expect(vectorFile.bucketCount).toBe(rolloutBucketCount);
    expect(vectorFile.seed).toBe(rolloutHashSeed);
    expect(vectorFile.vectors.length).toBeGreaterThanOrEqual(30);
    expect(vectorFile.vectors.some((vector) => [...vector.customerId].some((character) => (character.codePointAt(0) as number) > 0x7f))).toBe(true);
  });

  it.each(vectorFile.vectors.map((vector) => [`${vector.salt} / ${JSON.stringify(vector.customerId)}`, vector] as const))('%s: key, UTF-8 bytes, hash and bucket', (_label, vector) => {
    expect(rolloutKey(vector.salt, vector.customerId)).toBe(vector.key);
    expect(Buffer.from(vector.key, 'utf8').toString('hex')).toBe(vector.keyUtf8Hex);
    expect(rolloutHash(vector.salt, vector.customerId)).toBe(vector.hash);
    expect(vector.hash.toString(16).padStart(8, '0')).toBe(vector.hashHex);
    expect(rolloutBucket(vector.salt, vector.customerId)).toBe(vector.bucket);
  });

  it('maps the edge hashes to their buckets exactly (multiply-shift, no rounding up)', () => {
    for (const edge of vectorFile.edgeHashes) expect(bucketOfHash(edge.hash)).toBe(edge.bucket);
  });

  it('gives the published thresholds', () => {
    for (const entry of vectorFile.thresholds) expect(rolloutThreshold(entry.percent)).toBe(entry.threshold);
  });
});

describe('rolloutHash', () => {
  it('is MurmurHash3 x86 32-bit: the published reference values', () => {
    expect(murmurhash.v3('', 0)).toBe(0);
    expect(murmurhash.v3('', 1)).toBe(0x514e28b7);
    expect(murmurhash.v3('hello', 0)).toBe(0x248bfa47);
    expect(murmurhash.v3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes without normalization: NFC and NFD ids are different customers', () => {
    expect(rolloutHash('s', 'caf\u00e9')).not.toBe(rolloutHash('s', 'cafe\u0301'));
    expect(rolloutHash('s', 'caf\u00e9')).toBe(murmurhash.v3(new Uint8Array(Buffer.from('s:caf\u00e9', 'utf8')), 0));
  });
});

describe('bucketOfHash', () => {
  it('is exact over the whole 32-bit range: floor(hash * 100000 / 2^32) equals the integer computation', () => {
    for (let hash = 0; hash < 2 ** 32; hash += 9_973_331) {
      const exact = Number((BigInt(hash) * 100_000n) >> 32n);
      expect(bucketOfHash(hash)).toBe(exact);
    }
    expect(bucketOfHash(2 ** 32 - 1)).toBe(99_999);
  });

  it('spreads customers evenly: every 1 % slice holds 1 % of 200,000 ids (chi-square, 99 degrees of freedom)', () => {
    const slices = new Array<number>(100).fill(0);
    const customers = 200_000;
    for (let index = 0; index < customers; index += 1) {
      const bucket = rolloutBucket('default:provider', `cus_${index}`);
      slices[Math.floor(bucket / 1000)] = (slices[Math.floor(bucket / 1000)] as number) + 1;
    }
    const expected = customers / 100;
    const chiSquare = slices.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 99 degrees of freedom: the 0.999 quantile is 148.2.
    expect(chiSquare).toBeLessThan(148.2);
  });
});

describe('rolloutThreshold and monotone ramps', () => {
  it('turns a percentage with up to 3 decimals into buckets (0.001 % = one bucket)', () => {
    expect(rolloutThreshold(0)).toBe(0);
    expect(rolloutThreshold(0.001)).toBe(1);
    expect(rolloutThreshold(12.345)).toBe(12_345);
    expect(rolloutThreshold(100)).toBe(100_000);
  });

  it.each([-0.001, 100.001, Number.NaN, Number.POSITIVE_INFINITY, 1.0001, 33.3333])('refuses %d with RolloutPercentError', (percent) => {
    let caught: unknown;
    try {
      rolloutThreshold(percent);
    } catch (error) {
      caught = error;
    }
    expect(RolloutPercentError.isInstance(caught)).toBe(true);
    expect((caught as RolloutPercentError).percent).toBe(percent);
  });

  it('refuses a value that is not a number', () => {
    expect(() => rolloutThreshold('5' as unknown as number)).toThrow(/must be a number from 0 to 100/);
  });

  it('only ever adds customers when the percentage rises (never new -> old)', () => {
    const percents = [0.001, 1, 5, 10, 25, 50, 99.999, 100];
    for (let index = 0; index < 20_000; index += 1) {
      const bucket = rolloutBucket('default:provider', `cus_${index}`);
      let wasIn = false;
      for (const percent of percents) {
        const isIn = isBucketInRollout(bucket, rolloutThreshold(percent));
        expect(wasIn && !isIn).toBe(false);
        wasIn = isIn;
      }
      expect(wasIn).toBe(true);
    }
  });

  it('keeps nested decisions independent with different salts (the shared-seed bug would put 10 % of 10 % at 10 %)', () => {
    const customers = 100_000;
    let both = 0;
    let sharedSaltBoth = 0;
    const threshold = rolloutThreshold(10);
    for (let index = 0; index < customers; index += 1) {
      const id = `cus_${index}`;
      const provider = rolloutBucket('default:provider', id) < threshold;
      if (provider && rolloutBucket('default:cohort-eu', id) < threshold) both += 1;
      if (provider && rolloutBucket('default:provider', id) < threshold) sharedSaltBoth += 1;
    }
    expect(both / customers).toBeGreaterThan(0.009);
    expect(both / customers).toBeLessThan(0.011);
    expect(sharedSaltBoth / customers).toBeGreaterThan(0.09);
  });
});

describe('rolloutHash of long keys', () => {
  it('hashes a key too long for the reused buffer exactly like a short one would be (the library on the whole string)', () => {
    const longId = `cus_${'é'.repeat(400)}`;
    expect(rolloutHash('default:provider', longId)).toBe(murmurhash.v3(`default:provider:${longId}`, 0));
    expect(rolloutHash('default:provider', 'cus_short')).toBe(murmurhash.v3('default:provider:cus_short', 0));
  });
});

describe('createRolloutHasher', () => {
  it.each(vectorFile.vectors.map((vector) => [`${vector.salt} / ${JSON.stringify(vector.customerId)}`, vector] as const))('%s: the published bucket', (_label, vector) => {
    expect(createRolloutHasher(vector.salt).bucket(vector.customerId)).toBe(vector.bucket);
  });

  it('equals rolloutBucket for ids of every length, multi-byte ids and ids longer than its buffer, call after call', () => {
    const hasher = createRolloutHasher('shop:provider');
    expect(hasher.salt).toBe('shop:provider');
    const ids = ['', 'a', 'cus_1', 'cus_22', 'caf\u00e9', '\u{1f600}\u{1f600}', 'x'.repeat(256), 'y'.repeat(257), '\u00e9'.repeat(300)];
    for (let round = 0; round < 2; round += 1) {
      for (const id of ids) expect(hasher.bucket(id)).toBe(rolloutBucket('shop:provider', id));
      // A shorter id after a longer one must not hash the longer one's leftover bytes.
      expect(hasher.bucket('cus_1')).toBe(rolloutBucket('shop:provider', 'cus_1'));
    }
  });

  it('equals rolloutBucket for every salt length and for ASCII, non-ASCII and lone-surrogate customer ids', () => {
    for (const salt of ['s', 'sa', 'sal', 'salt', 'salt5', 'caf\u00e9', '\u{1f600}']) {
      const hasher = createRolloutHasher(salt);
      for (const id of ['', 'a', 'ab', 'abc', 'abcd', 'cus_12345', '\u00e9\u00e9', 'cus_\u00e9', '\ud800x', 'x\udc00', '\u007f\u0080']) expect(hasher.bucket(id)).toBe(rolloutBucket(salt, id));
    }
  });
});
