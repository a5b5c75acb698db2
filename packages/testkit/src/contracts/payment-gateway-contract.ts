import { randomUUID } from 'node:crypto';
import {
  type AuthorizeInput,
  cardBrands,
  findSensitiveData,
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  type PaymentGatewayCapabilities,
  type PaymentGatewayV1,
  type PaymentSnapshot,
  type PaymentWebhookEventType,
  ProviderError,
  ResourceNotFoundError,
  UnknownOutcomeError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@paymigrate/core';
import { expect, type TestContext } from 'vitest';
import { type ContractContext, type ContractInput, type ContractSuite, runContract, withSubject } from './contract-suite.js';
import { captureError } from '../assertions/caught-errors.js';

/** The event a contract asks `signWebhook` (or `forgeWebhook`) to build. */
export interface PaymentGatewayContractWebhookEvent {
  /** Canonical type the provider-specific webhook must normalize to. */
  readonly type: PaymentWebhookEventType;
  /** The payment it is about. */
  readonly providerReference: string;
  /** Amount of the event. */
  readonly amount: Money;
  /** The provider event id the normalized event must carry. */
  readonly eventId: string;
}

/** Options of `paymentGatewayContract`: what the subject's provider (or its fake) can be made to do. */
export interface PaymentGatewayContractOptions {
  /** Currency of every test payment. */
  readonly currency: string;
  /** Amount of every test payment, in minor units; at least 4 so it can be split in quarters. */
  readonly amountMinor: bigint;
  /** Payment method tokens the provider's test mode understands. */
  readonly paymentMethodTokens: {
    /** Authorizes without customer action. */
    readonly approved: string;
    /** Is declined by the issuer. */
    readonly declined: string;
    /** Needs a customer step (3-D Secure); cases needing it are skipped when absent. */
    readonly requiresAction?: string | undefined;
  };
  /**
   * Makes a customer with a stored payment method at the provider (for example by authorizing with
   * `savePaymentMethod: true`). The `storedPaymentMethods` cases are skipped when absent.
   */
  readonly customerForStoredMethods?:
    | ((subject: PaymentGatewayV1) => Promise<{ readonly customerReference: string; readonly paymentMethodToken: string }>)
    | undefined;
  /**
   * Builds a correctly signed webhook for this provider, signed at the subject's current time.
   * When the subject's clock is not the wall clock, set `receivedAt` to that time: the stale case
   * moves `receivedAt` ten minutes past it.
   */
  readonly signWebhook: (event: PaymentGatewayContractWebhookEvent) => WebhookRequest | Promise<WebhookRequest>;
  /**
   * The event id the adapter derives for a webhook `signWebhook` built. Providers whose webhooks
   * carry an id echo `event.eventId` (the default); Adyen has none, so its adapter derives one from
   * the notification's fields and the contract asks what to expect.
   */
  readonly expectedEventId?: ((event: PaymentGatewayContractWebhookEvent) => string) | undefined;
  /** Builds the same webhook signed with a wrong secret; the forged case is skipped when absent. */
  readonly forgeWebhook?: ((event: PaymentGatewayContractWebhookEvent) => WebhookRequest | Promise<WebhookRequest>) | undefined;
  /** Whether the provider's scheme signs a timestamp (Stripe does, Adyen does not). @default false */
  readonly webhookTimestamps?: boolean | undefined;
  /** Canonical types `signWebhook` can build. @default ['payment.authorized', 'payment.captured', 'payment.refunded', 'payment.voided'] */
  readonly webhookEventTypes?: readonly PaymentWebhookEventType[] | undefined;
  /**
   * Whether the provider refuses an idempotency key reused with other parameters. Stripe does;
   * set false for providers that ignore or replay instead, which skips that one case.
   * @default true
   */
  readonly idempotencyConflictDetected?: boolean | undefined;
  /** A well-formed provider reference the provider does not know. @default 'unknown_' + a UUID */
  readonly unknownProviderReference?: string | undefined;
  /** Lets asynchronous provider state settle after a write (Adyen confirms captures by webhook). */
  readonly settle?: ((subject: PaymentGatewayV1) => Promise<void>) | undefined;
}

/** Context every payment gateway suite receives. */
type GatewayContext = ContractContext<PaymentGatewayV1, PaymentGatewayContractOptions>;

/** Names of the payment gateway contract suites. */
export type PaymentGatewayContractSuiteName =
  | 'authorization'
  | 'capture'
  | 'refund'
  | 'cancellation'
  | 'idempotency'
  | 'lookup'
  | 'storedPaymentMethods'
  | 'webhooks'
  | 'errors';

const defaultWebhookEventTypes: readonly PaymentWebhookEventType[] = ['payment.authorized', 'payment.captured', 'payment.refunded', 'payment.voided'];

/** Error codes a payment gateway may throw; codes never change meaning. */
const stableProviderErrorCodes: ReadonlySet<string> = new Set([
  'PROVIDER_DECLINED',
  'PROVIDER_RATE_LIMITED',
  'PROVIDER_RETRYABLE',
  'PROVIDER_UNKNOWN_OUTCOME',
  'PROVIDER_INVALID_REQUEST',
  'PROVIDER_AUTHENTICATION',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_IDEMPOTENCY_CONFLICT',
  'PROVIDER_RESOURCE_NOT_FOUND',
]);

/** Fields whose digits are identifiers or timestamps by contract, not card data. */
const fieldsExemptFromCardScan: ReadonlySet<string> = new Set(['createdAt', 'updatedAt', 'occurredAt', 'networkTransactionId']);

/**
 * Runs of 13 to 19 digits (optionally separated by single spaces or dashes) in the JSON form of
 * `value`: anything that could be a card number. `createdAt`, `updatedAt`, `occurredAt` (13-digit
 * epoch milliseconds) and `networkTransactionId` (Visa's are 15 digits) are left out of the scan.
 */
export function findCardNumberLikeRuns(value: unknown): string[] {
  const text = JSON.stringify(value, (key, member: unknown) =>
    fieldsExemptFromCardScan.has(key) ? undefined : typeof member === 'bigint' ? member.toString() : member,
  );
  // Core's PCI scanner: issuer range + Luhn, UUIDs and timestamps exempt, so ids do not trip it.
  return text === undefined ? [] : findSensitiveData(JSON.parse(text) as unknown).map((finding) => `${finding.kind} at ${finding.path}`);
}

/** A fresh idempotency key (45 characters). */
function newKey(): string {
  return `contract-${randomUUID()}`;
}

/** A fresh merchant reference. */
function newMerchantReference(): string {
  return `order-${randomUUID()}`;
}

/** Amounts in the contract's currency. */
function amountOf(options: PaymentGatewayContractOptions, minorUnits: bigint): Money {
  return Money.of(minorUnits, options.currency);
}

/** The full test amount. */
function fullAmount(options: PaymentGatewayContractOptions): Money {
  return amountOf(options, options.amountMinor);
}

/** Asserts a snapshot's state and amounts. */
function expectPayment(
  snapshot: PaymentSnapshot,
  expected: { state: PaymentSnapshot['state']; captured?: Money; refunded?: Money; authorized?: Money },
): void {
  expect(snapshot.state, `state of payment ${snapshot.providerReference}`).toBe(expected.state);
  if (expected.authorized !== undefined) {
    expect(snapshot.authorizedAmount.toJSON(), 'authorizedAmount').toEqual(expected.authorized.toJSON());
  }
  if (expected.captured !== undefined) {
    expect(snapshot.capturedAmount.toJSON(), 'capturedAmount').toEqual(expected.captured.toJSON());
  }
  if (expected.refunded !== undefined) {
    expect(snapshot.refundedAmount.toJSON(), 'refundedAmount').toEqual(expected.refunded.toJSON());
  }
}

/** Asserts an error is the typed provider error `check` recognizes, from the subject's provider. */
function expectProviderError(error: unknown, subject: PaymentGatewayV1, check: (value: unknown) => boolean, name: string): void {
  expect(check(error), `expected ${name}, got ${String(error)}`).toBe(true);
  expect((error as ProviderError).provider).toBe(subject.provider);
}

/** Skips the running case, with the reason, unless the subject declares `capability`. */
function requireCapability(testContext: TestContext, subject: PaymentGatewayV1, capability: keyof PaymentGatewayCapabilities): void {
  if (subject.capabilities[capability] !== true) {
    testContext.skip(`capabilities.${capability} is false for ${subject.provider}`);
  }
}

/** Reads the payment after letting the provider settle. */
async function settledPayment(context: GatewayContext, subject: PaymentGatewayV1, providerReference: string): Promise<PaymentSnapshot> {
  await context.options.settle?.(subject);
  return subject.retrieve({ providerReference });
}

/** Authorizes the full amount with the approved token. */
function authorizeApproved(context: GatewayContext, subject: PaymentGatewayV1, overrides: Partial<AuthorizeInput> = {}): Promise<PaymentSnapshot> {
  return subject.authorize({
    idempotencyKey: newKey(),
    merchantReference: newMerchantReference(),
    amount: fullAmount(context.options),
    paymentMethodToken: context.options.paymentMethodTokens.approved,
    captureMethod: 'manual',
    ...overrides,
  });
}

/** Authorizes with automatic capture and waits until the capture has settled. */
async function capturedPayment(context: GatewayContext, subject: PaymentGatewayV1): Promise<PaymentSnapshot> {
  const payment = await authorizeApproved(context, subject, { captureMethod: 'automatic' });
  return settledPayment(context, subject, payment.providerReference);
}

/** Authorizes with the declined token and returns the thrown error. */
function declinedError(context: GatewayContext, subject: PaymentGatewayV1, idempotencyKey = newKey()): Promise<unknown> {
  const input: AuthorizeInput = {
    idempotencyKey,
    merchantReference: `declined-${idempotencyKey}`,
    amount: fullAmount(context.options),
    paymentMethodToken: context.options.paymentMethodTokens.declined,
    captureMethod: 'manual',
  };
  return captureError(() => subject.authorize(input));
}

/** A webhook event about `providerReference` with a fresh event id. */
function webhookEvent(context: GatewayContext, providerReference: string, type: PaymentWebhookEventType = 'payment.captured'): PaymentGatewayContractWebhookEvent {
  return { type, providerReference, amount: fullAmount(context.options), eventId: `evt_${randomUUID().replaceAll('-', '')}` };
}

/** Alters a signed webhook's body where every scheme signs it: the payment reference. */
function tamper(request: WebhookRequest, providerReference: string): WebhookRequest {
  const rawBody = request.rawBody.includes(providerReference)
    ? request.rawBody.replaceAll(providerReference, `${providerReference}x`)
    : `${request.rawBody} `;
  return { ...request, rawBody };
}

/** Cases of `authorize`. */
const authorization: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test } = context;

  test('authorize with manual capture holds the amount and captures nothing', () =>
    withSubject(context, async (subject) => {
      const merchantReference = newMerchantReference();
      const payment = await authorizeApproved(context, subject, { merchantReference });
      const amount = fullAmount(context.options);
      const zero = Money.zero(context.options.currency);
      expect(payment.provider).toBe(subject.provider);
      expect(payment.providerReference.length).toBeGreaterThan(0);
      expect(payment.providerStatus.length).toBeGreaterThan(0);
      expect([undefined, merchantReference]).toContain(payment.merchantReference);
      expect(payment.amount.toJSON()).toEqual(amount.toJSON());
      expectPayment(payment, { state: 'authorized', authorized: amount, captured: zero, refunded: zero });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'authorized', authorized: amount, captured: zero });
    }));

  test('authorize with automatic capture captures the whole amount', () =>
    withSubject(context, async (subject) => {
      const payment = await capturedPayment(context, subject);
      expectPayment(payment, { state: 'captured', captured: fullAmount(context.options), refunded: Money.zero(context.options.currency) });
    }));

  test('a decline throws PaymentDeclinedError with a canonical reason', () =>
    withSubject(context, async (subject) => {
      const error = await declinedError(context, subject);
      expectProviderError(error, subject, PaymentDeclinedError.isInstance, 'PaymentDeclinedError');
      const declined = error as PaymentDeclinedError;
      expect(declined.declineReason).toMatch(/^[a-z_]+$/);
      expect(declined.isRetryable).toBe(false);
      if (declined.providerReference !== undefined) {
        expect((await settledPayment(context, subject, declined.providerReference)).state).toBe('failed');
      }
    }));

  test('a payment method that needs customer action answers requires_action with the next step', ({ skip }) =>
    withSubject(context, async (subject) => {
      const token = context.options.paymentMethodTokens.requiresAction;
      if (token === undefined) {
        return skip('no paymentMethodTokens.requiresAction given for this provider');
      }
      const payment = await authorizeApproved(context, subject, { paymentMethodToken: token, returnUrl: 'https://shop.example/return' });
      expect(payment.state).toBe('requires_action');
      expect(payment.nextAction).toBeDefined();
      expect(payment.capturedAmount.isZero()).toBe(true);
    }));
};

