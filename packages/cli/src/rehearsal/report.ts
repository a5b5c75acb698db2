import { formatCounts, formatSeconds, formatTable } from '../output/format.js';
import type { RehearsalOptions } from './rehearsal-options.js';
import { type PhaseCoverage, type PhaseRecord, type RehearsalPhase, rehearsalPhases, rehearsalPhaseTitles } from './rehearsal-state.js';
import { quantile, roundTenth } from './statistics.js';
import type { InvariantCounts, InvariantExamples, VerificationResult } from './verification.js';
import type { CustomerReceipt } from './world/world-protocol.js';

/** Throughput and latency of a rehearsal. */
export interface RehearsalFigures {
  /** Time spent in the phases, summed over runs, seconds. */
  readonly durationSeconds: number;
  /** Checkouts acknowledged. */
  readonly checkouts: number;
  /** Checkouts per second while the traffic ran. */
  readonly checkoutsPerSecond: number;
  /** Checkout latency (routing decision + authorization), milliseconds. */
  readonly checkoutLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Subscription renewals charged. */
  readonly renewals: number;
  /** Tokens migrated (bulk + delta). */
  readonly tokensMigrated: number;
  /** Tokens migrated per second in the bulk pass. */
  readonly tokensMigratedPerSecond: number;
  /** Payments at each provider, as the providers hold them. */
  readonly paymentsByProvider: Readonly<Record<string, number>>;
}

/** One phase in the report. */
export interface ReportPhase extends Omit<PhaseRecord, 'status'> {
  /** The phase. */
  readonly phase: RehearsalPhase;
  /** Its title. */
  readonly title: string;
}

/** The rehearsal report: `--json` prints exactly this. */
export interface RehearsalReport {
  /** Document type. */
  readonly report: 'paymigrate-rehearsal';
  /** Format version. */
  readonly version: 1;
  /** True when every invariant holds. */
  readonly ok: boolean;
  /** The invariants, each a count of violations. */
  readonly invariants: InvariantCounts;
  /** Examples of the violations (ids and reasons). */
  readonly violations: InvariantExamples;
  /** Charges at a provider that no journaled payment explains. */
  readonly unjournaledCharges: number;
  /** Throughput and latency. */
  readonly figures: RehearsalFigures;
  /** Every phase, with its coverage. */
  readonly phases: readonly ReportPhase[];
  /** Engines of @paymigrate/core the rehearsal could not use yet (their phases say what was not covered). */
  readonly enginesNotAvailable: readonly string[];
  /** What was checked. */
  readonly checked: VerificationResult['checked'];
  /** The options. */
  readonly options: Pick<RehearsalOptions, 'from' | 'to' | 'customers' | 'orders' | 'sessions' | 'seed' | 'concurrency' | 'faults'>;
  /** Runs it took (more than 1 after a resume). */
  readonly runs: number;
  /** The files the rehearsal wrote. */
  readonly files: Readonly<Record<string, string>>;
}

/** Checkout throughput: checkouts divided by the time each run's traffic ran (a kill's downtime is not counted). */
export function checkoutThroughput(receipts: readonly CustomerReceipt[]): number {
  const byRun = new Map<string, number[]>();
  for (const receipt of receipts) {
    if (receipt.kind !== 'checkout') continue;
    const run = /^c(\d+)-/.exec(receipt.paymentId)?.[1] ?? '0';
    const times = byRun.get(run) ?? [];
    times.push(receipt.acknowledgedAt);
    byRun.set(run, times);
  }
  let count = 0;
  let seconds = 0;
  for (const times of byRun.values()) {
    count += times.length;
    seconds += Math.max(1, Math.max(...times) - Math.min(...times)) / 1000;
  }
  return seconds === 0 ? 0 : roundTenth(count / seconds);
}

