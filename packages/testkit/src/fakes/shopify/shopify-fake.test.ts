import { createHmac } from 'node:crypto';
import { Money } from '@paymigrate/core';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../memory/manual-clock.js';
import { createShopifyFake, shopifyFakeRoutes, shopifyFaultBodies, type ShopifyFake } from './shopify-fake.js';
import { formatShopifyDecimal } from './shopify-fake-money.js';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const fake = createShopifyFake({ clock, maximumAvailable: 1000, restoreRate: 50 });
const slow = createShopifyFake({ clock, shopDomain: 'slow-cancel.myshopify.com', cancelJobDelayMilliseconds: 5000 });
const server = setupServer(...fake.handlers, ...slow.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => fake.reset());
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Arbitrary GraphQL JSON: each assertion checks the shape it reads. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are navigated freely and checked by expect().
type Json = any;

interface Answer {
  readonly status: number;
  readonly body: { readonly data?: Record<string, Json>; readonly errors?: readonly { readonly message: string; readonly extensions?: Record<string, unknown> }[]; readonly extensions?: Record<string, Json> };
}

async function post(target: ShopifyFake, body: string, headers: Record<string, string> = {}, url = target.graphqlUrl): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': target.adminAccessToken, ...headers }, body });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function gql(query: string, variables: Record<string, unknown> = {}, target: ShopifyFake = fake): Promise<Answer> {
  return post(target, JSON.stringify({ query, variables }));
}

const euros = (cents: number | bigint) => Money.of(cents, 'EUR');
const orderFields = 'id displayFinancialStatus capturable refundable canMarkAsPaid fullyPaid unpaid cancelledAt closed totalReceivedSet { shopMoney { amount } } totalRefundedSet { shopMoney { amount } } totalCapturableSet { shopMoney { amount } } totalOutstandingSet { shopMoney { amount } }';
const capture = `mutation($input: OrderCaptureInput!) { orderCapture(input: $input) { transaction { id kind status amountSet { presentmentMoney { amount currencyCode } } parentTransaction { id } } userErrors { field message } } }`;
const refund = `mutation($input: RefundInput!) { refundCreate(input: $input) { refund { id note totalRefundedSet { shopMoney { amount } } } order { ${orderFields} } userErrors { field message } } }`;
const markAsPaid = `mutation($id: ID!) { orderMarkAsPaid(input: { id: $id }) { order { ${orderFields} transactions { kind gateway manualPaymentGateway } } userErrors { field message } } }`;
const cancel = `mutation($orderId: ID!, $refund: Boolean!) { orderCancel(orderId: $orderId, refund: $refund, restock: true, reason: CUSTOMER, staffNote: "note") { job { id done query { order(id: $orderId) { cancelledAt displayFinancialStatus } } } orderCancelUserErrors { code field message } userErrors { field message } } }`;

async function order(id: string): Promise<Record<string, Json>> {
  return (await gql(`query($id: ID!) { order(id: $id) { ${orderFields} } }`, { id })).body.data?.['order'];
}

function firstTransaction(orderId: string): string {
  return fake.order(orderId)?.transactions[0]?.id as string;
}

