import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, Money, processedEventsCollection } from '@paymigrate/core';
import { createSqliteJournal } from '@paymigrate/store-sqlite';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { validateConfig } from '../config/load-config.js';
import { memoryIo } from '../output/command-io.js';
import { createWorldClient, type WorldClient } from '../rehearsal/world/world-client.js';
import { worldCredentials } from '../rehearsal/world/world-protocol.js';
import { type RunningWorld, startWorld } from '../rehearsal/world/world-server.js';
import { createRuntime } from '../runtime/runtime.js';
import type { OutboxReport } from './outbox.js';
import type { PruneEventsReport } from './prune-events.js';
import type { StatusReport } from './status.js';

const environment = {
  STRIPE_KEY: worldCredentials.stripe.apiKey,
  STRIPE_WEBHOOKS: worldCredentials.stripe.webhookSecret,
  PAYPAL_ID: worldCredentials.paypal.clientId,
  PAYPAL_SECRET: worldCredentials.paypal.clientSecret,
};

let world: RunningWorld;
let client: WorldClient;
let directory: string;
let closedPort: number;

/** Writes a configuration (Stripe -> PayPal on the world's fakes) and answers its path. */
function writeConfig(name: string, overrides: { readonly stripeBaseUrl?: string; readonly journal?: string } = {}): string {
  const file = join(directory, name);
  writeFileSync(
    file,
    JSON.stringify({
      migration: { from: 'stripe', to: 'paypal' },
      journal: { type: 'sqlite', file: overrides.journal ?? './journal.sqlite' },
      providers: {
        stripe: { apiKeyEnvironmentVariable: 'STRIPE_KEY', webhookSecretEnvironmentVariable: 'STRIPE_WEBHOOKS', apiBaseUrl: overrides.stripeBaseUrl, timeoutMilliseconds: 5000 },
        paypal: { clientIdEnvironmentVariable: 'PAYPAL_ID', clientSecretEnvironmentVariable: 'PAYPAL_SECRET', baseUrl: undefined },
      },
      routing: { maxConfigAgeMs: 200, routingSettleMs: 200 },
      logging: { level: 'info', file: './paymigrate.log' },
    }),
  );
  return file;
}

/** Runs the command line in the test folder. */
async function paymigrate(...argumentsList: string[]): Promise<{ readonly code: number; readonly output: string; readonly errors: string }> {
  const io = memoryIo({ environment, workingDirectory: directory });
  const code = await runCli(argumentsList, io);
  return { code, output: io.output(), errors: io.errors() };
}

beforeAll(async () => {
  world = await startWorld({ seed: 3 });
  client = createWorldClient(world);
  directory = mkdtempSync(join(tmpdir(), 'paymigrate-commands-'));
  const origins = (await client.call('ping', {})).providers;
  const config = writeConfig('paymigrate.config.json', { stripeBaseUrl: origins.stripe });
  const text = JSON.parse(readFileSync(config, 'utf8')) as { providers: { paypal: { baseUrl?: string } } };
  text.providers.paypal.baseUrl = origins.paypal;
  writeFileSync(config, JSON.stringify(text));
  closedPort = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
});

afterAll(async () => {
  await world.close();
});

describe('paymigrate init', () => {
  it('writes a valid example configuration and refuses to overwrite it without --force', async () => {
    const first = await paymigrate('init', '--config', 'example.json');
    expect(first.code).toBe(0);
    expect(first.output).toContain('export the secrets the file names');
    expect(validateConfig(JSON.parse(readFileSync(join(directory, 'example.json'), 'utf8')), 'example.json').migration.to).toBe('adyen');
    const second = await paymigrate('init', '--config', 'example.json');
    expect(second.code).toBe(2);
    expect(second.errors).toContain('--config names an existing file');
    expect((await paymigrate('init', '--config', 'example.json', '--force')).code).toBe(0);
  });
});

