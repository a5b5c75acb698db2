import { z } from 'zod';
import { CliUsageError } from '../cli-errors.js';
import { supportedProviders } from '../config/config-schema.js';

/** Faults a rehearsal can inject, to prove its checks find what they claim to (tests and demos). */
export const rehearsalFaults = ['double-charge', 'tamper-journal', 'drop-session', 'rewind-order', 'leak-card-number'] as const;

/** One of `rehearsalFaults`. */
export type RehearsalFault = (typeof rehearsalFaults)[number];

/** Options of `paymigrate rehearse`. */
export interface RehearsalOptions {
  /** The provider payments move away from. @default 'stripe' */
  readonly from: (typeof supportedProviders)[number];
  /** The provider payments move to. @default 'adyen' */
  readonly to: (typeof supportedProviders)[number];
  /** Customers with a stored card at the old provider. @default 200 */
  readonly customers: number;
  /** Open orders on the platform. @default 200 */
  readonly orders: number;
  /** Active sessions in the old session store. @default 1000 */
  readonly sessions: number;
  /** Seed of everything random. @default 1 */
  readonly seed: number;
  /** The SQLite journal; a new temporary file when absent. Run again with the same file to resume. */
  readonly journal: string | undefined;
  /** Print the report as JSON on standard output. @default false */
  readonly json: boolean;
  /** Concurrent customers checking out. @default 6 */
  readonly concurrency: number;
  /** Faults to inject (tests). @default [] */
  readonly faults: readonly RehearsalFault[];
  /** Where the world runs: its own process (survives a kill of the rehearsal), or this one (tests). @default 'process' */
  readonly world: 'process' | 'in-process';
}

const count = (name: string, minimum: number, maximum: number) =>
  z
    .number({ message: `${name} must be a number` })
    .int({ message: `${name} must be a whole number` })
    .min(minimum, { message: `${name} must be at least ${minimum}` })
    .max(maximum, { message: `${name} must be at most ${maximum}` });

const optionsSchema = z.object({
  from: z.enum(supportedProviders).default('stripe'),
  to: z.enum(supportedProviders).default('adyen'),
  customers: count('--customers', 2, 100_000).default(200),
  orders: count('--orders', 0, 100_000).default(200),
  sessions: count('--sessions', 0, 1_000_000).default(1000),
  seed: count('--seed', 0, 2 ** 31 - 1).default(1),
  journal: z.string().min(1).optional(),
  json: z.boolean().default(false),
  concurrency: count('--concurrency', 1, 64).default(6),
  faults: z.array(z.enum(rehearsalFaults)).default([]),
  world: z.enum(['process', 'in-process']).default('process'),
});

/** The option names as the command line spells them. */
const flagOf: Readonly<Record<string, string>> = {
  from: '--from',
  to: '--to',
  customers: '--customers',
  orders: '--orders',
  sessions: '--sessions',
  seed: '--seed',
  journal: '--journal',
  concurrency: '--concurrency',
  faults: '--inject-fault',
  world: '--world',
};

/**
 * Validates rehearsal options and applies the defaults.
 *
 * @throws CliUsageError naming the option and the fix.
 */
export function parseRehearsalOptions(input: Partial<Record<keyof RehearsalOptions, unknown>>): RehearsalOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const result = optionsSchema.safeParse(defined);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const field = String(issue.path[0] ?? '');
    const flag = flagOf[field] ?? `--${field}`;
    const fix =
      field === 'from' || field === 'to'
        ? `use one of ${supportedProviders.join(', ')}`
        : field === 'faults'
          ? `use one of ${rehearsalFaults.join(', ')}`
          : field === 'world'
            ? 'use "process" or "in-process"'
            : issue.message;
    throw new CliUsageError({ argument: flag, problem: 'is invalid', fix });
  }
  const options = { ...result.data, journal: result.data.journal };
  if (options.from === options.to) {
    throw new CliUsageError({ argument: '--to', problem: `is the same provider as --from (${options.from})`, fix: 'rehearse a move between two different providers' });
  }
  return options;
}
