import { PaymigrateError } from '@paymigrate/core';
import pg from 'pg';

/** Where the journal's server is, for error messages; the password is kept only to redact it. */
export interface PostgresServerDescription {
  /** `host:port` (`[v6-address]:port` for IPv6). */
  readonly address: string;
  /** The connecting user, when known. */
  readonly user: string | undefined;
  /** The database, when known. */
  readonly database: string | undefined;
  /** The password, only so that it can be removed from any message; never printed. */
  readonly password: string | undefined;
}

/** SQLSTATEs of a transaction the server rolled back to break a cycle or a serialization conflict. */
const transientConflictCodes: ReadonlySet<string> = new Set(['40001', '40P01']);

/** Socket error codes meaning the server could not be reached or the connection broke. */
const networkErrorCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** Messages pg uses for connections that failed or broke without a socket error code. */
const brokenConnectionMessage = /Connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i;

/**
 * SQLSTATEs meaning the server is unreachable, shutting down or out of resources: class 08
 * (connection exception), 53 (insufficient resources), 58 (system error) and 57P01-57P05
 * (administrator or crash shutdown, cannot connect now, idle session timeout).
 */
function isUnavailableState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || code.startsWith('58') || /^57P0[1-5]$/.test(code);
}

/** SQLSTATEs of a login the server refused: class 28 (authorization) and 3D000 (no such database). */
function isAccessDeniedState(code: string): boolean {
  return code.startsWith('28') || code === '3D000';
}

/**
 * Describes the server a pg configuration connects to (after pg's own defaults and `PG*`
 * environment variables), without connecting.
 */
export function describePostgresServer(config: pg.ClientConfig | undefined): PostgresServerDescription {
  const client = new pg.Client(config);
  const host = client.host.includes(':') ? `[${client.host}]` : client.host;
  return {
    address: `${host}:${client.port}`,
    user: client.user,
    database: client.database,
    password: typeof client.password === 'string' && client.password !== '' ? client.password : undefined,
  };
}

/** The SQLSTATE or socket error code of an error, looking into an `AggregateError` (happy eyeballs). */
export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  if (Array.isArray(errors)) return errorCodeOf(errors[0]);
  return undefined;
}

/** True when the server rolled the transaction back for a deadlock or a serialization failure: safe to run again. */
export function isTransientConflict(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code !== undefined && transientConflictCodes.has(code);
}

/** Removes every occurrence of the password from a text. */
function redact(text: string, password: string | undefined): string {
  return password === undefined ? text : text.split(password).join('***');
}

/**
 * Maps what pg threw to the journal's errors; the password never appears in a message.
 * - unreachable server, broken connection, shutdown, exhausted resources: `JOURNAL_UNAVAILABLE`,
 *   retryable, naming `host:port`;
 * - refused login or unknown database: `JOURNAL_ACCESS_DENIED`, not retryable (fix the credentials);
 * - any other server error: `JOURNAL_QUERY_FAILED`, not retryable, with the SQLSTATE;
 * - paymigrate errors and programming errors (`TypeError`, ...) pass through unchanged.
 *
 * @param error What was thrown.
 * @param context The journal operation (`write`, `claim`, ...) and the server.
 */
export function toJournalError(error: unknown, context: { readonly operation: string; readonly server: PostgresServerDescription }): unknown {
  if (PaymigrateError.isInstance(error)) return error;
  const { operation, server } = context;
  const code = errorCodeOf(error);
  const message = error instanceof Error ? redact(error.message, server.password) : String(error);
  const isDatabaseError = error instanceof pg.DatabaseError;
  if ((code !== undefined && (networkErrorCodes.has(code) || (isDatabaseError && isUnavailableState(code)))) || (!isDatabaseError && brokenConnectionMessage.test(message))) {
    const reason = code ?? message;
    return new PaymigrateError(
      'JOURNAL_UNAVAILABLE',
      `PostgreSQL journal unavailable during ${operation}: cannot use the server at ${server.address} (${reason}). ` +
        'Check that it is running and reachable; nothing was applied unless a write was committing, so retry later.',
      { isRetryable: true, cause: error },
    );
  }
  if (!isDatabaseError) return error;
  if (code !== undefined && isAccessDeniedState(code)) {
    return new PaymigrateError(
      'JOURNAL_ACCESS_DENIED',
      `PostgreSQL at ${server.address} refused the journal (user '${server.user ?? 'unknown'}', database '${server.database ?? 'unknown'}'): ${message} ` +
        `(SQLSTATE ${code}). Fix the credentials or the database name in the connection string.`,
      { cause: error },
    );
  }
  return new PaymigrateError('JOURNAL_QUERY_FAILED', `PostgreSQL journal ${operation} failed on ${server.address}: ${message} (SQLSTATE ${String(code)}).`, {
    cause: error,
  });
}
