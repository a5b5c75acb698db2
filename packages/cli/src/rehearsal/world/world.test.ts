import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Money } from '@paymigrate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldUnavailableError } from '../../cli-errors.js';
import { RemoteCommercePlatform } from './remote-commerce-platform.js';
import { RemoteSessionStore } from './remote-session-store.js';
import { createWorldClient, WorldCallError, type WorldClient } from './world-client.js';
import { connectWorld, runWorldProcess, spawnWorldProcess } from './world-process.js';
import { type RunningWorld, startWorld } from './world-server.js';

let world: RunningWorld;
let client: WorldClient;

beforeAll(async () => {
  world = await startWorld({ seed: 11 });
  client = createWorldClient(world);
});

afterAll(async () => {
  await world.close();
});

describe('the world control API', () => {
  it('refuses a wrong token and an unknown call, and reports a failing call with its code', async () => {
    await expect(createWorldClient({ ...world, token: 'wrong' }).call('ping', {})).rejects.toSatisfy((error) => WorldCallError.isInstance(error) && error.code === 'WORLD_UNAUTHORIZED');
    const unknown = await fetch(`${world.controlUrl}/rpc/launchRockets`, { method: 'POST', headers: { 'x-paymigrate-world-token': world.token } });
    expect(unknown.status).toBe(404);
    await expect(client.call('importCards', {} as never)).rejects.toThrow(/world call 'importCards' failed/);
  });

  it('seeds once: the same specification answers the same world, another one is refused', async () => {
    const specification = { provider: 'stripe' as const, seed: 4, customers: 3, orders: 2, sessions: 200, currency: 'EUR' };
    const first = await client.call('seed', specification);
    expect(first.customers).toHaveLength(3);
    expect(first.sessionKeys).toHaveLength(200);
    expect(await client.call('seed', specification)).toStrictEqual(first);
    await expect(client.call('seed', { ...specification, customers: 4 })).rejects.toThrow(/cannot be seeded again/);
  });

  it('imports cards once per source token and rejects a card the source does not hold', async () => {
    const card = await client.call('saveCard', { provider: 'paypal', customerId: 'cust-import' });
    const request = {
      sourceProvider: 'paypal' as const,
      targetProvider: 'adyen' as const,
      cards: [
        { customerId: 'cust-import', sourceToken: card.token, sourceCustomerReference: card.customerReference },
        { customerId: 'cust-missing', sourceToken: 'no-such-token', sourceCustomerReference: 'nobody' },
      ],
    };
    const rows = await client.call('importCards', request);
    expect(rows[0]).toMatchObject({ status: 'imported', target: { provider: 'adyen', networkTransactionId: card.networkTransactionId } });
    expect(rows[1]).toMatchObject({ status: 'rejected', reason: 'not_found_at_source' });
    expect(await client.call('importCards', request)).toStrictEqual(rows);
  });

  it('serves the platform and the session stores through their ports', async () => {
    const platform = new RemoteCommercePlatform(client);
    expect((await client.call('createOrder', { orderId: 'order-remote', customerId: 'cust-1', total: Money.of(1_000, 'EUR').toJSON() })).created).toBe(true);
    expect((await client.call('createOrder', { orderId: 'order-remote', customerId: 'cust-1', total: Money.of(1_000, 'EUR').toJSON() })).created).toBe(false);
    expect(await platform.getOrder({ orderId: 'order-missing' })).toBeUndefined();
    const open = await platform.listOpenOrders({ limit: 250 });
    expect(open.items.map((order) => order.orderId)).toContain('order-remote');
    const authorized = await platform.recordPayment({ idempotencyKey: 'k1', orderId: 'order-remote', kind: 'authorization', amount: Money.of(1_000, 'EUR'), provider: 'stripe', providerReference: 'pi_1' });
    expect(authorized.canonicalState).toBe('authorized');
    const cancelled = await platform.cancelOrder({ idempotencyKey: 'k2', orderId: 'order-remote', reason: 'customer' });
    expect(cancelled.canonicalState).toBe('cancelled');
    expect((await platform.getCart({ cartId: 'cart-000001' }))?.lines.length).toBeGreaterThan(0);
    expect(await platform.getCart({ cartId: 'cart-missing' })).toBeUndefined();
    await expect(platform.verifyWebhook()).rejects.toThrow(/sends no platform webhooks/);

    const store = new RemoteSessionStore(client, 'new');
    const written = await store.set('session:x', '{"a":1}', { ttlSeconds: 60 });
    expect((await store.get('session:x'))?.version).toBe(written.version);
    expect((await store.compareAndSet('session:x', '{"a":2}', { ttlSeconds: 60, expectedVersion: 'stale' })).ok).toBe(false);
    expect((await store.compareAndSet('session:y', '{"a":3}', { ttlSeconds: 60, expectedVersion: null })).ok).toBe(true);
    const batches: string[][] = [];
    for await (const batch of store.enumerate({ prefix: 'session:', batchSize: 1 })) batches.push([...batch]);
    expect(batches.flat().sort()).toStrictEqual(['session:x', 'session:y']);
    expect(await store.delete('session:x')).toBe(true);
    expect(await store.get('session:x')).toBeUndefined();
    await store.close();
    const truth = await client.call('truth', {});
    expect(truth.sessions.absentKeys).toContain('session:x');
  });
});

