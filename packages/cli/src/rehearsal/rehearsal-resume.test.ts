import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import type { RehearsalReport } from './report.js';
import { readRehearsalState } from './rehearsal-state.js';

/** The repository root: tsx resolves the workspace packages through its tsconfig paths. */
const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

const started: ChildProcess[] = [];

/** Runs `paymigrate rehearse` as a child process, as a user would (`node --import tsx packages/cli/src/bin.ts`). */
function rehearse(journal: string): { readonly child: ChildProcess; readonly stdout: () => string; readonly stderr: () => string; readonly exit: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/bin.ts', 'rehearse', '--journal', journal, '--json', '--customers', '30', '--orders', '16', '--sessions', '60', '--concurrency', '4', '--seed', '7'],
    { cwd: repositoryRoot, env: { ...process.env, TSX_TSCONFIG_PATH: join(repositoryRoot, 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Resolves once `text` shows up in what `read` returns. */
async function waitFor(read: () => string, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`'${text}' did not appear within ${timeoutMs} ms; output so far:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True while a process with that id exists. */
function alive(processId: number): boolean {
  try {
    process.kill(processId, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('paymigrate rehearse, killed and started again', () => {
  it('resumes from the journal after SIGKILL mid-run (twice) and reaches the same invariants', async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'paymigrate-resume-')), 'journal.sqlite');

    // Killed during the token migration (the vault import, the delta sync and the session copy are under way) ...
    const first = rehearse(journal);
    await waitFor(first.stderr, '[3/8] token migration', 120_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    first.child.kill('SIGKILL');
    expect(await first.exit).toBeNull();
    expect(first.stdout()).toBe('');

    // ... and again during the ramp, with customers paying.
    const second = rehearse(journal);
    await waitFor(second.stderr, '[4/8] ramp', 120_000);
    await new Promise((resolve) => setTimeout(resolve, 700));
    second.child.kill('SIGKILL');
    expect(await second.exit).toBeNull();
    expect(second.stderr()).toContain('resuming (run 2)');

    const third = rehearse(journal);
    const code = await third.exit;
    const report = JSON.parse(third.stdout()) as RehearsalReport;
    expect(third.stderr()).toContain('resuming (run 3)');
    expect(third.stderr()).toContain('[1/8] seed the world: done in an earlier run');
    expect(report.invariants, JSON.stringify(report.violations)).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
    expect(code).toBe(0);
    expect(report.runs).toBe(3);
    const drain = report.phases.find((phase) => phase.phase === 'drain');
    expect(drain?.counts.migrationDone, JSON.stringify({ notes: drain?.notes, counts: drain?.counts })).toBe(1);

    // The finished rehearsal shut its world down.
    const reader = createSqliteJournal({ filename: journal, readonly: true });
    await reader.open();
    const state = await readRehearsalState(reader);
    expect(state?.state.runs).toHaveLength(3);
    await reader.close();
    const worldProcess = state?.state.world.processId ?? 0;
    for (let attempt = 0; attempt < 50 && alive(worldProcess); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(worldProcess)).toBe(false);
  }, 300_000);
});
