import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mappingFileFromPath, openPgpMappingFile, type TokenExchangeReport } from '@paymigrate/core';
import type { SupportedProvider } from '../config/config-schema.js';
import type { CustomerDirectory } from './customer-directory.js';
import { forEachConcurrently, type PhaseRunner, type RehearsalContext } from './rehearsal-context.js';
import { rehearsalPgpKeys } from './rehearsal-pgp-keys.js';
import { startSessionCopy } from './session-steps.js';

/** Cards per request to the new provider's import (its "job"). */
const importBatchSize = 500;

/** The old provider's cards the export covers: saved before it started (`bulk`), or after (the catch-up). */
function cardsOf(customers: CustomerDirectory, from: SupportedProvider, pass: 'bulk' | 'delta', exportStartedAt: number) {
  return customers.all().flatMap((customer) => {
    const source = customer.cards[from];
    if (source === undefined) return [];
    const inPass = pass === 'bulk' ? source.savedAt <= exportStartedAt : source.savedAt > exportStartedAt;
    return inPass ? [{ customerId: customer.customerId, sourceToken: source.token, sourceCustomerReference: source.customerReference }] : [];
  });
}

/** Adds a token exchange report's counts to a total. */
function addReport(total: Record<string, number>, report: TokenExchangeReport): void {
  total.mapped = (total.mapped ?? 0) + report.mapped;
  total.recollect = (total.recollect ?? 0) + report.recollect;
  total.deferred = (total.deferred ?? 0) + report.deferred;
}

/**
 * Records each customer's token at the new provider in the shop's customer directory, from the
 * vault (the engine's token locator, preferring the new provider): checkouts routed there use it.
 */
async function recordVaultTokens(context: RehearsalContext): Promise<number> {
  const { customers, runtime, options } = context;
  const locator = runtime.tokens.locator(() => options.to);
  let recorded = 0;
  await forEachConcurrently(customers.all(), 8, async (customer) => {
    const location = await locator.locate(customer.customerId);
    if (location === undefined || location.provider !== options.to || location.customerReference === undefined) return;
    const known = customer.cards[options.to];
    if (known?.token === location.token) return;
    const source = customer.cards[options.from];
    /* v8 ignore next -- a vault mapping always comes from a card of the old provider */
    if (source === undefined) return;
    await customers.saveCard(customer.customerId, {
      provider: options.to,
      customerId: customer.customerId,
      customerReference: location.customerReference,
      token: location.token,
      card: source.card,
      networkTransactionId: location.networkTransactionId,
      savedAt: Date.now(),
      origin: 'import',
    });
    recorded += 1;
  });
  return recorded;
}

/**
 * Phase 3: token migration with the Token Migration Engine. The new provider's side of the world
 * imports the old provider's stored cards (processor to processor: card numbers never reach the
 * shop) and hands back its mapping file, in its own format (Stripe's JSON, Adyen's CSV, or
 * paymigrate's generic CSV for PayPal); the engine imports the file into its encrypted vault
 * (resumable, checkpointed per batch, rejections and re-collections journaled). Then the delta:
 * cards saved during the window are copied through the new provider's import API (the engine's
 * `syncDelta` over the Transaction State Manager's saved cards, both directions, and `syncFromGateway`
 * over the old provider's listing), and every mapping is verified at the new provider. The shop's
 * checkouts take the new tokens from the vault. The session copy starts beside it.
 *
 * The files travel as they do between processors and merchants: the provider encrypts each to the
 * shop's PGP key and signs it with its own; the engine verifies the signature over the whole file
 * before it reads a row.
 */
