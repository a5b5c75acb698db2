import { Writable } from 'node:stream';
import { configurationErrorOf } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { type ConfigurationError } from '../errors/configuration-error.js';
import { createLogger } from '../observability/logger.js';
import { createCutoverHarness, type CutoverHarness, driveTo, newProvider, oldProvider } from './__fixtures__/cutover-harness.js';
import { MigrationStateInvalidError } from './cutover-errors.js';
import type { MigrationPhase } from './migration-phase.js';
import {
  createMigrationProviderSelector,
  type MigrationProviderSelector,
  type MigrationProviderSelectorOptions,
  type RampSelector,
  migrationSelectionReasons,
} from './migration-provider-selector.js';
import { migrationCollection } from './migration-state.js';

/** A checkout's description of a new payment. */
interface CheckoutRequest {
  readonly paymentId: string;
  readonly customerId: string;
}

/** A selector over the harness's journal and clock, with captured log lines. */
function selectorFor(
  harness: CutoverHarness,
  overrides: Partial<MigrationProviderSelectorOptions<CheckoutRequest>> = {},
): { selector: MigrationProviderSelector<CheckoutRequest>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const selector = createMigrationProviderSelector<CheckoutRequest>({
    journal: harness.journal,
    fromProvider: oldProvider,
    clock: harness.clock,
    logger: createLogger({ destination }),
    ...overrides,
  });
  return { selector, lines };
}

const request: CheckoutRequest = { paymentId: 'pay_1', customerId: 'cus_1' };

describe('createMigrationProviderSelector options', () => {
  function configurationError(options: Record<string, unknown>): ConfigurationError {
    return configurationErrorOf(() => createMigrationProviderSelector(options as unknown as MigrationProviderSelectorOptions));
  }

  it('builds with only a journal and the old provider (defaults for the rest)', async () => {
    const harness = await createCutoverHarness();
    const selector = createMigrationProviderSelector({ journal: harness.journal, fromProvider: oldProvider });
    expect(await selector.select({})).toEqual({ provider: oldProvider, reason: 'migration not started', epoch: 0 });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing fromProvider', { fromProvider: undefined }, 'cutoverSelector.fromProvider'],
    ['a journal without get', { journal: {} }, 'cutoverSelector.journal'],
    ['a refresh interval not below maxConfigAgeMs', { maxConfigAgeMs: 1_000, refreshIntervalMs: 1_000 }, 'cutoverSelector.refreshIntervalMs'],
    ['a zero maxConfigAgeMs', { maxConfigAgeMs: 0 }, 'cutoverSelector.maxConfigAgeMs'],
    ['a zero readTimeoutMs', { readTimeoutMs: 0 }, 'cutoverSelector.readTimeoutMs'],
    ['a clock without sleep', { clock: { now: () => 0 } }, 'cutoverSelector.clock'],
    ['a ramp selector that is not a function', { rampSelector: 'ab' }, 'cutoverSelector.rampSelector'],
    ['a logger without warn', { logger: {} }, 'cutoverSelector.logger'],
    ['a meter without createCounter', { meter: {} }, 'cutoverSelector.meter'],
  ])('refuses %s with a ConfigurationError naming the option', async (_label, overrides, option) => {
    const harness = await createCutoverHarness();
    expect(configurationError({ journal: harness.journal, fromProvider: oldProvider, ...overrides }).option).toBe(option);
  });
});

describe('select per phase', () => {
  it.each<[MigrationPhase, string, string]>([
    ['prepare', oldProvider, 'phase prepare'],
    ['shadow', oldProvider, 'phase shadow'],
    ['ramp', oldProvider, migrationSelectionReasons.rampNotConfigured],
    ['cutover', newProvider, 'phase cutover'],
    ['drain', newProvider, 'phase drain'],
    ['done', newProvider, 'phase done'],
    ['rolled_back', oldProvider, migrationSelectionReasons.rolledBack],
  ])('%s -> %s (%s), with the epoch of the state it read', async (phase, provider, reason) => {
    const harness = await createCutoverHarness();
    await driveTo(harness, phase);
    const { epoch } = await harness.orchestrator.status();
    const { selector } = selectorFor(harness);
    expect(await selector.select(request)).toEqual({ provider, reason, epoch });
  });

  it('before the migration starts, new payments stay on the old provider', async () => {
    const harness = await createCutoverHarness();
    const { selector } = selectorFor(harness);
    expect(await selector.select(request)).toEqual({ provider: oldProvider, reason: 'migration not started', epoch: 0 });
  });

  it("'ramp routing not configured' is the exact reason without a ramp selector", () => {
    expect(migrationSelectionReasons.rampNotConfigured).toBe('ramp routing not configured');
    expect(migrationSelectionReasons.stale).toBe('stale routing config');
  });
});

