import { describe, expect, it } from 'vitest';
import * as exported from './index.js';
import {
  ConfigurationError,
  CurrencyMismatchError,
  IdempotencyConflictError,
  IllegalTransitionError,
  InvalidMoneyError,
  InvalidRequestError,
  PaymentDeclinedError,
  PaymigrateError,
  ProviderAuthenticationError,
  ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownCurrencyError,
  UnknownOutcomeError,
  UnsupportedOperationError,
  VersionConflictError,
  WebhookVerificationError,
} from './index.js';

/** What every error class offers for identity checks. */
interface ErrorClass {
  readonly name: string;
  isInstance(value: unknown): boolean;
}

/** One error class, one representative instance, and everything that instance must show. */
interface ErrorCase {
  /** The class under test. */
  readonly type: ErrorClass;
  /** Its `Symbol.for` key; a published contract, since other installed copies look for it. */
  readonly marker: string;
  /** Classes it extends (besides itself), whose `isInstance` must also say yes. */
  readonly ancestors: readonly ErrorClass[];
  /** Builds the representative instance. */
  readonly create: () => PaymigrateError;
  readonly code: string;
  readonly isRetryable: boolean;
  readonly message: string;
  /** Own fields beyond code, name, message and isRetryable. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The exact `toJSON()` output. */
  readonly json: Readonly<Record<string, unknown>>;
}

const providerBase = [PaymigrateError, ProviderError] as const;

