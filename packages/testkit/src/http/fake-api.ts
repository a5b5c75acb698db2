import { http, type HttpHandler } from 'msw';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  parseJsonOrUndefined,
  redactHeaders,
  type MutableRecordedCall,
  type RecordedCall,
} from './call-recorder.js';
import {
  createFaultController,
  type FaultInjector,
  type FaultRequest,
  type TerminalFaultRule,
} from './fault-injection.js';
import { json, renderFakeResponse, type FakeResponse, type RenderedFakeResponse } from './fake-response.js';
import { createSeededRandom } from './seeded-random.js';
import { registerTrafficSource, writeTrafficDump, type TrafficSource } from './traffic-dump.js';

/** HTTP methods a fake route can answer. */
export type FakeHttpMethod = 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';

/** What a fake route's `handle` gets. The toolkit has already read the body once. */
export interface FakeRouteContext {
  /** Id of the matched route. */
  readonly routeId: string;
  /** The intercepted request. Its body is already consumed: use `bodyText`, `json()` or `form()`. */
  readonly request: Request;
  /** Path parameters, e.g. `{ intent: 'pi_1' }` for `/v1/payment_intents/:intent`. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed request URL (query string in `url.searchParams`). */
  readonly url: URL;
  /** The request headers, not redacted. */
  readonly headers: Headers;
  /** The request body as text (`''` when there is none). */
  readonly bodyText: string;
  /**
   * The body parsed as JSON. The type argument is a cast, not a check.
   * @throws SyntaxError when the body is not JSON (the fake then answers 500, see `createFakeApi`).
   */
  json<T = unknown>(): T;
  /** The body parsed as `application/x-www-form-urlencoded` (Stripe style, `metadata[key]=value` stays flat). */
  form(): URLSearchParams;
}

/** One endpoint of a fake API. */
export interface FakeRoute {
  /** HTTP method. */
  readonly method: FakeHttpMethod;
  /** Path below the API's base URL, with msw-style parameters: `/v1/payment_intents/:intent/capture`. */
  readonly path: string;
  /**
   * Id used by the call recorder and by fault rules.
   * @default `${method} ${path}`, e.g. `'POST /v1/payment_intents/:intent/capture'`
   */
  readonly id?: string | undefined;
  /**
   * Answers the request; may change the fake's state. A thrown error becomes a 500 JSON answer
   * `{ error: { type: 'fake_route_error', message } }` so a bug in a fake shows up in the recording.
   */
  handle(context: FakeRouteContext): FakeResponse | Promise<FakeResponse>;
}

/** Options of {@link createFakeApi}. */
export interface CreateFakeApiOptions {
  /** Name of the API (`stripe`, `paypal`, ...); names the traffic dump file. */
  readonly name: string;
  /** Origin plus optional path prefix every route lives under, e.g. `https://api.stripe.com`. */
  readonly baseUrl: string;
  /** The endpoints. Route ids must be unique. */
  readonly routes: readonly FakeRoute[];
  /**
   * Seed of the generator behind fault `probability`, so runs are reproducible.
   * @default 1
   */
  readonly seed?: number | undefined;
  /**
   * Record calls. Turn it off for long benchmarks, where the recording would grow without bound.
   * @default true
   */
  readonly recordCalls?: boolean | undefined;
  /** Header names to redact in recordings besides the built-in ones (see `isSecretHeaderName`). */
  readonly secretHeaders?: readonly string[] | undefined;
}

/** A fake HTTP API built on msw: routes, a call recorder, fault injection and traffic dumps. */
export interface FakeApi extends TrafficSource {
  /** Name of the API. */
  readonly name: string;
  /** Base URL without a trailing slash. */
  readonly baseUrl: string;
  /** Ids of every route, in declaration order. */
  readonly routeIds: readonly string[];
  /**
   * The msw handlers: `setupServer(...fakeApi.handlers)`, or combine several fake APIs in one
   * server, or serve them over loopback HTTP with `serveOverHttp`.
   */
  readonly handlers: HttpHandler[];
  /** Every recorded call in arrival order (a live view; in-flight calls have status `'pending'`). */
  readonly calls: readonly RecordedCall[];
  /**
   * The recorded calls to one route.
   * @throws Error when the API has no route with that id (catches typos).
   */
  callsTo(routeId: string): RecordedCall[];
  /** Forgets every recorded call. */
  resetCalls(): void;
  /** Resolves once every request that has arrived so far is answered (or has failed). */
  waitForPendingCalls(): Promise<void>;
  /** Fault injection, per route or for the whole API. */
  readonly faults: FaultInjector;
  /**
   * Writes the recorded calls to a JSON file (a `TrafficDump`), creating missing folders.
   * @param filePath Where to write.
   */
  dumpTraffic(filePath: string): Promise<void>;
}

