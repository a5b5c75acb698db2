import { z } from 'zod';
import type { JournalPut, JournalRecord } from '../ports/journal/v1/journal.js';

/** The journal collection of file-import checkpoints (one record per import). */
export const tokenImportsCollection = 'token-imports';

/** The journal collection of rejected rows of file imports. */
export const tokenImportRejectionsCollection = 'token-import-rejections';

/** Counts by `brand` then `reason` of the rows not mapped. */
export type FailureCounts = Readonly<Record<string, Readonly<Record<string, number>>>>;

/**
 * The progress of one file import, committed in the same atomic batch as the rows it counts: after
 * a crash the import resumes after `rowsCommitted`, and nothing is written twice.
 */
export interface TokenImportCheckpoint {
  /** The import. */
  readonly importId: string;
  /** Format of the file. */
  readonly format: string;
  /** Digest of the file's plaintext: a resumed import must read the same file. */
  readonly fileDigest: string;
  /** Provider of the source tokens. */
  readonly sourceProvider: string;
  /** Provider the tokens were imported into. */
  readonly targetProvider: string;
  /** `running` until the last row is committed. */
  readonly status: 'running' | 'completed';
  /** Rows committed so far (rows 1..rowsCommitted are done). */
  readonly rowsCommitted: number;
  /** Batches committed so far. */
  readonly batchesCommitted: number;
  /** Rows that became `mapped` vault entries. */
  readonly mapped: number;
  /** Rows that became `recollect` vault entries. */
  readonly recollect: number;
  /** Rows rejected without a vault entry. */
  readonly rejected: number;
  /** Not-mapped rows by brand and reason (recollect and rejected). */
  readonly failures: FailureCounts;
  /** The worker that runs it. */
  readonly owner: string;
  /** Until when that worker holds it, epoch milliseconds. */
  readonly leaseExpiresAt: number;
  /** When it started. */
  readonly startedAt: number;
  /** When the checkpoint was last written. */
  readonly updatedAt: number;
  /** When the last row was committed. */
  readonly completedAt?: number | undefined;
}

const countsSchema = z.record(z.string(), z.record(z.string(), z.number()));

export const tokenImportCheckpointSchema: z.ZodType<TokenImportCheckpoint> = z.object({
  importId: z.string(),
  format: z.string(),
  fileDigest: z.string(),
  sourceProvider: z.string(),
  targetProvider: z.string(),
  status: z.enum(['running', 'completed']),
  rowsCommitted: z.number().int().nonnegative(),
  batchesCommitted: z.number().int().nonnegative(),
  mapped: z.number().int().nonnegative(),
  recollect: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  failures: countsSchema,
  owner: z.string(),
  leaseExpiresAt: z.number(),
  startedAt: z.number(),
  updatedAt: z.number(),
  completedAt: z.number().optional(),
});

/** A rejected row: reason and row number, never the row's content. */
export interface TokenImportRejection {
  /** The import. */
  readonly importId: string;
  /** 1-based row. */
  readonly row: number;
  /** Why. */
  readonly reason: string;
  /** Card-data-free detail. */
  readonly detail: string;
  /** Brand when the row said. */
  readonly brand: string;
  /** The vault key of the row's source token, when it had a usable one (duplicates point to the first). */
  readonly mappingKey?: string | undefined;
}

export const tokenImportRejectionSchema: z.ZodType<TokenImportRejection> = z.object({
  importId: z.string(),
  row: z.number().int().positive(),
  reason: z.string(),
  detail: z.string(),
  brand: z.string(),
  mappingKey: z.string().optional(),
});

/** Rows are zero-padded in rejection keys so that keys sort by row (10 digits: never a card number). */
export function rejectionKey(importId: string, row: number): string {
  return `${importId}:${String(row).padStart(10, '0')}`;
}

export function checkpointPut(checkpoint: TokenImportCheckpoint, expectedVersion: number): JournalPut {
  return { collection: tokenImportsCollection, key: checkpoint.importId, value: JSON.stringify(checkpoint), index: checkpoint.status, expectedVersion };
}

export function rejectionPut(rejection: TokenImportRejection): JournalPut {
  return { collection: tokenImportRejectionsCollection, key: rejectionKey(rejection.importId, rejection.row), value: JSON.stringify(rejection), index: rejection.importId, expectedVersion: 0 };
}

export function parseCheckpoint(record: JournalRecord): TokenImportCheckpoint {
  return tokenImportCheckpointSchema.parse(JSON.parse(record.value));
}

/** Adds one to `counts[brand][reason]`, returning a new object. */
export function countFailure(counts: Record<string, Record<string, number>>, brand: string, reason: string): void {
  const byReason = (counts[brand] ??= {});
  byReason[reason] = (byReason[reason] ?? 0) + 1;
}
