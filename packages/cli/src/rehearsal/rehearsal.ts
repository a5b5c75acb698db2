import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createJournalPaymentLocator, createMigratingSessionStore, createSessionMigrationController, type JournalV1 } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { RehearsalError } from '../cli-errors.js';
import type { CommandIo } from '../output/command-io.js';
import { createProgressReporter } from '../output/progress.js';
import { createRuntimeLog, type RuntimeLog } from '../runtime/create-log.js';
import { createRuntime } from '../runtime/runtime.js';
import { loadCustomerDirectory } from './customer-directory.js';
import { openEventLog } from './event-log.js';
import { scanText } from './pan-scan.js';
import { cutoverPhase } from './phase-cutover.js';
import { drainPhase } from './phase-drain.js';
import { rampPhase } from './phase-ramp.js';
import { rollbackDrillPhase } from './phase-rollback-drill.js';
import { seedPhase } from './phase-seed.js';
import { tokensPhase } from './phase-tokens.js';
import { trafficPhase } from './phase-traffic.js';
import { verifyPhase } from './phase-verify.js';
import { rehearsalConfig } from './rehearsal-config.js';
import type { PhaseOutcome, PhaseRunner, RehearsalContext, RehearsalFiles } from './rehearsal-context.js';
import type { RehearsalFault, RehearsalOptions } from './rehearsal-options.js';
import {
  openRehearsalCheckpoints,
  type PhaseRecord,
  type RehearsalCheckpoints,
  type RehearsalIdentity,
  type RehearsalPhase,
  rehearsalCollection,
  rehearsalPhases,
  rehearsalPhaseTitles,
  type RehearsalState,
  readRehearsalState,
} from './rehearsal-state.js';
import { rehearsalFigures, type RehearsalReport, renderReport, reportPhases } from './report.js';
import { createCheckoutTraffic } from './traffic.js';
import type { VerificationResult } from './verification.js';
import { bridgeAdyenToWorld, type AdyenBridge } from './world/adyen-bridge.js';
import { createWorldClient, type WorldClient } from './world/world-client.js';
import { connectWorld, spawnWorldProcess } from './world/world-process.js';
import type { WorldEndpoint, WorldFaults } from './world/world-protocol.js';
import { RemoteCommercePlatform } from './world/remote-commerce-platform.js';
import { RemoteSessionStore } from './world/remote-session-store.js';
import { startWorld } from './world/world-server.js';
import { createWorldTokenExchange } from './world/world-token-exchange.js';
import { createWebhookPump } from './webhook-pump.js';

/** The currency of every rehearsal amount. */
const rehearsalCurrency = 'EUR';

/** The id of the rehearsal's session migration. */
export const sessionMigrationId = 'rehearsal-sessions';

/** The key of the stored final report. */
const reportKey = 'report';

/** What `runRehearsal` answers. */
export interface RehearsalResult {
  /** The report. */
  readonly report: RehearsalReport;
  /** 0 when every invariant holds, 1 otherwise. */
  readonly exitCode: 0 | 1;
}

/** Hooks for tests. */
export interface RehearsalHooks {
  /** Called after each phase is checkpointed. */
  readonly afterPhase?: ((phase: RehearsalPhase, context: RehearsalContext) => Promise<void>) | undefined;
}

/** The phases and how each runs (verification is separate: it always runs). */
const phaseRunners: Readonly<Record<Exclude<RehearsalPhase, 'verify'>, PhaseRunner>> = {
  seed: seedPhase,
  traffic: trafficPhase,
  tokens: tokensPhase,
  ramp: rampPhase,
  cutover: cutoverPhase,
  'rollback-drill': rollbackDrillPhase,
  drain: drainPhase,
};

/** The phases that run with the checkout traffic going on. */
const trafficPhases: ReadonlySet<RehearsalPhase> = new Set<RehearsalPhase>(['traffic', 'tokens', 'ramp', 'cutover', 'rollback-drill']);

/** The files of a rehearsal on `journal`. */
function filesOf(journal: string): RehearsalFiles {
  return { journal, log: `${journal}.log`, events: `${journal}.events.jsonl`, mappings: `${journal}.mappings`, key: `${journal}.key` };
}

/** The world faults the rehearsal faults ask for. */
function worldFaultsOf(faults: readonly RehearsalFault[]): WorldFaults {
  return {
    doubleChargeEvery: faults.includes('double-charge') ? 10 : undefined,
    dropSessionNumber: faults.includes('drop-session') ? 5 : undefined,
    rewindFirstPaidOrder: faults.includes('rewind-order') ? true : undefined,
  };
}

