import { Money } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { defaultPayPalAuthorizationMemoryCapacity, PayPalAuthorizationMemory } from './paypal-authorization-memory.js';
import type { PayPalOrderLike } from './paypal-order-snapshot.js';

function authorizedOrder(orderId: string | undefined, authorizationId: string | undefined, value = '10.00'): PayPalOrderLike {
  return {
    id: orderId,
    status: 'COMPLETED',
    intent: 'AUTHORIZE',
    purchaseUnits: [{ amount: { currencyCode: 'EUR', value }, payments: { authorizations: [{ id: authorizationId, status: 'CREATED', amount: { currencyCode: 'EUR', value } }] } }],
  };
}

describe('PayPalAuthorizationMemory', () => {
  it('remembers the first authorization of an order: its id and its amount', () => {
    const memory = new PayPalAuthorizationMemory();
    memory.rememberOrder(authorizedOrder('ORDER-1', 'AUTH-1', '12.34'));
    const remembered = memory.recall('ORDER-1');
    expect(remembered?.authorizationId).toBe('AUTH-1');
    expect(remembered?.amount.equals(Money.of(1_234, 'EUR'))).toBe(true);
    expect(memory.recall('ORDER-2')).toBeUndefined();
  });

  it('leaves out orders it cannot use: no id, no authorization (automatic capture, waiting for the payer), an unreadable amount', () => {
    const memory = new PayPalAuthorizationMemory();
    memory.rememberOrder(authorizedOrder(undefined, 'AUTH-1'));
    memory.rememberOrder(authorizedOrder('', 'AUTH-1'));
    memory.rememberOrder(authorizedOrder('ORDER-2', undefined));
    memory.rememberOrder(authorizedOrder('ORDER-3', ''));
    memory.rememberOrder({ id: 'ORDER-4', status: 'COMPLETED', purchaseUnits: [{ payments: { captures: [{ id: 'CAPTURE-4', status: 'COMPLETED' }] } }] });
    memory.rememberOrder({ id: 'ORDER-5', status: 'PAYER_ACTION_REQUIRED', purchaseUnits: [{}] });
    memory.rememberOrder({ id: 'ORDER-6', purchaseUnits: [{ payments: { authorizations: [{ id: 'AUTH-6' }] } }] });
    memory.rememberOrder(authorizedOrder('ORDER-7', 'AUTH-7', 'not a number'));
    expect(memory.size).toBe(0);
  });

  it('keeps at most `capacity` orders, forgetting the one remembered longest ago', () => {
    const memory = new PayPalAuthorizationMemory(2);
    memory.rememberOrder(authorizedOrder('ORDER-1', 'AUTH-1'));
    memory.rememberOrder(authorizedOrder('ORDER-2', 'AUTH-2'));
    // Seen again: ORDER-1 is the newest now, so ORDER-2 goes first.
    memory.rememberOrder(authorizedOrder('ORDER-1', 'AUTH-1'));
    memory.rememberOrder(authorizedOrder('ORDER-3', 'AUTH-3'));
    expect(memory.size).toBe(2);
    expect(memory.recall('ORDER-2')).toBeUndefined();
    expect(memory.recall('ORDER-1')?.authorizationId).toBe('AUTH-1');
    expect(memory.recall('ORDER-3')?.authorizationId).toBe('AUTH-3');
  });

  it('remembers at least one order, and 10,000 by default', () => {
    const tiny = new PayPalAuthorizationMemory(0);
    tiny.rememberOrder(authorizedOrder('ORDER-1', 'AUTH-1'));
    tiny.rememberOrder(authorizedOrder('ORDER-2', 'AUTH-2'));
    expect(tiny.size).toBe(1);
    expect(tiny.recall('ORDER-2')?.authorizationId).toBe('AUTH-2');
    expect(defaultPayPalAuthorizationMemoryCapacity).toBe(10_000);
    const memory = new PayPalAuthorizationMemory();
    for (let index = 0; index <= defaultPayPalAuthorizationMemoryCapacity; index += 1) memory.rememberOrder(authorizedOrder(`ORDER-${index}`, `AUTH-${index}`));
    expect(memory.size).toBe(defaultPayPalAuthorizationMemoryCapacity);
    expect(memory.recall('ORDER-0')).toBeUndefined();
    expect(memory.recall(`ORDER-${defaultPayPalAuthorizationMemoryCapacity}`)?.authorizationId).toBe(`AUTH-${defaultPayPalAuthorizationMemoryCapacity}`);
  });
});
