import { InMemoryPaymentGateway, InMemoryTokenExchange } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import {
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  UnknownOutcomeError,
} from '../errors/provider-errors.js';
import { emptyOperationCounters, PaymentRepository } from '../journal/payment-repository.js';
import { SavedPaymentMethodRepository } from '../journal/saved-payment-method-repository.js';
import { Money } from '../money/money.js';
import type { StoredPaymentMethod } from '../ports/shared/v1/card.js';
import { bytesOf, createTokenTestBed, genericCsv, genericRow, type TokenTestBed } from './__fixtures__/token-fixtures.js';
import { openPlainMappingFile } from './mapping-file-source.js';
import { createTokenMigrationEngine } from './token-migration-engine.js';
import { recollectCardTopic, tokenRecollectionCollection } from './token-recollection.js';

function method(index: number, overrides: Partial<StoredPaymentMethod> = {}): StoredPaymentMethod {
  return {
    provider: 'braintree',
    token: `bt_tok_${index}`,
    customerReference: `bt_cus_${Math.ceil(index / 2)}`,
    card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2030, fingerprint: `fp_${index}` },
    networkTransactionId: `ntid_${index}`,
    ...overrides,
  };
}

/** Runs `work` while moving the manual clock, so back-offs and rate limits elapse. */
async function withClock<Result>(bed: TokenTestBed, work: Promise<Result>): Promise<Result> {
  let settled = false;
  const guarded = work.finally(() => {
    settled = true;
  });
  // Handled by the caller once the clock loop ends; mark it handled now so a rejection is not reported as unhandled.
  guarded.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  while (!settled) await bed.clock.advance(50);
  return guarded;
}

async function exchangeBed(options: { readonly concurrency?: number } = {}): Promise<TokenTestBed & { stripe: InMemoryTokenExchange; braintree: InMemoryTokenExchange; braintreeGateway: InMemoryPaymentGateway; stripeGateway: InMemoryPaymentGateway }> {
  const braintreeGateway = new InMemoryPaymentGateway({ provider: 'braintree' });
  const stripeGateway = new InMemoryPaymentGateway({ provider: 'stripe' });
  const bed0 = await createTokenTestBed();
  const stripe = new InMemoryTokenExchange({ provider: 'stripe', gateway: stripeGateway, clock: bed0.clock, supportedBrands: ['visa', 'mastercard'] });
  const braintree = new InMemoryTokenExchange({ provider: 'braintree', gateway: braintreeGateway, clock: bed0.clock });
  const engine = await createTokenMigrationEngine({
    journal: bed0.journal,
    keyProvider: bed0.keys,
    sourceProvider: 'braintree',
    targetProvider: 'stripe',
    clock: bed0.clock,
    logger: (await import('../observability/logger.js')).createLogger({ level: 'silent' }),
    targetExchange: stripe,
    sourceExchange: braintree,
    api: { requestsPerSecond: 100, concurrency: options.concurrency ?? 4, baseDelayMs: 100, maxAttempts: 3 },
  });
  return { ...bed0, engine, stripe, braintree, braintreeGateway, stripeGateway };
}

