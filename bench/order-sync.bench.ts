// Webhook -> platform update latency of the Order State Synchronizer with 1,000 concurrent orders:
// a verified provider webhook (a capture) is handled (order transition + outbox message in one
// SQLite journal batch) and the outbox relay delivers the update to the platform: the in-memory
// reference platform (paymigrate's own latency), and the REAL Shopify adapter against the Shopify
// fake served over loopback HTTP from a child process. Side by side, the bare platform call
// (recordPayment) under the same load, as the baseline.
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CommercePlatformV1,
  createLogger,
  createOrderStateSynchronizer,
  createOutboxRelay,
  Money,
  type WebhookRequest,
} from '@paymigrate/core';
import { createShopifyPlatform } from '@paymigrate/platform-shopify';
import { createSqliteJournal, type SqliteJournal } from '@paymigrate/store-sqlite';
import { createSeededRandom, createShopifyFake, InMemoryCommercePlatform, InMemoryPaymentGateway, serveOverHttp } from '@paymigrate/testkit';
import { type Benchmark, formatMilliseconds, formatRate, percentile } from './support/benchmark.js';

const childVariable = 'PAYMIGRATE_ORDER_SYNC_SHOPIFY_FAKE';
const silent = createLogger({ level: 'silent' });

/** What the parent asks the fake's process. */
type ChildRequest = { readonly type: 'seed'; readonly id: number; readonly amounts: readonly number[] } | { readonly type: 'statuses'; readonly id: number; readonly orderIds: readonly string[] } | { readonly type: 'stop' };

/** What the fake's process answers. */
type ChildReply =
  | { readonly type: 'ready'; readonly url: string; readonly shopDomain: string; readonly adminAccessToken: string; readonly apiSecretKey: string }
  | { readonly type: 'seeded'; readonly id: number; readonly orderIds: readonly string[] }
  | { readonly type: 'statuses'; readonly id: number; readonly statuses: readonly string[] };

/** The child: a Shopify fake (cost bucket unlimited, calls not recorded) served over loopback HTTP. */
async function serveFake(): Promise<void> {
  const fake = createShopifyFake({ shopDomain: 'paymigrate-bench.myshopify.com', maximumAvailable: 1e12, restoreRate: 1e12, recordCalls: false });
  const server = await serveOverHttp(fake.handlers, { rewriteOrigin: `https://${fake.shopDomain}` });
  const send = (reply: ChildReply): void => {
    process.send?.(reply);
  };
  process.on('message', (request: ChildRequest) => {
    if (request.type === 'seed') {
      // Shopify holds the authorization its checkout made; paymigrate reports the capture.
      const orderIds = request.amounts.map((amount) => fake.addOrder({ total: Money.of(amount, 'EUR'), financialStatus: 'AUTHORIZED', gateway: 'memory' }));
      fake.takeWebhooks();
      send({ type: 'seeded', id: request.id, orderIds });
    } else if (request.type === 'statuses') {
      send({ type: 'statuses', id: request.id, statuses: request.orderIds.map((orderId) => fake.order(orderId)?.amounts.financialStatus ?? 'MISSING') });
      fake.takeWebhooks();
    } else {
      void server.close().then(() => process.exit(0));
    }
  });
  send({ type: 'ready', url: server.url, shopDomain: fake.shopDomain, adminAccessToken: fake.adminAccessToken, apiSecretKey: fake.apiSecretKey });
}

if (process.env[childVariable] === '1') await serveFake();

/** The fake's process, asked by message. */
class FakeProcess {
  readonly child: ChildProcess;
  readonly #waiting = new Map<number, (reply: ChildReply) => void>();
  #nextId = 1;
  ready: Promise<Extract<ChildReply, { type: 'ready' }>>;

