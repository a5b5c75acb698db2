import type { Counter, Meter } from '@opentelemetry/api';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import type { MigrationOrchestrator } from '../cutover/migration-orchestrator.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import { type ControlPlaneBroadcast, encodeRoutingChange } from './control-plane-broadcast.js';
import type { ArmCounts, RouterStatistics } from './router-statistics.js';
import type { RoutingNode } from './routing-node.js';
import { clockSchema, loggerSchema, meterSchema } from './routing-option-schemas.js';
import { type MixtureSequentialTestResult, mixtureSequentialProbabilityRatio, sampleRatioMismatch, type SampleRatioMismatchResult } from './statistics-math.js';

/** Journal collection of the guardrail's rollback verdicts (key `<migrationId>:<epoch>`). */
export const guardrailVerdictCollection = 'routing-guardrail';

/** What the guardrail concluded. */
export type GuardrailDecision = 'hold' | 'continue' | 'rollback';

/** One metric's sequential test. */
export interface GuardrailMetricResult {
  /** `authorization-rate` (a drop is a regression) or `error-rate` (a rise is). */
  readonly metric: 'authorization-rate' | 'error-rate';
  /** The new provider's rate. */
  readonly treatmentRate: number;
  /** The old provider's rate. */
  readonly controlRate: number;
  /** The mSPRT look. */
  readonly test: MixtureSequentialTestResult;
  /** Λ at or above this is significant: 1 / (alpha per metric). */
  readonly threshold: number;
  /** Significant and in the harmful direction. */
  readonly regression: boolean;
}

/** One arm as the guardrail saw it. */
export interface GuardrailArm {
  /** The provider. */
  readonly provider: string;
  /** Its counts in the randomized split of the epoch. */
  readonly counts: ArmCounts;
}

/** One evaluation. */
export interface GuardrailVerdict {
  /** `hold`: no decision possible (no data, too few samples, sample ratio mismatch, not ramping); `continue`: no significant regression; `rollback`: a significant regression, rolled back. */
  readonly decision: GuardrailDecision;
  /** Why, with the statistics (also the rollback reason). */
  readonly reason: string;
  /** The migration. */
  readonly migrationId: string;
  /** The epoch evaluated (0 without a migration). */
  readonly epoch: number;
  /** Its ramp percentage. */
  readonly rampPercent: number;
  /** When, epoch milliseconds. */
  readonly evaluatedAt: number;
  /** The new provider's arm. */
  readonly treatment: GuardrailArm | undefined;
  /** The old provider's arm. */
  readonly control: GuardrailArm | undefined;
  /** The sample-ratio-mismatch check, when it ran. */
  readonly sampleRatio: SampleRatioMismatchResult | undefined;
  /** The authorization-rate test, when it ran. */
  readonly authorizationRate: GuardrailMetricResult | undefined;
  /** The error-rate test, when it ran. */
  readonly errorRate: GuardrailMetricResult | undefined;
  /** Why the rollback call failed, when the decision was `rollback` and it did. */
  readonly rollbackError: string | undefined;
}

/** Options of `createRolloutGuardrail`. Validated once, at construction. */
export interface RolloutGuardrailOptions {
  /** The statistics the router records into. */
  readonly statistics: RouterStatistics;
  /** The node whose migration state says what is being ramped (its journal keeps the verdicts). */
  readonly node: RoutingNode;
  /** Rolls the migration back (the orchestrator). */
  readonly orchestrator: Pick<MigrationOrchestrator, 'rollback'>;
  /** Announces the rollback so every node re-routes at once. */
  readonly broadcast?: ControlPlaneBroadcast | undefined;
  /**
   * Type I error of one evaluation sequence over BOTH metrics: each metric's test runs at alpha / 2
   * (Bonferroni), so Λ must reach 2 / alpha.
   * @default 0.05
   */
  readonly alpha?: number | undefined;
  /** τ² of the mSPRT mixing distribution (the squared effect size it is tuned for). @default 0.0025 (τ = 5 points) */
  readonly mixingVariance?: number | undefined;
  /** Authorization attempts each arm needs before any decision. @default 100 */
  readonly minimumSamplesPerArm?: number | undefined;
  /** p-value below which the split is declared broken (hold). @default 0.001 */
  readonly sampleRatioMismatchAlpha?: number | undefined;
  /** The actor of the rollback. @default 'guardrail' */
  readonly actor?: string | undefined;
  /** Stamps verdicts and paces `run`. @default systemClock */
  readonly clock?: ClockV1 | undefined;
  /** Receives verdicts. @default createLogger({ name: 'paymigrate.routing.guardrail' }) */
  readonly logger?: Logger | undefined;
  /** Records `paymigrate.routing.guardrail.evaluations` (attribute `decision`). @default defaultMeter() */
  readonly meter?: Meter | undefined;
}

