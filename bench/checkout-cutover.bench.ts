// 1,000 concurrent checkouts (authorize + capture) while the orchestrator cuts new payments over
// from Stripe to PayPal, through paymigrate (Transaction State Manager on the SQLite journal, the
// migration selector, the real adapters), side by side with the same checkouts made by direct SDK
// calls (Stripe's and PayPal's official SDKs) to the same fakes. The fakes run in a child process,
// served over loopback HTTP, so they do not share this process's event loop.
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CheckoutPaymentIntent,
  Client,
  type Configuration,
  Environment,
  OrdersController,
  PaymentsController,
} from '@paypal/paypal-server-sdk';
import {
  createLogger,
  createMigrationOrchestrator,
  createMigrationProviderSelector,
  createTransactionStateManager,
  type JournalV1,
  Money,
  type PaymentGatewayV1,
  type ProviderSelectionRequest,
} from '@paymigrate/core';
import { createPayPalGateway } from '@paymigrate/provider-paypal';
import { createStripeGateway } from '@paymigrate/provider-stripe';
import { createSqliteJournal, type SqliteJournal } from '@paymigrate/store-sqlite';
import Stripe from 'stripe';
import { CheckoutRouter } from '../scenarios/support/checkout-router.js';
import { checkInvariants } from '../scenarios/support/invariants.js';
import { startLoopbackFakes, type LoopbackFakes } from '../scenarios/support/loopback-fakes/loopback-fakes.js';
import { truthOf } from '../scenarios/support/provider-truth.js';
import { type Benchmark, formatMilliseconds, formatRate, median, percentile } from './support/benchmark.js';

const payPalVaultId = 'test-visa-approved';
const logger = createLogger({ level: 'silent' });

/** Where a checkout's time went (framework path only). */
interface Breakdown {
  provider: number;
  journal: number;
}
const breakdowns = new AsyncLocalStorage<Breakdown>();

/** Times every call of `target`'s methods into the current checkout's breakdown. */
function timed<Target extends object>(target: Target, field: keyof Breakdown): Target {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'constructor') return value;
      return (...args: unknown[]) => {
        const breakdown = breakdowns.getStore();
        const started = performance.now();
        const result = (value as (...parameters: unknown[]) => unknown).apply(object, args);
        if (breakdown === undefined || !(result instanceof Promise)) return result;
        return result.finally(() => {
          breakdown[field] += performance.now() - started;
        });
      };
    },
  });
}

