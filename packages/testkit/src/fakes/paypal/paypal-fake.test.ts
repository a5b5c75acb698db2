import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatPayPalAmount, parsePayPalAmount } from './paypal-fake-amounts.js';
import { payPalErrorBody } from './paypal-fake-errors.js';
import { createPayPalFake, type PayPalFake, payPalFakeRoutes } from './paypal-fake.js';
import { payPalCrc32, payPalFakeCertificateUrl, signaturesMatch } from './paypal-fake-webhooks.js';
import { payPalTestPaymentTokens } from './paypal-test-tokens.js';

const server = setupServer();
let fake: PayPalFake;
let accessToken: string;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(async () => {
  fake = createPayPalFake();
  server.resetHandlers(...fake.handlers);
  accessToken = await fetchToken();
});

async function fetchToken(credentials = `${fake.clientId}:${fake.clientSecret}`, grant = 'client_credentials'): Promise<string> {
  const response = await fetch(`${fake.baseUrl}/v1/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=${grant}`,
  });
  const body = (await response.json()) as { access_token?: string };
  return body.access_token ?? '';
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(method: string, path: string, options: { body?: unknown; requestId?: string; prefer?: string | null; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.token ?? accessToken}`, 'content-type': 'application/json' };
  if (options.requestId !== undefined) headers['paypal-request-id'] = options.requestId;
  if (options.prefer !== null) headers.prefer = options.prefer ?? 'return=representation';
  const response = await fetch(`${fake.baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function issue(answer: Answer): unknown {
  return (answer.body.details as { issue: string }[] | undefined)?.[0]?.issue;
}

function orderBody(overrides: Record<string, unknown> = {}, unit: Record<string, unknown> = {}, vaultId: string | null = payPalTestPaymentTokens.visa.vaultId) {
  return {
    intent: 'AUTHORIZE',
    purchase_units: [{ amount: { currency_code: 'USD', value: '10.00' }, ...unit }],
    ...(vaultId === null ? {} : { payment_source: { card: { vault_id: vaultId } } }),
    ...overrides,
  };
}

async function createOrder(overrides: Record<string, unknown> = {}, unit: Record<string, unknown> = {}, vaultId?: string): Promise<Answer> {
  return call('POST', '/v2/checkout/orders', { body: orderBody(overrides, unit, vaultId), requestId: `rid-${Math.random()}` });
}

function authorizationId(order: Answer): string {
  const units = order.body.purchase_units as { payments: { authorizations: { id: string }[] } }[];
  return units[0]?.payments.authorizations[0]?.id as string;
}

describe('OAuth', () => {
  it('issues tokens only to the right client, for client_credentials', async () => {
    expect(accessToken).toMatch(/^A21AA/);
    expect(await fetchToken(`${fake.clientId}:wrong`)).toBe('');
    expect(await fetchToken(undefined, 'password')).toBe('');
    const unauthorized = await call('GET', '/v2/checkout/orders/X', { token: 'forged' });
    expect(unauthorized).toMatchObject({ status: 401, body: { name: 'AUTHENTICATION_FAILURE' } });
    fake.revokeAccessTokens();
    expect((await call('GET', '/v2/checkout/orders/X')).status).toBe(401);
  });
});

describe('orders', () => {
  it('require PayPal-Request-Id when a payment source is processed', async () => {
    const answer = await call('POST', '/v2/checkout/orders', { body: orderBody() });
    expect(answer.status).toBe(400);
    expect(issue(answer)).toBe('PAYPAL_REQUEST_ID_REQUIRED');
  });

  it('without a payment source stay CREATED, and cannot be authorized', async () => {
    const created = await call('POST', '/v2/checkout/orders', { body: orderBody({}, {}, null) });
    expect(created).toMatchObject({ status: 201, body: { status: 'CREATED' } });
    const authorize = await call('POST', `/v2/checkout/orders/${String(created.body.id)}/authorize`, { requestId: 'a-1' });
    expect(issue(authorize)).toBe('ORDER_NOT_APPROVED');
  });

  it.each([
    ['card numbers', { payment_source: { card: { number: '4111111111111111', expiry: '2030-01' } } }, 400, 'INVALID_PARAMETER_VALUE'],
    ['security codes', { payment_source: { card: { vault_id: 'test-visa-approved', security_code: '123' } } }, 400, 'INVALID_PARAMETER_VALUE'],
    ['a card without vault id', { payment_source: { card: { name: 'A' } } }, 400, 'MISSING_REQUIRED_PARAMETER'],
    ['a non-card source', { payment_source: { paypal: {} } }, 400, 'INVALID_PARAMETER_VALUE'],
    ['an unknown vault id', { payment_source: { card: { vault_id: 'nope' } } }, 422, 'TOKEN_ID_NOT_FOUND'],
    ['an unknown intent', { intent: 'SALE' }, 400, 'INVALID_PARAMETER_VALUE'],
    ['no purchase unit', { purchase_units: [] }, 400, 'INVALID_ARRAY_MIN_ITEMS'],
    ['two purchase units', { purchase_units: [{}, {}] }, 400, 'INVALID_ARRAY_MAX_ITEMS'],
    ['a purchase unit that is not an object', { purchase_units: ['x'] }, 400, 'INVALID_PARAMETER_SYNTAX'],
  ])('refuse %s', async (_name, overrides, status, expectedIssue) => {
    const answer = await createOrder(overrides);
    expect(answer.status).toBe(status);
    expect(issue(answer)).toBe(expectedIssue);
    expect(answer.body).toMatchObject({ debug_id: expect.any(String), links: [{ rel: 'information_link' }] });
  });

  it('refuse malformed JSON', async () => {
    const answer = await call('POST', '/v2/checkout/orders', { body: '{"intent":', requestId: 'r' });
    expect(issue(answer)).toBe('MALFORMED_REQUEST_JSON');
    expect(issue(await call('POST', '/v2/checkout/orders', { body: '[1]', requestId: 'r2' }))).toBe('MALFORMED_REQUEST_JSON');
  });

  it.each([
    [{ currency_code: 'HUF', value: '10.50' }, 422, 'DECIMALS_NOT_SUPPORTED'],
    [{ currency_code: 'JPY', value: '100.0' }, 422, 'DECIMALS_NOT_SUPPORTED'],
    [{ currency_code: 'USD', value: '1.234' }, 422, 'DECIMAL_PRECISION'],
    [{ currency_code: 'KRW', value: '1000' }, 422, 'INVALID_CURRENCY_CODE'],
    [{ currency_code: 'USD', value: '0.00' }, 422, 'CANNOT_BE_ZERO_OR_NEGATIVE'],
    [{ currency_code: 'USD', value: '-1.00' }, 422, 'CANNOT_BE_ZERO_OR_NEGATIVE'],
    [{ currency_code: 'USD', value: '1,00' }, 400, 'INVALID_PARAMETER_SYNTAX'],
    [{ currency_code: 'USD' }, 400, 'MISSING_REQUIRED_PARAMETER'],
    [{ value: '1.00' }, 400, 'MISSING_REQUIRED_PARAMETER'],
    ['10.00', 400, 'MISSING_REQUIRED_PARAMETER'],
  ])('apply PayPal amount rules to %j', async (amount, status, expectedIssue) => {
    const answer = await createOrder({}, { amount });
    expect(answer.status).toBe(status);
    expect(issue(answer)).toBe(expectedIssue);
  });

  it('refuse an invoice id another order used, unless the account allows duplicates', async () => {
    expect((await createOrder({}, { invoice_id: 'INV-1' })).status).toBe(201);
    expect(issue(await createOrder({}, { invoice_id: 'INV-1' }))).toBe('DUPLICATE_INVOICE_ID');
    fake = createPayPalFake({ blockDuplicateInvoiceIds: false });
    server.resetHandlers(...fake.handlers);
    accessToken = await fetchToken();
    expect((await createOrder({}, { invoice_id: 'INV-1' })).status).toBe(201);
    expect((await createOrder({}, { invoice_id: 'INV-1' })).status).toBe(201);
  });

  it('answer return=minimal unless the representation is asked for', async () => {
    const answer = await call('POST', '/v2/checkout/orders', { body: orderBody(), requestId: 'minimal-1', prefer: null });
    expect(Object.keys(answer.body).sort()).toEqual(['id', 'links', 'status']);
  });

  it('replay a request id with the latest state, whatever the new body says', async () => {
    const first = await call('POST', '/v2/checkout/orders', { body: orderBody(), requestId: 'replay-1' });
    await call('POST', `/v2/payments/authorizations/${authorizationId(first)}/capture`, { body: {}, requestId: 'cap-1' });
    const replay = await call('POST', '/v2/checkout/orders', { body: orderBody({}, { amount: { currency_code: 'USD', value: '99.00' } }), requestId: 'replay-1' });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(first.body.id);
    expect(JSON.stringify(replay.body)).toContain('"captures"');
    expect(JSON.stringify(replay.body)).toContain('"10.00"');
    expect(fake.payments()).toHaveLength(1);
  });

  it('authorize/capture an approved order with the matching endpoint only, once', async () => {
    const created = await call('POST', '/v2/checkout/orders', { body: orderBody({}, {}, payPalTestPaymentTokens.threeDSecure.vaultId), requestId: 'three-ds' });
    const id = String(created.body.id);
    expect(created.body.status).toBe('PAYER_ACTION_REQUIRED');
    expect(issue(await call('POST', `/v2/checkout/orders/${id}/authorize`, { requestId: 'x1' }))).toBe('PAYER_ACTION_REQUIRED');
    fake.completePayerAction(id);
    expect(() => fake.completePayerAction(id)).toThrow(/not waiting for payer action/);
    expect(issue(await call('POST', `/v2/checkout/orders/${id}/capture`, { requestId: 'x2' }))).toBe('ACTION_DOES_NOT_MATCH_INTENT');
    const authorized = await call('POST', `/v2/checkout/orders/${id}/authorize`, { requestId: 'x3' });
    expect(authorized).toMatchObject({ status: 201, body: { status: 'COMPLETED', payment_source: { card: { authentication_result: { liability_shift: 'POSSIBLE' } } } } });
    expect((await call('POST', `/v2/checkout/orders/${id}/authorize`, { requestId: 'x3' })).status).toBe(200);
    expect(issue(await call('POST', `/v2/checkout/orders/${id}/authorize`, { requestId: 'x4' }))).toBe('ORDER_ALREADY_AUTHORIZED');
    expect((await call('POST', '/v2/checkout/orders/NOPE/authorize', { requestId: 'x5' })).status).toBe(404);
    expect(issue(await call('POST', `/v2/checkout/orders/${id}/authorize`, { body: '{', requestId: 'x6' }))).toBe('MALFORMED_REQUEST_JSON');
  });

  it('capture an approved CAPTURE order once', async () => {
    const created = await call('POST', '/v2/checkout/orders', { body: orderBody({ intent: 'CAPTURE' }, {}, payPalTestPaymentTokens.threeDSecure.vaultId), requestId: 'three-ds-capture' });
    const id = String(created.body.id);
    fake.completePayerAction(id);
    expect((await call('POST', `/v2/checkout/orders/${id}/capture`, { requestId: 'c1' })).body.status).toBe('COMPLETED');
    expect(issue(await call('POST', `/v2/checkout/orders/${id}/capture`, { requestId: 'c2' }))).toBe('ORDER_ALREADY_CAPTURED');
  });

  it('skip 3-D Secure for merchant-initiated charges and keep the stored credential', async () => {
    const storedCredential = { payment_initiator: 'MERCHANT', payment_type: 'UNSCHEDULED', previous_network_transaction_reference: { id: '123456789012345' } };
    const answer = await createOrder({ payment_source: { card: { vault_id: payPalTestPaymentTokens.threeDSecure.vaultId, stored_credential: storedCredential } } });
    expect(answer.body.status).toBe('COMPLETED');
    expect(fake.payments()[0]?.storedCredential).toEqual(storedCredential);
  });
});

describe('payments', () => {
  it('capture the remaining amount when none is given, and refuse another currency', async () => {
    const order = await createOrder();
    const id = authorizationId(order);
    expect(issue(await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: { amount: { currency_code: 'EUR', value: '1.00' } }, requestId: 'm1' }))).toBe('AUTH_CAPTURE_CURRENCY_MISMATCH');
    expect(issue(await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: { amount: { currency_code: 'USD', value: '1.001' } }, requestId: 'm2' }))).toBe('DECIMAL_PRECISION');
    const minimal = await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: {}, requestId: 'm3', prefer: null });
    expect(Object.keys(minimal.body).sort()).toEqual(['id', 'links', 'status']);
    expect(fake.payments()[0]?.captures[0]?.value).toBe('10.00');
    expect(fake.payments()[0]?.authorizations[0]?.status).toBe('CAPTURED');
    expect((await call('POST', '/v2/payments/authorizations/NOPE/capture', { body: {}, requestId: 'm4' })).status).toBe(404);
    expect(issue(await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: '{', requestId: 'm5' }))).toBe('MALFORMED_REQUEST_JSON');
  });

  it('refuse to capture or void a denied authorization', async () => {
    const order = await createOrder({}, {}, payPalTestPaymentTokens.insufficientFunds.vaultId);
    const id = authorizationId(order);
    expect(issue(await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: {}, requestId: 'd1' }))).toBe('AUTHORIZATION_DENIED');
    expect(issue(await call('POST', `/v2/payments/authorizations/${id}/void`, { requestId: 'd2' }))).toBe('CANNOT_BE_VOIDED');
  });

  it('void once, answer 204 for return=minimal, and refuse voiding again', async () => {
    const id = authorizationId(await createOrder());
    const voided = await call('POST', `/v2/payments/authorizations/${id}/void`, { requestId: 'v1', prefer: null });
    expect(voided.status).toBe(204);
    expect(issue(await call('POST', `/v2/payments/authorizations/${id}/void`, {}))).toBe('PREVIOUSLY_VOIDED');
    expect((await call('POST', '/v2/payments/authorizations/NOPE/void', {})).status).toBe(404);
    expect(fake.payments()[0]?.status).toBe('VOIDED');
  });

  it('refund the remaining amount when none is given, and the rules of refunds', async () => {
    const order = await createOrder({ intent: 'CAPTURE' });
    const units = order.body.purchase_units as { payments: { captures: { id: string }[] } }[];
    const captureId = units[0]?.payments.captures[0]?.id as string;
    expect(issue(await call('POST', `/v2/payments/captures/${captureId}/refund`, { body: { amount: { currency_code: 'EUR', value: '1.00' } }, requestId: 'r1' }))).toBe('REFUND_CAPTURE_CURRENCY_MISMATCH');
    expect(issue(await call('POST', `/v2/payments/captures/${captureId}/refund`, { body: { amount: { currency_code: 'USD', value: '0' } }, requestId: 'r2' }))).toBe('CANNOT_BE_ZERO_OR_NEGATIVE');
    const minimal = await call('POST', `/v2/payments/captures/${captureId}/refund`, { body: { invoice_id: 'REFUND-INV' }, requestId: 'r3', prefer: null });
    expect(Object.keys(minimal.body).sort()).toEqual(['id', 'links', 'status']);
    expect(fake.payments()[0]?.captures[0]).toMatchObject({ status: 'REFUNDED', refundedValue: '10.00' });
    expect((await call('GET', `/v2/payments/captures/${captureId}`)).body).toMatchObject({ status: 'REFUNDED', supplementary_data: { related_ids: { order_id: order.body.id } } });
    expect((await call('GET', '/v2/payments/captures/NOPE')).status).toBe(404);
    expect((await call('POST', '/v2/payments/captures/NOPE/refund', { body: {}, requestId: 'r4' })).status).toBe(404);
    expect(issue(await call('POST', `/v2/payments/captures/${captureId}/refund`, { body: '{', requestId: 'r5' }))).toBe('MALFORMED_REQUEST_JSON');
    const other = await createOrder({ intent: 'CAPTURE' }, { invoice_id: 'OTHER-INV' });
    const otherCapture = (other.body.purchase_units as { payments: { captures: { id: string }[] } }[])[0]?.payments.captures[0]?.id as string;
    expect(issue(await call('POST', `/v2/payments/captures/${otherCapture}/refund`, { body: { invoice_id: 'REFUND-INV' }, requestId: 'r6' }))).toBe('DUPLICATE_INVOICE_ID');
  });

  it('refuse refunds of declined or pending captures', async () => {
    const declined = await createOrder({ intent: 'CAPTURE' }, {}, payPalTestPaymentTokens.doNotHonor.vaultId);
    const declinedCapture = (declined.body.purchase_units as { payments: { captures: { id: string }[] } }[])[0]?.payments.captures[0]?.id as string;
    expect(issue(await call('POST', `/v2/payments/captures/${declinedCapture}/refund`, { body: {}, requestId: 'p1' }))).toBe('REFUND_NOT_ALLOWED');
    fake.setCaptureOutcome('PENDING');
    const id = authorizationId(await createOrder());
    const pending = await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: {}, requestId: 'p2' });
    expect(pending.body).toMatchObject({ status: 'PENDING', status_details: { reason: 'PENDING_REVIEW' } });
    expect(issue(await call('POST', `/v2/payments/captures/${String(pending.body.id)}/refund`, { body: {}, requestId: 'p3' }))).toBe('PENDING_CAPTURE');
    fake.lockResource(String(pending.body.id));
    expect((await call('POST', `/v2/payments/captures/${String(pending.body.id)}/refund`, { body: {}, requestId: 'p4' })).status).toBe(409);
    fake.lockResource(id);
    expect((await call('POST', `/v2/payments/authorizations/${id}/capture`, { body: {}, requestId: 'p5' })).status).toBe(409);
  });
});