/** Builds the figures from the receipts, the providers' payments and the phases. */
export function rehearsalFigures(input: {
  readonly receipts: readonly CustomerReceipt[];
  readonly paymentsByProvider: Readonly<Record<string, number>>;
  readonly phases: Partial<Readonly<Record<RehearsalPhase, PhaseRecord>>>;
}): RehearsalFigures {
  const checkouts = input.receipts.filter((receipt) => receipt.kind === 'checkout');
  const latencies = checkouts.map((receipt) => receipt.latencyMs);
  const tokens = input.phases.tokens?.counts ?? {};
  const durationMs = Object.values(input.phases).reduce((sum, phase) => sum + (phase?.durationMs ?? 0), 0);
  return {
    durationSeconds: roundTenth(durationMs / 1000),
    checkouts: checkouts.length,
    checkoutsPerSecond: checkoutThroughput(input.receipts),
    checkoutLatencyMs: { p50: roundTenth(quantile(latencies, 0.5)), p99: roundTenth(quantile(latencies, 0.99)), max: roundTenth(quantile(latencies, 1)) },
    renewals: input.receipts.filter((receipt) => receipt.kind === 'renewal').length,
    tokensMigrated: tokens['tokensMigrated'] ?? 0,
    tokensMigratedPerSecond: tokens['tokensPerSecond'] ?? 0,
    paymentsByProvider: input.paymentsByProvider,
  };
}

/** The phases of the report, in order. */
export function reportPhases(phases: Partial<Readonly<Record<RehearsalPhase, PhaseRecord>>>): ReportPhase[] {
  return rehearsalPhases.flatMap((phase) => {
    const record = phases[phase];
    if (record === undefined) return [];
    const { status: _status, ...rest } = record;
    return [{ phase, title: rehearsalPhaseTitles[phase], ...rest }];
  });
}

/** How a coverage reads in the human report. */
const coverageLabels: Readonly<Record<PhaseCoverage, string>> = { covered: 'covered', partial: 'PARTIAL', 'not-covered': 'NOT COVERED' };

/** The human report. */
export function renderReport(report: RehearsalReport): string {
  const lines: string[] = [];
  lines.push(`paymigrate rehearsal: ${report.options.from} -> ${report.options.to}, ${report.options.customers} customers, ${report.options.orders} orders, ${report.options.sessions} sessions, seed ${report.options.seed}`);
  lines.push(report.ok ? 'RESULT: every invariant holds' : 'RESULT: INVARIANTS VIOLATED');
  lines.push('');
  lines.push('Invariants');
  lines.push(
    formatTable(
      (Object.keys(report.invariants) as (keyof InvariantCounts)[]).map((name) => [`  ${name}`, String(report.invariants[name]), report.invariants[name] === 0 ? 'ok' : 'FAILED']),
    ),
  );
  for (const [name, examples] of Object.entries(report.violations)) {
    for (const example of examples) lines.push(`    ${name}: ${example}`);
  }
  if (report.unjournaledCharges > 0) lines.push(`  (${report.unjournaledCharges} charges at a provider have no journaled payment)`);
  lines.push('');
  lines.push('Figures');
  const figures = report.figures;
  lines.push(
    formatTable([
      ['  duration', `${figures.durationSeconds} s${report.runs > 1 ? ` over ${report.runs} runs` : ''}`],
      ['  checkouts', `${figures.checkouts} (${figures.checkoutsPerSecond}/s), ${figures.renewals} renewals`],
      ['  checkout latency', `p50 ${figures.checkoutLatencyMs.p50} ms, p99 ${figures.checkoutLatencyMs.p99} ms, max ${figures.checkoutLatencyMs.max} ms`],
      ['  tokens migrated', `${figures.tokensMigrated} (${figures.tokensMigratedPerSecond}/s)`],
      ['  payments by provider', formatCounts(figures.paymentsByProvider) || 'none'],
    ]),
  );
  lines.push('');
  lines.push('Phases');
  for (const [index, phase] of report.phases.entries()) {
    lines.push(`  ${index + 1}. ${phase.title}: ${formatSeconds(phase.durationMs)}, ${coverageLabels[phase.coverage]} (${phase.engines.join(', ')})`);
    for (const note of phase.notes) lines.push(`       - ${note}`);
  }
  if (report.enginesNotAvailable.length > 0) {
    lines.push('');
    lines.push(`Not yet rehearsed (engine not in @paymigrate/core): ${report.enginesNotAvailable.join(', ')}`);
  }
  lines.push('');
  lines.push('Files');
  for (const [name, file] of Object.entries(report.files)) lines.push(`  ${name}: ${file}`);
  return `${lines.join('\n')}\n`;
}
