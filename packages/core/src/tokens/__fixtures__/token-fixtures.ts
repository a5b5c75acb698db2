import { InMemoryJournal, InMemoryKeyProvider, ManualClock } from '@paymigrate/testkit';
import * as openpgp from 'openpgp';
import { Readable } from 'node:stream';
import type { MappingFileRow } from '../formats/mapping-file-row.js';
import type { MappingFileBytes } from '../mapping-file-source.js';
import { createLogger } from '../../observability/logger.js';
import { createTokenMigrationEngine, type TokenMigrationEngine } from '../token-migration-engine.js';
import type { TokenMigrationEngineOptions } from '../token-migration-options.js';

/** A parsed mapping-file row of a valid Visa card, with `overrides` applied (row classification tests). */
export function mappingRow(overrides: Partial<MappingFileRow> = {}): MappingFileRow {
  return {
    row: 1,
    fields: {},
    sourceToken: 'tok_1',
    sourceCustomerReference: 'cus_1',
    targetToken: 'pm_1',
    targetCustomerReference: 'cus_new_1',
    brand: 'visa',
    last4: '4242',
    expiryMonth: '12',
    expiryYear: '2030',
    ...overrides,
  };
}

/** A Visa test card number (Luhn-valid): the PCI tests seed it and look for it everywhere. */
export const testCardNumber = '4242424242424242';
/** A Mastercard test card number with separators. */
export const testCardNumberSpaced = '5555 5555 5555 4444';

/** One row of the generic CSV. */
export interface GenericCsvRow {
  readonly source_customer_id: string;
  readonly source_token: string;
  readonly target_customer_id: string;
  readonly target_token: string;
  readonly brand: string;
  readonly last4: string;
  readonly exp_month: string;
  readonly exp_year: string;
  readonly fingerprint?: string;
  readonly network_transaction_id?: string;
  readonly failure_reason?: string;
}

export const genericHeader = 'source_customer_id,source_token,target_customer_id,target_token,brand,last4,exp_month,exp_year,fingerprint,network_transaction_id,failure_reason';

/** A valid generic CSV row for index `index`. */
export function genericRow(index: number, overrides: Partial<GenericCsvRow> = {}): GenericCsvRow {
  return {
    source_customer_id: `cus_old_${index}`,
    source_token: `card_old_${index}`,
    target_customer_id: `cus_new_${index}`,
    target_token: `pm_new_${index}`,
    brand: ['Visa', 'MasterCard', 'American Express'][index % 3] as string,
    last4: String(1000 + (index % 9000)),
    exp_month: String(1 + (index % 12)),
    exp_year: '2030',
    fingerprint: `fp_${index}`,
    network_transaction_id: `ntid_${index}`,
    ...overrides,
  };
}

function csvField(value: string | undefined): string {
  if (value === undefined) return '';
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A generic CSV document. */
export function genericCsv(rows: readonly GenericCsvRow[]): string {
  const lines = rows.map((row) =>
    [row.source_customer_id, row.source_token, row.target_customer_id, row.target_token, row.brand, row.last4, row.exp_month, row.exp_year, row.fingerprint, row.network_transaction_id, row.failure_reason]
      .map(csvField)
      .join(','),
  );
  return `${genericHeader}\n${lines.join('\n')}\n`;
}

/** Bytes of a file held in memory, re-readable, in chunks of `chunkSize`. */
export function bytesOf(content: string | Uint8Array, chunkSize = 4096): MappingFileBytes {
  const buffer = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return () =>
    Readable.from(
      (function* chunks() {
        for (let offset = 0; offset < buffer.length; offset += chunkSize) yield buffer.subarray(offset, offset + chunkSize);
      })(),
    );
}

/** PGP key pairs for a sender and a receiver (AEAD-capable, so files stream). */
export interface PgpKeyPair {
  readonly privateKey: openpgp.PrivateKey;
  readonly publicKey: openpgp.PublicKey;
}

export interface PgpParties {
  readonly sender: PgpKeyPair;
  readonly receiver: PgpKeyPair;
  readonly stranger: PgpKeyPair;
}

export async function generatePgpParties(): Promise<PgpParties> {
  const generate = async (name: string): Promise<PgpKeyPair> =>
    openpgp.generateKey({ type: 'curve25519', userIDs: [{ name }], format: 'object', config: { aeadProtect: true } });
  const [sender, receiver, stranger] = await Promise.all([generate('old processor'), generate('merchant'), generate('stranger')]);
  return { sender, receiver, stranger };
}

/** Encrypts `text` to `receiver`, signed by `signer` (unsigned when `signer` is undefined). */
export async function encryptFile(
  text: string | AsyncIterable<string>,
  receiver: openpgp.PublicKey,
  signer: openpgp.PrivateKey | undefined,
  options: { readonly armored?: boolean; readonly sessionKey?: openpgp.SessionKey | undefined } = {},
): Promise<Buffer> {
  // Binary literal data, as senders' tools encrypt files (text mode would rewrite line endings).
  const input =
    typeof text === 'string'
      ? new TextEncoder().encode(text)
      : (Readable.toWeb(Readable.from((async function* encode() { for await (const part of text) yield Buffer.from(part, 'utf8'); })())) as unknown as ReadableStream<Uint8Array>);
  const message = await openpgp.createMessage({ binary: input as Uint8Array });
  const encrypted: unknown =
    options.armored === true
      ? await openpgp.encrypt({ message, encryptionKeys: receiver, signingKeys: signer, config: { aeadProtect: true }, sessionKey: options.sessionKey })
      : await openpgp.encrypt({ message, encryptionKeys: receiver, signingKeys: signer, format: 'binary', config: { aeadProtect: true }, sessionKey: options.sessionKey });
  if (typeof encrypted === 'string') return Buffer.from(encrypted, 'utf8');
  if (encrypted instanceof Uint8Array) return Buffer.from(encrypted);
  const chunks: Buffer[] = [];
  for await (const chunk of encrypted as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Reads every chunk of an async iterable into a string. */
export async function collectText(chunks: AsyncIterable<Uint8Array | string>): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of chunks) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** A test bed: an in-memory journal, key provider and manual clock, and an engine on them. */
export interface TokenTestBed {
  readonly clock: ManualClock;
  readonly journal: InMemoryJournal;
  readonly keys: InMemoryKeyProvider;
  readonly engine: TokenMigrationEngine;
}

export async function createTokenTestBed(overrides: Partial<TokenMigrationEngineOptions> = {}): Promise<TokenTestBed> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const journal = (overrides.journal as InMemoryJournal | undefined) ?? new InMemoryJournal({ clock });
  if (overrides.journal === undefined) await journal.open();
  const keys = (overrides.keyProvider as InMemoryKeyProvider | undefined) ?? new InMemoryKeyProvider();
  const engine = await createTokenMigrationEngine({
    journal,
    keyProvider: keys,
    sourceProvider: 'braintree',
    targetProvider: 'stripe',
    clock,
    auditOrigin: 'test-host#1',
    logger: createLogger({ level: 'silent' }),
    ...overrides,
  });
  return { clock, journal, keys, engine };
}