const cases: readonly ErrorCase[] = [
  {
    type: PaymigrateError,
    marker: 'paymigrate.error',
    ancestors: [],
    create: () => new PaymigrateError('STATE_UNKNOWN', "Unknown payment state 'x'."),
    code: 'STATE_UNKNOWN',
    isRetryable: false,
    message: "Unknown payment state 'x'.",
    fields: {},
    json: { name: 'PaymigrateError', code: 'STATE_UNKNOWN', message: "Unknown payment state 'x'.", isRetryable: false },
  },
  {
    type: ConfigurationError,
    marker: 'paymigrate.error.configuration',
    ancestors: [PaymigrateError],
    create: () => new ConfigurationError({ option: 'stripe.apiKey', problem: 'is missing', fix: 'set STRIPE_API_KEY or pass apiKey' }),
    code: 'CONFIGURATION_INVALID',
    isRetryable: false,
    message: "Option 'stripe.apiKey' is missing. Fix: set STRIPE_API_KEY or pass apiKey.",
    fields: { option: 'stripe.apiKey', fix: 'set STRIPE_API_KEY or pass apiKey' },
    json: {
      name: 'ConfigurationError',
      code: 'CONFIGURATION_INVALID',
      message: "Option 'stripe.apiKey' is missing. Fix: set STRIPE_API_KEY or pass apiKey.",
      isRetryable: false,
      option: 'stripe.apiKey',
      fix: 'set STRIPE_API_KEY or pass apiKey',
    },
  },
  {
    type: IllegalTransitionError,
    marker: 'paymigrate.error.illegal-transition',
    ancestors: [PaymigrateError],
    create: () =>
      new IllegalTransitionError({ machine: 'payment', entityId: 'pay_1', from: 'captured', to: 'authorized', allowed: ['partially_refunded', 'refunded'] }),
    code: 'STATE_ILLEGAL_TRANSITION',
    isRetryable: false,
    message: "Illegal transition of payment 'pay_1' from 'captured' to 'authorized' (allowed from 'captured': partially_refunded, refunded).",
    fields: { machine: 'payment', entityId: 'pay_1', from: 'captured', to: 'authorized', allowed: ['partially_refunded', 'refunded'] },
    json: {
      name: 'IllegalTransitionError',
      code: 'STATE_ILLEGAL_TRANSITION',
      message: "Illegal transition of payment 'pay_1' from 'captured' to 'authorized' (allowed from 'captured': partially_refunded, refunded).",
      isRetryable: false,
      machine: 'payment',
      entityId: 'pay_1',
      from: 'captured',
      to: 'authorized',
    },
  },
  {
    type: CurrencyMismatchError,
    marker: 'paymigrate.error.currency-mismatch',
    ancestors: [PaymigrateError],
    create: () => new CurrencyMismatchError({ left: 'USD', right: 'EUR', operation: 'add' }),
    code: 'MONEY_CURRENCY_MISMATCH',
    isRetryable: false,
    message: 'Cannot add USD and EUR: amounts in different currencies never mix. Convert explicitly first.',
    fields: { left: 'USD', right: 'EUR' },
    json: {
      name: 'CurrencyMismatchError',
      code: 'MONEY_CURRENCY_MISMATCH',
      message: 'Cannot add USD and EUR: amounts in different currencies never mix. Convert explicitly first.',
      isRetryable: false,
    },
  },
  {
    type: InvalidMoneyError,
    marker: 'paymigrate.error.invalid-money',
    ancestors: [PaymigrateError],
    create: () => new InvalidMoneyError('12.5 is not a safe integer.'),
    code: 'MONEY_INVALID',
    isRetryable: false,
    message: '12.5 is not a safe integer.',
    fields: {},
    json: { name: 'InvalidMoneyError', code: 'MONEY_INVALID', message: '12.5 is not a safe integer.', isRetryable: false },
  },
  {
    type: UnknownCurrencyError,
    marker: 'paymigrate.error.unknown-currency',
    ancestors: [PaymigrateError],
    create: () => new UnknownCurrencyError('usd'),
    code: 'MONEY_UNKNOWN_CURRENCY',
    isRetryable: false,
    message: "'usd' is not an ISO 4217 currency code. Use the three upper-case letters, e.g. 'USD', 'EUR', 'JPY'.",
    fields: { currency: 'usd' },
    json: {
      name: 'UnknownCurrencyError',
      code: 'MONEY_UNKNOWN_CURRENCY',
      message: "'usd' is not an ISO 4217 currency code. Use the three upper-case letters, e.g. 'USD', 'EUR', 'JPY'.",
      isRetryable: false,
    },
  },
  {
    type: ProviderError,
    marker: 'paymigrate.error.provider',
    ancestors: [PaymigrateError],
    create: () =>
      new ProviderError('PROVIDER_SOMETHING', 'Something failed', { provider: 'stripe', httpStatus: 500, providerCode: 'api_error', requestId: 'req_1' }, false),
    code: 'PROVIDER_SOMETHING',
    isRetryable: false,
    message: '[stripe] Something failed',
    fields: { provider: 'stripe', httpStatus: 500, providerCode: 'api_error', requestId: 'req_1' },
    json: {
      name: 'ProviderError',
      code: 'PROVIDER_SOMETHING',
      message: '[stripe] Something failed',
      isRetryable: false,
      provider: 'stripe',
      httpStatus: 500,
      providerCode: 'api_error',
      requestId: 'req_1',
    },
  },
  {
    type: PaymentDeclinedError,
    marker: 'paymigrate.error.provider.declined',
    ancestors: providerBase,
    create: () =>
      new PaymentDeclinedError('Card declined', {
        provider: 'stripe',
        httpStatus: 402,
        providerCode: 'card_declined',
        requestId: 'req_2',
        declineReason: 'insufficient_funds',
        providerReference: 'pi_123',
      }),
    code: 'PROVIDER_DECLINED',
    isRetryable: false,
    message: '[stripe] Card declined',
    fields: {
      provider: 'stripe',
      httpStatus: 402,
      providerCode: 'card_declined',
      requestId: 'req_2',
      declineReason: 'insufficient_funds',
      providerReference: 'pi_123',
    },
    json: {
      name: 'PaymentDeclinedError',
      code: 'PROVIDER_DECLINED',
      message: '[stripe] Card declined',
      isRetryable: false,
      provider: 'stripe',
      httpStatus: 402,
      providerCode: 'card_declined',
      requestId: 'req_2',
    },
  },
  {
    type: RateLimitedError,
    marker: 'paymigrate.error.provider.rate-limited',
    ancestors: providerBase,
    create: () => new RateLimitedError('Too many requests', { provider: 'adyen', httpStatus: 429, retryAfterMs: 2000 }),
    code: 'PROVIDER_RATE_LIMITED',
    isRetryable: true,
    message: '[adyen] Too many requests',
    fields: { provider: 'adyen', httpStatus: 429, providerCode: undefined, requestId: undefined, retryAfterMs: 2000 },
    json: {
      name: 'RateLimitedError',
      code: 'PROVIDER_RATE_LIMITED',
      message: '[adyen] Too many requests',
      isRetryable: true,
      provider: 'adyen',
      httpStatus: 429,
      providerCode: undefined,
      requestId: undefined,
    },
  },
  {
    type: ProviderRetryableError,
    marker: 'paymigrate.error.provider.retryable',
    ancestors: providerBase,
    create: () => new ProviderRetryableError('Lock conflict', { provider: 'stripe', httpStatus: 409, providerCode: 'lock_timeout' }),
    code: 'PROVIDER_RETRYABLE',
    isRetryable: true,
    message: '[stripe] Lock conflict',
    fields: { provider: 'stripe', httpStatus: 409, providerCode: 'lock_timeout', requestId: undefined },
    json: {
      name: 'ProviderRetryableError',
      code: 'PROVIDER_RETRYABLE',
      message: '[stripe] Lock conflict',
      isRetryable: true,
      provider: 'stripe',
      httpStatus: 409,
      providerCode: 'lock_timeout',
      requestId: undefined,
    },
  },
  {
    type: UnknownOutcomeError,
    marker: 'paymigrate.error.provider.unknown-outcome',
    ancestors: providerBase,
    create: () => new UnknownOutcomeError('Timed out after sending', { provider: 'paypal', requestId: 'req_3' }),
    code: 'PROVIDER_UNKNOWN_OUTCOME',
    isRetryable: true,
    message: '[paypal] Timed out after sending',
    fields: { provider: 'paypal', httpStatus: undefined, providerCode: undefined, requestId: 'req_3' },
    json: {
      name: 'UnknownOutcomeError',
      code: 'PROVIDER_UNKNOWN_OUTCOME',
      message: '[paypal] Timed out after sending',
      isRetryable: true,
      provider: 'paypal',
      httpStatus: undefined,
      providerCode: undefined,
      requestId: 'req_3',
    },
  },
  {
    type: InvalidRequestError,
    marker: 'paymigrate.error.provider.invalid-request',
    ancestors: providerBase,
    create: () =>
      new InvalidRequestError('Amount too large', { provider: 'stripe', httpStatus: 400, providerCode: 'amount_too_large', parameter: 'amount' }),
    code: 'PROVIDER_INVALID_REQUEST',
    isRetryable: false,
    message: '[stripe] Amount too large',
    fields: { provider: 'stripe', httpStatus: 400, providerCode: 'amount_too_large', requestId: undefined, parameter: 'amount' },
    json: {
      name: 'InvalidRequestError',
      code: 'PROVIDER_INVALID_REQUEST',
      message: '[stripe] Amount too large',
      isRetryable: false,
      provider: 'stripe',
      httpStatus: 400,
      providerCode: 'amount_too_large',
      requestId: undefined,
    },
  },
  {
    type: ProviderAuthenticationError,
    marker: 'paymigrate.error.provider.authentication',
    ancestors: providerBase,
    create: () => new ProviderAuthenticationError('Invalid API key', { provider: 'stripe', httpStatus: 401 }),
    code: 'PROVIDER_AUTHENTICATION',
    isRetryable: false,
    message: '[stripe] Invalid API key',
    fields: { provider: 'stripe', httpStatus: 401, providerCode: undefined, requestId: undefined },
    json: {
      name: 'ProviderAuthenticationError',
      code: 'PROVIDER_AUTHENTICATION',
      message: '[stripe] Invalid API key',
      isRetryable: false,
      provider: 'stripe',
      httpStatus: 401,
      providerCode: undefined,
      requestId: undefined,
    },
  },
  {
    type: ProviderUnavailableError,
    marker: 'paymigrate.error.provider.unavailable',
    ancestors: providerBase,
    create: () => new ProviderUnavailableError('Connection refused', { provider: 'adyen' }),
    code: 'PROVIDER_UNAVAILABLE',
    isRetryable: true,
    message: '[adyen] Connection refused',
    fields: { provider: 'adyen', httpStatus: undefined, providerCode: undefined, requestId: undefined },
    json: {
      name: 'ProviderUnavailableError',
      code: 'PROVIDER_UNAVAILABLE',
      message: '[adyen] Connection refused',
      isRetryable: true,
      provider: 'adyen',
      httpStatus: undefined,
      providerCode: undefined,
      requestId: undefined,
    },
  },
  {
    type: IdempotencyConflictError,
    marker: 'paymigrate.error.provider.idempotency-conflict',
    ancestors: providerBase,
    create: () =>
      new IdempotencyConflictError('Key reused with different parameters', {
        provider: 'stripe',
        httpStatus: 400,
        providerCode: 'idempotency_key_in_use',
        idempotencyKey: 'idem_1',
      }),
    code: 'PROVIDER_IDEMPOTENCY_CONFLICT',
    isRetryable: false,
    message: '[stripe] Key reused with different parameters',
    fields: { provider: 'stripe', httpStatus: 400, providerCode: 'idempotency_key_in_use', requestId: undefined, idempotencyKey: 'idem_1' },
    json: {
      name: 'IdempotencyConflictError',
      code: 'PROVIDER_IDEMPOTENCY_CONFLICT',
      message: '[stripe] Key reused with different parameters',
      isRetryable: false,
      provider: 'stripe',
      httpStatus: 400,
      providerCode: 'idempotency_key_in_use',
      requestId: undefined,
    },
  },
  {
    type: ResourceNotFoundError,
    marker: 'paymigrate.error.provider.not-found',
    ancestors: providerBase,
    create: () => new ResourceNotFoundError('No such payment', { provider: 'stripe', httpStatus: 404, resource: 'payment pi_123' }),
    code: 'PROVIDER_RESOURCE_NOT_FOUND',
    isRetryable: false,
    message: '[stripe] No such payment',
    fields: { provider: 'stripe', httpStatus: 404, providerCode: undefined, requestId: undefined, resource: 'payment pi_123' },
    json: {
      name: 'ResourceNotFoundError',
      code: 'PROVIDER_RESOURCE_NOT_FOUND',
      message: '[stripe] No such payment',
      isRetryable: false,
      provider: 'stripe',
      httpStatus: 404,
      providerCode: undefined,
      requestId: undefined,
    },
  },
  {
    type: UnsupportedOperationError,
    marker: 'paymigrate.error.unsupported-operation',
    ancestors: [PaymigrateError],
    create: () => new UnsupportedOperationError({ component: 'paypal', operation: 'partial capture', reason: 'the account allows one capture' }),
    code: 'UNSUPPORTED_OPERATION',
    isRetryable: false,
    message: 'paypal does not support partial capture: the account allows one capture.',
    fields: { component: 'paypal', operation: 'partial capture' },
    json: {
      name: 'UnsupportedOperationError',
      code: 'UNSUPPORTED_OPERATION',
      message: 'paypal does not support partial capture: the account allows one capture.',
      isRetryable: false,
    },
  },
  {
    type: VersionConflictError,
    marker: 'paymigrate.error.version-conflict',
    ancestors: [PaymigrateError],
    create: () => new VersionConflictError({ collection: 'payments', key: 'pay_1', expectedVersion: 3, actualVersion: 4 }),
    code: 'JOURNAL_VERSION_CONFLICT',
    isRetryable: true,
    message: "Record 'payments/pay_1' changed concurrently: expected version 3, found version 4. Read it again and retry.",
    fields: { collection: 'payments', key: 'pay_1', expectedVersion: 3, actualVersion: 4 },
    json: {
      name: 'VersionConflictError',
      code: 'JOURNAL_VERSION_CONFLICT',
      message: "Record 'payments/pay_1' changed concurrently: expected version 3, found version 4. Read it again and retry.",
      isRetryable: true,
    },
  },
  {
    type: WebhookVerificationError,
    marker: 'paymigrate.error.webhook-verification',
    ancestors: [PaymigrateError],
    create: () => new WebhookVerificationError({ source: 'stripe', reason: 'signature-mismatch' }),
    code: 'WEBHOOK_REJECTED',
    isRetryable: false,
    message: 'Webhook from stripe rejected (signature-mismatch).',
    fields: { source: 'stripe', reason: 'signature-mismatch' },
    json: { name: 'WebhookVerificationError', code: 'WEBHOOK_REJECTED', message: 'Webhook from stripe rejected (signature-mismatch).', isRetryable: false },
  },
];

