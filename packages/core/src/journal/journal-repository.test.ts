import { InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { Money } from '../money/money.js';
import { type IntentRecord, intentIdFor, IntentRepository, isNonTerminalIntentStatus } from './intent-repository.js';
import { JournalRecordInvalidError } from './journal-record-invalid-error.js';
import { JournalRepository } from './journal-repository.js';
import { moneySchema } from './journal-schemas.js';
import { emptyOperationCounters, type PaymentRecord, PaymentRepository } from './payment-repository.js';
import { processedEventKey, ProcessedEventRepository } from './processed-event-repository.js';
import { providerReferenceKey, ProviderReferenceRepository } from './provider-reference-repository.js';
import { deltaPendingIndex, deltaSyncedIndex, savedPaymentMethodKey, SavedPaymentMethodRepository } from './saved-payment-method-repository.js';

async function openJournal(): Promise<{ journal: InMemoryJournal; clock: ManualClock }> {
  const clock = new ManualClock();
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  return { journal, clock };
}

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

function payment(paymentId: string, overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    paymentId,
    merchantReference: `ref-${paymentId}`,
    provider: 'stripe',
    captureMethod: 'manual',
    initialIntentId: intentIdFor(paymentId, 'authorize', 1),
    amount: usd(1_234),
    authorizedAmount: usd(1_234),
    capturedAmount: usd(0),
    refundedAmount: usd(0),
    released: false,
    state: 'authorized',
    pendingOperations: [{ intentId: `${paymentId}.capture.1`, operation: 'capture', amount: usd(100), status: 'in_flight', finalCapture: false }],
    appliedOperationReferences: [],
    operationCounters: { ...emptyOperationCounters, authorize: 1, capture: 1 },
    createdAt: 1,
    updatedAt: 2,
    ...overrides,
  };
}

function intent(intentId: string, overrides: Partial<IntentRecord> = {}): IntentRecord {
  return {
    intentId,
    paymentId: 'pay_1',
    provider: 'stripe',
    sequence: 1,
    idempotencyKey: intentId,
    status: 'pending',
    attempts: 0,
    mayHaveExecuted: false,
    createdAt: 1,
    updatedAt: 1,
    operation: 'capture',
    request: { providerReference: 'pi_1', amount: usd(100), finalCapture: true },
    ...overrides,
  } as IntentRecord;
}

