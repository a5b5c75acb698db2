import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidRequestError } from '../errors/provider-errors.js';
import { Money } from '../money/money.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { PaymentSnapshot } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { rolloutBucket } from './rollout-bucket.js';
import type { RoutingRequest } from './routing-types.js';
import type { TrafficRouter } from './traffic-router.js';
import { createRoutingHarness, newProvider, oldProvider, recordingMeter, type RoutingHarness, settle } from './__fixtures__/routing-harness.js';

/** A checkout's routing request. */
function request(id: string | number, extra: Partial<RoutingRequest> = {}): RoutingRequest {
  return { paymentId: `pay_${id}`, merchantReference: `order_${id}`, amount: Money.of(1_000, 'EUR'), currency: 'EUR', customerId: `cus_${id}`, ...extra };
}

/** The first customer number whose ramp bucket is below (or not below) `threshold`. */
function customerWhere(inRollout: boolean, threshold = 50_000, from = 0): number {
  for (let id = from; ; id += 1) if (rolloutBucket('default:provider', `cus_${id}`) < threshold === inRollout) return id;
}

/** Authorizes `id` through an instrumented gateway with `token`, swallowing the error a decline throws. */
async function authorize(gateway: PaymentGatewayV1, id: string | number, token: string): Promise<PaymentSnapshot | undefined> {
  try {
    return await gateway.authorize({ idempotencyKey: `key_${id}`, merchantReference: `order_${id}`, amount: Money.of(1_000, 'EUR'), paymentMethodToken: token });
  } catch {
    return undefined;
  }
}

