import { type MigrationState } from '@paymigrate/core';
import { CliUsageError } from '../cli-errors.js';
import type { CommandIo } from '../output/command-io.js';
import type { PaymigrateRuntime } from '../runtime/runtime.js';
import { resolveActor } from './actor.js';
import { withRuntime } from './open-runtime.js';

/** Options of `paymigrate route set`. */
export interface RouteSetOptions {
  /** The configuration file. */
  readonly config: string;
  /** The share of new payments for the new provider, 0-100 with at most 3 decimals. */
  readonly percent: string;
  /** Who (journaled). */
  readonly actor?: string | undefined;
  /** Why (journaled). */
  readonly reason?: string | undefined;
  /** Print JSON. */
  readonly json: boolean;
}

/** Parses `--percent`. */
function parsePercent(text: string): number {
  const percent = Number(text);
  if (text.trim() === '' || !Number.isFinite(percent) || percent < 0 || percent > 100 || Math.round(percent * 1000) !== percent * 1000) {
    throw new CliUsageError({ argument: '--percent', problem: `is '${text}'`, fix: 'pass a number from 0 to 100 with at most 3 decimals, e.g. --percent 5' });
  }
  return percent;
}

/**
 * Sets the ramp: starts the migration when needed and moves it (guarded) through shadow into the
 * ramp, then sets the percentage. Raising is guarded; lowering never is.
 */
export async function setRoute(runtime: PaymigrateRuntime, input: { readonly percent: number; readonly actor: string; readonly reason: string }): Promise<{ readonly state: MigrationState; readonly steps: readonly string[] }> {
  const { orchestrator, routing } = runtime;
  const steps: string[] = [];
  if ((await routing.killSwitch.read())?.killSwitchEngaged === true) {
    await routing.killSwitch.release({ actor: input.actor, reason: input.reason });
    steps.push('kill switch released');
  }
  let state = await orchestrator.start({ actor: input.actor, reason: input.reason });
  if (state.phase === 'rolled_back') {
    state = await orchestrator.advance({ to: 'prepare', actor: input.actor, reason: input.reason });
    steps.push('rolled_back -> prepare');
  }
  if (state.phase === 'prepare') {
    state = await orchestrator.advance({ to: 'shadow', actor: input.actor, reason: input.reason });
    steps.push('prepare -> shadow');
  }
  if (state.phase === 'shadow') {
    state = await orchestrator.advance({ to: 'ramp', actor: input.actor, reason: input.reason });
    steps.push('shadow -> ramp');
  }
  const before = state.rampPercent;
  state = await orchestrator.setRampPercent({ percent: input.percent, actor: input.actor, reason: input.reason });
  steps.push(before === state.rampPercent ? `ramp stays at ${state.rampPercent} %` : `ramp ${before} % -> ${state.rampPercent} %`);
  return { state, steps };
}

/** `paymigrate route set --percent N`. */
export async function routeSetCommand(options: RouteSetOptions, io: CommandIo): Promise<number> {
  const percent = parsePercent(options.percent);
  const actor = resolveActor(options.actor);
  const reason = options.reason ?? `ramp set to ${percent} % from the command line`;
  const result = await withRuntime(options.config, io, ({ runtime }) => setRoute(runtime, { percent, actor, reason }));
  io.stdout.write(
    options.json
      ? `${JSON.stringify({ phase: result.state.phase, rampPercent: result.state.rampPercent, epoch: result.state.epoch, steps: result.steps }, null, 2)}\n`
      : `${result.steps.join('\n')}\nNew payments: ${result.state.rampPercent} % to ${result.state.toProvider} (epoch ${result.state.epoch}).\n`,
  );
  return 0;
}

/** Options of `paymigrate route rollback`. */
export interface RouteRollbackOptions {
  /** The configuration file. */
  readonly config: string;
  /** Who (journaled). */
  readonly actor?: string | undefined;
  /** Why (journaled). */
  readonly reason?: string | undefined;
  /** Leave the kill switch engaged after the rollback (release it with `route set`). */
  readonly keepKillSwitch: boolean;
  /** Print JSON. */
  readonly json: boolean;
}

/**
 * Emergency rollback: engages the kill switch (every node sends new payments to the old provider
 * at once), rolls the migration back in the orchestrator (the durable state), then releases the
 * switch unless told to keep it. Payments in flight finish on the provider that holds them.
 */
export async function rollbackRoute(runtime: PaymigrateRuntime, input: { readonly actor: string; readonly reason: string; readonly keepKillSwitch: boolean }): Promise<{ readonly state: MigrationState; readonly killSwitchEngaged: boolean }> {
  const { orchestrator, routing } = runtime;
  await routing.killSwitch.engage({ actor: input.actor, reason: input.reason });
  const state = await orchestrator.rollback({ actor: input.actor, reason: input.reason });
  if (!input.keepKillSwitch) await routing.killSwitch.release({ actor: input.actor, reason: `${input.reason} (migration rolled back)` });
  return { state, killSwitchEngaged: input.keepKillSwitch };
}

/** `paymigrate route rollback`: every new payment back to the old provider at once; payments in flight finish where they started. */
export async function routeRollbackCommand(options: RouteRollbackOptions, io: CommandIo): Promise<number> {
  const actor = resolveActor(options.actor);
  const reason = options.reason ?? 'rollback from the command line';
  const { state, killSwitchEngaged } = await withRuntime(options.config, io, ({ runtime }) => rollbackRoute(runtime, { actor, reason, keepKillSwitch: options.keepKillSwitch }));
  io.stdout.write(
    options.json
      ? `${JSON.stringify({ phase: state.phase, epoch: state.epoch, rampPercent: state.rampPercent, killSwitchEngaged }, null, 2)}\n`
      : `Rolled back: every new payment goes to ${state.fromProvider} (epoch ${state.epoch}); payments in flight finish on the provider that holds them. Kill switch ${killSwitchEngaged ? 'left ENGAGED (release it with `paymigrate route set`)' : 'released'}.\n`,
  );
  return 0;
}
