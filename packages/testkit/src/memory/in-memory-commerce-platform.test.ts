import {
  type CallOptions,
  InvalidRequestError,
  Money,
  type PlatformOrder,
  type PlatformPaymentUpdate,
  ProviderUnavailableError,
  RateLimitedError,
  type ResourceNotFoundError,
  UnknownOutcomeError,
  WebhookVerificationError,
} from '@paymigrate/core';
import { describe, expect, it, test, type TestContext } from 'vitest';
import { type ContractTest, runContract } from '../contracts/contract-suite.js';
import {
  commercePlatformContract,
  commercePlatformContractSuites,
  type CommercePlatformContractOptions,
  type CommercePlatformContractWebhookType,
} from '../contracts/commerce-platform-contract.js';
import {
  InMemoryCommercePlatform,
  inMemoryDefaultPlatformWebhookSecret,
  inMemoryPlatformWebhookHeaders,
  signInMemoryPlatformWebhook,
} from './in-memory-commerce-platform.js';
import { ManualClock } from './manual-clock.js';

const topics: Readonly<Record<CommercePlatformContractWebhookType, string>> = {
  'order.created': 'orders/create',
  'order.updated': 'orders/updated',
  'order.cancelled': 'orders/cancelled',
  'order.paid': 'orders/paid',
  'refund.created': 'refunds/create',
};

let seeded = 0;

const contractOptions: CommercePlatformContractOptions = {
  currency: 'EUR',
  totalMinor: 5000n,
  provider: 'stripe',
  seedOrder: async (subject, input) => {
    seeded += 1;
    const orderId = `order-${seeded}`;
    (subject as InMemoryCommercePlatform).addOrder({ orderId, ...input });
    return orderId;
  },
  seedCart: async (subject, input) => {
    seeded += 1;
    const cartId = `cart-${seeded}`;
    (subject as InMemoryCommercePlatform).addCart({ cartId, ...input });
    return cartId;
  },
  signWebhook: (event) =>
    signInMemoryPlatformWebhook(inMemoryDefaultPlatformWebhookSecret, { eventId: event.eventId, topic: topics[event.type], body: { orderId: event.orderId } }),
  forgeWebhook: (event) => signInMemoryPlatformWebhook('shpss_forged', { eventId: event.eventId, topic: topics[event.type], body: { orderId: event.orderId } }),
};

describe('full options', () => {
  commercePlatformContract({ test, create: () => new InMemoryCommercePlatform(), options: contractOptions });
});

describe('minimal options', () => {
  commercePlatformContract({
    test,
    create: () => new InMemoryCommercePlatform({ platform: 'shopify-memory' }),
    options: {
      currency: 'JPY',
      totalMinor: 2n,
      seedOrder: contractOptions.seedOrder,
      signWebhook: contractOptions.signWebhook,
      webhookEventTypes: ['order.paid'],
      idempotencyConflictDetected: false,
    },
    optOuts: { orders: 'covered by the full run; this run checks the option-gated skips' },
  });
});

