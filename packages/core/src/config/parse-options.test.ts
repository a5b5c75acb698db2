import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ConfigurationError } from '../errors/configuration-error.js';
import { parseOptions, resolveSecret } from './parse-options.js';

const schema = z.object({
  apiKey: z.string().min(10).meta({ fix: 'set STRIPE_API_KEY or pass apiKey' }),
  timeoutMs: z.number().int().positive().default(10_000),
  network: z
    .object({
      host: z.string().meta({ fix: "pass the provider's API host, e.g. api.stripe.com" }),
      port: z.number().int().optional(),
    })
    .optional(),
  webhookSecrets: z.array(z.string().min(5).meta({ fix: 'copy the signing secret from the dashboard' })).optional(),
  mode: z.enum(['test', 'live']).nullable().default('test'),
});

function captureError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseOptions', () => {
  test('returns parsed options with defaults applied', () => {
    expect(parseOptions(schema, { apiKey: 'sk_test_1234567' }, { component: 'stripe' })).toEqual({
      apiKey: 'sk_test_1234567',
      timeoutMs: 10_000,
      mode: 'test',
    });
  });

  test('a missing option is named with its component and the fix from the schema', () => {
    const error = captureError(() => parseOptions(schema, {}, { component: 'stripe' }));
    expect(error.code).toBe('CONFIGURATION_INVALID');
    expect(error.option).toBe('stripe.apiKey');
    expect(error.fix).toBe('set STRIPE_API_KEY or pass apiKey');
    expect(error.message).toBe("Option 'stripe.apiKey' is missing. Fix: set STRIPE_API_KEY or pass apiKey.");
  });

  test('an invalid nested option names the full path and the nearest fix', () => {
    const error = captureError(() => parseOptions(schema, { apiKey: 'sk_test_1234567', network: { host: 7 } }, { component: 'stripe' }));
    expect(error.option).toBe('stripe.network.host');
    expect(error.message).toContain('is invalid');
    expect(error.fix).toBe("pass the provider's API host, e.g. api.stripe.com");
  });

  test('array elements and nullable/default wrappers are walked for their fix', () => {
    const error = captureError(() =>
      parseOptions(schema, { apiKey: 'sk_test_1234567', webhookSecrets: ['whsec_ok', 'x'] }, { component: 'stripe' }),
    );
    expect(error.option).toBe('stripe.webhookSecrets.1');
    expect(error.fix).toBe('copy the signing secret from the dashboard');
    const modeError = captureError(() => parseOptions(schema, { apiKey: 'sk_test_1234567', mode: 'prod' }, { component: 'stripe' }));
    expect(modeError.option).toBe('stripe.mode');
    expect(modeError.fix).toContain("pass a valid 'mode'");
  });

  test('without metadata the fix points at the option documentation', () => {
    const error = captureError(() => parseOptions(z.object({ port: z.number() }), { port: 'x' }, { component: 'redis' }));
    expect(error.fix).toBe("pass a valid 'port' (see the redis options documentation)");
    const rootError = captureError(() => parseOptions(z.number(), 'x', { component: 'redis' }));
    expect(rootError.option).toBe('redis');
    expect(rootError.fix).toBe("pass a valid 'redis' (see the redis options documentation)");
  });

  test('a path through a non-object schema falls back to the last known fix', () => {
    const unionSchema = z.object({ target: z.union([z.string(), z.object({ url: z.string() })]).meta({ fix: 'give a URL' }) });
    const error = captureError(() => parseOptions(unionSchema, { target: { url: 5 } }, { component: 'export' }));
    expect(error.option).toMatch(/^export\.target/);
    expect(error.fix).toBe('give a URL');
  });
});

describe('parseOptions error hygiene', () => {
  test('the error never echoes the rejected value (it may be a secret)', () => {
    const error = captureError(() => parseOptions(schema, { apiKey: 'sk_live_9' }, { component: 'stripe' }));
    expect(error.option).toBe('stripe.apiKey');
    expect(error.message).toContain('is invalid');
    expect(JSON.stringify(error)).not.toContain('sk_live_9');
    expect(error.message).not.toContain('sk_live_9');
    expect(error.cause).toBeUndefined();
  });

  test('a custom issue deeper than the input reaches is reported as invalid', () => {
    const refined = z.object({ a: z.string() }).superRefine((_value, context) => {
      context.addIssue({ code: 'custom', path: ['a', 'deep'], message: 'must be deeper' });
    });
    const error = captureError(() => parseOptions(refined, { a: 'x' }, { component: 'thing' }));
    expect(error.option).toBe('thing.a.deep');
    expect(error.message).toContain('is invalid: must be deeper');
  });
});

describe('resolveSecret', () => {
  test('an explicit value wins over the environment', () => {
    expect(resolveSecret({ option: 'stripe.apiKey', environmentVariable: 'STRIPE_API_KEY', value: 'sk_a', environment: { STRIPE_API_KEY: 'sk_b' } })).toBe('sk_a');
  });

  test('the environment variable is used when no value is given', () => {
    expect(resolveSecret({ option: 'stripe.apiKey', environmentVariable: 'STRIPE_API_KEY', environment: { STRIPE_API_KEY: 'sk_b' } })).toBe('sk_b');
  });

  test('reads process.env by default', () => {
    process.env.PAYMIGRATE_TEST_SECRET = 'from-process';
    try {
      expect(resolveSecret({ option: 'x.secret', environmentVariable: 'PAYMIGRATE_TEST_SECRET' })).toBe('from-process');
    } finally {
      delete process.env.PAYMIGRATE_TEST_SECRET;
    }
  });

  test.each([undefined, '', '   '])('a missing or blank secret (%j) names the option and the variable', (value) => {
    const error = captureError(() =>
      resolveSecret({ option: 'adyen.apiKey', environmentVariable: 'ADYEN_API_KEY', value, environment: {} }),
    );
    expect(error.option).toBe('adyen.apiKey');
    expect(error.message).toBe("Option 'adyen.apiKey' is missing. Fix: pass 'adyen.apiKey' or set the environment variable ADYEN_API_KEY.");
  });
});
