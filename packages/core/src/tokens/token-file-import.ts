import { randomUUID } from 'node:crypto';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import type { Logger } from '../observability/logger.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import type { JournalPut, OutboxMessageInput } from '../ports/journal/v1/journal.js';
import type { CardBrand } from '../ports/shared/v1/card.js';
import { adyenCsvFormat } from './formats/adyen-csv-format.js';
import { genericCsvFormat } from './formats/generic-csv-format.js';
import type { MappingFileFormat } from './formats/mapping-file-row.js';
import { stripeJsonFormat } from './formats/stripe-json-format.js';
import type { VerifiedMappingFile } from './mapping-file-source.js';
import { type ClassifiedRow, classifyMappingRow, type RowClassificationContext } from './mapping-row-classifier.js';
import { TokenImportBusyError, TokenImportFileMismatchError } from './token-errors.js';
import {
  checkpointPut,
  countFailure,
  type FailureCounts,
  parseCheckpoint,
  rejectionPut,
  type TokenImportCheckpoint,
  tokenImportsCollection,
} from './token-import-checkpoint.js';
import type { TokenMapping } from './token-mapping.js';
import { recollectionWrites } from './token-recollection.js';
import type { TokenVault, TokenVaultEnvelopeInfo } from './token-vault.js';

/** The built-in mapping file formats by name. */
export const mappingFileFormats: Readonly<Record<'generic-csv' | 'adyen-csv' | 'stripe-json', MappingFileFormat>> = {
  'generic-csv': genericCsvFormat,
  'adyen-csv': adyenCsvFormat,
  'stripe-json': stripeJsonFormat,
};

/** Options of a mapping-file import. */
export interface MappingFileImportOptions {
  /** The file, opened (and for PGP files verified) by `openPgpMappingFile` or `openPlainMappingFile`. */
  readonly file: VerifiedMappingFile;
  /** Its format: a built-in name or a custom `MappingFileFormat`. */
  readonly format: keyof typeof mappingFileFormats | MappingFileFormat;
  /** Id of the import; running again with the same id resumes it. @default `imp_` + the file digest */
  readonly importId?: string | undefined;
  /** Rows per atomic batch (vault entries, rejections, re-collections and the checkpoint). @default 5000 */
  readonly batchSize?: number | undefined;
  /** The worker id holding the import's lease. A restarted worker with the same id resumes at once. @default random */
  readonly owner?: string | undefined;
  /** How long the lease lasts without a committed batch. @default 60_000 */
  readonly leaseMs?: number | undefined;
  /** Stops after the batch in progress (the import stays resumable). */
  readonly signal?: AbortSignal | undefined;
  /** Called after each committed batch. */
  readonly onBatch?: ((checkpoint: TokenImportCheckpoint) => void) | undefined;
}

/** The result of an import: counts, and failures by brand and reason. */
export interface TokenImportReport {
  /** The import. */
  readonly importId: string;
  /** `completed`, or `running` when it was stopped by its signal. */
  readonly status: 'running' | 'completed';
  /** File format. */
  readonly format: string;
  /** Rows read from the file so far. */
  readonly rows: number;
  /** Rows now `mapped` in the vault. */
  readonly mapped: number;
  /** Rows now in the vault as `recollect` (and in the re-collection workflow). */
  readonly recollect: number;
  /** Rows rejected (reason and row in `token-import-rejections`). */
  readonly rejected: number;
  /** Not-mapped rows by brand, then reason. */
  readonly failures: FailureCounts;
  /** The row this run started after (0 for a fresh import). */
  readonly resumedAfterRow: number;
  /** Batches committed by this run. */
  readonly batches: number;
}

/** What the importer needs from the engine. */
export interface FileImportContext {
  readonly vault: TokenVault;
  readonly clock: ClockV1;
  readonly logger: Logger;
  readonly sourceProvider: string;
  readonly targetProvider: string;
  readonly classification: Omit<RowClassificationContext, 'now' | 'sourceProvider' | 'targetProvider'>;
  readonly recollectionTopic: string;
  readonly onRows?: ((counts: { readonly mapped: number; readonly recollect: number; readonly rejected: number }) => void) | undefined;
}

function reportOf(checkpoint: TokenImportCheckpoint, resumedAfterRow: number, batches: number): TokenImportReport {
  return {
    importId: checkpoint.importId,
    status: checkpoint.status,
    format: checkpoint.format,
    rows: checkpoint.rowsCommitted,
    mapped: checkpoint.mapped,
    recollect: checkpoint.recollect,
    rejected: checkpoint.rejected,
    failures: checkpoint.failures,
    resumedAfterRow,
    batches,
  };
}

