import { randomUUID } from 'node:crypto';
import {
  type CartLine,
  type CommercePlatformV1,
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  type OrderState,
  type PlatformOrder,
  type PlatformPaymentUpdate,
  type PlatformWebhookEvent,
  type ProviderError,
  ResourceNotFoundError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@paymigrate/core';
import { expect } from 'vitest';
import { type ContractContext, type ContractInput, type ContractSuite, runContract, withSubject } from './contract-suite.js';

/** What `seedOrder` must create on the platform. */
export interface CommercePlatformOrderSeed {
  /** Order total. */
  readonly total: Money;
  /** The canonical state the order must be in (the platform statuses that map to it). */
  readonly canonicalState: OrderState;
  /** The customer's id on the platform. */
  readonly customerId?: string | undefined;
  /**
   * The provider that holds the order's payments (the contract's `provider`): seed its payments on
   * that provider's gateway, so recording the contract's captures and refunds on them is the
   * platform's record of that provider's operations, not a payment through another one.
   */
  readonly provider: string;
}

/** What `seedCart` must create on the platform. */
export interface CommercePlatformCartSeed {
  /** Cart currency. */
  readonly currency: string;
  /** Lines. */
  readonly lines: readonly CartLine[];
  /** The customer's id on the platform. */
  readonly customerId?: string | undefined;
}

/** A canonical webhook type the contract asks `signWebhook` to build (every type but `other`). */
export type CommercePlatformContractWebhookType = Exclude<PlatformWebhookEvent['type'], 'other'>;

/** The event a contract asks `signWebhook` (or `forgeWebhook`) to build. */
export interface CommercePlatformContractWebhookEvent {
  /** The platform event id the normalized event must carry. */
  readonly eventId: string;
  /** The canonical type; the builder picks the platform topic for it (`orders/paid`, ...). */
  readonly type: CommercePlatformContractWebhookType;
  /** The order it is about. */
  readonly orderId: string;
}

/** Options of `commercePlatformContract`. */
export interface CommercePlatformContractOptions {
  /** Currency of every test order. */
  readonly currency: string;
  /** Total of every test order, in minor units; at least 2 so it can be halved. */
  readonly totalMinor: bigint;
  /** The provider of every payment update, and the gateway seeded orders are paid through. @default 'memory' */
  readonly provider?: string | undefined;
  /** Creates an order in the given state on the platform (or its fake) and returns its id. */
  readonly seedOrder: (subject: CommercePlatformV1, input: CommercePlatformOrderSeed) => Promise<string>;
  /** Creates a cart and returns its id; the `carts` cases are skipped when absent. */
  readonly seedCart?: ((subject: CommercePlatformV1, input: CommercePlatformCartSeed) => Promise<string>) | undefined;
  /** Builds a correctly signed webhook for this platform. */
  readonly signWebhook: (event: CommercePlatformContractWebhookEvent) => WebhookRequest | Promise<WebhookRequest>;
  /** Builds the same webhook signed with a wrong secret; the forged case is skipped when absent. */
  readonly forgeWebhook?: ((event: CommercePlatformContractWebhookEvent) => WebhookRequest | Promise<WebhookRequest>) | undefined;
  /** Canonical types `signWebhook` can build. @default every type but 'other' */
  readonly webhookEventTypes?: readonly CommercePlatformContractWebhookType[] | undefined;
  /** Whether the platform refuses a key reused with other parameters. @default true */
  readonly idempotencyConflictDetected?: boolean | undefined;
}

/** Context every commerce platform suite receives. */
type PlatformContext = ContractContext<CommercePlatformV1, CommercePlatformContractOptions>;

/** Names of the commerce platform contract suites. */
export type CommercePlatformContractSuiteName = 'orders' | 'payments' | 'cancellation' | 'carts' | 'webhooks';

const defaultWebhookEventTypes: readonly CommercePlatformContractWebhookType[] = [
  'order.created',
  'order.updated',
  'order.cancelled',
  'order.paid',
  'refund.created',
];

/** A fresh idempotency key. */
function newKey(): string {
  return `contract-${randomUUID()}`;
}

/** Runs `action` and returns what it threw; fails the test when it succeeds. */
async function captureError(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the operation to fail, but it succeeded.');
}

/** Asserts a typed provider error of the subject's platform. */
function expectPlatformError(error: unknown, subject: CommercePlatformV1, check: (value: unknown) => boolean, name: string): void {
  expect(check(error), `expected ${name}, got ${String(error)}`).toBe(true);
  expect((error as ProviderError).provider).toBe(subject.platform);
}

/** An amount in the contract's currency. */
function amountOf(context: PlatformContext, minorUnits: bigint): Money {
  return Money.of(minorUnits, context.options.currency);
}

/** The order total. */
function total(context: PlatformContext): Money {
  return amountOf(context, context.options.totalMinor);
}

/** Seeds an order with the contract's total in `canonicalState`. */
function seed(context: PlatformContext, subject: CommercePlatformV1, canonicalState: OrderState): Promise<string> {
  return context.options.seedOrder(subject, { total: total(context), canonicalState, customerId: `customer-${randomUUID()}`, provider: context.options.provider ?? 'memory' });
}

/** Reads an order that must exist. */
async function orderOf(subject: CommercePlatformV1, orderId: string): Promise<PlatformOrder> {
  const order = await subject.getOrder({ orderId });
  expect(order, `order ${orderId} exists`).toBeDefined();
  return order as PlatformOrder;
}

/** A payment update on `orderId`. */
function update(context: PlatformContext, orderId: string, kind: PlatformPaymentUpdate['kind'], amount: Money): PlatformPaymentUpdate {
  return {
    idempotencyKey: newKey(),
    orderId,
    kind,
    amount,
    provider: context.options.provider ?? 'memory',
    providerReference: `payment-${randomUUID()}`,
  };
}

/** Every open order, walking all pages of `limit`. */
async function allOpenOrders(subject: CommercePlatformV1, limit: number, updatedSince?: number): Promise<PlatformOrder[]> {
  const orders: PlatformOrder[] = [];
  let cursor: string | undefined;
  do {
    const page = await subject.listOpenOrders({ limit, cursor, updatedSince });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    orders.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return orders;
}

/** Cases of reading orders. */
const orders: ContractSuite<CommercePlatformV1, CommercePlatformContractOptions> = (context) => {
  const { test } = context;

  test('getOrder answers a seeded order with its total and canonical state', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'payment_pending');
      const order = await orderOf(subject, orderId);
      expect(order.orderId).toBe(orderId);
      expect(order.canonicalState).toBe('payment_pending');
      expect(order.total.toJSON()).toEqual(total(context).toJSON());
      expect(order.platformFinancialStatus.length).toBeGreaterThan(0);
      expect(Number.isFinite(order.updatedAt)).toBe(true);
    }));

  test('getOrder answers undefined for an unknown order', () =>
    withSubject(context, async (subject) => {
      expect(await subject.getOrder({ orderId: `unknown-${randomUUID()}` })).toBeUndefined();
    }));

  test('listOpenOrders pages through open orders oldest change first, each once', () =>
    withSubject(context, async (subject) => {
      const seeded = [
        await seed(context, subject, 'payment_pending'),
        await seed(context, subject, 'authorized'),
        await seed(context, subject, 'partially_paid'),
      ];
      const listed = await allOpenOrders(subject, 1);
      const ids = listed.map((order) => order.orderId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const orderId of seeded) {
        expect(ids).toContain(orderId);
      }
      const times = listed.map((order) => order.updatedAt);
      expect(times).toEqual([...times].sort((left, right) => left - right));
    }));

  test('listOpenOrders leaves out final orders', () =>
    withSubject(context, async (subject) => {
      const cancelled = await seed(context, subject, 'cancelled');
      const refunded = await seed(context, subject, 'refunded');
      const ids = (await allOpenOrders(subject, 50)).map((order) => order.orderId);
      expect(ids).not.toContain(cancelled);
      expect(ids).not.toContain(refunded);
    }));

  test('listOpenOrders honours updatedSince', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'payment_pending');
      const { updatedAt } = await orderOf(subject, orderId);
      expect((await allOpenOrders(subject, 50, updatedAt)).map((order) => order.orderId)).toContain(orderId);
      expect((await allOpenOrders(subject, 50, updatedAt + 1)).map((order) => order.orderId)).not.toContain(orderId);
    }));
};

