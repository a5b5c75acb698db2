import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../ports/journal/v1/journal.js';
import { MigrationStateInvalidError } from './cutover-errors.js';
import {
  migrationCollection,
  migrationControlMessage,
  migrationControlTopic,
  type MigrationHistoryEntry,
  type MigrationState,
  parseMigrationRecord,
  serializeMigrationState,
} from './migration-state.js';

const created: MigrationHistoryEntry = { from: null, to: 'prepare', epoch: 1, rampPercent: 0, at: 1_000, actor: 'alice', reason: 'start', checks: [] };
const shadow: MigrationHistoryEntry = {
  from: 'prepare',
  to: 'shadow',
  epoch: 2,
  rampPercent: 0,
  at: 2_000,
  actor: 'bob',
  reason: 'tokens imported',
  checks: [{ name: 'token-migration-ready', ok: true, reason: 'no token migration configured' }],
};

const state: MigrationState = {
  migrationId: 'default',
  fromProvider: 'stripe',
  toProvider: 'adyen',
  phase: 'shadow',
  epoch: 2,
  rampPercent: 0,
  rolledBack: false,
  history: [created, shadow],
  createdAt: 1_000,
  updatedAt: 2_000,
};

function recordOf(value: string, key = 'default', version = 2): JournalRecord {
  return { collection: migrationCollection, key, version, value, index: 'shadow', updatedAt: 2_000, lease: undefined };
}

function invalidProblem(record: JournalRecord): string {
  try {
    parseMigrationRecord(record);
  } catch (error) {
    if (MigrationStateInvalidError.isInstance(error)) return error.problem;
    throw error;
  }
  throw new Error('expected MigrationStateInvalidError');
}

describe('parseMigrationRecord', () => {
  it('round-trips a serialized state with its journal version', () => {
    expect(parseMigrationRecord(recordOf(serializeMigrationState(state)))).toEqual({ state, version: 2 });
  });

  it('keeps a force reason in a history entry', () => {
    const forced: MigrationState = { ...state, history: [created, { ...shadow, forceReason: 'black friday' }] };
    expect(parseMigrationRecord(recordOf(serializeMigrationState(forced))).state.history[1]?.forceReason).toBe('black friday');
  });

  it('refuses a value that is not JSON, with the parse error as cause', () => {
    expect(invalidProblem(recordOf('{not json'))).toBe('its value is not JSON');
    try {
      parseMigrationRecord(recordOf('{not json'));
    } catch (error) {
      expect((error as Error).cause).toBeInstanceOf(SyntaxError);
    }
  });

  it('names the field that breaks the schema', () => {
    expect(invalidProblem(recordOf(JSON.stringify({ ...state, phase: 'launch' })))).toMatch(/^'phase' is invalid/);
    expect(invalidProblem(recordOf(JSON.stringify({ ...state, rampPercent: 120 })))).toMatch(/^'rampPercent' is invalid/);
    expect(invalidProblem(recordOf(JSON.stringify({ ...state, history: [{ ...created, checks: [{ name: 'x' }] }] })))).toMatch(/^'history\.0\.checks\.0\.ok' is invalid/);
  });

  it('refuses a value that is not an object', () => {
    expect(invalidProblem(recordOf('42'))).toMatch(/^the record is invalid/);
  });

  it('refuses a record that describes another migration', () => {
    expect(invalidProblem(recordOf(serializeMigrationState(state), 'shop-eu'))).toBe("it names migration 'default'");
  });
});

describe('migrationControlMessage', () => {
  it('announces the change on control.migration, ordered by migration id', () => {
    const message = migrationControlMessage(state, shadow);
    expect(message.topic).toBe(migrationControlTopic);
    expect(message.topic).toBe('control.migration');
    expect(message.orderingKey).toBe('default');
    expect(message.deduplicationId).toBe('control.migration:default:1000:2');
    expect(JSON.parse(message.payload)).toEqual({
      type: 'migration.changed',
      migrationId: 'default',
      fromProvider: 'stripe',
      toProvider: 'adyen',
      previousPhase: 'prepare',
      phase: 'shadow',
      epoch: 2,
      rampPercent: 0,
      rolledBack: false,
      actor: 'bob',
      reason: 'tokens imported',
      at: 2_000,
    });
  });

  it('gives a re-created migration new deduplication ids', () => {
    const recreated = { ...state, createdAt: 9_000 };
    expect(migrationControlMessage(recreated, shadow).deduplicationId).not.toBe(migrationControlMessage(state, shadow).deduplicationId);
  });
});
