import { tokenFailureReasons, type TokenFailureReason } from '../../ports/token-exchange/v1/token-exchange.js';
import { type CsvRecord, readCsvRecords } from './csv-records.js';
import { type MappingFileFormat, type MappingFileRow, optionalField } from './mapping-file-row.js';

/** The columns of paymigrate's generic mapping CSV (docs/token-mapping-csv.md), in their documented order. */
export const genericCsvColumns = [
  'source_customer_id',
  'source_token',
  'target_customer_id',
  'target_token',
  'brand',
  'last4',
  'exp_month',
  'exp_year',
  'fingerprint',
  'network_transaction_id',
] as const;

/** Optional columns: a failed row's reason (one of `tokenFailureReasons`) and detail. */
export const genericCsvOptionalColumns = ['failure_reason', 'failure_detail'] as const;

const requiredColumns = [['source_customer_id'], ['source_token'], ['target_customer_id'], ['target_token'], ['brand'], ['last4'], ['exp_month'], ['exp_year']] as const;

function failureOf(fields: Readonly<Record<string, string>>): MappingFileRow['providerFailure'] {
  const reason = optionalField(fields['failure_reason']);
  if (reason === undefined) return undefined;
  const known = (tokenFailureReasons as readonly string[]).includes(reason) ? (reason as TokenFailureReason) : 'provider_rejected';
  return { reason: known, detail: optionalField(fields['failure_detail']) ?? (known === reason ? undefined : `reported as '${reason}'`) };
}

/** A generic-CSV record as a mapping file row. */
function rowOf(record: CsvRecord): MappingFileRow {
  const { fields } = record;
  return {
    row: record.row,
    fields,
    problem: record.problem,
    sourceCustomerReference: optionalField(fields['source_customer_id']),
    sourceToken: optionalField(fields['source_token']),
    targetCustomerReference: optionalField(fields['target_customer_id']),
    targetToken: optionalField(fields['target_token']),
    brand: optionalField(fields['brand']),
    last4: optionalField(fields['last4']),
    expiryMonth: optionalField(fields['exp_month']),
    expiryYear: optionalField(fields['exp_year']),
    fingerprint: optionalField(fields['fingerprint']),
    networkTransactionId: optionalField(fields['network_transaction_id']),
    providerFailure: failureOf(fields),
  };
}

/**
 * paymigrate's generic mapping CSV: RFC 4180, UTF-8, header row, the columns of
 * `genericCsvColumns` (fingerprint and network_transaction_id may be empty). A row with an empty
 * `target_token` is a payment method the new provider did not import (`failure_reason` says why;
 * `provider_rejected` when it does not).
 */
export const genericCsvFormat: MappingFileFormat = {
  name: 'generic-csv',
  rows(text) {
    return readCsvRecords('generic-csv', text, requiredColumns, rowOf);
  },
};
