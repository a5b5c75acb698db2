import {
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { shopifyFakeRoutes, shopifyFaultBodies } from '@paymigrate/testkit';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { euros, newKey, paymentUpdate, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';

const { fake, server, platform } = useShopifyFake({ shopDomain: 'paymigrate-errors.myshopify.com' });

const errorClasses = {
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} as const;

/** Asserts the error is exactly one of the core classes (and no other), from the Shopify adapter. */
function expectOnly(error: unknown, name: keyof typeof errorClasses): void {
  expect(ProviderError.isInstance(error), String(error)).toBe(true);
  expect((error as ProviderError).provider).toBe('shopify');
  for (const [candidate, type] of Object.entries(errorClasses)) {
    expect(type.isInstance(error), `${candidate}.isInstance(${String(error)})`).toBe(candidate === name);
  }
}

/** Answers the GraphQL endpoint with `response` for requests whose body contains `marker` (all when absent). */
function answerWith(response: () => Response, marker?: string): void {
  server.use(
    http.post(fake.graphqlUrl, async ({ request }) => {
      if (marker !== undefined && !(await request.clone().text()).includes(marker)) return undefined;
      return response();
    }),
  );
}

function authorizedOrder(): string {
  return fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
}

describe('HTTP failures', () => {
  it('a wrong access token (401) is a ProviderAuthenticationError', async () => {
    const error = await thrownBy(() => platform({ adminAccessToken: 'shpat_wrong' }).getOrder({ orderId: authorizedOrder() }));
    expectOnly(error, 'ProviderAuthenticationError');
    expect(error).toMatchObject({ httpStatus: 401, isRetryable: false });
  });

  it('403 (missing scope) is a ProviderAuthenticationError', async () => {
    answerWith(() => HttpResponse.json({ errors: 'Forbidden' }, { status: 403 }));
    expectOnly(await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() })), 'ProviderAuthenticationError');
  });

  it.each([402, 423])('%s (shop frozen or locked) is a ProviderUnavailableError', async (status) => {
    answerWith(() => HttpResponse.json({ errors: 'Unavailable Shop' }, { status }));
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(authorizedOrder(), 'capture', euros(1)))), 'ProviderUnavailableError');
  });

  it('404 (wrong shop or API version) is an InvalidRequestError that says so', async () => {
    answerWith(() => HttpResponse.json({ errors: 'Not Found' }, { status: 404 }));
    const error = await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() }));
    expectOnly(error, 'InvalidRequestError');
    expect((error as Error).message).toContain('shop domain and the API version');
  });

  it('5xx on a read is a ProviderRetryableError; on a write an UnknownOutcomeError, and the SDK does not retry', async () => {
    const orderId = authorizedOrder();
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'server-error', status: 503, body: shopifyFaultBodies.serviceUnavailable, times: 1 });
    const since = fake.api.calls.length;
    expectOnly(await thrownBy(() => platform().getOrder({ orderId })), 'ProviderRetryableError');
    expect(fake.api.calls.length - since).toBe(1);
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'server-error', status: 500, body: shopifyFaultBodies.serverError, applyFirst: true, when: (request) => request.bodyText.includes('PaymigrateCapture') });
    const error = await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000))));
    expectOnly(error, 'UnknownOutcomeError');
    expect(error).toMatchObject({ httpStatus: 500 });
  });

  it('a connection failure is ProviderUnavailableError on a read and UnknownOutcomeError on a write', async () => {
    const orderId = authorizedOrder();
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'reset-before-apply', times: 1 });
    expectOnly(await thrownBy(() => platform().getOrder({ orderId })), 'ProviderUnavailableError');
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'reset-before-apply', when: (request) => request.bodyText.includes('mutation') });
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)))), 'UnknownOutcomeError');
  });

  it('the adapter\'s timeout makes a read unavailable and a write unknown', async () => {
    const orderId = authorizedOrder();
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'timeout-after-apply', milliseconds: 2000, times: 1 });
    const read = await thrownBy(() => platform({ timeoutMilliseconds: 50 }).getOrder({ orderId }));
    expectOnly(read, 'ProviderUnavailableError');
    expect((read as Error).message).toContain('timed out');
    fake.api.faults.inject({ route: shopifyFakeRoutes.graphql, kind: 'timeout-after-apply', milliseconds: 2000, when: (request) => request.bodyText.includes('mutation') });
    expectOnly(await thrownBy(() => platform({ timeoutMilliseconds: 50 }).recordPayment(paymentUpdate(orderId, 'capture', euros(1000)))), 'UnknownOutcomeError');
  });

  it('a caller abort makes a read unavailable and a write unknown', async () => {
    const orderId = authorizedOrder();
    const aborted = AbortSignal.abort(new Error('shutdown'));
    const read = await thrownBy(() => platform().getOrder({ orderId }, { signal: aborted }));
    expectOnly(read, 'ProviderUnavailableError');
    expect((read as Error).message).toContain('caller aborted');
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)), { signal: aborted })), 'ProviderUnavailableError');
    const controller = new AbortController();
    answerWith(() => {
      controller.abort(new Error('shutdown'));
      return HttpResponse.error();
    }, 'PaymigrateCapture');
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)), { signal: controller.signal })), 'UnknownOutcomeError');
  });
});

