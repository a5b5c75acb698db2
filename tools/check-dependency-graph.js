#!/usr/bin/env node
// Fails when a package.json breaks the architecture: core depending on an SDK, driver or any
// workspace package; an adapter depending on another adapter. Runs as part of `lint`.
import { fileURLToPath } from 'node:url';
import { allowedWorkspaceDependencies, packageKind, readWorkspacePackages, sdkAndDriverPatterns } from './package-boundaries.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function matchesPattern(name, pattern) {
  if (pattern.endsWith('*')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

export function findGraphViolations(packages) {
  const folders = packages.map((entry) => entry.folder);
  const violations = [];
  for (const { folder, manifest } of packages) {
    const runtime = { ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies };
    const allowedWorkspace = allowedWorkspaceDependencies(folder, folders);
    for (const name of Object.keys(runtime)) {
      if (name.startsWith('@paymigrate/')) {
        const target = name.slice('@paymigrate/'.length);
        if (!allowedWorkspace.includes(target)) {
          violations.push(`${manifest.name} must not depend on ${name} (${packageKind(folder)} packages may depend on: ${allowedWorkspace.map((f) => `@paymigrate/${f}`).join(', ') || 'no workspace package'})`);
        }
      } else if (packageKind(folder) === 'core' && sdkAndDriverPatterns.some((pattern) => matchesPattern(name, pattern))) {
        violations.push(`${manifest.name} must not depend on the SDK/driver '${name}': core imports no SDK and no driver; put it in an adapter package`);
      }
    }
    for (const name of Object.keys(manifest.devDependencies ?? {})) {
      if (name.startsWith('@paymigrate/') && packageKind(folder) === 'adapter') {
        const target = name.slice('@paymigrate/'.length);
        if (packageKind(target) === 'adapter') violations.push(`${manifest.name} must not depend on the adapter ${name}, even for tests`);
      }
    }
  }
  return violations;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const violations = findGraphViolations(readWorkspacePackages(root));
  if (violations.length > 0) {
    console.error(`Dependency graph check failed:\n  - ${violations.join('\n  - ')}`);
    process.exit(1);
  }
  console.log('Dependency graph check passed.');
}