/** Cases of `recordPayment`. */
const payments: ContractSuite<CommercePlatformV1, CommercePlatformContractOptions> = (context) => {
  const { test, options } = context;

  test('recording an authorization makes the order authorized, with the transaction', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'payment_pending');
      const input = update(context, orderId, 'authorization', total(context));
      const order = await subject.recordPayment(input);
      expect(order.canonicalState).toBe('authorized');
      const transaction = order.transactions.at(-1);
      expect(transaction).toMatchObject({ kind: 'authorization', status: 'success', gateway: input.provider });
      expect(transaction?.amount.toJSON()).toEqual(total(context).toJSON());
      expect((await orderOf(subject, orderId)).canonicalState).toBe('authorized');
    }));

  test('a full capture makes the order paid', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      expect((await subject.recordPayment(update(context, orderId, 'capture', total(context)))).canonicalState).toBe('paid');
    }));

  test('partial captures make the order partially paid, then paid', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      const half = amountOf(context, options.totalMinor / 2n);
      expect((await subject.recordPayment(update(context, orderId, 'capture', half))).canonicalState).toBe('partially_paid');
      const rest = total(context).subtract(half);
      expect((await subject.recordPayment(update(context, orderId, 'capture', rest))).canonicalState).toBe('paid');
    }));

  test('refunds make a paid order partially refunded, then refunded', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      await subject.recordPayment(update(context, orderId, 'capture', total(context)));
      const half = amountOf(context, options.totalMinor / 2n);
      expect((await subject.recordPayment(update(context, orderId, 'refund', half))).canonicalState).toBe('partially_refunded');
      const rest = total(context).subtract(half);
      const order = await subject.recordPayment(update(context, orderId, 'refund', rest));
      expect(order.canonicalState).toBe('refunded');
      expect(order.transactions.filter((transaction) => transaction.kind === 'refund')).toHaveLength(2);
    }));

  test('a void of an authorized order cancels it', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      expect((await subject.recordPayment(update(context, orderId, 'void', total(context)))).canonicalState).toBe('cancelled');
    }));

  test('replaying a payment update records it once', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      const input = update(context, orderId, 'capture', amountOf(context, options.totalMinor / 2n));
      const first = await subject.recordPayment(input);
      const second = await subject.recordPayment(input);
      expect(second.transactions).toHaveLength(first.transactions.length);
      expect(second.canonicalState).toBe('partially_paid');
    }));

  test('reusing a key with other parameters is an IdempotencyConflictError', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.idempotencyConflictDetected === false) {
        return skip(`${subject.platform} does not detect a key reused with other parameters (idempotencyConflictDetected: false)`);
      }
      const orderId = await seed(context, subject, 'authorized');
      const input = update(context, orderId, 'capture', amountOf(context, 1n));
      await subject.recordPayment(input);
      const error = await captureError(() => subject.recordPayment({ ...input, amount: amountOf(context, 2n) }));
      expectPlatformError(error, subject, IdempotencyConflictError.isInstance, 'IdempotencyConflictError');
    }));

  test('refunding an order with nothing captured is an InvalidRequestError and changes nothing', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      const before = await orderOf(subject, orderId);
      const error = await captureError(() => subject.recordPayment(update(context, orderId, 'refund', total(context))));
      expectPlatformError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      const after = await orderOf(subject, orderId);
      expect(after.canonicalState).toBe('authorized');
      expect(after.transactions).toHaveLength(before.transactions.length);
    }));

  test('capturing more than the order total is an InvalidRequestError', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      const error = await captureError(() => subject.recordPayment(update(context, orderId, 'capture', amountOf(context, options.totalMinor + 1n))));
      expectPlatformError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
      expect((await orderOf(subject, orderId)).canonicalState).toBe('authorized');
    }));

  test('recording a payment on an unknown order is a ResourceNotFoundError', () =>
    withSubject(context, async (subject) => {
      const error = await captureError(() => subject.recordPayment(update(context, `unknown-${randomUUID()}`, 'capture', total(context))));
      expectPlatformError(error, subject, ResourceNotFoundError.isInstance, 'ResourceNotFoundError');
    }));
};

