import { InMemoryPaymentGateway, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { InvalidRequestError } from '../errors/provider-errors.js';
import { Money } from '../money/money.js';
import { createTransactionStateManager } from '../transactions/transaction-state-manager.js';
import type { ProviderCapabilitiesEntry } from './capability-constraints.js';
import { SplitCartError } from './routing-errors.js';
import { createTransactionSplitExecutor, storedCardLegPaymentMethods } from './split-cart-executor.js';
import {
  executeSplitPayment,
  planSplitCart,
  type SplitCartLine,
  type SplitCartPlanInput,
  type SplitLegOperation,
  type SplitLegOperationResult,
  type SplitPaymentExecutor,
  type SplitPaymentLeg,
  type SplitPaymentRecord,
  splitPaymentCollection,
} from './split-cart.js';
import { createRoutingHarness, newProvider, oldProvider } from './__fixtures__/routing-harness.js';

const eur = (minorUnits: number) => Money.of(minorUnits, 'EUR');

const providers: ProviderCapabilitiesEntry[] = [
  new InMemoryPaymentGateway({ provider: newProvider, capabilities: { currencies: ['EUR', 'USD'], brands: ['visa', 'mastercard'] } }),
  new InMemoryPaymentGateway({ provider: oldProvider }),
  new InMemoryPaymentGateway({ provider: 'paypal', capabilities: { currencies: ['EUR'] } }),
];

/** Plans with sensible defaults. */
function plan(lines: readonly SplitCartLine[], extra: Partial<SplitCartPlanInput> = {}) {
  return planSplitCart({ cartId: 'cart_1', lines, defaultProvider: newProvider, providers, ...extra });
}

/** Expects a SplitCartError with a message containing `text`. */
function expectSplitCartError(run: () => unknown, text: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(SplitCartError.isInstance(caught)).toBe(true);
  expect((caught as SplitCartError).message).toContain(text);
}

describe('planSplitCart', () => {
  it('puts unrestricted lines on the default provider and groups lines by provider, currency and merchant of record', () => {
    const result = plan([
      { lineId: 'shoes', amount: eur(5_000) },
      { lineId: 'socks', amount: eur(500) },
      { lineId: 'gift-card', amount: eur(2_500), provider: oldProvider },
      { lineId: 'book', amount: eur(1_200), merchantOfRecord: 'bookshop' },
      { lineId: 'dollar-item', amount: Money.of(900, 'USD') },
      { lineId: 'seller-item', amount: eur(700), merchantOfRecord: 'seller-9' },
    ], { merchantOfRecordProviders: { 'seller-9': 'paypal' } });
    expect(result.legs.map((leg) => [leg.legId, leg.provider, leg.amount.toString(), leg.lineIds, leg.merchantOfRecord, leg.reason])).toEqual([
      ['cart_1-1', newProvider, eur(5_500).toString(), ['shoes', 'socks'], undefined, 'default provider'],
      ['cart_1-2', oldProvider, eur(2_500).toString(), ['gift-card'], undefined, 'line restricted to stripe'],
      ['cart_1-3', newProvider, eur(1_200).toString(), ['book'], 'bookshop', 'default provider'],
      ['cart_1-4', newProvider, Money.of(900, 'USD').toString(), ['dollar-item'], undefined, 'default provider'],
      ['cart_1-5', 'paypal', eur(700).toString(), ['seller-item'], 'seller-9', 'merchant of record seller-9 contracts with paypal'],
    ]);
  });

  it("moves a line the default provider cannot take to the first provider that can, saying why", () => {
    const result = plan([{ lineId: 'yen', amount: Money.of(1_000, 'JPY') }]);
    expect(result.legs[0]).toMatchObject({ provider: oldProvider, reason: 'adyen does not accept currency JPY: moved to stripe' });
    const amex = plan([{ lineId: 'a', amount: eur(100) }], { cardBrand: 'amex' });
    expect(amex.legs[0]?.provider).toBe(oldProvider);
    const unknownDefault = plan([{ lineId: 'a', amount: eur(100) }], { defaultProvider: 'klarna' });
    expect(unknownDefault.legs[0]).toMatchObject({ provider: newProvider, reason: 'klarna is not among the providers: moved to adyen' });
  });

  it.each<[string, () => unknown, string]>([
    ['an invalid cart id', () => plan([{ lineId: 'a', amount: eur(1) }], { cartId: 'cart 1' }), 'the cart id must be 1-30 characters'],
    ['a cart id that is not text', () => plan([{ lineId: 'a', amount: eur(1) }], { cartId: {} as never }), 'the cart id must be'],
    ['an empty cart', () => plan([]), 'the cart has no line'],
    ['a duplicate line', () => plan([{ lineId: 'a', amount: eur(1) }, { lineId: 'a', amount: eur(2) }]), 'the line id appears twice'],
    ['a zero amount', () => plan([{ lineId: 'a', amount: eur(0) }]), 'the amount must be a positive Money'],
    ['an amount that is not Money', () => plan([{ lineId: 'a', amount: 5 as never }]), 'the amount must be a positive Money'],
    ['a restriction to an unknown provider', () => plan([{ lineId: 'a', amount: eur(1), provider: 'klarna' }]), 'line restricted to klarna, which is not among the providers'],
    ['a restriction the provider cannot honour', () => plan([{ lineId: 'a', amount: Money.of(1, 'USD'), provider: 'paypal' }]), 'line restricted to paypal, but paypal does not accept currency USD'],
    [
      'conflicting restrictions',
      () => plan([{ lineId: 'a', amount: eur(1), provider: oldProvider, merchantOfRecord: 'm' }], { merchantOfRecordProviders: { m: 'paypal' } }),
      'it is restricted to stripe but its merchant of record contracts with paypal',
    ],
    ['a line nobody takes', () => plan([{ lineId: 'a', amount: Money.of(1, 'JPY') }], { providers: providers.filter((entry) => entry.provider !== oldProvider) }), 'no provider can take it (adyen does not accept currency JPY'],
    ['more than 99 legs', () => plan(Array.from({ length: 100 }, (_, index) => ({ lineId: `l${index}`, amount: eur(1), merchantOfRecord: `m${index}` }))), 'at most 99 are supported'],
  ])('refuses %s with SplitCartError', (_label, run, text) => {
    expectSplitCartError(run, text);
  });

  it('keeps a line restricted to the same provider its merchant of record uses', () => {
    expect(plan([{ lineId: 'a', amount: eur(1), provider: 'paypal', merchantOfRecord: 'm' }], { merchantOfRecordProviders: { m: 'paypal' } }).legs[0]?.provider).toBe('paypal');
  });
});

/** A scripted executor: answers per leg and operation, records every call. */
class ScriptedExecutor implements SplitPaymentExecutor {
  readonly calls: string[] = [];
  readonly #script: Record<string, SplitLegOperationResult | Error>;

  constructor(script: Record<string, SplitLegOperationResult | Error> = {}) {
    this.#script = script;
  }

  #run(operation: SplitLegOperation, leg: SplitPaymentLeg): Promise<SplitLegOperationResult> {
    this.calls.push(`${operation}:${leg.legId}`);
    const scripted = this.#script[`${operation}:${leg.legId}`];
    if (scripted instanceof Error) return Promise.reject(scripted);
    return Promise.resolve(scripted ?? { status: 'succeeded' });
  }

  authorize(leg: SplitPaymentLeg) {
    return this.#run('authorize', leg);
  }
  capture(leg: SplitPaymentLeg) {
    return this.#run('capture', leg);
  }
  cancel(leg: SplitPaymentLeg) {
    return this.#run('cancel', leg);
  }
  refund(leg: SplitPaymentLeg) {
    return this.#run('refund', leg);
  }
}

