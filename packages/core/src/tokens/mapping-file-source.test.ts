import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, collectText, encryptFile, generatePgpParties, genericCsv, genericRow, type PgpParties } from './__fixtures__/token-fixtures.js';
import { openPgpMappingFile, openPlainMappingFile } from './mapping-file-source.js';
import { MappingFileChangedError, MappingFileDecryptionError, MappingFileError, MappingFileSignatureError } from './token-errors.js';

let parties: PgpParties;
const text = genericCsv([genericRow(1), genericRow(2)]);

beforeAll(async () => {
  parties = await generatePgpParties();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('openPgpMappingFile', () => {
  it('decrypts and verifies a signed, encrypted file, then streams it again', async () => {
    const file = await encryptFile(text, parties.receiver.publicKey, parties.sender.privateKey);
    const opened = await openPgpMappingFile(bytesOf(file, 64), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.stranger.publicKey, parties.sender.publicKey] });
    expect(opened).toMatchObject({ encrypted: true, bytes: Buffer.byteLength(text), signedBy: parties.sender.privateKey.getKeyID().toHex() });
    expect(opened.digest).toMatch(/^[A-Za-z!#$()*,.:;+/]+$/);
    expect(await collectText(opened.open())).toBe(text);
    expect(await collectText(opened.open())).toBe(text);
  });

  it('reads armored files and armored keys (with a passphrase)', async () => {
    const file = await encryptFile(text, parties.receiver.publicKey, parties.sender.privateKey, { armored: true });
    const locked = await openpgp.encryptKey({ privateKey: parties.receiver.privateKey, passphrase: 'correct horse' });
    const opened = await openPgpMappingFile(bytesOf(file, 100), {
      decryptionKey: locked.armor(),
      passphrase: 'correct horse',
      verificationKeys: [parties.sender.publicKey.armor()],
    });
    expect(await collectText(opened.open())).toBe(text);
    const unlockedArmored = await openPgpMappingFile(bytesOf(file), { decryptionKey: parties.receiver.privateKey.armor(), verificationKeys: [parties.sender.publicKey] });
    expect(unlockedArmored.bytes).toBe(Buffer.byteLength(text));
  });

  it('refuses an unsigned file', async () => {
    const file = await encryptFile(text, parties.receiver.publicKey, undefined);
    const error = await failure(openPgpMappingFile(bytesOf(file), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] }));
    expect(MappingFileSignatureError.isInstance(error) && error.problem).toBe('unsigned');
  });

  it('refuses a file signed by someone else', async () => {
    const file = await encryptFile(text, parties.receiver.publicKey, parties.stranger.privateKey);
    const error = await failure(openPgpMappingFile(bytesOf(file), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] }));
    expect(MappingFileSignatureError.isInstance(error) && error.problem).toBe('unknown-signer');
    expect(MappingFileError.isInstance(error)).toBe(true);
  });

  it('refuses a tampered file', async () => {
    const file = await encryptFile(text, parties.receiver.publicKey, parties.sender.privateKey);
    file[file.length - 40] = (file[file.length - 40] as number) ^ 0x01;
    const error = await failure(openPgpMappingFile(bytesOf(file), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] }));
    expect(MappingFileError.isInstance(error)).toBe(true);
  });

  it('refuses a file encrypted to another key, and bytes that are no OpenPGP message', async () => {
    const file = await encryptFile(text, parties.stranger.publicKey, parties.sender.privateKey);
    const misaddressed = await failure(openPgpMappingFile(bytesOf(file), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] }));
    expect(MappingFileDecryptionError.isInstance(misaddressed)).toBe(true);
    const garbage = await failure(openPgpMappingFile(bytesOf('hello, world'), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] }));
    expect(MappingFileDecryptionError.isInstance(garbage)).toBe(true);
    const empty = await failure(openPgpMappingFile(bytesOf(''), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] }));
    expect(MappingFileDecryptionError.isInstance(empty)).toBe(true);
  });

  it('notices a file swapped between verification and use', async () => {
    const first = await encryptFile(text, parties.receiver.publicKey, parties.sender.privateKey);
    const second = await encryptFile(genericCsv([genericRow(9)]), parties.receiver.publicKey, parties.sender.privateKey);
    let current = first;
    const opened = await openPgpMappingFile(() => bytesOf(current)() as AsyncIterable<Uint8Array>, {
      decryptionKey: parties.receiver.privateKey,
      verificationKeys: [parties.sender.publicKey],
    });
    current = second;
    expect(MappingFileChangedError.isInstance(await failure(collectText(opened.open())))).toBe(true);
  });

  it('accepts web streams as the file source', async () => {
    const file = await encryptFile(text, parties.receiver.publicKey, parties.sender.privateKey);
    const opened = await openPgpMappingFile(() => new Blob([file]).stream(), { decryptionKey: parties.receiver.privateKey, verificationKeys: [parties.sender.publicKey] });
    expect(await collectText(opened.open())).toBe(text);
  });
});

describe('openPlainMappingFile', () => {
  it('names the file by its digest and notices a change', async () => {
    let current = text;
    const opened = await openPlainMappingFile(() => bytesOf(current)() as AsyncIterable<Uint8Array>);
    expect(opened).toMatchObject({ encrypted: false, signedBy: undefined, bytes: Buffer.byteLength(text) });
    expect(await collectText(opened.open())).toBe(text);
    current = `${text}x`;
    expect(MappingFileChangedError.isInstance(await failure(collectText(opened.open())))).toBe(true);
  });
});