describe('HTTP surface', () => {
  it('refuses a wrong token (401), other API versions (404) and bodies without a query (400)', async () => {
    expect((await post(fake, '{"query":"{ __typename }"}', { 'x-shopify-access-token': 'shpat_wrong' })).status).toBe(401);
    expect((await post(fake, '{"query":"{ __typename }"}', {}, `https://${fake.shopDomain}/admin/api/2024-10/graphql.json`)).status).toBe(404);
    expect((await post(fake, 'not json')).status).toBe(400);
    expect((await post(fake, '{"variables":{}}')).status).toBe(400);
  });

  it('answers parse and validation errors with HTTP 200 and errors, without charging', async () => {
    expect((await post(fake, '{"query":"{ order("}')).body.errors?.[0]?.message).toContain('Syntax Error');
    const invalid = await gql('{ order(id: "gid://shopify/Order/1") { bogus } }');
    expect(invalid.status).toBe(200);
    expect(invalid.body.errors?.[0]?.message).toContain('Cannot query field "bogus"');
    expect((await post(fake, JSON.stringify({ query: 'query A { __typename } query B { __typename }' }))).body.errors?.[0]?.message).toBe('An operation name is required');
    expect((await post(fake, JSON.stringify({ query: 'query A { __typename }', operationName: 'C' }))).body.errors?.[0]?.message).toBe('No operation named "C"');
    expect(fake.throttleStatus().currentlyAvailable).toBe(1000);
  });

  it('redacts the access token in recordings and sets Shopify headers', async () => {
    await gql('{ __typename }');
    const call = fake.api.calls.at(-1);
    expect(call?.requestHeaders['x-shopify-access-token']).not.toBe(fake.adminAccessToken);
    const response = await fetch(fake.graphqlUrl, { method: 'POST', headers: { 'x-shopify-access-token': fake.adminAccessToken }, body: '{"query":"{ __typename }"}' });
    expect(response.headers.get('x-shopify-api-version')).toBe('2025-01');
    expect(response.headers.get('x-request-id')).toEqual(expect.any(String));
  });

  it('injects faults through the toolkit', async () => {
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'server-error', status: 503, body: shopifyFaultBodies.serviceUnavailable, times: 1 });
    const answer = await gql('{ __typename }');
    expect(answer).toEqual({ status: 503, body: { errors: 'Service Unavailable' } });
  });
});

describe('seeding and derived statuses', () => {
  it.each([
    ['PENDING', 'PENDING'],
    ['AUTHORIZED', 'AUTHORIZED'],
    ['PARTIALLY_PAID', 'PARTIALLY_PAID'],
    ['PAID', 'PAID'],
    ['PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED'],
    ['REFUNDED', 'REFUNDED'],
    ['VOIDED', 'VOIDED'],
    ['EXPIRED', 'EXPIRED'],
  ] as const)('a %s seed shows %s', async (financialStatus, shown) => {
    const id = fake.addOrder({ total: euros(5000), financialStatus });
    expect((await order(id))['displayFinancialStatus']).toBe(shown);
  });

  it('a zero total is paid; explicit transactions decide the status', async () => {
    expect((await order(fake.addOrder({ total: euros(0) })))['displayFinancialStatus']).toBe('PAID');
    const id = fake.addOrder({ total: euros(100), transactions: [{ kind: 'SALE', amount: euros(100), status: 'FAILURE' }] });
    expect((await order(id))['displayFinancialStatus']).toBe('PENDING');
  });

  it('refuses impossible seeds', () => {
    expect(() => fake.addOrder({ total: euros(1), financialStatus: 'PARTIALLY_PAID' })).toThrow(RangeError);
    expect(() => fake.addOrder({ total: euros(-1) })).toThrow(RangeError);
    expect(() => fake.addOrder({ total: euros(100), transactions: [{ kind: 'SALE', amount: Money.of(100, 'USD') }] })).toThrow(TypeError);
    expect(() => fake.addOrder({ total: euros(100), transactions: [{ kind: 'CAPTURE', amount: euros(100), parentIndex: 3 }] })).toThrow(RangeError);
    expect(() => fake.addOrder({ total: Money.of(100, 'XTS') })).not.toThrow();
  });

  it('formats Shopify decimals per currency', () => {
    expect(formatShopifyDecimal(5000n, 'EUR')).toBe('50.0');
    expect(formatShopifyDecimal(1234n, 'EUR')).toBe('12.34');
    expect(formatShopifyDecimal(1250n, 'EUR')).toBe('12.5');
    expect(formatShopifyDecimal(4999n, 'JPY')).toBe('4999.0');
    expect(formatShopifyDecimal(1234n, 'KWD')).toBe('1.234');
    expect(formatShopifyDecimal(-5n, 'EUR')).toBe('-0.05');
  });

  it('answers invalid and unknown ids', async () => {
    const answer = await gql('{ order(id: "not-a-gid") { id } }');
    expect(answer.body.data?.['order']).toBeNull();
    expect(answer.body.errors?.[0]).toMatchObject({ message: "Invalid global id 'not-a-gid'", extensions: { code: 'argumentLiteralsIncompatible' } });
    expect((await gql('{ order(id: "gid://shopify/Order/1") { id } }')).body.data?.['order']).toBeNull();
  });

  it('serves transaction details, filters and truncation', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'PARTIALLY_PAID', authorizationCode: 'pi_1', customerId: 'cust-a', gateway: 'stripe', email: 'a@example.com' });
    const answer = await gql(
      `query($id: ID!) { order(id: $id) { customer { id } email paymentGatewayNames transactions(first: 1) { kind authorizationCode receiptJson formattedGateway multiCapturable manuallyCapturable totalUnsettledSet { shopMoney { amount } } order { id } } capturable: transactions(capturable: true) { kind } settled: transactions(capturable: false) { kind } resolvable: transactions(manuallyResolvable: true) { kind } refunds(first: 5) { id } } }`,
      { id },
    );
    const served = answer.body.data?.['order'];
    expect(served).toMatchObject({
      customer: { id: expect.stringMatching(/^gid:\/\/shopify\/Customer\/\d+$/) },
      email: 'a@example.com',
      paymentGatewayNames: ['stripe'],
      transactions: [{ kind: 'AUTHORIZATION', authorizationCode: 'pi_1', formattedGateway: 'Stripe', multiCapturable: true, manuallyCapturable: true, totalUnsettledSet: { shopMoney: { amount: '25.0' } }, order: { id } }],
      capturable: [{ kind: 'AUTHORIZATION' }],
      settled: [{ kind: 'CAPTURE' }],
      resolvable: [{ kind: 'AUTHORIZATION' }],
      refunds: [],
    });
    expect(JSON.parse(served.transactions[0].receiptJson)).toEqual({ id: 'pi_1', gateway: 'stripe', kind: 'authorization' });
    expect((await gql('query($id: ID!) { order(id: $id) { transactions(first: -1) { id } } }', { id })).body.errors?.[0]?.message).toContain('non-negative');
  });
});

