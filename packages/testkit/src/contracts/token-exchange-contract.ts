import { randomUUID } from 'node:crypto';
import {
  type CardBrand,
  type CardSummary,
  IdempotencyConflictError,
  ResourceNotFoundError,
  type TokenExchangeV1,
  type TokenImportInput,
  type TokenImportResult,
} from '@paymigrate/core';
import { expect } from 'vitest';
import { type ContractContext, type ContractInput, type ContractSuite, runContract, withSubject } from './contract-suite.js';
import { findCardNumberLikeRuns } from './payment-gateway-contract.js';

/** Options of `tokenExchangeContract`. */
export interface TokenExchangeContractOptions {
  /** The provider the test payment methods come from (`stripe`, `braintree`, ...). */
  readonly sourceProvider: string;
  /** Currency of zero-amount verifications. */
  readonly currency: string;
  /** A card this provider accepts: supported brand, expiry in the future. */
  readonly card: CardSummary;
  /**
   * Makes (or names) a customer that exists at this provider. The case importing into an existing
   * customer is skipped when absent.
   */
  readonly existingCustomer?: ((subject: TokenExchangeV1) => Promise<string>) | undefined;
  /** A brand this provider refuses; the `brand_not_supported` case is skipped when absent. */
  readonly unsupportedBrand?: CardBrand | undefined;
  /**
   * A customer reference unknown to this provider that an import must refuse with
   * `unknown_customer`; the case is skipped when absent (providers that create customers on import).
   */
  readonly unknownCustomerReference?: string | undefined;
  /** Whether the provider refuses a key reused with other parameters. @default true */
  readonly idempotencyConflictDetected?: boolean | undefined;
}

/** Context every token exchange suite receives. */
type ExchangeContext = ContractContext<TokenExchangeV1, TokenExchangeContractOptions>;

/** Names of the token exchange contract suites. */
export type TokenExchangeContractSuiteName = 'importing' | 'rejections' | 'verification';

/** A fresh idempotency key. */
function newKey(): string {
  return `contract-${randomUUID()}`;
}

/**
 * An import of the contract's card with a fresh source token, key and source customer, into the
 * existing customer when `existingCustomer` is given (providers that need one, as Adyen needs a
 * shopper reference), else without a customer reference.
 */
async function importInput(context: ExchangeContext, subject: TokenExchangeV1, overrides: Partial<TokenImportInput> = {}): Promise<TokenImportInput> {
  const customerReference = await context.options.existingCustomer?.(subject);
  return {
    idempotencyKey: newKey(),
    sourceProvider: context.options.sourceProvider,
    sourceToken: `src_${randomUUID()}`,
    sourceCustomerReference: `src_cus_${randomUUID()}`,
    customerReference,
    card: context.options.card,
    ...overrides,
  };
}

/** Narrows an import result to `imported`, failing the test otherwise. */
function expectImported(result: TokenImportResult): Extract<TokenImportResult, { status: 'imported' }> {
  expect(result.status, `import result ${JSON.stringify(result)}`).toBe('imported');
  return result as Extract<TokenImportResult, { status: 'imported' }>;
}

/** Cases of successful imports. */
const importing: ContractSuite<TokenExchangeV1, TokenExchangeContractOptions> = (context) => {
  const { test, options } = context;

  test('an import answers a new token with the card details kept', () =>
    withSubject(context, async (subject) => {
      const input = await importInput(context, subject, { networkTransactionId: 'ntid-contract-0001' });
      const result = expectImported(await subject.importPaymentMethod(input));
      expect(result.token.length).toBeGreaterThan(0);
      expect(result.token).not.toBe(input.sourceToken);
      expect(result.customerReference.length).toBeGreaterThan(0);
      expect({ brand: result.card.brand, last4: result.card.last4, expiryMonth: result.card.expiryMonth, expiryYear: result.card.expiryYear }).toEqual({
        brand: options.card.brand,
        last4: options.card.last4,
        expiryMonth: options.card.expiryMonth,
        expiryYear: options.card.expiryYear,
      });
      expect(result.networkTransactionId).toBe('ntid-contract-0001');
      expect(findCardNumberLikeRuns(result)).toEqual([]);
    }));

  test('an import into an existing customer keeps that customer', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.existingCustomer === undefined) {
        return skip('no existingCustomer given for this provider');
      }
      const customerReference = await options.existingCustomer(subject);
      const result = expectImported(await subject.importPaymentMethod(await importInput(context, subject, { customerReference })));
      expect(result.customerReference).toBe(customerReference);
    }));

  test('replaying an import answers the same token', () =>
    withSubject(context, async (subject) => {
      const input = await importInput(context, subject);
      const first = await subject.importPaymentMethod(input);
      const second = await subject.importPaymentMethod(input);
      expect(second).toEqual(first);
    }));

  test('importing the same card again for the same customer never creates a second token', () =>
    withSubject(context, async (subject) => {
      const first = expectImported(await subject.importPaymentMethod(await importInput(context, subject)));
      const again = await subject.importPaymentMethod(await importInput(context, subject, { customerReference: first.customerReference }));
      if (again.status === 'imported') {
        expect(again.token).toBe(first.token);
      } else {
        expect(again.reason).toBe('duplicate');
      }
    }));

  test('reusing a key with other parameters is an IdempotencyConflictError', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.idempotencyConflictDetected === false) {
        return skip(`${subject.provider} does not detect a key reused with other parameters (idempotencyConflictDetected: false)`);
      }
      const input = await importInput(context, subject);
      await subject.importPaymentMethod(input);
      const error = await subject.importPaymentMethod({ ...input, sourceToken: `src_${randomUUID()}` }).then(
        () => new Error('Expected the import to fail, but it succeeded.'),
        (caught: unknown) => caught,
      );
      expect(IdempotencyConflictError.isInstance(error), `expected IdempotencyConflictError, got ${String(error)}`).toBe(true);
    }));
};

