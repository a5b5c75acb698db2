import { createCipheriv, createHmac, hkdfSync } from 'node:crypto';
import { InMemoryJournal, InMemoryKeyProvider, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { decodeDigitFree, encodeDigitFree } from './digit-free-base64.js';
import type { TokenMapping } from './token-mapping.js';
import { encodeMapping } from './token-mapping-codec.js';
import { TokenVault, tokenVaultCollection, tokenVaultKeysCollection } from './token-vault.js';

/** The keyed hashes as the vault has always computed them: HMAC-SHA256 under an HKDF-derived key. */
function keyedHash(dataKey: Buffer, purpose: string, prefix: string, text: string): string {
  const indexKey = Buffer.from(hkdfSync('sha256', dataKey, Buffer.from('paymigrate/token-vault/v1', 'utf8'), purpose, 32));
  return `${prefix}${encodeDigitFree(createHmac('sha256', indexKey).update(text, 'utf8').digest()).slice(0, 43)}`;
}

function mapping(token: string, customerId: string, importId: string | undefined, row: number | undefined): TokenMapping {
  return {
    customerId,
    source: { provider: 'braintree', token, customerReference: 'bt_cus_1' },
    target: { provider: 'stripe', token: `pm_${token}`, customerReference: 'cus_1' },
    card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2030 },
    status: 'mapped',
    origin: 'file',
    importId,
    row,
    createdAt: 1,
    updatedAt: 2,
  };
}

describe('TokenVault compatibility with vaults written before the one-buffer encodings', () => {
  it('derives the same mapping keys and customer indexes, and seals to the same envelope text for the same IV', async () => {
    const clock = new ManualClock();
    const journal = new InMemoryJournal({ clock });
    await journal.open();
    const keys = new InMemoryKeyProvider();
    const vault = await TokenVault.open({ journal, keyProvider: keys, clock });
    const keyRecord = await journal.get(tokenVaultKeysCollection, 'primary');
    const dataKey = Buffer.from(await keys.unwrapKey((JSON.parse(keyRecord?.value as string) as { wrapped: { keyId: string; wrappedKey: string } }).wrapped));

    const cases = [
      mapping('card_1', 'customer-ü', 'imp_a', 1),
      mapping('card_2', 'customer-2', 'imp_ümlaut"', 2),
      mapping('card_3', 'customer-2', undefined, undefined),
      // More than one IV pool's worth, so the pool refills and its views are reused.
      ...Array.from({ length: 600 }, (_, index) => mapping(`card_many_${index}`, `customer-${index >> 1}`, 'imp_b', index + 1)),
    ];
    const seenInitializationVectors = new Set<string>();
    for (const entry of cases) {
      const key = vault.keyOf('braintree', entry.source.token);
      expect(key).toBe(keyedHash(dataKey, 'source-token-index', 'tv_', `braintree\u0000${entry.source.token}`));
      expect(vault.customerIndexOf(entry.customerId)).toBe(keyedHash(dataKey, 'customer-index', 'cu_', entry.customerId));
      const put = vault.seal(entry, 0);
      expect(put).toMatchObject({ collection: tokenVaultCollection, key, index: keyedHash(dataKey, 'customer-index', 'cu_', entry.customerId), expectedVersion: 0 });
      const envelope = JSON.parse(put.value) as { iv: string };
      const iv = decodeDigitFree(envelope.iv) as Buffer;
      expect(seenInitializationVectors.has(envelope.iv)).toBe(false);
      seenInitializationVectors.add(envelope.iv);
      // The envelope as `seal` built it before: concatenated ciphertext, encoded strings, the JSON text of the envelope object.
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: 16 });
      cipher.setAAD(Buffer.from(key, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(encodeMapping(entry), 'utf8'), cipher.final(), cipher.getAuthTag()]);
      expect(put.value).toBe(JSON.stringify({ v: 1, iv: encodeDigitFree(iv), ct: encodeDigitFree(ciphertext), im: entry.importId, rw: entry.row }));
    }
    await journal.write({ puts: cases.slice(0, 3).map((entry) => vault.seal(entry, 0)) });
    const stored = await vault.read('braintree', 'card_2', { actor: 'tester', purpose: 'unit-test' });
    expect(stored?.mapping).toEqual(cases[1]);
  });
});
