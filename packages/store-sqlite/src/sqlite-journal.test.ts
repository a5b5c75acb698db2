import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PaymigrateError, VersionConflictError } from '@paymigrate/core';
import { ManualClock } from '@paymigrate/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { createTemporaryDirectory } from './__fixtures__/temporary-directory.js';
import { SqliteJournal } from './sqlite-journal.js';

const directory = createTemporaryDirectory('paymigrate-sqlite-journal-');
afterAll(() => directory.remove());

/** Captures the error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** An opened journal on a fresh temporary file and a manual clock. */
async function openJournal(clock = new ManualClock(0), filename = directory.file()): Promise<SqliteJournal> {
  const journal = new SqliteJournal({ filename, clock });
  await journal.open();
  return journal;
}

const message = { topic: 't', orderingKey: 'k', deduplicationId: 'd', payload: '{}' };

/** Every operation of the port (its optional members included: this journal has them), each called once with harmless arguments. */
function everyOperation(journal: SqliteJournal): [string, () => Promise<unknown>][] {
  return [
    ['schemaVersion', () => journal.schemaVersion()],
    ['get', () => journal.get('payments', 'p1')],
    ['getMany', () => journal.getMany('payments', ['p1'])],
    ['list', () => journal.list('payments', { limit: 1 })],
    ['count', () => journal.count('payments')],
    ['write', () => journal.write({})],
    ['claim', () => journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 1, limit: 1 })],
    ['claimOutbox', () => journal.claimOutbox({ owner: 'a', leaseMs: 1, limit: 1 })],
    ['acknowledgeOutbox', () => journal.acknowledgeOutbox({ sequences: [1], owner: 'a' })],
    ['releaseOutbox', () => journal.releaseOutbox({ sequence: 1, owner: 'a', availableAt: 0 })],
    ['pendingOutboxCount', () => journal.pendingOutboxCount()],
    ['listPendingOutbox', () => journal.listPendingOutbox({ limit: 1 })],
    ['pruneDeliveredOutbox', () => journal.pruneDeliveredOutbox({ deliveredBefore: 0, limit: 1 })],
  ];
}

describe('SqliteJournal lifecycle', () => {
  test('is a v1 journal named sqlite that reports its file', () => {
    const journal = new SqliteJournal({ filename: 'somewhere/journal.sqlite' });
    expect(journal.specificationVersion).toBe('v1');
    expect(journal.name).toBe('sqlite');
    expect(journal.filename).toBe('somewhere/journal.sqlite');
    expect(existsSync('somewhere')).toBe(false);
  });

  test('every operation before open throws JOURNAL_CLOSED telling to call open(), like the in-memory journal', async () => {
    const journal = new SqliteJournal({ filename: directory.file() });
    for (const [operation, call] of everyOperation(journal)) {
      const error = await rejectionOf(call());
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'JOURNAL_CLOSED',
        isRetryable: false,
        message: `SQLite journal has not been opened: call open() before ${operation}().`,
      });
    }
  });

  test('after close every operation throws JOURNAL_CLOSED; open() reopens the same instance with the data intact', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '"kept"', expectedVersion: 0 }], outbox: [message] });
    await journal.close();
    await journal.close();
    for (const [operation, call] of everyOperation(journal)) {
      await expect(call()).rejects.toThrow(`SQLite journal has been closed: call open() before ${operation}().`);
    }
    await journal.open();
    expect(await journal.get('payments', 'p1')).toMatchObject({ value: '"kept"', version: 1 });
    expect(await journal.pendingOutboxCount()).toBe(1);
    await journal.close();
  });

  test('close before open is allowed and leaves the journal closed', async () => {
    const journal = new SqliteJournal({ filename: directory.file() });
    await journal.close();
    await expect(journal.count('payments')).rejects.toThrow('has been closed');
  });

  test("':memory:' gives a private journal that keeps nothing after close", async () => {
    const journal = new SqliteJournal({ filename: ':memory:' });
    await journal.open();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    expect(await journal.count('payments')).toBe(1);
    const other = new SqliteJournal({ filename: ':memory:' });
    await other.open();
    expect(await other.count('payments')).toBe(0);
    await other.close();
    await journal.close();
    await journal.open();
    expect(await journal.count('payments')).toBe(0);
    await journal.close();
  });

  test('runs in WAL mode and close() checkpoints the WAL back into the file', async () => {
    const filename = directory.file('checkpoint');
    const journal = await openJournal(new ManualClock(0), filename);
    // Another connection keeps the WAL file alive after the journal closes, so its size can be checked.
    const observer = new Database(filename);
    try {
      expect(observer.pragma('journal_mode', { simple: true })).toBe('wal');
      await journal.write({ puts: Array.from({ length: 200 }, (_, position) => ({ collection: 'payments', key: `p${position}`, value: 'x'.repeat(500), expectedVersion: 0 as const })) });
      expect(statSync(`${filename}-wal`).size).toBeGreaterThan(100_000);
      await journal.close();
      expect(statSync(`${filename}-wal`).size).toBe(0);
      expect(observer.prepare('SELECT count(*) FROM records').pluck().get()).toBe(200);
    } finally {
      observer.close();
    }
  });

  test("synchronous 'NORMAL' journals work the same", async () => {
    const journal = new SqliteJournal({ filename: directory.file('normal'), synchronous: 'NORMAL', clock: new ManualClock(0) });
    await journal.open();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    await journal.close();
    await journal.open();
    expect(await journal.get('payments', 'p1')).toMatchObject({ version: 1, updatedAt: 0 });
    await journal.close();
  });
});

