import {
  type AuthorizeInput,
  type CallOptions,
  type CaptureInput,
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  type PaymentGatewayV1,
  type PaymentOperationResult,
  type PaymentSnapshot,
  paymentStateFromAmounts,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
  UnsupportedOperationError,
  WebhookVerificationError,
} from '@paymigrate/core';
import { describe, expect, it, test, type TestContext } from 'vitest';
import { type ContractSuite, type ContractTest, runContract } from '../contracts/contract-suite.js';
import {
  findCardNumberLikeRuns,
  paymentGatewayContract,
  type PaymentGatewayContractOptions,
  paymentGatewayContractSuites,
} from '../contracts/payment-gateway-contract.js';
import {
  canonicalJson,
  InMemoryIdempotencyLedger,
  inMemoryDefaultCapabilities,
  inMemoryDefaultWebhookSecret,
  InMemoryPaymentGateway,
  inMemoryTestTokens,
  inMemoryWebhookSignatureHeader,
  signInMemoryWebhook,
} from './in-memory-payment-gateway.js';
import { ManualClock } from './manual-clock.js';

const secret = inMemoryDefaultWebhookSecret;
const eur = (minorUnits: number): Money => Money.of(minorUnits, 'EUR');

/** Makes a customer with a stored card by authorizing with savePaymentMethod. */
async function customerWithStoredCard(subject: PaymentGatewayV1): Promise<{ customerReference: string; paymentMethodToken: string }> {
  const payment = await subject.authorize({
    idempotencyKey: `save-${Math.random()}`,
    merchantReference: `save-${Math.random()}`,
    amount: eur(1000),
    paymentMethodToken: 'tok_visa',
    customerReference: 'cus_contract',
    savePaymentMethod: true,
  });
  const method = payment.storedPaymentMethod;
  if (method === undefined) {
    throw new Error('no stored payment method');
  }
  return { customerReference: method.customerReference, paymentMethodToken: method.token };
}

const contractOptions: PaymentGatewayContractOptions = {
  currency: 'EUR',
  amountMinor: 1000n,
  paymentMethodTokens: { approved: 'tok_visa', declined: 'tok_insufficient_funds', requiresAction: 'tok_3ds' },
  customerForStoredMethods: customerWithStoredCard,
  signWebhook: (event) =>
    signInMemoryWebhook(
      secret,
      { id: event.eventId, type: event.type, providerReference: event.providerReference, amount: event.amount, occurredAt: Date.now(), success: true },
      Date.now(),
    ),
  forgeWebhook: (event) =>
    signInMemoryWebhook(
      'whsec_forged',
      { id: event.eventId, type: event.type, providerReference: event.providerReference, amount: event.amount, occurredAt: Date.now(), success: true },
      Date.now(),
    ),
  webhookTimestamps: true,
  webhookEventTypes: ['payment.authorized', 'payment.captured', 'payment.refunded', 'payment.voided', 'payment.dispute_opened'],
};

describe('full capabilities', () => {
  paymentGatewayContract({ test, create: () => new InMemoryPaymentGateway(), options: contractOptions });
});

describe('restricted capabilities and minimal options', () => {
  paymentGatewayContract({
    test,
    create: () =>
      new InMemoryPaymentGateway({
        provider: 'restricted',
        capabilities: {
          partialCapture: false,
          multipleCaptures: false,
          partialRefund: false,
          multipleRefunds: false,
          findByMerchantReference: false,
          technicalCancel: false,
          merchantInitiatedWithNetworkTransactionId: false,
        },
      }),
    options: {
      currency: 'EUR',
      amountMinor: 1000n,
      paymentMethodTokens: { approved: 'tok_mastercard', declined: 'tok_declined' },
      signWebhook: contractOptions.signWebhook,
      idempotencyConflictDetected: false,
      unknownProviderReference: 'pay_memory_999999',
      settle: async () => undefined,
    },
    optOuts: { errors: 'the full-capability run covers errors; this run checks the capability-gated skips' },
  });
});

describe('stored payment methods without network transaction ids', () => {
  runContract(
    'PaymentGateway',
    { storedPaymentMethods: paymentGatewayContractSuites.storedPaymentMethods },
    {
      test,
      create: () => new InMemoryPaymentGateway({ capabilities: { merchantInitiatedWithNetworkTransactionId: false } }),
      options: contractOptions,
    },
  );
});

/** A gateway like Braintree's: declines carry no provider reference. */
class DeclineWithoutReferenceGateway extends InMemoryPaymentGateway {
  override async authorize(input: AuthorizeInput, options?: CallOptions): Promise<PaymentSnapshot> {
    try {
      return await super.authorize(input, options);
    } catch (error) {
      if (PaymentDeclinedError.isInstance(error)) {
        throw new PaymentDeclinedError(error.message, { provider: error.provider, declineReason: error.declineReason });
      }
      throw error;
    }
  }
}

