import { describe, expect, it } from 'vitest';
import { bytesOf, genericCsv, genericRow, testCardNumber } from '../__fixtures__/token-fixtures.js';
import { MappingFileFormatError } from '../token-errors.js';
import { adyenCsvFormat } from './adyen-csv-format.js';
import { normalizeCardBrand } from './card-brand-names.js';
import { genericCsvFormat } from './generic-csv-format.js';
import type { MappingFileFormat, MappingFileRow } from './mapping-file-row.js';
import { stripeJsonFormat } from './stripe-json-format.js';

async function rowsOf(format: MappingFileFormat, text: string, chunkSize = 4096): Promise<MappingFileRow[]> {
  const rows: MappingFileRow[] = [];
  for await (const row of format.rows(bytesOf(text, chunkSize)() as AsyncIterable<Uint8Array>)) rows.push(row);
  return rows;
}

async function failureOf(format: MappingFileFormat, text: string, chunkSize = 4096): Promise<MappingFileFormatError> {
  const error = await rowsOf(format, text, chunkSize).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MappingFileFormatError.isInstance(error)).toBe(true);
  return error as MappingFileFormatError;
}

describe('generic CSV', () => {
  it('reads every documented column, numbering rows from 1 after the header', async () => {
    const rows = await rowsOf(genericCsvFormat, genericCsv([genericRow(1), genericRow(2, { fingerprint: '', network_transaction_id: '' })]));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      row: 1,
      sourceCustomerReference: 'cus_old_1',
      sourceToken: 'card_old_1',
      targetCustomerReference: 'cus_new_1',
      targetToken: 'pm_new_1',
      brand: 'MasterCard',
      last4: '1001',
      expiryMonth: '2',
      expiryYear: '2030',
      fingerprint: 'fp_1',
      networkTransactionId: 'ntid_1',
      providerFailure: undefined,
      problem: undefined,
    });
    expect(rows[1]).toMatchObject({ row: 2, fingerprint: undefined, networkTransactionId: undefined });
  });

  it('passes a record with the wrong number of fields on as a problem of that row only', async () => {
    const text = `${genericCsv([genericRow(1)])}cus_x,card_x,cus_y\n${genericCsv([genericRow(3)]).split('\n')[1]}\n`;
    const rows = await rowsOf(genericCsvFormat, text);
    expect(rows.map((row) => [row.row, row.problem])).toEqual([
      [1, undefined],
      [2, 'the record has 3 fields, the header 11'],
      [3, undefined],
    ]);
  });

  it('maps failure reasons, keeping unknown ones as provider_rejected', async () => {
    const rows = await rowsOf(
      genericCsvFormat,
      genericCsv([genericRow(1, { target_token: '', failure_reason: 'expired' }), genericRow(2, { target_token: '', failure_reason: 'card_lost' })]),
    );
    expect(rows[0]?.providerFailure).toEqual({ reason: 'expired', detail: undefined });
    expect(rows[1]?.providerFailure).toEqual({ reason: 'provider_rejected', detail: "reported as 'card_lost'" });
  });

  it('refuses a header without the required columns before yielding any row', async () => {
    const error = await failureOf(genericCsvFormat, 'source_token,brand\ncard_1,visa\n');
    expect(error.message).toContain('source_customer_id');
    expect(error.row).toBeUndefined();
  });

  it('stops at broken quoting with the row number and csv-parse code, never the content', async () => {
    const text = `${genericCsv([genericRow(1)])}"cus_${testCardNumber},card_2\n`;
    const error = await failureOf(genericCsvFormat, text);
    expect(error.row).toBe(2);
    expect(error.message).toMatch(/CSV error CSV_/);
    expect(error.message).not.toContain(testCardNumber);
  });

  it('refuses an empty file', async () => {
    expect((await failureOf(genericCsvFormat, '')).message).toContain('empty');
  });
});