describe('ramp delegation', () => {
  it('hands the request, the percentage and the migration to the ramp selector, sync or async', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 12.5, actor: 'alice', reason: 'step' });
    const calls: unknown[][] = [];
    const router: RampSelector<CheckoutRequest> = (given, percent, context) => {
      calls.push([given, percent, context]);
      return given.customerId === 'cus_new' ? { provider: context.toProvider, reason: 'bucket 3 < 12.5 %' } : { provider: context.fromProvider, reason: 'bucket 80 >= 12.5 %' };
    };
    const { selector } = selectorFor(harness, { rampSelector: router, refreshIntervalMs: 0 });
    expect(await selector.select({ paymentId: 'pay_1', customerId: 'cus_new' })).toEqual({ provider: newProvider, reason: 'bucket 3 < 12.5 %', epoch: 4 });
    expect(await selector.select({ paymentId: 'pay_2', customerId: 'cus_old' })).toEqual({ provider: oldProvider, reason: 'bucket 80 >= 12.5 %', epoch: 4 });
    expect(calls[0]).toEqual([{ paymentId: 'pay_1', customerId: 'cus_new' }, 12.5, { fromProvider: oldProvider, toProvider: newProvider, epoch: 4 }]);
    const asyncRouter: RampSelector<CheckoutRequest> = async (_given, _percent, context) => ({ provider: context.toProvider, reason: 'async bucket' });
    expect(await selectorFor(harness, { rampSelector: asyncRouter }).selector.select(request)).toEqual({ provider: newProvider, reason: 'async bucket', epoch: 4 });
  });

  it('the ramp selector is not consulted outside ramp', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    let called = false;
    const { selector } = selectorFor(harness, {
      rampSelector: () => {
        called = true;
        return { provider: oldProvider, reason: 'never' };
      },
    });
    expect((await selector.select(request)).provider).toBe(newProvider);
    expect(called).toBe(false);
  });

  it('a throwing ramp selector, or one choosing a provider outside the migration, sends the payment to the old provider', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    const throwing = selectorFor(harness, {
      rampSelector: () => {
        throw new Error('bucket table missing');
      },
    });
    expect(await throwing.selector.select(request)).toEqual({ provider: oldProvider, reason: 'ramp routing failed: bucket table missing', epoch: 3 });
    expect(throwing.lines.at(-1)).toMatchObject({ level: 50, msg: 'ramp selector failed; using the old provider' });
    const rejecting = selectorFor(harness, { rampSelector: () => Promise.reject('no route') });
    expect(await rejecting.selector.select(request)).toEqual({ provider: oldProvider, reason: 'ramp routing failed: no route', epoch: 3 });
    const foreign = selectorFor(harness, { rampSelector: () => ({ provider: 'paypal', reason: 'typo' }) });
    expect(await foreign.selector.select(request)).toEqual({ provider: oldProvider, reason: "ramp routing failed: 'paypal' is not part of the migration", epoch: 3 });
  });
});