describe('JournalRepository', () => {
  it('round-trips typed values (amounts as Money) with their version and index', async () => {
    const { journal } = await openJournal();
    const payments = new PaymentRepository(journal);
    const written = await payments.save(payment('pay_1'), 0);
    expect(written).toMatchObject({ key: 'pay_1', version: 1, index: 'authorized', lease: undefined });
    const read = await payments.get('pay_1');
    expect(read?.value.amount.equals(usd(1_234))).toBe(true);
    expect(Money.isInstance(read?.value.pendingOperations[0]?.amount)).toBe(true);
    expect(read?.value).toEqual(payment('pay_1'));
    expect(JSON.parse((await journal.get('payments', 'pay_1'))!.value).amount).toEqual({ minorUnits: '1234', currency: 'USD' });
    expect(await payments.get('pay_missing')).toBeUndefined();
    expect(payments.keyOf(payment('pay_9'))).toBe('pay_9');
  });

  it('written(): the record a committed put left, without reading it back, equal to what a read returns', async () => {
    const { journal, clock } = await openJournal();
    const payments = new PaymentRepository(journal);
    await clock.set(5_000);
    const value = payment('pay_1');
    const { records } = await journal.write({ puts: [payments.put(value, 0)] });
    const written = payments.written(value, records[0]!);
    expect(written.value).toBe(value);
    expect(Object.isFrozen(written)).toBe(true);
    expect(written).toEqual(await payments.get('pay_1'));
    expect(written).toMatchObject({ key: 'pay_1', version: 1, index: 'authorized', updatedAt: 5_000, lease: undefined });
  });

  it('payments: answers a payment this repository wrote without decoding it, and decodes and validates any other text under its key', async () => {
    const { journal } = await openJournal();
    const payments = new PaymentRepository(journal);
    const value = payment('pay_1');
    await journal.write({ puts: [payments.put(value, 0)] });
    // Read back as written (a capture reading the payment its authorization wrote): the same value, frozen for every reader.
    const read = await payments.get('pay_1');
    expect(read?.value).toBe(value);
    expect(Object.isFrozen(value.pendingOperations[0])).toBe(true);
    expect(read).toMatchObject({ key: 'pay_1', version: 1, index: 'authorized' });
    // Another process (another repository) writes the key: its text is decoded and validated, never answered from memory.
    const other = new PaymentRepository(journal);
    await journal.write({ puts: [other.put(payment('pay_1', { state: 'captured', capturedAmount: usd(1_234) }), 1)] });
    const changed = await payments.get('pay_1');
    expect(changed?.value).not.toBe(value);
    expect(changed?.value).toMatchObject({ state: 'captured' });
    expect(changed?.value.capturedAmount.equals(usd(1_234))).toBe(true);
    // A damaged text under a remembered key is refused, not masked by the memory.
    const mine = payment('pay_2');
    await journal.write({ puts: [payments.put(mine, 0)] });
    await journal.write({ puts: [{ collection: 'payments', key: 'pay_2', value: JSON.stringify({ ...JSON.parse(payments.encode(mine)), state: 'teleported' }), expectedVersion: 1 }] });
    await expect(payments.get('pay_2')).rejects.toMatchObject({ code: 'JOURNAL_RECORD_INVALID', key: 'pay_2', field: 'state' });
  });

  it('compare-and-set: a stale version fails the write', async () => {
    const { journal } = await openJournal();
    const payments = new PaymentRepository(journal);
    const first = await payments.save(payment('pay_1'), 0);
    await payments.save({ ...first.value, state: 'captured' }, first.version);
    await expect(payments.save({ ...first.value, state: 'voided' }, first.version)).rejects.toSatisfy(VersionConflictError.isInstance);
    await expect(payments.save(payment('pay_1'), 0)).rejects.toSatisfy(VersionConflictError.isInstance);
    await journal.write({ puts: [payments.put(payment('pay_2'), 0), payments.put(payment('pay_3'), 0)] });
    expect((await payments.getMany(['pay_3', 'pay_2', 'pay_missing'])).map((stored) => stored.key)).toEqual(['pay_3', 'pay_2']);
    expect(await payments.getMany([])).toEqual([]);
  });

  it('lists by index with keyset pagination, iterates everything, counts', async () => {
    const { journal } = await openJournal();
    const payments = new PaymentRepository(journal);
    const puts = Array.from({ length: 1_203 }, (_, index) => payments.put(payment(`pay_${String(index).padStart(5, '0')}`, { state: index % 3 === 0 ? 'captured' : 'authorized' }), 0));
    await journal.write({ puts });
    expect(await payments.count()).toBe(1_203);
    expect(await payments.count({ index: 'captured' })).toBe(401);
    const page = await payments.list({ index: 'captured', limit: 2, afterKey: 'pay_00000' });
    expect(page.map((stored) => stored.key)).toEqual(['pay_00003', 'pay_00006']);
    let all = 0;
    for await (const stored of payments.listAll()) {
      expect(stored.value.paymentId).toBe(stored.key);
      all += 1;
    }
    expect(all).toBe(1_203);
    let captured = 0;
    for await (const stored of payments.listByState('captured')) captured += stored.value.state === 'captured' ? 1 : 0;
    expect(captured).toBe(401);
  });

  it('claims by index with a lease that bumps the version (fencing)', async () => {
    const { journal, clock } = await openJournal();
    const intents = new IntentRepository(journal);
    const written = await intents.save(intent('pay_1.capture.1'), 0);
    const [claimed] = await intents.claim({ index: 'pending', owner: 'worker-a', leaseMs: 1_000, limit: 10 });
    expect(claimed).toMatchObject({ version: written.version + 1, lease: { owner: 'worker-a', expiresAt: clock.now() + 1_000 } });
    expect(await intents.claim({ index: 'pending', owner: 'worker-b', leaseMs: 1_000, limit: 10 })).toEqual([]);
    await expect(intents.save({ ...written.value, status: 'succeeded' }, written.version)).rejects.toSatisfy(VersionConflictError.isInstance);
    expect((await intents.listByStatus('pending', { limit: 10 })).map((stored) => stored.key)).toEqual(['pay_1.capture.1']);
  });

  it('refuses a stored value that is not JSON or does not match the schema, naming the record and the field but not the value', async () => {
    const { journal } = await openJournal();
    const payments = new PaymentRepository(journal);
    await journal.write({ puts: [{ collection: 'payments', key: 'broken', value: '{not json', expectedVersion: 0 }] });
    const notJson = await payments.get('broken').catch((error: unknown) => error);
    expect(JournalRecordInvalidError.isInstance(notJson)).toBe(true);
    expect(notJson).toMatchObject({ code: 'JOURNAL_RECORD_INVALID', collection: 'payments', key: 'broken', field: '' });
    const badMoney = JSON.stringify({ ...JSON.parse(JSON.stringify(payment('pay_1'))), amount: { minorUnits: '12.5', currency: 'USD' }, merchantReference: 'secret-ref' });
    await journal.write({ puts: [{ collection: 'payments', key: 'bad-money', value: badMoney, expectedVersion: 0 }] });
    const error = await payments.get('bad-money').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ field: 'amount' });
    expect((error as Error).message).toContain("'payments/bad-money'");
    expect((error as Error).message).not.toContain('secret-ref');
    const badState = JSON.stringify({ ...JSON.parse(JSON.stringify(payment('pay_1'))), state: 'teleported' });
    await journal.write({ puts: [{ collection: 'payments', key: 'bad-state', value: badState, expectedVersion: 0 }] });
    await expect(payments.get('bad-state')).rejects.toMatchObject({ field: 'state' });
  });

  it('reports a schema failure without issues as a whole-record problem', () => {
    const never = new JournalRepository<number>({} as never, {
      collection: 'numbers',
      schema: { safeParse: () => ({ success: false, error: { issues: [] } }) } as never,
      keyOf: String,
      indexOf: () => undefined,
    });
    const record = { collection: 'numbers', key: '1', version: 1, value: '1', index: undefined, updatedAt: 0, lease: undefined };
    expect(() => never.decode(record)).toThrow(/not a valid record of its collection: it does not match the schema/);
  });

  it('validates money on the way back', () => {
    expect(moneySchema.safeParse({ minorUnits: '100', currency: 'USD' }).success).toBe(true);
    expect(moneySchema.safeParse({ minorUnits: '100', currency: 'usd' }).success).toBe(false);
    expect(moneySchema.safeParse({ minorUnits: 100, currency: 'USD' }).success).toBe(false);
  });
});

