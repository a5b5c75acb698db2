import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { guardedMigrationPhases, type MigrationPhase, migrationPhaseMachine, migrationPhases, nextMigrationPhase } from './migration-phase.js';

/** The rules, written out independently of the definition, as the brief states them. */
const legal: ReadonlySet<string> = new Set([
  'prepare->shadow',
  'shadow->ramp',
  'ramp->ramp',
  'ramp->cutover',
  'cutover->drain',
  'drain->done',
  'prepare->rolled_back',
  'shadow->rolled_back',
  'ramp->rolled_back',
  'cutover->rolled_back',
  'drain->rolled_back',
  'rolled_back->prepare',
]);

const pairs = migrationPhases.flatMap((from) => migrationPhases.map((to) => ({ from, to, legal: legal.has(`${from}->${to}`) })));

describe('migrationPhaseMachine', () => {
  it("is the 'cutover' machine with the phases in running order", () => {
    expect(migrationPhaseMachine.name).toBe('cutover');
    expect(migrationPhaseMachine.states).toEqual(['prepare', 'shadow', 'ramp', 'cutover', 'drain', 'done', 'rolled_back']);
    expect(guardedMigrationPhases).toEqual(migrationPhases.filter((phase) => phase !== 'rolled_back'));
  });

  it.each(pairs.filter((pair) => pair.legal))('allows $from -> $to', ({ from, to }) => {
    expect(migrationPhaseMachine.canTransition(from, to)).toBe(true);
    expect(() => migrationPhaseMachine.assertTransition(from, to, 'default')).not.toThrow();
  });

  it.each(pairs.filter((pair) => !pair.legal))('refuses $from -> $to, naming both phases', ({ from, to }) => {
    expect(migrationPhaseMachine.canTransition(from, to)).toBe(false);
    let thrown: unknown;
    try {
      migrationPhaseMachine.assertTransition(from, to, 'default');
    } catch (error) {
      thrown = error;
    }
    expect(IllegalTransitionError.isInstance(thrown)).toBe(true);
    const error = thrown as IllegalTransitionError;
    expect(error.message).toContain(`from '${from}' to '${to}'`);
    expect(error.machine).toBe('cutover');
    expect(error.entityId).toBe('default');
  });

  it("only 'done' is final; every other phase can roll back or restart", () => {
    expect(migrationPhases.filter((phase) => migrationPhaseMachine.isTerminal(phase))).toEqual(['done']);
    for (const phase of migrationPhases.filter((candidate) => candidate !== 'done' && candidate !== 'rolled_back')) {
      expect(migrationPhaseMachine.canTransition(phase, 'rolled_back')).toBe(true);
    }
  });
});

describe('nextMigrationPhase', () => {
  it.each<[MigrationPhase, MigrationPhase | undefined]>([
    ['prepare', 'shadow'],
    ['shadow', 'ramp'],
    ['ramp', 'cutover'],
    ['cutover', 'drain'],
    ['drain', 'done'],
    ['done', undefined],
    ['rolled_back', 'prepare'],
  ])('after %s comes %s', (phase, next) => {
    expect(nextMigrationPhase(phase)).toBe(next);
    if (next !== undefined) expect(migrationPhaseMachine.canTransition(phase, next)).toBe(true);
  });
});
