import { describe, expect, it } from 'vitest';
import { type OrderState, orderStates } from '../order/order-state.js';
import { magentoDefaultStatuses, magentoOrderStateMapping, magentoOrderStates, mapMagentoOrderStatus, toMagentoOrderStatus } from './magento-order-status.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';

/**
 * Expected canonical state per Magento state (rows) and default status (columns), written by hand
 * from Magento's defaults (`sales_order_status_state`); `!` = a default status Magento never
 * assigns to that state; the last column is a shop's own status label.
 *
 *                  pending pending_payment processing fraud payment_review holded complete closed canceled my_label
 */
const expectedTable = `
new               pp      !               !          !     !              !      !        !      !        pp
pending_payment   !       pp              !          !     !              !      !        !      !        pp
processing        !       !               pd         oh    !              !      !        !      !        pd
complete          !       !               !          !     !              !      fu       !      !        fu
closed            !       !               !          !     !              !      !        rf     !        rf
canceled          !       !               !          !     !              !      !        !      cn       cn
holded            !       !               !          !     !              oh     !        !      !        oh
payment_review    !       !               !          oh    oh             !      !        !      !        oh
`;

const abbreviations: Readonly<Record<string, OrderState>> = { pp: 'payment_pending', pd: 'paid', oh: 'on_hold', fu: 'fulfilled', rf: 'refunded', cn: 'cancelled' };
const statuses = ['pending', 'pending_payment', 'processing', 'fraud', 'payment_review', 'holded', 'complete', 'closed', 'canceled', 'my_label'];

const cells = expectedTable
  .trim()
  .split('\n')
  .flatMap((line) => {
    const [state = '', ...values] = line.trim().split(/\s+/);
    return values.map((value, index) => ({ state, status: statuses[index] as string, expected: value }));
  });

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('mapMagentoOrderStatus', () => {
  it('the table covers every state and every default status', () => {
    expect([...new Set(cells.map((cell) => cell.state))]).toEqual([...magentoOrderStates]);
    expect(statuses.slice(0, -1).sort()).toEqual(Object.keys(magentoDefaultStatuses).sort());
    expect(cells).toHaveLength(80);
  });

  it.each(cells)('$state / $status -> $expected', ({ state, status, expected }) => {
    if (expected === '!') {
      const error = thrownBy(() => mapMagentoOrderStatus({ state, status }, { orderId: '000000042' })) as ImpossiblePlatformStateError;
      expect(ImpossiblePlatformStateError.isInstance(error)).toBe(true);
      expect(error.states).toEqual({ state, status });
      expect(error.message).toContain("Order '000000042' on magento");
      expect(error.message).toContain(`state '${state}' with status '${status}'`);
    } else {
      expect(mapMagentoOrderStatus({ state, status })).toBe(abbreviations[expected]);
    }
  });

  it.each([
    [{ state: 'shipped', status: 'complete' }, 'not a Magento order state'],
    [{ state: null, status: 'pending' }, 'not a Magento order state'],
    [{ state: 'processing', status: '' }, 'has a status'],
    [{ state: 'processing', status: undefined }, 'has a status'],
    [{ state: 'toString', status: 'toString' }, 'not a Magento order state'],
    [{ state: 'processing', status: 'toString' }, undefined],
  ])('refuses %o', (input, reason) => {
    if (reason === undefined) {
      // A custom label that happens to be an Object.prototype name is still just a label.
      expect(mapMagentoOrderStatus(input)).toBe('paid');
      return;
    }
    const error = thrownBy(() => mapMagentoOrderStatus(input)) as ImpossiblePlatformStateError;
    expect(error.reason).toContain(reason);
  });
});

describe('magentoOrderStateMapping: round trips', () => {
  it('splits the canonical states into expressible and inexpressible ones, together all of them', () => {
    expect(magentoOrderStateMapping.expressible).toEqual(['payment_pending', 'paid', 'fulfilled', 'on_hold', 'refunded', 'cancelled']);
    expect([...magentoOrderStateMapping.expressible, ...Object.keys(magentoOrderStateMapping.inexpressible)].sort()).toEqual([...orderStates].sort());
  });

  it.each(magentoOrderStateMapping.expressible)('%s -> Magento -> canonical is the identity', (state) => {
    expect(mapMagentoOrderStatus(toMagentoOrderStatus(state))).toBe(state);
  });

  it.each(Object.entries(magentoOrderStateMapping.inexpressible))('%s is shown as its nearest state', (state, { nearest }) => {
    expect(magentoOrderStateMapping.expressible).toContain(nearest);
    expect(mapMagentoOrderStatus(toMagentoOrderStatus(state as OrderState))).toBe(nearest);
  });

  it('shows an on-hold order as holded and an authorize-only one as processing', () => {
    expect(toMagentoOrderStatus('on_hold')).toEqual({ state: 'holded', status: 'holded' });
    expect(toMagentoOrderStatus('authorized')).toEqual({ state: 'processing', status: 'processing' });
  });
});
