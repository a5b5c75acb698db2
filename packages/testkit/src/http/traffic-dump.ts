import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RecordedCall } from './call-recorder.js';

/** Environment variable naming the folder where {@link writeTrafficDumps} writes. */
export const trafficDumpDirectoryVariable = 'PAYMIGRATE_TRAFFIC_DIR';

/** Anything whose recorded calls can be dumped; every fake API is one. */
export interface TrafficSource {
  /** Name of the fake API; the dump file is `<name>-traffic.json`. */
  readonly name: string;
  /** Base URL of the fake API. */
  readonly baseUrl: string;
  /** Calls recorded so far. */
  readonly calls: readonly RecordedCall[];
}

/** The JSON document a traffic dump file holds. */
export interface TrafficDump {
  /** Name of the fake API. */
  readonly name: string;
  /** Base URL of the fake API (the first one, when several APIs share a name). */
  readonly baseUrl: string;
  /** Every recorded call, in arrival order. */
  readonly calls: readonly RecordedCall[];
}

const registeredSources = new Set<TrafficSource>();

/**
 * Adds a source to the set {@link writeTrafficDumps} writes by default. `createFakeApi` calls it;
 * the set lives as long as the test worker.
 */
export function registerTrafficSource(source: TrafficSource): void {
  registeredSources.add(source);
}

/**
 * The folder named by `PAYMIGRATE_TRAFFIC_DIR`, or `undefined` when the variable is unset or empty.
 */
export function trafficDumpDirectory(): string | undefined {
  const directory = process.env[trafficDumpDirectoryVariable];
  return directory === undefined || directory.trim() === '' ? undefined : directory;
}

/**
 * Writes one source's calls as a {@link TrafficDump} JSON file, creating missing folders.
 * @param source The fake API (or any traffic source).
 * @param filePath Where to write.
 */
export async function writeTrafficDump(source: TrafficSource, filePath: string): Promise<void> {
  const dump: TrafficDump = { name: source.name, baseUrl: source.baseUrl, calls: source.calls };
  await mkdir(dirname(filePath), { recursive: true });
  await writeFile(filePath, `${JSON.stringify(dump, null, 2)}\n`, 'utf8');
}

/** Options of {@link writeTrafficDumps}. */
export interface WriteTrafficDumpsOptions {
  /**
   * Folder to write to.
   * @default trafficDumpDirectory() — nothing is written when that is undefined
   */
  readonly directory?: string | undefined;
  /**
   * The sources to dump.
   * @default every fake API created in this process
   */
  readonly sources?: readonly TrafficSource[] | undefined;
}

/**
 * Writes `<directory>/<name>-traffic.json` for every fake API (one file per API name; APIs sharing
 * a name are merged). Call it from an `afterAll` hook so CI can keep the traffic of a failing run.
 * Does nothing when no directory is given and `PAYMIGRATE_TRAFFIC_DIR` is unset.
 * @returns The paths written, sorted.
 */
export async function writeTrafficDumps(options: WriteTrafficDumpsOptions = {}): Promise<string[]> {
  const directory = options.directory ?? trafficDumpDirectory();
  if (directory === undefined) return [];
  const dumpsByName = new Map<string, { baseUrl: string; calls: RecordedCall[] }>();
  for (const source of options.sources ?? [...registeredSources]) {
    const dump = dumpsByName.get(source.name);
    if (dump === undefined) dumpsByName.set(source.name, { baseUrl: source.baseUrl, calls: [...source.calls] });
    else dump.calls.push(...source.calls);
  }
  const written: string[] = [];
  for (const [name, dump] of dumpsByName) {
    const filePath = join(directory, trafficDumpFileName(name));
    const calls = dump.calls.sort((left, right) => left.startedAt - right.startedAt);
    await writeTrafficDump({ name, baseUrl: dump.baseUrl, calls }, filePath);
    written.push(filePath);
  }
  return written.sort();
}

/**
 * The dump file name for a fake API: `<name>-traffic.json`, with characters unsafe in file names
 * replaced by `-`.
 */
export function trafficDumpFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]/g, '-')}-traffic.json`;
}
