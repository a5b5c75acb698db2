import { randomBytes } from 'node:crypto';
import { InMemoryJournal, InMemorySessionStore, ManualClock } from '@paymigrate/testkit';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { hookJournal, sessionV2Text } from './__fixtures__/session-fixtures.js';
import { HandoffExpiredError, HandoffInvalidError, type HandoffRejectionReason, HandoffReplayedError } from './session-errors.js';
import { createSessionHandoff, sessionHandoffLedgerCollection, type SessionHandoffOptions, sessionHandoffTokenType } from './session-handoff.js';

const secret = randomBytes(32);
const checkoutDomain = 'checkout.shop.example';

async function setup(overrides: Partial<SessionHandoffOptions> = {}) {
  const clock = new ManualClock();
  const journal = new InMemoryJournal({ clock });
  await journal.open();
  const store = new InMemorySessionStore({ clock });
  const options: SessionHandoffOptions = {
    signingKey: secret,
    issuer: 'shop.example',
    audience: [checkoutDomain, 'new.shop.example'],
    journal,
    store,
    clock,
    ...overrides,
  };
  return { clock, journal, store, options, handoff: createSessionHandoff(options) };
}

async function rejectionOf(promise: Promise<unknown>): Promise<HandoffRejectionReason> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!HandoffInvalidError.isInstance(error)) throw new Error(`expected HandoffInvalidError, got ${String(error)}`);
  return error.reason;
}

describe('session handoff: issue and redeem', () => {
  it('hands a session over once: the new domain reads it from the store', async () => {
    const { handoff, store, journal, clock } = await setup();
    await store.set('session:1', sessionV2Text(), { ttlSeconds: 600 });
    const token = await handoff.issue({ sessionKey: 'session:1', customerId: 'customer-1', targetDomain: checkoutDomain });
    expect(token.split('.')).toHaveLength(3);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sid: 'session:1', sub: 'customer-1', iss: 'shop.example', aud: checkoutDomain, exp: Math.floor(clock.now() / 1000) + 60 });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{24}$/);

    await clock.advance(10_000);
    const redeemed = await handoff.redeem(token, { expectedAudience: checkoutDomain });
    expect(redeemed).toMatchObject({
      tokenId: claims.jti,
      sessionKey: 'session:1',
      customerId: 'customer-1',
      targetDomain: checkoutDomain,
      issuedAt: clock.now() - 10_000,
      expiresAt: clock.now() + 50_000,
      session: { key: 'session:1', value: sessionV2Text() },
    });
    const ledger = await journal.get(sessionHandoffLedgerCollection, claims.jti as string);
    expect(JSON.parse(ledger?.value ?? '{}')).toStrictEqual({ sessionKey: 'session:1', audience: checkoutDomain, redeemedAt: clock.now(), expiresAt: clock.now() + 50_000 });
  });

  it('hands over a guest session, without a store', async () => {
    const { handoff } = await setup({ store: undefined, audience: checkoutDomain, signingKey: 'a-shared-secret-of-at-least-32-bytes!' });
    const token = await handoff.issue({ sessionKey: 'guest:1', targetDomain: checkoutDomain });
    expect(await handoff.redeem(token, { expectedAudience: checkoutDomain })).toMatchObject({ customerId: undefined, session: undefined });
  });

  it('refuses a replay, also when two redemptions race', async () => {
    const { handoff } = await setup();
    const token = await handoff.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    await handoff.redeem(token, { expectedAudience: checkoutDomain });
    const replay = await handoff.redeem(token, { expectedAudience: checkoutDomain }).catch((error: unknown) => error);
    expect(HandoffReplayedError.isInstance(replay)).toBe(true);
    expect((replay as HandoffReplayedError).tokenId).toBe(decodeJwt(token).jti);

    const raced = await handoff.issue({ sessionKey: 'session:2', targetDomain: checkoutDomain });
    const results = await Promise.allSettled([
      handoff.redeem(raced, { expectedAudience: checkoutDomain }),
      handoff.redeem(raced, { expectedAudience: checkoutDomain }),
    ]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected' && HandoffReplayedError.isInstance(result.reason))).toHaveLength(1);
  });

  it('lets a journal failure through without marking the token redeemed', async () => {
    const { options, journal } = await setup();
    const failing = createSessionHandoff({
      ...options,
      journal: hookJournal(journal, () => {
        throw new Error('journal down');
      }),
    });
    const token = await failing.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    await expect(failing.redeem(token, { expectedAudience: checkoutDomain })).rejects.toThrow('journal down');
    expect(await journal.count(sessionHandoffLedgerCollection)).toBe(0);
  });
});