describe('operator commands on a temporary SQLite journal', () => {
  it('reports a migration that has not started', async () => {
    const result = await paymigrate('status', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.output) as StatusReport;
    expect(report.migration).toMatchObject({ id: 'default', from: 'stripe', to: 'paypal', phase: 'not-started', rampPercent: 0 });
    expect(report.inFlight).toStrictEqual({ stripe: 0, paypal: 0 });
    expect(report.inFlightByState).toStrictEqual({ stripe: {}, paypal: {} });
    expect(report.routing).toStrictEqual({ engine: 'traffic-router', killSwitch: { engaged: false } });
    expect((await paymigrate('status')).output).toContain('Migration default: stripe -> paypal');
  });

  it('names the environment variable and the key when a secret is not set', async () => {
    const io = memoryIo({ environment: { ...environment, STRIPE_KEY: undefined }, workingDirectory: directory });
    expect(await runCli(['status'], io)).toBe(2);
    expect(io.errors()).toContain('providers.stripe.apiKeyEnvironmentVariable names the environment variable STRIPE_KEY, which is not set: export STRIPE_KEY');
  });

  it('ramps, refuses an unguarded cutover, cuts over with a reason, rolls back and ramps again', async () => {
    const ramp = await paymigrate('route', 'set', '--percent', '5', '--actor', 'alice', '--reason', 'first step');
    expect(ramp.code).toBe(0);
    expect(ramp.output).toContain('prepare -> shadow\nshadow -> ramp\nramp 0 % -> 5 %');
    expect((await paymigrate('route', 'set', '--percent', '150')).code).toBe(2);
    expect((await paymigrate('route', 'set', '--percent', 'five')).errors).toContain("--percent is 'five'");
    const lower = await paymigrate('route', 'set', '--percent', '2.5', '--json');
    expect(JSON.parse(lower.output)).toMatchObject({ phase: 'ramp', rampPercent: 2.5 });
    const same = await paymigrate('route', 'set', '--percent', '2.5');
    expect(same.output).toContain('ramp stays at 2.5 %');

    const refused = await paymigrate('cutover');
    expect(refused.code).toBe(1);
    expect(refused.errors).toContain('ramp-complete');

    const forced = await paymigrate('cutover', '--force-reason', 'incident at stripe', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.output)).toMatchObject({ phase: 'cutover' });
    const status = JSON.parse((await paymigrate('status', '--json')).output) as StatusReport;
    expect(status.migration.phase).toBe('cutover');
    expect(status.next?.phase).toBe('drain');
    expect(status.migration.lastChanges.at(-1)).toMatchObject({ from: 'ramp', to: 'cutover', reason: 'cutover from the command line' });
    expect((await paymigrate('status')).output).toMatch(/Next: drain \((ready|blocked)\)/);

    const rollback = await paymigrate('route', 'rollback', '--reason', 'drill');
    expect(rollback.code).toBe(0);
    expect(rollback.output).toContain('every new payment goes to stripe');
    expect(rollback.output).toContain('Kill switch released');
    expect(JSON.parse((await paymigrate('route', 'rollback', '--json', '--keep-kill-switch')).output)).toMatchObject({ phase: 'rolled_back', killSwitchEngaged: true });
    const engaged = JSON.parse((await paymigrate('status', '--json')).output) as StatusReport;
    expect(engaged.routing.killSwitch).toMatchObject({ engaged: true, lastChange: { reason: 'rollback from the command line' } });
    expect((await paymigrate('status')).output).toMatch(/kill switch +ENGAGED \(.*: rollback from the command line\)/);
    expect((await paymigrate('route', 'rollback', '--keep-kill-switch')).output).toContain('left ENGAGED');

    const again = await paymigrate('route', 'set', '--percent', '100');
    expect(again.output).toContain('kill switch released\nrolled_back -> prepare');
    expect(JSON.parse((await paymigrate('status', '--json')).output)).toMatchObject({ migration: { phase: 'ramp', rampPercent: 100 } });
    expect((await paymigrate('cutover')).code).toBe(0);
  });

  it('recovers an operation that waited for its provider, and delivers the outbox', async () => {
    const { config: configFile } = { config: join(directory, 'paymigrate.config.json') };
    const tokens = { keyProvider: { type: 'local-file', file: join(directory, 'paymigrate-vault.key') } };
    const config = validateConfig({ ...JSON.parse(readFileSync(configFile, 'utf8')), journal: { type: 'sqlite', file: join(directory, 'journal.sqlite') }, tokens }, configFile);
    const quiet = createLogger({ destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    const card = await client.call('saveCard', { provider: 'stripe', customerId: 'cust-recover' });

    const healthy = await createRuntime({ config, environment, source: configFile, logger: quiet, owner: 'test-healthy' });
    const authorized = await healthy.transactions.chargeStoredPaymentMethod({
      paymentId: 'recover-1',
      merchantReference: 'ref-recover-1',
      amount: Money.of(2_500, 'EUR'),
      provider: 'stripe',
      paymentMethodToken: card.token,
      customerReference: card.customerReference,
      captureMethod: 'manual',
    });
    expect(authorized.status).toBe('succeeded');
    await healthy.close();
    // Held and not captured: in flight on Stripe, counted by state (why a drain would wait).
    const held = JSON.parse((await paymigrate('status', '--json')).output) as StatusReport;
    const heldBefore = held.inFlightByState['stripe']?.['authorized'] ?? 0;
    expect(heldBefore).toBeGreaterThanOrEqual(1);
    expect(held.inFlight['stripe']).toBe(Object.values(held.inFlightByState['stripe'] ?? {}).reduce((sum, count) => sum + count, 0));
    expect((await paymigrate('status')).output).toMatch(new RegExp(`in flight +stripe ${held.inFlight['stripe']} \\(.*authorized ${heldBefore}.*\\), paypal`));

    const down = validateConfig({ ...JSON.parse(readFileSync(configFile, 'utf8')), journal: { type: 'sqlite', file: join(directory, 'journal.sqlite') }, tokens, providers: { ...config.providers, stripe: { ...config.providers.stripe, apiBaseUrl: `http://127.0.0.1:${closedPort}` } } }, configFile);
    const broken = await createRuntime({ config: down, environment, source: configFile, logger: quiet, owner: 'test-broken' });
    const waiting = await broken.transactions.capture({ paymentId: 'recover-1' });
    expect(waiting.status).toBe('waiting');
    await broken.close();

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const recovered = await paymigrate('recover', '--json');
    expect(recovered.code).toBe(0);
    const summary = JSON.parse(recovered.output) as { totals: { succeeded: number }; customerSteps: Record<string, number>; unresolvedPayments: string[] };
    expect(summary.totals.succeeded).toBe(1);
    // No payment has waited for its customer long enough to be read at its provider.
    expect(summary.customerSteps).toStrictEqual({ examined: 0, advanced: 0, cancelled: 0, waiting: 0, errors: 0 });
    expect(summary.unresolvedPayments).toStrictEqual([]);
    const human = await paymigrate('recover');
    expect(human.output).toContain('Payments waiting for their customer: none due.');
    expect(human.output).toContain('No unresolved payment.');
    const status = JSON.parse((await paymigrate('status', '--json')).output) as StatusReport;
    expect(status.intents).toStrictEqual({ pending: 0, unknown: 0, waiting: 0, unresolved: 0 });
    // Captured, it is no longer in flight.
    expect(status.inFlightByState['stripe']?.['authorized'] ?? 0).toBe(heldBefore - 1);
  });

  it('imports a mapping file into the vault, resumably, and reports the imports', async () => {
    const mapping = [
      'source_customer_id,source_token,target_customer_id,target_token,brand,last4,exp_month,exp_year,fingerprint,network_transaction_id,failure_reason,failure_detail',
      'cus_alpha,pm_alpha,cust-alpha,vault-alpha,visa,4242,12,2034,fp-alpha,,,',
      'cus_beta,pm_beta,cust-beta,vault-beta,mastercard,4444,11,2033,fp-beta,,,',
      'cus_gamma,pm_gamma,,,visa,0002,12,2034,,,brand_not_supported,',
      '',
    ].join('\r\n');
    writeFileSync(join(directory, 'mapping.csv'), mapping);
    const first = await paymigrate('tokens', 'import', 'mapping.csv', '--json', '--import-id', 'first-file');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.output)).toMatchObject({ importId: 'first-file', status: 'completed', format: 'generic-csv', rows: 3, mapped: 2 });
    const again = await paymigrate('tokens', 'import', 'mapping.csv', '--import-id', 'first-file', '--format', 'generic-csv');
    expect(again.output).toContain('Import first-file (generic-csv): completed.');
    const status = await paymigrate('tokens', 'status', '--json');
    const report = JSON.parse(status.output) as { readiness: { ready: boolean }; imports: { importId: string; mapped: number }[] };
    expect(report.readiness.ready).toBe(true);
    expect(report.imports.map((checkpoint) => checkpoint.importId)).toStrictEqual(['first-file']);
    expect((await paymigrate('tokens', 'status')).output).toMatch(/Token migration: ready \(1 token import\(s\) completed: 2 mapped/);
    expect((await paymigrate('tokens', 'import', 'mapping.csv', '--format', 'xml')).errors).toContain("--format is 'xml'");
    writeFileSync(join(directory, 'mapping.csv.asc'), '-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n');
    const encrypted = await paymigrate('tokens', 'import', 'mapping.csv.asc');
    expect(encrypted.code).toBe(2);
    expect(encrypted.errors).toContain('tokens.pgp is missing, and the mapping file is PGP-encrypted');
  });

  it('prunes the handled webhook events older than --keep-days, and refuses a retention shorter than redeliveries last', async () => {
    // A handled event written 40 days ago (the journal's clock set back), beside the run's own.
    const old = createSqliteJournal({ filename: join(directory, 'journal.sqlite'), clock: { specificationVersion: 'v1', now: () => Date.now() - 40 * 86_400_000, sleep: async () => undefined } });
    await old.open();
    await old.write({ puts: [{ collection: processedEventsCollection, key: 'stripe:evt_forty_days', value: '{"old":true}', expectedVersion: 0 }] });
    // And a platform update delivered 40 days ago, beside one still undelivered.
    const { outboxSequences } = await old.write({
      outbox: [
        { topic: 'platform.payment', orderingKey: 'order-forty-days', deduplicationId: 'delivered-forty-days-ago', payload: '{}' },
        { topic: 'platform.payment', orderingKey: 'order-waiting', deduplicationId: 'still-undelivered', payload: '{}' },
      ],
    });
    await old.claimOutbox({ owner: 'relay', leaseMs: 60_000, limit: 1 });
    await old.acknowledgeOutbox({ sequences: [outboxSequences[0] as number], owner: 'relay' });
    await old.close();

    const pruned = await paymigrate('prune-events', '--json');
    expect(pruned.code).toBe(0);
    const report = JSON.parse(pruned.output) as PruneEventsReport;
    expect(report.collections[processedEventsCollection]).toMatchObject({ deleted: 1, conflicts: 0 });
    expect(report.outbox).toMatchObject({ supported: true, deleted: 1, stopped: false });
    const human = await paymigrate('prune-events', '--keep-days', '7');
    expect(human.code).toBe(0);
    expect(human.output).toContain(`${processedEventsCollection}: 0 deleted of`);
    expect(human.output).toMatch(/Outbox messages delivered before \S+: 0 deleted/);
    const check = createSqliteJournal({ filename: join(directory, 'journal.sqlite') });
    await check.open();
    expect(await check.pendingOutboxCount({ topics: ['platform.payment'] })).toBeGreaterThanOrEqual(1);
    const [again] = (await check.write({ outbox: [{ topic: 'probe', orderingKey: 'probe', deduplicationId: 'still-undelivered', payload: '{}' }] })).outboxSequences;
    expect(again).toBe(outboxSequences[1]);
    await check.close();

    const tooShort = await paymigrate('prune-events', '--keep-days', '3');
    expect(tooShort.code).toBe(2);
    expect(tooShort.errors).toContain('pruneProcessedEvents.retentionMs');
    const notDays = await paymigrate('prune-events', '--keep-days', 'soon');
    expect(notDays.code).toBe(2);
    expect(notDays.errors).toContain("--keep-days 'soon' is not a whole number of days");
  });

  it('lists the outbox messages that keep failing, and status counts them', async () => {
    // Two messages of a topic no relay delivers here: one fails three times, one is never tried.
    const journal = createSqliteJournal({ filename: join(directory, 'journal.sqlite') });
    await journal.open();
    const { outboxSequences } = await journal.write({
      outbox: [
        { topic: 'inspection.probe', orderingKey: 'order-refused', deduplicationId: 'inspection-refused', payload: '{"never":"shown"}' },
        { topic: 'inspection.probe', orderingKey: 'order-waiting', deduplicationId: 'inspection-waiting', payload: '{}' },
      ],
    });
    const [refused, waiting] = outboxSequences as [number, number];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await journal.claimOutbox({ owner: 'relay', leaseMs: 60_000, limit: 1, topics: ['inspection.probe'] });
      await journal.releaseOutbox({ sequence: refused, owner: 'relay', availableAt: Date.now() - 1, error: 'PLATFORM_REJECTED' });
    }
    await journal.close();

    const listed = await paymigrate('outbox', '--topic', 'inspection.probe', '--json');
    expect(listed.code).toBe(0);
    const report = JSON.parse(listed.output) as OutboxReport;
    expect(report).toMatchObject({ supported: true, minimumAttempts: 3, topics: ['inspection.probe'], undelivered: 2 });
    expect(report.nextAfter).toBeUndefined();
    expect(report.messages).toEqual([expect.objectContaining({ sequence: refused, orderingKey: 'order-refused', attempts: 3, lastError: 'PLATFORM_REJECTED' })]);
    expect(report.messages[0]?.deliveringBy).toBeUndefined();
    const every = await paymigrate('outbox', '--topic', 'inspection.probe', '--min-attempts', '0', '--limit', '1');
    expect(every.code).toBe(0);
    expect(every.output).toContain('Outbox of inspection.probe: 2 undelivered; with at least 0 delivery attempts: 1+');
    expect(every.output).toContain(`More: paymigrate outbox --after ${refused}`);
    expect(every.output).not.toContain('never');
    const next = JSON.parse((await paymigrate('outbox', '--topic', 'inspection.probe', '--min-attempts', '0', '--after', String(refused), '--json')).output) as OutboxReport;
    expect(next.messages.map((entry) => entry.sequence)).toEqual([waiting]);

    const status = JSON.parse((await paymigrate('status', '--json')).output) as StatusReport;
    expect(status.outboxFailing).toBeGreaterThanOrEqual(1);
    expect((await paymigrate('status')).output).toMatch(/outbox\s+\d+ undelivered, \d+ failing \(3\+ attempts: paymigrate outbox\)/);

    expect((await paymigrate('outbox', '--limit', '0')).errors).toContain("--limit '0' is not a whole number from 1 to 1000");
    expect((await paymigrate('outbox', '--min-attempts', 'many')).code).toBe(2);
    expect((await paymigrate('outbox', '--after', '-1')).errors).toContain('pass the last sequence of the previous page');
  });

  it('answers usage errors with exit code 2 and help with 0', async () => {
    expect((await paymigrate('launch')).code).toBe(2);
    expect((await paymigrate('route', 'set')).errors).toContain("required option '--percent <number>' not specified");
    const help = await paymigrate('--help');
    expect(help.code).toBe(0);
    expect(help.output).toContain('rehearse');
    expect(help.output).not.toContain('__world');
    expect((await paymigrate('rehearse', '--customers', 'many')).errors).toContain('--customers is invalid');
    expect((await paymigrate('rehearse', '--from', 'stripe', '--to', 'stripe')).errors).toContain('--to is the same provider as --from');
    expect((await paymigrate('status', '--config', 'missing.json')).errors).toContain('does not exist: run `paymigrate init`');
  });
});
