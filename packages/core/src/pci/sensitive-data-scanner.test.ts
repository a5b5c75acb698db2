import { describe, expect, test } from 'vitest';
import { findSensitiveData, findSensitiveDataInText, redactSensitiveData, redactSensitiveText } from './sensitive-data-scanner.js';

const visa = '4242424242424242';

describe('findSensitiveDataInText', () => {
  test.each([
    [`card ${visa} expires`, 'visa'],
    ['card 4242 4242 4242 4242 expires', 'visa'],
    ['card 4242-4242-4242-4242', 'visa'],
    ['amex 3782 822463 10005.', 'amex'],
    [`{"number":"${visa}"}`, 'visa'],
    [`order 1001 ${visa}`, 'visa'],
    ['order 1001 4242 4242 4242 4242 qty 2', 'visa'],
  ])('finds the card number in %j', (text, brand) => {
    const findings = findSensitiveDataInText(text, '$.note');
    expect(findings).toEqual([{ kind: 'primary-account-number', path: '$.note', brand, masked: expect.stringMatching(/^\d{6}\*+\d{4}$/) }]);
  });

  test.each([
    'paid at 1732640000000 for order 1001',
    'pi_3PqWZ2LkdIwHu7ix1m0bQ9Xa',
    '550e8400-e29b-41d4-a716-446655440000',
    // The last two groups join into 4716446655440008, a Luhn-valid Visa-like number: UUIDs are exempt.
    'order-0b7e2c55-9f1d-4e3a-4716-446655440008',
    '12345678-1234-4716-4716-446655440008',
    'phone +1 415 555 0100',
    'amount 123456789012 minor units',
    '4242424242424241',
    '42424242424242424242424',
  ])('finds nothing in %j', (text) => {
    expect(findSensitiveDataInText(text)).toEqual([]);
  });

  test('the same digits outside a UUID are still found', () => {
    expect(findSensitiveDataInText('card 4716-446655440008').map((finding) => finding.kind)).toEqual(['primary-account-number']);
  });

  test('finds track 1 and track 2 data', () => {
    const findings = findSensitiveDataInText(`t1 %B${visa}^DOE/JANE^2812101000000 t2 ;${visa}=28121010000000?`);
    expect(findings.filter((finding) => finding.kind === 'track-data')).toHaveLength(2);
  });

  test.each(['cvv: 123', 'CVC=1234', '"cvc":"123"', 'security code: 999', 'cvv2 = 321'])('finds the labelled security code in %j', (text) => {
    expect(findSensitiveDataInText(text).map((finding) => finding.kind)).toEqual(['card-security-code']);
  });
});

describe('findSensitiveData', () => {
  test('walks objects, arrays, maps, sets, errors, keys and numbers with paths', () => {
    const error = new Error(`declined ${visa}`, { cause: { raw: `x ${visa}` } });
    const value = {
      plain: 'nothing here',
      nested: { list: ['ok', visa], 'odd key': { cvv: '123' }, security_code: 4321 },
      numberCard: 4242424242424242,
      [visa]: 'key holds a card',
      map: new Map([['k', visa]]),
      set: new Set([visa]),
      error,
      big: 4242424242424242n,
    };
    const paths = findSensitiveData(value).map((finding) => `${finding.kind} ${finding.path}`);
    expect(paths).toEqual([
      'primary-account-number $.nested.list[1]',
      'card-security-code $.nested["odd key"].cvv',
      'card-security-code $.nested.security_code',
      'primary-account-number $.numberCard',
      `primary-account-number $["${visa}"] (key)`,
      'primary-account-number $.map.k',
      'primary-account-number $.set[0]',
      'primary-account-number $.error.message',
      'primary-account-number $.error.cause.raw',
      'primary-account-number $.big',
    ]);
  });

  test('cycles are visited once and clean values give no finding', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    expect(findSensitiveData(cyclic)).toEqual([]);
    expect(findSensitiveData(undefined)).toEqual([]);
    expect(findSensitiveData({ cvv: 'abc', amount: 1234 })).toEqual([]);
  });

  test('values nested deeper than the limit are reported, not trusted', () => {
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let level = 0; level < 5; level += 1) deep = { deep };
    expect(findSensitiveData(deep, { maximumDepth: 3, path: '$root' })).toEqual([{ kind: 'too-deep-to-scan', path: '$root.deep.deep.deep', masked: '[not scanned]' }]);
  });
});

describe('redaction', () => {
  test('masks card numbers, track data and labelled codes in text', () => {
    expect(redactSensitiveText(`card ${visa} and 3782 822463 10005`)).toBe('card 424242******4242 and 378282*****0005');
    expect(redactSensitiveText(`;${visa}=28121010000000?`)).toBe('[track data redacted]');
    expect(redactSensitiveText('cvv: 123 ok')).toBe('cvv: *** ok');
    const clean = 'nothing to see 12';
    expect(redactSensitiveText(clean)).toBe(clean);
    expect(redactSensitiveText('order 1001 and 1002')).toBe('order 1001 and 1002');
  });

  test('redactSensitiveData copies objects, masks strings, numbers, keys and code fields', () => {
    const original = { note: `card ${visa}`, cvc: '123', cvn: 999, card: 4242424242424242, list: [visa, 7], [visa]: true, money: new Date(0), empty: null };
    const redacted = redactSensitiveData(original);
    expect(redacted).toEqual({
      note: 'card 424242******4242',
      cvc: '***',
      cvn: '***',
      card: '424242******4242',
      list: ['424242******4242', 7],
      '424242******4242': true,
      money: new Date(0),
      empty: null,
    });
    expect(original.note).toBe(`card ${visa}`);
    expect(JSON.stringify(redacted)).not.toContain(visa);
  });

  test('redactSensitiveData handles errors, cycles and primitives', () => {
    const error = new TypeError(`bad ${visa}`);
    const redactedError = redactSensitiveData(error);
    expect(redactedError.message).toBe('bad 424242******4242');
    expect(redactedError.name).toBe('TypeError');
    const cyclic: Record<string, unknown> = { note: visa };
    cyclic.self = cyclic;
    const copy = redactSensitiveData(cyclic);
    expect(copy.self === copy).toBe(true);
    expect(copy.note).toBe('424242******4242');
    const list: unknown[] = [];
    list.push(list);
    const copiedList = redactSensitiveData(list);
    expect(copiedList[0] === copiedList).toBe(true);
    expect(copiedList === list).toBe(false);
    expect(redactSensitiveData(12)).toBe(12);
    expect(redactSensitiveData(true)).toBe(true);
    expect(redactSensitiveData(Object.create(null) as object)).toEqual({});
  });
});