describe('session handoff: refused tokens', () => {
  it('refuses an expired token (tolerance included), naming when it expired', async () => {
    const { handoff, clock } = await setup();
    const token = await handoff.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    await clock.advance(64_999);
    await handoff.redeem(token, { expectedAudience: checkoutDomain });
    const late = await handoff.issue({ sessionKey: 'session:2', targetDomain: checkoutDomain });
    await clock.advance(65_000);
    const error = await handoff.redeem(late, { expectedAudience: checkoutDomain }).catch((caught: unknown) => caught);
    expect(HandoffExpiredError.isInstance(error)).toBe(true);
    expect((error as HandoffExpiredError).expiredAt).toBe((decodeJwt(late).exp as number) * 1000);
  });

  it('refuses a tampered token, a forged one, and garbage', async () => {
    const { handoff, options } = await setup();
    const token = await handoff.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const tamperedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), sid: 'session:victim' })).toString('base64url');
    expect(await rejectionOf(handoff.redeem(`${header}.${tamperedPayload}.${signature}`, { expectedAudience: checkoutDomain }))).toBe('signature');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await rejectionOf(handoff.redeem(`${header}.${payload}.${flipped}`, { expectedAudience: checkoutDomain }))).toBe('signature');
    const forger = createSessionHandoff({ ...options, signingKey: randomBytes(32) });
    const forged = await forger.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    expect(await rejectionOf(handoff.redeem(forged, { expectedAudience: checkoutDomain }))).toBe('signature');
    expect(await rejectionOf(handoff.redeem('not.a.token', { expectedAudience: checkoutDomain }))).toBe('malformed');
    expect(await rejectionOf(handoff.redeem('', { expectedAudience: checkoutDomain }))).toBe('malformed');
  });

  it('refuses a token for another domain or from another issuer', async () => {
    const { handoff, options } = await setup();
    const token = await handoff.issue({ sessionKey: 'session:1', targetDomain: 'new.shop.example' });
    expect(await rejectionOf(handoff.redeem(token, { expectedAudience: checkoutDomain }))).toBe('audience');
    const otherShop = createSessionHandoff({ ...options, issuer: 'other-shop.example' });
    const foreign = await otherShop.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    expect(await rejectionOf(handoff.redeem(foreign, { expectedAudience: checkoutDomain }))).toBe('issuer');
    // Refused tokens burn nothing: the genuine one still redeems on its own domain.
    expect((await handoff.redeem(token, { expectedAudience: 'new.shop.example' })).sessionKey).toBe('session:1');
  });

  it('refuses a token from the future beyond the tolerance', async () => {
    const { options, journal } = await setup();
    const aheadClock = new ManualClock(Date.UTC(2026, 0, 1) + 10_000);
    const ahead = createSessionHandoff({ ...options, clock: aheadClock, journal });
    const token = await ahead.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    const { handoff } = await setup();
    expect(await rejectionOf(handoff.redeem(token, { expectedAudience: checkoutDomain }))).toBe('not-yet-valid');
  });

  it('refuses tokens of another type, without the session claim, or with claims of the wrong shape', async () => {
    const { handoff, clock } = await setup();
    const now = Math.floor(clock.now() / 1000);
    const sign = (claims: Record<string, unknown>, typ: string | undefined) =>
      new SignJWT(claims)
        .setProtectedHeader(typ === undefined ? { alg: 'HS256' } : { alg: 'HS256', typ })
        .setIssuer('shop.example')
        .setAudience(checkoutDomain)
        .setJti('jti-1')
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(secret);
    expect(await rejectionOf(handoff.redeem(await sign({ sid: 'session:1' }, undefined), { expectedAudience: checkoutDomain }))).toBe('malformed');
    expect(await rejectionOf(handoff.redeem(await sign({ sid: 'session:1' }, 'JWT'), { expectedAudience: checkoutDomain }))).toBe('malformed');
    expect(await rejectionOf(handoff.redeem(await sign({}, sessionHandoffTokenType), { expectedAudience: checkoutDomain }))).toBe('malformed');
    const wrongShape = await rejectionOf(handoff.redeem(await sign({ sid: 42 }, sessionHandoffTokenType), { expectedAudience: checkoutDomain }));
    expect(wrongShape).toBe('malformed');
  });
});