describe('vault', () => {
  it('lists a customer\'s cards page by page, totals only on request, never a card number', async () => {
    for (let index = 0; index < 7; index += 1) fake.vaultCard({ customerId: 'customer-vault-1', testToken: index === 0 ? 'amex' : undefined });
    const first = await call('GET', '/v3/vault/payment-tokens?customer_id=customer-vault-1&page_size=5&page=1&total_required=true');
    expect(first.body).toMatchObject({ customer: { id: 'customer-vault-1' }, total_items: 7, total_pages: 2 });
    expect((first.body.payment_tokens as unknown[]).length).toBe(5);
    const second = await call('GET', '/v3/vault/payment-tokens?customer_id=customer-vault-1&page_size=5&page=2');
    expect((second.body.payment_tokens as unknown[]).length).toBe(2);
    expect(second.body.total_items).toBeUndefined();
    expect(JSON.stringify(first.body)).not.toMatch(/[0-9]{13,19}(?![0-9])(?<!network_transaction_id":"[0-9]*)/);
    const stored = fake.storedPaymentMethods('customer-vault-1');
    expect(stored).toHaveLength(7);
    expect(stored[0]?.fingerprint).toBe(fake.vaultCard({ customerId: 'customer-vault-2', testToken: 'amex' }).fingerprint);
    expect(fake.storedPaymentMethods()).toHaveLength(8);
  });

  it('requires a valid customer id', async () => {
    expect(issue(await call('GET', '/v3/vault/payment-tokens'))).toBe('MISSING_REQUIRED_PARAMETER');
    expect(issue(await call('GET', '/v3/vault/payment-tokens?customer_id=abc'))).toBe('INVALID_PARAMETER_VALUE');
    expect((await call('GET', '/v3/vault/payment-tokens?customer_id=nobody-at-all&page_size=x&page=0')).body.payment_tokens).toEqual([]);
  });
});

