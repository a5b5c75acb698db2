import { createHash } from 'node:crypto';

/**
 * A 64-bit PostgreSQL advisory lock key for a name (the first 8 bytes of its SHA-256), as the
 * decimal string of a signed `bigint`. Distinct names collide with negligible probability, and a
 * collision only makes two unrelated lockers wait for each other.
 */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}
