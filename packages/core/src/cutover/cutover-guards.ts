import type { GuardedMigrationPhase, MigrationPhase } from './migration-phase.js';
import type { CutoverCheckResult, MigrationState } from './migration-state.js';

/**
 * Counts the payments still in flight (not in a final state) that are pinned to a provider. The
 * Transaction State Manager implements it from its `inFlight({ provider })` listing; a cutover
 * reaches `done` only when the old provider has none left.
 */
export interface InFlightPayments {
  /** Number of non-final payments pinned to `provider`. */
  countInFlight(provider: string): Promise<number>;
}

/** What the token migration reports before shadow traffic may start. */
export interface TokenMigrationReadiness {
  /** Whether every stored payment method the new provider needs has been migrated and verified. */
  readonly ready: boolean;
  /** Why (e.g. `12 tokens failed verification`). */
  readonly reason: string;
}

/** Asks the token migration whether it is ready (plugged in by the Token Migration Engine). */
export type TokenMigrationReadinessCheck = () => Promise<TokenMigrationReadiness>;

/** Who asks for a change, and why; absent while `status()` previews the next phase. */
export interface CutoverChangeRequest {
  /** Who asks. */
  readonly actor: string;
  /** Why. */
  readonly reason: string;
  /** Present when the operator forces a cutover before the ramp reached 100 %: the reason. */
  readonly forceReason?: string | undefined;
}

/** Everything a guard may look at. */
export interface CutoverGuardContext {
  /** The migration id. */
  readonly migrationId: string;
  /** The provider payments move away from. */
  readonly fromProvider: string;
  /** The provider payments move to. */
  readonly toProvider: string;
  /** The migration as read, before the change. */
  readonly state: MigrationState;
  /** The current phase (`state.phase`). */
  readonly from: MigrationPhase;
  /** The phase the change leads to (`ramp` for a percentage change). */
  readonly to: GuardedMigrationPhase;
  /** The ramp percentage the change would leave in place. */
  readonly rampPercent: number;
  /** The request; `undefined` when `status()` evaluates the next phase's guards as a preview. */
  readonly request: CutoverChangeRequest | undefined;
  /** The orchestrator's clock reading, epoch milliseconds. */
  readonly now: number;
}

/**
 * A precondition of a phase: resolves to a named result with a reason. A guard that throws or
 * resolves to something malformed counts as failed (guards fail closed).
 */
export type CutoverGuard = (context: CutoverGuardContext) => Promise<CutoverCheckResult>;

/** Guards by the phase they protect; each phase's list runs after the built-in guards of that phase. */
export type CutoverGuards = { readonly [Phase in GuardedMigrationPhase]?: readonly CutoverGuard[] };

/** What the built-in guards need. */
export interface BuiltInCutoverGuardOptions {
  /** Counts payments still in flight per provider. */
  readonly inFlightPayments: InFlightPayments;
  /** Readiness of the token migration; when absent, `token-migration-ready` passes. */
  readonly tokenMigrationReadiness?: TokenMigrationReadinessCheck | undefined;
  /** How long the cutover must have been in effect before `drain`, milliseconds. */
  readonly routingSettleMs: number;
}

/** Display of a percentage, e.g. `12.5 %`. */
function percentText(percent: number): string {
  return `${percent} %`;
}

/** The most recent time the history entered `phase`, or `undefined`. */
function enteredAt(state: MigrationState, phase: MigrationPhase): number | undefined {
  return state.history.findLast((entry) => entry.to === phase && entry.from !== phase)?.at;
}

/**
 * The built-in guards, by phase:
 * - `shadow`: `token-migration-ready` — the token migration reports ready (passes with
 *   "no token migration configured" when none is plugged in).
 * - `ramp`: `shadow-complete` — the migration ran in shadow before ramping.
 * - `cutover`: `ramp-complete` — the ramp is at 100 %, or the operator forces it with a reason.
 * - `drain`: `cutover-settled` — the cutover has been in effect for `routingSettleMs`, so every
 *   selector has seen it and no new payment can still start on the old provider.
 * - `done`: `drain-complete` — no payment is in flight on the old provider.
 */
