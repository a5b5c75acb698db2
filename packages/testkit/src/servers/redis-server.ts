import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from './server-process.js';

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /**
   * Loopback port to listen on.
   * @default a free port found with `findFreePort` (retried on another port if it was taken meanwhile)
   */
  readonly port?: number | undefined;
  /**
   * The `redis-server` program: a name on `PATH` or an absolute path.
   * @default 'redis-server'
   */
  readonly command?: string | undefined;
  /**
   * How long to wait for the server to answer `PING`, milliseconds.
   * @default 10000
   */
  readonly startupTimeoutMs?: number | undefined;
  /**
   * How long `stop()` waits after SIGTERM before it sends SIGKILL, milliseconds.
   * @default 5000
   */
  readonly stopTimeoutMs?: number | undefined;
}

/** A Redis server running as a child process on loopback, from {@link startRedisServer}. */
export interface RedisServer {
  /** The port it listens on. */
  readonly port: number;
  /** Always loopback. */
  readonly host: '127.0.0.1';
  /** `redis://127.0.0.1:<port>` (no password, database 0). */
  readonly url: string;
  /** Process id of `redis-server`. */
  readonly pid: number;
  /**
   * Stops the server by its process id (SIGTERM; SIGKILL when it has not exited within
   * `stopTimeoutMs`), waits for it to exit and removes its temporary folder. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts a throw-away Redis server on loopback for tests and benchmarks:
 * `redis-server --port <port> --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir <tmp>`,
 * so nothing is persisted and the working folder is a temporary one that `stop()` removes. Resolves
 * once the server answers `PING`. The server is killed by pid if this process exits without
 * calling `stop()` (an exit hook, plus a watchdog for a parent killed by a signal).
 *
 * @throws Error saying `apt-get install redis-server` when the program is missing, or quoting the
 *   tail of the server output when it exits during start-up or does not answer in time.
 * @example
 * const server = await startRedisServer();
 * const redis = new Redis(server.url);
 * // ...
 * redis.disconnect();
 * await server.stop();
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
  const workingDirectory = await mkdtemp(join(tmpdir(), 'paymigrate-redis-'));
  const server = await startServerProcess({
    displayName: 'Redis',
    command: options.command ?? 'redis-server',
    commandArguments: (port) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      workingDirectory,
    ],
    installHint: 'apt-get install redis-server',
    probeRequest: 'PING\r\n',
    probeReplyPrefix: '+PONG',
    port: options.port,
    startupTimeoutMs: options.startupTimeoutMs ?? 10_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
    cleanup: () => rm(workingDirectory, { recursive: true, force: true, maxRetries: 3 }),
  });
  return {
    port: server.port,
    host: '127.0.0.1',
    url: `redis://127.0.0.1:${server.port}`,
    pid: server.pid,
    stop: () => server.stop(),
  };
}