/** Who the vault audit log names for an import's writes: the worker holding its lease. */
function importAccess(owner: string): { readonly actor: string; readonly purpose: string } {
  return { actor: owner, purpose: 'token-import' };
}

/** Takes (or resumes) the import's checkpoint for this worker, auditing the start in the same write. */
async function claimCheckpoint(
  context: FileImportContext,
  options: MappingFileImportOptions,
  importId: string,
  format: string,
  owner: string,
  leaseMs: number,
): Promise<{ checkpoint: TokenImportCheckpoint; version: number }> {
  const journal = context.vault.journal;
  for (;;) {
    const now = context.clock.now();
    const existing = await journal.get(tokenImportsCollection, importId);
    let next: TokenImportCheckpoint;
    if (existing === undefined) {
      next = {
        importId,
        format,
        fileDigest: options.file.digest,
        sourceProvider: context.sourceProvider,
        targetProvider: context.targetProvider,
        status: 'running',
        rowsCommitted: 0,
        batchesCommitted: 0,
        mapped: 0,
        recollect: 0,
        rejected: 0,
        failures: {},
        owner,
        leaseExpiresAt: now + leaseMs,
        startedAt: now,
        updatedAt: now,
      };
    } else {
      const current = parseCheckpoint(existing);
      if (current.fileDigest !== options.file.digest) {
        throw new TokenImportFileMismatchError({ importId });
      }
      if (current.status === 'completed') return { checkpoint: current, version: existing.version };
      if (current.owner !== owner && current.leaseExpiresAt > now) throw new TokenImportBusyError({ importId, leaseExpiresAt: current.leaseExpiresAt });
      next = { ...current, owner, leaseExpiresAt: now + leaseMs, updatedAt: now };
    }
    try {
      const started = context.vault.auditPut(importAccess(owner), 'import-file', importId, 'started');
      const result = await journal.write({ puts: [checkpointPut(next, existing?.version ?? 0), started] });
      return { checkpoint: next, version: (result.records[0] as { version: number }).version };
    } catch (error) {
      /* v8 ignore next -- only a journal failure other than a concurrent claim gets here. */
      if (!VersionConflictError.isInstance(error)) throw error;
    }
  }
}

/** The writes one batch of classified rows turns into. */
interface BatchPlan {
  readonly puts: JournalPut[];
  readonly outbox: OutboxMessageInput[];
  mapped: number;
  recollect: number;
  rejected: number;
  readonly failures: Record<string, Record<string, number>>;
}

/** The vault key of each classified row (rows without a usable source token have none). */
function keysOf(context: FileImportContext, classified: readonly ClassifiedRow[]): (string | undefined)[] {
  const { vault } = context;
  return classified.map((entry) =>
    entry.kind === 'mapping' ? vault.keyOf(entry.mapping.source.provider, entry.mapping.source.token) : entry.sourceToken === undefined ? undefined : vault.keyOf(context.sourceProvider, entry.sourceToken),
  );
}

/**
 * Plans a batch. `existing` holds the vault entries already there for the batch's keys, or
 * `undefined` for an optimistic plan that assumes none: the new entries are written with
 * `expectedVersion: 0`, so a token already in the vault fails the batch with a conflict and the
 * batch is planned again with a real lookup. A fresh import (the common case) skips a journal read
 * per row.
 */
