import { createHmac } from 'node:crypto';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStripeFake, type StripeFake } from './stripe-fake.js';
import { decodeStripeForm, StripeFormDecodingError } from './stripe-fake-form.js';
import { parseStripeSearchQuery, StripeSearchQueryError } from './stripe-fake-search.js';
import { stripeTestToken, stripeTestTokens } from './stripe-test-tokens.js';

// The fake is exercised mostly through the Stripe adapter's tests (real SDK). These cover the
// rules the adapter never provokes: idempotency corner cases, validation, search syntax, paging.
const fake: StripeFake = createStripeFake({ baseUrl: 'https://stripe.fake.test', now: () => 1_800_000_000_000 });
const strict: StripeFake = createStripeFake({ baseUrl: 'https://strict.stripe.fake.test', apiKey: 'sk_test_only_this_one', networkTransactionIdExemption: false });
const server = setupServer(...fake.handlers, ...strict.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  fake.api.faults.clear();
  fake.setExecutionDelay(0);
});
afterAll(() => server.close());

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string> = {},
  options: { readonly key?: string; readonly apiKey?: string | null; readonly target?: StripeFake } = {},
): Promise<Answer> {
  const target = options.target ?? fake;
  const form = new URLSearchParams(params).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.apiKey !== null) headers['authorization'] = `Bearer ${options.apiKey ?? 'sk_test_fake'}`;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  const response = await fetch(`${target.baseUrl}${path}${method === 'GET' && form !== '' ? `?${form}` : ''}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: form } : {}),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const approved = {
  amount: '2000',
  currency: 'eur',
  confirm: 'true',
  payment_method: 'pm_card_visa',
  'payment_method_types[0]': 'card',
  capture_method: 'manual',
};

function errorOf(answer: Answer): Record<string, unknown> {
  return answer.body['error'] as Record<string, unknown>;
}

describe('idempotency', () => {
  it("replays Stripe's own 500 for the same key, marked as replayed", async () => {
    fake.scheduleApiError({ route: fake.routes.createPaymentIntent });
    const first = await call('POST', '/v1/payment_intents', approved, { key: 'replay-500' });
    const second = await call('POST', '/v1/payment_intents', approved, { key: 'replay-500' });
    expect(first.status).toBe(500);
    expect(errorOf(first)['type']).toBe('api_error');
    expect(second.status).toBe(500);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('request-id')).not.toBe(first.headers.get('request-id'));
    expect((await call('POST', '/v1/payment_intents', approved, { key: 'replay-500-new' })).status).toBe(200);
  });

  it('saves nothing when validation fails: the key stays free for a valid request', async () => {
    const invalid = await call('POST', '/v1/payment_intents', { ...approved, amount: 'ten' }, { key: 'validation' });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid)).toMatchObject({ code: 'parameter_invalid_integer', param: 'amount' });
    const valid = await call('POST', '/v1/payment_intents', { ...approved, amount: '3000' }, { key: 'validation' });
    expect(valid.status).toBe(200);
    expect(valid.body['amount']).toBe(3000);
  });

  it('refuses the same key with other parameters or on another endpoint', async () => {
    const first = await call('POST', '/v1/payment_intents', approved, { key: 'conflict' });
    expect(first.status).toBe(200);
    const otherParameters = await call('POST', '/v1/payment_intents', { ...approved, amount: '2001' }, { key: 'conflict' });
    expect(otherParameters.status).toBe(400);
    expect(errorOf(otherParameters)['type']).toBe('idempotency_error');
    const otherEndpoint = await call('POST', `/v1/payment_intents/${String(first.body['id'])}/cancel`, {}, { key: 'conflict' });
    expect(errorOf(otherEndpoint)['type']).toBe('idempotency_error');
    fake.forgetIdempotencyKeys();
    expect((await call('POST', '/v1/payment_intents', { ...approved, amount: '2001' }, { key: 'conflict' })).status).toBe(200);
  });

  it('answers 409 to a request arriving while another with its key is still executing', async () => {
    fake.setExecutionDelay(80);
    const first = call('POST', '/v1/payment_intents', approved, { key: 'concurrent' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await call('POST', '/v1/payment_intents', approved, { key: 'concurrent' });
    expect(second.status).toBe(409);
    expect(errorOf(second)).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    expect((await first).status).toBe(200);
  });

  it('refuses keys over 255 characters and ignores keys on reads', async () => {
    expect((await call('POST', '/v1/payment_intents', approved, { key: 'k'.repeat(256) })).status).toBe(400);
    const created = await call('POST', '/v1/payment_intents', approved);
    const read = await call('GET', `/v1/payment_intents/${String(created.body['id'])}`, {}, { key: 'ignored-on-get' });
    expect(read.status).toBe(200);
    expect(read.headers.get('idempotency-key')).toBeNull();
  });

  it('replays a decline (execution started) and does not charge the card twice', async () => {
    const declined = { ...approved, payment_method: 'pm_card_visa_chargeDeclinedLostCard' };
    const before = fake.charges().length;
    const first = await call('POST', '/v1/payment_intents', declined, { key: 'decline' });
    const second = await call('POST', '/v1/payment_intents', declined, { key: 'decline' });
    expect(first.status).toBe(402);
    expect(errorOf(first)).toMatchObject({ type: 'card_error', code: 'card_declined', decline_code: 'lost_card' });
    expect(second.body).toEqual(first.body);
    expect(fake.charges()).toHaveLength(before + 1);
  });
});

describe('authentication', () => {
  it('answers 401 without a key, or with one the account does not have', async () => {
    const missing = await call('POST', '/v1/payment_intents', approved, { apiKey: null });
    expect(missing.status).toBe(401);
    expect(String(errorOf(missing)['message'])).toContain('did not provide an API key');
    expect((await call('GET', '/v1/payment_intents/pi_x', {}, { apiKey: 'pk_test_publishable' })).status).toBe(401);
    expect((await call('GET', '/v1/payment_intents/pi_x', {}, { apiKey: 'sk_test_other', target: strict })).status).toBe(401);
    expect((await call('GET', '/v1/payment_intents/pi_x', {}, { apiKey: 'sk_test_only_this_one', target: strict })).status).toBe(404);
  });

  it('never echoes the whole key', async () => {
    const answer = await call('GET', '/v1/payment_intents/pi_x', {}, { apiKey: 'sk_live_abcdefghijklmnop' });
    expect(String(errorOf(answer)['message'])).not.toContain('sk_live_abcdefghijklmnop');
  });
});

describe('amount and currency rules', () => {
  it.each([
    [{ currency: 'isk', amount: '12345' }, 'invalid_charge_amount'],
    [{ currency: 'ugx', amount: '150' }, 'invalid_charge_amount'],
    [{ currency: 'bhd', amount: '5124' }, 'invalid_charge_amount'],
    [{ currency: 'usd', amount: '49' }, 'amount_too_small'],
    [{ currency: 'gbp', amount: '29' }, 'amount_too_small'],
    [{ currency: 'eur', amount: '100000000' }, 'amount_too_large'],
    [{ currency: 'eur', amount: '0' }, 'parameter_invalid_integer'],
  ])('refuses %j with %s', async (override, code) => {
    const answer = await call('POST', '/v1/payment_intents', { ...approved, ...override });
    expect(answer.status).toBe(400);
    expect(errorOf(answer)).toMatchObject({ code, param: 'amount' });
  });

  it.each([
    [{ currency: 'isk', amount: '50000' }],
    [{ currency: 'jpy', amount: '500' }],
    [{ currency: 'kwd', amount: '5130' }],
    [{ currency: 'huf', amount: '17550' }],
  ])('takes %j', async (override) => {
    expect((await call('POST', '/v1/payment_intents', { ...approved, ...override })).status).toBe(200);
  });

  it('refuses currencies Stripe does not take, and missing amount or currency', async () => {
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, currency: 'xts' }))).toMatchObject({ param: 'currency' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { currency: 'eur' }))).toMatchObject({ code: 'parameter_missing', param: 'amount' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { amount: '100' }))).toMatchObject({ code: 'parameter_missing', param: 'currency' });
  });
});

describe('parameters', () => {
  it('refuses unknown parameters, and mit_exemption on accounts without it', async () => {
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, colour: 'blue' }))).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    const mit = { ...approved, 'payment_method_options[card][mit_exemption][network_transaction_id]': '123456789012345' };
    expect((await call('POST', '/v1/payment_intents', mit)).status).toBe(200);
    expect(errorOf(await call('POST', '/v1/payment_intents', mit, { apiKey: 'sk_test_only_this_one', target: strict }))).toMatchObject({
      code: 'parameter_unknown',
      param: 'payment_method_options[card][mit_exemption][network_transaction_id]',
    });
  });

  it('needs a return URL, or no redirects, when automatic payment methods are on (the default)', async () => {
    const base = { amount: '2000', currency: 'eur', confirm: 'true', payment_method: 'pm_card_visa' };
    expect(errorOf(await call('POST', '/v1/payment_intents', base))['message']).toEqual(expect.stringContaining('return_url'));
    expect((await call('POST', '/v1/payment_intents', { ...base, return_url: 'https://shop.example/back' })).status).toBe(200);
    const never = await call('POST', '/v1/payment_intents', { ...base, 'automatic_payment_methods[enabled]': 'true', 'automatic_payment_methods[allow_redirects]': 'never' });
    expect(never.body['automatic_payment_methods']).toEqual({ enabled: true, allow_redirects: 'never' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'automatic_payment_methods[enabled]': 'true' }))).toMatchObject({ code: 'parameters_exclusive' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...base, 'automatic_payment_methods[allow_redirects]': 'never' }))).toMatchObject({ code: 'parameter_missing' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...base, return_url: 'not a url' }))).toMatchObject({ code: 'url_invalid' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'payment_method_types[0]': 'ideal' }))).toMatchObject({ param: 'payment_method_types' });
  });

  it('checks the shape of parameters', async () => {
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, confirm: 'yes' }))).toMatchObject({ param: 'confirm' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, capture_method: 'later' }))).toMatchObject({ param: 'capture_method' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'amount[value]': '1' }))).toMatchObject({ param: 'amount[value]' });
    const { amount: _amount, ...withoutAmount } = approved;
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...withoutAmount, 'amount[value]': '1' }))).toMatchObject({ param: 'amount' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, payment_method_options: 'card' }))).toMatchObject({ param: 'payment_method_options' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'expand[0][x]': 'y' }))).toMatchObject({ param: 'expand' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'payment_method_types[x]': 'card' }))).toMatchObject({ param: 'payment_method_types[x]' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'metadata[a]': 'x'.repeat(501) }))).toMatchObject({ param: 'metadata[a]' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, [`metadata[${'k'.repeat(41)}]`]: 'v' }))).toMatchObject({ param: 'metadata' });
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`metadata[key${index}]`, 'v']));
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, ...tooMany }))).toMatchObject({ param: 'metadata' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'metadata[a][b]': 'v' }))).toMatchObject({ param: 'metadata[a]' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, metadata: 'flat' }))).toMatchObject({ param: 'metadata' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, 'expand[0]': 'currency' }))).toMatchObject({ param: 'expand' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, off_session: 'true', confirm: 'false' }))).toMatchObject({ param: 'off_session' });
    expect(errorOf(await call('POST', '/v1/payment_intents', { amount: '2000', currency: 'eur', confirm: 'true', 'payment_method_types[0]': 'card' }))).toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
    expect(errorOf(await call('POST', '/v1/payment_intents', { ...approved, customer: 'cus_missing' }))).toMatchObject({ code: 'resource_missing', param: 'customer' });
  });

  it('creates without confirming, with or without a payment method', async () => {
    const unconfirmed = await call('POST', '/v1/payment_intents', { amount: '2000', currency: 'eur', 'payment_method_types[0]': 'card', 'metadata[note]': '' });
    expect(unconfirmed.body).toMatchObject({ status: 'requires_payment_method', metadata: {}, capture_method: 'automatic_async' });
    const withMethod = await call('POST', '/v1/payment_intents', { amount: '2000', currency: 'eur', 'payment_method_types[0]': 'card', payment_method: 'pm_card_visa' });
    expect(withMethod.body['status']).toBe('requires_confirmation');
  });
});

describe('capture, cancel, refund rules', () => {
  async function authorized(amount = '2000'): Promise<string> {
    return String((await call('POST', '/v1/payment_intents', { ...approved, amount })).body['id']);
  }

  it('capture: only once, only a positive amount up to what is capturable, never a non-final one', async () => {
    const id = await authorized();
    expect(errorOf(await call('POST', `/v1/payment_intents/${id}/capture`, { final_capture: 'false' }))).toMatchObject({ param: 'final_capture' });
    expect(errorOf(await call('POST', `/v1/payment_intents/${id}/capture`, { amount_to_capture: '0' }))).toMatchObject({ param: 'amount_to_capture' });
    const captured = await call('POST', `/v1/payment_intents/${id}/capture`, { 'metadata[shipment]': 'S-1', 'expand[0]': 'latest_charge' });
    expect(captured.body).toMatchObject({ status: 'succeeded', amount_received: 2000, metadata: { shipment: 'S-1' } });
    expect((captured.body['latest_charge'] as Record<string, unknown>)['captured']).toBe(true);
    expect(errorOf(await call('POST', `/v1/payment_intents/${id}/capture`))).toMatchObject({ code: 'payment_intent_unexpected_state' });
    expect((await call('POST', '/v1/payment_intents/pi_missing/capture')).status).toBe(404);
  });

  it('capture refuses an amount a three-decimal currency cannot settle', async () => {
    const id = String((await call('POST', '/v1/payment_intents', { ...approved, currency: 'kwd', amount: '5000' })).body['id']);
    expect(errorOf(await call('POST', `/v1/payment_intents/${id}/capture`, { amount_to_capture: '4999' }))).toMatchObject({ code: 'invalid_charge_amount' });
  });

  it('cancel: refuses a bad reason and a finished intent', async () => {
    const id = await authorized();
    expect(errorOf(await call('POST', `/v1/payment_intents/${id}/cancel`, { cancellation_reason: 'bored' }))).toMatchObject({ param: 'cancellation_reason' });
    expect((await call('POST', `/v1/payment_intents/${id}/cancel`, { cancellation_reason: 'abandoned' })).body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(errorOf(await call('POST', `/v1/payment_intents/${id}/cancel`))).toMatchObject({ code: 'payment_intent_unexpected_state' });
  });

  it('refund: by charge or intent (not both), within what is captured, with a known reason', async () => {
    const id = await authorized('3000');
    await call('POST', `/v1/payment_intents/${id}/capture`);
    const chargeId = String(fake.paymentIntent(id)?.['latest_charge']);
    expect(errorOf(await call('POST', '/v1/refunds', { amount: '100' }))).toMatchObject({ code: 'parameter_missing' });
    expect(errorOf(await call('POST', '/v1/refunds', { charge: chargeId, payment_intent: id }))).toMatchObject({ code: 'parameter_missing' });
    expect(errorOf(await call('POST', '/v1/refunds', { charge: 'ch_missing' }))).toMatchObject({ code: 'resource_missing', param: 'charge' });
    expect(errorOf(await call('POST', '/v1/refunds', { charge: chargeId, reason: 'changed_mind' }))).toMatchObject({ param: 'reason' });
    expect(errorOf(await call('POST', '/v1/refunds', { charge: chargeId, amount: '0' }))).toMatchObject({ param: 'amount' });
    const over = errorOf(await call('POST', '/v1/refunds', { charge: chargeId, amount: '3001' }));
    expect(over).toMatchObject({ code: 'amount_too_large', param: 'amount' });
    expect(String(over['message'])).toContain('30.00 EUR');
    const partial = await call('POST', '/v1/refunds', { charge: chargeId, amount: '1000', 'metadata[rma]': 'R-1', 'expand[0]': 'charge' });
    expect(partial.body).toMatchObject({ status: 'succeeded', amount: 1000, metadata: { rma: 'R-1' } });
    expect((partial.body['charge'] as Record<string, unknown>)['amount_refunded']).toBe(1000);
    expect((await call('POST', '/v1/refunds', { payment_intent: id })).body['amount']).toBe(2000);
    expect(fake.charge(chargeId)?.['refunded']).toBe(true);
    expect(errorOf(await call('POST', '/v1/refunds', { charge: chargeId }))).toMatchObject({ code: 'charge_already_refunded' });
  });

  it('refund: an uncaptured charge is cancelled, not refunded', async () => {
    const id = await authorized();
    const chargeId = String(fake.paymentIntent(id)?.['latest_charge']);
    expect(errorOf(await call('POST', '/v1/refunds', { charge: chargeId }))).toMatchObject({ code: 'charge_not_refundable' });
    expect(errorOf(await call('POST', '/v1/refunds', { payment_intent: id }))).toMatchObject({ code: 'payment_intent_unexpected_state' });
  });
});

describe('search and lists', () => {
  it('searches metadata with AND / OR, negation and numbers, newest first, page by page', async () => {
    const ids: string[] = [];
    for (const amount of ['1000', '2000', '3000']) {
      ids.push(String((await call('POST', '/v1/payment_intents', { ...approved, amount, 'metadata[batch]': 'search-1' })).body['id']));
    }
    const search = (query: string, extra: Record<string, string> = {}) => call('GET', '/v1/payment_intents/search', { query, ...extra });
    expect(((await search(`metadata['batch']:'search-1'`)).body['data'] as { id: string }[]).map((intent) => intent.id)).toEqual([...ids].reverse());
    expect(((await search(`metadata["batch"]:"search-1" AND amount>1500`)).body['data'] as unknown[]).length).toBe(2);
    expect(((await search(`metadata['batch']:'search-1' AND -amount:1000`)).body['data'] as unknown[]).length).toBe(2);
    expect(((await search(`amount<=1000 AND metadata['batch']:'search-1'`)).body['data'] as unknown[]).length).toBe(1);
    expect(((await search(`amount>=3000 AND metadata['batch']:'search-1'`)).body['data'] as unknown[]).length).toBe(1);
    expect(((await search(`amount<1001 AND metadata['batch']:'search-1'`)).body['data'] as unknown[]).length).toBe(1);
    expect(((await search(`metadata['batch']:'nothing' OR metadata['batch']:'search-1'`)).body['data'] as unknown[]).length).toBe(3);
    const firstPage = await search(`metadata['batch']:'search-1'`, { limit: '2' });
    expect(firstPage.body).toMatchObject({ object: 'search_result', has_more: true, next_page: 'page_2' });
    const secondPage = await search(`metadata['batch']:'search-1'`, { limit: '2', page: 'page_2' });
    expect(secondPage.body).toMatchObject({ has_more: false, next_page: null });
    expect((await search(`metadata['batch']:'search-1'`, { 'expand[0]': 'data.latest_charge' })).body['data']).toEqual(
      expect.arrayContaining([expect.objectContaining({ latest_charge: expect.objectContaining({ object: 'charge' }) })]),
    );
  });

  it.each([
    [{}, 'query'],
    [{ query: 'colour:"red"' }, 'query'],
    [{ query: `metadata['a']:'b' AND status:'x' OR amount:1` }, 'query'],
    [{ query: `metadata['a']` }, 'query'],
    [{ query: `status['a']:'b'` }, 'query'],
    [{ query: `metadata:'b'` }, 'query'],
    [{ query: `status:'x' status:'y'` }, 'query'],
    [{ query: `status:'x'`, limit: '101' }, 'limit'],
    [{ query: `status:'x'`, page: 'next' }, 'page'],
    [{ query: `status:'x'`, 'expand[0]': 'data' }, 'expand'],
  ])('refuses search %j (param %s)', async (params, param) => {
    const answer = await call('GET', '/v1/payment_intents/search', params as Record<string, string>);
    expect(answer.status).toBe(400);
    expect(errorOf(answer)['param']).toBe(param);
  });

  it('lists a customer payment methods newest first, page by page', async () => {
    const customer = String(fake.createCustomer({ email: 'a@example.com', metadata: { tier: 'gold' } })['id']);
    const cards = ['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex'].map((token) => String(fake.attachCard({ customer, token: token as 'pm_card_visa' })['id']));
    const first = await call('GET', '/v1/payment_methods', { customer, type: 'card', limit: '2' });
    expect(first.body).toMatchObject({ object: 'list', has_more: true, url: '/v1/payment_methods' });
    expect((first.body['data'] as { id: string }[]).map((method) => method.id)).toEqual([cards[2], cards[1]]);
    const rest = await call('GET', '/v1/payment_methods', { customer, type: 'card', limit: '2', starting_after: String(cards[1]) });
    expect((rest.body['data'] as { id: string }[]).map((method) => method.id)).toEqual([cards[0]]);
    expect(((await call('GET', '/v1/payment_methods', { customer })).body['data'] as unknown[]).length).toBe(3);
    expect(((await call('GET', '/v1/payment_methods', { customer, type: 'sepa_debit' })).body['data'] as unknown[]).length).toBe(0);
    expect(errorOf(await call('GET', '/v1/payment_methods', { customer, starting_after: 'pm_missing' }))).toMatchObject({ code: 'resource_missing' });
    expect(errorOf(await call('GET', '/v1/payment_methods', { customer, limit: '0' }))).toMatchObject({ param: 'limit' });
    expect(errorOf(await call('GET', '/v1/payment_methods', {}))).toMatchObject({ code: 'parameter_missing', param: 'customer' });
    expect(errorOf(await call('GET', '/v1/payment_methods', { customer, 'expand[0]': 'data.customer' }))).toBeUndefined();
    expect(fake.customers().find((candidate) => candidate['id'] === customer)).toMatchObject({ email: 'a@example.com', metadata: { tier: 'gold' } });
    expect(fake.paymentMethods(customer)).toHaveLength(3);
  });
});

describe('scenario helpers', () => {
  it('refuse what makes no sense', async () => {
    const id = String((await call('POST', '/v1/payment_intents', approved)).body['id']);
    expect(() => fake.completeThreeDSecure(id, 'succeeded')).toThrow(/not waiting/);
    expect(() => fake.completeThreeDSecure('pi_missing', 'succeeded')).toThrow(/no payment intent/);
    expect(() => fake.failRefund('re_missing')).toThrow(/no succeeded refund/);
    expect(() => fake.openDispute(id)).not.toThrow();
    expect(() => fake.closeDispute('dp_missing', 'won')).toThrow(/no dispute/);
    expect(() => fake.attachCard({ customer: 'cus_missing', token: 'pm_card_visa' })).toThrow(/no customer/);
    const customer = String(fake.createCustomer()['id']);
    expect(() => fake.attachCard({ customer, token: 'pm_card_bitcoin' as 'pm_card_visa' })).toThrow(/unknown test token/);
    await call('POST', `/v1/payment_intents/${id}/cancel`);
    expect(() => fake.expireAuthorization(id)).toThrow(/holds no authorization/);
    const declined = await call('POST', '/v1/payment_intents', { ...approved, payment_method: 'pm_card_visa_chargeDeclined' });
    expect(() => fake.openDispute(String((errorOf(declined)['payment_intent'] as { id: string }).id))).toThrow(/no successful charge/);
  });

  it('refuses connections with a Node error code, counting down, without recording anything', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const since = fake.api.calls.length;
    const refusal = fake.refuseConnections({ times: 1 });
    try {
      await expect(call('GET', '/v1/payment_intents/pi_x')).rejects.toThrow();
      expect(refusal.remaining).toBe(0);
      expect((await call('GET', '/v1/payment_intents/pi_x')).status).toBe(404);
    } finally {
      quiet.mockRestore();
    }
    expect(fake.api.calls.length - since).toBe(1);
  });

  it('schedules failures per route, and lets them be removed', async () => {
    const failure = fake.scheduleApiError({ route: fake.routes.createRefund, times: 2 });
    expect(failure.remaining).toBe(2);
    failure.remove();
    expect(failure.remaining).toBe(0);
    const any = fake.scheduleApiError();
    expect((await call('GET', '/v1/payment_intents/pi_x')).status).toBe(500);
    expect(any.remaining).toBe(0);
  });

  it('a failing brand declines every card of that brand until it is lifted', async () => {
    const brandFake = createStripeFake({ baseUrl: 'https://brand.stripe.fake.test', failingBrands: { visa: 'do_not_honor' } });
    server.use(...brandFake.handlers);
    const declined = await call('POST', '/v1/payment_intents', approved, { target: brandFake });
    expect(errorOf(declined)).toMatchObject({ decline_code: 'do_not_honor', message: 'Your card was declined.' });
    brandFake.setBrandFailure('visa', undefined);
    expect((await call('POST', '/v1/payment_intents', approved, { target: brandFake })).status).toBe(200);
  });

  it('signs webhooks the way Stripe does', () => {
    const event = fake.buildEvent({ type: 'payment_intent.created', object: { id: 'pi_1', object: 'payment_intent' }, createdMilliseconds: 1_700_000_000_000, previousAttributes: { status: 'x' } });
    expect(event).toMatchObject({ object: 'event', created: 1_700_000_000, data: { previous_attributes: { status: 'x' } }, request: { id: null, idempotency_key: null } });
    const request = fake.signedWebhook(event, { timestampMilliseconds: 1_700_000_123_456 });
    const expected = createHmac('sha256', fake.webhookSecret).update(`1700000123.${request.rawBody}`).digest('hex');
    expect(request.headers['stripe-signature']).toBe(`t=1700000123,v1=${expected}`);
    expect(request.receivedAt).toBe(1_700_000_123_000);
    expect(request.rawBody).toBe(JSON.stringify(event, null, 2));
    expect(fake.signedWebhook('raw', { includeTestModeSignature: true }).headers['stripe-signature']).toMatch(/^t=1800000000,v1=[0-9a-f]{64},v0=[0-9a-f]{64}$/);
  });

  it('queues events for delivery and keeps them all for inspection', async () => {
    fake.takePendingWebhooks();
    await call('POST', '/v1/payment_intents', approved, { key: 'events-key' });
    const pending = fake.pendingWebhooks();
    expect(pending.map((event) => event['type'])).toEqual(['payment_intent.created', 'charge.succeeded', 'payment_intent.amount_capturable_updated']);
    expect(pending[0]?.['request']).toMatchObject({ idempotency_key: 'events-key', id: expect.stringMatching(/^req_/) });
    expect(fake.takeSignedWebhooks()).toHaveLength(3);
    expect(fake.pendingWebhooks()).toHaveLength(0);
    expect(fake.events().length).toBeGreaterThanOrEqual(3);
  });
});

describe('form encoding', () => {
  it('decodes nested objects and arrays the way Stripe writes them', () => {
    expect(decodeStripeForm('metadata[order]=1&expand[0]=latest_charge&expand[1]=customer&list[]=a&list[]=b&a[b][0][c]=d')).toEqual({
      metadata: { order: '1' },
      expand: ['latest_charge', 'customer'],
      list: ['a', 'b'],
      a: { b: [{ c: 'd' }] },
    });
    expect(decodeStripeForm(new URLSearchParams('sparse[3]=x'))).toEqual({ sparse: ['x'] });
  });

  it.each(['a[b=1', '[a]=1', 'a=1&a[b]=2', 'a[b]=1&a=2', 'a[0]=1&a[0][b]=2', 'a[]=1&a[x]=2', 'a[0][b]=1&a[0]=2'])('refuses %s', (encoded) => {
    expect(() => decodeStripeForm(encoded)).toThrow(StripeFormDecodingError);
  });
});

describe('search query syntax', () => {
  const fields = new Set(['status', 'metadata', 'amount']);
  it('parses escaped quotes', () => {
    expect(parseStripeSearchQuery(`metadata['it\\'s']:'o\\'clock'`, fields).clauses[0]).toMatchObject({ metadataKey: "it's", value: "o'clock" });
  });
  it('refuses an empty query', () => {
    expect(() => parseStripeSearchQuery('', fields)).toThrow(StripeSearchQueryError);
  });
});

describe('test tokens', () => {
  it('hold no card numbers, only the last four digits', () => {
    for (const [name, token] of Object.entries(stripeTestTokens)) {
      expect(token.last4, name).toMatch(/^[0-9]{4}$/);
      expect(JSON.stringify(token)).not.toMatch(/[0-9]{13,19}/);
      expect(stripeTestToken(name)).toBe(token);
    }
    expect(stripeTestToken('toString')).toBeUndefined();
  });
});
