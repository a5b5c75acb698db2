import { cardBrands, ConfigurationError, parseOptions, type PaymentGatewayCapabilities, resolveSecret } from '@paymigrate/core';
import { z } from 'zod';
import { adyenCapabilities, type AdyenCapabilityOverrides } from './adyen-capabilities.js';
import { type AdyenPaymentLedger, createInMemoryAdyenPaymentLedger, isAdyenPaymentLedger } from './adyen-payment-ledger.js';

/** Options of `createAdyenGateway`. */
export interface AdyenGatewayOptions {
  /**
   * Adyen environment. `test` calls `https://checkout-test.adyen.com/v72`; `live` calls
   * `https://{liveEndpointUrlPrefix}-checkout-live.adyenpayments.com/checkout/v72`.
   */
  readonly environment: 'test' | 'live';
  /** Merchant account the payments are made on. Falls back to `ADYEN_MERCHANT_ACCOUNT`. */
  readonly merchantAccount?: string | undefined;
  /** API key (sent as `X-API-Key`). Falls back to `ADYEN_API_KEY`. */
  readonly apiKey?: string | undefined;
  /** Hex HMAC key of the standard webhook, from the Customer Area. Falls back to `ADYEN_HMAC_KEY`. */
  readonly hmacKey?: string | undefined;
  /** Live URL prefix from the Customer Area (`live` only). Falls back to `ADYEN_LIVE_ENDPOINT_URL_PREFIX`. */
  readonly liveEndpointUrlPrefix?: string | undefined;
  /** Where shoppers return after a redirect or 3-D Secure when a call gives no `returnUrl` (Adyen requires one on every payment). */
  readonly returnUrl: string;
  /**
   * Checkout API base URL including the version path, replacing the environment's: a regional
   * proxy, or a loopback TLS fake for benchmarks (`https://127.0.0.1:8443/v72`). HTTPS only: the
   * SDK's HTTP client speaks nothing else.
   * @default the environment's endpoint
   */
  readonly baseUrl?: string | undefined;
  /**
   * PEM certificate(s) the connection to Adyen (or `baseUrl`) must chain to, REPLACING the system's
   * trust store for these calls: an egress proxy that re-signs TLS with a company CA, or a loopback
   * TLS fake in tests. Leave it out to trust the usual public CAs.
   * @default the system's trusted CAs
   */
  readonly certificateAuthority?: string | undefined;
  /**
   * Per-request timeout. A write that times out is an `UnknownOutcomeError`.
   * @default 30000
   */
  readonly timeoutMilliseconds?: number | undefined;
  /**
   * Refuse webhooks whose `eventDate` is older than this when verified. Off by default: Adyen
   * signs no timestamp (`eventDate` is outside the HMAC) and retries undelivered webhooks for days.
   */
  readonly webhookMaximumAgeMilliseconds?: number | undefined;
  /** Sent in the `User-Agent` before the library's own name. */
  readonly applicationName?: string | undefined;
  /** Where API answers and verified webhooks are kept. @default an in-memory ledger (forgets on restart) */
  readonly ledger?: AdyenPaymentLedger | undefined;
  /** Clock for webhook age checks and ledger timestamps. @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Narrows the default capabilities to the merchant account's configuration. */
  readonly capabilities?: AdyenCapabilityOverrides | undefined;
  /** Where `*_KEY` and `ADYEN_*` fall-backs are read. @default process.env */
  readonly environmentVariables?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Options after validation, secrets resolved and defaults applied. */
export interface ResolvedAdyenOptions {
  /** See `AdyenGatewayOptions.environment`. */
  readonly environment: 'test' | 'live';
  /** Resolved merchant account. */
  readonly merchantAccount: string;
  /** Resolved API key. */
  readonly apiKey: string;
  /** Resolved hex HMAC key. */
  readonly hmacKey: string;
  /** Resolved live prefix (`live` without `baseUrl` only). */
  readonly liveEndpointUrlPrefix: string | undefined;
  /** Default return URL. */
  readonly returnUrl: string;
  /** Base URL override. */
  readonly baseUrl: string | undefined;
  /** Trusted CA certificate(s), PEM, when set. */
  readonly certificateAuthority: string | undefined;
  /** Per-request timeout. */
  readonly timeoutMilliseconds: number;
  /** Webhook age limit, when set. */
  readonly webhookMaximumAgeMilliseconds: number | undefined;
  /** Application name, when set. */
  readonly applicationName: string | undefined;
  /** The ledger. */
  readonly ledger: AdyenPaymentLedger;
  /** The clock. */
  readonly now: () => number;
  /** The capabilities. */
  readonly capabilities: PaymentGatewayCapabilities;
}

/** Default per-request timeout: 30 s. */
export const adyenDefaultTimeoutMilliseconds = 30_000;

/** Environment variables the options fall back to. */
export const adyenEnvironmentVariables = Object.freeze({
  apiKey: 'ADYEN_API_KEY',
  hmacKey: 'ADYEN_HMAC_KEY',
  merchantAccount: 'ADYEN_MERCHANT_ACCOUNT',
  liveEndpointUrlPrefix: 'ADYEN_LIVE_ENDPOINT_URL_PREFIX',
});

const optionsSchema = z.object({
  environment: z.enum(['test', 'live']).meta({ fix: "pass environment: 'test' (checkout-test.adyen.com) or 'live' (with liveEndpointUrlPrefix)" }),
  merchantAccount: z.string().min(1).optional().meta({ fix: `pass merchantAccount or set ${adyenEnvironmentVariables.merchantAccount}` }),
  apiKey: z.string().optional().meta({ fix: `pass apiKey or set ${adyenEnvironmentVariables.apiKey}` }),
  hmacKey: z.string().optional().meta({ fix: `pass hmacKey or set ${adyenEnvironmentVariables.hmacKey}` }),
  liveEndpointUrlPrefix: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .optional()
    .meta({ fix: 'copy the live URL prefix from Customer Area > Developers > API URLs (letters, digits and dashes, e.g. 1797a841fbb37ca7-AdyenDemo)' }),
  returnUrl: z.url({ protocol: /^https?$/ }).meta({ fix: 'pass returnUrl, the page shoppers come back to after 3-D Secure, e.g. https://shop.example/checkout/return' }),
  baseUrl: z
    .url({ protocol: /^https$/ })
    .optional()
    .meta({ fix: 'pass an https Checkout base URL including the version, e.g. https://checkout-test.adyen.com/v72 (the Adyen SDK speaks HTTPS only)' }),
  certificateAuthority: z
    .string()
    .regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/)
    .optional()
    .meta({ fix: 'pass the PEM text of the CA certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), not a file path, or leave it out' }),
  timeoutMilliseconds: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(adyenDefaultTimeoutMilliseconds)
    .meta({ fix: 'pass timeoutMilliseconds as an integer between 1 and 600000 (default 30000)' }),
  webhookMaximumAgeMilliseconds: z.number().int().positive().optional().meta({ fix: 'pass a positive integer of milliseconds, or leave it out' }),
  applicationName: z.string().min(1).optional(),
  ledger: z
    .custom<AdyenPaymentLedger>(isAdyenPaymentLedger, { message: 'must implement get, findByMerchantReference and update' })
    .optional()
    .meta({ fix: 'pass an AdyenPaymentLedger (get, findByMerchantReference, update) or leave it out for the in-memory one' }),
  now: z.custom<() => number>((value) => typeof value === 'function', { message: 'must be a function' }).optional(),
  capabilities: z
    .object({
      currencies: z.union([z.literal('all'), z.array(z.string().regex(/^[A-Z]{3}$/))]).optional(),
      brands: z.array(z.enum(cardBrands)).optional(),
      partialCapture: z.boolean().optional(),
      multipleCaptures: z.boolean().optional(),
      partialRefund: z.boolean().optional(),
      multipleRefunds: z.boolean().optional(),
    })
    .optional()
    .meta({ fix: 'pass capabilities with currencies, brands and the capture/refund flags of your Adyen account' }),
  environmentVariables: z.record(z.string(), z.string().optional()).optional(),
});

