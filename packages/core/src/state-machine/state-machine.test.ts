import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { defineStateMachine, type StateMachineDefinition } from './state-machine.js';

type DoorState = 'open' | 'closed' | 'locked' | 'broken';

const doorDefinition: StateMachineDefinition<DoorState> = {
  name: 'door',
  transitions: {
    open: ['closed', 'broken'],
    closed: ['open', 'locked', 'closed'],
    locked: ['closed'],
    broken: [],
  },
};

const door = defineStateMachine(doorDefinition);

/** Runs `action`, expecting it to throw, and returns what it threw. */
function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('defineStateMachine', () => {
  it('keeps the name and the states in definition order', () => {
    expect(door.name).toBe('door');
    expect(door.states).toEqual(['open', 'closed', 'locked', 'broken']);
  });

  it('answers every (from, to) pair from the definition, and only from it', () => {
    for (const from of door.states) {
      for (const to of door.states) {
        const expected = doorDefinition.transitions[from].includes(to);
        expect(door.canTransition(from, to), `${from} -> ${to}`).toBe(expected);
        if (expected) {
          expect(() => door.assertTransition(from, to, 'front')).not.toThrow();
        } else {
          expect(() => door.assertTransition(from, to, 'front')).toThrow(IllegalTransitionError);
        }
      }
    }
  });

  it('allows staying in a state only when the state lists itself', () => {
    expect(door.canTransition('closed', 'closed')).toBe(true);
    expect(door.canTransition('open', 'open')).toBe(false);
  });

  it('lists allowed targets and terminal states', () => {
    expect(door.allowedFrom('closed')).toEqual(['open', 'locked', 'closed']);
    expect(door.allowedFrom('broken')).toEqual([]);
    expect(door.isTerminal('broken')).toBe(true);
    expect(door.isTerminal('locked')).toBe(false);
    expect(door.isTerminal('closed')).toBe(false);
  });

  it('is immutable and does not follow later changes to the definition', () => {
    const targets: Array<'open' | 'closed'> = ['closed'];
    const machine = defineStateMachine<'open' | 'closed'>({ name: 'mutable', transitions: { open: targets, closed: [] } });
    targets.push('open');
    expect(machine.canTransition('open', 'open')).toBe(false);
    expect(Object.isFrozen(machine)).toBe(true);
    expect(Object.isFrozen(machine.states)).toBe(true);
    expect(Object.isFrozen(machine.allowedFrom('open'))).toBe(true);
    expect(() => {
      (machine.allowedFrom('open') as string[]).push('open');
    }).toThrow(TypeError);
  });

  it('refuses a definition whose target is not a declared state', () => {
    const error = thrownBy(() =>
      defineStateMachine({ name: 'broken-machine', transitions: { a: ['b', 'c'], b: [] } } as unknown as StateMachineDefinition<'a' | 'b'>),
    );
    expect(PaymigrateError.isInstance(error)).toBe(true);
    const invalid = error as PaymigrateError;
    expect(invalid.code).toBe('STATE_MACHINE_INVALID');
    expect(invalid.message).toContain("'broken-machine'");
    expect(invalid.message).toContain("'a' lists undeclared target(s) 'c'");
  });

  it('refuses a definition listing a target twice', () => {
    const error = thrownBy(() => defineStateMachine<'a' | 'b'>({ name: 'twice', transitions: { a: ['b', 'b'], b: [] } }));
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect((error as PaymigrateError).code).toBe('STATE_MACHINE_INVALID');
    expect((error as PaymigrateError).message).toContain("'a' lists 'b' more than once");
  });
});

describe('assertTransition', () => {
  it('throws IllegalTransitionError with the machine, entity, both states and the allowed states', () => {
    const error = thrownBy(() => door.assertTransition('locked', 'open', 'front-door'));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
    const illegal = error as IllegalTransitionError;
    expect(illegal.code).toBe('STATE_ILLEGAL_TRANSITION');
    expect(illegal.machine).toBe('door');
    expect(illegal.entityId).toBe('front-door');
    expect(illegal.from).toBe('locked');
    expect(illegal.to).toBe('open');
    expect(illegal.allowed).toEqual(['closed']);
    expect(illegal.message).toBe("Illegal transition of door 'front-door' from 'locked' to 'open' (allowed from 'locked': closed).");
  });

  it('says a terminal state is final, and works without an entity id', () => {
    const error = thrownBy(() => door.assertTransition('broken', 'open')) as IllegalTransitionError;
    expect(error.entityId).toBeUndefined();
    expect(error.allowed).toEqual([]);
    expect(error.message).toBe("Illegal transition of door from 'broken' to 'open' ('broken' is final).");
  });

  it('reports an unknown from or to state as STATE_UNKNOWN, not as an illegal transition', () => {
    const fromError = thrownBy(() => door.assertTransition('ajar' as DoorState, 'open', 'front-door'));
    expect(PaymigrateError.isInstance(fromError)).toBe(true);
    expect(IllegalTransitionError.isInstance(fromError)).toBe(false);
    expect((fromError as PaymigrateError).code).toBe('STATE_UNKNOWN');
    expect((fromError as PaymigrateError).message).toContain("'ajar'");
    expect((fromError as PaymigrateError).message).toContain("'front-door'");
    const toError = thrownBy(() => door.assertTransition('open', 'ajar' as DoorState, 'front-door'));
    expect((toError as PaymigrateError).code).toBe('STATE_UNKNOWN');
    expect((toError as PaymigrateError).message).toContain("'ajar'");
  });
});

describe('states from the outside world', () => {
  it('isState narrows strings and refuses everything else', () => {
    expect(door.isState('open')).toBe(true);
    for (const value of ['OPEN', 'ajar', '', ' open', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(door.isState(value), value).toBe(false);
    }
    expect(door.isState(1 as unknown as string)).toBe(false);
  });

  it('assertState returns the state', () => {
    const value: string = 'locked';
    const state: DoorState = door.assertState(value);
    expect(state).toBe('locked');
  });

  it('assertState throws STATE_UNKNOWN naming the machine, the value, the entity and the valid states', () => {
    const error = thrownBy(() => door.assertState('ajar', 'front-door'));
    expect(PaymigrateError.isInstance(error)).toBe(true);
    const unknown = error as PaymigrateError;
    expect(unknown.code).toBe('STATE_UNKNOWN');
    expect(unknown.isRetryable).toBe(false);
    expect(unknown.message).toBe("Unknown door state 'ajar' of door 'front-door'. Valid states: open, closed, locked, broken.");
    expect((thrownBy(() => door.assertState('toString')) as Error).message).toBe(
      "Unknown door state 'toString'. Valid states: open, closed, locked, broken.",
    );
    expect((thrownBy(() => door.assertState(7 as unknown as string)) as Error).message).toContain('state 7.');
  });

  it('canTransition is false, not a throw, for unknown states', () => {
    expect(door.canTransition('ajar' as DoorState, 'open')).toBe(false);
    expect(door.canTransition('open', 'ajar' as DoorState)).toBe(false);
  });

  it('allowedFrom and isTerminal refuse unknown states instead of calling them terminal', () => {
    expect((thrownBy(() => door.allowedFrom('ajar' as DoorState)) as PaymigrateError).code).toBe('STATE_UNKNOWN');
    expect((thrownBy(() => door.isTerminal('ajar' as DoorState)) as PaymigrateError).code).toBe('STATE_UNKNOWN');
  });
});