describe('attributing outcomes (instrumented gateway)', () => {
  let harness: RoutingHarness;
  let router: TrafficRouter;
  let records: ReturnType<typeof recordingMeter>['records'];
  let adyen: InMemoryPaymentGateway;
  let instrumented: PaymentGatewayV1;

  beforeEach(async () => {
    harness = await createRoutingHarness();
    await harness.rampTo(100);
    const recording = recordingMeter();
    records = recording.records;
    router = await harness.createRouter({ meter: recording.meter, circuitBreaker: { kind: 'consecutive', failures: 3, halfOpenAfterMs: 30_000 } });
    adyen = new InMemoryPaymentGateway({ provider: newProvider, clock: harness.clock });
    instrumented = router.instrumentGateway(adyen);
  });

  it('counts authorizations, declines by reason, customer steps and errors per provider and cohort, with latency', async () => {
    for (const id of [1, 2, 3, 4, 5]) await router.select(request(id));
    await authorize(instrumented, 1, 'tok_visa');
    await authorize(instrumented, 2, 'tok_insufficient_funds');
    await authorize(instrumented, 3, 'tok_3ds');
    adyen.setAvailable(false);
    await authorize(instrumented, 4, 'tok_visa');
    adyen.setAvailable(true);
    adyen.failNext('authorize', new InvalidRequestError('bad amount', { provider: newProvider, parameter: 'amount' }));
    await authorize(instrumented, 5, 'tok_visa');
    const arm = router.statistics.experimentArms(4).get(newProvider);
    expect(arm).toMatchObject({ assignments: 5, attempts: 4, authorized: 1, declined: 1, errors: 2, requiresAction: 1, latencyCount: 5, declineReasons: { insufficient_funds: 1 } });
    const named = (name: string) => records.filter((record) => record.name === name);
    expect(named('paymigrate.routing.attempts')).toHaveLength(4);
    expect(named('paymigrate.routing.authorizations')[0]?.attributes).toEqual({ provider: newProvider, cohort: 'default' });
    expect(named('paymigrate.routing.declines')[0]?.attributes).toEqual({ provider: newProvider, cohort: 'default', reason: 'insufficient_funds' });
    expect(named('paymigrate.routing.errors').map((record) => record.attributes?.['code'])).toEqual(['PROVIDER_UNAVAILABLE', 'PROVIDER_INVALID_REQUEST']);
    expect(named('paymigrate.routing.requires_action')).toHaveLength(1);
    expect(named('paymigrate.routing.authorization.duration').map((record) => record.attributes?.['outcome'])).toEqual(['authorized', 'declined', 'requires_action', 'error', 'error']);
    // Only the unavailable provider counted for the circuit; an invalid request is ours.
    expect(router.circuitBreakers?.state(newProvider)).toBe('closed');
  });

  it('measures stored-method charges and passes every other call through untouched', async () => {
    const stored = adyen.addStoredPaymentMethod({ token: 'pm_stored', customerReference: 'shopper_1', card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2034 } });
    await router.select(request('mit'));
    const charged = await instrumented.chargeStoredPaymentMethod({
      idempotencyKey: 'key_mit',
      merchantReference: 'order_mit',
      amount: Money.of(500, 'EUR'),
      customerReference: 'shopper_1',
      paymentMethodToken: stored.token,
      reason: 'subscription',
    });
    expect(charged.state).toBe('captured');
    const authorized = (await authorize(instrumented, 'pt', 'tok_visa')) as PaymentSnapshot;
    expect((await instrumented.retrieve({ providerReference: authorized.providerReference })).state).toBe('authorized');
    expect((await instrumented.findByMerchantReference({ merchantReference: 'order_pt' }))?.providerReference).toBe(authorized.providerReference);
    expect(await instrumented.listStoredPaymentMethods({ customerReference: 'shopper_1' })).toHaveLength(1);
    const captured = await instrumented.capture({ idempotencyKey: 'cap', providerReference: authorized.providerReference, amount: Money.of(1_000, 'EUR'), finalCapture: true, merchantReference: 'cap' });
    expect(captured.status).toBe('succeeded');
    expect((await instrumented.refund({ idempotencyKey: 'ref', providerReference: authorized.providerReference, amount: Money.of(100, 'EUR'), merchantReference: 'ref' })).status).toBe('succeeded');
    const second = (await authorize(instrumented, 'pv', 'tok_visa')) as PaymentSnapshot;
    expect((await instrumented.cancel({ idempotencyKey: 'void', providerReference: second.providerReference, merchantReference: 'void' })).status).toBe('succeeded');
    expect((await instrumented.cancelByMerchantReference?.({ idempotencyKey: 'tc', merchantReference: 'order_none' }))?.status).toBe('succeeded');
    const webhook = adyen.signWebhook({ type: 'payment.captured', providerReference: authorized.providerReference, eventId: 'evt_1' });
    expect((await instrumented.verifyWebhook(webhook)).eventId).toBe('evt_1');
    expect(instrumented.provider).toBe(newProvider);
    expect(instrumented.capabilities).toBe(adyen.capabilities);
    // Only the two creations were measured.
    expect(records.filter((record) => record.name === 'paymigrate.routing.authorization.duration')).toHaveLength(3);
    const withoutTechnicalCancel = router.instrumentGateway(new InMemoryPaymentGateway({ provider: 'x', capabilities: { technicalCancel: false } }));
    expect(withoutTechnicalCancel.cancelByMerchantReference).toBeUndefined();
  });

  it('treats an answer in an unexpected state as an error that says nothing about the provider', async () => {
    const odd = router.instrumentGateway({
      ...adyen,
      specificationVersion: 'v1',
      provider: newProvider,
      capabilities: adyen.capabilities,
      authorize: async (input: { merchantReference: string }) =>
        (input.merchantReference === 'declined' ? { state: 'failed', declineReason: 'fraud_suspected' } : { state: 'unknown' }) as PaymentSnapshot,
      chargeStoredPaymentMethod: () => Promise.reject(new TypeError('socket hang up')),
    } as unknown as PaymentGatewayV1);
    await odd.authorize({ idempotencyKey: 'k', merchantReference: 'm', amount: Money.of(1, 'EUR'), paymentMethodToken: 't' });
    // A provider that answers a decline with a failed snapshot instead of throwing.
    await odd.authorize({ idempotencyKey: 'k3', merchantReference: 'declined', amount: Money.of(1, 'EUR'), paymentMethodToken: 't' });
    expect(records.filter((record) => record.name === 'paymigrate.routing.declines')[0]?.attributes?.['reason']).toBe('fraud_suspected');
    await expect(odd.chargeStoredPaymentMethod({ idempotencyKey: 'k2', merchantReference: 'm2', amount: Money.of(1, 'EUR'), customerReference: 'c', paymentMethodToken: 't', reason: 'subscription' })).rejects.toThrow('socket hang up');
    expect(records.filter((record) => record.name === 'paymigrate.routing.errors').map((record) => record.attributes?.['code'])).toEqual(['STATE_UNKNOWN', 'UNEXPECTED']);
    expect(router.statistics.totals().find((row) => row.cohort === 'unattributed')?.counts.errors).toBe(2);
  });

  it('records outcomes given by payment id, keeps foreign-provider outcomes out of the experiment, and counts paid checkouts', async () => {
    await router.select(request(1));
    await router.recordOutcome({ paymentId: 'pay_1', provider: newProvider, outcome: 'authorized' });
    await router.recordOutcome({ paymentId: 'pay_1', provider: oldProvider, outcome: 'declined' });
    await router.recordOutcome({ paymentId: 'pay_unknown', provider: oldProvider, outcome: 'error' });
    await router.recordOutcome({ provider: oldProvider, outcome: 'error', countsForCircuit: false });
    expect(router.recordPaid('pay_1')).toBe(true);
    expect(router.recordPaid('pay_unknown')).toBe(false);
    expect(router.statistics.experimentArms(4).get(newProvider)).toMatchObject({ authorized: 1, paid: 1, assignments: 1 });
    expect(router.statistics.experimentArms(4).get(oldProvider)).toBeUndefined();
    const stripeRows = router.statistics.totals().filter((row) => row.provider === oldProvider);
    expect(stripeRows.find((row) => row.cohort === 'default')?.counts.declined).toBe(1);
    expect(stripeRows.find((row) => row.cohort === 'unattributed')?.counts.errors).toBe(2);
    expect(records).toContainEqual({ name: 'paymigrate.routing.paid', value: 1, attributes: { provider: newProvider, cohort: 'default' } });
    expect(records.filter((record) => record.name === 'paymigrate.routing.errors').map((record) => record.attributes?.['code'])).toEqual(['UNSPECIFIED', 'UNSPECIFIED']);
  });

  it('forgets the oldest decisions beyond rememberedDecisions', async () => {
    const small = await harness.createRouter({ rememberedDecisions: 2 });
    await small.select(request('a'));
    await small.select(request('b', { merchantReference: undefined as never }));
    await small.select(request('c'));
    expect(small.recordPaid('pay_a')).toBe(false);
    expect(small.recordPaid('pay_b')).toBe(true);
    await small.recordOutcome({ merchantReference: 'order_a', provider: newProvider, outcome: 'authorized' });
    await small.recordOutcome({ merchantReference: 'order_c', provider: newProvider, outcome: 'authorized' });
    await small.select(request('d'));
    await small.select(request('e'));
    expect(small.statistics.totals().find((row) => row.cohort === 'unattributed')?.counts.authorized).toBe(1);
  });
});

