import { randomBytes } from 'node:crypto';
import type { JournalPut } from '../ports/journal/v1/journal.js';

/** The journal collection of vault audit entries (PCI DSS 10.2). */
export const vaultAuditCollection = 'vault-audit';

/**
 * What was done to the vault. `import-file` is a mapping-file import writing mappings: one entry
 * when a run starts (or resumes) and one when the import completes, each in the same atomic write
 * as the import's checkpoint. Its rows are not audited one by one: they are writes, not reads, and
 * the checkpoint, the rejections and the total-queue check account for every row.
 */
export type VaultAuditAction = 'read' | 'list-customer' | 'rotate-key' | 'import-file';

/** How it ended (`started` and `completed` are an import's). */
export type VaultAuditResult = 'found' | 'not_found' | 'error' | 'rotated' | 'unchanged' | 'started' | 'completed';

/**
 * One access to card-related data: who, what, when, result, origin (PCI DSS 10.2). The resource is
 * the mapping's key (a keyed hash), never a token or card data.
 */
export interface VaultAuditEntry {
  /** Who: the component or user that asked (`token-locator`, `delta-sync`, an operator id). */
  readonly actor: string;
  /** What was done. */
  readonly action: VaultAuditAction;
  /** The mapping key (`tv_…`), the customer index (`cu_…`) or the key record read. */
  readonly resource: string;
  /** Why it was read (`renewal`, `reverse-sync`, ...). */
  readonly purpose: string;
  /** When, epoch milliseconds. */
  readonly at: number;
  /** How it ended. */
  readonly result: VaultAuditResult;
  /** Where the request came from: host and process of the reader. */
  readonly origin: string;
  /** Number of mappings returned (for a customer listing). */
  readonly count?: number | undefined;
}

/** Entries written by this process so far: orders entries of the same millisecond. */
let sequence = 0;

/**
 * The audit key: time-ordered (base 36 milliseconds, fixed width), then this process's sequence,
 * then random (so keys of two processes never collide).
 */
export function vaultAuditKey(at: number): string {
  sequence += 1;
  return `a_${at.toString(36).padStart(10, '0')}_${sequence.toString(36).padStart(8, '0')}_${randomBytes(6).toString('base64url').replaceAll(/[0-9]/g, 'x')}`;
}

/** The journal write of one audit entry. */
export function vaultAuditPut(entry: VaultAuditEntry): JournalPut {
  return { collection: vaultAuditCollection, key: vaultAuditKey(entry.at), value: JSON.stringify(entry), index: entry.action, expectedVersion: 0 };
}
