import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system temporary directory, with a way to name files in it and remove it. */
export interface TemporaryDirectory {
  /** Absolute path of the directory. */
  readonly path: string;
  /** A new, unused file path in the directory (`<prefix>-<n>.sqlite`). */
  file(prefix?: string): string;
  /** Removes the directory and everything in it. */
  remove(): void;
}

/** Creates a temporary directory for journal files. */
export function createTemporaryDirectory(prefix = 'paymigrate-sqlite-'): TemporaryDirectory {
  const path = mkdtempSync(join(tmpdir(), prefix));
  let files = 0;
  return {
    path,
    file: (name = 'journal') => {
      files += 1;
      return join(path, `${name}-${files}.sqlite`);
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