/** Cases of `cancelOrder`. */
const cancellation: ContractSuite<CommercePlatformV1, CommercePlatformContractOptions> = (context) => {
  const { test } = context;

  test('cancelling an open order makes it cancelled with the time', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'payment_pending');
      const order = await subject.cancelOrder({ idempotencyKey: newKey(), orderId, reason: 'customer', staffNote: 'contract' });
      expect(order.canonicalState).toBe('cancelled');
      expect(order.cancelledAt).toBeDefined();
      expect((await orderOf(subject, orderId)).canonicalState).toBe('cancelled');
    }));

  test('replaying a cancellation answers the cancelled order again', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'authorized');
      const input = { idempotencyKey: newKey(), orderId, reason: 'declined' } as const;
      const first = await subject.cancelOrder(input);
      const second = await subject.cancelOrder(input);
      expect(second.canonicalState).toBe('cancelled');
      expect(second.cancelledAt).toBe(first.cancelledAt);
    }));

  test('cancelling a cancelled order again (new key) is an InvalidRequestError', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'cancelled');
      const error = await captureError(() => subject.cancelOrder({ idempotencyKey: newKey(), orderId, reason: 'other' }));
      expectPlatformError(error, subject, InvalidRequestError.isInstance, 'InvalidRequestError');
    }));

  test('cancelling an unknown order is a ResourceNotFoundError', () =>
    withSubject(context, async (subject) => {
      const error = await captureError(() => subject.cancelOrder({ idempotencyKey: newKey(), orderId: `unknown-${randomUUID()}`, reason: 'other' }));
      expectPlatformError(error, subject, ResourceNotFoundError.isInstance, 'ResourceNotFoundError');
    }));
};

