import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { OrderEventAdmission, type OrderEventTicket } from './order-event-admission.js';

describe('OrderEventAdmission', () => {
  it('admits events arriving one by one at once', async () => {
    const admission = new OrderEventAdmission(2);
    const first = await admission.admit();
    first.release();
    const second = await admission.admit();
    expect(admission.admitted).toBe(1);
    second.release();
    expect(admission.admitted).toBe(0);
  });

  it('admits a burst in chunks: the places of a chunk are handed out again only in a later turn of the event loop', async () => {
    const admission = new OrderEventAdmission(2);
    const admitted: number[] = [];
    const tickets = new Map<number, OrderEventTicket>();
    const arrivals = Array.from({ length: 5 }, async (_, index) => {
      const ticket = await admission.admit();
      admitted.push(index);
      tickets.set(index, ticket);
    });
    // The first chunk goes through in this turn; the rest waits.
    await Promise.resolve();
    await Promise.resolve();
    expect(admitted).toStrictEqual([0, 1]);
    expect(admission.waiting).toBe(3);
    tickets.get(0)?.release();
    tickets.get(1)?.release();
    // Released, yet nothing more is admitted before the next turn (the chunk's commit goes first).
    await Promise.resolve();
    await Promise.resolve();
    expect(admitted).toStrictEqual([0, 1]);
    await nextTurn();
    expect(admitted).toStrictEqual([0, 1, 2, 3]);
    expect(admission.admitted).toBe(2);
    tickets.get(2)?.release();
    await nextTurn();
    expect(admitted).toStrictEqual([0, 1, 2, 3, 4]);
    tickets.get(3)?.release();
    tickets.get(4)?.release();
    await Promise.all(arrivals);
    expect(admission.admitted).toBe(0);
    expect(admission.waiting).toBe(0);
  });

  it('counts a ticket released twice once', async () => {
    const admission = new OrderEventAdmission(1);
    const ticket = await admission.admit();
    const waiting = admission.admit();
    ticket.release();
    ticket.release();
    const next = await waiting;
    expect(admission.admitted).toBe(1);
    next.release();
    expect(admission.admitted).toBe(0);
  });
});
