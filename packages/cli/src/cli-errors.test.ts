import { PaymigrateError } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { CliUsageError, ConfigFileError, RehearsalError, WorldUnavailableError } from './cli-errors.js';
import { WorldCallError } from './rehearsal/world/world-client.js';

describe('CLI errors', () => {
  const errors = [
    new CliUsageError({ argument: '--percent', problem: 'is missing', fix: 'pass --percent 5' }),
    new ConfigFileError({ file: 'paymigrate.config.json', key: 'migration.from', problem: 'is missing', fix: 'set it' }),
    new RehearsalError({ code: 'REHEARSAL_X', phase: 'ramp', message: 'failed' }),
    new WorldUnavailableError({ message: 'gone', url: 'http://127.0.0.1:1' }),
    new WorldCallError({ call: 'seed', code: 'WORLD_CALL_FAILED', message: 'boom' }),
  ];
  const checks = [CliUsageError, ConfigFileError, RehearsalError, WorldUnavailableError, WorldCallError];

  it('carries stable codes and operator-facing messages', () => {
    expect(errors.map((error) => error.code)).toStrictEqual([
      'CLI_USAGE_INVALID',
      'CLI_CONFIG_INVALID',
      'REHEARSAL_X',
      'REHEARSAL_WORLD_UNAVAILABLE',
      'WORLD_CALL_FAILED',
    ]);
    expect(errors[0]?.message).toBe('--percent is missing: pass --percent 5');
    expect(errors[1]?.message).toBe('migration.from is missing: set it (in paymigrate.config.json)');
    expect(new ConfigFileError({ file: 'f.json', key: '', problem: 'is not valid JSON', fix: 'fix it' }).message).toBe('f.json is not valid JSON: fix it (in f.json)');
    expect(errors.every((error) => PaymigrateError.isInstance(error))).toBe(true);
  });

  it('recognizes each class by its marker, and no other', () => {
    for (const [index, check] of checks.entries()) {
      for (const [other, error] of errors.entries()) expect(check.isInstance(error)).toBe(index === other);
      expect(check.isInstance(new Error('plain'))).toBe(false);
      expect(check.isInstance(undefined)).toBe(false);
    }
  });
});
