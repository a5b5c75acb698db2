import { describe, expect, test } from 'vitest';
import { runCommand, tailOf } from './run-command.js';

describe('runCommand', () => {
  test('collects output and the exit code', async () => {
    expect(await runCommand('sh', ['-c', 'echo out; echo error >&2; exit 3'])).toEqual({ exitCode: 3, output: expect.stringContaining('out') });
    expect((await runCommand('sh', ['-c', 'echo error >&2'])).output).toBe('error\n');
  });

  test('reports a command that cannot start instead of rejecting', async () => {
    const result = await runCommand('/nonexistent/program', []);
    expect(result.exitCode).toBeUndefined();
    expect(result.output).toContain('ENOENT');
  });

  test('reports a signal as no exit code', async () => {
    expect((await runCommand('sh', ['-c', 'kill -KILL $$'])).exitCode).toBeUndefined();
  });
});

describe('tailOf', () => {
  test('keeps the last non-empty lines', () => {
    expect(tailOf('one\n\ntwo\nthree\n', 2)).toBe('two\nthree');
    expect(tailOf('', 5)).toBe('');
  });
});
