import { z } from 'zod';
import type { JournalRecord, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import { MigrationStateInvalidError } from './cutover-errors.js';
import { type MigrationPhase, migrationPhases } from './migration-phase.js';

/** Journal collection holding one record per migration, keyed by migration id. */
export const migrationCollection = 'migration';

/** Outbox topic of the message enqueued with every change of a migration (ordering key: the migration id). */
export const migrationControlTopic = 'control.migration';

/** The migration id used when none is given. */
export const defaultMigrationId = 'default';

/** The result of one guard (precondition) check, as shown to operators and kept in the history. */
export interface CutoverCheckResult {
  /** Stable name of the check, e.g. `ramp-complete`, `drain-complete`. */
  readonly name: string;
  /** Whether the precondition holds. */
  readonly ok: boolean;
  /** Why, in words an operator can act on (also when `ok`). */
  readonly reason: string;
}

/** One change of a migration, as journaled in its history. */
export interface MigrationHistoryEntry {
  /** The phase before the change; `null` for the entry that created the migration. */
  readonly from: MigrationPhase | null;
  /** The phase after the change (equal to `from` for a ramp percentage change). */
  readonly to: MigrationPhase;
  /** The epoch after the change. */
  readonly epoch: number;
  /** The ramp percentage after the change. */
  readonly rampPercent: number;
  /** When the change was written, epoch milliseconds. */
  readonly at: number;
  /** Who asked for it (an operator, a guardrail, a node). */
  readonly actor: string;
  /** Why. */
  readonly reason: string;
  /** Every guard evaluated before the change, with its result (empty for a rollback: never guarded). */
  readonly checks: readonly CutoverCheckResult[];
  /** Present when the operator passed `force` with a cutover: the reason given. */
  readonly forceReason?: string | undefined;
}

/**
 * The durable state of one migration (journal collection `migration`, key = migration id). Written
 * only with compare-and-set; every write also enqueues a `control.migration` outbox message.
 */
export interface MigrationState {
  /** The migration id (the journal key). */
  readonly migrationId: string;
  /** The provider payments move away from. */
  readonly fromProvider: string;
  /** The provider payments move to. */
  readonly toProvider: string;
  /** The current phase. */
  readonly phase: MigrationPhase;
  /**
   * Routing generation: 1 at creation, +1 at every phase change and every ramp percentage change.
   * A node that routed with epoch n knows that any decision with epoch > n is newer.
   */
  readonly epoch: number;
  /** Share of new payments the ramp sends to `toProvider`, 0 to 100 with at most 3 decimals. */
  readonly rampPercent: number;
  /**
   * True once the migration has been rolled back at least once; a restart does not clear it,
   * because payments of the earlier attempt may still be in flight on `toProvider`.
   */
  readonly rolledBack: boolean;
  /** Every change since creation, oldest first. */
  readonly history: readonly MigrationHistoryEntry[];
  /** When the migration was created, epoch milliseconds. */
  readonly createdAt: number;
  /** When it last changed, epoch milliseconds. */
  readonly updatedAt: number;
}

/** A migration state together with the journal version it was read at (the compare-and-set token). */
export interface VersionedMigrationState {
  /** The state. */
  readonly state: MigrationState;
  /** The journal record version it was read at. */
  readonly version: number;
}

const checkSchema = z.object({ name: z.string(), ok: z.boolean(), reason: z.string() });

const percentSchema = z.number().min(0).max(100);

const historyEntrySchema = z.object({
  from: z.enum(migrationPhases).nullable(),
  to: z.enum(migrationPhases),
  epoch: z.number().int().positive(),
  rampPercent: percentSchema,
  at: z.number(),
  actor: z.string(),
  reason: z.string(),
  checks: z.array(checkSchema),
  forceReason: z.string().optional(),
});

const migrationStateSchema = z.object({
  migrationId: z.string().min(1),
  fromProvider: z.string().min(1),
  toProvider: z.string().min(1),
  phase: z.enum(migrationPhases),
  epoch: z.number().int().positive(),
  rampPercent: percentSchema,
  rolledBack: z.boolean(),
  history: z.array(historyEntrySchema),
  createdAt: z.number(),
  updatedAt: z.number(),
});

/**
 * Reads a migration state from its journal record, checking every field: a record that another
 * version or a hand edit broke is refused rather than routed on.
 *
 * @throws MigrationStateInvalidError when the value is not JSON, breaks the schema or names another migration.
 */
export function parseMigrationRecord(record: JournalRecord): VersionedMigrationState {
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch (error) {
    throw new MigrationStateInvalidError({ migrationId: record.key, problem: 'its value is not JSON', cause: error });
  }
  const parsed = migrationStateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    const where = issue.path.length === 0 ? 'the record' : `'${issue.path.map(String).join('.')}'`;
    throw new MigrationStateInvalidError({ migrationId: record.key, problem: `${where} is invalid (${issue.message})` });
  }
  if (parsed.data.migrationId !== record.key) {
    throw new MigrationStateInvalidError({
      migrationId: record.key,
      problem: `it names migration '${parsed.data.migrationId}'`,
    });
  }
  return { state: parsed.data, version: record.version };
}

/** The JSON text a migration state is journaled as. */
export function serializeMigrationState(state: MigrationState): string {
  return JSON.stringify(state);
}

/** What a `control.migration` outbox message carries: enough for another node to re-route at once. */
export interface MigrationControlMessage {
  /** Always `migration.changed`. */
  readonly type: 'migration.changed';
  /** The migration id. */
  readonly migrationId: string;
  /** The provider payments move away from. */
  readonly fromProvider: string;
  /** The provider payments move to. */
  readonly toProvider: string;
  /** The phase before the change; `null` at creation. */
  readonly previousPhase: MigrationPhase | null;
  /** The phase after the change. */
  readonly phase: MigrationPhase;
  /** The epoch after the change. */
  readonly epoch: number;
  /** The ramp percentage after the change. */
  readonly rampPercent: number;
  /** Whether the migration was ever rolled back. */
  readonly rolledBack: boolean;
  /** Who made the change. */
  readonly actor: string;
  /** Why. */
  readonly reason: string;
  /** When, epoch milliseconds. */
  readonly at: number;
}

/**
 * The outbox message announcing `change` (the history entry just appended to `state`). Its
 * deduplication id is unique per migration incarnation (creation time) and epoch, so a migration
 * re-created under the same id never has its messages swallowed as duplicates of the earlier one's.
 */
export function migrationControlMessage(state: MigrationState, change: MigrationHistoryEntry): OutboxMessageInput {
  const payload: MigrationControlMessage = {
    type: 'migration.changed',
    migrationId: state.migrationId,
    fromProvider: state.fromProvider,
    toProvider: state.toProvider,
    previousPhase: change.from,
    phase: state.phase,
    epoch: state.epoch,
    rampPercent: state.rampPercent,
    rolledBack: state.rolledBack,
    actor: change.actor,
    reason: change.reason,
    at: change.at,
  };
  return {
    topic: migrationControlTopic,
    orderingKey: state.migrationId,
    deduplicationId: `${migrationControlTopic}:${state.migrationId}:${state.createdAt}:${state.epoch}`,
    payload: JSON.stringify(payload),
  };
}
