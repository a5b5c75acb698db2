import { InMemoryJournal, InMemoryKeyProvider, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { decodeDigitFree, encodeDigitFree } from './digit-free-base64.js';
import { decodeMapping, encodeMapping } from './token-mapping-codec.js';
import { TokenVaultError } from './token-errors.js';
import type { TokenMapping } from './token-mapping.js';
import { TokenVault, tokenVaultCollection, tokenVaultKeysCollection } from './token-vault.js';
import { vaultAuditCollection, type VaultAuditEntry } from './vault-audit.js';

const access = { actor: 'tester', purpose: 'unit-test' };

function mapping(token: string, overrides: Partial<TokenMapping> = {}): TokenMapping {
  return {
    customerId: 'customer-1',
    source: { provider: 'braintree', token, customerReference: 'bt_cus_1' },
    target: { provider: 'stripe', token: `pm_${token}`, customerReference: 'cus_1' },
    card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2030, fingerprint: 'fp_1' },
    networkTransactionId: 'ntid_1',
    status: 'mapped',
    origin: 'file',
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

async function setup(): Promise<{ journal: InMemoryJournal; keys: InMemoryKeyProvider; clock: ManualClock; vault: TokenVault }> {
  const clock = new ManualClock();
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const keys = new InMemoryKeyProvider();
  const vault = await TokenVault.open({ journal, keyProvider: keys, clock, origin: 'host-a#1' });
  return { journal, keys, clock, vault };
}

async function audits(journal: JournalV1): Promise<VaultAuditEntry[]> {
  return (await journal.list(vaultAuditCollection, { limit: 1000 })).map((record) => JSON.parse(record.value) as VaultAuditEntry);
}

describe('TokenVault', () => {
  it('stores mappings encrypted, found by a keyed hash of the source token, and audits every read', async () => {
    const { journal, vault, clock } = await setup();
    await journal.write({ puts: [vault.seal(mapping('card_secret_1'), 0), vault.seal(mapping('card_secret_2', { customerId: 'customer-2' }), 0)] });
    const raw = await journal.list(tokenVaultCollection, { limit: 10 });
    expect(raw).toHaveLength(2);
    for (const record of raw) {
      expect(record.key).toMatch(/^tv_[A-Za-z!#$()*,.:;+/]{43}$/);
      expect(record.index).toMatch(/^cu_/);
      expect(record.value).not.toContain('card_secret');
      expect(record.value).not.toContain('4242');
      expect(record.value).not.toMatch(/[0-9]{2}/);
    }
    expect(vault.keyOf('braintree', 'card_secret_1')).not.toBe(vault.keyOf('stripe', 'card_secret_1'));
    await clock.advance(1000);
    const stored = await vault.read('braintree', 'card_secret_1', access);
    expect(stored?.mapping).toEqual(mapping('card_secret_1'));
    expect(await vault.read('braintree', 'card_unknown', access)).toBeUndefined();
    expect((await vault.readCustomer('customer-1', access)).map((entry) => entry.mapping.source.token)).toEqual(['card_secret_1']);
    expect(await vault.readCustomer('nobody', access)).toEqual([]);
    expect((await vault.peek([vault.keyOf('braintree', 'card_secret_2'), 'tv_missing'])).size).toBe(1);
    expect((await vault.peek([])).size).toBe(0);
    const entries = await audits(journal);
    expect(entries.map((entry) => [entry.action, entry.result, entry.count])).toEqual([
      ['read', 'found', undefined],
      ['read', 'not_found', undefined],
      ['list-customer', 'found', 1],
      ['read', 'found', undefined],
      ['list-customer', 'not_found', 0],
    ]);
    expect(entries[0]).toMatchObject({ actor: 'tester', purpose: 'unit-test', origin: 'host-a#1', at: clock.now(), resource: vault.keyOf('braintree', 'card_secret_1') });
  });

  it('refuses a record that was tampered with or moved to another key (AAD = the mapping key)', async () => {
    const { journal, vault } = await setup();
    const put = vault.seal(mapping('card_a'), 0);
    await journal.write({ puts: [put] });
    const moved = vault.keyOf('braintree', 'card_b');
    const envelope = JSON.parse(put.value) as { ct: string; iv: string };
    const flipped = { ...envelope, ct: `${envelope.ct.slice(0, 10)}${envelope.ct[10] === 'A' ? 'B' : 'A'}${envelope.ct.slice(11)}` };
    await journal.write({
      puts: [
        { collection: tokenVaultCollection, key: moved, value: put.value, expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_flipped', value: JSON.stringify({ ...flipped, v: 1 }), expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_bad_json', value: 'nope', expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_bad_iv', value: JSON.stringify({ ...envelope, v: 1, iv: 'AAAA' }), expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_not_b64', value: JSON.stringify({ ...envelope, v: 1, ct: '%%%' }), expectedVersion: 0 },
        { collection: tokenVaultCollection, key: 'tv_version', value: JSON.stringify({ ...envelope, v: 2 }), expectedVersion: 0 },
      ],
    });
    for (const key of [moved, 'tv_flipped', 'tv_bad_json', 'tv_bad_iv', 'tv_not_b64', 'tv_version']) {
      const error = await vault.readByKey(key, access).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(TokenVaultError.isInstance(error) && error.problem).toBe('record-unreadable');
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect((await audits(journal)).filter((entry) => entry.result === 'error')).toHaveLength(6);
  });

  it('rotates the key-encrypting key by re-wrapping the data key: old data stays readable, new wraps use the new key', async () => {
    const { journal, keys, vault, clock } = await setup();
    await journal.write({ puts: [vault.seal(mapping('card_old'), 0)] });
    const firstKey = await keys.activeKeyId();
    expect(await vault.wrappingKeyId()).toBe(firstKey);
    const secondKey = keys.rotate();
    const rotation = await vault.rotateKeyEncryptionKey(access);
    expect(rotation).toEqual({ previousKeyId: firstKey, keyId: secondKey, rewrapped: true });
    expect(await vault.wrappingKeyId()).toBe(secondKey);
    const record = await journal.get(tokenVaultKeysCollection, 'primary');
    expect(JSON.parse(record?.value ?? '{}')).toMatchObject({ wrapped: { keyId: secondKey }, rewrappedAt: clock.now() });
    // The old key can go: a fresh process opens the vault with the new wrap and reads old data.
    keys.retire(firstKey);
    const reopened = await TokenVault.open({ journal, keyProvider: keys, clock });
    expect((await reopened.read('braintree', 'card_old', access))?.mapping.target?.token).toBe('pm_card_old');
    await journal.write({ puts: [reopened.seal(mapping('card_new'), 0)] });
    expect((await vault.read('braintree', 'card_new', access))?.mapping.source.token).toBe('card_new');
    expect(await vault.rotateKeyEncryptionKey(access)).toEqual({ previousKeyId: secondKey, keyId: secondKey, rewrapped: false });
    expect((await audits(journal)).filter((entry) => entry.action === 'rotate-key').map((entry) => entry.result)).toEqual(['rotated', 'unchanged']);
  });

  it('refuses to open when the data key cannot be unwrapped', async () => {
    const { journal, keys, clock } = await setup();
    const oldKey = await keys.activeKeyId();
    keys.rotate();
    keys.retire(oldKey);
    const error = await TokenVault.open({ journal, keyProvider: keys, clock }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(TokenVaultError.isInstance(error) && error.problem).toBe('key-missing');
    expect((error as Error).message).not.toMatch(/[A-Za-z0-9+/]{40,}/);
  });

  it('agrees on one data key when two processes open a new vault at once', async () => {
    const clock = new ManualClock();
    const journal = new InMemoryJournal({ clock });
    await journal.open();
    const keys = new InMemoryKeyProvider();
    const [first, second] = await Promise.all([TokenVault.open({ journal, keyProvider: keys }), TokenVault.open({ journal, keyProvider: keys })]);
    await journal.write({ puts: [first.seal(mapping('card_shared'), 0)] });
    expect((await second.read('braintree', 'card_shared', access))?.mapping.source.token).toBe('card_shared');
  });

  it('does not answer a read whose audit entry cannot be written', async () => {
    const { journal, vault } = await setup();
    await journal.write({ puts: [vault.seal(mapping('card_a'), 0)] });
    const failing = new Proxy(journal, {
      get(target, property, receiver) {
        if (property === 'write') return async () => Promise.reject(new Error('disk full'));
        const member = Reflect.get(target, property, receiver) as unknown;
        return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
      },
    });
    const blind = await TokenVault.open({ journal: failing, keyProvider: (vault as unknown as { keyProvider?: never }).keyProvider ?? new InMemoryKeyProvider() }).catch(() => undefined);
    expect(blind).toBeUndefined();
    const keys = new InMemoryKeyProvider();
    const fresh = new InMemoryJournal();
    await fresh.open();
    const vaultOnFresh = await TokenVault.open({ journal: fresh, keyProvider: keys });
    await fresh.write({ puts: [vaultOnFresh.seal(mapping('card_b'), 0)] });
    const reader = await TokenVault.open({
      journal: new Proxy(fresh, {
        get(target, property, receiver) {
          if (property === 'write') return async () => Promise.reject(new Error('disk full'));
          const member = Reflect.get(target, property, receiver) as unknown;
          return typeof member === 'function' ? (member as (...parameters: unknown[]) => unknown).bind(target) : member;
        },
      }),
      keyProvider: keys,
    });
    const error = await reader.read('braintree', 'card_b', access).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(TokenVaultError.isInstance(error) && error.problem).toBe('audit-failed');
  });
});

describe('digit-free base64', () => {
  it('round-trips bytes without a single digit', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    const encoded = encodeDigitFree(bytes);
    expect(encoded).not.toMatch(/[0-9]/);
    expect(decodeDigitFree(encoded)).toEqual(bytes);
    expect(decodeDigitFree('abc1')).toBeUndefined();
    expect(decodeDigitFree('a')).toBeUndefined();
  });
});

describe('mapping codec', () => {
  it('round-trips every member, leaving absent ones absent', () => {
    const full = mapping('card_full', {
      card: { brand: 'amex', last4: '0005', expiryMonth: 1, expiryYear: 2031, fingerprint: 'fp', funding: 'debit', issuingCountry: 'DE' },
      status: 'recollect',
      target: undefined,
      failureReason: 'verification_failed',
      failureDetail: 'declined',
      importId: 'imp',
      row: 7,
      verification: { status: 'failed', declineReason: 'do_not_honor', verifiedAt: 5 },
    });
    const { target: _target, ...withoutTarget } = full;
    expect(decodeMapping(encodeMapping(full))).toEqual(withoutTarget);
    const minimal = mapping('card_min', { networkTransactionId: undefined, card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2031 }, verification: { status: 'verified', verifiedAt: 1 } });
    const decoded = decodeMapping(encodeMapping(minimal)) as Record<string, unknown>;
    expect(decoded).toEqual(JSON.parse(JSON.stringify(minimal)));
    expect('networkTransactionId' in decoded).toBe(false);
    expect(decodeMapping('{"legacy":true}')).toEqual({ legacy: true });
  });
});