export const tokensPhase: PhaseRunner = async (context) => {
  const { options, world, runtime, customers, progress } = context;
  const { tokens } = runtime;
  void startSessionCopy(context);
  const state = context.checkpoints.current();
  const exportStartedAt = state.bulkExportStartedAt ?? Date.now();
  if (state.bulkExportStartedAt === undefined) {
    await context.checkpoints.update((current) => ({ ...current, bulkExportStartedAt: exportStartedAt }));
  }

  // The bulk export, imported by the new provider: its mapping files are written once (a resumed
  // run imports the same files, never a new export of a directory that changed meanwhile).
  const bulkStartedAt = performance.now();
  mkdirSync(context.files.mappings, { recursive: true });
  const manifestFile = join(context.files.mappings, `bulk-${options.from}-to-${options.to}.manifest.json`);
  const shopKeys = await rehearsalPgpKeys(join(context.files.mappings, 'shop-pgp-key.json'));
  let manifest: { readonly format: string; readonly rows: number; readonly files: readonly string[]; readonly signerPublicKey: string };
  if (existsSync(manifestFile)) {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as typeof manifest;
  } else {
    const cards = cardsOf(customers, options.from, 'bulk', exportStartedAt);
    const written: string[] = [];
    let format = 'generic-csv';
    let rows = 0;
    let signerPublicKey = '';
    for (let start = 0; start < cards.length; start += importBatchSize) {
      const exported = await world.call('exportMappingFile', {
        sourceProvider: options.from,
        targetProvider: options.to,
        cards: cards.slice(start, start + importBatchSize),
        recipientPublicKey: shopKeys.publicKey,
      });
      format = exported.format;
      rows += exported.rows;
      signerPublicKey = exported.signerPublicKey;
      const path = join(context.files.mappings, `bulk-${options.from}-to-${options.to}-${written.length + 1}.${format.endsWith('json') ? 'json' : 'csv'}.asc`);
      writeFileSync(path, exported.text);
      written.push(path);
      progress.phaseProgress(rows, cards.length, `cards imported by ${options.to}`);
    }
    manifest = { format, rows, files: written, signerPublicKey };
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const { format, files } = manifest;
  const fileRows = manifest.rows;
  let bulk = { mapped: 0, recollect: 0, rejected: 0 };
  const rejectionReasons: Record<string, number> = {};
  for (const [index, path] of files.entries()) {
    const verified = await openPgpMappingFile(mappingFileFromPath(path), { decryptionKey: shopKeys.privateKey, verificationKeys: [manifest.signerPublicKey] });
    const report = await tokens.importMappingFile({
      file: verified,
      format: format as 'stripe-json' | 'adyen-csv' | 'generic-csv',
      importId: `rehearsal-bulk-${index + 1}`,
      // One owner for every run: a resumed run takes the import over at once (the checkpoint's
      // compare-and-set already makes it the only rehearsal process on this journal).
      owner: 'paymigrate-rehearsal',
      batchSize: 500,
      onBatch: (checkpoint) => progress.phaseProgress(checkpoint.rowsCommitted, fileRows, 'mapping file rows imported into the vault'),
    });
    bulk = { mapped: bulk.mapped + report.mapped, recollect: bulk.recollect + report.recollect, rejected: bulk.rejected + report.rejected };
    for (const rejection of await tokens.listRejections(report.importId)) rejectionReasons[rejection.reason] = (rejectionReasons[rejection.reason] ?? 0) + 1;
  }
  const bulkSeconds = Math.max(0.001, (performance.now() - bulkStartedAt) / 1000);
  context.events.record('tokens.bulk', { ...bulk, files, pgp: 'encrypted to the shop, signed by the provider, verified before use' });

  // The delta: cards saved while the export ran, through the import API.
  if (context.traffic !== undefined) await context.traffic.waitForCheckouts(30, 10_000);
  progress.phaseProgress(0, undefined, 'delta sync');
  const delta: Record<string, number> = {};
  const deltaReport = await tokens.syncDelta({ verifyCurrency: context.currency });
  addReport(delta, deltaReport.forward);
  addReport(delta, deltaReport.reverse);
  const oldGateway = runtime.gateways.get(options.from);
  const savedMeanwhile = cardsOf(customers, options.from, 'delta', exportStartedAt);
  if (oldGateway !== undefined && savedMeanwhile.length > 0) {
    addReport(
      delta,
      await tokens.syncFromGateway({
        gateway: oldGateway,
        customerReferences: [...new Set(savedMeanwhile.map((card) => card.sourceCustomerReference))],
        customerIdOf: (method) => customers.customerOfReference(options.from, method.customerReference) ?? method.customerReference,
      }),
    );
  }
  context.events.record('tokens.delta', delta);

  progress.phaseProgress(0, undefined, 'verifying the new tokens');
  const verification = await tokens.verifyMappings({ currency: context.currency });
  const recorded = await recordVaultTokens(context);
  const missing = customers.all().filter((customer) => customer.cards[options.to] === undefined).length;
  return {
    coverage: 'covered',
    engines: ['token migration engine (file import, vault, delta sync, verification, locator)', `${options.to} import side (world)`],
    notes: [
      `${format} mapping file${files.length > 1 ? 's' : ''} (PGP-encrypted and signed, verified before use): ${bulk.mapped} mapped, ${bulk.recollect} to re-collect, ${bulk.rejected} rejected`,
      `delta: ${delta.mapped ?? 0} copied through the import API (${deltaReport.forward.mapped} forward, ${deltaReport.reverse.mapped} reverse from the TSM's saved cards), ${delta.recollect ?? 0} to re-collect`,
      `verification: ${verification.verified} tokens verified at ${options.to}`,
      ...Object.entries(rejectionReasons).map(([reason, count]) => `${count} mapping rows rejected: ${reason}`),
      ...(missing === 0 ? [] : [`${missing} customers have no token at ${options.to} (they enter a card again when routed there)`]),
    ],
    counts: {
      tokensMigrated: bulk.mapped + (delta.mapped ?? 0),
      bulkImported: bulk.mapped,
      deltaImported: delta.mapped ?? 0,
      recollect: bulk.recollect + (delta.recollect ?? 0),
      rejected: bulk.rejected,
      customersWithoutToken: missing,
      verified: verification.verified,
      recordedForCheckout: recorded,
      tokensPerSecond: Math.round(bulk.mapped / bulkSeconds),
    },
    summary: `${bulk.mapped} bulk + ${delta.mapped ?? 0} delta tokens in the vault for ${options.to}, ${verification.verified} verified`,
  };
};
