import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { createMigrationProviderSelector, type MigrationProviderSelector } from '../cutover/migration-provider-selector.js';
import type { MigrationPhase } from '../cutover/migration-phase.js';
import { Money } from '../money/money.js';
import type { ProviderSelectionRequest } from '../transactions/provider-selector.js';
import { createTransactionStateManager } from '../transactions/transaction-state-manager.js';
import type { TrafficRouter } from './traffic-router.js';
import { createRoutingHarness, newProvider, oldProvider, type RoutingHarness, settle } from './__fixtures__/routing-harness.js';

/**
 * The traffic router as the Transaction State Manager's selector in every phase (through the
 * cutover selector's `router` option): the kill switch, the circuit breakers (new payments only)
 * and the stale-config fail-safe apply whatever the phase, and a rollback sends new payments back
 * to the old provider as soon as the broadcast arrives.
 */

/** A new payment's selection request. */
function request(id: number): ProviderSelectionRequest {
  return { paymentId: `pay_${id}`, merchantReference: `order_${id}`, amount: Money.of(1_000, 'EUR'), currency: 'EUR', customerId: `cus_${id}` };
}

/** Brings the harness's migration to `phase` along the happy path (100 % ramp before the cutover). */
async function driveTo(harness: RoutingHarness, phase: MigrationPhase): Promise<void> {
  const { orchestrator } = harness;
  await orchestrator.start({ actor: 'test', reason: 'set up' });
  if (phase === 'rolled_back') {
    await orchestrator.rollback({ actor: 'test', reason: 'set up' });
    return;
  }
  const order: readonly MigrationPhase[] = ['prepare', 'shadow', 'ramp', 'cutover', 'drain', 'done'];
  for (const next of order.slice(1, order.indexOf(phase) + 1)) {
    if (next === 'cutover') await orchestrator.setRampPercent({ percent: 100, actor: 'test', reason: 'set up' });
    if (next === 'drain') await harness.clock.advance(5_000);
    await orchestrator.advance({ to: next, actor: 'test', reason: 'set up' });
  }
  if (phase === 'ramp') await orchestrator.setRampPercent({ percent: 100, actor: 'test', reason: 'set up' });
}

/** A router with consecutive-failure breakers and the cutover selector delegating to it. */
async function routedSelector(harness: RoutingHarness): Promise<{ router: TrafficRouter; selector: MigrationProviderSelector<ProviderSelectionRequest> }> {
  const router = await harness.createRouter({ circuitBreaker: { kind: 'consecutive', failures: 3, halfOpenAfterMs: 600_000 } });
  const selector = createMigrationProviderSelector<ProviderSelectionRequest>({ journal: harness.journal, fromProvider: oldProvider, clock: harness.clock, logger: harness.logger, router });
  return { router, selector };
}

/** Opens `provider`'s circuit (three consecutive failures). */
async function openCircuit(router: TrafficRouter, provider: string): Promise<void> {
  for (let failure = 0; failure < 3; failure += 1) await router.circuitBreakers?.recordFailure(provider, 'PROVIDER_UNAVAILABLE');
  expect(router.circuitBreakers?.state(provider)).toBe('open');
}

/** Where new payments go in each phase, and the reason. */
const phases: ReadonlyArray<{ phase: MigrationPhase; provider: string; reason: string; takesPayments: 'old only' | 'both' }> = [
  { phase: 'prepare', provider: oldProvider, reason: 'phase prepare', takesPayments: 'old only' },
  { phase: 'shadow', provider: oldProvider, reason: 'phase shadow', takesPayments: 'old only' },
  { phase: 'ramp', provider: newProvider, reason: 'ramp: bucket < 100000 (100 %)', takesPayments: 'both' },
  { phase: 'cutover', provider: newProvider, reason: 'phase cutover', takesPayments: 'both' },
  { phase: 'drain', provider: newProvider, reason: 'phase drain', takesPayments: 'both' },
  { phase: 'done', provider: newProvider, reason: 'phase done', takesPayments: 'both' },
  { phase: 'rolled_back', provider: oldProvider, reason: 'rolled back', takesPayments: 'old only' },
];