describe('orderCapture', () => {
  it('captures up to the authorized amount, in the presentment currency', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const parentTransactionId = firstTransaction(id);
    const over = await gql(capture, { input: { id, parentTransactionId, amount: '50.01' } });
    expect(over.body.data?.['orderCapture']).toEqual({ transaction: null, userErrors: [{ field: ['input', 'amount'], message: 'Amount cannot exceed the capturable amount of 50.0 EUR' }] });
    const done = await gql(capture, { input: { id, parentTransactionId, amount: '20.00', currency: 'EUR' } });
    expect(done.body.data?.['orderCapture'].transaction).toMatchObject({ kind: 'CAPTURE', status: 'SUCCESS', amountSet: { presentmentMoney: { amount: '20.0', currencyCode: 'EUR' } }, parentTransaction: { id: parentTransactionId } });
    expect(await order(id)).toMatchObject({ displayFinancialStatus: 'PARTIALLY_PAID', totalCapturableSet: { shopMoney: { amount: '30.0' } }, totalOutstandingSet: { shopMoney: { amount: '30.0' } } });
    await gql(capture, { input: { id, parentTransactionId, amount: 30 } });
    expect(await order(id)).toMatchObject({ displayFinancialStatus: 'PAID', fullyPaid: true, capturable: false });
  });

  it.each([
    [{ amount: 'ten' }, 'amount', 'Amount is invalid'],
    [{ amount: '1.001' }, 'amount', 'Amount has more decimals than EUR allows'],
    [{ amount: '0' }, 'amount', 'Amount must be greater than 0'],
    [{ currency: 'USD' }, 'currency', 'Currency must be the presentment currency of the order (EUR)'],
    [{ parentTransactionId: 'gid://shopify/OrderTransaction/1' }, 'parentTransactionId', 'Transaction does not exist on this order'],
    [{ id: 'gid://shopify/Order/1' }, 'id', 'Order does not exist'],
  ])('refuses %j', async (override, field, message) => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const answer = await gql(capture, { input: { id, parentTransactionId: firstTransaction(id), amount: '10.00', ...override } });
    expect(answer.body.data?.['orderCapture'].userErrors).toEqual([{ field: ['input', field], message }]);
  });

  it('captures a single-capture authorization once, and nothing voided, expired, or not an authorization', async () => {
    const single = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', multiCapturable: false });
    await gql(capture, { input: { id: single, parentTransactionId: firstTransaction(single), amount: '10.00' } });
    const again = await gql(capture, { input: { id: single, parentTransactionId: firstTransaction(single), amount: '10.00' } });
    expect(again.body.data?.['orderCapture'].userErrors[0].message).toBe('Transaction is not capturable');
    for (const financialStatus of ['VOIDED', 'EXPIRED'] as const) {
      const id = fake.addOrder({ total: euros(5000), financialStatus });
      expect((await gql(capture, { input: { id, parentTransactionId: firstTransaction(id), amount: '1.00' } })).body.data?.['orderCapture'].userErrors[0].message).toBe('Transaction is not capturable');
    }
    const paid = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    expect((await gql(capture, { input: { id: paid, parentTransactionId: firstTransaction(paid), amount: '1.00' } })).body.data?.['orderCapture'].userErrors[0].message).toBe('Transaction is not a successful authorization');
    const multi = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    await gql(capture, { input: { id: multi, parentTransactionId: firstTransaction(multi), amount: '10.00', finalCapture: true } });
    expect((await order(multi))['capturable']).toBe(false);
  });
});

