import { describe, expect, it } from 'vitest';
import { itMatchesTransitionTable, parseTransitionTable, thrownBy } from '../state-machine/__fixtures__/transition-table.js';
import { type IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { CurrencyMismatchError, InvalidMoneyError } from '../errors/money-errors.js';
import { Money } from '../money/money.js';
import { paymentStateFromAmounts, paymentStateMachine, paymentStates, type PaymentState } from './payment-state.js';

/**
 * The expected rules, written independently of the implementation as one row per `from` state:
 * each letter column is a `to` state in `paymentStates` order, `X` allowed, `.` refused.
 *
 *                      cr au ra az pc cp pr rf vo fa un
 */
const expectedTable = `
created               .  X  .  .  .  .  .  .  .  X  .
authorizing           .  .  X  X  .  X  .  .  .  X  X
requires_action       .  X  .  X  .  X  .  .  .  X  X
authorized            .  .  .  .  X  X  .  .  X  X  .
partially_captured    .  .  .  .  X  X  X  X  X  .  .
captured              .  .  .  .  .  .  X  X  .  .  .
partially_refunded    .  .  .  .  .  .  X  X  .  .  .
refunded              .  .  .  .  .  .  .  .  .  .  .
voided                .  .  .  .  .  .  .  .  .  .  .
failed                .  .  .  .  .  .  .  .  .  .  .
unknown               .  .  X  X  X  X  X  X  X  X  .
`;

const expected = parseTransitionTable(expectedTable, paymentStates);

const pairs = paymentStates.flatMap((from) => paymentStates.map((to) => [from, to] as const));

describe('paymentStateMachine', () => {
  it('is named payment and lists the states in canonical order', () => {
    expect(paymentStateMachine.name).toBe('payment');
    expect(paymentStateMachine.states).toEqual([...paymentStates]);
    expect([...expected.keys()]).toEqual([...paymentStates]);
  });

  it('covers all 121 pairs', () => {
    expect(pairs).toHaveLength(121);
  });

  itMatchesTransitionTable(paymentStateMachine, expected, 'pay_123');

  it.each(['refunded', 'voided', 'failed'] as const)('%s is terminal', (state) => {
    expect(paymentStateMachine.isTerminal(state)).toBe(true);
    expect(paymentStateMachine.allowedFrom(state)).toEqual([]);
  });

  it('has no other terminal state', () => {
    expect(paymentStates.filter((state) => paymentStateMachine.isTerminal(state))).toEqual(['refunded', 'voided', 'failed']);
  });

  it('never leads back to created; only in-flight authorizations lead into unknown', () => {
    expect(pairs.filter(([, to]) => to === 'created').some(([from, to]) => paymentStateMachine.canTransition(from, to))).toBe(false);
    const intoUnknown = paymentStates.filter((from) => paymentStateMachine.canTransition(from, 'unknown'));
    expect(intoUnknown).toEqual(['authorizing', 'requires_action']);
  });

  it('names the payment id, both states and the allowed states in the message', () => {
    const error = thrownBy(() => paymentStateMachine.assertTransition('captured', 'authorized', 'pay_42')) as IllegalTransitionError;
    expect(error.message).toContain("payment 'pay_42'");
    expect(error.message).toContain("from 'captured'");
    expect(error.message).toContain("to 'authorized'");
    expect(error.message).toContain('partially_refunded, refunded');
    expect(error.message).toBe("Illegal transition of payment 'pay_42' from 'captured' to 'authorized' (allowed from 'captured': partially_refunded, refunded).");
  });

  it('says a terminal state is final in the message', () => {
    const error = thrownBy(() => paymentStateMachine.assertTransition('refunded', 'captured', 'pay_7')) as IllegalTransitionError;
    expect(error.message).toBe("Illegal transition of payment 'pay_7' from 'refunded' to 'captured' ('refunded' is final).");
  });

  it('narrows provider strings and refuses unknown ones', () => {
    expect(paymentStateMachine.assertState('captured')).toBe('captured');
    const error = thrownBy(() => paymentStateMachine.assertState('succeeded', 'pay_1')) as Error;
    expect(error.message).toContain("Unknown payment state 'succeeded' of payment 'pay_1'");
    expect(error.message).toContain(paymentStates.join(', '));
  });
});

describe('paymentStateFromAmounts', () => {
  const usd = (minorUnits: number): Money => Money.of(minorUnits, 'USD');
  const derive = (authorized: number, captured: number, refunded: number, voided = false): PaymentState =>
    paymentStateFromAmounts({ authorized: usd(authorized), captured: usd(captured), refunded: usd(refunded), voided });

  it.each([
    [1000, 0, 0, false, 'authorized'],
    [1000, 0, 0, true, 'voided'],
    [1000, 400, 0, false, 'partially_captured'],
    [1000, 400, 0, true, 'captured'], // remainder released
    [1000, 1000, 0, false, 'captured'],
    [1000, 1000, 0, true, 'captured'],
    [1000, 1000, 1, false, 'partially_refunded'],
    [1000, 1000, 999, false, 'partially_refunded'],
    [1000, 1000, 1000, false, 'refunded'],
    [1000, 400, 100, false, 'partially_refunded'],
    [1000, 400, 100, true, 'partially_refunded'],
    [1000, 400, 400, false, 'refunded'],
    [1000, 400, 400, true, 'refunded'],
    [0, 0, 0, false, 'authorized'], // zero-amount authorization (card verification) is never captured
    [0, 0, 0, true, 'voided'],
  ] as const)('authorized %i, captured %i, refunded %i, voided %s -> %s', (authorized, captured, refunded, voided, state) => {
    expect(derive(authorized, captured, refunded, voided)).toBe(state);
  });

  it('every derived state can be reached from authorized or is authorized itself', () => {
    for (const state of ['partially_captured', 'captured', 'voided'] as const) {
      expect(paymentStateMachine.canTransition('authorized', state)).toBe(true);
    }
    for (const state of ['partially_refunded', 'refunded'] as const) {
      expect(paymentStateMachine.canTransition('captured', state)).toBe(true);
    }
  });

  it('works with zero-decimal currencies and amounts beyond 2^53', () => {
    const big = 2n ** 60n;
    expect(
      paymentStateFromAmounts({
        authorized: Money.of(big, 'JPY'),
        captured: Money.of(big - 1n, 'JPY'),
        refunded: Money.zero('JPY'),
        voided: false,
      }),
    ).toBe('partially_captured');
  });

  it('refuses captured above authorized', () => {
    const error = thrownBy(() => derive(1000, 1001, 0));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Payment amounts: captured 10.01 USD exceeds authorized 10.00 USD; a capture can never exceed its authorization.',
    );
  });

  it('refuses refunded above captured', () => {
    const error = thrownBy(() => derive(1000, 500, 501));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('Payment amounts: refunded 5.01 USD exceeds captured 5.00 USD; only captured money can be refunded.');
    expect(() => derive(1000, 0, 1, true)).toThrow(InvalidMoneyError);
  });

  it.each([
    [-1, 0, 0, 'authorized is -0.01 USD'],
    [1000, -1, 0, 'captured is -0.01 USD'],
    [1000, 10, -1, 'refunded is -0.01 USD'],
  ])('refuses negative amounts (%i, %i, %i)', (authorized, captured, refunded, expectedMessage) => {
    const error = thrownBy(() => derive(authorized, captured, refunded));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(expectedMessage);
  });

  it('refuses amounts in different currencies', () => {
    const eur = Money.of(100, 'EUR');
    for (const input of [
      { authorized: usd(1000), captured: eur, refunded: Money.zero('EUR'), voided: false },
      { authorized: usd(1000), captured: usd(100), refunded: eur, voided: false },
      { authorized: eur, captured: usd(100), refunded: usd(0), voided: true },
    ]) {
      const error = thrownBy(() => paymentStateFromAmounts(input));
      expect(CurrencyMismatchError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/USD and EUR|EUR and USD/);
    }
  });
});
