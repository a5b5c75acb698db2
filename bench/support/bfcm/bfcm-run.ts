// One Black Friday run: the fakes (their own process), Redis and memcached (started here, stopped
// by pid), the token-import API (its own process), N checkout workers, each with its own SQLite
// journal file, and a control journal for the token migration and the session move; a baseline
// phase (the same load, nothing else going on), then the open-loop load with the control plane's
// cutover and emergency rollback, the token migration and the session move at the same time; then
// a final recovery pass, and the invariants read back from the journals, the fakes and Redis.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PaymentRepository, type PaymentRecord, type RecoveryReport } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { startMemcachedServer, startRedisServer } from '@paymigrate/testkit';
import { scanFiles } from '../../../packages/cli/src/rehearsal/pan-scan.js';
import { checkInvariants } from '../../../scenarios/support/invariants.js';
import { truthOf } from '../../../scenarios/support/provider-truth.js';
import { startLoopbackFakes } from '../../../scenarios/support/loopback-fakes/loopback-fakes.js';
import type { BfcmOptions } from './bfcm-options.js';
import type { BfcmWorkerConfig, BfcmWorkerSummary } from './bfcm-protocol.js';
import { type BfcmControlStep, createBfcmControl } from './bfcm-control.js';
import { type BfcmInvariants, countBfcmInvariants } from './bfcm-invariants.js';
import { type BfcmSessionReport, createBfcmSessions } from './bfcm-sessions.js';
import { type BfcmTokenReport, migrateTokens, startTokenApiServer, writeMappingFile } from './bfcm-tokens.js';
import { createBfcmEngines } from './bfcm-wiring.js';
import { startBfcmWorkers } from './bfcm-workers.js';
import { epochMilliseconds } from './open-loop-generator.js';
import { childrenCpuSeconds, cpuSecondsBetween } from './process-cpu.js';

/** The ramp percentage the new provider has when the load starts. */
export const rampPercentAtStart = 20;

/** How long the baseline phase offers the load: a third of the run, 10 to 20 seconds. */
export function baselineSeconds(options: BfcmOptions): number {
  return Math.min(20, Math.max(10, Math.round(options.durationSeconds / 3)));
}

/** Everything a run measured, for the report. */
export interface BfcmRunResult {
  readonly options: BfcmOptions;
  readonly loadAtStart: readonly number[];
  readonly loadAtEnd: readonly number[];
  readonly workers: readonly BfcmWorkerSummary[];
  /** From the first scheduled arrival to the last checkout's end, seconds. */
  readonly wallSeconds: number;
  /** The baseline phase's workers (same load, no migration work), its arrival window and its wall time, seconds. */
  readonly baseline: readonly BfcmWorkerSummary[];
  readonly baselineSeconds: number;
  readonly baselineWallSeconds: number;
  readonly control: readonly BfcmControlStep[];
  readonly tokens: BfcmTokenReport;
  readonly sessions: BfcmSessionReport;
  readonly recovery: Pick<RecoveryReport, 'examined' | 'succeeded' | 'failed' | 'unresolved'>;
  readonly invariants: BfcmInvariants;
  /** Violations of the zero-loss invariants (DESIGN 1-4) from the scenarios' full check, with examples. */
  readonly zeroLossViolations: readonly string[];
  readonly journalPayments: number;
  readonly journalPaymentsByState: Readonly<Record<string, number>>;
  /** CPU seconds during the load, by process role. */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  readonly journalBytesScanned: number;
}

/** Reads every payment of the journal. */
async function readPayments(repository: PaymentRepository): Promise<PaymentRecord[]> {
  const payments: PaymentRecord[] = [];
  for await (const stored of repository.listAll()) payments.push(stored.value);
  return payments;
}

