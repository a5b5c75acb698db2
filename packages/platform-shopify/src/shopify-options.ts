import { type ClockV1, ConfigurationError, parseOptions, resolveSecret, systemClock } from '@paymigrate/core';
import { z } from 'zod';

/** The Admin API version the adapter speaks (its queries are checked against this version's schema). */
export const shopifyApiVersion = '2025-01';

/** The component name options and errors are reported under. */
export const shopifyComponent = 'shopify';

/** Options of `createShopifyPlatform`. */
export interface ShopifyPlatformOptions {
  /** The shop, `<name>.myshopify.com`. */
  readonly shopDomain: string;
  /**
   * Admin API access token of the custom app (`shpat_...`). Read from `SHOPIFY_ADMIN_ACCESS_TOKEN`
   * when absent.
   */
  readonly adminAccessToken?: string | undefined;
  /**
   * The app's API secret key: it signs webhooks (`X-Shopify-Hmac-Sha256`). Read from
   * `SHOPIFY_API_SECRET` when absent.
   */
  readonly apiSecretKey?: string | undefined;
  /**
   * Admin API version. Only `2025-01`: the adapter's queries are validated against it.
   * @default '2025-01'
   */
  readonly apiVersion?: '2025-01' | undefined;
  /**
   * Where the shop's Admin API is really served, scheme, host and port only, when not at
   * `https://{shopDomain}`: a fake served over loopback HTTP for benchmarks
   * (`http://127.0.0.1:4010`) or a proxy. Requests keep their path
   * (`/admin/api/2025-01/graphql.json`). Process-wide per shop (see `routeShop`).
   */
  readonly apiOrigin?: string | undefined;
  /**
   * How long one request may take. A write abandoned this way has an unknown outcome.
   * @default 30000
   */
  readonly timeoutMilliseconds?: number | undefined;
  /** GraphQL cost throttling (`THROTTLED`, HTTP 429). */
  readonly throttle?:
    | {
        /**
         * How many times one request is retried after waiting for the bucket to refill.
         * @default 2
         */
        readonly maxRetries?: number | undefined;
        /**
         * The longest wait the adapter accepts before a retry; a longer one is handed to the
         * caller as `RateLimitedError.retryAfterMs` at once.
         * @default 10000
         */
        readonly maxWaitMilliseconds?: number | undefined;
      }
    | undefined;
  /** `orderCancel` runs as a job: how the adapter waits for the order to show the cancellation. */
  readonly cancellation?:
    | {
        /** @default 500 */
        readonly pollIntervalMilliseconds?: number | undefined;
        /** Reads of the order after the mutation before the outcome is reported unknown. @default 10 */
        readonly maxPolls?: number | undefined;
      }
    | undefined;
  /**
   * Which paymigrate provider each Shopify payment gateway moves money through, by gateway name
   * (`OrderTransaction.gateway`), e.g. `{ shopify_payments: 'stripe' }`. A gateway not listed is
   * taken to be the provider of the same name (`adyen` -> `adyen`), compared case-insensitively.
   *
   * Why: `orderCapture` and `refundCreate` move money through the gateway of the transaction they
   * name. The adapter uses them only on transactions whose gateway is the provider that holds the
   * payment (`PlatformPaymentUpdate.provider`), or on manual-gateway payments (which move no
   * money); otherwise it records the fact without moving money, so paymigrate's capture or refund
   * at the provider is never made a second time through Shopify.
   * @default {}
   */
  readonly gatewayProviders?: Readonly<Record<string, string>> | undefined;
  /**
   * `restock` of `orderCancel`: put the cancelled order's items back in stock.
   * @default true
   */
  readonly restockOnCancel?: boolean | undefined;
  /**
   * Largest page `listOpenOrders` asks Shopify for, whatever `limit` says. A page costs about
   * 2 + 12 points per order against a 1000-point bucket, so 50 leaves room for other calls.
   * @default 50
   */
  readonly maximumPageSize?: number | undefined;
  /**
   * The app host the library is configured with. A custom store app never receives requests on
   * it; the library only requires one.
   * @default 'localhost'
   */
  readonly hostName?: string | undefined;
  /** Time for throttling waits, cancellation polls and webhook times. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /**
   * Where `SHOPIFY_ADMIN_ACCESS_TOKEN` and `SHOPIFY_API_SECRET` are read from.
   * @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Options after validation and defaults. */
export interface ResolvedShopifyPlatformOptions {
  readonly shopDomain: string;
  readonly adminAccessToken: string;
  readonly apiSecretKey: string;
  readonly apiVersion: '2025-01';
  readonly apiOrigin: string | undefined;
  readonly timeoutMilliseconds: number;
  readonly throttleMaxRetries: number;
  readonly throttleMaxWaitMilliseconds: number;
  readonly cancelPollIntervalMilliseconds: number;
  readonly cancelMaxPolls: number;
  readonly restockOnCancel: boolean;
  /** `gatewayProviders`, gateway and provider names lower-cased. */
  readonly gatewayProviders: ReadonlyMap<string, string>;
  readonly maximumPageSize: number;
  readonly hostName: string;
  readonly clock: ClockV1;
}

const shopDomainPattern = /^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$/;

const optionsSchema = z
  .object({
    shopDomain: z
      .string()
      .regex(shopDomainPattern, 'must be the shop\'s myshopify domain')
      .meta({ fix: "pass the shop's myshopify domain, e.g. 'my-shop.myshopify.com' (no scheme, no path)" }),
    adminAccessToken: z.string().optional(),
    apiSecretKey: z.string().optional(),
    apiVersion: z.literal(shopifyApiVersion).default(shopifyApiVersion).meta({ fix: `use '${shopifyApiVersion}', the version the adapter's queries are checked against` }),
    apiOrigin: z
      .url({ protocol: /^https?$/ })
      .refine((value) => {
        const url = new URL(value);
        return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
      }, 'must be scheme, host and port only')
      .optional()
      .meta({ fix: "pass an origin such as 'http://127.0.0.1:4010' (scheme, host and port; no path)" }),
    timeoutMilliseconds: z.number().int().min(1).max(600_000).default(30_000).meta({ fix: 'pass a whole number of milliseconds between 1 and 600000 (default 30000)' }),
    throttle: z
      .object({
        maxRetries: z.number().int().min(0).max(10).default(2).meta({ fix: 'pass a whole number from 0 to 10 (default 2)' }),
        maxWaitMilliseconds: z.number().int().min(0).max(600_000).default(10_000).meta({ fix: 'pass a whole number of milliseconds from 0 to 600000 (default 10000)' }),
      })
      .strict()
      .default({ maxRetries: 2, maxWaitMilliseconds: 10_000 }),
    cancellation: z
      .object({
        pollIntervalMilliseconds: z.number().int().min(1).max(60_000).default(500).meta({ fix: 'pass a whole number of milliseconds from 1 to 60000 (default 500)' }),
        maxPolls: z.number().int().min(0).max(100).default(10).meta({ fix: 'pass a whole number from 0 to 100 (default 10)' }),
      })
      .strict()
      .default({ pollIntervalMilliseconds: 500, maxPolls: 10 }),
    restockOnCancel: z.boolean().default(true),
    gatewayProviders: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .meta({ fix: "pass Shopify gateway names mapped to paymigrate provider names, e.g. { shopify_payments: 'stripe' }" }),
    maximumPageSize: z.number().int().min(1).max(250).default(50).meta({ fix: 'pass a whole number from 1 to 250 (default 50)' }),
    hostName: z.string().min(1).default('localhost'),
    clock: z
      .custom<ClockV1>((value) => typeof value === 'object' && value !== null && typeof (value as ClockV1).now === 'function' && typeof (value as ClockV1).sleep === 'function', 'must be a ClockV1')
      .optional(),
    environment: z.record(z.string(), z.string().optional()).optional(),
  })
  .strict();

/**
 * Validates the options once, with defaults, and resolves both secrets (from the options or
 * `SHOPIFY_ADMIN_ACCESS_TOKEN` / `SHOPIFY_API_SECRET`) so a missing one stops start-up.
 *
 * @throws ConfigurationError naming the option (`shopify.<option>`) and the fix; for a missing
 *   secret, also the environment variable. Messages never contain a secret.
 */
export function parseShopifyPlatformOptions(input: ShopifyPlatformOptions): ResolvedShopifyPlatformOptions {
  const parsed = parseOptions(optionsSchema, input, { component: shopifyComponent });
  const environment = parsed.environment ?? process.env;
  const adminAccessToken = resolveSecret({
    option: `${shopifyComponent}.adminAccessToken`,
    environmentVariable: 'SHOPIFY_ADMIN_ACCESS_TOKEN',
    value: parsed.adminAccessToken,
    environment,
  });
  const apiSecretKey = resolveSecret({ option: `${shopifyComponent}.apiSecretKey`, environmentVariable: 'SHOPIFY_API_SECRET', value: parsed.apiSecretKey, environment });
  if (adminAccessToken === apiSecretKey || adminAccessToken.startsWith('shpss_')) {
    throw new ConfigurationError({
      option: `${shopifyComponent}.adminAccessToken`,
      problem: 'is the app\'s API secret key, not an Admin API access token',
      fix: 'pass the Admin API access token of the custom app (shpat_...) as adminAccessToken or SHOPIFY_ADMIN_ACCESS_TOKEN, and the API secret key as apiSecretKey or SHOPIFY_API_SECRET',
    });
  }
  return {
    shopDomain: parsed.shopDomain.toLowerCase(),
    adminAccessToken,
    apiSecretKey,
    apiVersion: parsed.apiVersion,
    apiOrigin: parsed.apiOrigin === undefined ? undefined : new URL(parsed.apiOrigin).origin,
    timeoutMilliseconds: parsed.timeoutMilliseconds,
    throttleMaxRetries: parsed.throttle.maxRetries,
    throttleMaxWaitMilliseconds: parsed.throttle.maxWaitMilliseconds,
    cancelPollIntervalMilliseconds: parsed.cancellation.pollIntervalMilliseconds,
    cancelMaxPolls: parsed.cancellation.maxPolls,
    restockOnCancel: parsed.restockOnCancel,
    gatewayProviders: new Map(Object.entries(parsed.gatewayProviders).map(([gateway, provider]) => [gateway.toLowerCase(), provider.toLowerCase()])),
    maximumPageSize: parsed.maximumPageSize,
    hostName: parsed.hostName,
    clock: parsed.clock ?? systemClock,
  };
}
