import { describe, expect, test } from 'vitest';
import { inTransaction, type TransactionClient } from './postgres-transaction.js';

/** A client that records statements and fails those a script says should fail. */
class ScriptedClient implements TransactionClient {
  readonly statements: string[] = [];
  released: (Error | boolean | undefined)[] = [];
  readonly #failures: Map<string, unknown>;

  constructor(failures: Record<string, unknown> = {}) {
    this.#failures = new Map(Object.entries(failures));
  }

  async query(text: string): Promise<unknown> {
    this.statements.push(text);
    if (this.#failures.has(text)) throw this.#failures.get(text);
    return {};
  }

  release(error?: Error | boolean): void {
    this.released.push(error);
  }
}

/** A pool handing out the given clients in turn. */
function poolOf(...clients: ScriptedClient[]): { connect(): Promise<ScriptedClient>; connections: number } {
  const pool = {
    connections: 0,
    async connect(): Promise<ScriptedClient> {
      const client = clients[pool.connections];
      pool.connections += 1;
      if (client === undefined) throw new Error('no more clients');
      return client;
    },
  };
  return pool;
}

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
const serialization = Object.assign(new Error('could not serialize access'), { code: '40001' });

describe('inTransaction', () => {
  test('commits what the body did and returns its result', async () => {
    const client = new ScriptedClient();
    const result = await inTransaction(poolOf(client), async (connection) => {
      await connection.query('UPDATE something');
      return 42;
    });
    expect(result).toBe(42);
    expect(client.statements).toEqual(['BEGIN ISOLATION LEVEL READ COMMITTED', 'UPDATE something', 'COMMIT']);
    expect(client.released).toEqual([undefined]);
  });

  test('rolls back and rethrows a failure that is not a transient conflict, without retrying', async () => {
    const client = new ScriptedClient();
    const pool = poolOf(client, new ScriptedClient());
    const failure = Object.assign(new Error('unique violation'), { code: '23505' });
    await expect(
      inTransaction(pool, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(client.statements).toEqual(['BEGIN ISOLATION LEVEL READ COMMITTED', 'ROLLBACK']);
    expect(pool.connections).toBe(1);
  });

  test('runs a deadlock victim or serialization failure again, on a fresh connection', async () => {
    const clients = [new ScriptedClient({ COMMIT: serialization }), new ScriptedClient({ 'UPDATE something': deadlock }), new ScriptedClient()];
    const pool = poolOf(...clients);
    let attempts = 0;
    const result = await inTransaction(
      pool,
      async (connection) => {
        attempts += 1;
        await connection.query('UPDATE something');
        return attempts;
      },
      { maximumFirstPauseMs: 1 },
    );
    expect(result).toBe(3);
    expect(clients.map((client) => client.statements.at(-1))).toEqual(['ROLLBACK', 'ROLLBACK', 'COMMIT']);
  });

  test('gives up after the last attempt and throws the conflict', async () => {
    const pool = poolOf(...Array.from({ length: 3 }, () => new ScriptedClient({ 'UPDATE something': deadlock })));
    await expect(inTransaction(pool, (connection) => connection.query('UPDATE something'), { attempts: 2, maximumFirstPauseMs: 1 })).rejects.toBe(deadlock);
    expect(pool.connections).toBe(2);
  });

  test('destroys a connection whose ROLLBACK fails', async () => {
    const rollbackFailure = new Error('connection lost');
    const client = new ScriptedClient({ 'UPDATE something': new Error('boom'), ROLLBACK: rollbackFailure });
    await expect(inTransaction(poolOf(client), (connection) => connection.query('UPDATE something'))).rejects.toThrow('boom');
    expect(client.released).toEqual([rollbackFailure]);
    const oddClient = new ScriptedClient({ 'UPDATE something': new Error('boom'), ROLLBACK: 'not an error object' });
    await expect(inTransaction(poolOf(oddClient), (connection) => connection.query('UPDATE something'))).rejects.toThrow('boom');
    expect(oddClient.released[0]).toBeInstanceOf(Error);
  });
});
