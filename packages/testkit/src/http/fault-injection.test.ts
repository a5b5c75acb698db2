import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createToyPaymentsApi, postForm, toyRoutes } from './__fixtures__/toy-payments-api.js';
import { createFaultController } from './fault-injection.js';
import { createSeededRandom } from './seeded-random.js';

const toy = createToyPaymentsApi();
const { api, intents } = toy;
const baseUrl = api.baseUrl;
const server = setupServer(...api.handlers);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  await api.waitForPendingCalls();
  server.resetHandlers();
  api.resetCalls();
  api.faults.clear();
  intents.clear();
});
afterAll(() => server.close());

async function createIntent(): Promise<string> {
  const response = await postForm(`${baseUrl}/v1/payment_intents`, { amount: '1000', currency: 'eur' });
  return ((await response.json()) as { id: string }).id;
}

function capture(id: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${baseUrl}/v1/payment_intents/${id}/capture`, { method: 'POST', ...init });
}

function lastCall() {
  return api.calls.at(-1);
}

describe('fault kinds', () => {
  it('latency delays the answer, then handles normally', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'latency', milliseconds: 120 });
    const started = performance.now();
    const response = await capture(id);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(response.status).toBe(200);
    expect(intents.get(id)?.status).toBe('succeeded');
    expect(lastCall()).toMatchObject({ status: 200, fault: 'latency', applied: true });
  });

  it('timeout-after-apply applies the operation while the client sees only a failure', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'timeout-after-apply' });
    const started = performance.now();
    await expect(capture(id, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const clientWaited = performance.now() - started;
    expect(clientWaited).toBeGreaterThanOrEqual(190);
    // The unknown outcome: the fake did capture.
    expect(intents.get(id)).toMatchObject({ status: 'succeeded', captureCount: 1 });
    await api.waitForPendingCalls();
    expect(lastCall()).toMatchObject({
      routeId: toyRoutes.capture,
      status: 'network-error',
      responseBody: undefined,
      applied: true,
      fault: 'timeout-after-apply',
    });
    // The fake let go when the client aborted, not after 30 s.
    expect(lastCall()?.durationMilliseconds).toBeLessThan(5_000);
  });

  it('timeout-after-apply with milliseconds fails the connection after that time', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'timeout-after-apply', milliseconds: 100 });
    const started = performance.now();
    await expect(capture(id)).rejects.toThrow(TypeError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(intents.get(id)?.status).toBe('succeeded');
    expect(lastCall()?.durationMilliseconds).toBeGreaterThanOrEqual(95);
  });

  it('timeout-after-apply lets go at once when the client already gave up during latency', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'latency', milliseconds: 150 });
    api.faults.inject({ route: toyRoutes.capture, kind: 'timeout-after-apply', milliseconds: 20_000 });
    await expect(capture(id, { signal: AbortSignal.timeout(30) })).rejects.toMatchObject({ name: 'TimeoutError' });
    await api.waitForPendingCalls();
    expect(intents.get(id)?.status).toBe('succeeded');
    expect(lastCall()).toMatchObject({ status: 'network-error', fault: 'timeout-after-apply', applied: true });
    expect(lastCall()?.durationMilliseconds).toBeLessThan(5_000);
  });

  it('reset-after-apply applies, then fails the connection', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'reset-after-apply' });
    await expect(capture(id)).rejects.toThrow(TypeError);
    expect(intents.get(id)?.status).toBe('succeeded');
    expect(lastCall()).toMatchObject({ status: 'network-error', applied: true, fault: 'reset-after-apply' });
  });

  it('reset-before-apply fails the connection without applying', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'reset-before-apply' });
    await expect(capture(id)).rejects.toThrow(TypeError);
    expect(intents.get(id)?.status).toBe('requires_capture');
    expect(lastCall()).toMatchObject({ status: 'network-error', applied: false, fault: 'reset-before-apply' });
  });

  it('server-error answers a generic 500 without applying by default', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'server-error' });
    const response = await capture(id);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { message: 'Injected server error (500)' } });
    expect(intents.get(id)?.status).toBe('requires_capture');
    expect(lastCall()).toMatchObject({
      status: 500,
      applied: false,
      fault: 'server-error',
      responseBody: '{"error":{"message":"Injected server error (500)"}}',
    });
  });

  it('server-error with applyFirst keeps the state change and uses the provider body, status and headers', async () => {
    const id = await createIntent();
    const providerBody = { name: 'INTERNAL_SERVER_ERROR', debug_id: 'dbg_1' };
    api.faults.inject({
      route: toyRoutes.capture,
      kind: 'server-error',
      status: 503,
      applyFirst: true,
      body: providerBody,
      headers: { 'stripe-should-retry': 'true' },
    });
    const response = await capture(id);
    expect(response.status).toBe(503);
    expect(response.headers.get('stripe-should-retry')).toBe('true');
    expect(await response.json()).toEqual(providerBody);
    expect(intents.get(id)?.status).toBe('succeeded');
    expect(lastCall()).toMatchObject({ status: 503, applied: true, fault: 'server-error' });
  });

  it('rate-limit answers 429 with Retry-After and does not apply', async () => {
    const id = await createIntent();
    api.faults.inject({ route: toyRoutes.capture, kind: 'rate-limit', retryAfterSeconds: 7 });
    const response = await capture(id);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ error: { message: 'Too many requests: retry after 7 seconds' } });
    expect(intents.get(id)?.status).toBe('requires_capture');
    expect(lastCall()).toMatchObject({ status: 429, applied: false, fault: 'rate-limit' });
  });

  it('rate-limit uses the provider body and extra headers', async () => {
    api.faults.inject({
      route: toyRoutes.health,
      kind: 'rate-limit',
      retryAfterSeconds: 2,
      body: { errors: 'Throttled' },
      headers: { 'x-shopify-shop-api-call-limit': '40/40' },
    });
    const response = await fetch(`${baseUrl}/v1/health`);
    expect(response.headers.get('x-shopify-shop-api-call-limit')).toBe('40/40');
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({ errors: 'Throttled' });
  });

  it('outage fails every route without applying', async () => {
    const id = await createIntent();
    api.faults.inject({ kind: 'outage' });
    await expect(capture(id)).rejects.toThrow(TypeError);
    await expect(fetch(`${baseUrl}/v1/health`)).rejects.toThrow(TypeError);
    await expect(postForm(`${baseUrl}/v1/payment_intents`, { amount: '1' })).rejects.toThrow(TypeError);
    expect(intents.size).toBe(1);
    expect(intents.get(id)?.status).toBe('requires_capture');
    expect(api.calls.slice(1).map((call) => [call.routeId, call.status, call.applied, call.fault])).toEqual([
      [toyRoutes.capture, 'network-error', false, 'outage'],
      [toyRoutes.health, 'network-error', false, 'outage'],
      [toyRoutes.create, 'network-error', false, 'outage'],
    ]);
  });
});

describe('matching', () => {
  it('applies a route rule only to that route', async () => {
    api.faults.inject({ route: toyRoutes.capture, kind: 'reset-before-apply' });
    expect((await fetch(`${baseUrl}/v1/health`)).status).toBe(200);
  });

  it('counts down times, then removes the rule', async () => {
    const handle = api.faults.inject({ route: toyRoutes.health, kind: 'server-error', times: 2 });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) statuses.push((await fetch(`${baseUrl}/v1/health`)).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect(handle.timesApplied).toBe(2);
    expect(handle.active).toBe(false);
    expect(api.faults.active).toEqual([]);
  });

  it('matches in insertion order: the first non-latency rule wins, latency rules add up', async () => {
    api.faults.inject({ route: toyRoutes.health, kind: 'latency', milliseconds: 40 });
    const first = api.faults.inject({ route: toyRoutes.health, kind: 'rate-limit', retryAfterSeconds: 1, times: 1 });
    const second = api.faults.inject({ kind: 'server-error', status: 502 });
    api.faults.inject({ kind: 'latency', milliseconds: 40 });
    const started = performance.now();
    expect((await fetch(`${baseUrl}/v1/health`)).status).toBe(429);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    expect((await fetch(`${baseUrl}/v1/health`)).status).toBe(502);
    expect([first.timesApplied, second.timesApplied]).toEqual([1, 1]);
    expect(lastCall()?.fault).toBe('server-error');
  });

  it('narrows a rule with when()', async () => {
    const first = await createIntent();
    const second = await createIntent();
    api.faults.inject({
      route: toyRoutes.capture,
      kind: 'reset-before-apply',
      when: (request) => request.params.intent === second && request.method === 'POST' && request.url.pathname.endsWith('/capture'),
    });
    expect((await capture(first)).status).toBe(200);
    await expect(capture(second)).rejects.toThrow(TypeError);
    expect(intents.get(second)?.status).toBe('requires_capture');
  });

  it('lets when() read the body and headers', async () => {
    api.faults.inject({
      kind: 'server-error',
      when: (request) => request.bodyText.includes('amount=13') && request.headers.get('x-test') === 'yes',
    });
    expect((await postForm(`${baseUrl}/v1/payment_intents`, { amount: '13' }, { headers: { 'x-test': 'yes' } })).status).toBe(500);
    expect((await postForm(`${baseUrl}/v1/payment_intents`, { amount: '13' })).status).toBe(200);
  });

  it('remove() and clear() stop rules; removing twice is harmless', async () => {
    const handle = api.faults.inject({ kind: 'outage' });
    const other = api.faults.inject({ kind: 'latency', milliseconds: 1 });
    expect(api.faults.active).toEqual([handle, other]);
    handle.remove();
    handle.remove();
    expect(handle.active).toBe(false);
    expect(api.faults.active).toEqual([other]);
    expect((await fetch(`${baseUrl}/v1/health`)).status).toBe(200);
    api.faults.clear();
    expect(other.active).toBe(false);
    expect(api.faults.active).toEqual([]);
  });

  it('applies probability from the seeded generator: reproducible, spared requests do not count', async () => {
    async function run(seed: number): Promise<{ statuses: number[]; timesApplied: number }> {
      const fake = createToyPaymentsApi({ name: `seeded-${seed}`, baseUrl: `https://seeded-${seed}.test`, seed });
      server.use(...fake.api.handlers);
      const handle = fake.api.faults.inject({ kind: 'server-error', probability: 0.5, times: 5 });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 30; attempt += 1) {
        statuses.push((await fetch(`https://seeded-${seed}.test/v1/health`)).status);
      }
      return { statuses, timesApplied: handle.timesApplied };
    }
    const first = await run(7);
    const again = await run(7);
    expect(again.statuses).toEqual(first.statuses);
    expect(first.statuses.filter((status) => status === 500)).toHaveLength(5);
    expect(first.timesApplied).toBe(5);
    // Faults are spread out, not the first five requests.
    expect(first.statuses.slice(0, 5)).not.toEqual([500, 500, 500, 500, 500]);

    // The sequence is the seeded generator's: a request is faulted when next() < probability.
    const random = createSeededRandom(7);
    const expected: number[] = [];
    let faulted = 0;
    for (let attempt = 0; attempt < 30; attempt += 1) {
      if (faulted < 5 && random.next() < 0.5) {
        expected.push(500);
        faulted += 1;
      } else expected.push(200);
    }
    expect(first.statuses).toEqual(expected);
  });

  it('probability 0 never applies and probability 1 always does', async () => {
    const never = api.faults.inject({ route: toyRoutes.health, kind: 'server-error', probability: 0 });
    expect((await fetch(`${baseUrl}/v1/health`)).status).toBe(200);
    never.remove();
    api.faults.inject({ route: toyRoutes.health, kind: 'server-error', probability: 1 });
    expect((await fetch(`${baseUrl}/v1/health`)).status).toBe(500);
  });
});