/**
 * The statistical guardrail of a ramp: compares the new provider (treatment) with the old one
 * (control) on the randomized split of the current epoch, and rolls the migration back by itself
 * on a significant regression of the authorization rate or the error rate.
 *
 * Each evaluation is one look of a mixture sequential probability ratio test per metric (see
 * `mixtureSequentialProbabilityRatio`): looking after every payment keeps the false-rollback rate
 * at alpha. It holds (decides nothing) without data in both arms, below the minimum samples per
 * arm, and on a sample ratio mismatch (chi-square against the expected split, p < 0.001): a broken
 * split makes every comparison untrustworthy. A new epoch (any ramp change) starts a new test.
 */
export interface RolloutGuardrail {
  /** Evaluates now; on a regression, journals the verdict, rolls back (actor `guardrail`) and announces it. Never throws. */
  evaluate(): Promise<GuardrailVerdict>;
  /** Evaluates every `intervalMs` until `signal` aborts; resolves when stopped. */
  run(options: { readonly intervalMs: number; readonly signal: AbortSignal }): Promise<void>;
}

const optionsSchema = z.object({
  statistics: z.custom<RouterStatistics>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'experimentArms') === 'function', {
    message: 'must be a RouterStatistics',
  }),
  node: z.custom<RoutingNode>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'view') === 'function', { message: 'must be a RoutingNode' }),
  orchestrator: z
    .custom<Pick<MigrationOrchestrator, 'rollback'>>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'rollback') === 'function', {
      message: 'must have rollback({ actor, reason })',
    })
    .meta({ fix: 'pass the migration orchestrator (createMigrationOrchestrator)' }),
  broadcast: z
    .custom<ControlPlaneBroadcast>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'publish') === 'function', { message: 'must have publish(message)' })
    .optional(),
  alpha: z.number().gt(0).lt(1).default(0.05),
  mixingVariance: z.number().positive().default(0.0025),
  minimumSamplesPerArm: z.number().int().min(1).default(100),
  sampleRatioMismatchAlpha: z.number().gt(0).lt(1).default(0.001),
  actor: z.string().min(1).default('guardrail'),
  clock: clockSchema.optional(),
  logger: loggerSchema.optional(),
  meter: meterSchema.optional(),
});

/** A rate as a percentage with two decimals. */
function percentText(rate: number): string {
  return `${(rate * 100).toFixed(2)} %`;
}

/** A likelihood ratio in words. */
function ratioText(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4) : 'infinity';
}

/**
 * Creates the guardrail. Call `evaluate()` after outcomes are recorded, or `run()` in the background.
 *
 * @throws ConfigurationError when an option is missing or invalid.
 * @example
 * const guardrail = createRolloutGuardrail({ statistics: router.statistics, node, orchestrator, broadcast });
 * void guardrail.run({ intervalMs: 10_000, signal });
 */