export function builtInCutoverGuards(options: BuiltInCutoverGuardOptions): { readonly [Phase in GuardedMigrationPhase]: readonly CutoverGuard[] } {
  const tokenMigrationReady: CutoverGuard = async () => {
    const check = options.tokenMigrationReadiness;
    if (check === undefined) return { name: 'token-migration-ready', ok: true, reason: 'no token migration configured' };
    const readiness = await check();
    return { name: 'token-migration-ready', ok: readiness.ready, reason: readiness.reason };
  };

  const shadowComplete: CutoverGuard = async (context) => {
    if (context.from === 'ramp') return { name: 'shadow-complete', ok: true, reason: 'shadow completed before the ramp started' };
    const since = enteredAt(context.state, 'shadow');
    if (context.from === 'shadow' && since !== undefined) {
      return { name: 'shadow-complete', ok: true, reason: `shadow ran for ${context.now - since} ms` };
    }
    return { name: 'shadow-complete', ok: false, reason: `the migration is at '${context.from}': shadow has not run in this attempt` };
  };

  const rampComplete: CutoverGuard = async (context) => {
    const percent = context.state.rampPercent;
    if (percent === 100) return { name: 'ramp-complete', ok: true, reason: 'ramp is at 100 %' };
    const request = context.request;
    if (request?.forceReason !== undefined) {
      return {
        name: 'ramp-complete',
        ok: true,
        reason: `forced by ${request.actor} with the ramp at ${percentText(percent)}: ${request.forceReason}`,
      };
    }
    return { name: 'ramp-complete', ok: false, reason: `ramp is at ${percentText(percent)}; raise it to 100 % or force the cutover with a reason` };
  };

  const cutoverSettled: CutoverGuard = async (context) => {
    if (context.from !== 'cutover') {
      return { name: 'cutover-settled', ok: false, reason: `drain starts only after cutover; the migration is at '${context.from}'` };
    }
    const elapsed = context.now - context.state.updatedAt;
    if (elapsed >= options.routingSettleMs) {
      return {
        name: 'cutover-settled',
        ok: true,
        reason: `new payments have gone to ${context.toProvider} for ${elapsed} ms (routing settles in ${options.routingSettleMs} ms)`,
      };
    }
    return {
      name: 'cutover-settled',
      ok: false,
      reason: `cutover took effect ${elapsed} ms ago; wait ${options.routingSettleMs - elapsed} ms more so every selector routes on epoch ${context.state.epoch}`,
    };
  };

  const drainComplete: CutoverGuard = async (context) => {
    const inFlight = await options.inFlightPayments.countInFlight(context.fromProvider);
    if (inFlight === 0) return { name: 'drain-complete', ok: true, reason: `no payment in flight on ${context.fromProvider}` };
    return { name: 'drain-complete', ok: false, reason: `${inFlight} payment(s) still in flight on ${context.fromProvider}` };
  };

  return {
    prepare: [],
    shadow: [tokenMigrationReady],
    ramp: [shadowComplete],
    cutover: [rampComplete],
    drain: [cutoverSettled],
    done: [drainComplete],
  };
}

/** The text of anything thrown. */
function describeThrown(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when `value` has the shape of a `CutoverCheckResult`. */
function isCheckResult(value: unknown): value is CutoverCheckResult {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.name === 'string' && candidate.name !== '' && typeof candidate.ok === 'boolean' && typeof candidate.reason === 'string';
}

/**
 * Runs every guard concurrently and returns their results in guard order. A guard that throws or
 * returns a malformed result becomes a failed check named after the guard (its function name, or
 * `<phase>-guard-<n>`), so one broken guard can never let a change through.
 */
export async function evaluateCutoverGuards(guards: readonly CutoverGuard[], context: CutoverGuardContext): Promise<CutoverCheckResult[]> {
  return Promise.all(
    guards.map(async (guard, position): Promise<CutoverCheckResult> => {
      const name = guard.name === '' ? `${context.to}-guard-${position + 1}` : guard.name;
      try {
        const result: unknown = await guard(context);
        if (isCheckResult(result)) return { name: result.name, ok: result.ok, reason: result.reason };
        return { name, ok: false, reason: 'the guard returned a malformed result (expected { name, ok, reason })' };
      } catch (error) {
        return { name, ok: false, reason: `the guard threw: ${describeThrown(error)}` };
      }
    }),
  );
}