describe('caching', () => {
  it('re-reads only when the cached state is older than refreshIntervalMs', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 100, actor: 'alice', reason: 'full' });
    const { selector } = selectorFor(harness, { refreshIntervalMs: 1_000 });
    expect((await selector.select(request)).provider).toBe(oldProvider);
    const reads = harness.journal.reads;
    await harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'flip' });
    await harness.clock.advance(999);
    expect(await selector.select(request)).toMatchObject({ provider: oldProvider, epoch: 4 });
    expect(harness.journal.reads).toBe(reads + 1);
    await harness.clock.advance(1);
    expect(await selector.select(request)).toMatchObject({ provider: newProvider, epoch: 5 });
  });

  it('defaults refreshIntervalMs to a fifth of maxConfigAgeMs', async () => {
    const harness = await createCutoverHarness();
    await harness.orchestrator.start();
    const { selector } = selectorFor(harness, { maxConfigAgeMs: 10_000 });
    await selector.select(request);
    const reads = harness.journal.reads;
    await harness.clock.advance(1_999);
    await selector.select(request);
    expect(harness.journal.reads).toBe(reads);
    await harness.clock.advance(1);
    await selector.select(request);
    expect(harness.journal.reads).toBe(reads + 1);
  });

  it('concurrent selects share one read; with refreshIntervalMs 0 each reads for itself', async () => {
    const harness = await createCutoverHarness();
    await harness.orchestrator.start();
    const shared = selectorFor(harness, { refreshIntervalMs: 100 }).selector;
    let reads = harness.journal.reads;
    await Promise.all([shared.select(request), shared.select(request), shared.select(request)]);
    expect(harness.journal.reads - reads).toBe(1);
    const eager = selectorFor(harness, { refreshIntervalMs: 0 }).selector;
    reads = harness.journal.reads;
    await Promise.all([eager.select(request), eager.select(request), eager.select(request)]);
    expect(harness.journal.reads - reads).toBe(3);
  });

  it('refresh() reads now (the hook for the control.migration broadcast) and feeds select', async () => {
    const harness = await createCutoverHarness();
    const { selector } = selectorFor(harness, { refreshIntervalMs: 1_000 });
    expect(await selector.refresh()).toBeUndefined();
    await driveTo(harness, 'cutover');
    expect((await selector.select(request)).provider).toBe(oldProvider);
    expect((await selector.refresh())?.phase).toBe('cutover');
    const reads = harness.journal.reads;
    expect((await selector.select(request)).provider).toBe(newProvider);
    expect(harness.journal.reads).toBe(reads);
  });

  it('a slow read that finishes after a newer one never rolls the cache back', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 100, actor: 'alice', reason: 'full' });
    const { selector } = selectorFor(harness, { refreshIntervalMs: 0 });
    harness.journal.hangReads = true;
    const slow = selector.refresh();
    harness.journal.hangReads = false;
    await harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'flip' });
    expect((await selector.refresh())?.phase).toBe('cutover');
    harness.journal.releaseHungReads();
    expect((await slow)?.phase).toBe('ramp');
    harness.journal.readError = new Error('down');
    expect(await selector.select(request)).toMatchObject({ provider: newProvider, epoch: 5 });
  });
});

