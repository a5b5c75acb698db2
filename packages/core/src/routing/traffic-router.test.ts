import { describe, expect, it } from 'vitest';
import { createMigrationProviderSelector } from '../cutover/migration-provider-selector.js';
import { migrationCollection } from '../cutover/migration-state.js';
import { Money } from '../money/money.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { PaymentGatewayCapabilities } from '../ports/payment-gateway/v1/payment-gateway-capabilities.js';
import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { createTransactionStateManager } from '../transactions/transaction-state-manager.js';
import type { CohortRule } from './cohort-rules.js';
import { rolloutBucket } from './rollout-bucket.js';
import { RouterStatistics } from './router-statistics.js';
import { routingAssignmentCollection } from './routing-assignments.js';
import { RoutingRecordInvalidError, RoutingRequestError } from './routing-errors.js';
import type { RoutingRequest, TokenLocator } from './routing-types.js';
import { createTrafficRouter, type TrafficRouterOptions } from './traffic-router.js';
import { createRoutingHarness, newProvider, oldProvider, recordingMeter, settle } from './__fixtures__/routing-harness.js';

/** A checkout's routing request. */
function request(id: string | number, extra: Partial<RoutingRequest> = {}): RoutingRequest {
  return { paymentId: `pay_${id}`, merchantReference: `order_${id}`, amount: Money.of(1_000, 'EUR'), currency: 'EUR', customerId: `cus_${id}`, ...extra };
}

/** The first customer number whose ramp bucket is below (or not below) `threshold`. */
function customerWhere(inRollout: boolean, threshold = 50_000, salt = 'default:provider', from = 0): number {
  for (let id = from; ; id += 1) if (rolloutBucket(salt, `cus_${id}`) < threshold === inRollout) return id;
}

const capabilities: PaymentGatewayCapabilities = {
  currencies: ['EUR', 'USD'],
  brands: ['visa', 'mastercard'],
  partialCapture: true,
  multipleCaptures: true,
  partialRefund: true,
  multipleRefunds: true,
  merchantInitiatedWithNetworkTransactionId: true,
  tokenImport: true,
  findByMerchantReference: true,
  technicalCancel: true,
  webhookVerification: 'local-signature',
};

describe('createTrafficRouter options', () => {
  it.each<[string, Partial<TrafficRouterOptions>, string]>([
    ['a missing node', { node: undefined }, 'trafficRouter.node'],
    ['an empty fromProvider', { fromProvider: '' }, 'trafficRouter.fromProvider'],
    ['a gateway without capabilities', { gateways: [{ provider: 'adyen' } as never] }, 'trafficRouter.gateways.0'],
    ['an invalid cohort rule', { cohortRules: [{ name: 'x y', match: {}, route: 'old' }] }, 'trafficRouter.cohortRules.0.name'],
    ['a token locator without locate', { tokenLocator: {} as never }, 'trafficRouter.tokenLocator'],
    ['customer attributes that are not a function', { customerAttributes: 'x' as never }, 'trafficRouter.customerAttributes'],
    ['invalid circuit breaker settings', { circuitBreaker: { kind: 'consecutive', failures: 0, halfOpenAfterMs: 1 } }, 'trafficRouter.circuitBreaker.failures'],
    ['statistics of another kind', { statistics: {} as never }, 'trafficRouter.statistics'],
    ['an empty salt', { salt: '' }, 'trafficRouter.salt'],
    ['zero remembered decisions', { rememberedDecisions: 0 }, 'trafficRouter.rememberedDecisions'],
    ['more remembered decisions than the index numbers (2^28)', { rememberedDecisions: 2 ** 28 + 1 }, 'trafficRouter.rememberedDecisions'],
  ])('refuses %s with a ConfigurationError naming the option', async (_label, overrides, option) => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    expect(() => createTrafficRouter({ node, fromProvider: oldProvider, ...overrides })).toThrow(expect.objectContaining({ option }) as Error);
  });

  it('builds with a node and the old provider only (breakers on by default)', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    await node.start();
    const router = createTrafficRouter({ node, fromProvider: oldProvider });
    expect(router.circuitBreakers?.settings.kind).toBe('sampling');
    expect(router.node).toBe(node);
    expect(await router.select(request(1))).toMatchObject({ provider: oldProvider, reason: 'migration not started', kind: 'not-started', epoch: 0, pinned: false });
  });
});

