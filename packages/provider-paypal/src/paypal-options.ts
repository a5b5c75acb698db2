import { type CardBrand, cardBrands, parseOptions, resolveSecret } from '@paymigrate/core';
import { z } from 'zod';

/** Currencies PayPal takes only for accounts registered in their country. */
export const payPalInCountryCurrencies = ['BRL', 'CNY', 'INR', 'MYR'] as const;

/** One of {@link payPalInCountryCurrencies}. */
export type PayPalInCountryCurrency = (typeof payPalInCountryCurrencies)[number];

/** Options of `createPayPalGateway`. Validated once, at construction. */
export interface PayPalGatewayOptions {
  /**
   * The REST app's client id.
   * @default process.env.PAYPAL_CLIENT_ID
   */
  readonly clientId?: string | undefined;
  /**
   * The REST app's secret.
   * @default process.env.PAYPAL_CLIENT_SECRET
   */
  readonly clientSecret?: string | undefined;
  /**
   * Which PayPal environment: `sandbox` (`https://api-m.sandbox.paypal.com`) or `production`
   * (`https://api-m.paypal.com`). Sandbox by default, like the SDK: live credentials fail loudly
   * against it, so a forgotten setting never moves real money by accident.
   * @default 'sandbox'
   */
  readonly environment?: 'sandbox' | 'production' | undefined;
  /**
   * Sends every call (the OAuth token call included) to this origin instead of the environment's
   * host: a PayPal-compatible proxy, or a loopback fake for benchmarks (`http://127.0.0.1:<port>`).
   * The SDK has no custom environment, so the adapter rewrites the origin with the SDK's own
   * request interceptor.
   */
  readonly baseUrl?: string | undefined;
  /**
   * Timeout of each HTTP request, in milliseconds. A write that times out has an unknown outcome.
   * @default 30000
   */
  readonly timeoutMilliseconds?: number | undefined;
  /**
   * The id of the webhook subscription (`WH-...` in the developer dashboard), needed only by
   * `verifyWebhook`: PayPal binds signatures to it.
   * @default process.env.PAYPAL_WEBHOOK_ID
   */
  readonly webhookId?: string | undefined;
  /**
   * How far a webhook's `paypal-transmission-time` may be from its receipt, in seconds. Older (or
   * further in the future) is refused as stale before PayPal is even asked.
   * @default 300
   */
  readonly webhookToleranceSeconds?: number | undefined;
  /**
   * In-country-only currencies this merchant's account may use (BRL, CNY, INR, MYR): added to
   * `capabilities.currencies`.
   * @default []
   */
  readonly inCountryCurrencies?: readonly PayPalInCountryCurrency[] | undefined;
  /**
   * Card brands enabled for this merchant's PayPal card processing (`capabilities.brands`).
   * @default ['visa', 'mastercard', 'amex', 'discover']
   */
  readonly brands?: readonly CardBrand[] | undefined;
  /**
   * Where secrets are looked up when not passed explicitly.
   * @default process.env
   */
  readonly environmentVariables?: Readonly<Record<string, string | undefined>> | undefined;
}

/** The options after validation and secret resolution. */
export interface ResolvedPayPalOptions {
  /** The REST app's client id. */
  readonly clientId: string;
  /** The REST app's secret. */
  readonly clientSecret: string;
  /** `sandbox` or `production`. */
  readonly environment: 'sandbox' | 'production';
  /** Origin override, without a trailing slash. */
  readonly baseUrl: string | undefined;
  /** Per-request timeout. */
  readonly timeoutMilliseconds: number;
  /** Resolves the webhook id lazily (only `verifyWebhook` needs it); names option and variable when missing. */
  readonly webhookId: () => string;
  /** Webhook timestamp tolerance, in milliseconds. */
  readonly webhookToleranceMilliseconds: number;
  /** In-country currencies enabled. */
  readonly inCountryCurrencies: readonly PayPalInCountryCurrency[];
  /** Card brands enabled. */
  readonly brands: readonly CardBrand[];
}

/** Environment variables the adapter reads, by option. */
export const payPalEnvironmentVariables = {
  clientId: 'PAYPAL_CLIENT_ID',
  clientSecret: 'PAYPAL_CLIENT_SECRET',
  webhookId: 'PAYPAL_WEBHOOK_ID',
} as const;

const optionsSchema = z
  .object({
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    environment: z.enum(['sandbox', 'production']).default('sandbox').meta({ fix: "use 'sandbox' or 'production'" }),
    baseUrl: z
      .string()
      .regex(/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/)
      .optional()
      .meta({ fix: "pass an absolute http(s) origin such as 'http://127.0.0.1:8080', or leave it out to use the environment's host" }),
    timeoutMilliseconds: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(30_000)
      .meta({ fix: 'pass a whole number of milliseconds between 1 and 600000' }),
    webhookId: z.string().optional(),
    webhookToleranceSeconds: z.number().int().positive().max(86_400).default(300).meta({ fix: 'pass a whole number of seconds between 1 and 86400' }),
    inCountryCurrencies: z
      .array(z.enum(payPalInCountryCurrencies))
      .default([])
      .meta({ fix: `list only ${payPalInCountryCurrencies.join(', ')}` }),
    brands: z
      .array(z.enum(cardBrands))
      .min(1)
      .default(['visa', 'mastercard', 'amex', 'discover'])
      .meta({ fix: `list at least one of ${cardBrands.join(', ')}` }),
    environmentVariables: z.record(z.string(), z.string().optional()).optional(),
  })
  .strict();

/**
 * Validates the options and resolves the credentials (explicit option first, then the
 * environment variable).
 * @throws ConfigurationError naming the option (and, for secrets, the environment variable).
 */
export function resolvePayPalOptions(options: PayPalGatewayOptions): ResolvedPayPalOptions {
  const parsed = parseOptions(optionsSchema, options, { component: 'paypal' });
  const environment = parsed.environmentVariables ?? process.env;
  const clientId = resolveSecret({
    option: 'paypal.clientId',
    environmentVariable: payPalEnvironmentVariables.clientId,
    value: parsed.clientId,
    environment,
  });
  const clientSecret = resolveSecret({
    option: 'paypal.clientSecret',
    environmentVariable: payPalEnvironmentVariables.clientSecret,
    value: parsed.clientSecret,
    environment,
  });
  let webhookId: string | undefined;
  return {
    clientId,
    clientSecret,
    environment: parsed.environment,
    baseUrl: parsed.baseUrl?.replace(/\/+$/, ''),
    timeoutMilliseconds: parsed.timeoutMilliseconds,
    webhookId: () => {
      webhookId ??= resolveSecret({
        option: 'paypal.webhookId',
        environmentVariable: payPalEnvironmentVariables.webhookId,
        value: parsed.webhookId,
        environment,
      });
      return webhookId;
    },
    webhookToleranceMilliseconds: parsed.webhookToleranceSeconds * 1000,
    inCountryCurrencies: parsed.inCountryCurrencies,
    brands: parsed.brands,
  };
}
