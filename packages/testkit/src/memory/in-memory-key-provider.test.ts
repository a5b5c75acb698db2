import { randomBytes } from 'node:crypto';
import { type KeyProviderV1, PaymigrateError, type WrappedKey } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { failingCases } from '../contracts/__fixtures__/failing-cases.js';
import {
  keyProviderContract,
  keyProviderRotationSuite,
  keyProviderTamperingSuite,
  keyProviderWrappingSuite,
} from '../contracts/key-provider-contract.js';
import { InMemoryKeyProvider } from './in-memory-key-provider.js';

describe('InMemoryKeyProvider', () => {
  keyProviderContract({
    test,
    create: () => new InMemoryKeyProvider(),
    options: {
      rotate: async (provider) => {
        if (!(provider instanceof InMemoryKeyProvider)) throw new TypeError('expected an InMemoryKeyProvider');
        provider.rotate();
      },
    },
  });
});

/** Captures the error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** Asserts a paymigrate error with this code whose message names the key id and no key bytes. */
function expectKeyError(error: unknown, code: string, keyId: string, dataKey: Uint8Array): void {
  expect(PaymigrateError.isInstance(error)).toBe(true);
  const paymigrateError = error as PaymigrateError;
  expect(paymigrateError.code).toBe(code);
  expect(paymigrateError.message).toContain(`'${keyId}'`);
  expect(paymigrateError.message).not.toContain(Buffer.from(dataKey).toString('base64'));
  expect(paymigrateError.message).not.toContain(Buffer.from(dataKey).toString('hex'));
}

describe('InMemoryKeyProvider keyring', () => {
  test('is a v1 provider named memory with one active key', async () => {
    const provider = new InMemoryKeyProvider();
    expect(provider.specificationVersion).toBe('v1');
    expect(provider.name).toBe('memory');
    expect(provider.keyIds).toEqual([await provider.activeKeyId()]);
    expect(await provider.activeKeyId()).toMatch(/^memory-[0-9a-f]{8}-1$/);
  });

  test('two providers never share key ids', async () => {
    expect(await new InMemoryKeyProvider().activeKeyId()).not.toBe(await new InMemoryKeyProvider().activeKeyId());
  });

  test('rotate makes a new active key, returns its id and keeps the old ones', async () => {
    const provider = new InMemoryKeyProvider();
    const first = await provider.activeKeyId();
    const second = provider.rotate();
    expect(second).not.toBe(first);
    expect(await provider.activeKeyId()).toBe(second);
    expect(provider.keyIds).toEqual([first, second]);
    expect(Object.isFrozen(provider.keyIds)).toBe(true);
  });

  test('a wrap is base64 of 12-byte IV, 16-byte tag and 32-byte ciphertext', async () => {
    const provider = new InMemoryKeyProvider();
    const wrapped = await provider.wrapKey({ dataKey: randomBytes(32) });
    expect(Buffer.from(wrapped.wrappedKey, 'base64')).toHaveLength(60);
    expect(Object.isFrozen(wrapped)).toBe(true);
  });

  test('unwrap returns a plain Uint8Array copy', async () => {
    const provider = new InMemoryKeyProvider();
    const unwrapped = await provider.unwrapKey(await provider.wrapKey({ dataKey: randomBytes(32) }));
    expect(Buffer.isBuffer(unwrapped)).toBe(false);
    expect(unwrapped.constructor).toBe(Uint8Array);
  });

  test('a retired key no longer unwraps: KEY_UNKNOWN naming the key id', async () => {
    const provider = new InMemoryKeyProvider();
    const dataKey = randomBytes(32);
    const old = await provider.wrapKey({ dataKey });
    const next = provider.rotate();
    expect(provider.retire(old.keyId)).toBe(true);
    expect(provider.retire(old.keyId)).toBe(false);
    expect(provider.keyIds).toEqual([next]);
    const error = await rejectionOf(provider.unwrapKey(old));
    expectKeyError(error, 'KEY_UNKNOWN', old.keyId, dataKey);
    expect((error as Error).message).toBe(
      `Cannot unwrap with key '${old.keyId}': it is not in this keyring (never created here, or retired). Known keys: ${next}.`,
    );
    const wrapError = await rejectionOf(provider.wrapKey({ dataKey, keyId: old.keyId }));
    expectKeyError(wrapError, 'KEY_UNKNOWN', old.keyId, dataKey);
    expect((wrapError as Error).message).toMatch(/^Cannot wrap with key/);
  });

  test('the active key cannot be retired', async () => {
    const provider = new InMemoryKeyProvider();
    const active = await provider.activeKeyId();
    expect(() => provider.retire(active)).toThrow(new TypeError(`Key '${active}' is the active key and cannot be retired: call rotate() first.`));
  });

  test('a tampered wrap fails with KEY_UNWRAP_FAILED naming the key id, with the crypto error as cause', async () => {
    const provider = new InMemoryKeyProvider();
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrapKey({ dataKey });
    const bytes = Buffer.from(wrapped.wrappedKey, 'base64');
    bytes[40] = (bytes[40] as number) ^ 0xff;
    const error = await rejectionOf(provider.unwrapKey({ keyId: wrapped.keyId, wrappedKey: bytes.toString('base64') }));
    expectKeyError(error, 'KEY_UNWRAP_FAILED', wrapped.keyId, dataKey);
    expect((error as Error).message).toBe(
      `Cannot unwrap data key under key '${wrapped.keyId}': its authentication tag does not verify (tampered, or wrapped under another key id).`,
    );
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  test('a wrap of the wrong length or in loose base64 fails with KEY_UNWRAP_FAILED', async () => {
    const provider = new InMemoryKeyProvider();
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrapKey({ dataKey });
    const variants: WrappedKey[] = [
      { keyId: wrapped.keyId, wrappedKey: Buffer.alloc(59).toString('base64') },
      { keyId: wrapped.keyId, wrappedKey: `${wrapped.wrappedKey}\n` },
      { keyId: wrapped.keyId, wrappedKey: wrapped.wrappedKey.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '') },
    ];
    for (const variant of variants) {
      if (variant.wrappedKey === wrapped.wrappedKey) continue;
      const error = await rejectionOf(provider.unwrapKey(variant));
      expectKeyError(error, 'KEY_UNWRAP_FAILED', wrapped.keyId, dataKey);
      expect((error as Error).message).toBe(`Cannot unwrap data key under key '${wrapped.keyId}': it is not base64 of 60 bytes.`);
    }
  });

  test('a data key of the wrong size or type is a TypeError saying what it got', async () => {
    const provider = new InMemoryKeyProvider();
    await expect(provider.wrapKey({ dataKey: new Uint8Array(16) })).rejects.toThrow(
      new TypeError("wrapKey: 'dataKey' must be a Uint8Array of exactly 32 bytes (AES-256), got 16 bytes."),
    );
    const notBytes = 'a'.repeat(32) as unknown as Uint8Array;
    await expect(provider.wrapKey({ dataKey: notBytes })).rejects.toThrow(
      new TypeError("wrapKey: 'dataKey' must be a Uint8Array of exactly 32 bytes (AES-256), got string."),
    );
  });

  test('a wrap from another provider does not unwrap', async () => {
    const first = new InMemoryKeyProvider();
    const second = new InMemoryKeyProvider();
    const wrapped = await first.wrapKey({ dataKey: randomBytes(32) });
    await expect(second.unwrapKey(wrapped)).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });
  });
});