describe('intent records', () => {
  it('round-trips every operation with its exact request', async () => {
    const { journal } = await openJournal();
    const intents = new IntentRepository(journal);
    const records: IntentRecord[] = [
      intent('p.authorize.1', {
        operation: 'authorize',
        request: { merchantReference: 'r', amount: usd(1), paymentMethodToken: 'tok', captureMethod: 'manual', savePaymentMethod: true, returnUrl: 'https://x' },
        outcome: { resolvedBy: 'response', state: 'requires_action', nextAction: { type: 'three_d_secure', url: 'https://3ds' }, amount: usd(1) },
      } as Partial<IntentRecord>),
      intent('p.charge_stored.1', {
        operation: 'charge_stored',
        request: { merchantReference: 'r', amount: usd(1), paymentMethodToken: 'pm', customerReference: 'cus', reason: 'subscription', networkTransactionId: 'n' },
      } as Partial<IntentRecord>),
      intent('p.refund.1', { operation: 'refund', request: { providerReference: 'pi', amount: usd(1), reason: 'duplicate' }, status: 'unresolved' } as Partial<IntentRecord>),
      intent('p.cancel.1', { operation: 'cancel', request: { providerReference: 'pi' }, status: 'waiting', nextAttemptAt: 5 } as Partial<IntentRecord>),
      intent('p.technical_cancel.1', { operation: 'technical_cancel', request: { merchantReference: 'r' }, resolvesIntentId: 'p.authorize.1' } as Partial<IntentRecord>),
    ];
    await journal.write({ puts: records.map((record) => intents.put(record, 0)) });
    for (const record of records) {
      expect((await intents.get(record.intentId))?.value).toEqual(record);
    }
    await journal.write({ puts: [{ collection: 'payment-intents', key: 'odd', value: JSON.stringify({ ...JSON.parse(JSON.stringify(records[0])), operation: 'teleport' }), expectedVersion: 0 }] });
    await expect(intents.get('odd')).rejects.toSatisfy(JournalRecordInvalidError.isInstance);
  });

  it('derives ids and classifies statuses', () => {
    expect(intentIdFor('pay_1', 'technical_cancel', 2)).toBe('pay_1.technical_cancel.2');
    expect(['pending', 'unknown', 'waiting'].map((status) => isNonTerminalIntentStatus(status as never))).toEqual([true, true, true]);
    expect(['succeeded', 'failed', 'unresolved'].map((status) => isNonTerminalIntentStatus(status as never))).toEqual([false, false, false]);
  });
});

