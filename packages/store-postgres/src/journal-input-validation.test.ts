import { describe, expect, test } from 'vitest';
import { assertLimit, assertStorableText, assertValidBatch, toAvailableAt } from './journal-input-validation.js';

describe('journal input validation', () => {
  test('storable text: anything but NUL and lone surrogates', () => {
    for (const text of ['', 'plain', 'é 中文', '😀', '\ud83d\ude00', '\uffff']) expect(() => assertStorableText('get', 'key', text)).not.toThrow();
    for (const text of ['\u0000', 'a\ud800', '\udc00b', '\ude00\ud83d']) expect(() => assertStorableText('get', 'key', text)).toThrow(TypeError);
  });

  test('limits from 1 to 10,000', () => {
    expect(() => assertLimit('list', 1)).not.toThrow();
    expect(() => assertLimit('list', 10_000)).not.toThrow();
    expect(() => assertLimit('list', 10_001)).toThrow("Journal list: 'limit' must be an integer from 1 to 10000, got 10001.");
  });

  test('a valid batch passes; outbox-only batches are checked too', () => {
    expect(() =>
      assertValidBatch({
        puts: [{ collection: 'c', key: 'k', value: '{}', index: 'i', expectedVersion: 0 }],
        deletes: [{ collection: 'c', key: 'other', expectedVersion: 'any' }],
        outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: '{}' }],
      }),
    ).not.toThrow();
    expect(() => assertValidBatch({})).not.toThrow();
    expect(() => assertValidBatch({ deletes: [{ collection: 'c', key: 'k', expectedVersion: Number.MAX_SAFE_INTEGER + 1 }] })).toThrow(TypeError);
  });

  test('availableAt becomes whole milliseconds, rounded up', () => {
    expect(toAvailableAt(10)).toBe(10);
    expect(toAvailableAt(10.01)).toBe(11);
    expect(toAvailableAt(-0.5)).toBe(-0);
    for (const bad of [Number.NaN, Number.NEGATIVE_INFINITY, 1e300]) expect(() => toAvailableAt(bad)).toThrow(TypeError);
  });
});