describe('API re-tokenization', () => {
  it('moves stored payment methods through the token exchange, carrying card, customer link and network transaction id', async () => {
    const bed = await exchangeBed();
    const methods = [method(1), method(2), method(3, { card: { brand: 'amex', last4: '0005', expiryMonth: 1, expiryYear: 2031 } }), method(4, { card: { brand: 'visa', last4: '1111', expiryMonth: 1, expiryYear: 2020 } })];
    const report = await withClock(bed, bed.engine.importViaApi({ methods, batchSize: 3 }));
    expect(report).toMatchObject({ mapped: 2, recollect: 2, skipped: 0, deferred: 0, calls: 4, rateLimited: 0 });
    expect(report.failures).toEqual({ amex: { brand_not_supported: 1 }, visa: { expired: 1 } });
    const first = await bed.engine.vault.read('braintree', 'bt_tok_1', { actor: 'test', purpose: 'check' });
    const second = await bed.engine.vault.read('braintree', 'bt_tok_2', { actor: 'test', purpose: 'check' });
    expect(first?.mapping).toMatchObject({ customerId: 'bt_cus_1', status: 'mapped', origin: 'api', networkTransactionId: 'ntid_1', target: { provider: 'stripe' } });
    // Cards of one customer land on one customer at the new provider.
    expect(second?.mapping.target?.customerReference).toBe(first?.mapping.target?.customerReference);
    expect(await bed.stripeGateway.listStoredPaymentMethods({ customerReference: first?.mapping.target?.customerReference ?? '' })).toHaveLength(2);
    expect(await bed.journal.pendingOutboxCount({ topics: [recollectCardTopic] })).toBe(2);
    // Idempotent: a second run sends nothing.
    const again = await withClock(bed, bed.engine.importViaApi({ methods: (async function* generate() { yield* methods; })() }));
    expect(again).toMatchObject({ mapped: 0, skipped: 4, calls: 0 });
  });

  it('backs off on 429 Retry-After, lowers the rate, retries transient failures with the same key and defers what keeps failing', async () => {
    const bed = await exchangeBed({ concurrency: 1 });
    for (let count = 0; count < 2; count += 1) bed.stripe.failNext('importPaymentMethod', new RateLimitedError('slow down', { provider: 'stripe', httpStatus: 429, retryAfterMs: 1000 }));
    bed.stripe.failNext('importPaymentMethod', new UnknownOutcomeError('timeout', { provider: 'stripe' }));
    bed.stripe.failNext('importPaymentMethod', new ProviderRetryableError('lock', { provider: 'stripe' }));
    const started = bed.clock.now();
    const report = await withClock(bed, bed.engine.importViaApi({ methods: [method(1), method(2)] }));
    expect(report).toMatchObject({ mapped: 2, rateLimited: 2, calls: 6 });
    expect(bed.clock.now() - started).toBeGreaterThanOrEqual(1000);
    // Two 429s one after the other (one request in flight): two signals, two cuts.
    expect(bed.engine.limiter.decreases).toBe(2);
    expect(bed.stripe.imported()).toHaveLength(2);

    for (let count = 0; count < 3; count += 1) bed.stripe.failNext('importPaymentMethod', new ProviderUnavailableError('down', { provider: 'stripe' }));
    const deferred = await withClock(bed, bed.engine.importViaApi({ methods: [method(5)] }));
    expect(deferred).toMatchObject({ mapped: 0, deferred: 1 });
    expect(await bed.engine.vault.peek([bed.engine.vault.keyOf('braintree', 'bt_tok_5')])).toEqual(new Map());

    bed.stripe.failNext('importPaymentMethod', new InvalidRequestError(`card 4242424242424242 invalid`, { provider: 'stripe', httpStatus: 400 }));
    const invalid = await withClock(bed, bed.engine.importViaApi({ methods: [method(6)] }));
    expect(invalid).toMatchObject({ recollect: 1, failures: { visa: { invalid_data: 1 } } });
    const stored = await bed.engine.vault.read('braintree', 'bt_tok_6', { actor: 'test', purpose: 'check' });
    expect(stored?.mapping.failureDetail).not.toContain('4242424242424242');

    bed.stripe.failNext('importPaymentMethod', new ProviderAuthenticationError('bad key', { provider: 'stripe', httpStatus: 401 }));
    await expect(withClock(bed, bed.engine.importViaApi({ methods: [method(7)] }))).rejects.toThrow('bad key');
  });

  it('gives up on a payment method after too many 429s, leaving it for a later run', async () => {
    const bed0 = await createTokenTestBed();
    const stripe = new InMemoryTokenExchange({ provider: 'stripe', clock: bed0.clock });
    const engine = await createTokenMigrationEngine({
      journal: bed0.journal,
      keyProvider: bed0.keys,
      sourceProvider: 'braintree',
      targetProvider: 'stripe',
      clock: bed0.clock,
      targetExchange: stripe,
      logger: (await import('../observability/logger.js')).createLogger({ level: 'silent' }),
      api: { maxRateLimitedAttempts: 2 },
    });
    for (let count = 0; count < 2; count += 1) stripe.failNext('importPaymentMethod', new RateLimitedError('slow down', { provider: 'stripe', retryAfterMs: 10 }));
    const report = await withClock({ ...bed0, engine }, engine.importViaApi({ methods: [method(1)] }));
    expect(report).toMatchObject({ deferred: 1, rateLimited: 2 });
  });

  it('verifies new tokens with a zero-amount authorization, sending declines to re-collection', async () => {
    const bed = await exchangeBed();
    await withClock(bed, bed.engine.importViaApi({ methods: [method(1), method(2), method(3)] }));
    const declined = bed.stripe.imported()[1]?.token as string;
    bed.stripe.failVerification(declined, 'do_not_honor');
    const first = await withClock(bed, bed.engine.verifyMappings({ currency: 'EUR', batchSize: 2 }));
    expect(first).toMatchObject({ verified: 2, recollect: 1, deferred: 0, failures: { visa: { verification_failed: 1 } } });
    expect(await withClock(bed, bed.engine.verifyMappings({ currency: 'EUR' }))).toMatchObject({ verified: 0, skipped: 3 });
    await withClock(bed, bed.engine.importViaApi({ methods: [method(4)] }));
    for (let count = 0; count < 3; count += 1) bed.stripe.failNext('verifyPaymentMethod', new ProviderUnavailableError('down', { provider: 'stripe' }));
    expect(await withClock(bed, bed.engine.verifyMappings({ currency: 'EUR' }))).toMatchObject({ verified: 0, deferred: 1 });
    expect(await withClock(bed, bed.engine.verifyMappings({ currency: 'EUR' }))).toMatchObject({ verified: 1, skipped: 3 });
    const mapping = (await bed.engine.vault.read('braintree', 'bt_tok_2', { actor: 'test', purpose: 'check' }))?.mapping;
    expect(mapping).toMatchObject({ status: 'recollect', failureReason: 'verification_failed', verification: { status: 'failed', declineReason: 'do_not_honor' } });
    // Inline verification during the import.
    const inline = await withClock(bed, bed.engine.importViaApi({ methods: [method(9)], verifyCurrency: 'EUR' }));
    expect(inline).toMatchObject({ mapped: 1, verified: 1 });
    const file = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1)])));
    await bed.engine.importMappingFile({ file, format: 'generic-csv', importId: 'file-1' });
    const fileVerification = await withClock(bed, bed.engine.verifyMappings({ currency: 'EUR', importId: 'file-1' }));
    expect(fileVerification).toMatchObject({ verified: 0, recollect: 1 });
  });

  it('requires the exchanges it uses, and valid options', async () => {
    const bed = await createTokenTestBed();
    await expect(bed.engine.importViaApi({ methods: [] })).rejects.toThrow(ConfigurationError);
    await expect(bed.engine.verifyMappings({ currency: 'EUR' })).rejects.toThrow('targetExchange');
    await expect(createTokenMigrationEngine({} as never)).rejects.toThrow(ConfigurationError);
    await expect(bed.engine.syncFromGateway({ gateway: new InMemoryPaymentGateway({ provider: 'paypal' }), customerReferences: [] })).rejects.toThrow("neither the source nor the target");
  });
});

