import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@paymigrate/core';

/** A logger and the way to flush it. */
export interface RuntimeLog {
  /** The pino logger (card data masked by core's scrubber). */
  readonly logger: Logger;
  /** The file the JSON lines go to, when there is one. */
  readonly file: string | undefined;
  /** Waits until every line written so far has reached the file. */
  flush(): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/**
 * Creates the structured logger of a command: JSON lines appended to `file`, or nowhere (the
 * commands print their own human output; the log is for audits and the rehearsal's PAN scan).
 */
export function createRuntimeLog(options: { readonly file?: string | undefined; readonly level?: string | undefined; readonly name?: string | undefined }): RuntimeLog {
  const level = options.level ?? 'info';
  const name = options.name ?? 'paymigrate';
  if (options.file === undefined) {
    const discard = new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    });
    return { logger: createLogger({ name, level, destination: discard }), file: undefined, flush: async () => undefined, close: async () => undefined };
  }
  mkdirSync(dirname(options.file), { recursive: true });
  const stream = createWriteStream(options.file, { flags: 'a' });
  return {
    logger: createLogger({ name, level, destination: stream }),
    file: options.file,
    async flush() {
      while (stream.writableLength > 0 || stream.pending) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    close: () =>
      new Promise<void>((resolve) => {
        stream.end(() => resolve());
      }),
  };
}
