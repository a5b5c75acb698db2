/**
 * Network transaction ids (scheme references) are not card numbers.
 *
 * Card networks identify a cardholder-initiated transaction with an id the merchant must send back
 * on every merchant-initiated renewal (DOMAIN.md). Visa's, American Express's and Discover's are
 * 15 random digits, so about one in thirty passes the Luhn check inside a brand's issuer range and
 * looks exactly like a card number; Mastercard's trace ids mix letters and digits. paymigrate
 * stores them under these names (payment-method records, token mappings, journal records, webhook
 * events and mapping files):
 *
 * - `networkTransactionId` / `network_transaction_id` and names that contain it
 *   (`mitExemptionNetworkTransactionId`, `payment_method_options[card][mit_exemption][network_transaction_id]`);
 * - Adyen's `networkTxReference` (`additionalData.networkTxReference`, the `NetworkTxReference` CSV column);
 * - PayPal's `network_transaction_reference.id` / `previous_network_transaction_reference.id`
 *   (and their camel-cased forms).
 *
 * Only a plain id is exempt: up to 15 digits, or up to 64 letters and digits with at least one
 * letter. Anything else under such a name (16 or more digits, digits with spaces or dashes, free
 * text) is scanned like any other value, so a card number put in the wrong field is still found.
 */

/** Names (object keys, CSV columns, text labels) whose value is a network transaction id. */
const networkTransactionIdNamePattern = /network_?transaction_?id|network_?tx_?reference/i;

/** Names of an object whose `id` member is a network transaction id (PayPal). */
const networkTransactionReferenceNamePattern = /network_?transaction_?reference$/i;

/** What a network transaction id looks like: up to 15 digits, or letters and digits with a letter. */
const networkTransactionIdValuePattern = /^(?:[0-9]{1,15}|(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,64})$/;

/**
 * A network transaction id written next to its name in text: JSON (`"networkTransactionId":"…"`,
 * also as a JSON number), query strings and form fields (`network_transaction_id=…`) and log text
 * (`networkTxReference: …`). The value must end the token: it is not followed by a letter, a digit,
 * or a space or dash and a digit, so `network_transaction_id: 4242 4242 4242 4242` is not exempt.
 */
const networkTransactionIdInTextPattern =
  /(network_?transaction_?id|network_?tx_?reference)([A-Za-z_]*"?\]?\s*[:=]\s*"?)([A-Za-z0-9]{1,64})(?![A-Za-z0-9]|[ -][0-9])/gi;

/** PayPal's `"network_transaction_reference":{"id":"…"` in JSON text (the `id` may follow other members). */
const networkTransactionReferenceInTextPattern =
  /(network_?transaction_?reference"\s*:\s*\{[^{}]*?"id"\s*:\s*")([A-Za-z0-9]{1,64})(?=")/gi;

/**
 * True when a value under the object key `key` (whose parent object sits under `parentKey`) is a
 * network transaction id by its name: see the file comment for the names.
 */
export function isNetworkTransactionIdKey(key: string | undefined, parentKey: string | undefined): boolean {
  if (key === undefined) return false;
  if (networkTransactionIdNamePattern.test(key)) return true;
  return key === 'id' && parentKey !== undefined && networkTransactionReferenceNamePattern.test(parentKey);
}

/** True when `value` has the shape of a network transaction id (up to 15 digits, or letters and digits with a letter). */
export function isNetworkTransactionIdValue(value: string): boolean {
  return networkTransactionIdValuePattern.test(value);
}

/** Quick test: can the text name a network transaction id at all? */
const mentionsNetworkTransactionIdPattern = /network_?t/i;

/**
 * The text with every network transaction id written next to its name replaced by `_` characters
 * of the same length, so positions of everything else stay valid. Text that names none is
 * returned unchanged (same string).
 */
export function blankNetworkTransactionIds(text: string): string {
  if (!mentionsNetworkTransactionIdPattern.test(text)) return text;
  return text
    .replace(networkTransactionIdInTextPattern, (match, name: string, separator: string, value: string) =>
      isNetworkTransactionIdValue(value) ? `${name}${separator}${'_'.repeat(value.length)}` : match,
    )
    .replace(networkTransactionReferenceInTextPattern, (match, prefix: string, value: string) =>
      isNetworkTransactionIdValue(value) ? `${prefix}${'_'.repeat(value.length)}` : match,
    );
}
