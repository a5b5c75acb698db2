import { http, HttpResponse } from 'msw';
import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createToyPaymentsApi, postForm, toyRoutes } from './__fixtures__/toy-payments-api.js';
import { redactedValue } from './call-recorder.js';
import { serveOverHttp, type LoopbackHttpServer } from './http-server.js';
import { loopbackTlsCredentials } from './loopback-tls.js';

// No msw interception in this file: every request below really travels over loopback TCP.
const openServers: LoopbackHttpServer[] = [];
afterEach(async () => {
  await Promise.all(openServers.splice(0).map((server) => server.close()));
});

async function serve(...parameters: Parameters<typeof serveOverHttp>): Promise<LoopbackHttpServer> {
  const server = await serveOverHttp(...parameters);
  openServers.push(server);
  return server;
}

interface RawAnswer {
  readonly status: number | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly reusedSocket: boolean;
}

function rawRequest(url: string, options: { method?: string; agent?: Agent; body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: options.method ?? 'GET', agent: options.agent }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode,
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          reusedSocket: outgoing.reusedSocket,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('serveOverHttp', () => {
  it('serves a fake API over loopback with origin rewrite: params, bodies, state and recording', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: `${toy.api.baseUrl}/ignored/path` });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);

    const created = await postForm(`${server.url}/v1/payment_intents`, { amount: '900', currency: 'gbp' }, {
      headers: { authorization: 'Bearer sk_test_1', 'idempotency-key': 'k1' },
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toBe('application/json');
    expect(created.headers.get('request-id')).toBe('req_pi_1');
    expect(await created.json()).toMatchObject({ id: 'pi_1', amount: 900, currency: 'gbp' });

    const captured = await fetch(`${server.url}/v1/payment_intents/pi_1/capture`, { method: 'POST' });
    expect(await captured.json()).toMatchObject({ status: 'succeeded' });
    expect(toy.intents.get('pi_1')?.captureCount).toBe(1);

    const metadata = await fetch(`${server.url}/v1/payment_intents/pi_1/metadata`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 'o_9' }),
    });
    expect(metadata.status).toBe(201);

    const patched = await fetch(`${server.url}/v1/payment_intents/pi_1?label=x`, { method: 'PATCH' });
    expect(await patched.text()).toBe('described pi_1 as x');
    const deleted = await fetch(`${server.url}/v1/payment_intents/pi_1`, { method: 'DELETE' });
    expect([deleted.status, await deleted.text()]).toEqual([204, '']);

    const [firstCall] = toy.api.calls;
    expect(firstCall).toMatchObject({
      routeId: toyRoutes.create,
      method: 'POST',
      url: 'https://api.toy-payments.test/v1/payment_intents',
      requestBody: 'amount=900&currency=gbp',
      status: 200,
    });
    expect(firstCall?.requestHeaders).toMatchObject({ authorization: redactedValue, 'idempotency-key': 'k1' });
    // Connection headers are the server's business, as under msw interception.
    expect(firstCall?.requestHeaders).not.toHaveProperty('host');
    expect(firstCall?.requestHeaders).not.toHaveProperty('connection');
    expect(toy.api.callsTo(toyRoutes.metadata)[0]?.requestBodyJson).toEqual({ order: 'o_9' });
  });

  it('builds absolute URLs on its own origin without a rewrite', async () => {
    const server = await serve([http.get('*/echo', ({ request }) => HttpResponse.json({ url: request.url }))]);
    const response = await fetch(`${server.url}/echo?x=1`);
    expect(await response.json()).toEqual({ url: `${server.url}/echo?x=1` });
  });

  it('answers 404 JSON when no handler matches, and HEAD without a body', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl });
    const missing = await fetch(`${server.url}/v1/nothing`, { method: 'POST', body: 'a=1' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { message: 'No fake route matches POST https://api.toy-payments.test/v1/nothing' },
    });
    const head = await rawRequest(`${server.url}/v1/health`, { method: 'HEAD' });
    expect(head.status).toBe(404);
    expect(head.body).toBe('');
  });

  it('serves HTTPS with the loopback test certificate to a client that trusts it, and resets TLS connections too', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl, tls: loopbackTlsCredentials });
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const get = (path: string, trusted: boolean) =>
      new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
        const outgoing = httpsRequest(`${server.url}${path}`, trusted ? { ca: loopbackTlsCredentials.certificate } : {}, (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => resolve({ status: incoming.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        });
        outgoing.on('error', reject);
        outgoing.end();
      });
    expect(await get('/v1/health', true)).toEqual({ status: 200, body: expect.any(String) as string });
    expect(server.connectionsAccepted()).toBe(1);
    // Nobody trusts the test certificate by default.
    await expect(get('/v1/health', false)).rejects.toThrow(/self[- ]signed|certificate/i);
    toy.api.faults.inject({ route: toyRoutes.health, kind: 'reset-after-apply', times: 1 });
    await expect(get('/v1/health', true)).rejects.toThrow(/socket hang up|ECONNRESET/i);
  });

  it('destroys the socket for a network error', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl });
    toy.api.faults.inject({ route: toyRoutes.health, kind: 'reset-before-apply', times: 1 });
    const failure = await fetch(`${server.url}/v1/health`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(String((failure as TypeError).cause)).toMatch(/other side closed|socket hang up|ECONNRESET/i);
    await expect(rawRequest(`${server.url}/v1/health`)).resolves.toMatchObject({ status: 200, body: 'ok' });
  });

  it('shows an applied operation with a failed client under timeout-after-apply', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl });
    await postForm(`${server.url}/v1/payment_intents`, { amount: '5' });
    toy.api.faults.inject({ route: toyRoutes.capture, kind: 'timeout-after-apply' });
    await expect(
      fetch(`${server.url}/v1/payment_intents/pi_1/capture`, { method: 'POST', signal: AbortSignal.timeout(200) }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(toy.intents.get('pi_1')?.status).toBe('succeeded');
    // The client's disconnect aborts the request's signal, so the fake lets go long before 30 s.
    await toy.api.waitForPendingCalls();
    expect(toy.api.callsTo(toyRoutes.capture)[0]).toMatchObject({ status: 'network-error', applied: true });
    expect(toy.api.callsTo(toyRoutes.capture)[0]?.durationMilliseconds).toBeLessThan(5_000);
  });

  it('drops the answer of a request whose client left during latency', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl });
    toy.api.faults.inject({ route: toyRoutes.health, kind: 'latency', milliseconds: 150, times: 1 });
    // Abort only once the server has the request, so a slow machine cannot make the client give up
    // before the request even arrived.
    const controller = new AbortController();
    const pending = fetch(`${server.url}/v1/health`, { signal: controller.signal });
    await vi.waitFor(() => expect(toy.api.calls).toHaveLength(1));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await toy.api.waitForPendingCalls();
    expect(toy.api.calls[0]).toMatchObject({ status: 200, fault: 'latency' });
    expect(await (await fetch(`${server.url}/v1/health`)).text()).toBe('ok');
  });

  it('answers 500 JSON when a plain msw handler throws', async () => {
    const server = await serve([
      http.get('*/error', () => {
        throw new Error('handler bug');
      }),
      http.get('*/string', () => {
        throw 'string bug';
      }),
    ]);
    const error = await fetch(`${server.url}/error`);
    expect([error.status, await error.json()]).toEqual([500, { error: { message: 'Fake handler failed: handler bug' } }]);
    const string = await fetch(`${server.url}/string`);
    expect(await string.json()).toEqual({ error: { message: 'Fake handler failed: string bug' } });
  });

  it('passes repeated request headers and several Set-Cookie headers through', async () => {
    const server = await serve([
      http.get('*/cookies', ({ request }) => {
        const headers = new Headers({ 'x-seen': request.headers.get('x-multi') ?? '' });
        headers.append('set-cookie', 'a=1');
        headers.append('set-cookie', 'b=2');
        return new HttpResponse('done', { headers });
      }),
    ]);
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const outgoing = httpRequest(`${server.url}/cookies`, { headers: { 'x-multi': ['one', 'two'] } }, (incoming) => {
        incoming.resume();
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode, headers: incoming.headers, body: '', reusedSocket: false }),
        );
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(answer.headers['x-seen']).toBe('one, two');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.headers['content-length']).toBe('4');
  });

  it('keeps connections alive between requests', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await rawRequest(`${server.url}/v1/health`, { agent });
      const second = await rawRequest(`${server.url}/v1/payment_intents`, { agent, method: 'POST', body: 'amount=3' });
      expect([first.reusedSocket, second.reusedSocket]).toEqual([false, true]);
      expect(second.status).toBe(200);
      expect(first.headers.connection).toBe('keep-alive');
      expect(toy.api.calls.map((call) => call.requestBody)).toEqual(['', 'amount=3']);
    } finally {
      agent.destroy();
    }
  });

  it('close() stops the server, ends held requests, and can be called twice', async () => {
    const toy = createToyPaymentsApi();
    const server = await serve(toy.api.handlers, { rewriteOrigin: toy.api.baseUrl });
    toy.api.faults.inject({ route: toyRoutes.health, kind: 'timeout-after-apply' });
    const held = fetch(`${server.url}/v1/health`).then(
      () => 'answered',
      () => 'failed',
    );
    await expect.poll(() => toy.api.calls.length, { interval: 5 }).toBe(1);
    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    expect(await held).toBe('failed');
    await toy.api.waitForPendingCalls();
    expect(toy.api.calls[0]).toMatchObject({ status: 'network-error', applied: true });
    expect(toy.api.calls[0]?.durationMilliseconds).toBeLessThan(5_000);
    await expect(fetch(`${server.url}/v1/health`)).rejects.toThrow(TypeError);
  });

  it('listens on a given port and rejects when it is taken', async () => {
    const first = await serve([]);
    const again = await serveOverHttp([], { port: first.port, host: '127.0.0.1' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).toMatchObject({ code: 'EADDRINUSE' });
    const unmatched = await fetch(`${first.url}/anything`);
    expect(unmatched.status).toBe(404);
  });
});
