import { z } from 'zod';
import type { JournalPut, JournalRecord } from '../ports/journal/v1/journal.js';
import { RoutingRecordInvalidError } from './routing-errors.js';
import { describeFirstIssue } from './routing-control-state.js';
import type { RoutingDecision, RoutingReasonKind } from './routing-types.js';

/** Journal collection holding one routing assignment per payment id (index: the provider). */
export const routingAssignmentCollection = 'routing-assignments';

/**
 * The first routing decision of a payment, written once (compare-and-set on absence) and never
 * changed: a second `select` for the same payment id returns it, so retries, 3-D Secure returns,
 * captures, refunds and voids can never be re-routed, whatever the routing says by then.
 */
export interface RoutingAssignment {
  /** The payment. */
  readonly paymentId: string;
  /** The provider it is pinned to. */
  readonly provider: string;
  /** Why. */
  readonly reason: string;
  /** The reason's category. */
  readonly kind: RoutingReasonKind;
  /** The migration epoch of the decision. */
  readonly epoch: number;
  /** The cohort. */
  readonly cohort: string;
  /** The customer's bucket when a split decided. */
  readonly bucket?: number | undefined;
  /** Part of the ramp experiment. */
  readonly experiment: boolean;
  /** When it was decided, epoch milliseconds. */
  readonly decidedAt: number;
  /** The node that decided. */
  readonly nodeId: string;
}

const reasonKinds = [
  'stale-config',
  'kill-switch',
  'not-started',
  'phase',
  'rolled-back',
  'renewal',
  'capability',
  'cohort',
  'bucket',
  'circuit-open',
  'assigned',
] as const satisfies readonly RoutingReasonKind[];

const assignmentSchema = z.object({
  paymentId: z.string().min(1),
  provider: z.string().min(1),
  reason: z.string(),
  kind: z.enum(reasonKinds),
  epoch: z.number().int().nonnegative(),
  cohort: z.string(),
  bucket: z.number().int().nonnegative().optional(),
  experiment: z.boolean(),
  decidedAt: z.number(),
  nodeId: z.string(),
});

/** The put that records `assignment`, only if the payment has none yet (`expectedVersion: 0`). */
export function routingAssignmentPut(assignment: RoutingAssignment): JournalPut {
  return {
    collection: routingAssignmentCollection,
    key: assignment.paymentId,
    value: JSON.stringify(assignment),
    index: assignment.provider,
    expectedVersion: 0,
  };
}

/**
 * Reads a routing assignment record.
 * @throws RoutingRecordInvalidError when it is not JSON, breaks the schema or names another payment.
 */
export function parseRoutingAssignment(record: JournalRecord): RoutingAssignment {
  let value: unknown;
  try {
    value = JSON.parse(record.value);
  } catch (error) {
    throw new RoutingRecordInvalidError({ collection: routingAssignmentCollection, key: record.key, problem: 'its value is not JSON', cause: error });
  }
  const parsed = assignmentSchema.safeParse(value);
  if (!parsed.success) throw new RoutingRecordInvalidError({ collection: routingAssignmentCollection, key: record.key, problem: describeFirstIssue(parsed.error) });
  if (parsed.data.paymentId !== record.key) {
    throw new RoutingRecordInvalidError({ collection: routingAssignmentCollection, key: record.key, problem: `it names payment '${parsed.data.paymentId}'` });
  }
  return parsed.data;
}

/** The decision a recorded assignment stands for (`pinned: true`). */
export function decisionOfAssignment(assignment: RoutingAssignment): RoutingDecision {
  return {
    provider: assignment.provider,
    reason: assignment.reason,
    kind: assignment.kind,
    epoch: assignment.epoch,
    cohort: assignment.cohort,
    bucket: assignment.bucket,
    experiment: assignment.experiment,
    pinned: true,
  };
}
