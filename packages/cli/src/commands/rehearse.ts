import type { CommandIo } from '../output/command-io.js';
import { runRehearsal } from '../rehearsal/rehearsal.js';
import { parseRehearsalOptions, type RehearsalOptions } from '../rehearsal/rehearsal-options.js';

/** The command-line options of `paymigrate rehearse`, as commander hands them over (strings). */
export interface RehearseFlags {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly customers?: string | undefined;
  readonly orders?: string | undefined;
  readonly sessions?: string | undefined;
  readonly seed?: string | undefined;
  readonly journal?: string | undefined;
  readonly json?: boolean | undefined;
  readonly concurrency?: string | undefined;
  readonly injectFault?: readonly string[] | undefined;
  readonly world?: string | undefined;
}

/** A number flag as a number (`undefined` when absent; NaN is reported by the option check). */
function numberOf(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Turns the flags into validated options. */
export function rehearsalOptionsFromFlags(flags: RehearseFlags): RehearsalOptions {
  return parseRehearsalOptions({
    from: flags.from,
    to: flags.to,
    customers: numberOf(flags.customers),
    orders: numberOf(flags.orders),
    sessions: numberOf(flags.sessions),
    seed: numberOf(flags.seed),
    journal: flags.journal,
    json: flags.json ?? false,
    concurrency: numberOf(flags.concurrency),
    faults: flags.injectFault,
    world: flags.world,
  });
}

/** `paymigrate rehearse`: a whole migration on this machine; exit code 1 when any invariant fails. */
export async function rehearseCommand(flags: RehearseFlags, io: CommandIo): Promise<number> {
  const result = await runRehearsal(rehearsalOptionsFromFlags(flags), io);
  return result.exitCode;
}
