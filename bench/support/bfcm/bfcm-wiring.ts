// The engines of the load test, wired like the checkout-cutover benchmark: the real Stripe and
// PayPal adapters against the loopback fakes, the migration selector read from the journal,
// the checkout's provider pinned per payment, and a Transaction State Manager on that journal.
import {
  createLogger,
  createMigrationProviderSelector,
  createTransactionStateManager,
  type JournalV1,
  type MigrationProviderSelector,
  type ProviderSelectionRequest,
  type TransactionStateManager,
} from '@paymigrate/core';
import { createPayPalGateway } from '@paymigrate/provider-paypal';
import { createStripeGateway } from '@paymigrate/provider-stripe';
import { CheckoutRouter } from '../../../scenarios/support/checkout-router.js';
import type { LoopbackProviders } from '../../../scenarios/support/crash/crash-wiring.js';

/** The provider a migration moves away from, and the one it moves to. */
export const bfcmProviders = { from: 'stripe', to: 'paypal' } as const;

/** The payment method token a checkout sends to each provider's fake (approved test cards). */
export const bfcmPaymentMethodTokens: Readonly<Record<string, string>> = { stripe: 'pm_card_visa', paypal: 'test-visa-approved' };

/** Engines of one process. */
export interface BfcmEngines {
  readonly transactions: TransactionStateManager;
  readonly selector: MigrationProviderSelector<ProviderSelectionRequest>;
  readonly router: CheckoutRouter;
}

/**
 * Builds one process's engines over `journal` and the loopback fakes. Recovery leaves intents younger
 * than `recoveryGraceMs` to the checkout that opened them, so a recovery loop does not race a live checkout.
 */
export function createBfcmEngines(journal: JournalV1, providers: LoopbackProviders, options: { readonly owner: string; readonly providerTimeoutMs: number; readonly recoveryGraceMs: number }): BfcmEngines {
  const logger = createLogger({ level: 'silent' });
  const gateways = [
    createStripeGateway({ apiKey: 'sk_test_paymigrate_bfcm', webhookSecret: 'whsec_bfcm', apiBaseUrl: providers.stripeUrl, timeoutMilliseconds: options.providerTimeoutMs }),
    createPayPalGateway({
      clientId: providers.payPalClientId,
      clientSecret: providers.payPalClientSecret,
      baseUrl: `${providers.payPalUrl}/`,
      timeoutMilliseconds: options.providerTimeoutMs,
      environmentVariables: {},
    }),
  ];
  const selector = createMigrationProviderSelector<ProviderSelectionRequest>({ journal, fromProvider: bfcmProviders.from, logger });
  const router = new CheckoutRouter(selector);
  const transactions = createTransactionStateManager({
    journal,
    gateways,
    selectProvider: router,
    logger,
    unknownOutcome: { lookupDelayMs: 200 },
    recovery: { graceMs: options.recoveryGraceMs, leaseMs: 10_000, concurrency: 8, owner: options.owner },
  });
  return { transactions, selector, router };
}
