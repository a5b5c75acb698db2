import type { JournalRecord } from '../ports/journal/v1/journal.js';
import type { MappingFileFormat } from './formats/mapping-file-row.js';
import type { VerifiedMappingFile } from './mapping-file-source.js';
import {
  parseCheckpoint,
  rejectionKey,
  tokenImportRejectionsCollection,
  tokenImportsCollection,
} from './token-import-checkpoint.js';
import { envelopeInfo, type TokenVault, tokenVaultCollection } from './token-vault.js';

/** Rows looked up per journal read. */
const checkBatchSize = 2000;

/** Records per page of the journal scans. */
const defaultScanPageSize = 5000;

/** How many examples of each anomaly the report lists. */
const defaultExampleCount = 20;

/**
 * The Jepsen-style "total queue" check of a file import: the file's rows are the enqueued
 * elements, the journal's vault entries and rejections the dequeued ones. Every row must have
 * exactly one outcome, and the journal must hold no outcome for a row the file does not have.
 */
export interface TotalQueueReport {
  /** The import checked. */
  readonly importId: string;
  /** Rows read from the file (the queue's input). */
  readonly rows: number;
  /** Vault entries written by this import and found for their row (mapped and recollect). */
  readonly vaultEntries: number;
  /** Rejections found for their row. */
  readonly rejections: number;
  /** Rows with no outcome at all. */
  readonly lost: number;
  /** Rows with more than one outcome. */
  readonly duplicated: number;
  /** Outcomes of this import for no row of the file (a row past the end, or a vault entry no row's token leads to). */
  readonly unexpected: number;
  /** Whether the checkpoint's counts agree with what was found. */
  readonly countsAgree: boolean;
  /** The first lost rows. */
  readonly lostRows: readonly number[];
  /** The first duplicated rows. */
  readonly duplicatedRows: readonly number[];
  /** The first unexpected outcomes (journal keys). */
  readonly unexpectedKeys: readonly string[];
  /** True when nothing is lost, duplicated or unexpected and the counts agree. */
  readonly ok: boolean;
}

/** A growable per-row counter (one byte a row: a million rows take a megabyte). */
class RowCounts {
  #counts = new Uint8Array(1024);

  add(row: number): void {
    if (row >= this.#counts.length) {
      const grown = new Uint8Array(Math.max(row + 1, this.#counts.length * 2));
      grown.set(this.#counts);
      this.#counts = grown;
    }
    this.#counts[row] = Math.min(255, (this.#counts[row] as number) + 1);
  }

  get(row: number): number {
    return row < this.#counts.length ? (this.#counts[row] as number) : 0;
  }
}

/**
 * Checks a file import's outcome against the file, independently of the importer's own counters:
 * re-reads the (verified) file, looks up each row's outcome in the journal, then scans the vault
 * and the rejections for outcomes no row accounts for. No mapping is decrypted.
 */
export async function checkMappingFileImport(
  vault: TokenVault,
  options: {
    readonly file: VerifiedMappingFile;
    readonly format: MappingFileFormat;
    readonly importId: string;
    readonly sourceProvider: string;
    /** Records per page of the journal scans. @default 5000 */
    readonly pageSize?: number | undefined;
    /** How many examples of each anomaly to list. @default 20 */
    readonly examples?: number | undefined;
  },
): Promise<TotalQueueReport> {
  const { importId } = options;
  const scanPageSize = options.pageSize ?? defaultScanPageSize;
  const exampleCount = options.examples ?? defaultExampleCount;
  const journal = vault.journal;
  const outcomes = new RowCounts();
  const vaultClaimed = new RowCounts();
  let rows = 0;
  let vaultEntries = 0;
  let rejections = 0;
  let pending: { row: number; key: string | undefined }[] = [];

  const lookUp = async (): Promise<void> => {
    const keys = [...new Set(pending.map((entry) => entry.key).filter((key): key is string => key !== undefined))];
    const [envelopes, rejected] = await Promise.all([
      vault.peek(keys),
      journal.getMany(tokenImportRejectionsCollection, pending.map((entry) => rejectionKey(importId, entry.row))),
    ]);
    for (const entry of pending) {
      const envelope = entry.key === undefined ? undefined : envelopes.get(entry.key);
      if (envelope !== undefined && envelope.importId === importId && envelope.row === entry.row) {
        outcomes.add(entry.row);
        vaultClaimed.add(entry.row);
        vaultEntries += 1;
      }
    }
    for (const record of rejected) {
      outcomes.add(Number(record.key.slice(importId.length + 1)));
      rejections += 1;
    }
    pending = [];
  };

  for await (const row of options.format.rows(options.file.open())) {
    rows = row.row;
    const token = row.sourceToken;
    pending.push({ row: row.row, key: token === undefined ? undefined : vault.keyOf(options.sourceProvider, token) });
    if (pending.length >= checkBatchSize) await lookUp();
  }
  await lookUp();

  const lostRows: number[] = [];
  const duplicatedRows: number[] = [];
  let lost = 0;
  let duplicated = 0;
  for (let row = 1; row <= rows; row += 1) {
    const count = outcomes.get(row);
    if (count === 0) {
      lost += 1;
      if (lostRows.length < exampleCount) lostRows.push(row);
    } else if (count > 1) {
      duplicated += 1;
      if (duplicatedRows.length < exampleCount) duplicatedRows.push(row);
    }
  }

  const unexpectedKeys: string[] = [];
  let unexpected = 0;
  let vaultTotal = 0;
  let rejectionTotal = 0;
  const flag = (key: string): void => {
    unexpected += 1;
    if (unexpectedKeys.length < exampleCount) unexpectedKeys.push(key);
  };
  const scan = async (collection: string, index: string | undefined, visit: (record: JournalRecord) => void): Promise<void> => {
    let afterKey: string | undefined;
    for (;;) {
      const page = await journal.list(collection, { index, afterKey, limit: scanPageSize });
      for (const record of page) visit(record);
      if (page.length < scanPageSize) return;
      afterKey = (page.at(-1) as JournalRecord).key;
    }
  };
  await scan(tokenVaultCollection, undefined, (record) => {
    const info = envelopeInfo(record);
    if (info.importId !== importId) return;
    vaultTotal += 1;
    if (info.row === undefined || vaultClaimed.get(info.row) === 0) flag(record.key);
  });
  await scan(tokenImportRejectionsCollection, importId, (record) => {
    rejectionTotal += 1;
    const row = Number(record.key.slice(importId.length + 1));
    if (!(row >= 1 && row <= rows)) flag(record.key);
  });

  const checkpointRecord = await journal.get(tokenImportsCollection, importId);
  const checkpoint = checkpointRecord === undefined ? undefined : parseCheckpoint(checkpointRecord);
  const countsAgree =
    checkpoint !== undefined &&
    checkpoint.status === 'completed' &&
    checkpoint.rowsCommitted === rows &&
    checkpoint.mapped + checkpoint.recollect === vaultTotal &&
    checkpoint.rejected === rejectionTotal;
  return {
    importId,
    rows,
    vaultEntries,
    rejections,
    lost,
    duplicated,
    unexpected,
    countsAgree,
    lostRows,
    duplicatedRows,
    unexpectedKeys,
    ok: lost === 0 && duplicated === 0 && unexpected === 0 && countsAgree,
  };
}