describe('select per phase', () => {
  it.each([
    ['prepare', oldProvider, 'phase prepare', 'phase'],
    ['shadow', oldProvider, 'phase shadow', 'phase'],
    ['cutover', newProvider, 'phase cutover', 'phase'],
    ['drain', newProvider, 'phase drain', 'phase'],
    ['done', newProvider, 'phase done', 'phase'],
    ['rolled_back', oldProvider, 'rolled back', 'rolled-back'],
  ] as const)('%s -> %s (%s)', async (phase, provider, reason, kind) => {
    const harness = await createRoutingHarness();
    const router = await harness.createRouter();
    await harness.orchestrator.start({ actor: 'test', reason: 'set up' });
    const path = { prepare: [], shadow: ['shadow'], cutover: ['shadow', 'ramp', 'cutover'], drain: ['shadow', 'ramp', 'cutover', 'drain'], done: ['shadow', 'ramp', 'cutover', 'drain', 'done'], rolled_back: [] }[phase];
    for (const next of path) {
      if (next === 'cutover') await harness.orchestrator.setRampPercent({ percent: 100, actor: 'test', reason: 'full' });
      if (next === 'drain') await harness.clock.advance(5_000);
      await harness.orchestrator.advance({ to: next as 'shadow', actor: 'test', reason: 'set up' });
    }
    if (phase === 'rolled_back') await harness.orchestrator.rollback({ actor: 'test', reason: 'set up' });
    await settle();
    const decision = await router.select(request(1));
    expect(decision).toMatchObject({ provider, reason, kind, pinned: false, experiment: false });
    expect(decision.epoch).toBe((await harness.orchestrator.status()).epoch);
    await router.node.stop();
  });

  it('splits the ramp by bucket: [0, p) goes to the new provider, with the bucket in the decision', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const inside = customerWhere(true);
    const outside = customerWhere(false);
    const newDecision = await router.select(request(inside));
    const bucket = rolloutBucket('default:provider', `cus_${inside}`);
    expect(newDecision).toMatchObject({ provider: newProvider, kind: 'bucket', cohort: 'default', bucket, experiment: true, reason: 'ramp: bucket < 50000 (50 %)' });
    const oldDecision = await router.select(request(outside));
    expect(oldDecision).toMatchObject({ provider: oldProvider, kind: 'bucket', experiment: true });
    expect(oldDecision.reason).toBe('ramp: bucket >= 50000 (50 %)');
  });

  it('buckets a guest checkout (no customer id) by its payment id', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const decision = await router.select(request('guest', { customerId: undefined }));
    expect(decision.bucket).toBe(rolloutBucket('default:provider', 'pay_guest'));
    expect(decision.reason).toContain('(guest: by payment id)');
    expect((await router.select(request('guest2', { customerId: '' }))).bucket).toBe(rolloutBucket('default:provider', 'pay_guest2'));
  });

  it('uses its own salt prefix when given one', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter({ salt: 'shop-42' });
    expect((await router.select(request(7))).bucket).toBe(rolloutBucket('shop-42:provider', 'cus_7'));
  });

  it('fails safe when the journaled migration moves away from another provider', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter({ fromProvider: 'paypal' });
    expect(await router.select(request(1))).toMatchObject({
      provider: 'paypal',
      kind: 'stale-config',
      reason: "stale routing config: the journaled migration moves away from 'stripe', not 'paypal'",
    });
  });
});

describe('stale configuration and the kill switch', () => {
  it('fails safe to the old provider when the config is older than maxConfigAgeMs (journal unreachable)', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter({}, { pollIntervalMs: 1_000, maxConfigAgeMs: 3_000 });
    expect((await router.select(request(1))).provider).toBe(newProvider);
    // Reads fail (the node's polls keep failing), writes succeed: the assignment records the fail-safe decision.
    harness.journal.readError = new Error('journal unreachable');
    await harness.clock.advance(3_000);
    expect(router.node.view()).toMatchObject({ stale: true, ageMs: 3_000 });
    const stale = await router.select(request(2));
    expect(stale).toMatchObject({ provider: oldProvider, kind: 'stale-config', reason: 'stale routing config', epoch: 4 });
    harness.journal.readError = undefined;
    await harness.clock.advance(1_000);
    await settle();
    expect((await router.select(request(3))).provider).toBe(newProvider);
    await router.node.stop();
  });

  it('fails safe when no configuration could ever be read', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    harness.journal.readError = new Error('journal unreachable');
    const router = await harness.createRouter();
    expect(await router.select(request(1))).toMatchObject({ provider: oldProvider, kind: 'stale-config', epoch: 0 });
  });

  it('sends every new payment to the old provider while the kill switch is engaged, and follows the migration again after release', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter();
    expect((await router.select(request(1))).provider).toBe(newProvider);
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC-42' });
    await settle();
    expect(await router.select(request(2))).toMatchObject({ provider: oldProvider, kind: 'kill-switch', cohort: 'kill-switch', reason: 'kill switch engaged (alice: INC-42)' });
    await harness.killSwitch.release({ actor: 'alice', reason: 'resolved' });
    await settle();
    expect((await router.select(request(3))).provider).toBe(newProvider);
    await router.node.stop();
  });
});