describe('GraphQL errors and user errors', () => {
  it('ACCESS_DENIED is a ProviderAuthenticationError', async () => {
    answerWith(() => HttpResponse.json({ errors: [{ message: 'Access denied for order field.', extensions: { code: 'ACCESS_DENIED' } }] }));
    expectOnly(await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() })), 'ProviderAuthenticationError');
  });

  it('INTERNAL_SERVER_ERROR is retryable on a read and unknown on a write', async () => {
    const orderId = authorizedOrder();
    const internal = () => HttpResponse.json({ errors: [{ message: 'Internal error. Looks like something went wrong on our end.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'r1' } }] }, { headers: { 'X-Request-Id': 'req-42' } });
    answerWith(internal, 'PaymigrateGetOrder');
    const read = await thrownBy(() => platform().getOrder({ orderId }));
    expectOnly(read, 'ProviderRetryableError');
    expect(read).toMatchObject({ requestId: 'req-42', providerCode: 'INTERNAL_SERVER_ERROR' });
    server.resetHandlers();
    answerWith(internal, 'PaymigrateCapture');
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)))), 'UnknownOutcomeError');
  });

  it('a query Shopify cannot run (validation error) is an InvalidRequestError with its code', async () => {
    answerWith(() => HttpResponse.json({ errors: [{ message: "Field 'bogus' doesn't exist on type 'Order'", extensions: { code: 'undefinedField' } }] }));
    const error = await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() }));
    expectOnly(error, 'InvalidRequestError');
    expect(error).toMatchObject({ providerCode: 'undefinedField' });
    answerWith(() => HttpResponse.json({ errors: [{ message: 'Something odd' }, { nothing: true }] }));
    expectOnly(await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() })), 'InvalidRequestError');
  });

  it('NOT_FOUND from orderCancel (the order vanished after the read) is a ResourceNotFoundError', async () => {
    answerWith(() => HttpResponse.json({ data: { orderCancel: { job: null, orderCancelUserErrors: [{ code: 'NOT_FOUND', field: ['orderId'], message: 'Order does not exist' }] } } }), 'PaymigrateCancel');
    const error = await thrownBy(() => platform().cancelOrder({ idempotencyKey: newKey(), orderId: authorizedOrder(), reason: 'other' }));
    expectOnly(error, 'ResourceNotFoundError');
    expect((error as ResourceNotFoundError).resource).toMatch(/^order gid:\/\/shopify\/Order\//);
  });

  it('a user error without a field names no parameter', async () => {
    answerWith(() => HttpResponse.json({ data: { orderMarkAsPaid: { order: null, userErrors: [{ field: null, message: 'Shop is not allowed to mark orders as paid' }] } } }), 'PaymigrateMarkAsPaid');
    const error = await thrownBy(() => platform().recordPayment(paymentUpdate(fake.addOrder({ total: euros(100) }), 'capture', euros(100))));
    expectOnly(error, 'InvalidRequestError');
    expect((error as InvalidRequestError).parameter).toBeUndefined();
    expect((error as Error).message).toContain('Shop is not allowed');
  });
});

