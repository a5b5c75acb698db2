// PCI validation (invariant 5): test card numbers, security codes and track data are seeded into
// every input paymigrate accepts (mapping-file rows and headers, metadata, customer names, error-
// inducing inputs, provider answers, payment inputs, session payloads through the PCI guard API),
// the flows run (a PGP token import into a SQLite journal on a temp file, API re-tokenization,
// Transaction State Manager operations on in-memory gateways, logging through createLogger into a
// captured stream), and then every output is scanned as raw text: every log line, the SQLite file
// and its WAL, outbox events, error messages and their JSON, reports. Zero findings allowed.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertNoSensitiveData,
  createLogger,
  createTokenMigrationEngine,
  createTransactionStateManager,
  findSensitiveDataInText,
  fixedProviderSelector,
  guardJournal,
  MappingFileError,
  mappingFileFromPath,
  Money,
  openPgpMappingFile,
  openPlainMappingFile,
  PaymigrateError,
  redactSensitiveText,
  SensitiveDataError,
  type TokenExchangeV1,
} from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { InMemoryKeyProvider, InMemoryPaymentGateway } from '@paymigrate/testkit';

const visa = '4242424242424242';
const mastercard = '5555555555554444';
const amex = '378282246310005';
const spacedVisa = '4111 1111 1111 1111';
const dashedDiscover = '6011-1111-1111-1117';
const trackTwo = ';4111111111111111=25121010000000000?';
const trackOne = '%B4111111111111111^DOE/JOHN^2512101000000000';
const labelledCvv = 'cvv: 123';

let directory: string;
const outputs: { readonly where: string; readonly text: string }[] = [];
const record = (where: string, value: unknown): void => {
  outputs.push({ where, text: typeof value === 'string' ? value : JSON.stringify(value, (_key, member: unknown) => (typeof member === 'bigint' ? member.toString() : member)) });
};
const logLines: string[] = [];
const logger = createLogger({
  level: 'debug',
  name: 'pci-validation',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  }),
});

