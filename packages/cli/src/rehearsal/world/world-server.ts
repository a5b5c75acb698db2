import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isTombstoneValue } from '@paymigrate/core';
import type { AddressInfo } from 'node:net';
import type { SupportedProvider } from '../../config/config-schema.js';
import { writeMappingFile } from './world-mapping-files.js';
import { createWorldPgp } from './world-pgp.js';
import { createWorldPlatform } from './world-platform.js';
import {
  type CardImportRequest,
  type CardImportRow,
  type CustomerReceipt,
  type SeededWorld,
  type WorldCallName,
  type WorldCalls,
  type WorldDescription,
  type WorldEndpoint,
  type WorldOptions,
  worldTokenHeader,
} from './world-protocol.js';
import { createWorldProviders, type WorldCardBrand, worldCardBrands } from './world-providers.js';
import { seedWorld } from './world-seed.js';
import { createWorldSessions } from './world-sessions.js';

/** A running world. */
export interface RunningWorld extends WorldEndpoint {
  /** Resolves once the world has stopped (a `shutdown` call, `close()`, or the idle timeout). */
  readonly stopped: Promise<void>;
  /** Stops the world. */
  close(): Promise<void>;
}

/** Handlers of every control call. */
type CallHandlers = { readonly [Name in WorldCallName]: (input: WorldCalls[Name]['input']) => Promise<WorldCalls[Name]['output']> };

/** Reads a request body. */
async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers JSON. */
function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** True when `brand` is one the world hands out. */
function isWorldBrand(brand: string): brand is WorldCardBrand {
  return (worldCardBrands as readonly string[]).includes(brand);
}

/**
 * Starts the rehearsal's world: the Stripe, PayPal and Adyen fakes on loopback ports, the commerce
 * platform, the two session stores and the customers' receipts, behind a token-protected JSON
 * control API on another loopback port. It stops on `shutdown`, on `close()`, or after
 * `idleTimeoutMs` without a control call.
 */
