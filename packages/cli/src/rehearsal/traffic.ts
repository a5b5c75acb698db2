import { Money, type SessionStoreV1, type TransactionResult } from '@paymigrate/core';
import { createSeededRandom, type SeededRandom } from '@paymigrate/testkit';
import type { SupportedProvider } from '../config/config-schema.js';
import type { PaymigrateRuntime } from '../runtime/runtime.js';
import type { CustomerCard, CustomerDirectory } from './customer-directory.js';
import type { WorldClient } from './world/world-client.js';
import { sessionTimeToLiveSeconds } from './world/world-seed.js';

/** Counts of the traffic so far (this run). */
export interface TrafficSnapshot {
  /** Checkouts started. */
  readonly started: number;
  /** Checkouts acknowledged to the customer (authorized). */
  readonly acknowledged: number;
  /** Checkouts declined. */
  readonly declined: number;
  /** Checkouts without a final answer at the time (recovery resolves them; the customer saw "processing"). */
  readonly unresolved: number;
  /** Subscription renewals charged. */
  readonly renewals: number;
  /** Acknowledged checkouts by provider. */
  readonly byProvider: Readonly<Record<string, number>>;
  /** Cards customers saved at checkout (the delta the bulk token export missed). */
  readonly cardsSaved: number;
}

/** Concurrent customers checking out through the Transaction State Manager. */
export interface CheckoutTraffic {
  /** Starts the customers. */
  start(): void;
  /** Stops starting checkouts and waits for those in flight. */
  stop(): Promise<void>;
  /** Counts so far. */
  snapshot(): TrafficSnapshot;
  /** Resolves once `count` more checkouts were acknowledged (or `timeoutMs` passed). */
  waitForCheckouts(count: number, timeoutMs: number): Promise<void>;
  /** Whether it runs. */
  running(): boolean;
}

/** Options of `createCheckoutTraffic`. */
export interface CheckoutTrafficOptions {
  /** The engines. */
  readonly runtime: PaymigrateRuntime;
  /** The world (orders, receipts, new cards). */
  readonly world: WorldClient;
  /** The shop's customers and their tokens. */
  readonly customers: CustomerDirectory;
  /** The live session store. */
  readonly sessions: SessionStoreV1;
  /** This run's number: payment ids are `c<run>-<n>`, so a resumed run never reuses one. */
  readonly run: number;
  /** Seed (mixed with the run number). */
  readonly seed: number;
  /** Concurrent customers. */
  readonly concurrency: number;
  /** Currency of every checkout. */
  readonly currency: string;
  /** The old provider (where new cards are saved while the bulk export runs). */
  readonly fromProvider: SupportedProvider;
  /** Called when a payment fails unexpectedly (an error, not a decline). */
  readonly onError: (error: unknown) => void;
}

/** Share of checkouts where the customer enters and saves a new card at the old provider. */
const newCardShare = 0.04;

/** Share of iterations that charge a subscription renewal instead of a checkout. */
const renewalShare = 0.06;

/** Share of checkouts captured at once (the rest ship later: captured in the drain). */
const immediateCaptureShare = 0.8;

/** Pads a number to six digits. */
function pad(value: number): string {
  return String(value).padStart(6, '0');
}