describe('Adyen output CSV', () => {
  const header = 'ShopperReference,EchoData,RecurringDetailReference,Result,ErrorMessage,Variant,CardSummary,ExpiryMonth,ExpiryYear,NetworkTxReference,Alias';

  it('reads tokens per shopper reference, with the source token from EchoData', async () => {
    const rows = await rowsOf(adyenCsvFormat, `${header}\nshopper-1,old_tok_1,8415,Success,,mc,4444,3,2031,MCC123,A1\n`);
    expect(rows[0]).toMatchObject({
      sourceCustomerReference: 'shopper-1',
      targetCustomerReference: 'shopper-1',
      sourceToken: 'old_tok_1',
      targetToken: '8415',
      brand: 'mc',
      last4: '4444',
      networkTransactionId: 'MCC123',
      fingerprint: 'A1',
      providerFailure: undefined,
    });
  });

  it('classifies refusals by their message', async () => {
    const rows = await rowsOf(
      adyenCsvFormat,
      [
        header,
        's1,t1,,Failed,Card expired,visa,1111,1,2020,,',
        's2,t2,,Failed,Variant not supported,visa,1111,1,2030,,',
        's3,t3,,Error,Unknown shopper,visa,1111,1,2030,,',
        's4,t4,,Failed,Invalid card number format,visa,1111,1,2030,,',
        's5,t5,,Failed,Refused,visa,1111,1,2030,,',
        's6,t6,,Failed,,visa,1111,1,2030,,',
        's7,t7,,Success,,visa,1111,1,2030,,',
        's8,t8,new8,,,visa,1111,1,2030,,',
        's9,t9,,,,visa,1111,1,2030,,',
      ].join('\n'),
    );
    expect(rows.map((row) => row.providerFailure?.reason)).toEqual([
      'expired',
      'brand_not_supported',
      'unknown_customer',
      'invalid_data',
      'provider_rejected',
      'provider_rejected',
      'provider_rejected',
      undefined,
      'provider_rejected',
    ]);
    expect(rows[5]?.providerFailure?.detail).toBe("result 'Failed'");
    expect(rows[6]?.providerFailure?.detail).toBe('reported imported without a token');
    expect(rows[8]?.providerFailure?.detail).toBe('no result');
  });

  it('accepts StoredPaymentMethodId, SourceShopperReference and the alternative names', async () => {
    const rows = await rowsOf(
      adyenCsvFormat,
      'ShopperReference,SourceShopperReference,EchoData,StoredPaymentMethodId,PaymentMethodVariant,LastFour,ExpiryMonth,ExpiryYear,Reason,Result\nnew-1,old-1,tok,spm_1,amex,0005,1,2031,,Success\n',
    );
    expect(rows[0]).toMatchObject({ sourceCustomerReference: 'old-1', targetCustomerReference: 'new-1', targetToken: 'spm_1', brand: 'amex', last4: '0005' });
  });

  it('requires the shopper, echo and token columns', async () => {
    expect((await failureOf(adyenCsvFormat, 'ShopperReference,Result\ns,Success\n')).message).toContain('EchoData');
  });
});

