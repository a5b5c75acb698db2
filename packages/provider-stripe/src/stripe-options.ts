import { type CardBrand, cardBrands, ConfigurationError, parseOptions, resolveSecret } from '@paymigrate/core';
import { z } from 'zod';
import { isStripeCurrency } from './stripe-money.js';

/** Options of `createStripeGateway`. */
export interface StripeGatewayOptions {
  /**
   * Secret key (`sk_live_...`, `sk_test_...`) or restricted key (`rk_...`) of the Stripe account.
   * Read from `STRIPE_API_KEY` when absent. Publishable keys (`pk_...`) are refused.
   */
  readonly apiKey?: string | undefined;
  /**
   * Signing secret of the webhook endpoint (`whsec_...`). Read from `STRIPE_WEBHOOK_SECRET` when
   * absent, the first time a webhook is verified.
   */
  readonly webhookSecret?: string | undefined;
  /**
   * Where the Stripe API lives: scheme, host and port only. Change it only to point at a Stripe
   * fake or a proxy.
   * @default 'https://api.stripe.com'
   */
  readonly apiBaseUrl?: string | undefined;
  /**
   * How long one request may take before it is abandoned. A write abandoned this way has an
   * unknown outcome (`UnknownOutcomeError`).
   * @default 30000
   */
  readonly timeoutMilliseconds?: number | undefined;
  /**
   * How old a webhook's signature may be, in seconds.
   * @default 300 (Stripe's own default)
   */
  readonly webhookToleranceSeconds?: number | undefined;
  /**
   * Whether Stripe has enabled `mit_exemption` on this account, so merchant-initiated charges can
   * carry the network transaction id of the first payment (needed to keep mandates across a
   * migration). Stripe enables it on request; without it Stripe refuses the parameter.
   * @default false
   */
  readonly networkTransactionIdExemption?: boolean | undefined;
  /**
   * Currencies this account takes (ISO 4217, upper case), when fewer than all of Stripe's
   * presentment currencies. Reported as `capabilities.currencies`.
   */
  readonly currencies?: readonly string[] | undefined;
  /** Card brands this account takes, when fewer than Stripe's defaults. Reported as `capabilities.brands`. */
  readonly brands?: readonly CardBrand[] | undefined;
  /**
   * Where `STRIPE_API_KEY` and `STRIPE_WEBHOOK_SECRET` are read from.
   * @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Options after validation and defaults. */
export interface ResolvedStripeGatewayOptions {
  /** The API key, resolved from the option or `STRIPE_API_KEY`. */
  readonly apiKey: string;
  /** Resolves the webhook secret from the option or `STRIPE_WEBHOOK_SECRET`, lazily and once. */
  readonly webhookSecret: () => string;
  /** Scheme, host and port of the API. */
  readonly apiBaseUrl: URL;
  /** Per-request timeout. */
  readonly timeoutMilliseconds: number;
  /** Webhook signature tolerance. */
  readonly webhookToleranceSeconds: number;
  /** Whether `mit_exemption` may be sent. */
  readonly networkTransactionIdExemption: boolean;
  /** Currencies to report, when narrowed. */
  readonly currencies: readonly string[] | undefined;
  /** Brands to report, when narrowed. */
  readonly brands: readonly CardBrand[] | undefined;
}

/** The component name options and errors are reported under. */
const component = 'stripe';

const optionsSchema = z
  .object({
    apiKey: z.string().optional(),
    webhookSecret: z.string().optional(),
    apiBaseUrl: z
      .url({ protocol: /^https?$/ })
      .refine((value) => {
        if (!URL.canParse(value)) return false;
        const url = new URL(value);
        return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
      }, 'must be scheme, host and port only')
      .default('https://api.stripe.com')
      .meta({ fix: "pass an origin such as 'https://api.stripe.com' (scheme, host and port; no path)" }),
    timeoutMilliseconds: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(30_000)
      .meta({ fix: 'pass a whole number of milliseconds between 1 and 600000 (default 30000)' }),
    webhookToleranceSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(300)
      .meta({ fix: 'pass a whole number of seconds between 1 and 3600 (Stripe recommends 300)' }),
    networkTransactionIdExemption: z.boolean().default(false),
    currencies: z
      .array(z.string().refine(isStripeCurrency, 'is not a Stripe presentment currency'))
      .min(1)
      .optional()
      .meta({ fix: "list upper-case ISO 4217 codes Stripe accepts, e.g. ['EUR', 'USD']" }),
    brands: z.array(z.enum(cardBrands)).min(1).optional(),
    environment: z.record(z.string(), z.string().optional()).optional(),
  })
  .strict();

const apiKeyPattern = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

/**
 * Validates the options once, with defaults, and resolves the API key (from `apiKey` or
 * `STRIPE_API_KEY`) at once so that a missing key stops start-up before any payment runs. The
 * webhook secret is resolved the first time it is needed.
 *
 * @throws ConfigurationError naming the option (`stripe.<option>`) and the fix; for a missing
 *   secret, also the environment variable. Messages never contain the rejected value.
 */
export function parseStripeGatewayOptions(input: StripeGatewayOptions = {}): ResolvedStripeGatewayOptions {
  const parsed = parseOptions(optionsSchema, input, { component });
  const environment = parsed.environment ?? process.env;
  const apiKey = resolveSecret({ option: `${component}.apiKey`, environmentVariable: 'STRIPE_API_KEY', value: parsed.apiKey, environment });
  if (!apiKeyPattern.test(apiKey)) {
    throw new ConfigurationError({
      option: `${component}.apiKey`,
      problem: 'is not a Stripe secret or restricted key',
      fix: 'use a secret key (sk_live_... or sk_test_...) or a restricted key (rk_...); publishable keys (pk_...) cannot create payments',
    });
  }
  let webhookSecret: string | undefined;
  return {
    apiKey,
    webhookSecret: () => {
      webhookSecret ??= resolveSecret({
        option: `${component}.webhookSecret`,
        environmentVariable: 'STRIPE_WEBHOOK_SECRET',
        value: parsed.webhookSecret,
        environment,
      });
      return webhookSecret;
    },
    apiBaseUrl: new URL(parsed.apiBaseUrl),
    timeoutMilliseconds: parsed.timeoutMilliseconds,
    webhookToleranceSeconds: parsed.webhookToleranceSeconds,
    networkTransactionIdExemption: parsed.networkTransactionIdExemption,
    currencies: parsed.currencies,
    brands: parsed.brands,
  };
}
