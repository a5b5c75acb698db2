import { randomUUID } from 'node:crypto';
import { ConfigurationError, PaymigrateError } from '@paymigrate/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { captureError, findFreePort, type RedisServer, startRedisServer } from '@paymigrate/testkit';
import { createRedisBroadcast, type RedisBroadcast } from './redis-broadcast.js';

let server: RedisServer;
let inspector: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  inspector = new Redis(server.url);
});

afterAll(async () => {
  inspector.disconnect();
  await server?.stop();
});

/** A channel no other case uses. */
const freshChannel = (): string => `paymigrate:test:${randomUUID()}`;

/** Resolves with the first value `register` hands its callback, or rejects after `timeoutMs`. */
function nextValue<Value>(register: (deliver: (value: Value) => void) => void, timeoutMs = 5_000): Promise<Value> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing arrived within ${timeoutMs} ms`)), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Waits until `condition` holds, up to `timeoutMs`. */
async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('createRedisBroadcast', () => {
  test('a message reaches three subscribers, each on its own connection, well within a generous bound', async () => {
    const channel = freshChannel();
    const subscribers = [0, 1, 2].map(() => createRedisBroadcast({ url: server.url, channel }));
    const publisher = createRedisBroadcast({ url: server.url, channel });
    try {
      const arrivals: Promise<{ message: string; at: number }>[] = [];
      for (const subscriber of subscribers) {
        let deliver: (value: { message: string; at: number }) => void = () => undefined;
        arrivals.push(nextValue((resolve) => (deliver = resolve)));
        await subscriber.subscribe((message) => deliver({ message, at: performance.now() }));
      }
      const sentAt = performance.now();
      expect(await publisher.publish('{"killSwitch":"engaged"}')).toBe(3);
      const received = await Promise.all(arrivals);
      const slowest = Math.max(...received.map(({ at }) => at - sentAt));
      console.info(`redis broadcast: 3 subscribers reached, slowest after ${slowest.toFixed(1)} ms`);
      expect(received.map(({ message }) => message)).toEqual(Array.from({ length: 3 }, () => '{"killSwitch":"engaged"}'));
      expect(slowest).toBeLessThan(5_000);
      expect(publisher.channel).toBe(channel);
    } finally {
      await Promise.all([...subscribers, publisher].map((broadcast) => broadcast.close()));
    }
  });

  test('listeners of one broadcast share its connection; the same function may subscribe twice; removal is per subscription', async () => {
    const channel = freshChannel();
    const broadcast = createRedisBroadcast({ url: server.url, channel });
    try {
      const seen: string[] = [];
      const listener = (message: string): void => void seen.push(message);
      const first = await broadcast.subscribe(listener);
      const second = await broadcast.subscribe(listener);
      expect(await broadcast.publish('one')).toBe(1);
      await eventually(() => seen.length === 2);
      await first();
      await first();
      expect(await broadcast.publish('two')).toBe(1);
      await eventually(() => seen.length === 3);
      expect(seen).toEqual(['one', 'one', 'two']);
      await second();
      await eventually(async () => (await broadcast.publish('nobody')) === 0);
      const again = await broadcast.subscribe(listener);
      expect(await broadcast.publish('three')).toBe(1);
      await eventually(() => seen.length === 4);
      expect(seen.at(-1)).toBe('three');
      await again();
    } finally {
      await broadcast.close();
    }
  });

  test('a failing listener is reported and does not keep the others from the message', async () => {
    const channel = freshChannel();
    const failures: [unknown, string][] = [];
    const broadcast = createRedisBroadcast({ url: server.url, channel, onListenerError: (error, message) => failures.push([error, message]) });
    try {
      const seen: string[] = [];
      await broadcast.subscribe(() => {
        throw new Error('sync failure');
      });
      await broadcast.subscribe(async () => {
        throw new Error('async failure');
      });
      await broadcast.subscribe((message) => void seen.push(message));
      await broadcast.publish('hello');
      await eventually(() => seen.length === 1 && failures.length === 2);
      expect(failures.map(([error, message]) => [(error as Error).message, message]).sort()).toEqual([
        ['async failure', 'hello'],
        ['sync failure', 'hello'],
      ]);
    } finally {
      await broadcast.close();
    }
  });

  test('without onListenerError a failing listener becomes a process warning', async () => {
    const channel = freshChannel();
    const broadcast = createRedisBroadcast({ url: server.url, channel });
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await broadcast.subscribe(() => {
        throw new Error('boom');
      });
      await broadcast.subscribe(() => {
        throw 'not an error';
      });
      await broadcast.publish('hello');
      await eventually(() => emitWarning.mock.calls.length === 2);
      expect(emitWarning.mock.calls.map((call) => call[0])).toEqual(['A Redis broadcast listener failed: boom', 'A Redis broadcast listener failed: not an error']);
      expect(emitWarning.mock.calls[0]?.[1]).toEqual({ code: 'PAYMIGRATE_BROADCAST_LISTENER' });
    } finally {
      emitWarning.mockRestore();
      await broadcast.close();
    }
  });

  test('survives a dropped subscriber connection: ioredis re-subscribes, onReconnected fires, later messages arrive', async () => {
    const channel = freshChannel();
    let reconnections = 0;
    const broadcast = createRedisBroadcast({ url: server.url, channel, onReconnected: () => (reconnections += 1) });
    try {
      const seen: string[] = [];
      await broadcast.subscribe((message) => void seen.push(message));
      const killed = (await inspector.call('CLIENT', 'KILL', 'TYPE', 'pubsub')) as number;
      expect(killed).toBeGreaterThanOrEqual(1);
      await eventually(() => reconnections === 1);
      expect(await inspector.publish(channel, 'after the drop')).toBeGreaterThanOrEqual(1);
      await eventually(() => seen.includes('after the drop'));
    } finally {
      await broadcast.close();
    }
  });

  test('a reconnect after every listener left does not subscribe again, and is still reported', async () => {
    const channel = freshChannel();
    let reconnections = 0;
    const broadcast = createRedisBroadcast({ url: server.url, channel, onReconnected: () => (reconnections += 1) });
    try {
      const unsubscribe = await broadcast.subscribe(() => undefined);
      await unsubscribe();
      await inspector.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await eventually(() => reconnections === 1);
      expect(await inspector.publish(channel, 'nobody listens')).toBe(0);
    } finally {
      await broadcast.close();
    }
  });

  test('on a lent client: publishes on it, subscribes on a duplicate, and leaves it open on close', async () => {
    const channel = freshChannel();
    const lent = new Redis(server.url);
    const broadcast = createRedisBroadcast({ client: lent, channel });
    try {
      const received = nextValue<string>((deliver) => void broadcast.subscribe(deliver));
      await eventually(async () => (await broadcast.publish('via lent client')) === 1);
      expect(await received).toBe('via lent client');
      expect(lent.mode).toBe('normal');
      await broadcast.close();
      expect(await lent.ping()).toBe('PONG');
    } finally {
      lent.disconnect();
    }
  });

  test('after close publish and subscribe reject with BROADCAST_CLOSED; close is idempotent and safe before any use', async () => {
    const unused = createRedisBroadcast({ url: server.url, channel: freshChannel() });
    await unused.close();
    const broadcast = createRedisBroadcast({ url: server.url, channel: freshChannel() });
    const unsubscribe = await broadcast.subscribe(() => undefined);
    const closing = broadcast.close();
    expect(broadcast.close()).toBe(closing);
    await closing;
    await unsubscribe();
    for (const call of [() => broadcast.publish('x'), () => broadcast.subscribe(() => undefined)]) {
      const error = await captureError(call);
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'BROADCAST_CLOSED', isRetryable: false });
    }
  });

  test('closing while a subscription is being made leaves no connection behind', async () => {
    const broadcast = createRedisBroadcast({ url: server.url, channel: freshChannel() });
    const subscribing = broadcast.subscribe(() => undefined);
    const closing = broadcast.close();
    await subscribing.then(
      (unsubscribe) => unsubscribe(),
      () => undefined,
    );
    await closing;
    const second = createRedisBroadcast({ url: server.url, channel: freshChannel() });
    const [first, late] = [second.subscribe(() => undefined), second.subscribe(() => undefined)];
    await second.close();
    await Promise.allSettled([first, late]);
  });

  test('a listener that is not a function is refused with a TypeError', async () => {
    const broadcast: RedisBroadcast = createRedisBroadcast({ url: server.url, channel: freshChannel() });
    try {
      const error = await captureError(() => broadcast.subscribe('nope' as unknown as () => void));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain("'listener'");
    } finally {
      await broadcast.close();
    }
  });

  test('an unreachable server fails publish and subscribe with the retryable BROADCAST_UNAVAILABLE', async () => {
    const port = await findFreePort();
    const broadcast = createRedisBroadcast({ url: `redis://127.0.0.1:${port}`, channel: freshChannel(), maxRetriesPerRequest: 0, connectTimeoutMs: 300 });
    try {
      for (const call of [() => broadcast.publish('x'), () => broadcast.subscribe(() => undefined)]) {
        const error = await captureError(call);
        expect(error).toMatchObject({ code: 'BROADCAST_UNAVAILABLE', isRetryable: true });
        expect((error as Error).message).toMatch(/^Redis broadcast (publish|subscribe)\(\) failed: Redis is unreachable/);
      }
    } finally {
      await broadcast.close();
    }
  });

  test('names the option at fault', () => {
    const optionOf = (input: unknown): string => {
      try {
        createRedisBroadcast(input as never);
      } catch (error) {
        expect(ConfigurationError.isInstance(error)).toBe(true);
        return (error as ConfigurationError).option;
      }
      throw new Error('Expected a ConfigurationError');
    };
    expect(optionOf({ url: server.url })).toBe('redisBroadcast.channel');
    expect(optionOf({ url: server.url, channel: '' })).toBe('redisBroadcast.channel');
    expect(optionOf({ channel: 'c' })).toBe('redisBroadcast.url');
    expect(optionOf({ url: server.url, channel: 'c', onListenerError: 'log' })).toBe('redisBroadcast.onListenerError');
    expect(optionOf({ url: server.url, channel: 'c', onReconnected: 1 })).toBe('redisBroadcast.onReconnected');
  });
});