/** Cases of `capture`. */
const capture: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test } = context;
  const { options } = context;

  test('a full capture captures the authorized amount', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const amount = fullAmount(options);
      const result = await subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount });
      expect(result.operation).toBe('capture');
      expect(['succeeded', 'pending']).toContain(result.status);
      expect(result.amount.toJSON()).toEqual(amount.toJSON());
      expect(result.operationReference.length).toBeGreaterThan(0);
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured', captured: amount });
    }));

  test('a final partial capture captures part and releases the rest', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'partialCapture');
      const payment = await authorizeApproved(context, subject);
      const half = amountOf(options, options.amountMinor / 2n);
      await subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: half, finalCapture: true });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured', captured: half });
    }));

  test('several partial captures add up to the authorized amount', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'partialCapture');
      requireCapability(testContext, subject, 'multipleCaptures');
      const payment = await authorizeApproved(context, subject);
      const quarter = amountOf(options, options.amountMinor / 4n);
      const rest = fullAmount(options).subtract(quarter);
      await subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: quarter, finalCapture: false });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'partially_captured', captured: quarter });
      await subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: rest, finalCapture: true });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured', captured: fullAmount(options) });
    }));

  test('capturing more than is authorized is an InvalidRequestError and changes nothing', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const error = await captureError(() =>
        subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: amountOf(options, options.amountMinor + 1n) }),
      );
      expectProviderError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expectPayment(await settledPayment(context, subject, payment.providerReference), {
        state: 'authorized',
        authorized: fullAmount(options),
        captured: Money.zero(options.currency),
      });
    }));

  test('capturing a fully captured payment again is an InvalidRequestError', () =>
    withSubject(context, async (subject) => {
      const payment = await capturedPayment(context, subject);
      const error = await captureError(() =>
        subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: amountOf(options, 1n) }),
      );
      expectProviderError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured', captured: fullAmount(options) });
    }));
};

