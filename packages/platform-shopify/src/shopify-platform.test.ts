import {
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  ResourceNotFoundError,
  UnknownOutcomeError,
  UnsupportedOperationError,
} from '@paymigrate/core';
import { shopifyFakeRoutes } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { euros, newKey, paymentUpdate, RecordingClock, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';
import { refundNoteMarker, shopifyPlatformCapabilities } from './shopify-platform.js';

const { fake, platform } = useShopifyFake();

function transactionsOf(orderId: string) {
  return fake.order(orderId)?.transactions ?? [];
}

describe('getOrder', () => {
  it('maps statuses, total, customer, transactions and their references', async () => {
    const orderId = fake.addOrder({
      total: euros(5000),
      customerId: 'gid://shopify/Customer/42',
      transactions: [
        { kind: 'AUTHORIZATION', amount: euros(5000), authorizationCode: 'pi_123', gateway: 'stripe' },
        { kind: 'CAPTURE', amount: euros(2000), parentIndex: 0, gateway: 'stripe' },
        { kind: 'CHANGE', amount: euros(100), gateway: 'cash' },
        { kind: 'SALE', amount: euros(10), status: 'FAILURE', gateway: 'stripe', errorCode: 'CARD_DECLINED' },
      ],
    });
    const order = await platform().getOrder({ orderId });
    expect(order).toMatchObject({
      orderId,
      name: expect.stringMatching(/^#\d+$/),
      platformFinancialStatus: 'PARTIALLY_PAID',
      platformFulfillmentStatus: 'UNFULFILLED',
      canonicalState: 'partially_paid',
      customerId: 'gid://shopify/Customer/42',
      cancelledAt: undefined,
    });
    expect(order?.total.toJSON()).toEqual(euros(5000).toJSON());
    expect(order?.transactions.map((transaction) => [transaction.kind, transaction.status, transaction.amount.toString(), transaction.gateway, transaction.providerReference])).toEqual([
      ['authorization', 'success', '50.00 EUR', 'stripe', 'pi_123'],
      ['capture', 'success', '20.00 EUR', 'stripe', undefined],
      ['sale', 'failure', '0.10 EUR', 'stripe', undefined],
    ]);
    expect(order?.updatedAt).toBe(Math.floor((fake.order(orderId)?.updatedAt ?? 0) / 1000) * 1000);
  });

  it('accepts the numeric REST id and answers undefined for ids that cannot be Shopify orders, without a call', async () => {
    const orderId = fake.addOrder({ total: euros(100) });
    const numeric = orderId.split('/').pop() as string;
    expect((await platform().getOrder({ orderId: numeric }))?.orderId).toBe(orderId);
    const before = fake.api.calls.length;
    expect(await platform().getOrder({ orderId: 'gid://shopify/Customer/1' })).toBeUndefined();
    expect(await platform().getOrder({ orderId: 'not an id' })).toBeUndefined();
    expect(fake.api.calls.length).toBe(before);
    expect(await platform().getOrder({ orderId: 'gid://shopify/Order/1' })).toBeUndefined();
  });

  it('reads the cancellation time', async () => {
    const orderId = fake.addOrder({ total: euros(100), cancelled: true });
    const order = await platform().getOrder({ orderId });
    expect(order?.canonicalState).toBe('cancelled');
    expect(order?.cancelledAt).toBe(Math.floor((fake.order(orderId)?.cancelledAt ?? 0) / 1000) * 1000);
  });
});

describe('listOpenOrders', () => {
  it('asks for the financial statuses core maps to open states, not cancelled, oldest change first, and keeps archived orders that still hold money', async () => {
    fake.reset();
    const clock = new RecordingClock(Date.UTC(2026, 2, 1));
    const at = (seconds: number) => Date.UTC(2026, 2, 1) + seconds * 1000;
    const archived = fake.addOrder({ total: euros(100), financialStatus: 'AUTHORIZED', closed: true, updatedAt: at(1) });
    // VOIDED is a cancelled order (core's Shopify table): not open.
    fake.addOrder({ total: euros(100), financialStatus: 'VOIDED', updatedAt: at(2) });
    const held = fake.addOrder({ total: euros(100), financialStatus: 'PENDING', fulfillmentStatus: 'ON_HOLD', updatedAt: at(3) });
    const expired = fake.addOrder({ total: euros(100), financialStatus: 'EXPIRED', updatedAt: at(4) });
    fake.addOrder({ total: euros(100), financialStatus: 'PAID', fulfillmentStatus: 'ON_HOLD', updatedAt: at(5) });
    fake.addOrder({ total: euros(100), financialStatus: 'AUTHORIZED', cancelled: true, updatedAt: at(6) });
    const page = await platform({ clock }).listOpenOrders({ limit: 10 });
    expect(page.items.map((order) => [order.orderId, order.canonicalState])).toEqual([
      [archived, 'authorized'],
      [held, 'on_hold'],
      [expired, 'expired'],
    ]);
    expect(page.nextCursor).toBeUndefined();
    const variables = fake.api.calls.at(-1)?.requestBodyJson as { variables: Record<string, unknown> };
    expect(variables.variables).toEqual({
      first: 10,
      after: null,
      query: '(financial_status:pending OR financial_status:authorized OR financial_status:partially_paid OR financial_status:expired) AND -status:cancelled',
    });
  });

  it('asks for at most maximumPageSize orders and pages with Shopify cursors', async () => {
    fake.reset();
    for (let index = 0; index < 5; index += 1) fake.addOrder({ total: euros(100), updatedAt: Date.UTC(2026, 2, 1, 0, 0, index) });
    const adapter = platform({ maximumPageSize: 2 });
    const first = await adapter.listOpenOrders({ limit: 100 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await adapter.listOpenOrders({ limit: 100, cursor: first.nextCursor });
    const third = await adapter.listOpenOrders({ limit: 100, cursor: second.nextCursor });
    expect(third.items).toHaveLength(1);
    expect(third.nextCursor).toBeUndefined();
    expect(new Set([...first.items, ...second.items, ...third.items].map((order) => order.orderId)).size).toBe(5);
  });

  it('rounds updatedSince up to Shopify\'s whole seconds', async () => {
    fake.reset();
    const orderId = fake.addOrder({ total: euros(100), updatedAt: Date.UTC(2026, 2, 1, 0, 0, 10, 400) });
    const adapter = platform();
    expect((await adapter.listOpenOrders({ limit: 5, updatedSince: Date.UTC(2026, 2, 1, 0, 0, 10) })).items.map((order) => order.orderId)).toEqual([orderId]);
    expect((await adapter.listOpenOrders({ limit: 5, updatedSince: Date.UTC(2026, 2, 1, 0, 0, 10, 1) })).items).toEqual([]);
    const variables = fake.api.calls.at(-1)?.requestBodyJson as { variables: { query: string } };
    expect(variables.variables.query).toContain("updated_at:>='2026-03-01T00:00:11Z'");
  });

  it.each([0, 251, 1.5])('refuses limit %s before calling', async (limit) => {
    const before = fake.api.calls.length;
    const error = await thrownBy(() => platform().listOpenOrders({ limit }));
    expect(InvalidRequestError.isInstance(error) && error.parameter === 'limit').toBe(true);
    expect(fake.api.calls.length).toBe(before);
  });

  it('a cursor Shopify did not issue is an InvalidRequestError', async () => {
    const error = await thrownBy(() => platform().listOpenOrders({ limit: 5, cursor: 'bm90LWEtY3Vyc29y' }));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as InvalidRequestError).provider).toBe('shopify');
  });
});

describe('recordPayment', () => {
  it('confirms an authorization Shopify already holds, records nothing, and refuses one it does not hold', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', authorizationCode: 'pi_held' });
    const adapter = platform();
    const before = fake.api.callsTo(shopifyFakeRoutes.graphql).length;
    const order = await adapter.recordPayment(paymentUpdate(orderId, 'authorization', euros(5000), { providerReference: 'pi_held' }));
    expect(order.canonicalState).toBe('authorized');
    expect(fake.api.calls.length - before).toBe(1);
    const pending = fake.addOrder({ total: euros(5000) });
    const error = await thrownBy(() => adapter.recordPayment(paymentUpdate(pending, 'authorization', euros(5000))));
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect(await thrownBy(() => adapter.recordPayment(paymentUpdate(orderId, 'authorization', euros(5000), { providerReference: 'pi_other' })))).toBeInstanceOf(UnsupportedOperationError);
  });

  it('captures the authorization whose reference matches, with the presentment currency, and closes it with the last capture', async () => {
    const orderId = fake.addOrder({
      total: euros(6000),
      transactions: [
        { kind: 'AUTHORIZATION', amount: euros(3000), authorizationCode: 'pi_a' },
        { kind: 'AUTHORIZATION', amount: euros(3000), authorizationCode: 'pi_b' },
      ],
    });
    const [first, second] = transactionsOf(orderId);
    const order = await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(3000), { providerReference: 'pi_b' }));
    expect(order.canonicalState).toBe('partially_paid');
    const capture = transactionsOf(orderId).at(-1);
    expect(capture).toMatchObject({ kind: 'CAPTURE', parentId: second?.id, amountMinor: 3000n });
    const body = fake.api.calls.at(-1)?.requestBodyJson as { variables: { input: Record<string, unknown> } };
    expect(body.variables.input).toEqual({ id: orderId, parentTransactionId: second?.id, amount: '30.00', currency: 'EUR', finalCapture: true });
    const rest = await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(3000), { providerReference: 'pi_unknown' }));
    expect(rest.canonicalState).toBe('paid');
    expect(transactionsOf(orderId).at(-1)?.parentId).toBe(first?.id);
  });

  it('records a capture without an authorization as orderMarkAsPaid of the whole outstanding amount', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    const order = await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(5000)));
    expect(order.canonicalState).toBe('paid');
    expect(transactionsOf(orderId).at(-1)).toMatchObject({ kind: 'SALE', gateway: 'manual', amountMinor: 5000n });
  });

  it('refuses what orderMarkAsPaid cannot record', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    const adapter = platform();
    expect(UnsupportedOperationError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(100)))))).toBe(true);
    const over = await thrownBy(() => adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(5001))));
    expect(InvalidRequestError.isInstance(over) && over.parameter === 'amount').toBe(true);
    const paid = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    expect(InvalidRequestError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(paid, 'capture', euros(1)))))).toBe(true);
  });

  it('refunds across captures, the matching one first, with the key in the refund note and no notification', async () => {
    const orderId = fake.addOrder({
      total: euros(5000),
      transactions: [
        { kind: 'SALE', amount: euros(3000), authorizationCode: 'pi_first' },
        { kind: 'SALE', amount: euros(2000), authorizationCode: 'pi_second' },
      ],
    });
    const [first, second] = transactionsOf(orderId);
    const input = paymentUpdate(orderId, 'refund', euros(4000), { providerReference: 'pi_second', operationReference: 're_1' });
    const order = await platform().recordPayment(input);
    expect(order.canonicalState).toBe('partially_refunded');
    const body = fake.api.calls.at(-1)?.requestBodyJson as { variables: { input: Record<string, unknown> } };
    expect(body.variables.input).toEqual({
      orderId,
      currency: 'EUR',
      note: `Refunded at stripe (re_1) ${refundNoteMarker(input.idempotencyKey)}`,
      notify: false,
      transactions: [
        { orderId, parentId: second?.id, gateway: 'shopify_payments', kind: 'REFUND', amount: '20.00' },
        { orderId, parentId: first?.id, gateway: 'shopify_payments', kind: 'REFUND', amount: '20.00' },
      ],
    });
  });

  it('stops allocating a refund once it is covered', async () => {
    const orderId = fake.addOrder({
      total: euros(6000),
      transactions: [
        { kind: 'SALE', amount: euros(2000) },
        { kind: 'SALE', amount: euros(2000) },
        { kind: 'SALE', amount: euros(2000) },
      ],
    });
    await platform().recordPayment(paymentUpdate(orderId, 'refund', euros(2500)));
    expect(transactionsOf(orderId).filter((transaction) => transaction.kind === 'REFUND').map((transaction) => transaction.amountMinor)).toEqual([2000n, 500n]);
  });

  it('after an unknown outcome of a refund, the replay finds it by its note', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    const adapter = platform();
    const input = paymentUpdate(orderId, 'refund', euros(1000));
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'reset-after-apply', times: 1, when: (request) => request.bodyText.includes('PaymigrateRefund') });
    expect(UnknownOutcomeError.isInstance(await thrownBy(() => adapter.recordPayment(input)))).toBe(true);
    expect((await adapter.recordPayment(input)).canonicalState).toBe('partially_refunded');
    expect(transactionsOf(orderId).filter((transaction) => transaction.kind === 'REFUND')).toHaveLength(1);
  });

  it('after an unknown outcome of a void, the replay sees the cancellation', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const adapter = platform();
    const input = paymentUpdate(orderId, 'void', euros(5000));
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'reset-after-apply', times: 1, when: (request) => request.bodyText.includes('PaymigrateCancel') });
    expect(UnknownOutcomeError.isInstance(await thrownBy(() => adapter.recordPayment(input)))).toBe(true);
    expect((await adapter.recordPayment(input)).canonicalState).toBe('cancelled');
  });

  it('recognises a refund recorded by another adapter instance from its note, and a reused key with another amount', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    const input = paymentUpdate(orderId, 'refund', euros(1000));
    await platform().recordPayment(input);
    const restarted = platform();
    const replayed = await restarted.recordPayment(input);
    expect(replayed.transactions.filter((transaction) => transaction.kind === 'refund')).toHaveLength(1);
    const conflict = await thrownBy(() => platform().recordPayment({ ...input, amount: euros(2000) }));
    expect(IdempotencyConflictError.isInstance(conflict)).toBe(true);
  });

  it('recognises an operation already on the order by the provider operation reference', async () => {
    const orderId = fake.addOrder({
      total: euros(5000),
      transactions: [{ kind: 'AUTHORIZATION', amount: euros(5000) }, { kind: 'CAPTURE', amount: euros(5000), parentIndex: 0, authorizationCode: 'ch_1' }],
    });
    const adapter = platform();
    const before = fake.api.calls.length;
    const order = await adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(5000), { operationReference: 'ch_1' }));
    expect(order.canonicalState).toBe('paid');
    expect(fake.api.calls.length - before).toBe(1);
    expect(IdempotencyConflictError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(4000), { operationReference: 'ch_1' }))))).toBe(true);
  });

  it('refuses amounts in another currency or not positive, payments on unknown orders, and captures on cancelled orders', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const adapter = platform();
    expect(InvalidRequestError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(orderId, 'capture', Money.of(5000, 'USD')))))).toBe(true);
    expect(InvalidRequestError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(0)))))).toBe(true);
    expect(ResourceNotFoundError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate('gid://shopify/Order/1', 'capture', euros(1)))))).toBe(true);
    const cancelled = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', cancelled: true });
    expect(InvalidRequestError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(cancelled, 'capture', euros(1)))))).toBe(true);
    expect(InvalidRequestError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(cancelled, 'void', euros(5000)))))).toBe(true);
  });

  it('voids only whole authorizations: not after a partial capture, not without an authorization', async () => {
    const adapter = platform();
    const partial = fake.addOrder({ total: euros(5000), financialStatus: 'PARTIALLY_PAID' });
    expect(UnsupportedOperationError.isInstance(await thrownBy(() => adapter.recordPayment(paymentUpdate(partial, 'void', euros(2500)))))).toBe(true);
    const pending = fake.addOrder({ total: euros(5000) });
    const error = await thrownBy(() => adapter.recordPayment(paymentUpdate(pending, 'void', euros(5000))));
    expect(InvalidRequestError.isInstance(error) && error.parameter === 'kind').toBe(true);
  });

  it('a void cancels through orderCancel with reason OTHER, no refund, no notification, and a staff note', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const input = paymentUpdate(orderId, 'void', euros(5000), { providerReference: 'pi_void' });
    const order = await platform().recordPayment(input);
    expect(order).toMatchObject({ canonicalState: 'cancelled', platformFinancialStatus: 'VOIDED' });
    expect(fake.order(orderId)).toMatchObject({ cancelReason: 'OTHER', cancelStaffNote: `Authorization pi_void voided at stripe (paymigrate idempotency key ${input.idempotencyKey})` });
    const body = fake.api.callsTo(shopifyFakeRoutes.graphql).findLast((call) => (call.requestBody ?? '').includes('orderCancel'))?.requestBodyJson as { query: string; variables: Record<string, unknown> };
    expect(body.query).toContain('refund: false');
    expect(body.query).toContain('notifyCustomer: false');
    expect(body.variables).toMatchObject({ orderId, reason: 'OTHER', restock: true });
  });

  it('a capture Shopify refuses is an InvalidRequestError naming the field, and nothing is remembered for the key', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const input = paymentUpdate(orderId, 'capture', euros(5001));
    const error = await thrownBy(() => platform().recordPayment(input));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).parameter).toBe('input.amount');
    expect((error as InvalidRequestError).message).toContain('capturable amount of 50.0 EUR');
  });

  it('after an unknown outcome, a replay sees the capture was applied and does not capture twice', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const adapter = platform({ timeoutMilliseconds: 200 });
    const input = paymentUpdate(orderId, 'capture', euros(2000));
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'reset-after-apply', times: 1, when: (request) => request.bodyText.includes('PaymigrateCapture') });
    expect(UnknownOutcomeError.isInstance(await thrownBy(() => adapter.recordPayment(input)))).toBe(true);
    const order = await adapter.recordPayment(input);
    expect(order.canonicalState).toBe('partially_paid');
    expect(transactionsOf(orderId).filter((transaction) => transaction.kind === 'CAPTURE')).toHaveLength(1);
  });

  it('after an unknown outcome that was not applied, the replay sends the capture', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const adapter = platform();
    const input = paymentUpdate(orderId, 'capture', euros(2000));
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'server-error', status: 503, times: 1, when: (request) => request.bodyText.includes('PaymigrateCapture') });
    expect(UnknownOutcomeError.isInstance(await thrownBy(() => adapter.recordPayment(input)))).toBe(true);
    expect((await adapter.recordPayment(input)).canonicalState).toBe('partially_paid');
    expect(transactionsOf(orderId).filter((transaction) => transaction.kind === 'CAPTURE')).toHaveLength(1);
  });

  it('concurrent calls with one key share one mutation', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const adapter = platform();
    const input = paymentUpdate(orderId, 'capture', euros(1000));
    const [first, second] = await Promise.all([adapter.recordPayment(input), adapter.recordPayment(input)]);
    expect(second).toBe(first);
    expect(transactionsOf(orderId).filter((transaction) => transaction.kind === 'CAPTURE')).toHaveLength(1);
  });
});

