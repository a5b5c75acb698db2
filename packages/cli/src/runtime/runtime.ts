import {
  guardJournal,
  type ClockV1,
  type CommercePlatformV1,
  createMigrationOrchestrator,
  createOutboxRelay,
  createTransactionStateManager,
  type JournalV1,
  type Logger,
  type MigrationOrchestrator,
  migrationControlTopic,
  createOrderStateSynchronizer,
  createTokenMigrationEngine,
  type TokenExchangeV1,
  type TokenMigrationEngine,
  type OrderStateSynchronizer,
  type OutboxHandler,
  type OutboxRelay,
  type PaymentGatewayV1,
  systemClock,
  type TokenLocator,
  type TokenMigrationReadinessCheck,
  type TransactionStateManager,
  withRoutingAnnouncements,
} from '@paymigrate/core';
import type { PaymigrateConfig } from '../config/config-schema.js';
import { createConfiguredGateways } from './create-gateways.js';
import { createConfiguredJournal } from './create-journal.js';
import { createConfiguredKeyProvider } from './create-key-provider.js';
import { tokenImportReadiness } from './token-readiness.js';
import type { Environment } from './environment.js';
import { createRoutingRuntime, type RoutingRuntime } from './routing.js';

/**
 * How long a claimed outbox message stays leased to the relay that claimed it. A process killed
 * while delivering leaves its messages leased this long; then any relay delivers them again.
 */
export const outboxLeaseMs = 30_000;

/** Everything a command works with, built from one configuration. */
export interface PaymigrateRuntime {
  /** The validated configuration. */
  readonly config: PaymigrateConfig;
  /** The journal, opened, behind the card-data guard (no write can store card data). */
  readonly journal: JournalV1;
  /** The gateways of the migration's two providers. */
  readonly gateways: ReadonlyMap<string, PaymentGatewayV1>;
  /** Routing of new payments: the traffic router, its node and the kill switch. */
  readonly routing: RoutingRuntime;
  /** The Transaction State Manager. */
  readonly transactions: TransactionStateManager;
  /** The migration orchestrator. */
  readonly orchestrator: MigrationOrchestrator;
  /** The commerce platform orders are recorded on, when configured. */
  readonly platform: CommercePlatformV1 | undefined;
  /** The Order State Synchronizer (with a platform): it moves each order with its payments and updates the platform through the outbox. */
  readonly orders: OrderStateSynchronizer | undefined;
  /** The Token Migration Engine: mapping-file imports into the encrypted vault, delta sync, verification, the token locator. */
  readonly tokens: TokenMigrationEngine;
  /** Delivers the outbox (payment outcomes to the order synchronizer, order updates to the platform, routing change signals). */
  readonly relay: OutboxRelay;
  /** The topics the relay delivers. */
  readonly relayTopics: readonly string[];
  /** Logs. */
  readonly logger: Logger;
  /** Time. */
  readonly clock: ClockV1;
  /** Closes the journal. */
  close(): Promise<void>;
}

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** The validated configuration. */
  readonly config: PaymigrateConfig;
  /** Where secrets are read. */
  readonly environment: Environment;
  /** The configuration file (for messages). */
  readonly source: string;
  /** Logs. */
  readonly logger: Logger;
  /** Worker id of this process's claims (recovery, outbox). */
  readonly owner: string;
  /** Time. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** The platform to record orders on (the configured one is built by the caller). */
  readonly platform?: CommercePlatformV1 | undefined;
  /** Tells the orchestrator whether the token migration is ready before shadow traffic. */
  readonly tokenMigrationReadiness?: TokenMigrationReadinessCheck | undefined;
  /** Where a customer's stored token lives (renewals are routed there). */
  readonly tokenLocator?: TokenLocator | undefined;
  /** The providers' token import APIs, where they have one (API re-tokenization, delta and reverse sync, verification). */
  readonly tokenExchanges?: { readonly target?: TokenExchangeV1 | undefined; readonly source?: TokenExchangeV1 | undefined } | undefined;
  /** The shop's customer id of a mapping file row. @default the source customer reference */
  readonly customerIdOf?: ((row: { readonly sourceCustomerReference: string; readonly targetCustomerReference: string | undefined }) => string) | undefined;
  /** The token import API's rate limit, requests per second. @default 25 */
  readonly tokenRequestsPerSecond?: number | undefined;
  /** A journal to use instead of the configured one (already created, not opened). */
  readonly journal?: JournalV1 | undefined;
  /** Tuning of the Transaction State Manager for short-lived runs. */
  readonly transactions?: { readonly lookupDelayMs?: number | undefined; readonly graceMs?: number | undefined; readonly baseDelayMs?: number | undefined } | undefined;
}

