import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import * as openpgp from 'openpgp';
import { encodeDigitFree } from './digit-free-base64.js';
import { MappingFileChangedError, MappingFileDecryptionError, MappingFileError, MappingFileSignatureError } from './token-errors.js';

/** Bytes of a mapping file as a fresh stream each time it is called (the file is read twice). */
export type MappingFileBytes = () => AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** A mapping file on disk, read in 256 KiB chunks. */
export function mappingFileFromPath(path: string): MappingFileBytes {
  return () => createReadStream(path, { highWaterMark: 256 * 1024 });
}

/** Keys to open a PGP-encrypted, signed mapping file. */
export interface MappingFileKeys {
  /** Our private key (armored or an openpgp key object), already decrypted or with `passphrase`. */
  readonly decryptionKey: string | openpgp.PrivateKey;
  /** Passphrase of an armored, encrypted private key. */
  readonly passphrase?: string | undefined;
  /** The senders' public keys (armored or objects): the file must be signed by one of them. */
  readonly verificationKeys: readonly (string | openpgp.PublicKey)[];
}

/**
 * A mapping file whose origin has been established, ready to be read for its rows: the signature
 * (for PGP files) was verified over the whole file before this object existed.
 */
export interface VerifiedMappingFile {
  /** SHA-256 of the plaintext, digit-free base64: names the import, so a re-run resumes it. */
  readonly digest: string;
  /** Plaintext size in bytes. */
  readonly bytes: number;
  /** Whether the file came PGP-encrypted and signed. */
  readonly encrypted: boolean;
  /** Key id (hex) of the signer, for PGP files. */
  readonly signedBy: string | undefined;
  /**
   * Streams the plaintext again. At its end, the digest is compared with the verified one (and the
   * signature verified again); a difference throws `MappingFileChangedError`.
   */
  open(): AsyncGenerator<Uint8Array>;
}

function toIterable(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  return Symbol.asyncIterator in source ? source : (Readable.fromWeb(source as NodeReadableStream<Uint8Array>) as AsyncIterable<Uint8Array>);
}

const armorPrefix = Buffer.from('-----BEGIN PGP', 'latin1');

/** Reads an OpenPGP message from a fresh stream of the file, armored or binary. */
async function readMessage(bytes: MappingFileBytes): Promise<openpgp.Message<ReadableStream<Uint8Array>>> {
  const iterator = toIterable(bytes())[Symbol.asyncIterator]();
  const first = await iterator.next();
  const firstChunk = first.done === true ? Buffer.alloc(0) : Buffer.from(first.value);
  async function* chunks(): AsyncGenerator<Buffer> {
    if (firstChunk.length > 0) yield firstChunk;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield Buffer.from(next.value);
    }
  }
  const stream = Readable.toWeb(Readable.from(chunks())) as unknown as ReadableStream<Uint8Array>;
  const armored = firstChunk.subarray(0, armorPrefix.length).equals(armorPrefix);
  try {
    if (armored) {
      const text = stream.pipeThrough(new TextDecoderStream()) as ReadableStream<string>;
      return (await openpgp.readMessage({ armoredMessage: text })) as unknown as openpgp.Message<ReadableStream<Uint8Array>>;
    }
    return await openpgp.readMessage({ binaryMessage: stream });
  } catch (error) {
    throw new MappingFileDecryptionError({ reason: 'it is not an OpenPGP message', cause: error });
  }
}

async function toPrivateKey(keys: MappingFileKeys): Promise<openpgp.PrivateKey> {
  if (typeof keys.decryptionKey !== 'string') return keys.decryptionKey;
  const key = await openpgp.readPrivateKey({ armoredKey: keys.decryptionKey });
  return key.isDecrypted() ? key : openpgp.decryptKey({ privateKey: key, passphrase: keys.passphrase ?? '' });
}

async function toPublicKeys(keys: MappingFileKeys): Promise<openpgp.PublicKey[]> {
  return Promise.all(keys.verificationKeys.map((key) => (typeof key === 'string' ? openpgp.readKey({ armoredKey: key }) : key)));
}

/** Classifies an openpgp failure while decrypting and verifying into a typed `MappingFileError`. */
export function classifyPgpFailure(error: unknown): Error {
  if (MappingFileError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/not signed/i.test(message)) return new MappingFileSignatureError({ problem: 'unsigned', cause: error });
  if (/could not find signing key/i.test(message)) return new MappingFileSignatureError({ problem: 'unknown-signer', cause: error });
  if (/signed digest did not match|signature.*(invalid|verif)|verification failed/i.test(message)) return new MappingFileSignatureError({ problem: 'invalid-signature', cause: error });
  return new MappingFileDecryptionError({ reason: 'its integrity check failed or it is not encrypted to our key (tampered, truncated or misaddressed)', cause: error });
}

interface DecryptPass {
  readonly digest: string;
  readonly bytes: number;
  readonly signedBy: string;
}

/**
 * Decrypts the message with the session key, yielding the plaintext chunk by chunk and hashing
 * it; returns once a signature from one of the expected keys has verified over all of it.
 */
