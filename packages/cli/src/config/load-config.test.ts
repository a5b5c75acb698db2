import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError } from '../cli-errors.js';
import { exampleConfig } from './example-config.js';
import { loadConfigFile, validateConfig } from './load-config.js';

const directory = mkdtempSync(join(tmpdir(), 'paymigrate-config-'));

/** A copy of the example configuration with a change. */
function example(change: (config: Record<string, unknown>) => void): Record<string, unknown> {
  const config = structuredClone(exampleConfig) as unknown as Record<string, unknown>;
  change(config);
  return config;
}

/** The ConfigFileError `action` throws. */
function failure(action: () => unknown): ConfigFileError {
  try {
    action();
  } catch (error) {
    if (ConfigFileError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigFileError');
}

describe('validateConfig', () => {
  it('accepts the example configuration and applies the defaults', () => {
    const config = validateConfig(exampleConfig, 'paymigrate.config.json');
    expect(config.migration).toStrictEqual({ id: 'default', from: 'stripe', to: 'adyen' });
    expect(config.providers.stripe?.networkTransactionIdExemption).toBe(false);
    expect(validateConfig({ ...exampleConfig, routing: undefined, logging: undefined, platform: undefined }, 'file').routing).toStrictEqual({ maxConfigAgeMs: 5000, routingSettleMs: 5000 });
  });

  it('names a missing key and says how to fix it', () => {
    const error = failure(() =>
      validateConfig(
        example((config) => {
          delete ((config.providers as Record<string, Record<string, unknown>>).stripe as Record<string, unknown>).apiKeyEnvironmentVariable;
        }),
        'paymigrate.config.json',
      ),
    );
    expect(error.key).toBe('providers.stripe.apiKeyEnvironmentVariable');
    expect(error.code).toBe('CLI_CONFIG_INVALID');
    expect(error.message).toMatch(/^providers\.stripe\.apiKeyEnvironmentVariable is missing: set it to the name of the environment variable that holds the Stripe secret key/);
    expect(error.message).toContain('"STRIPE_API_KEY"');
    expect(error.message).toContain('(in paymigrate.config.json)');
  });

  it('refuses a secret written in the file, without echoing it, and names the key to use instead', () => {
    const secret = 'sk_live_51SecretValue';
    const error = failure(() =>
      validateConfig(
        example((config) => {
          ((config.providers as Record<string, Record<string, unknown>>).stripe as Record<string, unknown>).apiKey = secret;
        }),
        'file',
      ),
    );
    expect(error.key).toBe('providers.stripe.apiKey');
    expect(error.message).toContain('holds a secret');
    expect(error.message).toContain('set providers.stripe.apiKeyEnvironmentVariable to the name of an environment variable');
    expect(error.message).not.toContain(secret);
  });

  it('names an unknown key with the known ones', () => {
    const error = failure(() => validateConfig(example((config) => ((config.migration as Record<string, unknown>).fromm = 'x')), 'file'));
    expect(error.key).toBe('migration.fromm');
    expect(error.message).toContain('known keys here: id, from, to');
  });

  it('requires the section of each migration provider', () => {
    const error = failure(() => validateConfig(example((config) => ((config.migration as Record<string, unknown>).to = 'paypal')), 'file'));
    expect(error.key).toBe('providers.paypal');
    expect(error.message).toContain("is missing (migration.to is 'paypal')");
    expect(error.message).toContain('add a "paypal" section');
  });

  it('refuses a migration to the same provider, an unknown provider, a bad variable name and a bad journal type', () => {
    expect(failure(() => validateConfig(example((config) => ((config.migration as Record<string, unknown>).to = 'stripe')), 'file')).message).toContain(
      "migration.to must differ from migration.from ('stripe')",
    );
    expect(failure(() => validateConfig(example((config) => ((config.migration as Record<string, unknown>).from = 'braintree')), 'file')).message).toMatch(
      /^migration\.from is invalid .*: set it to the provider payments move away from: stripe, paypal, adyen/,
    );
    const badVariable = failure(() =>
      validateConfig(
        example((config) => (((config.providers as Record<string, Record<string, unknown>>).adyen as Record<string, unknown>).apiKeyEnvironmentVariable = 'adyen-key')),
        'file',
      ),
    );
    expect(badVariable.key).toBe('providers.adyen.apiKeyEnvironmentVariable');
    expect(badVariable.message).toContain('must be an environment variable name');
    const badJournal = failure(() => validateConfig(example((config) => (config.journal = { type: 'mysql' })), 'file'));
    expect(badJournal.key).toBe('journal.type');
    expect(badJournal.message).toContain('{ "type": "sqlite"');
  });

  it('checks the routing timings against each other and lists every further problem', () => {
    const error = failure(() =>
      validateConfig(
        example((config) => {
          config.routing = { maxConfigAgeMs: 5000, routingSettleMs: 1000 };
          delete (config.providers as Record<string, unknown>).adyen;
        }),
        'file',
      ),
    );
    expect(error.message).toContain('also:');
    expect(error.message).toContain('routing.routingSettleMs must be at least routing.maxConfigAgeMs (5000)');
  });

  it('names the key inside a chosen journal or platform type', () => {
    const error = failure(() => validateConfig(example((config) => (config.journal = { type: 'postgres' })), 'file'));
    expect(error.key).toBe('journal.connectionStringEnvironmentVariable');
    expect(error.message).toContain('"PAYMIGRATE_DATABASE_URL"');
    const platform = failure(() => validateConfig(example((config) => (config.platform = { type: 'shopify', shopDomain: 'shop.example.com', adminAccessTokenEnvironmentVariable: 'SHOPIFY_TOKEN' })), 'file'));
    expect(platform.key).toBe('platform.shopDomain');
    expect(platform.message).toContain('my-shop.myshopify.com');
    const extra = failure(() => validateConfig(example((config) => (config.platform = { type: 'none', shop: 'x' })), 'file'));
    expect(extra.message).toContain('known keys here: type');
  });
});

describe('loadConfigFile', () => {
  it('reads the file and resolves the journal and log paths against its folder', async () => {
    const file = join(directory, 'good.json');
    writeFileSync(file, JSON.stringify(exampleConfig));
    const { config, file: loaded } = await loadConfigFile('good.json', directory);
    expect(loaded).toBe(file);
    expect(config.journal).toMatchObject({ type: 'sqlite', file: join(directory, 'paymigrate-journal.sqlite') });
    expect(config.logging.file).toBe(join(directory, 'paymigrate.log'));
  });

  it('keeps absolute paths and a configuration without a log file', async () => {
    const file = join(directory, 'absolute.json');
    writeFileSync(file, JSON.stringify({ ...exampleConfig, journal: { type: 'sqlite', file: '/var/lib/paymigrate.sqlite' }, logging: { level: 'warn' } }));
    const { config } = await loadConfigFile(file);
    expect(config.journal).toMatchObject({ file: '/var/lib/paymigrate.sqlite' });
    expect(config.logging).toStrictEqual({ level: 'warn' });
  });

  it('says how to create a missing file', async () => {
    await expect(loadConfigFile('missing.json', directory)).rejects.toThrow(/missing\.json does not exist: run `paymigrate init` to write an example, or pass --config <path>/);
  });

  it('says the file cannot be read', async () => {
    await expect(loadConfigFile(directory)).rejects.toThrow(/cannot be read: check the path and its permissions/);
  });

  it('points at the line and column of a JSON syntax error', async () => {
    const file = join(directory, 'broken.json');
    writeFileSync(file, '{\n  "migration": { "from": "stripe", },\n}\n');
    const error = await loadConfigFile(file).catch((thrown: unknown) => thrown);
    expect(ConfigFileError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/is not valid JSON at line 2, column \d+: fix the syntax \(JSON has no comments and no trailing commas/);
  });
});
