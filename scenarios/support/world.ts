// An end-to-end world for the zero-loss scenarios, in one process: the Transaction State Manager,
// the migration orchestrator and its provider selector on an SQLite journal (a temporary file),
// the REAL Stripe and Adyen adapters on their official SDKs, and the testkit's stateful fakes
// behind msw. Stripe is the old provider, Adyen the new one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createLogger,
  createMigrationOrchestrator,
  createMigrationProviderSelector,
  createTransactionStateManager,
  type Logger,
  type MigrationOrchestrator,
  Money,
  type PaymentGatewayV1,
  type PaymentRecord,
  type ProviderEventResult,
  type ProviderSelectionRequest,
  type RecoveryReport,
  type TransactionResult,
  type TransactionStateManager,
  type TransactionStateManagerOptions,
  type WebhookRequest,
} from '@paymigrate/core';
import { type AdyenGateway, createAdyenGateway } from '@paymigrate/provider-adyen';
import { createStripeGateway } from '@paymigrate/provider-stripe';
import { createSqliteJournal, type SqliteJournal } from '@paymigrate/store-sqlite';
import {
  type AdyenFake,
  adyenFakeDefaults,
  adyenTestTokens,
  createAdyenFake,
  createStripeFake,
  type LoopbackHttpServer,
  loopbackTlsCredentials,
  serveOverHttp,
  type StripeFake,
} from '@paymigrate/testkit';
import { http, passthrough } from 'msw';
import type { SetupServer } from 'msw/node';
import { CheckoutRouter } from './checkout-router.js';
import { checkInvariants, type CheckInvariantsOptions, type InvariantReport } from './invariants.js';

export { CheckoutRouter } from './checkout-router.js';

/** The old provider of every in-process scenario. */
export const oldProvider = 'stripe';
/** The new provider of every in-process scenario. */
export const newProvider = 'adyen';

/** A test payment method per provider: what that provider's checkout form would hand the server. */
export const paymentMethodTokens: Readonly<Record<string, string>> = {
  stripe: 'pm_card_visa',
  adyen: adyenTestTokens.visa,
};

/** A logger that writes nothing (the scenarios assert on the journal and the fakes, not on logs). */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}

/** What one checkout did. */
export interface CheckoutOutcome {
  readonly paymentId: string;
  /** The provider the checkout began on, and the migration epoch of that decision. */
  readonly begunOn: string;
  readonly epoch: number;
  readonly authorization: TransactionResult;
  readonly capture: TransactionResult | undefined;
}

/** Options of `createZeroLossWorld`. */
export interface ZeroLossWorldOptions {
  /** Seed of the fakes' ids and fault probabilities. @default 1 */
  readonly seed?: number | undefined;
  /**
   * Per-request timeout of both adapters, milliseconds. Scenarios with `timeout-after-apply` faults
   * set it below the time the fault holds the request. @default 2000
   */
  readonly providerTimeoutMs?: number | undefined;
  /** Extra Transaction State Manager options. */
  readonly transactions?: Partial<Omit<TransactionStateManagerOptions, 'journal' | 'gateways' | 'selectProvider'>> | undefined;
  /**
   * Serve the Adyen fake over real TLS sockets on loopback (the Adyen SDK speaks HTTPS only)
   * instead of through msw, so a dropped connection is a real reset after the request was sent.
   * @default false
   */
  readonly adyenOverTls?: boolean | undefined;
}

