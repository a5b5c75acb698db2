import { checkoutsBetween, rehearsalActor, waitForRoutingToSettle } from './phase-ramp.js';
import type { PhaseRunner } from './rehearsal-context.js';
import { switchSessionReads } from './session-steps.js';

/** Checkouts the cutover phase watches after the switch. */
const checkoutsAfterCutover = 20;

/**
 * Phase 5: the cutover. Every new payment goes to the new provider from now on; payments in
 * flight at the old one finish there. The phase checks that checkouts started after the routing
 * settled all went to the new provider.
 */
export const cutoverPhase: PhaseRunner = async (context) => {
  const { orchestrator } = context.runtime;
  const { options } = context;
  if ((await orchestrator.status()).phase === 'ramp') {
    const state = await orchestrator.advance({ to: 'cutover', actor: rehearsalActor, reason: 'ramp reached 100 %' });
    context.events.record('cutover', { epoch: state.epoch });
  }
  const sessions = await switchSessionReads(context);
  await waitForRoutingToSettle(context);
  // Checkouts that asked the routing before the switch may still be finishing: let them.
  await context.traffic?.waitForCheckouts(options.concurrency, 5_000);
  const before = context.traffic?.snapshot();
  await context.traffic?.waitForCheckouts(checkoutsAfterCutover, 15_000);
  const after = context.traffic?.snapshot();
  const split = before === undefined || after === undefined ? {} : checkoutsBetween(before, after);
  const onOld = split[options.from] ?? 0;
  const onNew = split[options.to] ?? 0;
  return {
    coverage: 'covered',
    engines: ['cutover orchestrator', 'traffic router', 'transactions', 'session migration controller'],
    notes: [sessions, ...(onOld === 0 ? [] : [`${onOld} checkouts went to ${options.from} after the cutover settled`])],
    counts: { checkoutsOnNewProvider: onNew, checkoutsOnOldProvider: onOld },
    summary: `${onNew} checkouts at ${options.to}, ${onOld} at ${options.from} after the switch`,
  };
};
