import { readFile } from 'node:fs/promises';
import { startServerProcess } from './server-process.js';

/** Options of {@link startMemcachedServer}. */
export interface StartMemcachedServerOptions {
  /**
   * Item memory in megabytes (`-m`).
   * @default 64
   */
  readonly memoryMegabytes?: number | undefined;
  /**
   * Largest item in bytes (`-I`), key and item header included; memcached accepts 1024 to 1 GiB.
   * @default 1048576 (memcached's own default, 1 MiB)
   */
  readonly maxItemBytes?: number | undefined;
  /**
   * Loopback port to listen on.
   * @default a free port found with `findFreePort` (retried on another port if it was taken meanwhile)
   */
  readonly port?: number | undefined;
  /**
   * The user memcached switches to when this process is root (`-u`); memcached refuses to run as
   * root without one. Ignored when this process is not root.
   * @default 'memcache' when that user exists, else 'nobody'
   */
  readonly user?: string | undefined;
  /**
   * The `memcached` program: a name on `PATH` or an absolute path.
   * @default 'memcached'
   */
  readonly command?: string | undefined;
  /**
   * How long to wait for the server to answer `version`, milliseconds.
   * @default 10000
   */
  readonly startupTimeoutMs?: number | undefined;
  /**
   * How long `stop()` waits after SIGTERM before it sends SIGKILL, milliseconds.
   * @default 5000
   */
  readonly stopTimeoutMs?: number | undefined;
}

/** A Memcached server running as a child process on loopback, from {@link startMemcachedServer}. */
export interface MemcachedServer {
  /** The port it listens on (TCP; UDP is off). */
  readonly port: number;
  /** Always loopback. */
  readonly host: '127.0.0.1';
  /** `127.0.0.1:<port>`, the form memjs and most clients take. */
  readonly servers: string;
  /** Process id of `memcached`. */
  readonly pid: number;
  /**
   * Stops the server by its process id (SIGTERM; SIGKILL when it has not exited within
   * `stopTimeoutMs`) and waits for it to exit. Idempotent.
   */
  stop(): Promise<void>;
}

/** The user memcached should switch to when started by root: `memcache` (Debian's) if present. */
async function defaultServiceUser(): Promise<string> {
  try {
    const passwd = await readFile('/etc/passwd', 'utf8');
    return passwd.split('\n').some((line) => line.startsWith('memcache:')) ? 'memcache' : 'nobody';
  } catch {
    return 'nobody';
  }
}

/** memcached's default largest item: 1 MiB. */
const defaultMaxItemBytes = 1_048_576;

/**
 * `-I <bytes>`, plus a matching `slab_chunk_max` (half the item size, in bytes, as memcached's
 * default) when the item size is below the default 1 MiB: memcached refuses to start with a chunk
 * (default 512 KiB) larger than the largest item.
 */
function itemSizeArguments(maxItemBytes: number | undefined): string[] {
  if (maxItemBytes === undefined) return [];
  const chunkArguments = maxItemBytes < defaultMaxItemBytes ? ['-o', `slab_chunk_max=${Math.floor(maxItemBytes / 2)}`] : [];
  return ['-I', String(maxItemBytes), ...chunkArguments];
}

/**
 * Starts a throw-away Memcached server on loopback for tests and benchmarks:
 * `memcached -p <port> -l 127.0.0.1 -U 0 [-u <user>] -m <memoryMegabytes> [-I <maxItemBytes>] -o lru_crawler`.
 * When this process is root, memcached is told to switch to `options.user` (it refuses root
 * otherwise). Resolves once the server answers `version`. The server is killed by pid if this
 * process exits without calling `stop()` (an exit hook, plus a watchdog for a parent killed by a
 * signal).
 *
 * @throws Error saying `apt-get install memcached` when the program is missing, or quoting the tail
 *   of the server output when it exits during start-up or does not answer in time.
 * @example
 * const server = await startMemcachedServer({ memoryMegabytes: 128 });
 * const client = memjs.Client.create(server.servers);
 * // ...
 * client.close();
 * await server.stop();
 */
export async function startMemcachedServer(options: StartMemcachedServerOptions = {}): Promise<MemcachedServer> {
  const runningAsRoot = process.getuid?.() === 0;
  const user = runningAsRoot ? (options.user ?? (await defaultServiceUser())) : undefined;
  const server = await startServerProcess({
    displayName: 'Memcached',
    command: options.command ?? 'memcached',
    commandArguments: (port) => [
      '-p',
      String(port),
      '-l',
      '127.0.0.1',
      '-U',
      '0',
      ...(user === undefined ? [] : ['-u', user]),
      '-m',
      String(options.memoryMegabytes ?? 64),
      ...itemSizeArguments(options.maxItemBytes),
      '-o',
      'lru_crawler',
    ],
    installHint: 'apt-get install memcached',
    probeRequest: 'version\r\n',
    probeReplyPrefix: 'VERSION ',
    port: options.port,
    startupTimeoutMs: options.startupTimeoutMs ?? 10_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
  });
  return {
    port: server.port,
    host: '127.0.0.1',
    servers: `127.0.0.1:${server.port}`,
    pid: server.pid,
    stop: () => server.stop(),
  };
}