const threeLegs = () =>
  plan([
    { lineId: 'a', amount: eur(1_000) },
    { lineId: 'b', amount: eur(2_000), provider: oldProvider },
    { lineId: 'c', amount: eur(3_000), provider: 'paypal' },
  ]);

async function journaled(harness: Awaited<ReturnType<typeof createRoutingHarness>>, cartId = 'cart_1'): Promise<SplitPaymentRecord> {
  return JSON.parse((await harness.memory.get(splitPaymentCollection, cartId))?.value ?? '{}') as SplitPaymentRecord;
}

describe('executeSplitPayment (all or nothing)', () => {
  it('authorizes every leg, then captures every leg', async () => {
    const harness = await createRoutingHarness();
    const executor = new ScriptedExecutor();
    // Default clock and logger (nothing is logged on success).
    const result = await executeSplitPayment(threeLegs(), executor, { journal: harness.journal });
    expect(result).toMatchObject({ cartId: 'cart_1', status: 'captured', requiresAttention: false });
    expect(executor.calls).toEqual(['authorize:cart_1-1', 'authorize:cart_1-2', 'authorize:cart_1-3', 'capture:cart_1-1', 'capture:cart_1-2', 'capture:cart_1-3']);
    const record = await journaled(harness);
    expect(record.status).toBe('captured');
    expect(record.steps.map((step) => `${step.operation}:${step.legId}:${step.status}`)).toEqual(executor.calls.map((call) => `${call}:succeeded`));
    expect(record.legs[0]).toEqual({ legId: 'cart_1-1', provider: newProvider, amount: eur(1_000).toJSON(), lineIds: ['a'] });
    expect(result.legs[2]).toMatchObject({ authorize: { status: 'succeeded' }, capture: { status: 'succeeded' }, compensation: undefined });
  });

  it('voids the authorized legs when a leg is declined, and captures nothing', async () => {
    const harness = await createRoutingHarness();
    const executor = new ScriptedExecutor({ 'authorize:cart_1-2': { status: 'failed', detail: 'insufficient_funds' } });
    const result = await executeSplitPayment(threeLegs(), executor, { journal: harness.journal, logger: harness.logger });
    expect(result).toMatchObject({ status: 'authorization_failed', requiresAttention: false });
    expect(executor.calls).toEqual(['authorize:cart_1-1', 'authorize:cart_1-2', 'cancel:cart_1-1']);
    expect(result.legs[0]?.compensation).toEqual({ operation: 'cancel', result: { status: 'succeeded' } });
    expect(result.legs[1]?.authorize).toEqual({ status: 'failed', detail: 'insufficient_funds' });
    expect(result.legs[2]?.authorize).toBeUndefined();
    const record = await journaled(harness);
    expect(record.status).toBe('authorization_failed');
    expect(record.steps.at(-1)).toMatchObject({ legId: 'cart_1-1', operation: 'cancel', compensation: true, status: 'succeeded' });
  });

  it('also voids a leg whose authorization outcome is unknown (the executor threw)', async () => {
    const harness = await createRoutingHarness();
    const executor = new ScriptedExecutor({ 'authorize:cart_1-2': new Error('timeout') });
    const result = await executeSplitPayment(threeLegs(), executor, { journal: harness.journal, logger: harness.logger });
    expect(executor.calls).toEqual(['authorize:cart_1-1', 'authorize:cart_1-2', 'cancel:cart_1-1', 'cancel:cart_1-2']);
    expect(result.legs[1]?.authorize).toEqual({ status: 'unknown', detail: 'timeout' });
    const scripted = new ScriptedExecutor();
    const rejectsWithText: SplitPaymentExecutor = {
      authorize: () => Promise.reject('text'),
      capture: (leg) => scripted.capture(leg),
      cancel: (leg) => scripted.cancel(leg),
      refund: (leg) => scripted.refund(leg),
    };
    await executeSplitPayment(plan([{ lineId: 'a', amount: eur(1) }], { cartId: 'cart_2' }), rejectsWithText, { journal: harness.journal, logger: harness.logger });
    expect((await journaled(harness, 'cart_2')).steps[0]?.detail).toBe('text');
  });

  it('refunds the captured legs and voids the rest when a capture fails', async () => {
    const harness = await createRoutingHarness();
    const executor = new ScriptedExecutor({ 'capture:cart_1-2': { status: 'failed', detail: 'authorization expired' } });
    const result = await executeSplitPayment(threeLegs(), executor, { journal: harness.journal, logger: harness.logger });
    expect(result).toMatchObject({ status: 'capture_failed', requiresAttention: false });
    expect(executor.calls.slice(3)).toEqual(['capture:cart_1-1', 'capture:cart_1-2', 'refund:cart_1-1', 'cancel:cart_1-2', 'cancel:cart_1-3']);
    expect(result.legs.map((leg) => leg.compensation?.operation)).toEqual(['refund', 'cancel', 'cancel']);
    expect((await journaled(harness)).steps.filter((step) => step.compensation)).toHaveLength(3);
  });

  it('flags a compensation that did not succeed for operators', async () => {
    const harness = await createRoutingHarness();
    const executor = new ScriptedExecutor({ 'capture:cart_1-3': { status: 'failed' }, 'refund:cart_1-1': new Error('provider down') });
    const result = await executeSplitPayment(threeLegs(), executor, { journal: harness.journal, logger: harness.logger });
    expect(result).toMatchObject({ status: 'capture_failed', requiresAttention: true });
    expect((await journaled(harness)).status).toBe('requires_attention');
    expect(harness.lines.some((line) => line['msg'] === 'split payment compensation incomplete: money may be held or taken')).toBe(true);
  });

  it('refuses a plan without legs and a cart executed before (SplitCartError), and passes journal errors on', async () => {
    const harness = await createRoutingHarness();
    await expect(executeSplitPayment({ cartId: 'empty', legs: [] }, new ScriptedExecutor(), { journal: harness.journal, logger: harness.logger })).rejects.toSatisfy((error: unknown) => SplitCartError.isInstance(error));
    await executeSplitPayment(threeLegs(), new ScriptedExecutor(), { journal: harness.journal, logger: harness.logger });
    await expect(executeSplitPayment(threeLegs(), new ScriptedExecutor(), { journal: harness.journal, logger: harness.logger })).rejects.toThrow('it was executed before');
    harness.journal.writeError = new Error('disk full');
    await expect(executeSplitPayment(plan([{ lineId: 'a', amount: eur(1) }], { cartId: 'cart_3' }), new ScriptedExecutor(), { journal: harness.journal, logger: harness.logger })).rejects.toThrow('disk full');
  });
});

