import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';
import { findGraphViolations } from './check-dependency-graph.js';

const root = fileURLToPath(new URL('..', import.meta.url));

async function restrictedImportMessages(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('import boundaries (ESLint)', () => {
  test.each(['stripe', '@adyen/api-library', '@paypal/paypal-server-sdk', '@shopify/shopify-api', 'ioredis', 'memjs', 'better-sqlite3', 'pg', 'msw'])(
    'core source importing the SDK or driver %s fails lint',
    async (moduleName) => {
      const messages = await restrictedImportMessages('packages/core/src/violation.ts', `import x from '${moduleName}';\nexport const y = x;\n`);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain('core imports no SDK and no driver');
    },
  );

  test('core source importing another workspace package fails lint', async () => {
    const messages = await restrictedImportMessages('packages/core/src/violation.ts', `import { x } from '@paymigrate/testkit';\nexport const y = x;\n`);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('may import only no other workspace package');
  });

  test('core source importing its own field libraries passes', async () => {
    const messages = await restrictedImportMessages(
      'packages/core/src/fine.ts',
      `import { z } from 'zod';\nimport { pino } from 'pino';\nimport { metrics } from '@opentelemetry/api';\nexport const all = [z, pino, metrics];\n`,
    );
    expect(messages).toEqual([]);
  });

  test('testkit may import core', async () => {
    const messages = await restrictedImportMessages('packages/testkit/src/fine.ts', `import { Money } from '@paymigrate/core';\nexport const y = Money;\n`);
    expect(messages).toEqual([]);
  });
});

describe('package graph (package.json)', () => {
  const manifest = (name: string, dependencies: Record<string, string> = {}, devDependencies: Record<string, string> = {}) => ({
    folder: name,
    manifest: { name: `@paymigrate/${name}`, dependencies, devDependencies },
  });

  test('a clean graph has no violations', () => {
    expect(
      findGraphViolations([
        manifest('core', { zod: '4' }),
        manifest('provider-stripe', { '@paymigrate/core': '0', stripe: '23' }, { '@paymigrate/testkit': '0' }),
        manifest('testkit', { '@paymigrate/core': '0' }),
        manifest('cli', { '@paymigrate/core': '0', '@paymigrate/provider-stripe': '0' }),
      ]),
    ).toEqual([]);
  });

  test('core depending on an SDK or a workspace package is reported', () => {
    const violations = findGraphViolations([manifest('core', { stripe: '23', pg: '8', '@paymigrate/testkit': '0' }), manifest('testkit')]);
    expect(violations).toHaveLength(3);
    expect(violations.join('\n')).toContain("must not depend on the SDK/driver 'stripe'");
    expect(violations.join('\n')).toContain('must not depend on @paymigrate/testkit');
  });

  test('an adapter depending on another adapter is reported, also as a dev dependency', () => {
    const violations = findGraphViolations([
      manifest('provider-stripe', { '@paymigrate/provider-adyen': '0' }),
      manifest('provider-adyen', {}, { '@paymigrate/store-redis': '0' }),
      manifest('store-redis'),
    ]);
    expect(violations).toHaveLength(2);
    expect(violations[0]).toContain('@paymigrate/provider-stripe must not depend on @paymigrate/provider-adyen');
    expect(violations[1]).toContain('must not depend on the adapter @paymigrate/store-redis, even for tests');
  });
});
