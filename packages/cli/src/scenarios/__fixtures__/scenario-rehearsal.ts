import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Money, type TransactionResult } from '@paymigrate/core';
import { memoryIo } from '../../output/command-io.js';
import { rehearsalActor, waitForRoutingToSettle } from '../../rehearsal/phase-ramp.js';
import { seedPhase } from '../../rehearsal/phase-seed.js';
import { tokensPhase } from '../../rehearsal/phase-tokens.js';
import { openRehearsal, type OpenedRehearsal, runPhase, verifyAndReport } from '../../rehearsal/rehearsal.js';
import type { RehearsalContext } from '../../rehearsal/rehearsal-context.js';
import { parseRehearsalOptions, type RehearsalOptions } from '../../rehearsal/rehearsal-options.js';
import type { RehearsalPhase } from '../../rehearsal/rehearsal-state.js';
import type { RehearsalReport } from '../../rehearsal/report.js';

/** A rehearsal world opened for one scenario: the scenario drives the steps itself. */
export interface Scenario {
  /** The opened rehearsal. */
  readonly rehearsal: OpenedRehearsal;
  /** Its context (engines, world, customers). */
  readonly context: RehearsalContext;
  /** Runs a phase of the rehearsal and checkpoints it. */
  phase(phase: RehearsalPhase, runner: (context: RehearsalContext) => ReturnType<typeof seedPhase>): Promise<void>;
  /** Seeds the world and migrates the tokens (phases 1 and 3, without background traffic). */
  seedAndMigrateTokens(): Promise<void>;
  /** Starts the migration and ramps it to `percent` (guarded moves through shadow). */
  rampTo(percent: number): Promise<void>;
  /** Cuts over. */
  cutOver(): Promise<void>;
  /** One customer checkout, as the rehearsal's traffic makes it: the routing decides, the customer pays with a card there, gets a receipt. */
  checkout(input: { readonly paymentId: string; readonly customerId: string; readonly amountMinor: number; readonly capture?: boolean | undefined }): Promise<TransactionResult>;
  /** Verifies and reports (the invariants). */
  verify(): Promise<RehearsalReport>;
  /** Closes everything and stops the world. */
  close(): Promise<void>;
}

/** Opens a scenario on an in-process world. */
export async function openScenario(overrides: Partial<Record<keyof RehearsalOptions, unknown>> = {}): Promise<Scenario> {
  const journal = join(mkdtempSync(join(tmpdir(), 'paymigrate-scenario-')), 'journal.sqlite');
  const options = parseRehearsalOptions({ world: 'in-process', customers: 16, orders: 8, sessions: 20, concurrency: 4, json: true, journal, ...overrides });
  const opened = await openRehearsal(options, memoryIo());
  /* v8 ignore next -- a new journal never holds a finished rehearsal */
  if (opened.kind !== 'opened') throw new Error('the scenario journal is not new');
  const { rehearsal } = opened;
  const context = rehearsal.context;
  rehearsal.startBackground();

  const phase: Scenario['phase'] = async (name, runner) => {
    const record = await runPhase(context, name, () => runner(context));
    await context.checkpoints.update((state) => ({ ...state, phases: { ...state.phases, [name]: record } }));
  };

  return {
    rehearsal,
    context,
    phase,
    async seedAndMigrateTokens() {
      await phase('seed', seedPhase);
      await phase('tokens', tokensPhase);
    },
    async rampTo(percent) {
      const { orchestrator } = context.runtime;
      let state = await orchestrator.start({ actor: rehearsalActor, reason: 'scenario' });
      if (state.phase === 'prepare') state = await orchestrator.advance({ to: 'shadow', actor: rehearsalActor, reason: 'scenario' });
      if (state.phase === 'shadow') state = await orchestrator.advance({ to: 'ramp', actor: rehearsalActor, reason: 'scenario' });
      await orchestrator.setRampPercent({ percent, actor: rehearsalActor, reason: 'scenario' });
      await waitForRoutingToSettle(context);
    },
    async cutOver() {
      await context.runtime.orchestrator.advance({ to: 'cutover', actor: rehearsalActor, reason: 'scenario' });
      await waitForRoutingToSettle(context);
    },
    async checkout(input) {
      const { runtime, customers, world } = context;
      const amount = Money.of(input.amountMinor, context.currency);
      const merchantReference = `ref-${input.paymentId}`;
      const startedAt = performance.now();
      const decision = await runtime.routing.decide({ paymentId: input.paymentId, merchantReference, amount, currency: context.currency, customerId: input.customerId });
      const card = customers.cardAt(input.customerId, decision.provider);
      if (card === undefined) throw new Error(`${input.customerId} has no card at ${decision.provider}`);
      const result = await runtime.transactions.authorize({
        paymentId: input.paymentId,
        merchantReference,
        amount,
        paymentMethodToken: card.token,
        customerId: input.customerId,
        customerReference: card.customerReference,
        captureMethod: 'manual',
      });
      if (result.status === 'succeeded' && result.payment.state === 'authorized') {
        await world.call('acknowledge', {
          paymentId: input.paymentId,
          merchantReference,
          provider: result.payment.provider,
          providerReference: result.payment.providerReference,
          amount: amount.toJSON(),
          orderId: undefined,
          customerId: input.customerId,
          kind: 'checkout',
          latencyMs: performance.now() - startedAt,
          acknowledgedAt: Date.now(),
        });
        if (input.capture === true) return runtime.transactions.capture({ paymentId: input.paymentId, sequence: 1 });
      }
      return result;
    },
    async verify() {
      await rehearsal.stopBackground();
      return verifyAndReport(rehearsal);
    },
    async close() {
      await rehearsal.close();
      await rehearsal.stopWorld();
    },
  };
}
