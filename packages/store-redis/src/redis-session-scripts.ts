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

/**
 * `getMany`: KEYS = the sessions. Returns `value, version, expiresAt` of every key in turn (three
 * slots per key, all `false`, read as null, when absent): one round trip and one reply for the
 * whole batch, instead of one `HMGET` command object, promise and reply per key on the client.
 */
const getManyScript = `
local answer = {}
for index = 1, #KEYS do
  local fields = redis.call('HMGET', KEYS[index], 'value', 'version', 'expiresAt')
  answer[index * 3 - 2] = fields[1]
  answer[index * 3 - 1] = fields[2]
  answer[index * 3] = fields[3]
end
return answer
`;

/**
 * `compareAndSetMany`: KEYS = version counter, then the sessions (distinct); ARGV = four per
 * session in the same order: value, TTL in milliseconds, mode, expected version (as for
 * `compareAndSet`). Each session is compared and written exactly as `compareAndSetScript` does,
 * all in one atomic script with one server time. Returns four slots per session:
 * `{1, false, version, expiresAt}` when written, `{0, value, version, expiresAt}` when not.
 */
const compareAndSetManyScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local answer = {}
for index = 2, #KEYS do
  local key = KEYS[index]
  local base = (index - 2) * 4
  local current = redis.call('HMGET', key, 'value', 'version', 'expiresAt')
  local matches
  if ARGV[base + 3] == 'absent' then
    matches = current[1] == false
  else
    matches = current[1] ~= false and current[2] == ARGV[base + 4]
  end
  if matches then
    local version = string.format('%.0f', redis.call('INCR', KEYS[1]))
    local expiresAt = string.format('%.0f', now + tonumber(ARGV[base + 2]))
    redis.call('DEL', key)
    redis.call('HSET', key, 'value', ARGV[base + 1], 'version', version, 'expiresAt', expiresAt)
    redis.call('PEXPIREAT', key, expiresAt)
    answer[base + 1] = 1
    answer[base + 2] = false
    answer[base + 3] = version
    answer[base + 4] = expiresAt
  else
    answer[base + 1] = 0
    answer[base + 2] = current[1]
    answer[base + 3] = current[2]
    answer[base + 4] = current[3]
  end
end
return answer
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
  /** Runs the `getMany` script: the number of keys, then the session keys. */
  paymigrateSessionGetManyV1(numberOfKeys: number, ...sessionKeys: string[]): Promise<(string | null)[]>;
  /** Runs the `compareAndSetMany` script: the number of keys, the counter and session keys, then four arguments per session. */
  paymigrateSessionCompareAndSetManyV1(numberOfKeys: number, ...keysAndArguments: (string | number)[]): Promise<(string | number | null)[]>;
}

/**
 * Defines the session scripts on a client with ioredis `defineCommand`, which sends `EVALSHA` and
 * falls back to `EVAL` when the server does not know the script yet (after a restart or a
 * `SCRIPT FLUSH`). Defining them again on the same client is harmless.
 */
export function defineSessionScripts(client: Redis): Redis & SessionScriptCommands {
  client.defineCommand('paymigrateSessionSetV1', { numberOfKeys: 2, lua: setScript });
  client.defineCommand('paymigrateSessionCompareAndSetV1', { numberOfKeys: 2, lua: compareAndSetScript });
  // No fixed numberOfKeys: the caller passes the number of keys first.
  client.defineCommand('paymigrateSessionGetManyV1', { lua: getManyScript });
  client.defineCommand('paymigrateSessionCompareAndSetManyV1', { lua: compareAndSetManyScript });
  return client as Redis & SessionScriptCommands;
}