describe('Stripe JSON mapping', () => {
  const document = {
    customers: {
      old_cus_1: {
        id: 'cus_new_1',
        cards: {
          old_card_1: { id: 'pm_1', brand: 'Visa', last4: '4242', exp_month: 12, exp_year: 2030, fingerprint: 'fp1', network_transaction_id: 'nt1' },
          old_card_2: { id: 'card_2', brand: 'MasterCard', last4: '4444', exp_month: 1, exp_year: 2031 },
        },
      },
      'old "cus" \\ 2': { id: 'cus_new_2', payment_methods: { old_card_3: { error: { message: 'card_declined' }, brand: 'Visa', last4: '1111', exp_month: 1, exp_year: 2031 } } },
      old_cus_3: { error: 'customer not imported', cards: { old_card_4: { brand: 'Visa', last4: '1111', exp_month: 1, exp_year: 2031 } } },
      old_cus_4: { id: 'cus_new_4', cards: { old_card_5: { brand: 'Visa', last4: '1111', exp_month: 1, exp_year: 2031, metadata: { tags: ['a', { b: [1, 2] }] } } } },
      old_cus_5: { id: 'cus_new_5' },
      old_cus_6: { id: 'cus_new_6', cards: { old_card_6: 'pm_6' } },
      old_cus_7: { id: 'cus_new_7', cards: ['pm_7'] },
      old_cus_8: { id: 'cus_new_8', cards: { old_card_8: { id: 'pm_8', error: true, brand: 'Visa', last4: '1111', exp_month: 1, exp_year: 2031 } } },
    },
    meta: { generated: '2026-01-01', nested: { customers: { not: 'these' } }, list: [1, { a: '}' }] },
  };

  it('streams cards in file order, one customer entry at a time, whatever the chunk boundaries', async () => {
    for (const chunkSize of [3, 17, 4096]) {
      const rows = await rowsOf(stripeJsonFormat, JSON.stringify(document, null, chunkSize === 17 ? 2 : 0), chunkSize);
      expect(rows.map((row) => [row.row, row.sourceCustomerReference, row.sourceToken, row.targetToken, row.providerFailure?.reason ?? row.problem])).toEqual([
        [1, 'old_cus_1', 'old_card_1', 'pm_1', undefined],
        [2, 'old_cus_1', 'old_card_2', 'card_2', undefined],
        [3, 'old "cus" \\ 2', 'old_card_3', undefined, 'provider_rejected'],
        [4, 'old_cus_3', 'old_card_4', undefined, 'unknown_customer'],
        [5, 'old_cus_4', 'old_card_5', undefined, 'provider_rejected'],
        [6, 'old_cus_6', 'old_card_6', undefined, 'the card entry is not an object'],
        [7, 'old_cus_7', undefined, undefined, "the customer's 'cards' is not an object"],
        [8, 'old_cus_8', 'old_card_8', 'pm_8', 'provider_rejected'],
      ]);
      expect(rows[0]).toMatchObject({ brand: 'Visa', last4: '4242', expiryMonth: '12', expiryYear: '2030', fingerprint: 'fp1', networkTransactionId: 'nt1', targetCustomerReference: 'cus_new_1' });
      expect(rows[2]?.providerFailure?.detail).toBe('card_declined');
      expect(rows[4]?.fields['metadata.tags']).toBe('["a",{"b":[1,2]}]');
    }
  });

  it.each([
    ['a truncated file', '{"customers":{"a":{"id":"c","cards":{}}', 'ends early'],
    ['an empty file', '   ', 'empty'],
    ['a root that is not an object', '[1,2]', 'not one JSON object'],
    ['two roots', '{"customers":{}}{}', 'not one JSON object'],
    ['mismatched brackets', '{"customers":{"a":{"id":"c"]}}', 'do not match'],
    ['a scalar customer', '{"customers":{"a":1}}', 'is not an object'],
    ['a string customer', '{"customers":{"a":"cus_1"}}', 'is not an object'],
    ['an invalid member', '{"customers":{"a":{"id":tru}}}', 'not valid JSON'],
  ])('refuses %s with a format error', async (_name, text, message) => {
    expect((await failureOf(stripeJsonFormat, text, 5)).message).toContain(message);
  });

  it('refuses a customer entry larger than the bound instead of buffering it', async () => {
    const huge = `{"customers":{"a":{"id":"cus","pad":"${'x'.repeat(4 * 1024 * 1024 + 10)}"}}}`;
    expect((await failureOf(stripeJsonFormat, huge, 1024 * 1024)).message).toContain('longer than');
  });
});

describe('card brand names', () => {
  it.each([
    ['Visa', 'visa'],
    ['MasterCard', 'mastercard'],
    ['mc', 'mastercard'],
    ['American Express', 'amex'],
    ['cup', 'unionpay'],
    ['Diners Club', 'diners'],
    ['carte_bancaire', 'cartes_bancaires'],
    ['Zapp', 'unknown'],
    [undefined, 'unknown'],
  ])('%s is %s', (text, brand) => {
    expect(normalizeCardBrand(text)).toBe(brand);
  });
});