describe('delta and reverse sync', () => {
  it('copies cards saved during the window both ways, so a rollback leaves no card only on the new provider', async () => {
    const bed = await exchangeBed();
    // The bulk file: customer bt_cus_1's card was refused (expired), customer bt_cus_2's moved.
    const file = await openPlainMappingFile(
      bytesOf(
        genericCsv([
          genericRow(1, { source_customer_id: 'bt_cus_1', source_token: 'bt_tok_bulk_1', target_customer_id: 'cus_s_1', exp_year: '2024' }),
          genericRow(2, { source_customer_id: 'bt_cus_2', source_token: 'bt_tok_bulk_2', target_customer_id: 'cus_s_2' }),
        ]),
      ),
    );
    await bed.engine.importMappingFile({ file, format: 'generic-csv' });
    expect(await bed.engine.openRecollections('bt_cus_1')).toMatchObject([{ reason: 'expired', status: 'open', sourceProvider: 'braintree' }]);
    const locator = bed.engine.locator(() => 'stripe');
    expect(await locator.locate('bt_cus_1')).toMatchObject({ provider: 'braintree', token: 'bt_tok_bulk_1' });

    const saved = new SavedPaymentMethodRepository(bed.journal);
    const card = { brand: 'visa' as const, last4: '4242', expiryMonth: 12, expiryYear: 2031 };
    // During the window: bt_cus_3 saves a card on the old provider; bt_cus_1 and bt_cus_2 save cards on the new one.
    await saved.save({ provider: 'braintree', token: 'bt_tok_window_3', customerReference: 'bt_cus_3', card, networkTransactionId: 'nt_3', savedAt: bed.clock.now() }, 0);
    await saved.save({ provider: 'stripe', token: 'pm_window_1', customerReference: 'cus_s_1', card, savedAt: bed.clock.now(), paymentId: 'pay_missing' }, 0);
    await saved.save({ provider: 'stripe', token: 'pm_window_2', customerReference: 'cus_s_2', card, savedAt: bed.clock.now() }, 0);
    await saved.save({ provider: 'paypal', token: 'pp_1', customerReference: 'pp_cus', card, savedAt: bed.clock.now() }, 0);
    await saved.save({ provider: 'braintree', token: 'bt_tok_bulk_2', customerReference: 'bt_cus_2', card, savedAt: bed.clock.now() }, 0);
    // The new-side customers are linked to the old ids through the vault's customer link: map them.
    const report = await withClock(bed, bed.engine.syncDelta({ batchSize: 2 }));
    expect(report.forward).toMatchObject({ mapped: 1, skipped: 1 });
    expect(report.reverse).toMatchObject({ mapped: 2 });
    expect(report.ignored).toBe(1);
    expect(await saved.count({ index: 'delta-pending' })).toBe(1);
    const reverse = await bed.engine.vault.read('stripe', 'pm_window_2', { actor: 'test', purpose: 'check' });
    expect(reverse?.mapping).toMatchObject({ origin: 'reverse', source: { provider: 'stripe' }, target: { provider: 'braintree' } });
    // Rollback: every customer who saved a card on the new provider can be charged on the old one.
    for (const customer of ['cus_s_1', 'cus_s_2']) {
      const location = await bed.engine.locator(() => 'braintree').locate(customer);
      expect(location?.provider).toBe('braintree');
      expect(await bed.braintreeGateway.listStoredPaymentMethods({ customerReference: location?.customerReference ?? '' })).not.toHaveLength(0);
    }
    const forward = await bed.engine.vault.read('braintree', 'bt_tok_window_3', { actor: 'test', purpose: 'check' });
    expect(forward?.mapping).toMatchObject({ origin: 'delta', status: 'mapped', networkTransactionId: 'nt_3' });
    expect(await bed.engine.locator(() => 'stripe').locate('bt_cus_3')).toMatchObject({ provider: 'stripe', networkTransactionId: 'nt_3' });
    expect(await bed.engine.locator(() => 'stripe').locate('nobody')).toBeUndefined();
    // A second pass finds nothing new.
    const again = await withClock(bed, bed.engine.syncDelta());
    expect(again).toMatchObject({ forward: { mapped: 0 }, reverse: { mapped: 0 }, ignored: 1 });
  });

  it('resolves a re-collection when the customer saves a card again, and the locator then answers the new card', async () => {
    const bed = await exchangeBed();
    const file = await openPlainMappingFile(bytesOf(genericCsv([genericRow(1, { source_customer_id: 'alice', target_customer_id: 'cus_alice', source_token: 'bt_alice', exp_year: '2024' })])));
    await bed.engine.importMappingFile({ file, format: 'generic-csv' });
    expect(await bed.engine.locator(() => 'stripe').locate('alice')).toMatchObject({ provider: 'braintree', token: 'bt_alice' });
    await bed.clock.advance(1000);
    // Alice saves a new card on the new provider; its delta record names her merchant customer id through the payment.
    const zero = Money.zero('EUR');
    await new PaymentRepository(bed.journal).save(
      {
        paymentId: 'pay_alice',
        merchantReference: 'order-alice',
        customerId: 'alice',
        provider: 'stripe',
        captureMethod: 'manual',
        initialIntentId: 'pay_alice.authorize.1',
        amount: zero,
        authorizedAmount: zero,
        capturedAmount: zero,
        refundedAmount: zero,
        released: false,
        state: 'authorized',
        pendingOperations: [],
        appliedOperationReferences: [],
        operationCounters: emptyOperationCounters,
        createdAt: 0,
        updatedAt: 0,
      },
      0,
    );
    const saved = new SavedPaymentMethodRepository(bed.journal);
    await saved.save({ provider: 'stripe', token: 'pm_alice_new', customerReference: 'cus_alice', paymentId: 'pay_alice', card: { brand: 'visa', last4: '1881', expiryMonth: 1, expiryYear: 2032 }, savedAt: bed.clock.now() }, 0);
    const report = await withClock(bed, bed.engine.syncDelta());
    expect(report.recollectionsResolved).toBe(1);
    expect(await bed.engine.openRecollections('alice')).toEqual([]);
    const resolved = await bed.journal.list(tokenRecollectionCollection, { index: 'resolved', limit: 10 });
    expect(JSON.parse(resolved[0]?.value ?? '{}')).toMatchObject({ status: 'resolved', resolvedBy: bed.engine.vault.keyOf('stripe', 'pm_alice_new') });
    expect(await bed.engine.locator(() => 'stripe').locate('alice')).toMatchObject({ provider: 'stripe', token: 'pm_alice_new' });
    expect(await bed.engine.locator(() => 'braintree').locate('alice')).toMatchObject({ provider: 'braintree', customerReference: 'alice' });
  });

  it('catches up from the old gateway listing, skipping cards the vault already has', async () => {
    const bed = await exchangeBed();
    bed.braintreeGateway.addStoredPaymentMethod({ token: 'bt_g_1', customerReference: 'bt_cus_g', card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2031 }, networkTransactionId: 'nt_g' });
    bed.braintreeGateway.addStoredPaymentMethod({ token: 'bt_g_2', customerReference: 'bt_cus_g', card: { brand: 'mastercard', last4: '4444', expiryMonth: 1, expiryYear: 2031 } });
    const first = await withClock(bed, bed.engine.syncFromGateway({ gateway: bed.braintreeGateway, customerReferences: ['bt_cus_g', 'bt_cus_empty'] }));
    expect(first).toMatchObject({ mapped: 2, skipped: 0 });
    const second = await withClock(bed, bed.engine.syncFromGateway({ gateway: bed.braintreeGateway, customerReferences: ['bt_cus_g'] }));
    expect(second).toMatchObject({ mapped: 0, skipped: 2 });
    // The reverse direction from the new gateway's listing.
    const stripeCustomer = (await bed.engine.vault.read('braintree', 'bt_g_1', { actor: 'test', purpose: 'check' }))?.mapping.target?.customerReference as string;
    bed.stripeGateway.addStoredPaymentMethod({ token: 'pm_g_new', customerReference: stripeCustomer, card: { brand: 'visa', last4: '1881', expiryMonth: 1, expiryYear: 2032 } });
    const reverse = await withClock(bed, bed.engine.syncFromGateway({ gateway: bed.stripeGateway, customerReferences: [stripeCustomer], customerIdOf: () => 'bt_cus_g' }));
    expect(reverse).toMatchObject({ mapped: 1, skipped: 2 });
    expect((await bed.engine.vault.read('stripe', 'pm_g_new', { actor: 'test', purpose: 'check' }))?.mapping.target).toMatchObject({ provider: 'braintree', customerReference: 'bt_cus_g' });
  });
});
