import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { defaultMigrationId, migrationCollection, type MigrationState, parseMigrationRecord } from '../cutover/migration-state.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { ControlPlaneBroadcast } from './control-plane-broadcast.js';
import { parseRoutingControlRecord, routingControlCollection, type RoutingControlState } from './routing-control-state.js';
import { clockSchema, journalSchema, loggerSchema, millisecondsSchema } from './routing-option-schemas.js';

/** What a node knows about routing after one successful read of the journal. */
export interface RoutingSnapshot {
  /** The migration (phase, epoch, ramp percentage); `undefined` before it starts. */
  readonly migration: MigrationState | undefined;
  /** The kill switch record; `undefined` when the switch was never changed. */
  readonly control: RoutingControlState | undefined;
  /** When the read started (its conservative age), epoch milliseconds of the node's clock. */
  readonly readAt: number;
  /** Order in which reads started: the snapshot only ever moves to a later read. */
  readonly sequence: number;
}

/** The node's snapshot as of now, with its age. */
export interface RoutingView {
  /** The latest snapshot; `undefined` when no read has succeeded yet. */
  readonly snapshot: RoutingSnapshot | undefined;
  /** Milliseconds since the snapshot's read started; `undefined` without a snapshot. */
  readonly ageMs: number | undefined;
  /** True without a snapshot, or when it is `maxConfigAgeMs` old or older: route to the old provider. */
  readonly stale: boolean;
}

/** Options of `createRoutingNode`. Validated once, at construction. */
export interface RoutingNodeOptions {
  /** Where the migration state (`migration`) and the kill switch (`routing-control`) live. */
  readonly journal: JournalV1;
  /** The signal to re-read at once; without it the node learns of changes by polling only. */
  readonly broadcast?: ControlPlaneBroadcast | undefined;
  /** The migration to follow. @default 'default' */
  readonly migrationId?: string | undefined;
  /** Measures the configuration's age and paces polling. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /**
   * How often the node re-reads the journal without a signal (the fallback when a broadcast is
   * lost), milliseconds. Must be below `maxConfigAgeMs`.
   * @default 1000
   */
  readonly pollIntervalMs?: number | undefined;
  /**
   * A configuration this old (or older) is not trusted: new payments go to the old provider with
   * reason `stale routing config` until a read succeeds, milliseconds.
   * @default 5000
   */
  readonly maxConfigAgeMs?: number | undefined;
  /**
   * How long one read of the journal may take before it counts as failed, milliseconds: a hung read
   * never blocks later refreshes (its late answer is still applied when nothing newer arrived).
   * It is also the longest a first `select` waits for a configuration before failing safe.
   * @default 250
   */
  readonly readTimeoutMs?: number | undefined;
  /** This node's name in logs. @default `routing-node-<random>` */
  readonly nodeId?: string | undefined;
  /** Receives read failures. @default createLogger({ name: 'paymigrate.routing.node' }) */
  readonly logger?: Logger | undefined;
}

/** A listener told when a read brings a different configuration (another epoch or kill switch revision). */
export type RoutingChangeListener = (snapshot: RoutingSnapshot, previous: RoutingSnapshot | undefined) => void;

/**
 * One process's cached view of the fleet-wide routing configuration. It re-reads the journal when
 * the control plane signals a change (so a change applies within one journal read, well under a
 * second), polls as a fallback, and reports its configuration stale when no read has succeeded
 * for `maxConfigAgeMs` (the router then fails safe to the old provider).
 */
