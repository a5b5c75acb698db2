import { hostname } from 'node:os';
import { loadConfigFile } from '../config/load-config.js';
import type { CommandIo } from '../output/command-io.js';
import { createRuntimeLog, type RuntimeLog } from '../runtime/create-log.js';
import { createRuntime, type PaymigrateRuntime } from '../runtime/runtime.js';

/** A runtime opened for one operator command, and how to close it. */
export interface OpenedRuntime {
  /** The engines. */
  readonly runtime: PaymigrateRuntime;
  /** The configuration file. */
  readonly file: string;
  /** Closes the journal and the log. */
  close(): Promise<void>;
}

/**
 * Reads the configuration file and builds the engines for an operator command: the journal, the
 * two gateways (secrets from the environment variables the file names), routing, the Transaction
 * State Manager, the orchestrator and the outbox relay.
 *
 * @throws ConfigFileError naming the key and the fix.
 */
export async function openRuntime(configFile: string, io: CommandIo): Promise<OpenedRuntime> {
  const { config, file } = await loadConfigFile(configFile, io.workingDirectory);
  const log: RuntimeLog = createRuntimeLog({ file: config.logging.file, level: config.logging.level, name: 'paymigrate.cli' });
  try {
    const runtime = await createRuntime({ config, environment: io.environment, source: file, logger: log.logger, owner: `cli-${hostname()}-${process.pid}` });
    return {
      runtime,
      file,
      async close() {
        await runtime.close();
        await log.close();
      },
    };
  } catch (error) {
    await log.close();
    throw error;
  }
}

/** Opens a runtime, runs `work` with it and closes it. */
export async function withRuntime<Result>(configFile: string, io: CommandIo, work: (opened: OpenedRuntime) => Promise<Result>): Promise<Result> {
  const opened = await openRuntime(configFile, io);
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}
