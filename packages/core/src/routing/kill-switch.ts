import type { Counter, Meter } from '@opentelemetry/api';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { defaultMigrationId } from '../cutover/migration-state.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import { redactSensitiveText } from '../pci/sensitive-data-scanner.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { type ControlPlaneBroadcast, encodeRoutingChange } from './control-plane-broadcast.js';
import { RoutingControlConflictError, RoutingRequestError } from './routing-errors.js';
import {
  type KillSwitchChange,
  parseRoutingControlRecord,
  routingControlCollection,
  routingControlHistoryLength,
  type RoutingControlState,
  serializeRoutingControlState,
  type VersionedRoutingControlState,
} from './routing-control-state.js';
import { clockSchema, journalSchema, loggerSchema, meterSchema } from './routing-option-schemas.js';

/** Who changes the kill switch and why (both journaled). */
export interface KillSwitchChangeInput {
  /** Who: an operator's name, `guardrail`, an incident bot. */
  readonly actor: string;
  /** Why, in words an on-call engineer can act on. */
  readonly reason: string;
}

/** What a kill switch change did. */
export interface KillSwitchChangeResult {
  /** The journaled state after the call. */
  readonly state: RoutingControlState;
  /** False when the switch already was in that position (nothing written; the state is announced again anyway). */
  readonly changed: boolean;
  /** How many subscribers the announcement reached; `undefined` without a broadcast or when publishing failed. */
  readonly delivered: number | undefined;
  /**
   * Why the announcement failed, when it did. The change is journaled all the same: nodes pick it
   * up at their next poll (at most `pollIntervalMs` later).
   */
  readonly broadcastError: string | undefined;
}

/**
 * The fleet-wide kill switch of a migration: while engaged, every node sends every NEW payment to
 * the old provider; payments already pinned finish where they started. Engaging writes the journal
 * first (the truth every node reads, also after a restart) and then announces the change on the
 * control plane so nodes re-read at once.
 */
export interface KillSwitch {
  /** The migration it controls. */
  readonly migrationId: string;
  /**
   * Engages the switch: journaled (compare-and-set, retried), then broadcast.
   * @throws RoutingRequestError on an empty actor or reason.
   * @throws RoutingControlConflictError when five attempts in a row lost to concurrent writers.
   */
  engage(input: KillSwitchChangeInput): Promise<KillSwitchChangeResult>;
  /**
   * Releases the switch: routing follows the migration again. Same guarantees as `engage`.
   * @throws RoutingRequestError on an empty actor or reason.
   * @throws RoutingControlConflictError when five attempts in a row lost to concurrent writers.
   */
  release(input: KillSwitchChangeInput): Promise<KillSwitchChangeResult>;
  /**
   * The journaled state; `undefined` when the switch was never changed (released).
   * @throws RoutingRecordInvalidError when the record is broken.
   */
  read(): Promise<RoutingControlState | undefined>;
}

/** Options of `createKillSwitch`. Validated once, at construction. */
export interface KillSwitchOptions {
  /** Where the control record lives (collection `routing-control`). */
  readonly journal: JournalV1;
  /** Announces each change to every node; without it nodes learn by polling only. */
  readonly broadcast?: ControlPlaneBroadcast | undefined;
  /** The migration to control. @default 'default' */
  readonly migrationId?: string | undefined;
  /** Stamps changes. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Receives one line per change. @default createLogger({ name: 'paymigrate.routing.kill-switch' }) */
  readonly logger?: Logger | undefined;
  /** Records `paymigrate.routing.kill_switch.changes` (attribute `engaged`). @default defaultMeter() */
  readonly meter?: Meter | undefined;
}

/** Compare-and-set attempts before a change gives up. */
const changeAttempts = 5;

const optionsSchema = z.object({
  journal: journalSchema,
  broadcast: z
    .custom<ControlPlaneBroadcast>(
      (value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'publish') === 'function' && typeof Reflect.get(value, 'subscribe') === 'function',
      { message: 'must have publish(message) and subscribe(listener)' },
    )
    .optional()
    .meta({ fix: 'pass createRedisBroadcast(...) from @paymigrate/store-redis, or an InMemoryControlPlaneBroadcast' }),
  migrationId: z.string().min(1).default(defaultMigrationId),
  clock: clockSchema.optional(),
  logger: loggerSchema.optional(),
  meter: meterSchema.optional(),
});

