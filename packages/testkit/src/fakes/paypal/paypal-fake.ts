import { createHash, randomUUID } from 'node:crypto';
import type { WebhookRequest } from '@paymigrate/core';
import type { HttpHandler } from 'msw';
import { createFakeApi, type FakeApi, type FakeRoute, type FakeRouteContext } from '../../http/fake-api.js';
import { empty, json, type FakeResponse } from '../../http/fake-response.js';
import { formatPayPalAmount, isAmountProblem, parsePayPalAmount, type PayPalFakeAmountProblem } from './paypal-fake-amounts.js';
import { nextDebugId, payPalErrorResponse, type PayPalErrorDetail } from './paypal-fake-errors.js';
import {
  payPalTransmissionSignature,
  payPalWebhookAuthAlgorithm,
  signaturesMatch,
  signPayPalWebhook,
  type PayPalWebhookEventBody,
} from './paypal-fake-webhooks.js';
import {
  payPalTestPaymentTokens,
  type PayPalCardBrandName,
  type PayPalTestPaymentToken,
  type PayPalTestPaymentTokenName,
  type PayPalTestTokenOutcome,
} from './paypal-test-tokens.js';

/** Route ids of the PayPal fake, for `fake.api.callsTo(...)` and fault rules. */
export const payPalFakeRoutes = {
  oauthToken: 'POST /v1/oauth2/token',
  createOrder: 'POST /v2/checkout/orders',
  getOrder: 'GET /v2/checkout/orders/:id',
  authorizeOrder: 'POST /v2/checkout/orders/:id/authorize',
  captureOrder: 'POST /v2/checkout/orders/:id/capture',
  captureAuthorization: 'POST /v2/payments/authorizations/:authorization_id/capture',
  voidAuthorization: 'POST /v2/payments/authorizations/:authorization_id/void',
  getCapture: 'GET /v2/payments/captures/:capture_id',
  refundCapture: 'POST /v2/payments/captures/:capture_id/refund',
  listPaymentTokens: 'GET /v3/vault/payment-tokens',
  verifyWebhookSignature: 'POST /v1/notifications/verify-webhook-signature',
} as const;

/** A route id of the PayPal fake. */
export type PayPalFakeRouteId = (typeof payPalFakeRoutes)[keyof typeof payPalFakeRoutes];

/** The sandbox origin the PayPal SDK calls by default, and the fake's default `baseUrl`. */
export const payPalSandboxBaseUrl = 'https://api-m.sandbox.paypal.com';

/** Options of {@link createPayPalFake}. */
export interface CreatePayPalFakeOptions {
  /** Origin the fake answers for. @default 'https://api-m.sandbox.paypal.com' */
  readonly baseUrl?: string | undefined;
  /** The REST app's client id the token endpoint accepts. @default 'paypal-fake-client-id' */
  readonly clientId?: string | undefined;
  /** The REST app's secret the token endpoint accepts. @default 'paypal-fake-client-secret' */
  readonly clientSecret?: string | undefined;
  /** The id of the merchant's webhook subscription; signatures are bound to it. @default 'WH-FAKE-0000000000000000' */
  readonly webhookId?: string | undefined;
  /** The shared secret the fake signs webhooks with and checks them against. @default a fresh random value */
  readonly webhookSecret?: string | undefined;
  /** Card brands the merchant account accepts; others get `422 CARD_BRAND_NOT_SUPPORTED`. @default VISA, MASTERCARD, AMEX, DISCOVER */
  readonly acceptedBrands?: readonly PayPalCardBrandName[] | undefined;
  /** PayPal's "block duplicate invoice id" account setting. @default true */
  readonly blockDuplicateInvoiceIds?: boolean | undefined;
  /** Clock for timestamps and webhook transmission times. @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Seed of the fault-injection generator. @default 1 */
  readonly seed?: number | undefined;
  /** Record calls (turn off for long benchmarks). @default true */
  readonly recordCalls?: boolean | undefined;
}

/** What happens to the next captures of authorizations (set with `setCaptureOutcome`). */
export type PayPalFakeCaptureOutcome = 'COMPLETED' | 'PENDING' | 'DECLINED';