/** What identifies a rehearsal across runs. */
function identityOf(options: RehearsalOptions): RehearsalIdentity {
  return { from: options.from, to: options.to, customers: options.customers, orders: options.orders, sessions: options.sessions, seed: options.seed, faults: [...options.faults] };
}

/** A world started in this process, kept so it can be closed. */
interface InProcessWorld {
  readonly endpoint: WorldEndpoint;
  close(): Promise<void>;
}

/** Worlds started in this process, by world id (tests resume against them). */
const inProcessWorlds = new Map<string, InProcessWorld>();

/** Starts a world where the options say. */
async function startWorldFor(options: RehearsalOptions): Promise<WorldEndpoint> {
  const faults = worldFaultsOf(options.faults);
  if (options.world === 'process') return spawnWorldProcess({ seed: options.seed, faults });
  const world = await startWorld({ seed: options.seed, faults, idleTimeoutMs: 120_000 });
  const endpoint: WorldEndpoint = { controlUrl: world.controlUrl, token: world.token, processId: world.processId, worldId: world.worldId };
  inProcessWorlds.set(world.worldId, { endpoint, close: () => world.close() });
  return endpoint;
}

/** Stops a world after a finished rehearsal. */
async function stopWorld(world: WorldClient): Promise<void> {
  const local = inProcessWorlds.get(world.endpoint.worldId);
  if (local !== undefined) {
    inProcessWorlds.delete(world.endpoint.worldId);
    await local.close();
    return;
  }
  await world.call('shutdown', {}).catch(() => undefined);
}

/** Opens the journal, and creates the checkpoint (with a new world) or checks the existing one. */
async function openCheckpoints(
  journal: JournalV1,
  options: RehearsalOptions,
): Promise<{ readonly checkpoints: RehearsalCheckpoints; readonly world: WorldClient; readonly storedReport: RehearsalReport | undefined }> {
  const stored = await readRehearsalState(journal);
  if (stored === undefined) {
    const endpoint = await startWorldFor(options);
    const state: RehearsalState = { version: 1, identity: identityOf(options), world: endpoint, runs: [], phases: {}, partialDurations: {} };
    const checkpoints = openRehearsalCheckpoints(journal, { state, version: 0 });
    await checkpoints.update((current) => current);
    return { checkpoints, world: createWorldClient(endpoint), storedReport: undefined };
  }
  const expected = JSON.stringify(identityOf(options));
  const found = JSON.stringify(stored.state.identity);
  if (expected !== found) {
    throw new RehearsalError({
      code: 'REHEARSAL_OPTIONS_MISMATCH',
      phase: 'start',
      message: `this journal holds a rehearsal started with ${found}; resume it with the same options, or pass a new --journal (asked: ${expected})`,
    });
  }
  const report = await journal.get(rehearsalCollection, reportKey);
  if (report !== undefined) {
    return { checkpoints: openRehearsalCheckpoints(journal, stored), world: createWorldClient(stored.state.world), storedReport: JSON.parse(report.value) as RehearsalReport };
  }
  return { checkpoints: openRehearsalCheckpoints(journal, stored), world: await connectWorld(stored.state.world), storedReport: undefined };
}

/** Stops everything running in the background. */
interface BackgroundWork {
  stop(): Promise<void>;
}

/** Starts the outbox relay, the recovery loop and the webhook pump in the background. */
function startBackground(context: RehearsalContext): BackgroundWork {
  const controller = new AbortController();
  const relay = context.runtime.relay.start({ intervalMs: 100, signal: controller.signal });
  const recovery = context.runtime.transactions.startRecoveryLoop({ intervalMs: 1_000, signal: controller.signal, owner: `rehearsal-${context.run}`, limit: 200 });
  context.pump.start(100);
  let last = { checkouts: 0, at: Date.now() };
  const trafficTimer = setInterval(() => {
    const snapshot = context.traffic?.snapshot();
    if (snapshot === undefined) return;
    const now = Date.now();
    const perSecond = now > last.at ? ((snapshot.acknowledged - last.checkouts) * 1000) / (now - last.at) : 0;
    last = { checkouts: snapshot.acknowledged, at: now };
    context.progress.traffic({ checkouts: snapshot.acknowledged, perSecond: Math.max(0, perSecond), byProvider: snapshot.byProvider });
  }, 1_000);
  return {
    async stop() {
      clearInterval(trafficTimer);
      controller.abort();
      await Promise.allSettled([relay, recovery]);
      await context.pump.stop();
    },
  };
}

