import { describe, expect, it } from 'vitest';
import { itMatchesTransitionTable, parseTransitionTable, thrownBy } from '../state-machine/__fixtures__/transition-table.js';
import { type IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { isOpenOrderState, orderStateMachine, orderStates, type OrderState } from './order-state.js';

/**
 * The expected rules, written independently of the implementation as one row per `from` state:
 * each column is a `to` state in `orderStates` order, `X` allowed, `.` refused.
 *
 *                       ca ch pp az pa pd pf fu oh rr pr rf ex fa cn
 */
const expectedTable = `
cart                   .  X  .  .  .  .  .  .  .  .  .  .  .  .  X
checkout               X  .  X  .  .  .  .  .  .  .  .  .  .  .  X
payment_pending        .  .  .  X  X  X  .  .  X  .  .  .  .  X  X
authorized             .  .  .  .  X  X  .  .  X  .  .  .  X  X  X
partially_paid         .  .  .  .  X  X  X  .  X  .  X  X  .  .  .
paid                   .  .  .  .  .  .  X  X  X  X  X  X  .  .  X
partially_fulfilled    .  .  .  .  .  .  X  X  X  X  X  X  .  .  .
fulfilled              .  .  .  .  .  .  .  .  .  X  X  X  .  .  .
on_hold                .  .  X  X  .  X  X  .  .  .  .  .  .  .  X
return_requested       .  .  .  .  .  .  .  X  .  .  X  X  .  .  .
partially_refunded     .  .  .  .  .  .  X  X  .  X  X  X  .  .  .
refunded               .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
expired                .  .  X  .  .  .  .  .  .  .  .  .  .  .  X
failed                 .  .  X  .  .  .  .  .  .  .  .  .  .  .  X
cancelled              .  .  .  .  .  .  .  .  .  .  .  .  .  .  .
`;

const expected = parseTransitionTable(expectedTable, orderStates);

const pairs = orderStates.flatMap((from) => orderStates.map((to) => [from, to] as const));

describe('orderStateMachine', () => {
  it('is named order and lists the states in canonical order', () => {
    expect(orderStateMachine.name).toBe('order');
    expect(orderStateMachine.states).toEqual([...orderStates]);
    expect([...expected.keys()]).toEqual([...orderStates]);
  });

  it('covers all 225 pairs', () => {
    expect(pairs).toHaveLength(225);
  });

  itMatchesTransitionTable(orderStateMachine, expected, 'order_123');

  it('has exactly two terminal states: refunded and cancelled', () => {
    expect(orderStates.filter((state) => orderStateMachine.isTerminal(state))).toEqual(['refunded', 'cancelled']);
  });

  it('only lets a pre-payment order go back to the cart', () => {
    expect(orderStates.filter((from) => orderStateMachine.canTransition(from, 'cart'))).toEqual(['checkout']);
  });

  it('names the order id, both states and the allowed states in the message', () => {
    const error = thrownBy(() => orderStateMachine.assertTransition('fulfilled', 'cart', '#1001')) as IllegalTransitionError;
    expect(error.message).toContain("order '#1001'");
    expect(error.message).toContain("from 'fulfilled'");
    expect(error.message).toContain("to 'cart'");
    expect(error.message).toBe(
      "Illegal transition of order '#1001' from 'fulfilled' to 'cart' (allowed from 'fulfilled': return_requested, partially_refunded, refunded).",
    );
  });

  it('says a terminal state is final in the message', () => {
    const error = thrownBy(() => orderStateMachine.assertTransition('cancelled', 'paid', '#1002')) as IllegalTransitionError;
    expect(error.message).toBe("Illegal transition of order '#1002' from 'cancelled' to 'paid' ('cancelled' is final).");
  });

  it('narrows platform strings and refuses unknown ones', () => {
    expect(orderStateMachine.assertState('on_hold')).toBe('on_hold');
    const error = thrownBy(() => orderStateMachine.assertState('holded', '#1003')) as Error;
    expect(error.message).toContain("Unknown order state 'holded' of order '#1003'");
    expect(error.message).toContain(orderStates.join(', '));
  });
});

describe('isOpenOrderState', () => {
  const open: readonly OrderState[] = ['checkout', 'payment_pending', 'authorized', 'partially_paid', 'on_hold', 'expired', 'failed'];

  it.each(orderStates.map((state) => [state, open.includes(state)] as const))('%s -> %s', (state, isOpen) => {
    expect(isOpenOrderState(state)).toBe(isOpen);
  });

  it('never calls a terminal state open', () => {
    for (const state of orderStates) {
      if (orderStateMachine.isTerminal(state)) {
        expect(isOpenOrderState(state)).toBe(false);
      }
    }
  });

  it('every open state can still reach a payment outcome or a cancellation', () => {
    for (const state of open) {
      const next = orderStateMachine.allowedFrom(state);
      expect(
        next.some((target) => ['payment_pending', 'authorized', 'partially_paid', 'paid', 'cancelled'].includes(target)),
        state,
      ).toBe(true);
    }
  });

  it('refuses strings that are not order states', () => {
    expect(isOpenOrderState('pending' as OrderState)).toBe(false);
  });
});