describe('saved payment methods, processed events, provider references', () => {
  it('saved methods start delta-pending and move to delta-synced', async () => {
    const { journal } = await openJournal();
    const saved = new SavedPaymentMethodRepository(journal);
    const record = { provider: 'stripe', token: 'pm_1', customerReference: 'cus_1', card: { brand: 'visa' as const, last4: '4242', expiryMonth: 12, expiryYear: 2030 }, savedAt: 1 };
    const stored = await saved.save(record, 0);
    expect(stored).toMatchObject({ key: savedPaymentMethodKey('stripe', 'pm_1'), index: deltaPendingIndex });
    expect((await saved.listDeltaPending({ limit: 10 })).map((entry) => entry.key)).toEqual(['stripe:pm_1']);
    const synced = await saved.markSynced(stored, 99);
    expect(synced).toMatchObject({ index: deltaSyncedIndex, value: { syncedAt: 99 } });
    expect(await saved.listDeltaPending({ limit: 10 })).toEqual([]);
    await expect(saved.markSynced(stored, 100)).rejects.toSatisfy(VersionConflictError.isInstance);
    await journal.write({ puts: [{ collection: 'saved-payment-methods', key: 'pan', value: JSON.stringify({ ...record, card: { ...record.card, last4: '4242424242424242' } }), expectedVersion: 0 }] });
    await expect(saved.get('pan')).rejects.toMatchObject({ field: 'card.last4' });
  });

  it('processed events and provider references are keyed by provider', async () => {
    const { journal } = await openJournal();
    const events = new ProcessedEventRepository(journal);
    const references = new ProviderReferenceRepository(journal);
    await events.save({ provider: 'adyen', eventId: 'e:1', type: 'payment.captured', outcome: 'applied', processedAt: 1 }, 0);
    await references.save({ provider: 'adyen', providerReference: 'psp_1', paymentId: 'pay_1' }, 0);
    expect((await events.get(processedEventKey('adyen', 'e:1')))?.value.outcome).toBe('applied');
    expect((await references.get(providerReferenceKey('adyen', 'psp_1')))?.value.paymentId).toBe('pay_1');
    expect((await journal.get('processed-events', 'adyen:e:1'))?.index).toBeUndefined();
    expect((await journal.get('provider-references', 'adyen:psp_1'))?.index).toBeUndefined();
  });
});

describe('JournalRecordInvalidError', () => {
  const error = new JournalRecordInvalidError({ collection: 'payments', key: 'p1', field: 'amount', problem: 'bad' });

  it('carries a stable code, the record and the field, and serializes without the cause', () => {
    expect(error).toMatchObject({ name: 'JournalRecordInvalidError', code: 'JOURNAL_RECORD_INVALID', isRetryable: false, collection: 'payments', key: 'p1', field: 'amount' });
    expect(error.message).toBe(
      "Journal record 'payments/p1' is not a valid record of its collection at 'amount': bad. Restore it from a backup or repair it by hand; it was written by an incompatible version or changed outside paymigrate.",
    );
    expect(error.toJSON()).not.toHaveProperty('cause');
  });

  it('isInstance recognizes it and its markers only', () => {
    expect(JournalRecordInvalidError.isInstance(error)).toBe(true);
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect(JournalRecordInvalidError.isInstance({ [Symbol.for('paymigrate.error.journal-record-invalid')]: true })).toBe(true);
    for (const other of [new PaymigrateError('X', 'x'), new VersionConflictError({ collection: 'c', key: 'k', expectedVersion: 1, actualVersion: 2 }), new Error('x'), null, undefined, {}]) {
      expect(JournalRecordInvalidError.isInstance(other)).toBe(false);
    }
  });
});