  constructor() {
    this.child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [childVariable]: '1', TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('exit', (code) => reject(new Error(`the Shopify fake process exited with ${code}`)));
      this.child.on('message', (reply: ChildReply) => {
        if (reply.type === 'ready') resolve(reply);
        else this.#waiting.get(reply.id)?.(reply);
      });
    });
  }

  #ask(request: { readonly type: 'seed'; readonly amounts: readonly number[] } | { readonly type: 'statuses'; readonly orderIds: readonly string[] }): Promise<ChildReply> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.child.send({ ...request, id });
    });
  }

  async seed(amounts: readonly number[]): Promise<readonly string[]> {
    const reply = await this.#ask({ type: 'seed', amounts });
    return reply.type === 'seeded' ? reply.orderIds : [];
  }

  async statuses(orderIds: readonly string[]): Promise<readonly string[]> {
    const reply = await this.#ask({ type: 'statuses', orderIds });
    return reply.type === 'statuses' ? reply.statuses : [];
  }

  stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    return exited;
  }
}

/** How the 1,000 orders' events arrive. */
interface LoadShape {
  readonly name: string;
  /** Start offset of event `index`, milliseconds. */
  readonly offset: (index: number) => number;
}

/** Runs `work` for every index at its offset, all in flight together; resolves when all are done. */
async function underLoad(count: number, shape: LoadShape, work: (index: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const due = started + shape.offset(index);
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await work(index);
    }),
  );
}

/** At most `limit` calls of `work` at a time (a platform takes so many concurrent requests). */
function limited(limit: number): <Value>(work: () => Promise<Value>) => Promise<Value> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

/** Platform calls in flight at most, for the baseline and for the relay (its batch size). */
const platformConcurrency = 64;

