/** Status and headers a fake route may set on its answer. */
export interface FakeResponseInit {
  /** HTTP status. */
  readonly status?: number | undefined;
  /** Extra response headers; they override the toolkit's defaults (such as `content-type`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** A JSON answer: `body` is serialized with `JSON.stringify` and sent as `application/json`. */
export interface FakeJsonResponse extends FakeResponseInit {
  /** Discriminant. */
  readonly type: 'json';
  /** Any JSON-serializable value. */
  readonly body: unknown;
}

/** A plain-text answer, sent as `text/plain` unless `headers` says otherwise. */
export interface FakeTextResponse extends FakeResponseInit {
  /** Discriminant. */
  readonly type: 'text';
  /** The response body, sent as is. */
  readonly body: string;
}

/** An answer without a body. */
export interface FakeEmptyResponse extends FakeResponseInit {
  /** Discriminant. */
  readonly type: 'empty';
}

/** No answer at all: the client sees a failed connection (`fetch` rejects with a `TypeError`). */
export interface FakeNetworkErrorResponse {
  /** Discriminant. */
  readonly type: 'network-error';
}

/** What a fake route's `handle` returns. Build one with {@link json}, {@link text}, {@link empty} or {@link networkError}. */
export type FakeResponse = FakeJsonResponse | FakeTextResponse | FakeEmptyResponse | FakeNetworkErrorResponse;

/**
 * A JSON answer.
 * @param body Any JSON-serializable value.
 * @param init Status (default 200) and extra headers.
 * @example
 * return json({ id: 'pi_1', status: 'succeeded' }, { status: 200 });
 */
export function json(body: unknown, init: FakeResponseInit = {}): FakeJsonResponse {
  return { type: 'json', body, status: init.status, headers: init.headers };
}

/**
 * A plain-text answer.
 * @param body The body, sent as is.
 * @param init Status (default 200) and extra headers.
 */
export function text(body: string, init: FakeResponseInit = {}): FakeTextResponse {
  return { type: 'text', body, status: init.status, headers: init.headers };
}

/**
 * An answer without a body.
 * @param init Status (default 204) and extra headers.
 */
export function empty(init: FakeResponseInit = {}): FakeEmptyResponse {
  return { type: 'empty', status: init.status, headers: init.headers };
}

/** A network error: the connection fails and the client gets no HTTP answer. */
export function networkError(): FakeNetworkErrorResponse {
  return { type: 'network-error' };
}

/** A fake answer turned into a Fetch `Response`, with what the call recorder keeps of it. */
export interface RenderedFakeResponse {
  /** The Fetch response msw sends back (`Response.error()` for a network error). */
  readonly response: Response;
  /** The HTTP status, or `'network-error'`. */
  readonly status: number | 'network-error';
  /** The body text as sent, or `undefined` when there is none. */
  readonly bodyText: string | undefined;
}

/**
 * Turns a {@link FakeResponse} into a Fetch `Response`.
 * @internal Used by the fake API and the fault injector; provider fakes return `FakeResponse` values instead.
 */
export function renderFakeResponse(fakeResponse: FakeResponse): RenderedFakeResponse {
  if (fakeResponse.type === 'network-error') {
    return { response: Response.error(), status: 'network-error', bodyText: undefined };
  }
  const headers = new Headers(fakeResponse.headers);
  if (fakeResponse.type === 'empty') {
    const status = fakeResponse.status ?? 204;
    return { response: new Response(null, { status, headers }), status, bodyText: undefined };
  }
  const status = fakeResponse.status ?? 200;
  let bodyText: string;
  if (fakeResponse.type === 'json') {
    // JSON.stringify(undefined) is undefined: send `null` so the body stays valid JSON.
    bodyText = JSON.stringify(fakeResponse.body) ?? 'null';
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  } else {
    bodyText = fakeResponse.body;
    if (!headers.has('content-type')) headers.set('content-type', 'text/plain; charset=utf-8');
  }
  return { response: new Response(bodyText, { status, headers }), status, bodyText };
}