describe('answers that do not match the schema', () => {
  it('a read without the order fields is a non-retryable malformed-response ProviderError', async () => {
    answerWith(() => HttpResponse.json({ data: { order: { id: 'gid://shopify/Order/1' } } }));
    const error = await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() }));
    expect(error).toMatchObject({ code: 'PROVIDER_MALFORMED_RESPONSE', provider: 'shopify', isRetryable: false });
  });

  it('a list without nodes is malformed', async () => {
    answerWith(() => HttpResponse.json({ data: { orders: {} } }));
    expect(await thrownBy(() => platform().listOpenOrders({ limit: 1 }))).toMatchObject({ code: 'PROVIDER_MALFORMED_RESPONSE' });
  });

  it('an order with an amount paymigrate cannot hold is malformed', async () => {
    const orderId = authorizedOrder();
    const node = await rawOrder(orderId);
    answerWith(() => HttpResponse.json({ data: { order: { ...node, totalPriceSet: { presentmentMoney: { amount: '1.2.3', currencyCode: 'EUR' } } } } }));
    expect(await thrownBy(() => platform().getOrder({ orderId }))).toMatchObject({ code: 'PROVIDER_MALFORMED_RESPONSE' });
    server.resetHandlers();
    answerWith(() => HttpResponse.json({ data: { order: { ...node, updatedAt: 'yesterday' } } }));
    expect(await thrownBy(() => platform().getOrder({ orderId }))).toMatchObject({ code: 'PROVIDER_MALFORMED_RESPONSE' });
  });

  it('a write whose payload is missing has an unknown outcome', async () => {
    answerWith(() => HttpResponse.json({ data: { orderCapture: null } }), 'PaymigrateCapture');
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(authorizedOrder(), 'capture', euros(1000)))), 'UnknownOutcomeError');
  });

  it('data that is not an object is malformed', async () => {
    answerWith(() => HttpResponse.json({ data: 5 }));
    expect(await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() }))).toMatchObject({ code: 'PROVIDER_MALFORMED_RESPONSE' });
  });

  it('a payload without user errors counts as none; a cancellation without a job still waits for the order', async () => {
    const orderId = authorizedOrder();
    answerWith(() => HttpResponse.json({ data: { orderCapture: { transaction: null } } }), 'PaymigrateCapture');
    expect((await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)))).orderId).toBe(orderId);
    server.resetHandlers();
    answerWith(() => HttpResponse.json({ data: { orderCancel: { job: null, orderCancelUserErrors: [] } } }), 'PaymigrateCancel');
    const error = await thrownBy(() => platform({ cancellation: { maxPolls: 0 } }).cancelOrder({ idempotencyKey: newKey(), orderId, reason: 'other' }));
    expectOnly(error, 'UnknownOutcomeError');
    expect((error as Error).message).toContain('unknown job');
  });

  it('an answer without data or errors is refused', async () => {
    answerWith(() => HttpResponse.json({}));
    expect(ProviderError.isInstance(await thrownBy(() => platform().getOrder({ orderId: authorizedOrder() })))).toBe(true);
  });

  it('a capture payload without the order reads the order again; if that read fails, the outcome is unknown', async () => {
    const orderId = authorizedOrder();
    answerWith(() => HttpResponse.json({ data: { orderCapture: { transaction: { id: 'gid://shopify/OrderTransaction/1', order: null }, userErrors: [] } } }), 'PaymigrateCapture');
    expect((await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)))).orderId).toBe(orderId);
    let reads = 0;
    server.use(
      http.post(fake.graphqlUrl, async ({ request }) => {
        if (!(await request.clone().text()).includes('PaymigrateGetOrder')) return undefined;
        reads += 1;
        return reads > 1 ? HttpResponse.error() : undefined;
      }),
    );
    expectOnly(await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(1000)))), 'UnknownOutcomeError');
  });
});

/** The order as the adapter's query returns it, straight from the fake. */
async function rawOrder(orderId: string): Promise<Record<string, unknown>> {
  const { shopifyDocuments } = await import('./shopify-queries.js');
  const response = await fetch(fake.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': fake.adminAccessToken },
    body: JSON.stringify({ query: shopifyDocuments.PaymigrateGetOrder, variables: { id: orderId } }),
  });
  return ((await response.json()) as { data: { order: Record<string, unknown> } }).data.order;
}
