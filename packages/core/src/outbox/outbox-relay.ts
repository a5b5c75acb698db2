import { z } from 'zod';
import { hasFunctions } from '../config/has-functions.js';
import { parseOptions } from '../config/parse-options.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter, type Meter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1, OutboxMessage } from '../ports/journal/v1/journal.js';
import { coalescedAcknowledgements } from './outbox-acknowledgements.js';
import { errorCodeOf, OutboxPayloadInvalidError } from './outbox-errors.js';

/**
 * Delivers one outbox message. Must be idempotent: delivery is at least once, so a message can
 * arrive again after a crash between delivery and acknowledgement (use `message.deduplicationId`
 * as the downstream idempotency key). Throw to have the message retried later.
 */
export type OutboxHandler = (message: OutboxMessage) => Promise<void>;

/** Options of `createOutboxRelay`. */
export interface OutboxRelayOptions {
  /** The journal whose outbox is relayed. */
  readonly journal: JournalV1;
  /** This worker's id: the owner of its claims. Unique per process. */
  readonly owner: string;
  /** One handler per topic; only these topics are claimed. */
  readonly handlers: Readonly<Record<string, OutboxHandler>>;
  /** How long a claim lasts; longer than the slowest handler call. @default 30_000 */
  readonly leaseMs?: number | undefined;
  /** Messages claimed per run. @default 50 */
  readonly batchSize?: number | undefined;
  /** Back-off after a failed delivery: `baseDelayMs * 2^(attempts - 1)`, at most `maxDelayMs`. */
  readonly retry?: { readonly baseDelayMs?: number | undefined; readonly maxDelayMs?: number | undefined } | undefined;
  /** Time source. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Logger. @default createLogger({ name: 'paymigrate.outbox' }) */
  readonly logger?: Logger | undefined;
  /** OpenTelemetry meter. @default defaultMeter() */
  readonly meter?: Meter | undefined;
}

/** What one run of the relay did. */
export interface OutboxRunReport {
  /** Messages claimed. */
  readonly claimed: number;
  /** Messages delivered and acknowledged. */
  readonly delivered: number;
  /** Messages whose delivery failed and that were released for a later attempt. */
  readonly failed: number;
}

/** The outbox relay: moves committed outbox messages to their handlers, at least once. */
export interface OutboxRelay {
  /** Claims one batch, delivers each message to its topic's handler, acknowledges or releases it with back-off. */
  runOnce(): Promise<OutboxRunReport>;
  /**
   * Runs until `signal` aborts: a run, then (unless the batch was full) a pause of `intervalMs`.
   * After a full batch the next run starts once the handlers of the previous one are done, without
   * waiting for their acknowledgements to be durable (a few runs at most; their messages stay
   * leased meanwhile); before a pause every acknowledgement has settled. A
   * failing run (journal unreachable) is logged and retried after the pause; a failed
   * acknowledgement is logged and its messages come back after their lease. Resolves when stopped,
   * after every acknowledgement settled.
   */
  start(options: { readonly intervalMs: number; readonly signal: AbortSignal }): Promise<void>;
}

/** Runs whose acknowledgements may still be settling while the relay claims the next batch. */
const maximumSettlingRuns = 4;

/**
 * `promise`, marked as handled: its outcome is read later (once the other handlers of its run are
 * done), and a rejection before then must not count as an unhandled one.
 */
function awaitedLater<Value>(promise: Promise<Value>): Promise<Value> {
  promise.catch(() => undefined);
  return promise;
}

const functionSchema = z.custom<(...parameters: never[]) => unknown>((value) => typeof value === 'function');

const optionsSchema = z.object({
  journal: z
    .custom<JournalV1>((value) => hasFunctions(value, ['claimOutbox', 'acknowledgeOutbox', 'releaseOutbox']), { message: 'must be a JournalV1' })
    .meta({ fix: 'pass an opened journal adapter (InMemoryJournal, the SQLite or the PostgreSQL journal)' }),
  owner: z.string().min(1).meta({ fix: 'pass a worker id unique to this process, e.g. `relay-${hostname}-${pid}`' }),
  handlers: z
    .record(z.string().min(1), functionSchema)
    .refine((handlers) => Object.keys(handlers).length > 0, { message: 'must name at least one topic' })
    .meta({ fix: "pass { [topic]: async (message) => { ... } }, e.g. { 'platform.payment': platformPaymentHandler(platform) }" }),
  leaseMs: z.number().int().positive().default(30_000),
  batchSize: z.number().int().min(1).max(10_000).default(50),
  retry: z
    .object({ baseDelayMs: z.number().int().positive().default(1_000), maxDelayMs: z.number().int().positive().default(300_000) })
    .default({ baseDelayMs: 1_000, maxDelayMs: 300_000 }),
  clock: z.custom<ClockV1>((value) => hasFunctions(value, ['now', 'sleep'])).optional(),
  logger: z.custom<Logger>((value) => hasFunctions(value, ['info', 'warn', 'error'])).optional(),
  meter: z.custom<Meter>((value) => hasFunctions(value, ['createCounter'])).optional(),
});