describe('orderMarkAsPaid', () => {
  it('records a manual sale of what is outstanding, only without an open authorization', async () => {
    const id = fake.addOrder({ total: euros(5000) });
    const answer = await gql(markAsPaid, { id });
    expect(answer.body.data?.['orderMarkAsPaid'].order).toMatchObject({ displayFinancialStatus: 'PAID', transactions: [{ kind: 'SALE', gateway: 'manual', manualPaymentGateway: true }] });
    expect((await gql(markAsPaid, { id })).body.data?.['orderMarkAsPaid']).toEqual({ order: null, userErrors: [{ field: ['input', 'id'], message: 'Order is already paid' }] });
    const authorized = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    expect((await gql(markAsPaid, { id: authorized })).body.data?.['orderMarkAsPaid'].userErrors[0].message).toContain('capture it instead');
    const cancelled = fake.addOrder({ total: euros(5000), cancelled: 'FRAUD' });
    expect((await gql(markAsPaid, { id: cancelled })).body.data?.['orderMarkAsPaid'].userErrors[0].message).toContain('canceled');
    expect((await gql(markAsPaid, { id: 'gid://shopify/Order/1' })).body.data?.['orderMarkAsPaid'].userErrors[0].message).toBe('Order does not exist');
  });
});

describe('refundCreate', () => {
  it('refunds at most what each capture has left, with the note', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    const parentId = firstTransaction(id);
    const line = (amount: string, extra: Record<string, unknown> = {}) => ({ orderId: id, parentId, gateway: 'shopify_payments', kind: 'REFUND', amount, ...extra });
    const over = await gql(refund, { input: { orderId: id, transactions: [line('30.00'), line('30.00')] } });
    expect(over.body.data?.['refundCreate'].userErrors).toEqual([{ field: ['input', 'transactions', '1', 'amount'], message: 'Amount cannot exceed the refundable amount of 20.0 EUR' }]);
    const done = await gql(refund, { input: { orderId: id, note: 'n1', currency: 'EUR', notify: false, shipping: { fullRefund: true }, transactions: [line('30.00')] } });
    expect(done.body.data?.['refundCreate']).toMatchObject({ refund: { note: 'n1', totalRefundedSet: { shopMoney: { amount: '30.0' } } }, order: { displayFinancialStatus: 'PARTIALLY_REFUNDED', refundable: true } });
    await gql(refund, { input: { orderId: id, transactions: [line('20.00')] } });
    expect(await order(id)).toMatchObject({ displayFinancialStatus: 'REFUNDED', refundable: false, totalRefundedSet: { shopMoney: { amount: '50.0' } } });
  });

  it.each([
    [{ refundLineItems: [{ lineItemId: 'gid://shopify/LineItem/1', quantity: 1 }] }, ['refundLineItems', '0', 'lineItemId']],
    [{ refundDuties: [{ dutyId: 'gid://shopify/Duty/1' }] }, ['refundDuties', '0', 'dutyId']],
    [{ shipping: { amount: '5.00' } }, ['shipping', 'amount']],
    [{ currency: 'USD' }, ['currency']],
    [{ orderId: 'gid://shopify/Order/1' }, ['orderId']],
    [{ line: { orderId: 'gid://shopify/Order/2' } }, ['transactions', '0', 'orderId']],
    [{ line: { kind: 'CAPTURE' } }, ['transactions', '0', 'kind']],
    [{ line: { parentId: null } }, ['transactions', '0', 'parentId']],
    [{ line: { parentId: 'gid://shopify/OrderTransaction/1' } }, ['transactions', '0', 'parentId']],
    [{ line: { gateway: 'paypal' } }, ['transactions', '0', 'gateway']],
    [{ line: { amount: 'x' } }, ['transactions', '0', 'amount']],
    [{ line: { amount: '-1' } }, ['transactions', '0', 'amount']],
  ])('refuses %j', async (override, field) => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    const { line: lineOverride, ...inputOverride } = override as { line?: Record<string, unknown> };
    const line = { orderId: id, parentId: firstTransaction(id), gateway: 'shopify_payments', kind: 'REFUND', amount: '1.00', ...lineOverride };
    const answer = await gql(refund, { input: { orderId: id, transactions: [line], ...inputOverride } });
    expect(answer.body.data?.['refundCreate'].userErrors[0].field).toEqual(['input', ...field]);
    expect(fake.order(id)?.refunds).toHaveLength(0);
  });

  it('refuses to refund an authorization that was never captured', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const answer = await gql(refund, { input: { orderId: id, transactions: [{ orderId: id, parentId: firstTransaction(id), gateway: 'shopify_payments', kind: 'REFUND', amount: '1.00' }] } });
    expect(answer.body.data?.['refundCreate'].userErrors[0].message).toContain('successful capture or sale');
  });
});

