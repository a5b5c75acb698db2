import { MappingFileFormatError } from '../token-errors.js';
import { JsonStreamError, streamObjectMembers } from './json-member-stream.js';
import { type MappingFileFormat, type MappingFileRow } from './mapping-file-row.js';

/** The longest customer entry accepted (characters): bounds memory per entry. */
const maximumCustomerEntryLength = 4 * 1024 * 1024;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON member as text: strings as they are, numbers written out, anything else absent. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Every scalar member of an object, as text, for the PCI scan (nested objects flattened with dots). */
function flatten(value: JsonObject, prefix = '', into: Record<string, string> = {}): Record<string, string> {
  for (const [name, member] of Object.entries(value)) {
    if (isObject(member)) flatten(member, `${prefix}${name}.`, into);
    else if (Array.isArray(member)) into[`${prefix}${name}`] = JSON.stringify(member);
    else if (member !== null && member !== undefined) into[`${prefix}${name}`] = String(member);
  }
  return into;
}

function errorText(value: unknown): string | undefined {
  if (isObject(value)) return text(value['message']) ?? text(value['code']) ?? 'error';
  return text(value) ?? (value === true ? 'error' : undefined);
}

/**
 * Stripe's post-import mapping file (JSON), modelled on Stripe's documented migration output: a
 * `customers` object keyed by the old customer id; each entry has the new `id` (`cus_…`) and a
 * `cards` (or `payment_methods`) object keyed by the old card id, each card with the new `id`
 * (`pm_…` or `card_…`), `brand`, `last4`, `exp_month`, `exp_year`, `fingerprint` and, when the
 * source sent it, `network_transaction_id`. An `error` on a card or a customer marks what Stripe
 * did not import.
 *
 * Streaming: the mapping is one JSON document, so it is read with a small incremental scanner
 * (`streamObjectMembers`) that materializes one customer entry at a time: memory is bounded by the
 * largest customer, not the file. Rows are numbered by card, in file order.
 */
export const stripeJsonFormat: MappingFileFormat = {
  name: 'stripe-json',
  async *rows(chunks) {
    let row = 0;
    try {
      for await (const member of streamObjectMembers(chunks, 'customers', maximumCustomerEntryLength)) {
        let entry: unknown;
        try {
          entry = JSON.parse(member.text);
        } catch {
          throw new MappingFileFormatError({ format: 'stripe-json', row: row + 1, problem: 'a customer entry is not valid JSON' });
        }
        const customer = entry as JsonObject;
        const customerError = errorText(customer['error']);
        const targetCustomer = text(customer['id']);
        const cards = isObject(customer['cards']) ? customer['cards'] : isObject(customer['payment_methods']) ? customer['payment_methods'] : undefined;
        if (cards === undefined) {
          if (customer['cards'] !== undefined || customer['payment_methods'] !== undefined) {
            row += 1;
            yield { row, fields: { old_customer_id: member.name, ...flatten(customer) }, sourceCustomerReference: member.name, problem: "the customer's 'cards' is not an object" };
          }
          continue;
        }
        for (const [oldCardId, cardValue] of Object.entries(cards)) {
          row += 1;
          if (!isObject(cardValue)) {
            yield { row, fields: { [oldCardId]: String(cardValue) }, sourceToken: oldCardId, sourceCustomerReference: member.name, problem: 'the card entry is not an object' };
            continue;
          }
          const cardError = errorText(cardValue['error']);
          const targetToken = text(cardValue['id']);
          let providerFailure: MappingFileRow['providerFailure'];
          if (customerError !== undefined || targetCustomer === undefined) {
            providerFailure = { reason: 'unknown_customer', detail: customerError ?? 'the customer was not imported' };
          } else if (cardError !== undefined) {
            providerFailure = { reason: 'provider_rejected', detail: cardError };
          } else if (targetToken === undefined) {
            providerFailure = { reason: 'provider_rejected', detail: 'no new id' };
          }
          yield {
            row,
            fields: { old_customer_id: member.name, old_card_id: oldCardId, ...flatten(cardValue) },
            sourceCustomerReference: member.name,
            sourceToken: oldCardId,
            targetCustomerReference: targetCustomer,
            targetToken,
            brand: text(cardValue['brand']),
            last4: text(cardValue['last4']),
            expiryMonth: text(cardValue['exp_month']),
            expiryYear: text(cardValue['exp_year']),
            fingerprint: text(cardValue['fingerprint']),
            networkTransactionId: text(cardValue['network_transaction_id']),
            providerFailure,
          };
        }
      }
    } catch (error) {
      if (error instanceof JsonStreamError) throw new MappingFileFormatError({ format: 'stripe-json', row: row + 1, problem: error.message });
      throw error;
    }
  },
};
