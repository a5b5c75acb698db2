// Token migration end to end: a PGP mapping file imported into the SQLite journal by a child
// process that is SIGKILLed at random points and restarted (the result must equal an
// uninterrupted run), cards saved during the migration window copied both ways through the real
// Transaction State Manager (so a rollback leaves no card only on the new provider), and API
// re-tokenization over loopback HTTP against the rate-limited token-import fake.
import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  createTokenMigrationEngine,
  createTransactionStateManager,
  fixedProviderSelector,
  type KeyProviderV1,
  mappingFileFromPath,
  Money,
  openPgpMappingFile,
  type StoredPaymentMethod,
  type TokenMapping,
  tokenVaultCollection,
  type WrappedKey,
} from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import {
  createTokenImportClient,
  createTokenImportFake,
  InMemoryJournal,
  InMemoryKeyProvider,
  InMemoryPaymentGateway,
  InMemoryTokenExchange,
  ManualClock,
  serveOverHttp,
} from '@paymigrate/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
const silent = createLogger({ level: 'silent' });

/**
 * A key provider whose key-encrypting key comes from outside the process (hex), so a restarted
 * process can unwrap the vault's data key: what a KMS gives a real deployment. The child script
 * carries the same code.
 */
const staticKeyProviderSource = `
class StaticKeyProvider {
  specificationVersion = 'v1';
  name = 'static';
  constructor(hex) { this.key = Buffer.from(hex, 'hex'); }
  async activeKeyId() { return 'static-1'; }
  async wrapKey({ dataKey }) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { keyId: 'static-1', wrappedKey: Buffer.concat([iv, sealed]).toString('base64') };
  }
  async unwrapKey({ wrappedKey }) {
    const bytes = Buffer.from(wrappedKey, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]));
  }
}`;

class StaticKeyProvider implements KeyProviderV1 {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'static';
  readonly #key: Buffer;
  constructor(hex: string) {
    this.#key = Buffer.from(hex, 'hex');
  }
  async activeKeyId(): Promise<string> {
    return 'static-1';
  }
  async wrapKey({ dataKey }: { readonly dataKey: Uint8Array }): Promise<WrappedKey> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { keyId: 'static-1', wrappedKey: Buffer.concat([iv, sealed]).toString('base64') };
  }
  async unwrapKey({ wrappedKey }: WrappedKey): Promise<Uint8Array> {
    const bytes = Buffer.from(wrappedKey, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]));
  }
}

/** The child: imports the file into the journal, printing a line per committed batch. */
function childScript(): string {
  const core = join(root, 'packages/core/src/index.ts');
  const tokens = join(root, 'packages/core/src/tokens/index.ts');
  const sqlite = join(root, 'packages/store-sqlite/src/index.ts');
  return `
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLogger } from ${JSON.stringify(core)};
import { createTokenMigrationEngine, mappingFileFromPath, openPgpMappingFile } from ${JSON.stringify(tokens)};
import { createSqliteJournal } from ${JSON.stringify(sqlite)};
${staticKeyProviderSource}
const journal = createSqliteJournal({ filename: process.env.JOURNAL });
await journal.open();
const engine = await createTokenMigrationEngine({
  journal, keyProvider: new StaticKeyProvider(process.env.KEK), sourceProvider: 'braintree', targetProvider: 'stripe',
  logger: createLogger({ level: 'silent' }),
});
const file = await openPgpMappingFile(mappingFileFromPath(process.env.FILE), {
  decryptionKey: await readFile(process.env.PRIVATE_KEY, 'utf8'),
  verificationKeys: [await readFile(process.env.PUBLIC_KEY, 'utf8')],
});
const report = await engine.importMappingFile({ file, format: 'generic-csv', batchSize: 250, owner: 'import-worker', onBatch: (checkpoint) => process.stdout.write('batch ' + checkpoint.batchesCommitted + '\\n') });
process.stdout.write('done ' + JSON.stringify(report) + '\\n');
await journal.close();
`;
}

/** Runs the child; kills it with SIGKILL after `killAfterBatches` batch lines (never when undefined). */
function runChild(script: string, env: Record<string, string>, killAfterBatches: number | undefined): Promise<{ readonly killed: boolean; readonly output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const batches = output.split('\n').filter((line) => line.startsWith('batch ')).length;
      if (killAfterBatches !== undefined && !killed && batches >= killAfterBatches && child.pid !== undefined) {
        killed = true;
        process.kill(child.pid, 'SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ killed: signal === 'SIGKILL', output });
      else reject(new Error(`token import child failed (${code}): ${errors.slice(-2000)}`));
    });
  });
}