/** Cases of `refund`. */
const refund: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  test('a full refund refunds everything captured', () =>
    withSubject(context, async (subject) => {
      const payment = await capturedPayment(context, subject);
      const amount = fullAmount(options);
      const result = await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount, reason: 'requested_by_customer' });
      expect(result.operation).toBe('refund');
      expect(['succeeded', 'pending']).toContain(result.status);
      expect(result.amount.toJSON()).toEqual(amount.toJSON());
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'refunded', captured: amount, refunded: amount });
    }));

  test('a partial refund leaves the payment partially refunded', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'partialRefund');
      const payment = await capturedPayment(context, subject);
      const half = amountOf(options, options.amountMinor / 2n);
      await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: half });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'partially_refunded', refunded: half });
    }));

  test('several refunds add up to the captured amount', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'partialRefund');
      requireCapability(testContext, subject, 'multipleRefunds');
      const payment = await capturedPayment(context, subject);
      const quarter = amountOf(options, options.amountMinor / 4n);
      await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: quarter });
      await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: quarter });
      expectPayment(await settledPayment(context, subject, payment.providerReference), {
        state: 'partially_refunded',
        refunded: quarter.add(quarter),
      });
      const rest = fullAmount(options).subtract(quarter).subtract(quarter);
      await subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: rest });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'refunded', refunded: fullAmount(options) });
    }));

  test('refunding more than was captured is an InvalidRequestError and changes nothing', () =>
    withSubject(context, async (subject) => {
      const payment = await capturedPayment(context, subject);
      const error = await captureError(() =>
        subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: amountOf(options, options.amountMinor + 1n) }),
      );
      expectProviderError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expectPayment(await settledPayment(context, subject, payment.providerReference), {
        state: 'captured',
        refunded: Money.zero(options.currency),
      });
    }));

  test('refunding a payment with nothing captured is an InvalidRequestError', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const error = await captureError(() =>
        subject.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: fullAmount(options) }),
      );
      expectProviderError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'authorized' });
    }));
};

