import { describe, expect, test } from 'vitest';
import { assertLimit, assertStorableText, assertValidBatch, toAvailableAt, toPendingOutboxQuery } from './journal-input-validation.js';

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

  test('a pending-outbox query: limit 1 to 1,000, counts and sequences integers >= 0, defaults filled in', () => {
    expect(toPendingOutboxQuery({ limit: 1_000 })).toEqual({ topics: undefined, minimumAttempts: 0, afterSequence: 0, limit: 1_000 });
    expect(toPendingOutboxQuery({ limit: 1, minimumAttempts: 3, afterSequence: Number.MAX_SAFE_INTEGER, topics: [] })).toEqual({
      topics: [],
      minimumAttempts: 3,
      afterSequence: Number.MAX_SAFE_INTEGER,
      limit: 1,
    });
    expect(() => toPendingOutboxQuery({ limit: 1_001 })).toThrow("Journal listPendingOutbox: 'limit' must be an integer from 1 to 1000, got 1001.");
    expect(() => toPendingOutboxQuery({ limit: 10, minimumAttempts: -1 })).toThrow("Journal listPendingOutbox: 'minimumAttempts' must be an integer >= 0, got -1.");
    expect(() => toPendingOutboxQuery({ limit: 10, afterSequence: 2.5 })).toThrow("Journal listPendingOutbox: 'afterSequence' must be an integer >= 0, got 2.5.");
    expect(() => toPendingOutboxQuery({ limit: 10, afterSequence: Number.MAX_SAFE_INTEGER + 1 })).toThrow(TypeError);
    expect(() => toPendingOutboxQuery({ limit: 10, topics: ['ok', 'bad\u0000'] })).toThrow("Journal listPendingOutbox: 'topics' contains a NUL character");
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