/** Values that are not paymigrate errors of any kind. */
const strangers: ReadonlyArray<readonly [string, unknown]> = [
  ['a plain Error', new Error('boom')],
  ['a TypeError', new TypeError('boom')],
  ['null', null],
  ['undefined', undefined],
  ['a string', 'PaymigrateError'],
  ['a number', 1],
  ['an empty object', {}],
  ['a function', () => undefined],
];

/** Objects that imitate the marker badly: wrong value, private symbol of the same name. */
function lookAlikes(marker: string): ReadonlyArray<readonly [string, unknown]> {
  return [
    ['the marker set to the string "true"', { [Symbol.for(marker)]: 'true' }],
    ['the marker set to 1', { [Symbol.for(marker)]: 1 }],
    ['the marker set to false', { [Symbol.for(marker)]: false }],
    ['a non-registered symbol of the same name', { [Symbol(marker)]: true }],
    ['a string key of the same name', { [marker]: true }],
    ['a misspelled marker', { [Symbol.for(`${marker}s`)]: true }],
  ];
}

describe('every exported error class is covered here', () => {
  it('the case table lists exactly the classes exported from errors/index.ts', () => {
    const exportedClasses = Object.values(exported).filter((value) => typeof value === 'function');
    expect(new Set(exportedClasses)).toEqual(new Set(cases.map((errorCase) => errorCase.type)));
  });

  it('no two classes share a marker', () => {
    expect(new Set(cases.map((errorCase) => errorCase.marker)).size).toBe(cases.length);
  });
});

