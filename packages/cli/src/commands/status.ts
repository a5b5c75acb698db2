import { type CutoverCheckResult, intentsCollection, type MigrationPhase, MigrationNotFoundError } from '@paymigrate/core';
import type { CommandIo } from '../output/command-io.js';
import { formatCounts, formatTable } from '../output/format.js';
import { journaledGuardrailVerdicts } from '../runtime/routing.js';
import type { PaymigrateRuntime } from '../runtime/runtime.js';
import { withRuntime } from './open-runtime.js';
import { countFailingOutbox, failingOutboxAttempts } from './outbox.js';

/** What `paymigrate status` reports. */
export interface StatusReport {
  /** The migration. */
  readonly migration: {
    readonly id: string;
    readonly from: string;
    readonly to: string;
    /** The phase, or `not-started`. */
    readonly phase: MigrationPhase | 'not-started';
    readonly epoch: number;
    readonly rampPercent: number;
    readonly rolledBack: boolean;
    /** The last changes, newest last. */
    readonly lastChanges: readonly { readonly from: string | null; readonly to: string; readonly rampPercent: number; readonly actor: string; readonly reason: string; readonly at: string }[];
  };
  /** The next phase and its guards, evaluated now. */
  readonly next: { readonly phase: string; readonly ready: boolean; readonly checks: readonly CutoverCheckResult[] } | undefined;
  /** The drain of the old provider. */
  readonly drain: { readonly provider: string; readonly inFlight: number | undefined; readonly complete: boolean };
  /** Payments in flight (holding money or work) per provider. */
  readonly inFlight: Readonly<Record<string, number>>;
  /**
   * The same payments per provider by payment state: why a drain waits (authorizations to capture
   * or void, customers still at a 3-D Secure step, unknown outcomes being resolved).
   */
  readonly inFlightByState: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Intents by status that still need work, and the unresolved ones. */
  readonly intents: { readonly pending: number; readonly unknown: number; readonly waiting: number; readonly unresolved: number };
  /** Undelivered outbox messages. */
  readonly outboxPending: number;
  /**
   * Of them, those failing (`failingOutboxAttempts` delivery attempts or more; `paymigrate outbox`
   * lists them), counted up to 1,000; `undefined` when the journal cannot list its outbox.
   */
  readonly outboxFailing: number | undefined;
  /** Routing: the engine, the kill switch, and the guardrail's last rollback. */
  readonly routing: {
    readonly engine: string;
    /** The kill switch: engaged or not, and the last change. */
    readonly killSwitch: { readonly engaged: boolean; readonly lastChange: { readonly actor: string; readonly reason: string; readonly at: string } | undefined };
    /** The guardrail's last journaled verdict (it journals the rollbacks it makes), when there is one. */
    readonly guardrail: { readonly decision: string; readonly epoch: number; readonly reason: string; readonly at: string } | undefined;
  };
}

/** Gathers the status of the migration from the journal. */
export async function collectStatus(runtime: PaymigrateRuntime): Promise<StatusReport> {
  const { config, journal, transactions, orchestrator } = runtime;
  const [pending, unknown, waiting, unresolved] = await Promise.all(
    ['pending', 'unknown', 'waiting', 'unresolved'].map((index) => journal.count(intentsCollection, { index })),
  );
  const inFlight: Record<string, number> = {};
  const inFlightByState: Record<string, Record<string, number>> = {};
  for (const provider of [config.migration.from, config.migration.to]) {
    const payments = await transactions.inFlight({ provider });
    inFlight[provider] = payments.length;
    const byState: Record<string, number> = {};
    for (const payment of payments) byState[payment.state] = (byState[payment.state] ?? 0) + 1;
    inFlightByState[provider] = byState;
  }
  const outboxPending = await journal.pendingOutboxCount();
  const outboxFailing = await countFailingOutbox(journal);
  const control = await runtime.routing.killSwitch.read();
  const verdict = (await journaledGuardrailVerdicts(journal, config.migration.id)).at(-1);
  const base = {
    inFlight,
    inFlightByState,
    intents: { pending: pending ?? 0, unknown: unknown ?? 0, waiting: waiting ?? 0, unresolved: unresolved ?? 0 },
    outboxPending,
    outboxFailing,
    routing: {
      engine: runtime.routing.engine,
      killSwitch: {
        engaged: control?.killSwitchEngaged ?? false,
        lastChange: control === undefined ? undefined : { actor: control.lastChange.actor, reason: control.lastChange.reason, at: new Date(control.lastChange.at).toISOString() },
      },
      guardrail: verdict === undefined ? undefined : { decision: verdict.decision, epoch: verdict.epoch, reason: verdict.reason, at: new Date(verdict.evaluatedAt).toISOString() },
    },
  };
  try {
    const status = await orchestrator.status();
    return {
      ...base,
      migration: {
        id: status.migrationId,
        from: status.fromProvider,
        to: status.toProvider,
        phase: status.phase,
        epoch: status.epoch,
        rampPercent: status.rampPercent,
        rolledBack: status.rolledBack,
        lastChanges: status.history.slice(-5).map((entry) => ({
          from: entry.from,
          to: entry.to,
          rampPercent: entry.rampPercent,
          actor: entry.actor,
          reason: entry.reason,
          at: new Date(entry.at).toISOString(),
        })),
      },
      next: status.next === undefined ? undefined : { phase: status.next.phase, ready: status.next.ready, checks: status.next.checks },
      drain: { provider: status.drain.provider, inFlight: status.drain.inFlight, complete: status.drain.complete },
    };
  } catch (error) {
    if (!MigrationNotFoundError.isInstance(error)) throw error;
    return {
      ...base,
      migration: { id: config.migration.id, from: config.migration.from, to: config.migration.to, phase: 'not-started', epoch: 0, rampPercent: 0, rolledBack: false, lastChanges: [] },
      next: undefined,
      drain: { provider: config.migration.from, inFlight: inFlight[config.migration.from], complete: inFlight[config.migration.from] === 0 },
    };
  }
}

