import { spawn } from 'node:child_process';

/** The user and group a child process runs as, when it must not run as the current user. */
export interface ProcessIdentity {
  /** Numeric user id. */
  readonly uid: number;
  /** Numeric primary group id. */
  readonly gid: number;
}

/** What a finished command produced. */
export interface CommandResult {
  /** Exit code; `undefined` when a signal ended the command or it could not start. */
  readonly exitCode: number | undefined;
  /** Standard output and standard error, interleaved as they arrived. */
  readonly output: string;
}

/**
 * Runs a command to completion without a shell and collects its output. Never rejects: a command
 * that cannot start (missing binary) reports `exitCode: undefined` and the reason as its output.
 *
 * @param command Absolute path or name on `PATH`.
 * @param commandArguments Arguments, passed as they are (no shell quoting needed).
 * @param identity Run as this user and group (the current user must be root to switch).
 */
export function runCommand(command: string, commandArguments: readonly string[], identity?: ProcessIdentity): Promise<CommandResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(command, commandArguments, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(identity === undefined ? {} : { uid: identity.uid, gid: identity.gid }),
    });
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', (error) => {
      resolve({ exitCode: undefined, output: error.message });
    });
    child.once('close', (exitCode) => {
      resolve({ exitCode: exitCode ?? undefined, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/**
 * The last `maximumLines` non-empty lines of a text, for error messages that quote a log.
 *
 * @param text Log or command output.
 * @param maximumLines How many lines to keep.
 */
export function tailOf(text: string, maximumLines: number): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-maximumLines)
    .join('\n');
}
