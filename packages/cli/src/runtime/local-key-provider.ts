import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type KeyProviderV1, PaymigrateError, type WrappedKey } from '@paymigrate/core';

/** Bytes of a key (AES-256). */
const keyLength = 32;

/** Bytes of the GCM initialization vector. */
const initializationVectorLength = 12;

/** Bytes of the GCM authentication tag. */
const authenticationTagLength = 16;

const keyMarker = Symbol.for('paymigrate.error.cli.key');

/** The local key-encrypting key is missing, malformed, or does not open a wrap. */
export class LocalKeyError extends PaymigrateError {
  private readonly [keyMarker] = true;

  constructor(message: string) {
    super('CLI_KEY_INVALID', message);
    this.name = 'LocalKeyError';
  }

  /** True for a `LocalKeyError` from any installed copy of the CLI. */
  static override isInstance(error: unknown): error is LocalKeyError {
    return typeof error === 'object' && error !== null && keyMarker in error;
  }
}

/** Decodes a base64 key-encrypting key of exactly 32 bytes. */
function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== keyLength || key.toString('base64') !== text.trim()) {
    throw new LocalKeyError(`${source} must hold a base64 key of exactly ${keyLength} bytes (generate one with: openssl rand -base64 32)`);
  }
  return key;
}

/**
 * A `KeyProviderV1` on one local AES-256 key-encrypting key: the "local keyring for development"
 * of the key provider port, for the rehearsal and for shops without a KMS adapter yet. Data keys
 * are wrapped with AES-256-GCM (random IV, key id as additional data), like the testkit's
 * in-memory keyring, but the key outlives the process, so a vault written before a restart still
 * opens. Use a KMS adapter in production where one is available.
 */
export function createLocalKeyProvider(key: Uint8Array): KeyProviderV1 {
  const encryptionKey = Buffer.from(key);
  if (encryptionKey.length !== keyLength) throw new LocalKeyError(`the key-encrypting key must be ${keyLength} bytes`);
  const keyId = `local-${createHash('sha256').update(encryptionKey).digest('base64url').replace(/[0-9_-]/g, '').slice(0, 12)}`;
  return Object.freeze({
    specificationVersion: 'v1' as const,
    name: 'local',
    activeKeyId: async () => keyId,
    async wrapKey(input: { readonly dataKey: Uint8Array; readonly keyId?: string | undefined }): Promise<WrappedKey> {
      if (input.keyId !== undefined && input.keyId !== keyId) throw new LocalKeyError(`key '${input.keyId}' is not the local key '${keyId}'`);
      if (input.dataKey.byteLength !== keyLength) throw new LocalKeyError(`a data key must be ${keyLength} bytes`);
      const initializationVector = randomBytes(initializationVectorLength);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, initializationVector, { authTagLength: authenticationTagLength });
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const encrypted = Buffer.concat([cipher.update(input.dataKey), cipher.final()]);
      return { keyId, wrappedKey: Buffer.concat([initializationVector, cipher.getAuthTag(), encrypted]).toString('base64') };
    },
    async unwrapKey(wrapped: WrappedKey): Promise<Uint8Array> {
      if (wrapped.keyId !== keyId) throw new LocalKeyError(`the data key was wrapped with key '${wrapped.keyId}', not with the local key '${keyId}': use the key file it was written with`);
      const bytes = Buffer.from(wrapped.wrappedKey, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, bytes.subarray(0, initializationVectorLength), { authTagLength: authenticationTagLength });
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(initializationVectorLength, initializationVectorLength + authenticationTagLength));
      try {
        return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(initializationVectorLength + authenticationTagLength)), decipher.final()]));
      } catch {
        throw new LocalKeyError(`the wrapped data key does not open with the local key '${keyId}' (tampered, or another key file)`);
      }
    },
  });
}

/**
 * The local key from a file, created (32 random bytes, base64, mode 0600) when absent.
 *
 * @throws LocalKeyError when the file does not hold a 32-byte base64 key.
 */
export function localKeyFromFile(file: string): Uint8Array {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(keyLength).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return decodeKey(readFileSync(file, 'utf8'), `the key file ${file}`);
}

/**
 * The local key from an environment variable's base64 value.
 *
 * @throws LocalKeyError when it is not a 32-byte base64 key.
 */
export function localKeyFromText(text: string, source: string): Uint8Array {
  return decodeKey(text, source);
}
