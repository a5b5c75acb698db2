import { describe, expect, it } from 'vitest';
import type { MappingFileRow } from './formats/mapping-file-row.js';
import { classifyMappingRow, type RowClassificationContext } from './mapping-row-classifier.js';
import { mappingRow } from './__fixtures__/token-fixtures.js';

const context: RowClassificationContext = {
  sourceProvider: 'braintree',
  targetProvider: 'stripe',
  now: Date.UTC(2026, 0, 1),
  supportedBrands: undefined,
  recollectExpired: true,
  customerIdOf: (row) => row.sourceCustomerReference,
};

function row(fields: Record<string, string>): MappingFileRow {
  return mappingRow({ fields });
}

describe('row classification: column names tested once', () => {
  it('still finds card data in the values of columns whose names were cleared by earlier rows', () => {
    const fields = { source_token: 'tok_1', note: 'nothing here' };
    expect(classifyMappingRow(row(fields), context)).toMatchObject({ kind: 'mapping' });
    expect(classifyMappingRow(row({ ...fields, note: 'card 4242 4242 4242 4242' }), context)).toMatchObject({ kind: 'rejected', reason: 'sensitive_data' });
  });

  it('finds a card number or a security-code label in a column name on every row, not only the first', () => {
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      expect(classifyMappingRow(row({ '4242424242424242': 'x' }), context)).toMatchObject({ kind: 'rejected', reason: 'sensitive_data' });
      expect(classifyMappingRow(row({ cvv: '123' }), context)).toMatchObject({ kind: 'rejected', reason: 'sensitive_data' });
    }
  });

  it('keeps classifying correctly once more distinct column names were seen than it remembers', () => {
    const many: Record<string, string> = {};
    for (let index = 0; index < 600; index += 1) many[`column_${String.fromCharCode(97 + (index % 26))}_${index.toString(36)}`] = 'plain';
    expect(classifyMappingRow(row(many), context)).toMatchObject({ kind: 'mapping' });
    expect(classifyMappingRow(row({ ...many, note: 'pan 4242424242424242' }), context)).toMatchObject({ kind: 'rejected', reason: 'sensitive_data' });
    expect(classifyMappingRow(row({ cvc: '1234' }), context)).toMatchObject({ kind: 'rejected', reason: 'sensitive_data' });
  });
});
