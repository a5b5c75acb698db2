import { ConfigurationError, PaymigrateError } from '@paymigrate/core';
import { Command, CommanderError, Option } from 'commander';
import { CliUsageError, ConfigFileError } from './cli-errors.js';
import { supportedProviders } from './config/config-schema.js';
import { defaultConfigFile } from './config/load-config.js';
import { cutoverCommand } from './commands/cutover.js';
import { initCommand } from './commands/init.js';
import { rehearseCommand, type RehearseFlags } from './commands/rehearse.js';
import { failingOutboxAttempts, outboxCommand } from './commands/outbox.js';
import { pruneEventsCommand } from './commands/prune-events.js';
import { recoverCommand } from './commands/recover.js';
import { routeRollbackCommand, routeSetCommand } from './commands/route.js';
import { statusCommand } from './commands/status.js';
import { tokensImportCommand, tokensStatusCommand } from './commands/tokens.js';
import type { CommandIo } from './output/command-io.js';
import { rehearsalFaults } from './rehearsal/rehearsal-options.js';
import { runWorldProcess, worldCommandName } from './rehearsal/world/world-process.js';

/** Exit codes of `paymigrate`. */
export const exitCodes = {
  /** Done; every invariant holds. */
  ok: 0,
  /** A check failed (an invariant, a guard), or an operation failed. */
  failed: 1,
  /** The command line or the configuration is wrong. */
  usage: 2,
} as const;

/** Collects a repeatable option. */
function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** Adds `--config <path>` (default `./paymigrate.config.json`). */
function withConfig(command: Command): Command {
  return command.option('-c, --config <path>', 'the configuration file', defaultConfigFile);
}

/**
 * Builds the `paymigrate` program. Every action stores its exit code in `result.code`; nothing
 * calls `process.exit`, so the program runs the same in tests.
 */
