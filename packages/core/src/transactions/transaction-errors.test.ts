import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { UnknownOutcomeError } from '../errors/provider-errors.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { JournalRecordInvalidError } from '../journal/journal-record-invalid-error.js';
import { Money } from '../money/money.js';
import { OutboxPayloadInvalidError } from '../outbox/outbox-errors.js';
import {
  IntentLeaseLostError,
  InvalidTransactionInputError,
  OperationNotAllowedError,
  PaymentAmountError,
  PaymentNotFoundError,
  ProviderNotConfiguredError,
} from './transaction-errors.js';

interface Case {
  readonly type: { readonly name: string; isInstance(value: unknown): boolean };
  readonly marker: string;
  readonly create: () => PaymigrateError;
  readonly code: string;
  readonly isRetryable: boolean;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

const cases: readonly Case[] = [
  {
    type: PaymentNotFoundError,
    marker: 'paymigrate.error.transaction.payment-not-found',
    create: () => new PaymentNotFoundError({ paymentId: 'pay_1' }),
    code: 'TRANSACTION_PAYMENT_NOT_FOUND',
    isRetryable: false,
    message: "Payment 'pay_1' is not in the journal. Authorize it first, or check the payment id.",
    fields: { paymentId: 'pay_1' },
  },
  {
    type: PaymentAmountError,
    marker: 'paymigrate.error.transaction.amount',
    create: () => new PaymentAmountError({ paymentId: 'pay_1', operation: 'capture', problem: 'exceeds-available', requested: usd(600), available: usd(500) }),
    code: 'TRANSACTION_AMOUNT_INVALID',
    isRetryable: false,
    message: "Cannot capture 6.00 USD on payment 'pay_1': only 5.00 USD is available (claims in flight count against it). Nothing was sent to the provider.",
    fields: { paymentId: 'pay_1', operation: 'capture', problem: 'exceeds-available', requested: usd(600), available: usd(500) },
  },
  {
    type: OperationNotAllowedError,
    marker: 'paymigrate.error.transaction.operation-not-allowed',
    create: () => new OperationNotAllowedError({ paymentId: 'pay_1', operation: 'refund', state: 'authorized', reason: 'nothing was captured' }),
    code: 'TRANSACTION_OPERATION_NOT_ALLOWED',
    isRetryable: false,
    message: "Cannot refund payment 'pay_1' (state 'authorized'): nothing was captured. Nothing was sent to the provider.",
    fields: { paymentId: 'pay_1', operation: 'refund', state: 'authorized' },
  },
  {
    type: ProviderNotConfiguredError,
    marker: 'paymigrate.error.transaction.provider-not-configured',
    create: () => new ProviderNotConfiguredError({ provider: 'paypal', configuredProviders: [] }),
    code: 'TRANSACTION_PROVIDER_NOT_CONFIGURED',
    isRetryable: false,
    message: "No gateway for provider 'paypal' (configured: none). Add its adapter to the transaction state manager's gateways.",
    fields: { provider: 'paypal', configuredProviders: [] },
  },
  {
    type: InvalidTransactionInputError,
    marker: 'paymigrate.error.transaction.input',
    create: () => new InvalidTransactionInputError({ field: 'paymentId', problem: 'too long' }),
    code: 'TRANSACTION_INPUT_INVALID',
    isRetryable: false,
    message: "Invalid 'paymentId': too long.",
    fields: { field: 'paymentId' },
  },
  {
    type: IntentLeaseLostError,
    marker: 'paymigrate.error.transaction.intent-lease-lost',
    create: () => new IntentLeaseLostError({ intentId: 'pay_1.capture.1', owner: 'a', holder: 'b' }),
    code: 'TRANSACTION_INTENT_LEASE_LOST',
    isRetryable: true,
    message: "Worker 'a' lost its claim on intent 'pay_1.capture.1' to 'b'; it stops without writing. Use a lease longer than the slowest provider call.",
    fields: { intentId: 'pay_1.capture.1', owner: 'a', holder: 'b' },
  },
];

/** Errors of other classes, for the negative isInstance checks. */
const strangers: readonly unknown[] = [
  new PaymigrateError('X', 'x'),
  new ConfigurationError({ option: 'o', problem: 'is missing', fix: 'f' }),
  new VersionConflictError({ collection: 'c', key: 'k', expectedVersion: 1, actualVersion: 2 }),
  new UnknownOutcomeError('timeout', { provider: 'stripe' }),
  new JournalRecordInvalidError({ collection: 'c', key: 'k', field: '', problem: 'p' }),
  new OutboxPayloadInvalidError({ topic: 't', sequence: 1, problem: 'p' }),
  new Error('boom'),
  null,
  undefined,
  'PaymentNotFoundError',
  {},
];

describe.each(cases)('$type.name', (errorCase) => {
  const error = errorCase.create();

  it('has its name, stable code, retryability, message and fields', () => {
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(errorCase.type.name);
    expect(error.code).toBe(errorCase.code);
    expect(error.isRetryable).toBe(errorCase.isRetryable);
    expect(error.message).toBe(errorCase.message);
    for (const [field, value] of Object.entries(errorCase.fields)) {
      expect((error as unknown as Record<string, unknown>)[field], field).toEqual(value);
    }
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: errorCase.code, name: errorCase.type.name });
  });

  it('isInstance is true for itself, its marker from another installed copy, and PaymigrateError', () => {
    expect(errorCase.type.isInstance(error)).toBe(true);
    expect(PaymigrateError.isInstance(error)).toBe(true);
    expect(errorCase.type.isInstance({ [Symbol.for(errorCase.marker)]: true })).toBe(true);
  });

  it('isInstance is false for every other error class and for look-alikes', () => {
    for (const other of [...cases.filter((candidate) => candidate !== errorCase).map((candidate) => candidate.create()), ...strangers]) {
      expect(errorCase.type.isInstance(other)).toBe(false);
    }
    expect(errorCase.type.isInstance(Object.assign(new Error(errorCase.message), { name: errorCase.type.name, code: errorCase.code }))).toBe(false);
    expect(errorCase.type.isInstance({ [Symbol(errorCase.marker)]: true })).toBe(false);
    expect(errorCase.type.isInstance({ [Symbol.for(errorCase.marker)]: 'true' })).toBe(false);
  });
});

describe('PaymentAmountError messages', () => {
  it('explain every problem', () => {
    const base = { paymentId: 'p', operation: 'refund', requested: usd(100), available: usd(50) };
    expect(new PaymentAmountError({ ...base, problem: 'currency-mismatch', requested: Money.of(100, 'EUR') }).message).toContain('the payment is in USD');
    expect(new PaymentAmountError({ ...base, problem: 'not-positive' }).message).toContain('the amount must be positive');
  });
});