describe('orderCancel and orderClose', () => {
  it('cancels at once by default, voiding what is authorized', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const answer = await gql(cancel, { orderId: id, refund: false });
    expect(answer.body.data?.['orderCancel']).toMatchObject({ job: { done: true, query: { order: { displayFinancialStatus: 'VOIDED', cancelledAt: expect.any(String) } } }, orderCancelUserErrors: [], userErrors: [] });
    expect(fake.order(id)).toMatchObject({ cancelReason: 'CUSTOMER', cancelStaffNote: 'note' });
    expect((await gql(cancel, { orderId: id, refund: false })).body.data?.['orderCancel'].orderCancelUserErrors).toEqual([{ code: 'INVALID', field: ['orderId'], message: 'Order has already been canceled' }]);
  });

  it('refunds what was received when asked, and refuses unknown or fulfilled orders', async () => {
    const paid = fake.addOrder({ total: euros(5000), transactions: [{ kind: 'SALE', amount: euros(3000) }, { kind: 'SALE', amount: euros(2000) }, { kind: 'REFUND', amount: euros(2000), parentIndex: 1 }] });
    await gql(cancel, { orderId: paid, refund: true });
    expect(fake.order(paid)?.amounts.financialStatus).toBe('REFUNDED');
    expect(fake.order(paid)?.refunds.at(-1)).toMatchObject({ note: 'Order canceled', amountMinor: 3000n });
    const pending = fake.addOrder({ total: euros(5000) });
    await gql(cancel, { orderId: pending, refund: true });
    expect(fake.order(pending)?.refunds).toHaveLength(0);
    expect((await gql(cancel, { orderId: 'gid://shopify/Order/1', refund: false })).body.data?.['orderCancel'].orderCancelUserErrors[0].code).toBe('NOT_FOUND');
    const fulfilled = fake.addOrder({ total: euros(5000), financialStatus: 'PAID', fulfillmentStatus: 'FULFILLED' });
    expect((await gql(cancel, { orderId: fulfilled, refund: false })).body.data?.['orderCancel'].orderCancelUserErrors[0].message).toContain('fulfillments');
  });

  it('runs the cancellation job later when the fake is slow', async () => {
    const id = slow.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const answer = await gql(cancel, { orderId: id, refund: false }, slow);
    expect(answer.body.data?.['orderCancel'].job).toMatchObject({ done: false, query: { order: { cancelledAt: null } } });
    expect((await gql(cancel, { orderId: id, refund: false }, slow)).body.data?.['orderCancel'].orderCancelUserErrors[0].code).toBe('INVALID');
    await clock.advance(5000);
    expect(slow.order(id)?.cancelledAt).toBe(clock.now());
    expect(slow.orders().find((candidate) => candidate.id === id)?.amounts.financialStatus).toBe('VOIDED');
  });

  it('closes (archives) an order once', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'PAID' });
    const close = 'mutation($id: ID!) { orderClose(input: { id: $id }) { order { closed } userErrors { field message } } }';
    expect((await gql(close, { id })).body.data?.['orderClose']).toEqual({ order: { closed: true }, userErrors: [] });
    expect((await gql(close, { id })).body.data?.['orderClose'].order).toEqual({ closed: true });
    expect((await gql(close, { id: 'gid://shopify/Order/1' })).body.data?.['orderClose'].userErrors[0].message).toBe('Order does not exist');
  });
});

