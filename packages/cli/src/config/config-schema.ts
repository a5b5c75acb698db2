import { z } from 'zod';

/** The providers the CLI can drive. */
export const supportedProviders = ['stripe', 'paypal', 'adyen'] as const;

/** One of `supportedProviders`. */
export type SupportedProvider = (typeof supportedProviders)[number];

/** Metadata a config schema carries with `.meta({ fix })`: what the operator should do when the key is missing or wrong. */
export interface ConfigKeyMetadata {
  /** The fix, written as an instruction ("set it to ..."). */
  readonly fix?: string;
}

/** An environment variable name: upper-case letters, digits and underscores. */
const environmentVariableName = (example: string, holds: string): z.ZodString =>
  z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name (A-Z, 0-9 and _)' })
    .meta({ fix: `set it to the name of the environment variable that holds ${holds}, e.g. "${example}" (the secret itself never goes in the file)` });

const providerSchema = z.enum(supportedProviders).meta({ fix: `use one of ${supportedProviders.join(', ')}` });

const httpOrigin = (example: string): z.ZodString =>
  z
    .string()
    .regex(/^https?:\/\/[^/?#\s]+$/, { message: 'must be an http(s) origin without a path' })
    .meta({ fix: `use scheme, host and port only, e.g. "${example}", or leave it out to use the provider's own host` });

const stripeSchema = z
  .strictObject({
    apiKeyEnvironmentVariable: environmentVariableName('STRIPE_API_KEY', 'the Stripe secret key (sk_live_...)'),
    webhookSecretEnvironmentVariable: environmentVariableName('STRIPE_WEBHOOK_SECRET', 'the webhook signing secret (whsec_...)').optional(),
    apiBaseUrl: httpOrigin('https://api.stripe.com').optional(),
    networkTransactionIdExemption: z
      .boolean()
      .default(false)
      .meta({ fix: 'set it to true once Stripe has enabled mit_exemption on the account (renewals keep their network transaction id), else false' }),
    timeoutMilliseconds: z.number().int().min(1).max(600_000).optional().meta({ fix: 'use a whole number of milliseconds between 1 and 600000' }),
  })
  .meta({ fix: 'add a "stripe" section with at least "apiKeyEnvironmentVariable"' });

const payPalSchema = z
  .strictObject({
    clientIdEnvironmentVariable: environmentVariableName('PAYPAL_CLIENT_ID', 'the REST app client id'),
    clientSecretEnvironmentVariable: environmentVariableName('PAYPAL_CLIENT_SECRET', 'the REST app secret'),
    webhookIdEnvironmentVariable: environmentVariableName('PAYPAL_WEBHOOK_ID', 'the webhook subscription id (WH-...)').optional(),
    environment: z.enum(['sandbox', 'production']).default('sandbox').meta({ fix: 'use "sandbox" or "production"' }),
    baseUrl: httpOrigin('https://api-m.paypal.com').optional(),
    timeoutMilliseconds: z.number().int().min(1).max(600_000).optional().meta({ fix: 'use a whole number of milliseconds between 1 and 600000' }),
  })
  .meta({ fix: 'add a "paypal" section with "clientIdEnvironmentVariable" and "clientSecretEnvironmentVariable"' });

const adyenSchema = z
  .strictObject({
    environment: z.enum(['test', 'live']).meta({ fix: 'use "test" or "live"' }),
    merchantAccount: z.string().min(1).meta({ fix: 'set it to the Adyen merchant account, e.g. "ShopCom"' }),
    apiKeyEnvironmentVariable: environmentVariableName('ADYEN_API_KEY', 'the Adyen API key'),
    hmacKeyEnvironmentVariable: environmentVariableName('ADYEN_HMAC_KEY', 'the webhook HMAC key (hex)').optional(),
    liveEndpointUrlPrefixEnvironmentVariable: environmentVariableName('ADYEN_LIVE_ENDPOINT_URL_PREFIX', 'the live URL prefix').optional(),
    returnUrl: z.url({ protocol: /^https?$/ }).meta({ fix: 'set it to the page shoppers return to after 3-D Secure, e.g. "https://shop.example/checkout/return"' }),
    baseUrl: z
      .url({ protocol: /^https$/ })
      .optional()
      .meta({ fix: 'use an https Checkout base URL with its version, e.g. "https://checkout-test.adyen.com/v72", or leave it out' }),
    timeoutMilliseconds: z.number().int().min(1).max(600_000).optional().meta({ fix: 'use a whole number of milliseconds between 1 and 600000' }),
  })
  .meta({ fix: 'add an "adyen" section with "environment", "merchantAccount", "apiKeyEnvironmentVariable" and "returnUrl"' });

const sqliteJournalSchema = z.strictObject({
  type: z.literal('sqlite'),
  file: z.string().min(1).meta({ fix: 'set it to the path of the journal file, e.g. "./paymigrate-journal.sqlite" (relative to the config file)' }),
  synchronous: z.enum(['FULL', 'NORMAL']).default('FULL').meta({ fix: 'use "FULL" (survives power loss; keep it for payments) or "NORMAL"' }),
});

const postgresJournalSchema = z.strictObject({
  type: z.literal('postgres'),
  connectionStringEnvironmentVariable: environmentVariableName('PAYMIGRATE_DATABASE_URL', 'the PostgreSQL connection string'),
});

const journalSchema = z
  .discriminatedUnion('type', [sqliteJournalSchema, postgresJournalSchema])
  .meta({ fix: 'use { "type": "sqlite", "file": "./paymigrate-journal.sqlite" } or { "type": "postgres", "connectionStringEnvironmentVariable": "PAYMIGRATE_DATABASE_URL" }' });

const platformSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({
      type: z.literal('shopify'),
      shopDomain: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, { message: 'must be <name>.myshopify.com' })
        .meta({ fix: 'set it to the shop\'s myshopify domain, e.g. "my-shop.myshopify.com"' }),
      adminAccessTokenEnvironmentVariable: environmentVariableName('SHOPIFY_ADMIN_ACCESS_TOKEN', 'the Admin API access token (shpat_...)'),
      apiSecretKeyEnvironmentVariable: environmentVariableName('SHOPIFY_API_SECRET', "the app's API secret key (signs webhooks)").optional(),
      apiOrigin: httpOrigin('https://my-shop.myshopify.com').optional(),
    }),
  ])
  .default({ type: 'none' })
  .meta({ fix: 'use { "type": "none" } or { "type": "shopify", "shopDomain": "...", "adminAccessTokenEnvironmentVariable": "SHOPIFY_ADMIN_ACCESS_TOKEN" }' });

