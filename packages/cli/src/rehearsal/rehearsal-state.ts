import { type JournalV1, VersionConflictError } from '@paymigrate/core';
import { z } from 'zod';
import { RehearsalError } from '../cli-errors.js';
import { supportedProviders } from '../config/config-schema.js';
import type { WorldEndpoint } from './world/world-protocol.js';

/** The phases of a rehearsal, in order. */
export const rehearsalPhases = ['seed', 'traffic', 'tokens', 'ramp', 'cutover', 'rollback-drill', 'drain', 'verify'] as const;

/** One of `rehearsalPhases`. */
export type RehearsalPhase = (typeof rehearsalPhases)[number];

/** Titles of the phases, as progress and the report show them. */
export const rehearsalPhaseTitles: Readonly<Record<RehearsalPhase, string>> = {
  seed: 'seed the world',
  traffic: 'start checkout traffic',
  tokens: 'token migration (file + delta)',
  ramp: 'ramp 1 -> 5 -> 25 -> 50 -> 100 %',
  cutover: 'cutover',
  'rollback-drill': 'emergency rollback drill',
  drain: 'drain and recovery',
  verify: 'verification',
};

/** How much of a phase real engines covered. */
export type PhaseCoverage = 'covered' | 'partial' | 'not-covered';

/** What a finished phase left in the journal. */
export interface PhaseRecord {
  /** Done. */
  readonly status: 'done';
  /** Time spent in it, summed over runs, milliseconds. */
  readonly durationMs: number;
  /** How much of it real engines covered. */
  readonly coverage: PhaseCoverage;
  /** The engines it used. */
  readonly engines: readonly string[];
  /** What was not covered, or anything else worth reading. */
  readonly notes: readonly string[];
  /** Counts (customers seeded, tokens imported, ...). */
  readonly counts: Readonly<Record<string, number>>;
}

/** The rehearsal's checkpoint: journal collection `rehearsal`, key `state`. */
export interface RehearsalState {
  /** Format version. */
  readonly version: 1;
  /** The options the rehearsal was started with (a resume must pass the same). */
  readonly identity: RehearsalIdentity;
  /** The world it runs against. */
  readonly world: WorldEndpoint;
  /** Runs: 1 for the first, +1 per resume. */
  readonly runs: readonly { readonly run: number; readonly startedAt: number }[];
  /** Finished phases. */
  readonly phases: Partial<Readonly<Record<RehearsalPhase, PhaseRecord>>>;
  /** Time spent in an unfinished phase by earlier runs, milliseconds. */
  readonly partialDurations: Partial<Readonly<Record<RehearsalPhase, number>>>;
  /** When the bulk token export started, epoch milliseconds (cards saved after it need the delta pass). */
  readonly bulkExportStartedAt?: number | undefined;
}

/** What makes two runs the same rehearsal. */
export interface RehearsalIdentity {
  readonly from: (typeof supportedProviders)[number];
  readonly to: (typeof supportedProviders)[number];
  readonly customers: number;
  readonly orders: number;
  readonly sessions: number;
  readonly seed: number;
  readonly faults: readonly string[];
}

/** The collection of the rehearsal's checkpoint. */
export const rehearsalCollection = 'rehearsal';

/** The key of the rehearsal's checkpoint. */
const stateKey = 'state';

const phaseRecordSchema = z.object({
  status: z.literal('done'),
  durationMs: z.number(),
  coverage: z.enum(['covered', 'partial', 'not-covered']),
  engines: z.array(z.string()),
  notes: z.array(z.string()),
  counts: z.record(z.string(), z.number()),
});

const stateSchema: z.ZodType<RehearsalState> = z.object({
  version: z.literal(1),
  identity: z.object({
    from: z.enum(supportedProviders),
    to: z.enum(supportedProviders),
    customers: z.number(),
    orders: z.number(),
    sessions: z.number(),
    seed: z.number(),
    faults: z.array(z.string()),
  }),
  world: z.object({ controlUrl: z.string(), token: z.string(), processId: z.number(), worldId: z.string() }),
  runs: z.array(z.object({ run: z.number(), startedAt: z.number() })),
  phases: z.partialRecord(z.enum(['seed', 'traffic', 'tokens', 'ramp', 'cutover', 'rollback-drill', 'drain', 'verify']), phaseRecordSchema),
  partialDurations: z.partialRecord(z.enum(['seed', 'traffic', 'tokens', 'ramp', 'cutover', 'rollback-drill', 'drain', 'verify']), z.number()),
  bulkExportStartedAt: z.number().optional(),
});

/** The checkpoint with the journal version it was read at. */
export interface StoredRehearsalState {
  /** The state. */
  readonly state: RehearsalState;
  /** Its record version (compare-and-set token). */
  readonly version: number;
}

/**
 * Reads the rehearsal's checkpoint.
 *
 * @throws RehearsalError `REHEARSAL_STATE_INVALID` when the record is not a rehearsal checkpoint.
 */
export async function readRehearsalState(journal: JournalV1): Promise<StoredRehearsalState | undefined> {
  const record = await journal.get(rehearsalCollection, stateKey);
  if (record === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch (error) {
    throw new RehearsalError({ code: 'REHEARSAL_STATE_INVALID', phase: 'start', message: 'the journal holds a rehearsal checkpoint that is not JSON: use a new --journal', cause: error });
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) {
    throw new RehearsalError({ code: 'REHEARSAL_STATE_INVALID', phase: 'start', message: 'the journal holds a rehearsal checkpoint of another version: use a new --journal' });
  }
  return { state: parsed.data, version: record.version };
}

/** A checkpoint store: the one writer of the rehearsal's state. */
export interface RehearsalCheckpoints {
  /** The state as last written. */
  current(): RehearsalState;
  /** Applies a change and writes it (compare-and-set). */
  update(change: (state: RehearsalState) => RehearsalState): Promise<RehearsalState>;
}

/**
 * Opens the checkpoint store on a state that was read or created: every update is a
 * compare-and-set, so two rehearsals on one journal can never both go on.
 *
 * @throws RehearsalError `REHEARSAL_CONCURRENT` when another process changed the checkpoint.
 */
export function openRehearsalCheckpoints(journal: JournalV1, initial: StoredRehearsalState | { readonly state: RehearsalState; readonly version: 0 }): RehearsalCheckpoints {
  let state = initial.state;
  let version = initial.version;
  return {
    current: () => state,
    async update(change) {
      const next = change(state);
      try {
        const [record] = (
          await journal.write({ puts: [{ collection: rehearsalCollection, key: stateKey, value: JSON.stringify(next), expectedVersion: version }] })
        ).records;
        version = record?.version ?? version + 1;
      } catch (error) {
        if (!VersionConflictError.isInstance(error)) throw error;
        throw new RehearsalError({
          code: 'REHEARSAL_CONCURRENT',
          phase: 'checkpoint',
          message: 'another rehearsal process changed this journal meanwhile: run one rehearsal per journal',
          cause: error,
        });
      }
      state = next;
      return next;
    },
  };
}