function rowsCsv(rows: number): string {
  let text = 'source_customer_id,source_token,target_customer_id,target_token,brand,last4,exp_month,exp_year,fingerprint,network_transaction_id\n';
  for (let index = 1; index <= rows; index += 1) {
    const duplicate = index % 997 === 0 ? index - 1 : index;
    const year = index % 50 === 0 ? 2024 : 2030;
    text += `cus_old_${index >> 1},card_old_${duplicate},cus_new_${index >> 1},pm_new_${index},${['visa', 'mastercard', 'amex'][index % 3]},${String(1000 + (index % 9000))},${1 + (index % 12)},${year},fp_${index},ntid_${index}\n`;
  }
  return text;
}

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'paymigrate-token-scenario-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('token import survives SIGKILL', () => {
  it('killed at random batches and restarted, the vault ends exactly as after an uninterrupted run', async () => {
    const rows = 6000;
    const generate = (name: string) => openpgp.generateKey({ type: 'curve25519', userIDs: [{ name }], format: 'armored', config: { aeadProtect: true } });
    const [sender, receiver] = await Promise.all([generate('old processor'), generate('merchant')]);
    const privateKeyPath = join(directory, 'merchant.asc');
    const publicKeyPath = join(directory, 'sender.asc');
    await writeFile(privateKeyPath, receiver.privateKey);
    await writeFile(publicKeyPath, sender.publicKey);
    const encrypted = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: Buffer.from(rowsCsv(rows)) }),
      encryptionKeys: await openpgp.readKey({ armoredKey: receiver.publicKey }),
      signingKeys: await openpgp.readPrivateKey({ armoredKey: sender.privateKey }),
      format: 'binary',
      config: { aeadProtect: true },
    });
    const filePath = join(directory, 'mapping.csv.pgp');
    await writeFile(filePath, encrypted as Uint8Array);
    const script = join(directory, 'import-child.mts');
    await writeFile(script, childScript());
    const kek = randomBytes(32).toString('hex');
    const env = { KEK: kek, FILE: filePath, PRIVATE_KEY: privateKeyPath, PUBLIC_KEY: publicKeyPath };

    // Killed at random points (seeded), restarted until it completes.
    const killedJournal = join(directory, 'killed.sqlite');
    let seed = 20_261_127;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let kills = 0;
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const killAt = attempt < 3 ? 1 + Math.floor(random() * 6) : undefined;
      const run = await runChild(script, { ...env, JOURNAL: killedJournal }, killAt);
      if (run.killed) {
        kills += 1;
        continue;
      }
      expect(run.output).toContain('done ');
      break;
    }
    expect(kills).toBe(3);
    // The same file, uninterrupted.
    const cleanJournal = join(directory, 'clean.sqlite');
    const clean = await runChild(script, { ...env, JOURNAL: cleanJournal }, undefined);
    expect(clean.killed).toBe(false);

    const contents = async (filename: string): Promise<{ mappings: unknown[]; rejections: unknown[]; outbox: number }> => {
      const journal = createSqliteJournal({ filename });
      await journal.open();
      const engine = await createTokenMigrationEngine({ journal, keyProvider: new StaticKeyProvider(kek), sourceProvider: 'braintree', targetProvider: 'stripe', logger: silent });
      const mappings: TokenMapping[] = [];
      let afterKey: string | undefined;
      for (;;) {
        const page = await journal.list(tokenVaultCollection, { afterKey, limit: 1000 });
        mappings.push(...(await engine.vault.openRecords(page, { actor: 'scenario', purpose: 'compare' })).map((entry) => ({ ...entry.mapping, createdAt: 0, updatedAt: 0 })));
        if (page.length < 1000) break;
        afterKey = page.at(-1)?.key;
      }
      const file = await openPgpMappingFile(mappingFileFromPath(filePath), { decryptionKey: receiver.privateKey, verificationKeys: [sender.publicKey] });
      const check = await engine.checkImport({ file, format: 'generic-csv' });
      expect(check, filename).toMatchObject({ ok: true, rows, lost: 0, duplicated: 0, unexpected: 0 });
      const rejections = (await engine.listRejections(check.importId, { limit: 10_000 })).map((rejection) => [rejection.row, rejection.reason]);
      const outbox = await journal.pendingOutboxCount();
      await journal.close();
      return { mappings: mappings.sort((left, right) => (left.row ?? 0) - (right.row ?? 0)), rejections, outbox };
    };
    const afterKills = await contents(killedJournal);
    const uninterrupted = await contents(cleanJournal);
    expect(afterKills.mappings).toHaveLength(uninterrupted.mappings.length);
    expect(afterKills).toEqual(uninterrupted);
    expect(uninterrupted.rejections.length).toBeGreaterThan(0);
    expect(uninterrupted.outbox).toBeGreaterThan(0);
  }, 300_000);
});

