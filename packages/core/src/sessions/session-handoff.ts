import { randomBytes } from 'node:crypto';
import { type CryptoKey, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type { SessionEntry, SessionStoreV1 } from '../ports/session-store/v1/session-store.js';
import { HandoffExpiredError, HandoffInvalidError, type HandoffRejectionReason, HandoffReplayedError } from './session-errors.js';

/** Journal collection of redeemed handoff token ids (key: `jti`): the single-use ledger. */
export const sessionHandoffLedgerCollection = 'session-handoff-redeemed';

/** The `typ` header of handoff tokens: a token minted for another purpose with the same key is refused. */
export const sessionHandoffTokenType = 'paymigrate-session-handoff+jwt';

/** Options of `createSessionHandoff`. Validated once, at construction. */
export interface SessionHandoffOptions {
  /**
   * The key tokens are signed and verified with:
   * - a shared secret of at least 32 bytes (`Uint8Array`, or a string taken as UTF-8): HS256;
   * - a JWK: `kty: 'oct'` (HS256, `k` of at least 32 bytes), or `kty: 'OKP', crv: 'Ed25519'`
   *   (EdDSA; with `d` it can issue and redeem, without `d` only redeem).
   */
  readonly signingKey: Uint8Array | string | JWK;
  /** The `iss` of issued tokens, and the only issuer redeemed. */
  readonly issuer: string;
  /** The domains a session may be handed to (`targetDomain` of `issue`, the token's `aud`). */
  readonly audience: string | readonly string[];
  /** How long a token is valid, seconds. @default 60 */
  readonly ttlSeconds?: number | undefined;
  /** Clock skew tolerated between the issuing and the redeeming domain, seconds. @default 5 */
  readonly clockToleranceSeconds?: number | undefined;
  /** Holds the single-use ledger (collection `session-handoff-redeemed`); both domains must share it. */
  readonly journal: JournalV1;
  /** When given, `redeem` also reads the session from it. */
  readonly store?: SessionStoreV1 | undefined;
  /** @default systemClock */
  readonly clock?: ClockV1 | undefined;
}

/** Input of `SessionHandoff.issue`. */
export interface IssueHandoffInput {
  /** The session to hand over. */
  readonly sessionKey: string;
  /** The customer, when signed in (the token's `sub`). */
  readonly customerId?: string | undefined;
  /** The domain that will redeem the token (its `aud`); one of `audience`. */
  readonly targetDomain: string;
}

/** What a redeemed token carried. */
export interface RedeemedHandoff {
  /** The token id (`jti`), now marked redeemed. */
  readonly tokenId: string;
  /** The session handed over. */
  readonly sessionKey: string;
  /** The customer, when the token named one. */
  readonly customerId: string | undefined;
  /** The domain it was issued for. */
  readonly targetDomain: string;
  /** When it was issued, epoch milliseconds. */
  readonly issuedAt: number;
  /** When it would have expired, epoch milliseconds. */
  readonly expiresAt: number;
  /** The session as the store holds it, when a store was given (`undefined`: absent or no store). */
  readonly session: SessionEntry | undefined;
}

/**
 * Signed, single-use, short-lived handoff of a session from one domain of a shop to another
 * (checkout on another domain, a new storefront during the migration). The token carries the
 * session key, not the session: the redeeming domain reads the session from the shared store.
 */
export interface SessionHandoff {
  /**
   * Mints a compact JWS (`typ: paymigrate-session-handoff+jwt`) with a random `jti`, the session
   * key (`sid`), the customer (`sub`), `iss`, `aud` = `targetDomain`, `iat`, `nbf` and `exp`.
   * @throws PaymigrateError `SESSION_HANDOFF_REQUEST_INVALID` for an empty session key or a domain outside `audience`.
   * @throws ConfigurationError when the key can only verify (a public JWK).
   */
  issue(input: IssueHandoffInput): Promise<string>;

  /**
   * Verifies the signature, the type, the issuer, the audience and the expiry, then marks the
   * token id redeemed in the journal (compare-and-set on absence): only one redemption can win.
   * @throws HandoffInvalidError for a tampered, forged or malformed token, or another audience or issuer.
   * @throws HandoffExpiredError after `exp` (plus the tolerance).
   * @throws HandoffReplayedError when the token was redeemed before.
   */
  redeem(token: string, options: { readonly expectedAudience: string }): Promise<RedeemedHandoff>;
}

const minimumSecretBytes = 32;

const jwkSchema = z.looseObject({ kty: z.string() });

const optionsSchema = z.object({
  signingKey: z
    .union([z.instanceof(Uint8Array), z.string(), jwkSchema])
    .meta({ fix: 'pass a random secret of at least 32 bytes, or an Ed25519 / oct JWK' }),
  issuer: z.string().min(1).meta({ fix: "pass the issuing shop's id, e.g. 'https://shop.example'" }),
  audience: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .meta({ fix: "pass the domains sessions may be handed to, e.g. ['checkout.shop.example']" }),
  ttlSeconds: z.int().min(1).max(3600).default(60),
  clockToleranceSeconds: z.int().min(0).max(300).default(5),
  journal: z.custom<JournalV1>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'write') === 'function', {
    message: 'must be a JournalV1',
  }),
  store: z
    .custom<SessionStoreV1>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'get') === 'function', {
      message: 'must be a SessionStoreV1',
    })
    .optional(),
  clock: z.custom<ClockV1>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'now') === 'function').optional(),
});

