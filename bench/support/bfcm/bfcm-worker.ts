// One checkout worker of the Black Friday load test: its own Transaction State Manager on its
// own SQLite journal file, the real adapters against the parent's loopback fakes, a recovery
// loop, and an open-loop generator offering its share of the load. Each checkout: the provider is
// chosen (migration selector, pinned per payment), then authorize and capture. Reports progress
// every second and a summary (latencies, receipts) when its schedule has ended and its checkouts
// have drained.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Money } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { type BfcmWorkerConfig, bfcmWorkerConfigVariable, type BfcmWorkerReport, type BfcmWorkerRequest } from './bfcm-protocol.js';
import { bfcmPaymentMethodTokens, createBfcmEngines } from './bfcm-wiring.js';
import { epochMilliseconds, runOpenLoop } from './open-loop-generator.js';

/** The most error messages a worker reports. */
const maximumErrors = 10;

function report(message: BfcmWorkerReport): void {
  // A parent that is gone cannot be told (the 'disconnect' handler ends this process).
  if (process.connected) process.send?.(message);
}

/** Resolves with the first request of `type` from the parent. */
function nextRequest<Type extends BfcmWorkerRequest['type']>(type: Type): Promise<Extract<BfcmWorkerRequest, { type: Type }>> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      const request = message as BfcmWorkerRequest;
      if (request.type !== type) return;
      process.off('message', onMessage);
      resolve(request as Extract<BfcmWorkerRequest, { type: Type }>);
    };
    process.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  // Never outlive the parent (an interrupted run must not leave children behind).
  process.once('disconnect', () => process.exit(0));
  const config = JSON.parse(process.env[bfcmWorkerConfigVariable] ?? '{}') as BfcmWorkerConfig;
  // The PayPal adapter's SDK (axios) uses the global agent: keep-alive, like the other benchmarks.
  http.globalAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const journal = createSqliteJournal({ filename: config.journalFile });
  await journal.open();
  const engines = createBfcmEngines(journal, config, { owner: config.worker, providerTimeoutMs: 30_000, recoveryGraceMs: 40_000 });
  await engines.selector.refresh();
  process.on('message', (message) => {
    if ((message as BfcmWorkerRequest).type !== 'refresh') return;
    // The control plane's broadcast: re-read the migration at once.
    void engines.selector.refresh().then(() => report({ type: 'refreshed' }));
  });
  const stopRecovery = new AbortController();
  const recovery = engines.transactions.startRecoveryLoop({ intervalMs: 2_000, signal: stopRecovery.signal, owner: config.worker, limit: 200 });
  report({ type: 'ready' });
  const { startAt } = await nextRequest('start');

  const latenciesMs: number[] = [];
  const completedPerSecond: number[] = [];
  const receipts: string[] = [];
  const byProvider: Record<string, number> = {};
  const errors: string[] = [];
  let completed = 0;
  let failed = 0;
  const fail = (message: string): void => {
    failed += 1;
    if (errors.length < maximumErrors) errors.push(message);
  };

  const checkout = async (index: number, scheduledAt: number): Promise<void> => {
    const paymentId = `${config.worker}n${index}`;
    const amount = Money.of(500 + ((index * 7_919) % 49_500), 'EUR');
    try {
      const selection = await engines.router.begin({ paymentId, merchantReference: `order-${paymentId}`, amount, currency: 'EUR' });
      byProvider[selection.provider] = (byProvider[selection.provider] ?? 0) + 1;
      const authorization = await engines.transactions.authorize({
        paymentId,
        merchantReference: `order-${paymentId}`,
        orderId: `order-${paymentId}`,
        amount,
        paymentMethodToken: bfcmPaymentMethodTokens[selection.provider] ?? 'unknown-provider',
      });
      if (authorization.status !== 'succeeded') return fail(`${paymentId}: authorization ended ${authorization.status}`);
      const capture = await engines.transactions.capture({ paymentId });
      if (capture.status !== 'succeeded') return fail(`${paymentId}: capture ended ${capture.status}`);
      const finishedAt = epochMilliseconds();
      completed += 1;
      receipts.push(paymentId);
      latenciesMs.push(finishedAt - scheduledAt);
      const second = Math.max(0, Math.floor((finishedAt - startAt) / 1000));
      completedPerSecond[second] = (completedPerSecond[second] ?? 0) + 1;
    } catch (error) {
      fail(`${paymentId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const commitsBefore = journal.groupCommitStatistics();
  const generator = runOpenLoop({ arrivalsPerSecond: config.arrivalsPerSecond, startAt, durationMs: config.durationMs, maximumInFlight: config.maximumInFlight, arrive: checkout });
  const progress = setInterval(() => report({ type: 'progress', completed, shed: generator.counts.shed, inFlight: generator.counts.inFlight }), 1_000);
  await generator.settled(config.drainTimeoutMs);
  clearInterval(progress);
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const commits = journal.groupCommitStatistics();
  report({
    type: 'done',
    summary: {
      worker: config.worker,
      offered: generator.counts.offered,
      shed: generator.counts.shed,
      completed,
      failed,
      unfinished: generator.counts.inFlight,
      latenciesMs,
      completedPerSecond: Array.from(completedPerSecond, (count) => count ?? 0),
      receipts,
      byProvider,
      errors,
      worstScheduleLagMs: generator.counts.worstScheduleLagMs,
      eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      journalCommits: commits.commits - commitsBefore.commits,
      journalBatches: commits.batches - commitsBefore.batches,
    },
  });
  await nextRequest('stop');
  stopRecovery.abort();
  await recovery;
  await journal.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bfcm worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
