// The control plane of the load test: the Migration Orchestrator ramps the new provider up before
// the load and to 100 % during it, cuts over and later rolls back in an emergency. Every worker has
// its own journal, so each change is made by one orchestrator per journal (the same transitions,
// one after the other), then broadcast (every worker's selector re-reads the migration).
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, createMigrationOrchestrator, type JournalV1, type MigrationOrchestrator, type TransactionStateManager } from '@paymigrate/core';
import { epochMilliseconds } from './open-loop-generator.js';
import { bfcmProviders } from './bfcm-wiring.js';

/** One control-plane change made during the run. */
export interface BfcmControlStep {
  /** What changed, e.g. `cutover`. */
  readonly step: string;
  /** Seconds since the load started when the change was asked for. */
  readonly atSecond: number;
  /** Orchestrator writes (every journal) plus broadcast until every worker re-read it, milliseconds. */
  readonly milliseconds: number;
  /** The phase afterwards. */
  readonly phase: string;
}

/** When the changes happen, as fractions of the load's duration. */
export const bfcmControlSchedule = { rampComplete: 0.2, cutover: 0.3, rollback: 0.6 } as const;

/** The orchestrator, and the steps of the run. */
export interface BfcmControl {
  /** Starts the migration and ramps the new provider to `percent` (before the load). */
  prepare(percent: number, broadcast: () => Promise<void>): Promise<void>;
  /** Ramps to 100 %, cuts over, then rolls back in an emergency, at the scheduled moments of a load that started at `startAt`. */
  run(startAt: number, durationMs: number, broadcast: () => Promise<void>): Promise<readonly BfcmControlStep[]>;
}

/** One journal the control plane changes, with the state manager that answers its in-flight count. */
export interface BfcmControlTarget {
  readonly journal: JournalV1;
  readonly transactions: TransactionStateManager;
}

/** The control plane over every worker's journal. */
export function createBfcmControl(targets: readonly BfcmControlTarget[]): BfcmControl {
  const orchestrators: MigrationOrchestrator[] = targets.map(({ journal, transactions }) =>
    createMigrationOrchestrator({
      journal,
      fromProvider: bfcmProviders.from,
      toProvider: bfcmProviders.to,
      routingSettleMs: 0,
      logger: createLogger({ level: 'silent' }),
      inFlightPayments: { countInFlight: async (provider) => (await transactions.inFlight({ provider })).length },
    }),
  );
  const actor = { actor: 'bfcm-bench', reason: 'Black Friday load test' };
  /** Makes one change on every journal; answers the last journal's state. */
  const everywhere = async (change: (orchestrator: MigrationOrchestrator) => Promise<{ readonly phase: string }>): Promise<{ readonly phase: string }> => {
    let state: { readonly phase: string } = { phase: 'unknown' };
    for (const orchestrator of orchestrators) state = await change(orchestrator);
    return state;
  };
  return {
    async prepare(percent, broadcast) {
      await everywhere((orchestrator) => orchestrator.start(actor));
      await everywhere((orchestrator) => orchestrator.advance({ to: 'shadow', ...actor }));
      await everywhere((orchestrator) => orchestrator.advance({ to: 'ramp', ...actor }));
      await everywhere((orchestrator) => orchestrator.setRampPercent({ percent, ...actor }));
      await broadcast();
    },
    async run(startAt, durationMs, broadcast) {
      const steps: BfcmControlStep[] = [];
      const at = async (fraction: number, step: string, change: () => Promise<{ readonly phase: string }>): Promise<void> => {
        const wait = startAt + fraction * durationMs - epochMilliseconds();
        if (wait > 0) await sleep(wait);
        const asked = epochMilliseconds();
        const state = await change();
        await broadcast();
        steps.push({ step, atSecond: (asked - startAt) / 1000, milliseconds: epochMilliseconds() - asked, phase: state.phase });
      };
      await at(bfcmControlSchedule.rampComplete, 'ramp to 100 %', () => everywhere((orchestrator) => orchestrator.setRampPercent({ percent: 100, ...actor })));
      await at(bfcmControlSchedule.cutover, 'cutover', () => everywhere((orchestrator) => orchestrator.advance({ to: 'cutover', ...actor, reason: 'cut over at peak' })));
      await at(bfcmControlSchedule.rollback, 'emergency rollback', () => everywhere((orchestrator) => orchestrator.rollback({ ...actor, reason: 'emergency rollback at peak' })));
      return steps;
    },
  };
}