/** Cases of `cancel` and `cancelByMerchantReference`. */
const cancellation: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  test('cancelling an authorization voids it and releases the funds', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const result = await subject.cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference });
      expect(result.operation).toBe('cancel');
      expect(['succeeded', 'pending']).toContain(result.status);
      const zero = Money.zero(options.currency);
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'voided', authorized: zero, captured: zero });
    }));

  test('capturing a cancelled authorization is an InvalidRequestError', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      await subject.cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference });
      await options.settle?.(subject);
      const error = await captureError(() =>
        subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: fullAmount(options) }),
      );
      expectProviderError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'voided' });
    }));

  test('cancelling a captured payment is an InvalidRequestError (refund it instead)', () =>
    withSubject(context, async (subject) => {
      const payment = await capturedPayment(context, subject);
      const error = await captureError(() => subject.cancel({ idempotencyKey: newKey(), providerReference: payment.providerReference }));
      expectProviderError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured' });
    }));

  test('cancelByMerchantReference exists exactly when capabilities.technicalCancel is true', () =>
    withSubject(context, async (subject) => {
      expect(typeof subject.cancelByMerchantReference === 'function').toBe(subject.capabilities.technicalCancel);
    }));

  test('a technical cancel by merchant reference voids the authorization', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'technicalCancel');
      const merchantReference = newMerchantReference();
      const payment = await authorizeApproved(context, subject, { merchantReference });
      const result = await subject.cancelByMerchantReference?.({ idempotencyKey: newKey(), merchantReference });
      expect(result?.operation).toBe('cancel');
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'voided' });
    }));
};

