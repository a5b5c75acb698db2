import type { SupportedProvider } from '../../config/config-schema.js';
import { mappingFileFormatOf } from '../../runtime/mapping-file-formats.js';
import type { CardImportRow, MappingFileExport } from './world-protocol.js';

/** A CSV field, quoted when it must be (RFC 4180). */
function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV text from a header and rows. */
function csv(header: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** Adyen's variant names. */
const adyenVariants: Readonly<Record<string, string>> = { visa: 'visa', mastercard: 'mc', amex: 'amex' };

/** Stripe's post-import mapping JSON: customers keyed by old id, each with its new id and cards keyed by old card id. */
function stripeJson(rows: readonly CardImportRow[]): string {
  const customers: Record<string, { id?: string; cards: Record<string, unknown> }> = {};
  for (const row of rows) {
    const customer = (customers[row.sourceCustomerReference] ??= { cards: {} });
    if (row.status === 'rejected') {
      customer.cards[row.sourceToken] = { error: { code: row.reason, message: row.reason === 'not_found_at_source' ? 'the card was not in the export' : 'card brand not supported' } };
      continue;
    }
    customer.id = row.target.customerReference;
    customer.cards[row.sourceToken] = {
      id: row.target.token,
      brand: row.target.card.brand,
      last4: row.target.card.last4,
      exp_month: row.target.card.expiryMonth,
      exp_year: row.target.card.expiryYear,
      fingerprint: row.target.card.fingerprint,
      network_transaction_id: row.target.networkTransactionId,
    };
  }
  return `${JSON.stringify({ object: 'migration_mapping', customers }, null, 2)}\n`;
}

/** Adyen's output file of a stored-details import. */
function adyenCsv(rows: readonly CardImportRow[]): string {
  const header = ['ShopperReference', 'EchoData', 'StoredPaymentMethodId', 'Result', 'ErrorMessage', 'Variant', 'CardSummary', 'ExpiryMonth', 'ExpiryYear', 'NetworkTxReference', 'Alias', 'SourceShopperReference'];
  return csv(
    header,
    rows.map((row) =>
      row.status === 'rejected'
        ? [row.customerId, row.sourceToken, undefined, 'Refused', row.reason === 'brand_not_supported' ? 'Variant not supported' : 'Unknown shopper details', undefined, undefined, undefined, undefined, undefined, undefined, row.sourceCustomerReference]
        : [
            row.target.customerReference,
            row.sourceToken,
            row.target.token,
            'Success',
            undefined,
            adyenVariants[row.target.card.brand] ?? row.target.card.brand,
            row.target.card.last4,
            String(row.target.card.expiryMonth).padStart(2, '0'),
            row.target.card.expiryYear,
            row.target.networkTransactionId,
            row.target.card.fingerprint,
            row.sourceCustomerReference,
          ],
    ),
  );
}

/** paymigrate's generic mapping CSV. */
function genericCsv(rows: readonly CardImportRow[]): string {
  const header = ['source_customer_id', 'source_token', 'target_customer_id', 'target_token', 'brand', 'last4', 'exp_month', 'exp_year', 'fingerprint', 'network_transaction_id', 'failure_reason', 'failure_detail'];
  return csv(
    header,
    rows.map((row) =>
      row.status === 'rejected'
        ? [row.sourceCustomerReference, row.sourceToken, undefined, undefined, 'unknown', '0000', 1, 2000, undefined, undefined, row.reason, undefined]
        : [
            row.sourceCustomerReference,
            row.sourceToken,
            row.target.customerReference,
            row.target.token,
            row.target.card.brand,
            row.target.card.last4,
            row.target.card.expiryMonth,
            row.target.card.expiryYear,
            row.target.card.fingerprint,
            row.target.networkTransactionId,
            undefined,
            undefined,
          ],
    ),
  );
}

/** Writes the import results as the target provider produces them (plain text, before sealing). */
export function writeMappingFile(target: SupportedProvider, rows: readonly CardImportRow[]): Omit<MappingFileExport, 'signerPublicKey'> {
  const format = mappingFileFormatOf[target];
  const text = format === 'stripe-json' ? stripeJson(rows) : format === 'adyen-csv' ? adyenCsv(rows) : genericCsv(rows);
  return { format, text, rows: rows.length };
}