/** Cases of business rejections: answered, never thrown. */
const rejections: ContractSuite<TokenExchangeV1, TokenExchangeContractOptions> = (context) => {
  const { test, options } = context;

  test('an expired card is rejected as expired', () =>
    withSubject(context, async (subject) => {
      const result = await subject.importPaymentMethod(await importInput(context, subject, { card: { ...options.card, expiryMonth: 1, expiryYear: 2001 } }));
      expect(result).toMatchObject({ status: 'rejected', reason: 'expired' });
    }));

  test('a brand the provider does not take is rejected as brand_not_supported', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.unsupportedBrand === undefined) {
        return skip('no unsupportedBrand given for this provider');
      }
      const result = await subject.importPaymentMethod(await importInput(context, subject, { card: { ...options.card, brand: options.unsupportedBrand } }));
      expect(result).toMatchObject({ status: 'rejected', reason: 'brand_not_supported' });
    }));

  test('an unknown customer is rejected as unknown_customer', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.unknownCustomerReference === undefined) {
        return skip('no unknownCustomerReference given (this provider creates customers on import)');
      }
      const result = await subject.importPaymentMethod(await importInput(context, subject, { customerReference: options.unknownCustomerReference }));
      expect(result).toMatchObject({ status: 'rejected', reason: 'unknown_customer' });
    }));

  test('replaying a rejected import answers the same rejection', () =>
    withSubject(context, async (subject) => {
      const input = await importInput(context, subject, { card: { ...options.card, expiryMonth: 1, expiryYear: 2001 } });
      const first = await subject.importPaymentMethod(input);
      expect(await subject.importPaymentMethod(input)).toEqual(first);
      expect(findCardNumberLikeRuns(first)).toEqual([]);
    }));
};

/** Cases of zero-amount verification. */
const verification: ContractSuite<TokenExchangeV1, TokenExchangeContractOptions> = (context) => {
  const { test, options } = context;

  test('an imported token verifies', () =>
    withSubject(context, async (subject) => {
      const imported = expectImported(await subject.importPaymentMethod(await importInput(context, subject)));
      const result = await subject.verifyPaymentMethod({
        idempotencyKey: newKey(),
        token: imported.token,
        customerReference: imported.customerReference,
        currency: options.currency,
      });
      expect(result.verified).toBe(true);
      expect(result.declineReason).toBeUndefined();
    }));

  test('an unknown token does not verify (verified: false, or ResourceNotFoundError)', () =>
    withSubject(context, async (subject) => {
      const outcome = await subject
        .verifyPaymentMethod({ idempotencyKey: newKey(), token: `unknown_${randomUUID()}`, customerReference: `unknown_${randomUUID()}`, currency: options.currency })
        .catch((caught: unknown) => caught);
      if (ResourceNotFoundError.isInstance(outcome)) {
        expect(outcome.provider).toBe(subject.provider);
      } else {
        expect(outcome).toMatchObject({ verified: false });
        expect((outcome as { declineReason?: string }).declineReason).toMatch(/^[a-z_]+$/);
      }
    }));

  test('replaying a verification answers the same result', () =>
    withSubject(context, async (subject) => {
      const imported = expectImported(await subject.importPaymentMethod(await importInput(context, subject)));
      const input = { idempotencyKey: newKey(), token: imported.token, customerReference: imported.customerReference, currency: options.currency };
      const first = await subject.verifyPaymentMethod(input);
      expect(await subject.verifyPaymentMethod(input)).toEqual(first);
    }));
};

/** The token exchange contract, suite by suite. */
export const tokenExchangeContractSuites: Readonly<Record<TokenExchangeContractSuiteName, ContractSuite<TokenExchangeV1, TokenExchangeContractOptions>>> = {
  importing,
  rejections,
  verification,
};

/** Registers the whole token exchange contract; each case runs on a fresh subject from `create`. */
export function tokenExchangeContract(input: ContractInput<TokenExchangeV1, TokenExchangeContractOptions, TokenExchangeContractSuiteName>): void {
  runContract('TokenExchange', tokenExchangeContractSuites, input);
}
