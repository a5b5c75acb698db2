import { adyenFakeDefaults } from '@paymigrate/testkit';
import { bypass, http } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';

/** A running bridge. */
export interface AdyenBridge {
  /** Stops intercepting. */
  close(): void;
}

/** Request headers that describe the connection, not the request. */
const hopHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

/**
 * Sends the Adyen adapter's calls to the world's Adyen fake. The Adyen SDK speaks HTTPS only (a
 * new TLS agent per request, no way to trust a loopback certificate), so the rehearsal keeps the
 * adapter on Adyen's test host and intercepts that host in this process (msw), forwarding each
 * request unchanged to the fake's loopback HTTP server in the world. Every other request of the
 * process passes through untouched.
 */
export function bridgeAdyenToWorld(worldAdyenOrigin: string): AdyenBridge {
  const handler = http.all(`${adyenFakeDefaults.baseUrl}/*`, async ({ request }) => {
    const url = new URL(request.url);
    const headers = new Headers();
    request.headers.forEach((value, name) => {
      if (!hopHeaders.has(name)) headers.set(name, value);
    });
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
    const forwarded = await fetch(bypass(new Request(`${worldAdyenOrigin}${url.pathname}${url.search}`, { method: request.method, headers, body })));
    const answerHeaders = new Headers();
    forwarded.headers.forEach((value, name) => {
      if (!hopHeaders.has(name) && name !== 'content-encoding') answerHeaders.set(name, value);
    });
    return new Response(await forwarded.arrayBuffer(), { status: forwarded.status, headers: answerHeaders });
  });
  const server: SetupServer = setupServer(handler);
  server.listen({ onUnhandledRequest: 'bypass' });
  return { close: () => server.close() };
}