/** The journal with `acknowledgeOutbox` replaced (every other method bound to the journal itself: it has private fields). */
function withAcknowledgeOutbox(journal: SqliteJournal, acknowledgeOutbox: SqliteJournal['acknowledgeOutbox']): SqliteJournal {
  return new Proxy(journal, {
    get: (target, property) => {
      if (property === 'acknowledgeOutbox') return acknowledgeOutbox;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...parameters: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** How many acknowledgement transactions reached the journal. */
interface AcknowledgementCount {
  transactions: number;
}

/** The journal with its acknowledgement transactions counted (the relay coalesces the acknowledgements of one turn into one). */
function countingAcknowledgements(journal: SqliteJournal, count: AcknowledgementCount): SqliteJournal {
  const acknowledgeOutbox = (input: { readonly sequences: readonly number[]; readonly owner: string }): Promise<{ readonly acknowledged: readonly number[] }> => {
    count.transactions += 1;
    return journal.acknowledgeOutbox(input);
  };
  return withAcknowledgeOutbox(journal, acknowledgeOutbox);
}

function describeLatencies(latencies: readonly number[]): { p50: number; p99: number; max: number } {
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: Math.max(...latencies) };
}

/** A platform under test: how to create its orders, and the adapter to call. */
interface PlatformUnderTest {
  readonly label: string;
  readonly adapter: CommercePlatformV1;
  /** Creates authorized orders of these totals (minor units) and answers their ids. */
  seed(amounts: readonly number[]): Promise<readonly string[]>;
  /** Whether every order is paid on the platform. */
  allPaid(orderIds: readonly string[]): Promise<boolean>;
}

/** One measured run: webhook -> platform latencies and the bare platform call's, same load. */
interface RunResult {
  readonly ours: { p50: number; p99: number; max: number };
  readonly bare: { p50: number; p99: number; max: number };
  /** When the last webhook's journal batch was committed (every event handled), ms from the start. */
  readonly allHandled: number;
  /** When the first platform update returned, ms from the start. */
  readonly firstUpdate: number;
  /** CPU time of this process (user + system, every thread) from the first event to the last update, ms. */
  readonly cpu: number;
  readonly throughput: number;
  readonly consistent: boolean;
  /** Journal transactions of the run: the synchronizer's write groups and the relay's acknowledgements. */
  readonly writeCommits: number;
  /** Batches the journal's write groups carried (one per event handled, plus the relay's none). */
  readonly writeBatches: number;
  readonly acknowledgementTransactions: number;
}

async function measure(input: {
  readonly platform: PlatformUnderTest;
  readonly shape: LoadShape;
  readonly count: number;
  readonly directory: string;
  readonly name: string;
  readonly amounts: () => number[];
}): Promise<RunResult> {
  const { platform: underTest, shape, count, name } = input;
  const adapter = underTest.adapter;
  // Baseline: the bare platform call, same load, fresh orders.
  const bareAmounts = input.amounts();
  const bareOrders = await underTest.seed(bareAmounts);
  const bareLatencies: number[] = new Array(count);
  const call = limited(platformConcurrency);
  await underLoad(count, shape, async (index) => {
    const started = performance.now();
    await call(() =>
      adapter.recordPayment({
        idempotencyKey: `${name}-bare-${index}`,
        orderId: bareOrders[index] as string,
        kind: 'capture',
        amount: Money.of(bareAmounts[index] as number, 'EUR'),
        provider: 'memory',
        providerReference: `pay_bare_${index}`,
      }),
    );
    bareLatencies[index] = performance.now() - started;
  });

  // paymigrate: webhook -> synchronizer (journal batch + outbox) -> relay -> adapter.
  const sqlite = createSqliteJournal({ filename: join(input.directory, `journal-${name}.sqlite`) });
  await sqlite.open();
  const acknowledgements: AcknowledgementCount = { transactions: 0 };
  const journal = countingAcknowledgements(sqlite, acknowledgements);
  const gateway = new InMemoryPaymentGateway({ provider: 'memory' });
  const receivedAt = new Map<string, number>();
  const latencies: number[] = [];
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    done = resolve;
  });
  const platform: CommercePlatformV1 = {
    specificationVersion: 'v1',
    platform: adapter.platform,
    getOrder: (order, options) => adapter.getOrder(order, options),
    listOpenOrders: (page, options) => adapter.listOpenOrders(page, options),
    cancelOrder: (cancel, options) => adapter.cancelOrder(cancel, options),
    getCart: (cart, options) => adapter.getCart(cart, options),
    verifyWebhook: (request, options) => adapter.verifyWebhook(request, options),
    recordPayment: async (update, options) => {
      const order = await adapter.recordPayment(update, options);
      latencies.push(performance.now() - (receivedAt.get(update.orderId) as number));
      if (latencies.length === count) done();
      return order;
    },
  };
  const orders = createOrderStateSynchronizer({
    journal,
    platform,
    operations: { refund: async () => ({ status: 'failed' }), cancel: async () => ({ status: 'failed' }) },
    logger: silent,
  });
  const ourAmounts = input.amounts();
  const ourOrders = await underTest.seed(ourAmounts);
  const webhooks: WebhookRequest[] = [];
  for (const [index, orderId] of ourOrders.entries()) {
    const amount = Money.of(ourAmounts[index] as number, 'EUR');
    const payment = await gateway.authorize({ idempotencyKey: `auth-${index}`, merchantReference: `${name}-${index}`, amount, paymentMethodToken: 'tok_visa' });
    const capture = await gateway.capture({ idempotencyKey: `cap-${index}`, providerReference: payment.providerReference, amount });
    await orders.registerOrder({ orderId, total: amount, state: 'authorized', payments: [{ paymentId: `pay-${index}`, provider: 'memory', providerReference: payment.providerReference, amount }] });
    webhooks.push(gateway.signWebhook({ type: 'payment.captured', providerReference: payment.providerReference, eventId: `evt-${index}`, amount, operationReference: capture.operationReference }));
  }
  const relay = createOutboxRelay({ journal, owner: `bench-relay-${name}`, handlers: orders.outboxHandlers(), batchSize: platformConcurrency, leaseMs: 120_000, logger: silent });
  const stop = new AbortController();
  const relaying = relay.start({ intervalMs: 1, signal: stop.signal });
  const commitsBefore = sqlite.groupCommitStatistics().commits;
  const batchesBefore = sqlite.groupCommitStatistics().batches;
  acknowledgements.transactions = 0;
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  await underLoad(count, shape, async (index) => {
    receivedAt.set(ourOrders[index] as string, performance.now());
    const event = await gateway.verifyWebhook(webhooks[index] as WebhookRequest);
    const result = await orders.handleProviderEvent(event);
    if (result.status !== 'applied') throw new Error(`event ${index} was ${result.status}: ${result.reason}`);
  });
  const allHandled = performance.now() - began;
  await allDone;
  const elapsed = performance.now() - began;
  const cpuUsed = process.cpuUsage(cpuBefore);
  stop.abort();
  await relaying;
  const states = await Promise.all(ourOrders.map(async (orderId) => (await orders.order(orderId))?.state));
  const consistent = states.every((state) => state === 'paid') && (await underTest.allPaid(ourOrders));
  const writeCommits = sqlite.groupCommitStatistics().commits - commitsBefore;
  const writeBatches = sqlite.groupCommitStatistics().batches - batchesBefore;
  await sqlite.close();
  return {
    ours: describeLatencies(latencies),
    bare: describeLatencies(bareLatencies),
    allHandled,
    firstUpdate: Math.min(...latencies),
    cpu: (cpuUsed.user + cpuUsed.system) / 1_000,
    throughput: (count * 1_000) / elapsed,
    consistent,
    writeCommits,
    writeBatches,
    acknowledgementTransactions: acknowledgements.transactions,
  };
}

/**
 * The floor under the synchronizer: the same SQLite journal and outbox relay, under the same load,
 * with nothing else. Per event: read the order record, write it back with one outbox message (one
 * journal batch, compare-and-set), and the relay delivers the message to a handler that only notes
 * the time. No webhook verification, no order planning, no platform.
 */
async function measureJournalFloor(input: { readonly shape: LoadShape; readonly count: number; readonly directory: string; readonly name: string }): Promise<{
  readonly latency: { p50: number; p99: number; max: number };
  readonly cpu: number;
}> {
  const { shape, count, name } = input;
  const journal = createSqliteJournal({ filename: join(input.directory, `journal-${name}.sqlite`) });
  await journal.open();
  // About the size of an order record the synchronizer writes.
  const orderValue = (state: string): string => JSON.stringify({ orderId: randomUUID(), state, total: { amountMinor: '25000', currency: 'EUR' }, payments: [{ paymentId: randomUUID(), provider: 'memory', providerReference: randomUUID(), amount: { amountMinor: '25000', currency: 'EUR' } }] });
  for (let index = 0; index < count; index += 1) await journal.write({ puts: [{ collection: 'floor-orders', key: `order-${index}`, value: orderValue('authorized'), expectedVersion: 0 }] });
  const startedAt: number[] = new Array(count);
  const latencies: number[] = [];
  let done: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    done = resolve;
  });
  const handlers = {
    'floor.platform': async (message: { readonly payload: string }): Promise<void> => {
      latencies.push(performance.now() - (startedAt[(JSON.parse(message.payload) as { index: number }).index] as number));
      if (latencies.length === count) done();
    },
  };
  const relay = createOutboxRelay({ journal, owner: `bench-floor-${name}`, handlers, batchSize: platformConcurrency, leaseMs: 120_000, logger: silent });
  const stop = new AbortController();
  const relaying = relay.start({ intervalMs: 1, signal: stop.signal });
  const cpuBefore = process.cpuUsage();
  await underLoad(count, shape, async (index) => {
    startedAt[index] = performance.now();
    const key = `order-${index}`;
    const record = await journal.get('floor-orders', key);
    await journal.write({
      puts: [{ collection: 'floor-orders', key, value: orderValue('paid'), expectedVersion: record?.version ?? 0 }],
      outbox: [{ topic: 'floor.platform', orderingKey: key, deduplicationId: `${name}-${index}`, payload: JSON.stringify({ index }) }],
    });
  });
  await allDone;
  const cpuUsed = process.cpuUsage(cpuBefore);
  stop.abort();
  await relaying;
  await journal.close();
  return { latency: describeLatencies(latencies), cpu: (cpuUsed.user + cpuUsed.system) / 1_000 };
}