describe('executeSplitPayment on the Transaction State Manager', () => {
  async function setUp() {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter();
    const adyen = new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock });
    const stripe = new InMemoryPaymentGateway({ provider: oldProvider, clock: harness.clock });
    const transactions = createTransactionStateManager({
      journal: harness.journal,
      gateways: [router.instrumentGateway(adyen), router.instrumentGateway(stripe)],
      selectProvider: router,
      clock: harness.clock,
      logger: harness.logger,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const decision = await router.select({ paymentId: 'checkout_1', merchantReference: 'checkout_1', amount: eur(3_000), currency: 'EUR', customerId: 'cus_1' });
    const cart = planSplitCart({
      cartId: 'cart_9',
      lines: [
        { lineId: 'shoes', amount: eur(2_000) },
        { lineId: 'gift-card', amount: eur(1_000), provider: oldProvider },
      ],
      defaultProvider: decision.provider,
      providers: [adyen, stripe],
    });
    return { harness, router, adyen, stripe, transactions, cart };
  }

  it('pins each leg to its provider, authorizes and captures both', async () => {
    const { harness, router, adyen, stripe, transactions, cart } = await setUp();
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethodToken: () => 'tok_visa', customerId: 'cus_1' });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, clock: harness.clock, logger: harness.logger });
    expect(result.status).toBe('captured');
    expect((await transactions.payment('cart_9-1'))).toMatchObject({ provider: newProvider, state: 'captured', routingReason: 'split cart leg: default provider' });
    expect((await transactions.payment('cart_9-2'))).toMatchObject({ provider: oldProvider, state: 'captured', routingReason: 'split cart leg: line restricted to stripe' });
    expect(adyen.payments().map((payment) => payment.amount.toString())).toEqual([eur(2_000).toString()]);
    expect(stripe.payments().map((payment) => payment.state)).toEqual(['captured']);
  });

  it('voids the authorized leg on the TSM when the other is declined', async () => {
    const { harness, router, adyen, transactions, cart } = await setUp();
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethodToken: (leg) => (leg.provider === oldProvider ? 'tok_declined' : 'tok_visa'), merchantReference: (leg) => `order-${leg.legId}` });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, logger: harness.logger });
    expect(result).toMatchObject({ status: 'authorization_failed', requiresAttention: false });
    expect(result.legs[1]?.authorize?.status).toBe('failed');
    expect(adyen.payments()[0]?.state).toBe('voided');
    expect(adyen.payments()[0]?.merchantReference).toBe('order-cart_9-1');
  });

  it('refunds the captured leg on the TSM when the other capture fails', async () => {
    const { harness, router, adyen, stripe, transactions, cart } = await setUp();
    stripe.failNext('capture', new InvalidRequestError('authorization expired', { provider: oldProvider }));
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethodToken: () => 'tok_visa' });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, logger: harness.logger });
    expect(result).toMatchObject({ status: 'capture_failed', requiresAttention: false });
    expect(adyen.payments()[0]?.state).toBe('refunded');
    expect(stripe.payments()[0]?.state).toBe('voided');
  });

  it('refuses to authorize a leg whose payment id is already pinned elsewhere', async () => {
    const { harness, router, transactions, cart } = await setUp();
    await router.pin({ paymentId: 'cart_9-2', provider: newProvider, reason: 'earlier' });
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethodToken: () => 'tok_visa' });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, logger: harness.logger });
    expect(result.legs[1]?.authorize).toEqual({ status: 'failed', detail: 'payment cart_9-2 is already pinned to adyen' });
    expect(result.status).toBe('authorization_failed');
  });

  it('reports a failed TSM outcome with its decline reason, else its error code, else "failed"', async () => {
    const harness = await createRoutingHarness();
    const router = await harness.createRouter();
    const answers = [{ declineReason: 'do_not_honor' }, { errorCode: 'PROVIDER_INVALID_REQUEST' }, {}];
    const transactions = {
      authorize: async () => ({ status: 'failed', payment: { state: 'failed' }, ...answers.shift() }),
    } as never;
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethodToken: () => 'tok_visa' });
    const leg = { legId: 'c-1', provider: oldProvider, amount: eur(1), lineIds: ['a'], merchantOfRecord: undefined, reason: 'default provider' };
    expect(await executor.authorize(leg)).toEqual({ status: 'failed', detail: 'do_not_honor' });
    expect(await executor.authorize({ ...leg, legId: 'c-2' })).toEqual({ status: 'failed', detail: 'PROVIDER_INVALID_REQUEST' });
    expect(await executor.authorize({ ...leg, legId: 'c-3' })).toEqual({ status: 'failed', detail: 'failed' });
  });

  it('reports a TSM outcome that is neither done nor failed as unknown', async () => {
    const { harness, router, adyen, transactions, cart } = await setUp();
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethodToken: (leg) => (leg.provider === newProvider ? 'tok_3ds' : 'tok_visa') });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, clock: new ManualClock(), logger: harness.logger });
    expect(result.legs[0]?.authorize).toEqual({ status: 'unknown', detail: 'intent succeeded, payment requires_action' });
    expect(result.status).toBe('authorization_failed');
    expect(adyen.payments()[0]?.state).toBe('failed');
  });
});

