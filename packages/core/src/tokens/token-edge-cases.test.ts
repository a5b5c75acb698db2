import { InMemoryJournal, InMemoryTokenExchange } from '@paymigrate/testkit';
import * as openpgp from 'openpgp';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import type { TokenExchangeV1 } from '../ports/token-exchange/v1/token-exchange.js';
import { bytesOf, collectText, createTokenTestBed, encryptFile, generatePgpParties, genericCsv, genericRow, mappingRow, testCardNumber } from './__fixtures__/token-fixtures.js';
import { genericCsvFormat } from './formats/generic-csv-format.js';
import { streamObjectMembers } from './formats/json-member-stream.js';
import type { MappingFileRow } from './formats/mapping-file-row.js';
import { stripeJsonFormat } from './formats/stripe-json-format.js';
import { classifyPgpFailure, openPgpMappingFile, openPlainMappingFile } from './mapping-file-source.js';
import { classifyMappingRow, type RowClassificationContext, safeDetail } from './mapping-row-classifier.js';
import { MappingFileChangedError, MappingFileDecryptionError, MappingFileFormatError, MappingFileSignatureError, TokenImportBusyError } from './token-errors.js';
import { checkMappingFileImport } from './token-import-check.js';
import { tokenImportsCollection } from './token-import-checkpoint.js';
import { createTokenMigrationEngine } from './token-migration-engine.js';

const context: RowClassificationContext = {
  sourceProvider: 'braintree',
  targetProvider: 'stripe',
  now: Date.UTC(2026, 0, 1),
  supportedBrands: undefined,
  recollectExpired: true,
  customerIdOf: (row) => row.sourceCustomerReference,
};


async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('row classification', () => {
  it.each([
    [{ expiryMonth: undefined }, 'exp_month must be 1-12'],
    [{ expiryMonth: '13' }, 'exp_month must be 1-12'],
    [{ expiryMonth: 'x' }, 'exp_month must be 1-12'],
    [{ expiryYear: undefined }, 'exp_year must have two or four digits'],
    [{ expiryYear: '203' }, 'exp_year must have two or four digits'],
    [{ sourceToken: 'tok\u0001' }, 'the source token is not a usable reference'],
    [{ sourceToken: 'x'.repeat(256) }, 'the source token is not a usable reference'],
    [{ sourceCustomerReference: undefined }, 'the source customer is missing or not a usable reference'],
  ])('rejects %o as invalid data', (overrides, detail) => {
    expect(classifyMappingRow(mappingRow(overrides), context)).toMatchObject({ kind: 'rejected', reason: 'invalid_data', detail });
  });

  it('reads two-digit years, keeps a 13-digit timestamp that is no card number, and re-collects a row without a new token', () => {
    expect(classifyMappingRow(mappingRow({ expiryYear: '31', fields: { created: '1767225600000' } }), context)).toMatchObject({ kind: 'mapping', mapping: { status: 'mapped', card: { expiryYear: 2031 } } });
    expect(classifyMappingRow(mappingRow({ targetToken: undefined }), context)).toMatchObject({ kind: 'mapping', mapping: { status: 'recollect', failureReason: 'provider_rejected', failureDetail: 'the file gives no new token' } });
    const longFingerprint = classifyMappingRow(mappingRow({ fingerprint: 'x'.repeat(300) }), context);
    expect(longFingerprint.kind === 'mapping' && 'fingerprint' in longFingerprint.mapping.card).toBe(false);
    expect(classifyMappingRow(mappingRow({ brand: 'amex' }), { ...context, recollectExpired: false, supportedBrands: ['amex'], now: Date.UTC(2040, 0, 1) })).toMatchObject({ mapping: { status: 'mapped' } });
  });

  it('shortens long details and masks card numbers in them', () => {
    const detail = safeDetail(`${'refused '.repeat(40)}${testCardNumber}`);
    expect(detail).toHaveLength(200);
    expect(safeDetail(`card ${testCardNumber}\nrefused`)).toBe('card 424242******4242 refused');
  });
});

