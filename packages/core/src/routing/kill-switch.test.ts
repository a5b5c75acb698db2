import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { parseRoutingChange } from './control-plane-broadcast.js';
import { createKillSwitch, type KillSwitchOptions } from './kill-switch.js';
import { parseRoutingControlRecord, routingControlCollection, routingControlHistoryLength } from './routing-control-state.js';
import { RoutingControlConflictError, RoutingRecordInvalidError, RoutingRequestError } from './routing-errors.js';
import { createRoutingHarness, recordingMeter } from './__fixtures__/routing-harness.js';

describe('createKillSwitch', () => {
  it('journals an engagement with actor, reason and revision, then announces it', async () => {
    const harness = await createRoutingHarness();
    const { meter, records } = recordingMeter();
    const killSwitch = createKillSwitch({ journal: harness.journal, broadcast: harness.broadcast, clock: harness.clock, logger: harness.logger, meter });
    await harness.broadcast.subscribe(() => undefined);
    const result = await killSwitch.engage({ actor: 'alice', reason: 'adyen declines spiking (INC-42)' });
    expect(result.changed).toBe(true);
    expect(result.delivered).toBe(1);
    expect(result.broadcastError).toBeUndefined();
    expect(result.state).toMatchObject({ migrationId: 'default', revision: 1, killSwitchEngaged: true, lastChange: { engaged: true, actor: 'alice', reason: 'adyen declines spiking (INC-42)', revision: 1, at: harness.clock.now() } });
    const record = await harness.memory.get(routingControlCollection, 'default');
    expect(record?.index).toBe('engaged');
    expect(parseRoutingControlRecord(record as NonNullable<typeof record>).state).toEqual(result.state);
    expect(await killSwitch.read()).toEqual(result.state);
    expect(parseRoutingChange(harness.broadcast.published.at(-1) as string)).toMatchObject({ migrationId: 'default', source: 'kill-switch', revision: 1 });
    expect(records).toContainEqual({ name: 'paymigrate.routing.kill_switch.changes', value: 1, attributes: { engaged: true } });
  });

  it('releases, keeping the history of changes', async () => {
    const harness = await createRoutingHarness();
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    await harness.clock.advance(60_000);
    const released = await harness.killSwitch.release({ actor: 'bob', reason: 'incident resolved' });
    expect(released.changed).toBe(true);
    expect(released.state.killSwitchEngaged).toBe(false);
    expect(released.state.revision).toBe(2);
    expect(released.state.history.map((change) => [change.engaged, change.actor])).toEqual([
      [true, 'alice'],
      [false, 'bob'],
    ]);
    expect((await harness.memory.get(routingControlCollection, 'default'))?.index).toBe('released');
  });

  it('writes nothing when the switch already is in that position, but announces the state again', async () => {
    const harness = await createRoutingHarness();
    await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    const published = harness.broadcast.published.length;
    const again = await harness.killSwitch.engage({ actor: 'bob', reason: 'me too' });
    expect(again.changed).toBe(false);
    expect(again.state.lastChange.actor).toBe('alice');
    expect(again.state.revision).toBe(1);
    expect(harness.broadcast.published.length).toBe(published + 1);
  });

  it('records a release of a switch that was never engaged', async () => {
    const harness = await createRoutingHarness();
    expect(await harness.killSwitch.read()).toBeUndefined();
    const result = await harness.killSwitch.release({ actor: 'alice', reason: 'make sure it is off' });
    expect(result.changed).toBe(true);
    expect(result.state).toMatchObject({ revision: 1, killSwitchEngaged: false });
  });

  it('keeps at most the last 50 changes', async () => {
    const harness = await createRoutingHarness();
    for (let change = 0; change < routingControlHistoryLength + 5; change += 1) {
      await (change % 2 === 0 ? harness.killSwitch.engage({ actor: 'a', reason: `r${change}` }) : harness.killSwitch.release({ actor: 'a', reason: `r${change}` }));
    }
    const state = await harness.killSwitch.read();
    expect(state?.history.length).toBe(routingControlHistoryLength);
    expect(state?.history[0]?.revision).toBe(6);
    expect(state?.revision).toBe(routingControlHistoryLength + 5);
  });

  it('retries a lost compare-and-set and applies the change on the latest record', async () => {
    const harness = await createRoutingHarness();
    const other = createKillSwitch({ journal: harness.memory, clock: harness.clock, logger: harness.logger });
    let interfered = false;
    harness.journal.beforeWrite = async () => {
      if (interfered) return;
      interfered = true;
      await other.engage({ actor: 'other-node', reason: 'concurrent' });
      await other.release({ actor: 'other-node', reason: 'concurrent' });
    };
    const result = await harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    expect(result.state.revision).toBe(3);
    expect(result.state.history.map((change) => change.actor)).toEqual(['other-node', 'other-node', 'alice']);
  });

  it('gives up with RoutingControlConflictError after five lost compare-and-sets', async () => {
    const harness = await createRoutingHarness();
    const other = createKillSwitch({ journal: harness.memory, clock: harness.clock, logger: harness.logger });
    harness.journal.beforeWrite = async () => {
      // Another node flips the switch on and off again before every write of ours: always a conflict.
      await other.engage({ actor: 'x', reason: 'x' });
      await other.release({ actor: 'x', reason: 'x' });
    };
    const attempt = harness.killSwitch.engage({ actor: 'alice', reason: 'incident' });
    await expect(attempt).rejects.toSatisfy((error: unknown) => RoutingControlConflictError.isInstance(error) && error.attempts === 5 && VersionConflictError.isInstance(error.cause));
  });

  it('passes other journal errors through', async () => {
    const harness = await createRoutingHarness();
    harness.journal.writeError = new Error('disk full');
    await expect(harness.killSwitch.engage({ actor: 'alice', reason: 'incident' })).rejects.toThrow('disk full');
  });

  it('journals the change even when the broadcast fails, and says so', async () => {
    const harness = await createRoutingHarness();
    const killSwitch = createKillSwitch({
      journal: harness.journal,
      broadcast: { publish: () => Promise.reject(new Error('redis down')), subscribe: async () => async () => undefined },
      clock: harness.clock,
      logger: harness.logger,
    });
    const result = await killSwitch.engage({ actor: 'alice', reason: 'incident' });
    expect(result).toMatchObject({ changed: true, delivered: undefined, broadcastError: 'redis down' });
    expect((await killSwitch.read())?.killSwitchEngaged).toBe(true);
    expect(harness.lines.some((line) => line['msg'] === 'kill switch change journaled but not broadcast; nodes will see it at their next poll')).toBe(true);
    const thrownString = createKillSwitch({ journal: harness.journal, broadcast: { publish: () => Promise.reject('text'), subscribe: async () => async () => undefined }, logger: harness.logger });
    expect((await thrownString.release({ actor: 'a', reason: 'b' })).broadcastError).toBe('text');
  });

  it('works without a broadcast (nodes poll)', async () => {
    const harness = await createRoutingHarness();
    const killSwitch = createKillSwitch({ journal: harness.journal, migrationId: 'shop-2' });
    const result = await killSwitch.engage({ actor: 'alice', reason: 'incident' });
    expect(killSwitch.migrationId).toBe('shop-2');
    expect(result.delivered).toBeUndefined();
    expect(result.state.migrationId).toBe('shop-2');
  });

  it.each([
    ['actor', { actor: '', reason: 'r' }],
    ['actor', { actor: 42, reason: 'r' }],
    ['reason', { actor: 'a', reason: '   ' }],
  ])('refuses an empty %s with RoutingRequestError, writing nothing', async (field, input) => {
    const harness = await createRoutingHarness();
    await expect(harness.killSwitch.engage(input as never)).rejects.toSatisfy((error: unknown) => RoutingRequestError.isInstance(error) && error.field === field);
    expect(await harness.killSwitch.read()).toBeUndefined();
  });

  it('masks a card number typed into a reason before journaling it', async () => {
    const harness = await createRoutingHarness();
    const result = await harness.killSwitch.engage({ actor: 'alice', reason: 'customer 4242 4242 4242 4242 charged twice' });
    expect(result.state.lastChange.reason).not.toContain('4242 4242 4242 4242');
    expect((await harness.memory.get(routingControlCollection, 'default'))?.value).not.toContain('4242 4242 4242 4242');
  });

  it('refuses a broken control record with RoutingRecordInvalidError', async () => {
    const harness = await createRoutingHarness();
    await harness.memory.write({ puts: [{ collection: routingControlCollection, key: 'default', value: '{"migrationId":"default"}', expectedVersion: 0 }] });
    await expect(harness.killSwitch.read()).rejects.toSatisfy((error: unknown) => RoutingRecordInvalidError.isInstance(error));
  });

  it.each<[string, Partial<KillSwitchOptions>, string]>([
    ['a journal without write', { journal: { get: () => undefined } as never }, 'killSwitch.journal'],
    ['a broadcast without subscribe', { broadcast: { publish: async () => 0 } as never }, 'killSwitch.broadcast'],
    ['an empty migration id', { migrationId: '' }, 'killSwitch.migrationId'],
    ['a clock without sleep', { clock: { now: () => 0 } as never }, 'killSwitch.clock'],
    ['a logger without error', { logger: { info: () => undefined } as never }, 'killSwitch.logger'],
    ['a meter without createHistogram', { meter: { createCounter: () => undefined } as never }, 'killSwitch.meter'],
  ])('refuses %s with a ConfigurationError naming the option', async (_label, overrides, option) => {
    const harness = await createRoutingHarness();
    expect(() => createKillSwitch({ journal: harness.journal, ...overrides })).toThrow(expect.objectContaining({ option }) as Error);
    try {
      createKillSwitch({ journal: harness.journal, ...overrides });
    } catch (error) {
      expect(ConfigurationError.isInstance(error)).toBe(true);
    }
  });
});

describe('parseRoutingControlRecord', () => {
  const record = (value: string, key = 'default') => ({ collection: routingControlCollection, key, version: 1, value, index: undefined, updatedAt: 0, lease: undefined });
  const valid = { migrationId: 'default', revision: 1, killSwitchEngaged: true, lastChange: { engaged: true, actor: 'a', reason: 'r', at: 0, revision: 1 }, history: [] };

  it.each([
    ['not JSON', record('{'), 'its value is not JSON'],
    ['not an object', record('42'), 'the record is invalid'],
    ['a missing field', record(JSON.stringify({ ...valid, revision: undefined })), "'revision' is invalid"],
    ['another migration', record(JSON.stringify(valid), 'other'), "it names migration 'default'"],
  ])('refuses %s', (_label, input, problem) => {
    expect(() => parseRoutingControlRecord(input)).toThrow(problem);
  });

  it('reads a valid record with its version', () => {
    expect(parseRoutingControlRecord(record(JSON.stringify(valid)))).toEqual({ state: valid, version: 1 });
  });
});
