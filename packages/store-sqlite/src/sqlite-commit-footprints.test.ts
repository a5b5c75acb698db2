import type { JournalPut } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { CommitFootprints } from './sqlite-commit-footprints.js';
import type { GroupedBatch } from './sqlite-transactions.js';

function put(collection: string, key: string): JournalPut {
  return { collection, key, value: '{}', expectedVersion: 'any' };
}

function batch(parts: Partial<GroupedBatch>): GroupedBatch {
  return { puts: parts.puts ?? [], deletes: parts.deletes ?? [], outbox: parts.outbox ?? [] };
}

const message = { topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: '{}' };

describe('CommitFootprints: which commit a claim must see durable', () => {
  test('nothing noted: no claim waits for any commit', () => {
    const footprints = new CommitFootprints();
    expect(footprints.generationOfCollection('payments')).toBe(0);
    expect(footprints.generationOfOutbox()).toBe(0);
  });

  test('a search of a collection waits for the latest commit that put, deleted or leased one of its records', () => {
    const footprints = new CommitFootprints();
    footprints.noteBatches(1, [batch({ puts: [put('payments', 'p1')] }), batch({ deletes: [{ collection: 'refunds', key: 'r1', expectedVersion: 'any' }] })]);
    footprints.noteBatches(2, [batch({ puts: [put('orders', 'o1')] })]);
    expect(footprints.generationOfCollection('payments')).toBe(1);
    expect(footprints.generationOfCollection('refunds')).toBe(1);
    expect(footprints.generationOfCollection('orders')).toBe(2);
    expect(footprints.generationOfCollection('sessions')).toBe(0);
    footprints.noteCollection(3, 'payments');
    expect(footprints.generationOfCollection('payments')).toBe(3);
    // No batch enqueued a message.
    expect(footprints.generationOfOutbox()).toBe(0);
  });

  test('a batch with messages changes the outbox; leases, deliveries and releases too', () => {
    const footprints = new CommitFootprints();
    footprints.noteBatches(4, [batch({ outbox: [message] })]);
    expect(footprints.generationOfOutbox()).toBe(4);
    expect(footprints.generationOfCollection('payments')).toBe(0);
    footprints.noteOutbox(6);
    expect(footprints.generationOfOutbox()).toBe(6);
  });

  test("other connections' commits (unknown footprint) count for every claim", () => {
    const footprints = new CommitFootprints();
    footprints.noteCollection(2, 'payments');
    footprints.noteEverything(5);
    expect(footprints.generationOfCollection('payments')).toBe(5);
    expect(footprints.generationOfCollection('anything')).toBe(5);
    expect(footprints.generationOfOutbox()).toBe(5);
  });
});
