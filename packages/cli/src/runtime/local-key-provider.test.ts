import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../cli-errors.js';
import { createConfiguredKeyProvider } from './create-key-provider.js';
import { createLocalKeyProvider, LocalKeyError, localKeyFromFile, localKeyFromText } from './local-key-provider.js';

const directory = mkdtempSync(join(tmpdir(), 'paymigrate-keys-'));

describe('createLocalKeyProvider', () => {
  it('wraps and unwraps data keys, and refuses another key, a tampered wrap or a bad size', async () => {
    const keys = createLocalKeyProvider(randomBytes(32));
    const dataKey = randomBytes(32);
    const wrapped = await keys.wrapKey({ dataKey });
    expect(wrapped.keyId).toBe(await keys.activeKeyId());
    expect(Buffer.from(await keys.unwrapKey(wrapped)).equals(dataKey)).toBe(true);
    await expect(createLocalKeyProvider(randomBytes(32)).unwrapKey(wrapped)).rejects.toThrow(/not with the local key/);
    const tampered = Buffer.from(wrapped.wrappedKey, 'base64');
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await expect(keys.unwrapKey({ ...wrapped, wrappedKey: tampered.toString('base64') })).rejects.toSatisfy((error) => LocalKeyError.isInstance(error));
    await expect(keys.wrapKey({ dataKey: randomBytes(16) })).rejects.toThrow(/32 bytes/);
    await expect(keys.wrapKey({ dataKey, keyId: 'other' })).rejects.toThrow(/is not the local key/);
    expect(() => createLocalKeyProvider(randomBytes(8))).toThrow(/must be 32 bytes/);
    expect(LocalKeyError.isInstance(new Error('x'))).toBe(false);
  });
});

describe('local key sources', () => {
  it('creates a key file once, readable by its owner only, and reads it back', () => {
    const file = join(directory, 'nested', 'vault.key');
    const first = localKeyFromFile(file);
    expect(Buffer.from(localKeyFromFile(file)).equals(Buffer.from(first))).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toHaveLength(44);
  });

  it('refuses a file or a variable without a 32-byte base64 key', () => {
    const file = join(directory, 'short.key');
    writeFileSync(file, 'c2hvcnQ=\n');
    expect(() => localKeyFromFile(file)).toThrow(/must hold a base64 key of exactly 32 bytes/);
    expect(() => localKeyFromText('not base64!', 'PAYMIGRATE_VAULT_KEY')).toThrow(LocalKeyError);
  });

  it('builds the configured key provider from a file or an environment variable', async () => {
    const key = randomBytes(32).toString('base64');
    const fromVariable = createConfiguredKeyProvider({ type: 'environment', keyEnvironmentVariable: 'VAULT_KEY' }, { VAULT_KEY: key }, 'file');
    const fromFile = createConfiguredKeyProvider({ type: 'local-file', file: join(directory, 'configured.key') }, {}, 'file');
    expect(await fromVariable.activeKeyId()).toMatch(/^local-[A-Za-z]+$/);
    expect(await fromFile.activeKeyId()).not.toBe(await fromVariable.activeKeyId());
    expect(() => createConfiguredKeyProvider({ type: 'environment', keyEnvironmentVariable: 'VAULT_KEY' }, {}, 'file')).toThrow(ConfigFileError);
  });
});
