import { createHash } from 'node:crypto';
import type { SessionEntry } from '../ports/session-store/v1/session-store.js';
import type { SessionV2 } from './session-schema.js';

/**
 * JSON with object keys sorted (by UTF-16 code unit, `Array.prototype.sort`'s default) and
 * `undefined` fields left out, so one session always has one text and one checksum, whatever the
 * order its fields were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) sorted[key] = sortKeys(field);
  }
  return sorted;
}

/** The text a session is written as: its canonical JSON. */
export function serializeSession(session: SessionV2): string {
  return canonicalJson(session);
}

/** SHA-256 (hex) of a text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The checksum the migration verifies with: SHA-256 of the canonical JSON of a stored value, so
 * two values that differ only in key order or spacing have the same checksum. A value that is not
 * JSON is hashed as it is.
 */
export function sessionChecksum(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return sha256Hex(value);
  }
  return sha256Hex(canonicalJson(parsed));
}

/** Marker field of a tombstone. */
const tombstoneMarker = 'session-tombstone';

/**
 * The value the live store writes to the target in place of a deleted session while the source is
 * still being copied: a copy of the deleted session that was already in flight (bulk copy or a
 * read-through) finds the key present and cannot resurrect it. The live store reads it as absent;
 * it expires with the session it replaced.
 */
export function tombstoneValue(deletedAt: number): string {
  return canonicalJson({ $paymigrate: tombstoneMarker, deletedAt });
}

/** True when a stored value is a tombstone written by the live store. */
export function isTombstoneValue(value: string): boolean {
  // Cheap prefix test first: canonical JSON puts `$paymigrate` first ('$' sorts before letters).
  if (!value.startsWith('{"$paymigrate":')) return false;
  try {
    return (JSON.parse(value) as Record<string, unknown>)['$paymigrate'] === tombstoneMarker;
  } catch {
    return false;
  }
}

/** The entry when it is present and not a tombstone; `undefined` otherwise. */
export function liveEntry(entry: SessionEntry | undefined): SessionEntry | undefined {
  return entry === undefined || isTombstoneValue(entry.value) ? undefined : entry;
}

/**
 * Whole seconds an entry still has to live at `now`, rounded up (a session never expires earlier
 * because it moved); 0 or less once expired. `fallbackSeconds` for an entry without expiry.
 */
export function remainingTtlSeconds(expiresAt: number | undefined, now: number, fallbackSeconds: number): number {
  return expiresAt === undefined ? fallbackSeconds : Math.ceil((expiresAt - now) / 1000);
}
