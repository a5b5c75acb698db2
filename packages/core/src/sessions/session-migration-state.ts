import { z } from 'zod';
import type { JournalRecord } from '../ports/journal/v1/journal.js';
import { defineStateMachine, type StateMachine } from '../state-machine/state-machine.js';
import { SessionMigrationStateInvalidError } from './session-errors.js';

/** Journal collection of session migration records (key: migration id): phase, history and checkpoints. */
export const sessionMigrationCollection = 'session-migration';

/**
 * The phases of a session migration:
 * - `copying`: the bulk copy runs (or ran and was interrupted; `migrate()` resumes it). The live
 *   store writes both stores (target first) and reads the target, falling back to the source.
 * - `verifying`: a copy run finished; every copied session was verified by checksum. Same live
 *   behaviour. `migrate()` may run again (to retry failures), `switchReads()` moves on.
 * - `reads-switched`: the live store reads the target only; it still writes both, so a rollback
 *   loses nothing.
 * - `done`: the source is no longer written. Final.
 * - `rolled-back`: the live store reads and writes the source only (and removes target copies it
 *   writes over). Final for this migration id.
 */
export const sessionMigrationPhases = ['copying', 'verifying', 'reads-switched', 'done', 'rolled-back'] as const;

/** One of `sessionMigrationPhases`. */
export type SessionMigrationPhase = (typeof sessionMigrationPhases)[number];

/** A phase, or `not-started` while the migration has no record. */
export type SessionMigrationPhaseOrNotStarted = SessionMigrationPhase | 'not-started';

/** The session migration phase machine (machine name `session-migration`). */
export const sessionMigrationPhaseMachine: StateMachine<SessionMigrationPhase> = defineStateMachine<SessionMigrationPhase>({
  name: 'session-migration',
  transitions: {
    copying: ['verifying', 'rolled-back'],
    verifying: ['copying', 'reads-switched', 'rolled-back'],
    'reads-switched': ['done', 'rolled-back'],
    done: [],
    'rolled-back': [],
  },
});

/** What one copy run did, session by session. Every enumerated key lands in exactly one of the first seven. */
export interface SessionMigrationCounts {
  /** Copied (or found copied by an earlier run) and verified by checksum. */
  readonly migrated: number;
  /** The target already held a newer session (a live write during the window): kept. */
  readonly alreadyCurrent: number;
  /** Unreadable (corrupt, out of schema, card data): recorded in `session-quarantine`, never copied as is. */
  readonly quarantined: number;
  /** Of the quarantined ones, those rebuilt from the platform's cart and written to the target. */
  readonly rebuilt: number;
  /** Found with no time left to live: not copied. */
  readonly expired: number;
  /** Enumerated, but gone when read (deleted or expired meanwhile, or deleted during the window). */
  readonly vanished: number;
  /** Could not be copied (a store or locator error, a checksum mismatch): retried by the next run. */
  readonly failed: number;
  /** Copied sessions whose in-progress payment was bound to the provider the journal pins it to. */
  readonly reboundPayments: number;
  /** Copied sessions whose payment the locator did not know: left as the session said. */
  readonly unlocatedPayments: number;
}

/** All-zero counts. */
export const emptySessionMigrationCounts: SessionMigrationCounts = Object.freeze({
  migrated: 0,
  alreadyCurrent: 0,
  quarantined: 0,
  rebuilt: 0,
  expired: 0,
  vanished: 0,
  failed: 0,
  reboundPayments: 0,
  unlocatedPayments: 0,
});

/** The checkpoint of a copy run, rewritten after every batch. */
export interface SessionMigrationProgress {
  /** Run number: 1 for the first `migrate()`, +1 for every later one (a resume is a new run). */
  readonly run: number;
  /** When the run started, epoch milliseconds. */
  readonly startedAt: number;
  /** Batches finished. */
  readonly batches: number;
  /** Distinct keys handled so far. */
  readonly keysSeen: number;
  /** Counts so far. */
  readonly counts: SessionMigrationCounts;
  /** True once the run went through the whole enumeration. */
  readonly complete: boolean;
  /** When the run finished, epoch milliseconds. */
  readonly finishedAt?: number | undefined;
}

/** One phase change, as journaled. */
export interface SessionMigrationHistoryEntry {
  /** The phase before; `null` for the creation. */
  readonly from: SessionMigrationPhase | null;
  /** The phase after. */
  readonly to: SessionMigrationPhase;
  /** When, epoch milliseconds. */
  readonly at: number;
  /** Who asked. */
  readonly actor: string;
  /** Why. */
  readonly reason: string;
}

/** The journaled state of a session migration (collection `session-migration`, key = migration id). */
export interface SessionMigrationState {
  /** The migration id. */
  readonly migrationId: string;
  /** The phase. */
  readonly phase: SessionMigrationPhase;
  /** When the migration was created, epoch milliseconds; the `updatedAt` given to upgraded sessions that had none. */
  readonly createdAt: number;
  /** When the phase last changed. */
  readonly phaseChangedAt: number;
  /** Every phase change. */
  readonly history: readonly SessionMigrationHistoryEntry[];
  /** The latest copy run's checkpoint; `undefined` before the first batch. */
  readonly progress: SessionMigrationProgress | undefined;
}

/** A state with the journal version to compare-and-set against. */
export interface VersionedSessionMigrationState {
  /** The state. */
  readonly state: SessionMigrationState;
  /** The record's journal version. */
  readonly version: number;
}

const count = z.int().nonnegative();
const phaseSchema = z.enum(sessionMigrationPhases);

const countsSchema = z.object({
  migrated: count,
  alreadyCurrent: count,
  quarantined: count,
  rebuilt: count,
  expired: count,
  vanished: count,
  failed: count,
  reboundPayments: count,
  unlocatedPayments: count,
});

const stateSchema = z.object({
  migrationId: z.string().min(1),
  phase: phaseSchema,
  createdAt: count,
  phaseChangedAt: count,
  history: z.array(z.object({ from: phaseSchema.nullable(), to: phaseSchema, at: count, actor: z.string(), reason: z.string() })),
  progress: z
    .object({
      run: z.int().positive(),
      startedAt: count,
      batches: count,
      keysSeen: count,
      counts: countsSchema,
      complete: z.boolean(),
      finishedAt: count.optional(),
    })
    .optional(),
});

/** Reads a journal record of the `session-migration` collection. */
export function parseSessionMigrationRecord(record: JournalRecord): VersionedSessionMigrationState {
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch (error) {
    throw new SessionMigrationStateInvalidError({ migrationId: record.key, problem: 'not JSON', cause: error });
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    throw new SessionMigrationStateInvalidError({ migrationId: record.key, problem: `${issue.path.join('.') || 'record'}: ${issue.message}` });
  }
  if (parsed.data.migrationId !== record.key) {
    throw new SessionMigrationStateInvalidError({ migrationId: record.key, problem: `it describes migration '${parsed.data.migrationId}'` });
  }
  return { state: parsed.data as SessionMigrationState, version: record.version };
}

/** The JSON text of a state. */
export function serializeSessionMigrationState(state: SessionMigrationState): string {
  return JSON.stringify(state);
}
