import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guardJournal, type JournalV1, SensitiveDataError, VersionConflictError } from '@paymigrate/core';
import type { AdyenLedgerEntry } from '@paymigrate/provider-adyen';
import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../cli-errors.js';
import { createConfiguredJournal } from './create-journal.js';
import { createRuntimeLog } from './create-log.js';
import { createJournalAdyenLedger } from './journal-adyen-ledger.js';

const testCardNumber = ['4111', '1111', '1111', '1111'].join('');

describe('createConfiguredJournal', () => {
  it('builds the SQLite journal, or PostgreSQL from the variable the configuration names', () => {
    expect(createConfiguredJournal({ type: 'sqlite', file: ':memory:', synchronous: 'FULL' }, {}, 'file').name).toBe('sqlite');
    expect(createConfiguredJournal({ type: 'postgres', connectionStringEnvironmentVariable: 'DATABASE' }, { DATABASE: 'postgresql://user:secret@127.0.0.1:1/db' }, 'file').name).toBe('postgres');
    expect(() => createConfiguredJournal({ type: 'postgres', connectionStringEnvironmentVariable: 'DATABASE' }, {}, 'file')).toThrow(
      /journal\.connectionStringEnvironmentVariable names the environment variable DATABASE, which is not set/,
    );
    try {
      createConfiguredJournal({ type: 'postgres', connectionStringEnvironmentVariable: 'DATABASE' }, { DATABASE: ' ' }, 'file');
    } catch (error) {
      expect(ConfigFileError.isInstance(error)).toBe(true);
    }
  });
});

describe('createRuntimeLog', () => {
  it('writes JSON lines to the file with card numbers masked, flushes and closes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'paymigrate-log-')), 'logs', 'paymigrate.log');
    const log = createRuntimeLog({ file, level: 'info', name: 'test' });
    log.logger.info({ note: `card ${testCardNumber}` }, 'a line');
    await log.flush();
    await log.close();
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('"msg":"a line"');
    expect(text).not.toContain(testCardNumber);
  });

  it('discards lines without a file', async () => {
    const log = createRuntimeLog({});
    log.logger.info('nowhere');
    await log.flush();
    await log.close();
    expect(log.file).toBeUndefined();
  });
});

describe("the runtime's journal guard (core's guardJournal)", () => {
  it('refuses card data anywhere in a batch but lets network transaction ids through', async () => {
    const journal = guardJournal(new InMemoryJournal());
    await journal.open();
    const lookalike = '403158962307814';
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: JSON.stringify({ networkTransactionId: lookalike, nested: [{ network_transaction_id: lookalike }] }), expectedVersion: 0 }] });
    await expect(journal.write({ puts: [{ collection: 'payments', key: 'p2', value: JSON.stringify({ note: testCardNumber }), expectedVersion: 0 }] })).rejects.toSatisfy((error) =>
      SensitiveDataError.isInstance(error),
    );
    await expect(journal.write({ puts: [{ collection: 'notes', key: 'n', value: `plain ${testCardNumber}`, expectedVersion: 0 }] })).rejects.toThrow(/cardholder data/);
    await expect(journal.write({ puts: [{ collection: 'notes', key: 'n', value: `{broken ${testCardNumber}`, expectedVersion: 0 }] })).rejects.toThrow(/cardholder data/);
    await expect(journal.write({ deletes: [{ collection: 'notes', key: testCardNumber, expectedVersion: 'any' }] })).rejects.toThrow(/cardholder data/);
    await expect(journal.write({ outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: JSON.stringify({ pan: testCardNumber }) }] })).rejects.toThrow(/cardholder data/);
    expect(journal.name).toBe('memory');
    expect((await journal.get('payments', 'p1'))?.version).toBe(1);
  });

  it('lets hexadecimal digests through although their digit runs can pass the Luhn check', async () => {
    const journal = guardJournal(new InMemoryJournal());
    await journal.open();
    // A SHA-1 idempotency key of the order synchronizer whose digits hold a Visa-range Luhn-valid run.
    const key = 'ord_f4f4c48713285343633404f75c05728b44446b31';
    const payload = JSON.stringify({ actions: [{ type: 'record_payment', idempotencyKey: key }] });
    await journal.write({ outbox: [{ topic: 'platform.order', orderingKey: 'o', deduplicationId: key, payload }] });
    await journal.write({ puts: [{ collection: 'notes', key, value: `plain text ${key}`, expectedVersion: 0 }] });
    await expect(journal.write({ puts: [{ collection: 'notes', key: 'n2', value: `${key} ${testCardNumber}`, expectedVersion: 0 }] })).rejects.toThrow(/cardholder data/);
  });
});

describe('createJournalAdyenLedger', () => {
  const entry = (entryId: string, pspReference?: string): AdyenLedgerEntry => ({
    entryId,
    pspReference,
    merchantReference: `ref-${entryId}`,
    currency: 'EUR',
    amountMinor: '1000',
    authorizedMinor: '1000',
    captureMethod: 'manual',
    authorization: 'authorized',
    providerStatus: 'Authorised',
    operations: [],
    voided: false,
    expired: false,
    updatedAt: 1,
  });

  it('keeps entries in the journal, found by PSP and merchant reference', async () => {
    const journal = new InMemoryJournal();
    await journal.open();
    const ledger = createJournalAdyenLedger(journal);
    expect(await ledger.get('PSP1')).toBeUndefined();
    await ledger.update('key-1', () => entry('key-1'));
    expect(await ledger.get('PSP1')).toBeUndefined();
    await ledger.update('key-1', (current) => ({ ...(current as AdyenLedgerEntry), pspReference: 'PSP1' }));
    expect((await ledger.get('PSP1'))?.entryId).toBe('key-1');
    expect((await ledger.findByMerchantReference('ref-key-1'))?.pspReference).toBe('PSP1');
    expect(await createJournalAdyenLedger(journal).get('PSP1')).toMatchObject({ entryId: 'key-1' });
  });

  it('retries a lost compare-and-set and gives up after many', async () => {
    const inner = new InMemoryJournal();
    await inner.open();
    let conflicts = 2;
    const flaky = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === 'write') {
          return async (batch: Parameters<JournalV1['write']>[0]) => {
            if (conflicts > 0) {
              conflicts -= 1;
              throw new VersionConflictError({ collection: 'adyen-ledger', key: 'k', expectedVersion: 0, actualVersion: 1 });
            }
            return target.write(batch);
          };
        }
        const member = Reflect.get(target, property, receiver) as unknown;
        return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
      },
    }) as JournalV1;
    const ledger = createJournalAdyenLedger(flaky);
    expect((await ledger.update('k', () => entry('k', 'PSP2'))).pspReference).toBe('PSP2');
    conflicts = 1_000;
    await expect(ledger.update('k2', () => entry('k2'))).rejects.toSatisfy((error) => VersionConflictError.isInstance(error));
    const broken = createJournalAdyenLedger({ ...flaky, get: flaky.get.bind(flaky), write: async () => Promise.reject(new Error('disk full')) } as JournalV1);
    await expect(broken.update('k3', () => entry('k3'))).rejects.toThrow('disk full');
  });
});
