import { describe, expect, it } from 'vitest';
import { withChanges } from './record-changes.js';

describe('withChanges', () => {
  it('makes what a spread makes: the same members, in the same order, so the same JSON', () => {
    const intent = { operation: 'capture', request: { amount: 5 }, status: 'pending', attempts: 0, updatedAt: 1 };
    const changes = { attempts: 1, lastSentAt: 7, updatedAt: 8 };
    const changed = withChanges(intent, changes);
    expect(changed).toStrictEqual({ ...intent, ...changes });
    expect(Object.keys(changed)).toEqual(Object.keys({ ...intent, ...changes }));
    expect(JSON.stringify(changed)).toBe(JSON.stringify({ ...intent, ...changes }));
  });

  it('leaves both inputs untouched and shares nested values (a shallow copy)', () => {
    const request = { amount: 5 };
    const base = { request, status: 'pending' };
    const changed = withChanges(base, { status: 'succeeded', outcome: undefined });
    expect(base).toStrictEqual({ request, status: 'pending' });
    expect(changed).not.toBe(base);
    expect(changed.request).toBe(request);
    expect(changed.status).toBe('succeeded');
    expect('outcome' in changed).toBe(true);
  });
});