/** How long a `timeout-after-apply` fault holds a request whose client never aborts. */
const defaultTimeoutMilliseconds = 30_000;

const handlerFactories: Readonly<Record<FakeHttpMethod, typeof http.get>> = {
  GET: http.get,
  POST: http.post,
  DELETE: http.delete,
  PATCH: http.patch,
  PUT: http.put,
};

/**
 * Creates a fake HTTP API.
 * @throws Error when the base URL is not absolute, a path does not start with `/`, or two routes share an id.
 * @example
 * const intents = new Map<string, { status: string }>();
 * const stripe = createFakeApi({
 *   name: 'stripe',
 *   baseUrl: 'https://api.stripe.com',
 *   routes: [
 *     {
 *       method: 'POST',
 *       path: '/v1/payment_intents/:intent/capture',
 *       handle: ({ params }) => {
 *         intents.set(params.intent!, { status: 'succeeded' });
 *         return json({ id: params.intent, status: 'succeeded' });
 *       },
 *     },
 *   ],
 * });
 * const server = setupServer(...stripe.handlers);
 * stripe.faults.inject({ route: 'POST /v1/payment_intents/:intent/capture', kind: 'timeout-after-apply', times: 1 });
 */
export function createFakeApi(options: CreateFakeApiOptions): FakeApi {
  const { name } = options;
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const recordCalls = options.recordCalls ?? true;
  const secretHeaders = options.secretHeaders ?? [];
  const routeIds: string[] = [];
  const identifiedRoutes = options.routes.map((route) => {
    if (!route.path.startsWith('/')) {
      throw new Error(`Fake API "${name}": route path "${route.path}" must start with "/"`);
    }
    const routeId = route.id ?? `${route.method} ${route.path}`;
    if (routeIds.includes(routeId)) throw new Error(`Fake API "${name}": duplicate route id "${routeId}"`);
    routeIds.push(routeId);
    return { route, routeId };
  });
  const faults = createFaultController({ routeIds, random: createSeededRandom(options.seed ?? 1) });
  let calls: MutableRecordedCall[] = [];
  const pendingCalls = new Set<Promise<void>>();

  async function resolveCall(
    route: FakeRoute,
    call: MutableRecordedCall,
    request: Request,
    params: Readonly<Record<string, string>>,
  ): Promise<RenderedFakeResponse> {
    const bodyText = await request.text();
    if (recordCalls) {
      call.requestBody = bodyText;
      call.requestBodyJson = parseJsonOrUndefined(bodyText);
    }
    const url = new URL(request.url);
    const faultRequest: FaultRequest = {
      routeId: call.routeId,
      method: call.method,
      url,
      params,
      headers: request.headers,
      bodyText,
    };
    const { latencyMilliseconds, terminal } = faults.select(faultRequest);
    if (latencyMilliseconds > 0) {
      call.fault = 'latency';
      await sleep(latencyMilliseconds);
    }
    const context: FakeRouteContext = {
      routeId: call.routeId,
      request,
      params,
      url,
      headers: request.headers,
      bodyText,
      json: <T>() => JSON.parse(bodyText) as T,
      form: () => new URLSearchParams(bodyText),
    };
    const apply = async (): Promise<RenderedFakeResponse> => {
      call.applied = true;
      return renderFakeResponse(await route.handle(context));
    };
    if (terminal === undefined) return apply();
    call.fault = terminal.kind;
    return applyFault(terminal, apply, request.signal);
  }

  function handleRequest(
    route: FakeRoute,
    routeId: string,
    request: Request,
    params: Readonly<Record<string, string>>,
  ): Promise<Response> {
    const startedAtMonotonic = performance.now();
    const call: MutableRecordedCall = {
      routeId,
      method: request.method.toUpperCase(),
      url: request.url,
      requestHeaders: recordCalls ? redactHeaders(request.headers, secretHeaders) : {},
      requestBody: '',
      requestBodyJson: undefined,
      status: 'pending',
      responseBody: undefined,
      applied: false,
      startedAt: Date.now(),
      durationMilliseconds: 0,
      fault: undefined,
    };
    // Recorded synchronously, before the body is read: see TOOLING gotcha 6.
    if (recordCalls) calls.push(call);
    const answer = resolveCall(route, call, request, params)
      .catch((error: unknown) => renderRouteError(name, routeId, error))
      .then((rendered) => {
        call.status = rendered.status;
        call.responseBody = rendered.bodyText;
        call.durationMilliseconds = roundMilliseconds(performance.now() - startedAtMonotonic);
        return rendered.response;
      });
    const settled = answer.then(() => undefined);
    pendingCalls.add(settled);
    void settled.then(() => pendingCalls.delete(settled));
    return answer;
  }

  const handlers = identifiedRoutes.map(({ route, routeId }) =>
    handlerFactories[route.method](`${baseUrl}${route.path}`, ({ request, params }) =>
      handleRequest(route, routeId, request, normalizeParams(params)),
    ),
  );

  const fakeApi: FakeApi = {
    name,
    baseUrl,
    routeIds,
    handlers,
    faults,
    get calls() {
      return calls;
    },
    callsTo(routeId) {
      if (!routeIds.includes(routeId)) {
        throw new Error(`Fake API "${name}" has no route "${routeId}"; known routes: ${routeIds.join(', ')}`);
      }
      return calls.filter((call) => call.routeId === routeId);
    },
    resetCalls() {
      calls = [];
    },
    async waitForPendingCalls() {
      while (pendingCalls.size > 0) await Promise.all(pendingCalls);
    },
    dumpTraffic(filePath) {
      return writeTrafficDump(fakeApi, filePath);
    },
  };
  registerTrafficSource(fakeApi);
  return fakeApi;
}