describe('PGP failure classification', () => {
  it('maps openpgp messages to typed errors', () => {
    const signature = (error: unknown): unknown => (MappingFileSignatureError.isInstance(error) ? error.problem : error);
    expect(signature(classifyPgpFailure(new Error('Message is not signed')))).toBe('unsigned');
    expect(signature(classifyPgpFailure(new Error('Could not find signing key with key ID 01')))).toBe('unknown-signer');
    expect(signature(classifyPgpFailure(new Error('Signed digest did not match')))).toBe('invalid-signature');
    expect(MappingFileDecryptionError.isInstance(classifyPgpFailure('Modification detected.'))).toBe(true);
    const typed = new MappingFileSignatureError({ problem: 'unsigned' });
    expect(classifyPgpFailure(typed)).toBe(typed);
  });

  it('refuses a locked private key without its passphrase', async () => {
    const parties = await generatePgpParties();
    const locked = await openpgp.encryptKey({ privateKey: parties.receiver.privateKey, passphrase: 'secret' });
    const file = await encryptFile('a,b\n', parties.receiver.publicKey, parties.sender.privateKey);
    await expect(openPgpMappingFile(bytesOf(file), { decryptionKey: locked.armor(), verificationKeys: [parties.sender.publicKey] })).rejects.toThrow();
  });

  it('notices a different file encrypted under the same session key and signed by the sender', async () => {
    const parties = await generatePgpParties();
    const sessionKey = await openpgp.generateSessionKey({ encryptionKeys: parties.receiver.publicKey, config: { aeadProtect: true } });
    const first = await encryptFile('a,b\n1,2\n', parties.receiver.publicKey, parties.sender.privateKey, { sessionKey });
    const second = await encryptFile('a,b\n3,4\n', parties.receiver.publicKey, parties.sender.privateKey, { sessionKey });
    let current = first;
    const opened = await openPgpMappingFile(() => bytesOf(current)() as AsyncIterable<Uint8Array>, { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] });
    current = second;
    expect(MappingFileChangedError.isInstance(await failure(collectText(opened.open())))).toBe(true);
  });
});

describe('format edge cases', () => {
  it('stops with a format error when the text stream itself fails', async () => {
    async function* broken(): AsyncGenerator<string> {
      yield `${genericCsv([genericRow(1)])}`;
      throw new Error('disk went away');
    }
    const rows: MappingFileRow[] = [];
    const error = await failure(
      (async () => {
        for await (const entry of genericCsvFormat.rows(broken())) rows.push(entry);
      })(),
    );
    expect(MappingFileFormatError.isInstance(error) && error.message).toContain('CSV error unreadable');
  });

  it('streams JSON members from string chunks and bounds an open member across chunks', async () => {
    const members: string[] = [];
    for await (const member of streamObjectMembers(Readable.from(['{"customers":{"a":', '{"x":"y"}}}']), 'customers', 100)) members.push(member.name);
    expect(members).toEqual(['a']);
    const error = await failure(
      (async () => {
        for await (const member of streamObjectMembers(Readable.from(['{"customers":{"a":{"x":"', 'y'.repeat(50), '"}}}']), 'customers', 10)) members.push(member.name);
      })(),
    );
    expect((error as Error).message).toContain('longer than 10');
  });

  it('reads Stripe cards with numbers, odd errors and missing customers', async () => {
    const text = JSON.stringify({
      customers: {
        c1: { id: 'cus_1', cards: { k1: { id: 'pm_1', brand: 'Visa', last4: 4242, exp_month: 1, exp_year: 2031, error: { code: 'expired_card' } } } },
        c2: { id: 'cus_2', cards: { k2: { id: 'pm_2', brand: 'Visa', last4: '4242', exp_month: null, exp_year: 2031, error: {} } } },
        c3: { cards: { k3: { id: 'pm_3', brand: 'Visa', last4: '4242', exp_month: 1, exp_year: 2031 } } },
        c4: { id: 'cus_4', cards: { k4: { id: '  ', brand: 'Visa', last4: '4242', exp_month: 1, exp_year: 2031, error: false } } },
      },
    });
    const rows: MappingFileRow[] = [];
    for await (const entry of stripeJsonFormat.rows(Readable.from([text]))) rows.push(entry);
    expect(rows.map((entry) => [entry.last4, entry.expiryMonth, entry.providerFailure])).toEqual([
      ['4242', '1', { reason: 'provider_rejected', detail: 'expired_card' }],
      ['4242', undefined, { reason: 'provider_rejected', detail: 'error' }],
      ['4242', '1', { reason: 'unknown_customer', detail: 'the customer was not imported' }],
      ['4242', '1', { reason: 'provider_rejected', detail: 'no new id' }],
    ]);
  });
});