describe('cancelOrder', () => {
  it('refuses to cancel a fulfilled order (Shopify user error) and a cancelled one', async () => {
    const fulfilled = fake.addOrder({ total: euros(5000), financialStatus: 'PAID', fulfillmentStatus: 'FULFILLED' });
    const error = await thrownBy(() => platform().cancelOrder({ idempotencyKey: newKey(), orderId: fulfilled, reason: 'other' }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).providerCode).toBe('INVALID');
    expect((error as InvalidRequestError).parameter).toBe('orderId');
    expect(ResourceNotFoundError.isInstance(await thrownBy(() => platform().cancelOrder({ idempotencyKey: newKey(), orderId: 'nope', reason: 'other' })))).toBe(true);
  });

  it('refuses a key reused with another reason', async () => {
    const orderId = fake.addOrder({ total: euros(5000) });
    const adapter = platform();
    const input = { idempotencyKey: newKey(), orderId, reason: 'customer' } as const;
    await adapter.cancelOrder(input);
    expect(IdempotencyConflictError.isInstance(await thrownBy(() => adapter.cancelOrder({ ...input, reason: 'fraud' })))).toBe(true);
  });
});

describe('carts and capabilities', () => {
  it('getCart answers undefined without calling Shopify, and the capabilities say so', async () => {
    const before = fake.api.calls.length;
    expect(await platform().getCart({ cartId: 'c1' })).toBeUndefined();
    expect(fake.api.calls.length).toBe(before);
    expect(platform().capabilities).toBe(shopifyPlatformCapabilities);
    expect(shopifyPlatformCapabilities.carts).toBe(false);
    expect(platform()).toMatchObject({ specificationVersion: 'v1', platform: 'shopify' });
  });
});