/** Cases of idempotency keys. */
const idempotency: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  test('replaying an authorization returns the same payment and authorizes once', () =>
    withSubject(context, async (subject) => {
      const input: AuthorizeInput = {
        idempotencyKey: newKey(),
        merchantReference: newMerchantReference(),
        amount: fullAmount(options),
        paymentMethodToken: options.paymentMethodTokens.approved,
      };
      const first = await subject.authorize(input);
      const second = await subject.authorize(input);
      expect(second.providerReference).toBe(first.providerReference);
      expectPayment(await settledPayment(context, subject, first.providerReference), { state: 'authorized', authorized: fullAmount(options) });
      if (subject.capabilities.findByMerchantReference) {
        expect((await subject.findByMerchantReference({ merchantReference: input.merchantReference }))?.providerReference).toBe(first.providerReference);
      }
    }));

  test('replaying a declined authorization replays the decline', () =>
    withSubject(context, async (subject) => {
      const idempotencyKey = newKey();
      const first = await declinedError(context, subject, idempotencyKey);
      const second = await declinedError(context, subject, idempotencyKey);
      expectProviderError(second, subject, PaymentDeclinedError.isInstance, 'PaymentDeclinedError');
      expect((second as PaymentDeclinedError).declineReason).toBe((first as PaymentDeclinedError).declineReason);
      expect((second as PaymentDeclinedError).providerReference).toBe((first as PaymentDeclinedError).providerReference);
    }));

  test('replaying a capture captures once', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const input = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: fullAmount(options) };
      const first = await subject.capture(input);
      const second = await subject.capture(input);
      expect(second.operationReference).toBe(first.operationReference);
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured', captured: fullAmount(options) });
    }));

  test('replaying a refund refunds once', () =>
    withSubject(context, async (subject) => {
      const payment = await capturedPayment(context, subject);
      const amount = subject.capabilities.partialRefund ? amountOf(options, options.amountMinor / 2n) : fullAmount(options);
      const input = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount };
      const first = await subject.refund(input);
      const second = await subject.refund(input);
      expect(second.operationReference).toBe(first.operationReference);
      expect((await settledPayment(context, subject, payment.providerReference)).refundedAmount.toJSON()).toEqual(amount.toJSON());
    }));

  test('replaying a cancellation succeeds again', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const input = { idempotencyKey: newKey(), providerReference: payment.providerReference };
      const first = await subject.cancel(input);
      const second = await subject.cancel(input);
      expect(second.operationReference).toBe(first.operationReference);
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'voided' });
    }));

  test('reusing a key with other parameters is an IdempotencyConflictError', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.idempotencyConflictDetected === false) {
        return skip(`${subject.provider} does not detect a key reused with other parameters (idempotencyConflictDetected: false)`);
      }
      const input: AuthorizeInput = {
        idempotencyKey: newKey(),
        merchantReference: newMerchantReference(),
        amount: fullAmount(options),
        paymentMethodToken: options.paymentMethodTokens.approved,
      };
      const first = await subject.authorize(input);
      const error = await captureError(() => subject.authorize({ ...input, amount: amountOf(options, options.amountMinor + 1n) }));
      expectProviderError(error, subject, IdempotencyConflictError.isInstance, 'IdempotencyConflictError');
      expect((error as IdempotencyConflictError).idempotencyKey).toBe(input.idempotencyKey);
      expectPayment(await settledPayment(context, subject, first.providerReference), { state: 'authorized', authorized: fullAmount(options) });
    }));
};

