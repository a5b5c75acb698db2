import { parseOptions } from '@paymigrate/core';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  closeRedisConnection,
  openRedisConnection,
  type RedisConnectionOptions,
  type ResolvedRedisConnection,
  redisConnectionFields,
  refineRedisConnection,
  resolveRedisConnection,
} from './redis-connection.js';
import { redisClosedError, translateRedisError } from './redis-errors.js';

/** Receives each message published on the channel. A rejection or throw goes to `onListenerError`. */
export type RedisBroadcastListener = (message: string) => void | Promise<void>;

/** Options of `createRedisBroadcast`. */
export interface RedisBroadcastOptions extends RedisConnectionOptions {
  /**
   * The Redis pub/sub channel, e.g. `paymigrate:kill-switch`. Every process of one deployment must
   * use the same channel.
   */
  readonly channel: string;
  /**
   * Called when a listener throws or rejects; the other listeners still receive the message.
   * @default a process warning (`process.emitWarning`)
   */
  readonly onListenerError?: ((error: unknown, message: string) => void) | undefined;
  /**
   * Called each time the subscriber connection is back after a drop and subscribed again. Redis
   * pub/sub does not queue: messages published while the connection was down are lost, so a kill
   * switch should re-read its persisted state here.
   */
  readonly onReconnected?: (() => void) | undefined;
}

/** A control-plane broadcast on one Redis pub/sub channel (the kill switch's transport). */
export interface RedisBroadcast {
  /** The channel messages go to. */
  readonly channel: string;
  /**
   * Publishes a message to every subscriber of the channel, in every process.
   * @returns How many subscriber connections received it (a process with several listeners counts once).
   * @throws PaymigrateError `BROADCAST_UNAVAILABLE` (retryable) when Redis cannot be reached.
   */
  publish(message: string): Promise<number>;
  /**
   * Adds a listener. Resolves once the channel subscription is confirmed by the server, so a
   * message published after that is delivered. The subscription uses a dedicated connection that
   * ioredis re-subscribes after a reconnect.
   * @returns A function that removes this listener (idempotent); the last removal unsubscribes the channel.
   */
  subscribe(listener: RedisBroadcastListener): Promise<() => Promise<void>>;
  /** Removes every listener and closes the connections the broadcast opened (a lent client stays open). Idempotent. */
  close(): Promise<void>;
}

/** The zod schema behind `createRedisBroadcast`'s validation. */
export const redisBroadcastOptionsSchema = z
  .strictObject({
    ...redisConnectionFields,
    channel: z.string().min(1).meta({ fix: "pass the pub/sub channel name, e.g. 'paymigrate:kill-switch'" }),
    onListenerError: z
      .custom<(error: unknown, message: string) => void>((value) => typeof value === 'function', { message: 'expected a function' })
      .optional()
      .meta({ fix: 'pass a function (error, message) => void, or leave it out' }),
    onReconnected: z
      .custom<() => void>((value) => typeof value === 'function', { message: 'expected a function' })
      .optional()
      .meta({ fix: 'pass a function () => void, or leave it out' }),
  })
  .superRefine(refineRedisConnection)
  .meta({ fix: "pass an options object such as { url: 'redis://127.0.0.1:6379', channel: 'paymigrate:kill-switch' }" });

/** One `subscribe` call; an object of its own so the same function can be subscribed twice. */
interface Subscription {
  readonly listener: RedisBroadcastListener;
}

/** The default `onListenerError`: a process warning, since a broadcast has no caller to reject. */
function warnAboutListenerError(error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  process.emitWarning(`A Redis broadcast listener failed: ${reason}`, { code: 'PAYMIGRATE_BROADCAST_LISTENER' });
}

