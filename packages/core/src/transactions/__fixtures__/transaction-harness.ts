import { Writable } from 'node:stream';
import { type Attributes, createNoopMeter, type Meter } from '@opentelemetry/api';
import { InMemoryCommercePlatform, InMemoryJournal, InMemoryPaymentGateway, ManualClock } from '@paymigrate/testkit';
import { IntentRepository } from '../../journal/intent-repository.js';
import { PaymentRepository } from '../../journal/payment-repository.js';
import { Money } from '../../money/money.js';
import { createLogger, type Logger } from '../../observability/logger.js';
import type { JournalV1, JournalWriteBatch, JournalWriteResult } from '../../ports/journal/v1/journal.js';
import type { PaymentGatewayV1 } from '../../ports/payment-gateway/v1/payment-gateway.js';
import type { ProviderSelector } from '../provider-selector.js';
import type { TransactionStateManagerOptions } from '../transaction-options.js';
import { createTransactionStateManager } from '../transaction-state-manager.js';
import type { TransactionStateManager } from '../transaction-types.js';

/** One measurement a recording meter saw. */
export interface MetricRecord {
  readonly name: string;
  readonly value: number;
  readonly attributes: Attributes | undefined;
}

/** An OpenTelemetry meter that keeps every counter add and histogram record. */
export function recordingMeter(): { readonly meter: Meter; readonly records: MetricRecord[] } {
  const records: MetricRecord[] = [];
  const noop = createNoopMeter();
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string) => ({ add: (value: number, attributes?: Attributes) => records.push({ name, value, attributes }) }),
    createHistogram: (name: string) => ({ record: (value: number, attributes?: Attributes) => records.push({ name, value, attributes }) }),
  });
  return { meter, records };
}

/** A pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { readonly logger: Logger; readonly lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ destination, level: 'debug' }), lines };
}

/** A selector the test can switch (a cutover, a rollback). */
export class SwitchableSelector implements ProviderSelector {
  provider: string;
  calls = 0;

  constructor(provider: string) {
    this.provider = provider;
  }

  async select(): Promise<{ provider: string; reason: string }> {
    this.calls += 1;
    return { provider: this.provider, reason: `switch:${this.provider}` };
  }
}

/** What a write hook may do: let it through, or throw (a simulated crash). */
export type WriteHook = (batch: JournalWriteBatch, journal: JournalV1) => void | Promise<void>;

/**
 * A journal that delegates to another and runs hooks around `write`: `beforeWrite` can throw to
 * simulate a crash before the write commits, `afterWrite` to simulate one after it committed.
 */
export class HookedJournal implements JournalV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'hooked';
  beforeWrite: WriteHook | undefined;
  afterWrite: WriteHook | undefined;
  readonly #inner: JournalV1;

  constructor(inner: JournalV1) {
    this.#inner = inner;
  }

  open(): Promise<void> {
    return this.#inner.open();
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
  schemaVersion(): Promise<number> {
    return this.#inner.schemaVersion();
  }
  get: JournalV1['get'] = (collection, key) => this.#inner.get(collection, key);
  getMany: JournalV1['getMany'] = (collection, keys) => this.#inner.getMany(collection, keys);
  list: JournalV1['list'] = (collection, options) => this.#inner.list(collection, options);
  count: JournalV1['count'] = (collection, options) => this.#inner.count(collection, options);
  claim: JournalV1['claim'] = (options) => this.#inner.claim(options);
  claimOutbox: JournalV1['claimOutbox'] = (options) => this.#inner.claimOutbox(options);
  acknowledgeOutbox: JournalV1['acknowledgeOutbox'] = (input) => this.#inner.acknowledgeOutbox(input);
  releaseOutbox: JournalV1['releaseOutbox'] = (input) => this.#inner.releaseOutbox(input);
  pendingOutboxCount: JournalV1['pendingOutboxCount'] = (options) => this.#inner.pendingOutboxCount(options);

  async write(batch: JournalWriteBatch): Promise<JournalWriteResult> {
    await this.beforeWrite?.(batch, this.#inner);
    const result = await this.#inner.write(batch);
    await this.afterWrite?.(batch, this.#inner);
    return result;
  }
}

/** The error a simulated crash throws. */
export class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`simulated crash ${where}`);
    this.name = 'SimulatedCrash';
  }
}

/** True when a batch writes an intent with the given status. */
export function writesIntentStatus(batch: JournalWriteBatch, status: string): boolean {
  return (batch.puts ?? []).some((put) => put.collection === 'payment-intents' && put.index === status);
}

/** Everything a transaction test needs, wired together. */
export interface Harness {
  readonly clock: ManualClock;
  readonly memory: InMemoryJournal;
  readonly journal: HookedJournal;
  readonly old: InMemoryPaymentGateway;
  readonly next: InMemoryPaymentGateway;
  readonly selector: SwitchableSelector;
  readonly platform: InMemoryCommercePlatform;
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  readonly meter: Meter;
  readonly metrics: MetricRecord[];
  readonly payments: PaymentRepository;
  readonly intents: IntentRepository;
  /** A state manager over the harness (fresh instance per call: a "restart"). */
  create(overrides?: Partial<TransactionStateManagerOptions>): TransactionStateManager;
  /** Resolves `promise` while moving the manual clock forward. */
  settle<Value>(promise: Promise<Value>): Promise<Value>;
}

/** The usual amount. */
export const usd = (minorUnits: number): Money => Money.of(minorUnits, 'USD');

/**
 * Two in-memory providers (`stripe` = the old one, `adyen` = the new one), a manual clock, an
 * in-memory journal behind a hookable wrapper, a capturing logger and a recording meter. Back-off
 * and consistency delays are zero unless overridden, so most tests need no clock movement.
 */
export async function createHarness(options: { readonly gateways?: readonly PaymentGatewayV1[] } = {}): Promise<Harness> {
  const clock = new ManualClock();
  const memory = new InMemoryJournal({ clock });
  await memory.open();
  const journal = new HookedJournal(memory);
  const old = new InMemoryPaymentGateway({ provider: 'stripe', clock });
  const next = new InMemoryPaymentGateway({ provider: 'adyen', clock });
  const selector = new SwitchableSelector('stripe');
  const platform = new InMemoryCommercePlatform({ clock });
  const { logger, lines } = capturingLogger();
  const { meter, records } = recordingMeter();
  const settle = async <Value>(promise: Promise<Value>): Promise<Value> => {
    let done = false;
    const observed = promise.then(
      (value) => {
        done = true;
        return value;
      },
      (error: unknown) => {
        done = true;
        throw error;
      },
    );
    for (let step = 0; !done && step < 20_000; step += 1) {
      await clock.advance(25);
    }
    return observed;
  };
  return {
    clock,
    memory,
    journal,
    old,
    next,
    selector,
    platform,
    logger,
    lines,
    meter,
    metrics: records,
    payments: new PaymentRepository(memory),
    intents: new IntentRepository(memory),
    create: (overrides = {}) =>
      createTransactionStateManager({
        journal,
        gateways: options.gateways ?? [old, next],
        selectProvider: selector,
        clock,
        logger,
        meter,
        retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
        unknownOutcome: { resolveAfterMs: 0, lookupDelayMs: 0 },
        recovery: { graceMs: 0, leaseMs: 60_000, concurrency: 2 },
        ...overrides,
      }),
    settle,
  };
}