/** Starts the checkout traffic unless it runs. */
function ensureTraffic(context: RehearsalContext): void {
  if (context.traffic !== undefined) return;
  const { options } = context;
  context.traffic = createCheckoutTraffic({
    runtime: context.runtime,
    world: context.world,
    customers: context.customers,
    sessions: context.sessions.live,
    run: context.run,
    seed: options.seed,
    concurrency: options.concurrency,
    currency: context.currency,
    fromProvider: options.from,
    onError: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      if (context.trafficErrors.length < 20) context.trafficErrors.push(message);
      context.runtime.logger.error({ error: message }, 'checkout traffic error');
    },
  });
  context.traffic.start();
}

/** Runs one phase (progress, events, duration); the caller checkpoints the record. */
export async function runPhase(context: RehearsalContext, phase: RehearsalPhase, run: () => Promise<PhaseOutcome>): Promise<PhaseRecord> {
  const index = rehearsalPhases.indexOf(phase) + 1;
  context.progress.phaseStarted(index, rehearsalPhases.length, rehearsalPhaseTitles[phase]);
  context.events.record('phase.started', { phase, run: context.run });
  const startedAt = Date.now();
  const outcome = await run();
  const earlier = context.checkpoints.current().partialDurations[phase] ?? 0;
  const record: PhaseRecord = {
    status: 'done',
    durationMs: earlier + (Date.now() - startedAt),
    coverage: outcome.coverage,
    engines: outcome.engines,
    notes: outcome.notes,
    counts: outcome.counts,
  };
  context.progress.phaseFinished(outcome.summary, record.durationMs);
  context.events.record('phase.finished', { phase, run: context.run, durationMs: record.durationMs, coverage: record.coverage, counts: record.counts });
  return record;
}

/** Builds the report from the checkpoint and the verification. */
function buildReport(context: RehearsalContext, verification: VerificationResult, truthReceipts: Parameters<typeof rehearsalFigures>[0]['receipts'], paymentsByProvider: Record<string, number>): RehearsalReport {
  const state = context.checkpoints.current();
  const phases = reportPhases(state.phases);
  const enginesNotAvailable: string[] = [];
  const { options } = context;
  return {
    report: 'paymigrate-rehearsal',
    version: 1,
    ok: Object.values(verification.invariants).every((count) => count === 0),
    invariants: verification.invariants,
    violations: verification.examples,
    unjournaledCharges: verification.unjournaledCharges,
    figures: rehearsalFigures({ receipts: truthReceipts, paymentsByProvider, phases: state.phases }),
    phases,
    enginesNotAvailable,
    checked: verification.checked,
    options: { from: options.from, to: options.to, customers: options.customers, orders: options.orders, sessions: options.sessions, seed: options.seed, concurrency: options.concurrency, faults: options.faults },
    runs: state.runs.length,
    files: { journal: context.files.journal, log: context.files.log, events: context.files.events, mappings: context.files.mappings, vaultKey: context.files.key },
  };
}

/** Writes the report where the options say. */
function emitReport(io: CommandIo, report: RehearsalReport, json: boolean): void {
  io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
}

/** A rehearsal opened on its journal and world, with its engines built, ready for phases. */
export interface OpenedRehearsal {
  /** Everything the phases work with. */
  readonly context: RehearsalContext;
  /** Starts the outbox relay, the recovery loop and the webhook pump. */
  startBackground(): void;
  /** Stops the background work and the traffic. */
  stopBackground(): Promise<void>;
  /** Shuts the world down (after a finished rehearsal). */
  stopWorld(): Promise<void>;
  /** Waits until every log line written so far is in the log file. */
  flushLog(): Promise<void>;
  /** Releases everything (the world keeps running unless stopped). */
  close(): Promise<void>;
}

/** What `openRehearsal` answers: an opened rehearsal, or the report of a finished one. */
export type OpenRehearsalResult = { readonly kind: 'opened'; readonly rehearsal: OpenedRehearsal } | { readonly kind: 'finished'; readonly report: RehearsalReport };

/**
 * Opens (or reopens) a rehearsal: the journal, the checkpoint (with a new world, or a check that
 * the journal's world still answers), the engines configured like a real migration and pointed
 * at the world, the customer directory and the session stores. Runs one recovery pass first (a
 * resumed rehearsal completes the intents a crash left open). Scenario tests use it to drive the
 * phases themselves.
 *
 * @throws RehearsalError when the journal belongs to another rehearsal.
 * @throws WorldUnavailableError when a resumed rehearsal's world is gone.
 */