/** Cases of `getCart`. */
const carts: ContractSuite<CommercePlatformV1, CommercePlatformContractOptions> = (context) => {
  const { test, options } = context;

  test('getCart answers a seeded cart with its lines', ({ skip }) =>
    withSubject(context, async (subject) => {
      if (options.seedCart === undefined) {
        return skip('no seedCart given: this platform does not expose carts');
      }
      const lines: CartLine[] = [
        { sku: 'SKU-1', quantity: 2, unitPrice: amountOf(context, 500n), title: 'First' },
        { sku: 'SKU-2', quantity: 1, unitPrice: amountOf(context, 250n) },
      ];
      const cartId = await options.seedCart(subject, { currency: options.currency, lines, customerId: 'customer-cart' });
      const cart = await subject.getCart({ cartId });
      expect(cart?.cartId).toBe(cartId);
      expect(cart?.currency).toBe(options.currency);
      expect(cart?.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice.toJSON() }))).toEqual(
        lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice.toJSON() })),
      );
    }));

  test('getCart answers undefined for an unknown cart', () =>
    withSubject(context, async (subject) => {
      expect(await subject.getCart({ cartId: `unknown-${randomUUID()}` })).toBeUndefined();
    }));
};

/** A webhook event about `orderId` with a fresh event id. */
function webhookEvent(orderId: string, type: CommercePlatformContractWebhookType = 'order.updated'): CommercePlatformContractWebhookEvent {
  return { eventId: `event-${randomUUID()}`, type, orderId };
}

/** Cases of `verifyWebhook`. */
const webhooks: ContractSuite<CommercePlatformV1, CommercePlatformContractOptions> = (context) => {
  const { test, options } = context;

  for (const type of options.webhookEventTypes ?? defaultWebhookEventTypes) {
    test(`a valid ${type} webhook is accepted and normalized`, () =>
      withSubject(context, async (subject) => {
        const orderId = await seed(context, subject, 'payment_pending');
        const event = webhookEvent(orderId, type);
        const verified = await subject.verifyWebhook(await options.signWebhook(event));
        expect(verified.eventId).toBe(event.eventId);
        expect(verified.type).toBe(type);
        expect(verified.topic.length).toBeGreaterThan(0);
        expect(verified.orderId).toBe(orderId);
        expect(Number.isFinite(verified.occurredAt)).toBe(true);
      }));
  }

  test('a webhook whose body was altered is rejected (signature-mismatch)', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'payment_pending');
      const request = await options.signWebhook(webhookEvent(orderId));
      const rawBody = request.rawBody.includes(orderId) ? request.rawBody.replaceAll(orderId, `${orderId}x`) : `${request.rawBody} `;
      const error = await captureError(() => subject.verifyWebhook({ ...request, rawBody }));
      expect(WebhookVerificationError.isInstance(error), `expected WebhookVerificationError, got ${String(error)}`).toBe(true);
      expect((error as WebhookVerificationError).reason).toBe('signature-mismatch');
      expect((error as WebhookVerificationError).source).toBe(subject.platform);
    }));

  test('a webhook signed with another secret is rejected (signature-mismatch)', ({ skip }) =>
    withSubject(context, async (subject) => {
      const forge = options.forgeWebhook;
      if (forge === undefined) {
        return skip('no forgeWebhook given for this platform');
      }
      const orderId = await seed(context, subject, 'payment_pending');
      const error = await captureError(async () => subject.verifyWebhook(await forge(webhookEvent(orderId))));
      expect(WebhookVerificationError.isInstance(error), `expected WebhookVerificationError, got ${String(error)}`).toBe(true);
      expect((error as WebhookVerificationError).reason).toBe('signature-mismatch');
    }));

  test('a webhook delivered twice normalizes to the same event id', () =>
    withSubject(context, async (subject) => {
      const orderId = await seed(context, subject, 'payment_pending');
      const request = await options.signWebhook(webhookEvent(orderId));
      const first = await subject.verifyWebhook(request);
      expect((await subject.verifyWebhook(request)).eventId).toBe(first.eventId);
    }));
};

/** The commerce platform contract, suite by suite. */
export const commercePlatformContractSuites: Readonly<
  Record<CommercePlatformContractSuiteName, ContractSuite<CommercePlatformV1, CommercePlatformContractOptions>>
> = {
  orders,
  payments,
  cancellation,
  carts,
  webhooks,
};

/** Registers the whole commerce platform contract; each case runs on a fresh subject from `create`. */
export function commercePlatformContract(
  input: ContractInput<CommercePlatformV1, CommercePlatformContractOptions, CommercePlatformContractSuiteName>,
): void {
  if (input.options.totalMinor < 2n) {
    throw new TypeError(`commercePlatformContract: totalMinor must be at least 2 (it is halved), got ${input.options.totalMinor}.`);
  }
  runContract('CommercePlatform', commercePlatformContractSuites, input);
}