const benchmark: Benchmark = async ({ scale, seed, log }) => {
  const count = Math.max(100, Math.round(1_000 * scale));
  const random = createSeededRandom(seed);
  const amounts = (): number[] => Array.from({ length: count }, () => 1_000 * random.integer(1, 50));
  // 1,000 open orders whose capture webhooks arrive within 5 s (200/s: a very large shop's peak;
  // Shopify's whole-platform BFCM peak is about 740/s), and all at once (a provider's retry burst).
  const spreadSeconds = 5;
  const peak: LoadShape = { name: `${count} orders, events over ${spreadSeconds} s (${Math.round(count / spreadSeconds)}/s)`, offset: (index) => (index * spreadSeconds * 1_000) / count };
  const burst: LoadShape = { name: `${count} orders, every event at once`, offset: () => 0 };
  const directory = await mkdtemp(join(tmpdir(), 'paymigrate-order-sync-bench-'));
  const fakeProcess = new FakeProcess();
  try {
    const shop = await fakeProcess.ready;
    log(`Shopify fake on ${shop.url} (child process), SQLite journal in ${directory}, ${count} orders per run`);
    const memory = new InMemoryCommercePlatform({ platform: 'memory' });
    const inMemory: PlatformUnderTest = {
      label: 'in-memory platform',
      adapter: memory,
      seed: async (totals) => totals.map((total) => memory.addOrder({ orderId: `order-${randomUUID()}`, total: Money.of(total, 'EUR'), canonicalState: 'authorized' }).orderId),
      allPaid: async (orderIds) => {
        const byId = new Map(memory.orders().map((order) => [order.orderId, order.canonicalState]));
        return orderIds.every((orderId) => byId.get(orderId) === 'paid');
      },
    };
    const shopify: PlatformUnderTest = {
      label: 'Shopify adapter, fake over loopback HTTP',
      adapter: createShopifyPlatform({ shopDomain: shop.shopDomain, adminAccessToken: shop.adminAccessToken, apiSecretKey: shop.apiSecretKey, environment: {}, apiOrigin: shop.url }),
      seed: (totals) => fakeProcess.seed(totals),
      allPaid: async (orderIds) => (await fakeProcess.statuses(orderIds)).every((status) => status === 'PAID'),
    };
    // Warm-up: connections, the adapter's client, the fake's schema, the code paths.
    for (const platform of [inMemory, shopify]) {
      const warmAmounts = amounts().slice(0, 200);
      const warm = await platform.seed(warmAmounts);
      const call = limited(platformConcurrency);
      await Promise.all(
        warm.map((orderId, index) =>
          call(() =>
            platform.adapter.recordPayment({
              idempotencyKey: `warm-${randomUUID()}`,
              orderId,
              kind: 'capture',
              amount: Money.of(warmAmounts[index] as number, 'EUR'),
              provider: 'memory',
              providerReference: `warm-${index}`,
            }),
          ),
        ),
      );
    }
    const runs = [
      { key: 'memory peak', platform: inMemory, shape: peak },
      { key: 'memory burst', platform: inMemory, shape: burst },
      { key: 'shopify peak', platform: shopify, shape: peak },
      { key: 'shopify burst', platform: shopify, shape: burst },
    ] as const;
    const figures: Record<string, string | number> = {};
    const results = new Map<string, RunResult>();
    for (const [index, run] of runs.entries()) {
      const result = await measure({ platform: run.platform, shape: run.shape, count, directory, name: `run${index}`, amounts });
      results.set(run.key, result);
      const prefix = `${run.platform.label}, ${run.shape.name}`;
      figures[`${prefix}: webhook -> platform p50 / p99 / max`] = `${formatMilliseconds(result.ours.p50)} / ${formatMilliseconds(result.ours.p99)} / ${formatMilliseconds(result.ours.max)}`;
      figures[`${prefix}: bare platform call p50 / p99 / max`] = `${formatMilliseconds(result.bare.p50)} / ${formatMilliseconds(result.bare.p99)} / ${formatMilliseconds(result.bare.max)}`;
      figures[`${prefix}: ratio p50 / p99 (ours / bare)`] = `${(result.ours.p50 / result.bare.p50).toFixed(2)}× / ${(result.ours.p99 / result.bare.p99).toFixed(2)}×`;
      figures[`${prefix}: throughput`] = formatRate(result.throughput, 'updates');
      figures[`${prefix}: first platform update / every webhook handled (journal batch committed) after`] = `${formatMilliseconds(result.firstUpdate)} / ${formatMilliseconds(result.allHandled)}`;
      figures[`${prefix}: CPU time of the run (this process, every thread, the relay's idle polling included) / per event`] = `${formatMilliseconds(result.cpu)} / ${((result.cpu * 1_000) / count).toFixed(0)} µs`;
      figures[`${prefix}: journal transactions, write groups / relay acknowledgements`] = `${result.writeCommits} / ${result.acknowledgementTransactions}`;
      figures[`${prefix}: journal write batches in those write groups`] = result.writeBatches;
      log(`${prefix}: ours p50 ${formatMilliseconds(result.ours.p50)} p99 ${formatMilliseconds(result.ours.p99)}; bare p50 ${formatMilliseconds(result.bare.p50)} p99 ${formatMilliseconds(result.bare.p99)}`);
    }
    for (const [index, shape] of [peak, burst].entries()) {
      const floor = await measureJournalFloor({ shape, count, directory, name: `floor${index}` });
      const prefix = `journal and relay alone (the floor: no verification, no synchronizer, no platform), ${shape.name}`;
      figures[`${prefix}: write -> delivery p50 / p99 / max`] = `${formatMilliseconds(floor.latency.p50)} / ${formatMilliseconds(floor.latency.p99)} / ${formatMilliseconds(floor.latency.max)}`;
      figures[`${prefix}: CPU time / per event`] = `${formatMilliseconds(floor.cpu)} / ${((floor.cpu * 1_000) / count).toFixed(0)} µs`;
      log(`${prefix}: p50 ${formatMilliseconds(floor.latency.p50)} p99 ${formatMilliseconds(floor.latency.p99)}`);
    }
    figures['load average (1 min) at the end'] = loadavg()[0]?.toFixed(2) ?? 'n/a';
    const memoryPeak = results.get('memory peak') as RunResult;
    const memoryBurst = results.get('memory burst') as RunResult;
    const consistent = [...results.values()].every((result) => result.consistent);
    return {
      title: 'Order sync: webhook -> platform update latency, 1,000 concurrent orders',
      description:
        'A verified capture webhook per order is handled by the Order State Synchronizer (order transition and outbox message in one SQLite journal batch); the outbox relay delivers the update to the platform. Platforms: the in-memory reference platform (the latency is paymigrate alone) and the real Shopify adapter against the Shopify fake served over loopback HTTP from a child process. Baseline: the bare platform call (recordPayment) under the same load.',
      targets: [
        { measure: `p99 webhook -> platform update, ${peak.name}`, target: '< 500 ms', achieved: formatMilliseconds(memoryPeak.ours.p99), met: memoryPeak.ours.p99 < 500, owner: 'user' },
        { measure: `p99 webhook -> platform update, ${peak.name}`, target: '<= 50 ms', achieved: formatMilliseconds(memoryPeak.ours.p99), met: memoryPeak.ours.p99 <= 50, owner: 'ours' },
        { measure: `p99 webhook -> platform update, ${burst.name}`, target: '< 500 ms', achieved: formatMilliseconds(memoryBurst.ours.p99), met: memoryBurst.ours.p99 < 500, owner: 'user' },
        { measure: `p99 webhook -> platform update, ${burst.name}`, target: '<= 50 ms', achieved: formatMilliseconds(memoryBurst.ours.p99), met: memoryBurst.ours.p99 <= 50, owner: 'ours' },

        { measure: 'every order consistent afterwards (canonical paid, platform paid), all runs', target: 'all', achieved: consistent ? 'all' : 'not all', met: consistent, owner: 'ours' },
      ],
      figures,
      notes: [
        'Latency runs from the moment the webhook request is taken (before its signature is verified) to the moment the platform call recording the capture returns, for every order.',
        'The targets are checked on the in-memory platform, whose call costs microseconds: there the latency is what paymigrate itself takes (verification, journal batch, outbox, relay pick-up). With the Shopify adapter the platform call dominates; compare it with the bare call under the same load (the ratios).',
        'The Shopify fake executes every GraphQL request with graphql-js in one child process: it serves far fewer calls per second than Shopify, so under these loads its queue, not paymigrate, sets the absolute Shopify figures.',
        `The journal is SQLite with synchronous=FULL (the embedded default: every commit fsync'ed). The synchronizer's event batches (order, processed event, outbox message) share commits through store-sqlite's group commit (see "write groups" and "write batches"), which checks each batch's compare-and-set versions before writing it instead of giving it a savepoint (SQLite copied every page a savepoint first changed into a temporary statement journal: about 100 µs per event batch with an outbox message, measured with 1,000 such batches in groups of 128: 98 -> 31 µs CPU per batch); the relay acknowledges the deliveries that finish in the same turn in one transaction (see "relay acknowledgements").`,
        'A burst is handled in chunks (the synchronizer\'s eventChunkSize, default 128): at most that many events are handled at a time, and the next chunk is admitted only in a later turn of the event loop, so each chunk commits on its own and the relay delivers it while later chunks are handled ("first platform update" comes after one chunk, not after all 1,000). The relay claims its next batch as soon as the handlers of the previous one are done, without waiting for their acknowledgements to be durable. The reads of the events of one chunk are coalesced into one getMany per collection.',
        'Profile of the all-at-once case (inspector CPU profile of the burst only, in-memory platform, 1,000 events, 6 runs side by side with the code before, 2026-11-27, machine shared with other work at load 4-6), with the event batches of a chunk merged into one journal write (the same effect on store-sqlite as its group commit without savepoints), share of the main thread: store-sqlite (group commits, reads, claims, acknowledgements) 29 %, the synchronizer and relay (planning, encoding) 29 %, garbage collection 13 %, the in-memory provider\'s HMAC verification and the in-memory platform 10 %, idle waiting for WAL syncs 5-13 % (varies with the load; each chunk\'s reads wait for the sync of the last commit before them, the relay\'s included), core journal repositories 3 %, zod decoding under 1 %. With a savepoint per event batch in store-sqlite\'s group commit: store-sqlite 52 %, and about 30 % more main-thread time in all. The merge itself was not kept: with the group commit checking versions instead of taking savepoints, it saved no CPU (1.02x side by side, 6 rounds) and moved the p50 by about 0.94x, not worth a second grouping layer above the journal\'s.',
        'Not reachable on this machine for all 1,000 events at once: the 990th event\'s latency is at least the CPU of handling ~990 events end to end (see "CPU time of the run / per event": far above the ~50 µs per event a 50 ms p99 needs), most of it in the SQLite journal (commits, reads, claims, acknowledgements and the waits for their WAL syncs), then the synchronizer and relay and the provider fake.',
        'The "journal and relay alone" lines measure that floor in the same run: the same SQLite journal and outbox relay under the same load, each event only a read, one compare-and-set write of the order with its outbox message, and the delivery to a handler that notes the time. What the synchronizer adds is the difference between those lines and the in-memory platform\'s.',
        `Webhooks come from the in-memory provider (HMAC verification in process). At most ${platformConcurrency} platform calls are in flight, for paymigrate (the relay's batch size) and for the baseline alike; the relay polls every 1 ms when idle.`,
      ],
    };
  } finally {
    await fakeProcess.stop();
    await rm(directory, { recursive: true, force: true });
  }
};

export default benchmark;
