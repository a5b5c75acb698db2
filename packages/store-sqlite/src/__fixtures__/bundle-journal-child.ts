import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles `journal-child.ts` (and with it the journal's TypeScript sources and core) into one ESM
 * file that plain `node` can run, so child processes exercise the real `SqliteJournal` code without
 * a build step or a TypeScript loader. better-sqlite3 stays external (a native addon), imported by
 * its absolute path so the bundle can live in a temporary directory.
 *
 * @returns The path of the bundle, `<outputDirectory>/journal-child.mjs`.
 */
export async function bundleJournalChild(outputDirectory: string): Promise<string> {
  const outfile = join(outputDirectory, 'journal-child.mjs');
  const betterSqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
  await build({
    entryPoints: [fileURLToPath(new URL('./journal-child.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    alias: { '@paymigrate/core': fileURLToPath(new URL('../../../core/src/index.ts', import.meta.url)) },
    // CommonJS dependencies bundled into ESM call `require` for Node built-ins.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    plugins: [
      {
        name: 'external-better-sqlite3',
        setup(builder) {
          builder.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlitePath, external: true }));
        },
      },
    ],
  });
  return outfile;
}