describe('pinning: one assignment per payment', () => {
  it('returns the first decision for every later select or decide of the same payment, whatever the routing says now, and writes nothing', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter();
    const first = await router.select(request(1));
    expect(first).toMatchObject({ provider: newProvider, pinned: false });
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC-42' });
    await settle();
    expect(router.preview(request(2)).kind).toBe('kill-switch');
    const again = await router.select(request(1));
    expect(again).toEqual({ ...first, pinned: true });
    expect(router.decide(request(1))).toEqual(again);
    // The TSM's payment record is the durable pin: the router writes no assignment of its own.
    expect(await harness.memory.count(routingAssignmentCollection)).toBe(0);
    expect(await router.assignment('pay_1')).toBeUndefined();
    // A pinned answer is not counted twice.
    expect(router.statistics.totals().find((row) => row.provider === newProvider && row.cohort === '*')?.counts.assignments).toBe(1);
    await router.node.stop();
  });

  it('decides synchronously on the cached configuration, counting and remembering like select', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const inside = customerWhere(true);
    const decision = router.decide(request(inside));
    expect(decision).toMatchObject({ provider: newProvider, kind: 'bucket', experiment: true, pinned: false, bucket: rolloutBucket('default:provider', `cus_${inside}`) });
    expect(await router.select(request(inside))).toEqual({ ...decision, pinned: true });
    expect(router.statistics.experimentArms(decision.epoch).get(newProvider)?.assignments).toBe(1);
    expect(() => router.decide({ ...request(1), paymentId: '' })).toThrow(RoutingRequestError);
    await expect(router.select({ ...request(1), paymentId: '' })).rejects.toThrow(RoutingRequestError);
    await router.node.stop();
  });

  it('reads the clock once per new decision when the node and the statistics share it, and each clock on its own otherwise', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const reads = new Map<string, number>();
    const counted = (name: string): ClockV1 => ({
      specificationVersion: 'v1',
      now: () => {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        return harness.clock.now();
      },
      sleep: (milliseconds, signal) => harness.clock.sleep(milliseconds, signal),
    });
    const shared = counted('shared');
    const router = await harness.createRouter({ clock: shared }, { clock: shared });
    reads.clear();
    const decided = router.decide(request(1));
    expect(reads.get('shared')).toBe(1);
    expect((await router.select(request(2))).kind).toBe('bucket');
    expect(reads.get('shared')).toBe(2);
    // An earlier decision answered again reads no clock.
    expect(router.decide(request(1))).toEqual({ ...decided, pinned: true });
    await router.select(request(2));
    expect(reads.get('shared')).toBe(2);
    expect(router.statistics.totals().find((row) => row.cohort === '*' && row.provider === decided.provider)?.counts.assignments).toBeGreaterThanOrEqual(1);
    await router.node.stop();

    // Statistics on another clock: the node and the statistics each read their own.
    const apart = await harness.createRouter({ statistics: new RouterStatistics({ clock: counted('statistics') }) }, { clock: counted('node') });
    reads.clear();
    apart.decide(request(3));
    await apart.select(request(4));
    expect([reads.get('node'), reads.get('statistics')]).toEqual([2, 2]);
    await apart.node.stop();

    // A node that does not tell its clock is asked without a time.
    const node = harness.createNode({ clock: counted('hidden') });
    await node.start();
    const { clock: _hidden, ...nodeWithoutClock } = node;
    const hidden = createTrafficRouter({ node: nodeWithoutClock, fromProvider: oldProvider, clock: counted('router'), circuitBreaker: false, logger: harness.logger });
    reads.clear();
    expect(hidden.decide(request(5)).kind).toBe('bucket');
    expect([reads.get('hidden'), reads.get('router')]).toEqual([1, 1]);
    await node.stop();
  });

  it('answers the payments of a phase with one shared, frozen decision and one settled promise; a payment asked again gets a pinned copy', async () => {
    const harness = await createRoutingHarness();
    const router = await harness.createRouter();
    await harness.orchestrator.start({ actor: 'test', reason: 'set up' });
    await harness.orchestrator.advance({ to: 'shadow', actor: 'test', reason: 'set up' });
    await settle();
    const first = router.select(request(1));
    const second = router.select(request(2));
    expect(second).toBe(first);
    const decision = await first;
    expect(decision).toMatchObject({ provider: oldProvider, kind: 'phase', pinned: false });
    expect(Object.isFrozen(decision)).toBe(true);
    const again = await router.select(request(1));
    expect(again).toStrictEqual({ ...decision, pinned: true });
    expect(Object.isFrozen(again)).toBe(false);
    expect(router.statistics.totals().find((row) => row.provider === oldProvider && row.cohort === 'default')?.counts.assignments).toBe(2);
    await router.node.stop();
  });

  it('answers a remembered decision again exactly, pinned, whether it had a bucket or not', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const bucketed = router.decide(request(1));
    expect(bucketed.bucket).toBeTypeOf('number');
    expect(router.decide(request(1))).toStrictEqual({ ...bucketed, pinned: true });
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC' });
    await router.node.refresh();
    const killed = router.decide(request(2));
    expect(killed).not.toHaveProperty('bucket');
    expect(await router.select(request(2))).toStrictEqual({ ...killed, pinned: true });
    await router.node.stop();
  });

  it('rejects select when deciding throws, like an async call', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const throwing = { ...request(1) };
    Object.defineProperty(throwing, 'customerId', {
      get: () => {
        throw new Error('unreadable request');
      },
    });
    await expect(router.select(throwing)).rejects.toThrow('unreadable request');
    await router.node.stop();
  });

  it('keeps exactly the last rememberedDecisions decisions, deciding anew for older ones', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter({ rememberedDecisions: 2 });
    router.decide(request(1));
    router.decide(request(2));
    router.decide(request(3));
    expect(router.decide(request(2)).pinned).toBe(true);
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC' });
    await router.node.refresh();
    expect(router.decide(request(1))).toMatchObject({ kind: 'kill-switch', pinned: false });
    await router.node.stop();
  });

  it('is pinned durably by the Transaction State Manager: a retried authorization never asks the router again', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter();
    const asked: string[] = [];
    const transactions = createTransactionStateManager({
      journal: harness.journal,
      gateways: [new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock }), new InMemoryPaymentGateway({ provider: oldProvider, clock: harness.clock })],
      selectProvider: { select: (selection) => (asked.push(selection.paymentId), router.select(selection)) },
      clock: harness.clock,
      logger: harness.logger,
    });
    const input = { paymentId: 'pay_1', merchantReference: 'order_1', amount: Money.of(1_000, 'EUR'), paymentMethodToken: 'tok_visa', customerId: 'cus_1' };
    expect((await transactions.authorize(input)).payment.provider).toBe(newProvider);
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC' });
    await router.node.refresh();
    // Another router (a restarted process) would now say "old provider"; the payment record decides.
    expect((await transactions.authorize(input)).payment.provider).toBe(newProvider);
    expect(asked).toEqual(['pay_1']);
    const payment = await harness.memory.get('payments', 'pay_1');
    expect(payment?.value).toContain(`"provider":"${newProvider}"`);
    await router.node.stop();
  });

  it('answers the durable pin another router recorded first, here and on later selects', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const first = await harness.createRouter();
    const second = await harness.createRouter();
    await first.pin({ paymentId: 'cart-1', provider: 'paypal', reason: 'split cart leg' });
    expect(await second.pin({ paymentId: 'cart-1', provider: oldProvider, reason: 'late' })).toMatchObject({ provider: 'paypal', pinned: true });
    expect(await second.select(request('x', { paymentId: 'cart-1' }))).toMatchObject({ provider: 'paypal', pinned: true });
    // A payment this router decided keeps its statistics labels when a pin finds another assignment.
    const decided = await second.select(request(7));
    await first.pin({ paymentId: 'pay_7', provider: 'paypal', reason: 'elsewhere' });
    expect(await second.pin({ paymentId: 'pay_7', provider: oldProvider, reason: 'late' })).toMatchObject({ provider: 'paypal', pinned: true });
    expect(second.decide(request(7))).toMatchObject({ provider: 'paypal', pinned: true });
    expect(second.recordPaid('pay_7')).toBe(true);
    expect(second.statistics.totals().find((row) => row.provider === decided.provider && row.cohort === '*')?.counts.paid).toBe(1);
    await first.node.stop();
    await second.node.stop();
  });

  it('refuses a broken assignment record with RoutingRecordInvalidError, and fails a pin whose write fails', async () => {
    const harness = await createRoutingHarness();
    const router = await harness.createRouter();
    await harness.memory.write({ puts: [{ collection: routingAssignmentCollection, key: 'pay_1', value: '{}', expectedVersion: 0 }] });
    await expect(router.pin({ paymentId: 'pay_1', provider: oldProvider, reason: 'leg' })).rejects.toSatisfy((error: unknown) => RoutingRecordInvalidError.isInstance(error));
    await harness.memory.write({ puts: [{ collection: routingAssignmentCollection, key: 'pay_2', value: 'x', expectedVersion: 0 }] });
    await expect(router.assignment('pay_2')).rejects.toThrow('its value is not JSON');
    const other = { paymentId: 'pay_4', provider: 'stripe', reason: 'r', kind: 'bucket', epoch: 1, cohort: 'default', experiment: true, decidedAt: 0, nodeId: 'n' };
    await harness.memory.write({ puts: [{ collection: routingAssignmentCollection, key: 'pay_3', value: JSON.stringify(other), expectedVersion: 0 }] });
    await expect(router.assignment('pay_3')).rejects.toThrow("it names payment 'pay_4'");
    harness.journal.writeError = new Error('disk full');
    await expect(router.pin({ paymentId: 'pay_5', provider: oldProvider, reason: 'leg' })).rejects.toThrow('disk full');
  });

  it.each([undefined, '', 42])('refuses a request with payment id %j (RoutingRequestError)', async (paymentId) => {
    const harness = await createRoutingHarness();
    const router = await harness.createRouter();
    await expect(router.select({ ...request(1), paymentId } as never)).rejects.toSatisfy((error: unknown) => RoutingRequestError.isInstance(error) && error.field === 'paymentId');
    expect(() => router.preview({ ...request(1), paymentId } as never)).toThrow(RoutingRequestError);
  });

  it('records an assignment decided by the caller (pin), the first one winning', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const pinned = await router.pin({ paymentId: 'cart-1', provider: 'paypal', reason: 'split cart leg: line restricted to paypal' });
    expect(pinned).toMatchObject({ provider: 'paypal', kind: 'assigned', cohort: 'assigned', pinned: false, epoch: 4 });
    expect(await router.select(request('x', { paymentId: 'cart-1' }))).toMatchObject({ provider: 'paypal', pinned: true });
    expect(await router.pin({ paymentId: 'cart-1', provider: 'stripe', reason: 'late', cohort: 'split-cart' })).toMatchObject({ provider: 'paypal', pinned: true });
    for (const field of ['paymentId', 'provider', 'reason'] as const) {
      await expect(router.pin({ paymentId: 'p', provider: 'stripe', reason: 'r', [field]: '' })).rejects.toSatisfy((error: unknown) => RoutingRequestError.isInstance(error) && error.field === field);
    }
  });
});