describe('webhooks', () => {
  async function verify(body: Record<string, unknown>): Promise<Answer> {
    return call('POST', '/v1/notifications/verify-webhook-signature', { body });
  }

  function verification(request: ReturnType<PayPalFake['signedWebhook']>): Record<string, unknown> {
    return {
      auth_algo: request.headers['paypal-auth-algo'],
      cert_url: request.headers['paypal-cert-url'],
      transmission_id: request.headers['paypal-transmission-id'],
      transmission_sig: request.headers['paypal-transmission-sig'],
      transmission_time: request.headers['paypal-transmission-time'],
      webhook_id: fake.webhookId,
      webhook_event: JSON.parse(request.rawBody) as unknown,
    };
  }

  it('verifies its own signatures, bound to the webhook id, the algorithm and a PayPal certificate', async () => {
    await createOrder();
    const [queued] = fake.takeWebhooks();
    expect(queued?.event.event_type).toBe('PAYMENT.AUTHORIZATION.CREATED');
    expect(fake.pendingWebhooks()).toEqual([]);
    const body = verification(queued?.request as ReturnType<PayPalFake['signedWebhook']>);
    expect((await verify(body)).body).toEqual({ verification_status: 'SUCCESS' });
    expect((await verify({ ...body, webhook_id: 'WH-OTHER' })).body.verification_status).toBe('FAILURE');
    expect((await verify({ ...body, auth_algo: 'SHA1withRSA' })).body.verification_status).toBe('FAILURE');
    expect((await verify({ ...body, cert_url: 'https://evil.example/cert' })).body.verification_status).toBe('FAILURE');
    expect((await verify({ ...body, transmission_sig: 'short' })).body.verification_status).toBe('FAILURE');
    expect((await verify({ ...body, cert_url: payPalFakeCertificateUrl.replace('api.sandbox.paypal.com', 'api.paypal.com') })).body.verification_status).toBe('SUCCESS');
    expect(issue(await verify({ ...body, transmission_id: '' }))).toBe('MISSING_REQUIRED_PARAMETER');
    expect(issue(await verify({ ...body, webhook_event: 'text' }))).toBe('MISSING_REQUIRED_PARAMETER');
    expect(issue(await call('POST', '/v1/notifications/verify-webhook-signature', { body: '{' }))).toBe('MALFORMED_REQUEST_JSON');
  });

  it('builds events for orders it does not know', () => {
    for (const eventType of ['PAYMENT.AUTHORIZATION.CREATED', 'PAYMENT.AUTHORIZATION.VOIDED', 'PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.CAPTURE.DECLINED', 'PAYMENT.CAPTURE.PENDING', 'PAYMENT.CAPTURE.REFUNDED', 'CHECKOUT.ORDER.APPROVED']) {
      const event = fake.webhookEvent({ eventType, orderId: 'UNKNOWN1' });
      expect(event).toMatchObject({ event_type: eventType, event_version: '1.0', id: expect.stringMatching(/^WH-/) });
      // A refund resource names only its capture (PayPal's refund schema has no order id).
      expect(JSON.stringify(event)).toContain(eventType === 'PAYMENT.CAPTURE.REFUNDED' ? '/v2/payments/captures/' : 'UNKNOWN1');
    }
    expect(fake.webhookEvent({ eventType: 'PAYMENT.CAPTURE.COMPLETED', orderId: 'X', eventId: 'WH-FIXED' }).id).toBe('WH-FIXED');
  });

  it('signs like PayPal: CRC-32 of the body, constant-time comparison', () => {
    expect(payPalCrc32('123456789')).toBe(0xcbf43926);
    expect(payPalCrc32('')).toBe(0);
    expect(signaturesMatch('abc', 'abc')).toBe(true);
    expect(signaturesMatch('abc', 'abd')).toBe(false);
    expect(signaturesMatch('abc', 'abcd')).toBe(false);
    const request = fake.signedWebhook('{"id":"WH-1"}', { transmissionTime: 1_700_000_000_000 });
    expect(request.receivedAt).toBe(1_700_000_000_000);
    expect(request.headers['paypal-transmission-time']).toBe('2023-11-14T22:13:20.000Z');
  });
});