/**
 * Builds the engines of one migration from a configuration: opens the journal (behind the PCI
 * guard), builds the two gateways with secrets from the environment, the routing, the
 * Transaction State Manager, the orchestrator and the outbox relay. Nothing moves money here.
 *
 * @throws ConfigFileError when a secret's environment variable is not set.
 */
export async function createRuntime(options: RuntimeOptions): Promise<PaymigrateRuntime> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const rawJournal = options.journal ?? createConfiguredJournal(config.journal, options.environment, options.source);
  await rawJournal.open();
  const journal = guardJournal(rawJournal);
  try {
    const configuredGateways = createConfiguredGateways(config, { environment: options.environment, source: options.source, journal });
    const engines: { tokens?: TokenMigrationEngine; routing?: RoutingRuntime } = {};
    /** Renewals go to the new provider's token once the migration is cut over, else to the old one's. */
    const preferredProvider = (): string => {
      const phase = engines.routing?.node.view().snapshot?.migration?.phase;
      return phase === 'cutover' || phase === 'drain' || phase === 'done' ? config.migration.to : config.migration.from;
    };
    const vaultLocator: TokenLocator = { locate: async (customerId) => engines.tokens?.locator(preferredProvider).locate(customerId) };
    const routing = createRoutingRuntime({
      journal,
      migrationId: config.migration.id,
      fromProvider: config.migration.from,
      gateways: configuredGateways,
      maxConfigAgeMs: config.routing.maxConfigAgeMs,
      tokenLocator: options.tokenLocator ?? vaultLocator,
      clock,
      logger: logger.child({ component: 'routing' }),
    });
    engines.routing = routing;
    const tokens = await createTokenMigrationEngine({
      journal,
      keyProvider: createConfiguredKeyProvider(config.tokens.keyProvider, options.environment, options.source),
      sourceProvider: config.migration.from,
      targetProvider: config.migration.to,
      targetExchange: options.tokenExchanges?.target,
      sourceExchange: options.tokenExchanges?.source,
      supportedBrands: configuredGateways.find((gateway) => gateway.provider === config.migration.to)?.capabilities.brands,
      customerIdOf: options.customerIdOf,
      clock,
      logger: logger.child({ component: 'tokens' }),
      api: { requestsPerSecond: options.tokenRequestsPerSecond ?? 25 },
    });
    engines.tokens = tokens;
    const gatewayList = configuredGateways.map((gateway) => routing.instrument(gateway));
    const gateways = new Map(gatewayList.map((gateway) => [gateway.provider, gateway]));
    const transactions = createTransactionStateManager({
      journal,
      gateways: gatewayList,
      selectProvider: routing,
      clock,
      logger: logger.child({ component: 'transactions' }),
      retry: { baseDelayMs: options.transactions?.baseDelayMs ?? 200 },
      unknownOutcome: { lookupDelayMs: options.transactions?.lookupDelayMs ?? 2_000 },
      recovery: { owner: options.owner, graceMs: options.transactions?.graceMs ?? 10_000 },
    });
    const orchestrator = withRoutingAnnouncements(createMigrationOrchestrator({
      journal,
      migrationId: config.migration.id,
      fromProvider: config.migration.from,
      toProvider: config.migration.to,
      clock,
      logger: logger.child({ component: 'cutover' }),
      inFlightPayments: { countInFlight: async (provider) => (await transactions.inFlight({ provider })).length },
      tokenMigrationReadiness: options.tokenMigrationReadiness ?? (() => tokenImportReadiness(journal)),
      routingSettleMs: config.routing.routingSettleMs,
    }), { broadcast: routing.broadcast, logger: logger.child({ component: 'routing.announcements' }) });
    const orders =
      options.platform === undefined
        ? undefined
        : createOrderStateSynchronizer({ journal, platform: options.platform, operations: transactions, gateways: gatewayList, clock, logger: logger.child({ component: 'orders' }) });
    const handlers: Record<string, OutboxHandler> = {
      ...orders?.outboxHandlers(),
      [migrationControlTopic]: async () => {
        await routing.refresh();
      },
    };
    const relay = createOutboxRelay({
      journal,
      owner: options.owner,
      handlers,
      clock,
      logger: logger.child({ component: 'outbox' }),
      batchSize: 200,
      leaseMs: outboxLeaseMs,
      retry: { baseDelayMs: 100, maxDelayMs: 5_000 },
    });
    return {
      config,
      journal,
      gateways,
      routing,
      transactions,
      orchestrator,
      platform: options.platform,
      orders,
      tokens,
      relay,
      relayTopics: Object.keys(handlers),
      logger,
      clock,
      async close() {
        await routing.stop();
        await rawJournal.close();
      },
    };
  } catch (error) {
    await rawJournal.close();
    throw error;
  }
}
