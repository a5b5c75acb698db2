import { getResponse, type RequestHandler } from 'msw';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LoopbackTlsCredentials } from './loopback-tls.js';

/** Options of {@link serveOverHttp}. */
export interface ServeOverHttpOptions {
  /**
   * Port to listen on; `0` picks a free one.
   * @default 0
   */
  readonly port?: number | undefined;
  /**
   * Interface to listen on. Loopback only: the fakes are test doubles, never exposed.
   * @default '127.0.0.1'
   */
  readonly host?: '127.0.0.1' | undefined;
  /**
   * Origin the handlers are registered for, e.g. `https://api.stripe.com`. A request to
   * `http://127.0.0.1:<port>/v1/charges` is then matched as `https://api.stripe.com/v1/charges`.
   * @default the local server's own origin
   */
  readonly rewriteOrigin?: string | undefined;
  /**
   * How long an idle keep-alive connection stays open. Longer than the usual client agent's
   * idle timeout, so the client closes first and never reuses a socket the server just closed.
   * @default 65000
   */
  readonly keepAliveTimeoutMilliseconds?: number | undefined;
  /**
   * Serve HTTPS with these credentials (e.g. `loopbackTlsCredentials`) instead of plain HTTP, for
   * clients that speak HTTPS only; they must trust the certificate. The URL is then `https://`.
   * @default plain HTTP
   */
  readonly tls?: LoopbackTlsCredentials | undefined;
}

/** A running loopback server, returned by {@link serveOverHttp}. */
export interface LoopbackHttpServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`), without a trailing slash. */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** How many TCP connections the server has accepted so far (a keep-alive client reuses one). */
  connectionsAccepted(): number;
  /** Stops listening and ends every connection, including requests still being handled. Calling it again returns the same promise. */
  close(): Promise<void>;
}

/** Request headers that describe the connection, not the request; a fetch through msw never shows them. */
const connectionHeaders: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'host',
  'content-length',
]);

/** Response headers the server computes itself. */
const computedResponseHeaders: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'set-cookie',
]);

/**
 * Serves msw handlers (typically `fakeApi.handlers`) from a real `node:http` server on loopback, for
 * benchmarks and for clients msw cannot intercept. msw interception tops out near 2,000 calls/s;
 * this serves several times more, more still from a child process with a keep-alive client agent.
 *
 * Each request is turned into a Fetch `Request` and resolved with msw's `getResponse`. No match
 * answers 404 JSON `{ error: { message } }`; a network-error answer destroys the socket (the client
 * sees a real connection reset after it sent the request, as from a provider that drops it); a handler
 * that throws answers 500 JSON. When the client disconnects, the request's `AbortSignal` fires.
 *
 * @param handlers msw request handlers, matched in order.
 * @example
 * const server = await serveOverHttp(stripe.handlers, { rewriteOrigin: 'https://api.stripe.com' });
 * const stripeClient = new Stripe(key, { host: '127.0.0.1', port: server.port, protocol: 'http' });
 * // ...
 * await server.close();
 */
export async function serveOverHttp(
  handlers: readonly RequestHandler[],
  options: ServeOverHttpOptions = {},
): Promise<LoopbackHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const handlerList = [...handlers];
  const rewriteOrigin = options.rewriteOrigin === undefined ? undefined : new URL(options.rewriteOrigin).origin;
  let localOrigin = '';

  const onRequest = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    void answer(handlerList, rewriteOrigin ?? localOrigin, incoming, outgoing);
  };
  const server = options.tls === undefined ? createServer(onRequest) : createTlsServer({ key: options.tls.key, cert: options.tls.certificate }, onRequest);
  server.keepAliveTimeout = options.keepAliveTimeoutMilliseconds ?? 65_000;
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  localOrigin = `${options.tls === undefined ? 'http' : 'https'}://${host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: localOrigin,
    port,
    connectionsAccepted: () => connections,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function answer(
  handlers: RequestHandler[],
  origin: string,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<void> {
  const abortController = new AbortController();
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) abortController.abort();
  });
  let response: Response;
  try {
    const request = await toFetchRequest(incoming, origin, abortController.signal);
    response =
      (await getResponse(handlers, request)) ??
      Response.json({ error: { message: `No fake route matches ${request.method} ${request.url}` } }, { status: 404 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    response = Response.json({ error: { message: `Fake handler failed: ${reason}` } }, { status: 500 });
  }
  if (outgoing.destroyed) return;
  if (response.type === 'error') {
    incoming.socket.destroy();
    return;
  }
  const body = incoming.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer());
  response.headers.forEach((value, name) => {
    if (!computedResponseHeaders.has(name)) outgoing.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) outgoing.setHeader('set-cookie', cookies);
  outgoing.setHeader('content-length', body.length);
  outgoing.writeHead(response.status);
  outgoing.end(body);
}

async function toFetchRequest(incoming: IncomingMessage, origin: string, signal: AbortSignal): Promise<Request> {
  // A server-side IncomingMessage always has a method and a URL.
  const method = incoming.method as string;
  const headers = new Headers();
  const { rawHeaders } = incoming;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string;
    if (!connectionHeaders.has(name.toLowerCase())) headers.append(name, rawHeaders[index + 1] as string);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const hasBody = method !== 'GET' && method !== 'HEAD' && chunks.length > 0;
  return new Request(`${origin}${incoming.url as string}`, {
    method,
    headers,
    body: hasBody ? Buffer.concat(chunks) : null,
    signal,
  });
}
