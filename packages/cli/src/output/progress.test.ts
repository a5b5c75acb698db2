import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { memoryIo, processIo } from './command-io.js';
import { formatCounts, formatSeconds, formatTable } from './format.js';
import { createProgressReporter, silentReporter } from './progress.js';

/** A fake terminal: what cli-progress draws on is kept. */
function fakeTerminal(): { readonly stream: NodeJS.WriteStream; readonly drawn: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  let drawn = '';
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => (drawn += chunk.toString('utf8')));
  Object.assign(stream, { isTTY: true, columns: 120, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, clearScreenDown: () => true });
  return { stream, drawn: () => drawn };
}

describe('createProgressReporter', () => {
  it('writes plain lines when standard error is not a terminal', () => {
    const io = memoryIo();
    const progress = createProgressReporter(io);
    progress.phaseStarted(1, 8, 'seed the world');
    progress.phaseProgress(1, 4, 'orders');
    progress.phaseProgress(2, 4);
    progress.phaseProgress(7, undefined, 'counting');
    progress.phaseFinished('200 customers', 1_234);
    progress.phaseStarted(2, 8, 'start checkout traffic');
    progress.phaseFinished('', 10);
    progress.phaseSkipped(3, 8, 'token migration');
    progress.traffic({ checkouts: 12, perSecond: 3.25, byProvider: { stripe: 10, adyen: 2 } });
    progress.traffic({ checkouts: 13, perSecond: 3, byProvider: {} });
    progress.note('resuming');
    progress.stop();
    const lines = io.errors().split('\n');
    expect(lines).toContain('[1/8] seed the world ...');
    expect(lines).toContain('[1/8] seed the world: 1/4 orders');
    expect(lines).toContain('[1/8] seed the world: 2/4');
    expect(lines).toContain('[1/8] seed the world: done in 1.2 s (200 customers)');
    expect(lines).toContain('[2/8] start checkout traffic: done in 0.0 s');
    expect(lines).toContain('[3/8] token migration: done in an earlier run');
    expect(lines).toContain('      traffic: 12 checkouts, 3.3/s (stripe 10, adyen 2)');
    expect(lines.filter((line) => line.startsWith('      traffic:'))).toHaveLength(1);
    expect(lines).toContain('      resuming');
  });

  it('draws bars on a terminal', async () => {
    const { stream, drawn } = fakeTerminal();
    const progress = createProgressReporter({ ...memoryIo(), terminal: stream });
    progress.phaseStarted(1, 8, 'seed the world');
    progress.phaseProgress(3, 10, 'orders');
    progress.phaseProgress(4, undefined);
    progress.traffic({ checkouts: 5, perSecond: 2, byProvider: { stripe: 5 } });
    progress.phaseFinished('done', 0);
    progress.phaseSkipped(2, 8, 'start checkout traffic');
    progress.note('a note');
    await new Promise((resolve) => setTimeout(resolve, 400));
    progress.stop();
    expect(drawn()).toContain('[1/8] seed the world');
    expect(drawn()).toContain('a note');
  });

  it('says nothing when silent', () => {
    const progress = silentReporter();
    progress.phaseStarted(1, 1, 'x');
    progress.stop();
  });
});

describe('processIo', () => {
  it('uses the process streams, environment and folder', () => {
    const io = processIo();
    expect(io.environment).toBe(process.env);
    expect(io.workingDirectory).toBe(process.cwd());
    io.stdout.write('');
    io.stderr.write('');
  });
});

describe('format', () => {
  it('formats seconds, counts and tables', () => {
    expect(formatSeconds(1_550)).toBe('1.6 s');
    expect(formatCounts({ a: 1, b: 0, c: 2 })).toBe('a 1, c 2');
    expect(formatTable([['a', 'bb', 'c'], ['ccc', 'd']])).toBe('a    bb  c\nccc  d');
  });
});