describe('engine edge cases', () => {
  it('uses a custom customer id, a custom format object, and names earlier syncs in duplicate details', async () => {
    const exchange = new InMemoryTokenExchange({ provider: 'stripe' });
    const bed0 = await createTokenTestBed();
    const engine = await createTokenMigrationEngine({
      journal: bed0.journal,
      keyProvider: bed0.keys,
      sourceProvider: 'braintree',
      targetProvider: 'stripe',
      clock: bed0.clock,
      targetExchange: exchange,
      meter: defaultMeter(),
      logger: createLogger({ level: 'silent' }),
      customerIdOf: (entry) => `shop:${entry.sourceCustomerReference}`,
      api: { requestsPerSecond: 1000 },
    });
    await engine.importViaApi({
      methods: [{ provider: 'braintree', token: 'card_old_2', customerReference: 'cus_old_2', card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2031 } }],
    });
    const file = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1), genericRow(2)])));
    const report = await engine.importMappingFile({ file, format: genericCsvFormat });
    expect(report).toMatchObject({ mapped: 1, rejected: 1 });
    expect((await engine.listRejections(report.importId))[0]?.detail).toBe('the source token was already imported at an earlier sync');
    expect(await engine.locator(() => 'stripe').locate('shop:cus_old_1')).toMatchObject({ provider: 'stripe', token: 'pm_new_1' });
    expect((await engine.checkImport({ file, format: genericCsvFormat, importId: report.importId })).ok).toBe(true);
  });

  it('reports rejections without details from the exchange, and declines without a reason', async () => {
    const exchange: TokenExchangeV1 = {
      specificationVersion: 'v1',
      provider: 'stripe',
      importPaymentMethod: async (input) => (input.sourceToken === 'dup' ? { status: 'rejected', reason: 'duplicate' } : { status: 'imported', token: `pm_${input.sourceToken}`, customerReference: 'cus', card: input.card }),
      verifyPaymentMethod: async () => ({ verified: false }),
    };
    const bed0 = await createTokenTestBed();
    const engine = await createTokenMigrationEngine({ journal: bed0.journal, keyProvider: bed0.keys, sourceProvider: 'braintree', targetProvider: 'stripe', clock: bed0.clock, targetExchange: exchange, logger: createLogger({ level: 'silent' }), api: { requestsPerSecond: 1000 } });
    const card = { brand: 'visa' as const, last4: '4242', expiryMonth: 1, expiryYear: 2031 };
    const report = await engine.importViaApi({
      methods: [
        { provider: 'braintree', token: 'dup', customerReference: 'c', card },
        { provider: 'braintree', token: 'ok', customerReference: 'c', card },
      ],
      verifyCurrency: 'EUR',
    });
    expect(report).toMatchObject({ mapped: 0, recollect: 2, failures: { visa: { duplicate: 1, verification_failed: 1 } } });
    const stored = await engine.vault.read('braintree', 'ok', { actor: 'test', purpose: 'check' });
    expect(stored?.mapping.failureDetail).toBe('zero-amount verification declined: no reason given');
  });

  it('stops an API import on its signal after the batch in progress', async () => {
    const bed = await createTokenTestBed({ targetExchange: new InMemoryTokenExchange({ provider: 'stripe' }), api: { requestsPerSecond: 1000 } });
    const controller = new AbortController();
    const card = { brand: 'visa' as const, last4: '4242', expiryMonth: 1, expiryYear: 2031 };
    const methods = Array.from({ length: 5 }, (_, index) => ({ provider: 'braintree', token: `t${index}`, customerReference: 'c', card }));
    const report = await bed.engine.importViaApi({
      methods: (function* generate() {
        for (const entry of methods) {
          yield entry;
          if (entry.token === 't1') controller.abort();
        }
      })(),
      batchSize: 2,
      signal: controller.signal,
    });
    // The chunk being read when the signal fired is finished; the rest of the source is not read.
    expect(report.mapped).toBeGreaterThanOrEqual(2);
    expect(report.mapped).toBeLessThan(5);
  });

  it('fails an import whose journal write fails, and one whose checkpoint was removed under it', async () => {
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1), genericRow(2), genericRow(3)])));
    const error = await failure(
      bed.engine.importMappingFile({
        file,
        format: 'generic-csv',
        batchSize: 1,
        onBatch: (checkpoint) => {
          void bed.journal.write({ deletes: [{ collection: tokenImportsCollection, key: checkpoint.importId, expectedVersion: 'any' }] });
        },
      }),
    );
    expect(TokenImportBusyError.isInstance(error) && error.leaseExpiresAt).toBe(0);
    const broken = new Proxy(bed.journal, {
      get(target, property, receiver) {
        if (property === 'write') return async () => Promise.reject(new Error('disk full'));
        const member = Reflect.get(target, property, receiver) as unknown;
        return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
      },
    });
    const engine = await createTokenMigrationEngine({ journal: broken, keyProvider: bed.keys, sourceProvider: 'braintree', targetProvider: 'stripe', logger: createLogger({ level: 'silent' }) });
    await expect(engine.importMappingFile({ file, format: 'generic-csv', importId: 'other' })).rejects.toThrow('disk full');
  });

  it('pages through large scans and limits the examples it lists', async () => {
    const bed = await createTokenTestBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv(Array.from({ length: 7 }, (_, index) => genericRow(index + 1, index % 2 === 0 ? {} : { source_token: '' })))));
    const report = await bed.engine.importMappingFile({ file, format: 'generic-csv', importId: 'paged' });
    const check = await checkMappingFileImport(bed.engine.vault, { file, format: genericCsvFormat, importId: 'paged', sourceProvider: 'braintree', pageSize: 2, examples: 1 });
    expect(check).toMatchObject({ ok: true, rows: 7, vaultEntries: report.mapped, rejections: report.rejected });
    const empty = new InMemoryJournal();
    await empty.open();
    const lost = await checkMappingFileImport(bed.engine.vault, { file, format: genericCsvFormat, importId: 'nothing', sourceProvider: 'braintree', examples: 2 });
    expect(lost).toMatchObject({ lost: 7, lostRows: [1, 2] });
  });
});