describe('session handoff: keys', () => {
  it('signs with EdDSA from an Ed25519 JWK; a public JWK can only redeem', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const { options } = await setup();
    const issuer = createSessionHandoff({ ...options, signingKey: privateJwk });
    const token = await issuer.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toStrictEqual({ alg: 'EdDSA', typ: sessionHandoffTokenType });
    const { d: _private, ...publicJwk } = privateJwk;
    const redeemer = createSessionHandoff({ ...options, signingKey: publicJwk });
    expect((await redeemer.redeem(token, { expectedAudience: checkoutDomain })).sessionKey).toBe('session:1');
    await expect(redeemer.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain })).rejects.toThrow(/public JWK/);
    // An HS256 token is refused by an EdDSA handoff: no algorithm confusion.
    const hs256 = await createSessionHandoff(options).issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    expect(await rejectionOf(redeemer.redeem(hs256, { expectedAudience: checkoutDomain }))).toBe('signature');
  });

  it('accepts an oct JWK of 32+ bytes and refuses short secrets and other key types', async () => {
    const { options } = await setup();
    const oct = createSessionHandoff({ ...options, signingKey: { kty: 'oct', k: randomBytes(32).toString('base64url') } });
    const token = await oct.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    expect((await oct.redeem(token, { expectedAudience: checkoutDomain })).sessionKey).toBe('session:1');
    const input = { sessionKey: 'session:1', targetDomain: checkoutDomain };
    await expect(createSessionHandoff({ ...options, signingKey: { kty: 'oct', k: randomBytes(16).toString('base64url') } }).issue(input)).rejects.toThrow(
      /has 16 bytes; HS256 needs at least 32/,
    );
    await expect(createSessionHandoff({ ...options, signingKey: 'short' }).issue(input)).rejects.toSatisfy(ConfigurationError.isInstance);
    await expect(createSessionHandoff({ ...options, signingKey: { kty: 'RSA', n: 'x', e: 'AQAB' } }).issue(input)).rejects.toThrow(/kty 'RSA'; use/);
    await expect(createSessionHandoff({ ...options, signingKey: { kty: 'OKP', crv: 'X25519', x: 'x' } }).issue(input)).rejects.toThrow(/crv 'X25519'/);
  });

  it('refuses bad requests and bad options', async () => {
    const { handoff, options } = await setup();
    await expect(handoff.issue({ sessionKey: '', targetDomain: checkoutDomain })).rejects.toMatchObject({ code: 'SESSION_HANDOFF_REQUEST_INVALID' });
    const unknownDomain = await handoff.issue({ sessionKey: 'session:1', targetDomain: 'evil.example' }).catch((error: unknown) => error);
    expect(PaymigrateError.isInstance(unknownDomain) && unknownDomain.code).toBe('SESSION_HANDOFF_REQUEST_INVALID');
    expect(() => createSessionHandoff({ ...options, issuer: '' })).toThrow(/sessionHandoff\.issuer/);
    expect(() => createSessionHandoff({ ...options, ttlSeconds: 0 })).toThrow(/sessionHandoff\.ttlSeconds/);
    expect(() => createSessionHandoff({ ...options, audience: [] })).toThrow(/sessionHandoff\.audience/);
    // With the system clock: a token issued now redeems now.
    const systemTimed = createSessionHandoff({ ...options, clock: undefined });
    const token = await systemTimed.issue({ sessionKey: 'session:1', targetDomain: checkoutDomain });
    expect((await systemTimed.redeem(token, { expectedAudience: checkoutDomain })).sessionKey).toBe('session:1');
  });
});
