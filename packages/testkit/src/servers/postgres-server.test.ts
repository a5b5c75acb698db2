import { access, chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { findFreePort } from './free-port.js';
import { locatePostgresBinaries, postgresBinariesVariable } from './postgres-binaries.js';
import { killRunningPostgresServers, startPostgresServer } from './postgres-server.js';
import { runCommand } from './run-command.js';

/** True while a process with this pid exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs one SQL statement through psql and returns its unaligned output. */
async function psql(port: number, statement: string): Promise<string> {
  const binaries = await locatePostgresBinaries();
  const result = await runCommand(join(binaries, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-Atc', statement]);
  expect(result.exitCode, result.output).toBe(0);
  return result.output.trim();
}

/**
 * Listens on a loopback port and resolves with the server, to prove the port is free (or to hold
 * it). Connections are dropped at once, so closing never waits for them.
 */
function listenOn(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `condition` holds, up to `timeoutMs`. */
async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleepFor(20);
}

describe('startPostgresServer', () => {
  test('starts a server that accepts connections, then stops it: pid gone, port free, folder removed', async () => {
    const server = await startPostgresServer();
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.connectionString).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);
      expect(isAlive(server.pid)).toBe(true);
      expect((await stat(server.dataDirectory)).isDirectory()).toBe(true);
      expect(await psql(server.port, 'SELECT 40 + 2')).toBe('42');
      expect(await psql(server.port, "SELECT current_setting('fsync') || ',' || current_setting('max_connections') || ',' || current_setting('server_encoding')")).toBe(
        'off,200,UTF8',
      );
      expect(await psql(server.port, 'SELECT pg_postmaster_start_time() IS NOT NULL')).toBe('t');
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    expect(await exists(dirname(server.dataDirectory))).toBe(false);
    await close(await listenOn(server.port));
    await server.stop();
  });

  test('listens on the port it is given', async () => {
    const port = await findFreePort();
    const server = await startPostgresServer({ port });
    try {
      expect(server.port).toBe(port);
      expect(await psql(port, 'SELECT 1')).toBe('1');
    } finally {
      await server.stop();
    }
  });

  test('fails with the server log when the port is taken', async () => {
    const port = await findFreePort();
    const holder = await listenOn(port);
    try {
      await expect(startPostgresServer({ port })).rejects.toThrow(/exited during start-up[\s\S]*Server log[\s\S]*(could not bind|could not create any TCP\/IP sockets)/);
    } finally {
      await close(holder);
    }
  });

  test('fails with the server log when it is not ready within the start-up timeout', async () => {
    await expect(startPostgresServer({ startupTimeoutMs: 0 })).rejects.toThrow(/did not accept connections within 0 ms\. Server log/);
  });

  test('stop escalates to SIGKILL when the server ignores SIGINT for too long', async () => {
    const server = await startPostgresServer({ stopTimeoutMs: 1 });
    // Stop the postmaster so SIGINT stays pending; SIGKILL still ends it.
    process.kill(server.pid, 'SIGSTOP');
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(await exists(dirname(server.dataDirectory))).toBe(false);
  });

  test('the exit hook kills running servers by pid and removes their folders', async () => {
    const server = await startPostgresServer();
    killRunningPostgresServers();
    await eventually(() => !isAlive(server.pid));
    expect(isAlive(server.pid)).toBe(false);
    expect(await exists(dirname(server.dataDirectory))).toBe(false);
    await server.stop();
  });

  describe('with broken PostgreSQL programs', () => {
    /** Runs `body` with PAYMIGRATE_POSTGRES_BIN pointing at stand-ins for initdb, postgres and pg_isready. */
    async function withPrograms(programs: { initdb: string; postgres: string }, body: () => Promise<void>): Promise<void> {
      const bin = await mkdtemp(join(tmpdir(), 'paymigrate-fake-postgres-'));
      const previous = process.env[postgresBinariesVariable];
      try {
        await mkdir(bin, { recursive: true });
        for (const [name, script] of Object.entries({ ...programs, pg_isready: '#!/bin/sh\nexit 2\n' })) {
          await writeFile(join(bin, name), script);
          await chmod(join(bin, name), 0o755);
        }
        await chmod(bin, 0o755);
        process.env[postgresBinariesVariable] = bin;
        await body();
      } finally {
        if (previous === undefined) delete process.env[postgresBinariesVariable];
        else process.env[postgresBinariesVariable] = previous;
        await rm(bin, { recursive: true, force: true });
      }
    }
    /** An initdb that only creates the data folder (its last argument). */
    const creatingInitdb = '#!/bin/sh\nfor last in "$@"; do :; done\nmkdir -p "$last"\n';

    test('reports a failing initdb with its output', async () => {
      await withPrograms({ initdb: '#!/bin/sh\necho "initdb: error: cannot be run as root" >&2\nexit 1\n', postgres: '#!/bin/sh\n' }, async () => {
        await expect(startPostgresServer()).rejects.toThrow('initdb failed (exit code 1):\ninitdb: error: cannot be run as root');
      });
    });

    test('reports a postgres program that cannot be executed', async () => {
      await withPrograms({ initdb: creatingInitdb, postgres: '#!/nonexistent/interpreter\n' }, async () => {
        await expect(startPostgresServer()).rejects.toThrow(/Could not start .*postgres: spawn .*ENOENT/);
      });
    });

    test('reports a server that exits at once without leaving a log', async () => {
      await withPrograms({ initdb: creatingInitdb, postgres: '#!/bin/sh\nrm -f "$(dirname "$2")/postgres.log"\nexit 3\n' }, async () => {
        await expect(startPostgresServer()).rejects.toThrow(/exited during start-up \(exit code 3\)\. Server log \(last lines\):\n\(no server log\)/);
      });
    });
  });
});