describe('fail-safe on stale routing config', () => {
  it('keeps routing on the cached state while it is younger than maxConfigAgeMs, then falls back to the old provider', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    const { selector, lines } = selectorFor(harness, { maxConfigAgeMs: 5_000, refreshIntervalMs: 1_000 });
    expect(await selector.select(request)).toEqual({ provider: newProvider, reason: 'phase cutover', epoch: 5 });
    harness.journal.readError = new Error('connection reset');
    await harness.clock.advance(1_000);
    expect(await selector.select(request)).toEqual({ provider: newProvider, reason: 'phase cutover', epoch: 5 });
    expect(lines.at(-1)).toMatchObject({ level: 50, msg: 'routing config read failed; using the cached state or the fail-safe', error: 'connection reset' });
    await harness.clock.advance(3_999);
    expect((await selector.select(request)).provider).toBe(newProvider);
    await harness.clock.advance(1);
    expect(await selector.select(request)).toEqual({ provider: oldProvider, reason: 'stale routing config', epoch: 5 });
    harness.journal.readError = undefined;
    expect(await selector.select(request)).toEqual({ provider: newProvider, reason: 'phase cutover', epoch: 5 });
  });

  it('a selector that has never read the config routes to the old provider', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    harness.journal.readError = new Error('connection refused');
    const { selector } = selectorFor(harness);
    expect(await selector.select(request)).toEqual({ provider: oldProvider, reason: 'stale routing config', epoch: 0 });
    await expect(selector.refresh()).rejects.toThrow('connection refused');
  });

  it('a cached "not started" goes stale too, with epoch 0', async () => {
    const harness = await createCutoverHarness();
    const { selector } = selectorFor(harness, { maxConfigAgeMs: 2_000, refreshIntervalMs: 500 });
    await selector.select(request);
    harness.journal.readError = new Error('down');
    await harness.clock.advance(2_000);
    expect(await selector.select(request)).toEqual({ provider: oldProvider, reason: 'stale routing config', epoch: 0 });
  });

  it('a read that hangs past readTimeoutMs counts as failed: the checkout is not held up', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    harness.journal.hangReads = true;
    const { selector, lines } = selectorFor(harness, { readTimeoutMs: 300, maxConfigAgeMs: 5_000, refreshIntervalMs: 1_000 });
    const first = selector.select(request);
    await harness.clock.advance(300);
    expect(await first).toEqual({ provider: oldProvider, reason: 'stale routing config', epoch: 0 });
    expect(lines.at(-1)).toMatchObject({ level: 40, msg: 'routing config read timed out; using the cached state or the fail-safe', readTimeoutMs: 300 });
    harness.journal.releaseHungReads();
    await harness.clock.advance(0);
    // The read that timed out still landed in the cache once it finished.
    const reads = harness.journal.reads;
    expect(await selector.select(request)).toEqual({ provider: newProvider, reason: 'phase cutover', epoch: 5 });
    expect(harness.journal.reads).toBe(reads);
  });

  it('an unusable record, or one for another old provider, is never routed on', async () => {
    const harness = await createCutoverHarness();
    await harness.innerJournal.write({ puts: [{ collection: migrationCollection, key: 'default', value: 'garbage', expectedVersion: 0 }] });
    const { selector, lines } = selectorFor(harness);
    expect(await selector.select(request)).toEqual({ provider: oldProvider, reason: 'stale routing config', epoch: 0 });
    expect(String(lines.at(-1)?.error)).toContain('is unusable: its value is not JSON');

    const other = await createCutoverHarness();
    await driveTo(other, 'cutover');
    const mismatched = selectorFor(other, { fromProvider: 'braintree' }).selector;
    expect(await mismatched.select(request)).toEqual({ provider: 'braintree', reason: 'stale routing config', epoch: 0 });
    const error = await mismatched.refresh().catch((thrown: unknown) => thrown);
    expect(MigrationStateInvalidError.isInstance(error)).toBe(true);
    expect((error as MigrationStateInvalidError).problem).toBe("it moves away from 'stripe' but this selector was configured with fromProvider 'braintree'");
  });

  it('follows the configured migration id', async () => {
    const harness = await createCutoverHarness({ migrationId: 'shop-eu' });
    await driveTo(harness, 'cutover');
    expect((await selectorFor(harness, { migrationId: 'shop-eu' }).selector.select(request)).provider).toBe(newProvider);
    expect((await selectorFor(harness).selector.select(request)).reason).toBe('migration not started');
  });
});

describe('fit with the Transaction State Manager', () => {
  it("plugs into a { select(request): Promise<{ provider; reason }> } port as is", async () => {
    /** The shape the Transaction State Manager asks for (declared here: its files are not a dependency). */
    interface NewPaymentProviderSelector {
      select(request: { readonly paymentId: string; readonly customerId?: string | undefined }): Promise<{ readonly provider: string; readonly reason: string }>;
    }
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    const port: NewPaymentProviderSelector = selectorFor(harness).selector;
    expect(await port.select({ paymentId: 'pay_1' })).toMatchObject({ provider: newProvider, reason: 'phase cutover' });
  });
});

describe('rollback, selector side', () => {
  it('new payments go back to the old provider at once; in-flight ones finish where they started', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    const { selector } = selectorFor(harness, { refreshIntervalMs: 0 });
    // The fake in-flight ledger plays the Transaction State Manager's pinning: a payment finishes
    // only on the provider it was started on (finish throws otherwise).
    const started: Array<{ paymentId: string; provider: string }> = [];
    for (const paymentId of ['pay_1', 'pay_2', 'pay_3']) {
      const { provider } = await selector.select({ paymentId, customerId: 'cus' });
      harness.inFlight.begin(provider, paymentId);
      started.push({ paymentId, provider });
    }
    expect(started.every((payment) => payment.provider === newProvider)).toBe(true);
    const rolledBack = await harness.orchestrator.rollback({ actor: 'oncall', reason: 'decline spike' });
    for (const paymentId of ['pay_4', 'pay_5']) {
      expect(await selector.select({ paymentId, customerId: 'cus' })).toEqual({ provider: oldProvider, reason: 'rolled back', epoch: rolledBack.epoch });
    }
    for (const payment of started) harness.inFlight.finish(payment.provider, payment.paymentId);
    expect(await harness.inFlight.countInFlight(newProvider)).toBe(0);
  });
});