describe('delta and reverse sync with the Transaction State Manager', () => {
  it('cards saved on either provider during the window reach the other, so a rollback can charge every customer on the old provider', async () => {
    const clock = new ManualClock();
    const journal = new InMemoryJournal({ clock });
    await journal.open();
    const oldGateway = new InMemoryPaymentGateway({ provider: 'braintree' });
    const newGateway = new InMemoryPaymentGateway({ provider: 'stripe' });
    const transactions = createTransactionStateManager({ journal, gateways: [oldGateway, newGateway], selectProvider: fixedProviderSelector('stripe'), clock, logger: silent });
    const engine = await createTokenMigrationEngine({
      journal,
      keyProvider: new InMemoryKeyProvider(),
      sourceProvider: 'braintree',
      targetProvider: 'stripe',
      clock,
      logger: silent,
      targetExchange: new InMemoryTokenExchange({ provider: 'stripe', gateway: newGateway, clock }),
      sourceExchange: new InMemoryTokenExchange({ provider: 'braintree', gateway: oldGateway, clock }),
      api: { requestsPerSecond: 1000 },
    });
    // During the window, customers save cards at checkout on the new provider.
    for (const customer of ['alice', 'bob', 'carol']) {
      const result = await transactions.authorize({
        paymentId: `pay_${customer}`,
        merchantReference: `order-${customer}`,
        amount: Money.fromDecimal('25.00', 'EUR'),
        paymentMethodToken: 'tok_visa',
        customerId: customer,
        savePaymentMethod: true,
      });
      expect(result.payment.state).toBe('authorized');
    }
    const report = await engine.syncDelta();
    expect(report.reverse.mapped).toBe(3);
    // Rollback: renewals go back to the old provider. Every customer has a token there, and it charges.
    const locator = engine.locator(() => 'braintree');
    for (const customer of ['alice', 'bob', 'carol']) {
      const location = await locator.locate(customer);
      expect(location?.provider, customer).toBe('braintree');
      const renewal = await transactions.chargeStoredPaymentMethod({
        paymentId: `renew_${customer}`,
        merchantReference: `renewal-${customer}`,
        amount: Money.fromDecimal('9.99', 'EUR'),
        provider: location?.provider ?? '',
        paymentMethodToken: location?.token ?? '',
        customerReference: location?.customerReference ?? '',
        networkTransactionId: location?.networkTransactionId,
        customerId: customer,
      });
      expect(renewal.payment.state, customer).toBe('captured');
    }
    // Without the rollback the new provider's own token is used.
    expect((await engine.locator(() => 'stripe').locate('alice'))?.provider).toBe('stripe');
  });
});

describe('API re-tokenization over loopback HTTP', () => {
  it('adapts to the provider answering 429 beyond its rate limit, moving every payment method', async () => {
    const fake = createTokenImportFake({ rateLimit: { requestsPerSecond: 200, burst: 10 }, recordCalls: false, provider: 'stripe' });
    const server = await serveOverHttp(fake.api.handlers, { rewriteOrigin: fake.api.baseUrl });
    try {
      const journal = new InMemoryJournal();
      await journal.open();
      const engine = await createTokenMigrationEngine({
        journal,
        keyProvider: new InMemoryKeyProvider(),
        sourceProvider: 'braintree',
        targetProvider: 'stripe',
        logger: silent,
        targetExchange: createTokenImportClient({ baseUrl: server.url, provider: 'stripe' }),
        // Configured above the provider's real limit: the 429s must bring it down.
        api: { requestsPerSecond: 400, concurrency: 16 },
      });
      const methods: StoredPaymentMethod[] = Array.from({ length: 600 }, (_, index) => ({
        provider: 'braintree',
        token: `bt_${index}`,
        customerReference: `bt_cus_${index >> 1}`,
        card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2031 },
        networkTransactionId: `nt_${index}`,
      }));
      const report = await engine.importViaApi({ methods });
      expect(report).toMatchObject({ mapped: 600, deferred: 0 });
      expect(report.rateLimited).toBeGreaterThan(0);
      expect(engine.limiter.decreases).toBeGreaterThan(0);
      expect(fake.stats().imported).toBe(600);
    } finally {
      await server.close();
    }
  }, 60_000);
});
