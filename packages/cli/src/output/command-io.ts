import type { Environment } from '../runtime/environment.js';

/** Somewhere text can be written. */
export interface TextSink {
  /** Writes text as is. */
  write(text: string): void;
}

/** What a command reads and writes: injected, so every command runs the same in tests and in a terminal. */
export interface CommandIo {
  /** Results (the report, `--json` documents). */
  readonly stdout: TextSink;
  /** Progress, warnings and errors. */
  readonly stderr: TextSink;
  /** The terminal stream progress bars draw on, when standard error is a terminal; plain lines otherwise. */
  readonly terminal: NodeJS.WriteStream | undefined;
  /** Environment variables (secrets are read from the ones the configuration names). */
  readonly environment: Environment;
  /** Relative paths are resolved against it. */
  readonly workingDirectory: string;
}

/** The process's own streams, environment and working directory. */
export function processIo(): CommandIo {
  return {
    stdout: { write: (text) => void process.stdout.write(text) },
    stderr: { write: (text) => void process.stderr.write(text) },
    terminal: process.stderr.isTTY === true ? process.stderr : undefined,
    environment: process.env,
    workingDirectory: process.cwd(),
  };
}

/** An in-memory `CommandIo` (tests, embedding): everything written is kept. */
export function memoryIo(options: { readonly environment?: Environment | undefined; readonly workingDirectory?: string | undefined } = {}): CommandIo & {
  readonly output: () => string;
  readonly errors: () => string;
} {
  let output = '';
  let errors = '';
  return {
    stdout: { write: (text) => void (output += text) },
    stderr: { write: (text) => void (errors += text) },
    terminal: undefined,
    environment: options.environment ?? {},
    workingDirectory: options.workingDirectory ?? process.cwd(),
    output: () => output,
    errors: () => errors,
  };
}