describe('a split cart paid with a stored card (one payment method per provider, from the token map)', () => {
  /** A router and TSM on two in-memory gateways, and the customer's card stored on both (the new one as migrated). */
  async function setUpStoredCard() {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter();
    const adyen = new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock });
    const stripe = new InMemoryPaymentGateway({ provider: oldProvider, clock: harness.clock });
    const store = async (gateway: InMemoryPaymentGateway, customerReference: string) => {
      const saved = await gateway.authorize({ idempotencyKey: `save-${customerReference}`, merchantReference: `save-${customerReference}`, amount: eur(100), paymentMethodToken: 'tok_visa', customerReference, savePaymentMethod: true });
      const method = saved.storedPaymentMethod as { token: string; customerReference: string };
      return { provider: gateway.provider, token: method.token, customerReference: method.customerReference };
    };
    const source = await store(stripe, 'cus_stripe_1');
    const target = await store(adyen, 'shopper_adyen_1');
    const transactions = createTransactionStateManager({
      journal: harness.journal,
      gateways: [adyen, stripe],
      selectProvider: router,
      clock: harness.clock,
      logger: harness.logger,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    });
    const authorizations: Array<{ provider: string; paymentMethodToken: string; customerReference: string | undefined }> = [];
    for (const gateway of [adyen, stripe]) {
      const original = gateway.authorize.bind(gateway);
      vi.spyOn(gateway, 'authorize').mockImplementation(async (input, callOptions) => {
        authorizations.push({ provider: gateway.provider, paymentMethodToken: input.paymentMethodToken, customerReference: input.customerReference });
        return original(input, callOptions);
      });
    }
    // The old provider's leg is authorized first, so a failing new-provider leg has something to void.
    const cart = planSplitCart({
      cartId: 'cart_s',
      lines: [
        { lineId: 'gift-card', amount: eur(1_000), provider: oldProvider },
        { lineId: 'shoes', amount: eur(2_000) },
      ],
      defaultProvider: newProvider,
      providers: [adyen, stripe],
    });
    return { harness, router, adyen, stripe, transactions, cart, source, target, authorizations };
  }

  it('pays the old-provider leg with the old token and customer, the new-provider leg with the migrated ones', async () => {
    const { harness, router, adyen, stripe, transactions, cart, source, target, authorizations } = await setUpStoredCard();
    const mapping = { source, target, status: 'mapped' as const };
    const executor = createTransactionSplitExecutor({ transactions, router, customerId: 'cus_1', paymentMethod: storedCardLegPaymentMethods(mapping) });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, clock: harness.clock, logger: harness.logger });
    expect(result).toMatchObject({ status: 'captured', requiresAttention: false });
    expect(authorizations).toEqual([
      { provider: oldProvider, paymentMethodToken: source.token, customerReference: 'cus_stripe_1' },
      { provider: newProvider, paymentMethodToken: target.token, customerReference: 'shopper_adyen_1' },
    ]);
    expect(await transactions.payment('cart_s-1')).toMatchObject({ provider: oldProvider, customerReference: 'cus_stripe_1', state: 'captured' });
    expect(await transactions.payment('cart_s-2')).toMatchObject({ provider: newProvider, customerReference: 'shopper_adyen_1', state: 'captured' });
    expect(stripe.payments().filter((payment) => payment.merchantReference === 'cart_s-1').map((payment) => payment.state)).toEqual(['captured']);
    expect(adyen.payments().filter((payment) => payment.merchantReference === 'cart_s-2').map((payment) => payment.state)).toEqual(['captured']);
  });

  it('stays all or nothing: a card that was not moved cannot pay the new-provider leg, so the old leg is voided', async () => {
    const { harness, router, stripe, transactions, cart, source, target, authorizations } = await setUpStoredCard();
    const executor = createTransactionSplitExecutor({ transactions, router, paymentMethod: storedCardLegPaymentMethods({ source, target, status: 'recollect' }) });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, clock: harness.clock, logger: harness.logger });
    expect(result).toMatchObject({ status: 'authorization_failed', requiresAttention: false });
    expect(result.legs[1]?.authorize).toEqual({ status: 'failed', detail: 'the customer has no payment method on adyen for leg cart_s-2' });
    expect(result.legs[0]?.compensation).toEqual({ operation: 'cancel', result: { status: 'succeeded' } });
    expect(authorizations.map((call) => call.provider)).toEqual([oldProvider]);
    expect(stripe.payments().find((payment) => payment.merchantReference === 'cart_s-1')?.state).toBe('voided');
    expect(await router.assignment('cart_s-2')).toBeUndefined();
  });

  it('voids the old leg when the new provider refuses the leg (a token paid with another customer reference)', async () => {
    const { harness, router, stripe, transactions, cart, source, target } = await setUpStoredCard();
    // The bug this guards against: one customer reference for every leg.
    const executor = createTransactionSplitExecutor({
      transactions,
      router,
      paymentMethod: (leg) => ({ paymentMethodToken: leg.provider === oldProvider ? source.token : target.token, customerReference: source.customerReference }),
    });
    const result = await executeSplitPayment(cart, executor, { journal: harness.journal, clock: harness.clock, logger: harness.logger });
    expect(result.status).toBe('authorization_failed');
    expect(result.legs[1]?.authorize?.status).toBe('failed');
    expect(stripe.payments().find((payment) => payment.merchantReference === 'cart_s-1')?.state).toBe('voided');
  });

  it('gives the stored card nothing on a provider it does not live on, and no target unless it was moved', () => {
    const source = { provider: oldProvider, token: 'pm_1', customerReference: 'cus_1' };
    const target = { provider: newProvider, token: 'stored_1', customerReference: 'shopper_1' };
    const mapped = storedCardLegPaymentMethods({ source, target, status: 'mapped' });
    expect(mapped({ provider: 'paypal' })).toBeUndefined();
    expect(mapped({ provider: newProvider })).toEqual({ paymentMethodToken: 'stored_1', customerReference: 'shopper_1' });
    expect(storedCardLegPaymentMethods({ source, target: undefined, status: 'mapped' })({ provider: newProvider })).toBeUndefined();
  });

  it('refuses an executor with both or neither of paymentMethod and paymentMethodToken (ConfigurationError)', async () => {
    const { router, transactions } = await setUpStoredCard();
    expect(() => createTransactionSplitExecutor({ transactions, router })).toThrow(ConfigurationError);
    expect(() => createTransactionSplitExecutor({ transactions, router, paymentMethodToken: () => 'tok_visa', paymentMethod: () => undefined })).toThrow(
      "Option 'paymentMethod' and paymentMethodToken were both given or both missing",
    );
  });
});
