// 10,000 concurrent checkouts (authorize + capture) in one process, through paymigrate (Transaction
// State Manager on the SQLite journal with group commit, the real Stripe and PayPal adapters) against
// the fakes served over loopback HTTP by a child process. Nothing may be lost: at the end every
// checkout is captured, no intent is left open, and the journal equals the providers' truth.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Money } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { createLoopbackTransactions } from '../scenarios/support/crash/crash-wiring.js';
import { checkInvariants } from '../scenarios/support/invariants.js';
import { startLoopbackFakes } from '../scenarios/support/loopback-fakes/loopback-fakes.js';
import { truthOf } from '../scenarios/support/provider-truth.js';
import { type Benchmark, formatMilliseconds, formatRate, median, peakResidentMegabytes, percentile } from './support/benchmark.js';

const payPalVaultId = 'test-visa-approved';

const benchmark: Benchmark = async (context) => {
  const count = Math.max(100, Math.round(10_000 * context.scale));
  // Built packages run without source maps; tsx turns them on (and the Stripe SDK reads an Error stack per request).
  const sourceMapsWere = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  http.globalAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const fakes = await startLoopbackFakes({ recordCalls: true });
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-bench-scale-'));
  const journal = createSqliteJournal({ filename: join(directory, 'journal.sqlite') });
  await journal.open();
  const load = loadavg()[0] ?? 0;
  try {
    // Generous timeouts: at this concurrency the fakes' queue is long, and a timeout would only turn
    // into an unknown outcome resolved later (still nothing lost, but not what is measured here).
    const transactions = createLoopbackTransactions(journal, fakes, { owner: 'bench-scale', providerTimeoutMs: 600_000 });
    const latencies: number[] = [];
    const failures: string[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    context.log(`${count} concurrent checkouts`);
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        // Half on each provider: the payment id's last letter pins it (s: Stripe, p: PayPal).
        const paymentId = `S${index}${index % 2 === 0 ? 's' : 'p'}`;
        const begin = performance.now();
        try {
          const authorization = await transactions.authorize({
            paymentId,
            merchantReference: `order-${paymentId}`,
            orderId: `order-${paymentId}`,
            amount: Money.of(500 + (index % 5_000), 'EUR'),
            paymentMethodToken: index % 2 === 0 ? 'pm_card_visa' : payPalVaultId,
          });
          if (authorization.status !== 'succeeded') {
            failures.push(`${paymentId}: authorization ${authorization.status} ${authorization.errorCode ?? ''}`);
            return;
          }
          const capture = await transactions.capture({ paymentId });
          if (capture.status !== 'succeeded') failures.push(`${paymentId}: capture ${capture.status} ${capture.errorCode ?? ''}`);
          else latencies.push(performance.now() - begin);
        } catch (error) {
          failures.push(`${paymentId}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }),
    );
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    // Whatever did not finish in line (none expected) is finished by recovery before the check.
    let recovered = 0;
    for (let pass = 0; pass < 20; pass += 1) {
      const open = (await journal.count('payment-intents', { index: 'pending' })) + (await journal.count('payment-intents', { index: 'unknown' })) + (await journal.count('payment-intents', { index: 'waiting' }));
      if (open === 0) break;
      recovered += (await transactions.recover({ owner: 'bench-scale', limit: 10_000 })).examined;
    }
    const truths = await fakes.truth();
    const invariants = await checkInvariants({ journal, fakes: { stripe: truthOf(truths[0]!, 'S'), paypal: truthOf(truths[1]!, 'S') } });
    const statistics = journal.groupCommitStatistics();
    const captured = latencies.length;
    return {
      title: 'Scale: 10,000 concurrent checkouts in one process, nothing lost',
      description:
        'One process starts 10,000 checkouts (authorize + capture) at once through paymigrate (Transaction State Manager on the SQLite journal, synchronous=FULL, group commit; the real Stripe and PayPal adapters, half the payments each) against the fakes served over loopback HTTP by a child process, then checks the zero-loss invariants against the journal and the providers\' truth.',
      targets: [
        { measure: 'checkouts captured', target: `${count} of ${count}`, achieved: `${captured} of ${count}`, met: captured === count, owner: 'user' },
        { measure: 'invariant violations', target: '0', achieved: String(invariants.violations.length), met: invariants.violations.length === 0, owner: 'user' },
        { measure: 'intents left open after the run', target: '0', achieved: String(recovered), met: recovered === 0, owner: 'ours' },
      ],
      figures: {
        checkouts: count,
        'wall time': formatMilliseconds(elapsed),
        throughput: formatRate(count / (elapsed / 1000), 'checkouts'),
        'latency p50': formatMilliseconds(median(latencies)),
        'latency p99': formatMilliseconds(percentile(latencies, 0.99)),
        'journal commits': statistics.commits,
        'journal write batches': statistics.batches,
        'batches per commit (mean)': (statistics.batches / Math.max(1, statistics.commits)).toFixed(1),
        'largest group': statistics.largestGroup,
        'journal WAL syncs (off the event loop)': statistics.walSyncs,
        'journal commits per second': formatRate(statistics.commits / (elapsed / 1000), 'commits'),
        'journal write batches per second': formatRate(statistics.batches / (elapsed / 1000), 'batches'),
        'event-loop delay p99': formatMilliseconds(loopDelay.percentile(99) / 1e6),
        'CPU per checkout in this process (paymigrate + SDKs; the fakes are another process)': formatMilliseconds((cpu.user + cpu.system) / 1_000 / count),
        'peak RSS': `${peakResidentMegabytes()} MiB`,
        'provider writes checked': invariants.counts.providerWrites,
        'intents by status': JSON.stringify(invariants.counts.intentsByStatus),
        'machine load (1 min) at start / end': `${load.toFixed(2)} / ${(loadavg()[0] ?? 0).toFixed(2)}`,
      },
      notes: [
        ...(failures.length === 0 ? [] : [`First failures: ${failures.slice(0, 5).join('; ')}`]),
        ...invariants.violations.slice(0, 5).map((violation) => `Violation: ${violation}`),
        'The Stripe SDK goes through fetch (undici default pool: one keep-alive connection per concurrent request); the PayPal SDK (axios) through a keep-alive agent of 64 sockets. The adapters take no agent.',
        'synchronous=FULL: every write resolves after the WAL is fsynced, done on the thread pool (one sync covers every commit made before it started), so the event loop never waits for the disk.',
      ],
    };
  } finally {
    await journal.close();
    await fakes.stop();
    rmSync(directory, { recursive: true, force: true });
    process.setSourceMapsEnabled(sourceMapsWere);
  }
};

export default benchmark;
