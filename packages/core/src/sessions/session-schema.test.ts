import { describe, expect, it } from 'vitest';
import { sessionV1Text, sessionV2, sessionV2Text, testCardNumber } from './__fixtures__/session-fixtures.js';
import { parseSession, type SessionParseResult, sessionParseFailureKinds } from './session-schema.js';
import { serializeSession } from './session-values.js';

function failureOf(result: SessionParseResult): { kind: string; reason: string } {
  if (result.ok) throw new Error('expected a parse failure');
  return result.failure;
}

describe('parseSession: version 2', () => {
  it('reads a v2 session as it is', () => {
    const result = parseSession(sessionV2Text());
    expect(result).toStrictEqual({ ok: true, session: sessionV2(), fromVersion: 2 });
  });

  it('keeps fields a newer application added, and checkout progress', () => {
    const text = sessionV2Text({ loyaltyTier: 'gold', checkout: { step: 'shipping' } } as never);
    const result = parseSession(text);
    expect(result.ok && result.session['loyaltyTier']).toBe('gold');
    expect(result.ok && result.session.checkout).toStrictEqual({ step: 'shipping' });
  });

  it('refuses a line priced in another currency than the cart', () => {
    const text = sessionV2Text({
      cart: { currency: 'EUR', lines: [{ sku: 'A', quantity: 1, unitPrice: { minorUnits: '100', currency: 'USD' } }] },
    });
    expect(failureOf(parseSession(text))).toStrictEqual({ kind: 'schema-invalid', reason: 'schema v2: $.cart.lines[0].unitPrice.currency: must be the cart currency' });
  });

  it('lists at most three issues and counts the rest', () => {
    const text = JSON.stringify({ schemaVersion: 2, cart: { currency: 'XXX1', lines: [{ sku: '', quantity: 0 }] }, preferences: { a: 1 }, updatedAt: -1 });
    const failure = failureOf(parseSession(text));
    expect(failure.kind).toBe('schema-invalid');
    expect(failure.reason).toMatch(/^schema v2: \$\.cart\.currency: must be an ISO 4217 currency code; .* \(and \d+ more\)$/);
  });

  it('refuses negative and fractional prices', () => {
    const text = sessionV2Text({ cart: { currency: 'EUR', lines: [{ sku: 'A', quantity: 1, unitPrice: { minorUnits: '-5', currency: 'EUR' } }] } });
    expect(failureOf(parseSession(text)).reason).toContain('$.cart.lines[0].unitPrice.minorUnits: must be a non-negative decimal integer string of minor units');
  });
});

describe('parseSession: upgrades from version 1', () => {
  it('lifts cartItems, prices, prefs and checkout to v2', () => {
    const result = parseSession(sessionV1Text({ checkoutStep: 'payment', paymentId: 'pay_1', giftWrap: true }));
    expect(result).toStrictEqual({
      ok: true,
      fromVersion: 1,
      session: {
        schemaVersion: 2,
        customerId: 'customer-1',
        cartId: 'cart-1',
        cart: { currency: 'EUR', lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: { minorUnits: '1250', currency: 'EUR' }, title: 'Mug' }] },
        preferences: { language: 'de', newsletter: 'true' },
        checkout: { step: 'payment', paymentId: 'pay_1' },
        updatedAt: 1_700_000_000_000,
        giftWrap: true,
      },
    });
  });

  it('accepts an explicit schemaVersion 1, numeric prices, and no prefs', () => {
    const result = parseSession(JSON.stringify({ schemaVersion: 1, currency: 'JPY', cartItems: [{ sku: 'T', qty: 1, price: 500 }] }), { fallbackUpdatedAt: 42 });
    expect(result.ok && result.session).toStrictEqual({
      schemaVersion: 2,
      cart: { currency: 'JPY', lines: [{ sku: 'T', quantity: 1, unitPrice: { minorUnits: '500', currency: 'JPY' } }] },
      preferences: {},
      updatedAt: 42,
    });
  });

  it('puts a payment without a step at the payment step, and defaults updatedAt to 0', () => {
    const result = parseSession(JSON.stringify({ currency: 'EUR', cartItems: [], paymentId: 'pay_9' }));
    expect(result.ok && result.session.checkout).toStrictEqual({ step: 'payment', paymentId: 'pay_9' });
    expect(result.ok && result.session.updatedAt).toBe(0);
  });

  it('is deterministic: the same text gives the same session text', () => {
    const text = sessionV1Text({ updatedAt: undefined });
    const first = parseSession(text, { fallbackUpdatedAt: 7 });
    const second = parseSession(text, { fallbackUpdatedAt: 7 });
    expect(first.ok && second.ok && serializeSession(first.session) === serializeSession(second.session)).toBe(true);
  });

  it('refuses a price that needs rounding, naming the path', () => {
    const failure = failureOf(parseSession(sessionV1Text({ cartItems: [{ sku: 'A', qty: 1, price: '1.234' }] })));
    expect(failure.kind).toBe('schema-invalid');
    expect(failure.reason).toMatch(/^schema v1: \$\.cartItems\[0\]\.price: Money\.fromDecimal/);
  });

  it('refuses a v1 session out of its own schema', () => {
    expect(failureOf(parseSession(sessionV1Text({ cartItems: [{ sku: 'A', qty: 0, price: '1' }] }))).reason).toBe(
      'schema v1: $.cartItems[0].qty: Too small: expected number to be >0',
    );
  });

  it('refuses a v1 extra field that collides with a v2 field', () => {
    expect(failureOf(parseSession(sessionV1Text({ preferences: 'dark' }))).reason).toBe('schema v1: $.preferences: is a field of v2; a v1 session cannot carry it');
  });
});

describe('parseSession: failures', () => {
  it('refuses card data before anything else, without echoing it', () => {
    const failure = failureOf(parseSession(`{"note":"card ${testCardNumber}", "broken`));
    expect(failure).toStrictEqual({ kind: 'card-data', reason: 'the session holds cardholder data (primary-account-number); it is never migrated or kept' });
    expect(failureOf(parseSession(sessionV2Text({ cvv: '123' } as never))).kind).toBe('card-data');
  });

  it('refuses text that is not JSON without quoting it', () => {
    expect(failureOf(parseSession('{"cart": [1, 2'))).toStrictEqual({ kind: 'invalid-json', reason: 'not valid JSON (14 characters)' });
  });

  it.each([
    ['null', 'JSON null, not an object'],
    ['[1]', 'JSON array, not an object'],
    ['"text"', 'JSON string, not an object'],
    ['12', 'JSON number, not an object'],
  ])('refuses %s as not an object', (text, reason) => {
    expect(failureOf(parseSession(text))).toStrictEqual({ kind: 'not-an-object', reason });
  });

  it('refuses unknown and missing schema versions', () => {
    expect(failureOf(parseSession('{"schemaVersion":3}'))).toStrictEqual({ kind: 'unsupported-schema-version', reason: 'schemaVersion 3 is not one of 1, 2' });
    expect(failureOf(parseSession('{"schemaVersion":"2"}')).reason).toBe('schemaVersion "2" is not one of 1, 2');
    expect(failureOf(parseSession('{"cart":{}}'))).toStrictEqual({
      kind: 'unsupported-schema-version',
      reason: 'no schemaVersion, and not a v1 session (no cartItems)',
    });
  });

  it('lists every failure kind', () => {
    expect(sessionParseFailureKinds).toStrictEqual(['card-data', 'invalid-json', 'not-an-object', 'unsupported-schema-version', 'schema-invalid']);
  });
});
