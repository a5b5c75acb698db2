import { type CsvRecord, readCsvRecords } from './csv-records.js';
import { type MappingFileFormat, type MappingFileRow, optionalField } from './mapping-file-row.js';

/** `Result` values of Adyen's import output file that mean the contract was imported. */
const successResults = new Set(['success', 'succeeded', 'imported', 'ok', 'authorised']);

function pick(fields: Readonly<Record<string, string>>, ...columns: readonly string[]): string | undefined {
  for (const column of columns) {
    const value = optionalField(fields[column]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Adyen refusal texts of the import output file, mapped to token failure reasons. */
function failureOf(result: string | undefined, message: string | undefined, hasToken: boolean): MappingFileRow['providerFailure'] {
  if (result !== undefined && successResults.has(result.toLowerCase())) return hasToken ? undefined : { reason: 'provider_rejected', detail: 'reported imported without a token' };
  if (result === undefined && hasToken) return undefined;
  const text = (message ?? '').toLowerCase();
  if (text.includes('expir')) return { reason: 'expired', detail: message };
  if (text.includes('not supported') || text.includes('unsupported') || text.includes('variant')) return { reason: 'brand_not_supported', detail: message };
  if (text.includes('shopper') || text.includes('customer')) return { reason: 'unknown_customer', detail: message };
  if (text.includes('invalid') || text.includes('format')) return { reason: 'invalid_data', detail: message };
  return { reason: 'provider_rejected', detail: message ?? (result === undefined ? 'no result' : `result '${result}'`) };
}

/** An Adyen output record as a mapping file row. */
function rowOf(record: CsvRecord): MappingFileRow {
  const { fields } = record;
  const shopperReference = pick(fields, 'ShopperReference');
  const targetToken = pick(fields, 'RecurringDetailReference', 'StoredPaymentMethodId');
  return {
    row: record.row,
    fields,
    problem: record.problem,
    sourceCustomerReference: pick(fields, 'SourceShopperReference') ?? shopperReference,
    sourceToken: pick(fields, 'EchoData'),
    targetCustomerReference: shopperReference,
    targetToken,
    brand: pick(fields, 'Variant', 'PaymentMethodVariant'),
    last4: pick(fields, 'CardSummary', 'LastFour'),
    expiryMonth: pick(fields, 'ExpiryMonth'),
    expiryYear: pick(fields, 'ExpiryYear'),
    fingerprint: pick(fields, 'Alias'),
    networkTransactionId: pick(fields, 'NetworkTxReference'),
    providerFailure: failureOf(pick(fields, 'Result'), pick(fields, 'ErrorMessage', 'Reason'), targetToken !== undefined),
  };
}

/**
 * Adyen's output file of an "import payment details for recurring payments" job, as paymigrate
 * reads it (RFC 4180 CSV, header, case-sensitive names; see docs/token-mapping-csv.md):
 * `ShopperReference` (tokens are per shopper reference at Adyen: the target customer),
 * `EchoData` (echoed from the input file: the source provider's token), `RecurringDetailReference`
 * or `StoredPaymentMethodId` (the new token), `Result` and `ErrorMessage`/`Reason`,
 * `Variant` (brand), `CardSummary` (last four), `ExpiryMonth`, `ExpiryYear`, `NetworkTxReference`,
 * `Alias` (Adyen's card alias: the fingerprint), and optionally `SourceShopperReference` when the
 * shopper had another reference at the source provider.
 */
export const adyenCsvFormat: MappingFileFormat = {
  name: 'adyen-csv',
  rows(text) {
    return readCsvRecords('adyen-csv', text, [['ShopperReference'], ['EchoData'], ['RecurringDetailReference', 'StoredPaymentMethodId']], rowOf);
  },
};