export function createRolloutGuardrail(options: RolloutGuardrailOptions): RolloutGuardrail {
  const parsed = parseOptions(optionsSchema, options, { component: 'rolloutGuardrail' });
  const { statistics, node, orchestrator, alpha, mixingVariance, minimumSamplesPerArm, sampleRatioMismatchAlpha, actor } = parsed;
  const broadcast = options.broadcast;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.routing.guardrail' });
  const evaluations: Counter = (parsed.meter ?? defaultMeter()).createCounter('paymigrate.routing.guardrail.evaluations', {
    description: 'Guardrail evaluations, by decision (hold, continue, rollback).',
  });
  const threshold = 2 / alpha;

  const metricResult = (
    metric: GuardrailMetricResult['metric'],
    treatment: { successes: number; trials: number },
    control: { successes: number; trials: number },
  ): GuardrailMetricResult => {
    const test = mixtureSequentialProbabilityRatio(treatment, control, mixingVariance) as MixtureSequentialTestResult;
    const harmful = metric === 'authorization-rate' ? test.difference < 0 : test.difference > 0;
    return {
      metric,
      treatmentRate: treatment.successes / treatment.trials,
      controlRate: control.successes / control.trials,
      test,
      threshold,
      regression: harmful && test.likelihoodRatio >= threshold,
    };
  };

  const describeMetric = (result: GuardrailMetricResult, treatment: GuardrailArm, control: GuardrailArm): string =>
    `${result.metric} ${treatment.provider} ${percentText(result.treatmentRate)} (n=${treatment.counts.attempts}) vs ${control.provider} ${percentText(result.controlRate)} (n=${control.counts.attempts}), difference ${(result.test.difference * 100).toFixed(2)} pp, mSPRT likelihood ratio ${ratioText(result.test.likelihoodRatio)} ${result.regression ? '>=' : 'vs'} ${threshold} (alpha ${alpha / 2} per metric, tau^2 ${mixingVariance})`;

  const recordVerdict = async (verdict: GuardrailVerdict): Promise<void> => {
    try {
      await node.journal.write({
        puts: [{ collection: guardrailVerdictCollection, key: `${verdict.migrationId}:${verdict.epoch}`, value: JSON.stringify(verdict), index: verdict.decision, expectedVersion: 0 }],
      });
    } catch (error) {
      // Another node's guardrail recorded this epoch's verdict first; its rollback stands for both.
      if (!VersionConflictError.isInstance(error)) throw error;
    }
  };

  const rollBack = async (verdict: GuardrailVerdict): Promise<string | undefined> => {
    try {
      await recordVerdict(verdict);
      const state = await orchestrator.rollback({ actor, reason: verdict.reason });
      if (broadcast !== undefined) {
        await broadcast
          .publish(encodeRoutingChange({ migrationId: verdict.migrationId, source: 'migration', revision: state.epoch, at: state.updatedAt }))
          .catch((error: unknown) => logger.error({ error: error instanceof Error ? error.message : String(error) }, 'rollback not broadcast; nodes will see it at their next poll'));
      }
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };

  const evaluateNow = async (): Promise<GuardrailVerdict> => {
    const view = node.view();
    const state = view.snapshot?.migration;
    const base = {
      migrationId: node.migrationId,
      epoch: state?.epoch ?? 0,
      rampPercent: state?.rampPercent ?? 0,
      evaluatedAt: clock.now(),
      treatment: undefined,
      control: undefined,
      sampleRatio: undefined,
      authorizationRate: undefined,
      errorRate: undefined,
      rollbackError: undefined,
    };
    const hold = (reason: string, extra: Partial<GuardrailVerdict> = {}): GuardrailVerdict => ({ ...base, ...extra, decision: 'hold', reason });
    if (view.stale) return hold('routing config is stale');
    if (state === undefined || state.phase !== 'ramp') return hold(`not ramping (phase ${state?.phase ?? 'not started'})`);
    if (view.snapshot?.control?.killSwitchEngaged === true) return hold('kill switch engaged: no traffic is split');
    if (state.rampPercent <= 0 || state.rampPercent >= 100) return hold(`no comparison at ${state.rampPercent} %: one arm is empty by design`);
    const arms = statistics.experimentArms(state.epoch);
    const treatment = arms.get(state.toProvider);
    const control = arms.get(state.fromProvider);
    const armsFound = {
      treatment: treatment === undefined ? undefined : { provider: state.toProvider, counts: treatment },
      control: control === undefined ? undefined : { provider: state.fromProvider, counts: control },
    };
    if (treatment === undefined || control === undefined || treatment.attempts === 0 || control.attempts === 0) {
      return hold(`no data: ${state.toProvider} ${treatment?.attempts ?? 0} and ${state.fromProvider} ${control?.attempts ?? 0} attempts in epoch ${state.epoch}`, armsFound);
    }
    const treatmentArm = armsFound.treatment as GuardrailArm;
    const controlArm = armsFound.control as GuardrailArm;
    if (treatment.attempts < minimumSamplesPerArm || control.attempts < minimumSamplesPerArm) {
      return hold(
        `minimum samples not reached: ${state.toProvider} ${treatment.attempts} and ${state.fromProvider} ${control.attempts} attempts, ${minimumSamplesPerArm} needed per arm`,
        armsFound,
      );
    }
    const sampleRatio = sampleRatioMismatch({ treatment: treatment.assignments, control: control.assignments }, state.rampPercent / 100);
    if (sampleRatio.pValue < sampleRatioMismatchAlpha) {
      return hold(
        `sample ratio mismatch: ${percentText(sampleRatio.observedTreatmentShare as number)} of assignments on ${state.toProvider}, ${state.rampPercent} % expected (chi-square ${sampleRatio.chiSquare.toFixed(2)}, p=${sampleRatio.pValue.toExponential(2)} < ${sampleRatioMismatchAlpha}); the split is broken, no decision`,
        { ...armsFound, sampleRatio },
      );
    }
    const authorizationRate = metricResult(
      'authorization-rate',
      { successes: treatment.authorized, trials: treatment.attempts },
      { successes: control.authorized, trials: control.attempts },
    );
    const errorRate = metricResult('error-rate', { successes: treatment.errors, trials: treatment.attempts }, { successes: control.errors, trials: control.attempts });
    const statisticsText = `${describeMetric(authorizationRate, treatmentArm, controlArm)}; ${describeMetric(errorRate, treatmentArm, controlArm)}; assignments ${percentText(sampleRatio.observedTreatmentShare as number)} on ${state.toProvider} (expected ${state.rampPercent} %, SRM p=${sampleRatio.pValue.toPrecision(3)})`;
    const tested = { ...armsFound, sampleRatio, authorizationRate, errorRate };
    if (!authorizationRate.regression && !errorRate.regression) {
      return { ...base, ...tested, decision: 'continue', reason: `no significant regression in epoch ${state.epoch}: ${statisticsText}` };
    }
    const which = [authorizationRate.regression ? 'authorization rate' : undefined, errorRate.regression ? 'error rate' : undefined].filter(Boolean).join(' and ');
    const verdict: GuardrailVerdict = {
      ...base,
      ...tested,
      decision: 'rollback',
      reason: `guardrail: significant ${which} regression of ${state.toProvider} at ${state.rampPercent} % (epoch ${state.epoch}): ${statisticsText}`,
    };
    const rollbackError = await rollBack(verdict);
    return { ...verdict, rollbackError };
  };

  const evaluate = async (): Promise<GuardrailVerdict> => {
    const verdict = await evaluateNow();
    evaluations.add(1, { decision: verdict.decision });
    if (verdict.decision === 'rollback') {
      logger.error({ migrationId: verdict.migrationId, epoch: verdict.epoch, rollbackError: verdict.rollbackError, reason: verdict.reason }, 'guardrail rolled the migration back');
    } else {
      logger.debug({ migrationId: verdict.migrationId, epoch: verdict.epoch, decision: verdict.decision, reason: verdict.reason }, 'guardrail evaluated');
    }
    return verdict;
  };

  const run = async ({ intervalMs, signal }: { readonly intervalMs: number; readonly signal: AbortSignal }): Promise<void> => {
    while (!signal.aborted) {
      await evaluate();
      try {
        await clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
    }
  };

  return Object.freeze({ evaluate, run });
}
