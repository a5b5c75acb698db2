import type { Logger, PaymentGatewayV1, TransactionStateManager } from '@paymigrate/core';
import type { SupportedProvider } from '../config/config-schema.js';
import type { WorldClient } from './world/world-client.js';

/** Deliveries of one webhook before it is acknowledged whatever the outcome (PayPal retries 25 times). */
const maximumDeliveries = 25;

/** What the pump has done. */
export interface WebhookPumpFigures {
  /** Webhooks applied to a payment. */
  readonly applied: number;
  /** Webhooks acknowledged without a change (duplicates, events paymigrate does not act on, world payments). */
  readonly ignored: number;
  /** Webhooks whose signature did not verify. */
  readonly rejected: number;
}

/** Delivers the providers' webhooks to the Transaction State Manager, as a provider's delivery loop would. */
export interface WebhookPump {
  /** Delivers everything pending once; resolves with how many webhooks are still queued. */
  deliverOnce(): Promise<number>;
  /** Delivers every `intervalMs` until stopped. */
  start(intervalMs: number): void;
  /** Stops the loop and waits for the delivery in progress. */
  stop(): Promise<void>;
  /** Figures so far. */
  figures(): WebhookPumpFigures;
}

/**
 * Creates the webhook pump: fetches each provider's queued webhooks from the world, verifies them
 * with the gateway's real scheme, applies them with `applyProviderEvent`, and acknowledges them.
 * An event that cannot be applied yet (`unknown_payment`, `deferred`: the payment's own answer is
 * not journaled yet) stays queued and is delivered again, up to 25 times, like a provider retries.
 */
export function createWebhookPump(options: {
  readonly world: WorldClient;
  readonly gateways: ReadonlyMap<string, PaymentGatewayV1>;
  readonly transactions: TransactionStateManager;
  readonly logger: Logger;
}): WebhookPump {
  const attempts = new Map<string, number>();
  let applied = 0;
  let ignored = 0;
  let rejected = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  const deliverProvider = async (provider: string, gateway: PaymentGatewayV1): Promise<number> => {
    const queued = await options.world.call('webhooks', { provider: provider as SupportedProvider, limit: 500 });
    const done: number[] = [];
    for (const webhook of queued) {
      const key = `${provider}:${webhook.sequence}`;
      const delivery = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, delivery);
      let finished = true;
      try {
        const event = await gateway.verifyWebhook(webhook.request);
        const result = await options.transactions.applyProviderEvent(event);
        if (result.status === 'applied') applied += 1;
        else if (result.status === 'unknown_payment' || result.status === 'deferred') finished = delivery >= maximumDeliveries;
        else ignored += 1;
        if (finished && (result.status === 'unknown_payment' || result.status === 'deferred')) ignored += 1;
      } catch (error) {
        rejected += 1;
        options.logger.warn({ provider, sequence: webhook.sequence, error: error instanceof Error ? error.message : String(error) }, 'webhook not applied');
        finished = delivery >= maximumDeliveries;
      }
      if (finished) {
        done.push(webhook.sequence);
        attempts.delete(key);
      }
    }
    if (done.length === 0) return queued.length;
    return (await options.world.call('acknowledgeWebhooks', { provider: provider as SupportedProvider, sequences: done })).remaining;
  };

  const deliverOnce = (): Promise<number> => {
    running ??= (async () => {
      let remaining = 0;
      for (const [provider, gateway] of options.gateways) remaining += await deliverProvider(provider, gateway);
      return remaining;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const loop = (intervalMs: number): void => {
    timer = setTimeout(() => {
      void deliverOnce()
        .catch((error: unknown) => options.logger.error({ error: error instanceof Error ? error.message : String(error) }, 'webhook delivery failed'))
        .finally(() => {
          if (!stopped) loop(intervalMs);
        });
    }, intervalMs);
  };

  return {
    deliverOnce,
    start(intervalMs) {
      if (!stopped) return;
      stopped = false;
      loop(intervalMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
    figures: () => ({ applied, ignored, rejected }),
  };
}
