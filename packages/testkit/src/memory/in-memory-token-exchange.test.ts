import {
  type CallOptions,
  type CardSummary,
  IdempotencyConflictError,
  type InvalidRequestError,
  Money,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  type TokenExchangeV1,
  type TokenImportInput,
  type TokenImportResult,
  type TokenVerificationInput,
  type TokenVerificationResult,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { describe, expect, it, test, type TestContext } from 'vitest';
import type { ContractTest } from '../contracts/contract-suite.js';
import { tokenExchangeContract, tokenExchangeContractSuites } from '../contracts/token-exchange-contract.js';
import { InMemoryPaymentGateway } from './in-memory-payment-gateway.js';
import { InMemoryTokenExchange } from './in-memory-token-exchange.js';
import { ManualClock } from './manual-clock.js';

const card: CardSummary = { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2034, fingerprint: 'src_fp_1' };

describe('creating customers', () => {
  tokenExchangeContract({
    test,
    create: () => new InMemoryTokenExchange({ supportedBrands: ['visa', 'mastercard'] }),
    options: {
      sourceProvider: 'stripe',
      currency: 'EUR',
      card,
      existingCustomer: async () => 'cus_existing',
      unsupportedBrand: 'amex',
    },
  });
});

describe('known customers only', () => {
  tokenExchangeContract({
    test,
    create: () => new InMemoryTokenExchange({ provider: 'adyen-memory', knownCustomers: ['cus_known'], createCustomers: false }),
    options: {
      sourceProvider: 'braintree',
      currency: 'USD',
      card: { brand: 'mastercard', last4: '4444', expiryMonth: 6, expiryYear: 2033 },
      existingCustomer: async () => 'cus_known',
      unknownCustomerReference: 'cus_stranger',
      idempotencyConflictDetected: false,
    },
  });
});

describe('minimal options', () => {
  tokenExchangeContract({
    test,
    create: () => new InMemoryTokenExchange(),
    options: { sourceProvider: 'paypal', currency: 'EUR', card },
    optOuts: { verification: 'covered by the first run; this run checks the skips of option-gated cases' },
  });
});

/** A provider that refuses re-imports as duplicates and unknown tokens with ResourceNotFoundError. */
class StrictTokenExchange extends InMemoryTokenExchange {
  readonly #firstKeyOfToken = new Map<string, string>();

  override async importPaymentMethod(input: TokenImportInput, options?: CallOptions): Promise<TokenImportResult> {
    const result = await super.importPaymentMethod(input, options);
    if (result.status !== 'imported') {
      return result;
    }
    const firstKey = this.#firstKeyOfToken.get(result.token) ?? input.idempotencyKey;
    this.#firstKeyOfToken.set(result.token, firstKey);
    return firstKey === input.idempotencyKey ? result : { status: 'rejected', reason: 'duplicate', detail: `already stored as ${result.token}` };
  }

  override async verifyPaymentMethod(input: TokenVerificationInput, options?: CallOptions): Promise<TokenVerificationResult> {
    const result = await super.verifyPaymentMethod(input, options);
    if (result.declineReason === 'payment_method_not_found') {
      throw new ResourceNotFoundError('No such token.', { provider: this.provider, resource: `payment method ${input.token}` });
    }
    return result;
  }
}

describe('a provider that answers duplicate and throws for unknown tokens', () => {
  tokenExchangeContract({
    test,
    create: () => new StrictTokenExchange({ provider: 'strict' }),
    options: { sourceProvider: 'stripe', currency: 'EUR', card },
    optOuts: { rejections: 'rejections do not depend on the duplicate handling this run checks' },
  });
});

/** A provider that ignores the parameters behind a reused key: the contract must catch it. */
class ConflictBlindTokenExchange extends InMemoryTokenExchange {
  override async importPaymentMethod(input: TokenImportInput, options?: CallOptions): Promise<TokenImportResult> {
    return super.importPaymentMethod({ ...input, idempotencyKey: `${input.idempotencyKey.slice(0, 30)}-${input.sourceToken.slice(-30)}` }, options);
  }
}

describe('the token exchange contract catches broken adapters', () => {
  it('fails an adapter that does not detect a key reused with other parameters', async () => {
    const cases = new Map<string, (context: TestContext) => Promise<void>>();
    const recorder = (name: string, body: (context: TestContext) => Promise<void>): void => {
      cases.set(name, body);
    };
    tokenExchangeContractSuites.importing({
      test: recorder as unknown as ContractTest,
      create: (): TokenExchangeV1 => new ConflictBlindTokenExchange(),
      options: { sourceProvider: 'stripe', currency: 'EUR', card },
    });
    const body = cases.get('reusing a key with other parameters is an IdempotencyConflictError');
    await expect(body?.({} as TestContext)).rejects.toThrow(/expected IdempotencyConflictError, got Error: Expected the import to fail/);
  });
});

describe('InMemoryTokenExchange', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 15));
  const input: TokenImportInput = {
    idempotencyKey: 'import-1',
    sourceProvider: 'stripe',
    sourceToken: 'pm_old_1',
    sourceCustomerReference: 'cus_old_1',
    card,
    networkTransactionId: 'ntid_1',
  };

  it.each([
    ['a three-digit last4', { ...card, last4: '424' }, 'last4 must be exactly four digits'],
    ['month 0', { ...card, expiryMonth: 0 }, 'expiryMonth must be 1-12'],
    ['month 13', { ...card, expiryMonth: 13 }, 'expiryMonth must be 1-12'],
    ['a fractional month', { ...card, expiryMonth: 1.5 }, 'expiryMonth must be 1-12'],
    ['a two-digit year', { ...card, expiryYear: 34 }, 'expiryYear must have four digits'],
    ['a five-digit year', { ...card, expiryYear: 20340 }, 'expiryYear must have four digits'],
    ['a fractional year', { ...card, expiryYear: 2034.5 }, 'expiryYear must have four digits'],
  ])('rejects %s as invalid_data', async (_label, invalidCard, detail) => {
    const exchange = new InMemoryTokenExchange({ clock });
    expect(await exchange.importPaymentMethod({ ...input, card: invalidCard })).toEqual({ status: 'rejected', reason: 'invalid_data', detail });
  });

  it('rejects tokens missing at the source', async () => {
    const exchange = new InMemoryTokenExchange({ clock, tokensMissingAtSource: ['pm_old_1'] });
    expect(await exchange.importPaymentMethod(input)).toMatchObject({ status: 'rejected', reason: 'not_found_at_source' });
  });

  it('treats a card as valid through the last day of its expiry month (UTC)', async () => {
    const exchange = new InMemoryTokenExchange({ clock });
    expect(await exchange.importPaymentMethod({ ...input, card: { ...card, expiryMonth: 6, expiryYear: 2026 } })).toMatchObject({ status: 'imported' });
    expect(await exchange.importPaymentMethod({ ...input, idempotencyKey: 'import-2', card: { ...card, expiryMonth: 5, expiryYear: 2026 } })).toMatchObject({
      status: 'rejected',
      reason: 'expired',
      detail: 'expired at the end of 5/2026',
    });
  });

  it('creates one customer per source customer, adopts given references, and refuses without createCustomers', async () => {
    const exchange = new InMemoryTokenExchange({ clock });
    const first = await exchange.importPaymentMethod(input);
    const second = await exchange.importPaymentMethod({ ...input, idempotencyKey: 'import-2', sourceToken: 'pm_old_2', card: { ...card, fingerprint: 'src_fp_2' } });
    const third = await exchange.importPaymentMethod({ ...input, idempotencyKey: 'import-3', sourceCustomerReference: 'cus_old_2', card: { ...card, fingerprint: 'src_fp_3' } });
    expect(first.status === 'imported' && second.status === 'imported' && first.customerReference === second.customerReference).toBe(true);
    expect(third.status === 'imported' && first.status === 'imported' && third.customerReference !== first.customerReference).toBe(true);
    expect(await exchange.importPaymentMethod({ ...input, idempotencyKey: 'import-4', customerReference: 'cus_given' })).toMatchObject({
      status: 'imported',
      customerReference: 'cus_given',
    });

    const strict = new InMemoryTokenExchange({ clock, createCustomers: false });
    expect(await strict.importPaymentMethod(input)).toMatchObject({ status: 'rejected', reason: 'unknown_customer' });
  });

  it('answers the existing token for the same card (fingerprint, else brand, last four and expiry) and customer', async () => {
    const exchange = new InMemoryTokenExchange({ clock, knownCustomers: ['cus_1'] });
    const withoutFingerprint = { brand: 'visa', last4: '1111', expiryMonth: 1, expiryYear: 2030 } as const;
    const first = await exchange.importPaymentMethod({ ...input, customerReference: 'cus_1', card: withoutFingerprint });
    const again = await exchange.importPaymentMethod({ ...input, idempotencyKey: 'import-2', sourceToken: 'pm_old_2', customerReference: 'cus_1', card: withoutFingerprint });
    expect(again).toEqual(first);
    expect(exchange.imported()).toHaveLength(1);
    expect(exchange.imported()[0]).toMatchObject({ sourceToken: 'pm_old_1', sourceProvider: 'stripe', sourceCustomerReference: 'cus_old_1' });
    expect(first.status === 'imported' && first.card.fingerprint).toMatch(/^fp_[a-p]{16}$/);
  });

  it('registers imported methods at the gateway so they can be charged', async () => {
    const gateway = new InMemoryPaymentGateway({ provider: 'adyen-memory', clock });
    const exchange = new InMemoryTokenExchange({ gateway, clock });
    expect(exchange.provider).toBe('adyen-memory');
    const imported = await exchange.importPaymentMethod(input);
    if (imported.status !== 'imported') {
      throw new Error('expected an import');
    }
    const [stored] = await gateway.listStoredPaymentMethods({ customerReference: imported.customerReference });
    expect(stored).toMatchObject({ token: imported.token, networkTransactionId: 'ntid_1', createdAt: clock.now() });
    const payment = await gateway.chargeStoredPaymentMethod({
      idempotencyKey: 'renewal-1',
      merchantReference: 'renewal-1',
      amount: Money.of(990, 'EUR'),
      customerReference: imported.customerReference,
      paymentMethodToken: imported.token,
      reason: 'subscription',
    });
    expect(payment).toMatchObject({ state: 'captured', networkTransactionId: 'ntid_1' });
  });

  it('verifies known tokens, fails marked ones and tokens of another customer, and refuses bad currencies', async () => {
    const exchange = new InMemoryTokenExchange({ clock });
    const imported = await exchange.importPaymentMethod(input);
    if (imported.status !== 'imported') {
      throw new Error('expected an import');
    }
    const verify = { idempotencyKey: 'verify-1', token: imported.token, customerReference: imported.customerReference, currency: 'EUR' };
    expect(await exchange.verifyPaymentMethod(verify)).toMatchObject({ verified: true, networkTransactionId: expect.stringMatching(/^ntid_memory_/) });
    expect(await exchange.verifyPaymentMethod({ ...verify, idempotencyKey: 'verify-2', customerReference: 'cus_other' })).toEqual({
      verified: false,
      declineReason: 'payment_method_not_found',
    });
    exchange.failVerification(imported.token);
    expect(await exchange.verifyPaymentMethod({ ...verify, idempotencyKey: 'verify-3' })).toEqual({ verified: false, declineReason: 'do_not_honor' });
    exchange.failVerification(imported.token, 'card_velocity_exceeded');
    expect(await exchange.verifyPaymentMethod({ ...verify, idempotencyKey: 'verify-4' })).toEqual({ verified: false, declineReason: 'card_velocity_exceeded' });
    const error = await exchange.verifyPaymentMethod({ ...verify, idempotencyKey: 'verify-5', currency: 'eur' }).catch((caught: unknown) => caught);
    expect((error as InvalidRequestError).parameter).toBe('currency');
    expect(IdempotencyConflictError.isInstance(await exchange.verifyPaymentMethod({ ...verify, currency: 'USD' }).catch((caught: unknown) => caught))).toBe(true);
  });

  it('injects unavailability, queued errors and aborts before anything is applied', async () => {
    const exchange = new InMemoryTokenExchange({ clock });
    exchange.setAvailable(false);
    await expect(exchange.importPaymentMethod(input)).rejects.toSatisfy(ProviderUnavailableError.isInstance);
    exchange.setAvailable(true);
    const throttled = new RateLimitedError('slow down', { provider: 'memory', retryAfterMs: 10 });
    exchange.failNext('verifyPaymentMethod', throttled);
    await expect(exchange.verifyPaymentMethod({ idempotencyKey: 'v', token: 't', customerReference: 'c', currency: 'EUR' })).rejects.toBe(throttled);
    const controller = new AbortController();
    controller.abort();
    await expect(exchange.importPaymentMethod(input, { signal: controller.signal })).rejects.toSatisfy(UnknownOutcomeError.isInstance);
    expect(exchange.imported()).toEqual([]);
    expect(await exchange.importPaymentMethod(input)).toMatchObject({ status: 'imported' });
  });
});
