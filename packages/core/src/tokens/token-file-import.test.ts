import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InMemoryKeyProvider, ManualClock } from '@paymigrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';
import { DiscardingJournal } from './__fixtures__/discarding-journal.js';
import {
  bytesOf,
  createTokenTestBed,
  encryptFile,
  generatePgpParties,
  genericCsv,
  genericHeader,
  genericRow,
  type PgpParties,
  testCardNumber,
  testCardNumberSpaced,
} from './__fixtures__/token-fixtures.js';
import { mappingFileFromPath, openPgpMappingFile, openPlainMappingFile } from './mapping-file-source.js';
import { MappingFileSignatureError, TokenImportBusyError, TokenImportFileMismatchError } from './token-errors.js';
import { tokenImportRejectionsCollection, tokenImportsCollection } from './token-import-checkpoint.js';
import { createTokenMigrationEngine } from './token-migration-engine.js';
import { recollectCardTopic, tokenRecollectionCollection } from './token-recollection.js';
import { tokenVaultCollection } from './token-vault.js';

let parties: PgpParties;
let directory: string;

beforeAll(async () => {
  parties = await generatePgpParties();
  directory = await mkdtemp(join(tmpdir(), 'paymigrate-tokens-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const keys = (): { decryptionKey: typeof parties.receiver.privateKey; verificationKeys: (typeof parties.sender.publicKey)[] } => ({
  decryptionKey: parties.receiver.privateKey,
  verificationKeys: [parties.sender.publicKey],
});

/** A file with one row of every outcome. */
function mixedRows(): string {
  const rows = [
    genericRow(1),
    genericRow(2),
    genericRow(3, { target_customer_id: `cus ${testCardNumber}` }), // 3: card number in a row
    genericRow(4, { source_token: 'card_old_1' }), // 4: duplicate of row 1
    genericRow(5, { exp_year: '2024' }), // 5: expired
    genericRow(6, { brand: 'Discover' }), // 6: brand not accepted
    genericRow(7, { target_token: '', failure_reason: 'not_found_at_source' }), // 7: provider failure
    genericRow(8, { target_customer_id: '' }), // 8: unknown customer
    genericRow(9, { last4: '12' }), // 9: invalid card data
    genericRow(10, { source_token: '' }), // 10: no source token
    genericRow(11, { network_transaction_id: `cvv: 123` }), // 11: security code
    genericRow(12, { fingerprint: testCardNumberSpaced }), // 12: spaced card number
  ];
  const csv = genericCsv(rows);
  // 13: a record with too few fields.
  return `${csv}cus_old_13,card_old_13\n`;
}

describe('mapping-file import', () => {
  it('imports a signed, encrypted file: every row mapped, re-collected or rejected with its row number', async () => {
    const bed = await createTokenTestBed({ supportedBrands: ['visa', 'mastercard', 'amex'] });
    const file = await openPgpMappingFile(bytesOf(await encryptFile(mixedRows(), parties.receiver.publicKey, parties.sender.privateKey)), keys());
    const report = await bed.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 4 });
    expect(report).toMatchObject({ status: 'completed', rows: 13, mapped: 2, recollect: 4, rejected: 7, resumedAfterRow: 0, batches: 4 });
    expect(report.failures).toEqual({
      amex: { expired: 1, sensitive_data: 1, unknown_customer: 1 },
      discover: { brand_not_supported: 1 },
      mastercard: { duplicate: 1, invalid_data: 1, not_found_at_source: 1 },
      unknown: { invalid_data: 1 },
      visa: { invalid_data: 1, sensitive_data: 2 },
    });
    const rejections = await bed.engine.listRejections(report.importId);
    expect(rejections.map((rejection) => [rejection.row, rejection.reason])).toEqual([
      [3, 'sensitive_data'],
      [4, 'duplicate'],
      [9, 'invalid_data'],
      [10, 'invalid_data'],
      [11, 'sensitive_data'],
      [12, 'sensitive_data'],
      [13, 'invalid_data'],
    ]);
    expect(rejections[1]?.detail).toBe('the source token was already imported at row 1');
    expect(rejections[0]?.detail).toContain('primary-account-number');
    expect(await bed.engine.listRejections(report.importId, { afterRow: 11, limit: 1 })).toHaveLength(1);
    // Nothing the engine wrote holds the card number, in any form.
    for (const collection of [tokenVaultCollection, tokenImportRejectionsCollection, tokenImportsCollection, tokenRecollectionCollection]) {
      for (const record of await bed.journal.list(collection, { limit: 100 })) {
        expect(findSensitiveDataInText(`${record.key} ${record.index ?? ''} ${record.value}`)).toEqual([]);
      }
    }
    // The mapped cards carry the card summary, the customer link and the network transaction id.
    const stored = await bed.engine.vault.read('braintree', 'card_old_1', { actor: 'test', purpose: 'check' });
    expect(stored?.mapping).toMatchObject({
      customerId: 'cus_old_1',
      source: { provider: 'braintree', token: 'card_old_1', customerReference: 'cus_old_1' },
      target: { provider: 'stripe', token: 'pm_new_1', customerReference: 'cus_new_1' },
      card: { brand: 'mastercard', last4: '1001', expiryMonth: 2, expiryYear: 2030, fingerprint: 'fp_1' },
      networkTransactionId: 'ntid_1',
      status: 'mapped',
      origin: 'file',
      importId: report.importId,
      row: 1,
    });
    // Re-collections: a record and an outbox message each, without card data.
    expect(await bed.journal.count(tokenRecollectionCollection)).toBe(4);
    expect(await bed.journal.pendingOutboxCount({ topics: [recollectCardTopic] })).toBe(4);
    const messages = await bed.journal.claimOutbox({ owner: 'test', leaseMs: 1000, limit: 10 });
    expect(JSON.parse(messages[0]?.payload ?? '{}')).toMatchObject({ type: 'token.recollect-card', customerId: 'cus_old_5', card: { brand: 'amex' }, reason: 'expired', chargeableAt: 'braintree' });
    // The total-queue check agrees.
    const check = await bed.engine.checkImport({ file, format: 'generic-csv' });
    expect(check).toMatchObject({ ok: true, rows: 13, vaultEntries: 6, rejections: 7, lost: 0, duplicated: 0, unexpected: 0, countsAgree: true });
  });

  it('imports nothing from an unsigned or wrongly signed file', async () => {
    const bed = await createTokenTestBed();
    for (const signer of [undefined, parties.stranger.privateKey]) {
      const encrypted = await encryptFile(mixedRows(), parties.receiver.publicKey, signer);
      const error = await openPgpMappingFile(bytesOf(encrypted), keys()).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(MappingFileSignatureError.isInstance(error)).toBe(true);
    }
    expect(await bed.journal.count(tokenVaultCollection)).toBe(0);
    expect(await bed.journal.count(tokenImportsCollection)).toBe(0);
  });

  it('imports Stripe JSON and Adyen CSV mapping files', async () => {
    const bed = await createTokenTestBed();
    const stripe = JSON.stringify({
      customers: {
        cus_a: { id: 'cus_new_a', cards: { card_a1: { id: 'pm_a1', brand: 'Visa', last4: '4242', exp_month: 1, exp_year: 2031, network_transaction_id: 'nt_a1' } } },
        cus_b: { error: 'not imported', cards: { card_b1: { brand: 'Visa', last4: '1111', exp_month: 1, exp_year: 2031 } } },
      },
    });
    const stripeFile = await openPgpMappingFile(bytesOf(await encryptFile(stripe, parties.receiver.publicKey, parties.sender.privateKey)), keys());
    const stripeReport = await bed.engine.importMappingFile({ file: stripeFile, format: 'stripe-json' });
    expect(stripeReport).toMatchObject({ rows: 2, mapped: 1, recollect: 1, rejected: 0, failures: { visa: { unknown_customer: 1 } } });
    const adyen = 'ShopperReference,EchoData,RecurringDetailReference,Result,Variant,CardSummary,ExpiryMonth,ExpiryYear\nshopper-1,tok_1,8415,Success,mc,4444,3,2031\n';
    const adyenFile = await openPlainMappingFile(bytesOf(adyen));
    const adyenReport = await bed.engine.importMappingFile({ file: adyenFile, format: 'adyen-csv' });
    expect(adyenReport).toMatchObject({ rows: 1, mapped: 1 });
    expect((await bed.engine.checkImport({ file: adyenFile, format: 'adyen-csv' })).ok).toBe(true);
  });

  it('streams a 200,000-row file with bounded heap growth', async () => {
    const rows = 200_000;
    async function* lines(): AsyncGenerator<string> {
      yield `${genericHeader}\n`;
      let chunk = '';
      for (let index = 1; index <= rows; index += 1) {
        chunk += `cus_old_${index},card_old_${index},cus_new_${index},pm_new_${index},visa,4242,12,2030,fp_${index},ntid_${index},\n`;
        if (chunk.length > 64 * 1024) {
          yield chunk;
          chunk = '';
        }
      }
      yield chunk;
    }
    const path = join(directory, 'large.csv.pgp');
    await writeFile(path, await encryptFile(lines(), parties.receiver.publicKey, parties.sender.privateKey));
    const journal = new DiscardingJournal(['token-imports', 'token-vault-keys']);
    const engine = await createTokenMigrationEngine({
      journal,
      keyProvider: new InMemoryKeyProvider(),
      sourceProvider: 'braintree',
      targetProvider: 'stripe',
      clock: new ManualClock(),
      logger: createLogger({ level: 'silent' }),
    });
    const file = await openPgpMappingFile(mappingFileFromPath(path), keys());
    // Retained heap after a full collection, sampled every 10 batches: what the import holds on to.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    collect();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const report = await engine.importMappingFile({
      file,
      format: 'generic-csv',
      onBatch: (checkpoint) => {
        if (checkpoint.batchesCommitted % 10 !== 0) return;
        collect();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    });
    expect(report).toMatchObject({ rows, mapped: rows, rejected: 0 });
    expect(journal.written.get(tokenVaultCollection)).toBe(rows);
    // The file is about 16 MB of text (32 MB as a JS string), and 200,000 parsed rows would be
    // hundreds of MB: the bound catches either being held.
    expect(peak - baseline).toBeLessThan(24 * 1024 * 1024);
  }, 120_000);

  it('stops on its signal and resumes after the last committed batch, ending as an uninterrupted run would', async () => {
    const text = genericCsv(Array.from({ length: 50 }, (_, index) => genericRow(index + 1, index === 30 ? { source_token: 'card_old_3' } : {})));
    const file = await openPlainMappingFile(bytesOf(text));
    const uninterrupted = await createTokenTestBed();
    const expected = await uninterrupted.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 7 });

    const bed = await createTokenTestBed();
    const controller = new AbortController();
    const first = await bed.engine.importMappingFile({
      file,
      format: 'generic-csv',
      batchSize: 7,
      owner: 'worker-1',
      signal: controller.signal,
      onBatch: (checkpoint) => {
        if (checkpoint.batchesCommitted === 3) controller.abort();
      },
    });
    expect(first).toMatchObject({ status: 'running', rows: 21, batches: 3 });
    const second = await bed.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 7, owner: 'worker-1' });
    expect(second).toMatchObject({ status: 'completed', resumedAfterRow: 21, rows: 50, mapped: expected.mapped, rejected: expected.rejected, failures: expected.failures });
    const decrypt = async (engine: typeof bed.engine, journal: typeof bed.journal): Promise<unknown[]> => {
      const records = await journal.list(tokenVaultCollection, { limit: 1000 });
      const opened = await engine.vault.openRecords(records, { actor: 'test', purpose: 'compare' });
      return opened.map((entry) => ({ ...entry.mapping, createdAt: 0, updatedAt: 0 })).sort((left, right) => (left.row ?? 0) - (right.row ?? 0));
    };
    expect(await decrypt(bed.engine, bed.journal)).toEqual(await decrypt(uninterrupted.engine, uninterrupted.journal));
    expect((await bed.engine.checkImport({ file, format: 'generic-csv' })).ok).toBe(true);
    // A completed import run again changes nothing.
    const third = await bed.engine.importMappingFile({ file, format: 'generic-csv' });
    expect(third).toMatchObject({ status: 'completed', batches: 0, rows: 50 });
    expect(await bed.engine.importStatus('nope')).toBeUndefined();
    expect((await bed.engine.importStatus(second.importId))?.status).toBe('completed');
  });

  it('stops on a signal fired by the last full batch, and a resume then only completes the import', async () => {
    const file = await openPlainMappingFile(bytesOf(genericCsv(Array.from({ length: 14 }, (_, index) => genericRow(index + 1)))));
    const bed = await createTokenTestBed();
    const controller = new AbortController();
    const first = await bed.engine.importMappingFile({
      file,
      format: 'generic-csv',
      batchSize: 7,
      owner: 'worker-1',
      signal: controller.signal,
      onBatch: (checkpoint) => {
        if (checkpoint.batchesCommitted === 2) controller.abort();
      },
    });
    // The file ended while its second batch was committing: nothing is left, but the import was asked to stop.
    expect(first).toMatchObject({ status: 'running', rows: 14, mapped: 14, batches: 2 });
    const second = await bed.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 7, owner: 'worker-1' });
    expect(second).toMatchObject({ status: 'completed', resumedAfterRow: 14, rows: 14, mapped: 14, batches: 0 });
    expect((await bed.engine.checkImport({ file, format: 'generic-csv' })).ok).toBe(true);
  });

  it('lets one worker at a time run an import, and another take over an expired lease', async () => {
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv(Array.from({ length: 10 }, (_, index) => genericRow(index + 1)))));
    const controller = new AbortController();
    controller.abort();
    await bed.engine.importMappingFile({ file, format: 'generic-csv', batchSize: 2, owner: 'worker-1', leaseMs: 5000, signal: controller.signal });
    const busy = await bed.engine.importMappingFile({ file, format: 'generic-csv', owner: 'worker-2' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(TokenImportBusyError.isInstance(busy)).toBe(true);
    await bed.clock.advance(5001);
    expect(await bed.engine.importMappingFile({ file, format: 'generic-csv', owner: 'worker-2' })).toMatchObject({ status: 'completed', resumedAfterRow: 2, rows: 10 });
  });

  it('stops a worker whose lease was taken over while it ran', async () => {
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv(Array.from({ length: 10 }, (_, index) => genericRow(index + 1)))));
    let tookOver = false;
    const error = await bed.engine
      .importMappingFile({
        file,
        format: 'generic-csv',
        batchSize: 2,
        owner: 'worker-1',
        onBatch: () => {
          if (tookOver) return;
          tookOver = true;
          void bed.journal.get(tokenImportsCollection, 'x');
        },
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeUndefined();
    // Simulate a takeover: another owner rewrites the checkpoint between two batches.
    const other = await createTokenTestBed();
    const otherFile = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1), genericRow(2), genericRow(3)])));
    const stolen = await other.engine
      .importMappingFile({
        file: otherFile,
        format: 'generic-csv',
        batchSize: 1,
        owner: 'worker-1',
        onBatch: (checkpoint) => {
          void other.journal.write({
            puts: [
              {
                collection: tokenImportsCollection,
                key: checkpoint.importId,
                value: JSON.stringify({ ...checkpoint, owner: 'worker-2', leaseExpiresAt: other.clock.now() + 60_000 }),
                index: 'running',
                expectedVersion: 'any',
              },
            ],
          });
        },
      })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(TokenImportBusyError.isInstance(stolen) && stolen.leaseExpiresAt).toBe(other.clock.now() + 60_000);
  });

  it('refuses to resume an import id with another file', async () => {
    const bed = await createTokenTestBed();
    const first = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1)])));
    const second = await openPlainMappingFile(bytesOf(genericCsv([genericRow(2)])));
    await bed.engine.importMappingFile({ file: first, format: 'generic-csv', importId: 'bulk-1' });
    const error = await bed.engine.importMappingFile({ file: second, format: 'generic-csv', importId: 'bulk-1' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(TokenImportFileMismatchError.isInstance(error) && error.importId).toBe('bulk-1');
  });

  it('marks tokens already in the vault from another import as duplicates', async () => {
    const bed = await createTokenTestBed();
    await bed.engine.importMappingFile({ file: await openPlainMappingFile(bytesOf(genericCsv([genericRow(1)]))), format: 'generic-csv', importId: 'first' });
    const report = await bed.engine.importMappingFile({ file: await openPlainMappingFile(bytesOf(genericCsv([genericRow(1), genericRow(2)]))), format: 'generic-csv', importId: 'second' });
    expect(report).toMatchObject({ mapped: 1, rejected: 1 });
    expect((await bed.engine.listRejections('second'))[0]?.detail).toBe('the source token was already imported at import first row 1');
  });
});

