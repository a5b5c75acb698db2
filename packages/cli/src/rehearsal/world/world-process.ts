import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { WorldUnavailableError } from '../../cli-errors.js';
import { createWorldClient, type WorldClient } from './world-client.js';
import type { WorldEndpoint, WorldFaults } from './world-protocol.js';
import { startWorld } from './world-server.js';

/** The hidden command that runs a world process. */
export const worldCommandName = '__world';

/** How long a new world process may take to report its endpoint. */
const startTimeoutMs = 30_000;

/** What starting a world process needs. */
export interface SpawnWorldOptions {
  /** Seed of the fakes. */
  readonly seed: number;
  /** Faults to inject. */
  readonly faults?: WorldFaults | undefined;
  /** The world stops after this long without a call, milliseconds. */
  readonly idleTimeoutMs?: number | undefined;
}

/**
 * Starts the world in a detached process of its own (this program again, with the hidden
 * `__world` command), so that it keeps the providers' state when the rehearsal is killed, and
 * answers its endpoint. The world stops by itself when idle for `idleTimeoutMs`.
 *
 * @throws WorldUnavailableError when the process does not report an endpoint in time.
 */
export async function spawnWorldProcess(options: SpawnWorldOptions): Promise<WorldEndpoint> {
  const script = process.argv[1];
  /* v8 ignore next -- node always has a script path when running this program */
  if (script === undefined) throw new WorldUnavailableError({ message: 'cannot start the rehearsal world: the program path is unknown' });
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      script,
      worldCommandName,
      '--seed',
      String(options.seed),
      '--idle-timeout-ms',
      String(options.idleTimeoutMs ?? 600_000),
      '--faults',
      JSON.stringify(options.faults ?? {}),
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: process.env },
  );
  const lines = createInterface({ input: child.stdout });
  try {
    const endpoint = await new Promise<WorldEndpoint>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WorldUnavailableError({ message: `the rehearsal world did not start within ${startTimeoutMs} ms` })), startTimeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new WorldUnavailableError({ message: `the rehearsal world exited at start (exit code ${String(code)})` }));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as WorldEndpoint);
        } catch (error) {
          reject(new WorldUnavailableError({ message: `the rehearsal world reported no endpoint: ${line.slice(0, 200)}`, cause: error }));
        }
      });
    });
    return endpoint;
  } finally {
    lines.close();
    child.stdout.destroy();
    child.removeAllListeners('exit');
    child.unref();
  }
}

/**
 * The body of the `__world` process: starts the world, prints its endpoint as one JSON line on
 * standard output, and lives until the world stops.
 */
export async function runWorldProcess(options: SpawnWorldOptions, write: (line: string) => void): Promise<void> {
  const world = await startWorld({ seed: options.seed, faults: options.faults, idleTimeoutMs: options.idleTimeoutMs });
  const endpoint: WorldEndpoint = { controlUrl: world.controlUrl, token: world.token, processId: world.processId, worldId: world.worldId };
  write(`${JSON.stringify(endpoint)}\n`);
  await world.stopped;
}

/**
 * Connects to a world and checks it is the one expected (same instance id).
 *
 * @throws WorldUnavailableError when it cannot be reached or is another world.
 */
export async function connectWorld(endpoint: WorldEndpoint): Promise<WorldClient> {
  const client = createWorldClient(endpoint);
  const description = await client.call('ping', {});
  if (description.worldId !== endpoint.worldId) {
    throw new WorldUnavailableError({
      message: `the world at ${endpoint.controlUrl} is another one (${description.worldId}, expected ${endpoint.worldId}): start a new rehearsal with a new --journal`,
      url: endpoint.controlUrl,
    });
  }
  return client;
}
