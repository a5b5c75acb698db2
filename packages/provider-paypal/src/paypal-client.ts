import { Client, type Configuration, Environment, OrdersController, PaymentsController, VaultController } from '@paypal/paypal-server-sdk';
import type { ResolvedPayPalOptions } from './paypal-options.js';

/** The SDK's request-builder factory: the machinery every controller uses (auth, HTTP client, config). */
export type PayPalRequestBuilderFactory = ReturnType<Client['getRequestBuilderFactory']>;

/** The SDK objects one gateway uses. Rebuilt as a whole when the SDK's token cache is poisoned. */
export interface PayPalSdk {
  /** Orders v2. */
  readonly orders: OrdersController;
  /** Payments v2 (authorizations, captures). */
  readonly payments: PaymentsController;
  /** Vault v3 payment tokens. */
  readonly vault: VaultController;
  /** Builds requests for endpoints without a controller (webhook signature verification). */
  readonly createRequest: PayPalRequestBuilderFactory;
}

/** The origins of the SDK's two environments. */
const environmentOrigins: Readonly<Record<ResolvedPayPalOptions['environment'], string>> = {
  sandbox: 'https://api-m.sandbox.paypal.com',
  production: 'https://api-m.paypal.com',
};

/**
 * An SDK client whose requests go to another origin. The SDK only knows its two environments
 * (`getBaseUri` throws for anything else), so every request builder it hands out, including the
 * one of its own OAuth token manager, gets a request interceptor (the SDK's public
 * `interceptRequest`, which it uses itself for the user agent) that swaps the environment's origin
 * for `baseUrl`. Auth, timeouts and retry settings are untouched.
 */
class RedirectedClient extends Client {
  // Read lazily, at request time: the SDK builds its token manager (and calls
  // getRequestBuilderFactory) inside the base constructor, before this field exists.
  readonly #redirect: { readonly from: string; readonly to: string };

  constructor(configuration: Partial<Configuration>, redirect: { readonly from: string; readonly to: string }) {
    super(configuration);
    this.#redirect = redirect;
  }

  override getRequestBuilderFactory(): PayPalRequestBuilderFactory {
    const factory = super.getRequestBuilderFactory();
    return (...args) => {
      const builder = factory(...args);
      // Every URL the SDK builds starts with the environment's origin: swap that prefix.
      builder.interceptRequest((request) => ({ ...request, url: request.url.replace(this.#redirect.from, this.#redirect.to) }));
      return builder;
    };
  }
}

/**
 * Builds the SDK client for one gateway: client-credentials OAuth, the per-request timeout, and
 * every SDK retry switched off (no retries, no retry on timeout, no method or status eligible),
 * because core owns retries: only the journal knows whether one is safe.
 */
export function createPayPalSdk(options: ResolvedPayPalOptions): PayPalSdk {
  const configuration: Partial<Configuration> = {
    environment: options.environment === 'production' ? Environment.Production : Environment.Sandbox,
    timeout: options.timeoutMilliseconds,
    clientCredentialsAuthCredentials: { oAuthClientId: options.clientId, oAuthClientSecret: options.clientSecret },
    httpClientOptions: {
      timeout: options.timeoutMilliseconds,
      retryConfig: {
        maxNumberOfRetries: 0,
        retryOnTimeout: false,
        maximumRetryWaitTime: 0,
        httpMethodsToRetry: [],
        httpStatusCodesToRetry: [],
      },
    },
  };
  const client =
    options.baseUrl === undefined
      ? new Client(configuration)
      : new RedirectedClient(configuration, { from: environmentOrigins[options.environment], to: options.baseUrl });
  return {
    orders: new OrdersController(client),
    payments: new PaymentsController(client),
    vault: new VaultController(client),
    createRequest: client.getRequestBuilderFactory(),
  };
}
