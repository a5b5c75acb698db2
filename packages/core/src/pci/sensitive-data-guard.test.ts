import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import type { JournalWriteBatch } from '../ports/journal/v1/journal.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { intentsCollection } from '../journal/intent-repository.js';
import { createHarness, usd } from '../transactions/__fixtures__/transaction-harness.js';
import { SensitiveDataError } from './sensitive-data-error.js';
import { assertNoSensitiveData, guardJournal } from './sensitive-data-guard.js';

const visa = '4242424242424242';

async function openGuardedJournal() {
  const inner = new InMemoryJournal();
  await inner.open();
  return { inner, journal: guardJournal(inner) };
}

describe('guardJournal', () => {
  test('a clean batch is written and reads pass through', async () => {
    const { journal } = await openGuardedJournal();
    await journal.write({ puts: [{ collection: 'c', key: 'k', value: '{"last4":"4242"}', expectedVersion: 0 }] });
    expect((await journal.get('c', 'k'))?.value).toBe('{"last4":"4242"}');
    expect(journal.name).toBe('memory');
    // A batch of deletes alone has no puts to scan.
    await journal.write({ deletes: [{ collection: 'c', key: 'k', expectedVersion: 'any' }] });
    expect(await journal.get('c', 'k')).toBeUndefined();
  });

  test.each<[string, JournalWriteBatch, string]>([
    ['a record value', { puts: [{ collection: 'c', key: 'k', value: `{"note":"${visa}"}`, expectedVersion: 0 as const }] }, '$.puts[0].value'],
    ['a record key', { puts: [{ collection: 'c', key: visa, value: '{}', expectedVersion: 0 as const }] }, '$.puts[0].key'],
    ['a record index', { puts: [{ collection: 'c', key: 'k', value: '{}', index: visa, expectedVersion: 0 as const }] }, '$.puts[0].index'],
    ['a deleted key', { deletes: [{ collection: 'c', key: visa, expectedVersion: 'any' as const }] }, '$.deletes[0].key'],
    ['an outbox payload', { outbox: [{ topic: 't', orderingKey: 'o', deduplicationId: 'd', payload: `{"cvv":"123"}` }] }, '$.outbox[0].payload'],
  ])('a batch with card data in %s is refused whole and nothing is written', async (_where, batch, path) => {
    const { inner, journal } = await openGuardedJournal();
    const error = await journal
      .write({ ...batch, puts: [...(batch.puts ?? []), { collection: 'c', key: 'clean', value: '{}', expectedVersion: 0 }] })
      .catch((caught: unknown) => caught);
    expect(SensitiveDataError.isInstance(error)).toBe(true);
    const sensitive = error as SensitiveDataError;
    expect(sensitive.boundary).toBe('journal');
    expect(sensitive.findings[0]?.path).toBe(path);
    expect(sensitive.message).not.toContain(visa);
    expect(JSON.stringify(sensitive)).not.toContain(visa);
    expect(await inner.get('c', 'clean')).toBeUndefined();
    expect(await inner.pendingOutboxCount()).toBe(0);
  });
});

describe('assertNoSensitiveData and SensitiveDataError', () => {
  test('passes clean values and refuses card data naming boundary and path', () => {
    expect(() => assertNoSensitiveData({ token: 'pm_123', last4: '4242' }, 'session')).not.toThrow();
    expect(() => assertNoSensitiveData({ cart: { note: visa } }, 'session', '$session')).toThrow(
      /Refused to write cardholder data to the session: primary-account-number at \$session\.cart\.note\. Nothing was written/,
    );
  });

  test('lists at most five locations and counts the rest', () => {
    const error = new SensitiveDataError({
      boundary: 'report',
      findings: Array.from({ length: 7 }, (_, index) => ({ kind: 'primary-account-number' as const, path: `$[${index}]`, masked: 'x' })),
    });
    expect(error.message).toContain('$[4] and 2 more');
    expect(error.code).toBe('PCI_SENSITIVE_DATA');
    expect(error.findings[0]).toEqual({ kind: 'primary-account-number', path: '$[0]' });
  });

  test('isInstance recognizes only SensitiveDataError', () => {
    const error = new SensitiveDataError({ boundary: 'b', findings: [] });
    expect(SensitiveDataError.isInstance(error)).toBe(true);
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect(SensitiveDataError.isInstance(new PaymigrateError('X', 'y'))).toBe(false);
    expect(SensitiveDataError.isInstance(new Error('x'))).toBe(false);
    expect(SensitiveDataError.isInstance(null)).toBe(false);
  });

  test('every paymigrate error masks a card number that reached its message', () => {
    const error = new PaymigrateError('SOMETHING', `provider said card ${visa} is bad`);
    expect(error.message).toBe('provider said card 424242******4242 is bad');
  });
});

describe('guardJournal and the records of the Transaction State Manager', () => {
  /** A Visa network transaction id that passes the Luhn check in the Visa range (1 in ~30 do). */
  const networkTransactionId = '483920174658125';

  test('accepts a merchant-initiated charge whose intent and payment carry a Luhn-valid network transaction id', async () => {
    const harness = await createHarness();
    const stored = harness.next.addStoredPaymentMethod({ token: 'pm_imported', customerReference: 'cus_9', card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2030 } });
    const refused: unknown[] = [];
    const guarded = guardJournal(harness.journal);
    const journal = new Proxy(guarded, {
      get: (target, property, receiver) =>
        property === 'write'
          ? (batch: JournalWriteBatch) => target.write(batch).catch((error: unknown) => {
              refused.push(error);
              throw error;
            })
          : (Reflect.get(target, property, receiver) as unknown),
    });
    const result = await harness.create({ journal }).chargeStoredPaymentMethod({
      paymentId: 'sub_1',
      merchantReference: 'renewal-1',
      amount: usd(2_500),
      provider: 'adyen',
      paymentMethodToken: stored.token,
      customerReference: 'cus_9',
      networkTransactionId,
    });
    expect(refused).toEqual([]);
    expect(result).toMatchObject({ status: 'succeeded', operation: 'charge_stored' });
    expect(result.payment.networkTransactionId).toBe(networkTransactionId);
    const intents = await harness.memory.list(intentsCollection, { limit: 10 });
    expect(intents.map((record) => (JSON.parse(record.value) as { request: { networkTransactionId?: string } }).request.networkTransactionId)).toEqual([networkTransactionId]);
    expect(harness.next.calls[0]?.input).toMatchObject({ networkTransactionId });
  });

  test('still refuses the same charge when its merchant reference holds a card number', async () => {
    const harness = await createHarness();
    const stored = harness.next.addStoredPaymentMethod({ token: 'pm_imported', customerReference: 'cus_9', card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2030 } });
    const charge = harness.create({ journal: guardJournal(harness.journal) }).chargeStoredPaymentMethod({
      paymentId: 'sub_1',
      merchantReference: `renewal ${visa}`,
      amount: usd(2_500),
      provider: 'adyen',
      paymentMethodToken: stored.token,
      customerReference: 'cus_9',
      networkTransactionId,
    });
    await expect(charge).rejects.toSatisfy(SensitiveDataError.isInstance);
    expect(harness.next.calls).toHaveLength(0);
  });
});