describe('orders', () => {
  const list = 'query($first: Int, $last: Int, $after: String, $before: String, $query: String, $sortKey: OrderSortKeys, $reverse: Boolean) { orders(first: $first, last: $last, after: $after, before: $before, query: $query, sortKey: $sortKey, reverse: $reverse) { edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }';

  async function ids(variables: Record<string, unknown>): Promise<string[]> {
    const answer = await gql(list, variables);
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data?.['orders'].nodes.map((node: { id: string }) => node.id);
  }

  function seedFive(): string[] {
    const at = (second: number) => Date.UTC(2026, 0, 1, 0, 0, second);
    return [
      fake.addOrder({ total: euros(100), financialStatus: 'PENDING', updatedAt: at(5), customerId: 'gid://shopify/Customer/77', test: true, name: '#2001' }),
      fake.addOrder({ total: euros(100), financialStatus: 'AUTHORIZED', updatedAt: at(1), gateway: 'paypal' }),
      fake.addOrder({ total: euros(100), financialStatus: 'PAID', updatedAt: at(3), fulfillmentStatus: 'FULFILLED' }),
      fake.addOrder({ total: euros(100), financialStatus: 'PAID', updatedAt: at(2), cancelled: true }),
      fake.addOrder({ total: euros(100), financialStatus: 'PARTIALLY_PAID', updatedAt: at(4), closed: true, fulfillmentStatus: 'ON_HOLD' }),
    ];
  }

  it('filters with Shopify search syntax', async () => {
    const [pending, authorized, paid, cancelled, partial] = seedFive();
    const search = (query: string) => ids({ first: 50, query, sortKey: 'UPDATED_AT' });
    expect(await search('status:open')).toEqual([authorized, paid, pending]);
    expect(await search('status:closed')).toEqual([partial]);
    expect(await search('status:cancelled')).toEqual([cancelled]);
    expect(await search('status:not_closed')).toEqual([authorized, cancelled, paid, pending]);
    expect(await search('(financial_status:pending OR financial_status:authorized) AND -status:cancelled')).toEqual([authorized, pending]);
    expect(await search('financial_status:paid NOT status:cancelled')).toEqual([paid]);
    expect(await search("updated_at:>='2026-01-01T00:00:03Z' updated_at:<'2026-01-01T00:00:05Z'")).toEqual([paid, partial]);
    expect(await search('updated_at:<=2026-01-01')).toEqual([]);
    expect(await search('fulfillment_status:shipped')).toEqual([paid]);
    expect(await search('fulfillment_status:unfulfilled')).toEqual([authorized, cancelled, pending]);
    expect(await search('fulfillment_status:on_hold')).toEqual([partial]);
    expect(await search(`id:>${String(authorized?.split('/').pop())}`)).toEqual([cancelled, paid, partial]);
    expect(await search('customer_id:77')).toEqual([pending]);
    expect(await search('gateway:PAYPAL')).toEqual([authorized]);
    expect(await search('test:true')).toEqual([pending]);
    expect(await search('name:2001')).toEqual([pending]);
    expect(await search('')).toHaveLength(5);
  });

  it.each(['color:red', 'free text', 'status:weird', 'status:>open', 'financial_status:lost', 'fulfillment_status:lost', 'id:abc', 'test:maybe', 'updated_at:>yesterday', '(status:open', 'status:open)', "status:'open", 'AND', 'status:'])('refuses the search %j', async (query) => {
    fake.addOrder({ total: euros(100) });
    const answer = await gql(list, { first: 5, query });
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'argumentLiteralsIncompatible' });
  });

  it('sorts, reverses and pages both ways with cursors', async () => {
    const [pending, authorized, paid, cancelled, partial] = seedFive();
    expect(await ids({ first: 10, sortKey: 'ID' })).toEqual([pending, authorized, paid, cancelled, partial]);
    expect(await ids({ first: 10, sortKey: 'UPDATED_AT', reverse: true })).toEqual([pending, partial, paid, cancelled, authorized]);
    expect(await ids({ first: 10, sortKey: 'CREATED_AT' })).toHaveLength(5);
    expect(await ids({ first: 10 })).toHaveLength(5);
    const first = (await gql(list, { first: 2, sortKey: 'UPDATED_AT' })).body.data?.['orders'];
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = (await gql(list, { first: 2, after: first.pageInfo.endCursor, sortKey: 'UPDATED_AT' })).body.data?.['orders'];
    expect(second.nodes.map((node: { id: string }) => node.id)).toEqual([paid, partial]);
    expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    expect(await ids({ last: 2, before: second.pageInfo.endCursor, sortKey: 'UPDATED_AT' })).toEqual([cancelled, paid]);
    expect(await ids({ last: 1, sortKey: 'UPDATED_AT' })).toEqual([pending]);
    const end = await gql(list, { first: 2, after: 'eyJsYXN0X2lkIjo5OTk5OTk5OTk5OSwibGFzdF92YWx1ZSI6OTk5OTk5OTk5OTk5OTl9', sortKey: 'UPDATED_AT' });
    expect(end.body.data?.['orders']).toMatchObject({ nodes: [], pageInfo: { startCursor: null, endCursor: null, hasNextPage: false } });
  });

  it.each([
    [{}, 'you must provide one of first or last'],
    [{ first: 251 }, 'between 0 and 250'],
    [{ first: 1, after: 'bad' }, "Invalid cursor 'bad'"],
    [{ first: 1, sortKey: 'TOTAL_PRICE' }, 'does not sort orders by TOTAL_PRICE'],
  ])('refuses %j', async (variables, message) => {
    expect((await gql(list, variables)).body.errors?.[0]?.message).toContain(message);
  });

  it('refuses saved searches', async () => {
    expect((await gql('{ orders(first: 1, savedSearchId: "gid://shopify/SavedSearch/1") { nodes { id } } }')).body.errors?.[0]?.message).toContain('Saved searches');
  });
});