/** JSON-escapes every character of `text`, so the raw body never contains it literally. */
function unicodeEscaped(text: string): string {
  return [...text].map((character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
}

describe('declines without reference, webhooks without amount, receivedAt or a literal reference', () => {
  runContract(
    'PaymentGateway',
    { authorization: paymentGatewayContractSuites.authorization, idempotency: paymentGatewayContractSuites.idempotency, webhooks: paymentGatewayContractSuites.webhooks },
    {
      test,
      create: () => new DeclineWithoutReferenceGateway(),
      options: {
        ...contractOptions,
        signWebhook: (event) => {
          const rawBody = JSON.stringify({ id: event.eventId, type: event.type, providerReference: event.providerReference, occurredAt: 1, success: true }).replace(
            `"${event.providerReference}"`,
            `"${unicodeEscaped(event.providerReference)}"`,
          );
          const { receivedAt: _receivedAt, ...request } = signInMemoryWebhook(secret, rawBody, Date.now());
          return request;
        },
      },
    },
  );
});

/** Registers a suite with a recording `test` and returns the case bodies by name. */
function suiteCases<Options>(
  suite: ContractSuite<PaymentGatewayV1, Options>,
  create: () => PaymentGatewayV1,
  options: Options,
): Map<string, (context: TestContext) => Promise<void>> {
  const cases = new Map<string, (context: TestContext) => Promise<void>>();
  const recorder = (name: string, body: (context: TestContext) => Promise<void>): void => {
    cases.set(name, body);
  };
  suite({ test: recorder as unknown as ContractTest, create, options });
  return cases;
}

/** Runs one registered case body; a skip becomes a rejection carrying the note. */
function runCase(cases: Map<string, (context: TestContext) => Promise<void>>, name: string): Promise<void> {
  const body = cases.get(name);
  if (body === undefined) {
    throw new Error(`no case '${name}'`);
  }
  const skip = (note?: string): never => {
    throw new Error(`skipped: ${note}`);
  };
  return body({ skip } as unknown as TestContext);
}

/** A gateway that never refuses a capture: the contract must catch it. */
class OverCapturingGateway extends InMemoryPaymentGateway {
  override async capture(input: CaptureInput): Promise<PaymentOperationResult> {
    return { operation: 'capture', operationReference: 'cap_fake', status: 'succeeded', amount: input.amount, providerStatus: 'succeeded' };
  }
}

describe('the payment gateway contract catches broken adapters', () => {
  it('fails an adapter that accepts an over-capture', async () => {
    const cases = suiteCases(paymentGatewayContractSuites.capture, () => new OverCapturingGateway(), contractOptions);
    await expect(runCase(cases, 'capturing more than is authorized is an InvalidRequestError and changes nothing')).rejects.toThrow(
      'Expected the operation to fail, but it succeeded.',
    );
  });

  it('fails an adapter whose capabilities promise a technical cancel it lacks', async () => {
    const cases = suiteCases(
      paymentGatewayContractSuites.cancellation,
      () => Object.assign(new InMemoryPaymentGateway({ capabilities: { technicalCancel: false } }), { capabilities: inMemoryDefaultCapabilities }),
      contractOptions,
    );
    await expect(runCase(cases, 'cancelByMerchantReference exists exactly when capabilities.technicalCancel is true')).rejects.toThrow();
  });

  it('reports skips with their reason', async () => {
    const cases = suiteCases(paymentGatewayContractSuites.capture, () => new InMemoryPaymentGateway({ capabilities: { partialCapture: false } }), contractOptions);
    await expect(runCase(cases, 'a final partial capture captures part and releases the rest')).rejects.toThrow(
      'skipped: capabilities.partialCapture is false for memory',
    );
  });
});

describe('paymentGatewayContract', () => {
  it('refuses an amount too small to split in quarters', () => {
    expect(() => paymentGatewayContract({ test, create: () => new InMemoryPaymentGateway(), options: { ...contractOptions, amountMinor: 3n } })).toThrow(
      /at least 4/,
    );
  });

  it('finds card-number-like digit runs but not timestamps or network transaction ids', () => {
    expect(findCardNumberLikeRuns({ note: 'card 4242 4242 4242 4242 here' })).toEqual(['primary-account-number at $.note']);
    expect(findCardNumberLikeRuns({ createdAt: 1_767_225_600_000, networkTransactionId: '586032924050171', amount: 10n })).toEqual([]);
    expect(findCardNumberLikeRuns(undefined)).toEqual([]);
  });
});

describe('InMemoryPaymentGateway', () => {
  const authorizeInput = {
    idempotencyKey: 'key-1',
    merchantReference: 'order-1',
    amount: eur(1000),
    paymentMethodToken: 'tok_visa',
  };

  describe('test tokens', () => {
    it('documents every token with a card summary and a description', () => {
      for (const [name, token] of Object.entries(inMemoryTestTokens)) {
        expect(name).toMatch(/^tok_/);
        expect(token.card.last4).toMatch(/^[0-9]{4}$/);
        expect(token.description.length).toBeGreaterThan(10);
      }
    });

    it.each([
      ['tok_mastercard', 'mastercard'],
      ['tok_amex', 'amex'],
    ] as const)('authorizes %s with brand %s', async (paymentMethodToken, brand) => {
      const gateway = new InMemoryPaymentGateway();
      const payment = await gateway.authorize({ ...authorizeInput, paymentMethodToken, savePaymentMethod: true });
      expect(payment.state).toBe('authorized');
      expect(payment.storedPaymentMethod?.card.brand).toBe(brand);
      expect(payment.networkTransactionId).toMatch(/^ntid_memory_/);
    });

    it.each([
      ['tok_declined', 'generic_decline'],
      ['tok_insufficient_funds', 'insufficient_funds'],
      ['tok_expired_card', 'expired_card'],
      ['tok_unknown_brand', 'card_not_supported'],
    ] as const)('declines %s with %s and keeps the failed payment', async (paymentMethodToken, declineReason) => {
      const gateway = new InMemoryPaymentGateway();
      const error = await gateway.authorize({ ...authorizeInput, paymentMethodToken }).catch((caught: unknown) => caught);
      expect(PaymentDeclinedError.isInstance(error)).toBe(true);
      const declined = error as PaymentDeclinedError;
      expect(declined.declineReason).toBe(declineReason);
      expect(declined.httpStatus).toBe(402);
      const failed = await gateway.retrieve({ providerReference: declined.providerReference ?? '' });
      expect(failed.state).toBe('failed');
      expect(failed.declineReason).toBe(declineReason);
      expect(failed.authorizedAmount.isZero()).toBe(true);
    });

    it('accepts tok_unknown_brand when unknown is an accepted brand', async () => {
      const gateway = new InMemoryPaymentGateway({ capabilities: { brands: ['unknown'] } });
      expect((await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'tok_unknown_brand' })).state).toBe('authorized');
      const refused = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-2', paymentMethodToken: 'tok_visa' }).catch((caught: unknown) => caught);
      expect((refused as PaymentDeclinedError).declineReason).toBe('card_not_supported');
    });

    it('refuses a token it does not know', async () => {
      const gateway = new InMemoryPaymentGateway();
      const error = await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'tok_nope' }).catch((caught: unknown) => caught);
      expect(InvalidRequestError.isInstance(error)).toBe(true);
      expect((error as InvalidRequestError).parameter).toBe('paymentMethodToken');
      const inherited = await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'toString' }).catch((caught: unknown) => caught);
      expect(InvalidRequestError.isInstance(inherited)).toBe(true);
    });

    it('completes or fails a 3-D Secure challenge', async () => {
      const gateway = new InMemoryPaymentGateway();
      const challenged = await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'tok_3ds', savePaymentMethod: true, customerReference: 'cus_1' });
      expect(challenged.state).toBe('requires_action');
      expect(challenged.nextAction).toEqual({ type: 'three_d_secure', url: `https://memory.invalid/3ds/${challenged.providerReference}` });
      expect(challenged.authorizedAmount.isZero()).toBe(true);
      const completed = gateway.completeRequiredAction(challenged.providerReference, { succeed: true });
      expect(completed.state).toBe('authorized');
      expect(completed.nextAction).toBeUndefined();
      expect(completed.storedPaymentMethod?.customerReference).toBe('cus_1');

      const automatic = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-2', paymentMethodToken: 'tok_3ds', captureMethod: 'automatic' });
      expect(gateway.completeRequiredAction(automatic.providerReference, { succeed: true }).state).toBe('captured');

      const failing = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-3', paymentMethodToken: 'tok_3ds' });
      const failed = gateway.completeRequiredAction(failing.providerReference, { succeed: false });
      expect(failed).toMatchObject({ state: 'failed', declineReason: 'authentication_failed' });
      const other = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-4', paymentMethodToken: 'tok_3ds' });
      expect(gateway.completeRequiredAction(other.providerReference, { succeed: false, declineReason: 'fraud_suspected' }).declineReason).toBe('fraud_suspected');
      expect(() => gateway.completeRequiredAction(completed.providerReference, { succeed: true })).toThrow(/it is authorized/);
      expect(() => gateway.completeRequiredAction('pay_missing', { succeed: true })).toThrow(/No payment/);
    });

    it('cancelling a payment that still requires action fails it, releasing nothing', async () => {
      const gateway = new InMemoryPaymentGateway();
      const challenged = await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'tok_3ds' });
      const result = await gateway.cancel({ idempotencyKey: 'cancel-1', providerReference: challenged.providerReference });
      expect(result.amount.isZero()).toBe(true);
      expect(result.payment).toMatchObject({ state: 'failed', declineReason: 'cancelled', nextAction: undefined });
    });
  });

  describe('authorization rules', () => {
    it('refuses an empty merchant reference and a negative amount', async () => {
      const gateway = new InMemoryPaymentGateway();
      const noReference = await gateway.authorize({ ...authorizeInput, merchantReference: '' }).catch((caught: unknown) => caught);
      expect((noReference as InvalidRequestError).parameter).toBe('merchantReference');
      const negative = await gateway.authorize({ ...authorizeInput, amount: eur(-1) }).catch((caught: unknown) => caught);
      expect((negative as InvalidRequestError).parameter).toBe('amount');
    });

    it('allows a zero-amount authorization (card verification)', async () => {
      const gateway = new InMemoryPaymentGateway();
      const payment = await gateway.authorize({ ...authorizeInput, amount: eur(0) });
      expect(payment.state).toBe('authorized');
    });

    it('refuses currencies outside capabilities.currencies', async () => {
      const gateway = new InMemoryPaymentGateway({ capabilities: { currencies: ['EUR'] } });
      expect((await gateway.authorize(authorizeInput)).state).toBe('authorized');
      const error = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-2', amount: Money.of(1000, 'USD') }).catch((caught: unknown) => caught);
      expect(UnsupportedOperationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/USD is not accepted \(accepted: EUR\)/);
    });

    it('saves one stored method per card and customer, creating the customer when none is given', async () => {
      const gateway = new InMemoryPaymentGateway();
      const first = await gateway.authorize({ ...authorizeInput, savePaymentMethod: true });
      const customerReference = first.storedPaymentMethod?.customerReference ?? '';
      expect(customerReference).toMatch(/^cus_memory_/);
      const again = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-2', customerReference, savePaymentMethod: true });
      expect(again.storedPaymentMethod?.token).toBe(first.storedPaymentMethod?.token);
      const methods = await gateway.listStoredPaymentMethods({ customerReference });
      expect(methods).toHaveLength(1);
      expect(methods[0]?.card.fingerprint).toMatch(/^fp_[a-p]{16}$/);
      expect(methods[0]?.networkTransactionId).toBe(first.networkTransactionId);
      expect(await gateway.listStoredPaymentMethods({ customerReference: 'cus_nobody' })).toEqual([]);
    });

    it('authorizes with a stored token of the same customer only', async () => {
      const gateway = new InMemoryPaymentGateway();
      const stored = gateway.addStoredPaymentMethod({
        token: 'pm_seeded',
        customerReference: 'cus_seeded',
        card: { brand: 'visa', last4: '1111', expiryMonth: 1, expiryYear: 2035 },
        createdAt: 5,
      });
      expect(stored).toMatchObject({ provider: 'memory', createdAt: 5 });
      const payment = await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'pm_seeded' });
      expect(payment.state).toBe('authorized');
      const sameCustomer = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-2', paymentMethodToken: 'pm_seeded', customerReference: 'cus_seeded' });
      expect(sameCustomer.state).toBe('authorized');
      const error = await gateway
        .authorize({ ...authorizeInput, idempotencyKey: 'key-3', paymentMethodToken: 'pm_seeded', customerReference: 'cus_other' })
        .catch((caught: unknown) => caught);
      expect((error as InvalidRequestError).parameter).toBe('customerReference');
    });
  });

  describe('merchant-initiated charges', () => {
    async function gatewayWithCard(options: ConstructorParameters<typeof InMemoryPaymentGateway>[0] = {}) {
      const gateway = new InMemoryPaymentGateway(options);
      const payment = await gateway.authorize({ ...authorizeInput, customerReference: 'cus_1', savePaymentMethod: true });
      return { gateway, token: payment.storedPaymentMethod?.token ?? '', setupNetworkTransactionId: payment.networkTransactionId };
    }
    const chargeInput = { idempotencyKey: 'mit-1', merchantReference: 'renewal-1', amount: eur(500), customerReference: 'cus_1', reason: 'subscription' } as const;

    it('records the given network transaction id, else the stored one', async () => {
      const { gateway, token, setupNetworkTransactionId } = await gatewayWithCard();
      const given = await gateway.chargeStoredPaymentMethod({ ...chargeInput, paymentMethodToken: token, networkTransactionId: 'ntid_from_old_provider' });
      expect(given).toMatchObject({ state: 'captured', networkTransactionId: 'ntid_from_old_provider' });
      expect(given.storedPaymentMethod?.token).toBe(token);
      const stored = await gateway.chargeStoredPaymentMethod({ ...chargeInput, idempotencyKey: 'mit-2', paymentMethodToken: token });
      expect(stored.networkTransactionId).toBe(setupNetworkTransactionId);
    });

    it('refuses unknown tokens, other customers, non-positive amounts and unsupported network ids', async () => {
      const { gateway, token } = await gatewayWithCard({ capabilities: { merchantInitiatedWithNetworkTransactionId: false } });
      const unknown = await gateway.chargeStoredPaymentMethod({ ...chargeInput, paymentMethodToken: 'pm_missing' }).catch((caught: unknown) => caught);
      expect(ResourceNotFoundError.isInstance(unknown)).toBe(true);
      expect((unknown as ResourceNotFoundError).resource).toBe('payment method pm_missing');
      const otherCustomer = await gateway
        .chargeStoredPaymentMethod({ ...chargeInput, paymentMethodToken: token, customerReference: 'cus_2' })
        .catch((caught: unknown) => caught);
      expect((otherCustomer as InvalidRequestError).parameter).toBe('customerReference');
      const zero = await gateway.chargeStoredPaymentMethod({ ...chargeInput, paymentMethodToken: token, amount: eur(0) }).catch((caught: unknown) => caught);
      expect((zero as InvalidRequestError).parameter).toBe('amount');
      const withNetworkId = await gateway
        .chargeStoredPaymentMethod({ ...chargeInput, paymentMethodToken: token, networkTransactionId: 'ntid_1' })
        .catch((caught: unknown) => caught);
      expect(UnsupportedOperationError.isInstance(withNetworkId)).toBe(true);
    });
  });

  describe('capture, refund and cancel rules', () => {
    async function authorized(gateway: InMemoryPaymentGateway, captureMethod: 'manual' | 'automatic' = 'manual'): Promise<string> {
      return (await gateway.authorize({ ...authorizeInput, idempotencyKey: `auth-${Math.random()}`, captureMethod })).providerReference;
    }

    it('refuses another currency and non-positive amounts with parameter amount', async () => {
      const gateway = new InMemoryPaymentGateway();
      const providerReference = await authorized(gateway);
      for (const amount of [Money.of(100, 'USD'), eur(0), eur(-5)]) {
        const error = await gateway.capture({ idempotencyKey: `c-${amount.toString()}`, providerReference, amount }).catch((caught: unknown) => caught);
        expect((error as InvalidRequestError).parameter).toBe('amount');
      }
    });

    it('names the current state when an operation is not possible', async () => {
      const gateway = new InMemoryPaymentGateway();
      const providerReference = await authorized(gateway);
      const error = await gateway.refund({ idempotencyKey: 'r-1', providerReference, amount: eur(1) }).catch((caught: unknown) => caught);
      expect((error as InvalidRequestError).message).toMatch(/it is authorized \(possible only when partially_captured or captured or partially_refunded\)/);
      expect((error as InvalidRequestError).parameter).toBe('providerReference');
      const missing = await gateway.capture({ idempotencyKey: 'c-1', providerReference: 'pay_missing', amount: eur(1) }).catch((caught: unknown) => caught);
      expect((missing as ResourceNotFoundError).resource).toBe('payment pay_missing');
    });

    it('refuses partial captures without partialCapture and non-final ones without multipleCaptures', async () => {
      const noPartial = new InMemoryPaymentGateway({ capabilities: { partialCapture: false } });
      const first = await authorized(noPartial);
      const partial = await noPartial.capture({ idempotencyKey: 'c-1', providerReference: first, amount: eur(500) }).catch((caught: unknown) => caught);
      expect(UnsupportedOperationError.isInstance(partial)).toBe(true);
      expect((partial as UnsupportedOperationError).operation).toBe('partial capture');

      const single = new InMemoryPaymentGateway({ capabilities: { multipleCaptures: false } });
      const second = await authorized(single);
      const nonFinal = await single
        .capture({ idempotencyKey: 'c-2', providerReference: second, amount: eur(500), finalCapture: false })
        .catch((caught: unknown) => caught);
      expect((nonFinal as UnsupportedOperationError).operation).toBe('non-final capture');
      const result = await single.capture({ idempotencyKey: 'c-3', providerReference: second, amount: eur(500) });
      expect(result.payment).toMatchObject({ state: 'captured' });
      expect(result.payment?.authorizedAmount.toJSON()).toEqual(eur(500).toJSON());
    });

    it('refuses partial refunds without partialRefund and second refunds without multipleRefunds', async () => {
      const noPartial = new InMemoryPaymentGateway({ capabilities: { partialRefund: false } });
      const first = await authorized(noPartial, 'automatic');
      const partial = await noPartial.refund({ idempotencyKey: 'r-1', providerReference: first, amount: eur(100) }).catch((caught: unknown) => caught);
      expect((partial as UnsupportedOperationError).operation).toBe('partial refund');

      const single = new InMemoryPaymentGateway({ capabilities: { multipleRefunds: false } });
      const second = await authorized(single, 'automatic');
      await single.refund({ idempotencyKey: 'r-2', providerReference: second, amount: eur(100) });
      const again = await single.refund({ idempotencyKey: 'r-3', providerReference: second, amount: eur(100) }).catch((caught: unknown) => caught);
      expect((again as UnsupportedOperationError).operation).toBe('a second refund');
    });

    it('cancelling a partially captured payment releases the rest and leaves it captured', async () => {
      const gateway = new InMemoryPaymentGateway();
      const providerReference = await authorized(gateway);
      await gateway.capture({ idempotencyKey: 'c-1', providerReference, amount: eur(300), finalCapture: false });
      const result = await gateway.cancel({ idempotencyKey: 'x-1', providerReference });
      expect(result.amount.toJSON()).toEqual(eur(700).toJSON());
      expect(result.payment).toMatchObject({ state: 'captured' });
      expect(result.payment?.authorizedAmount.toJSON()).toEqual(eur(300).toJSON());
      const refund = await gateway.refund({ idempotencyKey: 'r-1', providerReference, amount: eur(300) });
      expect(refund.payment?.state).toBe('refunded');
    });

    it('keeps snapshot amounts consistent with paymentStateFromAmounts', async () => {
      const gateway = new InMemoryPaymentGateway();
      const providerReference = await authorized(gateway);
      await gateway.capture({ idempotencyKey: 'c-1', providerReference, amount: eur(400), finalCapture: false });
      await gateway.refund({ idempotencyKey: 'r-1', providerReference, amount: eur(100) });
      for (const payment of gateway.payments()) {
        expect(
          paymentStateFromAmounts({
            authorized: payment.authorizedAmount,
            captured: payment.capturedAmount,
            refunded: payment.refundedAmount,
            voided: false,
          }),
        ).toBe(payment.state);
      }
    });
  });

  describe('technical cancel', () => {
    it('is a no-op success when nothing is held under the reference', async () => {
      const gateway = new InMemoryPaymentGateway();
      const nothing = await gateway.cancelByMerchantReference?.({ idempotencyKey: 't-1', merchantReference: 'never-sent' });
      expect(nothing).toMatchObject({ operation: 'cancel', status: 'succeeded', providerStatus: 'nothing_to_cancel' });
      expect(nothing?.payment).toBeUndefined();
      expect(nothing?.amount.toJSON()).toEqual({ minorUnits: '0', currency: 'XXX' });
      await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'tok_declined' }).catch(() => undefined);
      const declined = await gateway.cancelByMerchantReference?.({ idempotencyKey: 't-2', merchantReference: authorizeInput.merchantReference });
      expect(declined?.payment?.state).toBe('failed');
      expect(declined?.amount.isZero()).toBe(true);
    });

    it('refuses a captured payment and an empty reference', async () => {
      const gateway = new InMemoryPaymentGateway();
      await gateway.authorize({ ...authorizeInput, captureMethod: 'automatic' });
      const captured = await gateway.cancelByMerchantReference?.({ idempotencyKey: 't-1', merchantReference: 'order-1' }).catch((caught: unknown) => caught);
      expect(InvalidRequestError.isInstance(captured)).toBe(true);
      const empty = await gateway.cancelByMerchantReference?.({ idempotencyKey: 't-2', merchantReference: '' }).catch((caught: unknown) => caught);
      expect((empty as InvalidRequestError).parameter).toBe('merchantReference');
    });

    it('finds the latest payment under a reused merchant reference', async () => {
      const gateway = new InMemoryPaymentGateway();
      await gateway.authorize({ ...authorizeInput, paymentMethodToken: 'tok_declined' }).catch(() => undefined);
      const retry = await gateway.authorize({ ...authorizeInput, idempotencyKey: 'key-2' });
      expect((await gateway.findByMerchantReference({ merchantReference: 'order-1' }))?.providerReference).toBe(retry.providerReference);
    });

    it('is absent, and findByMerchantReference refused, when the capabilities say so', async () => {
      const gateway = new InMemoryPaymentGateway({ capabilities: { technicalCancel: false, findByMerchantReference: false } });
      expect(gateway.cancelByMerchantReference).toBeUndefined();
      const error = await gateway.findByMerchantReference({ merchantReference: 'order-1' }).catch((caught: unknown) => caught);
      expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    });
  });

  describe('idempotency', () => {
    it('replays across operations only for the same operation and parameters', async () => {
      const gateway = new InMemoryPaymentGateway();
      const payment = await gateway.authorize(authorizeInput);
      const sameKeyOtherOperation = await gateway
        .cancel({ idempotencyKey: authorizeInput.idempotencyKey, providerReference: payment.providerReference })
        .catch((caught: unknown) => caught);
      expect(IdempotencyConflictError.isInstance(sameKeyOtherOperation)).toBe(true);
      const reordered = await gateway.authorize({ paymentMethodToken: 'tok_visa', amount: eur(1000), merchantReference: 'order-1', idempotencyKey: 'key-1', description: undefined });
      expect(reordered.providerReference).toBe(payment.providerReference);
      expect(gateway.payments()).toHaveLength(1);
    });

    it('does not remember requests that failed validation', async () => {
      const gateway = new InMemoryPaymentGateway();
      const payment = await gateway.authorize(authorizeInput);
      const input = { idempotencyKey: 'cap-1', providerReference: payment.providerReference, amount: eur(2000) };
      await expect(gateway.capture(input)).rejects.toSatisfy(InvalidRequestError.isInstance);
      const fixed = await gateway.capture({ ...input, amount: eur(1000) });
      expect(fixed.payment?.state).toBe('captured');
    });

    it('refuses empty and over-long keys', async () => {
      const gateway = new InMemoryPaymentGateway();
      for (const idempotencyKey of ['', 'k'.repeat(65)]) {
        const error = await gateway.authorize({ ...authorizeInput, idempotencyKey }).catch((caught: unknown) => caught);
        expect((error as InvalidRequestError).parameter).toBe('idempotencyKey');
      }
      expect((await gateway.authorize({ ...authorizeInput, idempotencyKey: 'k'.repeat(64) })).state).toBe('authorized');
    });

    it('the ledger fingerprints canonical JSON: sorted keys, no undefined, Money and bigint as strings', () => {
      expect(canonicalJson({ b: 1n, a: [eur(5), undefined], c: undefined, d: null })).toBe(
        '{"a":[{"minorUnits":"5","currency":"EUR"},null],"b":"1","d":null}',
      );
      const ledger = new InMemoryIdempotencyLedger('memory');
      expect(ledger.run('operation', 'key', { idempotencyKey: 'key', value: 1 }, () => 'first')).toBe('first');
      expect(ledger.run('operation', 'key', { value: 1, idempotencyKey: 'key' }, () => 'second')).toBe('first');
      expect(() => ledger.run('operation', 'other', { value: 1 }, () => {
        throw new Error('not remembered');
      })).toThrow('not remembered');
      expect(ledger.run('operation', 'other', { value: 1 }, () => 'after')).toBe('after');
    });
  });

  describe('fault injection', () => {
    it('setAvailable(false) makes every provider call fail with ProviderUnavailableError and apply nothing', async () => {
      const gateway = new InMemoryPaymentGateway();
      gateway.setAvailable(false);
      const error = await gateway.authorize(authorizeInput).catch((caught: unknown) => caught);
      expect(ProviderUnavailableError.isInstance(error)).toBe(true);
      await expect(gateway.retrieve({ providerReference: 'x' })).rejects.toSatisfy(ProviderUnavailableError.isInstance);
      const webhook = gateway.signWebhook({ type: 'payment.captured', providerReference: 'pay_1', eventId: 'evt_1' });
      expect((await gateway.verifyWebhook(webhook)).eventId).toBe('evt_1');
      expect(gateway.payments()).toEqual([]);
      gateway.setAvailable(true);
      expect((await gateway.authorize(authorizeInput)).state).toBe('authorized');
      expect(gateway.calls.map((call) => call.operation)).toEqual(['authorize', 'retrieve', 'verifyWebhook', 'authorize']);
    });

    it('failNext throws queued errors in order before anything is applied or remembered', async () => {
      const gateway = new InMemoryPaymentGateway();
      const throttled = new RateLimitedError('slow down', { provider: 'memory', retryAfterMs: 1000 });
      const unavailable = new ProviderUnavailableError('down', { provider: 'memory' });
      gateway.failNext('authorize', throttled);
      gateway.failNext('authorize', unavailable);
      await expect(gateway.authorize(authorizeInput)).rejects.toBe(throttled);
      await expect(gateway.authorize(authorizeInput)).rejects.toBe(unavailable);
      expect(gateway.payments()).toEqual([]);
      expect((await gateway.authorize({ ...authorizeInput, amount: eur(1) })).amount.toJSON()).toEqual(eur(1).toJSON());
    });

    it('failAfterApplying applies, loses the answer, and a retry with the same key replays it', async () => {
      const gateway = new InMemoryPaymentGateway();
      gateway.failAfterApplying('authorize');
      const error = await gateway.authorize(authorizeInput).catch((caught: unknown) => caught);
      expect(UnknownOutcomeError.isInstance(error)).toBe(true);
      expect(gateway.payments()).toHaveLength(1);
      const found = await gateway.findByMerchantReference({ merchantReference: 'order-1' });
      const retried = await gateway.authorize(authorizeInput);
      expect(retried.providerReference).toBe(found?.providerReference);
      expect(gateway.payments()).toHaveLength(1);
    });

    it('failAfterApplying also hides a decline behind an unknown outcome, and the retry replays the decline', async () => {
      const gateway = new InMemoryPaymentGateway();
      gateway.failAfterApplying('authorize');
      const input = { ...authorizeInput, paymentMethodToken: 'tok_declined' };
      const error = await gateway.authorize(input).catch((caught: unknown) => caught);
      expect(UnknownOutcomeError.isInstance(error)).toBe(true);
      expect(PaymentDeclinedError.isInstance((error as UnknownOutcomeError).cause)).toBe(true);
      await expect(gateway.authorize(input)).rejects.toSatisfy(PaymentDeclinedError.isInstance);
    });

    it('an aborted signal is an unknown outcome for writes and unavailability for reads, applying nothing', async () => {
      const gateway = new InMemoryPaymentGateway();
      const controller = new AbortController();
      controller.abort(new Error('timeout'));
      await expect(gateway.authorize(authorizeInput, { signal: controller.signal })).rejects.toSatisfy(UnknownOutcomeError.isInstance);
      await expect(gateway.retrieve({ providerReference: 'x' }, { signal: controller.signal })).rejects.toSatisfy(ProviderUnavailableError.isInstance);
      expect(gateway.payments()).toEqual([]);
    });

    it('records every call with its operation, key and input', async () => {
      const gateway = new InMemoryPaymentGateway();
      const payment = await gateway.authorize(authorizeInput);
      await gateway.capture({ idempotencyKey: 'cap-1', providerReference: payment.providerReference, amount: eur(1000) });
      expect(gateway.calls).toEqual([
        { operation: 'authorize', idempotencyKey: 'key-1', input: authorizeInput },
        { operation: 'capture', idempotencyKey: 'cap-1', input: { idempotencyKey: 'cap-1', providerReference: payment.providerReference, amount: eur(1000) } },
      ]);
    });
  });

  describe('webhooks', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const body = { id: 'evt_1', type: 'payment.refunded', providerReference: 'pay_1', occurredAt: 1, success: true };

    async function rejection(gateway: InMemoryPaymentGateway, request: Parameters<InMemoryPaymentGateway['verifyWebhook']>[0]): Promise<string> {
      const error = await gateway.verifyWebhook(request).catch((caught: unknown) => caught);
      expect(WebhookVerificationError.isInstance(error), String(error)).toBe(true);
      return (error as WebhookVerificationError).reason;
    }

    it('normalizes every field and maps unknown types to other', async () => {
      const gateway = new InMemoryPaymentGateway({ webhookSecret: 'whsec_custom', clock });
      const request = signInMemoryWebhook(
        'whsec_custom',
        { ...body, type: 'charge.something', amount: { minorUnits: 250, currency: 'EUR' }, merchantReference: 'order-1', operationReference: 'ref_1', success: false },
        clock.now(),
      );
      expect(await gateway.verifyWebhook(request)).toEqual({
        eventId: 'evt_1',
        provider: 'memory',
        type: 'other',
        providerType: 'charge.something',
        success: false,
        providerReference: 'pay_1',
        operationReference: 'ref_1',
        merchantReference: 'order-1',
        amount: eur(250),
        occurredAt: 1,
      });
    });

    it('signWebhook signs with the gateway secret at the clock time', async () => {
      const gateway = new InMemoryPaymentGateway({ clock });
      const request = gateway.signWebhook({ type: 'payment.refunded', providerReference: 'pay_1', eventId: 'evt_2', amount: eur(5), success: false });
      expect(request.receivedAt).toBe(clock.now());
      expect(await gateway.verifyWebhook(request)).toMatchObject({ type: 'payment.refunded', success: false, occurredAt: clock.now() });
    });

    it('checks staleness against receivedAt, else the clock, in both directions', async () => {
      const gateway = new InMemoryPaymentGateway({ clock });
      const signedAt = clock.now() - 301_000;
      const { receivedAt: _receivedAt, ...withoutReceivedAt } = signInMemoryWebhook(secret, body, signedAt);
      expect(await rejection(gateway, withoutReceivedAt)).toBe('stale');
      expect(await rejection(gateway, { ...withoutReceivedAt, receivedAt: signedAt - 301_000 })).toBe('stale');
      expect((await gateway.verifyWebhook({ ...withoutReceivedAt, receivedAt: signedAt + 300_000 })).eventId).toBe('evt_1');
    });

    it('rejects missing, malformed and mismatching signatures', async () => {
      const gateway = new InMemoryPaymentGateway({ clock });
      const valid = signInMemoryWebhook(secret, body, clock.now());
      const signature = valid.headers[inMemoryWebhookSignatureHeader] ?? '';
      const hex = signature.split('v1=')[1] ?? '';
      const withHeader = (value: string | undefined) => ({ ...valid, headers: { [inMemoryWebhookSignatureHeader]: value } });
      expect(await rejection(gateway, withHeader(undefined))).toBe('missing-signature');
      expect(await rejection(gateway, withHeader(''))).toBe('missing-signature');
      expect(await rejection(gateway, withHeader(`v1=${hex}`))).toBe('malformed-signature');
      expect(await rejection(gateway, withHeader(`t=${clock.now()}`))).toBe('malformed-signature');
      expect(await rejection(gateway, withHeader(`t=${clock.now()},v1=xyz`))).toBe('malformed-signature');
      expect(await rejection(gateway, withHeader(`t=abc,v1=${hex}`))).toBe('malformed-signature');
      expect(await rejection(gateway, withHeader(`t=${clock.now() + 1},v1=${hex}`))).toBe('signature-mismatch');
      const rotated = withHeader(`t=${clock.now()},v0=ignored,v1=${'0'.repeat(64)},v1=${hex.toUpperCase()}`);
      expect((await gateway.verifyWebhook(rotated)).eventId).toBe('evt_1');
    });

    it.each([
      ['not JSON', 'nope'],
      ['not an object', '[1]'],
      ['null', 'null'],
      ['no id', JSON.stringify({ ...body, id: '' })],
      ['a numeric type', JSON.stringify({ ...body, type: 1 })],
      ['no reference', JSON.stringify({ ...body, providerReference: undefined })],
      ['a string time', JSON.stringify({ ...body, occurredAt: '1' })],
      ['a null time', JSON.stringify({ ...body, occurredAt: null })],
      ['a string success', JSON.stringify({ ...body, success: 'yes' })],
      ['a numeric merchant reference', JSON.stringify({ ...body, merchantReference: 5 })],
      ['a numeric operation reference', JSON.stringify({ ...body, operationReference: 5 })],
      ['an amount without currency', JSON.stringify({ ...body, amount: { minorUnits: '5' } })],
      ['a string amount', JSON.stringify({ ...body, amount: '5' })],
      ['a fractional amount', JSON.stringify({ ...body, amount: { minorUnits: 1.5, currency: 'EUR' } })],
      ['an unknown currency', JSON.stringify({ ...body, amount: { minorUnits: '5', currency: 'ZZZ' } })],
    ])('rejects a body with %s as malformed-body', async (_label, rawBody) => {
      const gateway = new InMemoryPaymentGateway({ clock });
      expect(await rejection(gateway, signInMemoryWebhook(secret, rawBody, clock.now()))).toBe('malformed-body');
    });

    it('accepts a string amount and no amount', async () => {
      const gateway = new InMemoryPaymentGateway({ clock });
      const withString = await gateway.verifyWebhook(signInMemoryWebhook(secret, { ...body, amount: eur(7) }, clock.now()));
      expect(withString.amount?.toJSON()).toEqual(eur(7).toJSON());
      expect((await gateway.verifyWebhook(signInMemoryWebhook(secret, body, clock.now()))).amount).toBeUndefined();
    });
  });

  it('declares every capability by default and merges overrides', () => {
    expect(new InMemoryPaymentGateway().capabilities).toEqual(inMemoryDefaultCapabilities);
    expect(new InMemoryPaymentGateway({ capabilities: { currencies: ['JPY'], partialCapture: undefined } }).capabilities).toMatchObject({
      currencies: ['JPY'],
      partialCapture: true,
    });
  });
});