export async function openRehearsal(options: RehearsalOptions, io: CommandIo): Promise<OpenRehearsalResult> {
  const journalFile =
    options.journal === undefined ? join(mkdtempSync(join(tmpdir(), 'paymigrate-rehearsal-')), 'journal.sqlite') : resolve(io.workingDirectory, options.journal);
  const files = filesOf(journalFile);
  const journal = createSqliteJournal({ filename: journalFile, synchronous: 'NORMAL' });
  await journal.open();
  let log: RuntimeLog | undefined;
  let bridge: AdyenBridge | undefined;
  try {
    const { checkpoints, world, storedReport } = await openCheckpoints(journal, options);
    if (storedReport !== undefined) {
      await journal.close();
      return { kind: 'finished', report: storedReport };
    }
    const description = await world.call('ping', {});
    const run = checkpoints.current().runs.length + 1;
    await checkpoints.update((state) => ({ ...state, runs: [...state.runs, { run, startedAt: Date.now() }] }));
    log = createRuntimeLog({ file: files.log, level: 'info', name: 'paymigrate.rehearsal' });
    const { config, environment } = rehearsalConfig({ from: options.from, to: options.to, journalFile, logFile: files.log, keyFile: files.key, origins: description.providers });
    if (options.from === 'adyen' || options.to === 'adyen') bridge = bridgeAdyenToWorld(description.providers.adyen);
    const holder: { context?: RehearsalContext } = {};
    const runtime = await createRuntime({
      config,
      environment,
      source: 'rehearsal configuration',
      logger: log.logger,
      owner: `rehearsal-${run}`,
      platform: new RemoteCommercePlatform(world),
      journal,
      transactions: { lookupDelayMs: 200, graceMs: 1_000, baseDelayMs: 50 },
      tokenExchanges: { target: createWorldTokenExchange(world, options.to), source: createWorldTokenExchange(world, options.from) },
      customerIdOf: (row) => holder.context?.customers.customerOfReference(options.from, row.sourceCustomerReference) ?? row.sourceCustomerReference,
      tokenRequestsPerSecond: 500,
    });
    await runtime.routing.start();
    const sessionStores = { old: new RemoteSessionStore(world, 'old'), new: new RemoteSessionStore(world, 'new') };
    const sessionController = createSessionMigrationController({
      source: sessionStores.old,
      target: sessionStores.new,
      journal: runtime.journal,
      platform: runtime.platform,
      paymentLocator: createJournalPaymentLocator(runtime.journal),
      logger: runtime.logger.child({ component: 'sessions' }),
      batchSize: 200,
      concurrency: 16,
      migrationId: sessionMigrationId,
      keyPrefix: 'session:',
    });
    const liveSessions = createMigratingSessionStore({
      source: sessionStores.old,
      target: sessionStores.new,
      controller: sessionController,
      phaseCacheMs: 100,
      rollbackFenceMs: 100,
      logger: runtime.logger.child({ component: 'sessions.live' }),
    });
    const active: RehearsalContext = {
      options,
      runtime,
      world,
      customers: await loadCustomerDirectory(runtime.journal),
      checkpoints,
      progress: createProgressReporter(io),
      run,
      files,
      pump: createWebhookPump({ world, gateways: runtime.gateways, transactions: runtime.transactions, logger: runtime.logger.child({ component: 'webhooks' }) }),
      sessions: { live: liveSessions, ...sessionStores, controller: sessionController },
      events: openEventLog(files.events),
      currency: rehearsalCurrency,
      traffic: undefined,
      sessionCopy: undefined,
      trafficErrors: [],
    };
    holder.context = active;
    active.events.record('run.started', { run, world: description.worldId });
    if (run > 1) active.progress.note(`resuming (run ${run}): recovering open intents first`);
    await runtime.transactions.recover({ owner: `rehearsal-${run}`, limit: 1000 });
    let background: BackgroundWork | undefined;
    const runtimeLog = log;
    const openedBridge = bridge;
    return {
      kind: 'opened',
      rehearsal: {
        context: active,
        startBackground() {
          background ??= startBackground(active);
        },
        async stopBackground() {
          await active.traffic?.stop();
          active.traffic = undefined;
          await background?.stop();
          background = undefined;
        },
        stopWorld: () => stopWorld(world),
        flushLog: () => runtimeLog.flush(),
        async close() {
          active.progress.stop();
          await active.traffic?.stop();
          active.traffic = undefined;
          await background?.stop();
          background = undefined;
          openedBridge?.close();
          await runtime.close();
          await runtimeLog.close();
        },
      },
    };
  } catch (error) {
    bridge?.close();
    await journal.close();
    await log?.close();
    throw error;
  }
}

