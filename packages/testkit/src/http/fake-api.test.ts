import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createToyPaymentsApi, postForm, toyRoutes } from './__fixtures__/toy-payments-api.js';
import { isSecretHeaderName, parseJsonOrUndefined, redactedValue, redactHeaders } from './call-recorder.js';
import { createFakeApi } from './fake-api.js';
import { empty, json, networkError, text } from './fake-response.js';

const toy = createToyPaymentsApi();
const baseUrl = toy.api.baseUrl;
const server = setupServer(...toy.api.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  toy.api.resetCalls();
  toy.api.faults.clear();
  toy.intents.clear();
});
afterAll(() => server.close());

async function createIntent(amount = 1000): Promise<string> {
  const response = await postForm(`${baseUrl}/v1/payment_intents`, { amount: String(amount), currency: 'usd' });
  const body = (await response.json()) as { id: string };
  return body.id;
}

describe('routes', () => {
  it('reads form bodies, path params and answers JSON with status and headers', async () => {
    const response = await postForm(`${baseUrl}/v1/payment_intents`, { amount: '1250', currency: 'usd' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('request-id')).toBe('req_pi_1');
    expect(await response.json()).toMatchObject({ id: 'pi_1', amount: 1250, currency: 'usd', status: 'requires_capture' });

    const retrieved = await fetch(`${baseUrl}/v1/payment_intents/pi_1`);
    expect(await retrieved.json()).toMatchObject({ id: 'pi_1', amount: 1250 });
    const missing = await fetch(`${baseUrl}/v1/payment_intents/pi_404`);
    expect(missing.status).toBe(404);
  });

  it('reads JSON bodies with json<T>()', async () => {
    const id = await createIntent();
    const response = await fetch(`${baseUrl}/v1/payment_intents/${id}/metadata`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 'o_1' }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ order: 'o_1' });
    expect(toy.intents.get(id)?.metadata).toEqual({ order: 'o_1' });
  });

  it('answers text and empty responses, and exposes the query string through url', async () => {
    const patched = await fetch(`${baseUrl}/v1/payment_intents/pi_9?label=gift`, { method: 'PATCH' });
    expect(patched.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await patched.text()).toBe('described pi_9 as gift');

    const id = await createIntent();
    const deleted = await fetch(`${baseUrl}/v1/payment_intents/${id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(toy.intents.get(id)?.status).toBe('canceled');
  });

  it('renders every response helper, keeping explicit content types and statuses', async () => {
    const api = createFakeApi({
      name: 'helpers',
      baseUrl: 'https://helpers.test/base/',
      routes: [
        { method: 'GET', path: '/json-undefined', handle: () => json(undefined) },
        {
          method: 'GET',
          path: '/custom-type',
          handle: () => json({ a: 1 }, { status: 202, headers: { 'Content-Type': 'application/problem+json' } }),
        },
        { method: 'GET', path: '/xml', handle: () => text('<a/>', { status: 203, headers: { 'content-type': 'application/xml' } }) },
        { method: 'GET', path: '/empty-200', handle: () => empty({ status: 200, headers: { etag: 'v1' } }) },
        { method: 'GET', path: '/gone', handle: () => networkError() },
      ],
    });
    server.use(...api.handlers);
    expect(api.baseUrl).toBe('https://helpers.test/base');

    const undefinedBody = await fetch('https://helpers.test/base/json-undefined');
    expect(await undefinedBody.text()).toBe('null');
    const custom = await fetch('https://helpers.test/base/custom-type');
    expect([custom.status, custom.headers.get('content-type')]).toEqual([202, 'application/problem+json']);
    const xml = await fetch('https://helpers.test/base/xml');
    expect([xml.status, xml.headers.get('content-type'), await xml.text()]).toEqual([203, 'application/xml', '<a/>']);
    const emptyOk = await fetch('https://helpers.test/base/empty-200');
    expect([emptyOk.status, emptyOk.headers.get('etag'), await emptyOk.text()]).toEqual([200, 'v1', '']);
    await expect(fetch('https://helpers.test/base/gone')).rejects.toThrow(TypeError);

    const gone = api.callsTo('GET /gone')[0];
    expect(gone).toMatchObject({ status: 'network-error', responseBody: undefined, applied: true, fault: undefined });
    expect(api.callsTo('GET /empty-200')[0]?.responseBody).toBeUndefined();
    expect(api.callsTo('GET /json-undefined')[0]?.responseBody).toBe('null');
  });

  it('turns optional and repeated path parameters into strings', async () => {
    const seen: Record<string, string>[] = [];
    const api = createFakeApi({
      name: 'params',
      baseUrl: 'https://params.test',
      routes: [
        { method: 'GET', path: '/files/:path+', handle: ({ params }) => (seen.push({ ...params }), empty()) },
        { method: 'GET', path: '/optional/:id?', handle: ({ params }) => (seen.push({ ...params }), empty()) },
      ],
    });
    server.use(...api.handlers);
    await fetch('https://params.test/files/a/b/c');
    await fetch('https://params.test/optional');
    await fetch('https://params.test/optional/7');
    expect(seen).toEqual([{ path: 'a/b/c' }, {}, { id: '7' }]);
  });

  it('answers 500 with the reason when a route throws, and records it', async () => {
    const api = createFakeApi({
      name: 'broken',
      baseUrl: 'https://broken.test',
      routes: [
        { method: 'POST', path: '/json', handle: ({ json: readJson }) => json(readJson()) },
        {
          method: 'GET',
          path: '/string',
          handle: () => {
            throw 'not an error object';
          },
        },
      ],
    });
    server.use(...api.handlers);
    const invalid = await fetch('https://broken.test/json', { method: 'POST', body: 'not json' });
    expect(invalid.status).toBe(500);
    const invalidBody = (await invalid.json()) as { error: { type: string; message: string } };
    expect(invalidBody.error.type).toBe('fake_route_error');
    expect(invalidBody.error.message).toMatch(/^Fake API "broken" route "POST \/json" failed: .*JSON/);

    const thrown = await fetch('https://broken.test/string');
    expect(await thrown.json()).toEqual({
      error: { type: 'fake_route_error', message: 'Fake API "broken" route "GET /string" failed: not an error object' },
    });
    expect(api.calls.map((call) => [call.status, call.applied])).toEqual([
      [500, true],
      [500, true],
    ]);
  });

  it('combines several fake APIs in one msw server, each recording its own calls', async () => {
    const other = createToyPaymentsApi({ name: 'other-payments', baseUrl: 'https://api.other.test/v2' });
    server.use(...other.api.handlers);
    await createIntent();
    await postForm(`${other.api.baseUrl}/v1/payment_intents`, { amount: '5', currency: 'eur' });
    await postForm(`${other.api.baseUrl}/v1/payment_intents`, { amount: '6', currency: 'eur' });
    expect(toy.api.calls).toHaveLength(1);
    expect(other.api.calls.map((call) => call.url)).toEqual([
      'https://api.other.test/v2/v1/payment_intents',
      'https://api.other.test/v2/v1/payment_intents',
    ]);
    expect(toy.intents.size).toBe(1);
    expect(other.intents.size).toBe(2);
  });

  it('rejects invalid definitions', () => {
    const handle = () => empty();
    expect(() => createFakeApi({ name: 'x', baseUrl: '/relative', routes: [] })).toThrow(/must be absolute/);
    expect(() =>
      createFakeApi({ name: 'x', baseUrl: 'https://x.test', routes: [{ method: 'GET', path: 'no-slash', handle }] }),
    ).toThrow(/must start with "\/"/);
    expect(() =>
      createFakeApi({
        name: 'x',
        baseUrl: 'https://x.test',
        routes: [
          { method: 'GET', path: '/a', handle },
          { method: 'POST', path: '/b', id: 'GET /a', handle },
        ],
      }),
    ).toThrow(/duplicate route id "GET \/a"/);
  });

  it('lists route ids, defaulting to "METHOD path"', () => {
    expect(toy.api.routeIds).toEqual(Object.values(toyRoutes));
    expect(toy.api.name).toBe('toy-payments');
  });
});

describe('call recorder', () => {
  it('records every field of a call, redacting secret headers', async () => {
    const before = Date.now();
    await postForm(
      `${baseUrl}/v1/payment_intents?expand=customer`,
      { amount: '700', currency: 'usd' },
      {
        headers: {
          Authorization: 'Bearer sk_test_secret',
          'X-Api-Key': 'key_1',
          'Stripe-Signature': 't=1,v1=abc',
          'X-Shopify-Access-Token': 'shpat_1',
          'Idempotency-Key': 'idem_1',
        },
      },
    );
    const [call] = toy.api.calls;
    expect(call).toEqual({
      routeId: toyRoutes.create,
      method: 'POST',
      url: `${baseUrl}/v1/payment_intents?expand=customer`,
      requestHeaders: {
        authorization: redactedValue,
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': 'idem_1',
        'stripe-signature': redactedValue,
        'x-api-key': redactedValue,
        'x-shopify-access-token': redactedValue,
      },
      requestBody: 'amount=700&currency=usd',
      requestBodyJson: undefined,
      status: 200,
      responseBody: JSON.stringify(toy.intents.get('pi_1')),
      applied: true,
      startedAt: expect.any(Number) as number,
      durationMilliseconds: expect.any(Number) as number,
      fault: undefined,
    });
    expect(call?.startedAt).toBeGreaterThanOrEqual(before);
    expect(call?.startedAt).toBeLessThanOrEqual(Date.now());
    expect(call?.durationMilliseconds).toBeGreaterThan(0);
  });

  it('parses JSON request bodies and filters calls by route', async () => {
    const id = await createIntent();
    await fetch(`${baseUrl}/v1/payment_intents/${id}/metadata`, { method: 'PUT', body: JSON.stringify({ a: 'b' }) });
    await fetch(`${baseUrl}/v1/payment_intents/${id}`);
    expect(toy.api.callsTo(toyRoutes.metadata)).toHaveLength(1);
    expect(toy.api.callsTo(toyRoutes.metadata)[0]?.requestBodyJson).toEqual({ a: 'b' });
    expect(toy.api.callsTo(toyRoutes.retrieve)[0]).toMatchObject({ method: 'GET', requestBody: '', requestBodyJson: undefined });
    expect(() => toy.api.callsTo('GET /v1/typo')).toThrow(/has no route "GET \/v1\/typo"/);
  });

  it('shows a call as pending as soon as it arrives, and fills it in when answered', async () => {
    toy.api.faults.inject({ route: toyRoutes.health, kind: 'latency', milliseconds: 150 });
    const answer = fetch(`${baseUrl}/v1/health`);
    await expect.poll(() => toy.api.calls.length, { interval: 5 }).toBe(1);
    expect(toy.api.calls[0]).toMatchObject({ status: 'pending', durationMilliseconds: 0, responseBody: undefined });
    await answer;
    await toy.api.waitForPendingCalls();
    expect(toy.api.calls[0]).toMatchObject({ status: 200, responseBody: 'ok', fault: 'latency' });
    expect(toy.api.calls[0]?.durationMilliseconds).toBeGreaterThanOrEqual(140);
  });

  it('resetCalls forgets calls; waitForPendingCalls resolves at once when idle', async () => {
    await fetch(`${baseUrl}/v1/health`);
    expect(toy.api.calls).toHaveLength(1);
    toy.api.resetCalls();
    expect(toy.api.calls).toHaveLength(0);
    await expect(toy.api.waitForPendingCalls()).resolves.toBeUndefined();
  });

  it('records nothing with recordCalls: false, but still answers', async () => {
    const silent = createToyPaymentsApi({ name: 'silent', baseUrl: 'https://silent.test', recordCalls: false });
    server.use(...silent.api.handlers);
    const response = await fetch('https://silent.test/v1/health');
    expect(await response.text()).toBe('ok');
    expect(silent.api.calls).toEqual([]);
    expect(silent.api.callsTo(toyRoutes.health)).toEqual([]);
  });

  it('redacts extra secret headers given by the fake', async () => {
    const custom = createToyPaymentsApi({ name: 'custom', baseUrl: 'https://custom.test', secretHeaders: ['X-Merchant-Pin'] });
    server.use(...custom.api.handlers);
    await fetch('https://custom.test/v1/health', { headers: { 'x-merchant-pin': '1234', 'x-trace': 't1' } });
    expect(custom.api.calls[0]?.requestHeaders).toEqual({ 'x-merchant-pin': redactedValue, 'x-trace': 't1' });
  });
});

describe('header redaction', () => {
  it('treats authorization, api keys, signatures, tokens and cookies as secret, not idempotency keys', () => {
    for (const name of [
      'Authorization',
      'proxy-authorization',
      'x-api-key',
      'X-API-KEY',
      'stripe-signature',
      'paypal-transmission-sig',
      'paypal-auth-assertion',
      'x-shopify-hmac-sha256',
      'x-client-secret',
      'cookie',
      'x-webhook-signature',
    ]) {
      expect(isSecretHeaderName(name), name).toBe(true);
    }
    for (const name of ['idempotency-key', 'content-type', 'paypal-request-id', 'x-request-id']) {
      expect(isSecretHeaderName(name), name).toBe(false);
    }
    expect(isSecretHeaderName('x-pin', ['X-PIN'])).toBe(true);
  });

  it('redactHeaders copies headers with lower-case names', () => {
    const headers = new Headers({ Authorization: 'Basic abc', Accept: 'application/json' });
    expect(redactHeaders(headers)).toEqual({ authorization: redactedValue, accept: 'application/json' });
  });
});

describe('parseJsonOrUndefined', () => {
  it('parses JSON values of every kind and gives undefined for anything else', () => {
    expect(parseJsonOrUndefined(' \n{"a":[1]}')).toEqual({ a: [1] });
    expect(parseJsonOrUndefined('[1,2]')).toEqual([1, 2]);
    expect(parseJsonOrUndefined('"text"')).toBe('text');
    expect(parseJsonOrUndefined('-1.5')).toBe(-1.5);
    expect(parseJsonOrUndefined('true')).toBe(true);
    expect(parseJsonOrUndefined('null')).toBeNull();
    expect(parseJsonOrUndefined('')).toBeUndefined();
    expect(parseJsonOrUndefined('   ')).toBeUndefined();
    expect(parseJsonOrUndefined('amount=1&currency=eur')).toBeUndefined();
    expect(parseJsonOrUndefined('nullable=1')).toBeUndefined();
    expect(parseJsonOrUndefined('{broken')).toBeUndefined();
  });
});

describe('msw interplay', () => {
  it('leaves requests to other origins to other handlers', async () => {
    server.use(http.get('https://unrelated.test/ping', () => HttpResponse.text('pong')));
    expect(await (await fetch('https://unrelated.test/ping')).text()).toBe('pong');
    expect(toy.api.calls).toEqual([]);
  });
});