async function planBatch(
  context: FileImportContext,
  importId: string,
  classified: readonly ClassifiedRow[],
  keys: readonly (string | undefined)[],
  lookUp: boolean,
): Promise<BatchPlan> {
  const { vault } = context;
  const existing = lookUp ? await vault.peek([...new Set(keys.filter((key): key is string => key !== undefined))]) : new Map<string, TokenVaultEnvelopeInfo>();
  const firstRowOf = new Map<string, number>();
  const plan: BatchPlan = { puts: [], outbox: [], mapped: 0, recollect: 0, rejected: 0, failures: {} };
  const now = context.clock.now();
  const reject = (row: number, reason: string, detail: string, brand: CardBrand, mappingKey: string | undefined): void => {
    plan.puts.push(rejectionPut({ importId, row, reason, detail, brand, mappingKey }));
    plan.rejected += 1;
    countFailure(plan.failures, brand, reason);
  };
  for (const [position, entry] of classified.entries()) {
    const key = keys[position];
    if (entry.kind === 'rejected') {
      reject(entry.row, entry.reason, entry.detail, entry.brand, key);
      continue;
    }
    const mappingKey = key as string;
    const earlier = firstRowOf.get(mappingKey);
    const stored = existing.get(mappingKey);
    if (earlier !== undefined || stored !== undefined) {
      const where =
        earlier !== undefined
          ? `row ${earlier}`
          : stored?.importId === importId
            ? `row ${stored.row}`
            : stored?.importId === undefined
              ? 'an earlier sync'
              : `import ${stored.importId} row ${stored.row}`;
      reject(entry.row, 'duplicate', `the source token was already imported at ${where}`, entry.mapping.card.brand, mappingKey);
      continue;
    }
    firstRowOf.set(mappingKey, entry.row);
    // Every member listed rather than spread: a literal of one fixed shape, no copy loop per row.
    // Typed so that a member added to TokenMapping fails to compile here until it is listed.
    const base = entry.mapping;
    const mapping: { readonly [Member in keyof Required<TokenMapping>]: TokenMapping[Member] } = {
      customerId: base.customerId,
      source: base.source,
      target: base.target,
      card: base.card,
      networkTransactionId: base.networkTransactionId,
      status: base.status,
      failureReason: base.failureReason,
      failureDetail: base.failureDetail,
      origin: base.origin,
      importId,
      row: entry.row,
      verification: base.verification,
      createdAt: now,
      updatedAt: now,
    };
    plan.puts.push(vault.seal(mapping, 0, mappingKey));
    if (mapping.status === 'mapped') {
      plan.mapped += 1;
    } else {
      plan.recollect += 1;
      countFailure(plan.failures, mapping.card.brand, mapping.failureReason as string);
      const writes = recollectionWrites(mapping, mappingKey, vault.customerIndexOf(mapping.customerId), context.recollectionTopic);
      plan.puts.push(writes.put);
      plan.outbox.push(writes.message);
    }
  }
  return plan;
}

function mergeFailures(into: FailureCounts, add: Record<string, Record<string, number>>): FailureCounts {
  const merged: Record<string, Record<string, number>> = {};
  for (const [brand, reasons] of Object.entries(into)) merged[brand] = { ...reasons };
  for (const [brand, reasons] of Object.entries(add)) {
    for (const [reason, count] of Object.entries(reasons)) {
      const byReason = (merged[brand] ??= {});
      byReason[reason] = (byReason[reason] ?? 0) + count;
    }
  }
  return merged;
}

/**
 * Imports a mapping file into the vault, resumably and idempotently:
 *
 * - Rows stream from the verified file through the format's parser; nothing holds the file.
 * - Each batch of rows commits in ONE journal write: the encrypted vault entries, the rejected
 *   rows (reason and row number), the re-collection records and outbox messages, and the
 *   checkpoint (rows committed, counts) compare-and-set on its version. A crash loses at most the
 *   batch in progress, and a restart skips exactly the committed rows: the result equals an
 *   uninterrupted run.
 * - While a batch commits (and its WAL sync runs), the next batch is read and classified; it is
 *   written only once the previous one is durable, so batches still commit in file order.
 * - Every row ends as exactly one of: a `mapped` vault entry, a `recollect` vault entry, or a
 *   rejection (`duplicate` when its source token was seen before). `checkMappingFileImport`
 *   verifies that afterwards.
 * - The vault audit log gets one `import-file` entry when a run starts or resumes (with the
 *   checkpoint claim) and one when the import completes (with the last batch); rows are writes
 *   and are not audited one by one (reads of mappings are, each).
 */
