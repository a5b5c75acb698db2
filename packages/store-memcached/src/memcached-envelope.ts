import { randomBytes } from 'node:crypto';

/**
 * Memcached flags marking an item as a session envelope written by this store (`PMS1`). Anything
 * else under a session key was written by someone else.
 */
export const sessionEnvelopeFlags = 0x504d5331;

/** Format byte of the envelope layout below. */
const formatVersion = 1;

/** Bytes of the random version id. 128 bits: a version is never handed out twice. */
const versionIdBytes = 16;

/** Bytes in front of the value: format (1), version id (16), expiry in epoch milliseconds (8). */
export const envelopeHeaderBytes = 1 + versionIdBytes + 8;

/**
 * A session as stored in memcached. Memcached cannot report an item's remaining TTL, so the
 * envelope carries the absolute expiry; and it carries a random version id, so versions survive
 * server restarts without repeating (memcached's CAS counter restarts at 1).
 */
export interface SessionEnvelope {
  /** The session's version: the version id, base64url (22 characters). */
  readonly version: string;
  /** When the session expires, epoch milliseconds. */
  readonly expiresAt: number;
  /** The serialized session. */
  readonly value: string;
}

/** A fresh, never-repeating version: 128 random bits, base64url. */
export function newVersion(): string {
  return randomBytes(versionIdBytes).toString('base64url');
}

/**
 * Encodes an envelope: `[format][version id][expiresAt uint64 BE][value UTF-8]`. A compact binary
 * header rather than JSON, so the value is stored as it is, not escaped a second time.
 */
export function encodeEnvelope(envelope: SessionEnvelope): Buffer {
  const value = Buffer.from(envelope.value, 'utf8');
  const bytes = Buffer.allocUnsafe(envelopeHeaderBytes + value.length);
  bytes.writeUInt8(formatVersion, 0);
  Buffer.from(envelope.version, 'base64url').copy(bytes, 1);
  bytes.writeBigUInt64BE(BigInt(envelope.expiresAt), 1 + versionIdBytes);
  value.copy(bytes, envelopeHeaderBytes);
  return bytes;
}

/** Decodes an item's bytes and flags; `undefined` when it is not a session envelope of this format. */
export function decodeEnvelope(bytes: Buffer, flags: number): SessionEnvelope | undefined {
  if (flags !== sessionEnvelopeFlags || bytes.length < envelopeHeaderBytes || bytes.readUInt8(0) !== formatVersion) return undefined;
  return {
    version: bytes.subarray(1, 1 + versionIdBytes).toString('base64url'),
    expiresAt: Number(bytes.readBigUInt64BE(1 + versionIdBytes)),
    value: bytes.subarray(envelopeHeaderBytes).toString('utf8'),
  };
}
