import { describe, expect, it } from 'vitest';
import { isPrimaryAccountNumber } from '../pci/card-number.js';
import { findSensitiveDataInText } from '../pci/sensitive-data-scanner.js';
import { bytesOf, createTokenTestBed, encryptFile, generatePgpParties, genericCsv, genericRow, testCardNumber } from './__fixtures__/token-fixtures.js';
import { openPgpMappingFile, openPlainMappingFile } from './mapping-file-source.js';
import { tokenVaultCollection } from './token-vault.js';

/** Visa and American Express network transaction ids: 15 digits, Luhn-valid inside their brand's range. */
const visaNetworkTransactionId = '483920174658125';
const amexNetworkTransactionId = '371049382716452';

describe('network transaction ids through the token engine', () => {
  it('carries a Luhn-valid 15-digit network transaction id from a PGP mapping file into the vault and back out by the locator', async () => {
    expect(isPrimaryAccountNumber(visaNetworkTransactionId)).toBe(true);
    const parties = await generatePgpParties();
    const csv = genericCsv([
      genericRow(1, { brand: 'Visa', network_transaction_id: visaNetworkTransactionId }),
      genericRow(2, { brand: 'American Express', network_transaction_id: amexNetworkTransactionId }),
      // A card number in the network-transaction-id column is still card data: the row is dropped.
      genericRow(3, { network_transaction_id: testCardNumber }),
    ]);
    const bed = await createTokenTestBed();
    const file = await openPgpMappingFile(bytesOf(await encryptFile(csv, parties.receiver.publicKey, parties.sender.privateKey)), {
      decryptionKey: parties.receiver.privateKey,
      verificationKeys: [parties.sender.publicKey],
    });
    const report = await bed.engine.importMappingFile({ file, format: 'generic-csv' });
    expect(report).toMatchObject({ status: 'completed', rows: 3, mapped: 2, recollect: 0, rejected: 1 });
    expect((await bed.engine.listRejections(report.importId)).map((rejection) => [rejection.row, rejection.reason])).toEqual([[3, 'sensitive_data']]);

    // Renewals on the new provider and on the old one both get the id back.
    expect(await bed.engine.locator(() => 'stripe').locate('cus_old_1')).toEqual({
      provider: 'stripe',
      token: 'pm_new_1',
      customerReference: 'cus_new_1',
      networkTransactionId: visaNetworkTransactionId,
    });
    expect(await bed.engine.locator(() => 'braintree').locate('cus_old_2')).toMatchObject({ provider: 'braintree', token: 'card_old_2', networkTransactionId: amexNetworkTransactionId });

    // At rest the id is encrypted: no vault record shows it, nor any card number.
    for (const record of await bed.journal.list(tokenVaultCollection, { limit: 10 })) {
      expect(`${record.key} ${record.index ?? ''} ${record.value}`).not.toContain(visaNetworkTransactionId);
      expect(findSensitiveDataInText(record.value)).toEqual([]);
    }
    expect((await bed.engine.checkImport({ file, format: 'generic-csv' })).ok).toBe(true);
  });

  it('keeps the id from Adyen CSV and Stripe JSON mapping files too', async () => {
    const adyen = [
      'ShopperReference,EchoData,RecurringDetailReference,Result,Variant,CardSummary,ExpiryMonth,ExpiryYear,NetworkTxReference',
      `cus_a,card_a,pm_a,Success,visa,4242,12,2030,${visaNetworkTransactionId}`,
    ].join('\n');
    const stripe = JSON.stringify({
      customers: {
        cus_s: { id: 'cus_s_new', cards: { card_s: { id: 'pm_s', brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, network_transaction_id: visaNetworkTransactionId } } },
      },
    });
    for (const [format, text, customer] of [
      ['adyen-csv', adyen, 'cus_a'],
      ['stripe-json', stripe, 'cus_s'],
    ] as const) {
      const bed = await createTokenTestBed();
      const report = await bed.engine.importMappingFile({ file: await openPlainMappingFile(bytesOf(text)), format });
      expect(report).toMatchObject({ rows: 1, mapped: 1, rejected: 0 });
      expect(await bed.engine.locator(() => 'stripe').locate(customer)).toMatchObject({ provider: 'stripe', networkTransactionId: visaNetworkTransactionId });
    }
  });
});