export async function importMappingFile(context: FileImportContext, options: MappingFileImportOptions): Promise<TokenImportReport> {
  const format = typeof options.format === 'string' ? mappingFileFormats[options.format] : options.format;
  const importId = options.importId ?? `imp_${options.file.digest.slice(0, 24)}`;
  const batchSize = options.batchSize ?? 5000;
  const leaseMs = options.leaseMs ?? 60_000;
  const owner = options.owner ?? `token-import-${randomUUID()}`;
  const journal = context.vault.journal;
  let { checkpoint, version } = await claimCheckpoint(context, options, importId, format.name, owner, leaseMs);
  const resumedAfterRow = checkpoint.rowsCommitted;
  let batches = 0;
  if (checkpoint.status === 'completed') return reportOf(checkpoint, resumedAfterRow, 0);
  context.logger.info({ importId, format: format.name, resumedAfterRow, encrypted: options.file.encrypted }, 'token import started');

  // Rows are classified as they arrive, so a batch holds only their classifications: the parsed
  // records (every raw field) die young instead of living until the batch commits.
  const classificationContextAt = (now: number): RowClassificationContext => ({
    ...context.classification,
    now,
    sourceProvider: context.sourceProvider,
    targetProvider: context.targetProvider,
  });
  const commit = async (classified: readonly ClassifiedRow[], last: boolean): Promise<void> => {
    const now = context.clock.now();
    const keys = keysOf(context, classified);
    for (let attempt = 1; ; attempt += 1) {
      const plan = await planBatch(context, importId, classified, keys, attempt > 1);
      const lastRow = classified.at(-1)?.row ?? checkpoint.rowsCommitted;
      const next: TokenImportCheckpoint = {
        ...checkpoint,
        status: last ? 'completed' : 'running',
        rowsCommitted: lastRow,
        batchesCommitted: checkpoint.batchesCommitted + (classified.length > 0 ? 1 : 0),
        mapped: checkpoint.mapped + plan.mapped,
        recollect: checkpoint.recollect + plan.recollect,
        rejected: checkpoint.rejected + plan.rejected,
        failures: mergeFailures(checkpoint.failures, plan.failures),
        leaseExpiresAt: now + leaseMs,
        updatedAt: now,
        completedAt: last ? now : undefined,
      };
      try {
        // The checkpoint goes last (its version is read from the last record); a completing batch
        // carries the import's `completed` audit entry.
        const completed = last ? [context.vault.auditPut(importAccess(owner), 'import-file', importId, 'completed')] : [];
        const result = await journal.write({ puts: [...plan.puts, ...completed, checkpointPut(next, version)], outbox: plan.outbox });
        checkpoint = next;
        version = (result.records.at(-1) as { version: number }).version;
        batches += classified.length > 0 ? 1 : 0;
        context.onRows?.({ mapped: plan.mapped, recollect: plan.recollect, rejected: plan.rejected });
        options.onBatch?.(checkpoint);
        return;
      } catch (error) {
        if (!VersionConflictError.isInstance(error)) throw error;
        if (error.collection === tokenImportsCollection) {
          // Another worker took the import over (our lease expired): stop, it carries on.
          const current = await journal.get(tokenImportsCollection, importId);
          throw new TokenImportBusyError({ importId, leaseExpiresAt: current === undefined ? 0 : parseCheckpoint(current).leaseExpiresAt });
        }
        // A token of the batch is already in the vault (seen in an earlier batch or import, or
        // written concurrently by a delta sync): plan again, looking the batch's keys up.
        /* v8 ignore next -- needs a concurrent writer of the same token in every one of 5 attempts. */
        if (attempt >= 5) throw error;
      }
    }
  };

  // One batch commits while the next one is read and classified: the commit's WAL sync overlaps
  // the parsing, classification and scanning of the following rows. Batches still commit one after
  // the other, each only once the previous one is durable (the checkpoint's version chains them):
  // a crash loses at most the uncommitted rows, and a resume skips exactly the committed ones.
  const resumeAfterRow = checkpoint.rowsCommitted;
  let committing: Promise<void> | undefined;
  /** Waits for the batch in flight; true when the import must stop there (its signal fired). */
  const settled = async (): Promise<boolean> => {
    if (committing === undefined) return false;
    const inFlight = committing;
    committing = undefined;
    await inFlight;
    return options.signal?.aborted === true;
  };
  let batch: ClassifiedRow[] = [];
  let classificationContext = classificationContextAt(context.clock.now());
  let stopped = false;
  try {
    for await (const row of format.rows(options.file.open())) {
      if (row.row <= resumeAfterRow) continue;
      if (batch.length === 0) classificationContext = classificationContextAt(context.clock.now());
      batch.push(classifyMappingRow(row, classificationContext));
      if (batch.length >= batchSize) {
        if (await settled()) {
          stopped = true;
          break;
        }
        committing = commit(batch, false);
        // Its failure is thrown by the next `settled()`; until then it must not count as unhandled.
        committing.catch(() => undefined);
        batch = [];
      }
    }
    if (await settled()) stopped = true;
  } finally {
    // A file that fails mid-way still lets the batch in flight finish before the error is reported.
    await committing?.catch(() => undefined);
  }
  if (!stopped) await commit(batch, true);
  context.logger.info(
    { importId, status: checkpoint.status, rows: checkpoint.rowsCommitted, mapped: checkpoint.mapped, recollect: checkpoint.recollect, rejected: checkpoint.rejected },
    'token import finished',
  );
  return reportOf(checkpoint, resumedAfterRow, batches);
}
