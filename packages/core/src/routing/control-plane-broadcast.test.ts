import { describe, expect, it } from 'vitest';
import { encodeRoutingChange, InMemoryControlPlaneBroadcast, parseRoutingChange } from './control-plane-broadcast.js';
import { settle } from './__fixtures__/routing-harness.js';

describe('routing change messages', () => {
  it('round-trip through JSON', () => {
    const text = encodeRoutingChange({ migrationId: 'default', source: 'kill-switch', revision: 3, at: 1_000 });
    expect(JSON.parse(text)).toEqual({ type: 'paymigrate.routing.changed', migrationId: 'default', source: 'kill-switch', revision: 3, at: 1_000 });
    expect(parseRoutingChange(text)).toEqual({ type: 'paymigrate.routing.changed', migrationId: 'default', source: 'kill-switch', revision: 3, at: 1_000 });
  });

  it('ignores anything else on the channel', () => {
    expect(parseRoutingChange('not json')).toBeUndefined();
    expect(parseRoutingChange('{"type":"migration.changed","migrationId":"default"}')).toBeUndefined();
    expect(parseRoutingChange('{"type":"paymigrate.routing.changed","migrationId":"default","source":"other","revision":1,"at":0}')).toBeUndefined();
  });
});

describe('InMemoryControlPlaneBroadcast', () => {
  it('delivers to every listener asynchronously and reports how many received it', async () => {
    const broadcast = new InMemoryControlPlaneBroadcast();
    const received: string[] = [];
    const unsubscribeFirst = await broadcast.subscribe((message) => {
      received.push(`first:${message}`);
    });
    await broadcast.subscribe(async (message) => {
      received.push(`second:${message}`);
    });
    expect(broadcast.listenerCount).toBe(2);
    expect(await broadcast.publish('hello')).toBe(2);
    expect(received).toEqual([]);
    await settle();
    expect(received).toEqual(['first:hello', 'second:hello']);
    await unsubscribeFirst();
    await unsubscribeFirst();
    expect(await broadcast.publish('again')).toBe(1);
    await settle();
    expect(received).toEqual(['first:hello', 'second:hello', 'second:again']);
    expect(broadcast.published).toEqual(['hello', 'again']);
  });

  it("isolates a listener's failure (thrown or rejected) from the others", async () => {
    const broadcast = new InMemoryControlPlaneBroadcast();
    const received: string[] = [];
    await broadcast.subscribe(() => {
      throw new Error('boom');
    });
    await broadcast.subscribe(() => Promise.reject(new Error('async boom')));
    await broadcast.subscribe((message) => {
      received.push(message);
    });
    await broadcast.publish('x');
    await settle();
    expect(received).toEqual(['x']);
  });

  it('drops messages while not delivering (a lost broadcast)', async () => {
    const broadcast = new InMemoryControlPlaneBroadcast();
    const received: string[] = [];
    await broadcast.subscribe((message) => {
      received.push(message);
    });
    broadcast.setDelivering(false);
    expect(await broadcast.publish('lost')).toBe(0);
    broadcast.setDelivering(true);
    await broadcast.publish('kept');
    await settle();
    expect(received).toEqual(['kept']);
    expect(broadcast.published).toEqual(['lost', 'kept']);
  });
});
