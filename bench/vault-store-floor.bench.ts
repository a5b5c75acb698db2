// What the token vault's write pattern costs the SQLite store by itself, with no file, no PGP, no
// CSV, no encryption and no PCI scan: the floor under the token-import benchmark.
//
// A mapping's vault key is a keyed hash of its source token and its customer index a keyed hash of
// its customer id (token-vault.ts), so each row lands at a random place in the records table's two
// indexes. Side by side, each in a fresh child process, on the same rows (1,000,000 at full scale,
// a 380-byte value each, about an envelope's size, batches of 2,500 as the import bench commits):
// - the SQLite journal (`journal.write`, group commit, bulk checkpoints) with keyed-hash keys, and
//   with keys in insertion order;
// - a bare better-sqlite3 loop on the journal's own schema (its migrations), keyed-hash and in
//   insertion order, to show the cost is SQLite's B-tree and not the journal's code;
// - the bulk-load alternative: rows appended to a staging table without indexes, then moved into
//   the records table in one sorted INSERT ... SELECT ... ORDER BY key.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as StoreSqlite from '@paymigrate/store-sqlite';
import type BetterSqlite3 from 'better-sqlite3';
import { type Benchmark, formatRate } from './support/benchmark.js';
import { answerAsMeasuringChild, inMeasuringChild } from './support/measuring-child.js';

const childVariable = 'PAYMIGRATE_VAULT_STORE_FLOOR_CHILD';
/** Records per committed batch, as the token-import benchmark commits them. */
const batchSize = 2_500;
/** About the length of a sealed vault envelope's JSON text. */
const valueText = 'e'.repeat(380);
const collection = 'token-vault';

/** The ways of writing the rows that are compared. */
const variants = ['journal, keyed-hash keys', 'journal, keys in insertion order', 'bare loop, keyed-hash keys', 'bare loop, keys in insertion order', 'bare loop, staged then sorted'] as const;
type Variant = (typeof variants)[number];

/** What a child hands back. */
interface ChildResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly systemSeconds: number;
  /** Bytes this process passed to write system calls (`wchar` of /proc/self/io). */
  readonly writtenBytes: number;
  readonly peakMegabytes: number;
  readonly rows: number;
  readonly databaseBytes: number;
}

/** What the parent hands a child. */
interface ChildTask {
  readonly variant: Variant;
  readonly rows: number;
  readonly databasePath: string;
}

/** Bytes written through system calls by this process so far (Linux; 0 elsewhere). */
async function writtenBytes(): Promise<number> {
  try {
    const line = (await readFile('/proc/self/io', 'utf8')).split('\n').find((entry) => entry.startsWith('wchar:'));
    return line === undefined ? 0 : Number(line.slice('wchar:'.length).trim());
  } catch {
    return 0;
  }
}

/** The keys of row `index`: keyed hashes like the vault's, or strings that sort in insertion order. */
function keysOf(keyed: boolean, hashKey: Buffer): (index: number) => { readonly key: string; readonly index: string } {
  if (!keyed) return (index) => ({ key: `tv_${String(index).padStart(43, '0')}`, index: `cu_${String(index >> 1).padStart(43, '0')}` });
  return (index) => ({
    key: `tv_${createHmac('sha256', hashKey).update(`old\u0000card_old_${index}`).digest('base64url')}`,
    // Two cards per customer, as in the token-import benchmark's file.
    index: `cu_${createHmac('sha256', hashKey).update(`cus_old_${index >> 1}`).digest('base64url')}`,
  });
}

/** The modules a child uses, loaded before it starts timing. */
interface ChildModules {
  readonly storeSqlite: typeof StoreSqlite;
  readonly Database: typeof BetterSqlite3;
}

async function runJournal(task: ChildTask, modules: ChildModules, keyed: boolean): Promise<void> {
  const journal = modules.storeSqlite.createSqliteJournal({ filename: task.databasePath });
  await journal.open();
  const keys = keysOf(keyed, randomBytes(32));
  for (let start = 0; start < task.rows; start += batchSize) {
    const puts = [];
    for (let row = start; row < Math.min(task.rows, start + batchSize); row += 1) {
      const { key, index } = keys(row);
      puts.push({ collection, key, value: valueText, index, expectedVersion: 0 as const });
    }
    await journal.write({ puts });
  }
  await journal.close();
}

async function runBareLoop(task: ChildTask, modules: ChildModules, keyed: boolean, staged: boolean): Promise<void> {
  const database = new modules.Database(task.databasePath);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  modules.storeSqlite.applySqliteMigrations(database, { now: () => Date.now() });
  database.exec('CREATE TABLE staging (key TEXT NOT NULL, index_value TEXT NOT NULL, value TEXT NOT NULL)');
  const insert = database.prepare('INSERT INTO records (collection, key, version, value, index_value, updated_at) VALUES (?, ?, 1, ?, ?, ?)');
  const stage = database.prepare('INSERT INTO staging (key, index_value, value) VALUES (?, ?, ?)');
  const keys = keysOf(keyed, randomBytes(32));
  const now = Date.now();
  const commit = database.transaction((start: number) => {
    for (let row = start; row < Math.min(task.rows, start + batchSize); row += 1) {
      const { key, index } = keys(row);
      if (staged) stage.run(key, index, valueText);
      else insert.run(collection, key, valueText, index, now);
    }
  });
  for (let start = 0; start < task.rows; start += batchSize) commit(start);
  if (staged) {
    database.transaction(() => {
      database
        .prepare('INSERT INTO records (collection, key, version, value, index_value, updated_at) SELECT ?, key, 1, value, index_value, ? FROM staging ORDER BY key')
        .run(collection, now);
      database.exec('DELETE FROM staging');
    })();
  }
  database.close();
}

