import { Writable } from 'node:stream';
import { type Attributes, createNoopMeter, type Meter, type ObservableCallback } from '@opentelemetry/api';
import { InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { createMigrationOrchestrator, type MigrationOrchestrator } from '../../cutover/migration-orchestrator.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import type {
  JournalClaimOptions,
  JournalListOptions,
  JournalRecord,
  JournalV1,
  JournalWriteBatch,
  JournalWriteResult,
  OutboxClaimOptions,
  OutboxMessage,
} from '../../ports/journal/v1/journal.js';
import { withRoutingAnnouncements } from '../announcing-orchestrator.js';
import { InMemoryControlPlaneBroadcast } from '../control-plane-broadcast.js';
import { createKillSwitch, type KillSwitch } from '../kill-switch.js';
import { createRoutingNode, type RoutingNode, type RoutingNodeOptions } from '../routing-node.js';
import { createTrafficRouter, type TrafficRouter, type TrafficRouterOptions } from '../traffic-router.js';

/** The old provider in every routing test. */
export const oldProvider = 'stripe';

/** The new provider in every routing test. */
export const newProvider = 'adyen';

/** One measurement a recording meter saw. */
export interface MetricRecord {
  readonly name: string;
  readonly value: number;
  readonly attributes: Attributes | undefined;
}

/**
 * An OpenTelemetry meter that keeps every counter add and histogram record, and the observations
 * of its observable counters each time `collect` runs their callbacks (as a metric reader would).
 */
export function recordingMeter(): { readonly meter: Meter; readonly records: MetricRecord[]; readonly collect: () => MetricRecord[] } {
  const records: MetricRecord[] = [];
  const callbacks: { readonly name: string; readonly callback: ObservableCallback }[] = [];
  const noop = createNoopMeter();
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string) => ({ add: (value: number, attributes?: Attributes) => records.push({ name, value, attributes }) }),
    createHistogram: (name: string) => ({ record: (value: number, attributes?: Attributes) => records.push({ name, value, attributes }) }),
    createObservableCounter: (name: string) => ({
      addCallback: (callback: ObservableCallback) => callbacks.push({ name, callback }),
      removeCallback: () => undefined,
    }),
  });
  const collect = (): MetricRecord[] => {
    const observed: MetricRecord[] = [];
    for (const { name, callback } of callbacks) {
      void callback({ observe: (value: number, attributes?: Attributes) => observed.push({ name, value, attributes }) });
    }
    return observed;
  };
  return { meter, records, collect };
}

/** A pino logger whose JSON lines are kept. */
export function capturingLogger(): { readonly logger: Logger; readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ destination, level: 'debug' }), lines };
}

/**
 * A journal that delegates to another and lets a test make reads or writes fail, or count them.
 */
export class FaultyJournal implements JournalV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'faulty';
  /** When set, `get` rejects with it. */
  readError: Error | undefined;
  /** When set, `write` rejects with it. */
  writeError: Error | undefined;
  /** Runs before each write reaches the inner journal. */
  beforeWrite: ((batch: JournalWriteBatch) => Promise<void>) | undefined;
  /** When set, `get` reads at once but answers only after this promise settles (a slow network). */
  readGate: Promise<void> | undefined;
  /** How many `get` calls were made. */
  reads = 0;
  readonly #inner: JournalV1;

  constructor(inner: JournalV1) {
    this.#inner = inner;
  }

  open(): Promise<void> {
    return this.#inner.open();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
  schemaVersion(): Promise<number> {
    return this.#inner.schemaVersion();
  }
  async get(collection: string, key: string): Promise<JournalRecord | undefined> {
    this.reads += 1;
    if (this.readError !== undefined) throw this.readError;
    const gate = this.readGate;
    const record = await this.#inner.get(collection, key);
    if (gate !== undefined) await gate;
    return record;
  }
  getMany(collection: string, keys: readonly string[]): Promise<readonly JournalRecord[]> {
    return this.#inner.getMany(collection, keys);
  }
  list(collection: string, options: JournalListOptions): Promise<readonly JournalRecord[]> {
    return this.#inner.list(collection, options);
  }
  count(collection: string, options?: { readonly index?: string | undefined }): Promise<number> {
    return this.#inner.count(collection, options);
  }
  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    if (this.writeError !== undefined) throw this.writeError;
    await this.beforeWrite?.(batch);
    return this.#inner.write(batch);
  }
  claim(options: JournalClaimOptions): Promise<readonly JournalRecord[]> {
    return this.#inner.claim(options);
  }
  claimOutbox(options: OutboxClaimOptions): Promise<readonly OutboxMessage[]> {
    return this.#inner.claimOutbox(options);
  }
  acknowledgeOutbox(input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }> {
    return this.#inner.acknowledgeOutbox(input);
  }
  releaseOutbox(input: { readonly sequence: number; readonly owner: string; readonly availableAt: number; readonly error?: string | undefined }): Promise<void> {
    return this.#inner.releaseOutbox(input);
  }
  pendingOutboxCount(options?: { readonly topics?: readonly string[] | undefined }): Promise<number> {
    return this.#inner.pendingOutboxCount(options);
  }
}

