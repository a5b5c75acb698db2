/** A data key encrypted under a key-encrypting key. Safe to store next to the data. */
export interface WrappedKey {
  /** Id of the key-encrypting key that wrapped it. */
  readonly keyId: string;
  /** The wrapped data key, base64. */
  readonly wrappedKey: string;
}

/**
 * Key management for envelope encryption, version 1 of the port (PCI DSS 3.5/3.6): data keys
 * encrypt token mappings with AES-256-GCM; the key provider wraps data keys under key-encrypting
 * keys that never leave it (a KMS, an HSM, or a local keyring for development).
 * Rotation: make a new key active, then re-wrap stored data keys (`unwrapKey` with the old id,
 * `wrapKey` with the new); the data itself is not re-encrypted.
 */
export interface KeyProviderV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion: 'v1';

  /** Provider name (`local`, `aws-kms`, ...). */
  readonly name: string;

  /** Id of the key-encrypting key new data keys are wrapped with. */
  activeKeyId(): Promise<string>;

  /** Wraps a 32-byte data key under the active key (or `keyId`, which must be a known key). */
  wrapKey(input: { readonly dataKey: Uint8Array; readonly keyId?: string | undefined }): Promise<WrappedKey>;

  /** Unwraps a data key. A tampered wrap or an unknown key id throws. */
  unwrapKey(wrapped: WrappedKey): Promise<Uint8Array>;
}

/** The current version of the key provider port. */
export type KeyProvider = KeyProviderV1;