export interface RoutingNode {
  /** This node's name. */
  readonly nodeId: string;
  /** The migration it follows. */
  readonly migrationId: string;
  /** The journal it reads (the router writes routing assignments there too). */
  readonly journal: JournalV1;
  /**
   * The clock the node ages its snapshot on, when it tells it: a caller on the same clock may read
   * it once and pass the time to `freshSnapshot` (the router shares that read with its
   * statistics). Optional: a node without it is asked without a time.
   */
  readonly clock?: ClockV1 | undefined;
  /**
   * Subscribes to the broadcast, reads once and starts polling. Idempotent; never fails: a failed
   * read leaves the node stale (routing fails safe) until a poll succeeds, and a failed subscription
   * is retried at every poll (changes arrive by polling meanwhile).
   */
  start(): Promise<void>;
  /** Stops polling and unsubscribes; waits for the poll loop to end. Idempotent. */
  stop(): Promise<void>;
  /**
   * Reads the journal now: a read that starts after this call (a read already running is followed
   * by another), so a change written before the call is seen.
   * @throws the journal's error, MigrationStateInvalidError, RoutingRecordInvalidError, or an Error
   *   after `readTimeoutMs` (the snapshot is kept).
   */
  refresh(): Promise<RoutingSnapshot>;
  /** The snapshot and its age now. Never reads. */
  view(): RoutingView;
  /**
   * The snapshot when it is younger than `maxConfigAgeMs`, else `undefined` (route to the old
   * provider). `view()` without the view object: the router's hot path. Never reads.
   * @param now The time on the node's `clock`, just read by the caller (it saves a second read of
   *   the clock); a time from another clock would misjudge the age. @default the clock, read now
   */
  freshSnapshot(now?: number): RoutingSnapshot | undefined;
  /** `view()`, after one read (at most `readTimeoutMs`) when there is no snapshot yet. Never throws. */
  ensureView(): Promise<RoutingView>;
  /** Calls `listener` after every read that changed the epoch or kill switch revision; returns a function removing it. */
  onChange(listener: RoutingChangeListener): () => void;
}

const optionsSchema = z
  .object({
    journal: journalSchema,
    broadcast: z
      .custom<ControlPlaneBroadcast>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'subscribe') === 'function', {
        message: 'must have subscribe(listener)',
      })
      .optional(),
    migrationId: z.string().min(1).default(defaultMigrationId),
    clock: clockSchema.optional(),
    pollIntervalMs: millisecondsSchema.default(1000),
    maxConfigAgeMs: millisecondsSchema.default(5000),
    readTimeoutMs: millisecondsSchema.default(250),
    nodeId: z.string().min(1).optional(),
    logger: loggerSchema.optional(),
  })
  .superRefine((options, context) => {
    if (options.pollIntervalMs >= options.maxConfigAgeMs) {
      context.addIssue({
        code: 'custom',
        path: ['pollIntervalMs'],
        message: `must be below maxConfigAgeMs (${options.maxConfigAgeMs}), or a node that lost its broadcast would go stale between polls`,
      });
    }
  });

/** The identity of a configuration: a change of any part is a change listeners hear of. */
function configurationIdentity(snapshot: RoutingSnapshot | undefined): string {
  if (snapshot === undefined) return '';
  return `${snapshot.migration?.createdAt ?? 0}:${snapshot.migration?.epoch ?? 0}:${snapshot.control?.revision ?? 0}`;
}

