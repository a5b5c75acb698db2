import { Writable } from 'node:stream';
import { InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { createLogger } from '../../observability/logger.js';
import type { MigrationPhase } from '../migration-phase.js';
import { createMigrationOrchestrator, type MigrationOrchestrator, type MigrationOrchestratorOptions } from '../migration-orchestrator.js';
import { type MigrationControlMessage, migrationControlTopic } from '../migration-state.js';
import { ControllableJournal } from './controllable-journal.js';
import { FakeInFlightPayments } from './fake-in-flight-payments.js';

/** The old provider in every cutover test. */
export const oldProvider = 'stripe';

/** The new provider in every cutover test. */
export const newProvider = 'adyen';

/** Everything a cutover test works with, over one journal and one manual clock. */
export interface CutoverHarness {
  /** The manual clock shared by journal, orchestrators and selectors. */
  readonly clock: ManualClock;
  /** The reference journal underneath. */
  readonly innerJournal: InMemoryJournal;
  /** The journal the components use (fault injection on top of `innerJournal`). */
  readonly journal: ControllableJournal;
  /** The fake in-flight counter. */
  readonly inFlight: FakeInFlightPayments;
  /** Log lines written by the orchestrators created through `orchestrator`, parsed. */
  readonly logLines: Record<string, unknown>[];
  /** The default orchestrator (stripe -> adyen, migration `default`). */
  readonly orchestrator: MigrationOrchestrator;
  /** Creates another orchestrator over the same journal, clock and counter (a second node). */
  createOrchestrator(overrides?: Partial<MigrationOrchestratorOptions>): MigrationOrchestrator;
}

/** Builds a harness with an opened journal. */
export async function createCutoverHarness(overrides: Partial<MigrationOrchestratorOptions> = {}): Promise<CutoverHarness> {
  const clock = new ManualClock();
  const innerJournal = new InMemoryJournal({ clock });
  await innerJournal.open();
  const journal = new ControllableJournal(innerJournal);
  const inFlight = new FakeInFlightPayments();
  const logLines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ destination, level: 'info', name: 'cutover-test' });
  const createOrchestrator = (extra: Partial<MigrationOrchestratorOptions> = {}): MigrationOrchestrator =>
    createMigrationOrchestrator({
      journal,
      fromProvider: oldProvider,
      toProvider: newProvider,
      clock,
      logger,
      inFlightPayments: inFlight,
      ...overrides,
      ...extra,
    });
  return { clock, innerJournal, journal, inFlight, logLines, orchestrator: createOrchestrator(), createOrchestrator };
}

/** The phases in the order `driveTo` walks them. */
const forwardOrder: readonly MigrationPhase[] = ['prepare', 'shadow', 'ramp', 'cutover', 'drain', 'done'];

/**
 * Brings the harness's migration from nothing to `phase` along the happy path (ramp to 100 %, wait
 * for routing to settle before drain); `rolled_back` is reached by a rollback from `prepare`.
 */
export async function driveTo(harness: CutoverHarness, phase: MigrationPhase, orchestrator: MigrationOrchestrator = harness.orchestrator): Promise<void> {
  await orchestrator.start({ actor: 'test', reason: 'set up' });
  if (phase === 'rolled_back') {
    await orchestrator.rollback({ actor: 'test', reason: 'set up' });
    return;
  }
  for (const next of forwardOrder.slice(1, forwardOrder.indexOf(phase) + 1)) {
    if (next === 'cutover') await orchestrator.setRampPercent({ percent: 100, actor: 'test', reason: 'set up' });
    if (next === 'drain') await harness.clock.advance(5_000);
    await orchestrator.advance({ to: next, actor: 'test', reason: 'set up' });
  }
}

/** Every undelivered `control.migration` message, in enqueue order, delivered (acknowledged) in the process. */
export async function takeControlMessages(harness: CutoverHarness): Promise<Array<MigrationControlMessage & { orderingKey: string; deduplicationId: string }>> {
  const taken: Array<MigrationControlMessage & { orderingKey: string; deduplicationId: string }> = [];
  for (;;) {
    const claimed = await harness.innerJournal.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 100, topics: [migrationControlTopic] });
    if (claimed.length === 0) return taken;
    await harness.innerJournal.acknowledgeOutbox({ owner: 'test', sequences: claimed.map((message) => message.sequence) });
    for (const message of claimed) {
      taken.push({ ...(JSON.parse(message.payload) as MigrationControlMessage), orderingKey: message.orderingKey, deduplicationId: message.deduplicationId });
    }
  }
}