describe('helpers', () => {
  it('amounts and error bodies', () => {
    expect(formatPayPalAmount('JPY', 1500n)).toEqual({ currency_code: 'JPY', value: '1500' });
    expect(formatPayPalAmount('USD', 5n)).toEqual({ currency_code: 'USD', value: '0.05' });
    expect(formatPayPalAmount('XXX', 5n)).toEqual({ currency_code: 'XXX', value: '0.05' });
    expect(parsePayPalAmount({ currency_code: 'USD', value: '.5' }, '/amount')).toEqual({ currency: 'USD', units: 50n });
    expect(payPalErrorBody(418)).toMatchObject({ name: 'INTERNAL_SERVER_ERROR' });
    expect(payPalErrorBody(422, [{ issue: 'X' }])).toMatchObject({ name: 'UNPROCESSABLE_ENTITY', details: [{ issue: 'X' }] });
  });

  it('test tokens are distinct vault ids and never carry a card number', () => {
    const tokens = Object.values(payPalTestPaymentTokens);
    expect(new Set(tokens.map((token) => token.vaultId)).size).toBe(tokens.length);
    expect(JSON.stringify(tokens)).not.toMatch(/[0-9]{13}/);
  });

  it('records calls per route', async () => {
    await createOrder();
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)).toHaveLength(1);
    expect(fake.api.callsTo(payPalFakeRoutes.oauthToken)[0]?.requestHeaders.authorization).toBe('[redacted]');
    expect(fake.order('NOPE')).toBeUndefined();
  });
});