describe('SqliteJournal open failures', () => {
  test('a file that is not a database fails with JOURNAL_OPEN_FAILED, keeping the SQLite error as cause', async () => {
    const filename = directory.file('garbage');
    writeFileSync(filename, 'this is not an SQLite database, just some text that is long enough to have a header'.repeat(20));
    const journal = new SqliteJournal({ filename });
    const error = await rejectionOf(journal.open());
    expect(error).toMatchObject({ code: 'JOURNAL_OPEN_FAILED', isRetryable: false });
    expect((error as Error).message).toContain(`Cannot open SQLite journal '${filename}'`);
    expect((error as Error).message).toContain('not a database');
    expect((error as Error).cause).toBeInstanceOf(Database.SqliteError);
    await expect(journal.count('payments')).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
  });

  test('a directory that cannot be created fails with JOURNAL_OPEN_FAILED', async () => {
    const blocker = directory.file('blocker');
    writeFileSync(blocker, 'a file where a directory should be');
    const error = await rejectionOf(new SqliteJournal({ filename: join(blocker, 'journal.sqlite') }).open());
    expect(error).toMatchObject({ code: 'JOURNAL_OPEN_FAILED' });
  });

  test('a file written by a newer version fails with JOURNAL_SCHEMA_UNSUPPORTED and is left as it is', async () => {
    const filename = directory.file('newer');
    const journal = await openJournal(new ManualClock(0), filename);
    await journal.close();
    const database = new Database(filename);
    database.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (3, 'from the future', 0)").run();
    database.close();
    const error = await rejectionOf(new SqliteJournal({ filename }).open());
    expect(error).toMatchObject({
      code: 'JOURNAL_SCHEMA_UNSUPPORTED',
      message: `SQLite journal '${filename}' has schema version 3, newer than the 2 this version of @paymigrate/store-sqlite knows. Upgrade @paymigrate/store-sqlite.`,
    });
    const readonlyError = await rejectionOf(new SqliteJournal({ filename, readonly: true }).open());
    expect(readonlyError).toMatchObject({ code: 'JOURNAL_SCHEMA_UNSUPPORTED' });
  });
});