/** The migration id a control-plane message names, when it is JSON with one. */
function migrationIdOf(message: string): string | undefined {
  try {
    const value: unknown = JSON.parse(message);
    const migrationId = typeof value === 'object' && value !== null ? Reflect.get(value, 'migrationId') : undefined;
    return typeof migrationId === 'string' ? migrationId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates a routing node. Call `start()` before routing with it.
 *
 * @throws ConfigurationError when an option is missing or invalid.
 * @example
 * const node = createRoutingNode({ journal, broadcast, clock });
 * await node.start();
 * const router = createTrafficRouter({ node, fromProvider: 'stripe' });
 */
export function createRoutingNode(options: RoutingNodeOptions): RoutingNode {
  const parsed = parseOptions(optionsSchema, options, { component: 'routingNode' });
  const { journal, migrationId, pollIntervalMs, maxConfigAgeMs, readTimeoutMs } = parsed;
  const broadcast = options.broadcast;
  const clock = parsed.clock ?? systemClock;
  const nodeId = parsed.nodeId ?? `routing-node-${randomUUID()}`;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.routing.node' });
  const listeners = new Set<RoutingChangeListener>();

  let snapshot: RoutingSnapshot | undefined;
  let readsStarted = 0;
  let running: Promise<RoutingSnapshot> | undefined;
  let queued: Promise<RoutingSnapshot> | undefined;
  let started = false;
  let stopping: AbortController | undefined;
  let pollLoop: Promise<void> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;

  const read = async (): Promise<RoutingSnapshot> => {
    readsStarted += 1;
    const sequence = readsStarted;
    const readAt = clock.now();
    const [migrationRecord, controlRecord] = await Promise.all([journal.get(migrationCollection, migrationId), journal.get(routingControlCollection, migrationId)]);
    const result: RoutingSnapshot = {
      migration: migrationRecord === undefined ? undefined : parseMigrationRecord(migrationRecord).state,
      control: controlRecord === undefined ? undefined : parseRoutingControlRecord(controlRecord).state,
      readAt,
      sequence,
    };
    if (snapshot === undefined || sequence > snapshot.sequence) {
      const previous = snapshot;
      snapshot = result;
      if (configurationIdentity(previous) !== configurationIdentity(result)) {
        for (const listener of [...listeners]) {
          try {
            listener(result, previous);
          } catch (error) {
            logger.error({ nodeId, error: error instanceof Error ? error.message : String(error) }, 'routing change listener failed');
          }
        }
      }
    }
    return result;
  };

  /** `read()`, failing after `readTimeoutMs` (the read itself goes on and may still apply its answer). */
  const readWithinTimeout = async (): Promise<RoutingSnapshot> => {
    const controller = new AbortController();
    const timeout = clock.sleep(readTimeoutMs, controller.signal).then(
      () => Promise.reject(new Error(`routing config read timed out after ${readTimeoutMs} ms`)),
      () => undefined,
    );
    try {
      return (await Promise.race([read(), timeout])) as RoutingSnapshot;
    } finally {
      controller.abort();
    }
  };

  const refresh = (): Promise<RoutingSnapshot> => {
    if (running === undefined) {
      running = readWithinTimeout().finally(() => {
        running = undefined;
      });
      return running;
    }
    // A read is already under way, started before this call: it may miss the change; read once more after it.
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return refresh();
      });
    return queued;
  };

  const refreshLogged = async (why: string): Promise<void> => {
    try {
      await refresh();
    } catch (error) {
      logger.error({ nodeId, migrationId, why, error: error instanceof Error ? error.message : String(error) }, 'routing config read failed; keeping the last good config');
    }
  };

  const view = (): RoutingView => {
    if (snapshot === undefined) return { snapshot: undefined, ageMs: undefined, stale: true };
    const ageMs = clock.now() - snapshot.readAt;
    return { snapshot, ageMs, stale: ageMs >= maxConfigAgeMs };
  };

  const freshSnapshot = (now?: number): RoutingSnapshot | undefined => (snapshot !== undefined && (now ?? clock.now()) - snapshot.readAt < maxConfigAgeMs ? snapshot : undefined);

  const ensureView = async (): Promise<RoutingView> => {
    if (snapshot !== undefined) return view();
    await refresh().catch(() => undefined);
    return view();
  };

  /** Subscribes to the control plane unless subscribed; a failure is logged and retried at the next poll. */
  const subscribe = async (): Promise<void> => {
    if (broadcast === undefined || unsubscribe !== undefined) return;
    try {
      unsubscribe = await broadcast.subscribe((message) => {
        if (migrationIdOf(message) === migrationId) void refreshLogged('broadcast');
      });
    } catch (error) {
      logger.error({ nodeId, migrationId, error: error instanceof Error ? error.message : String(error) }, 'control plane subscription failed; relying on polling until it succeeds');
    }
  };

  const poll = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      try {
        await clock.sleep(pollIntervalMs, signal);
      } catch {
        return;
      }
      await subscribe();
      await refreshLogged('poll');
    }
  };

  const start = async (): Promise<void> => {
    if (started) return;
    started = true;
    await subscribe();
    await refreshLogged('start');
    stopping = new AbortController();
    pollLoop = poll(stopping.signal);
  };

  const stop = async (): Promise<void> => {
    if (!started) return;
    started = false;
    stopping?.abort();
    await pollLoop;
    await unsubscribe?.();
    unsubscribe = undefined;
  };

  const onChange = (listener: RoutingChangeListener): (() => void) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  return Object.freeze({ nodeId, migrationId, journal, clock, start, stop, refresh, view, freshSnapshot, ensureView, onChange });
}
