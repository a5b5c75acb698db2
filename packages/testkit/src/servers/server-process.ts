import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { findFreePort } from './free-port.js';
import { tailOf } from './run-command.js';

/** How to start one kind of server (Redis, Memcached) as a child process on loopback. */
export interface ServerProcessDefinition {
  /** Human name for messages, e.g. `Redis`. */
  readonly displayName: string;
  /** Program to run: a name on `PATH` or an absolute path. */
  readonly command: string;
  /** The command line for a given port. */
  readonly commandArguments: (port: number) => readonly string[];
  /** What to tell the operator when the program is missing, e.g. `apt-get install redis-server`. */
  readonly installHint: string;
  /** A request that proves the server answers (`PING\r\n`), sent after the port accepts connections. */
  readonly probeRequest: string;
  /** How a healthy answer to `probeRequest` starts (`+PONG`). */
  readonly probeReplyPrefix: string;
  /** Port to listen on; when absent a free one is found and start-up is retried if it was taken meanwhile. */
  readonly port?: number | undefined;
  /** How long to wait until the server answers `probeRequest`, milliseconds. */
  readonly startupTimeoutMs: number;
  /** How long `stop()` waits after SIGTERM before it sends SIGKILL, milliseconds. */
  readonly stopTimeoutMs: number;
  /** Runs after the process has exited for good (removes temporary folders); best effort. */
  readonly cleanup?: (() => Promise<void>) | undefined;
}

/** A server child process that answers on loopback. */
export interface ServerProcess {
  /** The port it listens on. */
  readonly port: number;
  /** Process id of the server itself (not a wrapper). */
  readonly pid: number;
  /**
   * Stops the server by its process id: SIGTERM, then SIGKILL when it has not exited within the
   * stop timeout; waits for the exit and runs the cleanup. Idempotent: later calls return the same
   * promise.
   */
  stop(): Promise<void>;
}

/** A started process the exit hook must not leave behind. */
interface RunningProcess {
  readonly pid: number;
  readonly watchdogPid: number | undefined;
}

const runningProcesses = new Set<RunningProcess>();
let exitHookInstalled = false;

/** How many fresh ports `startServerProcess` tries when a found port was taken before the server bound it. */
const portAttempts = 3;
/** Bytes of server output kept for error messages. */
const keptOutputBytes = 16_384;
/** Lines of server output quoted in errors. */
const quotedOutputLines = 20;

/**
 * Kills, synchronously and by pid, every server process started here and not stopped yet. Runs on
 * `process.on('exit')`, where nothing can be awaited; exported for tests of that hook.
 */
export function killRunningServerProcesses(): void {
  for (const running of runningProcesses) {
    if (running.watchdogPid !== undefined) signalProcess(running.watchdogPid, 'SIGKILL');
    signalProcess(running.pid, 'SIGKILL');
  }
  runningProcesses.clear();
}

/** Sends a signal by pid; a process that is already gone is not an error. */
function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already exited.
  }
}

/**
 * Arguments of `sh` for the watchdog of `pid`: wait for the end of standard input, then SIGTERM
 * `pid`. Exported for the test that kills a parent with SIGKILL.
 */
export function watchdogArguments(pid: number): string[] {
  return ['-c', 'read _line; kill -TERM "$1" 2>/dev/null', 'paymigrate-server-watchdog', String(pid)];
}

/**
 * Starts a watchdog that kills `pid` when this process dies, even by SIGKILL (when no exit hook
 * runs): a shell blocked in `read` on a pipe from this process. The kernel closes the pipe when
 * this process ends, `read` returns and the shell sends SIGTERM to the server. `read` is a shell
 * builtin, so the watchdog is one process with no children; `stop()` kills it first.
 */
function startWatchdog(pid: number): ChildProcess {
  const watchdog = spawn('sh', watchdogArguments(pid), { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  unrefStream(watchdog.stdin);
  return watchdog;
}

/** Lets the event loop end while a child's pipe is open (for tests that forget `stop()`). */
function unrefStream(stream: unknown): void {
  if (typeof stream === 'object' && stream !== null && 'unref' in stream && typeof stream.unref === 'function') {
    (stream as { unref(): void }).unref();
  }
}

/** How long a server that exited during start-up gets to flush its output before it is quoted. */
const outputDrainTimeoutMs = 1_000;

/** Resolves `true` when `exited` settles within `timeoutMs`, `false` otherwise. */
function waitForExit(exited: Promise<void>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Sends `request` to `127.0.0.1:port` and resolves whether the answer starts with `replyPrefix`. */
export function probeServer(port: number, request: string, replyPrefix: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (healthy: boolean): void => {
      socket.destroy();
      resolve(healthy);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.length >= replyPrefix.length || reply.includes('\n')) finish(reply.startsWith(replyPrefix));
    });
    socket.once('end', () => finish(reply.startsWith(replyPrefix)));
  });
}