/**
 * Validates the options once and resolves the secrets (option first, then environment variable).
 *
 * @throws ConfigurationError naming the option (`adyen.<name>`) and the fix; for a missing secret
 *   both the option and its environment variable. A rejected value is never echoed.
 */
export function resolveAdyenOptions(options: AdyenGatewayOptions): ResolvedAdyenOptions {
  const parsed = parseOptions(optionsSchema, options, { component: 'adyen' });
  const environment = parsed.environmentVariables ?? process.env;
  const secret = (name: keyof typeof adyenEnvironmentVariables, value: string | undefined): string =>
    resolveSecret({ option: `adyen.${name}`, environmentVariable: adyenEnvironmentVariables[name], value, environment });
  const apiKey = secret('apiKey', parsed.apiKey);
  const hmacKey = secret('hmacKey', parsed.hmacKey);
  if (!/^(?:[0-9A-Fa-f]{2})+$/.test(hmacKey)) {
    throw new ConfigurationError({
      option: 'adyen.hmacKey',
      problem: 'is not a hexadecimal HMAC key',
      fix: 'copy the HMAC key of the standard webhook from Customer Area > Developers > Webhooks (64 hexadecimal characters)',
    });
  }
  const merchantAccount = secret('merchantAccount', parsed.merchantAccount);
  const liveEndpointUrlPrefix =
    parsed.environment === 'live' && parsed.baseUrl === undefined ? secret('liveEndpointUrlPrefix', parsed.liveEndpointUrlPrefix) : parsed.liveEndpointUrlPrefix;
  return {
    environment: parsed.environment,
    merchantAccount,
    apiKey,
    hmacKey,
    liveEndpointUrlPrefix,
    returnUrl: parsed.returnUrl,
    baseUrl: parsed.baseUrl?.replace(/\/+$/, ''),
    certificateAuthority: parsed.certificateAuthority,
    timeoutMilliseconds: parsed.timeoutMilliseconds,
    webhookMaximumAgeMilliseconds: parsed.webhookMaximumAgeMilliseconds,
    applicationName: parsed.applicationName,
    ledger: parsed.ledger ?? createInMemoryAdyenPaymentLedger(),
    now: parsed.now ?? Date.now,
    capabilities: adyenCapabilities(parsed.capabilities),
  };
}