/** Verifies an opened rehearsal and builds its report (also stored in the journal). */
export async function verifyAndReport(rehearsal: OpenedRehearsal): Promise<RehearsalReport> {
  const active = rehearsal.context;
  const { checkpoints, world, runtime } = active;
  await rehearsal.flushLog();
  let verification: VerificationResult | undefined;
  const verifyRecord = await runPhase(active, 'verify', async () => {
    const result = await verifyPhase(active);
    verification = result.verification;
    return result.outcome;
  });
  await checkpoints.update((state) => ({ ...state, phases: { ...state.phases, verify: verifyRecord } }));
  /* v8 ignore next -- the verify phase always sets it */
  if (verification === undefined) throw new Error('verification did not run');
  const truth = await world.call('truth', {});
  const paymentsByProvider: Record<string, number> = {};
  for (const payment of truth.payments) paymentsByProvider[payment.provider] = (paymentsByProvider[payment.provider] ?? 0) + 1;
  let report = buildReport(active, verification, truth.receipts, paymentsByProvider);
  const reportScan = scanText('report', JSON.stringify(report) + renderReport(report));
  if (reportScan.findings.length > 0) {
    report = {
      ...report,
      ok: false,
      invariants: { ...report.invariants, panHits: report.invariants.panHits + reportScan.findings.length },
      violations: { ...report.violations, panHits: [...report.violations.panHits, ...reportScan.findings.map((finding) => `report: ${finding.kind} ${finding.masked}`)] },
    };
  }
  if (active.trafficErrors.length > 0) {
    report = { ...report, phases: report.phases.map((phase) => (phase.phase === 'drain' ? { ...phase, notes: [...phase.notes, ...active.trafficErrors.map((error) => `traffic error: ${error}`)] } : phase)) };
  }
  await runtime.journal.write({ puts: [{ collection: rehearsalCollection, key: reportKey, value: JSON.stringify(report), expectedVersion: 'any' }] });
  active.events.record('run.finished', { run: active.run, ok: report.ok, invariants: report.invariants });
  return report;
}

/** Starts the checkout traffic of an opened rehearsal, if it is not running. */
export function startTraffic(rehearsal: OpenedRehearsal): void {
  ensureTraffic(rehearsal.context);
}

/**
 * Runs (or resumes) a whole rehearsal and writes the report: JSON on standard output with
 * `json`, the human report otherwise; progress on standard error. The result's exit code is 1
 * when any invariant is violated.
 *
 * Resuming: started again with the same journal (and options), it reconnects to the same world,
 * completes every open intent (recovery), skips the phases the checkpoint marks done and re-runs
 * the phase that was interrupted (every phase is idempotent).
 *
 * @throws RehearsalError when the journal belongs to another rehearsal.
 * @throws WorldUnavailableError when a resumed rehearsal's world is gone.
 */
export async function runRehearsal(options: RehearsalOptions, io: CommandIo, hooks: RehearsalHooks = {}): Promise<RehearsalResult> {
  const opened = await openRehearsal(options, io);
  if (opened.kind === 'finished') {
    emitReport(io, opened.report, options.json);
    return { report: opened.report, exitCode: opened.report.ok ? 0 : 1 };
  }
  const { rehearsal } = opened;
  const active = rehearsal.context;
  try {
    rehearsal.startBackground();
    for (const phase of rehearsalPhases) {
      if (phase === 'verify') break;
      if (active.checkpoints.current().phases[phase] !== undefined) {
        active.progress.phaseSkipped(rehearsalPhases.indexOf(phase) + 1, rehearsalPhases.length, rehearsalPhaseTitles[phase]);
        continue;
      }
      if (trafficPhases.has(phase)) startTraffic(rehearsal);
      const record = await runPhase(active, phase, () => phaseRunners[phase](active));
      await active.checkpoints.update((state) => ({ ...state, phases: { ...state.phases, [phase]: record } }));
      await hooks.afterPhase?.(phase, active);
    }
    await rehearsal.stopBackground();
    const report = await verifyAndReport(rehearsal);
    active.progress.stop();
    await rehearsal.stopWorld();
    emitReport(io, report, options.json);
    return { report, exitCode: report.ok ? 0 : 1 };
  } finally {
    await rehearsal.close();
  }
}