/** Why one start-up attempt failed; `portTaken` lets the caller retry on another port. */
class StartupFailure extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
    this.name = 'StartupFailure';
  }
}

/**
 * Starts a server as a child process on a loopback port and waits until it answers a probe. The
 * child is killed by pid when this process exits (an exit hook, and a watchdog for deaths no hook
 * sees). When no port is given, a free one is found with `findFreePort`; if another process takes
 * it before the server binds it, start-up is retried on a new port (three attempts).
 *
 * @throws Error when the program is missing (with the install hint), exits during start-up, or does
 *   not answer within the start-up timeout; these errors quote the tail of the server's output.
 */
export async function startServerProcess(definition: ServerProcessDefinition): Promise<ServerProcess> {
  const attempts = definition.port === undefined ? portAttempts : 1;
  for (let attempt = 1; ; attempt += 1) {
    const port = definition.port ?? (await findFreePort());
    try {
      return await startOnPort(definition, port);
    } catch (error) {
      if (error instanceof StartupFailure && error.portTaken && attempt < attempts) continue;
      await definition.cleanup?.();
      throw error instanceof StartupFailure ? new Error(error.message) : error;
    }
  }
}

/** One start-up attempt on one port. */
async function startOnPort(definition: ServerProcessDefinition, port: number): Promise<ServerProcess> {
  const child = spawn(definition.command, [...definition.commandArguments(port)], { detached: false, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keepOutput = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-keptOutputBytes);
  };
  child.stdout?.on('data', keepOutput);
  child.stderr?.on('data', keepOutput);
  let exitDescription: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = code === null ? `signal ${String(signal)}` : `exit code ${code}`;
      resolve();
    });
  });
  // 'close' comes once the pipes are drained too: 'exit' may come before the last output was read.
  const outputClosed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (child.pid === undefined) {
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
    const problem = error.code === 'ENOENT' ? `${definition.command} was not found` : `${definition.command} could not be started (${error.message})`;
    throw new Error(`${definition.displayName}: ${problem}. Install it with: ${definition.installHint}.`);
  }
  const pid = child.pid;
  child.unref();
  unrefStream(child.stdout);
  unrefStream(child.stderr);
  const watchdog = startWatchdog(pid);
  const running: RunningProcess = { pid, watchdogPid: watchdog.pid };
  runningProcesses.add(running);
  if (!exitHookInstalled) {
    process.on('exit', killRunningServerProcesses);
    exitHookInstalled = true;
  }

  const stopNow = async (): Promise<void> => {
    if (running.watchdogPid !== undefined) signalProcess(running.watchdogPid, 'SIGKILL');
    if (exitDescription === undefined) {
      signalProcess(pid, 'SIGTERM');
      if (!(await waitForExit(exited, definition.stopTimeoutMs))) {
        signalProcess(pid, 'SIGKILL');
        await exited;
      }
    }
    runningProcesses.delete(running);
  };

  const deadline = Date.now() + definition.startupTimeoutMs;
  for (;;) {
    const healthy = await probeServer(port, definition.probeRequest, definition.probeReplyPrefix);
    if (exitDescription !== undefined) {
      // The reason (e.g. "Address already in use", which decides a retry on another port) is in
      // the output: let it arrive, within a bound (a grandchild may hold the pipes open).
      await waitForExit(outputClosed, outputDrainTimeoutMs);
      await stopNow();
      throw new StartupFailure(
        `${definition.displayName} on 127.0.0.1:${port} exited during start-up (${exitDescription}). Output (last lines):\n${tailOf(output, quotedOutputLines)}`,
        /address already in use/i.test(output),
      );
    }
    if (healthy) break;
    if (Date.now() >= deadline) {
      await stopNow();
      throw new StartupFailure(
        `${definition.displayName} on 127.0.0.1:${port} did not answer within ${definition.startupTimeoutMs} ms. Output (last lines):\n${tailOf(output, quotedOutputLines) || '(none)'}`,
        false,
      );
    }
    await sleepFor(25);
  }

  let stopping: Promise<void> | undefined;
  return {
    port,
    pid,
    stop() {
      stopping ??= (async () => {
        await stopNow();
        await definition.cleanup?.();
      })();
      return stopping;
    },
  };
}