describe('circuit breakers in select (new payments only)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 0, 1));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const settings = { kind: 'consecutive', failures: 3, halfOpenAfterMs: 30_000 } as const;

  async function openCircuit(router: TrafficRouter, provider: string): Promise<void> {
    for (let failure = 0; failure < 3; failure += 1) await router.recordOutcome({ provider, outcome: 'error', errorCode: 'PROVIDER_UNAVAILABLE' });
  }

  it('fails a new payment over to the other provider while its circuit is open, then tries it again after the reset timeout', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    const router = await harness.createRouter({ circuitBreaker: settings });
    await openCircuit(router, newProvider);
    expect(await router.select(request(1))).toMatchObject({ provider: oldProvider, kind: 'circuit-open', reason: 'circuit open: adyen', experiment: false });
    // A preview never takes the trial.
    vi.advanceTimersByTime(30_000);
    expect(router.preview(request(2)).provider).toBe(oldProvider);
    const trial = await router.select(request(2));
    expect(trial).toMatchObject({ provider: newProvider, experiment: false });
    expect(trial.reason).toMatch(/\(circuit trial\)$/);
    expect((await router.select(request(3))).kind).toBe('circuit-open');
    await router.recordOutcome({ paymentId: 'pay_2', provider: newProvider, outcome: 'authorized' });
    expect(await router.select(request(4))).toMatchObject({ provider: newProvider, kind: 'bucket', experiment: true });
  });

  it('fails over from the old provider during the ramp, and keeps the other arm out of the experiment meanwhile', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter({ circuitBreaker: settings });
    await openCircuit(router, oldProvider);
    expect(await router.select(request(customerWhere(false)))).toMatchObject({ provider: newProvider, kind: 'circuit-open', reason: 'circuit open: stripe' });
    expect(await router.select(request(customerWhere(true)))).toMatchObject({ provider: newProvider, kind: 'bucket', experiment: false });
  });

  it('keeps the provider when no other can take the payment, saying why', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const capabilities = new InMemoryPaymentGateway({ provider: newProvider, capabilities: { currencies: ['EUR'] } }).capabilities;
    const router = await harness.createRouter({ circuitBreaker: settings, gateways: [{ provider: newProvider, capabilities }] });
    await openCircuit(router, oldProvider);
    const yen = await router.select(request(1, { amount: Money.of(100, 'JPY'), currency: 'JPY' }));
    expect(yen).toMatchObject({ provider: oldProvider, kind: 'capability' });
    expect(yen.reason).toBe('adyen does not accept currency JPY; circuit open on stripe and no other provider can take it');
    await openCircuit(router, newProvider);
    const both = await router.select(request(customerWhere(true), { paymentId: 'pay_both' }));
    expect(both.provider).toBe(newProvider);
    expect(both.reason).toMatch(/; circuit open on adyen and no other provider can take it$/);
  });

  it('fails over after the cutover too, but never to the new provider before the ramp or after a rollback', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(100);
    await harness.orchestrator.advance({ to: 'cutover', actor: 'test', reason: 'go' });
    await settle();
    const router = await harness.createRouter({ circuitBreaker: settings });
    await openCircuit(router, newProvider);
    expect(await router.select(request(1))).toMatchObject({ provider: oldProvider, kind: 'circuit-open' });
    await openCircuit(router, oldProvider);
    await harness.orchestrator.rollback({ actor: 'test', reason: 'back' });
    await settle();
    expect(await router.select(request(2))).toMatchObject({ provider: oldProvider, kind: 'rolled-back' });
  });
});
