import type { JournalV1, PaymentGatewayV1 } from '@paymigrate/core';
import { createAdyenGateway } from '@paymigrate/provider-adyen';
import { createPayPalGateway } from '@paymigrate/provider-paypal';
import { createStripeGateway } from '@paymigrate/provider-stripe';
import type { PaymigrateConfig, SupportedProvider } from '../config/config-schema.js';
import { type Environment, readOptionalSecret, readSecret } from './environment.js';
import { createJournalAdyenLedger } from './journal-adyen-ledger.js';

/** What building the gateways needs besides the configuration. */
export interface GatewayFactoryContext {
  /** Where secrets are read. */
  readonly environment: Environment;
  /** The configuration file (for messages). */
  readonly source: string;
  /** The journal (the Adyen adapter keeps its ledger there). */
  readonly journal: JournalV1;
}

/** Builds the gateway of one configured provider. */
function createGateway(provider: SupportedProvider, config: PaymigrateConfig, context: GatewayFactoryContext): PaymentGatewayV1 {
  const { environment, source } = context;
  const key = (name: string): string => `providers.${provider}.${name}`;
  switch (provider) {
    case 'stripe': {
      const settings = config.providers.stripe;
      /* v8 ignore next -- the schema requires the section of every migration provider */
      if (settings === undefined) throw new Error('providers.stripe is missing');
      return createStripeGateway({
        apiKey: readSecret(environment, settings.apiKeyEnvironmentVariable, key('apiKeyEnvironmentVariable'), source, 'the Stripe secret key (sk_live_...)'),
        webhookSecret: readOptionalSecret(environment, settings.webhookSecretEnvironmentVariable, key('webhookSecretEnvironmentVariable'), source, 'the webhook signing secret'),
        apiBaseUrl: settings.apiBaseUrl,
        networkTransactionIdExemption: settings.networkTransactionIdExemption,
        timeoutMilliseconds: settings.timeoutMilliseconds,
        environment: {},
      });
    }
    case 'paypal': {
      const settings = config.providers.paypal;
      /* v8 ignore next -- the schema requires the section of every migration provider */
      if (settings === undefined) throw new Error('providers.paypal is missing');
      return createPayPalGateway({
        clientId: readSecret(environment, settings.clientIdEnvironmentVariable, key('clientIdEnvironmentVariable'), source, 'the PayPal REST app client id'),
        clientSecret: readSecret(environment, settings.clientSecretEnvironmentVariable, key('clientSecretEnvironmentVariable'), source, 'the PayPal REST app secret'),
        webhookId: readOptionalSecret(environment, settings.webhookIdEnvironmentVariable, key('webhookIdEnvironmentVariable'), source, 'the webhook id (WH-...)'),
        environment: settings.environment,
        baseUrl: settings.baseUrl,
        timeoutMilliseconds: settings.timeoutMilliseconds,
        environmentVariables: {},
      });
    }
    case 'adyen': {
      const settings = config.providers.adyen;
      /* v8 ignore next -- the schema requires the section of every migration provider */
      if (settings === undefined) throw new Error('providers.adyen is missing');
      return createAdyenGateway({
        environment: settings.environment,
        merchantAccount: settings.merchantAccount,
        apiKey: readSecret(environment, settings.apiKeyEnvironmentVariable, key('apiKeyEnvironmentVariable'), source, 'the Adyen API key'),
        hmacKey: readOptionalSecret(environment, settings.hmacKeyEnvironmentVariable, key('hmacKeyEnvironmentVariable'), source, 'the webhook HMAC key'),
        liveEndpointUrlPrefix: readOptionalSecret(
          environment,
          settings.liveEndpointUrlPrefixEnvironmentVariable,
          key('liveEndpointUrlPrefixEnvironmentVariable'),
          source,
          'the live endpoint URL prefix',
        ),
        returnUrl: settings.returnUrl,
        baseUrl: settings.baseUrl,
        timeoutMilliseconds: settings.timeoutMilliseconds,
        ledger: createJournalAdyenLedger(context.journal),
        environmentVariables: {},
      });
    }
  }
}

/**
 * Builds the gateways of the migration's two providers from the configuration, reading each
 * secret from the environment variable the configuration names.
 *
 * @throws ConfigFileError naming the key and the variable when a secret is not set.
 * @throws ConfigurationError from an adapter when a value is rejected (e.g. a publishable Stripe key).
 */
export function createConfiguredGateways(config: PaymigrateConfig, context: GatewayFactoryContext): PaymentGatewayV1[] {
  return [config.migration.from, config.migration.to].map((provider) => createGateway(provider, config, context));
}
