import type { PaymigrateConfigInput } from './config-schema.js';

/**
 * The example `paymigrate.config.json` that `paymigrate init` writes: a Stripe -> Adyen migration
 * on the embedded SQLite journal. JSON has no comments; the README of @paymigrate/cli documents
 * every key. Secrets are never in the file: it names the environment variables that hold them.
 */
export const exampleConfig: PaymigrateConfigInput = {
  migration: { id: 'default', from: 'stripe', to: 'adyen' },
  journal: { type: 'sqlite', file: './paymigrate-journal.sqlite', synchronous: 'FULL' },
  providers: {
    stripe: {
      apiKeyEnvironmentVariable: 'STRIPE_API_KEY',
      webhookSecretEnvironmentVariable: 'STRIPE_WEBHOOK_SECRET',
      networkTransactionIdExemption: false,
    },
    adyen: {
      environment: 'test',
      merchantAccount: 'YourMerchantAccount',
      apiKeyEnvironmentVariable: 'ADYEN_API_KEY',
      hmacKeyEnvironmentVariable: 'ADYEN_HMAC_KEY',
      returnUrl: 'https://shop.example/checkout/return',
    },
  },
  platform: { type: 'none' },
  tokens: { keyProvider: { type: 'local-file', file: './paymigrate-vault.key' } },
  routing: { maxConfigAgeMs: 5000, routingSettleMs: 5000 },
  logging: { level: 'info', file: './paymigrate.log' },
};