/** A stored card (Vault v3 payment token) of a customer, as the fake holds it. Never a card number. */
export interface PayPalFakeStoredCard {
  /** The vault id. */
  readonly vaultId: string;
  /** Customer id the token belongs to (`customer.id`). */
  readonly customerId: string;
  /** Card network, PayPal spelling. */
  readonly brand: PayPalCardBrandName;
  /** Last four digits. */
  readonly lastDigits: string;
  /** `YYYY-MM`. */
  readonly expiry: string;
  /**
   * The fake's own fingerprint of the card (same test card, same fingerprint). PayPal exposes no
   * fingerprint on the wire, so it stays here, for tests.
   */
  readonly fingerprint: string;
  /** Network transaction id of the verification that set the card up. */
  readonly networkTransactionId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** A summary of one order the fake holds (state inspection for tests). */
export interface PayPalFakePayment {
  /** Order id (the adapter's provider reference). */
  readonly orderId: string;
  /** Order status. */
  readonly status: string;
  /** `AUTHORIZE` or `CAPTURE`. */
  readonly intent: string;
  /** Order amount as PayPal's `money`. */
  readonly amount: { readonly currency_code: string; readonly value: string };
  /** `purchase_units[0].custom_id`. */
  readonly customId: string | undefined;
  /** `purchase_units[0].invoice_id`. */
  readonly invoiceId: string | undefined;
  /** The vault id charged. */
  readonly vaultId: string | undefined;
  /** `payment_source.card.stored_credential` as received (merchant-initiated charges). */
  readonly storedCredential: Readonly<Record<string, unknown>> | undefined;
  /** The `PayPal-Request-Id` that created the order. */
  readonly requestId: string | undefined;
  /** Authorizations: id, status, amount. */
  readonly authorizations: readonly { readonly id: string; readonly status: string; readonly value: string }[];
  /** Captures: id, status, amount, refunded amount. */
  readonly captures: readonly { readonly id: string; readonly status: string; readonly value: string; readonly refundedValue: string }[];
  /** Refunds: id, capture id, status, amount. */
  readonly refunds: readonly { readonly id: string; readonly captureId: string; readonly status: string; readonly value: string }[];
}

/** A webhook the fake queued after a state change, signed and ready to deliver. */
export interface PayPalFakeWebhook {
  /** The event body. */
  readonly event: PayPalWebhookEventBody;
  /** The signed request, as PayPal would deliver it. */
  readonly request: WebhookRequest;
}

/** Input of `fake.webhookEvent`: an event about one order, built from the fake's state where it can be. */
export interface PayPalFakeWebhookEventInput {
  /** PayPal event name, e.g. `PAYMENT.CAPTURE.COMPLETED`. */
  readonly eventType: string;
  /** The order the event is about (its payments are used when they exist). */
  readonly orderId: string;
  /** The event id. @default a fresh `WH-...` id */
  readonly eventId?: string | undefined;
  /** Amount of the resource. @default the order's amount */
  readonly amount?: { readonly currency_code: string; readonly value: string } | undefined;
}

/** Options of `fake.signedWebhook`. */
export interface PayPalFakeSignOptions {
  /** Transmission time, epoch milliseconds. @default now */
  readonly transmissionTime?: number | undefined;
  /** Sign with another secret (a forgery). @default the fake's secret */
  readonly secret?: string | undefined;
  /** Bind to another webhook id. @default the fake's webhook id */
  readonly webhookId?: string | undefined;
}

/** The stateful PayPal fake returned by {@link createPayPalFake}. */
export interface PayPalFake {
  /** The fake API: handlers, call recorder (`calls`, `callsTo`), `faults`, `dumpTraffic`. */
  readonly api: FakeApi;
  /** The msw handlers (same as `api.handlers`): `setupServer(...fake.handlers)`. */
  readonly handlers: HttpHandler[];
  /** Origin the fake answers for. */
  readonly baseUrl: string;
  /** Client id the token endpoint accepts. */
  readonly clientId: string;
  /** Secret the token endpoint accepts. */
  readonly clientSecret: string;
  /** The merchant's webhook subscription id. */
  readonly webhookId: string;
  /** The shared webhook signing secret. */
  readonly webhookSecret: string;
  /** Summaries of every order, in creation order. */
  payments(): readonly PayPalFakePayment[];
  /** One order's full representation (the JSON `GET /v2/checkout/orders/{id}` answers), or `undefined`. */
  order(orderId: string): Readonly<Record<string, unknown>> | undefined;
  /** Stored cards, of one customer or of all. */
  storedPaymentMethods(customerId?: string): readonly PayPalFakeStoredCard[];
  /**
   * Vaults a test card for a customer (as a setup-token flow would) and returns the new stored
   * card; charging its vault id behaves like the test token it was made from. Queues
   * `VAULT.PAYMENT-TOKEN.CREATED`.
   */
  vaultCard(input: { readonly customerId: string; readonly testToken?: PayPalTestPaymentTokenName | undefined }): PayPalFakeStoredCard;
  /** The payer completes 3-D Secure: a `PAYER_ACTION_REQUIRED` order becomes `APPROVED`. */
  completePayerAction(orderId: string): void;
  /** How the next captures of authorizations end (default `COMPLETED`). */
  setCaptureOutcome(outcome: PayPalFakeCaptureOutcome): void;
  /** Makes writes on a resource (authorization or capture id) answer `409 PREVIOUS_REQUEST_IN_PROGRESS`. */
  lockResource(resourceId: string): void;
  /** Undoes `lockResource`. */
  unlockResource(resourceId: string): void;
  /** Invalidates every access token issued so far: API calls answer 401 until a new token is fetched. */
  revokeAccessTokens(): void;
  /** Webhooks queued by state changes and not yet taken. */
  pendingWebhooks(): readonly PayPalFakeWebhook[];
  /** Takes (and forgets) every queued webhook. */
  takeWebhooks(): PayPalFakeWebhook[];
  /** Builds a webhook event about an order from the fake's state (or synthesizes the resource). */
  webhookEvent(input: PayPalFakeWebhookEventInput): PayPalWebhookEventBody;
  /** Signs an event (or a raw body) the way PayPal delivers it. */
  signedWebhook(event: PayPalWebhookEventBody | string, options?: PayPalFakeSignOptions): WebhookRequest;
}

// ---------------------------------------------------------------------------------------------
// Internal model
// ---------------------------------------------------------------------------------------------

interface ProcessorResponse {
  readonly avs_code: string;
  readonly cvv_code: string;
  readonly response_code: string;
}

interface FakeAuthorization {
  readonly id: string;
  readonly orderId: string;
  status: string;
  readonly units: bigint;
  readonly currency: string;
  readonly customId: string | undefined;
  readonly invoiceId: string | undefined;
  readonly networkTransactionId: string | undefined;
  readonly processorResponse: ProcessorResponse;
  readonly createTime: number;
  updateTime: number;
}

interface FakeCapture {
  readonly id: string;
  readonly orderId: string;
  readonly authorizationId: string | undefined;
  status: string;
  readonly statusReason: string | undefined;
  readonly units: bigint;
  readonly currency: string;
  refundedUnits: bigint;
  readonly finalCapture: boolean;
  readonly customId: string | undefined;
  readonly invoiceId: string | undefined;
  readonly networkTransactionId: string | undefined;
  readonly processorResponse: ProcessorResponse;
  readonly createTime: number;
  updateTime: number;
}

interface FakeRefund {
  readonly id: string;
  readonly orderId: string;
  readonly captureId: string;
  readonly status: string;
  readonly units: bigint;
  readonly currency: string;
  readonly customId: string | undefined;
  readonly invoiceId: string | undefined;
  readonly noteToPayer: string | undefined;
  readonly createTime: number;
}

interface FakeOrder {
  readonly id: string;
  readonly intent: 'AUTHORIZE' | 'CAPTURE';
  status: string;
  readonly units: bigint;
  readonly currency: string;
  readonly referenceId: string;
  readonly customId: string | undefined;
  readonly invoiceId: string | undefined;
  readonly description: string | undefined;
  readonly softDescriptor: string | undefined;
  readonly token: StoredToken | undefined;
  readonly storedCredential: Readonly<Record<string, unknown>> | undefined;
  readonly returnUrl: string | undefined;
  readonly requestId: string | undefined;
  readonly authorizations: FakeAuthorization[];
  readonly captures: FakeCapture[];
  readonly refunds: FakeRefund[];
  authenticated: boolean;
  readonly createTime: number;
  updateTime: number;
}

interface StoredToken {
  readonly vaultId: string;
  readonly customerId: string | undefined;
  readonly card: PayPalTestPaymentToken['card'];
  readonly outcome: PayPalTestTokenOutcome;
  readonly fingerprint: string;
  readonly networkTransactionId: string;
  readonly createdAt: number;
}

const representation = 'return=representation';
const payeeBase = { email_address: 'merchant@example.com', merchant_id: 'FAKEMERCHANT7' } as const;
const approvedProcessorResponse: ProcessorResponse = { avs_code: 'Y', cvv_code: 'M', response_code: '0000' };
const defaultAcceptedBrands: readonly PayPalCardBrandName[] = ['VISA', 'MASTERCARD', 'AMEX', 'DISCOVER'];
const idLetters = 'ABCDEFGHJKLMNPRSTUVWXY';

function isoTime(milliseconds: number): string {
  return new Date(milliseconds).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function amountProblemResponse(problem: PayPalFakeAmountProblem): FakeResponse {
  return payPalErrorResponse(problem.status, [
    { issue: problem.issue, description: problem.description, field: problem.field, value: problem.value, location: 'body' },
  ]);
}

function notFound(field: string, value: string): FakeResponse {
  return payPalErrorResponse(404, [
    {
      issue: 'INVALID_RESOURCE_ID',
      description: 'Specified resource ID does not exist. Please check the resource ID and try again.',
      field,
      value,
      location: 'path',
    },
  ]);
}

function unprocessable(issue: string, description: string, field?: string): FakeResponse {
  return payPalErrorResponse(422, [{ issue, description, ...(field === undefined ? {} : { field, location: 'body' as const }) }]);
}

function badRequest(detail: PayPalErrorDetail): FakeResponse {
  return payPalErrorResponse(400, [detail]);
}

/**
 * Creates a stateful fake of the PayPal REST endpoints the paymigrate PayPal adapter uses: the
 * OAuth token endpoint, Orders v2 (create, get, authorize, capture), Payments v2 (capture and
 * void an authorization, get and refund a capture), Vault v3 (list a customer's payment tokens)
 * and webhook signature verification. Response shapes follow PayPal's published OpenAPI specs.
 *
 * PayPal behaviour it models:
 * - `PayPal-Request-Id`: a write repeated with the same id returns the *latest state* of what the
 *   first one created (PayPal does not compare the bodies); create-order calls that carry a
 *   `payment_source` require the header (`400 PAYPAL_REQUEST_ID_REQUIRED`).
 * - Orders with a vaulted card are processed in one step: `COMPLETED` with an authorization
 *   (intent `AUTHORIZE`) or a capture (intent `CAPTURE`); a declined card still gives a
 *   `COMPLETED` order whose authorization is `DENIED` / capture `DECLINED`.
 * - Amount rules with PayPal's codes: capture at most what remains authorized
 *   (`MAX_CAPTURE_AMOUNT_EXCEEDED`), refund at most what remains captured (`REFUND_AMOUNT_EXCEEDED`),
 *   currency decimals (`DECIMALS_NOT_SUPPORTED` for HUF, JPY, TWD), duplicate invoice ids.
 * - Merchant-initiated charges with `stored_credential` and a previous network transaction id.
 * - Webhooks queued on every state change, signed over PayPal's transmission string; the
 *   verify-webhook-signature endpoint checks them in constant time.
 */
export function createPayPalFake(options: CreatePayPalFakeOptions = {}): PayPalFake {
  const baseUrl = (options.baseUrl ?? payPalSandboxBaseUrl).replace(/\/+$/, '');
  const clientId = options.clientId ?? 'paypal-fake-client-id';
  const clientSecret = options.clientSecret ?? 'paypal-fake-client-secret';
  const webhookId = options.webhookId ?? 'WH-FAKE-0000000000000000';
  const webhookSecret = options.webhookSecret ?? `whsec-${randomUUID()}`;
  const acceptedBrands = new Set<string>(options.acceptedBrands ?? defaultAcceptedBrands);
  const blockDuplicateInvoiceIds = options.blockDuplicateInvoiceIds ?? true;
  const now = options.now ?? Date.now;

  const orders = new Map<string, FakeOrder>();
  const authorizations = new Map<string, FakeAuthorization>();
  const captures = new Map<string, FakeCapture>();
  const refunds = new Map<string, FakeRefund>();
  const tokens = new Map<string, StoredToken>();
  const requestIds = new Map<string, string>();
  const invoiceOwners = new Map<string, string>();
  const accessTokens = new Set<string>();
  const lockedResources = new Set<string>();
  let queuedWebhooks: PayPalFakeWebhook[] = [];
  let captureOutcome: PayPalFakeCaptureOutcome = 'COMPLETED';
  let counter = 0;

  function nextId(prefix: string): string {
    counter += 1;
    let letters = '';
    for (let index = 0; index < 6; index += 1) letters += idLetters[Math.floor(Math.random() * idLetters.length)];
    // Letters break up the digits: no id ever holds a run of 13+ digits (it could look like a card number).
    return `${prefix}${counter.toString().padStart(6, '0')}${letters}`.slice(0, 20);
  }

  function nextNetworkTransactionId(): string {
    counter += 1;
    return `${(100_000_000_000_000 + counter * 7919).toString()}`;
  }

  function fingerprintOf(card: PayPalTestPaymentToken['card'], seed: string): string {
    return createHash('sha256').update(`${card.brand}:${card.lastDigits}:${card.expiry}:${seed}`).digest('hex').slice(0, 16);
  }

  for (const template of Object.values(payPalTestPaymentTokens) as readonly PayPalTestPaymentToken[]) {
    tokens.set(template.vaultId, {
      vaultId: template.vaultId,
      customerId: undefined,
      card: template.card,
      outcome: template.outcome,
      fingerprint: fingerprintOf(template.card, template.vaultId),
      networkTransactionId: nextNetworkTransactionId(),
      createdAt: now(),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Representations (PayPal's response schemas)
  // -------------------------------------------------------------------------------------------

  function link(path: string, rel: string, method: string): { href: string; rel: string; method: string } {
    return { href: `${baseUrl}${path}`, rel, method };
  }

  function networkReference(token: StoredToken | undefined, id: string | undefined): Record<string, unknown> {
    if (id === undefined || token === undefined) return {};
    const date = new Date(now());
    const monthDay = `${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
    return { network_transaction_reference: { id, date: monthDay, network: token.card.brand } };
  }

  function authorizationBody(authorization: FakeAuthorization, withAdditionalData: boolean): Record<string, unknown> {
    const order = orders.get(authorization.orderId) as FakeOrder;
    return {
      status: authorization.status,
      id: authorization.id,
      amount: formatPayPalAmount(authorization.currency, authorization.units),
      ...(authorization.invoiceId === undefined ? {} : { invoice_id: authorization.invoiceId }),
      ...(authorization.customId === undefined ? {} : { custom_id: authorization.customId }),
      ...networkReference(order.token, authorization.networkTransactionId),
      seller_protection: { status: 'NOT_ELIGIBLE' },
      expiration_time: isoTime(authorization.createTime + 29 * 86_400_000),
      links: [
        link(`/v2/payments/authorizations/${authorization.id}`, 'self', 'GET'),
        link(`/v2/payments/authorizations/${authorization.id}/capture`, 'capture', 'POST'),
        link(`/v2/payments/authorizations/${authorization.id}/void`, 'void', 'POST'),
        link(`/v2/checkout/orders/${authorization.orderId}`, 'up', 'GET'),
      ],
      create_time: isoTime(authorization.createTime),
      update_time: isoTime(authorization.updateTime),
      ...(withAdditionalData ? { processor_response: authorization.processorResponse } : {}),
    };
  }

  function authorizationResource(authorization: FakeAuthorization): Record<string, unknown> {
    return {
      ...authorizationBody(authorization, false),
      supplementary_data: { related_ids: { order_id: authorization.orderId } },
      payee: payeeBase,
    };
  }

  function captureBody(capture: FakeCapture): Record<string, unknown> {
    const order = orders.get(capture.orderId) as FakeOrder;
    return {
      status: capture.status,
      ...(capture.statusReason === undefined ? {} : { status_details: { reason: capture.statusReason } }),
      id: capture.id,
      amount: formatPayPalAmount(capture.currency, capture.units),
      ...(capture.invoiceId === undefined ? {} : { invoice_id: capture.invoiceId }),
      ...(capture.customId === undefined ? {} : { custom_id: capture.customId }),
      ...networkReference(order.token, capture.networkTransactionId),
      seller_protection: { status: 'NOT_ELIGIBLE' },
      final_capture: capture.finalCapture,
      ...(capture.status === 'DECLINED' || capture.status === 'FAILED'
        ? {}
        : {
            seller_receivable_breakdown: {
              gross_amount: formatPayPalAmount(capture.currency, capture.units),
              net_amount: formatPayPalAmount(capture.currency, capture.units),
            },
          }),
      links: [
        link(`/v2/payments/captures/${capture.id}`, 'self', 'GET'),
        link(`/v2/payments/captures/${capture.id}/refund`, 'refund', 'POST'),
        capture.authorizationId === undefined
          ? link(`/v2/checkout/orders/${capture.orderId}`, 'up', 'GET')
          : link(`/v2/payments/authorizations/${capture.authorizationId}`, 'up', 'GET'),
      ],
      processor_response: capture.processorResponse,
      create_time: isoTime(capture.createTime),
      update_time: isoTime(capture.updateTime),
    };
  }

  function captureResource(capture: FakeCapture): Record<string, unknown> {
    const relatedIds: Record<string, string> = { order_id: capture.orderId };
    if (capture.authorizationId !== undefined) relatedIds.authorization_id = capture.authorizationId;
    return { ...captureBody(capture), supplementary_data: { related_ids: relatedIds }, payee: payeeBase };
  }

  function refundBody(refund: FakeRefund): Record<string, unknown> {
    const capture = captures.get(refund.captureId) as FakeCapture;
    return {
      status: refund.status,
      id: refund.id,
      amount: formatPayPalAmount(refund.currency, refund.units),
      ...(refund.invoiceId === undefined ? {} : { invoice_id: refund.invoiceId }),
      ...(refund.customId === undefined ? {} : { custom_id: refund.customId }),
      ...(refund.noteToPayer === undefined ? {} : { note_to_payer: refund.noteToPayer }),
      seller_payable_breakdown: {
        gross_amount: formatPayPalAmount(refund.currency, refund.units),
        net_amount: formatPayPalAmount(refund.currency, refund.units),
        total_refunded_amount: formatPayPalAmount(capture.currency, capture.refundedUnits),
      },
      links: [link(`/v2/payments/refunds/${refund.id}`, 'self', 'GET'), link(`/v2/payments/captures/${refund.captureId}`, 'up', 'GET')],
      create_time: isoTime(refund.createTime),
      update_time: isoTime(refund.createTime),
    };
  }

  function cardSource(order: FakeOrder): Record<string, unknown> | undefined {
    const token = order.token;
    if (token === undefined) return undefined;
    const card: Record<string, unknown> = {
      last_digits: token.card.lastDigits,
      brand: token.card.brand,
      available_networks: [token.card.brand],
      type: token.card.type,
      expiry: token.card.expiry,
    };
    if (token.customerId !== undefined) {
      card.attributes = { vault: { id: token.vaultId, status: 'VAULTED', customer: { id: token.customerId } } };
    }
    if (order.authenticated) {
      card.authentication_result = {
        liability_shift: 'POSSIBLE',
        three_d_secure: { authentication_status: 'Y', enrollment_status: 'Y' },
      };
    }
    return { card };
  }

  function orderBody(order: FakeOrder): Record<string, unknown> {
    const payments: Record<string, unknown> = {};
    if (order.authorizations.length > 0) payments.authorizations = order.authorizations.map((authorization) => authorizationBody(authorization, true));
    if (order.captures.length > 0) payments.captures = order.captures.map(captureBody);
    if (order.refunds.length > 0) payments.refunds = order.refunds.map(refundBody);
    const source = cardSource(order);
    const links = [link(`/v2/checkout/orders/${order.id}`, 'self', 'GET')];
    if (order.status === 'PAYER_ACTION_REQUIRED') {
      links.push({ href: `https://www.sandbox.paypal.com/webapps/helios?action=verify&flow=3ds&cart_id=${order.id}`, rel: 'payer-action', method: 'GET' });
    }
    if (order.status === 'APPROVED') {
      links.push(link(`/v2/checkout/orders/${order.id}/${order.intent === 'AUTHORIZE' ? 'authorize' : 'capture'}`, order.intent === 'AUTHORIZE' ? 'authorize' : 'capture', 'POST'));
    }
    return {
      id: order.id,
      intent: order.intent,
      status: order.status,
      ...(source === undefined ? {} : { payment_source: source }),
      purchase_units: [
        {
          reference_id: order.referenceId,
          amount: formatPayPalAmount(order.currency, order.units),
          payee: payeeBase,
          ...(order.description === undefined ? {} : { description: order.description }),
          ...(order.customId === undefined ? {} : { custom_id: order.customId }),
          ...(order.invoiceId === undefined ? {} : { invoice_id: order.invoiceId }),
          ...(order.softDescriptor === undefined ? {} : { soft_descriptor: order.softDescriptor }),
          ...(Object.keys(payments).length > 0 ? { payments } : {}),
        },
      ],
      create_time: isoTime(order.createTime),
      update_time: isoTime(order.updateTime),
      links,
    };
  }

  /** PayPal's `return=minimal` answer: id, status and the HATEOAS links of the full one. */
  function minimal(full: Record<string, unknown>): Record<string, unknown> {
    return { id: full.id, status: full.status, links: full.links };
  }

  function wantsRepresentation(context: FakeRouteContext): boolean {
    return (context.headers.get('prefer') ?? '').includes(representation);
  }

  function orderAnswer(context: FakeRouteContext, order: FakeOrder, status: number): FakeResponse {
    const body = wantsRepresentation(context) ? orderBody(order) : minimal(orderBody(order));
    return json(body, { status, headers: { 'paypal-debug-id': nextDebugId() } });
  }

  // -------------------------------------------------------------------------------------------
  // Webhooks
  // -------------------------------------------------------------------------------------------

  function eventBody(eventType: string, resourceType: string, resource: Record<string, unknown>, eventId?: string): PayPalWebhookEventBody {
    const amount = isRecord(resource.amount) ? `${String(resource.amount.value)} ${String(resource.amount.currency_code)}` : '';
    const id = eventId ?? `WH-${nextId('')}-${nextId('')}`;
    return {
      id,
      event_version: '1.0',
      create_time: new Date(now()).toISOString(),
      resource_type: resourceType,
      resource_version: '2.0',
      event_type: eventType,
      summary: `${eventType} ${amount}`.trim(),
      resource,
      links: [
        { href: `${baseUrl}/v1/notifications/webhooks-events/${id}`, rel: 'self', method: 'GET' },
        { href: `${baseUrl}/v1/notifications/webhooks-events/${id}/resend`, rel: 'resend', method: 'POST' },
      ],
    };
  }

  function sign(event: PayPalWebhookEventBody | string, signOptions: PayPalFakeSignOptions = {}): WebhookRequest {
    return signPayPalWebhook({
      secret: signOptions.secret ?? webhookSecret,
      webhookId: signOptions.webhookId ?? webhookId,
      rawBody: typeof event === 'string' ? event : JSON.stringify(event),
      transmissionTime: signOptions.transmissionTime ?? now(),
    });
  }

  function queueWebhook(eventType: string, resourceType: string, resource: Record<string, unknown>): void {
    const event = eventBody(eventType, resourceType, resource);
    queuedWebhooks.push({ event, request: sign(event) });
  }

  // -------------------------------------------------------------------------------------------
  // Shared request checks
  // -------------------------------------------------------------------------------------------

  function authenticate(context: FakeRouteContext): FakeResponse | undefined {
    const header = context.headers.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return accessTokens.has(token) ? undefined : payPalErrorResponse(401);
  }

  /** The JSON object body, or the 400 PayPal answers for a body that is not one. */
  function readBody(context: FakeRouteContext): { readonly body: Record<string, unknown> } | { readonly refusal: FakeResponse } {
    if (context.bodyText.trim() === '') return { body: {} };
    try {
      const parsed: unknown = JSON.parse(context.bodyText);
      if (isRecord(parsed)) return { body: parsed };
    } catch {
      // Falls through to the 400 below.
    }
    return { refusal: badRequest({ issue: 'MALFORMED_REQUEST_JSON', description: 'The request JSON is not well formed.', location: 'body' }) };
  }

  /** The JSON object body of an authenticated request, or the 401 / 400 PayPal answers instead. */
  function authenticatedBody(context: FakeRouteContext): { readonly body: Record<string, unknown> } | { readonly refusal: FakeResponse } {
    const unauthorized = authenticate(context);
    return unauthorized === undefined ? readBody(context) : { refusal: unauthorized };
  }

  /**
   * The units a capture or refund asks for: all that remains when the body names no amount,
   * otherwise the amount, refused in PayPal's words when its currency differs or it exceeds what remains.
   */
  function requestedUnits(
    body: Record<string, unknown>,
    remaining: { readonly units: bigint; readonly currency: string },
    refusals: { readonly currencyMismatch: readonly [string, string]; readonly exceeded: readonly [string, string] },
  ): { readonly units: bigint } | { readonly refusal: FakeResponse } {
    if (body.amount === undefined) return { units: remaining.units };
    const amount = parsePayPalAmount(body.amount, '/amount');
    if (isAmountProblem(amount)) return { refusal: amountProblemResponse(amount) };
    if (amount.currency !== remaining.currency) return { refusal: unprocessable(...refusals.currencyMismatch, '/amount/currency_code') };
    if (amount.units > remaining.units) return { refusal: unprocessable(...refusals.exceeded, '/amount/value') };
    return { units: amount.units };
  }

  function replayed(operation: string, context: FakeRouteContext): string | undefined {
    const requestId = context.headers.get('paypal-request-id');
    return requestId === null ? undefined : requestIds.get(`${operation}:${requestId}`);
  }

  function remember(operation: string, context: FakeRouteContext, resourceId: string): void {
    const requestId = context.headers.get('paypal-request-id');
    if (requestId !== null) requestIds.set(`${operation}:${requestId}`, resourceId);
  }

  function invoiceTaken(invoiceId: string | undefined, orderId: string | undefined): boolean {
    if (!blockDuplicateInvoiceIds || invoiceId === undefined) return false;
    const owner = invoiceOwners.get(invoiceId);
    return owner !== undefined && owner !== orderId;
  }

  function duplicateInvoice(): FakeResponse {
    return unprocessable('DUPLICATE_INVOICE_ID', 'Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires that Invoice Id be unique for each transaction.');
  }

  // -------------------------------------------------------------------------------------------
  // Processing a payment source
  // -------------------------------------------------------------------------------------------

  function authorizeOrCapture(order: FakeOrder, outcome: PayPalTestTokenOutcome): void {
    const time = now();
    const denied = outcome.kind === 'deny';
    const processorResponse: ProcessorResponse = denied ? { avs_code: 'N', cvv_code: 'N', response_code: outcome.processorResponseCode } : approvedProcessorResponse;
    const networkTransactionId = denied ? undefined : nextNetworkTransactionId();
    if (order.intent === 'AUTHORIZE') {
      const authorization: FakeAuthorization = {
        id: nextId('0A'),
        orderId: order.id,
        status: denied ? 'DENIED' : 'CREATED',
        units: order.units,
        currency: order.currency,
        customId: order.customId,
        invoiceId: order.invoiceId,
        networkTransactionId,
        processorResponse,
        createTime: time,
        updateTime: time,
      };
      order.authorizations.push(authorization);
      authorizations.set(authorization.id, authorization);
      if (!denied) queueWebhook('PAYMENT.AUTHORIZATION.CREATED', 'authorization', authorizationResource(authorization));
    } else {
      const capture: FakeCapture = {
        id: nextId('3C'),
        orderId: order.id,
        authorizationId: undefined,
        status: denied ? 'DECLINED' : 'COMPLETED',
        statusReason: undefined,
        units: order.units,
        currency: order.currency,
        refundedUnits: 0n,
        finalCapture: true,
        customId: order.customId,
        invoiceId: order.invoiceId,
        networkTransactionId,
        processorResponse,
        createTime: time,
        updateTime: time,
      };
      order.captures.push(capture);
      captures.set(capture.id, capture);
      queueWebhook(denied ? 'PAYMENT.CAPTURE.DECLINED' : 'PAYMENT.CAPTURE.COMPLETED', 'capture', captureResource(capture));
    }
    order.status = 'COMPLETED';
    order.updateTime = time;
  }

  // -------------------------------------------------------------------------------------------
  // Routes
  // -------------------------------------------------------------------------------------------

  const oauthToken: FakeRoute = {
    method: 'POST',
    path: '/v1/oauth2/token',
    handle: (context) => {
      const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
      if (context.headers.get('authorization') !== expected) {
        return json({ error: 'invalid_client', error_description: 'Client Authentication failed' }, { status: 401 });
      }
      if (context.form().get('grant_type') !== 'client_credentials') {
        return json({ error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' }, { status: 400 });
      }
      const accessToken = `A21AA${randomUUID().replaceAll('-', '')}`;
      accessTokens.add(accessToken);
      return json({
        scope: 'https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/vault/payment-tokens/read',
        access_token: accessToken,
        token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T',
        expires_in: 32_400,
        nonce: `${isoTime(now())}${randomUUID().slice(0, 8)}`,
      });
    },
  };

  const createOrder: FakeRoute = {
    method: 'POST',
    path: '/v2/checkout/orders',
    handle: (context) => {
      const read = authenticatedBody(context);
      if ('refusal' in read) return read.refusal;
      const { body } = read;
      const previous = replayed('create-order', context);
      if (previous !== undefined) return orderAnswer(context, orders.get(previous) as FakeOrder, 200);
      const intent = body.intent;
      if (intent !== 'AUTHORIZE' && intent !== 'CAPTURE') {
        return badRequest({ issue: 'INVALID_PARAMETER_VALUE', description: 'The value of a field is invalid.', field: '/intent', value: String(intent), location: 'body' });
      }
      const units = Array.isArray(body.purchase_units) ? body.purchase_units : [];
      if (units.length !== 1) {
        return badRequest({
          issue: units.length === 0 ? 'INVALID_ARRAY_MIN_ITEMS' : 'INVALID_ARRAY_MAX_ITEMS',
          description: 'The fake serves orders with exactly one purchase unit.',
          field: '/purchase_units',
          location: 'body',
        });
      }
      const unit = units[0] as unknown;
      if (!isRecord(unit)) {
        return badRequest({ issue: 'INVALID_PARAMETER_SYNTAX', description: 'The value of a field does not conform to the expected format.', field: '/purchase_units/0', location: 'body' });
      }
      const amount = parsePayPalAmount(unit.amount, '/purchase_units/@reference_id==\'default\'/amount');
      if (isAmountProblem(amount)) return amountProblemResponse(amount);
      const invoiceId = optionalString(unit.invoice_id);
      const source = isRecord(body.payment_source) ? body.payment_source : undefined;
      const card = source !== undefined && isRecord(source.card) ? source.card : undefined;
      if (source !== undefined && context.headers.get('paypal-request-id') === null) {
        return badRequest({ issue: 'PAYPAL_REQUEST_ID_REQUIRED', description: 'A PayPal-Request-Id is required if you are trying to process payment for an Order. Please specify a PayPal-Request-Id or Create the Order without a \'payment_source\' specified.', location: 'header' });
      }
      if (source !== undefined && card === undefined) {
        return badRequest({ issue: 'INVALID_PARAMETER_VALUE', description: 'The PayPal fake serves card payment sources only.', field: '/payment_source', location: 'body' });
      }
      if (card !== undefined && (card.number !== undefined || card.security_code !== undefined)) {
        return badRequest({
          issue: 'INVALID_PARAMETER_VALUE',
          description: 'The PayPal fake takes vaulted cards (vault_id) only and never accepts card numbers or security codes.',
          field: '/payment_source/card',
          location: 'body',
        });
      }
      const vaultId = card === undefined ? undefined : optionalString(card.vault_id);
      if (card !== undefined && vaultId === undefined) {
        return badRequest({ issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.', field: '/payment_source/card/vault_id', location: 'body' });
      }
      const token = vaultId === undefined ? undefined : tokens.get(vaultId);
      if (vaultId !== undefined && token === undefined) {
        return unprocessable('TOKEN_ID_NOT_FOUND', 'Specified token was not found.', '/payment_source/card/vault_id');
      }
      if (invoiceTaken(invoiceId, undefined)) return duplicateInvoice();
      const storedCredential = card !== undefined && isRecord(card.stored_credential) ? card.stored_credential : undefined;
      const merchantInitiated = storedCredential?.payment_initiator === 'MERCHANT';
      if (token !== undefined && !acceptedBrands.has(token.card.brand)) {
        return unprocessable('CARD_BRAND_NOT_SUPPORTED', 'Processing of this card brand is not supported. Please use another card to continue with this transaction.', '/payment_source/card');
      }
      if (token !== undefined && token.outcome.kind === 'reject') {
        return unprocessable(token.outcome.issue, token.outcome.description, '/payment_source/card');
      }
      const experience = card !== undefined && isRecord(card.experience_context) ? card.experience_context : undefined;
      const time = now();
      const order: FakeOrder = {
        id: nextId('5O'),
        intent,
        status: token === undefined ? 'CREATED' : 'APPROVED',
        units: amount.units,
        currency: amount.currency,
        referenceId: optionalString(unit.reference_id) ?? 'default',
        customId: optionalString(unit.custom_id),
        invoiceId,
        description: optionalString(unit.description),
        softDescriptor: optionalString(unit.soft_descriptor),
        token,
        storedCredential,
        returnUrl: experience === undefined ? undefined : optionalString(experience.return_url),
        requestId: context.headers.get('paypal-request-id') ?? undefined,
        authorizations: [],
        captures: [],
        refunds: [],
        authenticated: false,
        createTime: time,
        updateTime: time,
      };
      orders.set(order.id, order);
      if (invoiceId !== undefined) invoiceOwners.set(invoiceId, order.id);
      remember('create-order', context, order.id);
      if (token !== undefined) {
        if (token.outcome.kind === 'payer-action' && !merchantInitiated) {
          order.status = 'PAYER_ACTION_REQUIRED';
        } else {
          authorizeOrCapture(order, token.outcome.kind === 'payer-action' ? { kind: 'approve' } : token.outcome);
        }
      }
      return orderAnswer(context, order, 201);
    },
  };

  const getOrder: FakeRoute = {
    method: 'GET',
    path: '/v2/checkout/orders/:id',
    handle: (context) => {
      const unauthorized = authenticate(context);
      if (unauthorized !== undefined) return unauthorized;
      const order = orders.get(context.params.id ?? '');
      return order === undefined ? notFound('order_id', context.params.id ?? '') : json(orderBody(order), { headers: { 'paypal-debug-id': nextDebugId() } });
    },
  };

  function completeOrder(action: 'authorize' | 'capture'): FakeRoute {
    return {
      method: 'POST',
      path: `/v2/checkout/orders/:id/${action}`,
      handle: (context) => {
        const read = authenticatedBody(context);
        if ('refusal' in read) return read.refusal;
        const previous = replayed(`${action}-order`, context);
        if (previous !== undefined) return orderAnswer(context, orders.get(previous) as FakeOrder, 200);
        const order = orders.get(context.params.id ?? '');
        if (order === undefined) return notFound('order_id', context.params.id ?? '');
        if ((action === 'authorize') !== (order.intent === 'AUTHORIZE')) {
          return unprocessable('ACTION_DOES_NOT_MATCH_INTENT', `Order was created with an intent to '${order.intent}'. Please use the matching endpoint.`);
        }
        if (order.status === 'COMPLETED') {
          return action === 'authorize'
            ? unprocessable('ORDER_ALREADY_AUTHORIZED', 'Order already authorized. If \'intent=AUTHORIZE\' only one authorization per order is allowed.')
            : unprocessable('ORDER_ALREADY_CAPTURED', 'Order already captured. If \'intent=CAPTURE\' only one capture per order is allowed.');
        }
        if (order.status === 'PAYER_ACTION_REQUIRED') {
          return unprocessable('PAYER_ACTION_REQUIRED', 'Transaction cannot complete successfully, instruct the buyer to return to the previous page.');
        }
        if (order.status !== 'APPROVED' || order.token === undefined) {
          return unprocessable('ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment.');
        }
        remember(`${action}-order`, context, order.id);
        authorizeOrCapture(order, order.token.outcome.kind === 'deny' ? order.token.outcome : { kind: 'approve' });
        return orderAnswer(context, order, 201);
      },
    };
  }

  const captureAuthorization: FakeRoute = {
    method: 'POST',
    path: '/v2/payments/authorizations/:authorization_id/capture',
    handle: (context) => {
      const read = authenticatedBody(context);
      if ('refusal' in read) return read.refusal;
      const { body } = read;
      const previous = replayed('capture-authorization', context);
      if (previous !== undefined) return captureAnswer(context, captures.get(previous) as FakeCapture, 200);
      const authorizationId = context.params.authorization_id ?? '';
      const authorization = authorizations.get(authorizationId);
      if (authorization === undefined) return notFound('authorization_id', authorizationId);
      if (lockedResources.has(authorizationId)) return inProgress();
      const refused = authorizationRefusal(authorization);
      if (refused !== undefined) return refused;
      const order = orders.get(authorization.orderId) as FakeOrder;
      const capturedSoFar = order.captures
        .filter((capture) => capture.authorizationId === authorizationId && capture.status !== 'DECLINED' && capture.status !== 'FAILED')
        .reduce((sum, capture) => sum + capture.units, 0n);
      const remaining = authorization.units - capturedSoFar;
      const requested = requestedUnits(body, { units: remaining, currency: authorization.currency }, {
        currencyMismatch: ['AUTH_CAPTURE_CURRENCY_MISMATCH', 'Currency of capture must be the same as currency of authorization.'],
        exceeded: ['MAX_CAPTURE_AMOUNT_EXCEEDED', 'Capture amount exceeds allowable limit. Please contact customer service or your account manager to change the limit.'],
      });
      if ('refusal' in requested) return requested.refusal;
      const { units } = requested;
      const invoiceId = optionalString(body.invoice_id) ?? authorization.invoiceId;
      if (invoiceTaken(invoiceId, order.id)) return duplicateInvoice();
      if (invoiceId !== undefined) invoiceOwners.set(invoiceId, order.id);
      const finalCapture = body.final_capture === true;
      const time = now();
      const declined = captureOutcome === 'DECLINED';
      const capture: FakeCapture = {
        id: nextId('7C'),
        orderId: order.id,
        authorizationId,
        status: captureOutcome,
        statusReason: captureOutcome === 'PENDING' ? 'PENDING_REVIEW' : undefined,
        units,
        currency: authorization.currency,
        refundedUnits: 0n,
        finalCapture,
        customId: authorization.customId,
        invoiceId,
        networkTransactionId: authorization.networkTransactionId,
        processorResponse: declined ? { avs_code: 'Y', cvv_code: 'M', response_code: '5100' } : approvedProcessorResponse,
        createTime: time,
        updateTime: time,
      };
      order.captures.push(capture);
      captures.set(capture.id, capture);
      if (!declined) {
        authorization.status = finalCapture || units === remaining ? 'CAPTURED' : 'PARTIALLY_CAPTURED';
        authorization.updateTime = time;
      }
      order.updateTime = time;
      remember('capture-authorization', context, capture.id);
      const eventType = { COMPLETED: 'PAYMENT.CAPTURE.COMPLETED', PENDING: 'PAYMENT.CAPTURE.PENDING', DECLINED: 'PAYMENT.CAPTURE.DECLINED' }[captureOutcome];
      queueWebhook(eventType, 'capture', captureResource(capture));
      return captureAnswer(context, capture, 201);
    },
  };

  function inProgress(): FakeResponse {
    return payPalErrorResponse(409, [
      {
        issue: 'PREVIOUS_REQUEST_IN_PROGRESS',
        description:
          'A previous request on this resource is currently in progress. Please wait for sometime and try again. It is best to space out the initial and the subsequent request(s) to avoid receiving this error.',
      },
    ]);
  }

  function authorizationRefusal(authorization: FakeAuthorization): FakeResponse | undefined {
    switch (authorization.status) {
      case 'VOIDED':
        return unprocessable('AUTHORIZATION_VOIDED', 'A voided authorization cannot be captured or reauthorized.');
      case 'DENIED':
        return unprocessable('AUTHORIZATION_DENIED', 'A denied authorization cannot be captured.');
      case 'CAPTURED':
        return unprocessable('AUTHORIZATION_ALREADY_CAPTURED', 'Authorization has been previously captured and hence cannot be captured again.');
      default:
        return undefined;
    }
  }

  function captureAnswer(context: FakeRouteContext, capture: FakeCapture, status: number): FakeResponse {
    const body = wantsRepresentation(context) ? captureResource(capture) : minimal(captureBody(capture));
    return json(body, { status, headers: { 'paypal-debug-id': nextDebugId() } });
  }

  const voidAuthorization: FakeRoute = {
    method: 'POST',
    path: '/v2/payments/authorizations/:authorization_id/void',
    handle: (context) => {
      const unauthorized = authenticate(context);
      if (unauthorized !== undefined) return unauthorized;
      const previous = replayed('void-authorization', context);
      const authorizationId = previous ?? context.params.authorization_id ?? '';
      const authorization = authorizations.get(authorizationId);
      if (authorization === undefined) return notFound('authorization_id', authorizationId);
      if (previous === undefined) {
        if (lockedResources.has(authorizationId)) return inProgress();
        if (authorization.status === 'CAPTURED' || authorization.status === 'PARTIALLY_CAPTURED') {
          return unprocessable('PREVIOUSLY_CAPTURED', 'Authorization has been previously captured and hence cannot be voided.');
        }
        if (authorization.status === 'VOIDED') {
          return unprocessable('PREVIOUSLY_VOIDED', 'Authorization has been previously voided and hence cannot be voided again.');
        }
        if (authorization.status === 'DENIED') {
          return unprocessable('CANNOT_BE_VOIDED', 'A denied authorization cannot be voided.');
        }
        const time = now();
        authorization.status = 'VOIDED';
        authorization.updateTime = time;
        const order = orders.get(authorization.orderId) as FakeOrder;
        order.status = 'VOIDED';
        order.updateTime = time;
        remember('void-authorization', context, authorization.id);
        queueWebhook('PAYMENT.AUTHORIZATION.VOIDED', 'authorization', authorizationResource(authorization));
      }
      if (!wantsRepresentation(context)) return empty({ status: 204, headers: { 'paypal-debug-id': nextDebugId() } });
      return json(authorizationResource(authorization), { status: 200, headers: { 'paypal-debug-id': nextDebugId() } });
    },
  };

  const getCapture: FakeRoute = {
    method: 'GET',
    path: '/v2/payments/captures/:capture_id',
    handle: (context) => {
      const unauthorized = authenticate(context);
      if (unauthorized !== undefined) return unauthorized;
      const capture = captures.get(context.params.capture_id ?? '');
      return capture === undefined
        ? notFound('capture_id', context.params.capture_id ?? '')
        : json(captureResource(capture), { headers: { 'paypal-debug-id': nextDebugId() } });
    },
  };

  const refundCapture: FakeRoute = {
    method: 'POST',
    path: '/v2/payments/captures/:capture_id/refund',
    handle: (context) => {
      const read = authenticatedBody(context);
      if ('refusal' in read) return read.refusal;
      const { body } = read;
      const previous = replayed('refund-capture', context);
      if (previous !== undefined) return refundAnswer(context, refunds.get(previous) as FakeRefund, 200);
      const captureId = context.params.capture_id ?? '';
      const capture = captures.get(captureId);
      if (capture === undefined) return notFound('capture_id', captureId);
      if (lockedResources.has(captureId)) return inProgress();
      if (capture.status === 'DECLINED' || capture.status === 'FAILED') return unprocessable('REFUND_NOT_ALLOWED', 'Capture cannot be refunded.');
      if (capture.status === 'PENDING') return unprocessable('PENDING_CAPTURE', 'Cannot initiate a refund as the capture is pending. Capture is typically pending when the payer has paid with an eCheck.');
      if (capture.status === 'REFUNDED') return unprocessable('CAPTURE_FULLY_REFUNDED', 'The capture has already been fully refunded');
      const requested = requestedUnits(body, { units: capture.units - capture.refundedUnits, currency: capture.currency }, {
        currencyMismatch: ['REFUND_CAPTURE_CURRENCY_MISMATCH', 'Refund must be in the same currency as the capture'],
        exceeded: ['REFUND_AMOUNT_EXCEEDED', 'The refund amount must be less than or equal to the capture amount that has not yet been refunded.'],
      });
      if ('refusal' in requested) return requested.refusal;
      const { units } = requested;
      const invoiceId = optionalString(body.invoice_id);
      if (invoiceTaken(invoiceId, capture.orderId)) return duplicateInvoice();
      if (invoiceId !== undefined) invoiceOwners.set(invoiceId, capture.orderId);
      const time = now();
      const refund: FakeRefund = {
        id: nextId('1R'),
        orderId: capture.orderId,
        captureId,
        status: 'COMPLETED',
        units,
        currency: capture.currency,
        customId: optionalString(body.custom_id),
        invoiceId,
        noteToPayer: optionalString(body.note_to_payer),
        createTime: time,
      };
      capture.refundedUnits += units;
      capture.status = capture.refundedUnits === capture.units ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      capture.updateTime = time;
      const order = orders.get(capture.orderId) as FakeOrder;
      order.refunds.push(refund);
      order.updateTime = time;
      refunds.set(refund.id, refund);
      remember('refund-capture', context, refund.id);
      queueWebhook('PAYMENT.CAPTURE.REFUNDED', 'refund', refundBody(refund));
      return refundAnswer(context, refund, 201);
    },
  };

  function refundAnswer(context: FakeRouteContext, refund: FakeRefund, status: number): FakeResponse {
    const body = wantsRepresentation(context) ? refundBody(refund) : minimal(refundBody(refund));
    return json(body, { status, headers: { 'paypal-debug-id': nextDebugId() } });
  }

  function paymentTokenBody(token: StoredToken): Record<string, unknown> {
    return {
      id: token.vaultId,
      customer: { id: token.customerId },
      payment_source: {
        card: {
          last_digits: token.card.lastDigits,
          brand: token.card.brand,
          expiry: token.card.expiry,
          verification_status: 'VERIFIED',
          verification: { network_transaction_id: token.networkTransactionId, time: isoTime(token.createdAt) },
        },
      },
      links: [link(`/v3/vault/payment-tokens/${token.vaultId}`, 'self', 'GET'), link(`/v3/vault/payment-tokens/${token.vaultId}`, 'delete', 'DELETE')],
    };
  }

  const listPaymentTokens: FakeRoute = {
    method: 'GET',
    path: '/v3/vault/payment-tokens',
    handle: (context) => {
      const unauthorized = authenticate(context);
      if (unauthorized !== undefined) return unauthorized;
      const customerId = context.url.searchParams.get('customer_id');
      if (customerId === null || !/^[0-9a-zA-Z_-]{7,36}$/.test(customerId)) {
        const debugId = nextDebugId();
        const issue = customerId === null || customerId === '' ? 'MISSING_REQUIRED_PARAMETER' : 'INVALID_PARAMETER_VALUE';
        return json(
          {
            name: 'INVALID_REQUEST',
            message: 'Request is not well-formed, syntactically incorrect, or violates schema.',
            debug_id: debugId,
            details: [{ field: 'customer_id', location: 'query', issue, description: 'customer_id must be 7 to 36 characters of letters, digits, _ or -.' }],
            links: [{ href: `https://developer.paypal.com/api/rest/reference/orders/v2/errors/#${issue}`, rel: 'information_link', method: 'GET' }],
          },
          { status: 400, headers: { 'paypal-debug-id': debugId } },
        );
      }
      const pageSize = Math.min(Math.max(Number(context.url.searchParams.get('page_size') ?? '5') || 5, 1), 20);
      const page = Math.max(Number(context.url.searchParams.get('page') ?? '1') || 1, 1);
      const owned = [...tokens.values()].filter((token) => token.customerId === customerId);
      const totalPages = Math.max(Math.ceil(owned.length / pageSize), 1);
      const slice = owned.slice((page - 1) * pageSize, page * pageSize);
      return json(
        {
          customer: { id: customerId },
          payment_tokens: slice.map(paymentTokenBody),
          ...(context.url.searchParams.get('total_required') === 'true' ? { total_items: owned.length, total_pages: totalPages } : {}),
          links: [link(`/v3/vault/payment-tokens?customer_id=${encodeURIComponent(customerId)}&page=${page}&page_size=${pageSize}`, 'self', 'GET')],
        },
        { headers: { 'paypal-debug-id': nextDebugId() } },
      );
    },
  };

  const verifyWebhookSignature: FakeRoute = {
    method: 'POST',
    path: '/v1/notifications/verify-webhook-signature',
    handle: (context) => {
      const read = authenticatedBody(context);
      if ('refusal' in read) return read.refusal;
      const { body } = read;
      const fields = ['auth_algo', 'cert_url', 'transmission_id', 'transmission_sig', 'transmission_time', 'webhook_id'] as const;
      const missing = fields.find((field) => typeof body[field] !== 'string' || body[field] === '');
      if (missing !== undefined || !isRecord(body.webhook_event)) {
        return badRequest({ issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.', field: missing ?? 'webhook_event', location: 'body' });
      }
      const certificateUrl = body.cert_url as string;
      const trustedCertificate = certificateUrl.startsWith('https://api.sandbox.paypal.com/') || certificateUrl.startsWith('https://api.paypal.com/');
      const expected = payPalTransmissionSignature({
        secret: webhookSecret,
        transmissionId: body.transmission_id as string,
        transmissionTime: body.transmission_time as string,
        webhookId: body.webhook_id as string,
        rawBody: JSON.stringify(body.webhook_event),
      });
      const valid =
        body.webhook_id === webhookId &&
        body.auth_algo === payPalWebhookAuthAlgorithm &&
        trustedCertificate &&
        signaturesMatch(expected, body.transmission_sig as string);
      return json({ verification_status: valid ? 'SUCCESS' : 'FAILURE' }, { headers: { 'paypal-debug-id': nextDebugId() } });
    },
  };

  const api = createFakeApi({
    name: 'paypal',
    baseUrl,
    seed: options.seed,
    recordCalls: options.recordCalls,
    secretHeaders: ['paypal-transmission-sig'],
    routes: [
      oauthToken,
      createOrder,
      getOrder,
      completeOrder('authorize'),
      completeOrder('capture'),
      captureAuthorization,
      voidAuthorization,
      getCapture,
      refundCapture,
      listPaymentTokens,
      verifyWebhookSignature,
    ],
  });

  // -------------------------------------------------------------------------------------------
  // Test helpers
  // -------------------------------------------------------------------------------------------

  function paymentSummary(order: FakeOrder): PayPalFakePayment {
    return {
      orderId: order.id,
      status: order.status,
      intent: order.intent,
      amount: formatPayPalAmount(order.currency, order.units),
      customId: order.customId,
      invoiceId: order.invoiceId,
      vaultId: order.token?.vaultId,
      storedCredential: order.storedCredential,
      requestId: order.requestId,
      authorizations: order.authorizations.map((authorization) => ({
        id: authorization.id,
        status: authorization.status,
        value: formatPayPalAmount(authorization.currency, authorization.units).value,
      })),
      captures: order.captures.map((capture) => ({
        id: capture.id,
        status: capture.status,
        value: formatPayPalAmount(capture.currency, capture.units).value,
        refundedValue: formatPayPalAmount(capture.currency, capture.refundedUnits).value,
      })),
      refunds: order.refunds.map((refund) => ({
        id: refund.id,
        captureId: refund.captureId,
        status: refund.status,
        value: formatPayPalAmount(refund.currency, refund.units).value,
      })),
    };
  }

  function storedCardView(token: StoredToken): PayPalFakeStoredCard {
    return {
      vaultId: token.vaultId,
      customerId: token.customerId as string,
      brand: token.card.brand,
      lastDigits: token.card.lastDigits,
      expiry: token.card.expiry,
      fingerprint: token.fingerprint,
      networkTransactionId: token.networkTransactionId,
      createdAt: token.createdAt,
    };
  }

  function synthesizedResource(input: PayPalFakeWebhookEventInput, order: FakeOrder | undefined): { resourceType: string; resource: Record<string, unknown> } {
    const amount = input.amount ?? (order === undefined ? { currency_code: 'USD', value: '1.00' } : formatPayPalAmount(order.currency, order.units));
    const time = isoTime(now());
    const authorization = order?.authorizations[0];
    const capture = order?.captures[0];
    const relatedIds = { order_id: input.orderId, ...(authorization === undefined ? {} : { authorization_id: authorization.id }) };
    const common = {
      amount,
      ...(order?.customId === undefined ? {} : { custom_id: order.customId }),
      ...(order?.invoiceId === undefined ? {} : { invoice_id: order.invoiceId }),
      create_time: time,
      update_time: time,
    };
    switch (input.eventType) {
      case 'PAYMENT.AUTHORIZATION.CREATED':
      case 'PAYMENT.AUTHORIZATION.VOIDED':
        return {
          resourceType: 'authorization',
          resource: {
            ...(authorization === undefined ? {} : authorizationResource(authorization)),
            ...common,
            id: authorization?.id ?? nextId('0A'),
            status: input.eventType === 'PAYMENT.AUTHORIZATION.VOIDED' ? 'VOIDED' : 'CREATED',
            supplementary_data: { related_ids: { order_id: input.orderId } },
            payee: payeeBase,
          },
        };
      case 'PAYMENT.CAPTURE.REFUNDED': {
        const captureId = capture?.id ?? nextId('7C');
        return {
          resourceType: 'refund',
          resource: {
            ...common,
            id: nextId('1R'),
            status: 'COMPLETED',
            links: [link(`/v2/payments/captures/${captureId}`, 'up', 'GET')],
          },
        };
      }
      case 'CHECKOUT.ORDER.APPROVED':
        return { resourceType: 'checkout-order', resource: order === undefined ? { id: input.orderId, status: 'APPROVED' } : orderBody(order) };
      default:
        return {
          resourceType: 'capture',
          resource: {
            ...(capture === undefined ? {} : captureResource(capture)),
            ...common,
            id: capture?.id ?? nextId('7C'),
            status: input.eventType === 'PAYMENT.CAPTURE.DECLINED' ? 'DECLINED' : input.eventType === 'PAYMENT.CAPTURE.PENDING' ? 'PENDING' : 'COMPLETED',
            final_capture: true,
            supplementary_data: { related_ids: relatedIds },
            payee: payeeBase,
          },
        };
    }
  }

  return {
    api,
    handlers: api.handlers,
    baseUrl,
    clientId,
    clientSecret,
    webhookId,
    webhookSecret,
    payments: () => [...orders.values()].map(paymentSummary),
    order: (orderId) => {
      const order = orders.get(orderId);
      return order === undefined ? undefined : orderBody(order);
    },
    storedPaymentMethods: (customerId) =>
      [...tokens.values()].filter((token) => token.customerId !== undefined && (customerId === undefined || token.customerId === customerId)).map(storedCardView),
    vaultCard: ({ customerId, testToken = 'visa' }) => {
      const template: PayPalTestPaymentToken = payPalTestPaymentTokens[testToken];
      const token: StoredToken = {
        vaultId: nextId('vt').toLowerCase(),
        customerId,
        card: template.card,
        outcome: template.outcome,
        fingerprint: fingerprintOf(template.card, template.vaultId),
        networkTransactionId: nextNetworkTransactionId(),
        createdAt: now(),
      };
      tokens.set(token.vaultId, token);
      queueWebhook('VAULT.PAYMENT-TOKEN.CREATED', 'payment_token', paymentTokenBody(token));
      return storedCardView(token);
    },
    completePayerAction: (orderId) => {
      const order = orders.get(orderId);
      if (order === undefined || order.status !== 'PAYER_ACTION_REQUIRED') {
        throw new Error(`PayPal fake: order ${orderId} is not waiting for payer action`);
      }
      order.status = 'APPROVED';
      order.authenticated = true;
      order.updateTime = now();
      queueWebhook('CHECKOUT.ORDER.APPROVED', 'checkout-order', orderBody(order));
    },
    setCaptureOutcome: (outcome) => {
      captureOutcome = outcome;
    },
    lockResource: (resourceId) => {
      lockedResources.add(resourceId);
    },
    unlockResource: (resourceId) => {
      lockedResources.delete(resourceId);
    },
    revokeAccessTokens: () => {
      accessTokens.clear();
    },
    pendingWebhooks: () => [...queuedWebhooks],
    takeWebhooks: () => {
      const taken = queuedWebhooks;
      queuedWebhooks = [];
      return taken;
    },
    webhookEvent: (input) => {
      const order = orders.get(input.orderId);
      const { resourceType, resource } = synthesizedResource(input, order);
      return eventBody(input.eventType, resourceType, resource, input.eventId);
    },
    signedWebhook: (event, signOptions) => sign(event, signOptions),
  };
}

