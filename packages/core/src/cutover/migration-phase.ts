import { defineStateMachine, type StateMachine } from '../state-machine/state-machine.js';

/**
 * The phases of a provider migration, in the order they normally run.
 *
 * - `prepare`: nothing routed to the new provider; tokens are being migrated.
 * - `shadow`: the new provider sees shadow traffic only; every real payment stays on the old one.
 * - `ramp`: a percentage of new payments goes to the new provider (the traffic router decides who).
 * - `cutover`: every new payment goes to the new provider; payments already in flight finish on the
 *   provider that started them.
 * - `drain`: waiting for the payments still in flight on the old provider to reach a final state.
 * - `done`: nothing is left on the old provider. Final.
 * - `rolled_back`: every new payment goes back to the old provider; `prepare` may start again.
 */
export const migrationPhases = ['prepare', 'shadow', 'ramp', 'cutover', 'drain', 'done', 'rolled_back'] as const;

/** One of `migrationPhases`. */
export type MigrationPhase = (typeof migrationPhases)[number];

/** The phases a guard can be attached to: every phase an `advance` can enter (a rollback is never guarded). */
export type GuardedMigrationPhase = Exclude<MigrationPhase, 'rolled_back'>;

/** The phases `guards` accepts, in the order they normally run. */
export const guardedMigrationPhases: readonly GuardedMigrationPhase[] = ['prepare', 'shadow', 'ramp', 'cutover', 'drain', 'done'];

/**
 * The cutover phase machine (machine name `cutover`). `ramp -> ramp` is a change of the ramp
 * percentage; every non-final phase may roll back; `rolled_back -> prepare` starts a new attempt;
 * `done` is final.
 */
export const migrationPhaseMachine: StateMachine<MigrationPhase> = defineStateMachine<MigrationPhase>({
  name: 'cutover',
  transitions: {
    prepare: ['shadow', 'rolled_back'],
    shadow: ['ramp', 'rolled_back'],
    ramp: ['ramp', 'cutover', 'rolled_back'],
    cutover: ['drain', 'rolled_back'],
    drain: ['done', 'rolled_back'],
    done: [],
    rolled_back: ['prepare'],
  },
});

const forwardPhases: { readonly [Phase in MigrationPhase]: GuardedMigrationPhase | undefined } = {
  prepare: 'shadow',
  shadow: 'ramp',
  ramp: 'cutover',
  cutover: 'drain',
  drain: 'done',
  done: undefined,
  rolled_back: 'prepare',
};

/**
 * The phase an operator normally advances to next (`ramp` gives `cutover`, not another percentage
 * change; `rolled_back` gives `prepare`); `undefined` once `done`.
 */
export function nextMigrationPhase(phase: MigrationPhase): GuardedMigrationPhase | undefined {
  return forwardPhases[phase];
}
