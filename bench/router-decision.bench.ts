// Decision latency of the traffic router in process, each call timed on the wall clock on its own:
// the decision (preview: freshness, kill switch, capabilities, cohorts, bucket, circuit breakers),
// decide() (the decision + statistics + the in-process pin select() answers again), select() (the
// async call the TSM makes), and apart from them the durable pin write and select + durable pin,
// side by side with a bare MurmurHash3 call and an empty timer pair in the same interleaved rounds.
import {
  createKillSwitch,
  createMigrationOrchestrator,
  createRolloutHasher,
  createRoutingNode,
  createTrafficRouter,
  InMemoryControlPlaneBroadcast,
  Money,
  type RoutingRequest,
  routingAssignmentPut,
  systemClock,
  withRoutingAnnouncements,
} from '@paymigrate/core';
import { InMemoryJournal } from '@paymigrate/testkit';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import murmurhash from 'murmurhash';
import type { Benchmark } from './support/benchmark.js';

/** Calls per measure and round: every measure runs one batch per round, interleaved, so load spikes hit them alike. */
const batchSize = 1_000;

/** Calls per batch mean in the batch view (GC and descheduling spread over 100 calls). */
const meanGroup = 100;

/** What was measured of one measure: one wall-clock sample per call, microseconds. */
interface Samples {
  readonly label: string;
  readonly values: Float64Array;
  count: number;
}

/** The distribution of a measure. */
interface Distribution {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  /** p99 over means of `meanGroup` consecutive calls. */
  readonly groupP99: number;
  /** Share of calls above 10 µs (a GC pause or descheduling landed in them). */
  readonly over10: number;
}

function samplesOf(label: string, size: number): Samples {
  return { label, values: new Float64Array(size), count: 0 };
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}

function distributionOf(samples: Samples): Distribution {
  const values = samples.values.subarray(0, samples.count);
  const groups = new Float64Array(Math.floor(values.length / meanGroup));
  let total = 0;
  let over10 = 0;
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index] as number;
    total += value;
    if (value > 10) over10 += 1;
    const group = Math.floor(index / meanGroup);
    if (group < groups.length) groups[group] = (groups[group] as number) + value / meanGroup;
  }
  const sorted = Float64Array.from(values).sort();
  groups.sort();
  return {
    p50: rank(sorted, 0.5),
    p99: rank(sorted, 0.99),
    p999: rank(sorted, 0.999),
    max: sorted[sorted.length - 1] as number,
    mean: total / values.length,
    groupP99: rank(groups, 0.99),
    over10: over10 / values.length,
  };
}

function micro(value: number): string {
  return `${value.toFixed(3)} µs`;
}

function row(distribution: Distribution): string {
  return `${micro(distribution.p50)} / ${micro(distribution.p99)} / ${micro(distribution.p999)}`;
}

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

