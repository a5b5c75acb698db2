import { z } from 'zod';

/** Receives each message published on the control plane. */
export type ControlPlaneListener = (message: string) => void | Promise<void>;

/**
 * The fleet-wide signal that routing changed (port-like; `createRedisBroadcast` of
 * `@paymigrate/store-redis` implements it on Redis pub/sub). Delivery is at most once to the nodes
 * listening at that moment: the message is only a hint to re-read the journal, which holds the truth,
 * and nodes also poll, so a lost message delays a change by one poll interval at most.
 */
export interface ControlPlaneBroadcast {
  /**
   * Publishes `message` to every subscriber, in every process.
   * @returns How many subscribers (connections) received it.
   */
  publish(message: string): Promise<number>;
  /**
   * Adds a listener; resolves once messages published afterwards will be delivered to it.
   * @returns A function that removes the listener.
   */
  subscribe(listener: ControlPlaneListener): Promise<() => Promise<void>>;
}

/** What changed, as announced on the control plane. */
export interface RoutingChangeMessage {
  /** Always `paymigrate.routing.changed`. */
  readonly type: 'paymigrate.routing.changed';
  /** The migration whose routing changed. */
  readonly migrationId: string;
  /** Which record changed: the kill switch (`routing-control`) or the migration (phase, ramp, rollback). */
  readonly source: 'kill-switch' | 'migration';
  /** The record's new revision (kill switch revision, or migration epoch). */
  readonly revision: number;
  /** When the change was written, epoch milliseconds (for propagation measurements). */
  readonly at: number;
}

const routingChangeSchema = z.object({
  type: z.literal('paymigrate.routing.changed'),
  migrationId: z.string().min(1),
  source: z.enum(['kill-switch', 'migration']),
  revision: z.number().int().nonnegative(),
  at: z.number(),
});

/** The text a routing change is published as (JSON). */
export function encodeRoutingChange(message: Omit<RoutingChangeMessage, 'type'>): string {
  return JSON.stringify({ type: 'paymigrate.routing.changed', ...message });
}

/** Reads a published message; `undefined` when it is not a routing change (other traffic on the channel). */
export function parseRoutingChange(message: string): RoutingChangeMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  const parsed = routingChangeSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A control plane inside one process: for tests, and for a single-process deployment. Messages are
 * delivered asynchronously (a later macrotask, like a network hop), each listener's failure is
 * isolated. `setDelivering(false)` drops messages, to test the polling fallback.
 */
export class InMemoryControlPlaneBroadcast implements ControlPlaneBroadcast {
  readonly #listeners = new Set<{ readonly listener: ControlPlaneListener }>();
  readonly #published: string[] = [];
  #delivering = true;

  /** Every message published, in order (also the dropped ones). */
  get published(): readonly string[] {
    return this.#published;
  }

  /** How many listeners are subscribed. */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Delivers (true, the default) or silently drops (false) published messages. */
  setDelivering(delivering: boolean): void {
    this.#delivering = delivering;
  }

  /** Publishes to every current listener; resolves to their count (0 while dropping). */
  async publish(message: string): Promise<number> {
    this.#published.push(message);
    if (!this.#delivering) return 0;
    const receivers = [...this.#listeners];
    setImmediate(() => {
      for (const { listener } of receivers) {
        try {
          const result = listener(message);
          if (result instanceof Promise) result.catch(() => undefined);
        } catch {
          // One listener's failure never stops the others (as with Redis pub/sub).
        }
      }
    });
    return receivers.length;
  }

  /** Adds a listener; the returned function removes it (idempotent). */
  async subscribe(listener: ControlPlaneListener): Promise<() => Promise<void>> {
    const subscription = { listener };
    this.#listeners.add(subscription);
    return async () => {
      this.#listeners.delete(subscription);
    };
  }
}
