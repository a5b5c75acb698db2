import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import {
  IdempotencyConflictError,
  InvalidRequestError,
  PaymentDeclinedError,
  ProviderUnavailableError,
  RateLimitedError,
  UnknownOutcomeError,
} from '../errors/provider-errors.js';
import type { PaymentGatewayCapabilities } from '../ports/payment-gateway/v1/payment-gateway-capabilities.js';
import type { CancelByMerchantReferenceInput } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { createHarness, type Harness, usd } from './__fixtures__/transaction-harness.js';

const lost = () => new UnknownOutcomeError('Timed out', { provider: 'stripe' });

function authorization(paymentId = 'pay_1', overrides: Record<string, unknown> = {}) {
  return { paymentId, merchantReference: `ref-${paymentId}`, orderId: `order-${paymentId}`, amount: usd(5_000), paymentMethodToken: 'tok_visa', ...overrides };
}

/** A harness whose old provider (`stripe`) declares the given capabilities. */
async function harnessWith(capabilities: Partial<PaymentGatewayCapabilities>): Promise<Harness & { readonly limited: InMemoryPaymentGateway }> {
  const base = await createHarness();
  const limited = new InMemoryPaymentGateway({ provider: 'stripe', clock: base.clock, capabilities });
  const harness = await createHarness({ gateways: [limited, base.next] });
  return { ...harness, limited, next: base.next };
}

