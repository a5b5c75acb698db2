// The Transaction State Manager of the crash and fleet tests: the real Stripe and PayPal adapters
// (both speak plain HTTP, so fakes served over loopback by another process work), pinned per
// payment id, on any journal.
import { createLogger, createTransactionStateManager, type JournalV1, type ProviderSelector, type TransactionStateManager } from '@paymigrate/core';
import { createPayPalGateway } from '@paymigrate/provider-paypal';
import { createStripeGateway } from '@paymigrate/provider-stripe';
import { crashProviderOf } from './crash-protocol.js';

/** Where the loopback fakes are. */
export interface LoopbackProviders {
  /** `http://127.0.0.1:<port>` of the Stripe fake. */
  readonly stripeUrl: string;
  /** `http://127.0.0.1:<port>` of the PayPal fake. */
  readonly payPalUrl: string;
  readonly payPalClientId: string;
  readonly payPalClientSecret: string;
}

/** New payments go where their id says (`...s` Stripe, `...p` PayPal): a seeded split, pinned per payment. */
export const splitByPaymentId: ProviderSelector = Object.freeze({
  select: async (request: { readonly paymentId: string }) => ({ provider: crashProviderOf(request.paymentId), reason: 'crash-test split by payment id' }),
});

/** A Transaction State Manager over `journal` and the loopback fakes. */
export function createLoopbackTransactions(
  journal: JournalV1,
  providers: LoopbackProviders,
  options: {
    readonly owner?: string | undefined;
    readonly leaseMs?: number | undefined;
    readonly graceMs?: number | undefined;
    /** Per-request timeout of both adapters. @default 3000 */
    readonly providerTimeoutMs?: number | undefined;
  } = {},
): TransactionStateManager {
  const timeoutMilliseconds = options.providerTimeoutMs ?? 3_000;
  const stripe = createStripeGateway({ apiKey: 'sk_test_paymigrate_crash', webhookSecret: 'whsec_crash', apiBaseUrl: providers.stripeUrl, timeoutMilliseconds });
  const payPal = createPayPalGateway({
    clientId: providers.payPalClientId,
    clientSecret: providers.payPalClientSecret,
    baseUrl: `${providers.payPalUrl}/`,
    timeoutMilliseconds,
    environmentVariables: {},
  });
  return createTransactionStateManager({
    journal,
    gateways: [stripe, payPal],
    selectProvider: splitByPaymentId,
    logger: createLogger({ level: 'silent' }),
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    unknownOutcome: { lookupDelayMs: 100 },
    recovery: { graceMs: options.graceMs ?? 0, leaseMs: options.leaseMs ?? 2_000, concurrency: 8, owner: options.owner },
  });
}
