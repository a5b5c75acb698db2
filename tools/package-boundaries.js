// The dependency rules of the monorepo, in one place: ESLint (import level) and
// tools/check-dependency-graph.js (package.json level) both read them.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Workspace packages by folder name, with their package.json. */
export function readWorkspacePackages(root) {
  const packagesDirectory = join(root, 'packages');
  return readdirSync(packagesDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesDirectory, entry.name, 'package.json')))
    .map((entry) => ({
      folder: entry.name,
      manifest: JSON.parse(readFileSync(join(packagesDirectory, entry.name, 'package.json'), 'utf8')),
    }));
}

/** What kind of package a folder holds. */
export function packageKind(folder) {
  if (folder === 'core') return 'core';
  if (folder === 'testkit') return 'testkit';
  if (folder === 'cli') return 'application';
  return 'adapter';
}

/** SDKs and drivers: adapters may use them, core never. */
export const sdkAndDriverPatterns = [
  'stripe',
  '@paypal/*',
  '@adyen/*',
  '@shopify/*',
  'ioredis',
  'redis',
  'memjs',
  'memcached',
  'better-sqlite3',
  'pg',
  'pg-*',
  'mysql*',
  'axios',
  'undici',
  'node-fetch',
  'msw',
  'msw/*',
];

/**
 * Which workspace packages a package may depend on at run time.
 * core: none. adapters: core only. testkit: core. the CLI (the application): everything.
 */
export function allowedWorkspaceDependencies(folder, allFolders) {
  switch (packageKind(folder)) {
    case 'core':
      return [];
    case 'adapter':
    case 'testkit':
      return ['core'];
    default:
      return allFolders.filter((other) => other !== folder);
  }
}
