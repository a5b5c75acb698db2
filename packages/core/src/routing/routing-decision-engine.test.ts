import { describe, expect, it } from 'vitest';
import type { MigrationState } from '../cutover/migration-state.js';
import { Money } from '../money/money.js';
import { rolloutBucket } from './rollout-bucket.js';
import { createRoutingDecisionEngine } from './routing-decision-engine.js';
import type { RoutingSnapshot } from './routing-node.js';
import type { RoutingRequest } from './routing-types.js';

const admitAll = () => 'closed' as const;

/** A snapshot of a migration from stripe to adyen in `phase`. */
function snapshotOf(phase: MigrationState['phase'], rampPercent = 0, epoch = 3): RoutingSnapshot {
  const migration = { migrationId: 'default', fromProvider: 'stripe', toProvider: 'adyen', phase, epoch, rampPercent, rolledBack: false, history: [], createdAt: 0, updatedAt: 0 } as MigrationState;
  return { migration, control: undefined, readAt: 0, sequence: 1 };
}

/** A request of customer `cus_<id>`, or of a guest (no customer id). */
function request(id: number, options: { guest?: boolean; country?: string } = {}): RoutingRequest {
  const customerId = options.guest === true ? undefined : `cus_${id}`;
  return { paymentId: `pay_${id}`, merchantReference: `o_${id}`, amount: Money.of(100, 'EUR'), currency: 'EUR', customerId, country: options.country };
}

const engine = createRoutingDecisionEngine({
  fromProvider: 'stripe',
  capabilities: new Map(),
  cohortRules: [{ name: 'germany', match: { countries: ['DE'] }, route: { percent: 50 } }],
  salt: 'shop',
  circuitsClosed: () => true,
});

describe('createRoutingDecisionEngine', () => {
  it('splits a cohort by its own salt, for customers and guests on both sides', () => {
    const seen = new Set<string>();
    for (let id = 0; id < 200 && seen.size < 4; id += 1) {
      const guest = id % 2 === 0;
      const decision = engine.decide(snapshotOf('ramp', 0), 0, request(id, { guest, country: 'DE' }), undefined, admitAll);
      const bucket = rolloutBucket('shop:cohort-germany', guest ? `pay_${id}` : `cus_${id}`);
      expect(decision).toMatchObject({ cohort: 'germany', bucket, provider: bucket < 50_000 ? 'adyen' : 'stripe' });
      expect(decision.reason).toBe(`cohort germany: bucket ${bucket < 50_000 ? '<' : '>='} 50000 (50 %)${guest ? ' (guest: by payment id)' : ''}`);
      seen.add(`${guest}-${bucket < 50_000}`);
    }
    expect(seen.size).toBe(4);
  });

  it('makes the reasons of a percentage once, and keeps at most 64 percentages', () => {
    const first = engine.decide(snapshotOf('ramp', 10), 0, request(1), undefined, admitAll);
    for (let percent = 11; percent < 11 + 70; percent += 1) engine.decide(snapshotOf('ramp', percent), 0, request(1), undefined, admitAll);
    const again = engine.decide(snapshotOf('ramp', 10), 0, request(1), undefined, admitAll);
    expect(again.reason).toBe(first.reason);
  });

  it('finds the reasons of a percentage made before again after deciding on another one', () => {
    const twenty = engine.decide(snapshotOf('ramp', 20), 0, request(1), undefined, admitAll);
    engine.decide(snapshotOf('ramp', 30), 0, request(1), undefined, admitAll);
    const again = engine.decide(snapshotOf('ramp', 20), 0, request(1), undefined, admitAll);
    expect(again.reason).toBe(twenty.reason);
    expect(again.reason).toMatch(/bucket (<|>=) 20000 \(20 %\)$/);
  });

  it('reads the capabilities of the new provider of each decision, when the new provider changes', () => {
    const capabilities = new Map([['mollie', { currencies: ['USD'], brands: [] }]]) as unknown as Parameters<typeof createRoutingDecisionEngine>[0]['capabilities'];
    const withCapabilities = createRoutingDecisionEngine({ fromProvider: 'stripe', capabilities, cohortRules: [], salt: 'shop', circuitsClosed: () => true });
    const toMollie = (percent: number): RoutingSnapshot => {
      const snapshot = snapshotOf('ramp', percent);
      return { ...snapshot, migration: { ...(snapshot.migration as MigrationState), toProvider: 'mollie' } };
    };
    expect(withCapabilities.decide(snapshotOf('ramp', 100), 0, request(1), undefined, admitAll)).toMatchObject({ provider: 'adyen', kind: 'bucket' });
    expect(withCapabilities.decide(toMollie(100), 0, request(1), undefined, admitAll)).toMatchObject({ provider: 'stripe', kind: 'capability', reason: 'mollie does not accept currency EUR' });
    expect(withCapabilities.decide(toMollie(100), 0, request(2), undefined, admitAll)).toMatchObject({ provider: 'stripe', kind: 'capability' });
    expect(withCapabilities.decide(snapshotOf('ramp', 100), 0, request(2), undefined, admitAll)).toMatchObject({ provider: 'adyen', kind: 'bucket' });
  });

  it('reuses the fail-safe decision of an epoch and the phase decision of a state', () => {
    expect(engine.decide(undefined, 7, request(1), undefined, admitAll)).toBe(engine.decide(undefined, 7, request(2), undefined, admitAll));
    for (let epoch = 0; epoch < 70; epoch += 1) expect(engine.decide(undefined, epoch, request(1), undefined, admitAll)).toMatchObject({ provider: 'stripe', kind: 'stale-config', epoch });
    const cutover = snapshotOf('cutover');
    const decision = engine.decide(cutover, 0, request(1), undefined, admitAll);
    expect(engine.decide(cutover, 0, request(2), undefined, admitAll)).toBe(decision);
    expect(decision).toMatchObject({ provider: 'adyen', reason: 'phase cutover', kind: 'phase', epoch: 3 });
  });

  it('freezes the decisions it shares between payments, not the ones made per call', () => {
    expect(Object.isFrozen(engine.decide(undefined, 7, request(1), undefined, admitAll))).toBe(true);
    expect(Object.isFrozen(engine.decide(snapshotOf('shadow'), 0, request(1), undefined, admitAll))).toBe(true);
    const ramp = engine.decide(snapshotOf('ramp', 50), 0, request(1), undefined, admitAll);
    expect(ramp.kind).toBe('bucket');
    expect(Object.isFrozen(ramp)).toBe(false);
  });

  it('answers the same settled promise for the last shared decision, and a new one for a decision made per call', async () => {
    const cutover = snapshotOf('cutover');
    const shared = engine.decide(cutover, 0, request(1), undefined, admitAll);
    const first = engine.answer(shared);
    expect(engine.answer(engine.decide(cutover, 0, request(2), undefined, admitAll))).toBe(first);
    await expect(first).resolves.toBe(shared);
    const stale = engine.decide(undefined, 7, request(1), undefined, admitAll);
    const staleAnswer = engine.answer(stale);
    expect(staleAnswer).not.toBe(first);
    await expect(staleAnswer).resolves.toBe(stale);
    // One slot: going back to the cutover decision makes its promise again.
    const again = engine.answer(shared);
    expect(again).not.toBe(first);
    await expect(again).resolves.toBe(shared);
    const ramp = engine.decide(snapshotOf('ramp', 50), 0, request(3), undefined, admitAll);
    const rampAnswer = engine.answer(ramp);
    expect(engine.answer(ramp)).not.toBe(rampAnswer);
    await expect(rampAnswer).resolves.toBe(ramp);
  });
});