/** Keys resolved for signing and verifying. */
interface ResolvedKeys {
  readonly algorithm: 'HS256' | 'EdDSA';
  /** `undefined` for a verify-only key (a public JWK). */
  readonly signing: CryptoKey | Uint8Array | undefined;
  readonly verification: CryptoKey | Uint8Array;
}

function keyError(problem: string): ConfigurationError {
  return new ConfigurationError({ option: 'sessionHandoff.signingKey', problem, fix: 'pass a random secret of at least 32 bytes, or an Ed25519 / oct JWK' });
}

async function resolveKeys(signingKey: Uint8Array | string | JWK): Promise<ResolvedKeys> {
  if (typeof signingKey === 'string' || signingKey instanceof Uint8Array) {
    const secret = typeof signingKey === 'string' ? new TextEncoder().encode(signingKey) : signingKey;
    if (secret.byteLength < minimumSecretBytes) throw keyError(`has ${secret.byteLength} bytes; HS256 needs at least ${minimumSecretBytes}`);
    return { algorithm: 'HS256', signing: secret, verification: secret };
  }
  if (signingKey.kty === 'oct') {
    const secret = (await importJWK(signingKey, 'HS256')) as Uint8Array;
    if (secret.byteLength < minimumSecretBytes) throw keyError(`has ${secret.byteLength} bytes; HS256 needs at least ${minimumSecretBytes}`);
    return { algorithm: 'HS256', signing: secret, verification: secret };
  }
  if (signingKey.kty === 'OKP' && signingKey.crv === 'Ed25519') {
    const { d, ...publicJwk } = signingKey;
    const verification = (await importJWK(publicJwk, 'EdDSA')) as CryptoKey;
    const signing = d === undefined ? undefined : ((await importJWK(signingKey, 'EdDSA')) as CryptoKey);
    return { algorithm: 'EdDSA', signing, verification };
  }
  throw keyError(`is a JWK of kty '${signingKey.kty}'${signingKey.crv === undefined ? '' : ` crv '${signingKey.crv}'`}; use 'oct' or 'OKP' with crv 'Ed25519'`);
}

function rejection(reason: HandoffRejectionReason, detail: string, cause: unknown): HandoffInvalidError {
  return new HandoffInvalidError({ reason, detail, cause });
}

/** Maps jose's verification errors to the handoff's typed errors. */
function verificationError(error: unknown): PaymigrateError {
  const { code, claim } = error as { code?: unknown; claim?: unknown };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      // Only the `exp` check raises it here (no maxTokenAge), so `exp` is a number.
      return new HandoffExpiredError({ expiredAt: (error as { payload: { exp: number } }).payload.exp * 1000, cause: error });
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return rejection('signature', 'the signature does not verify', error);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return rejection('signature', 'signed with an algorithm this handoff does not use', error);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return rejection('audience', 'issued for another domain', error);
      if (claim === 'iss') return rejection('issuer', 'issued by another issuer', error);
      if (claim === 'nbf') return rejection('not-yet-valid', 'not valid yet (clock skew?)', error);
      return rejection('malformed', `claim or header '${String(claim)}' is missing or unexpected`, error);
    default:
      return rejection('malformed', 'not a handoff token', error);
  }
}

