import { InMemoryJournal, InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { Money } from '../money/money.js';
import { fixedProviderSelector } from './provider-selector.js';
import { createTransactionStateManager } from './transaction-state-manager.js';
import { transactionStateManagerOptionsSchema } from './transaction-options.js';

describe('createTransactionStateManager options', () => {
  const journal = new InMemoryJournal();
  const gateway = new InMemoryPaymentGateway({ provider: 'stripe' });

  it('applies the documented defaults', () => {
    const parsed = transactionStateManagerOptionsSchema.parse({ journal, gateways: [gateway], selectProvider: fixedProviderSelector('stripe') });
    expect(parsed.retry).toEqual({ maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 });
    expect(parsed.unknownOutcome).toEqual({ resolveAfterMs: 0, lookupDelayMs: 2_000, keyRetentionMs: 21_600_000 });
    expect(parsed.recovery).toEqual({ leaseMs: 60_000, graceMs: 10_000, concurrency: 4 });
    expect(parsed.outboxTopics).toEqual({ platformPayment: 'platform.payment' });
  });

  it('refuses invalid options with a ConfigurationError naming the option and the fix', () => {
    const valid = { journal, gateways: [gateway], selectProvider: fixedProviderSelector('stripe') };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ...valid, journal: undefined }, 'transactionStateManager.journal', /must be a JournalV1/],
      [{ ...valid, journal: { specificationVersion: 'v2' } }, 'transactionStateManager.journal', /opened journal adapter/],
      [{ ...valid, gateways: [] }, 'transactionStateManager.gateways', /one gateway adapter per provider/],
      [{ ...valid, gateways: [gateway, new InMemoryPaymentGateway({ provider: 'stripe' })] }, 'transactionStateManager.gateways', /provider names must be unique/],
      [{ ...valid, gateways: [{ provider: 'x' }] }, 'transactionStateManager.gateways.0', /PaymentGatewayV1/],
      [{ ...valid, selectProvider: {} }, 'transactionStateManager.selectProvider', /fixedProviderSelector/],
      [{ ...valid, retry: { maxAttempts: 0 } }, 'transactionStateManager.retry.maxAttempts', /is invalid/],
      [{ ...valid, recovery: { concurrency: 0 } }, 'transactionStateManager.recovery.concurrency', /is invalid/],
      [{ ...valid, clock: { now: 1 } }, 'transactionStateManager.clock', /is invalid/],
      [{ ...valid, logger: {} }, 'transactionStateManager.logger', /is invalid/],
      [{ ...valid, meter: {} }, 'transactionStateManager.meter', /is invalid/],
      [{ ...valid, outboxTopics: { platformPayment: '' } }, 'transactionStateManager.outboxTopics.platformPayment', /is invalid/],
    ];
    for (const [options, option, text] of cases) {
      let caught: unknown;
      try {
        createTransactionStateManager(options as never);
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught), option).toBe(true);
      expect((caught as ConfigurationError).option).toBe(option);
      expect((caught as ConfigurationError).message).toMatch(text);
    }
  });

  it('works with every default (system clock, default logger and meter)', async () => {
    await journal.open();
    const transactions = createTransactionStateManager({ journal, gateways: [gateway], selectProvider: fixedProviderSelector('stripe'), logger: undefined });
    const result = await transactions.authorize({ paymentId: 'pay_1', merchantReference: 'ref-1', amount: Money.of(100, 'EUR'), paymentMethodToken: 'tok_visa' });
    expect(result.status).toBe('succeeded');
    expect(await fixedProviderSelector('stripe').select({ paymentId: 'p', merchantReference: 'r', amount: Money.of(1, 'EUR'), currency: 'EUR' })).toEqual({ provider: 'stripe', reason: 'fixed' });
  });
});