describe('cohort rules', () => {
  const rules: CohortRule[] = [
    { name: 'renewals-stay', match: { subscriptionRenewal: true }, route: 'old' },
    { name: 'vip', match: { customerSegments: ['vip'] }, route: 'new' },
    { name: 'germany', match: { countries: ['DE'] }, route: { percent: 10 } },
    { name: 'b2b', match: { customerSegments: ['b2b'] }, route: 'old' },
  ];

  it('evaluates rules in order during the ramp; the first match decides and names the cohort', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({ cohortRules: rules });
    expect(await router.select(request(1, { customerSegment: 'vip', country: 'DE' }))).toMatchObject({ provider: newProvider, kind: 'cohort', cohort: 'vip', reason: 'cohort vip', experiment: false });
    expect(await router.select(request(2, { customerSegment: 'b2b' }))).toMatchObject({ provider: oldProvider, cohort: 'b2b', reason: 'cohort b2b' });
    expect(await router.select(request(3, { isRenewal: true, customerSegment: 'vip' }))).toMatchObject({ provider: oldProvider, cohort: 'renewals-stay' });
    expect(await router.select(request(4))).toMatchObject({ provider: oldProvider, cohort: 'default', kind: 'bucket' });
  });

  it("splits a cohort's percentage on a salt of its own", async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({ cohortRules: rules });
    const salt = 'default:cohort-germany';
    const inside = customerWhere(true, 10_000, salt);
    const outside = customerWhere(false, 10_000, salt);
    const bucket = rolloutBucket(salt, `cus_${inside}`);
    expect(await router.select(request(inside, { country: 'DE' }))).toMatchObject({ provider: newProvider, cohort: 'germany', bucket, reason: 'cohort germany: bucket < 10000 (10 %)' });
    expect((await router.select(request(outside, { country: 'DE' }))).provider).toBe(oldProvider);
    expect((await router.select(request('g', { country: 'DE', customerId: undefined }))).reason).toContain('(guest: by payment id)');
  });

  it('fills attributes the TSM does not pass from the customerAttributes hook; values in the request win', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const looked: string[] = [];
    const router = await harness.createRouter({
      cohortRules: rules,
      customerAttributes: async (routingRequest) => {
        looked.push(routingRequest.paymentId);
        return routingRequest.customerId === 'cus_1' ? { customerSegment: 'vip', country: 'DE', returningCustomer: true } : undefined;
      },
    });
    expect((await router.select(request(1))).cohort).toBe('vip');
    // The request's own segment (b2b) wins over the hook's (vip); the hook's country still applies.
    expect((await router.select(request(1, { paymentId: 'pay_1b', customerSegment: 'b2b' }))).cohort).toBe('germany');
    expect((await router.select(request(2))).cohort).toBe('default');
    expect(looked).toEqual(['pay_1', 'pay_1b', 'pay_2']);
  });

  it('routes without attributes when the hook fails, and logs it', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({
      cohortRules: rules,
      customerAttributes: (routingRequest) => {
        if (routingRequest.paymentId === 'pay_2') throw 'text failure';
        throw new Error('crm down');
      },
    });
    expect((await router.select(request(1))).cohort).toBe('default');
    expect((await router.select(request(2))).cohort).toBe('default');
    expect(harness.lines.filter((line) => line['msg'] === 'customer attributes lookup failed; routing without them').map((line) => line['error'])).toEqual(['crm down', 'text failure']);
  });

  it('ignores cohort rules outside the ramp', async () => {
    const harness = await createRoutingHarness();
    await harness.orchestrator.start({ actor: 'test', reason: 'set up' });
    await settle();
    const router = await harness.createRouter({ cohortRules: rules });
    expect(await router.select(request(1, { customerSegment: 'vip' }))).toMatchObject({ provider: oldProvider, reason: 'phase prepare' });
  });
});

