import type { PaymigrateConfig, SupportedProvider } from '../config/config-schema.js';
import { validateConfig } from '../config/load-config.js';
import type { Environment } from '../runtime/environment.js';
import { type ProviderOrigins, worldCredentials } from './world/world-protocol.js';

/** The migration id of every rehearsal. */
export const rehearsalMigrationId = 'rehearsal';

/** Environment variables the rehearsal's configuration names (filled with the world's fake credentials). */
const variables = {
  stripeApiKey: 'PAYMIGRATE_REHEARSAL_STRIPE_API_KEY',
  stripeWebhookSecret: 'PAYMIGRATE_REHEARSAL_STRIPE_WEBHOOK_SECRET',
  payPalClientId: 'PAYMIGRATE_REHEARSAL_PAYPAL_CLIENT_ID',
  payPalClientSecret: 'PAYMIGRATE_REHEARSAL_PAYPAL_CLIENT_SECRET',
  payPalWebhookId: 'PAYMIGRATE_REHEARSAL_PAYPAL_WEBHOOK_ID',
  adyenApiKey: 'PAYMIGRATE_REHEARSAL_ADYEN_API_KEY',
  adyenHmacKey: 'PAYMIGRATE_REHEARSAL_ADYEN_HMAC_KEY',
} as const;

/** What the rehearsal's configuration is built from. */
export interface RehearsalConfigInput {
  /** The old provider. */
  readonly from: SupportedProvider;
  /** The new provider. */
  readonly to: SupportedProvider;
  /** The SQLite journal file. */
  readonly journalFile: string;
  /** The JSON log file. */
  readonly logFile: string;
  /** The key file of the token vault (created when absent). */
  readonly keyFile: string;
  /** The world's provider fakes. */
  readonly origins: ProviderOrigins;
}

/**
 * The configuration a real migration would use, pointed at the world: the same schema, the same
 * validation and the same secrets-from-environment path as `paymigrate.config.json`, so the
 * rehearsal exercises the operator commands' wiring. Adyen stays on its test host (the rehearsal
 * intercepts it, see `bridgeAdyenToWorld`). Routing settles in 500 ms instead of 5 s.
 */
export function rehearsalConfig(input: RehearsalConfigInput): { readonly config: PaymigrateConfig; readonly environment: Environment } {
  const file = {
    migration: { id: rehearsalMigrationId, from: input.from, to: input.to },
    journal: { type: 'sqlite', file: input.journalFile, synchronous: 'NORMAL' },
    providers: {
      stripe: {
        apiKeyEnvironmentVariable: variables.stripeApiKey,
        webhookSecretEnvironmentVariable: variables.stripeWebhookSecret,
        apiBaseUrl: input.origins.stripe,
        networkTransactionIdExemption: true,
        timeoutMilliseconds: 10_000,
      },
      paypal: {
        clientIdEnvironmentVariable: variables.payPalClientId,
        clientSecretEnvironmentVariable: variables.payPalClientSecret,
        webhookIdEnvironmentVariable: variables.payPalWebhookId,
        environment: 'sandbox',
        baseUrl: input.origins.paypal,
        timeoutMilliseconds: 10_000,
      },
      adyen: {
        environment: 'test',
        merchantAccount: worldCredentials.adyen.merchantAccount,
        apiKeyEnvironmentVariable: variables.adyenApiKey,
        hmacKeyEnvironmentVariable: variables.adyenHmacKey,
        returnUrl: 'https://shop.rehearsal.invalid/checkout/return',
        timeoutMilliseconds: 10_000,
      },
    },
    platform: { type: 'none' },
    tokens: { keyProvider: { type: 'local-file', file: input.keyFile } },
    routing: { maxConfigAgeMs: 500, routingSettleMs: 500 },
    logging: { level: 'info', file: input.logFile },
  };
  const environment: Environment = {
    [variables.stripeApiKey]: worldCredentials.stripe.apiKey,
    [variables.stripeWebhookSecret]: worldCredentials.stripe.webhookSecret,
    [variables.payPalClientId]: worldCredentials.paypal.clientId,
    [variables.payPalClientSecret]: worldCredentials.paypal.clientSecret,
    [variables.payPalWebhookId]: worldCredentials.paypal.webhookId,
    [variables.adyenApiKey]: worldCredentials.adyen.apiKey,
    [variables.adyenHmacKey]: worldCredentials.adyen.hmacKey,
  };
  return { config: validateConfig(file, 'rehearsal configuration'), environment };
}