describe('query cost and throttling', () => {
  it('reports the cost with a leaky bucket that refills with time', async () => {
    fake.addOrder({ total: euros(100) });
    const answer = await gql('{ orders(first: 10) { edges { node { id transactions { id } } } pageInfo { hasNextPage } } }');
    const cost = answer.body.extensions?.['cost'];
    expect(cost).toMatchObject({ requestedQueryCost: 2 + 10 * 2, actualQueryCost: 2 + 1 * 1, throttleStatus: { maximumAvailable: 1000, restoreRate: 50 } });
    expect(cost.throttleStatus.currentlyAvailable).toBe(1000 - 3);
    expect((await gql('mutation { orderClose(input: { id: "gid://shopify/Order/1" }) { userErrors { message } } }')).body.extensions?.['cost'].requestedQueryCost).toBe(10);
    fake.setAvailablePoints(0);
    const throttled = await gql('{ order(id: "gid://shopify/Order/1") { id } }');
    expect(throttled.body).toMatchObject({ errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }], extensions: { cost: { requestedQueryCost: 1, actualQueryCost: null, throttleStatus: { currentlyAvailable: 0 } } } });
    expect(throttled.body.data).toBeUndefined();
    await clock.advance(20);
    expect((await gql('{ order(id: "gid://shopify/Order/1") { id } }')).body.errors).toBeUndefined();
    await clock.advance(60_000);
    expect(fake.throttleStatus().currentlyAvailable).toBe(1000);
  });

  it('refuses a query that costs more than the bucket holds', async () => {
    const answer = await gql('{ orders(first: 250) { nodes { id transactions { id parentTransaction { id } } refunds { id } } } }');
    expect(answer.body.errors?.[0]).toMatchObject({ extensions: { code: 'MAX_COST_EXCEEDED', cost: 2 + 250 * 4, maxCost: 1000 } });
  });

  it('honours @skip and @include and fragments in the cost', async () => {
    const withFragment = await gql('query($skip: Boolean!) { orders(first: 5) { nodes { ...O } } } fragment O on Order { id customer @skip(if: $skip) { id } ... on Order { transactions @include(if: false) { id } } }', { skip: true });
    expect(withFragment.body.extensions?.['cost'].requestedQueryCost).toBe(2 + 5);
  });

  it('refuses a bucket without room', () => {
    expect(() => createShopifyFake({ maximumAvailable: 0 })).toThrow(RangeError);
  });
});