describe('the traffic router decides new payments in every phase (cutover selector option `router`)', () => {
  it.each(phases)('$phase: routes by the phase, and the kill switch sends new payments to the old provider', async ({ phase, provider, reason }) => {
    const harness = await createRoutingHarness();
    await driveTo(harness, phase);
    const { router, selector } = await routedSelector(harness);
    expect(await selector.select(request(1))).toMatchObject({ provider, reason });
    await harness.killSwitch.engage({ actor: 'alice', reason: 'INC-7' });
    await settle();
    expect(await selector.select(request(2))).toMatchObject({ provider: oldProvider, reason: 'kill switch engaged (alice: INC-7)' });
    // A payment decided before the switch keeps its provider (the TSM never asks again; neither does a retry here).
    expect((await selector.select(request(1))).provider).toBe(provider);
    await router.node.stop();
  });

  it.each(phases)('$phase: an open circuit fails new payments over only where both providers take payments', async ({ phase, provider, reason, takesPayments }) => {
    const harness = await createRoutingHarness();
    await driveTo(harness, phase);
    const { router, selector } = await routedSelector(harness);
    await openCircuit(router, provider);
    const selection = await selector.select(request(1));
    if (takesPayments === 'both') {
      expect(selection).toMatchObject({ provider: oldProvider, reason: `circuit open: ${provider}` });
    } else {
      expect(selection).toMatchObject({ provider: oldProvider, reason: `${reason}; circuit open on ${oldProvider} and no other provider can take it` });
    }
    // The other provider's circuit does not matter to a payment that does not go there.
    const other = await createRoutingHarness();
    await driveTo(other, phase);
    const second = await routedSelector(other);
    await openCircuit(second.router, provider === oldProvider ? newProvider : oldProvider);
    expect(await second.selector.select(request(1))).toMatchObject({ provider, reason });
    await router.node.stop();
    await second.router.node.stop();
  });

  it.each(phases)('$phase: a stale configuration fails safe to the old provider', async ({ phase }) => {
    const harness = await createRoutingHarness();
    await driveTo(harness, phase);
    const { router, selector } = await routedSelector(harness);
    harness.journal.readError = new Error('journal unreachable');
    await harness.clock.advance(5_000);
    await settle();
    expect(await selector.select(request(1))).toMatchObject({ provider: oldProvider, reason: 'stale routing config' });
    await router.node.stop();
  });

  it('rollback returns new payments to the old provider as soon as the broadcast arrives; in-flight ones finish where they started', async () => {
    const harness = await createRoutingHarness();
    await driveTo(harness, 'cutover');
    const { router, selector } = await routedSelector(harness);
    // A selector that reads the journal itself (no router) keeps its cached state for refreshIntervalMs.
    const polling = createMigrationProviderSelector<ProviderSelectionRequest>({ journal: harness.journal, fromProvider: oldProvider, clock: harness.clock, logger: harness.logger });
    const adyen = new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock });
    const stripe = new InMemoryPaymentGateway({ provider: oldProvider, clock: harness.clock });
    const transactions = createTransactionStateManager({ journal: harness.journal, gateways: [adyen, stripe], selectProvider: selector, clock: harness.clock, logger: harness.logger });
    const amount = Money.of(2_000, 'EUR');
    const inFlight = await transactions.authorize({ paymentId: 'pay_1', merchantReference: 'order_1', amount, paymentMethodToken: 'tok_visa', customerId: 'cus_1' });
    expect(inFlight.payment.provider).toBe(newProvider);
    expect((await polling.select(request(9))).provider).toBe(newProvider);

    await harness.orchestrator.rollback({ actor: 'guardrail', reason: 'auth rate drop' });
    await settle();
    const after = await transactions.authorize({ paymentId: 'pay_2', merchantReference: 'order_2', amount, paymentMethodToken: 'tok_visa', customerId: 'cus_2' });
    expect(after.payment).toMatchObject({ provider: oldProvider, routingReason: 'rolled back' });
    expect((await polling.select(request(10))).provider).toBe(newProvider);
    const captured = await transactions.capture({ paymentId: 'pay_1', sequence: 1 });
    expect(captured.payment).toMatchObject({ provider: newProvider, state: 'captured' });
    await router.node.stop();
  });

  it('fails safe to the old provider when the router throws or answers without a provider', async () => {
    const harness = await createRoutingHarness();
    await driveTo(harness, 'cutover');
    const throwing = createMigrationProviderSelector<ProviderSelectionRequest>({
      journal: harness.journal,
      fromProvider: oldProvider,
      logger: harness.logger,
      router: {
        select: () => {
          throw new Error('router down');
        },
      },
    });
    expect(await throwing.select(request(1))).toEqual({ provider: oldProvider, reason: 'routing failed: router down', epoch: 0 });
    await throwing.refresh();
    const empty = createMigrationProviderSelector<ProviderSelectionRequest>({
      journal: harness.journal,
      fromProvider: oldProvider,
      logger: harness.logger,
      router: { select: async () => ({ provider: '', reason: 'nothing', epoch: 1 }) },
    });
    expect(await empty.select(request(1))).toEqual({ provider: oldProvider, reason: 'routing failed: no provider in the answer', epoch: 0 });
    const epochless = createMigrationProviderSelector<ProviderSelectionRequest>({
      journal: harness.journal,
      fromProvider: oldProvider,
      logger: harness.logger,
      router: { select: () => ({ provider: newProvider, reason: 'custom' }) as never },
    });
    expect(await epochless.select(request(1))).toEqual({ provider: newProvider, reason: 'custom', epoch: 0 });
    await epochless.refresh();
    const state = await harness.orchestrator.status();
    expect(await epochless.select(request(1))).toEqual({ provider: newProvider, reason: 'custom', epoch: state?.epoch });
    expect(await throwing.select(request(2))).toMatchObject({ epoch: state?.epoch });
  });

  it('refuses a router combined with a ramp selector, and a router without select', () => {
    const harness = { journal: { get: async () => undefined } } as never as RoutingHarness;
    expect(() =>
      createMigrationProviderSelector({ journal: harness.journal, fromProvider: oldProvider, router: { select: () => ({ provider: oldProvider, reason: 'r', epoch: 0 }) }, rampSelector: () => ({ provider: oldProvider, reason: 'r' }) }),
    ).toThrow('rampSelector');
    expect(() => createMigrationProviderSelector({ journal: harness.journal, fromProvider: oldProvider, router: {} as never })).toThrow('router');
  });
});