describe('webhooks whose body does not contain the order id literally', () => {
  runContract(
    'CommercePlatform',
    { webhooks: commercePlatformContractSuites.webhooks },
    {
      test,
      create: () => new InMemoryCommercePlatform(),
      options: {
        ...contractOptions,
        signWebhook: (event) => {
          const escaped = [...event.orderId].map((character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
          return signInMemoryPlatformWebhook(inMemoryDefaultPlatformWebhookSecret, {
            eventId: event.eventId,
            topic: topics[event.type],
            body: `{"orderId":"${escaped}"}`,
          });
        },
      },
    },
  );
});

/** A platform that records anything: the contract must catch it. */
class AcceptingPlatform extends InMemoryCommercePlatform {
  override async recordPayment(input: PlatformPaymentUpdate, options?: CallOptions): Promise<PlatformOrder> {
    const order = await this.getOrder({ orderId: input.orderId }, options);
    return order ?? this.addOrder({ orderId: input.orderId, total: input.amount });
  }
}

describe('the commerce platform contract catches broken adapters', () => {
  it('fails a platform that accepts impossible payment updates', async () => {
    const cases = new Map<string, (context: TestContext) => Promise<void>>();
    const recorder = (name: string, body: (context: TestContext) => Promise<void>): void => {
      cases.set(name, body);
    };
    commercePlatformContractSuites.payments({ test: recorder as unknown as ContractTest, create: () => new AcceptingPlatform(), options: contractOptions });
    const body = cases.get('capturing more than the order total is an InvalidRequestError');
    await expect(body?.({} as TestContext)).rejects.toThrow('Expected the operation to fail, but it succeeded.');
  });
});

describe('commercePlatformContract', () => {
  it('refuses a total too small to halve', () => {
    expect(() => commercePlatformContract({ test, create: () => new InMemoryCommercePlatform(), options: { ...contractOptions, totalMinor: 1n } })).toThrow(
      /at least 2/,
    );
  });
});

describe('InMemoryCommercePlatform', () => {
  const eur = (minorUnits: number): Money => Money.of(minorUnits, 'EUR');
  const payment = { idempotencyKey: 'pay-1', orderId: 'order-1', provider: 'adyen', providerReference: 'psp_1' } as const;

  function platformWithOrder(state: Parameters<InMemoryCommercePlatform['addOrder']>[0]['canonicalState'] = 'authorized') {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const platform = new InMemoryCommercePlatform({ clock });
    platform.addOrder({ orderId: 'order-1', total: eur(1000), canonicalState: state, name: '#1001' });
    return { platform, clock };
  }

  async function refusal(action: Promise<unknown>): Promise<InvalidRequestError> {
    const error = await action.catch((caught: unknown) => caught);
    expect(InvalidRequestError.isInstance(error), String(error)).toBe(true);
    return error as InvalidRequestError;
  }

  describe('recordPayment', () => {
    it('records the operation reference, the time and the upper-case platform status', async () => {
      const { platform, clock } = platformWithOrder();
      await clock.advance(1000);
      const order = await platform.recordPayment({ ...payment, kind: 'capture', amount: eur(400), operationReference: 'capture_1' });
      expect(order).toMatchObject({ canonicalState: 'partially_paid', platformFinancialStatus: 'PARTIALLY_PAID', name: '#1001', updatedAt: clock.now() });
      expect(order.transactions).toEqual([
        { id: 'txn_memory_000001', kind: 'capture', status: 'success', amount: eur(400), gateway: 'adyen', providerReference: 'capture_1', createdAt: clock.now() },
      ]);
    });

    it('a void of a partially paid order releases the rest and keeps it partially paid', async () => {
      const { platform } = platformWithOrder();
      await platform.recordPayment({ ...payment, kind: 'capture', amount: eur(400) });
      const order = await platform.recordPayment({ ...payment, idempotencyKey: 'pay-2', kind: 'void', amount: eur(600) });
      expect(order.canonicalState).toBe('partially_paid');
      expect(order.cancelledAt).toBeUndefined();
    });

    it('refuses a void of an order that holds no authorization', async () => {
      const { platform } = platformWithOrder('payment_pending');
      const error = await refusal(platform.recordPayment({ ...payment, kind: 'void', amount: eur(1000) }));
      expect(error.message).toMatch(/order 'order-1': it is payment_pending/);
      expect(error.parameter).toBe('kind');
    });

    it('names the order and the states of a refused transition', async () => {
      const { platform } = platformWithOrder('refunded');
      const error = await refusal(platform.recordPayment({ ...payment, kind: 'authorization', amount: eur(1000) }));
      expect(error.message).toContain("Cannot record an authorization on order 'order-1': it is refunded, and refunded -> authorized is not allowed (allowed: none, it is final)");
      const capture = await refusal(platformWithOrder('failed').platform.recordPayment({ ...payment, kind: 'capture', amount: eur(1) }));
      expect(capture.message).toContain('(allowed: payment_pending, cancelled)');
    });

    it('refuses another currency, non-positive amounts and refunds beyond the captured amount', async () => {
      const { platform } = platformWithOrder();
      expect((await refusal(platform.recordPayment({ ...payment, kind: 'capture', amount: Money.of(1000, 'USD') }))).parameter).toBe('amount');
      expect((await refusal(platform.recordPayment({ ...payment, kind: 'capture', amount: eur(0) }))).parameter).toBe('amount');
      await platform.recordPayment({ ...payment, kind: 'capture', amount: eur(1000) });
      const overRefund = await refusal(platform.recordPayment({ ...payment, idempotencyKey: 'pay-2', kind: 'refund', amount: eur(1001) }));
      expect(overRefund.message).toMatch(/0.00 EUR of the 10.00 EUR captured is already refunded/);
    });

    it('replays answer the order as it is now', async () => {
      const { platform } = platformWithOrder();
      const input = { ...payment, kind: 'capture', amount: eur(1000) } as const;
      await platform.recordPayment(input);
      await platform.recordPayment({ ...payment, idempotencyKey: 'pay-2', kind: 'refund', amount: eur(100) });
      expect((await platform.recordPayment(input)).canonicalState).toBe('partially_refunded');
    });

    it('keeps seeded transactions and counts only successful ones', async () => {
      const platform = new InMemoryCommercePlatform();
      platform.addOrder({
        orderId: 'order-1',
        total: eur(1000),
        canonicalState: 'partially_paid',
        updatedAt: 5,
        transactions: [
          { id: 't1', kind: 'capture', status: 'success', amount: eur(600), gateway: 'stripe', createdAt: 1 },
          { id: 't2', kind: 'capture', status: 'failure', amount: eur(400), gateway: 'stripe', createdAt: 2 },
        ],
      });
      const order = await platform.recordPayment({ ...payment, kind: 'capture', amount: eur(400) });
      expect(order.canonicalState).toBe('paid');
      expect(order.transactions).toHaveLength(3);
      expect(platform.orders()).toEqual([order]);
    });
  });

  describe('listOpenOrders', () => {
    it('breaks updatedAt ties by order id and pages with an opaque cursor', async () => {
      const platform = new InMemoryCommercePlatform();
      for (const orderId of ['b', 'a', 'c']) {
        platform.addOrder({ orderId, total: eur(1), updatedAt: 10 });
      }
      platform.addOrder({ orderId: 'z', total: eur(1), updatedAt: 5 });
      const first = await platform.listOpenOrders({ limit: 2 });
      expect(first.items.map((order) => order.orderId)).toEqual(['z', 'a']);
      const second = await platform.listOpenOrders({ limit: 2, cursor: first.nextCursor });
      expect(second.items.map((order) => order.orderId)).toEqual(['b', 'c']);
      expect(second.nextCursor).toBeUndefined();
      platform.addOrder({ orderId: 'a', total: eur(1), updatedAt: 10 });
      expect((await platform.listOpenOrders({ limit: 250, cursor: first.nextCursor })).items.map((order) => order.orderId)).toEqual(['b', 'c']);
    });

    it.each([0, 251, 1.5])('refuses limit %s', async (limit) => {
      const error = await refusal(new InMemoryCommercePlatform().listOpenOrders({ limit }));
      expect(error.parameter).toBe('limit');
    });

    it.each(['%%%', Buffer.from('[]').toString('base64url'), Buffer.from('{"updatedAt":"1","orderId":"a"}').toString('base64url')])(
      'refuses a cursor it did not issue (%s)',
      async (cursor) => {
        expect((await refusal(new InMemoryCommercePlatform().listOpenOrders({ limit: 1, cursor }))).parameter).toBe('cursor');
      },
    );
  });

  describe('carts and orders', () => {
    it('seeds carts with the clock time and answers undefined for unknown orders', async () => {
      const clock = new ManualClock(1_000);
      const platform = new InMemoryCommercePlatform({ clock });
      const cart = platform.addCart({ cartId: 'cart-1', currency: 'EUR', lines: [{ sku: 'A', quantity: 1, unitPrice: eur(100) }] });
      expect(cart.updatedAt).toBe(1_000);
      expect(await platform.getCart({ cartId: 'cart-1' })).toBe(cart);
      expect(await platform.getOrder({ orderId: 'missing' })).toBeUndefined();
      const missing = await platform.cancelOrder({ idempotencyKey: 'c', orderId: 'missing', reason: 'other' }).catch((caught: unknown) => caught);
      expect((missing as ResourceNotFoundError).resource).toBe('order missing');
    });
  });

  describe('fault injection', () => {
    it('setAvailable(false) fails every call but verifyWebhook, applying nothing', async () => {
      const { platform } = platformWithOrder();
      platform.setAvailable(false);
      await expect(platform.recordPayment({ ...payment, kind: 'capture', amount: eur(1000) })).rejects.toSatisfy(ProviderUnavailableError.isInstance);
      await expect(platform.getOrder({ orderId: 'order-1' })).rejects.toSatisfy(ProviderUnavailableError.isInstance);
      expect((await platform.verifyWebhook(platform.signWebhook({ eventId: 'e1', topic: 'orders/paid', orderId: 'order-1' }))).type).toBe('order.paid');
      platform.setAvailable(true);
      expect((await platform.getOrder({ orderId: 'order-1' }))?.transactions).toEqual([]);
    });

    it('failNext throws queued errors before anything is applied; an aborted signal is an unknown outcome', async () => {
      const { platform } = platformWithOrder();
      const throttled = new RateLimitedError('slow down', { provider: 'memory', retryAfterMs: 10 });
      platform.failNext('recordPayment', throttled);
      await expect(platform.recordPayment({ ...payment, kind: 'capture', amount: eur(1000) })).rejects.toBe(throttled);
      const controller = new AbortController();
      controller.abort();
      await expect(platform.cancelOrder({ idempotencyKey: 'c', orderId: 'order-1', reason: 'other' }, { signal: controller.signal })).rejects.toSatisfy(
        UnknownOutcomeError.isInstance,
      );
      await expect(platform.verifyWebhook(platform.signWebhook({ eventId: 'e1', topic: 'x' }), { signal: controller.signal })).rejects.toSatisfy(
        ProviderUnavailableError.isInstance,
      );
      expect((await platform.getOrder({ orderId: 'order-1' }))?.canonicalState).toBe('authorized');
    });
  });

  describe('webhooks', () => {
    const secret = 'shpss_custom';
    const headers = inMemoryPlatformWebhookHeaders;

    async function rejection(platform: InMemoryCommercePlatform, request: Parameters<InMemoryCommercePlatform['verifyWebhook']>[0]): Promise<string> {
      const error = await platform.verifyWebhook(request).catch((caught: unknown) => caught);
      expect(WebhookVerificationError.isInstance(error), String(error)).toBe(true);
      return (error as WebhookVerificationError).reason;
    }

    it('takes the time from x-shopify-triggered-at, else receivedAt, else the clock', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const platform = new InMemoryCommercePlatform({ webhookSecret: secret, clock });
      const triggered = signInMemoryPlatformWebhook(secret, { eventId: 'e1', topic: 'orders/updated', body: { orderId: 'o1' }, triggeredAt: 42_000 });
      expect(await platform.verifyWebhook(triggered)).toEqual({ eventId: 'e1', topic: 'orders/updated', type: 'order.updated', orderId: 'o1', occurredAt: 42_000 });
      const plain = signInMemoryPlatformWebhook(secret, { eventId: 'e2', topic: 'products/update', body: '{}' });
      expect(await platform.verifyWebhook({ ...plain, receivedAt: 7 })).toMatchObject({ type: 'other', orderId: undefined, occurredAt: 7 });
      expect((await platform.verifyWebhook(plain)).occurredAt).toBe(clock.now());
    });

    it('rejects missing, malformed and mismatching signatures', async () => {
      const platform = new InMemoryCommercePlatform({ webhookSecret: secret });
      const valid = signInMemoryPlatformWebhook(secret, { eventId: 'e1', topic: 'orders/paid', body: {} });
      const withSignature = (value: string | undefined) => ({ ...valid, headers: { ...valid.headers, [headers.signature]: value } });
      expect(await rejection(platform, withSignature(undefined))).toBe('missing-signature');
      expect(await rejection(platform, withSignature(''))).toBe('missing-signature');
      expect(await rejection(platform, withSignature('not base64!'))).toBe('malformed-signature');
      expect(await rejection(platform, withSignature('c2hvcnQ='))).toBe('malformed-signature');
      expect(await rejection(platform, withSignature(Buffer.alloc(32).toString('base64')))).toBe('signature-mismatch');
    });

    it.each([
      ['no event id', { [headers.eventId]: undefined }, '{}'],
      ['an empty event id', { [headers.eventId]: '' }, '{}'],
      ['no topic', { [headers.topic]: undefined }, '{}'],
      ['an empty topic', { [headers.topic]: '' }, '{}'],
      ['a body that is not JSON', {}, 'nope'],
      ['a body that is an array', {}, '[]'],
      ['a null body', {}, 'null'],
      ['a numeric order id', {}, '{"orderId":5}'],
    ])('rejects %s as malformed-body', async (_label, headerOverrides, rawBody) => {
      const platform = new InMemoryCommercePlatform({ webhookSecret: secret });
      const signed = signInMemoryPlatformWebhook(secret, { eventId: 'e1', topic: 'orders/paid', body: rawBody });
      expect(await rejection(platform, { ...signed, headers: { ...signed.headers, ...headerOverrides } })).toBe('malformed-body');
    });
  });
});