export async function startWorld(options: WorldOptions): Promise<RunningWorld> {
  const token = randomBytes(24).toString('hex');
  const worldId = randomUUID();
  const startedAt = Date.now();
  const faults = options.faults ?? {};
  const providers = await createWorldProviders({ seed: options.seed });
  const platform = createWorldPlatform();
  const sessions = createWorldSessions({
    isDeletionMarker: isTombstoneValue,
    dropSessionNumber: faults.dropSessionNumber,
  });
  const pgp = createWorldPgp();
  const receipts = new Map<string, CustomerReceipt>();
  const imports = new Map<string, CardImportRow>();
  let seeded: { readonly specification: string; readonly world: SeededWorld } | undefined;
  let checkoutReceipts = 0;
  let seeding: Promise<SeededWorld> | undefined;

  const description: WorldDescription = { worldId, startedAt, providers: providers.origins, seed: options.seed };

  /** The new provider imports cards from the old one (processor to processor), once per source token. */
  const importCards = async (input: CardImportRequest): Promise<CardImportRow[]> => {
    const rows: CardImportRow[] = [];
    for (const card of input.cards) {
      const key = `${input.sourceProvider}:${card.sourceToken}->${input.targetProvider}`;
      const known = imports.get(key);
      if (known !== undefined) {
        rows.push(known);
        continue;
      }
      const source = providers.findCard(input.sourceProvider, card.sourceToken, card.sourceCustomerReference);
      const customerId = card.customerId ?? source?.customerId ?? card.sourceCustomerReference;
      const base = { customerId, sourceToken: card.sourceToken, sourceCustomerReference: card.sourceCustomerReference };
      let row: CardImportRow;
      if (source === undefined) {
        row = { status: 'rejected', ...base, reason: 'not_found_at_source' };
      } else if (!isWorldBrand(source.card.brand)) {
        row = { status: 'rejected', ...base, reason: 'brand_not_supported' };
      } else {
        const target = await providers.saveCard(input.targetProvider, { customerId, brand: source.card.brand });
        row = { status: 'imported', ...base, target: { ...target, networkTransactionId: source.networkTransactionId } };
      }
      imports.set(key, row);
      rows.push(row);
    }
    return rows;
  };

  const handlers: CallHandlers = {
    ping: async () => description,
    seed: async (specification) => {
      const text = JSON.stringify(specification);
      if (seeded !== undefined) {
        if (seeded.specification !== text) throw new Error(`this world was seeded with ${seeded.specification}; it cannot be seeded again with ${text}`);
        return seeded.world;
      }
      seeding ??= seedWorld(specification, { providers, platform, sessions }).then((world) => {
        seeded = { specification: text, world };
        return world;
      });
      return seeding;
    },
    saveCard: (input) => providers.saveCard(input.provider, { customerId: input.customerId, customerReference: input.customerReference, brand: 'visa' }),
    importCards: (input) => importCards(input),
    exportMappingFile: async (input) => {
      const plain = writeMappingFile(input.targetProvider, await importCards(input));
      const [text, signerPublicKey] = await Promise.all([pgp.seal(plain.text, input.recipientPublicKey), pgp.signerPublicKey()]);
      return { ...plain, text, signerPublicKey };
    },
    verifyCard: async (input) => ({ verified: providers.findCard(input.provider, input.token, input.customerReference) !== undefined }),
    createOrder: async (input) => ({ created: platform.createOrder(input) }),
    platformGetOrder: (input) => platform.getOrder(input.orderId),
    platformListOpenOrders: (input) => platform.listOpenOrders(input),
    platformRecordPayment: (input) => platform.recordPayment(input),
    platformCancelOrder: (input) => platform.cancelOrder(input),
    platformGetCart: (input) => platform.getCart(input.cartId),
    sessionGet: (input) => sessions.get(input),
    sessionSet: (input) => sessions.set(input),
    sessionCompareAndSet: (input) => sessions.compareAndSet(input),
    sessionDelete: async (input) => ({ existed: await sessions.delete(input) }),
    sessionKeys: (input) => sessions.keys(input),
    acknowledge: async (receipt) => {
      if (receipts.has(receipt.paymentId)) return { recorded: false };
      receipts.set(receipt.paymentId, receipt);
      if (receipt.kind === 'checkout') {
        checkoutReceipts += 1;
        if (faults.doubleChargeEvery !== undefined && checkoutReceipts % faults.doubleChargeEvery === 0) {
          const other: SupportedProvider = receipt.provider === 'stripe' ? 'adyen' : 'stripe';
          await providers.chargeDirect(other, { merchantReference: receipt.merchantReference, amountMinor: Number(receipt.amount.minorUnits), currency: receipt.amount.currency });
        }
      }
      return { recorded: true };
    },
    webhooks: async (input) => {
      providers.collectWebhooks();
      return providers.pendingWebhooks(input.provider, input.limit);
    },
    acknowledgeWebhooks: async (input) => ({ remaining: providers.acknowledgeWebhooks(input.provider, input.sequences) }),
    truth: async () => {
      if (faults.rewindFirstPaidOrder === true) {
        const paid = platform.facts().find((order) => order.state === 'paid');
        if (paid !== undefined) platform.forceState(paid.orderId, 'authorized');
      }
      return { payments: providers.payments(), orders: platform.facts(), receipts: [...receipts.values()], sessions: await sessions.facts() };
    },
    shutdown: async () => {
      setImmediate(() => void close());
      return { stopping: true };
    },
  };

  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void close(), idleTimeoutMs);
    idleTimer.unref();
  };

  const expectedToken = Buffer.from(token);
  const server = createServer((request, response) => {
    void (async () => {
      const given = Buffer.from(String(request.headers[worldTokenHeader] ?? ''));
      if (given.length !== expectedToken.length || !timingSafeEqual(given, expectedToken)) {
        answer(response, 401, { error: { code: 'WORLD_UNAUTHORIZED', message: 'missing or wrong world token' } });
        return;
      }
      const name = /^\/rpc\/([A-Za-z]+)$/.exec(request.url ?? '')?.[1];
      if (request.method !== 'POST' || name === undefined || !Object.hasOwn(handlers, name)) {
        answer(response, 404, { error: { code: 'WORLD_UNKNOWN_CALL', message: `no call ${request.method ?? ''} ${request.url ?? ''}` } });
        return;
      }
      touch();
      try {
        const input: unknown = JSON.parse((await readBody(request)) || '{}');
        const handler = handlers[name as WorldCallName] as (input: unknown) => Promise<unknown>;
        answer(response, 200, { result: (await handler(input)) ?? null });
      } catch (error) {
        const failure = error as { code?: unknown; message?: unknown; name?: unknown };
        answer(response, 500, {
          error: { code: typeof failure.code === 'string' ? failure.code : 'WORLD_CALL_FAILED', message: String(failure.message ?? error), name: String(failure.name ?? 'Error') },
        });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  touch();
  const { port } = server.address() as AddressInfo;

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(idleTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await providers.close();
      resolveStopped();
    })();
    return closing;
  };

  return { controlUrl: `http://127.0.0.1:${port}`, token, processId: process.pid, worldId, stopped, close };
}
