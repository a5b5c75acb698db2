import { randomBytes } from 'node:crypto';
import { type PostgresServer, startPostgresServer } from '@paymigrate/testkit';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

/** One PostgreSQL server for a test file, with helpers to keep test cases apart. */
export interface PostgresTestServer {
  /** The running server (available from `beforeAll` on). */
  readonly server: () => PostgresServer;
  /** Its connection string. */
  readonly connectionString: () => string;
  /** A schema name no other test case uses. */
  readonly freshSchema: () => string;
  /** Opens a pool the test must end; ended automatically in `afterAll` too. */
  readonly createPool: (size?: number) => pg.Pool;
  /** A pool for inspecting and arranging the database directly. */
  readonly administration: () => pg.Pool;
}

/**
 * Starts one PostgreSQL server in `beforeAll` and stops it in `afterAll` (by pid, through the
 * testkit). Every test case uses a fresh schema, so cases never see each other's data.
 */
export function usePostgresTestServer(): PostgresTestServer {
  let server: PostgresServer | undefined;
  let administration: pg.Pool | undefined;
  const pools: pg.Pool[] = [];
  let schemas = 0;
  const running = (): PostgresServer => {
    if (server === undefined) throw new Error('The PostgreSQL test server is not running yet: use it inside tests or hooks.');
    return server;
  };
  const createPool = (size = 10): pg.Pool => {
    const pool = new pg.Pool({ connectionString: running().connectionString, max: size });
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    server = await startPostgresServer();
    administration = createPool(4);
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => (pool.ended ? undefined : pool.end())));
    await server?.stop();
  });

  return {
    server: running,
    connectionString: () => running().connectionString,
    freshSchema: () => {
      schemas += 1;
      return `test_${schemas}_${randomBytes(4).toString('hex')}`;
    },
    createPool,
    administration: () => administration as pg.Pool,
  };
}