describe('webhooks', () => {
  it('queues signed webhooks for every change, for the test to deliver with duplicates and reordering', async () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    await gql(capture, { input: { id, parentTransactionId: firstTransaction(id), amount: '50.00' } });
    await gql(refund, { input: { orderId: id, transactions: [{ orderId: id, parentId: fake.order(id)?.transactions[1]?.id, gateway: 'shopify_payments', kind: 'REFUND', amount: '5.00' }] } });
    await gql(cancel, { orderId: id, refund: false });
    expect(fake.pendingWebhooks().map((webhook) => webhook.topic)).toEqual(['orders/create', 'orders/paid', 'orders/updated', 'refunds/create', 'orders/updated', 'orders/cancelled', 'orders/updated']);
    const [created] = fake.pendingWebhooks();
    expect(created?.request.headers).toMatchObject({ 'x-shopify-topic': 'orders/create', 'x-shopify-shop-domain': fake.shopDomain, 'x-shopify-api-version': '2025-01', 'x-shopify-webhook-id': created?.webhookId });
    for (const webhook of fake.pendingWebhooks()) {
      expect(webhook.request.headers['x-shopify-hmac-sha256']).toBe(createHmac('sha256', fake.apiSecretKey).update(webhook.request.rawBody).digest('base64'));
    }
    expect(JSON.parse(created?.request.rawBody ?? '{}')).toMatchObject({ admin_graphql_api_id: id, financial_status: 'authorized', total_price: '50.0', currency: 'EUR', fulfillment_status: null });
    const shuffled = fake.takeWebhooks({ order: 'shuffled', duplicate: (webhook) => webhook.topic === 'orders/paid' });
    expect(shuffled).toHaveLength(8);
    expect(shuffled.filter((webhook) => webhook.topic === 'orders/paid').map((webhook) => webhook.webhookId)).toHaveLength(2);
    expect(new Set(shuffled.filter((webhook) => webhook.topic === 'orders/paid').map((webhook) => webhook.webhookId)).size).toBe(1);
    expect(fake.pendingWebhooks()).toEqual([]);
  });

  it('signs webhooks on demand, also with another secret; a refunds/create for an order without refunds is synthetic', () => {
    const id = fake.addOrder({ total: euros(5000), financialStatus: 'PAID', fulfillmentStatus: 'PARTIALLY_FULFILLED' });
    const request = fake.signWebhook({ topic: 'refunds/create', orderId: id, webhookId: 'w1', secret: 'other', triggeredAt: Date.UTC(2026, 0, 1) });
    expect(request.headers['x-shopify-hmac-sha256']).toBe(createHmac('sha256', 'other').update(request.rawBody).digest('base64'));
    expect(JSON.parse(request.rawBody)).toMatchObject({ order_id: Number(id.split('/').pop()), transactions: [] });
    expect(JSON.parse(fake.signWebhook({ topic: 'orders/updated', orderId: id }).rawBody)).toMatchObject({ fulfillment_status: 'partial' });
    fake.setFulfillment(id, { fulfillmentStatus: 'RESTOCKED', returnStatus: 'RETURN_REQUESTED' });
    expect(JSON.parse(fake.signWebhook({ topic: 'orders/updated', orderId: id }).rawBody)).toMatchObject({ fulfillment_status: 'restocked' });
    fake.setFulfillment(id, { fulfillmentStatus: 'FULFILLED' });
    expect(fake.order(id)).toMatchObject({ fulfillmentStatus: 'FULFILLED', returnStatus: 'RETURN_REQUESTED' });
    expect(() => fake.signWebhook({ topic: 'orders/updated', orderId: 'gid://shopify/Order/1' })).toThrow('no order');
    expect(() => fake.setFulfillment('gid://shopify/Order/1', {})).toThrow('no order');
    expect(fake.takeWebhooks({ order: 'reversed' }).map((webhook) => webhook.topic)).toEqual(['orders/updated', 'orders/updated', 'orders/create']);
  });
});
