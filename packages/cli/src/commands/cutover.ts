import type { CommandIo } from '../output/command-io.js';
import { resolveActor } from './actor.js';
import { withRuntime } from './open-runtime.js';

/** Options of `paymigrate cutover`. */
export interface CutoverOptions {
  /** The configuration file. */
  readonly config: string;
  /** Who (journaled). */
  readonly actor?: string | undefined;
  /** Why (journaled). */
  readonly reason?: string | undefined;
  /** Cut over below 100 %: the journaled reason. */
  readonly forceReason?: string | undefined;
  /** Print JSON. */
  readonly json: boolean;
}

/**
 * `paymigrate cutover`: every new payment to the new provider (guard: the ramp is at 100 %, or
 * `--force-reason` says why not); payments in flight finish where they started.
 */
export async function cutoverCommand(options: CutoverOptions, io: CommandIo): Promise<number> {
  const actor = resolveActor(options.actor);
  const reason = options.reason ?? 'cutover from the command line';
  const state = await withRuntime(options.config, io, ({ runtime }) =>
    runtime.orchestrator.advance({ to: 'cutover', actor, reason, ...(options.forceReason === undefined ? {} : { force: { reason: options.forceReason } }) }),
  );
  io.stdout.write(
    options.json
      ? `${JSON.stringify({ phase: state.phase, epoch: state.epoch }, null, 2)}\n`
      : `Cut over: every new payment goes to ${state.toProvider} (epoch ${state.epoch}). Run \`paymigrate status\` to follow the drain of ${state.fromProvider}.\n`,
  );
  return 0;
}