/** The human form of a status report. */
export function renderStatus(report: StatusReport): string {
  const { migration } = report;
  const lines = [
    `Migration ${migration.id}: ${migration.from} -> ${migration.to}`,
    formatTable([
      ['  phase', migration.phase],
      ['  ramp', `${migration.rampPercent} % of new payments to ${migration.to}`],
      ['  epoch', String(migration.epoch)],
      ['  rolled back before', migration.rolledBack ? 'yes' : 'no'],
      ['  routing', report.routing.engine],
      [
        '  kill switch',
        `${report.routing.killSwitch.engaged ? 'ENGAGED' : 'released'}${report.routing.killSwitch.lastChange === undefined ? '' : ` (${report.routing.killSwitch.lastChange.actor}: ${report.routing.killSwitch.lastChange.reason})`}`,
      ],
      ['  guardrail', report.routing.guardrail === undefined ? 'no rollback' : `${report.routing.guardrail.decision} at epoch ${report.routing.guardrail.epoch}: ${report.routing.guardrail.reason}`],
      ['  in flight', Object.entries(report.inFlight).map(([provider, count]) => `${provider} ${count}${statesOf(report.inFlightByState[provider])}`).join(', ')],
      ['  drain', `${report.drain.provider}: ${report.drain.inFlight ?? '?'} in flight${report.drain.complete ? ' (complete)' : ''}`],
      ['  open intents', `pending ${report.intents.pending}, unknown ${report.intents.unknown}, waiting ${report.intents.waiting}, unresolved ${report.intents.unresolved}`],
      ['  outbox', `${report.outboxPending} undelivered${failingOf(report.outboxFailing)}`],
    ]),
  ];
  if (report.next !== undefined) {
    lines.push(`Next: ${report.next.phase} (${report.next.ready ? 'ready' : 'blocked'})`);
    for (const check of report.next.checks) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.reason}`);
  }
  if (migration.lastChanges.length > 0) {
    lines.push('Last changes:');
    for (const change of migration.lastChanges) lines.push(`  ${change.at} ${change.from ?? '-'} -> ${change.to} (${change.rampPercent} %) by ${change.actor}: ${change.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `, 3 failing (...)`: the failing outbox messages and where to see them, or nothing when there are none (or they cannot be listed). */
function failingOf(failing: number | undefined): string {
  if (failing === undefined || failing === 0) return '';
  return `, ${failing >= 1_000 ? '1000+' : failing} failing (${failingOutboxAttempts}+ attempts: paymigrate outbox)`;
}

/** ` (authorized 10, requires_action 2)`: the states of a provider's payments in flight, or nothing when there are none. */
function statesOf(byState: Readonly<Record<string, number>> | undefined): string {
  const counts = formatCounts(byState ?? {});
  return counts === '' ? '' : ` (${counts})`;
}

/** `paymigrate status`: the phase, percentages, in-flight counts, the drain, the kill switch, the guardrail and the guards of the next phase. */
export async function statusCommand(options: { readonly config: string; readonly json: boolean }, io: CommandIo): Promise<number> {
  const report = await withRuntime(options.config, io, ({ runtime }) => collectStatus(runtime));
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
  return 0;
}
