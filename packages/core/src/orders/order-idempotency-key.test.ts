import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';
import { createOrderHarness, usd } from './__fixtures__/order-sync-harness.js';
import { orderIdempotencyKey } from './order-idempotency-key.js';
import { decodePlatformOrderMessage } from './order-platform-message.js';

/** Inputs shaped like the synchronizer's: Shopify order gids, payment ids, operations with provider references. */
function inputsOf(count: number): [string, string, string][] {
  return Array.from({ length: count }, (_, index) => [`gid://shopify/Order/${5_000_000_000 + index}`, `pay_${index}`, `capture:ch_${index * 7}`]);
}

/** The encoding the synchronizer used before: 40 hex digits of the same digest. */
function hexKey(orderId: string, paymentId: string, operation: string): string {
  return `ord_${createHash('sha256').update(`${orderId}\u0000${paymentId}\u0000${operation}`, 'utf8').digest('hex').slice(0, 40)}`;
}

describe('orderIdempotencyKey', () => {
  it('is ord_ and 40 letters a-p, the same for the same call and different for another', () => {
    const key = orderIdempotencyKey('gid://shopify/Order/1', 'pay_1', 'capture:ch_1');
    expect(key).toMatch(/^ord_[a-p]{40}$/);
    expect(orderIdempotencyKey('gid://shopify/Order/1', 'pay_1', 'capture:ch_1')).toBe(key);
    expect(orderIdempotencyKey('gid://shopify/Order/1', 'pay_1', 'capture:ch_2')).not.toBe(key);
    expect(orderIdempotencyKey('gid://shopify/Order/1', 'pay_2', 'capture:ch_1')).not.toBe(key);
    // The separator keeps the parts apart: moving a character between parts gives another key.
    expect(orderIdempotencyKey('ab', 'c', 'd')).not.toBe(orderIdempotencyKey('a', 'bc', 'd'));
  });

  it('encodes the same digest as the hex keys did, letter for hex digit', () => {
    const [orderId, paymentId, operation] = ['order-1', 'pay-1', 'refund:re_1'];
    const letters = orderIdempotencyKey(orderId, paymentId, operation).slice(4);
    const hex = hexKey(orderId, paymentId, operation).slice(4);
    expect([...letters].map((letter) => (letter.charCodeAt(0) - 97).toString(16)).join('')).toBe(hex);
  });

  it('never holds a run of 13 or more digits, where the hex keys tripped the PCI scanner', () => {
    const inputs = inputsOf(20_000);
    const keys = inputs.map(([orderId, paymentId, operation]) => orderIdempotencyKey(orderId, paymentId, operation));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((key) => /[0-9]{13,}/.test(key))).toEqual([]);
    expect(keys.filter((key) => /[0-9]/.test(key))).toEqual([]);
    expect(keys.flatMap((key) => findSensitiveDataInText(key))).toEqual([]);
    // The old encoding of the same digests holds such runs: the PAN detector's input.
    const hexKeys = inputs.map(([orderId, paymentId, operation]) => hexKey(orderId, paymentId, operation));
    expect(hexKeys.filter((key) => /[0-9]{13,}/.test(key)).length).toBeGreaterThan(0);
  });

  it('is what the synchronizer puts on its platform calls, stable when the event comes again', async () => {
    const harness = await createOrderHarness();
    harness.platform.addOrder({ orderId: 'order-1', total: usd(5_000) });
    const snapshot = await harness.old.authorize({ idempotencyKey: 'auth-1', merchantReference: 'order-1', amount: usd(5_000), paymentMethodToken: 'tok_visa' });
    await harness.orders.registerOrder({ orderId: 'order-1', total: usd(5_000), payments: [{ paymentId: 'pay-1', provider: 'stripe', providerReference: snapshot.providerReference, amount: usd(5_000) }] });
    const capture = await harness.old.capture({ idempotencyKey: 'cap-1', providerReference: snapshot.providerReference, amount: usd(5_000) });
    const event = await harness.webhook(harness.old, { type: 'payment.captured', providerReference: snapshot.providerReference, eventId: 'evt_cap', amount: usd(5_000), operationReference: capture.operationReference });
    expect((await harness.orders.handleProviderEvent(event)).status).toBe('applied');
    expect((await harness.orders.handleProviderEvent(event)).status).toBe('duplicate');
    const messages = await harness.memory.claimOutbox({ owner: 'peek', leaseMs: 1_000, limit: 100, topics: ['platform.order'] });
    const actions = messages.flatMap((message) => decodePlatformOrderMessage(message).actions);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ type: 'record_payment', kind: 'capture', idempotencyKey: expect.stringMatching(/^ord_[a-p]{40}$/) });
  });
});
