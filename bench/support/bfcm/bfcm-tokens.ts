// The token migration that runs during the load: a mapping-file import (paymigrate's generic CSV,
// written before the load starts) into the control journal, then API re-tokenization of further
// stored cards through the new provider's token-import API (the generic token-import fake, rate
// limited, served by its own child process). Both go through the Token Migration Engine.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createLogger,
  createTokenMigrationEngine,
  genericCsvColumns,
  type JournalV1,
  mappingFileFromPath,
  openPlainMappingFile,
  type StoredPaymentMethod,
} from '@paymigrate/core';
import { createTokenImportClient, InMemoryKeyProvider } from '@paymigrate/testkit';
import { forkReportingChild } from '../../../scenarios/support/child-process.js';
import { bundleChild } from '../../../scenarios/support/crash/bundle-child.js';
import { bfcmProviders } from './bfcm-wiring.js';

const brands = ['visa', 'mastercard', 'amex', 'discover'] as const;

/** The token-import API's rate limit, requests per second. */
export const tokenApiRequestsPerSecond = 1_000;

/** Writes a generic mapping CSV of `rows` rows to `path`, in 64 KiB chunks. */
export async function writeMappingFile(path: string, rows: number): Promise<void> {
  async function* chunks(): AsyncGenerator<string> {
    let chunk = `${genericCsvColumns.join(',')}\n`;
    for (let index = 1; index <= rows; index += 1) {
      chunk += `cus_old_${index >> 1},pm_old_${index},cus_new_${index >> 1},card_new_${index},${brands[index % 4]},${String(1000 + (index % 9000))},${1 + (index % 12)},${2027 + (index % 5)},fp_${index},\n`;
      if (chunk.length >= 64 * 1024) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
}

/** Stored cards at the old provider that the API re-tokenizes (none of them in the mapping file). */
function apiMethods(count: number): StoredPaymentMethod[] {
  return Array.from({ length: count }, (_, index) => ({
    provider: bfcmProviders.from,
    token: `pm_api_${index}`,
    customerReference: `cus_api_${index >> 1}`,
    card: { brand: 'visa', last4: '4242', expiryMonth: 12, expiryYear: 2031, fingerprint: `fp_api_${index}` },
  }));
}

/** What the token migration did. */
export interface BfcmTokenReport {
  readonly fileRows: number;
  readonly fileImported: number;
  readonly fileRejected: number;
  readonly fileSeconds: number;
  readonly apiMethods: number;
  readonly apiMapped: number;
  readonly apiRateLimited: number;
  readonly apiFailed: number;
  readonly apiSeconds: number;
}

/** The token-import API's server in its own process. */
export interface TokenApiServer {
  readonly url: string;
  readonly processId: number;
  stop(): Promise<void>;
}

/** Starts the token-import fake's child process. */
export async function startTokenApiServer(directory: string): Promise<TokenApiServer> {
  const script = await bundleChild('../../../bench/support/bfcm/token-server-child.ts', directory, 'token-server-child');
  const child = forkReportingChild<{ readonly type: 'listening'; readonly url: string }>(script, { env: { PAYMIGRATE_TOKEN_API_RATE: String(tokenApiRequestsPerSecond) } });
  const listening = await Promise.race([child.next('listening'), child.exited.then((exit) => Promise.reject(new Error(`token server exited: ${JSON.stringify(exit)}`)))]);
  return {
    url: listening.url,
    processId: child.process.pid ?? -1,
    async stop() {
      if (!child.hasExited()) child.process.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill(), 5_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** Runs the file import, then the API re-tokenization, on `journal`. */
export async function migrateTokens(options: {
  readonly journal: JournalV1;
  readonly mappingFile: string;
  readonly fileRows: number;
  readonly apiMethods: number;
  readonly apiUrl: string;
}): Promise<BfcmTokenReport> {
  const engine = await createTokenMigrationEngine({
    journal: options.journal,
    keyProvider: new InMemoryKeyProvider(),
    sourceProvider: bfcmProviders.from,
    targetProvider: bfcmProviders.to,
    targetExchange: createTokenImportClient({ baseUrl: options.apiUrl, provider: bfcmProviders.to }),
    logger: createLogger({ level: 'silent' }),
    api: { requestsPerSecond: tokenApiRequestsPerSecond, concurrency: 32, burst: 60 },
  });
  let started = performance.now();
  const file = await openPlainMappingFile(mappingFileFromPath(options.mappingFile));
  // Small batches: each is one journal transaction, and the checkout workers wait for its write lock.
  const imported = await engine.importMappingFile({ file, format: 'generic-csv', batchSize: 500 });
  const fileSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const api = await engine.importViaApi({ methods: apiMethods(options.apiMethods), batchSize: 250 });
  const apiSeconds = (performance.now() - started) / 1000;
  return {
    fileRows: options.fileRows,
    fileImported: imported.mapped,
    fileRejected: imported.rejected,
    fileSeconds,
    apiMethods: options.apiMethods,
    apiMapped: api.mapped,
    apiRateLimited: api.rateLimited,
    apiFailed: Object.values(api.failures).reduce((sum, reasons) => sum + Object.values(reasons).reduce((total, count) => total + count, 0), 0),
    apiSeconds,
  };
}