describe('capability constraints', () => {
  it('keeps a currency or brand the new provider does not take on the old provider, with the reason', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter({ gateways: [{ provider: newProvider, capabilities }] });
    expect(await router.select(request(1, { amount: Money.of(1_000, 'JPY'), currency: 'JPY' }))).toMatchObject({
      provider: oldProvider,
      kind: 'capability',
      cohort: 'capability',
      reason: 'adyen does not accept currency JPY',
      experiment: false,
    });
    expect(await router.select(request(2, { cardBrand: 'amex' }))).toMatchObject({ provider: oldProvider, reason: 'adyen does not accept card brand amex' });
    expect((await router.select(request(3, { cardBrand: 'visa' }))).provider).toBe(newProvider);
  });

  it('applies after the cutover too', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    await harness.orchestrator.advance({ to: 'cutover', actor: 'test', reason: 'go' });
    await settle();
    const router = await harness.createRouter({ gateways: [{ provider: newProvider, capabilities }] });
    expect(await router.select(request(1, { amount: Money.of(1_000, 'JPY'), currency: 'JPY' }))).toMatchObject({ provider: oldProvider, kind: 'capability' });
    expect(await router.select(request(2))).toMatchObject({ provider: newProvider, reason: 'phase cutover' });
  });
});

describe('subscription renewals', () => {
  const locator: TokenLocator = {
    locate: (customerId) =>
      ({
        cus_new: { provider: newProvider, token: 'tok_adyen_1', customerReference: 'shopper_1', networkTransactionId: 'ntid_123' },
        cus_old: { provider: oldProvider, token: 'pm_1' },
        cus_elsewhere: { provider: 'paypal', token: 'vault_1' },
      })[customerId],
  };

  it('go to the provider holding the token, carrying the network transaction id, in any phase', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({ tokenLocator: locator });
    const decision = await router.select(request('r1', { customerId: 'cus_new', isRenewal: true }));
    expect(decision).toMatchObject({ provider: newProvider, kind: 'renewal', cohort: 'renewal', reason: 'subscription renewal: token on adyen' });
    expect(decision.storedPaymentMethod).toEqual({ provider: newProvider, token: 'tok_adyen_1', customerReference: 'shopper_1', networkTransactionId: 'ntid_123' });
    // Asked again, the remembered renewal comes back with its stored payment method.
    expect(await router.select(request('r1', { customerId: 'cus_new', isRenewal: true }))).toStrictEqual({ ...decision, pinned: true });
    expect((await router.select(request('r2', { customerId: 'cus_old', isRenewal: true }))).provider).toBe(oldProvider);
    await harness.orchestrator.rollback({ actor: 'test', reason: 'rolled back' });
    await settle();
    // After a rollback a token saved on the new provider still lives there: the renewal follows it.
    expect((await router.select(request('r3', { customerId: 'cus_new', isRenewal: true }))).provider).toBe(newProvider);
  });

  it('refuse a token on a provider outside the migration (old provider, reason recorded)', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({ tokenLocator: locator });
    expect(await router.select(request('r', { customerId: 'cus_elsewhere', isRenewal: true }))).toMatchObject({
      provider: oldProvider,
      kind: 'renewal',
      reason: "subscription renewal: the token lives on 'paypal', which is not part of the migration",
    });
  });

  it('follow the token before the migration starts as well', async () => {
    const harness = await createRoutingHarness();
    const router = await harness.createRouter({ tokenLocator: locator });
    expect((await router.select(request('r', { customerId: 'cus_old', isRenewal: true }))).kind).toBe('renewal');
    expect((await router.select(request('s', { customerId: 'cus_new', isRenewal: true }))).provider).toBe(oldProvider);
  });

  it('are routed like new payments without a known token, without a customer id, or when the lookup fails', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({
      tokenLocator: {
        locate: async (customerId) => {
          if (customerId === 'cus_boom') throw new Error('vault down');
          if (customerId === 'cus_text') throw 'vault text';
          return undefined;
        },
      },
    });
    expect((await router.select(request('a', { customerId: 'cus_none', isRenewal: true }))).kind).toBe('bucket');
    expect((await router.select(request('b', { customerId: undefined, isRenewal: true }))).kind).toBe('bucket');
    expect((await router.select(request('c', { customerId: 'cus_boom', isRenewal: true }))).kind).toBe('bucket');
    expect((await router.select(request('d', { customerId: 'cus_text', isRenewal: true }))).kind).toBe('bucket');
    expect(harness.lines.filter((line) => line['msg'] === 'token lookup failed; routing the renewal like a new payment').map((line) => line['error'])).toEqual(['vault down', 'vault text']);
    const plain = await harness.createRouter();
    expect((await plain.select(request('e', { customerId: 'cus_new', isRenewal: true }))).kind).toBe('bucket');
  });

  it('yield to the kill switch (the emergency brake wins; the reason says so)', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter({ tokenLocator: locator });
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC' });
    await settle();
    expect(await router.select(request('r', { customerId: 'cus_new', isRenewal: true }))).toMatchObject({ provider: oldProvider, kind: 'kill-switch' });
  });
});