export function createProgram(io: CommandIo, result: { code: number }): Command {
  const program = new Command('paymigrate')
    .description('Move an e-commerce business from one payment provider to another with zero transaction loss.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run paymigrate --help for the commands)');

  program
    .command('rehearse')
    .description('rehearse a whole migration on this machine: providers, platform and session stores are local fakes; exit code 1 when an invariant fails')
    .addOption(new Option('--from <provider>', 'the provider payments move away from').choices(supportedProviders).default('stripe'))
    .addOption(new Option('--to <provider>', 'the provider payments move to').choices(supportedProviders).default('adyen'))
    .option('--customers <count>', 'customers with a card stored at the old provider', '200')
    .option('--orders <count>', 'open orders on the platform', '200')
    .option('--sessions <count>', 'active sessions in the old session store', '1000')
    .option('--seed <number>', 'seed of everything random', '1')
    .option('--journal <file>', 'the SQLite journal (default: a new temporary file); run again with the same file to resume')
    .option('--json', 'print the report as JSON on standard output', false)
    .option('--concurrency <count>', 'customers checking out at the same time', '6')
    .addOption(new Option('--inject-fault <fault>', 'inject a fault the checks must find (repeatable)').choices(rehearsalFaults).argParser(collect).hideHelp())
    .addOption(new Option('--world <where>', 'where the fakes run').choices(['process', 'in-process']).default('process').hideHelp())
    .action(async (flags: RehearseFlags) => {
      result.code = await rehearseCommand(flags, io);
    });

  program
    .command('init')
    .description('write an example paymigrate.config.json')
    .option('-c, --config <path>', 'where to write it', defaultConfigFile)
    .option('--force', 'overwrite an existing file', false)
    .action((flags: { config: string; force: boolean }) => {
      result.code = initCommand(flags, io);
    });

  withConfig(program.command('status').description('phase, ramp, in-flight payments, drain, open intents, outbox, and the guards of the next phase'))
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; json: boolean }) => {
      result.code = await statusCommand(flags, io);
    });

  const tokens = program.command('tokens').description('token migration');
  withConfig(tokens.command('import').description("import the new provider's mapping file into the encrypted vault (plain or PGP; resumable)").argument('<file>', 'the mapping file'))
    .option('--format <format>', "stripe-json, adyen-csv or generic-csv (default: the new provider's own)")
    .option('--import-id <id>', 'the import id; run again with it to resume (default: from the file digest)')
    .option('--json', 'print JSON', false)
    .action(async (file: string, flags: { config: string; format?: string; importId?: string; json: boolean }) => {
      result.code = await tokensImportCommand({ ...flags, file }, io);
    });
  withConfig(tokens.command('status').description('every token import with its counts, and whether the migration may go on'))
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; json: boolean }) => {
      result.code = await tokensStatusCommand(flags, io);
    });

  const route = program.command('route').description('routing of new payments');
  withConfig(route.command('set').description('send N % of new payments to the new provider (moves the migration into the ramp when needed)'))
    .requiredOption('--percent <number>', 'share of new payments for the new provider, 0-100')
    .option('--actor <name>', 'who (journaled; default: the system user)')
    .option('--reason <text>', 'why (journaled)')
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; percent: string; actor?: string; reason?: string; json: boolean }) => {
      result.code = await routeSetCommand(flags, io);
    });
  withConfig(route.command('rollback').description('emergency rollback: kill switch, then the migration back to the old provider; in-flight payments finish where they started'))
    .option('--keep-kill-switch', 'leave the kill switch engaged afterwards (release it with route set)', false)
    .option('--actor <name>', 'who (journaled; default: the system user)')
    .option('--reason <text>', 'why (journaled)')
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; keepKillSwitch: boolean; actor?: string; reason?: string; json: boolean }) => {
      result.code = await routeRollbackCommand(flags, io);
    });

  withConfig(program.command('cutover').description('every new payment to the new provider (the ramp must be at 100 %, or give --force-reason)'))
    .option('--force-reason <text>', 'cut over below 100 %, with this journaled reason')
    .option('--actor <name>', 'who (journaled; default: the system user)')
    .option('--reason <text>', 'why (journaled)')
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; forceReason?: string; actor?: string; reason?: string; json: boolean }) => {
      result.code = await cutoverCommand(flags, io);
    });

  withConfig(program.command('recover').description('complete every open intent (unknown outcomes resolved on their provider) and deliver the outbox'))
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; json: boolean }) => {
      result.code = await recoverCommand(flags, io);
    });

  withConfig(program.command('outbox').description('the undelivered outbox messages that keep failing (platform updates, events): attempts, last error, next attempt, what each holds up; never payloads'))
    .option('--min-attempts <number>', 'only messages with at least this many delivery attempts (0: every undelivered one)', String(failingOutboxAttempts))
    .option('--topic <topic...>', 'only messages of these topics')
    .option('--after <sequence>', 'only messages after this sequence (the next page)')
    .option('--limit <number>', 'at most this many messages (1-1000)', '50')
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; minAttempts: string; topic?: string[]; after?: string; limit: string; json: boolean }) => {
      result.code = await outboxCommand(flags, io);
    });

  withConfig(program.command('prune-events').description('delete the records of handled webhook events and the delivered outbox messages older than --keep-days (run daily; they grow with every event)'))
    .option('--keep-days <days>', 'days a handled event or a delivered outbox message is kept (at least 7: providers redeliver events for days)', '30')
    .option('--json', 'print JSON', false)
    .action(async (flags: { config: string; keepDays: string; json: boolean }) => {
      result.code = await pruneEventsCommand(flags, io);
    });

  program
    .command(worldCommandName, { hidden: true })
    .option('--seed <number>', 'seed', '1')
    .option('--idle-timeout-ms <milliseconds>', 'stop when idle this long', '600000')
    .option('--faults <json>', 'faults', '{}')
    .action(async (flags: { seed: string; idleTimeoutMs: string; faults: string }) => {
      await runWorldProcess({ seed: Number(flags.seed), idleTimeoutMs: Number(flags.idleTimeoutMs), faults: JSON.parse(flags.faults) as never }, (line) => io.stdout.write(line));
      result.code = exitCodes.ok;
    });

  return program;
}

/** The exit code and message of an error. */
function describeFailure(error: unknown): { readonly code: number; readonly message: string } {
  if (CliUsageError.isInstance(error) || ConfigFileError.isInstance(error) || ConfigurationError.isInstance(error)) {
    return { code: exitCodes.usage, message: `paymigrate: ${error.message}` };
  }
  if (PaymigrateError.isInstance(error)) return { code: exitCodes.failed, message: `paymigrate: ${error.code}: ${error.message}` };
  return { code: exitCodes.failed, message: `paymigrate: ${error instanceof Error ? error.message : String(error)}` };
}

/**
 * Runs the `paymigrate` command line and resolves its exit code: 0 done, 1 a check or an
 * operation failed (a violated invariant, a refused guard), 2 a usage or configuration error.
 *
 * @param argumentsList The arguments after the program name (`['rehearse', '--json']`).
 */
export async function runCli(argumentsList: readonly string[], io: CommandIo): Promise<number> {
  const result = { code: exitCodes.ok as number };
  const program = createProgram(io, result);
  try {
    await program.parseAsync([...argumentsList], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    const failure = describeFailure(error);
    io.stderr.write(`${failure.message}\n`);
    return failure.code;
  }
}
