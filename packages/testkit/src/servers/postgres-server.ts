import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { findFreePort } from './free-port.js';
import { locatePostgresBinaries } from './postgres-binaries.js';
import { type ProcessIdentity, runCommand, tailOf } from './run-command.js';

/** Options of {@link startPostgresServer}. */
export interface StartPostgresServerOptions {
  /**
   * Loopback port to listen on.
   * @default a free port found with `findFreePort`
   */
  readonly port?: number | undefined;
  /**
   * How long to wait for the server to accept connections before giving up, milliseconds.
   * @default 20000
   */
  readonly startupTimeoutMs?: number | undefined;
  /**
   * How long `stop()` waits after SIGINT (fast shutdown) before it sends SIGKILL, milliseconds.
   * @default 10000
   */
  readonly stopTimeoutMs?: number | undefined;
}

/** A PostgreSQL server running as a child process on loopback, from {@link startPostgresServer}. */
export interface PostgresServer {
  /** The port it listens on. */
  readonly port: number;
  /** Always loopback. */
  readonly host: '127.0.0.1';
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust authentication, no password). */
  readonly connectionString: string;
  /** Process id of the postmaster. */
  readonly pid: number;
  /** The cluster's data folder (inside a temporary folder that `stop()` removes). */
  readonly dataDirectory: string;
  /**
   * Stops the server by its process id (SIGINT, a fast shutdown that ends open sessions; SIGKILL
   * when it has not exited within `stopTimeoutMs`), waits for it to exit and removes its temporary
   * folder. Idempotent: later calls return the same promise.
   */
  stop(): Promise<void>;
}

/** A started server the exit hook must not leave behind. */
interface RunningServer {
  readonly pid: number;
  readonly temporaryDirectory: string;
}

const runningServers = new Set<RunningServer>();
let exitHookInstalled = false;

/** Default of `startupTimeoutMs`. */
const defaultStartupTimeoutMs = 20_000;
/** Default of `stopTimeoutMs`. */
const defaultStopTimeoutMs = 10_000;
/** Lines of the server log quoted in start-up errors. */
const quotedLogLines = 30;

/**
 * Kills every server this process started and has not stopped yet (SIGKILL by pid) and removes
 * their temporary folders, synchronously. Runs on `process.on('exit')`, where nothing can be
 * awaited; exported for tests of that hook.
 */
export function killRunningPostgresServers(): void {
  for (const server of runningServers) {
    signalProcess(server.pid, 'SIGKILL');
    try {
      rmSync(server.temporaryDirectory, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: the process is exiting and cannot report anything anyway.
    }
  }
  runningServers.clear();
}

/** Sends a signal by pid; a process that is already gone is not an error. */
function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already exited.
  }
}

/** The `postgres` system user, which the server must run as when this process is root. */
async function postgresUserIdentity(): Promise<ProcessIdentity> {
  const [user, group] = await Promise.all([runCommand('id', ['-u', 'postgres']), runCommand('id', ['-g', 'postgres'])]);
  const uid = Number.parseInt(user.output, 10);
  const gid = Number.parseInt(group.output, 10);
  if (user.exitCode !== 0 || group.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(
      "PostgreSQL refuses to run as root and this system has no 'postgres' user to run it as: " +
        'install postgresql (apt-get install postgresql creates the user) or run the tests as a non-root user.',
    );
  }
  return { uid, gid };
}

/** Reads the tail of the server log for an error message. */
async function logTail(logFile: string): Promise<string> {
  try {
    return tailOf(await readFile(logFile, 'utf8'), quotedLogLines);
  } catch {
    return '(no server log)';
  }
}

