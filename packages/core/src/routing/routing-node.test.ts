import { systemClock } from '../ports/clock/v1/system-clock.js';
import { describe, expect, it } from 'vitest';
import { MigrationStateInvalidError } from '../cutover/cutover-errors.js';
import { migrationCollection } from '../cutover/migration-state.js';
import { encodeRoutingChange } from './control-plane-broadcast.js';
import { routingControlCollection } from './routing-control-state.js';
import { RoutingRecordInvalidError } from './routing-errors.js';
import { createRoutingNode, type RoutingNode, type RoutingNodeOptions, type RoutingSnapshot } from './routing-node.js';
import { createRoutingHarness, settle } from './__fixtures__/routing-harness.js';

describe('createRoutingNode options', () => {
  it.each<[string, Partial<RoutingNodeOptions>, string]>([
    ['a journal without get', { journal: {} as never }, 'routingNode.journal'],
    ['a broadcast without subscribe', { broadcast: { publish: async () => 0 } as never }, 'routingNode.broadcast'],
    ['a poll interval not below maxConfigAgeMs', { pollIntervalMs: 5_000, maxConfigAgeMs: 5_000 }, 'routingNode.pollIntervalMs'],
    ['a zero maxConfigAgeMs', { maxConfigAgeMs: 0 }, 'routingNode.maxConfigAgeMs'],
    ['a fractional readTimeoutMs', { readTimeoutMs: 1.5 }, 'routingNode.readTimeoutMs'],
    ['an empty node id', { nodeId: '' }, 'routingNode.nodeId'],
  ])('refuses %s with a ConfigurationError naming the option', async (_label, overrides, option) => {
    const harness = await createRoutingHarness();
    expect(() => harness.createNode(overrides)).toThrow(expect.objectContaining({ option }) as Error);
  });

  it('builds with a journal only (defaults for the rest)', async () => {
    const harness = await createRoutingHarness();
    const node = createRoutingNode({ journal: harness.journal });
    expect(node.migrationId).toBe('default');
    expect(node.nodeId).toMatch(/^routing-node-/);
    expect(node.journal).toBe(harness.journal);
    expect(node.view()).toEqual({ snapshot: undefined, ageMs: undefined, stale: true });
  });
});

