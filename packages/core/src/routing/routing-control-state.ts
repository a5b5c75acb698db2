import { z } from 'zod';
import type { JournalRecord } from '../ports/journal/v1/journal.js';
import { RoutingRecordInvalidError } from './routing-errors.js';

/** Journal collection holding one routing control record per migration (key = migration id). */
export const routingControlCollection = 'routing-control';

/** How many kill switch changes a control record keeps in its history (oldest dropped first). */
export const routingControlHistoryLength = 50;

/** One change of the kill switch. */
export interface KillSwitchChange {
  /** Engaged (true) or released (false) by this change. */
  readonly engaged: boolean;
  /** Who changed it (an operator, `guardrail`, ...). */
  readonly actor: string;
  /** Why. */
  readonly reason: string;
  /** When, epoch milliseconds. */
  readonly at: number;
  /** The record revision this change produced. */
  readonly revision: number;
}

/**
 * The fleet-wide routing control of one migration, as journaled: the kill switch. Written only
 * with compare-and-set; every write is announced on the control plane.
 */
export interface RoutingControlState {
  /** The migration it controls. */
  readonly migrationId: string;
  /** 1 at the first write, +1 at every change: nodes compare revisions to know what is newer. */
  readonly revision: number;
  /** True while every new payment must go to the old provider. */
  readonly killSwitchEngaged: boolean;
  /** The latest change (what the kill switch is now, who did it and why). */
  readonly lastChange: KillSwitchChange;
  /** The latest changes, oldest first (at most `routingControlHistoryLength`). */
  readonly history: readonly KillSwitchChange[];
}

const changeSchema = z.object({
  engaged: z.boolean(),
  actor: z.string(),
  reason: z.string(),
  at: z.number(),
  revision: z.number().int().positive(),
});

const controlSchema = z.object({
  migrationId: z.string().min(1),
  revision: z.number().int().positive(),
  killSwitchEngaged: z.boolean(),
  lastChange: changeSchema,
  history: z.array(changeSchema),
});

/** Names the first schema problem: the field and the message. */
export function describeFirstIssue(error: z.ZodError): string {
  const issue = error.issues[0] as z.core.$ZodIssue;
  const where = issue.path.length === 0 ? 'the record' : `'${issue.path.map(String).join('.')}'`;
  return `${where} is invalid (${issue.message})`;
}

/** A control state with the journal version it was read at (the compare-and-set token). */
export interface VersionedRoutingControlState {
  /** The state. */
  readonly state: RoutingControlState;
  /** The journal record version. */
  readonly version: number;
}

/**
 * Reads a routing control record, checking every field.
 *
 * @throws RoutingRecordInvalidError when it is not JSON, breaks the schema or names another migration.
 */
export function parseRoutingControlRecord(record: JournalRecord): VersionedRoutingControlState {
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch (error) {
    throw new RoutingRecordInvalidError({ collection: routingControlCollection, key: record.key, problem: 'its value is not JSON', cause: error });
  }
  const parsed = controlSchema.safeParse(value);
  if (!parsed.success) {
    throw new RoutingRecordInvalidError({ collection: routingControlCollection, key: record.key, problem: describeFirstIssue(parsed.error) });
  }
  if (parsed.data.migrationId !== record.key) {
    throw new RoutingRecordInvalidError({ collection: routingControlCollection, key: record.key, problem: `it names migration '${parsed.data.migrationId}'` });
  }
  return { state: parsed.data, version: record.version };
}

/** The JSON text a control state is journaled as. */
export function serializeRoutingControlState(state: RoutingControlState): string {
  return JSON.stringify(state);
}
