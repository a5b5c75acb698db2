import { InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { emptyOperationCounters, type PaymentRecord, PaymentRepository } from '../journal/payment-repository.js';
import { Money } from '../money/money.js';
import { sessionV2 } from './__fixtures__/session-fixtures.js';
import { bindCheckoutPayment, createJournalPaymentLocator, type PaymentLocator } from './payment-locator.js';

function payment(overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  const amount = Money.of(2500, 'EUR');
  return {
    paymentId: 'pay_1',
    merchantReference: 'order-1',
    provider: 'adyen',
    providerReference: 'PSP-1',
    captureMethod: 'manual',
    initialIntentId: 'intent-1',
    amount,
    authorizedAmount: amount,
    capturedAmount: Money.zero('EUR'),
    refundedAmount: Money.zero('EUR'),
    released: false,
    state: 'authorized',
    pendingOperations: [],
    appliedOperationReferences: [],
    operationCounters: { ...emptyOperationCounters, authorize: 1 },
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

const fixedLocator = (location: { provider: string; providerReference?: string } | undefined): PaymentLocator => ({ locate: async () => location });

describe('createJournalPaymentLocator', () => {
  it("answers the provider the Transaction State Manager's journal pins the payment to", async () => {
    const journal = new InMemoryJournal();
    await journal.open();
    await new PaymentRepository(journal).save(payment(), 0);
    const locator = createJournalPaymentLocator(journal);
    expect(await locator.locate('pay_1')).toStrictEqual({ provider: 'adyen', providerReference: 'PSP-1' });
    expect(await locator.locate('pay_unknown')).toBeUndefined();
  });
});

describe('bindCheckoutPayment', () => {
  it('leaves sessions without a payment alone', async () => {
    const session = sessionV2({ checkout: { step: 'address' } });
    expect(await bindCheckoutPayment(session, fixedLocator({ provider: 'adyen' }))).toStrictEqual({ session, binding: 'none' });
    expect((await bindCheckoutPayment(sessionV2(), undefined)).binding).toBe('none');
  });

  it('re-binds an in-progress payment to the provider that holds it, never to another', async () => {
    const session = sessionV2({ checkout: { step: 'payment', paymentId: 'pay_1', provider: 'stripe', providerReference: 'pi_1' } });
    const bound = await bindCheckoutPayment(session, fixedLocator({ provider: 'adyen', providerReference: 'PSP-1' }));
    expect(bound.binding).toBe('rebound');
    expect(bound.session.checkout).toStrictEqual({ step: 'payment', paymentId: 'pay_1', provider: 'adyen', providerReference: 'PSP-1' });
  });

  it("drops the old provider's reference when the journal has none yet for the new one", async () => {
    const session = sessionV2({ checkout: { step: 'review', paymentId: 'pay_1', provider: 'stripe', providerReference: 'pi_1' } });
    const bound = await bindCheckoutPayment(session, fixedLocator({ provider: 'adyen' }));
    expect(bound.session.checkout).toStrictEqual({ step: 'review', paymentId: 'pay_1', provider: 'adyen' });
  });

  it('confirms a binding that already matches, keeping a reference the journal lacks', async () => {
    const session = sessionV2({ checkout: { step: 'payment', paymentId: 'pay_1', provider: 'adyen', providerReference: 'PSP-1' } });
    expect(await bindCheckoutPayment(session, fixedLocator({ provider: 'adyen' }))).toStrictEqual({ session, binding: 'confirmed' });
  });

  it('adds the reference when the session lacked it', async () => {
    const session = sessionV2({ checkout: { step: 'payment', paymentId: 'pay_1', provider: 'adyen' } });
    const bound = await bindCheckoutPayment(session, fixedLocator({ provider: 'adyen', providerReference: 'PSP-1' }));
    expect(bound).toMatchObject({ binding: 'rebound', session: { checkout: { providerReference: 'PSP-1' } } });
  });

  it('leaves a payment the journal does not know as it was, with or without a locator', async () => {
    const session = sessionV2({ checkout: { step: 'payment', paymentId: 'pay_1', provider: 'stripe' } });
    expect(await bindCheckoutPayment(session, fixedLocator(undefined))).toStrictEqual({ session, binding: 'unlocated' });
    expect(await bindCheckoutPayment(session, undefined)).toStrictEqual({ session, binding: 'unlocated' });
  });

  it('lets a locator failure through: a session is never bound by guess', async () => {
    const session = sessionV2({ checkout: { step: 'payment', paymentId: 'pay_1' } });
    const failing: PaymentLocator = { locate: async () => Promise.reject(new Error('journal down')) };
    await expect(bindCheckoutPayment(session, failing)).rejects.toThrow('journal down');
  });
});