/** Everything a scenario works with. */
export interface ZeroLossWorld {
  readonly journal: SqliteJournal;
  readonly stripe: StripeFake;
  readonly adyen: AdyenFake;
  readonly gateways: { readonly stripe: PaymentGatewayV1; readonly adyen: AdyenGateway };
  readonly router: CheckoutRouter;
  readonly orchestrator: MigrationOrchestrator;
  readonly transactions: TransactionStateManager;
  /** Webhooks answered `deferred` (they depend on one not applied yet): redelivered by the next `deliverWebhooks`, as a provider would. */
  readonly redeliveries: WebhookRequest[];
  /**
   * Webhooks answered `unknown_payment` (no payment has their provider reference): redelivered by
   * every `deliverWebhooks` too, but they do not keep `recoverAll` going, since nothing may ever
   * match them (e.g. about an authorization whose answer was lost and which was technically cancelled).
   */
  readonly unmatchedWebhooks: WebhookRequest[];
  /** Moves the migration to `ramp` at 100 % (new payments still go to the old provider: no ramp selector is plugged in). */
  prepareCutover(): Promise<void>;
  /** Flips new payments to Adyen. */
  cutover(): Promise<number>;
  /** Rolls back: new payments go to Stripe again. */
  rollback(): Promise<number>;
  /** Begins a checkout, waits `customerMs` (the customer at the payment form), authorizes and (unless `capture: false`) captures. */
  checkout(input: {
    readonly paymentId: string;
    /** The order; a retried checkout keeps its order. @default `order-<paymentId>` */
    readonly orderId?: string | undefined;
    readonly amount?: number | undefined;
    readonly customerMs?: number | undefined;
    /** The customer at the payment form: awaited after the provider is chosen, before the authorization. */
    readonly atPaymentForm?: (() => Promise<void>) | undefined;
    readonly capture?: boolean | undefined;
    /** Called right before the authorization is sent. */
    readonly beforeAuthorize?: (() => void) | undefined;
  }): Promise<CheckoutOutcome>;
  /** Delivers every webhook the fakes queued (and earlier redeliveries) through the adapters' verification to the Transaction State Manager. */
  deliverWebhooks(): Promise<ProviderEventResult[]>;
  /** Runs recovery passes (delivering webhooks between them) until nothing is left to drive, at most `rounds`. */
  recoverAll(options?: { readonly rounds?: number | undefined; readonly pauseMs?: number | undefined }): Promise<RecoveryReport[]>;
  /** A new Transaction State Manager (a restarted process) on the same journal file, gateways and fakes. */
  restart(): Promise<void>;
  /** The payment as the journal holds it. */
  payment(paymentId: string): Promise<PaymentRecord>;
  /** `checkInvariants` on this world. */
  invariants(options?: Omit<CheckInvariantsOptions, 'journal' | 'fakes'>): Promise<InvariantReport>;
  /** Closes the journal and removes its folder. */
  close(): Promise<void>;
}

/** Amounts in EUR, which both providers take. */
export function eur(minorUnits: number): Money {
  return Money.of(minorUnits, 'EUR');
}

/**
 * Builds a world and installs its fakes' handlers on `server` (an msw server listening with
 * `onUnhandledRequest: 'error'`, see `useMockServer`).
 */