/** Runs `work`, expecting it to fail; records the error's message, JSON and stack for the scan. */
async function expectFailure(where: string, work: () => Promise<unknown>): Promise<unknown> {
  const error = await work().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, where).toBeDefined();
  const asError = error as Error;
  record(`${where} (message)`, asError.message);
  record(`${where} (JSON)`, PaymigrateError.isInstance(error) ? error.toJSON() : { name: asError.name, message: asError.message });
  record(`${where} (stack)`, asError.stack ?? '');
  logger.error({ error: asError.message, code: (error as { code?: string }).code }, `${where} failed`);
  return error;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'paymigrate-pci-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('PCI validation: no card number, security code or track data in any output', () => {
  it('seeds cardholder data into every input, runs the flows, and finds none in logs, SQLite bytes, events, errors or reports', async () => {
    const filename = join(directory, 'journal.sqlite');
    const journal = createSqliteJournal({ filename });
    await journal.open();
    const keyProvider = new InMemoryKeyProvider();

    // A provider whose answers carry card data (a careless API echoing the request).
    const echoingExchange: TokenExchangeV1 = {
      specificationVersion: 'v1',
      provider: 'stripe',
      async importPaymentMethod(input) {
        if (input.sourceToken === 'bt_echo') return { status: 'rejected', reason: 'provider_rejected', detail: `card ${visa} refused, ${labelledCvv}` };
        if (input.sourceToken === 'bt_invalid') throw new (await import('@paymigrate/core')).InvalidRequestError(`number ${mastercard} is invalid`, { provider: 'stripe', httpStatus: 400 });
        return { status: 'imported', token: `pm_${input.sourceToken}`, customerReference: 'cus_new', card: input.card };
      },
      async verifyPaymentMethod() {
        return { verified: false, declineReason: `issuer said ${amex}` };
      },
    };
    const engine = await createTokenMigrationEngine({ journal, keyProvider, sourceProvider: 'braintree', targetProvider: 'stripe', logger, targetExchange: echoingExchange, api: { requestsPerSecond: 1000 } });

    // 1. A signed, encrypted mapping file whose rows, header and metadata carry cardholder data.
    const sender = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'old processor' }], format: 'object', config: { aeadProtect: true } });
    const receiver = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'merchant' }], format: 'object', config: { aeadProtect: true } });
    const csv = [
      'source_customer_id,source_token,target_customer_id,target_token,brand,last4,exp_month,exp_year,fingerprint,network_transaction_id,failure_reason,failure_detail,customer_name,cvc',
      `cus_1,card_1,cus_n1,pm_1,visa,4242,12,2030,fp_1,nt_1,,,Alice ${visa},`,
      `cus_2,${mastercard},cus_n2,pm_2,mastercard,4444,12,2030,fp_2,nt_2,,,Bob,`,
      `cus_3,card_3,cus_n3,pm_3,amex,0005,12,2030,"${spacedVisa}",nt_3,,,Carol,`,
      `cus_4,card_4,cus_n4,pm_4,discover,1117,12,2030,fp_4,"${trackTwo}",,,Dan,`,
      `cus_5,card_5,cus_n5,pm_5,visa,4242,12,2030,fp_5,nt_5,,,Eve,737`,
      `cus_6,card_6,cus_n6,,visa,4242,12,2030,fp_6,nt_6,provider_rejected,"declined ${dashedDiscover} ${labelledCvv}",Frank,`,
      `cus_7,card_7,cus_n7,pm_7,visa,4242,12,2030,fp_7,nt_7,,,"${trackOne}",`,
      `${amex},card_8,cus_n8,pm_8,amex,0005,12,2030,fp_8,nt_8,,,Grace,`,
      `cus_9,card_9,cus_n9,pm_9,visa,4242,12,2030,fp_9,nt_9,,,Heidi,`,
      'cus_10,card_10,cus_n10,,visa,4242,12,2030,fp_10,nt_10,provider_rejected,declined by issuer,Ivan,',
    ].join('\n');
    const encrypted = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: Buffer.from(csv) }),
      encryptionKeys: receiver.publicKey,
      signingKeys: sender.privateKey,
      format: 'binary',
      config: { aeadProtect: true },
    });
    const path = join(directory, 'mapping.csv.pgp');
    await (await import('node:fs/promises')).writeFile(path, encrypted as Uint8Array);
    const file = await openPgpMappingFile(mappingFileFromPath(path), { decryptionKey: receiver.privateKey, verificationKeys: [sender.publicKey] });
    const report = await engine.importMappingFile({ file, format: 'generic-csv' });
    record('import report', report);
    expect(report).toMatchObject({ rows: 10, mapped: 1, recollect: 1, rejected: 8 });
    expect(report.failures['visa']?.['sensitive_data']).toBeGreaterThan(0);
    const rejections = await engine.listRejections(report.importId);
    record('rejections', rejections);
    expect(rejections.filter((rejection) => rejection.reason === 'sensitive_data').map((rejection) => rejection.row)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const check = await engine.checkImport({ file, format: 'generic-csv' });
    record('total-queue check', check);
    expect(check.ok).toBe(true);

    // 2. Stripe JSON with card data in member names and metadata; Adyen errors echoing numbers.
    const stripe = JSON.stringify({ customers: { [`cus_${visa}`]: { id: 'cus_s', cards: { card_s: { id: 'pm_s', brand: 'Visa', last4: '4242', exp_month: 1, exp_year: 2031, metadata: { note: labelledCvv } } } } } });
    const stripeReport = await engine.importMappingFile({ file: await openPlainMappingFile(async function* one() { yield Buffer.from(stripe); }), format: 'stripe-json' });
    record('stripe import', stripeReport);
    expect(stripeReport.failures['visa']?.['sensitive_data']).toBe(1);
    const adyen = `ShopperReference,EchoData,RecurringDetailReference,Result,ErrorMessage,Variant,CardSummary,ExpiryMonth,ExpiryYear\nshopper-1,tok_a,,Failed,Card ${mastercard} refused,mc,4444,3,2031\n`;
    record('adyen import', await engine.importMappingFile({ file: await openPlainMappingFile(async function* one() { yield Buffer.from(adyen); }), format: 'adyen-csv' }));

    // 3. Error-inducing inputs that carry card data.
    await expectFailure('broken CSV quoting', async () =>
      engine.importMappingFile({ file: await openPlainMappingFile(async function* one() { yield Buffer.from(`source_customer_id,source_token,target_customer_id,target_token,brand,last4,exp_month,exp_year\n"cus ${visa},x\n`); }), format: 'generic-csv' }),
    );
    await expectFailure('truncated Stripe JSON', async () =>
      engine.importMappingFile({ file: await openPlainMappingFile(async function* one() { yield Buffer.from(`{"customers":{"${visa}":{"id":"cus_${mastercard}"`); }), format: 'stripe-json' }),
    );
    const unsigned = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: Buffer.from(csv) }), encryptionKeys: receiver.publicKey, format: 'binary', config: { aeadProtect: true } });
    const unsignedError = await expectFailure('unsigned file', async () => openPgpMappingFile(async function* one() { yield unsigned as Uint8Array; }, { decryptionKey: receiver.privateKey, verificationKeys: [sender.publicKey] }));
    expect(MappingFileError.isInstance(unsignedError)).toBe(true);

    // 4. API re-tokenization whose provider echoes card data in refusals and decline reasons.
    const card = { brand: 'visa' as const, last4: '4242', expiryMonth: 1, expiryYear: 2031 };
    const apiReport = await engine.importViaApi({
      methods: [
        { provider: 'braintree', token: 'bt_echo', customerReference: 'bt_c1', card },
        { provider: 'braintree', token: 'bt_invalid', customerReference: 'bt_c2', card },
        { provider: 'braintree', token: 'bt_ok', customerReference: 'bt_c3', card },
      ],
      verifyCurrency: 'EUR',
    });
    record('API report', apiReport);
    expect(apiReport.recollect).toBe(3);

    // 5. Transaction State Manager operations with card data where tokens, references and ids go.
    const gateway = new InMemoryPaymentGateway({ provider: 'stripe' });
    const transactions = createTransactionStateManager({ journal: guardJournal(journal), gateways: [gateway], selectProvider: fixedProviderSelector('stripe'), logger });
    const authorized = await transactions.authorize({ paymentId: 'pay_ok', merchantReference: 'order-1', amount: Money.fromDecimal('10.00', 'EUR'), paymentMethodToken: 'tok_visa', customerId: 'alice', savePaymentMethod: true });
    record('authorize result', authorized);
    await expectFailure('card number as payment token', () => transactions.authorize({ paymentId: 'pay_pan', merchantReference: 'order-2', amount: Money.fromDecimal('10.00', 'EUR'), paymentMethodToken: visa }));
    await expectFailure('card number in the merchant reference', () => transactions.authorize({ paymentId: 'pay_ref', merchantReference: `order ${spacedVisa}`, amount: Money.fromDecimal('10.00', 'EUR'), paymentMethodToken: 'tok_visa' }));
    await expectFailure('card number as customer id', () => transactions.authorize({ paymentId: 'pay_cus', merchantReference: 'order-3', amount: Money.fromDecimal('10.00', 'EUR'), paymentMethodToken: 'tok_visa', customerId: `customer ${amex}` }));
    record('capture result', await transactions.capture({ paymentId: 'pay_ok' }));
    const delta = await engine.syncDelta().catch(async (error: unknown) => {
      record('delta error', (error as Error).message);
      return undefined;
    });
    record('delta report', delta ?? {});

    // 6. Session payloads through the PCI guard API.
    const sessionError = await expectFailure('session payload', async () => {
      assertNoSensitiveData({ cart: { note: `please use ${visa}`, payment: { cvc: '737' } }, track: trackOne }, 'session');
    });
    expect(SensitiveDataError.isInstance(sessionError)).toBe(true);
    record('session findings', (sessionError as SensitiveDataError).findings);

    // 7. Logging whatever a careless caller passes.
    logger.info({ customer: { name: `Alice ${visa}`, cvv: '123' }, note: trackTwo }, `customer typed ${spacedVisa} and ${labelledCvv}`);
    logger.warn(`refund for ${dashedDiscover}`);

    // Outbox events, as the platform will receive them.
    const messages = await journal.claimOutbox({ owner: 'pci', leaseMs: 60_000, limit: 10_000 });
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) record(`outbox ${message.topic} #${message.sequence}`, message);

    // The SQLite file and its WAL, as raw bytes, while the journal is open and after it closed.
    const sqliteFiles = async (label: string): Promise<void> => {
      for (const name of (await readdir(directory)).filter((entry) => entry.startsWith('journal.sqlite'))) {
        const bytes = await readFile(join(directory, name));
        record(`${label} ${name} (latin1)`, bytes.toString('latin1'));
        record(`${label} ${name} (utf8)`, bytes.toString('utf8'));
      }
    };
    await sqliteFiles('open');
    expect((await readdir(directory)).some((name) => name === 'journal.sqlite-wal')).toBe(true);
    await journal.close();
    await sqliteFiles('closed');
    for (const line of logLines) record('log line', line);

    // The scan: every output, as raw text. Controls first: the scanner finds the seeded values,
    // and the journal bytes scanned really hold the imported data.
    expect(logLines.length).toBeGreaterThan(5);
    for (const seeded of [visa, spacedVisa, trackOne, labelledCvv]) expect(findSensitiveDataInText(`x ${seeded} y`), seeded).not.toEqual([]);
    expect(outputs.filter((output) => output.where.startsWith('closed journal.sqlite') && output.text.includes('token-vault') && output.text.includes('token-import-rejections'))).not.toEqual([]);
    const hits = outputs.flatMap((output) => findSensitiveDataInText(output.text).map((finding) => `${output.where}: ${finding.kind} ${finding.masked}`));
    expect(hits).toEqual([]);
    // And the seeded values never appear verbatim, not even in forms the scanner would skip.
    for (const seeded of [visa, mastercard, amex, spacedVisa, dashedDiscover, trackTwo]) {
      expect(outputs.filter((output) => output.text.includes(seeded)).map((output) => output.where), seeded).toEqual([]);
    }
    expect(redactSensitiveText(visa)).not.toContain(visa);
  }, 120_000);
});
