// The crash test's parent: serves the Stripe and PayPal fakes over loopback HTTP (they outlive every
// child), runs lanes of children that each recover, work and get SIGKILLed at a seeded point, then
// recovers each lane's journal one last time and checks that nothing acknowledged was lost, nothing
// was charged twice and the journal equals the providers' truth.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type IntentRecord, IntentRepository } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { createPayPalFake, createSeededRandom, createStripeFake, type LoopbackHttpServer, payPalSandboxBaseUrl, serveOverHttp } from '@paymigrate/testkit';
import { forkReportingChild, type ReportingChild } from '../child-process.js';
import { checkInvariants } from '../invariants.js';
import { payPalTruth, stripeTruth, truthOf } from '../provider-truth.js';
import { bundleChild } from './bundle-child.js';
import {
  type CrashChildConfig,
  type CrashChildReport,
  crashChildConfigVariable,
  crashLanePrefix,
  type CrashOperation,
  crashRecoveryOwner,
} from './crash-protocol.js';
import { createLoopbackTransactions, type LoopbackProviders } from './crash-wiring.js';

/** Options of `runCrashTest`. */
export interface CrashTestOptions {
  /** SIGKILLs in total (each kills one child). */
  readonly kills: number;
  /** Seed of everything random: kill points, operations, amounts. The same seed replays the same schedule. */
  readonly seed: number;
  /** Independent lanes run side by side (own journal, own payment ids, the same fakes). @default 4 */
  readonly lanes?: number | undefined;
  /** Concurrent operation loops per child. @default 6 */
  readonly workers?: number | undefined;
  /** Most acknowledged operations before a kill. @default 10 */
  readonly maxAcknowledgementsBeforeKill?: number | undefined;
  /** Progress lines. */
  readonly log?: ((line: string) => void) | undefined;
  /** Log one line per child (timings). @default false */
  readonly verbose?: boolean | undefined;
}

/** What one run found. */
export interface CrashTestResult {
  readonly seed: number;
  readonly lanes: number;
  readonly kills: number;
  /** Kills that hit a child during its start-up recovery (before it ran new operations). */
  readonly killsDuringRecovery: number;
  /** Operations the children acknowledged, by operation and status. */
  readonly acknowledged: Readonly<Record<string, number>>;
  /** What the children's start-up recovery passes drove (work left behind by the kills). */
  readonly recoveredOnStart: { readonly examined: number; readonly succeeded: number; readonly failed: number; readonly unresolved: number };
  /** What the final recovery (after the last kill) drove. */
  readonly finalRecovery: { readonly examined: number; readonly succeeded: number; readonly failed: number; readonly passes: number };
  readonly payments: number;
  readonly intents: Readonly<Record<string, number>>;
  readonly providerPayments: Readonly<Record<string, number>>;
  /** Unexpected errors the children reported (not violations by themselves). */
  readonly childErrors: readonly string[];
  /** Every violation: lost acknowledgements and invariant violations. Empty = passed. */
  readonly violations: readonly string[];
  readonly durationMs: number;
}

