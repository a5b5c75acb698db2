import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  isTombstoneValue,
  liveEntry,
  remainingTtlSeconds,
  sessionChecksum,
  sha256Hex,
  tombstoneValue,
} from './session-values.js';

describe('canonicalJson and checksums', () => {
  it('sorts keys at every depth and leaves out undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: undefined, x: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[{"x":null,"z":1}]},"b":1}');
  });

  it('gives equal checksums to JSON texts that differ only in key order and spacing', () => {
    expect(sessionChecksum('{"a": 1, "b": [1, 2]}')).toBe(sessionChecksum('{"b":[1,2],"a":1}'));
    expect(sessionChecksum('{"a":1}')).not.toBe(sessionChecksum('{"a":2}'));
  });

  it('hashes a value that is not JSON as it is', () => {
    expect(sessionChecksum('not json')).toBe(sha256Hex('not json'));
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('tombstones', () => {
  it('recognizes only tombstones', () => {
    expect(isTombstoneValue(tombstoneValue(5))).toBe(true);
    expect(tombstoneValue(5)).toBe('{"$paymigrate":"session-tombstone","deletedAt":5}');
    expect(isTombstoneValue('{"$paymigrate":"other"}')).toBe(false);
    expect(isTombstoneValue('{"$paymigrate":broken')).toBe(false);
    expect(isTombstoneValue('{"cart":{}}')).toBe(false);
  });

  it('treats tombstones as absent entries', () => {
    const entry = { key: 'k', value: '{}', version: '1', expiresAt: undefined };
    expect(liveEntry(entry)).toBe(entry);
    expect(liveEntry({ ...entry, value: tombstoneValue(1) })).toBeUndefined();
    expect(liveEntry(undefined)).toBeUndefined();
  });
});

describe('remainingTtlSeconds', () => {
  it('rounds up the time left, and falls back for entries without expiry', () => {
    expect(remainingTtlSeconds(10_001, 0, 99)).toBe(11);
    expect(remainingTtlSeconds(10_000, 0, 99)).toBe(10);
    expect(remainingTtlSeconds(1_000, 1_000, 99)).toBe(0);
    expect(remainingTtlSeconds(500, 1_000, 99)).toBe(-0);
    expect(remainingTtlSeconds(undefined, 1_000, 99)).toBe(99);
  });
});
