import { setTimeout as sleep } from 'node:timers/promises';
import { RehearsalError } from '../cli-errors.js';
import { startSessionCopy } from './session-steps.js';
import type { TrafficSnapshot } from './traffic.js';
import type { PhaseRunner, RehearsalContext } from './rehearsal-context.js';

/** The ramp steps, in percent of new payments for the new provider. */
export const rampSteps = [1, 5, 25, 50, 100] as const;

/** Checkouts each step waits for. */
const checkoutsPerStep = 20;

/** Authorization attempts per arm before the guardrail decides anything (the default 100 needs a longer ramp). */
const guardrailMinimumSamples = 15;

/** The actor every rehearsal change is journaled with. */
export const rehearsalActor = 'paymigrate-rehearsal';

/** Checkouts acknowledged by provider between two snapshots. */
export function checkoutsBetween(before: TrafficSnapshot, after: TrafficSnapshot): Record<string, number> {
  const providers = new Set([...Object.keys(before.byProvider), ...Object.keys(after.byProvider)]);
  return Object.fromEntries([...providers].map((provider) => [provider, (after.byProvider[provider] ?? 0) - (before.byProvider[provider] ?? 0)]));
}

/** Waits until routing changes have reached every selector (their cached view is at most `maxConfigAgeMs` old). */
export async function waitForRoutingToSettle(context: RehearsalContext): Promise<void> {
  await sleep(Math.ceil(context.runtime.config.routing.maxConfigAgeMs / 5) + 50);
}

/**
 * Phase 4: the ramp. The orchestrator starts the migration, moves to shadow (its guard asks the
 * token migration whether every card has a token at the new provider), then to ramp, and raises
 * the share of new payments for the new provider 1 -> 5 -> 25 -> 50 -> 100 % while the customers
 * keep checking out; each step shows where its checkouts went.
 */
export const rampPhase: PhaseRunner = async (context) => {
  const { orchestrator } = context.runtime;
  const { options } = context;
  const sessions = startSessionCopy(context);
  let state = await orchestrator.start({ actor: rehearsalActor, reason: 'rehearsal started' });
  if (state.phase === 'prepare') state = await orchestrator.advance({ to: 'shadow', actor: rehearsalActor, reason: 'tokens migrated' });
  if (state.phase === 'shadow') state = await orchestrator.advance({ to: 'ramp', actor: rehearsalActor, reason: 'shadow looked right' });
  const counts: Record<string, number> = {};
  const notes: string[] = [];
  const guardrail = context.runtime.routing.createGuardrail(orchestrator, guardrailMinimumSamples);
  const verdicts: Record<string, number> = { hold: 0, continue: 0, rollback: 0 };
  for (const [index, percent] of rampSteps.entries()) {
    context.progress.phaseProgress(index, rampSteps.length, `ramp at ${percent} %`);
    if (state.phase === 'ramp' && state.rampPercent < percent) {
      state = await orchestrator.setRampPercent({ percent, actor: rehearsalActor, reason: `rehearsal step to ${percent} %` });
      context.events.record('ramp.step', { percent, epoch: state.epoch });
    }
    await waitForRoutingToSettle(context);
    await context.traffic?.waitForCheckouts(options.concurrency, 5_000);
    const before = context.traffic?.snapshot();
    await context.traffic?.waitForCheckouts(checkoutsPerStep, 15_000);
    const after = context.traffic?.snapshot();
    if (before !== undefined && after !== undefined) {
      const split = checkoutsBetween(before, after);
      const total = Object.values(split).reduce((sum, value) => sum + value, 0);
      const onNew = split[options.to] ?? 0;
      counts[`checkoutsAt${percent}Percent`] = total;
      counts[`onNewProviderAt${percent}Percent`] = onNew;
      notes.push(`${percent} %: ${onNew} of ${total} checkouts at ${options.to}`);
    }
    const verdict = await guardrail.evaluate();
    verdicts[verdict.decision] = (verdicts[verdict.decision] ?? 0) + 1;
    context.events.record('ramp.guardrail', { percent, decision: verdict.decision, reason: verdict.reason });
    if (verdict.decision === 'rollback') {
      throw new RehearsalError({ code: 'REHEARSAL_GUARDRAIL_ROLLBACK', phase: 'ramp', message: `the guardrail rolled the migration back at ${percent} %: ${verdict.reason}` });
    }
  }
  notes.push(`guardrail: ${verdicts.continue} continue, ${verdicts.hold} hold, 0 rollback`);
  context.progress.phaseProgress(rampSteps.length, rampSteps.length, 'ramp at 100 %; sessions copying');
  const copied = await sessions;
  notes.push(copied.note);
  return {
    coverage: 'covered',
    engines: ['cutover orchestrator', 'traffic router', 'rollout guardrail', 'transactions', 'session migration controller'],
    notes,
    counts: { ...counts, ...copied.counts, guardrailContinue: verdicts.continue ?? 0, guardrailHold: verdicts.hold ?? 0, epoch: state.epoch },
    summary: notes.join('; '),
  };
};