/** Broken: "wraps" by base64-encoding the data key in clear, under any key id, of any size. */
class PlaintextKeyProvider implements KeyProviderV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'plaintext';
  #activeKeyId = 'plain-1';

  async activeKeyId(): Promise<string> {
    return this.#activeKeyId;
  }

  rotate(): void {
    this.#activeKeyId = `${this.#activeKeyId}+`;
  }

  async wrapKey(input: { readonly dataKey: Uint8Array; readonly keyId?: string | undefined }): Promise<WrappedKey> {
    return { keyId: input.keyId ?? this.#activeKeyId, wrappedKey: Buffer.from(input.dataKey).toString('base64') };
  }

  async unwrapKey(wrapped: WrappedKey): Promise<Uint8Array> {
    return new Uint8Array(Buffer.from(wrapped.wrappedKey, 'base64'));
  }
}

/** Broken: a real keyring whose unwrap errors quote the last data key it wrapped, as a careless log line might. */
class LeakyKeyProvider extends InMemoryKeyProvider {
  #lastDataKey = '';

  override wrapKey(input: { readonly dataKey: Uint8Array; readonly keyId?: string | undefined }): Promise<WrappedKey> {
    this.#lastDataKey = Buffer.from(input.dataKey).toString('base64');
    return super.wrapKey(input);
  }

  override async unwrapKey(wrapped: WrappedKey): Promise<Uint8Array> {
    try {
      return await super.unwrapKey(wrapped);
    } catch (error) {
      throw new Error(`unwrap failed; last data key was ${this.#lastDataKey}`, { cause: error });
    }
  }
}

describe('the key provider contract catches broken providers', () => {
  const rotate = async (provider: KeyProviderV1): Promise<void> => {
    if (!(provider instanceof PlaintextKeyProvider)) throw new TypeError('expected a PlaintextKeyProvider');
    provider.rotate();
  };

  test('a provider that stores keys in clear fails the wrapping, tampering and relabelling cases', async () => {
    expect(await failingCases(keyProviderWrappingSuite, () => new PlaintextKeyProvider(), { rotate })).toEqual([
      'the wrap does not contain the data key in clear',
      'wrapping the same key twice gives two different wraps that both unwrap (random IV)',
      'rejects a data key that is not exactly 32 bytes with a TypeError',
    ]);
    expect(await failingCases(keyProviderTamperingSuite, () => new PlaintextKeyProvider(), { rotate })).toEqual([
      'a wrap with any single byte flipped does not unwrap, and the error shows no key material',
      'a truncated, extended, empty or non-base64 wrap does not unwrap',
      'an unknown key id does not unwrap and cannot wrap',
    ]);
    expect(await failingCases(keyProviderRotationSuite, () => new PlaintextKeyProvider(), { rotate })).toEqual([
      'a wrap relabelled with another known key id does not unwrap',
    ]);
  });

  test('a provider whose errors leak the data key fails the tampering cases', async () => {
    expect(await failingCases(keyProviderTamperingSuite, () => new LeakyKeyProvider(), { rotate })).toEqual([
      'a wrap with any single byte flipped does not unwrap, and the error shows no key material',
      'a truncated, extended, empty or non-base64 wrap does not unwrap',
      'an unknown key id does not unwrap and cannot wrap',
    ]);
  });
});