const tokensSchema = z
  .strictObject({
    keyProvider: z
      .discriminatedUnion('type', [
        z.strictObject({
          type: z.literal('local-file'),
          file: z.string().min(1).meta({ fix: 'set it to the path of the key file (created with a random key when absent), e.g. "./paymigrate-vault.key"' }),
        }),
        z.strictObject({
          type: z.literal('environment'),
          keyEnvironmentVariable: environmentVariableName('PAYMIGRATE_VAULT_KEY', 'the base64 AES-256 key-encrypting key (openssl rand -base64 32)'),
        }),
      ])
      .default({ type: 'local-file', file: './paymigrate-vault.key' })
      .meta({ fix: 'use { "type": "local-file", "file": "./paymigrate-vault.key" } or { "type": "environment", "keyEnvironmentVariable": "PAYMIGRATE_VAULT_KEY" }' }),
    pgp: z
      .strictObject({
        privateKeyEnvironmentVariable: environmentVariableName('PAYMIGRATE_PGP_PRIVATE_KEY', 'your armored PGP private key (the file is encrypted to it)'),
        passphraseEnvironmentVariable: environmentVariableName('PAYMIGRATE_PGP_PASSPHRASE', 'the passphrase of that key').optional(),
        senderPublicKeyFiles: z
          .array(z.string().min(1))
          .min(1)
          .meta({ fix: 'list the armored public key files of the providers that sign mapping files, e.g. ["./stripe-migrations.asc"]' }),
      })
      .optional()
      .meta({ fix: 'add { "privateKeyEnvironmentVariable": "PAYMIGRATE_PGP_PRIVATE_KEY", "senderPublicKeyFiles": ["./provider.asc"] } to import PGP files' }),
  })
  .default({ keyProvider: { type: 'local-file', file: './paymigrate-vault.key' } });