function increment(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Runs the crash test; never throws for a violation (see `violations`). */
export async function runCrashTest(options: CrashTestOptions): Promise<CrashTestResult> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const lanes = Math.max(1, Math.min(options.lanes ?? 4, options.kills));
  const workers = options.workers ?? 6;
  const maxAcks = options.maxAcknowledgementsBeforeKill ?? 10;
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-crash-'));
  const servers: LoopbackHttpServer[] = [];
  try {
    const script = await bundleChild('./crash-child.ts', directory, 'crash-child');
    const stripe = createStripeFake({ baseUrl: 'http://127.0.0.1', seed: options.seed });
    const payPal = createPayPalFake({ seed: options.seed });
    const stripeServer = await serveOverHttp(stripe.api.handlers, { rewriteOrigin: stripe.baseUrl });
    const payPalServer = await serveOverHttp(payPal.handlers, { rewriteOrigin: payPalSandboxBaseUrl });
    servers.push(stripeServer, payPalServer);
    const providers: LoopbackProviders = { stripeUrl: stripeServer.url, payPalUrl: payPalServer.url, payPalClientId: payPal.clientId, payPalClientSecret: payPal.clientSecret };

    const acknowledged: Record<string, number> = {};
    const recoveredOnStart = { examined: 0, succeeded: 0, failed: 0, unresolved: 0 };
    const childErrors: string[] = [];
    const violations: string[] = [];
    const acknowledgements = new Map<number, { intentId: string; status: string; operation: CrashOperation }[]>();
    let kills = 0;
    let killsDuringRecovery = 0;

    const killsPerLane = Array.from({ length: lanes }, (_, lane) => Math.floor(options.kills / lanes) + (lane < options.kills % lanes ? 1 : 0));

    const runLane = async (lane: number): Promise<void> => {
      const journal = join(directory, `lane-${lane}.sqlite`);
      const random = createSeededRandom(options.seed * 7_919 + lane);
      const laneAcks: { intentId: string; status: string; operation: CrashOperation }[] = [];
      acknowledgements.set(lane, laneAcks);
      const start = (generation: number): ReportingChild<CrashChildReport> => {
        const config: CrashChildConfig = { journal, ...providers, seed: options.seed, lane, generation, workers };
        return forkReportingChild<CrashChildReport>(script, { env: { [crashChildConfigVariable]: JSON.stringify(config) } });
      };
      let next = start(1);
      for (let generation = 1; generation <= (killsPerLane[lane] as number); generation += 1) {
        const child = next;
        await Promise.race([child.next('loaded'), child.exited]);
        if (child.hasExited()) {
          violations.push(`lane ${lane} generation ${generation}: the child exited before it loaded (${JSON.stringify(await child.exited)})`);
          return;
        }
        // The next generation loads while this one runs; it starts work only after this one is dead.
        if (generation < (killsPerLane[lane] as number)) next = start(generation + 1);
        const duringRecovery = random.next() < 0.15;
        const killAfterAcks = random.integer(1, maxAcks);
        const extraDelayMs = random.integer(0, 8);
        let acks = 0;
        let killing = false;
        const killSoon = (delay: number): void => {
          if (killing) return;
          killing = true;
          setTimeout(() => child.kill(), delay);
        };
        child.process.on('message', (message) => {
          const report = message as CrashChildReport;
          if (report.type === 'recovered') {
            recoveredOnStart.examined += report.examined;
            recoveredOnStart.succeeded += report.succeeded;
            recoveredOnStart.failed += report.failed;
            recoveredOnStart.unresolved += report.unresolved;
          } else if (report.type === 'ack') {
            increment(acknowledged, `${report.operation}:${report.status}`);
            if (report.intentId !== undefined) laneAcks.push({ intentId: report.intentId, status: report.status, operation: report.operation });
            acks += 1;
            if (acks >= killAfterAcks) killSoon(extraDelayMs);
          } else if (report.type === 'error') {
            childErrors.push(`lane ${lane} generation ${generation}: ${report.operation} ${report.paymentId}: ${report.message}`);
          }
        });
        const wentAt = performance.now();
        let recoveredAt = 0;
        child.process.on('message', (message) => {
          if ((message as CrashChildReport).type === 'recovered') recoveredAt = performance.now();
        });
        child.process.send({ type: 'go' });
        if (duringRecovery) {
          killSoon(random.integer(0, 60));
        }
        // A child that stops acknowledging (it should not) is killed anyway after 20 s, and reported.
        const watchdog = setTimeout(() => {
          if (!killing) violations.push(`lane ${lane} generation ${generation}: no kill point reached within 20 s (${acks} acknowledgements)`);
          killSoon(0);
        }, 20_000);
        const exit = await child.exited;
        clearTimeout(watchdog);
        if (exit.signal !== 'SIGKILL') violations.push(`lane ${lane} generation ${generation}: the child died on its own (${JSON.stringify(exit)})`);
        kills += 1;
        if (options.verbose === true) {
          log(`lane ${lane} generation ${generation}: recovered after ${recoveredAt === 0 ? '-' : Math.round(recoveredAt - wentAt)} ms, killed after ${Math.round(performance.now() - wentAt)} ms, ${acks} acknowledgements`);
        }
        if (!child.reports.some((report) => report.type === 'recovered')) killsDuringRecovery += 1;
        if (kills % 25 === 0) log(`${kills}/${options.kills} kills, ${Object.values(acknowledged).reduce((sum, count) => sum + count, 0)} acknowledged operations`);
      }
    };
    await Promise.all(Array.from({ length: lanes }, (_, lane) => runLane(lane)));

    // After the last kill: recover every lane to the end; then take the providers' truth and check.
    const finalRecovery = { examined: 0, succeeded: 0, failed: 0, passes: 0 };
    const intents: Record<string, number> = {};
    const providerPayments: Record<string, number> = {};
    let payments = 0;
    const laneJournals = Array.from({ length: lanes }, (_, lane) => createSqliteJournal({ filename: join(directory, `lane-${lane}.sqlite`) }));
    try {
      for (const [lane, journal] of laneJournals.entries()) {
        await journal.open();
        const transactions = createLoopbackTransactions(journal, providers, { owner: crashRecoveryOwner(lane) });
        for (let pass = 0; pass < 100; pass += 1) {
          const open = (await journal.count('payment-intents', { index: 'pending' })) + (await journal.count('payment-intents', { index: 'unknown' })) + (await journal.count('payment-intents', { index: 'waiting' }));
          if (open === 0) break;
          const report = await transactions.recover({ owner: crashRecoveryOwner(lane), limit: 1_000 });
          finalRecovery.passes += 1;
          finalRecovery.examined += report.examined;
          finalRecovery.succeeded += report.succeeded;
          finalRecovery.failed += report.failed;
          if (report.examined === 0) await sleep(50);
        }
      }
      await stripe.api.waitForPendingCalls();
      await payPal.api.waitForPendingCalls();
      const truths = [stripeTruth(stripe), payPalTruth(payPal)] as const;
      for (const [lane, journal] of laneJournals.entries()) {
        // Nothing acknowledged is lost: every acknowledged intent is in the journal, a final status unchanged.
        const repository = new IntentRepository(journal);
        for (const ack of acknowledgements.get(lane) ?? []) {
          const stored = (await repository.get(ack.intentId))?.value as IntentRecord | undefined;
          if (stored === undefined) violations.push(`lane ${lane}: acknowledged ${ack.operation} ${ack.intentId} (${ack.status}) is not in the journal`);
          else if ((ack.status === 'succeeded' || ack.status === 'failed') && stored.status !== ack.status) {
            violations.push(`lane ${lane}: acknowledged ${ack.operation} ${ack.intentId} was ${ack.status}, the journal says ${stored.status}`);
          }
        }
        const prefix = crashLanePrefix(lane);
        const report = await checkInvariants({ journal, fakes: { stripe: truthOf(truths[0], prefix), paypal: truthOf(truths[1], prefix) } });
        violations.push(...report.violations.map((violation) => `lane ${lane}: ${violation}`));
        payments += report.counts.payments;
        for (const [status, count] of Object.entries(report.counts.intentsByStatus)) increment(intents, status, count);
        for (const [provider, count] of Object.entries(report.counts.providerPayments)) increment(providerPayments, provider, count);
      }
      // Every write any provider received belongs to a lane (and so was checked above).
      for (const truth of truths) {
        for (const write of truth.writes) {
          const owned = Array.from({ length: lanes }, (_, index) => index).some((index) => write.idempotencyKey?.startsWith(crashLanePrefix(index)) === true);
          if (!owned) violations.push(`${truth.provider} received ${write.routeId} with key '${write.idempotencyKey ?? '(none)'}', which belongs to no lane`);
        }
      }
    } finally {
      await Promise.all(laneJournals.map((journal) => journal.close()));
    }
    return {
      seed: options.seed,
      lanes,
      kills,
      killsDuringRecovery,
      acknowledged,
      recoveredOnStart,
      finalRecovery,
      payments,
      intents,
      providerPayments,
      childErrors,
      violations,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    rmSync(directory, { recursive: true, force: true });
  }
}
