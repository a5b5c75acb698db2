import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { CommandIo } from './command-io.js';
import { formatSeconds } from './format.js';

/** Live traffic figures shown beside the phases. */
export interface TrafficFigures {
  /** Checkouts acknowledged so far in this run. */
  readonly checkouts: number;
  /** Checkouts per second over the last seconds. */
  readonly perSecond: number;
  /** Checkouts by provider, this run. */
  readonly byProvider: Readonly<Record<string, number>>;
}

/** Reports a multi-phase run: bars on a terminal, plain lines otherwise. */
export interface ProgressReporter {
  /** A phase begins (`index` is 1-based). */
  phaseStarted(index: number, total: number, title: string): void;
  /** How far the current phase is (`total` unknown: a counter). */
  phaseProgress(value: number, total: number | undefined, detail?: string | undefined): void;
  /** The current phase ended. */
  phaseFinished(summary: string, durationMs: number): void;
  /** A phase was finished by an earlier run. */
  phaseSkipped(index: number, total: number, title: string): void;
  /** Traffic figures changed. */
  traffic(figures: TrafficFigures): void;
  /** A line of information. */
  note(message: string): void;
  /** Stops drawing. */
  stop(): void;
}

/** Plain lines: one when a phase starts and ends, progress at most every 2 s or each quarter. */
function plainReporter(io: CommandIo): ProgressReporter {
  let current = '';
  let lastProgressAt = 0;
  let lastQuarter = -1;
  let lastTrafficAt = 0;
  return {
    phaseStarted(index, total, title) {
      current = `[${index}/${total}] ${title}`;
      lastProgressAt = Date.now();
      lastQuarter = -1;
      io.stderr.write(`${current} ...\n`);
    },
    phaseProgress(value, total, detail) {
      const quarter = total === undefined || total === 0 ? -1 : Math.floor((value / total) * 4);
      const now = Date.now();
      if (quarter > lastQuarter && quarter < 4 && quarter >= 0 ? (lastQuarter = quarter) >= 0 : now - lastProgressAt >= 2000) {
        lastProgressAt = now;
        io.stderr.write(`${current}: ${total === undefined ? value : `${value}/${total}`}${detail === undefined ? '' : ` ${detail}`}\n`);
      }
    },
    phaseFinished(summary, durationMs) {
      io.stderr.write(`${current}: done in ${formatSeconds(durationMs)}${summary === '' ? '' : ` (${summary})`}\n`);
    },
    phaseSkipped(index, total, title) {
      io.stderr.write(`[${index}/${total}] ${title}: done in an earlier run\n`);
    },
    traffic(figures) {
      const now = Date.now();
      if (now - lastTrafficAt < 5000) return;
      lastTrafficAt = now;
      const split = Object.entries(figures.byProvider)
        .map(([provider, count]) => `${provider} ${count}`)
        .join(', ');
      io.stderr.write(`      traffic: ${figures.checkouts} checkouts, ${figures.perSecond.toFixed(1)}/s (${split})\n`);
    },
    note(message) {
      io.stderr.write(`      ${message}\n`);
    },
    stop() {},
  };
}

/** Progress bars on a terminal (cli-progress): the current phase and the live traffic. */
function barReporter(terminal: NodeJS.WriteStream): ProgressReporter {
  const bars = new MultiBar(
    { stream: terminal, format: ' {title} |{bar}| {value}/{total} {detail}', hideCursor: true, clearOnComplete: false, barsize: 30, fps: 8 },
    Presets.shades_classic,
  );
  const trafficBar = bars.create(1, 0, { title: 'traffic'.padEnd(40), detail: 'not started' }, { format: ' {title} {detail}' });
  let phase: SingleBar | undefined;
  let title = '';
  let startedAt = 0;
  return {
    phaseStarted(index, total, phaseTitle) {
      title = `[${index}/${total}] ${phaseTitle}`.padEnd(40);
      startedAt = Date.now();
      phase = bars.create(1, 0, { title, detail: '' });
    },
    phaseProgress(value, total, detail) {
      phase?.setTotal(Math.max(1, total ?? value));
      phase?.update(value, { title, detail: detail ?? '' });
    },
    phaseFinished(summary, durationMs) {
      phase?.setTotal(1);
      phase?.update(1, { title, detail: `done in ${formatSeconds(durationMs || Date.now() - startedAt)}${summary === '' ? '' : ` (${summary})`}` });
      phase = undefined;
    },
    phaseSkipped(index, total, phaseTitle) {
      const skipped = bars.create(1, 1, { title: `[${index}/${total}] ${phaseTitle}`.padEnd(40), detail: 'done in an earlier run' });
      skipped.stop();
    },
    traffic(figures) {
      const split = Object.entries(figures.byProvider)
        .map(([provider, count]) => `${provider} ${count}`)
        .join(', ');
      trafficBar.update(0, { title: 'traffic'.padEnd(40), detail: `${figures.checkouts} checkouts, ${figures.perSecond.toFixed(1)}/s (${split})` });
    },
    note(message) {
      bars.log(`${message}\n`);
    },
    stop() {
      bars.stop();
    },
  };
}

/** A reporter that says nothing. */
export function silentReporter(): ProgressReporter {
  const nothing = (): void => undefined;
  return { phaseStarted: nothing, phaseProgress: nothing, phaseFinished: nothing, phaseSkipped: nothing, traffic: nothing, note: nothing, stop: nothing };
}

/** Progress bars when standard error is a terminal, plain lines otherwise. */
export function createProgressReporter(io: CommandIo): ProgressReporter {
  return io.terminal === undefined ? plainReporter(io) : barReporter(io.terminal);
}
