import { setTimeout as sleepFor } from 'node:timers/promises';
import { isTransientConflict } from './postgres-errors.js';

/** The part of a pooled pg client a transaction needs. */
export interface TransactionClient {
  /** Runs a statement. */
  query(text: string): Promise<unknown>;
  /** Gives the connection back; an error (or `true`) destroys it instead. */
  release(error?: Error | boolean): void;
}

/** The part of a pg pool a transaction needs. */
export interface TransactionPool<Client extends TransactionClient> {
  /** Checks a connection out. */
  connect(): Promise<Client>;
}

/** How `inTransaction` retries a transaction the server rolled back. */
export interface TransactionRetryPolicy {
  /**
   * Attempts in all, the first included.
   * @default 4
   */
  readonly attempts?: number | undefined;
  /**
   * Upper bound of the random pause before a retry, milliseconds; it doubles with each retry.
   * @default 20
   */
  readonly maximumFirstPauseMs?: number | undefined;
}

/**
 * Runs `body` in a READ COMMITTED transaction on one pooled connection: COMMIT when it resolves,
 * ROLLBACK when it throws. The isolation level is explicit because the journal's statements rely
 * on its semantics (a blocked `ON CONFLICT` or `FOR UPDATE` sees the row the other transaction
 * committed), whatever `default_transaction_isolation` says.
 *
 * A deadlock (40P01) or serialization failure (40001) means the server rolled the whole
 * transaction back and applied nothing, so the transaction runs again from the start, re-checking
 * every condition, after a short random pause: up to `attempts` times, then the error is thrown.
 * Pauses use real time, never the journal's (possibly manual) clock.
 *
 * A connection on which ROLLBACK fails is destroyed rather than returned to the pool.
 */
export async function inTransaction<Client extends TransactionClient, Result>(
  pool: TransactionPool<Client>,
  body: (client: Client) => Promise<Result>,
  policy: TransactionRetryPolicy = {},
): Promise<Result> {
  const attempts = policy.attempts ?? 4;
  const maximumFirstPauseMs = policy.maximumFirstPauseMs ?? 20;
  for (let attempt = 1; ; attempt += 1) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = await rollback(client);
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
    } finally {
      client.release(broken);
    }
    await sleepFor(Math.random() * maximumFirstPauseMs * 2 ** (attempt - 1));
  }
}

/** Rolls back; returns the error when that fails, so the connection gets destroyed. */
async function rollback(client: TransactionClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