/** Checks a journaled text field and masks anything that looks like card data. */
function requireChangeText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new RoutingRequestError({ field, problem: 'must be a non-empty string' });
  return redactSensitiveText(value);
}

/**
 * Creates the kill switch of a migration.
 *
 * @throws ConfigurationError when an option is missing or invalid.
 * @example
 * const killSwitch = createKillSwitch({ journal, broadcast: createRedisBroadcast({ url, channel: 'paymigrate:routing' }) });
 * await killSwitch.engage({ actor: 'alice', reason: 'adyen declines spiking (INC-42)' });
 */
export function createKillSwitch(options: KillSwitchOptions): KillSwitch {
  const parsed = parseOptions(optionsSchema, options, { component: 'killSwitch' });
  const { journal, migrationId } = parsed;
  const broadcast = options.broadcast;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.routing.kill-switch' });
  const changes: Counter = (parsed.meter ?? defaultMeter()).createCounter('paymigrate.routing.kill_switch.changes', {
    description: 'Kill switch changes written to the journal, by position (engaged true or false).',
  });

  const readVersioned = async (): Promise<VersionedRoutingControlState | undefined> => {
    const record = await journal.get(routingControlCollection, migrationId);
    return record === undefined ? undefined : parseRoutingControlRecord(record);
  };

  const announce = async (state: RoutingControlState): Promise<{ delivered: number | undefined; broadcastError: string | undefined }> => {
    if (broadcast === undefined) return { delivered: undefined, broadcastError: undefined };
    try {
      const delivered = await broadcast.publish(encodeRoutingChange({ migrationId, source: 'kill-switch', revision: state.revision, at: state.lastChange.at }));
      return { delivered, broadcastError: undefined };
    } catch (error) {
      const broadcastError = error instanceof Error ? error.message : String(error);
      logger.error({ migrationId, revision: state.revision, error: broadcastError }, 'kill switch change journaled but not broadcast; nodes will see it at their next poll');
      return { delivered: undefined, broadcastError };
    }
  };

  const change = async (engaged: boolean, input: KillSwitchChangeInput): Promise<KillSwitchChangeResult> => {
    const actor = requireChangeText(input.actor, 'actor');
    const reason = requireChangeText(input.reason, 'reason');
    let lastConflict: unknown;
    for (let attempt = 1; attempt <= changeAttempts; attempt += 1) {
      const current = await readVersioned();
      const currentlyEngaged = current?.state.killSwitchEngaged ?? false;
      if (current !== undefined && currentlyEngaged === engaged) {
        return { state: current.state, changed: false, ...(await announce(current.state)) };
      }
      // A release of a switch that was never engaged writes a first record: the release is on record too.
      const revision = (current?.state.revision ?? 0) + 1;
      const entry: KillSwitchChange = { engaged, actor, reason, at: clock.now(), revision };
      const state: RoutingControlState = {
        migrationId,
        revision,
        killSwitchEngaged: engaged,
        lastChange: entry,
        history: [...(current?.state.history ?? []), entry].slice(-routingControlHistoryLength),
      };
      try {
        await journal.write({
          puts: [
            {
              collection: routingControlCollection,
              key: migrationId,
              value: serializeRoutingControlState(state),
              index: engaged ? 'engaged' : 'released',
              expectedVersion: current?.version ?? 0,
            },
          ],
        });
      } catch (error) {
        if (!VersionConflictError.isInstance(error)) throw error;
        lastConflict = error;
        logger.warn({ migrationId, attempt }, 'kill switch record changed concurrently; re-reading');
        continue;
      }
      changes.add(1, { engaged });
      logger.warn({ migrationId, engaged, actor, reason, revision }, engaged ? 'kill switch engaged: new payments go to the old provider' : 'kill switch released');
      return { state, changed: true, ...(await announce(state)) };
    }
    throw new RoutingControlConflictError({ migrationId, attempts: changeAttempts, cause: lastConflict });
  };

  return Object.freeze({
    migrationId,
    engage: (input: KillSwitchChangeInput) => change(true, input),
    release: (input: KillSwitchChangeInput) => change(false, input),
    read: async () => (await readVersioned())?.state,
  });
}
