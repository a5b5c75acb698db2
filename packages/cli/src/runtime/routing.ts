import {
  type ClockV1,
  createKillSwitch,
  createRolloutGuardrail,
  createRoutingNode,
  createTrafficRouter,
  type GuardrailVerdict,
  guardrailVerdictCollection,
  InMemoryControlPlaneBroadcast,
  type JournalV1,
  type KillSwitch,
  type Logger,
  type MigrationOrchestrator,
  type PaymentGatewayV1,
  type ProviderSelection,
  type ProviderSelectionRequest,
  type ProviderSelector,
  type RolloutGuardrail,
  type RoutingDecision,
  type RoutingNode,
  type RoutingRequest,
  type RoutingSnapshot,
  type TokenLocator,
  type TrafficRouter,
} from '@paymigrate/core';

/** How the CLI routes new payments during a migration: core's traffic router, kill switch and guardrail on one routing node. */
export interface RoutingRuntime extends ProviderSelector {
  /** The engine that decides. */
  readonly engine: 'traffic-router';
  /** The router (the Transaction State Manager's selector; it pins each decision in the journal). */
  readonly router: TrafficRouter;
  /** This process's cached view of the routing configuration. */
  readonly node: RoutingNode;
  /** The fleet-wide kill switch. */
  readonly killSwitch: KillSwitch;
  /** Tells this process's node (and anything subscribed) to re-read at once after a change. */
  readonly broadcast: InMemoryControlPlaneBroadcast;
  /**
   * Decides the provider of a new payment before its card is collected (a checkout needs to know
   * which provider's token to use). The router journals the decision per payment id, so the
   * Transaction State Manager's own `select` for that payment returns the same provider.
   */
  decide(request: RoutingRequest): Promise<RoutingDecision>;
  /** Re-reads the routing configuration now (the hook of the `control.migration` outbox topic). */
  refresh(): Promise<RoutingSnapshot>;
  /** Measures a gateway's authorizations for the router's statistics (give the Transaction State Manager the wrapped ones). */
  instrument(gateway: PaymentGatewayV1): PaymentGatewayV1;
  /** Creates the guardrail of the ramp on this router's statistics; it rolls the migration back on a significant regression. */
  createGuardrail(orchestrator: Pick<MigrationOrchestrator, 'rollback'>, minimumSamplesPerArm: number): RolloutGuardrail;
  /** Starts polling the journal (a long-running process); commands read on demand without it. */
  start(): Promise<void>;
  /** Stops polling. */
  stop(): Promise<void>;
}

/** Options of `createRoutingRuntime`. */
export interface RoutingRuntimeOptions {
  /** The journal holding the migration record, the kill switch and the routing assignments. */
  readonly journal: JournalV1;
  /** The migration id. */
  readonly migrationId: string;
  /** The old provider. */
  readonly fromProvider: string;
  /** The gateways (their capabilities keep a payment a provider cannot take on the other one). */
  readonly gateways: readonly PaymentGatewayV1[];
  /** A view older than this is not trusted (new payments go to the old provider), milliseconds. */
  readonly maxConfigAgeMs: number;
  /** Where a customer's stored token lives: renewals go there. */
  readonly tokenLocator?: TokenLocator | undefined;
  /** Time. */
  readonly clock: ClockV1;
  /** Logs. */
  readonly logger: Logger;
}

/**
 * Builds the routing of new payments on core's engine: a routing node (cached view of the
 * migration and the kill switch, re-read on every change announced on the broadcast, polled every
 * fifth of `maxConfigAgeMs`), the traffic router (monotone sticky buckets, capability
 * constraints, renewals to the provider holding the token, circuit breakers), and the kill switch.
 */
export function createRoutingRuntime(options: RoutingRuntimeOptions): RoutingRuntime {
  const broadcast = new InMemoryControlPlaneBroadcast();
  const node = createRoutingNode({
    journal: options.journal,
    broadcast,
    migrationId: options.migrationId,
    clock: options.clock,
    pollIntervalMs: Math.max(1, Math.floor(options.maxConfigAgeMs / 5)),
    maxConfigAgeMs: options.maxConfigAgeMs,
    logger: options.logger.child({ component: 'routing.node' }),
  });
  const router = createTrafficRouter({
    node,
    fromProvider: options.fromProvider,
    gateways: options.gateways.map((gateway) => ({ provider: gateway.provider, capabilities: gateway.capabilities })),
    tokenLocator: options.tokenLocator,
    clock: options.clock,
    logger: options.logger,
  });
  const killSwitch = createKillSwitch({ journal: options.journal, broadcast, migrationId: options.migrationId, clock: options.clock, logger: options.logger.child({ component: 'routing.kill-switch' }) });
  return Object.freeze({
    engine: 'traffic-router' as const,
    router,
    node,
    killSwitch,
    broadcast,
    decide: (request: RoutingRequest) => router.select(request),
    async select(request: ProviderSelectionRequest): Promise<ProviderSelection> {
      const decision = await router.select(request);
      return { provider: decision.provider, reason: decision.reason };
    },
    refresh: () => node.refresh(),
    instrument: (gateway: PaymentGatewayV1) => router.instrumentGateway(gateway),
    createGuardrail: (orchestrator: Pick<MigrationOrchestrator, 'rollback'>, minimumSamplesPerArm: number) =>
      createRolloutGuardrail({
        statistics: router.statistics,
        node,
        orchestrator,
        broadcast,
        minimumSamplesPerArm,
        clock: options.clock,
        logger: options.logger.child({ component: 'routing.guardrail' }),
      }),
    start: () => node.start(),
    stop: () => node.stop(),
  });
}

/** The guardrail's verdicts journaled for a migration (rollbacks and the latest evaluations), newest last. */
export async function journaledGuardrailVerdicts(journal: JournalV1, migrationId: string): Promise<GuardrailVerdict[]> {
  const records = await journal.list(guardrailVerdictCollection, { limit: 1000 });
  return records
    .map((record) => JSON.parse(record.value) as GuardrailVerdict)
    .filter((verdict) => verdict.migrationId === migrationId)
    .sort((left, right) => left.evaluatedAt - right.evaluatedAt);
}
