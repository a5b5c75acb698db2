import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomFillSync } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { cardSummarySchema } from '../journal/journal-schemas.js';
import { guardJournal } from '../pci/sensitive-data-guard.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { ExpectedVersion, JournalPut, JournalRecord, JournalV1 } from '../ports/journal/v1/journal.js';
import type { KeyProviderV1, WrappedKey } from '../ports/key-provider/v1/key-provider.js';
import { tokenFailureReasons } from '../ports/token-exchange/v1/token-exchange.js';
import { decodeDigitFree, prefixedDigitFreeDigest } from './digit-free-base64.js';
import { TokenVaultError } from './token-errors.js';
import type { TokenMapping } from './token-mapping.js';
import { decodeMapping, encodeMapping } from './token-mapping-codec.js';
import { sealedEnvelopeText } from './vault-envelope-text.js';
import { type VaultAuditAction, type VaultAuditEntry, vaultAuditPut, type VaultAuditResult } from './vault-audit.js';

/** The journal collection of encrypted token mappings. */
export const tokenVaultCollection = 'token-vault';

/** The journal collection holding the vault's wrapped data key. */
export const tokenVaultKeysCollection = 'token-vault-keys';

/** The key of the vault's data key record. */
const dataKeyRecordKey = 'primary';

/** Envelope format version. */
const envelopeVersion = 1;

/** AES-256-GCM: 96-bit IVs (the size GCM is designed for) and 128-bit tags. */
const initializationVectorBytes = 12;
const authenticationTagBytes = 16;

/** IVs drawn per `randomFillSync` call: one system call per 512 mappings instead of one each. */
const initializationVectorPoolSize = 512;

/** How many mappings of one customer a lookup reads at most. */
const maximumMappingsPerCustomer = 100;

/** How many customer index values a vault remembers (see `customerIndexOf`). */
const rememberedCustomerIndexes = 4096;

/** The stored form of the data key. */
interface DataKeyRecord {
  readonly wrapped: WrappedKey;
  readonly createdAt: number;
  readonly rewrappedAt?: number | undefined;
}

const dataKeyRecordSchema = z.object({
  wrapped: z.object({ keyId: z.string().min(1), wrappedKey: z.string().min(1) }),
  createdAt: z.number(),
  rewrappedAt: z.number().optional(),
});

const tokenReferenceSchema = z.object({ provider: z.string().min(1), token: z.string().min(1), customerReference: z.string() });

const tokenMappingSchema: z.ZodType<TokenMapping> = z.object({
  customerId: z.string(),
  source: tokenReferenceSchema,
  target: tokenReferenceSchema.optional(),
  card: cardSummarySchema,
  networkTransactionId: z.string().optional(),
  status: z.enum(['mapped', 'recollect']),
  failureReason: z.enum([...tokenFailureReasons]).optional(),
  failureDetail: z.string().optional(),
  origin: z.enum(['file', 'api', 'delta', 'reverse']),
  importId: z.string().optional(),
  row: z.number().int().positive().optional(),
  verification: z.object({ status: z.enum(['verified', 'failed']), declineReason: z.string().optional(), verifiedAt: z.number() }).optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

/** The envelope stored as a vault record's value: only the ciphertext and non-secret bookkeeping. */
interface Envelope {
  /** Envelope version. */
  readonly v: number;
  /** IV, digit-free base64. */
  readonly iv: string;
  /** Ciphertext followed by the GCM tag, digit-free base64. */
  readonly ct: string;
  /** The file import that wrote it (lets the total-queue check scan without decrypting). */
  readonly im?: string | undefined;
  /** The 1-based row of that file. */
  readonly rw?: number | undefined;
}

/** Who reads, and why: every read is written to the audit log with these. */
export interface VaultAccess {
  /** Who asks (a component name or an operator id). */
  readonly actor: string;
  /** Why (`renewal`, `delta-sync`, `verification`, ...). */
  readonly purpose: string;
}

/** A decrypted mapping with the version to compare-and-set against. */
export interface StoredTokenMapping {
  /** The mapping key (`tv_…`). */
  readonly key: string;
  /** The journal version. */
  readonly version: number;
  /** The mapping. */
  readonly mapping: TokenMapping;
}

/** What the vault knows about a mapping without decrypting it. */
export interface TokenVaultEnvelopeInfo {
  /** The mapping key. */
  readonly key: string;
  /** The journal version. */
  readonly version: number;
  /** The file import that wrote it. */
  readonly importId: string | undefined;
  /** The row of that file. */
  readonly row: number | undefined;
}

/** Options of `TokenVault.open`. */
export interface TokenVaultOptions {
  /** The journal. The vault wraps it with the PCI guard (`guardJournal`): use `vault.journal` for writes. */
  readonly journal: JournalV1;
  /** Wraps the vault's data key (envelope encryption). */
  readonly keyProvider: KeyProviderV1;
  /** Time source of audit entries. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** The origin written to audit entries. @default `${hostname()}#${process.pid}` */
  readonly origin?: string | undefined;
}

/** The outcome of `rotateKeyEncryptionKey`. */
export interface VaultKeyRotation {
  /** The key-encrypting key the data key was wrapped with before. */
  readonly previousKeyId: string;
  /** The key-encrypting key it is wrapped with now. */
  readonly keyId: string;
  /** False when the data key was already wrapped with the active key. */
  readonly rewrapped: boolean;
}

function parseEnvelope(text: string): Envelope | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<Envelope> | null;
    if (parsed === null || typeof parsed !== 'object' || parsed.v !== envelopeVersion || typeof parsed.iv !== 'string' || typeof parsed.ct !== 'string') return undefined;
    return parsed as Envelope;
  } catch {
    return undefined;
  }
}