describe.each(cases)('$type.name', (errorCase) => {
  const error = errorCase.create();

  it('is an Error with a stack, its class name and its code', () => {
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(errorCase.type.name);
    expect(error.code).toBe(errorCase.code);
    expect(error.code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
    expect(typeof error.stack).toBe('string');
  });

  it('has the expected message', () => {
    expect(error.message).toBe(errorCase.message);
  });

  it(`isRetryable defaults to ${String(errorCase.isRetryable)}`, () => {
    expect(error.isRetryable).toBe(errorCase.isRetryable);
  });

  it('carries its fields', () => {
    for (const [field, value] of Object.entries(errorCase.fields)) {
      expect((error as unknown as Record<string, unknown>)[field], field).toEqual(value);
      expect(Object.hasOwn(error, field), `${field} is an own property`).toBe(true);
    }
  });

  it('toJSON gives the exact JSON-safe view with every declared field, without stack or cause', () => {
    const json = error.toJSON();
    const expected = { ...errorCase.json, ...errorCase.fields };
    expect(json).toStrictEqual(expected);
    expect(json).not.toHaveProperty('stack');
    expect(json).not.toHaveProperty('cause');
    expect(JSON.parse(JSON.stringify(error))).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('isInstance is true for itself and every base class', () => {
    expect(errorCase.type.isInstance(error)).toBe(true);
    for (const ancestor of errorCase.ancestors) {
      expect(ancestor.isInstance(error), ancestor.name).toBe(true);
    }
    expect(PaymigrateError.isInstance(error)).toBe(true);
  });

  const others = cases.filter((other) => other !== errorCase && !other.ancestors.includes(errorCase.type));
  it.each(others.map((other) => [other.type.name, other] as const))('isInstance is false for a %s', (_name, other) => {
    expect(errorCase.type.isInstance(other.create())).toBe(false);
  });

  it.each(strangers)('isInstance is false for %s', (_label, value) => {
    expect(errorCase.type.isInstance(value)).toBe(false);
  });

  it('isInstance is false for a plain Error dressed up with the same name and code', () => {
    const impostor = Object.assign(new Error(errorCase.message), { name: errorCase.type.name, code: errorCase.code, isRetryable: errorCase.isRetryable });
    expect(errorCase.type.isInstance(impostor)).toBe(false);
  });

  it.each(lookAlikes(errorCase.marker))('isInstance is false for a look-alike with %s', (_label, value) => {
    expect(errorCase.type.isInstance(value)).toBe(false);
  });

  it('isInstance recognizes an error from another installed copy: any object with the same Symbol.for marker set to true', () => {
    const fromOtherCopy = { [Symbol.for(errorCase.marker)]: true, name: errorCase.type.name, message: 'from the other copy' };
    expect(errorCase.type.isInstance(fromOtherCopy)).toBe(true);
    const bare = Object.create(null) as Record<symbol, unknown>;
    bare[Symbol.for(errorCase.marker)] = true;
    expect(errorCase.type.isInstance(bare)).toBe(true);
  });

  it('the marker is set on the instance, to true', () => {
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for(errorCase.marker)]).toBe(true);
  });
});

describe('cross-copy markers are independent', () => {
  it('a foreign object carrying only a subclass marker is that subclass but not its base (a real copy sets both)', () => {
    const onlyDeclined = { [Symbol.for('paymigrate.error.provider.declined')]: true };
    expect(PaymentDeclinedError.isInstance(onlyDeclined)).toBe(true);
    expect(ProviderError.isInstance(onlyDeclined)).toBe(false);
    expect(PaymigrateError.isInstance(onlyDeclined)).toBe(false);
  });

  it('an error from another copy, simulated by copying every own property, keeps all its identities', () => {
    const original = new RateLimitedError('Slow down', { provider: 'stripe', retryAfterMs: 1000 });
    const copy: unknown = Object.assign({}, original);
    expect(RateLimitedError.isInstance(copy)).toBe(true);
    expect(ProviderError.isInstance(copy)).toBe(true);
    expect(PaymigrateError.isInstance(copy)).toBe(true);
    expect(UnknownOutcomeError.isInstance(copy)).toBe(false);
  });
});

describe('variants', () => {
  it('PaymigrateError keeps the cause and accepts an isRetryable override', () => {
    const cause = new Error('socket hang up');
    const error = new PaymigrateError('SOME_CODE', 'Something.', { cause, isRetryable: true });
    expect(error.cause).toBe(cause);
    expect(error.isRetryable).toBe(true);
    expect(error.toJSON()).not.toHaveProperty('cause');
  });

  it('PaymigrateError without a cause has no cause property', () => {
    expect(Object.hasOwn(new PaymigrateError('SOME_CODE', 'Something.'), 'cause')).toBe(false);
  });

  it('ConfigurationError keeps its cause', () => {
    const cause = new Error('ENOENT');
    expect(new ConfigurationError({ option: 'journal.path', problem: 'is unreadable', fix: 'check the path', cause }).cause).toBe(cause);
  });

  it('provider errors keep the SDK error as cause, and ProviderError takes its retryability from the caller', () => {
    const cause = new Error('ECONNREFUSED');
    const unavailable = new ProviderUnavailableError('Connection refused', { provider: 'adyen', cause });
    expect(unavailable.cause).toBe(cause);
    expect(new ProviderError('PROVIDER_X', 'x', { provider: 'stripe' }, true).isRetryable).toBe(true);
  });

  it('IllegalTransitionError without an entity id names the machine only; from a terminal state it says final', () => {
    const error = new IllegalTransitionError({ machine: 'order', from: 'cancelled', to: 'paid', allowed: [] });
    expect(error.entityId).toBeUndefined();
    expect(error.message).toBe("Illegal transition of order from 'cancelled' to 'paid' ('cancelled' is final).");
  });

  it('VersionConflictError says absent when the record is missing', () => {
    const error = new VersionConflictError({ collection: 'payments', key: 'pay_1', expectedVersion: 2, actualVersion: undefined });
    expect(error.actualVersion).toBeUndefined();
    expect(error.message).toBe("Record 'payments/pay_1' changed concurrently: expected version 2, found absent. Read it again and retry.");
  });

  it('WebhookVerificationError appends a detail and keeps its cause', () => {
    const cause = new Error('bad hex');
    const error = new WebhookVerificationError({ source: 'adyen', reason: 'malformed-signature', detail: 'HMAC is not base64', cause });
    expect(error.message).toBe('Webhook from adyen rejected (malformed-signature): HMAC is not base64.');
    expect(error.cause).toBe(cause);
  });
});
