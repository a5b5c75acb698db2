// Bundles a child-process entry (TypeScript, importing the workspace packages by their
// `@paymigrate/*` names) into one ESM file that plain `node` starts in well under a second: the
// crash and fleet tests start hundreds of children, and a TypeScript loader would spend seconds on
// each. better-sqlite3 stays external (a native addon), imported by its absolute path so the bundle
// can live in a temporary directory.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Bundles `entry` (a path relative to this folder) into `<outputDirectory>/<name>.mjs`.
 * @returns The bundle's path.
 */
export async function bundleChild(entry: string, outputDirectory: string, name: string): Promise<string> {
  const outfile = join(outputDirectory, `${name}.mjs`);
  const betterSqlitePath = createRequire(join(repositoryRoot, 'packages/store-sqlite/package.json')).resolve('better-sqlite3');
  await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // `@paymigrate/*` resolve to the packages' TypeScript sources through the root tsconfig's paths.
    tsconfig: join(repositoryRoot, 'tsconfig.json'),
    nodePaths: [join(repositoryRoot, 'node_modules')],
    // CommonJS dependencies bundled into ESM call `require` for Node built-ins.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
    plugins: [
      {
        name: 'external-native-addons',
        setup(builder) {
          builder.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlitePath, external: true }));
          builder.onResolve({ filter: /^pg-native$/ }, () => ({ path: 'pg-native', external: true }));
        },
      },
    ],
  });
  return outfile;
}