/** Cases of `retrieve` and `findByMerchantReference`. */
const lookup: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  test('retrieve answers what authorize answered', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const retrieved = await settledPayment(context, subject, payment.providerReference);
      expect(retrieved.providerReference).toBe(payment.providerReference);
      expect(retrieved.provider).toBe(subject.provider);
      expect(retrieved.merchantReference).toBe(payment.merchantReference);
      expect(retrieved.amount.toJSON()).toEqual(payment.amount.toJSON());
      expectPayment(retrieved, { state: payment.state, authorized: payment.authorizedAmount, captured: payment.capturedAmount });
    }));

  test('retrieving an unknown payment is a ResourceNotFoundError', () =>
    withSubject(context, async (subject) => {
      const providerReference = options.unknownProviderReference ?? `unknown_${randomUUID()}`;
      const error = await captureError(() => subject.retrieve({ providerReference }));
      expectProviderError(error, subject, ResourceNotFoundError.isInstance, 'ResourceNotFoundError');
    }));

  test('findByMerchantReference finds a payment by our reference', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'findByMerchantReference');
      const merchantReference = newMerchantReference();
      const payment = await authorizeApproved(context, subject, { merchantReference });
      await options.settle?.(subject);
      const found = await subject.findByMerchantReference({ merchantReference });
      expect(found?.providerReference).toBe(payment.providerReference);
      expect(found?.state).toBe('authorized');
    }));

  test('findByMerchantReference answers undefined for a reference never used', (testContext) =>
    withSubject(context, async (subject) => {
      requireCapability(testContext, subject, 'findByMerchantReference');
      expect(await subject.findByMerchantReference({ merchantReference: newMerchantReference() })).toBeUndefined();
    }));
};

/** Cases of stored payment methods and merchant-initiated charges. */
const storedPaymentMethods: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  /** The customer and token `customerForStoredMethods` makes, or a skip when the option is absent. */
  async function storedCustomer(
    testContext: TestContext,
    subject: PaymentGatewayV1,
  ): Promise<{ readonly customerReference: string; readonly paymentMethodToken: string }> {
    if (options.customerForStoredMethods === undefined) {
      return testContext.skip('no customerForStoredMethods given for this provider');
    }
    const customer = await options.customerForStoredMethods(subject);
    await options.settle?.(subject);
    return customer;
  }

  test('a stored payment method is listed with brand, last four and expiry, and no card number', (testContext) =>
    withSubject(context, async (subject) => {
      const customer = await storedCustomer(testContext, subject);
      const methods = await subject.listStoredPaymentMethods({ customerReference: customer.customerReference });
      const method = methods.find((candidate) => candidate.token === customer.paymentMethodToken);
      expect(method, `stored method ${customer.paymentMethodToken} is listed`).toBeDefined();
      expect(method?.provider).toBe(subject.provider);
      expect(method?.customerReference).toBe(customer.customerReference);
      expect(cardBrands).toContain(method?.card.brand);
      expect(method?.card.last4).toMatch(/^[0-9]{4}$/);
      expect(method?.card.expiryMonth).toBeGreaterThanOrEqual(1);
      expect(method?.card.expiryMonth).toBeLessThanOrEqual(12);
      expect(String(method?.card.expiryYear)).toMatch(/^[0-9]{4}$/);
      expect(findCardNumberLikeRuns(methods)).toEqual([]);
    }));

  test('a merchant-initiated charge of a stored method captures, carrying the network transaction id', (testContext) =>
    withSubject(context, async (subject) => {
      const customer = await storedCustomer(testContext, subject);
      const methods = await subject.listStoredPaymentMethods({ customerReference: customer.customerReference });
      const stored = methods.find((candidate) => candidate.token === customer.paymentMethodToken);
      const networkTransactionId = subject.capabilities.merchantInitiatedWithNetworkTransactionId ? stored?.networkTransactionId : undefined;
      const payment = await subject.chargeStoredPaymentMethod({
        idempotencyKey: newKey(),
        merchantReference: newMerchantReference(),
        amount: fullAmount(options),
        customerReference: customer.customerReference,
        paymentMethodToken: customer.paymentMethodToken,
        networkTransactionId,
        reason: 'unscheduled',
      });
      expectPayment(await settledPayment(context, subject, payment.providerReference), { state: 'captured', captured: fullAmount(options) });
      expect(findCardNumberLikeRuns(payment)).toEqual([]);
    }));

  test('a merchant-initiated charge with manual capture is only authorized, and replays by key', (testContext) =>
    withSubject(context, async (subject) => {
      const customer = await storedCustomer(testContext, subject);
      const input = {
        idempotencyKey: newKey(),
        merchantReference: newMerchantReference(),
        amount: fullAmount(options),
        customerReference: customer.customerReference,
        paymentMethodToken: customer.paymentMethodToken,
        reason: 'subscription',
        captureMethod: 'manual',
      } as const;
      const first = await subject.chargeStoredPaymentMethod(input);
      const second = await subject.chargeStoredPaymentMethod(input);
      expect(second.providerReference).toBe(first.providerReference);
      expectPayment(await settledPayment(context, subject, first.providerReference), { state: 'authorized', captured: Money.zero(options.currency) });
    }));
};