describe('SqliteJournal read-only', () => {
  test('reads a migrated file and refuses every write with JOURNAL_READONLY', async () => {
    const filename = directory.file('readonly');
    const writer = await openJournal(new ManualClock(0), filename);
    await writer.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }], outbox: [message] });
    await writer.close();

    const reader = new SqliteJournal({ filename, readonly: true });
    await reader.open();
    expect(await reader.schemaVersion()).toBe(2);
    expect(await reader.get('payments', 'p1')).toMatchObject({ version: 1 });
    expect(await reader.list('payments', { limit: 10 })).toHaveLength(1);
    expect(await reader.count('payments', { index: 'pending' })).toBe(1);
    expect(await reader.pendingOutboxCount()).toBe(1);
    const writing = everyOperation(reader).filter(([operation]) => ['write', 'claim', 'claimOutbox', 'acknowledgeOutbox', 'releaseOutbox', 'pruneDeliveredOutbox'].includes(operation));
    for (const [operation, call] of writing) {
      const error = await rejectionOf(call());
      expect(error).toMatchObject({
        code: 'JOURNAL_READONLY',
        message: `SQLite journal '${filename}' was opened read-only, so ${operation}() cannot write. Open it without 'readonly' to write.`,
      });
    }
    await reader.close();
    expect(statSync(filename).size).toBeGreaterThan(0);
  });

  test('a missing file fails with JOURNAL_OPEN_FAILED and is not created', async () => {
    const filename = directory.file('absent');
    const error = await rejectionOf(new SqliteJournal({ filename, readonly: true }).open());
    expect(error).toMatchObject({ code: 'JOURNAL_OPEN_FAILED' });
    expect(existsSync(filename)).toBe(false);
  });

  test('a file that was never migrated fails with JOURNAL_SCHEMA_OUTDATED', async () => {
    const filename = directory.file('unmigrated');
    new Database(filename).exec('CREATE TABLE unrelated (id INTEGER)').close();
    const error = await rejectionOf(new SqliteJournal({ filename, readonly: true }).open());
    expect(error).toMatchObject({
      code: 'JOURNAL_SCHEMA_OUTDATED',
      message: `SQLite journal '${filename}' has schema version 0 of 2 and was opened read-only, so it cannot be migrated. Open it once without 'readonly'.`,
    });
  });
});

