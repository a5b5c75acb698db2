import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';

/**
 * The rules of a finite state machine: for every state, the states it may move to.
 * A state with an empty list is terminal. A state may list itself (a repeatable step, such as
 * another partial capture); otherwise staying in the same state is not a transition.
 */
export interface StateMachineDefinition<State extends string> {
  /** Machine name used in errors: `payment`, `order`, `cutover`. */
  readonly name: string;
  /** Every state, in display order, with the states reachable from it in one step. */
  readonly transitions: { readonly [S in State]: readonly State[] };
}

/** A validated, immutable state machine built by `defineStateMachine`. */
export interface StateMachine<State extends string> {
  /** Machine name used in errors: `payment`, `order`, `cutover`. */
  readonly name: string;
  /** Every state, in the order of the definition. */
  readonly states: readonly State[];
  /** True when `value` is one of this machine's states (a type guard for strings from storage or the wire). */
  isState(value: string): value is State;
  /**
   * The states reachable from `state` in one step; empty for a terminal state.
   *
   * @throws PaymigrateError `STATE_UNKNOWN` when `state` is not a state of this machine.
   */
  allowedFrom(state: State): readonly State[];
  /** True when the rules allow `from -> to`; false (never a throw) when either is not a state. */
  canTransition(from: State, to: State): boolean;
  /**
   * Throws unless the rules allow `from -> to`.
   *
   * @param entityId the payment or order id, named in the error message.
   * @throws IllegalTransitionError when the transition is not allowed.
   * @throws PaymigrateError `STATE_UNKNOWN` when `from` or `to` is not a state of this machine.
   */
  assertTransition(from: State, to: State, entityId?: string): void;
  /**
   * True when no transition leaves `state`.
   *
   * @throws PaymigrateError `STATE_UNKNOWN` when `state` is not a state of this machine.
   */
  isTerminal(state: State): boolean;
  /**
   * Narrows a string (read from storage, a webhook, a platform) to a state of this machine.
   *
   * @param entityId the payment or order id, named in the error message.
   * @throws PaymigrateError `STATE_UNKNOWN` naming the machine, the value and the valid states.
   */
  assertState(value: string, entityId?: string): State;
}

/**
 * Builds a state machine from its rules, checking them once: every target must be a declared
 * state and no target may be listed twice from the same state.
 *
 * @throws PaymigrateError `STATE_MACHINE_INVALID` when the definition breaks those rules.
 * @example
 * const door = defineStateMachine({ name: 'door', transitions: { open: ['closed'], closed: ['open', 'locked'], locked: [] } });
 * door.assertTransition('locked', 'open', 'front'); // throws IllegalTransitionError
 */
export function defineStateMachine<State extends string>(definition: StateMachineDefinition<State>): StateMachine<State> {
  const { name } = definition;
  const rules = new Map<string, readonly State[]>();
  for (const [state, targets] of Object.entries<readonly State[]>(definition.transitions)) {
    rules.set(state, Object.freeze([...targets]));
  }
  for (const [state, targets] of rules) {
    const unknown = targets.filter((target) => !rules.has(target));
    if (unknown.length > 0) {
      throw new PaymigrateError(
        'STATE_MACHINE_INVALID',
        `State machine '${name}': '${state}' lists undeclared target(s) ${unknown.map((target) => `'${target}'`).join(', ')}. Declare every target as a state.`,
      );
    }
    const repeated = targets.filter((target, index) => targets.indexOf(target) !== index);
    if (repeated.length > 0) {
      throw new PaymigrateError(
        'STATE_MACHINE_INVALID',
        `State machine '${name}': '${state}' lists ${repeated.map((target) => `'${target}'`).join(', ')} more than once.`,
      );
    }
  }
  const states = Object.freeze([...rules.keys()] as State[]);

  const unknownState = (value: unknown, entityId: string | undefined): PaymigrateError => {
    const subject = entityId === undefined ? '' : ` of ${name} '${entityId}'`;
    const shown = typeof value === 'string' ? `'${value}'` : String(value);
    return new PaymigrateError('STATE_UNKNOWN', `Unknown ${name} state ${shown}${subject}. Valid states: ${states.join(', ')}.`);
  };

  const targetsOf = (state: string, entityId?: string): readonly State[] => {
    const targets = rules.get(state);
    if (targets === undefined) {
      throw unknownState(state, entityId);
    }
    return targets;
  };

  const isState = (value: string): value is State => rules.has(value);

  return Object.freeze({
    name,
    states,
    isState,
    assertState: (value: string, entityId?: string): State => {
      targetsOf(value, entityId);
      return value as State;
    },
    allowedFrom: (state: State): readonly State[] => targetsOf(state),
    canTransition: (from: State, to: State): boolean => isState(from) && isState(to) && targetsOf(from).includes(to),
    assertTransition: (from: State, to: State, entityId?: string): void => {
      const allowed = targetsOf(from, entityId);
      targetsOf(to, entityId);
      if (!allowed.includes(to)) {
        throw new IllegalTransitionError({ machine: name, entityId, from, to, allowed });
      }
    },
    isTerminal: (state: State): boolean => targetsOf(state).length === 0,
  });
}
