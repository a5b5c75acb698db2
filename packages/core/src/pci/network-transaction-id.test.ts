import { describe, expect, test } from 'vitest';
import { isPrimaryAccountNumber } from './card-number.js';
import { blankNetworkTransactionIds, isNetworkTransactionIdKey, isNetworkTransactionIdValue } from './network-transaction-id.js';
import { findSensitiveData, findSensitiveDataInText, redactSensitiveData, redactSensitiveText } from './sensitive-data-scanner.js';

/** A Visa network transaction id: 15 digits that happen to pass the Luhn check in the Visa range. */
const visaNetworkTransactionId = '483920174658125';
/** An American Express one, Luhn-valid in the Amex range. */
const amexNetworkTransactionId = '371049382716452';
const visa = '4242424242424242';

describe('network transaction ids', () => {
  test('the sample ids look exactly like card numbers on their own', () => {
    expect(isPrimaryAccountNumber(visaNetworkTransactionId)).toBe(true);
    expect(isPrimaryAccountNumber(amexNetworkTransactionId)).toBe(true);
    expect(findSensitiveDataInText(`ref ${visaNetworkTransactionId}`).map((finding) => finding.kind)).toEqual(['primary-account-number']);
  });

  test.each([
    ['networkTransactionId', undefined, true],
    ['network_transaction_id', undefined, true],
    ['mitExemptionNetworkTransactionId', undefined, true],
    ['payment_method_options[card][mit_exemption][network_transaction_id]', undefined, true],
    ['networkTxReference', undefined, true],
    ['NetworkTxReference', undefined, true],
    ['id', 'network_transaction_reference', true],
    ['id', 'previousNetworkTransactionReference', true],
    ['id', 'payment', false],
    ['number', undefined, false],
    [undefined, undefined, false],
  ])('key %j under %j names a network transaction id: %s', (key, parentKey, expected) => {
    expect(isNetworkTransactionIdKey(key, parentKey)).toBe(expected);
  });

  test.each([
    [visaNetworkTransactionId, true],
    ['MCC0123ABC0101', true],
    ['ntid_1', false],
    [visa, false],
    ['4242 4242 4242 4242', false],
    ['', false],
  ])('value %j has the shape of a network transaction id: %s', (value, expected) => {
    expect(isNetworkTransactionIdValue(value)).toBe(expected);
  });

  test.each([
    // Journal records (payment, intent, saved payment method, token mapping) as JSON text.
    `{"paymentId":"pay_1","networkTransactionId":"${visaNetworkTransactionId}","state":"captured"}`,
    `{"request":{"networkTransactionId":"${amexNetworkTransactionId}","reason":"subscription"}}`,
    `{"networkTransactionId":${visaNetworkTransactionId}}`,
    // Webhook events of the providers.
    `{"payment_method_details":{"card":{"network_transaction_id":"${visaNetworkTransactionId}"}}}`,
    `{"additionalData":{"networkTxReference":"${visaNetworkTransactionId}"}}`,
    `{"network_transaction_reference":{"date":"0101","id":"${visaNetworkTransactionId}","network":"VISA"}}`,
    // Form fields, query strings and log text.
    `payment_method_options[card][mit_exemption][network_transaction_id]=${visaNetworkTransactionId}&amount=100`,
    `charging renewal with networkTxReference: ${visaNetworkTransactionId}`,
  ])('are not card numbers in %j', (text) => {
    expect(findSensitiveDataInText(text)).toEqual([]);
    expect(redactSensitiveText(text)).toBe(text);
  });

  test('are not card numbers in objects, lists, mapping-file columns and nested references', () => {
    const value = {
      networkTransactionId: visaNetworkTransactionId,
      numeric: { network_transaction_id: Number(visaNetworkTransactionId) },
      NetworkTxReference: amexNetworkTransactionId,
      networkTransactionIds: [visaNetworkTransactionId, amexNetworkTransactionId],
      card: { network_transaction_reference: { id: visaNetworkTransactionId } },
    };
    expect(findSensitiveData(value)).toEqual([]);
    expect(redactSensitiveData(value)).toEqual(value);
  });

  test('a card number under a network-transaction-id name is still found', () => {
    const findings = findSensitiveData({
      networkTransactionId: visa,
      network_transaction_id: '4242 4242 4242 4242',
      networkTxReference: `pan ${visa}`,
      other: { id: visaNetworkTransactionId },
    });
    expect(findings.map((finding) => finding.path)).toEqual(['$.networkTransactionId', '$.network_transaction_id', '$.networkTxReference', '$.other.id']);
    for (const text of [
      `{"networkTransactionId":"${visa}"}`,
      `network_transaction_id: 4242 4242 4242 4242`,
      `{"networkTransactionId":"${visaNetworkTransactionId}","note":"card ${visa}"}`,
      `{"network_transaction_reference":{"id":"${visa}"}}`,
    ]) {
      expect(findSensitiveDataInText(text).map((finding) => finding.kind)).toEqual(['primary-account-number']);
      expect(redactSensitiveText(text)).not.toContain(visa);
    }
    expect(redactSensitiveData({ networkTransactionId: Number(visa) })).toEqual({ networkTransactionId: '424242******4242' });
  });

  test('blanking keeps positions and leaves text without the names as it was', () => {
    const text = `{"networkTransactionId":"${visaNetworkTransactionId}"}`;
    expect(blankNetworkTransactionIds(text)).toBe(`{"networkTransactionId":"${'_'.repeat(15)}"}`);
    const plain = `card ${visa}`;
    expect(blankNetworkTransactionIds(plain)).toBe(plain);
  });
});