/** Resolves `true` when the child exits within `timeoutMs`, `false` otherwise. */
function waitForExit(exited: Promise<void>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts the postmaster with settings for throw-away test clusters. */
function spawnPostmaster(input: {
  readonly binaries: string;
  readonly dataDirectory: string;
  readonly socketDirectory: string;
  readonly port: number;
  readonly logFile: string;
  readonly identity: ProcessIdentity | undefined;
}): ChildProcess {
  const logDescriptor = openSync(input.logFile, 'a');
  try {
    const settings = [
      'listen_addresses=127.0.0.1',
      `unix_socket_directories=${input.socketDirectory}`,
      'fsync=off',
      'synchronous_commit=off',
      'full_page_writes=off',
      'max_connections=200',
    ];
    return spawn(join(input.binaries, 'postgres'), ['-D', input.dataDirectory, '-p', String(input.port), ...settings.flatMap((setting) => ['-c', setting])], {
      detached: false,
      stdio: ['ignore', logDescriptor, logDescriptor],
      ...(input.identity === undefined ? {} : { uid: input.identity.uid, gid: input.identity.gid }),
    });
  } finally {
    closeSync(logDescriptor);
  }
}

/**
 * Starts a throw-away PostgreSQL server on loopback for tests and benchmarks: a fresh cluster in
 * a temporary folder (`initdb -A trust -U postgres --no-sync`, UTF-8, C locale), durability
 * switched off (`fsync`, `synchronous_commit`, `full_page_writes`), 200 connections, its Unix
 * socket inside the temporary folder rather than /var/run/postgresql.
 *
 * PostgreSQL refuses to run as root: when this process is root, the folder is handed to the
 * `postgres` user and `initdb` and the server run as that user (set through the child process's
 * uid and gid, so `pid` is the postmaster itself, not a `runuser` wrapper). Otherwise they run as
 * the current user. The programs are found by `locatePostgresBinaries`.
 *
 * The server is killed by pid if this process exits without calling `stop()`. `stop()` is a fast
 * shutdown that ends open sessions: end your `pg` pools first (or give them an `error` listener),
 * or an idle client's error event crashes the test process.
 *
 * @throws Error when PostgreSQL is not installed, `initdb` fails, or the server does not accept
 *   connections within `startupTimeoutMs`; start-up errors quote the tail of the server log.
 * @example
 * const server = await startPostgresServer();
 * const pool = new pg.Pool({ connectionString: server.connectionString });
 * // ...
 * await pool.end();
 * await server.stop();
 */
export async function startPostgresServer(options: StartPostgresServerOptions = {}): Promise<PostgresServer> {
  const binaries = await locatePostgresBinaries();
  const identity = process.getuid?.() === 0 ? await postgresUserIdentity() : undefined;
  const temporaryDirectory = await mkdtemp(join(tmpdir(), 'paymigrate-postgres-'));
  const removeTemporaryDirectory = (): Promise<void> => rm(temporaryDirectory, { recursive: true, force: true, maxRetries: 3 });
  const dataDirectory = join(temporaryDirectory, 'data');
  const logFile = join(temporaryDirectory, 'postgres.log');

  if (identity !== undefined) await chown(temporaryDirectory, identity.uid, identity.gid);
  const initdb = await runCommand(
    join(binaries, 'initdb'),
    ['-A', 'trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C', '-D', dataDirectory],
    identity,
  );
  if (initdb.exitCode !== 0) {
    await removeTemporaryDirectory();
    throw new Error(`initdb failed (exit code ${String(initdb.exitCode)}):\n${tailOf(initdb.output, quotedLogLines)}`);
  }

  const port = options.port ?? (await findFreePort());
  const child = spawnPostmaster({ binaries, dataDirectory, socketDirectory: temporaryDirectory, port, logFile, identity });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    });
  });
  if (child.pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    await removeTemporaryDirectory();
    throw new Error(`Could not start ${join(binaries, 'postgres')}: ${error.message}`);
  }
  child.unref();
  const pid = child.pid;
  const entry: RunningServer = { pid, temporaryDirectory };
  runningServers.add(entry);
  if (!exitHookInstalled) {
    process.on('exit', killRunningPostgresServers);
    exitHookInstalled = true;
  }

  const fail = async (problem: string): Promise<never> => {
    signalProcess(pid, 'SIGKILL');
    await exited;
    runningServers.delete(entry);
    const tail = await logTail(logFile);
    await removeTemporaryDirectory();
    throw new Error(`PostgreSQL on 127.0.0.1:${port} ${problem}. Server log (last lines):\n${tail}`);
  };

  const startupTimeoutMs = options.startupTimeoutMs ?? defaultStartupTimeoutMs;
  const deadline = Date.now() + startupTimeoutMs;
  for (;;) {
    const probe = await runCommand(join(binaries, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '1']);
    if (exitCode !== undefined) return fail(`exited during start-up (exit code ${String(exitCode)})`);
    if (probe.exitCode === 0) break;
    if (Date.now() >= deadline) return fail(`did not accept connections within ${startupTimeoutMs} ms`);
    await sleepFor(50);
  }

  const stopTimeoutMs = options.stopTimeoutMs ?? defaultStopTimeoutMs;
  let stopping: Promise<void> | undefined;
  return {
    port,
    host: '127.0.0.1',
    connectionString: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    pid,
    dataDirectory,
    stop() {
      stopping ??= (async () => {
        if (exitCode === undefined) {
          child.ref();
          signalProcess(pid, 'SIGINT');
          if (!(await waitForExit(exited, stopTimeoutMs))) {
            signalProcess(pid, 'SIGKILL');
            await exited;
          }
        }
        runningServers.delete(entry);
        await removeTemporaryDirectory();
      })();
      return stopping;
    },
  };
}
