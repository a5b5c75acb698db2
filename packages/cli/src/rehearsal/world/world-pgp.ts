import * as openpgp from 'openpgp';

/** The new provider's side of PGP in the rehearsal's world: its signing key, and sealing a file for the shop. */
export interface WorldPgp {
  /** Encrypts `text` to the shop's public key and signs it with the provider's key; armored. */
  seal(text: string, recipientPublicKey: string): Promise<string>;
  /** The provider's armored public key: the shop verifies the file's signature with it. */
  signerPublicKey(): Promise<string>;
}

/**
 * The world's PGP: one signing key per world (curve25519, generated on first use), as a provider
 * that hands its mapping files over SFTP encrypted to the merchant's key and signed with its own.
 */
export function createWorldPgp(): WorldPgp {
  let keys: Promise<{ readonly privateKey: openpgp.PrivateKey; readonly publicKey: string }> | undefined;
  const signingKeys = () =>
    (keys ??= openpgp
      .generateKey({ type: 'curve25519', userIDs: [{ name: 'rehearsal provider mapping files' }], format: 'object' })
      .then(({ privateKey, publicKey }) => ({ privateKey, publicKey: publicKey.armor() })));
  return {
    async seal(text, recipientPublicKey) {
      const [{ privateKey }, encryptionKey] = await Promise.all([signingKeys(), openpgp.readKey({ armoredKey: recipientPublicKey })]);
      const message = await openpgp.createMessage({ text });
      return openpgp.encrypt({ message, encryptionKeys: encryptionKey, signingKeys: privateKey, format: 'armored' });
    },
    async signerPublicKey() {
      return (await signingKeys()).publicKey;
    },
  };
}
