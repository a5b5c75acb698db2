import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type KeyProviderV1, PaymigrateError, type WrappedKey } from '@paymigrate/core';

/** Bytes of a data key and of a key-encrypting key (AES-256). */
const keyLength = 32;
/** Bytes of the GCM initialization vector (the size GCM is designed for). */
const initializationVectorLength = 12;
/** Bytes of the GCM authentication tag. */
const authenticationTagLength = 16;
/** Bytes of a decoded wrap: IV, tag, encrypted data key. */
const wrapLength = initializationVectorLength + authenticationTagLength + keyLength;

/**
 * A local keyring of AES-256 key-encrypting keys for tests and development. Never use it in
 * production: its keys live in process memory and die with it.
 *
 * `wrapKey` encrypts the 32-byte data key with AES-256-GCM under a fresh random 12-byte IV, with
 * the key id as additional authenticated data (so a wrap relabelled with another key id fails),
 * and returns base64 of `iv | tag | ciphertext`. Errors name key ids, never key material.
 *
 * @example
 * const keys = new InMemoryKeyProvider();
 * const wrapped = await keys.wrapKey({ dataKey: randomBytes(32) });
 * const next = keys.rotate(); // old wraps still unwrap; new wraps use `next`
 */
export class InMemoryKeyProvider implements KeyProviderV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Provider name. */
  readonly name = 'memory';

  readonly #keys = new Map<string, Buffer>();
  readonly #instance = randomBytes(4).toString('hex');
  #generation = 0;
  #activeKeyId: string;

  /** Creates the keyring with one freshly generated active key. */
  constructor() {
    this.#activeKeyId = this.rotate();
  }

  /** Id of the key new data keys are wrapped with. */
  async activeKeyId(): Promise<string> {
    return this.#activeKeyId;
  }

  /** The ids of every key still in the keyring, oldest first. */
  get keyIds(): readonly string[] {
    return Object.freeze([...this.#keys.keys()]);
  }

  /**
   * Generates a new key (`randomBytes(32)`), makes it active and returns its id. Earlier keys stay
   * in the keyring, so their wraps still unwrap until they are retired.
   */
  rotate(): string {
    this.#generation += 1;
    const keyId = `memory-${this.#instance}-${this.#generation}`;
    this.#keys.set(keyId, randomBytes(keyLength));
    this.#activeKeyId = keyId;
    return keyId;
  }

  /**
   * Removes a key from the keyring; its wraps no longer unwrap (`KEY_UNKNOWN`). Returns whether
   * the key was in the keyring.
   * @throws TypeError when `keyId` is the active key: rotate first.
   */
  retire(keyId: string): boolean {
    if (keyId === this.#activeKeyId) {
      throw new TypeError(`Key '${keyId}' is the active key and cannot be retired: call rotate() first.`);
    }
    return this.#keys.delete(keyId);
  }

  /**
   * Wraps a 32-byte data key under the active key, or under `keyId` when given.
   * @throws TypeError when `dataKey` is not exactly 32 bytes.
   * @throws PaymigrateError `KEY_UNKNOWN` when `keyId` is not in the keyring.
   */
  async wrapKey(input: { readonly dataKey: Uint8Array; readonly keyId?: string | undefined }): Promise<WrappedKey> {
    if (!(input.dataKey instanceof Uint8Array) || input.dataKey.byteLength !== keyLength) {
      const size = input.dataKey instanceof Uint8Array ? `${input.dataKey.byteLength} bytes` : typeof input.dataKey;
      throw new TypeError(`wrapKey: 'dataKey' must be a Uint8Array of exactly ${keyLength} bytes (AES-256), got ${size}.`);
    }
    const keyId = input.keyId ?? this.#activeKeyId;
    const key = this.#keyFor(keyId, 'wrap');
    const initializationVector = randomBytes(initializationVectorLength);
    const cipher = createCipheriv('aes-256-gcm', key, initializationVector, { authTagLength: authenticationTagLength });
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(input.dataKey), cipher.final()]);
    const wrapped = Buffer.concat([initializationVector, cipher.getAuthTag(), ciphertext]);
    return Object.freeze({ keyId, wrappedKey: wrapped.toString('base64') });
  }

  /**
   * Unwraps a data key, verifying its authentication tag and key id.
   * @throws PaymigrateError `KEY_UNKNOWN` when the key id is not in the keyring (never was, or retired).
   * @throws PaymigrateError `KEY_UNWRAP_FAILED` when the wrap is malformed or was tampered with.
   */
  async unwrapKey(wrapped: WrappedKey): Promise<Uint8Array> {
    const key = this.#keyFor(wrapped.keyId, 'unwrap');
    const decoded = Buffer.from(wrapped.wrappedKey, 'base64');
    if (decoded.length !== wrapLength || decoded.toString('base64') !== wrapped.wrappedKey) {
      throw unwrapFailed(wrapped.keyId, `it is not base64 of ${wrapLength} bytes`);
    }
    const initializationVector = decoded.subarray(0, initializationVectorLength);
    const tag = decoded.subarray(initializationVectorLength, initializationVectorLength + authenticationTagLength);
    const ciphertext = decoded.subarray(initializationVectorLength + authenticationTagLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, initializationVector, { authTagLength: authenticationTagLength });
      decipher.setAAD(Buffer.from(wrapped.keyId, 'utf8'));
      decipher.setAuthTag(tag);
      const dataKey = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      return new Uint8Array(dataKey);
    } catch (error) {
      throw unwrapFailed(wrapped.keyId, 'its authentication tag does not verify (tampered, or wrapped under another key id)', error);
    }
  }

  #keyFor(keyId: string, operation: 'wrap' | 'unwrap'): Buffer {
    const key = this.#keys.get(keyId);
    if (key === undefined) {
      throw new PaymigrateError(
        'KEY_UNKNOWN',
        `Cannot ${operation} with key '${keyId}': it is not in this keyring (never created here, or retired). Known keys: ${[...this.#keys.keys()].join(', ')}.`,
      );
    }
    return key;
  }
}

function unwrapFailed(keyId: string, reason: string, cause?: unknown): PaymigrateError {
  return new PaymigrateError('KEY_UNWRAP_FAILED', `Cannot unwrap data key under key '${keyId}': ${reason}.`, { cause });
}
