import '@shopify/shopify-api/adapters/node';
import { setAbstractFetchFunc } from '@shopify/shopify-api/runtime';

/**
 * The transport of `@shopify/shopify-api` is its runtime's "abstract fetch", process-wide, set by
 * a runtime adapter (`@shopify/shopify-api/adapters/node` installs the `fetch` that exists at
 * import time). Its GraphQL clients copy it when they are constructed, and its store URL is
 * always `https://{shop}` (the client forces the scheme). `setAbstractFetchFunc` from
 * `@shopify/shopify-api/runtime` is the library's supported way to change the transport; the
 * adapter uses it to install `routingFetch` before it builds a client, which:
 *
 * - calls `globalThis.fetch` at request time, not import time, so msw (and any other fetch
 *   interceptor installed later) sees the requests (TOOLING gotcha 1 no longer needs a manual fix);
 * - sends the requests of a shop registered with `routeShop` to another origin, e.g. a fake
 *   served over loopback HTTP (`http://127.0.0.1:<port>`), keeping path and query;
 * - remembers, per request signal, a connection that failed before anything was sent, so a write
 *   that never left the process is reported as unavailable rather than as an unknown outcome.
 *
 * The routing fetch behaves exactly like the node adapter's for every shop not registered.
 */

const routes = new Map<string, string>();
const notSent = new WeakSet<AbortSignal>();

/** Error codes of a connection that failed before the request was written. */
const beforeSendingCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth += 1) {
    const code = (current as { readonly code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { readonly cause?: unknown }).cause;
  }
  return undefined;
}

/** The fetch the adapter installs into `@shopify/shopify-api` (see the module comment). */
export async function routingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const origin = routes.get(url.host);
  const target = origin === undefined ? input : `${origin}${url.pathname}${url.search}`;
  try {
    return await globalThis.fetch(target, init);
  } catch (error) {
    const signal = init?.signal ?? undefined;
    if (signal !== undefined && signal !== null && beforeSendingCodes.has(errorCode(error) ?? '')) notSent.add(signal);
    throw error;
  }
}

/**
 * Installs `routingFetch` as the library's transport. Called right before every client is built,
 * since a client keeps the transport it was built with: whatever else replaced it in between,
 * the adapter's clients always route.
 */
export function installRoutingFetch(): void {
  setAbstractFetchFunc(routingFetch);
}

/**
 * Sends the Admin API requests of `shopDomain` to `origin` (scheme, host and port), or back to
 * `https://{shopDomain}` when `origin` is `undefined`. Process-wide: the last adapter created for
 * a shop decides where its requests go.
 */
export function routeShop(shopDomain: string, origin: string | undefined): void {
  if (origin === undefined) routes.delete(shopDomain);
  else routes.set(shopDomain, origin.replace(/\/+$/, ''));
}

/** Whether the request made with `signal` failed to connect, so nothing was sent. */
export function failedBeforeSending(signal: AbortSignal): boolean {
  return notSent.has(signal);
}