/** The Redis broadcast: publishes on one connection, listens on a dedicated subscriber connection. */
class RedisPubSubBroadcast implements RedisBroadcast {
  readonly channel: string;
  readonly #connection: ResolvedRedisConnection;
  readonly #onListenerError: (error: unknown, message: string) => void;
  readonly #onReconnected: (() => void) | undefined;
  readonly #subscriptions = new Set<Subscription>();
  #publisher: Redis | undefined;
  #subscriber: Redis | undefined;
  #subscribed = false;
  /** Subscribe and unsubscribe changes run one after another, so `#subscribed` is never raced. */
  #changes: Promise<void> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: RedisBroadcastOptions) {
    const parsed = parseOptions(redisBroadcastOptionsSchema, options, { component: 'redisBroadcast' });
    this.channel = parsed.channel;
    this.#connection = resolveRedisConnection(parsed);
    this.#onListenerError = parsed.onListenerError ?? warnAboutListenerError;
    this.#onReconnected = parsed.onReconnected;
  }

  async publish(message: string): Promise<number> {
    this.#assertOpen('publish');
    try {
      return await this.#publishingConnection().publish(this.channel, message);
    } catch (error) {
      throw translateRedisError(error, 'broadcast', 'publish');
    }
  }

  async subscribe(listener: RedisBroadcastListener): Promise<() => Promise<void>> {
    this.#assertOpen('subscribe');
    if (typeof listener !== 'function') throw new TypeError(`Redis broadcast subscribe: 'listener' must be a function, got ${typeof listener}.`);
    const subscription: Subscription = { listener };
    this.#subscriptions.add(subscription);
    try {
      await this.#change(async () => {
        if (this.#subscribed || this.#closed) return;
        await this.#subscribingConnection().subscribe(this.channel);
        this.#subscribed = true;
      });
    } catch (error) {
      this.#subscriptions.delete(subscription);
      throw translateRedisError(error, 'broadcast', 'subscribe');
    }
    return async () => {
      if (!this.#subscriptions.delete(subscription) || this.#subscriptions.size > 0) return;
      await this.#change(async () => {
        if (!this.#subscribed || this.#subscriptions.size > 0 || this.#closed) return;
        this.#subscribed = false;
        await (this.#subscriber as Redis).unsubscribe(this.channel).catch(() => undefined);
      });
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#subscriptions.clear();
      await this.#changes;
      const closing: Promise<void>[] = [];
      if (this.#subscriber !== undefined) closing.push(closeRedisConnection(this.#subscriber));
      if (this.#publisher !== undefined && this.#connection.client === undefined) closing.push(closeRedisConnection(this.#publisher));
      await Promise.all(closing);
    })();
    return this.#closing;
  }

  /** Queues a change of the subscription state behind the ones already running. */
  #change(change: () => Promise<void>): Promise<void> {
    const next = this.#changes.then(change);
    this.#changes = next.catch(() => undefined);
    return next;
  }

  /** The lent client, or a connection of our own opened on first use. */
  #publishingConnection(): Redis {
    this.#publisher ??= this.#connection.client ?? openRedisConnection({ ...this.#connection, url: this.#connection.url as string });
    return this.#publisher;
  }

  /**
   * The dedicated subscriber connection, opened on first use: a duplicate of the lent client, or a
   * new connection to the URL, with `autoResubscribe` on either way.
   */
  #subscribingConnection(): Redis {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const lent = this.#connection.client;
    const subscriber = lent === undefined ? openRedisConnection({ ...this.#connection, url: this.#connection.url as string }, { autoResubscribe: true }) : lent.duplicate({ autoResubscribe: true });
    if (lent !== undefined) subscriber.on('error', () => undefined);
    // The connection is dedicated to this one channel, so every message is for the listeners.
    subscriber.on('message', (_channel: string, message: string) => this.#deliver(message));
    let readyBefore = false;
    subscriber.on('ready', () => {
      if (!readyBefore) {
        readyBefore = true;
        return;
      }
      void this.#resubscribed(subscriber);
    });
    this.#subscriber = subscriber;
    return subscriber;
  }

  /** After a reconnect: waits until the channel subscription is confirmed again, then tells `onReconnected`. */
  async #resubscribed(subscriber: Redis): Promise<void> {
    try {
      if (this.#subscribed) await subscriber.subscribe(this.channel);
    } catch {
      // The connection dropped again; the next 'ready' retries.
      return;
    }
    this.#onReconnected?.();
  }

  /** Hands a message to every listener; one listener's failure never stops the others. */
  #deliver(message: string): void {
    for (const { listener } of [...this.#subscriptions]) {
      try {
        const result = listener(message);
        if (result instanceof Promise) result.catch((error: unknown) => this.#onListenerError(error, message));
      } catch (error) {
        this.#onListenerError(error, message);
      }
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw redisClosedError('broadcast', operation);
  }
}

/**
 * Creates the control-plane broadcast the kill switch uses: `publish` on the lent client (or a
 * connection of its own), `subscribe` on a dedicated subscriber connection that ioredis
 * re-subscribes after a reconnect. Delivery is Redis pub/sub: at most once, to the processes
 * subscribed at that moment; pair it with persisted state (see `onReconnected`).
 *
 * @throws ConfigurationError naming the invalid option (`redisBroadcast.channel`, `redisBroadcast.url`, ...).
 * @example
 * const broadcast = createRedisBroadcast({ url: 'redis://127.0.0.1:6379', channel: 'paymigrate:kill-switch' });
 * const unsubscribe = await broadcast.subscribe((message) => killSwitch.apply(JSON.parse(message)));
 * await broadcast.publish(JSON.stringify({ engaged: true }));
 * await unsubscribe();
 * await broadcast.close();
 */
export function createRedisBroadcast(options: RedisBroadcastOptions): RedisBroadcast {
  return new RedisPubSubBroadcast(options);
}