describe('preview', () => {
  it('answers what select would, writing and counting nothing', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const inside = customerWhere(true);
    const preview = router.preview(request(inside));
    expect(preview).toMatchObject({ provider: newProvider, kind: 'bucket', pinned: false });
    expect(await harness.memory.count(routingAssignmentCollection)).toBe(0);
    expect(router.statistics.totals()).toEqual([]);
    expect(await router.select(request(inside))).toEqual(preview);
  });
});

describe('rampSelector (through createMigrationProviderSelector)', () => {
  it('splits with the percentage the cutover selector passes, and keeps the kill switch', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter({ tokenLocator: { locate: () => ({ provider: newProvider, token: 't' }) } });
    const selector = createMigrationProviderSelector<RoutingRequest>({ journal: harness.journal, fromProvider: oldProvider, clock: harness.clock, rampSelector: router.rampSelector, logger: harness.logger });
    const inside = customerWhere(true);
    const outside = customerWhere(false);
    expect(await selector.select(request(inside))).toMatchObject({ provider: newProvider, epoch: 4 });
    expect((await selector.select(request(outside))).provider).toBe(oldProvider);
    expect((await selector.select(request('r', { isRenewal: true }))).reason).toBe('subscription renewal: token on adyen');
    expect(router.statistics.experimentArms(4).get(newProvider)?.assignments).toBe(1);
    // Nothing is recorded as an assignment: the TSM pins.
    expect(await harness.memory.count(routingAssignmentCollection)).toBe(0);
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC' });
    await settle();
    expect(await selector.select(request(inside, { paymentId: 'pay_again' }))).toMatchObject({ provider: oldProvider, reason: 'kill switch engaged (alice: INC)' });
    await router.node.stop();
  });

  it('fails safe when its node is stale', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    harness.journal.readError = new Error('down');
    const router = await harness.createRouter();
    const selection = await router.rampSelector(request(1), 100, { fromProvider: oldProvider, toProvider: newProvider, epoch: 4 });
    expect(selection).toEqual({ provider: oldProvider, reason: 'stale routing config' });
    await expect(router.rampSelector({ ...request(1), paymentId: '' }, 1, { fromProvider: oldProvider, toProvider: newProvider, epoch: 1 })).rejects.toThrow(RoutingRequestError);
  });
});