describe('a routing node', () => {
  it('reads the migration and the kill switch on start, and is fresh afterwards', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(5);
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    const node = harness.createNode({ nodeId: 'node-a' });
    await node.start();
    await node.start();
    const view = node.view();
    expect(view.stale).toBe(false);
    expect(view.ageMs).toBe(0);
    expect(view.snapshot?.migration).toMatchObject({ phase: 'ramp', rampPercent: 5 });
    expect(view.snapshot?.control?.killSwitchEngaged).toBe(true);
    await node.stop();
    await node.stop();
  });

  it('applies a broadcast change on 4 nodes without waiting for a poll (no clock movement at all)', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const nodes = Array.from({ length: 4 }, (_, index) => harness.createNode({ nodeId: `node-${index}` }));
    await Promise.all(nodes.map((node) => node.start()));
    const seen: string[] = [];
    for (const node of nodes) node.onChange((snapshot) => seen.push(`${node.nodeId}:${snapshot.control?.revision ?? 0}`));
    const before = harness.clock.now();
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    await settle();
    expect(harness.clock.now()).toBe(before);
    for (const node of nodes) expect(node.view().snapshot?.control?.killSwitchEngaged).toBe(true);
    expect(seen.sort()).toEqual(['node-0:1', 'node-1:1', 'node-2:1', 'node-3:1']);
    await harness.orchestrator.setRampPercent({ percent: 25, actor: 'alice', reason: 'lower' });
    await settle();
    for (const node of nodes) expect(node.view().snapshot?.migration?.rampPercent).toBe(25);
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('applies a change within a second on the real clock, on 4 nodes', async () => {
    const harness = await createRoutingHarness();
    const nodes = Array.from({ length: 4 }, (_, index) => createRoutingNode({ journal: harness.memory, broadcast: harness.broadcast, clock: systemClock, nodeId: `real-${index}`, logger: harness.logger }));
    await Promise.all(nodes.map((node) => node.start()));
    const started = performance.now();
    const applied = Promise.all(
      nodes.map(
        (node) =>
          new Promise<number>((resolve) => {
            const stop = node.onChange((snapshot) => {
              if (snapshot.control?.killSwitchEngaged === true) {
                stop();
                resolve(performance.now() - started);
              }
            });
          }),
      ),
    );
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    const latencies = await applied;
    expect(Math.max(...latencies)).toBeLessThan(1_000);
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('falls back to polling when the broadcast is lost', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode({ pollIntervalMs: 1_000 });
    await node.start();
    harness.broadcast.setDelivering(false);
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    await settle();
    expect(node.view().snapshot?.control).toBeUndefined();
    await harness.clock.advance(999);
    await settle();
    expect(node.view().snapshot?.control).toBeUndefined();
    await harness.clock.advance(1);
    await settle();
    expect(node.view().snapshot?.control?.killSwitchEngaged).toBe(true);
    await node.stop();
  });

  it('goes stale when no read succeeds for maxConfigAgeMs, and fresh again when reads recover', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode({ pollIntervalMs: 1_000, maxConfigAgeMs: 3_000 });
    await node.start();
    harness.journal.readError = new Error('journal unreachable');
    await harness.clock.advance(2_999);
    await settle();
    expect(node.view()).toMatchObject({ stale: false, ageMs: 2_999 });
    await harness.clock.advance(1);
    expect(node.view()).toMatchObject({ stale: true, ageMs: 3_000 });
    expect(harness.lines.some((line) => line['msg'] === 'routing config read failed; keeping the last good config' && line['why'] === 'poll')).toBe(true);
    harness.journal.readError = undefined;
    await harness.clock.advance(1_000);
    await settle();
    expect(node.view().stale).toBe(false);
    await node.stop();
  });

  it('judges freshness at a time its caller read on the node clock, and reads the clock itself without one', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode({ pollIntervalMs: 1_000, maxConfigAgeMs: 3_000 });
    expect(node.freshSnapshot(harness.clock.now())).toBeUndefined();
    await node.start();
    expect(node.clock).toBe(harness.clock);
    const readAt = harness.clock.now();
    const snapshot = node.freshSnapshot();
    expect(snapshot?.readAt).toBe(readAt);
    expect(node.freshSnapshot(readAt + 2_999)).toBe(snapshot);
    // The given time wins over the clock (which has not moved).
    expect(node.freshSnapshot(readAt + 3_000)).toBeUndefined();
    expect(node.freshSnapshot()).toBe(snapshot);
    await node.stop();
  });

  it('keeps the last good snapshot when a record is broken, and says why', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(5);
    const node = harness.createNode();
    await node.start();
    const good = node.view().snapshot;
    await harness.memory.write({ puts: [{ collection: routingControlCollection, key: 'default', value: 'nope', expectedVersion: 0 }] });
    await expect(node.refresh()).rejects.toSatisfy((error: unknown) => RoutingRecordInvalidError.isInstance(error));
    expect(node.view().snapshot).toBe(good);
    const migration = await harness.memory.get(migrationCollection, 'default');
    await harness.memory.write({
      puts: [
        { collection: routingControlCollection, key: 'default', value: '', expectedVersion: 'any' },
        { collection: migrationCollection, key: 'default', value: '{"phase":"ramp"}', expectedVersion: migration?.version ?? 0 },
      ],
    });
    await expect(node.refresh()).rejects.toSatisfy((error: unknown) => MigrationStateInvalidError.isInstance(error));
    await node.stop();
  });

  it('reads again after a read that was already running when refresh was called', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    let release: () => void = () => undefined;
    harness.journal.readGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = node.refresh();
    harness.journal.readGate = undefined;
    await harness.killSwitch.engage({ actor: 'alice', reason: 'written during the first read' });
    const second = node.refresh();
    const third = node.refresh();
    expect(third).toBe(second);
    release();
    expect((await first).control).toBeUndefined();
    expect((await second).control?.killSwitchEngaged).toBe(true);
    expect(node.view().snapshot?.control?.killSwitchEngaged).toBe(true);
  });

  it('runs the queued read even when the running one fails', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    let fail: (error: Error) => void = () => undefined;
    harness.journal.readGate = new Promise<void>((_resolve, reject) => {
      fail = reject;
    });
    const first = node.refresh();
    harness.journal.readGate = undefined;
    const second = node.refresh();
    fail(new Error('connection reset'));
    await expect(first).rejects.toThrow('connection reset');
    expect((await second).sequence).toBe(2);
  });

  it('never moves back to an older read that finishes last', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    let release: () => void = () => undefined;
    harness.journal.readGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = node.refresh();
    harness.journal.readGate = undefined;
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    // A second node-internal read path: the queued refresh waits for the slow one, so read directly in order.
    release();
    const results: RoutingSnapshot[] = [await slow, await node.refresh()];
    expect(results[1]?.sequence).toBeGreaterThan(results[0]?.sequence ?? 0);
    expect(node.view().snapshot?.sequence).toBe(results[1]?.sequence);
  });

  it('ignores messages of other migrations and text that is not JSON', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    await node.start();
    const reads = harness.journal.reads;
    await harness.broadcast.publish(encodeRoutingChange({ migrationId: 'other', source: 'kill-switch', revision: 1, at: 0 }));
    await harness.broadcast.publish('garbage');
    await harness.broadcast.publish('[1,2]');
    await harness.broadcast.publish('null');
    await settle();
    expect(harness.journal.reads).toBe(reads);
    // A cutover outbox message relayed on the channel (it names the migration) triggers a read too.
    await harness.broadcast.publish(JSON.stringify({ type: 'migration.changed', migrationId: 'default' }));
    await settle();
    expect(harness.journal.reads).toBe(reads + 2);
    await node.stop();
    expect(harness.broadcast.listenerCount).toBe(0);
  });

  it('logs a failing change listener and keeps notifying the others', async () => {
    const harness = await createRoutingHarness();
    const node = harness.createNode();
    const heard: number[] = [];
    node.onChange(() => {
      throw new Error('listener bug');
    });
    const remove = node.onChange((snapshot) => heard.push(snapshot.control?.revision ?? 0));
    await node.refresh();
    await harness.killSwitch.engage({ actor: 'a', reason: 'b' });
    await node.refresh();
    remove();
    await harness.killSwitch.release({ actor: 'a', reason: 'b' });
    await node.refresh();
    expect(heard).toEqual([0, 1]);
    expect(harness.lines.filter((line) => line['msg'] === 'routing change listener failed')).toHaveLength(3);
    const thrower = harness.createNode();
    thrower.onChange(() => {
      throw 'text';
    });
    await thrower.refresh();
    expect(harness.lines.at(-1)?.['error']).toBe('text');
  });

  it('ensureView waits at most readTimeoutMs for a first read, and answers at once afterwards', async () => {
    const harness = await createRoutingHarness();
    const node: RoutingNode = harness.createNode({ readTimeoutMs: 250 });
    harness.journal.readGate = new Promise<void>(() => undefined);
    const pending = node.ensureView();
    await settle();
    await harness.clock.advance(250);
    expect(await pending).toEqual({ snapshot: undefined, ageMs: undefined, stale: true });
    // The hung read does not block the next one.
    harness.journal.readGate = undefined;
    await expect(node.refresh()).resolves.toBeDefined();
    const fresh = await node.ensureView();
    expect(fresh.stale).toBe(false);
    expect(await node.ensureView()).toEqual(fresh);
    const other = harness.createNode();
    harness.journal.readError = new Error('down');
    expect((await other.ensureView()).stale).toBe(true);
  });

  it('starts without its broadcast when the subscription fails, and subscribes at a later poll', async () => {
    const harness = await createRoutingHarness();
    let attempts = 0;
    const flaky = {
      publish: (message: string) => harness.broadcast.publish(message),
      subscribe: (listener: (message: string) => void) => {
        attempts += 1;
        if (attempts === 1) return Promise.reject(new Error('redis unreachable'));
        if (attempts === 2) return Promise.reject('still unreachable');
        return harness.broadcast.subscribe(listener);
      },
    };
    const node = harness.createNode({ broadcast: flaky, pollIntervalMs: 1_000 });
    await node.start();
    expect(node.view().stale).toBe(false);
    expect(harness.lines.filter((line) => line['msg'] === 'control plane subscription failed; relying on polling until it succeeds').map((line) => line['error'])).toEqual(['redis unreachable']);
    await harness.clock.advance(1_000);
    await settle();
    await harness.clock.advance(1_000);
    await settle();
    expect(attempts).toBe(3);
    expect(harness.broadcast.listenerCount).toBe(1);
    await harness.killSwitch.engage({ actor: 'a', reason: 'b' });
    await settle();
    expect(node.view().snapshot?.control?.killSwitchEngaged).toBe(true);
    await harness.clock.advance(1_000);
    await settle();
    expect(attempts).toBe(3);
    await node.stop();
    expect(harness.broadcast.listenerCount).toBe(0);
  });

  it('logs a non-Error read failure as text', async () => {
    const harness = await createRoutingHarness();
    const offline = Object.assign(Object.create(harness.memory) as object, { get: () => Promise.reject('offline') });
    const node = createRoutingNode({ journal: offline as never, logger: harness.logger, clock: harness.clock });
    await node.start();
    expect(harness.lines.at(-1)).toMatchObject({ error: 'offline', why: 'start' });
    await node.stop();
  });
});