describe('SqliteJournal under another connection holding the write lock', () => {
  test('writers and claimers fail with the retryable JOURNAL_BUSY after busyTimeoutMs; readers are not blocked', async () => {
    const filename = directory.file('busy');
    const journal = new SqliteJournal({ filename, busyTimeoutMs: 20, clock: new ManualClock(0) });
    await journal.open();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }], outbox: [message] });
    const other = new Database(filename);
    other.exec('BEGIN IMMEDIATE');
    try {
      const blocked: [string, () => Promise<unknown>][] = [
        ['write', () => journal.write({ puts: [{ collection: 'payments', key: 'p2', value: '{}', expectedVersion: 0 }] })],
        ['claim', () => journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit: 1 })],
        ['claimOutbox', () => journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 })],
        ['acknowledgeOutbox', () => journal.acknowledgeOutbox({ sequences: [1], owner: 'a' })],
        ['releaseOutbox', () => journal.releaseOutbox({ sequence: 1, owner: 'a', availableAt: 0 })],
      ];
      for (const [operation, call] of blocked) {
        const error = await rejectionOf(call());
        expect(error).toMatchObject({
          code: 'JOURNAL_BUSY',
          isRetryable: true,
          message: `SQLite journal ${operation}() timed out waiting for another connection's lock. Retry, or raise 'busyTimeoutMs'.`,
        });
        expect((error as Error).cause).toMatchObject({ code: 'SQLITE_BUSY' });
      }
      expect(await journal.get('payments', 'p1')).toMatchObject({ version: 1 });
      expect(await journal.getMany('payments', ['p1', 'p2'])).toHaveLength(1);
      expect(await journal.pendingOutboxCount()).toBe(1);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    expect(await journal.write({ puts: [{ collection: 'payments', key: 'p2', value: '{}', expectedVersion: 0 }] })).toMatchObject({ records: [{ version: 1 }] });
    await journal.close();
  });

  test('open retries when switching to WAL is refused at once, and succeeds once the other writer commits', async () => {
    const filename = directory.file('busy-retry');
    // A rollback-journal file with an uncommitted write: switching it to WAL needs the lock that
    // write holds, and SQLite answers SQLITE_BUSY at once (no busy handler) to avoid a deadlock.
    const other = new Database(filename);
    other.exec('CREATE TABLE unrelated (id INTEGER); BEGIN; INSERT INTO unrelated VALUES (1);');
    const committed = new Promise<void>((resolve) => {
      setTimeout(() => {
        other.exec('COMMIT');
        resolve();
      }, 40);
    });
    const journal = new SqliteJournal({ filename, busyTimeoutMs: 2_000 });
    const started = Date.now();
    try {
      await Promise.all([journal.open(), journal.open()]);
      await committed;
      expect(Date.now() - started).toBeGreaterThanOrEqual(35);
      expect(await journal.schemaVersion()).toBe(2);
    } finally {
      await journal.close();
      other.close();
    }
    expect(new Database(filename, { readonly: true }).pragma('journal_mode', { simple: true })).toBe('wal');
  });

  test('close() during a retrying open() waits for it and leaves the journal closed', async () => {
    const filename = directory.file('busy-close');
    const other = new Database(filename);
    other.exec('CREATE TABLE unrelated (id INTEGER); BEGIN; INSERT INTO unrelated VALUES (1);');
    const journal = new SqliteJournal({ filename, busyTimeoutMs: 2_000 });
    const opening = journal.open();
    setTimeout(() => other.exec('COMMIT'), 30);
    await journal.close();
    await opening;
    await expect(journal.count('payments')).rejects.toThrow('SQLite journal has been closed: call open() before count().');
    other.close();
  });

  test('open fails with JOURNAL_BUSY when migrations cannot get the lock', async () => {
    const filename = directory.file('busy-open');
    const other = new Database(filename);
    other.pragma('journal_mode = WAL');
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await rejectionOf(new SqliteJournal({ filename, busyTimeoutMs: 10 }).open());
      expect(error).toMatchObject({ code: 'JOURNAL_BUSY', isRetryable: true });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});