const networkErrorOutcome = (): RenderedFakeResponse => renderFakeResponse({ type: 'network-error' });

async function applyFault(
  rule: TerminalFaultRule,
  apply: () => Promise<RenderedFakeResponse>,
  signal: AbortSignal,
): Promise<RenderedFakeResponse> {
  switch (rule.kind) {
    case 'reset-before-apply':
    case 'outage':
      return networkErrorOutcome();
    case 'reset-after-apply':
      await apply();
      return networkErrorOutcome();
    case 'timeout-after-apply':
      await apply();
      await waitForAbortOrTimeout(signal, rule.milliseconds ?? defaultTimeoutMilliseconds);
      return networkErrorOutcome();
    case 'server-error': {
      const status = rule.status ?? 500;
      if (rule.applyFirst === true) await apply();
      const body = rule.body ?? { error: { message: `Injected server error (${status})` } };
      return renderFakeResponse(json(body, { status, headers: rule.headers }));
    }
    case 'rate-limit': {
      const body = rule.body ?? {
        error: { message: `Too many requests: retry after ${rule.retryAfterSeconds} seconds` },
      };
      const headers = { 'retry-after': String(rule.retryAfterSeconds), ...rule.headers };
      return renderFakeResponse(json(body, { status: 429, headers }));
    }
  }
}

function waitForAbortOrTimeout(signal: AbortSignal, milliseconds: number): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    // Unreferenced: a request nobody waits for must not keep a test process alive.
    const timer = setTimeout(finish, milliseconds).unref();
    signal.addEventListener('abort', finish, { once: true });
  });
}

function renderRouteError(name: string, routeId: string, error: unknown): RenderedFakeResponse {
  const reason = error instanceof Error ? error.message : String(error);
  const message = `Fake API "${name}" route "${routeId}" failed: ${reason}`;
  return renderFakeResponse(json({ error: { type: 'fake_route_error', message } }, { status: 500 }));
}

function normalizeBaseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new Error(`Fake API base URL must be absolute, got "${baseUrl}"`);
  }
  return `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
}

function normalizeParams(params: Readonly<Record<string, string | readonly string[] | undefined>>): Record<string, string> {
  const normalized: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    normalized[key] = typeof value === 'string' ? value : value.join('/');
  }
  return normalized;
}

function roundMilliseconds(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}