/** Creates the checkout traffic (not started). */
export function createCheckoutTraffic(options: CheckoutTrafficOptions): CheckoutTraffic {
  const { runtime, world, customers, sessions } = options;
  const random: SeededRandom = createSeededRandom(options.seed * 7919 + options.run);
  let nextNumber = 1;
  let stopped = true;
  let workers: Promise<void>[] = [];
  let started = 0;
  let acknowledged = 0;
  let declined = 0;
  let unresolved = 0;
  let renewals = 0;
  let cardsSaved = 0;
  const byProvider: Record<string, number> = {};
  let waiters: { target: number; resolve: () => void }[] = [];

  const acknowledge = (provider: string): void => {
    acknowledged += 1;
    byProvider[provider] = (byProvider[provider] ?? 0) + 1;
    waiters = waiters.filter((waiter) => {
      if (acknowledged < waiter.target) return true;
      waiter.resolve();
      return false;
    });
  };

  const pickCustomer = () => {
    const list = customers.all();
    return list[random.integer(0, list.length - 1)];
  };

  const writeSession = async (customerId: string, checkout: Record<string, unknown>): Promise<void> => {
    const value = JSON.stringify({
      schemaVersion: 2,
      customerId,
      cart: { currency: options.currency, lines: [] },
      preferences: { language: 'en' },
      checkout,
      updatedAt: Date.now(),
    });
    await sessions.set(`session:live-${customerId}`, value, { ttlSeconds: sessionTimeToLiveSeconds });
  };

  const receipt = async (result: TransactionResult, kind: 'checkout' | 'renewal', latencyMs: number): Promise<void> => {
    const payment = result.payment;
    await world.call('acknowledge', {
      paymentId: payment.paymentId,
      merchantReference: payment.merchantReference,
      provider: payment.provider,
      providerReference: payment.providerReference,
      amount: payment.amount.toJSON(),
      orderId: payment.orderId,
      customerId: payment.customerId,
      kind,
      latencyMs,
      acknowledgedAt: Date.now(),
    });
  };

  const checkout = async (number: number): Promise<void> => {
    const customer = pickCustomer();
    if (customer === undefined) return;
    const paymentId = `c${options.run}-${pad(number)}`;
    const orderId = `web-${options.run}-${pad(number)}`;
    const merchantReference = `ref-${paymentId}`;
    const amount = Money.of(random.integer(300, 25_000) * 10, options.currency);
    const savesNewCard = random.next() < newCardShare;
    const capturesNow = random.next() < immediateCaptureShare;
    await world.call('createOrder', { orderId, customerId: customer.customerId, total: amount.toJSON() });
    await writeSession(customer.customerId, { step: 'payment', paymentId });
    started += 1;
    const startedAt = performance.now();
    const decision = await runtime.routing.decide({ paymentId, merchantReference, amount, currency: options.currency, customerId: customer.customerId });
    const provider = decision.provider as SupportedProvider;
    let card = customers.cardAt(customer.customerId, provider);
    let savePaymentMethod = false;
    if (card === undefined || (savesNewCard && provider === options.fromProvider)) {
      const saved = await world.call('saveCard', { provider, customerId: customer.customerId, customerReference: card?.customerReference });
      card = { ...saved, savedAt: Date.now(), origin: 'customer' };
      await customers.saveCard(customer.customerId, card);
      savePaymentMethod = true;
      cardsSaved += 1;
    }
    const result = await runtime.transactions.authorize({
      paymentId,
      merchantReference,
      orderId,
      amount,
      paymentMethodToken: card.token,
      customerId: customer.customerId,
      customerReference: card.customerReference,
      captureMethod: 'manual',
      savePaymentMethod,
      cardBrand: card.card.brand,
    });
    const latencyMs = performance.now() - startedAt;
    if (result.status === 'failed') {
      declined += 1;
      return;
    }
    if (result.status !== 'succeeded' || result.payment.state !== 'authorized') {
      unresolved += 1;
      return;
    }
    await receipt(result, 'checkout', latencyMs);
    acknowledge(result.payment.provider);
    await writeSession(customer.customerId, { step: 'review', paymentId, provider: result.payment.provider, providerReference: result.payment.providerReference });
    if (capturesNow) await runtime.transactions.capture({ paymentId, sequence: 1 });
  };

  const renewal = async (number: number): Promise<void> => {
    const subscribed = customers.all().filter((customer) => customer.subscription !== undefined);
    const customer = subscribed[random.integer(0, Math.max(0, subscribed.length - 1))];
    if (customer?.subscription === undefined) return;
    const paymentId = `r${options.run}-${pad(number)}`;
    const amount = Money.fromJSON(customer.subscription);
    const startedAt = performance.now();
    // The router sends a renewal to the provider holding the token (unless the kill switch holds everything on the old one).
    const decision = await runtime.routing.decide({
      paymentId,
      merchantReference: `ref-${paymentId}`,
      amount,
      currency: amount.currency,
      customerId: customer.customerId,
      isRenewal: true,
    });
    const stored = decision.storedPaymentMethod?.provider === decision.provider ? decision.storedPaymentMethod : undefined;
    const fallback: CustomerCard | undefined = stored === undefined ? customers.cardAt(customer.customerId, decision.provider) : undefined;
    const token = stored?.token ?? fallback?.token;
    const customerReference = stored?.customerReference ?? fallback?.customerReference;
    if (token === undefined || customerReference === undefined) return;
    const result = await runtime.transactions.chargeStoredPaymentMethod({
      paymentId,
      merchantReference: `ref-${paymentId}`,
      amount,
      provider: decision.provider,
      paymentMethodToken: token,
      customerReference,
      networkTransactionId: stored?.networkTransactionId ?? fallback?.networkTransactionId,
      reason: 'subscription',
      customerId: customer.customerId,
    });
    if (result.status === 'succeeded' && result.payment.capturedAmount.isPositive()) {
      await receipt(result, 'renewal', performance.now() - startedAt);
      renewals += 1;
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      const number = nextNumber;
      nextNumber += 1;
      try {
        if (random.next() < renewalShare) await renewal(number);
        else await checkout(number);
      } catch (error) {
        options.onError(error);
      }
    }
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      workers = Array.from({ length: options.concurrency }, () => worker());
    },
    async stop() {
      stopped = true;
      await Promise.all(workers);
      workers = [];
      for (const waiter of waiters) waiter.resolve();
      waiters = [];
    },
    snapshot: () => ({ started, acknowledged, declined, unresolved, renewals, byProvider: { ...byProvider }, cardsSaved }),
    waitForCheckouts(count, timeoutMs) {
      if (stopped) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        waiters.push({
          target: acknowledged + count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    running: () => !stopped,
  };
}