describe('observability of decisions', () => {
  // The decisions counter is an observable counter read at collection time (it used to be a
  // synchronous counter.add per decision): the test collects as a metric reader would.
  it('counts every decision by provider, cohort and kind on the meter, read when metrics are collected', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const { meter, records, collect } = recordingMeter();
    const router = await harness.createRouter({ meter, statistics: new RouterStatistics({ clock: harness.clock }) });
    expect(collect()).toEqual([]);
    const first = customerWhere(true);
    const second = customerWhere(true, 50_000, 'default:provider', first + 1);
    await router.select(request(first));
    expect(records.filter((record) => record.name === 'paymigrate.routing.decisions')).toEqual([]);
    expect(collect()).toEqual([{ name: 'paymigrate.routing.decisions', value: 1, attributes: { provider: newProvider, cohort: 'default', kind: 'bucket' } }]);
    // An earlier decision answered again is not counted again.
    router.decide(request(second));
    await router.select(request(second));
    // A new epoch is another statistics row but the same metric attributes: the totals are summed.
    await harness.orchestrator.setRampPercent({ percent: 90, actor: 'test', reason: 'next step' });
    await router.node.refresh();
    expect(router.decide(request(first, { paymentId: 'pay_next_epoch' }))).toMatchObject({ provider: newProvider, epoch: 5 });
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC' });
    await router.node.refresh();
    router.decide(request('after-kill-switch'));
    expect(collect()).toEqual([
      { name: 'paymigrate.routing.decisions', value: 3, attributes: { provider: newProvider, cohort: 'default', kind: 'bucket' } },
      { name: 'paymigrate.routing.decisions', value: 1, attributes: { provider: oldProvider, cohort: 'kill-switch', kind: 'kill-switch' } },
    ]);
    await router.node.stop();
  });

  it('reports a comparison against the old provider', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    await router.select(request(customerWhere(true)));
    await router.select(request(customerWhere(false)));
    const report = router.comparisonReport();
    expect(report.controlProvider).toBe(oldProvider);
    expect(report.rows.map((row) => `${row.provider}/${row.cohort}`)).toEqual(['adyen/default', 'adyen/*', 'stripe/default', 'stripe/*']);
  });

  it('reads the migration of the node it was given', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const node = harness.createNode({ migrationId: 'other' });
    await node.start();
    const router = createTrafficRouter({ node, fromProvider: oldProvider, circuitBreaker: false, logger: harness.logger });
    expect((await router.select(request(1))).kind).toBe('not-started');
    expect(await harness.memory.get(migrationCollection, 'other')).toBeUndefined();
  });
});
