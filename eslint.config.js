import { fileURLToPath } from 'node:url';
import javascript from '@eslint/js';
import typescript from 'typescript-eslint';
import { allowedWorkspaceDependencies, packageKind, readWorkspacePackages, sdkAndDriverPatterns } from './tools/package-boundaries.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const workspacePackages = readWorkspacePackages(root);
const folders = workspacePackages.map((entry) => entry.folder);

/**
 * Import boundaries, per package: core imports no SDK, no driver and no other workspace package;
 * an adapter imports core but never another adapter. Tests may also use the testkit.
 */
function boundaryRules(folder) {
  const allowed = allowedWorkspaceDependencies(folder, folders);
  const forbiddenWorkspace = folders.filter((other) => other !== folder && !allowed.includes(other));
  const patterns = [];
  if (forbiddenWorkspace.length > 0) {
    patterns.push({
      group: forbiddenWorkspace.map((other) => `@paymigrate/${other}`),
      message: `${packageKind(folder)} packages may import only ${allowed.map((f) => `@paymigrate/${f}`).join(', ') || 'no other workspace package'} (see CONTRIBUTING.md, "Package boundaries").`,
    });
  }
  if (packageKind(folder) === 'core') {
    patterns.push({
      group: sdkAndDriverPatterns,
      message: 'core imports no SDK and no driver: put provider, platform and storage code in an adapter package.',
    });
  }
  return patterns;
}

export default typescript.config(
  { ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', '**/.nx/**'] },
  javascript.configs.recommended,
  ...typescript.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  ...workspacePackages.flatMap(({ folder }) => {
    const patterns = boundaryRules(folder);
    const testPatterns = patterns.map((pattern) =>
      pattern.group.includes('@paymigrate/testkit') ? { ...pattern, group: pattern.group.filter((name) => name !== '@paymigrate/testkit') } : pattern,
    ).filter((pattern) => pattern.group.length > 0);
    return [
      {
        files: [`packages/${folder}/src/**/*.ts`],
        ignores: ['**/*.test.ts', '**/__fixtures__/**'],
        rules: { 'no-restricted-imports': ['error', { patterns }] },
      },
      {
        files: [`packages/${folder}/src/**/*.test.ts`, `packages/${folder}/test/**/*.ts`],
        rules: { 'no-restricted-imports': testPatterns.length > 0 ? ['error', { patterns: testPatterns }] : 'off', 'no-console': 'off' },
      },
    ];
  }),
  {
    files: ['*.js', 'tools/**/*.js', 'scripts/**/*.js', '**/bench/**/*.ts'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
);