/**
 * Creates the outbox relay (see `OutboxRelay`). Messages with the same ordering key are handed out
 * one at a time by the journal, so the handlers of one batch run concurrently without reordering
 * an order's updates. Deliveries that complete together are acknowledged together, in one journal
 * call. A failed delivery is released with exponential back-off and the error's code
 * as `lastError`; it is never dropped.
 *
 * @throws ConfigurationError for invalid options.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const parsed = parseOptions(optionsSchema, options, { component: 'outboxRelay' });
  const { journal, owner, handlers, leaseMs, batchSize, retry } = parsed;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.outbox' });
  const meter = parsed.meter ?? defaultMeter();
  const deliveries = meter.createCounter('paymigrate.outbox.deliveries', { description: 'Outbox deliveries by topic and outcome.' });
  const topics = Object.keys(handlers);

  const acknowledge = coalescedAcknowledgements(journal, owner);
  const backoff = (attempts: number): number => Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempts - 1));

  /**
   * Hands one message to its handler. Resolves once the handler settled, with `settled`: the
   * acknowledgement (or, after a failure, the release) of the message, `true` when it was delivered.
   */
  const deliver = async (message: OutboxMessage): Promise<{ readonly settled: Promise<boolean> }> => {
    const handler = handlers[message.topic] as OutboxHandler;
    try {
      await handler(message);
    } catch (error) {
      const code = errorCodeOf(error);
      const permanent = OutboxPayloadInvalidError.isInstance(error);
      const delay = permanent ? retry.maxDelayMs : backoff(message.attempts);
      const fields = { topic: message.topic, sequence: message.sequence, orderingKey: message.orderingKey, attempts: message.attempts, errorCode: code, retryInMs: delay };
      if (permanent) {
        logger.error(fields, 'Outbox message cannot be delivered: its payload is invalid; it is kept for an operator');
      } else {
        logger.warn(fields, 'Outbox delivery failed; released for a later attempt');
      }
      const released = journal.releaseOutbox({ sequence: message.sequence, owner, availableAt: clock.now() + delay, error: code }).then(() => {
        deliveries.add(1, { topic: message.topic, outcome: 'failed' });
        return false;
      });
      return { settled: awaitedLater(released) };
    }
    const acknowledged = acknowledge(message.sequence).then((done) => {
      if (!done) {
        // Our lease expired and another worker took the message over: it will be delivered again
        // (the handler is idempotent), which is what at-least-once means.
        logger.warn({ topic: message.topic, sequence: message.sequence }, 'Outbox acknowledgement ignored: the lease was taken over');
      }
      deliveries.add(1, { topic: message.topic, outcome: 'delivered' });
      return true;
    });
    return { settled: awaitedLater(acknowledged) };
  };

  /**
   * Claims one batch and runs its handlers. Resolves once every handler settled (so at most
   * `batchSize` handler calls are ever in flight), with `settled`: the run's report once every
   * acknowledgement and release is done.
   */
  const claimAndDeliver = async (): Promise<{ readonly claimed: number; readonly settled: Promise<OutboxRunReport> }> => {
    const messages = await journal.claimOutbox({ owner, leaseMs, limit: batchSize, topics });
    const handled = await Promise.all(messages.map((message) => deliver(message)));
    const settled = Promise.all(handled.map((delivery) => delivery.settled)).then((results) => {
      const delivered = results.filter(Boolean).length;
      return { claimed: messages.length, delivered, failed: messages.length - delivered };
    });
    return { claimed: messages.length, settled };
  };

  const runOnce = async (): Promise<OutboxRunReport> => (await claimAndDeliver()).settled;

  const start = async (startOptions: { readonly intervalMs: number; readonly signal: AbortSignal }): Promise<void> => {
    const { intervalMs, signal } = startOptions;
    // Runs whose handlers are done but whose acknowledgements are not durable yet: the next claim
    // does not wait for them (their messages stay leased to us, so no claim hands them out again).
    const settling = new Set<Promise<void>>();
    const track = (settled: Promise<OutboxRunReport>): void => {
      const tracked: Promise<void> = settled.then(
        () => undefined,
        (error: unknown) => {
          // The messages stay claimed and come back when their lease expires: delivered again, at least once.
          logger.error({ errorCode: errorCodeOf(error) }, 'Outbox acknowledgement failed; the messages are delivered again after their lease');
        },
      );
      settling.add(tracked);
      void tracked.finally(() => settling.delete(tracked));
    };
    try {
      while (!signal.aborted) {
        let claimed = 0;
        try {
          if (settling.size >= maximumSettlingRuns) await Promise.race(settling);
          const run = await claimAndDeliver();
          claimed = run.claimed;
          track(run.settled);
        } catch (error) {
          logger.error({ errorCode: errorCodeOf(error) }, 'Outbox relay run failed; retrying after the interval');
        }
        // A full batch: more are waiting, claim them now. Otherwise the relay has caught up, and it
        // lets the acknowledgements settle before it pauses (no extra claims while it is quiet).
        if (claimed >= batchSize) continue;
        await Promise.all(settling);
        try {
          await clock.sleep(intervalMs, signal);
        } catch {
          return;
        }
      }
    } finally {
      await Promise.all(settling);
    }
  };

  return Object.freeze({ runOnce, start });
}
