// A forked child with typed reports over IPC, for the crash, fleet and benchmark harnesses.
import { type ChildProcess, fork } from 'node:child_process';

/** A forked child and what it reported. */
export interface ReportingChild<Report extends { readonly type: string }> {
  readonly process: ChildProcess;
  /** Every report so far, in order. */
  readonly reports: Report[];
  /** Resolves with the first report of `type` (an earlier one at once). */
  next<Type extends Report['type']>(type: Type): Promise<Extract<Report, { type: Type }>>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** True once it exited. */
  readonly hasExited: () => boolean;
  /** SIGKILL by process id (idempotent). */
  kill(): void;
}

/**
 * Forks `script` (plain JavaScript) with an IPC channel; `onReport` sees each report as it arrives.
 * The child's stdout is ignored, its stderr inherited.
 */
export function forkReportingChild<Report extends { readonly type: string }>(
  script: string,
  options: { readonly env?: NodeJS.ProcessEnv | undefined; readonly args?: readonly string[] | undefined; readonly onReport?: ((report: Report) => void) | undefined } = {},
): ReportingChild<Report> {
  const child = fork(script, [...(options.args ?? [])], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json', env: { ...process.env, ...options.env } });
  const reports: Report[] = [];
  const waiters: { type: string; resolve: (report: Report) => void }[] = [];
  let exitedFlag = false;
  child.on('message', (message) => {
    const report = message as Report;
    reports.push(report);
    options.onReport?.(report);
    for (const waiter of waiters.filter((candidate) => candidate.type === report.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(report);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  return {
    process: child,
    reports,
    exited,
    hasExited: () => exitedFlag,
    kill: () => {
      if (!exitedFlag && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
    next: <Type extends Report['type']>(type: Type) => {
      const earlier = reports.find((report) => report.type === type);
      if (earlier !== undefined) return Promise.resolve(earlier as Extract<Report, { type: Type }>);
      return new Promise<Extract<Report, { type: Type }>>((resolve) => waiters.push({ type, resolve: resolve as (report: Report) => void }));
    },
  };
}
