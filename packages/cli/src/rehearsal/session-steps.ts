import type { SessionMigrationReport } from '@paymigrate/core';
import type { RehearsalContext } from './rehearsal-context.js';
import { rehearsalActor } from './phase-ramp.js';

/** What the session migration's bulk copy did, for a phase's counts. */
export interface SessionCopySummary {
  /** Counts for the report (`sessions*`). */
  readonly counts: Readonly<Record<string, number>>;
  /** One line. */
  readonly note: string;
}

/** Counts of a copy report, prefixed for a phase record. */
function countsOf(report: SessionMigrationReport): Record<string, number> {
  return {
    sessionsSeen: report.keysSeen,
    sessionsMigrated: report.counts.migrated,
    sessionsAlreadyCurrent: report.counts.alreadyCurrent,
    sessionsQuarantined: report.counts.quarantined,
    sessionsRebuilt: report.counts.rebuilt,
    sessionsFailed: report.counts.failed,
    sessionPaymentsRebound: report.counts.reboundPayments,
  };
}

/**
 * Runs (or resumes) the bulk copy of the sessions from the old store to the new one while the
 * application keeps writing through the migrating store; a copy already past `verifying` is left alone.
 */
export async function copySessions(context: RehearsalContext): Promise<SessionCopySummary> {
  const { controller } = context.sessions;
  const status = await controller.status();
  if (status !== undefined && status.phase !== 'copying' && status.phase !== 'verifying') {
    return { counts: {}, note: `sessions: already ${status.phase}` };
  }
  const report = await controller.migrate();
  const counts = countsOf(report);
  return {
    counts,
    note: `sessions: ${report.keysSeen} seen, ${report.counts.migrated} copied, ${report.counts.alreadyCurrent} already current (live writes), ${report.counts.quarantined} quarantined, ${report.counts.failed} failed`,
  };
}

/**
 * Starts the bulk copy in the background once (it overlaps the token migration and the ramp) and
 * answers it; a failure is kept for whoever awaits it.
 */
export function startSessionCopy(context: RehearsalContext): Promise<SessionCopySummary> {
  if (context.sessionCopy === undefined) {
    const copy = copySessions(context);
    copy.catch(() => undefined);
    context.sessionCopy = copy;
  }
  return context.sessionCopy;
}

/** Switches the application's session reads to the new store (after the bulk copy verified). Idempotent. */
export async function switchSessionReads(context: RehearsalContext): Promise<string> {
  const { controller } = context.sessions;
  const status = await controller.status();
  if (status?.phase === 'verifying') {
    await controller.switchReads({ actor: rehearsalActor, reason: 'cutover' });
    return 'sessions: reads switched to the new store';
  }
  return `sessions: ${status?.phase ?? 'not started'}`;
}

/** Ends the session migration: the application stops writing the old store. Idempotent. */
export async function completeSessions(context: RehearsalContext): Promise<string> {
  const { controller } = context.sessions;
  const status = await controller.status();
  if (status?.phase === 'reads-switched') {
    await controller.complete({ actor: rehearsalActor, reason: 'drain done' });
    return 'sessions: migration done';
  }
  return `sessions: ${status?.phase ?? 'not started'}`;
}