/**
 * The encrypted token vault (PCI DSS 3.5, 3.6, 10.2).
 *
 * - Envelope encryption: one random 256-bit data key per vault, stored only wrapped by the
 *   `KeyProvider` (record `token-vault-keys/primary`). Each mapping is encrypted with AES-256-GCM
 *   under the data key, a fresh random 96-bit IV, and the mapping's key as additional
 *   authenticated data, so a ciphertext moved to another key does not decrypt.
 * - Lookup without decrypting everything: the mapping key is `tv_` + HMAC-SHA256 of the source
 *   provider and token under an index key derived from the data key (HKDF), and the customer
 *   index is `cu_` + HMAC-SHA256 of the customer id under a second derived key. Neither reveals a
 *   token; both are stable across key-encrypting-key rotations.
 * - Rotation re-wraps the data key under the key provider's active key; no mapping is re-encrypted.
 * - Every read of a mapping writes an audit entry (`vault-audit`) before the mapping is returned:
 *   a read whose audit entry cannot be written fails. Writes are audited per file import run
 *   (`auditPut`, committed with the import's checkpoint), not per mapping written.
 */
export class TokenVault {
  /** The guarded journal: every write through it is scanned for cardholder data first. */
  readonly journal: JournalV1;

  readonly #keyProvider: KeyProviderV1;
  readonly #clock: ClockV1;
  readonly #origin: string;
  readonly #dataKey: Buffer;
  readonly #tokenIndexKey: Buffer;
  readonly #customerIndexKey: Buffer;
  readonly #customerIndexes = new Map<string, string>();
  readonly #ivPool = Buffer.alloc(initializationVectorBytes * initializationVectorPoolSize);
  /** The pool's IVs as views made once (see `#nextInitializationVector`). */
  readonly #initializationVectors = Array.from({ length: initializationVectorPoolSize }, (_, index) =>
    this.#ivPool.subarray(index * initializationVectorBytes, (index + 1) * initializationVectorBytes),
  );
  #ivPosition = initializationVectorPoolSize;

  private constructor(journal: JournalV1, options: TokenVaultOptions, dataKey: Buffer) {
    this.journal = journal;
    this.#keyProvider = options.keyProvider;
    this.#clock = options.clock ?? systemClock;
    this.#origin = options.origin ?? `${hostname()}#${process.pid}`;
    this.#dataKey = dataKey;
    const salt = Buffer.from('paymigrate/token-vault/v1', 'utf8');
    this.#tokenIndexKey = Buffer.from(hkdfSync('sha256', dataKey, salt, 'source-token-index', 32));
    this.#customerIndexKey = Buffer.from(hkdfSync('sha256', dataKey, salt, 'customer-index', 32));
  }

  /**
   * Opens the vault: reads and unwraps its data key, creating it (random, wrapped under the active
   * key) on first use. Concurrent first opens agree on one key (compare-and-set).
   *
   * @throws TokenVaultError `key-missing` when the data key cannot be unwrapped (key retired, tampered wrap).
   */
  static async open(options: TokenVaultOptions): Promise<TokenVault> {
    const journal = guardJournal(options.journal);
    const clock = options.clock ?? systemClock;
    for (;;) {
      const existing = await journal.get(tokenVaultKeysCollection, dataKeyRecordKey);
      if (existing !== undefined) {
        const record = dataKeyRecordSchema.parse(JSON.parse(existing.value));
        return new TokenVault(journal, options, await unwrap(options.keyProvider, record.wrapped));
      }
      const dataKey = randomBytes(32);
      const wrapped = await options.keyProvider.wrapKey({ dataKey });
      const record: DataKeyRecord = { wrapped: { keyId: wrapped.keyId, wrappedKey: wrapped.wrappedKey }, createdAt: clock.now() };
      try {
        await journal.write({ puts: [{ collection: tokenVaultKeysCollection, key: dataKeyRecordKey, value: JSON.stringify(record), expectedVersion: 0 }] });
        return new TokenVault(journal, options, dataKey);
      } catch (error) {
        // Another process created the key first: use theirs.
        /* v8 ignore next -- only a journal failure other than the concurrent creation gets here. */
        if (!VersionConflictError.isInstance(error)) throw error;
      }
    }
  }

  /** The mapping key of a source payment method: `tv_` + keyed hash of provider and token. */
  keyOf(provider: string, token: string): string {
    return prefixedDigitFreeDigest('tv_', createHmac('sha256', this.#tokenIndexKey).update(`${provider}\u0000${token}`, 'utf8').digest());
  }

  /**
   * The customer index value: `cu_` + keyed hash of the merchant's customer id. The last few
   * thousand are remembered: a mapping file lists a customer's cards together, so an import
   * computes each customer's hash once instead of once per card.
   */
  customerIndexOf(customerId: string): string {
    const remembered = this.#customerIndexes.get(customerId);
    if (remembered !== undefined) return remembered;
    const index = prefixedDigitFreeDigest('cu_', createHmac('sha256', this.#customerIndexKey).update(customerId, 'utf8').digest());
    if (this.#customerIndexes.size >= rememberedCustomerIndexes) this.#customerIndexes.clear();
    this.#customerIndexes.set(customerId, index);
    return index;
  }

  /**
   * Builds the encrypted write of a mapping (for an atomic batch): AES-256-GCM under the data key,
   * a fresh random IV, the mapping key as AAD. `importId` and `row` go into the envelope in clear
   * (they are not card data) so the total-queue check can account for rows without decrypting.
   * `key` saves recomputing the mapping key when the caller has it.
   */
  seal(mapping: TokenMapping, expectedVersion: ExpectedVersion, key = this.keyOf(mapping.source.provider, mapping.source.token)): JournalPut {
    const iv = this.#nextInitializationVector();
    const cipher = createCipheriv('aes-256-gcm', this.#dataKey, iv, { authTagLength: authenticationTagBytes });
    cipher.setAAD(Buffer.from(key, 'utf8'));
    const body = cipher.update(encodeMapping(mapping), 'utf8');
    const rest = cipher.final();
    // The envelope `{ v, iv, ct, im, rw }` as JSON text, ct = body + rest + tag, without an
    // intermediate object, concatenated ciphertext or encoded strings.
    const value = sealedEnvelopeText(envelopeVersion, iv, body, rest, cipher.getAuthTag(), mapping.importId, mapping.row);
    return { collection: tokenVaultCollection, key, value, index: this.customerIndexOf(mapping.customerId), expectedVersion };
  }

  /**
   * Reads envelopes without decrypting (and so without an audit entry: no card-related data is
   * revealed): which keys exist, at which version, written by which import and row.
   */
  async peek(keys: readonly string[]): Promise<Map<string, TokenVaultEnvelopeInfo>> {
    const found = new Map<string, TokenVaultEnvelopeInfo>();
    if (keys.length === 0) return found;
    for (const record of await this.journal.getMany(tokenVaultCollection, keys)) {
      found.set(record.key, envelopeInfo(record));
    }
    return found;
  }

  /** Reads and decrypts the mapping of a source payment method (audited). */
  async read(provider: string, token: string, access: VaultAccess): Promise<StoredTokenMapping | undefined> {
    return this.readByKey(this.keyOf(provider, token), access);
  }

  /** Reads and decrypts a mapping by its key (audited). */
  async readByKey(key: string, access: VaultAccess): Promise<StoredTokenMapping | undefined> {
    const record = await this.journal.get(tokenVaultCollection, key);
    if (record === undefined) {
      await this.#audit([this.#entry(access, 'read', key, 'not_found')]);
      return undefined;
    }
    const stored = this.#open(record, access);
    await this.#audit([this.#entry(access, 'read', key, 'found')]);
    return stored;
  }

  /**
   * Reads every mapping of a customer (at most 100), through the customer index: no other mapping
   * is decrypted. One audit entry per mapping read, one for the lookup itself.
   */
  async readCustomer(customerId: string, access: VaultAccess): Promise<StoredTokenMapping[]> {
    const index = this.customerIndexOf(customerId);
    const records = await this.journal.list(tokenVaultCollection, { index, limit: maximumMappingsPerCustomer });
    const stored = records.map((record) => this.#open(record, access));
    await this.#audit([
      { ...this.#entry(access, 'list-customer', index, stored.length === 0 ? 'not_found' : 'found'), count: stored.length },
      ...stored.map((entry) => this.#entry(access, 'read', entry.key, 'found')),
    ]);
    return stored;
  }

  /** Decrypts records the caller already read (e.g. a page of a scan), writing their audit entries. */
  async openRecords(records: readonly JournalRecord[], access: VaultAccess): Promise<StoredTokenMapping[]> {
    const stored = records.map((record) => this.#open(record, access));
    if (stored.length > 0) await this.#audit(stored.map((entry) => this.#entry(access, 'read', entry.key, 'found')));
    return stored;
  }

  /**
   * Re-wraps the data key under the key provider's active key-encrypting key (PCI DSS 3.6.1.2
   * cryptoperiods). Mappings are not touched: they stay encrypted under the same data key, which
   * is what makes rotation cheap. Old wraps keep working until the old key is retired.
   */
  async rotateKeyEncryptionKey(access: VaultAccess): Promise<VaultKeyRotation> {
    for (;;) {
      const existing = await this.journal.get(tokenVaultKeysCollection, dataKeyRecordKey);
      /* v8 ignore next 3 -- `open` created the record; only someone deleting it by hand gets here. */
      if (existing === undefined) {
        throw new TokenVaultError({ problem: 'key-missing', message: 'The vault data key record disappeared; restore it from backup.' });
      }
      const record = dataKeyRecordSchema.parse(JSON.parse(existing.value));
      const activeKeyId = await this.#keyProvider.activeKeyId();
      if (record.wrapped.keyId === activeKeyId) {
        await this.#audit([this.#entry(access, 'rotate-key', tokenVaultKeysCollection, 'unchanged')]);
        return { previousKeyId: activeKeyId, keyId: activeKeyId, rewrapped: false };
      }
      const dataKey = await unwrap(this.#keyProvider, record.wrapped);
      const wrapped = await this.#keyProvider.wrapKey({ dataKey, keyId: activeKeyId });
      const next: DataKeyRecord = { ...record, wrapped: { keyId: wrapped.keyId, wrappedKey: wrapped.wrappedKey }, rewrappedAt: this.#clock.now() };
      try {
        await this.journal.write({
          puts: [
            { collection: tokenVaultKeysCollection, key: dataKeyRecordKey, value: JSON.stringify(next), expectedVersion: existing.version },
            vaultAuditPut(this.#entry(access, 'rotate-key', tokenVaultKeysCollection, 'rotated')),
          ],
        });
        return { previousKeyId: record.wrapped.keyId, keyId: wrapped.keyId, rewrapped: true };
      } catch (error) {
        /* v8 ignore next -- only a journal failure other than a concurrent rotation gets here. */
        if (!VersionConflictError.isInstance(error)) throw error;
      }
    }
  }

  /**
   * The write of one audit entry, for a caller to commit atomically with its own writes (a file
   * import audits its start and its completion in the batches that carry its checkpoint).
   */
  auditPut(access: VaultAccess, action: VaultAuditAction, resource: string, result: VaultAuditResult): JournalPut {
    return vaultAuditPut(this.#entry(access, action, resource, result));
  }

  /** The id of the key-encrypting key the data key is wrapped with now. */
  async wrappingKeyId(): Promise<string> {
    const existing = (await this.journal.get(tokenVaultKeysCollection, dataKeyRecordKey)) as JournalRecord;
    return dataKeyRecordSchema.parse(JSON.parse(existing.value)).wrapped.keyId;
  }

  #open(record: JournalRecord, access: VaultAccess): StoredTokenMapping {
    const envelope = parseEnvelope(record.value);
    const iv = envelope === undefined ? undefined : decodeDigitFree(envelope.iv);
    const sealed = envelope === undefined ? undefined : decodeDigitFree(envelope.ct);
    if (iv === undefined || sealed === undefined || iv.length !== initializationVectorBytes || sealed.length < authenticationTagBytes) {
      throw this.#unreadable(record.key, access, undefined);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#dataKey, iv, { authTagLength: authenticationTagBytes });
      decipher.setAAD(Buffer.from(record.key, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - authenticationTagBytes));
      const plaintext = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - authenticationTagBytes)), decipher.final()]).toString('utf8');
      return { key: record.key, version: record.version, mapping: tokenMappingSchema.parse(decodeMapping(plaintext)) };
    } catch (error) {
      throw this.#unreadable(record.key, access, error);
    }
  }

  #unreadable(key: string, access: VaultAccess, cause: unknown): TokenVaultError {
    // Best effort: the failed read is audited too, without waiting for it (the error is what matters).
    void this.#audit([this.#entry(access, 'read', key, 'error')]).catch(() => undefined);
    return new TokenVaultError({
      problem: 'record-unreadable',
      message: `Vault record '${key}' does not decrypt: its authentication tag does not verify (tampered, or copied from another key). Treat it as a security incident.`,
      cause,
    });
  }

  #entry(access: VaultAccess, action: VaultAuditAction, resource: string, result: VaultAuditResult): VaultAuditEntry {
    return { actor: access.actor, action, resource, purpose: access.purpose, at: this.#clock.now(), result, origin: this.#origin };
  }

  async #audit(entries: readonly VaultAuditEntry[]): Promise<void> {
    try {
      await this.journal.write({ puts: entries.map((entry) => vaultAuditPut(entry)) });
    } catch (error) {
      throw new TokenVaultError({ problem: 'audit-failed', message: 'The vault audit entry could not be written, so the mapping was not returned (PCI DSS 10.2).', cause: error });
    }
  }

  #nextInitializationVector(): Buffer {
    if (this.#ivPosition >= this.#initializationVectors.length) {
      randomFillSync(this.#ivPool);
      this.#ivPosition = 0;
    }
    // A view into the pool, not a copy: the cipher copies the IV when it is created and the
    // envelope encodes it at once, both before the pool is refilled (`seal` is synchronous).
    const iv = this.#initializationVectors[this.#ivPosition] as Buffer;
    this.#ivPosition += 1;
    return iv;
  }
}

/** Envelope bookkeeping of a vault record. */
export function envelopeInfo(record: JournalRecord): TokenVaultEnvelopeInfo {
  const envelope = parseEnvelope(record.value);
  return { key: record.key, version: record.version, importId: envelope?.im, row: envelope?.rw };
}

async function unwrap(keyProvider: KeyProviderV1, wrapped: WrappedKey): Promise<Buffer> {
  try {
    return Buffer.from(await keyProvider.unwrapKey(wrapped));
  } catch (error) {
    throw new TokenVaultError({
      problem: 'key-missing',
      message: `The vault data key cannot be unwrapped with key '${wrapped.keyId}' (retired, unknown to this key provider, or the wrap was altered).`,
      cause: error,
    });
  }
}
