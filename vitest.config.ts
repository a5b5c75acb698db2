import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const packageFolders = readdirSync(new URL('./packages/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${root}packages/${entry.name}/package.json`))
  .map((entry) => entry.name);

/**
 * Packages whose source must stay at or above the coverage gate. Core engines and every provider
 * adapter are payment paths: a drop below 95 % lines or branches fails `npm test` by exit code.
 */
const gatedPackages = packageFolders.filter(
  (folder) => folder === 'core' || folder.startsWith('provider-') || folder.startsWith('platform-') || folder.startsWith('store-'),
);
const gate = { lines: 95, branches: 95 };

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of sibling packages: no build step before `npm test`.
    alias: [{ find: /^@paymigrate\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    projects: [
      ...packageFolders.map((folder) => ({
        extends: true as const,
        test: {
          name: folder,
          root: `${root}packages/${folder}`,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        },
      })),
      // Repository-level checks: dependency boundaries, CI scripts.
      { extends: true as const, test: { name: 'workspace', root, include: ['tools/**/*.test.ts'] } },
      // End-to-end scenarios across packages: real adapters, fakes and servers together.
      { extends: true as const, test: { name: 'scenarios', root, include: ['scenarios/**/*.test.ts'] } },
    ],
    reporters: ['default', 'json'],
    outputFile: { json: `${root}test-results.json` },
    // Writes the fakes' traffic per test file when PAYMIGRATE_TRAFFIC_DIR is set (see the file).
    setupFiles: [`${root}tools/traffic-dump-setup.ts`],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/__fixtures__/**', '**/index.ts', '**/*.d.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: `${root}coverage`,
      thresholds: Object.fromEntries(gatedPackages.map((folder) => [`packages/${folder}/src/**/*.ts`, gate])),
    },
  },
});