describe('unknown outcomes are resolved on the same provider (invariant 3)', () => {
  it('a lost answer is resolved by retrying the same request with the same key: one payment at the provider, none elsewhere', async () => {
    const harness = await createHarness();
    harness.old.failAfterApplying('authorize');
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'succeeded', retryElsewhere: false });
    expect(result.payment.state).toBe('authorized');
    expect(result.intent).toMatchObject({ attempts: 2, mayHaveExecuted: true, outcome: { resolvedBy: 'same-key-retry' } });
    expect(harness.old.payments()).toHaveLength(1);
    expect(harness.old.calls.map((call) => call.idempotencyKey)).toEqual(['pay_1.authorize.1', 'pay_1.authorize.1']);
    expect(harness.old.calls[0]?.input).toEqual(harness.old.calls[1]?.input);
    expect(harness.next.calls).toHaveLength(0);
    expect(harness.lines.some((line) => line['status'] === 'unknown' && line['level'] === 40)).toBe(true);
  });

  it('the payment is unknown in the journal while it is being resolved', async () => {
    const harness = await createHarness();
    harness.old.failAfterApplying('authorize');
    const states: string[] = [];
    const authorize = harness.old.authorize.bind(harness.old);
    harness.old.authorize = async (input, options) => {
      states.push(`${(await harness.payments.get('pay_1'))?.value.state}/${(await harness.intents.get(input.idempotencyKey))?.value.status}`);
      return authorize(input, options);
    };
    await harness.create().authorize(authorization());
    expect(states).toEqual(['authorizing/pending', 'unknown/unknown']);
  });

  it('an error that is not a normalized provider error is treated as an unknown outcome', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', new TypeError('cannot read properties of undefined'));
    const result = await harness.create().authorize(authorization());
    expect(result.status).toBe('succeeded');
    expect(result.intent.lastErrorCode).toBe('UNEXPECTED_ERROR');
  });

  it('a snapshot the adapter could not map (state unknown) is an unknown outcome', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    let first = true;
    harness.old.authorize = async (input, options) => {
      const snapshot = await authorize(input, options);
      if (!first) return snapshot;
      first = false;
      return { ...snapshot, state: 'unknown' };
    };
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'succeeded', intent: { lastErrorCode: 'PROVIDER_STATE_UNKNOWN' } });
  });

  it('waits resolveAfterMs before resolving', async () => {
    const harness = await createHarness();
    harness.old.failAfterApplying('authorize');
    const started = harness.clock.now();
    const result = await harness.settle(harness.create({ unknownOutcome: { resolveAfterMs: 5_000, lookupDelayMs: 0 } }).authorize(authorization()));
    expect(result.status).toBe('succeeded');
    expect(harness.clock.now() - started).toBeGreaterThanOrEqual(5_000);
  });

  it('when retries keep losing the answer, findByMerchantReference finds the payment and it is adopted', async () => {
    const harness = await createHarness();
    for (let index = 0; index < 4; index += 1) harness.old.failAfterApplying('authorize');
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'succeeded', intent: { attempts: 4, outcome: { resolvedBy: 'lookup' } } });
    expect(result.payment).toMatchObject({ state: 'authorized', providerReference: 'pay_memory_000001' });
    expect(harness.old.payments()).toHaveLength(1);
    expect(harness.old.calls.filter((call) => call.operation === 'authorize')).toHaveLength(4);
    expect(harness.old.calls.at(-1)).toMatchObject({ operation: 'findByMerchantReference', input: { merchantReference: 'ref-pay_1' } });
    expect(harness.next.calls).toHaveLength(0);
  });

  it('a declined payment found by lookup fails the payment', async () => {
    const harness = await createHarness();
    for (let index = 0; index < 4; index += 1) harness.old.failAfterApplying('authorize');
    const result = await harness.create().authorize(authorization('pay_1', { paymentMethodToken: 'tok_declined' }));
    expect(result).toMatchObject({ status: 'failed', declineReason: 'generic_decline', intent: { outcome: { resolvedBy: 'lookup' } } });
  });

  it('"not found" is trusted only after lookupDelayMs: then the authorization never happened and the payment fails', async () => {
    const harness = await createHarness();
    for (let index = 0; index < 4; index += 1) harness.old.failNext('authorize', lost());
    const transactions = harness.create({ unknownOutcome: { resolveAfterMs: 0, lookupDelayMs: 2_000 } });
    const started = harness.clock.now();
    const result = await harness.settle(transactions.authorize(authorization()));
    expect(result).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_NOT_AT_PROVIDER', retryElsewhere: false, intent: { outcome: { resolvedBy: 'not-found' } } });
    expect(result.payment.state).toBe('failed');
    expect(harness.clock.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(harness.old.calls.filter((call) => call.operation === 'findByMerchantReference')).toHaveLength(2);
    expect(harness.old.payments()).toHaveLength(0);
    expect(harness.next.calls).toHaveLength(0);
  });

  it('a payment that appears during the consistency delay is found by the second lookup', async () => {
    const harness = await createHarness();
    for (let index = 0; index < 4; index += 1) harness.old.failNext('authorize', lost());
    const find = harness.old.findByMerchantReference.bind(harness.old);
    let lookups = 0;
    harness.old.findByMerchantReference = async (input, options) => {
      lookups += 1;
      if (lookups === 2) await harness.old.authorize({ ...authorization(), idempotencyKey: 'pay_1.authorize.1', captureMethod: 'manual' });
      return find(input, options);
    };
    const result = await harness.settle(harness.create({ unknownOutcome: { resolveAfterMs: 0, lookupDelayMs: 1_000 } }).authorize(authorization()));
    expect(result).toMatchObject({ status: 'succeeded', intent: { outcome: { resolvedBy: 'lookup' } } });
  });

  it('a lookup that answers in state unknown falls through to the technical cancel', async () => {
    const harness = await createHarness();
    for (let index = 0; index < 4; index += 1) harness.old.failAfterApplying('authorize');
    const find = harness.old.findByMerchantReference.bind(harness.old);
    harness.old.findByMerchantReference = async (input, options) => {
      const snapshot = await find(input, options);
      return snapshot === undefined ? undefined : { ...snapshot, state: 'unknown' };
    };
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_TECHNICALLY_CANCELLED' });
    expect(result.payment.state).toBe('voided');
  });

  it('without a lookup, a technical cancel releases what the provider may hold: the payment is voided', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    const transactions = harness.create();
    const result = await transactions.authorize(authorization());
    expect(result).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_TECHNICALLY_CANCELLED', intent: { outcome: { resolvedBy: 'technical-cancel', state: 'voided' } } });
    expect(result.payment).toMatchObject({ state: 'voided', providerReference: 'pay_memory_000001', failureReason: 'technically_cancelled' });
    expect(result.intent.technicalCancelIntentId).toBe('pay_1.technical_cancel.1');
    const intents = await transactions.intents('pay_1');
    expect(intents.map((intent) => `${intent.intentId}:${intent.status}`)).toEqual(['pay_1.authorize.1:failed', 'pay_1.technical_cancel.1:succeeded']);
    expect(intents[1]).toMatchObject({ resolvesIntentId: 'pay_1.authorize.1', idempotencyKey: 'pay_1.technical_cancel.1' });
    expect(harness.limited.payments().map((payment) => payment.state)).toEqual(['voided']);
    expect(harness.limited.calls.at(-1)).toMatchObject({ operation: 'cancelByMerchantReference', idempotencyKey: 'pay_1.technical_cancel.1' });
    expect(harness.next.calls).toHaveLength(0);
  });

  it('a technical cancel of an authorization that never arrived fails the payment (nothing was held)', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failNext('authorize', lost());
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_TECHNICALLY_CANCELLED' });
    expect(result.payment.state).toBe('failed');
    expect(result.payment.providerReference).toBeUndefined();
    expect(harness.limited.payments()).toHaveLength(0);
  });

  it('a technical cancel the provider refuses (the payment was captured) leaves it unresolved for an operator', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    const transactions = harness.create();
    const result = await transactions.authorize(authorization('pay_1', { captureMethod: 'automatic' }));
    expect(result).toMatchObject({ status: 'unresolved' });
    expect(result.payment.state).toBe('unknown');
    const [unresolved] = await transactions.unresolvedPayments();
    expect(unresolved?.payment.paymentId).toBe('pay_1');
    expect(unresolved?.intents.map((intent) => intent.intentId)).toEqual(['pay_1.authorize.1']);
    expect((await harness.intents.get('pay_1.technical_cancel.1'))?.value).toMatchObject({ status: 'failed', lastErrorCode: 'PROVIDER_INVALID_REQUEST' });
  });

  it('a technical cancel answered "failed" leaves the authorization unresolved', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    const cancel = harness.limited.cancelByMerchantReference!.bind(harness.limited);
    Object.assign(harness.limited, { cancelByMerchantReference: async (input: CancelByMerchantReferenceInput) => ({ ...(await cancel(input)), status: 'failed' }) });
    const result = await harness.create().authorize(authorization());
    expect(result.status).toBe('unresolved');
    expect(result.errorCode).toBe('PROVIDER_OPERATION_FAILED');
  });

  it('a technical cancel that reveals a payment still held is not trusted', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    const cancel = harness.limited.cancelByMerchantReference!.bind(harness.limited);
    Object.assign(harness.limited, {
      cancelByMerchantReference: async (input: CancelByMerchantReferenceInput) => {
        const result = await cancel(input);
        return { ...result, payment: { ...result.payment!, state: 'authorized' } };
      },
    });
    expect((await harness.create().authorize(authorization())).status).toBe('unresolved');
  });

  it('a technical cancel accepted for later (Adyen "received") of a manual-capture authorization releases it, whatever the provider knew before', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    const cancel = harness.limited.cancelByMerchantReference!.bind(harness.limited);
    Object.assign(harness.limited, {
      // The provider accepted the cancel; its view of the payment is from before it: still authorizing.
      cancelByMerchantReference: async (input: CancelByMerchantReferenceInput) => {
        const result = await cancel(input);
        return { ...result, status: 'pending', providerStatus: 'received', payment: { ...result.payment!, state: 'authorizing', providerReference: input.merchantReference } };
      },
    });
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_TECHNICALLY_CANCELLED' });
    expect(result.payment).toMatchObject({ state: 'failed', released: true, failureReason: 'technically_cancelled' });
    expect(result.payment.authorizedAmount.isZero()).toBe(true);
    expect(harness.next.calls).toHaveLength(0);
  });

  it('the same accepted-for-later technical cancel of an AUTOMATIC-capture payment is not trusted: the money may be captured', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    Object.assign(harness.limited, {
      // Accepted for later, with the provider's view from before: unknown. It may have captured already.
      cancelByMerchantReference: async (input: CancelByMerchantReferenceInput) => ({
        operation: 'cancel',
        operationReference: 'technical-cancel-1',
        status: 'pending',
        amount: usd(5_000),
        providerStatus: 'received',
        payment: {
          provider: 'stripe',
          providerReference: input.merchantReference,
          merchantReference: input.merchantReference,
          state: 'unknown',
          providerStatus: 'sent',
          amount: usd(5_000),
          authorizedAmount: usd(5_000),
          capturedAmount: usd(0),
          refundedAmount: usd(0),
        },
      }),
    });
    const result = await harness.create().authorize(authorization('pay_1', { captureMethod: 'automatic' }));
    expect(result).toMatchObject({ status: 'unresolved', errorCode: 'PROVIDER_OPERATION_FAILED' });
  });

  it('a technical cancel whose answer is lost too is retried with its own key, then unresolved', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    for (let index = 0; index < 4; index += 1) harness.limited.failNext('cancelByMerchantReference', lost());
    const transactions = harness.create();
    const result = await transactions.authorize(authorization());
    expect(result.status).toBe('unresolved');
    expect((await harness.intents.get('pay_1.technical_cancel.1'))?.value.status).toBe('unresolved');
    expect((await transactions.unresolvedPayments())[0]?.intents.map((intent) => intent.intentId).sort()).toEqual(['pay_1.authorize.1', 'pay_1.technical_cancel.1']);
  });

  it('a technical cancel whose key conflicts fails it loudly and leaves the authorization unresolved', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    harness.limited.failNext('cancelByMerchantReference', new IdempotencyConflictError('reused', { provider: 'stripe', idempotencyKey: 'x' }));
    await expect(harness.create().authorize(authorization())).rejects.toSatisfy(IdempotencyConflictError.isInstance);
    expect((await harness.intents.get('pay_1.authorize.1'))?.value.status).toBe('unresolved');
  });

  it('a technical cancel while the provider is down waits; recovery finishes it and the lost authorization with it', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    harness.limited.failNext('cancelByMerchantReference', new ProviderUnavailableError('down', { provider: 'stripe' }));
    const transactions = harness.create();
    const result = await transactions.authorize(authorization());
    expect(result).toMatchObject({ status: 'unknown' });
    expect((await harness.intents.get('pay_1.technical_cancel.1'))?.value.status).toBe('waiting');
    // A recovery pass over the unknown authorization alone does nothing while its technical cancel runs.
    const report = await transactions.recover({ owner: 'node-1' });
    expect(report).toMatchObject({ examined: 2, succeeded: 1, stillUnknown: 1 });
    expect(await transactions.payment('pay_1')).toMatchObject({ state: 'voided' });
    expect((await harness.intents.get('pay_1.authorize.1'))?.value.status).toBe('failed');
    expect(harness.next.calls).toHaveLength(0);
  });

  it('without lookup and technical cancel, an unknown outcome becomes unresolved: reported, counted, never sent elsewhere, never re-keyed', async () => {
    const harness = await harnessWith({ findByMerchantReference: false, technicalCancel: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    const transactions = harness.create();
    const result = await transactions.authorize(authorization());
    expect(result).toMatchObject({ status: 'unresolved', errorCode: 'PROVIDER_UNKNOWN_OUTCOME', retryElsewhere: false });
    expect(result.payment.state).toBe('unknown');
    expect((await transactions.unresolvedPayments()).map((entry) => entry.payment.paymentId)).toEqual(['pay_1']);
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.transactions.unresolved', value: 1, attributes: { provider: 'stripe', operation: 'authorize' } });
    expect(harness.lines.some((line) => line['level'] === 50 && String(line['msg']).includes('UNRESOLVED'))).toBe(true);
    // Recovery does not touch it (unresolved is with the operators) and nothing went to the other provider.
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 0 });
    expect(new Set(harness.limited.calls.map((call) => call.idempotencyKey))).toEqual(new Set(['pay_1.authorize.1']));
    expect(harness.next.calls).toHaveLength(0);
    expect(await transactions.inFlight({ provider: 'stripe' })).toHaveLength(1);
  });

  it('while the provider does not answer at all, the intent stays unknown and a later pass resolves it', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    let calls = 0;
    harness.old.authorize = async (input, options) => {
      calls += 1;
      if (calls === 1) {
        await authorize(input, options);
        throw lost();
      }
      if (calls <= 4) throw new RateLimitedError('slow down', { provider: 'stripe', retryAfterMs: 10 });
      return authorize(input, options);
    };
    harness.old.failNext('findByMerchantReference', new ProviderUnavailableError('down', { provider: 'stripe' }));
    const transactions = harness.create({ retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 30_000 } });
    const result = await harness.settle(transactions.authorize(authorization()));
    expect(result).toMatchObject({ status: 'unknown', errorCode: 'PROVIDER_UNAVAILABLE' });
    expect(result.intent.nextAttemptAt! - result.intent.updatedAt).toBe(30_000);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ deferred: 1 });
    await harness.clock.advance(30_000);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 1, succeeded: 1 });
    expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
    expect(harness.old.payments()).toHaveLength(1);
  });

  it('a provider still processing the payment is never technically cancelled: it stays unknown until the provider settles it', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    const find = harness.old.findByMerchantReference.bind(harness.old);
    let processing = true;
    harness.old.authorize = async (input, options) => {
      const snapshot = await authorize(input, options);
      return processing ? { ...snapshot, state: 'authorizing' } : snapshot;
    };
    harness.old.findByMerchantReference = async (input, options) => {
      const snapshot = await find(input, options);
      return processing && snapshot !== undefined ? { ...snapshot, state: 'authorizing' } : snapshot;
    };
    const transactions = harness.create();
    const result = await transactions.authorize(authorization());
    expect(result).toMatchObject({ status: 'unknown', errorCode: 'PROVIDER_STILL_PROCESSING' });
    expect(harness.old.calls.some((call) => call.operation === 'cancelByMerchantReference')).toBe(false);
    processing = false;
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ succeeded: 1 });
    expect((await transactions.payment('pay_1'))?.state).toBe('authorized');
  });

  it('a declined technical cancel leaves the authorization unresolved', async () => {
    const harness = await harnessWith({ findByMerchantReference: false });
    for (let index = 0; index < 4; index += 1) harness.limited.failAfterApplying('authorize');
    harness.limited.failNext('cancelByMerchantReference', new PaymentDeclinedError('refused', { provider: 'stripe', declineReason: 'not_allowed' }));
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'unresolved', errorCode: 'PROVIDER_DECLINED' });
    expect((await harness.intents.get('pay_1.technical_cancel.1'))?.value.status).toBe('failed');
  });

  it('an unknown capture is retried with the same key and captured once', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization());
    harness.old.failAfterApplying('capture');
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(2_000), final: false });
    expect(result).toMatchObject({ status: 'succeeded', intent: { outcome: { resolvedBy: 'same-key-retry' } } });
    expect(result.payment.capturedAmount.equals(usd(2_000))).toBe(true);
    expect(harness.old.payments()[0]?.capturedAmount.equals(usd(2_000))).toBe(true);
  });

  it('an unknown capture the provider keeps not answering stays unknown, its claim counting; a later pass sends the same key and captures once', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization());
    for (let index = 0; index < 4; index += 1) harness.old.failNext('capture', lost());
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(2_000), final: false });
    // A follow-up has no lookup: its own key is the way out, as long as the provider keeps it.
    expect(result).toMatchObject({ status: 'unknown', errorCode: 'PROVIDER_UNKNOWN_OUTCOME', intent: { mayHaveExecuted: true } });
    expect(result.intent.nextAttemptAt).toBeDefined();
    expect(result.payment.state).toBe('authorized');
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(3_001) })).rejects.toMatchObject({ problem: 'exceeds-available' });
    expect(harness.old.calls.filter((call) => call.operation === 'findByMerchantReference')).toHaveLength(0);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 1, succeeded: 1 });
    const captures = harness.old.calls.filter((call) => call.operation === 'capture');
    expect(new Set(captures.map((call) => call.idempotencyKey))).toEqual(new Set(['pay_1.capture.1']));
    expect((await transactions.payment('pay_1'))?.capturedAmount.equals(usd(2_000))).toBe(true);
    expect(harness.old.payments()[0]?.capturedAmount.equals(usd(2_000))).toBe(true);
  });

  it('an unknown refund whose provider stays silent past the key retention becomes unresolved, never re-sent under a forgotten key', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization());
    await transactions.capture({ paymentId: 'pay_1' });
    for (let index = 0; index < 4; index += 1) harness.old.failNext('refund', lost());
    expect((await transactions.refund({ paymentId: 'pay_1', amount: usd(1_000) })).status).toBe('unknown');
    const refunds = harness.old.calls.filter((call) => call.operation === 'refund').length;
    await harness.clock.advance(7 * 60 * 60 * 1000);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ unresolved: 1 });
    expect(harness.old.calls.filter((call) => call.operation === 'refund')).toHaveLength(refunds);
    expect((await transactions.unresolvedPayments())[0]?.intents[0]).toMatchObject({ intentId: 'pay_1.refund.1', lastErrorCode: 'TRANSACTION_IDEMPOTENCY_KEY_EXPIRED' });
  });

  it('a resolution attempt the provider refuses moves on to the next step', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', lost());
    harness.old.failNext('authorize', new InvalidRequestError('odd', { provider: 'stripe' }));
    harness.old.failNext('authorize', lost());
    harness.old.failNext('authorize', lost());
    const result = await harness.create().authorize(authorization());
    expect(result).toMatchObject({ status: 'failed', errorCode: 'TRANSACTION_NOT_AT_PROVIDER' });
  });

  it('an idempotency conflict while resolving fails the intent and throws', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', lost());
    harness.old.failNext('authorize', new IdempotencyConflictError('reused', { provider: 'stripe', idempotencyKey: 'pay_1.authorize.1' }));
    await expect(harness.create().authorize(authorization())).rejects.toSatisfy(IdempotencyConflictError.isInstance);
    expect((await harness.payments.get('pay_1'))?.value.state).toBe('failed');
  });
});