/** Lets queued macrotasks (broadcast delivery) and the reads they start finish. */
export async function settle(rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
  }
}

/** Everything a routing test works with. */
export interface RoutingHarness {
  readonly clock: ManualClock;
  readonly memory: InMemoryJournal;
  readonly journal: FaultyJournal;
  readonly broadcast: InMemoryControlPlaneBroadcast;
  /** The orchestrator, announcing every change on `broadcast`. */
  readonly orchestrator: MigrationOrchestrator;
  readonly killSwitch: KillSwitch;
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** Creates (not starts) a node over the harness. */
  createNode(overrides?: Partial<RoutingNodeOptions>): RoutingNode;
  /** Creates a started node and a router on it. */
  createRouter(overrides?: Partial<TrafficRouterOptions>, nodeOverrides?: Partial<RoutingNodeOptions>): Promise<TrafficRouter>;
  /** Starts the migration and brings it to `ramp` at `percent`. */
  rampTo(percent: number): Promise<void>;
}

/** Builds a harness over one manual clock, one in-memory journal and one in-memory broadcast. */
export async function createRoutingHarness(): Promise<RoutingHarness> {
  const clock = new ManualClock();
  const memory = new InMemoryJournal({ clock });
  await memory.open();
  const journal = new FaultyJournal(memory);
  const broadcast = new InMemoryControlPlaneBroadcast();
  const { logger, lines } = capturingLogger();
  const orchestrator = withRoutingAnnouncements(
    createMigrationOrchestrator({
      journal,
      fromProvider: oldProvider,
      toProvider: newProvider,
      clock,
      logger,
      inFlightPayments: { countInFlight: async () => 0 },
    }),
    { broadcast, logger },
  );
  const killSwitch = createKillSwitch({ journal, broadcast, clock, logger });
  const createNode = (overrides: Partial<RoutingNodeOptions> = {}): RoutingNode => createRoutingNode({ journal, broadcast, clock, logger, ...overrides });
  const createRouter = async (overrides: Partial<TrafficRouterOptions> = {}, nodeOverrides: Partial<RoutingNodeOptions> = {}): Promise<TrafficRouter> => {
    const node = createNode(nodeOverrides);
    await node.start();
    return createTrafficRouter({ node, fromProvider: oldProvider, clock, logger, circuitBreaker: false, ...overrides });
  };
  const rampTo = async (percent: number): Promise<void> => {
    await orchestrator.start({ actor: 'test', reason: 'set up' });
    await orchestrator.advance({ to: 'shadow', actor: 'test', reason: 'set up' });
    await orchestrator.advance({ to: 'ramp', actor: 'test', reason: 'set up' });
    if (percent > 0) await orchestrator.setRampPercent({ percent, actor: 'test', reason: 'set up' });
    await settle();
  };
  return { clock, memory, journal, broadcast, orchestrator, killSwitch, logger, lines, createNode, createRouter, rampTo };
}
