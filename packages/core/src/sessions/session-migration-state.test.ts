import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../ports/journal/v1/journal.js';
import { SessionMigrationStateInvalidError } from './session-errors.js';
import {
  emptySessionMigrationCounts,
  parseSessionMigrationRecord,
  sessionMigrationPhaseMachine,
  type SessionMigrationState,
  serializeSessionMigrationState,
} from './session-migration-state.js';

const state: SessionMigrationState = {
  migrationId: 'm1',
  phase: 'copying',
  createdAt: 1,
  phaseChangedAt: 1,
  history: [{ from: null, to: 'copying', at: 1, actor: 'system', reason: 'started' }],
  progress: { run: 1, startedAt: 1, batches: 2, keysSeen: 10, counts: emptySessionMigrationCounts, complete: false },
};

function record(value: string, key = 'm1'): JournalRecord {
  return { collection: 'session-migration', key, version: 3, value, index: 'copying', updatedAt: 1, lease: undefined };
}

function problemOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (SessionMigrationStateInvalidError.isInstance(error)) return error.message;
    throw error;
  }
  throw new Error('expected SessionMigrationStateInvalidError');
}

describe('session migration record', () => {
  it('round-trips with its version', () => {
    expect(parseSessionMigrationRecord(record(serializeSessionMigrationState(state)))).toStrictEqual({ state, version: 3 });
  });

  it('refuses a record that is not JSON, out of schema, or about another migration', () => {
    expect(problemOf(() => parseSessionMigrationRecord(record('{')))).toContain('is unusable: not JSON');
    expect(problemOf(() => parseSessionMigrationRecord(record(JSON.stringify({ ...state, phase: 'flying' }))))).toContain('unusable: phase: ');
    expect(problemOf(() => parseSessionMigrationRecord(record('[]')))).toContain('unusable: record: ');
    expect(problemOf(() => parseSessionMigrationRecord(record(serializeSessionMigrationState(state), 'm2')))).toContain("it describes migration 'm1'");
  });

  it('allows rollback from every phase but done, and nothing after done or a rollback', () => {
    expect(sessionMigrationPhaseMachine.allowedFrom('copying')).toStrictEqual(['verifying', 'rolled-back']);
    expect(sessionMigrationPhaseMachine.allowedFrom('verifying')).toStrictEqual(['copying', 'reads-switched', 'rolled-back']);
    expect(sessionMigrationPhaseMachine.allowedFrom('reads-switched')).toStrictEqual(['done', 'rolled-back']);
    expect(sessionMigrationPhaseMachine.isTerminal('done')).toBe(true);
    expect(sessionMigrationPhaseMachine.isTerminal('rolled-back')).toBe(true);
  });
});