const claimsSchema = z.object({ jti: z.string().min(1), sid: z.string().min(1), sub: z.string().min(1).optional(), aud: z.string(), iat: z.number(), exp: z.number() });

/**
 * Creates the session handoff. The key is imported on first use.
 *
 * @throws ConfigurationError when an option is missing or invalid (the key's size and type are
 *   checked on first use, and reported the same way).
 * @example
 * const handoff = createSessionHandoff({ signingKey: secret, issuer: 'shop', audience: ['checkout.shop.example'], journal });
 * const token = await handoff.issue({ sessionKey: 'session:1', customerId: 'c1', targetDomain: 'checkout.shop.example' });
 * // on checkout.shop.example:
 * const { sessionKey } = await handoff.redeem(token, { expectedAudience: 'checkout.shop.example' });
 */
export function createSessionHandoff(options: SessionHandoffOptions): SessionHandoff {
  const parsed = parseOptions(optionsSchema, options, { component: 'sessionHandoff' });
  const { issuer, ttlSeconds, clockToleranceSeconds, journal, store } = parsed;
  const audiences: readonly string[] = typeof parsed.audience === 'string' ? [parsed.audience] : parsed.audience;
  const clock = parsed.clock ?? systemClock;
  let keys: Promise<ResolvedKeys> | undefined;
  const resolvedKeys = (): Promise<ResolvedKeys> => (keys ??= resolveKeys(parsed.signingKey as Uint8Array | string | JWK));

  const issue = async (input: IssueHandoffInput): Promise<string> => {
    if (typeof input.sessionKey !== 'string' || input.sessionKey === '') {
      throw new PaymigrateError('SESSION_HANDOFF_REQUEST_INVALID', 'Session handoff: sessionKey must be a non-empty string.');
    }
    if (!audiences.includes(input.targetDomain)) {
      throw new PaymigrateError(
        'SESSION_HANDOFF_REQUEST_INVALID',
        `Session handoff: targetDomain '${String(input.targetDomain)}' is not one of the configured audience (${audiences.join(', ')}).`,
      );
    }
    const { algorithm, signing } = await resolvedKeys();
    if (signing === undefined) throw keyError('is a public JWK (no d): it can redeem tokens but not issue them');
    const issuedAt = Math.floor(clock.now() / 1000);
    const jwt = new SignJWT({ sid: input.sessionKey })
      .setProtectedHeader({ alg: algorithm, typ: sessionHandoffTokenType })
      .setIssuer(issuer)
      .setAudience(input.targetDomain)
      .setJti(randomBytes(18).toString('base64url'))
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds);
    if (input.customerId !== undefined) jwt.setSubject(input.customerId);
    return jwt.sign(signing);
  };

  const redeem = async (token: string, redeemOptions: { readonly expectedAudience: string }): Promise<RedeemedHandoff> => {
    const { algorithm, verification } = await resolvedKeys();
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, verification, {
        algorithms: [algorithm],
        typ: sessionHandoffTokenType,
        issuer,
        audience: redeemOptions.expectedAudience,
        currentDate: new Date(clock.now()),
        clockTolerance: clockToleranceSeconds,
        requiredClaims: ['jti', 'sid', 'iat', 'exp'],
      }));
    } catch (error) {
      throw verificationError(error);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw rejection('malformed', 'its claims are not those of a handoff token', claims.error);
    const { jti, sid, sub, aud, iat, exp } = claims.data;
    try {
      await journal.write({
        puts: [
          {
            collection: sessionHandoffLedgerCollection,
            key: jti,
            value: JSON.stringify({ sessionKey: sid, audience: aud, redeemedAt: clock.now(), expiresAt: exp * 1000 }),
            expectedVersion: 0,
          },
        ],
      });
    } catch (error) {
      if (VersionConflictError.isInstance(error)) throw new HandoffReplayedError({ tokenId: jti, cause: error });
      throw error;
    }
    return {
      tokenId: jti,
      sessionKey: sid,
      customerId: sub,
      targetDomain: aud,
      issuedAt: iat * 1000,
      expiresAt: exp * 1000,
      session: store === undefined ? undefined : await store.get(sid),
    };
  };

  return Object.freeze({ issue, redeem });
}
