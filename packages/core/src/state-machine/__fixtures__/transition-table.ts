// Test support: a state machine's rules written as a table, independently of the implementation,
// and the pair-by-pair check of a machine against it (every from/to pair, the error for every refusal).
import { expect, it } from 'vitest';
import { IllegalTransitionError } from '../../errors/illegal-transition-error.js';
import type { StateMachine } from '../state-machine.js';

/** Runs `action`, expecting it to throw, and returns what it threw. */
export function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

/**
 * Reads a transition table: one row per `from` state, its name then one cell per `to` state in
 * `states` order, `X` allowed and `.` refused. Every row must have a cell for every state.
 */
export function parseTransitionTable<State extends string>(table: string, states: readonly State[]): Map<string, Set<State>> {
  const rows = new Map<string, Set<State>>();
  for (const line of table.trim().split('\n')) {
    const [from = '', ...cells] = line.trim().split(/\s+/);
    expect(cells, `row ${from}`).toHaveLength(states.length);
    rows.set(from, new Set(states.filter((_state, index) => cells[index] === 'X')));
  }
  return rows;
}

/**
 * Declares one test per from/to pair of `machine`: allowed pairs pass `assertTransition`, refused
 * ones throw an `IllegalTransitionError` naming the machine, `entityId`, both states and exactly
 * the allowed targets of the table.
 */
export function itMatchesTransitionTable<State extends string>(machine: StateMachine<State>, expected: ReadonlyMap<string, ReadonlySet<State>>, entityId: string): void {
  const pairs = machine.states.flatMap((from) => machine.states.map((to) => [from, to] as const));
  it.each(pairs)('%s -> %s matches the table', (from, to) => {
    const allowed = expected.get(from)?.has(to) ?? false;
    expect(machine.canTransition(from, to)).toBe(allowed);
    if (allowed) {
      expect(() => machine.assertTransition(from, to, entityId)).not.toThrow();
      return;
    }
    const error = thrownBy(() => machine.assertTransition(from, to, entityId));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
    const illegal = error as IllegalTransitionError;
    expect(illegal.machine).toBe(machine.name);
    expect(illegal.entityId).toBe(entityId);
    expect(illegal.from).toBe(from);
    expect(illegal.to).toBe(to);
    expect([...illegal.allowed].sort()).toEqual([...(expected.get(from) ?? [])].sort());
  });
}
