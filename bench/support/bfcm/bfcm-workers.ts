// The parent's side of the checkout workers: bundles bfcm-worker.ts once (plain `node` starts a
// bundle in well under a second), forks N workers, starts them on one common schedule, relays the
// control plane's "refresh" broadcast and collects their summaries.
import { forkReportingChild, type ReportingChild } from '../../../scenarios/support/child-process.js';
import { bundleChild } from '../../../scenarios/support/crash/bundle-child.js';
import { type BfcmWorkerConfig, bfcmWorkerConfigVariable, type BfcmWorkerReport, type BfcmWorkerSummary } from './bfcm-protocol.js';

/** Running checkout workers. */
export interface BfcmWorkers {
  /** Process ids of the workers. */
  readonly processIds: readonly number[];
  /** Starts every worker's schedule at `startAt` (epoch milliseconds). */
  start(startAt: number): void;
  /** Asks every worker to re-read the migration now; resolves when all did. */
  refresh(): Promise<void>;
  /** Completed and shed checkouts so far, summed over the workers (from their last progress report). */
  progress(): { readonly completed: number; readonly shed: number; readonly inFlight: number };
  /** Resolves with every worker's summary once all have drained. */
  summaries(): Promise<readonly BfcmWorkerSummary[]>;
  /** Stops the workers (their recovery loops end) and waits for their exit; kills by pid any that does not exit. */
  stop(): Promise<void>;
}

/** Bundles the worker into `directory` and forks one worker per config; resolves when all are ready. */
export async function startBfcmWorkers(configs: readonly BfcmWorkerConfig[], directory: string): Promise<BfcmWorkers> {
  const script = await bundleChild('../../../bench/support/bfcm/bfcm-worker.ts', directory, 'bfcm-worker');
  const latest = new Map<string, { completed: number; shed: number; inFlight: number }>();
  const children: ReportingChild<BfcmWorkerReport>[] = configs.map((config) =>
    forkReportingChild<BfcmWorkerReport>(script, {
      env: { [bfcmWorkerConfigVariable]: JSON.stringify(config) },
      onReport: (report) => {
        if (report.type === 'progress') latest.set(config.worker, { completed: report.completed, shed: report.shed, inFlight: report.inFlight });
      },
    }),
  );
  const failedEarly = (child: ReportingChild<BfcmWorkerReport>): Promise<never> =>
    child.exited.then((exit) => Promise.reject(new Error(`a checkout worker exited before it was done: ${JSON.stringify(exit)}`)));
  await Promise.all(children.map((child) => Promise.race([child.next('ready'), failedEarly(child)])));
  return {
    processIds: children.map((child) => child.process.pid ?? -1),
    start(startAt) {
      for (const child of children) child.process.send({ type: 'start', startAt });
    },
    async refresh() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              const onMessage = (message: unknown): void => {
                if ((message as BfcmWorkerReport).type !== 'refreshed') return;
                child.process.off('message', onMessage);
                resolve();
              };
              child.process.on('message', onMessage);
              child.process.send({ type: 'refresh' });
            }),
        ),
      );
    },
    progress() {
      let completed = 0;
      let shed = 0;
      let inFlight = 0;
      for (const value of latest.values()) {
        completed += value.completed;
        shed += value.shed;
        inFlight += value.inFlight;
      }
      return { completed, shed, inFlight };
    },
    async summaries() {
      const done = await Promise.all(children.map((child) => Promise.race([child.next('done'), failedEarly(child)])));
      return done.map((report) => report.summary);
    },
    async stop() {
      for (const child of children) if (!child.hasExited()) child.process.send({ type: 'stop' });
      const timer = setTimeout(() => {
        for (const child of children) child.kill();
      }, 15_000);
      await Promise.all(children.map((child) => child.exited));
      clearTimeout(timer);
    },
  };
}