const benchmark: Benchmark = async ({ scale, log }) => {
  const rounds = Math.max(20, Math.round(1_000 * scale));
  const journalRounds = Math.max(10, Math.round(200 * scale));
  const journal = new InMemoryJournal();
  await journal.open();
  const broadcast = new InMemoryControlPlaneBroadcast();
  const orchestrator = withRoutingAnnouncements(
    createMigrationOrchestrator({ journal, fromProvider: 'stripe', toProvider: 'adyen', inFlightPayments: { countInFlight: async () => 0 } }),
    { broadcast },
  );
  await orchestrator.start({ actor: 'bench', reason: 'bench' });
  await orchestrator.advance({ to: 'shadow', actor: 'bench', reason: 'bench' });
  await orchestrator.advance({ to: 'ramp', actor: 'bench', reason: 'bench' });
  await orchestrator.setRampPercent({ percent: 50, actor: 'bench', reason: 'bench' });
  await createKillSwitch({ journal }).release({ actor: 'bench', reason: 'a control record to read' });
  const node = createRoutingNode({ journal, broadcast, clock: systemClock, nodeId: 'bench' });
  await node.start();
  // Defaults: sampling circuit breakers on, no hooks (the TSM passes no customer attributes).
  const router = createTrafficRouter({ node, fromProvider: 'stripe' });
  const hasher = createRolloutHasher('default:provider');
  const pinJournal = new InMemoryJournal();
  await pinJournal.open();
  const amount = Money.of(2_500, 'EUR');
  const request = (prefix: string, id: number): RoutingRequest => ({
    paymentId: `${prefix}${id}`,
    merchantReference: `o${prefix}${id}`,
    amount,
    currency: 'EUR',
    customerId: `cus_${id % 250_000}`,
  });
  const batchOf = (prefix: string, round: number): RoutingRequest[] => {
    const requests: RoutingRequest[] = new Array(batchSize);
    for (let index = 0; index < batchSize; index += 1) requests[index] = request(prefix, round * batchSize + index);
    return requests;
  };

  const size = rounds * batchSize;
  const journalSize = journalRounds * batchSize;
  const timer = samplesOf('empty timer pair', size);
  const murmur = samplesOf('murmur3', size);
  const bucket = samplesOf('hasher.bucket', size);
  const preview = samplesOf('preview (the decision)', size);
  const decide = samplesOf('decide', size);
  const select = samplesOf('select', size);
  const selectBesidePin = samplesOf('select (journal phase)', journalSize);
  const pinWrite = samplesOf('durable pin write', journalSize);
  const selectWithPin = samplesOf('select + durable pin', journalSize);

  let sink = 0;
  let notBucket = 0;
  const measureSync = (samples: Samples, requests: readonly RoutingRequest[], call: (request: RoutingRequest) => void): void => {
    const { values } = samples;
    let at = samples.count;
    for (const each of requests) {
      const started = performance.now();
      call(each);
      values[at] = (performance.now() - started) * 1000;
      at += 1;
    }
    samples.count = at;
  };
  const measureAsync = async (samples: Samples, requests: readonly RoutingRequest[], call: (request: RoutingRequest) => Promise<void>): Promise<void> => {
    const { values } = samples;
    for (const each of requests) {
      const started = performance.now();
      await call(each);
      values[samples.count] = (performance.now() - started) * 1000;
      samples.count += 1;
    }
  };

  const decideCall = (each: RoutingRequest): void => {
    if (router.decide(each).kind !== 'bucket') notBucket += 1;
  };
  const previewCall = (each: RoutingRequest): void => {
    if (router.preview(each).kind !== 'bucket') notBucket += 1;
  };
  const selectCall = async (each: RoutingRequest): Promise<void> => {
    if ((await router.select(each)).kind !== 'bucket') notBucket += 1;
  };
  const pinCall = async (each: RoutingRequest): Promise<void> => {
    await pinJournal.write({
      puts: [
        routingAssignmentPut({
          paymentId: each.paymentId,
          provider: 'adyen',
          reason: 'ramp: bucket < 50000 (50 %)',
          kind: 'bucket',
          epoch: 4,
          cohort: 'default',
          bucket: 1,
          experiment: true,
          decidedAt: Date.now(),
          nodeId: 'bench',
        }),
      ],
    });
  };
  const selectWithPinCall = async (each: RoutingRequest): Promise<void> => {
    const decision = await router.select(each);
    if (decision.kind !== 'bucket') notBucket += 1;
    await journal.write({
      puts: [
        routingAssignmentPut({
          paymentId: each.paymentId,
          provider: decision.provider,
          reason: decision.reason,
          kind: decision.kind,
          epoch: decision.epoch,
          cohort: decision.cohort,
          bucket: decision.bucket,
          experiment: decision.experiment,
          decidedAt: Date.now(),
          nodeId: 'bench',
        }),
      ],
    });
  };

  log('warming up (50 rounds of every measure, not recorded)');
  for (let round = 0; round < 50; round += 1) {
    const requests = batchOf(`w${round}-`, round);
    for (const each of requests) {
      sink ^= murmurhash.v3(`default:provider:${each.customerId as string}`, 0);
      sink ^= hasher.bucket(each.customerId as string);
      router.preview(each);
    }
    for (const each of batchOf('wd', round)) router.decide(each);
    for (const each of batchOf('ws', round)) await router.select(each);
    await yieldToEventLoop();
  }
  notBucket = 0;

  let garbageCollections = 0;
  let garbageCollectionMilliseconds = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      garbageCollections += 1;
      garbageCollectionMilliseconds += entry.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  log(`phase 1: ${rounds.toLocaleString('en-US')} interleaved rounds of ${batchSize} calls per measure, each call timed alone`);
  const loadBefore = loadavg()[0] as number;
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) {
    const customers = batchOf('c', round);
    measureSync(timer, customers, () => undefined);
    measureSync(murmur, customers, (each) => {
      sink ^= murmurhash.v3(`default:provider:${each.customerId as string}`, 0);
    });
    measureSync(bucket, customers, (each) => {
      sink ^= hasher.bucket(each.customerId as string);
    });
    measureSync(preview, customers, previewCall);
    measureSync(decide, batchOf('d', round), decideCall);
    await measureAsync(select, batchOf('s', round), selectCall);
    // Between rounds the event loop runs, as in a server: the routing node's 1 s poll keeps its
    // configuration fresh (a loop that never yields would starve the timer and route stale).
    await yieldToEventLoop();
  }
  const phaseOneGarbageCollections = garbageCollections;
  const phaseOneGarbageCollectionMilliseconds = garbageCollectionMilliseconds;
  const phaseOneSeconds = (performance.now() - started) / 1000;
  // Phase 2, apart: the in-memory journal keeps every record it is given, so its heap growth would
  // slow every garbage collection of phase 1 (a SQL journal keeps them out of the process).
  log(`phase 2: ${journalRounds} interleaved rounds of select, the durable pin write alone, and select + durable pin`);
  for (let round = 0; round < 20; round += 1) {
    for (const each of batchOf(`wp${round}-`, round)) await pinCall(each);
    for (const each of batchOf(`wj${round}-`, round)) await selectWithPinCall(each);
    await yieldToEventLoop();
  }
  for (let round = 0; round < journalRounds; round += 1) {
    await measureAsync(selectBesidePin, batchOf('t', round), selectCall);
    await measureAsync(pinWrite, batchOf('p', round), pinCall);
    await measureAsync(selectWithPin, batchOf('j', round), selectWithPinCall);
    await yieldToEventLoop();
  }
  const seconds = (performance.now() - started) / 1000;
  await yieldToEventLoop();
  gcObserver.disconnect();
  await node.stop();
  if (notBucket > 0) throw new Error(`${notBucket} measured decisions were not ramp decisions (stale or fail-safe): the measurement is invalid`);

  const results = {
    timer: distributionOf(timer),
    murmur: distributionOf(murmur),
    bucket: distributionOf(bucket),
    preview: distributionOf(preview),
    decide: distributionOf(decide),
    select: distributionOf(select),
    selectBesidePin: distributionOf(selectBesidePin),
    pinWrite: distributionOf(pinWrite),
    selectWithPin: distributionOf(selectWithPin),
  };
  const arms = router.statistics.experimentArms(4);
  const newShare = arms.get('adyen')?.assignments ?? 0;
  const allShare = newShare + (arms.get('stripe')?.assignments ?? 0);
  const load = loadavg().map((value) => value.toFixed(2)).join(' / ');
  log(`p50 / p99 / p99.9: decision ${row(results.preview)}, decide ${row(results.decide)}, select ${row(results.select)}, murmur3 ${row(results.murmur)} (sink ${sink})`);
  log(`p50 / p99 / p99.9 (phase 2): select ${row(results.selectBesidePin)}, durable pin write ${row(results.pinWrite)}, select + durable pin ${row(results.selectWithPin)}; timer pair ${row(results.timer)}`);
  log(`${phaseOneGarbageCollections} GCs (${phaseOneGarbageCollectionMilliseconds.toFixed(1)} ms) in phase 1 (${phaseOneSeconds.toFixed(1)} s); ${garbageCollections} (${garbageCollectionMilliseconds.toFixed(1)} ms) in all (${seconds.toFixed(1)} s); load ${load}`);
  const oursMicroseconds = 2;
  const userTargetMs = 10;
  const share = (value: number): string => `${(value * 100).toFixed(3)} %`;
  return {
    title: 'Traffic router decision latency (in process)',
    description:
      `A warmed TrafficRouter at a 50 % ramp (sampling circuit breakers on, routing node on an in-memory journal) decides new payments of 250,000 customers. ` +
      `Every call is timed on its own with performance.now() (wall clock); the measures run interleaved, one batch of ${batchSize} calls each per round: phase 1, ${rounds.toLocaleString('en-US')} rounds ` +
      `of the in-memory measures; phase 2, ${journalRounds} rounds of select, the durable pin write and select + durable pin (apart, as the in-memory journal grows the heap). The decision is \`preview()\`: freshness, kill switch, capabilities, cohorts, bucket and circuit checks, synchronous. ` +
      '`decide()` adds the decision count, the statistics and the in-process pin (bounded: the last 100,000 decisions); `select()` is the async call the TSM makes (no journal write: the TSM journals the pinned provider with its intent). ' +
      'The durable pin write and select + durable pin (what select did before) are measured on their own. A bare MurmurHash3 call and an empty timer pair run in the same rounds.',
    targets: [
      { measure: 'decision (preview) p99, per call, wall clock', target: `<= ${oursMicroseconds} µs`, achieved: micro(results.preview.p99), met: results.preview.p99 <= oursMicroseconds, owner: 'ours' },
      { measure: 'decide() p99 (decision + statistics + in-process pin)', target: `<= ${oursMicroseconds} µs`, achieved: micro(results.decide.p99), met: results.decide.p99 <= oursMicroseconds, owner: 'ours' },
      { measure: 'select() p99 (what the TSM awaits)', target: `<= ${oursMicroseconds} µs`, achieved: micro(results.select.p99), met: results.select.p99 <= oursMicroseconds, owner: 'ours' },
      { measure: 'select() p99 (what the TSM awaits)', target: `< ${userTargetMs} ms`, achieved: micro(results.select.p99), met: results.select.p99 < userTargetMs * 1000, owner: 'user' },
      {
        measure: 'select() + durable pin write p99 (reported apart; the TSM path does not need it)',
        target: `< ${userTargetMs} ms`,
        achieved: micro(results.selectWithPin.p99),
        met: results.selectWithPin.p99 < userTargetMs * 1000,
        owner: 'user',
      },
    ],
    figures: {
      'calls per measure (journal measures)': `${size.toLocaleString('en-US')} (${journalSize.toLocaleString('en-US')})`,
      'measured decisions that were not ramp decisions (stale, fail-safe)': notBucket,
      'decision (preview) p50 / p99 / p99.9': row(results.preview),
      'decide() p50 / p99 / p99.9': row(results.decide),
      'select() p50 / p99 / p99.9': row(results.select),
      'phase 2: select() p50 / p99 / p99.9': row(results.selectBesidePin),
      'durable pin write alone p50 / p99 / p99.9': row(results.pinWrite),
      'select() + durable pin p50 / p99 / p99.9': row(results.selectWithPin),
      'baseline murmur3 (string) p50 / p99 / p99.9': row(results.murmur),
      'rollout hasher bucket p50 / p99 / p99.9': row(results.bucket),
      'empty timer pair p50 / p99 / p99.9': row(results.timer),
      'max: decision / decide / select / murmur3': `${micro(results.preview.max)} / ${micro(results.decide.max)} / ${micro(results.select.max)} / ${micro(results.murmur.max)}`,
      'p99 over means of 100 calls: decision / decide / select / murmur3': `${micro(results.preview.groupP99)} / ${micro(results.decide.groupP99)} / ${micro(results.select.groupP99)} / ${micro(results.murmur.groupP99)}`,
      'calls over 10 µs: decision / decide / select / murmur3': `${share(results.preview.over10)} / ${share(results.decide.over10)} / ${share(results.select.over10)} / ${share(results.murmur.over10)}`,
      'mean: decision / decide / select / murmur3': `${micro(results.preview.mean)} / ${micro(results.decide.mean)} / ${micro(results.select.mean)} / ${micro(results.murmur.mean)}`,
      'decision / murmur3 (p99 ratio)': (results.preview.p99 / results.murmur.p99).toFixed(2),
      'decide / murmur3 (p99 ratio)': (results.decide.p99 / results.murmur.p99).toFixed(2),
      'select + durable pin / select, phase 2 (p99 ratio)': (results.selectWithPin.p99 / results.selectBesidePin.p99).toFixed(1),
      'garbage collections, phase 1 / all (total pause)': `${phaseOneGarbageCollections} (${phaseOneGarbageCollectionMilliseconds.toFixed(1)} ms in ${phaseOneSeconds.toFixed(1)} s) / ${garbageCollections} (${garbageCollectionMilliseconds.toFixed(1)} ms in ${seconds.toFixed(1)} s)`,
      'new-provider share of measured decide/select calls': `${((newShare / Math.max(1, allShare)) * 100).toFixed(2)} %`,
      'peak RSS': `${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
      'load average at the start (1 min) / at the end (1 / 5 / 15 min)': `${loadBefore.toFixed(2)} / ${load}`,
    },
    notes: [
      'Each call is one sample, so a GC pause or a descheduling inflates only the calls it lands in: they show in p99.9, max and "calls over 10 µs", not in p99 unless they hit more than 1 % of the calls. The p99 over means of 100 calls is given as a second view (a pause then weighs on 100 calls).',
      'Every figure includes the timer pair (performance.now() twice), listed as "empty timer pair": nothing is subtracted.',
      'The decision allocates only its answer: the hasher encodes into a reused buffer with exact-length views made once, reasons are made once per percentage, fail-safe and phase decisions once per configuration. decide() adds the in-process pin lookup, the decision tally (a plain per-provider/cohort/kind/epoch counter that the `paymigrate.routing.decisions` OpenTelemetry observable counter reads at collection time, instead of a counter.add with an attributes object per call), the statistics row (cached per interned labels: one weak-map lookup and a clock read) and the pin itself: one slot of a ring of the last 100,000 decisions (grown to that size during the warm-up, fixed from then on) with an open-addressing index by payment id (a ramp decision is kept as its tally, reason and bucket; the merchant-reference index catches up when an outcome reads it). Nothing but the answer is allocated.',
      'select() writes nothing: the Transaction State Manager journals the payment with its pinned provider together with the intent (compare-and-set on absence) before any provider call, and retries, 3-D Secure returns and follow-ups read that record and never ask the router again. The durable pin write (an in-memory journal here; a disk or network round trip with SQLite or PostgreSQL) is measured apart, alone and after select().',
      'The baseline murmur3 is the murmurhash package called with a string (it allocates a TextEncoder per call); the rollout hasher hashes the same bytes without allocating.',
      'The machine is shared (2 cores, other engineers\' runs in parallel): compare the figures of one run side by side, and see the load average figure.',
    ],
  };
};

export default benchmark;