const routingSchema = z
  .strictObject({
    maxConfigAgeMs: z
      .number()
      .int()
      .min(100)
      .default(5000)
      .meta({ fix: 'use the age in milliseconds after which a node stops trusting its routing view and sends new payments to the old provider (default 5000)' }),
    routingSettleMs: z
      .number()
      .int()
      .min(0)
      .default(5000)
      .meta({ fix: 'use how long a cutover must be in effect before the drain may start, at least maxConfigAgeMs (default 5000)' }),
  })
  .default({ maxConfigAgeMs: 5000, routingSettleMs: 5000 });

const loggingSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').meta({ fix: 'use one of fatal, error, warn, info, debug, trace, silent' }),
    file: z.string().min(1).optional().meta({ fix: 'set it to a file path for the JSON log lines, or leave it out for none' }),
  })
  .default({ level: 'info' });

/** The schema of `paymigrate.config.json`. Secrets are never in the file: it names the environment variables that hold them. */
export const paymigrateConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    migration: z
      .strictObject({
        id: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 _ -' })
          .default('default')
          .meta({ fix: 'use a short id such as "default" (one migration per journal at a time)' }),
        from: providerSchema.meta({ fix: `set it to the provider payments move away from: ${supportedProviders.join(', ')}` }),
        to: providerSchema.meta({ fix: `set it to the provider payments move to: ${supportedProviders.join(', ')}` }),
      })
      .meta({ fix: 'add { "migration": { "from": "stripe", "to": "adyen" } }' }),
    journal: journalSchema,
    providers: z
      .strictObject({ stripe: stripeSchema.optional(), paypal: payPalSchema.optional(), adyen: adyenSchema.optional() })
      .meta({ fix: 'add a "providers" section with one entry per provider of the migration' }),
    platform: platformSchema,
    tokens: tokensSchema,
    routing: routingSchema,
    logging: loggingSchema,
  })
  .superRefine((config, context) => {
    if (config.migration.from === config.migration.to) {
      context.addIssue({ code: 'custom', path: ['migration', 'to'], message: `must differ from migration.from ('${config.migration.from}')`, input: config.migration.to });
    }
    for (const side of ['from', 'to'] as const) {
      const provider = config.migration[side];
      if (config.providers[provider] === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['providers', provider],
          message: `is missing (migration.${side} is '${provider}')`,
          input: undefined,
        });
      }
    }
    if (config.routing.routingSettleMs < config.routing.maxConfigAgeMs) {
      context.addIssue({
        code: 'custom',
        path: ['routing', 'routingSettleMs'],
        message: `must be at least routing.maxConfigAgeMs (${config.routing.maxConfigAgeMs}), or a node could still route to the old provider when the drain is measured`,
        input: config.routing.routingSettleMs,
      });
    }
  });

/** A validated configuration, defaults applied. */
export type PaymigrateConfig = z.output<typeof paymigrateConfigSchema>;

/** The configuration as written in the file (defaults not applied). */
export type PaymigrateConfigInput = z.input<typeof paymigrateConfigSchema>;

/** The Stripe section of a validated configuration. */
export type StripeProviderConfig = z.output<typeof stripeSchema>;

/** The PayPal section of a validated configuration. */
export type PayPalProviderConfig = z.output<typeof payPalSchema>;

/** The Adyen section of a validated configuration. */
export type AdyenProviderConfig = z.output<typeof adyenSchema>;

/** The journal section of a validated configuration. */
export type JournalConfig = z.output<typeof journalSchema>;

/** The tokens section of a validated configuration. */
export type TokensConfig = z.output<typeof tokensSchema>;

/** The platform section of a validated configuration. */
export type PlatformConfig = z.output<typeof platformSchema>;

/** Keys that hold a secret when written in the file by mistake, and the key that names its environment variable instead. */
export const secretKeyReplacements: Readonly<Record<string, string>> = {
  apiKey: 'apiKeyEnvironmentVariable',
  webhookSecret: 'webhookSecretEnvironmentVariable',
  clientId: 'clientIdEnvironmentVariable',
  clientSecret: 'clientSecretEnvironmentVariable',
  webhookId: 'webhookIdEnvironmentVariable',
  hmacKey: 'hmacKeyEnvironmentVariable',
  adminAccessToken: 'adminAccessTokenEnvironmentVariable',
  apiSecretKey: 'apiSecretKeyEnvironmentVariable',
  connectionString: 'connectionStringEnvironmentVariable',
  password: 'connectionStringEnvironmentVariable',
};
