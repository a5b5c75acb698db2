import type { Redis } from 'ioredis';

/**
 * The hash fields of a stored session. One hash per session, so `HMGET` reads value, version and
 * expiry in one round trip, and the absolute expiry read back is exactly the one `set` returned
 * (a `PTTL` would drift by the time between the two calls).
 */
export const sessionFields = ['value', 'version', 'expiresAt'] as const;

/**
 * Writes a session: takes the next version from the global counter (`INCR`, never reused, not
 * even for a re-created key), stamps the expiry from the server's clock (`TIME`, so application
 * servers with skewed clocks agree), replaces the key and expires it at that instant. Numbers are
 * formatted with `%.0f` because Lua's default `tostring` switches to exponent notation past 14
 * digits.
 */
const writeSession = `
local version = string.format('%.0f', redis.call('INCR', KEYS[2]))
local time = redis.call('TIME')
local expiresAt = string.format('%.0f', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[2]))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'version', version, 'expiresAt', expiresAt)
redis.call('PEXPIREAT', KEYS[1], expiresAt)
`;

/**
 * `set`: KEYS = session, version counter; ARGV = value, TTL in milliseconds.
 * Returns `{version, expiresAt}` as decimal strings.
 */
const setScript = `${writeSession}
return {version, expiresAt}
`;

/**
 * `compareAndSet`: KEYS = session, version counter; ARGV = value, TTL in milliseconds, mode
 * (`absent`: write only if the key does not exist; `version`: only if its version is ARGV[4]),
 * expected version. Returns `{1, false, version, expiresAt}` when written, `{0, value, version,
 * expiresAt}` of the current entry (all `false`, read as null, when absent) when not. An expired key
 * does not exist for Redis, so "absent" covers it.
 */
const compareAndSetScript = `
local current = redis.call('HMGET', KEYS[1], 'value', 'version', 'expiresAt')
local matches
if ARGV[3] == 'absent' then
  matches = current[1] == false
else
  matches = current[1] ~= false and current[2] == ARGV[4]
end
if not matches then
  return {0, current[1], current[2], current[3]}
end
${writeSession}
return {1, false, version, expiresAt}
`;

/** What `compareAndSet`'s script returns: written (1) or not (0), then the entry's fields. */
export type CompareAndSetReply = [written: 0 | 1, value: string | null, version: string | null, expiresAt: string | null];

/** The custom commands this adapter defines on its client (names carry a version: a changed script gets a new name). */
export interface SessionScriptCommands {
  /** Runs the `set` script (EVALSHA, falling back to EVAL once per server). */
  paymigrateSessionSetV1(sessionKey: string, counterKey: string, value: string, ttlMilliseconds: number): Promise<[version: string, expiresAt: string]>;
  /** Runs the `compareAndSet` script. */
  paymigrateSessionCompareAndSetV1(
    sessionKey: string,
    counterKey: string,
    value: string,
    ttlMilliseconds: number,
    mode: 'absent' | 'version',
    expectedVersion: string,
  ): Promise<CompareAndSetReply>;
}

/**
 * Defines the session scripts on a client with ioredis `defineCommand`, which sends `EVALSHA` and
 * falls back to `EVAL` when the server does not know the script yet (after a restart or a
 * `SCRIPT FLUSH`). Defining them again on the same client is harmless.
 */
export function defineSessionScripts(client: Redis): Redis & SessionScriptCommands {
  client.defineCommand('paymigrateSessionSetV1', { numberOfKeys: 2, lua: setScript });
  client.defineCommand('paymigrateSessionCompareAndSetV1', { numberOfKeys: 2, lua: compareAndSetScript });
  return client as Redis & SessionScriptCommands;
}