/** Cases of `verifyWebhook`. */
const webhooks: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  for (const type of options.webhookEventTypes ?? defaultWebhookEventTypes) {
    test(`a valid ${type} webhook is accepted and normalized`, () =>
      withSubject(context, async (subject) => {
        const payment = await authorizeApproved(context, subject);
        const event = webhookEvent(context, payment.providerReference, type);
        const verified = await subject.verifyWebhook(await options.signWebhook(event));
        expect(verified.eventId).toBe(options.expectedEventId?.(event) ?? event.eventId);
        expect(verified.provider).toBe(subject.provider);
        expect(verified.type).toBe(type);
        expect(verified.providerType.length).toBeGreaterThan(0);
        expect(verified.providerReference).toBe(payment.providerReference);
        expect(verified.success).toBe(true);
        expect(Number.isFinite(verified.occurredAt)).toBe(true);
        if (verified.amount !== undefined) {
          expect(verified.amount.toJSON()).toEqual(event.amount.toJSON());
        }
        // A running total of refunds (the only refund so far here) replaces the amount; never both.
        if (verified.refundedTotal !== undefined) {
          expect(verified.type).toBe('payment.refunded');
          expect(verified.amount).toBeUndefined();
          expect(verified.refundedTotal.toJSON()).toEqual(event.amount.toJSON());
        }
      }));
  }

  test('a webhook whose body was altered is rejected (signature-mismatch)', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const request = await options.signWebhook(webhookEvent(context, payment.providerReference));
      const error = await captureError(() => subject.verifyWebhook(tamper(request, payment.providerReference)));
      expect(WebhookVerificationError.isInstance(error), `expected WebhookVerificationError, got ${String(error)}`).toBe(true);
      expect((error as WebhookVerificationError).reason).toBe('signature-mismatch');
    }));

  test('a webhook signed with another secret is rejected (signature-mismatch)', ({ skip }) =>
    withSubject(context, async (subject) => {
      const forge = options.forgeWebhook;
      if (forge === undefined) {
        return skip('no forgeWebhook given for this provider');
      }
      const payment = await authorizeApproved(context, subject);
      const error = await captureError(async () => subject.verifyWebhook(await forge(webhookEvent(context, payment.providerReference))));
      expect(WebhookVerificationError.isInstance(error), `expected WebhookVerificationError, got ${String(error)}`).toBe(true);
      expect((error as WebhookVerificationError).reason).toBe('signature-mismatch');
    }));

  test('a webhook received long after it was signed is rejected (stale)', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.webhookTimestamps !== true) {
        return skip(`the webhook scheme of ${subject.provider} signs no timestamp (webhookTimestamps is not true)`);
      }
      const payment = await authorizeApproved(context, subject);
      const request = await options.signWebhook(webhookEvent(context, payment.providerReference));
      const tenMinutesLater = (request.receivedAt ?? Date.now()) + 10 * 60_000;
      const error = await captureError(() => subject.verifyWebhook({ ...request, receivedAt: tenMinutesLater }));
      expect(WebhookVerificationError.isInstance(error), `expected WebhookVerificationError, got ${String(error)}`).toBe(true);
      expect((error as WebhookVerificationError).reason).toBe('stale');
    }));

  test('a webhook delivered twice normalizes to the same event id', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const request = await options.signWebhook(webhookEvent(context, payment.providerReference));
      const first = await subject.verifyWebhook(request);
      const second = await subject.verifyWebhook(request);
      expect(second.eventId).toBe(first.eventId);
      expect(second.type).toBe(first.type);
    }));
};