async function runChild(task: ChildTask): Promise<ChildResult> {
  const modules: ChildModules = { storeSqlite: await import('@paymigrate/store-sqlite'), Database: (await import('better-sqlite3')).default };
  const cpuBefore = process.cpuUsage();
  const writtenBefore = await writtenBytes();
  const started = performance.now();
  if (task.variant === 'journal, keyed-hash keys') await runJournal(task, modules, true);
  else if (task.variant === 'journal, keys in insertion order') await runJournal(task, modules, false);
  else await runBareLoop(task, modules, task.variant !== 'bare loop, keys in insertion order', task.variant === 'bare loop, staged then sorted');
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    systemSeconds: cpu.system / 1e6,
    writtenBytes: (await writtenBytes()) - writtenBefore,
    peakMegabytes: Math.round(process.resourceUsage().maxRSS / 1024),
    rows: task.rows,
    databaseBytes: (await stat(task.databasePath)).size,
  };
}

/** Runs one variant in a fresh child process. */
function inChild(task: ChildTask): Promise<ChildResult> {
  return inMeasuringChild<ChildTask, ChildResult>(import.meta.url, childVariable, task, `'${task.variant}'`);
}

const benchmark: Benchmark = async (context) => {
  const rows = Math.round(1_000_000 * context.scale);
  const directory = await mkdtemp(join(tmpdir(), 'paymigrate-vault-store-floor-'));
  try {
    const results = new Map<Variant, ChildResult>();
    const loads: number[] = [];
    for (const variant of variants) {
      loads.push(loadavg()[0] ?? 0);
      context.log(`${variant}: ${rows.toLocaleString('en-US')} rows...`);
      const databasePath = join(directory, `${variants.indexOf(variant)}.sqlite`);
      const result = await inChild({ variant, rows, databasePath });
      results.set(variant, result);
      context.log(`  ${result.seconds.toFixed(1)} s (CPU ${result.cpuSeconds.toFixed(1)} s, of it system ${result.systemSeconds.toFixed(1)} s), ${(result.writtenBytes / 2 ** 30).toFixed(2)} GiB written`);
      await rm(databasePath, { force: true });
      await rm(`${databasePath}-wal`, { force: true });
      await rm(`${databasePath}-shm`, { force: true });
    }
    loads.push(loadavg()[0] ?? 0);
    const of = (variant: Variant): ChildResult => results.get(variant) as ChildResult;
    const keyedJournal = of('journal, keyed-hash keys');
    const orderedJournal = of('journal, keys in insertion order');
    const figures: Record<string, string | number> = { rows };
    for (const variant of variants) {
      const result = of(variant);
      figures[`${variant}: time / CPU (system)`] = `${result.seconds.toFixed(1)} s / ${result.cpuSeconds.toFixed(1)} s (${result.systemSeconds.toFixed(1)} s)`;
      figures[`${variant}: rows/s`] = formatRate(result.rows / result.seconds, 'rows');
      figures[`${variant}: bytes written (system calls) / database file / peak RSS`] =
        `${(result.writtenBytes / 2 ** 30).toFixed(2)} GiB / ${(result.databaseBytes / 2 ** 20).toFixed(0)} MiB / ${result.peakMegabytes} MB`;
    }
    figures['journal: keyed-hash / insertion-order time ratio'] = (keyedJournal.seconds / orderedJournal.seconds).toFixed(2);
    figures['load average (1 min) before each variant and at the end'] = loads.map((load) => load.toFixed(1)).join(', ');
    const importTarget = 20 * context.scale;
    return {
      title: 'Vault store floor (the token vault\'s write pattern in SQLite, nothing else)',
      description: `${rows.toLocaleString('en-US')} records of ${valueText.length} bytes in batches of ${batchSize.toLocaleString('en-US')}, each variant in a fresh process: the SQLite journal and a bare better-sqlite3 loop on the journal's schema, with keyed-hash keys (the vault's: HMAC-SHA256 of token and customer) and with keys in insertion order, and a staged load sorted into the table at the end. No file, PGP, CSV, encryption or PCI scan: what the store alone costs under the token import.`,
      targets: [],
      figures,
      notes: [
        `No target of its own: it is the floor under the token-import benchmark, whose target (ours) is <= ${importTarget} s for the whole import of as many rows. The import cannot be faster than its store.`,
        'Bytes written are what the process passed to write system calls (/proc/self/io wchar): WAL frames, checkpoints and the sorter\'s temporary files.',
      ],
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
};

export default benchmark;

await answerAsMeasuringChild(childVariable, runChild);