describe('rule validation', () => {
  it('rejects unknown routes and invalid numbers', () => {
    expect(() => api.faults.inject({ route: 'POST /v1/typo', kind: 'outage' })).toThrow(/unknown route "POST \/v1\/typo"/);
    expect(() => api.faults.inject({ kind: 'outage', times: 0 })).toThrow(/"times" must be a positive integer/);
    expect(() => api.faults.inject({ kind: 'outage', times: 1.5 })).toThrow(/"times"/);
    expect(() => api.faults.inject({ kind: 'outage', probability: 1.2 })).toThrow(/"probability"/);
    expect(() => api.faults.inject({ kind: 'outage', probability: Number.NaN })).toThrow(/"probability"/);
    expect(() => api.faults.inject({ kind: 'latency', milliseconds: -1 })).toThrow(/"milliseconds"/);
    expect(() => api.faults.inject({ kind: 'timeout-after-apply', milliseconds: Number.POSITIVE_INFINITY })).toThrow(
      /"milliseconds"/,
    );
    expect(() => api.faults.inject({ kind: 'rate-limit', retryAfterSeconds: -5 })).toThrow(/"retryAfterSeconds"/);
    expect(api.faults.active).toEqual([]);
  });
});

describe('createFaultController', () => {
  it('selects without a fake API, drawing only for rules with a probability', () => {
    const draws: number[] = [];
    const random = { next: () => (draws.push(0.9), 0.9), integer: () => 0 };
    const controller = createFaultController({ routeIds: ['a', 'b'], random });
    controller.inject({ route: 'a', kind: 'latency', milliseconds: 5 });
    controller.inject({ route: 'b', kind: 'outage', probability: 0.5 });
    controller.inject({ kind: 'reset-after-apply' });
    const request = {
      routeId: 'a',
      method: 'GET',
      url: new URL('https://x.test/a'),
      params: {},
      headers: new Headers(),
      bodyText: '',
    };
    expect(controller.select(request)).toEqual({ latencyMilliseconds: 5, terminal: { kind: 'reset-after-apply' } });
    expect(draws).toEqual([]);
    expect(controller.select({ ...request, routeId: 'b' })).toEqual({
      latencyMilliseconds: 0,
      terminal: { kind: 'reset-after-apply' },
    });
    expect(draws).toEqual([0.9]);
  });
});
