import { IdempotencyConflictError, InvalidRequestError, UnknownOutcomeError } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { RecordingClock } from './__fixtures__/shopify-test-environment.js';
import { type ShopifyAttempt, ShopifyIdempotencyLedger } from './shopify-idempotency-ledger.js';

const replay = async () => 'replayed';

describe('ShopifyIdempotencyLedger', () => {
  it('runs once per key and replays afterwards; another fingerprint is a conflict', async () => {
    const ledger = new ShopifyIdempotencyLedger({ clock: new RecordingClock() });
    let runs = 0;
    const perform = async () => `run ${++runs}`;
    expect(await ledger.run('k', 'a', perform, replay)).toBe('run 1');
    expect(await ledger.run('k', 'a', perform, replay)).toBe('replayed');
    await expect(ledger.run('k', 'b', perform, replay)).rejects.toSatisfy((error) => IdempotencyConflictError.isInstance(error) && error.idempotencyKey === 'k');
    expect(ledger.size).toBe(1);
  });

  it('forgets a key whose attempt failed without effect, keeps evidence after an unknown outcome', async () => {
    const ledger = new ShopifyIdempotencyLedger({ clock: new RecordingClock() });
    await expect(ledger.run('k', 'a', async () => Promise.reject(new InvalidRequestError('no', { provider: 'shopify' })), replay)).rejects.toThrow(InvalidRequestError);
    expect(ledger.size).toBe(0);
    const evidence = { knownTransactionIds: new Set(['t1']) };
    await expect(
      ledger.run('k', 'a', async (attempt) => {
        attempt.remember(evidence);
        throw new UnknownOutcomeError('lost', { provider: 'shopify' });
      }, replay),
    ).rejects.toThrow(UnknownOutcomeError);
    let seen: ShopifyAttempt | undefined;
    expect(await ledger.run('k', 'a', async (attempt) => {
      seen = attempt;
      return 'again';
    }, replay)).toBe('again');
    expect(seen?.previous).toBe(evidence);
  });

  it('shares one in-flight attempt between concurrent calls', async () => {
    const ledger = new ShopifyIdempotencyLedger({ clock: new RecordingClock() });
    let release: (value: string) => void = () => undefined;
    const first = ledger.run('k', 'a', () => new Promise<string>((resolve) => (release = resolve)), replay);
    const second = ledger.run('k', 'a', async () => 'never', replay);
    release('shared');
    expect(await Promise.all([first, second])).toEqual(['shared', 'shared']);
  });

  it('drops keys older than the retention and the oldest beyond the maximum, never one in flight', async () => {
    const clock = new RecordingClock();
    const ledger = new ShopifyIdempotencyLedger({ clock, retentionMilliseconds: 1000, maximumEntries: 2 });
    let release: (value: string) => void = () => undefined;
    const inFlight = ledger.run('flying', 'a', () => new Promise<string>((resolve) => (release = resolve)), replay);
    await ledger.run('k1', 'a', async () => 'one', replay);
    await ledger.run('k2', 'a', async () => 'two', replay);
    await ledger.run('k3', 'a', async () => 'three', replay);
    expect(ledger.size).toBe(3);
    clock.advance(2000);
    await ledger.run('k4', 'a', async () => 'four', replay);
    expect(ledger.size).toBe(2);
    expect(await ledger.run('k1', 'b', async () => 'fresh', replay)).toBe('fresh');
    release('done');
    expect(await inFlight).toBe('done');
  });
});