export async function createZeroLossWorld(server: SetupServer, options: ZeroLossWorldOptions = {}): Promise<ZeroLossWorld> {
  const seed = options.seed ?? 1;
  const timeoutMilliseconds = options.providerTimeoutMs ?? 2_000;
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-zero-loss-'));
  const filename = join(directory, 'journal.sqlite');
  let journal = createSqliteJournal({ filename });
  await journal.open();
  const stripe = createStripeFake({ seed });
  const adyen = createAdyenFake({ seed });
  let adyenServer: LoopbackHttpServer | undefined;
  if (options.adyenOverTls === true) {
    adyenServer = await serveOverHttp(adyen.handlers, { rewriteOrigin: new URL(adyenFakeDefaults.baseUrl).origin, tls: loopbackTlsCredentials });
    // msw would otherwise refuse the loopback request as unhandled: it goes out on a real socket.
    server.resetHandlers(...stripe.handlers, http.all(`${adyenServer.url}/*`, () => passthrough()));
  } else {
    server.resetHandlers(...stripe.handlers, ...adyen.handlers);
  }
  const adyenEndpoint = adyenServer === undefined ? {} : { baseUrl: `${adyenServer.url}/v72`, certificateAuthority: loopbackTlsCredentials.certificate };
  const gateways = {
    stripe: createStripeGateway({ apiKey: 'sk_test_paymigrate_zero_loss', webhookSecret: stripe.webhookSecret, timeoutMilliseconds }),
    adyen: createAdyenGateway({
      environment: 'test',
      apiKey: adyen.apiKey,
      hmacKey: adyen.hmacKey,
      merchantAccount: adyen.merchantAccount,
      returnUrl: 'https://shop.example/checkout/return',
      timeoutMilliseconds,
      environmentVariables: {},
      ...adyenEndpoint,
    }),
  };
  const logger = silentLogger();
  const build = () => {
    const selector = createMigrationProviderSelector<ProviderSelectionRequest>({ journal, fromProvider: oldProvider, refreshIntervalMs: 0, logger });
    const router = new CheckoutRouter(selector);
    const transactions = createTransactionStateManager({
      journal,
      gateways: [gateways.stripe, gateways.adyen],
      selectProvider: router,
      logger,
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
      unknownOutcome: { lookupDelayMs: 100 },
      recovery: { graceMs: 0, leaseMs: 5_000, concurrency: 8 },
      ...options.transactions,
    });
    const orchestrator = createMigrationOrchestrator({
      journal,
      fromProvider: oldProvider,
      toProvider: newProvider,
      routingSettleMs: 0,
      logger,
      inFlightPayments: { countInFlight: async (provider) => (await transactions.inFlight({ provider })).length },
    });
    return { router, transactions, orchestrator };
  };
  let parts = build();
  const redeliveries: WebhookRequest[] = [];
  const unmatchedWebhooks: WebhookRequest[] = [];
  const gatewayOf = (request: WebhookRequest): PaymentGatewayV1 => (request.headers['stripe-signature'] === undefined ? gateways.adyen : gateways.stripe);

  const deliverWebhooks = async (): Promise<ProviderEventResult[]> => {
    const results: ProviderEventResult[] = [];
    const queued: [PaymentGatewayV1, WebhookRequest][] = [
      ...[...redeliveries.splice(0), ...unmatchedWebhooks.splice(0)].map((request): [PaymentGatewayV1, WebhookRequest] => [gatewayOf(request), request]),
      ...stripe.takeSignedWebhooks().map((request): [PaymentGatewayV1, WebhookRequest] => [gateways.stripe, request]),
      ...adyen.takePendingWebhooks().map((request): [PaymentGatewayV1, WebhookRequest] => [gateways.adyen, request]),
    ];
    for (const [gateway, request] of queued) {
      const event = await gateway.verifyWebhook(request);
      const result = await parts.transactions.applyProviderEvent(event);
      results.push(result);
      // The provider redelivers what was not accepted.
      if (result.status === 'deferred') redeliveries.push(request);
      if (result.status === 'unknown_payment') unmatchedWebhooks.push(request);
    }
    return results;
  };

  const world: ZeroLossWorld = {
    get journal() {
      return journal;
    },
    stripe,
    adyen,
    gateways,
    get router() {
      return parts.router;
    },
    get orchestrator() {
      return parts.orchestrator;
    },
    get transactions() {
      return parts.transactions;
    },
    redeliveries,
    unmatchedWebhooks,
    async prepareCutover() {
      const { orchestrator } = parts;
      await orchestrator.start({ actor: 'scenario', reason: 'zero-loss scenario' });
      await orchestrator.advance({ to: 'shadow', actor: 'scenario', reason: 'tokens migrated' });
      await orchestrator.advance({ to: 'ramp', actor: 'scenario', reason: 'shadow clean' });
      await orchestrator.setRampPercent({ percent: 100, actor: 'scenario', reason: 'ready to cut over' });
    },
    async cutover() {
      return (await parts.orchestrator.advance({ to: 'cutover', actor: 'scenario', reason: 'cut over' })).epoch;
    },
    async rollback() {
      return (await parts.orchestrator.rollback({ actor: 'scenario', reason: 'roll back' })).epoch;
    },
    async checkout(input) {
      const amount = eur(input.amount ?? 2_500);
      const request: ProviderSelectionRequest = { paymentId: input.paymentId, merchantReference: `order-${input.paymentId}`, amount, currency: 'EUR' };
      const begun = await parts.router.begin(request);
      if ((input.customerMs ?? 0) > 0) await sleep(input.customerMs);
      await input.atPaymentForm?.();
      input.beforeAuthorize?.();
      const authorization = await parts.transactions.authorize({
        paymentId: input.paymentId,
        merchantReference: request.merchantReference,
        orderId: input.orderId ?? `order-${input.paymentId}`,
        amount,
        paymentMethodToken: paymentMethodTokens[begun.provider] as string,
      });
      const capture =
        input.capture === false || authorization.status !== 'succeeded' || authorization.payment.state !== 'authorized'
          ? undefined
          : await parts.transactions.capture({ paymentId: input.paymentId });
      return { paymentId: input.paymentId, begunOn: begun.provider, epoch: begun.epoch, authorization, capture };
    },
    deliverWebhooks,
    async recoverAll(recoverOptions = {}) {
      const reports: RecoveryReport[] = [];
      for (let round = 0; round < (recoverOptions.rounds ?? 20); round += 1) {
        await deliverWebhooks();
        const report = await parts.transactions.recover({ owner: 'scenario-recovery', limit: 1_000 });
        reports.push(report);
        await deliverWebhooks();
        const open = await journal.count('payment-intents', { index: 'pending' }) + (await journal.count('payment-intents', { index: 'unknown' })) + (await journal.count('payment-intents', { index: 'waiting' }));
        if (open === 0 && report.examined === 0 && redeliveries.length === 0) break;
        await sleep(recoverOptions.pauseMs ?? 60);
      }
      return reports;
    },
    async restart() {
      await journal.close();
      journal = createSqliteJournal({ filename });
      await journal.open();
      parts = build();
    },
    async payment(paymentId) {
      const payment = await parts.transactions.payment(paymentId);
      if (payment === undefined) throw new Error(`payment ${paymentId} is not in the journal`);
      return payment;
    },
    invariants(invariantOptions = {}) {
      return checkInvariants({ journal, fakes: { stripe, adyen }, ...invariantOptions });
    },
    async close() {
      await journal.close();
      await adyenServer?.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  return world;
}
