import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as openpgp from 'openpgp';

/** The shop's PGP key pair for the rehearsal's mapping files (armored). */
export interface RehearsalPgpKeys {
  /** Armored private key (unprotected: a rehearsal key, kept next to the rehearsal's files). */
  readonly privateKey: string;
  /** Armored public key, handed to the new provider. */
  readonly publicKey: string;
}

/**
 * The shop's key pair: read from `path` when a run already made one (a resumed rehearsal opens the
 * files encrypted to it), otherwise generated (curve25519) and written there, readable by its owner only.
 */
export async function rehearsalPgpKeys(path: string): Promise<RehearsalPgpKeys> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as RehearsalPgpKeys;
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'rehearsal shop' }], format: 'armored' });
  const keys: RehearsalPgpKeys = { privateKey, publicKey };
  writeFileSync(path, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
  return keys;
}