/** The PayPal SDK pointed at the loopback fake, as a merchant's own integration would do it (the SDK has no custom base URL). */
class LoopbackPayPalClient extends Client {
  readonly #to: string;
  constructor(configuration: Partial<Configuration>, to: string) {
    super(configuration);
    this.#to = to;
  }
  override getRequestBuilderFactory(): ReturnType<Client['getRequestBuilderFactory']> {
    const factory = super.getRequestBuilderFactory();
    return (...args) => {
      const builder = factory(...args);
      builder.interceptRequest((request) => ({ ...request, url: request.url.replace('https://api-m.sandbox.paypal.com', this.#to) }));
      return builder;
    };
  }
}

/** Direct SDK checkouts: what a merchant's integration without paymigrate sends. */
function directSdk(fakes: LoopbackFakes) {
  const url = new URL(fakes.stripeUrl);
  const stripe = new Stripe('sk_test_paymigrate_bench', {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
    httpClient: Stripe.createFetchHttpClient(),
  });
  const payPalClient = new LoopbackPayPalClient(
    {
      environment: Environment.Sandbox,
      timeout: 30_000,
      clientCredentialsAuthCredentials: { oAuthClientId: fakes.payPalClientId, oAuthClientSecret: fakes.payPalClientSecret },
      httpClientOptions: { timeout: 30_000, retryConfig: { maxNumberOfRetries: 0, retryOnTimeout: false, maximumRetryWaitTime: 0, httpMethodsToRetry: [], httpStatusCodesToRetry: [] } },
    },
    fakes.payPalUrl,
  );
  const orders = new OrdersController(payPalClient);
  const payments = new PaymentsController(payPalClient);
  return async (provider: 'stripe' | 'paypal', id: string, amountMinor: number): Promise<void> => {
    if (provider === 'stripe') {
      const intent = await stripe.paymentIntents.create(
        { amount: amountMinor, currency: 'eur', payment_method: 'pm_card_visa', confirm: true, capture_method: 'manual', automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, metadata: { merchant_reference: `order-${id}` } },
        { idempotencyKey: `${id}.authorize.1` },
      );
      await stripe.paymentIntents.capture(intent.id, { amount_to_capture: amountMinor }, { idempotencyKey: `${id}.capture.1` });
      return;
    }
    const value = Money.of(amountMinor, 'EUR').toDecimalString();
    const created = await orders.createOrder({
      paypalRequestId: `${id}.authorize.1`,
      prefer: 'return=representation',
      body: {
        intent: CheckoutPaymentIntent.Authorize,
        purchaseUnits: [{ referenceId: 'default', customId: `order-${id}`, invoiceId: `order-${id}`, amount: { currencyCode: 'EUR', value } }],
        paymentSource: { card: { vaultId: payPalVaultId } },
      },
    });
    const authorizationId = created.result.purchaseUnits?.[0]?.payments?.authorizations?.[0]?.id as string;
    await payments.captureAuthorizedPayment({ authorizationId, paypalRequestId: `${id}.capture.1`, prefer: 'return=representation', body: { amount: { currencyCode: 'EUR', value }, finalCapture: true } });
  };
}

/**
 * paymigrate: TSM on SQLite, migration selector and orchestrator, the real adapters. `transactions`
 * is what is measured (nothing between it and the journal or the adapters); `instrumented` is the
 * same over timing proxies, used only to show where a checkout's time goes.
 */
async function framework(fakes: LoopbackFakes, journal: SqliteJournal) {
  const gateways: PaymentGatewayV1[] = [
    createStripeGateway({ apiKey: 'sk_test_paymigrate_bench', webhookSecret: 'whsec_bench', apiBaseUrl: fakes.stripeUrl, timeoutMilliseconds: 30_000 }),
    createPayPalGateway({ clientId: fakes.payPalClientId, clientSecret: fakes.payPalClientSecret, baseUrl: `${fakes.payPalUrl}/`, timeoutMilliseconds: 30_000, environmentVariables: {} }),
  ];
  const selector = createMigrationProviderSelector<ProviderSelectionRequest>({ journal, fromProvider: 'stripe', logger });
  const router = new CheckoutRouter(selector);
  const transactions = createTransactionStateManager({ journal, gateways, selectProvider: router, logger });
  const instrumented = createTransactionStateManager({
    journal: timed(journal as JournalV1, 'journal'),
    gateways: gateways.map((gateway) => timed(gateway, 'provider')),
    selectProvider: router,
    logger,
  });
  const orchestrator = createMigrationOrchestrator({
    journal,
    fromProvider: 'stripe',
    toProvider: 'paypal',
    routingSettleMs: 0,
    logger,
    inFlightPayments: { countInFlight: async (provider) => (await transactions.inFlight({ provider })).length },
  });
  return { transactions, instrumented, orchestrator, selector, router };
}

/** Milliseconds that may be negative (paymigrate faster than the baseline in a noisy run). */
function formatDifference(milliseconds: number): string {
  return milliseconds < 0 ? `-${formatMilliseconds(-milliseconds)}` : formatMilliseconds(milliseconds);
}

/** CPU time this process has used so far (user + system), milliseconds; the fakes run in another process. */
function cpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
}

interface Sample {
  readonly milliseconds: number;
  readonly provider: string;
  readonly breakdown?: Breakdown | undefined;
  /** CPU this process spent during the checkout (only meaningful one at a time). */
  readonly cpuMilliseconds?: number | undefined;
  /** How long after its scheduled arrival the checkout started (the event loop was busy): not part of `milliseconds`, added for the targets. */
  readonly lateMilliseconds?: number | undefined;
}

/** Latency figures of a list of samples. */
function summary(samples: readonly Sample[]): { p50: number; p99: number } {
  const values = samples.map((sample) => sample.milliseconds);
  return { p50: median(values), p99: percentile(values, 0.99) };
}

const benchmark: Benchmark = async (context) => {
  const count = Math.max(50, Math.round(1_000 * context.scale));
  const rounds = context.scale < 1 ? 2 : 3;
  const sequential = Math.max(20, Math.round(200 * context.scale));
  const arrivalMs = 50;
  const load = loadavg()[0] ?? 0;
  // tsx turns source maps on; the Stripe SDK reads `new Error().stack` on every request, which then
  // maps each TypeScript frame (paymigrate's stack has more of them than the bench's direct calls).
  // Built packages run without source maps, so both paths run without them here.
  const sourceMapsWere = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  // The adapters take no agent: the PayPal SDK (axios) uses Node's global agent, sized here for
  // both paths alike; Stripe's SDK goes through fetch (undici's default keep-alive pool).
  http.globalAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const fakes = await startLoopbackFakes({ recordCalls: true });
  const directory = mkdtempSync(join(tmpdir(), 'paymigrate-bench-cutover-'));
  const journal = createSqliteJournal({ filename: join(directory, 'journal.sqlite') });
  await journal.open();
  try {
    const direct = directSdk(fakes);
    const paymigrate = await framework(fakes, journal);
    await paymigrate.orchestrator.start({ actor: 'bench', reason: 'benchmark' });

    /**
     * One checkout through paymigrate: the provider is chosen when the checkout begins, its token
     * goes with it. `instrumented`: through the timing proxies, to fill in the breakdown.
     * `measureCpu`: reads this process's CPU time around it (one at a time only: with checkouts in
     * flight the figure means nothing, and two getrusage calls per checkout would only add load).
     */
    const viaPaymigrate = async (paymentId: string, amountMinor: number, instrumented = false, measureCpu = false): Promise<Sample> => {
      const amount = Money.of(amountMinor, 'EUR');
      const transactions = instrumented ? paymigrate.instrumented : paymigrate.transactions;
      const checkout = async (): Promise<string> => {
        const selection = await paymigrate.router.begin({ paymentId, merchantReference: `order-${paymentId}`, amount, currency: 'EUR' });
        const authorization = await transactions.authorize({
          paymentId,
          merchantReference: `order-${paymentId}`,
          orderId: `order-${paymentId}`,
          amount,
          paymentMethodToken: selection.provider === 'stripe' ? 'pm_card_visa' : payPalVaultId,
        });
        if (authorization.status !== 'succeeded') throw new Error(`authorization of ${paymentId} ended ${authorization.status}`);
        const capture = await transactions.capture({ paymentId });
        if (capture.status !== 'succeeded') throw new Error(`capture of ${paymentId} ended ${capture.status}`);
        return selection.provider;
      };
      const cpuBefore = measureCpu ? cpuMilliseconds() : 0;
      const begin = performance.now();
      if (!instrumented) {
        const provider = await checkout();
        const milliseconds = performance.now() - begin;
        return { milliseconds, provider, cpuMilliseconds: measureCpu ? cpuMilliseconds() - cpuBefore : undefined };
      }
      const breakdown: Breakdown = { provider: 0, journal: 0 };
      const provider = await breakdowns.run(breakdown, checkout);
      return { milliseconds: performance.now() - begin, provider, breakdown };
    };
    const viaSdk = async (provider: 'stripe' | 'paypal', id: string, amountMinor: number, measureCpu = false): Promise<Sample> => {
      const cpuBefore = measureCpu ? cpuMilliseconds() : 0;
      const begin = performance.now();
      await direct(provider, id, amountMinor);
      const milliseconds = performance.now() - begin;
      return { milliseconds, provider, cpuMilliseconds: measureCpu ? cpuMilliseconds() - cpuBefore : undefined };
    };

    // Warm-up: connections, OAuth tokens, JIT, on both providers and both paths.
    for (let index = 0; index < 40; index += 1) await viaSdk(index % 2 === 0 ? 'stripe' : 'paypal', `warm${index}`, 1_000);
    await Promise.all(Array.from({ length: 20 }, (_, index) => viaPaymigrate(`fwwarm${index}s`, 1_000)));
    await Promise.all(Array.from({ length: 20 }, (_, index) => viaPaymigrate(`fwwarmi${index}s`, 1_000, true)));

    // Phase 1 (the measure): 1,000 concurrent checkouts per round. The first half arrive within
    // 50 ms, on the old provider; the cutover then commits while they are in flight; the second half
    // arrive within the next 50 ms, on the new provider. The direct SDK path sends the same halves to
    // the same providers.
    const baseline: Sample[] = [];
    const measured: Sample[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    const baselineLoopDelay = monitorEventLoopDelay({ resolution: 10 });
    const statisticsBefore = journal.groupCommitStatistics();
    let frameworkMilliseconds = 0;
    let baselineMilliseconds = 0;
    let frameworkCpu = 0;
    let baselineCpu = 0;
    let flipMilliseconds = 0;
    const half = Math.ceil(count / 2);

    // Each checkout is timed from when it starts, and how late it started after its scheduled
    // arrival (a busy event loop fires the arrival timer late) is kept apart: the targets add the
    // two (what the customer waits), the "from the start" figures leave the lateness out.
    const arrivals = async (from: number, to: number, start: (index: number) => Promise<Sample>): Promise<Sample[]> => {
      const began = performance.now();
      return Promise.all(
        Array.from({ length: to - from }, async (_, offset) => {
          const scheduled = (offset * arrivalMs) / (to - from);
          await sleep(scheduled);
          const lateMilliseconds = performance.now() - began - scheduled;
          const sample = await start(from + offset);
          return { ...sample, lateMilliseconds };
        }),
      );
    };

    const runBaseline = async (round: number): Promise<void> => {
      baselineLoopDelay.enable();
      const cpuBefore = cpuMilliseconds();
      const started = performance.now();
      const first = arrivals(0, half, (index) => viaSdk('stripe', `base${round}n${index}`, 1_000 + index));
      await sleep(arrivalMs);
      const second = arrivals(half, count, (index) => viaSdk('paypal', `base${round}n${index}`, 1_000 + index));
      baseline.push(...(await first), ...(await second));
      baselineMilliseconds += performance.now() - started;
      baselineCpu += cpuMilliseconds() - cpuBefore;
      baselineLoopDelay.disable();
    };

    const runFramework = async (round: number): Promise<void> => {
      // A fresh cutover per round: back to the old provider (a rollback), ramp to 100 %, flip under load.
      const { phase } = await paymigrate.orchestrator.status();
      if (phase === 'cutover') await paymigrate.orchestrator.rollback({ actor: 'bench', reason: 'next round' });
      if (phase !== 'prepare') await paymigrate.orchestrator.advance({ to: 'prepare', actor: 'bench', reason: 'next round' });
      await paymigrate.orchestrator.advance({ to: 'shadow', actor: 'bench', reason: 'bench' });
      await paymigrate.orchestrator.advance({ to: 'ramp', actor: 'bench', reason: 'bench' });
      await paymigrate.orchestrator.setRampPercent({ percent: 100, actor: 'bench', reason: 'bench' });
      await paymigrate.selector.refresh();
      loopDelay.enable();
      const cpuBefore = cpuMilliseconds();
      const started = performance.now();
      const first = arrivals(0, half, (index) => viaPaymigrate(`fw${round}n${index}`, 1_000 + index));
      await sleep(arrivalMs);
      const flipStarted = performance.now();
      await paymigrate.orchestrator.advance({ to: 'cutover', actor: 'bench', reason: 'cut over under load' });
      // The control-plane broadcast's hook: every selector re-reads the migration at once.
      await paymigrate.selector.refresh();
      flipMilliseconds = Math.max(flipMilliseconds, performance.now() - flipStarted);
      const second = arrivals(half, count, (index) => viaPaymigrate(`fw${round}n${index}`, 1_000 + index));
      measured.push(...(await first), ...(await second));
      frameworkMilliseconds += performance.now() - started;
      frameworkCpu += cpuMilliseconds() - cpuBefore;
      loopDelay.disable();
    };

    for (let round = 0; round < rounds; round += 1) {
      context.log(`round ${round + 1}/${rounds}: ${count} concurrent checkouts each way`);
      if (round % 2 === 0) {
        await runBaseline(round);
        await runFramework(round);
      } else {
        await runFramework(round);
        await runBaseline(round);
      }
    }
    const statistics = journal.groupCommitStatistics();

    // Phase 2 (where the time goes): one checkout at a time on Stripe, alternating the paths, so
    // nothing queues and both make the same two HTTP calls: the difference is paymigrate's own cost.
    // A third, instrumented paymigrate checkout per step shows where its time goes.
    await paymigrate.orchestrator.rollback({ actor: 'bench', reason: 'sequential phase on the old provider' });
    await paymigrate.selector.refresh();
    context.log(`${sequential} sequential checkouts each way`);
    const sequentialBaseline: Sample[] = [];
    const sequentialMeasured: Sample[] = [];
    const sequentialInstrumented: Sample[] = [];
    for (let index = 0; index < sequential; index += 1) {
      sequentialBaseline.push(await viaSdk('stripe', `seqbase${index}`, 1_000 + index, true));
      sequentialMeasured.push(await viaPaymigrate(`fwseq${index}`, 1_000 + index, false, true));
      sequentialInstrumented.push(await viaPaymigrate(`fwseqi${index}`, 1_000 + index, true));
    }

    const ours = summary(measured);
    const base = summary(baseline);
    const p50Added = ours.p50 - base.p50;
    const p99Added = ours.p99 - base.p99;
    const ratio = ours.p50 / base.p50;
    const lateness = (samples: readonly Sample[]) => samples.map((sample) => sample.lateMilliseconds ?? 0);
    // What a customer waits: from the checkout's scheduled arrival (its start lateness included).
    const fromArrival = (samples: readonly Sample[]) => samples.map((sample) => sample.milliseconds + (sample.lateMilliseconds ?? 0));
    const oursFromArrival = median(fromArrival(measured));
    const baseFromArrival = median(fromArrival(baseline));
    const arrivalRatio = oursFromArrival / baseFromArrival;
    const p99AddedFromArrival = percentile(fromArrival(measured), 0.99) - percentile(fromArrival(baseline), 0.99);
    const oursAlone = summary(sequentialMeasured);
    const baseAlone = summary(sequentialBaseline);
    const checkouts = count * rounds;
    const baselineCpuPerCheckout = baselineCpu / checkouts;
    const frameworkCpuPerCheckout = frameworkCpu / checkouts;
    const cpuRatio = frameworkCpuPerCheckout / baselineCpuPerCheckout;
    const baseCpuAlone = median(sequentialBaseline.map((sample) => sample.cpuMilliseconds ?? 0));
    const oursCpuAlone = median(sequentialMeasured.map((sample) => sample.cpuMilliseconds ?? 0));
    const split = { stripe: measured.filter((sample) => sample.provider === 'stripe').length, paypal: measured.filter((sample) => sample.provider === 'paypal').length };
    const truths = await fakes.truth();
    const invariants = await checkInvariants({ journal, fakes: { stripe: truthOf(truths[0]!, 'fw'), paypal: truthOf(truths[1]!, 'fw') } });
    return {
      title: 'Checkout latency during a cutover (1,000 concurrent checkouts)',
      description:
        'Each round runs 1,000 checkouts (authorize + capture): 500 arrive within 50 ms on the old provider (Stripe), the orchestrator cuts over to the new one (PayPal) while they are in flight, 500 more arrive within the next 50 ms. Through paymigrate (Transaction State Manager on the SQLite journal, synchronous=FULL, group commit; migration selector; the real adapters) and, side by side in the same run, as direct SDK calls (the official Stripe and PayPal SDKs) to the same fakes, served by a child process over loopback HTTP. Latency is per checkout, from its scheduled arrival to the end of the capture (the time from its start, provider choice included, is shown too). A second phase runs checkouts one at a time to show the cost per checkout without queueing.',
      targets: [
        {
          measure: 'p99 added latency from the scheduled arrival (1,000 concurrent)',
          target: '< 100 ms',
          achieved: formatDifference(p99AddedFromArrival),
          met: p99AddedFromArrival < 100,
          owner: 'user',
        },
        { measure: 'p99 added latency from the scheduled arrival (1,000 concurrent)', target: '<= 5 ms', achieved: formatDifference(p99AddedFromArrival), met: p99AddedFromArrival <= 5, owner: 'ours' },
        { measure: 'median latency ratio from the scheduled arrival (paymigrate / direct SDK)', target: '<= 1.05x', achieved: `${arrivalRatio.toFixed(2)}x`, met: arrivalRatio <= 1.05, owner: 'ours' },
        { measure: 'invariant violations (paymigrate checkouts)', target: '0', achieved: String(invariants.violations.length), met: invariants.violations.length === 0, owner: 'ours' },
      ],
      figures: {
        'checkouts per path (concurrent phase)': checkouts,
        'from the start (start lateness left out): direct SDK p50 / p99': `${formatMilliseconds(base.p50)} / ${formatMilliseconds(base.p99)}`,
        'from the start: paymigrate p50 / p99': `${formatMilliseconds(ours.p50)} / ${formatMilliseconds(ours.p99)}`,
        'from the start: added p50 / p99': `${formatDifference(p50Added)} / ${formatDifference(p99Added)}`,
        'from the start: median ratio': `${ratio.toFixed(3)}x`,
        'start lateness after the scheduled arrival p50 / p99 (direct SDK; paymigrate)': `${formatMilliseconds(median(lateness(baseline)))} / ${formatMilliseconds(percentile(lateness(baseline), 0.99))}; ${formatMilliseconds(median(lateness(measured)))} / ${formatMilliseconds(percentile(lateness(measured), 0.99))}`,
        'from the scheduled arrival: direct SDK p50 / p99': `${formatMilliseconds(baseFromArrival)} / ${formatMilliseconds(percentile(fromArrival(baseline), 0.99))}`,
        'from the scheduled arrival: paymigrate p50 / p99, median ratio': `${formatMilliseconds(oursFromArrival)} / ${formatMilliseconds(percentile(fromArrival(measured), 0.99))}, ${arrivalRatio.toFixed(3)}x`,
        'direct SDK throughput': formatRate(checkouts / (baselineMilliseconds / 1000), 'checkouts'),
        'paymigrate throughput': formatRate(checkouts / (frameworkMilliseconds / 1000), 'checkouts'),
        'CPU per checkout in this process, concurrent (direct SDK / paymigrate)': `${formatMilliseconds(baselineCpuPerCheckout)} / ${formatMilliseconds(frameworkCpuPerCheckout)}`,
        'CPU ratio, concurrent (paymigrate / direct SDK)': `${cpuRatio.toFixed(2)}x`,
        'paymigrate added CPU per checkout, concurrent': formatDifference(frameworkCpuPerCheckout - baselineCpuPerCheckout),
        'paymigrate checkouts on stripe / paypal': `${split.stripe} / ${split.paypal}`,
        'cutover under load (orchestrator write + selector refresh), worst': formatMilliseconds(flipMilliseconds),
        'event-loop delay p99 (direct SDK rounds / paymigrate rounds)': `${formatMilliseconds(baselineLoopDelay.percentile(99) / 1e6)} / ${formatMilliseconds(loopDelay.percentile(99) / 1e6)}`,
        'journal commits / write batches / largest group / WAL syncs (off the event loop)': `${statistics.commits - statisticsBefore.commits} / ${statistics.batches - statisticsBefore.batches} / ${statistics.largestGroup} / ${statistics.walSyncs - statisticsBefore.walSyncs}`,
        'one at a time (Stripe): direct SDK p50 / p99': `${formatMilliseconds(baseAlone.p50)} / ${formatMilliseconds(baseAlone.p99)}`,
        'one at a time: paymigrate p50 / p99': `${formatMilliseconds(oursAlone.p50)} / ${formatMilliseconds(oursAlone.p99)}`,
        'one at a time: added p50 / p99': `${formatDifference(oursAlone.p50 - baseAlone.p50)} / ${formatDifference(oursAlone.p99 - baseAlone.p99)}`,
        'one at a time: median CPU per checkout (direct SDK / paymigrate)': `${formatMilliseconds(baseCpuAlone)} / ${formatMilliseconds(oursCpuAlone)}`,
        'one at a time, instrumented: paymigrate median in provider calls / journal': `${formatMilliseconds(median(sequentialInstrumented.map((sample) => sample.breakdown?.provider ?? 0)))} / ${formatMilliseconds(median(sequentialInstrumented.map((sample) => sample.breakdown?.journal ?? 0)))}`,
        'machine load (1 min) at start / end': `${load.toFixed(2)} / ${(loadavg()[0] ?? 0).toFixed(2)}`,
      },
      notes: [
        'Per checkout both paths make 2 HTTP calls (the PayPal adapter captures the authorization it remembers from the authorize answer; it reads the order first only for an order it has not seen, e.g. after a restart); paymigrate adds 4 journal commits (intent before each call, outcome after; synchronous=FULL, the WAL fsync runs on the thread pool, not on the event loop), of which a checkout waits for 2: each intent is durable before its provider call, while the outcome of a success the provider recorded under the intent\'s key is committed deferred (durable with the next durable write or the group\'s own sync a moment later; recovery re-creates it from the durable intent if a power loss takes it) and 2 journal reads (is the payment new? the payment to capture), the rest reused from its own compare-and-set writes.',
        'Both paths use the same HTTP clients: the PayPal SDK (axios) through the global agent, keep-alive with 64 sockets; the Stripe SDK through fetch (undici\'s global keep-alive pool). The fakes run in a child process. Source maps are off for both paths (tsx turns them on; the Stripe SDK reads an Error stack on every request).',
        'CPU per checkout is process.cpuUsage() of this process (the fakes are another process) over the concurrent rounds, divided by the checkouts: with 1,000 checkouts in flight on two shared cores, both paths queue for the same CPU (this process, the fakes and the thread pool\'s fsyncs), and paymigrate\'s checkouts also wait for their durable intents: the CPU ratio measures its own work, the latency ratio what a customer would notice.',
        'The targets time each checkout from its scheduled arrival (latency plus start lateness), as the BFCM benchmark does: that is what a customer waits. Timed from when a checkout starts instead (shown under "from the start"), a checkout whose arrival timer fires late because the event loop is busy leaves that wait out: the direct SDK calls do their work at once, block the event loop and delay their own later arrivals (see the start lateness), so from the start they look faster than they are (coordinated omission). Sessions before 2026-11-27 recorded the from-the-start median ratio as a target (1.17x to 1.29x, missed) beside the scheduled-arrival one.',
        'The measured paymigrate path has no instrumentation; the breakdown (time in provider calls and waiting for the journal) comes from a third, instrumented checkout run one at a time beside the others.',
        ...invariants.violations.slice(0, 5).map((violation) => `Violation: ${violation}`),
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