describe('SqliteJournal semantics beyond the contract (the same as the in-memory journal)', () => {
  test('stamps updatedAt, enqueuedAt and lease expiries from its clock; a claim keeps updatedAt', async () => {
    const clock = new ManualClock(5_000);
    const journal = await openJournal(clock);
    const { records } = await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }], outbox: [message] });
    expect(records[0]?.updatedAt).toBe(5_000);
    await clock.advance(250);
    const [claimed] = await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 1_000, limit: 1 });
    expect(claimed).toMatchObject({ updatedAt: 5_000, version: 2, lease: { owner: 'a', expiresAt: 6_250 } });
    const [leased] = await journal.claimOutbox({ owner: 'a', leaseMs: 2_000, limit: 1 });
    expect(leased).toMatchObject({ enqueuedAt: 5_000, availableAt: 5_000, lease: { owner: 'a', expiresAt: 7_250 } });
    await journal.close();
  });

  test('defaults to the system clock', async () => {
    const journal = new SqliteJournal({ filename: directory.file() });
    await journal.open();
    const before = Date.now();
    const { records } = await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    expect(records[0]?.updatedAt).toBeGreaterThanOrEqual(before);
    expect(records[0]?.updatedAt).toBeLessThanOrEqual(Date.now());
    await journal.close();
  });

  test('a lease is expired from its expiresAt on, exactly; a back-off ends exactly at availableAt', async () => {
    const clock = new ManualClock(0);
    const journal = await openJournal(clock);
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }], outbox: [message] });
    const claimRecord = (owner: string) => journal.claim({ collection: 'payments', index: 'pending', owner, leaseMs: 100, limit: 1 });
    const claimMessage = (owner: string) => journal.claimOutbox({ owner, leaseMs: 100, limit: 1 });
    await claimRecord('a');
    await claimMessage('a');
    await clock.advance(99);
    expect(await claimRecord('b')).toEqual([]);
    expect(await claimMessage('b')).toEqual([]);
    await clock.advance(1);
    expect(await claimRecord('b')).toHaveLength(1);
    const [taken] = await claimMessage('b');
    await journal.releaseOutbox({ sequence: taken!.sequence, owner: 'b', availableAt: 150 });
    await clock.advance(49);
    expect(await claimMessage('c')).toEqual([]);
    await clock.advance(1);
    expect(await claimMessage('c')).toMatchObject([{ attempts: 3 }]);
    await journal.close();
  });

  test('records, messages and results handed out are frozen, leases included', async () => {
    const journal = await openJournal();
    const result = await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', index: 'pending', expectedVersion: 0 }], outbox: [message] });
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.records)).toBe(true);
    expect(Object.isFrozen(result.records[0])).toBe(true);
    expect(Object.isFrozen(result.outboxSequences)).toBe(true);
    expect(Object.isFrozen(await journal.write({}))).toBe(true);
    const [claimed] = await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit: 1 });
    expect(Object.isFrozen(claimed)).toBe(true);
    expect(Object.isFrozen(claimed?.lease)).toBe(true);
    const [leased] = await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    expect(Object.isFrozen(leased)).toBe(true);
    expect(Object.isFrozen(leased?.lease)).toBe(true);
    expect(Object.isFrozen(await journal.list('payments', { limit: 1 }))).toBe(true);
    expect(Object.isFrozen(await journal.getMany('payments', ['p1']))).toBe(true);
    expect(Object.isFrozen(await journal.claim({ collection: 'payments', index: 'pending', owner: 'b', leaseMs: 100, limit: 1 }))).toBe(true);
    expect(Object.isFrozen(await journal.acknowledgeOutbox({ sequences: [1], owner: 'a' }))).toBe(true);
    expect(() => {
      (claimed as { value: string }).value = 'changed';
    }).toThrow(TypeError);
    await journal.close();
  });

  test('getMany returns records in the order of the keys, each once', async () => {
    const journal = await openJournal();
    await journal.write({ puts: ['a', 'b', 'c'].map((key) => ({ collection: 'payments', key, value: `"${key}"`, expectedVersion: 0 as const })) });
    const records = await journal.getMany('payments', ['c', 'a', 'missing', 'c', 'b', 'a']);
    expect(records.map((record) => record.key)).toEqual(['c', 'a', 'b']);
    await journal.close();
  });

  test('orders keys by code point (UTF-8 bytes), astral characters after U+E000..U+FFFF, NUL included', async () => {
    const journal = await openJournal();
    const ordered = ['\u0000', 'Z', 'a\u0000b', 'a\u0001', 'z', '\u00e9', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{1f600}a'];
    await journal.write({ puts: [...ordered].reverse().map((key) => ({ collection: 'keys', key, value: '{}', index: 'all', expectedVersion: 0 as const })) });
    expect((await journal.list('keys', { limit: 100 })).map((record) => record.key)).toEqual(ordered);
    expect((await journal.list('keys', { index: 'all', afterKey: '\uffff', limit: 100 })).map((record) => record.key)).toEqual(['\u{10000}', '\u{1f600}', '\u{1f600}a']);
    expect((await journal.claim({ collection: 'keys', index: 'all', owner: 'a', leaseMs: 100, limit: 100 })).map((record) => record.key)).toEqual(ordered);
    expect(await journal.get('keys', 'a\u0000b')).toMatchObject({ key: 'a\u0000b' });
    expect(await journal.get('keys', 'a')).toBeUndefined();
    await journal.close();
  });

  test('claims with equal updatedAt in key order; an unknown collection yields nothing', async () => {
    const journal = await openJournal();
    await journal.write({ puts: ['\u{1f600}', '\ue000', 'b', 'a'].map((key) => ({ collection: 'payments', key, value: '{}', index: 'pending', expectedVersion: 0 as const })) });
    const claimed = await journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit: 10 });
    expect(claimed.map((record) => record.key)).toEqual(['a', 'b', '\ue000', '\u{1f600}']);
    expect(await journal.claim({ collection: 'absent', index: 'pending', owner: 'a', leaseMs: 100, limit: 10 })).toEqual([]);
    await journal.close();
  });

  test('a batch naming a record twice is a TypeError and applies nothing', async () => {
    const journal = await openJournal();
    const twice = await rejectionOf(
      journal.write({
        puts: [
          { collection: 'payments', key: 'p1', value: '"one"', expectedVersion: 0 },
          { collection: 'payments', key: 'p1', value: '"two"', expectedVersion: 'any' },
        ],
        outbox: [message],
      }),
    );
    expect(twice).toEqual(new TypeError("Journal batch names record 'payments/p1' more than once; a batch may put or delete each record once."));
    const putAndDelete = await rejectionOf(
      journal.write({
        puts: [{ collection: 'payments', key: 'p1', value: '"one"', expectedVersion: 0 }],
        deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 'any' }],
      }),
    );
    expect(putAndDelete).toBeInstanceOf(TypeError);
    expect(await journal.count('payments')).toBe(0);
    expect(await journal.pendingOutboxCount()).toBe(0);
    await journal.write({
      puts: [
        { collection: 'a/b', key: 'c', value: '{}', expectedVersion: 0 },
        { collection: 'a', key: 'b/c', value: '{}', expectedVersion: 0 },
        { collection: 'a\u0000b', key: 'c', value: '{}', expectedVersion: 0 },
        { collection: 'a', key: 'b\u0000c', value: '{}', expectedVersion: 0 },
      ],
    });
    expect(await journal.count('a/b')).toBe(1);
    expect(await journal.count('a')).toBe(2);
    await journal.close();
  });

  test('rejects an expected version that is not any or an integer >= 0', async () => {
    const journal = await openJournal();
    for (const expectedVersion of [-1, 1.5, Number.NaN]) {
      const error = await rejectionOf(journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion }] }));
      expect(error).toEqual(
        new TypeError(`Journal write of 'payments/p1': 'expectedVersion' must be 'any' or an integer >= 0 (0 = must not exist), got ${expectedVersion}.`),
      );
    }
    const deleteError = await rejectionOf(journal.write({ deletes: [{ collection: 'payments', key: 'p1', expectedVersion: -2 }] }));
    expect(deleteError).toBeInstanceOf(TypeError);
    await journal.close();
  });

  test('reports the first conflicting record, puts before deletes', async () => {
    const journal = await openJournal();
    await journal.write({ puts: [{ collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 }] });
    const error = await rejectionOf(
      journal.write({
        puts: [
          { collection: 'payments', key: 'p2', value: '{}', expectedVersion: 4 },
          { collection: 'payments', key: 'p3', value: '{}', expectedVersion: 5 },
        ],
        deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 9 }],
      }),
    );
    expect(VersionConflictError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ key: 'p2', expectedVersion: 4, actualVersion: undefined });
    const deleteFirst = await rejectionOf(
      journal.write({
        puts: [{ collection: 'payments', key: 'p4', value: '{}', expectedVersion: 0 }],
        deletes: [{ collection: 'payments', key: 'p1', expectedVersion: 9 }],
      }),
    );
    expect(deleteFirst).toMatchObject({ key: 'p1', expectedVersion: 9, actualVersion: 1 });
    expect(await journal.get('payments', 'p4')).toBeUndefined();
    await journal.close();
  });

  test('a batch of a group is checked before it is written: nothing of a conflicting batch is written, only its first conflict is reported', async () => {
    const journal = await openJournal();
    await journal.write({
      puts: [
        { collection: 'payments', key: 'taken', value: '"old"', index: 'kept', expectedVersion: 0 },
        { collection: 'payments', key: 'updated', value: '"old"', expectedVersion: 0 },
      ],
    });
    // One group. First batch: `fresh` would be inserted, then `taken` conflicts; `updated` and `absent` come after and are not reported.
    // Second batch: its put of `updated` holds, then its delete of `taken` conflicts, so the put must not be written either.
    const [putConflict, deleteConflict, neighbour] = await Promise.allSettled([
      journal.write({
        puts: [
          { collection: 'payments', key: 'fresh', value: '{}', expectedVersion: 0 },
          { collection: 'payments', key: 'taken', value: '"new"', expectedVersion: 0 },
          { collection: 'payments', key: 'updated', value: '"new"', expectedVersion: 1 },
          { collection: 'payments', key: 'absent', value: '{}', expectedVersion: 3 },
        ],
        outbox: [message],
      }),
      journal.write({
        puts: [{ collection: 'payments', key: 'updated', value: '"new"', expectedVersion: 1 }],
        deletes: [{ collection: 'payments', key: 'taken', expectedVersion: 0 }],
      }),
      journal.write({ puts: [{ collection: 'payments', key: 'neighbour', value: '{}', expectedVersion: 0 }] }),
    ]);
    expect(putConflict).toMatchObject({ status: 'rejected', reason: { key: 'taken', expectedVersion: 0, actualVersion: 1 } });
    expect(deleteConflict).toMatchObject({ status: 'rejected', reason: { key: 'taken', expectedVersion: 0, actualVersion: 1 } });
    expect(neighbour).toMatchObject({ status: 'fulfilled', value: { records: [{ key: 'neighbour', version: 1 }] } });
    expect(await journal.get('payments', 'fresh')).toBeUndefined();
    expect(await journal.get('payments', 'taken')).toMatchObject({ value: '"old"', version: 1, index: 'kept' });
    expect(await journal.get('payments', 'updated')).toMatchObject({ value: '"old"', version: 1 });
    expect(await journal.pendingOutboxCount()).toBe(0);
    await journal.close();
  });

  test('claim, claimOutbox and list validate limit and leaseMs; releaseOutbox validates availableAt', async () => {
    const journal = await openJournal();
    for (const limit of [0, 10_001, 2.5]) {
      await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs: 100, limit })).rejects.toThrow(
        new TypeError(`Journal claim: 'limit' must be an integer from 1 to 10000, got ${limit}.`),
      );
      await expect(journal.claimOutbox({ owner: 'a', leaseMs: 100, limit })).rejects.toThrow(
        new TypeError(`Journal claimOutbox: 'limit' must be an integer from 1 to 10000, got ${limit}.`),
      );
    }
    for (const leaseMs of [0, -5, 1.5, Number.POSITIVE_INFINITY]) {
      await expect(journal.claim({ collection: 'payments', index: 'pending', owner: 'a', leaseMs, limit: 1 })).rejects.toThrow(
        new TypeError(`Journal claim: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`),
      );
      await expect(journal.claimOutbox({ owner: 'a', leaseMs, limit: 1 })).rejects.toThrow(
        new TypeError(`Journal claimOutbox: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`),
      );
    }
    await expect(journal.list('payments', { limit: 0 })).rejects.toThrow(new TypeError("Journal list: 'limit' must be an integer from 1 to 10000, got 0."));
    await expect(journal.releaseOutbox({ sequence: 1, owner: 'a', availableAt: Number.NaN })).rejects.toThrow(
      new TypeError("Journal releaseOutbox: 'availableAt' must be finite epoch milliseconds, got NaN."),
    );
    await journal.close();
  });

  test('releaseOutbox ignores unknown and unclaimed sequences and keeps the last error when none is given', async () => {
    const journal = await openJournal();
    const { outboxSequences } = await journal.write({ outbox: [message] });
    const sequence = outboxSequences[0]!;
    await journal.releaseOutbox({ sequence: 999, owner: 'a', availableAt: 0 });
    await journal.releaseOutbox({ sequence, owner: 'a', availableAt: 1_000_000, error: 'ignored' });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    await journal.releaseOutbox({ sequence, owner: 'a', availableAt: 0, error: 'first failure' });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    await journal.releaseOutbox({ sequence, owner: 'a', availableAt: 0 });
    const [leased] = await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 1 });
    expect(leased).toMatchObject({ availableAt: 0, attempts: 3, lastError: 'first failure' });
    await journal.close();
  });

  test('acknowledge reports each sequence once, in the order given; a delivered message cannot be released', async () => {
    const journal = await openJournal();
    const { outboxSequences } = await journal.write({
      outbox: ['m1', 'm2'].map((name) => ({ topic: 't', orderingKey: name, deduplicationId: name, payload: '{}' })),
    });
    await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 10 });
    const [first, second] = outboxSequences as [number, number];
    expect((await journal.acknowledgeOutbox({ sequences: [second, first, second], owner: 'a' })).acknowledged).toEqual([second, first]);
    await journal.releaseOutbox({ sequence: first, owner: 'a', availableAt: 0 });
    expect(await journal.pendingOutboxCount()).toBe(0);
    expect(await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 10 })).toEqual([]);
    await journal.close();
  });

  test('an empty topic list claims and counts nothing', async () => {
    const journal = await openJournal();
    await journal.write({ outbox: [message] });
    expect(await journal.claimOutbox({ owner: 'a', leaseMs: 100, limit: 10, topics: [] })).toEqual([]);
    expect(await journal.pendingOutboxCount({ topics: [] })).toBe(0);
    expect(await journal.pendingOutboxCount({ topics: ['t'] })).toBe(1);
    await journal.close();
  });

  test('refuses strings with a lone UTF-16 surrogate, which UTF-8 cannot keep, and applies nothing', async () => {
    const journal = await openJournal();
    const record = { collection: 'payments', key: 'p1', value: '{}', expectedVersion: 0 as const };
    const cases: [string, Parameters<SqliteJournal['write']>[0]][] = [
      ["record 'payments/p1': 'value'", { puts: [{ ...record, value: '{"name":"\ud800"}' }] }],
      ["record 'payments/a\udfffb': 'key'", { puts: [{ ...record, key: 'a\udfffb' }] }],
      ["record 'payments\ud83d/p1': 'collection'", { puts: [{ ...record, collection: 'payments\ud83d' }] }],
      ["record 'payments/p1': 'index'", { puts: [{ ...record, index: '\udc00' }] }],
      ["outbox message 'd': 'payload'", { puts: [record], outbox: [{ ...message, payload: '"\ud800"' }] }],
      ["outbox message 'd': 'orderingKey'", { outbox: [{ ...message, orderingKey: 'k\ud800' }] }],
      ["outbox message 'd': 'topic'", { outbox: [{ ...message, topic: '\udfff' }] }],
      ["outbox message 'd\ud800': 'deduplicationId'", { outbox: [{ ...message, deduplicationId: 'd\ud800' }] }],
    ];
    for (const [subject, batch] of cases) {
      const error = await rejectionOf(journal.write(batch));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toContain(`Journal write of ${subject} contains a lone UTF-16 surrogate`);
    }
    expect(await journal.count('payments')).toBe(0);
    expect(await journal.pendingOutboxCount()).toBe(0);
    // Paired surrogates (astral characters) are fine, and JSON.stringify escapes lone ones.
    const value = JSON.stringify({ emoji: '\u{1f600}', lone: '\ud800' });
    const { records } = await journal.write({ puts: [{ ...record, key: '\u{1f600}', value }] });
    expect(records[0]?.value).toBe(value);
    expect((await journal.get('payments', '\u{1f600}'))?.value === value).toBe(true);
    await journal.close();
  });

  test('an empty index value is a value, not the absence of one', async () => {
    const journal = await openJournal();
    await journal.write({
      puts: [
        { collection: 'payments', key: 'empty', value: '{}', index: '', expectedVersion: 0 },
        { collection: 'payments', key: 'none', value: '{}', expectedVersion: 0 },
      ],
    });
    expect(await journal.get('payments', 'empty')).toMatchObject({ index: '' });
    expect(await journal.get('payments', 'none')).toMatchObject({ index: undefined });
    expect(await journal.count('payments', { index: '' })).toBe(1);
    expect((await journal.list('payments', { index: '', limit: 10 })).map((record) => record.key)).toEqual(['empty']);
    await journal.close();
  });
});