describe('total-queue check', () => {
  it('reports lost, duplicated and unexpected outcomes and disagreeing counts', async () => {
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1), genericRow(2), genericRow(3, { last4: 'x' })]), 16));
    const report = await bed.engine.importMappingFile({ file, format: 'generic-csv', importId: 'imp' });
    const keyOf = (token: string): string => bed.engine.vault.keyOf('braintree', token);
    // Lose row 1's vault entry, give row 3 a vault entry besides its rejection, invent row 99.
    const row1 = await bed.journal.get(tokenVaultCollection, keyOf('card_old_1'));
    await bed.journal.write({ deletes: [{ collection: tokenVaultCollection, key: keyOf('card_old_1'), expectedVersion: 'any' }] });
    await bed.journal.write({
      puts: [
        { collection: tokenVaultCollection, key: keyOf('card_old_3'), value: JSON.stringify({ v: 1, iv: 'x', ct: 'y', im: 'imp', rw: 3 }), expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_invented', value: JSON.stringify({ v: 1, iv: 'x', ct: 'y', im: 'imp', rw: 99 }), expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_no_row', value: JSON.stringify({ v: 1, iv: 'x', ct: 'y', im: 'imp' }), expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_garbage', value: 'not json', expectedVersion: 0 },
        { collection: tokenImportRejectionsCollection, key: 'imp:0000000077', value: '{}', index: 'imp', expectedVersion: 0 },
      ],
    });
    expect(row1).toBeDefined();
    const check = await bed.engine.checkImport({ file, format: 'generic-csv', importId: report.importId });
    expect(check).toMatchObject({ ok: false, rows: 3, lost: 1, lostRows: [1], duplicated: 1, duplicatedRows: [3], unexpected: 3, countsAgree: false });
    expect(check.unexpectedKeys).toEqual(expect.arrayContaining(['tv_invented', 'tv_no_row', 'imp:0000000077']));
    const missing = await bed.engine.checkImport({ file, format: 'generic-csv', importId: 'never-ran' });
    expect(missing).toMatchObject({ ok: false, lost: 3, countsAgree: false });
  });
});
