// Decision latency of the traffic router in process, each call timed on the wall clock on its own:
// the decision (preview: freshness, kill switch, capabilities, cohorts, bucket, circuit breakers),
// decide() (the decision + statistics + the in-process pin select() answers again), select() (the
// async call the TSM makes), side by side with the harness floor (an empty function, an await of a
// settled promise) and the rollout hasher in the same interleaved rounds; apart from them a bare
// MurmurHash3 call (it allocates ~300 bytes per call, which would land in the router's samples),
// the durable pin write and select + durable pin.
import {
  createKillSwitch,
  createMigrationOrchestrator,
  createRolloutHasher,
  createRoutingNode,
  createTrafficRouter,
  InMemoryControlPlaneBroadcast,
  Money,
  type RoutingDecision,
  type RoutingRequest,
  routingAssignmentPut,
  systemClock,
  withRoutingAnnouncements,
} from '@paymigrate/core';
import { InMemoryJournal } from '@paymigrate/testkit';
import { loadavg } from 'node:os';
import { constants as performanceConstants, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import murmurhash from 'murmurhash';
import type { Benchmark } from './support/benchmark.js';

/** Calls per measure and round: every measure runs one batch per round, interleaved, so load spikes hit them alike. */
const batchSize = 1_000;

/** Calls per batch mean in the batch view (GC and descheduling spread over 100 calls). */
const meanGroup = 100;

/** What was measured of one measure: one wall-clock sample per call, microseconds, and when it ended. */
interface Samples {
  readonly label: string;
  readonly values: Float64Array;
  /** performance.now() at the end of each sample, milliseconds (to find the samples a GC pause landed in). */
  readonly ends: Float64Array;
  count: number;
}

/** A garbage collection pause of the main thread, performance.now() milliseconds. */
interface Pause {
  readonly start: number;
  readonly end: number;
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
  /** Share of calls a GC pause overlapped. */
  readonly gcHit: number;
  /** p99 of the calls no GC pause overlapped (an explanation only: the targets use `p99`). */
  readonly p99WithoutGc: number;
}

function samplesOf(label: string, size: number): Samples {
  return { label, values: new Float64Array(size), ends: new Float64Array(size), count: 0 };
}

/** Marks the samples a pause overlapped (pauses sorted by start); answers the marks. */
function gcHits(samples: Samples, pauses: readonly Pause[]): Uint8Array {
  const hits = new Uint8Array(samples.count);
  let first = 0;
  for (let index = 0; index < samples.count; index += 1) {
    const end = samples.ends[index] as number;
    const start = end - (samples.values[index] as number) / 1000;
    while (first < pauses.length && (pauses[first] as Pause).end < start) first += 1;
    for (let pause = first; pause < pauses.length && (pauses[pause] as Pause).start <= end; pause += 1) {
      if ((pauses[pause] as Pause).end >= start) {
        hits[index] = 1;
        break;
      }
    }
  }
  return hits;
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}

function distributionOf(samples: Samples, pauses: readonly Pause[]): Distribution {
  const values = samples.values.subarray(0, samples.count);
  const hits = gcHits(samples, pauses);
  const untouched = new Float64Array(values.length);
  let untouchedCount = 0;
  let hitCount = 0;
  for (let index = 0; index < values.length; index += 1) {
    if (hits[index] === 1) hitCount += 1;
    else untouched[untouchedCount++] = values[index] as number;
  }
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
    gcHit: hitCount / values.length,
    p99WithoutGc: rank(untouched.subarray(0, untouchedCount).sort(), 0.99),
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
  const empty = samplesOf('empty function (harness floor)', size);
  const emptyAsync = samplesOf('await of a settled promise (async harness floor)', size);
  const bucket = samplesOf('hasher.bucket', size);
  const preview = samplesOf('preview (the decision)', size);
  const decide = samplesOf('decide', size);
  const select = samplesOf('select', size);
  const murmur = samplesOf('murmur3', size);
  const selectBesidePin = samplesOf('select (journal phase)', journalSize);
  const pinWrite = samplesOf('durable pin write', journalSize);
  const selectWithPin = samplesOf('select + durable pin', journalSize);

  let sink = 0;
  let notBucket = 0;
  let pinnedAnswers = 0;
  // One clock read per sample (each read allocates a 16-byte heap number: two per sample did twice
  // the harness's own GC pressure): a sample runs from the end of the previous one to the end of
  // its call, so it holds the call, one timer read and the loop step (the empty function shows it).
  const measureSync = (samples: Samples, requests: readonly RoutingRequest[], call: (request: RoutingRequest) => void): void => {
    const { values, ends } = samples;
    let at = samples.count;
    let previous = performance.now();
    for (let index = 0; index < requests.length; index += 1) {
      call(requests[index] as RoutingRequest);
      const now = performance.now();
      values[at] = (now - previous) * 1000;
      ends[at] = now;
      previous = now;
      at += 1;
    }
    samples.count = at;
  };
  // One await per sample, as the TSM awaits select() once; the answer is checked after the await
  // (an async wrapper per call would add its own promise and a second await to every sample).
  const measureAsync = async <Value>(samples: Samples, requests: readonly RoutingRequest[], call: (request: RoutingRequest) => Promise<Value>, check: (value: Value) => void): Promise<void> => {
    const { values, ends } = samples;
    let previous = performance.now();
    for (let index = 0; index < requests.length; index += 1) {
      check(await call(requests[index] as RoutingRequest));
      const now = performance.now();
      values[samples.count] = (now - previous) * 1000;
      ends[samples.count] = now;
      previous = now;
      samples.count += 1;
    }
  };

  const emptyCall = (): void => undefined;
  const settled = Promise.resolve();
  const emptyAsyncCall = (): Promise<void> => settled;
  const bucketCall = (each: RoutingRequest): void => {
    sink ^= hasher.bucket(each.customerId as string);
  };
  const murmurCall = (each: RoutingRequest): void => {
    sink ^= murmurhash.v3(`default:provider:${each.customerId as string}`, 0);
  };
  const decideCall = (each: RoutingRequest): void => {
    const decision = router.decide(each);
    if (decision.kind !== 'bucket') notBucket += 1;
    if (decision.pinned) pinnedAnswers += 1;
  };
  const previewCall = (each: RoutingRequest): void => {
    if (router.preview(each).kind !== 'bucket') notBucket += 1;
  };
  const selectCall = (each: RoutingRequest): Promise<RoutingDecision> => router.select(each);
  const checkSelected = (decision: RoutingDecision): void => {
    if (decision.kind !== 'bucket') notBucket += 1;
    if (decision.pinned) pinnedAnswers += 1;
  };
  const ignore = (): void => undefined;
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
    measureSync(empty, requests, emptyCall);
    await measureAsync(emptyAsync, requests, emptyAsyncCall, ignore);
    measureSync(murmur, requests, murmurCall);
    measureSync(bucket, requests, bucketCall);
    measureSync(preview, requests, previewCall);
    measureSync(decide, batchOf('wd', round), decideCall);
    await measureAsync(select, batchOf('ws', round), selectCall, checkSelected);
    for (const samples of [empty, emptyAsync, murmur, bucket, preview, decide, select]) samples.count = 0;
    await yieldToEventLoop();
  }
  notBucket = 0;
  pinnedAnswers = 0;

  // Every main-thread GC pause, by kind: scavenges (minor) and the rest (mark-compact, incremental marking finalization, weak callbacks).
  const pauses: Pause[] = [];
  let minorPauses = 0;
  let minorMilliseconds = 0;
  let otherMilliseconds = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
      if ((Reflect.get(entry, 'detail') as { kind?: number } | undefined)?.kind === performanceConstants.NODE_PERFORMANCE_GC_MINOR) {
        minorPauses += 1;
        minorMilliseconds += entry.duration;
      } else {
        otherMilliseconds += entry.duration;
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // One full collection before the measured phase, so it starts on a clean heap (the warm-up's
  // garbage is not collected inside the measured calls). Nothing is collected by hand afterwards.
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  await yieldToEventLoop();
  const pausesBeforePhaseOne = pauses.length;

  log(`phase 1: ${rounds.toLocaleString('en-US')} interleaved rounds of ${batchSize} calls per measure, each call timed alone`);
  const loadBefore = loadavg()[0] as number;
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) {
    // The requests of a round are made before any call is timed: new objects and ids, as the TSM makes them.
    const customers = batchOf('c', round);
    const decided = batchOf('d', round);
    const selected = batchOf('s', round);
    measureSync(empty, customers, emptyCall);
    await measureAsync(emptyAsync, customers, emptyAsyncCall, ignore);
    measureSync(bucket, customers, bucketCall);
    measureSync(preview, customers, previewCall);
    measureSync(decide, decided, decideCall);
    await measureAsync(select, selected, selectCall, checkSelected);
    // Between rounds the event loop runs, as in a server: the routing node's 1 s poll keeps its
    // configuration fresh (a loop that never yields would starve the timer and route stale).
    await yieldToEventLoop();
  }
  const phaseOneSeconds = (performance.now() - started) / 1000;
  await yieldToEventLoop();
  const phaseOnePauses = pauses.length - pausesBeforePhaseOne;
  const phaseOneMinor = { count: minorPauses, milliseconds: minorMilliseconds };
  const phaseOneOtherMilliseconds = otherMilliseconds;
  const phaseOneMilliseconds = minorMilliseconds + otherMilliseconds;
  // Bytes allocated per call: the heap growth over batches of calls (the median batch: a batch a
  // scavenge landed in shrinks the heap and is an outlier), the empty function's subtracted.
  log('allocation per call: heap growth over 101 batches of each measure');
  const allocationOf = async (prefix: string, call: (request: RoutingRequest) => void | Promise<void>): Promise<number> => {
    const growths = new Float64Array(101);
    for (let index = 0; index < growths.length; index += 1) {
      const requests = batchOf(`${prefix}${index}-`, index);
      const before = process.memoryUsage().heapUsed;
      for (const each of requests) {
        const result = call(each);
        if (result !== undefined) await result;
      }
      growths[index] = (process.memoryUsage().heapUsed - before) / batchSize;
      await yieldToEventLoop();
    }
    return rank(growths.sort(), 0.5);
  };
  const emptyBytes = await allocationOf('ae', emptyCall);
  const bytesPerCall = {
    preview: (await allocationOf('ap', previewCall)) - emptyBytes,
    decide: (await allocationOf('ad', decideCall)) - emptyBytes,
    select: (await allocationOf('as', (each) => {
      const decision = router.select(each);
      return decision.then(() => undefined);
    })) - emptyBytes,
  };
  const selectFloorBytes = (await allocationOf('af', () => settled.then(() => undefined))) - emptyBytes;
  // Apart: the string path of the murmurhash package allocates a TextEncoder, a buffer and a string per call (~300 bytes).
  log(`murmur3 baseline: ${rounds.toLocaleString('en-US')} rounds of ${batchSize} calls, apart (it allocates ~300 bytes per call)`);
  for (let round = 0; round < rounds; round += 1) {
    measureSync(murmur, batchOf('m', round), murmurCall);
    if (round % 10 === 9) await yieldToEventLoop();
  }
  // Phase 2, apart: the in-memory journal keeps every record it is given, so its heap growth would
  // slow every garbage collection of phase 1 (a SQL journal keeps them out of the process).
  log(`phase 2: ${journalRounds} interleaved rounds of select, the durable pin write alone, and select + durable pin`);
  for (let round = 0; round < 20; round += 1) {
    for (const each of batchOf(`wp${round}-`, round)) await pinCall(each);
    for (const each of batchOf(`wj${round}-`, round)) await selectWithPinCall(each);
    await yieldToEventLoop();
  }
  for (let round = 0; round < journalRounds; round += 1) {
    await measureAsync(selectBesidePin, batchOf('t', round), selectCall, checkSelected);
    await measureAsync(pinWrite, batchOf('p', round), pinCall, ignore);
    await measureAsync(selectWithPin, batchOf('j', round), selectWithPinCall, ignore);
    await yieldToEventLoop();
  }
  const seconds = (performance.now() - started) / 1000;
  await yieldToEventLoop();
  gcObserver.disconnect();
  await node.stop();
  if (notBucket > 0) throw new Error(`${notBucket} measured decisions were not ramp decisions (stale or fail-safe): the measurement is invalid`);
  if (pinnedAnswers > 0) throw new Error(`${pinnedAnswers} measured decisions were pinned answers (a payment id asked twice): the measurement is invalid`);

  pauses.sort((left, right) => left.start - right.start);
  const results = {
    empty: distributionOf(empty, pauses),
    emptyAsync: distributionOf(emptyAsync, pauses),
    murmur: distributionOf(murmur, pauses),
    bucket: distributionOf(bucket, pauses),
    preview: distributionOf(preview, pauses),
    decide: distributionOf(decide, pauses),
    select: distributionOf(select, pauses),
    selectBesidePin: distributionOf(selectBesidePin, pauses),
    pinWrite: distributionOf(pinWrite, pauses),
    selectWithPin: distributionOf(selectWithPin, pauses),
  };
  const arms = router.statistics.experimentArms(4);
  const newShare = arms.get('adyen')?.assignments ?? 0;
  const allShare = newShare + (arms.get('stripe')?.assignments ?? 0);
  const load = loadavg().map((value) => value.toFixed(2)).join(' / ');
  const gcShare = phaseOneMilliseconds / 10 / phaseOneSeconds;
  log(`p50 / p99 / p99.9: decision ${row(results.preview)}, decide ${row(results.decide)}, select ${row(results.select)}; empty function ${row(results.empty)}, settled await ${row(results.emptyAsync)} (sink ${sink})`);
  log(`p99 without the calls a GC pause overlapped: decision ${micro(results.preview.p99WithoutGc)}, decide ${micro(results.decide.p99WithoutGc)}, select ${micro(results.select.p99WithoutGc)}, empty ${micro(results.empty.p99WithoutGc)}`);
  log(`p50 / p99 / p99.9 (apart): murmur3 ${row(results.murmur)}; phase 2: select ${row(results.selectBesidePin)}, durable pin write ${row(results.pinWrite)}, select + durable pin ${row(results.selectWithPin)}`);
  log(`bytes allocated per call: decision ${bytesPerCall.preview.toFixed(1)}, decide ${bytesPerCall.decide.toFixed(1)}, select ${bytesPerCall.select.toFixed(1)} (awaited; an await of a settled promise: ${selectFloorBytes.toFixed(1)})`);
  log(`phase 1 (${phaseOneSeconds.toFixed(1)} s): ${phaseOnePauses} GC pauses, ${phaseOneMilliseconds.toFixed(1)} ms (${gcShare.toFixed(1)} % of the time; scavenges ${phaseOneMinor.count}, ${phaseOneMinor.milliseconds.toFixed(1)} ms; others ${phaseOneOtherMilliseconds.toFixed(1)} ms); load ${load}`);
  const oursMicroseconds = 2;
  const userTargetMs = 10;
  const share = (value: number): string => `${(value * 100).toFixed(3)} %`;
  const allMilliseconds = minorMilliseconds + otherMilliseconds;
  return {
    title: 'Traffic router decision latency (in process)',
    description:
      `A warmed TrafficRouter at a 50 % ramp (sampling circuit breakers on, routing node on an in-memory journal) decides new payments of 250,000 customers. ` +
      `Every call is timed on its own on the wall clock (performance.now(), one read per sample); the measures run interleaved, one batch of ${batchSize} calls each per round: phase 1, ${rounds.toLocaleString('en-US')} rounds ` +
      `of the in-memory measures and the harness floor (an empty function, an await of a settled promise); then a bare MurmurHash3 call apart; phase 2, ${journalRounds} rounds of select, the durable pin write and select + durable pin (apart, as the in-memory journal grows the heap). The decision is \`preview()\`: freshness, kill switch, capabilities, cohorts, bucket and circuit checks, synchronous. ` +
      '`decide()` adds the decision count, the statistics and the in-process pin (bounded: the last 100,000 decisions); `select()` is the async call the TSM makes (no journal write: the TSM journals the pinned provider with its intent). ' +
      'The durable pin write and select + durable pin (what select did before) are measured on their own.',
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
      'measured decisions that were not ramp decisions (stale, fail-safe) / pinned answers': `${notBucket} / ${pinnedAnswers}`,
      'decision (preview) p50 / p99 / p99.9': row(results.preview),
      'decide() p50 / p99 / p99.9': row(results.decide),
      'select() p50 / p99 / p99.9': row(results.select),
      'bytes allocated per call: decision / decide / select (awaited; an await of a settled promise alone)': `${bytesPerCall.preview.toFixed(1)} / ${bytesPerCall.decide.toFixed(1)} / ${bytesPerCall.select.toFixed(1)} (${selectFloorBytes.toFixed(1)})`,
      'harness floor, empty function p50 / p99 / p99.9': row(results.empty),
      'harness floor, await of a settled promise p50 / p99 / p99.9': row(results.emptyAsync),
      'rollout hasher bucket p50 / p99 / p99.9': row(results.bucket),
      'p99: decision / decide / select / empty function / settled await': [results.preview, results.decide, results.select, results.empty, results.emptyAsync].map((each) => micro(each.p99)).join(' / '),
      'calls a GC pause overlapped: decision / decide / select / empty function / settled await': [results.preview, results.decide, results.select, results.empty, results.emptyAsync].map((each) => share(each.gcHit)).join(' / '),
      'p99 without the calls a GC pause overlapped (explanation only): decision / decide / select / empty function / settled await': [results.preview, results.decide, results.select, results.empty, results.emptyAsync]
        .map((each) => micro(each.p99WithoutGc))
        .join(' / '),
      'garbage collection in phase 1: pauses, total, share of the time (scavenges: count, total; other pauses: total)': `${phaseOnePauses}, ${phaseOneMilliseconds.toFixed(1)} ms in ${phaseOneSeconds.toFixed(1)} s, ${gcShare.toFixed(1)} % (${phaseOneMinor.count}, ${phaseOneMinor.milliseconds.toFixed(1)} ms; ${phaseOneOtherMilliseconds.toFixed(1)} ms)`,
      'garbage collection in the whole run: pauses, total': `${pauses.length}, ${allMilliseconds.toFixed(1)} ms in ${seconds.toFixed(1)} s`,
      'phase 2: select() p50 / p99 / p99.9': row(results.selectBesidePin),
      'durable pin write alone p50 / p99 / p99.9': row(results.pinWrite),
      'select() + durable pin p50 / p99 / p99.9': row(results.selectWithPin),
      'baseline murmur3 (string, apart) p50 / p99 / p99.9': row(results.murmur),
      'max: decision / decide / select / empty function / murmur3': [results.preview, results.decide, results.select, results.empty, results.murmur].map((each) => micro(each.max)).join(' / '),
      'p99 over means of 100 calls: decision / decide / select / empty function': [results.preview, results.decide, results.select, results.empty].map((each) => micro(each.groupP99)).join(' / '),
      'calls over 10 µs: decision / decide / select / empty function': [results.preview, results.decide, results.select, results.empty].map((each) => share(each.over10)).join(' / '),
      'mean: decision / decide / select / empty function / settled await': [results.preview, results.decide, results.select, results.empty, results.emptyAsync].map((each) => micro(each.mean)).join(' / '),
      'select + durable pin / select, phase 2 (p99 ratio)': (results.selectWithPin.p99 / results.selectBesidePin.p99).toFixed(1),
      'new-provider share of measured decide/select calls': `${((newShare / Math.max(1, allShare)) * 100).toFixed(2)} %`,
      'peak RSS': `${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
      'load average at the start (1 min) / at the end (1 / 5 / 15 min)': `${loadBefore.toFixed(2)} / ${load}`,
    },
    notes: [
      'Each call is one sample, so a GC pause or a descheduling inflates only the calls it lands in: they show in p99.9, max and "calls over 10 µs", not in p99 unless they hit more than 1 % of the calls. The p99 over means of 100 calls is given as a second view (a pause then weighs on 100 calls).',
      'The targets use the p99 with every pause included. The GC pauses are the main thread\'s, as node:perf_hooks reports them; a call overlapped by one is counted, and the p99 of the other calls is shown beside it only to tell GC from the rest (descheduling on the shared machine, cache misses).',
      'Every figure includes the harness: one performance.now() read per sample and the loop step (each sample runs from the end of the previous call to the end of its own), shown as the empty function; select() also includes one await (the TSM awaits it once; the answer is checked after the await, with no async wrapper per call), shown as the await of a settled promise. Nothing is subtracted. A performance.now() read allocates a 16-byte heap number, so the harness allocates 16 bytes per sample (two reads per sample did 32).',
      'The requests of a round (new objects and ids, as the TSM makes them) are built before the round\'s calls are timed; decide() and select() keep the ids of the last 100,000 decisions, as they do in a server. One full GC runs before phase 1 (the warm-up\'s garbage), none by hand after it.',
      'Bytes allocated per call: the median heap growth over 101 batches of 1,000 calls, less the empty function\'s; select() is awaited through `.then`, which allocates on its own (the settled-promise figure). What decide() allocates is its answer (the decision object, ~90 bytes) and one clock read (Date.now() answers a 16-byte heap number), shared by the freshness check and the statistics window when the node and the statistics use the same clock; select() adds its promise. The hasher writes an ASCII customer id into a reused buffer by hand (TextEncoder only for other ids) and hashes a cached view of it with the kept murmurhash package (its uint32 answer is a heap number for half the hashes). The pin memory evicts without a removal: index entries hold sequence numbers and count as live while among the last N decisions, so overwriting the oldest slot touches no random place of the index. A table of shared, frozen ramp decisions per bucket (with their settled promises) took decide() to 32 bytes per call but made the decision about twice as slow (0.37 -> 0.68 µs p50): 10 MB of objects read at random were cache misses, while a fresh object is a bump-pointer allocation in a cache-hot nursery; it was dropped.',
      'decide() adds the in-process pin lookup, the decision tally (a plain per-provider/cohort/kind/epoch counter that the `paymigrate.routing.decisions` OpenTelemetry observable counter reads at collection time), the statistics row (cached per interned labels: one weak-map lookup and a clock read) and the pin itself: one slot of a ring of the last 100,000 decisions (grown to that size during the warm-up, fixed from then on) with an open-addressing index by payment id (a ramp decision is kept as its tally, reason and bucket; the merchant-reference index catches up when an outcome reads it).',
      'select() writes nothing: the Transaction State Manager journals the payment with its pinned provider together with the intent (compare-and-set on absence) before any provider call, and retries, 3-D Secure returns and follow-ups read that record and never ask the router again. The durable pin write (an in-memory journal here; a disk or network round trip with SQLite or PostgreSQL) is measured apart, alone and after select().',
      'The baseline murmur3 is the murmurhash package called with a string (it allocates a TextEncoder, a buffer and the key, ~300 bytes per call): it runs apart, after phase 1, so its garbage does not land in the router\'s samples.',
      'The machine is shared (2 cores, other engineers\' runs in parallel): compare the figures of one run side by side, and see the load average figure.',
    ],
  };
};

export default benchmark;