/** Runs the load test with `options`; `log` gets progress lines. */
export async function runBlackFriday(options: BfcmOptions, log: (message: string) => void): Promise<BfcmRunResult> {
  const loadAtStart = loadavg();
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-bfcm-'));
  const controlJournalFile = join(directory, 'control.sqlite');
  // Baseline workers (b0, b1, ...) run the same load first with no migration work; then the load workers (w0, w1, ...).
  const baselineNames = Array.from({ length: options.workers }, (_, index) => `b${index}`);
  const loadNames = Array.from({ length: options.workers }, (_, index) => `w${index}`);
  const workerNames = [...baselineNames, ...loadNames];
  const workerJournalFiles = workerNames.map((worker) => join(directory, `journal-${worker}.sqlite`));
  const mappingFile = join(directory, 'mapping.csv');
  http.globalAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  log('starting the provider fakes, Redis, memcached and the token-import API...');
  const [fakes, redis, memcached, tokenApi] = await Promise.all([
    startLoopbackFakes({ recordCalls: true }),
    startRedisServer(),
    startMemcachedServer({ memoryMegabytes: 256 }),
    startTokenApiServer(directory),
  ]);
  // The token migration's mappings and the session move's checkpoints; each worker's payments in its own journal.
  const journal = createSqliteJournal({ filename: controlJournalFile });
  await journal.open();
  // The parent opens every worker journal first (creating it), for the control plane, the final recovery and the check.
  const workerJournals = workerJournalFiles.map((filename) => createSqliteJournal({ filename }));
  await Promise.all(workerJournals.map((workerJournal) => workerJournal.open()));
  const sessions = createBfcmSessions({ journal, memcachedServers: memcached.servers, redisUrl: redis.url, count: options.sessions, liveShoppers: options.liveShoppers });
  let workers: Awaited<ReturnType<typeof startBfcmWorkers>> | undefined;
  try {
    const parents = workerJournals.map((workerJournal) => createBfcmEngines(workerJournal, fakes, { owner: 'bfcm-parent', providerTimeoutMs: 30_000, recoveryGraceMs: 0 }));
    const control = createBfcmControl(
      workerJournals.flatMap((workerJournal, index) => (loadNames.includes(workerNames[index] as string) ? [{ journal: workerJournal, transactions: (parents[index] as (typeof parents)[number]).transactions }] : [])),
    );
    await control.prepare(rampPercentAtStart, async () => undefined);
    log(`writing a ${options.mappingFileRows.toLocaleString('en-US')}-row mapping file; seeding ${options.sessions.toLocaleString('en-US')} sessions in memcached...`);
    await Promise.all([writeMappingFile(mappingFile, options.mappingFileRows), sessions.seed()]);
    const perWorker = options.arrivalsPerSecond / options.workers;
    const durationMs = options.durationSeconds * 1000;
    const configsOf = (names: readonly string[], phaseMs: number): BfcmWorkerConfig[] =>
      names.map((worker) => ({
        ...{ stripeUrl: fakes.stripeUrl, payPalUrl: fakes.payPalUrl, payPalClientId: fakes.payPalClientId, payPalClientSecret: fakes.payPalClientSecret },
        worker,
        journalFile: workerJournalFiles[workerNames.indexOf(worker)] as string,
        arrivalsPerSecond: perWorker,
        durationMs: phaseMs,
        maximumInFlight: options.maximumInFlightPerWorker,
        drainTimeoutMs: 60_000,
      }));

    // The baseline: the same offered load, same workers and fakes, with nothing else going on.
    const baselineMs = baselineSeconds(options) * 1000;
    log(`baseline: ${options.arrivalsPerSecond.toLocaleString('en-US')} checkouts/s offered for ${baselineMs / 1000} s, no migration work`);
    workers = await startBfcmWorkers(configsOf(baselineNames, baselineMs), directory);
    const baselineStartAt = epochMilliseconds() + 1_000;
    workers.start(baselineStartAt);
    const baseline = await workers.summaries();
    const baselineWallSeconds = (epochMilliseconds() - baselineStartAt) / 1000;
    await workers.stop();

    workers = await startBfcmWorkers(configsOf(loadNames, durationMs), directory);
    const running = workers;
    const broadcast = () => running.refresh();
    const startAt = epochMilliseconds() + 1_000;
    log(`load: ${options.arrivalsPerSecond.toLocaleString('en-US')} checkouts/s offered for ${options.durationSeconds} s by ${options.workers} workers (admission limit ${options.maximumInFlightPerWorker} in flight each)`);
    const cpuBefore = childrenCpuSeconds();
    const parentCpuBefore = process.cpuUsage();
    running.start(startAt);
    const progress = setInterval(() => {
      const now = running.progress();
      log(`t=${((epochMilliseconds() - startAt) / 1000).toFixed(0)} s: ${now.completed.toLocaleString('en-US')} completed, ${now.shed.toLocaleString('en-US')} shed, ${now.inFlight} in flight`);
    }, 5_000);
    const controlRun = control.run(startAt, durationMs, broadcast);
    const background = (async () => {
      await sleep(Math.max(0, startAt - epochMilliseconds()) + 2_000);
      log('token migration and session move start');
      return Promise.all([
        migrateTokens({ journal, mappingFile, fileRows: options.mappingFileRows, apiMethods: options.apiMethods, apiUrl: tokenApi.url }),
        sessions.migrate(),
      ]);
    })();
    // Awaited after the workers' summaries; a failure meanwhile must not go unhandled.
    controlRun.catch(() => undefined);
    background.catch(() => undefined);
    const summaries = await running.summaries();
    const wallSeconds = (epochMilliseconds() - startAt) / 1000;
    clearInterval(progress);
    log(`load done after ${wallSeconds.toFixed(1)} s; waiting for the token migration and the session move to finish...`);
    const [steps, [tokens, moved]] = await Promise.all([controlRun, background]);
    const parentCpu = process.cpuUsage(parentCpuBefore);
    const cpuSeconds = {
      'parent (control plane, token migration, session move)': (parentCpu.user + parentCpu.system) / 1e6,
      ...cpuSecondsBetween(cpuBefore, childrenCpuSeconds()),
    };
    const loadAtEnd = loadavg();
    await running.stop();
    workers = undefined;

    log('final recovery pass, then the invariants...');
    const recovery = { examined: 0, succeeded: 0, failed: 0, unresolved: 0 };
    for (const engines of parents) {
      for (;;) {
        const pass = await engines.transactions.recover({ owner: 'bfcm-parent', limit: 1_000 });
        recovery.examined += pass.examined;
        recovery.succeeded += pass.succeeded;
        recovery.failed += pass.failed;
        recovery.unresolved += pass.unresolved;
        if (pass.examined === 0 || pass.stillWaiting + pass.stillUnknown === pass.examined) break;
      }
    }
    const sessionReport = await sessions.verify(moved);
    const truths = await fakes.truth();
    const payments = (await Promise.all(workerJournals.map((workerJournal) => readPayments(new PaymentRepository(workerJournal))))).flat();
    // The full zero-loss check per worker journal, against that worker's share of the providers' truth...
    const zeroLossViolations: string[] = [];
    for (const [index, workerJournal] of workerJournals.entries()) {
      const prefix = `${workerNames[index] as string}n`;
      const report = await checkInvariants({ journal: workerJournal, fakes: Object.fromEntries(truths.map((truth) => [truth.provider, truthOf(truth, prefix)])) });
      zeroLossViolations.push(...report.violations);
    }
    // ...and no provider write outside every worker's share (a write no journal could explain).
    for (const truth of truths) {
      for (const write of truth.writes) {
        if (!workerNames.some((worker) => write.idempotencyKey?.startsWith(`${worker}n`) === true)) {
          zeroLossViolations.push(`${truth.provider} received ${write.routeId} with key '${write.idempotencyKey ?? '(none)'}', which belongs to no worker's journal (invariant 1)`);
        }
      }
    }
    await Promise.all([journal.close(), ...workerJournals.map((workerJournal) => workerJournal.close())]);
    const scans = scanFiles([controlJournalFile, ...workerJournalFiles].flatMap((file) => [file, `${file}-wal`]));
    const invariants = countBfcmInvariants({
      receipts: [...baseline, ...summaries].flatMap((summary) => summary.receipts),
      payments,
      truths,
      droppedSessions: sessionReport.droppedExamples,
      droppedSessionCount: sessionReport.dropped,
      panFindings: scans.flatMap((scan) => scan.findings.map((finding) => `${scan.source}: ${finding.kind} ${finding.masked}`)),
    });
    const journalPaymentsByState: Record<string, number> = {};
    for (const payment of payments) journalPaymentsByState[payment.state] = (journalPaymentsByState[payment.state] ?? 0) + 1;
    return {
      options,
      loadAtStart,
      loadAtEnd,
      workers: summaries,
      wallSeconds,
      baseline,
      baselineSeconds: baselineMs / 1000,
      baselineWallSeconds,
      control: steps,
      tokens,
      sessions: sessionReport,
      recovery,
      invariants,
      zeroLossViolations,
      journalPayments: payments.length,
      journalPaymentsByState,
      cpuSeconds,
      journalBytesScanned: scans.reduce((sum, scan) => sum + scan.bytes, 0),
    };
  } finally {
    await workers?.stop();
    await sessions.close().catch(() => undefined);
    await Promise.allSettled([journal.close(), ...workerJournals.map((workerJournal) => workerJournal.close())]);
    // Every server stopped by its process id.
    await Promise.allSettled([fakes.stop(), tokenApi.stop(), redis.stop(), memcached.stop()]);
    rmSync(directory, { recursive: true, force: true });
  }
}