/** Cases of the error model. */
const errors: ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions> = (context) => {
  const { test, options } = context;

  test('every failure is exactly one typed ProviderError of this provider with a stable code', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const failures = [
        await declinedError(context, subject),
        await captureError(() =>
          subject.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: amountOf(options, options.amountMinor + 1n) }),
        ),
        await captureError(() => subject.retrieve({ providerReference: options.unknownProviderReference ?? `unknown_${randomUUID()}` })),
      ];
      for (const failure of failures) {
        expect(ProviderError.isInstance(failure), `expected a ProviderError, got ${String(failure)}`).toBe(true);
        const error = failure as ProviderError;
        expect(error.provider).toBe(subject.provider);
        expect(stableProviderErrorCodes.has(error.code), `code ${error.code} is one of the stable provider codes`).toBe(true);
        expect(error.message.length).toBeGreaterThan(0);
        expect(findCardNumberLikeRuns(error.toJSON())).toEqual([]);
      }
      const [declined, overCapture, notFound] = failures;
      expect(InvalidRequestError.isInstance(declined) || UnknownOutcomeError.isInstance(declined)).toBe(false);
      expect(PaymentDeclinedError.isInstance(overCapture) || ResourceNotFoundError.isInstance(overCapture)).toBe(false);
      expect(InvalidRequestError.isInstance(notFound) || PaymentDeclinedError.isInstance(notFound)).toBe(false);
    }));

  test('a rejected webhook is a WebhookVerificationError naming the provider, never echoing the body or signature', () =>
    withSubject(context, async (subject) => {
      const payment = await authorizeApproved(context, subject);
      const request = tamper(await options.signWebhook(webhookEvent(context, payment.providerReference)), payment.providerReference);
      const error = await captureError(() => subject.verifyWebhook(request));
      expect(WebhookVerificationError.isInstance(error)).toBe(true);
      const rejection = error as WebhookVerificationError;
      expect(rejection.code).toBe('WEBHOOK_REJECTED');
      expect(rejection.source).toBe(subject.provider);
      expect(ProviderError.isInstance(rejection)).toBe(false);
      expect(rejection.message).not.toContain(request.rawBody);
      for (const value of Object.values(request.headers)) {
        if (value !== undefined && value.length >= 20) {
          expect(rejection.message).not.toContain(value);
        }
      }
    }));
};

/** The payment gateway contract, suite by suite (run one with `runContract` or call it with a context). */
export const paymentGatewayContractSuites: Readonly<Record<PaymentGatewayContractSuiteName, ContractSuite<PaymentGatewayV1, PaymentGatewayContractOptions>>> = {
  authorization,
  capture,
  refund,
  cancellation,
  idempotency,
  lookup,
  storedPaymentMethods,
  webhooks,
  errors,
};

/**
 * Registers the whole payment gateway contract. Each case runs on a fresh subject from `create`.
 * Cases that need a capability the subject does not declare, or an option that is not given, are
 * reported as skipped with the reason.
 *
 * @example
 * paymentGatewayContract({
 *   test,
 *   create: () => new InMemoryPaymentGateway(),
 *   options: { currency: 'EUR', amountMinor: 1000n, paymentMethodTokens: { approved: 'tok_visa', declined: 'tok_declined' }, signWebhook },
 * });
 */
export function paymentGatewayContract(input: ContractInput<PaymentGatewayV1, PaymentGatewayContractOptions, PaymentGatewayContractSuiteName>): void {
  if (input.options.amountMinor < 4n) {
    throw new TypeError(`paymentGatewayContract: amountMinor must be at least 4 (it is split in quarters), got ${input.options.amountMinor}.`);
  }
  runContract('PaymentGateway', paymentGatewayContractSuites, input);
}