async function* decryptChunks(
  message: openpgp.Message<ReadableStream<Uint8Array>>,
  sessionKey: openpgp.DecryptedSessionKey,
  verificationKeys: openpgp.PublicKey[],
): AsyncGenerator<Uint8Array, DecryptPass> {
  const hash = createHash('sha256');
  let bytes = 0;
  const decrypted = await openpgp.decrypt({
    message,
    sessionKeys: sessionKey as openpgp.SessionKey,
    verificationKeys,
    expectSigned: true,
    format: 'binary',
  });
  for await (const chunk of toIterable(decrypted.data as unknown as ReadableStream<Uint8Array>)) {
    hash.update(chunk);
    bytes += chunk.length;
    yield chunk;
  }
  /* v8 ignore next -- with expectSigned openpgp already refuses an unsigned message; kept as a guard. */
  if (decrypted.signatures.length === 0) throw new MappingFileSignatureError({ problem: 'unsigned' });
  let signedBy: string | undefined;
  for (const signature of decrypted.signatures) {
    // `verified` rejects when the signature does not verify or its key is not among ours.
    await signature.verified;
    signedBy ??= signature.keyID.toHex();
  }
  return { digest: encodeDigitFree(hash.digest()).replace(/=+$/, ''), bytes, signedBy: signedBy as string };
}

/** Runs a generator to its end and returns its return value. */
async function drain<Result>(generator: AsyncGenerator<unknown, Result>): Promise<Result> {
  for (;;) {
    const next = await generator.next();
    if (next.done === true) return next.value;
  }
}

/**
 * Opens a PGP-encrypted and signed mapping file in two passes, so that no row is used before the
 * signature over the whole file has verified, while the file is never held in memory:
 *
 * 1. Verify: decrypt the session key with our key, stream-decrypt the whole file, hash the
 *    plaintext and check that one of the expected senders signed it. Unsigned, wrongly signed,
 *    tampered (AEAD or MDC failure) or misaddressed files throw a typed `MappingFileError` here,
 *    before anything is imported.
 * 2. Use (`open()`): decrypt again with the session key pinned from pass 1. With AEAD (SEIPDv2)
 *    files each chunk is authenticated before it is released, so a file swapped in between fails
 *    at its first chunk; at the end the plaintext digest must equal pass 1's and the signature must
 *    verify again.
 *
 * Streaming needs an AEAD-protected file (RFC 9580 SEIPDv2, what OpenPGP.js writes for keys that
 * announce it): openpgp buffers a legacy SEIPDv1 (MDC) packet whole before releasing any
 * plaintext, so such files work but cost memory of their size.
 */
export async function openPgpMappingFile(bytes: MappingFileBytes, keys: MappingFileKeys): Promise<VerifiedMappingFile> {
  const [privateKey, publicKeys] = await Promise.all([toPrivateKey(keys), toPublicKeys(keys)]);
  const firstMessage = await readMessage(bytes);
  let sessionKey: openpgp.DecryptedSessionKey;
  try {
    const sessionKeys = await openpgp.decryptSessionKeys({ message: firstMessage, decryptionKeys: privateKey });
    sessionKey = sessionKeys[0] as openpgp.DecryptedSessionKey;
  } catch (error) {
    throw new MappingFileDecryptionError({ reason: 'it is not encrypted to our key', cause: error });
  }
  let verified: DecryptPass;
  try {
    verified = await drain(decryptChunks(firstMessage, sessionKey, publicKeys));
  } catch (error) {
    throw classifyPgpFailure(error);
  }
  return {
    digest: verified.digest,
    bytes: verified.bytes,
    encrypted: true,
    signedBy: verified.signedBy,
    async *open() {
      const message = await readMessage(bytes);
      const chunks = decryptChunks(message, sessionKey, publicKeys);
      let result: DecryptPass;
      try {
        for (;;) {
          const next = await chunks.next();
          if (next.done === true) {
            result = next.value;
            break;
          }
          yield next.value;
        }
      } catch {
        // The file read now does not decrypt or verify as the one verified before: it changed.
        throw new MappingFileChangedError();
      } finally {
        await chunks.return(undefined as never);
      }
      if (result.digest !== verified.digest) throw new MappingFileChangedError();
    },
  };
}

/**
 * Opens a mapping file that arrives already decrypted (the operator's own tooling decrypted and
 * verified it): one hashing pass names the import, and `open()` checks at the end that the file
 * did not change. Prefer `openPgpMappingFile`: this one cannot prove where the file came from.
 */
export async function openPlainMappingFile(bytes: MappingFileBytes): Promise<VerifiedMappingFile> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of toIterable(bytes())) {
    hash.update(chunk);
    size += chunk.length;
  }
  const digest = encodeDigitFree(hash.digest()).replace(/=+$/, '');
  return {
    digest,
    bytes: size,
    encrypted: false,
    signedBy: undefined,
    async *open() {
      const again = createHash('sha256');
      for await (const chunk of toIterable(bytes())) {
        again.update(chunk);
        yield chunk;
      }
      if (encodeDigitFree(again.digest()).replace(/=+$/, '') !== digest) throw new MappingFileChangedError();
    },
  };
}
