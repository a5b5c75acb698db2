import { Agent, type AgentOptions } from 'node:https';
import type { Client } from '@adyen/api-library';

/** The SDK's pluggable transport (`ClientInterface`), as `Client` accepts it. */
export type AdyenTransport = NonNullable<ConstructorParameters<typeof Client>[1]>;

/** Options of the agent the adapter keeps for its connections to Adyen. */
export interface AdyenConnectionOptions {
  /** PEM CA certificate(s) replacing the system's trust store (see `AdyenGatewayOptions.certificateAuthority`). */
  readonly certificateAuthority?: string | undefined;
}

/** Connections to Adyen open at most per process; more concurrent calls queue for a free one. */
const maximumSockets = 256;

/**
 * The keep-alive agent every call to Adyen goes through. Idle connections close after 30 s, before
 * the usual 60 s idle timeout of load balancers, so a request rarely meets a socket the other side
 * is closing (when it does, a write is an unknown outcome, resolved by the same-key retry).
 */
export function createAdyenAgent(options: AdyenConnectionOptions = {}): Agent {
  const agentOptions: AgentOptions = {
    keepAlive: true,
    maxSockets: maximumSockets,
    maxFreeSockets: maximumSockets,
    timeout: 30_000,
    scheduling: 'lifo',
    ...(options.certificateAuthority === undefined ? {} : { ca: options.certificateAuthority }),
  };
  return new Agent(agentOptions);
}

/**
 * Makes the Adyen library's requests use `agent`. The library's `HttpURLConnectionClient` assigns a
 * NEW `https.Agent` to every request (@adyen/api-library 32, `createRequest`), so each call would
 * open a TCP connection and do a full TLS handshake: ~2 round trips to Adyen and a few
 * milliseconds of CPU per payment. The request options object it receives is the one handed to
 * `https.request`, so this transport pins its `agent` property to the kept agent (the library's
 * assignment is ignored); everything else about the request is the library's own.
 * `adyen-loopback.test.ts` checks that calls share one connection, so a library change that
 * defeats this shows up as a failing test, not as slow payments.
 */
export function createKeepAliveTransport(agent: Agent, inner: AdyenTransport): AdyenTransport {
  return {
    request(endpoint, json, config, isApiKeyRequired, requestOptions = {}) {
      Object.defineProperty(requestOptions, 'agent', {
        get: () => agent,
        set: () => undefined,
        enumerable: true,
        configurable: true,
      });
      return inner.request(endpoint, json, config, isApiKeyRequired, requestOptions);
    },
  };
}