describe('connecting to a world', () => {
  it('reaches the expected world, and refuses another one or none', async () => {
    expect((await connectWorld(world)).endpoint.worldId).toBe(world.worldId);
    await expect(connectWorld({ ...world, worldId: 'another' })).rejects.toSatisfy((error) => WorldUnavailableError.isInstance(error) && /is another one/.test(error.message));
    await expect(createWorldClient({ ...world, controlUrl: 'http://127.0.0.1:9' }).call('ping', {})).rejects.toSatisfy((error) => WorldUnavailableError.isInstance(error));
  });

  it('runs a world process that prints its endpoint and stops on shutdown', async () => {
    let line = '';
    const running = runWorldProcess({ seed: 2, idleTimeoutMs: 60_000 }, (text) => (line += text));
    for (let attempt = 0; attempt < 100 && line === ''; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    const endpoint = JSON.parse(line) as Parameters<typeof createWorldClient>[0];
    expect(endpoint.processId).toBe(process.pid);
    await createWorldClient(endpoint).call('shutdown', {});
    await running;
  });

  it('stops a world that nobody calls', async () => {
    const idle = await startWorld({ seed: 3, idleTimeoutMs: 50 });
    await idle.stopped;
  });

  it('reports a world process that exits at start, or prints no endpoint', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'paymigrate-world-process-'));
    const script = process.argv[1];
    try {
      process.argv[1] = join(directory, 'exits.mjs');
      writeFileSync(process.argv[1], 'process.exit(3);\n');
      await expect(spawnWorldProcess({ seed: 1 })).rejects.toThrow(/exited at start \(exit code 3\)/);
      process.argv[1] = join(directory, 'garbage.mjs');
      writeFileSync(process.argv[1], "process.stdout.write('not json\\n');\n");
      await expect(spawnWorldProcess({ seed: 1 })).rejects.toThrow(/reported no endpoint: not json/);
      process.argv[1] = join(directory, 'endpoint.mjs');
      writeFileSync(process.argv[1], "process.stdout.write(JSON.stringify({ controlUrl: 'http://127.0.0.1:1', token: 't', processId: 1, worldId: 'w' }) + '\\n');\n");
      expect(await spawnWorldProcess({ seed: 1, faults: { doubleChargeEvery: 2 } })).toStrictEqual({ controlUrl: 'http://127.0.0.1:1', token: 't', processId: 1, worldId: 'w' });
    } finally {
      process.argv[1] = script as string;
    }
  });
});
