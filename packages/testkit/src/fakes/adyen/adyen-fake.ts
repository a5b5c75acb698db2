import type { WebhookRequest } from '@paymigrate/core';
import type { HttpHandler } from 'msw';
import { createFakeApi, type FakeApi, type FakeRouteContext } from '../../http/fake-api.js';
import { json, type FakeJsonResponse, type FakeResponse } from '../../http/fake-response.js';
import {
  adyenEventDate,
  signAdyenNotification,
  type AdyenFakeAmount,
  type AdyenNotificationItem,
} from './adyen-fake-notifications.js';
import { adyenFakeCardFingerprint, createAdyenReferenceGenerator } from './adyen-fake-references.js';
import {
  adyenFakeBrandOf,
  adyenTestCards,
  adyenTestRefusals,
  passesLuhnCheck,
  type AdyenFakeCardBrand,
  type AdyenTestRefusal,
} from './adyen-fake-test-cards.js';

/** Route ids of the Adyen fake, for `fake.api.faults.inject({ route })`, `callsTo` and `answerNext`. */
export const adyenFakeRoutes = {
  payments: 'POST /payments',
  captures: 'POST /payments/:paymentPspReference/captures',
  refunds: 'POST /payments/:paymentPspReference/refunds',
  cancels: 'POST /payments/:paymentPspReference/cancels',
  reversals: 'POST /payments/:paymentPspReference/reversals',
  technicalCancels: 'POST /cancels',
  storedPaymentMethods: 'GET /storedPaymentMethods',
} as const;

/** One route id of the Adyen fake. */
export type AdyenFakeRouteId = (typeof adyenFakeRoutes)[keyof typeof adyenFakeRoutes];

/** Defaults of `createAdyenFake`. */
export const adyenFakeDefaults = {
  /** Checkout API v72 on Adyen's test environment, where the SDK sends `EnvironmentEnum.TEST` calls. */
  baseUrl: 'https://checkout-test.adyen.com/v72',
  /** The only `X-API-Key` the fake accepts unless told otherwise. */
  apiKey: 'AQEpaymigrateFakeApiKey0000000000',
  /** The only merchant account the fake accepts unless told otherwise. */
  merchantAccount: 'PaymigrateTestMerchant',
  /** Hex HMAC key the fake signs webhooks with (64 hex digits, like a Customer Area key). */
  hmacKey: '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056',
  /** Brands the fake merchant account is not configured for (answered with error 905). */
  unsupportedBrands: ['jcb'] as readonly AdyenFakeCardBrand[],
} as const;

/** Options of `createAdyenFake`. */
export interface AdyenFakeOptions {
  /** Checkout base URL including the version. @default adyenFakeDefaults.baseUrl */
  readonly baseUrl?: string | undefined;
  /** The API key the fake accepts in `X-API-Key`. @default adyenFakeDefaults.apiKey */
  readonly apiKey?: string | undefined;
  /** The merchant account the fake accepts. @default adyenFakeDefaults.merchantAccount */
  readonly merchantAccount?: string | undefined;
  /** The hex HMAC key webhooks are signed with. @default adyenFakeDefaults.hmacKey */
  readonly hmacKey?: string | undefined;
  /** Card brands refused with error 905 "Payment details are not supported". @default ['jcb'] */
  readonly unsupportedBrands?: readonly AdyenFakeCardBrand[] | undefined;
  /** Clock for `eventDate` and `createdAt`, epoch milliseconds. @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Seed of the reference generator and of fault probabilities. @default 1 */
  readonly seed?: number | undefined;
  /** Record calls (turn off for long benchmarks). @default true */
  readonly recordCalls?: boolean | undefined;
  /** The `live` flag written into webhook bodies. @default false */
  readonly live?: boolean | undefined;
}

/** How the fake captures an authorised payment. */
export type AdyenFakeCaptureMode = 'immediate' | 'manual' | 'delayed';

/** Safe card data the fake keeps: never a card number. */
export interface AdyenFakeCardSummary {
  /** Adyen brand code. */
  readonly brand: AdyenFakeCardBrand;
  /** Last four digits. */
  readonly lastFour: string;
  /** Expiry month, two digits. */
  readonly expiryMonth: string;
  /** Expiry year, four digits. */
  readonly expiryYear: string;
  /** PAR-like fingerprint: the same card always gets the same one. */
  readonly fingerprint: string;
}

/** A capture, refund, cancellation or reversal the fake accepted. */
export interface AdyenFakeModification {
  /** PSP reference of the modification. */
  readonly pspReference: string;
  /** What it was. */
  readonly kind: 'capture' | 'refund' | 'cancel' | 'reversal' | 'technical-cancel';
  /** Amount, for captures, refunds and the refund part of a reversal. */
  readonly amount?: AdyenFakeAmount | undefined;
  /** The merchant's reference of the modification. */
  readonly reference?: string | undefined;
  /** For a reversal: whether it cancelled or refunded. */
  readonly action?: 'cancel' | 'refund' | undefined;
  /** Outcome reported by the webhook. */
  readonly outcome: 'succeeded' | 'failed';
  /** Failure reason, when it failed. */
  readonly reason?: string | undefined;
}

/** A payment as the fake holds it (a snapshot: changing it changes nothing). */
export interface AdyenFakePayment {
  /** PSP reference. */
  readonly pspReference: string;
  /** The merchant's reference (`reference` of the request). */
  readonly merchantReference: string;
  /** Merchant account. */
  readonly merchantAccount: string;
  /** Requested amount. */
  readonly amount: AdyenFakeAmount;
  /** Current result code (`Authorised`, `Refused`, `RedirectShopper`, ...). */
  readonly resultCode: string;
  /** Capture mode chosen by the request. */
  readonly captureMode: AdyenFakeCaptureMode;
  /** Authorised minor units (0 when not authorised). */
  readonly authorisedValue: number;
  /** Captured minor units. */
  readonly capturedValue: number;
  /** Refunded minor units. */
  readonly refundedValue: number;
  /** Whether the uncaptured remainder was cancelled (or expired). */
  readonly cancelled: boolean;
  /** `shopperInteraction` of the request (default `Ecommerce`). */
  readonly shopperInteraction: string;
  /** `recurringProcessingModel` of the request. */
  readonly recurringProcessingModel?: string | undefined;
  /** `shopperReference` of the request. */
  readonly shopperReference?: string | undefined;
  /** Stored payment method used or created. */
  readonly storedPaymentMethodId?: string | undefined;
  /** Network transaction id the fake issued for this payment. */
  readonly networkTxReference?: string | undefined;
  /** `additionalData.networkTxReference` the request carried (merchant-initiated charges). */
  readonly receivedNetworkTxReference?: string | undefined;
  /** The card, when it was a card payment. */
  readonly card?: AdyenFakeCardSummary | undefined;
  /** Refusal reason text, when refused. */
  readonly refusalReason?: string | undefined;
  /** Refusal reason code, when refused. */
  readonly refusalReasonCode?: string | undefined;
  /** Metadata of the request. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** Accepted modifications, oldest first. */
  readonly modifications: readonly AdyenFakeModification[];
  /** Creation time, epoch milliseconds. */
  readonly createdAt: number;
}

/** A stored payment method as the fake holds it. */
export interface AdyenFakeStoredPaymentMethod {
  /** The token (`storedPaymentMethodId`). */
  readonly id: string;
  /** Shopper it belongs to. */
  readonly shopperReference: string;
  /** Card summary with fingerprint. */
  readonly card: AdyenFakeCardSummary;
  /** Holder name of the card, when given. */
  readonly holderName?: string | undefined;
  /** Network transaction id of the payment that created it. */
  readonly networkTxReference?: string | undefined;
  /** PSP reference of the payment that created it. */
  readonly firstPspReference: string;
  /** Creation time, epoch milliseconds. */
  readonly createdAt: number;
}

/** A one-shot answer that replaces the next call to a route (see `AdyenFake.answerNext`). */
export interface AdyenFakeScriptedAnswer {
  /** HTTP status. */
  readonly status: number;
  /** JSON body. */
  readonly body: unknown;
  /** Extra response headers (e.g. `transient-error: true`, `retry-after`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** What `createAdyenFake` returns. */
export interface AdyenFake {
  /** The fake API: calls, `callsTo`, `faults`, `dumpTraffic`. */
  readonly api: FakeApi;
  /** msw handlers: `setupServer(...fake.handlers)`. */
  readonly handlers: HttpHandler[];
  /** Checkout base URL the handlers answer. */
  readonly baseUrl: string;
  /** API key the fake accepts. */
  readonly apiKey: string;
  /** Merchant account the fake accepts. */
  readonly merchantAccount: string;
  /** Hex HMAC key the fake signs webhooks with. */
  readonly hmacKey: string;
  /** Same as `hmacKey`: the secret a gateway needs to verify the fake's webhooks. */
  readonly webhookSecret: string;
  /** Every payment, oldest first. */
  payments(): readonly AdyenFakePayment[];
  /** One payment by PSP reference. */
  payment(pspReference: string): AdyenFakePayment | undefined;
  /** Stored payment methods, of one shopper or of all. */
  storedPaymentMethods(shopperReference?: string): readonly AdyenFakeStoredPaymentMethod[];
  /** Webhooks queued and not yet taken, signed, oldest first. */
  pendingWebhooks(): readonly WebhookRequest[];
  /** Removes and returns the queued webhooks. */
  takePendingWebhooks(): WebhookRequest[];
  /**
   * Delivers queued webhooks one by one (including ones queued while delivering) and resolves with
   * how many were delivered.
   */
  deliverPendingWebhooks(deliver: (request: WebhookRequest) => unknown): Promise<number>;
  /** Signs any notification item with the fake's key (for tests that build their own webhooks). */
  signedWebhook(item: AdyenNotificationItem, options?: { readonly receivedAt?: number | undefined }): WebhookRequest;
  /** Replaces the next call to `route` with this answer (not stored under its idempotency key). */
  answerNext(route: AdyenFakeRouteId, answer: AdyenFakeScriptedAnswer): void;
  /** Makes the next accepted modification of `kind` fail in its webhook (`success: 'false'`) and change nothing. */
  failNextModification(kind: 'capture' | 'refund' | 'cancel', reason?: string): void;
  /** Completes a payment waiting for 3-D Secure: authorised, or refused with a test refusal. Throws for a payment that was cancelled or is not waiting. */
  completeThreeDSecure(pspReference: string, outcome?: 'authorised' | keyof typeof adyenTestRefusals): void;
  /** Lets an authorisation expire: the uncaptured remainder is released and an EXPIRE webhook queued. */
  expireAuthorisation(pspReference: string): void;
  /** Queues a CHARGEBACK webhook for a payment. */
  chargeback(pspReference: string): void;
}

type MutablePayment = { -readonly [Key in keyof AdyenFakePayment]: AdyenFakePayment[Key] } & { modifications: AdyenFakeModification[] };

type JsonObject = Record<string, unknown>;

/** Builds an error body in Adyen's `ServiceError` shape. */
export function adyenErrorBody(
  status: number,
  errorCode: string,
  message: string,
  errorType: string,
  pspReference?: string,
): { status: number; errorCode: string; message: string; errorType: string; pspReference?: string } {
  return { status, errorCode, message, errorType, ...(pspReference === undefined ? {} : { pspReference }) };
}

/** Answers with a `ServiceError`. */
function errorAnswer(status: number, errorCode: string, message: string, errorType: string, pspReference?: string): FakeJsonResponse {
  return json(adyenErrorBody(status, errorCode, message, errorType, pspReference), { status });
}

/** Result codes of a payment still waiting for its shopper, which Adyen lets the merchant cancel. */
const awaitingShopperResultCodes: ReadonlySet<string> = new Set(['RedirectShopper', 'IdentifyShopper', 'ChallengeShopper', 'PresentToShopper', 'Pending', 'Received']);

/** Result codes after which Adyen sends the AUTHORISATION webhook. */
const finalResultCodes: ReadonlySet<string> = new Set(['Authorised', 'Refused', 'Error', 'Cancelled']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: JsonObject, field: string): string | undefined {
  const value = object[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads and checks `amount`; a string is the error answer. */
function readAmount(body: JsonObject, pspReference?: string): AdyenFakeAmount | FakeJsonResponse {
  const amount = body.amount;
  if (!isObject(amount)) return errorAnswer(422, '100', "Required object 'amount' is not provided.", 'validation', pspReference);
  const { value, currency } = amount;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) {
    return errorAnswer(422, '138', 'Unsupported currency specified', 'validation', pspReference);
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return errorAnswer(422, '137', 'Invalid amount specified', 'validation', pspReference);
  }
  return { value, currency };
}

function isAnswer(value: unknown): value is FakeJsonResponse {
  return isObject(value) && value.type === 'json';
}

/** Strips Adyen's `test_` prefix from a test-environment "encrypted" field. */
function testValue(value: unknown): string | undefined {
  return typeof value === 'string' && value.startsWith('test_') ? value.slice('test_'.length) : undefined;
}

/**
 * Creates a stateful fake of the Adyen Checkout API v72 endpoints the adapter uses: `/payments`,
 * `/payments/{pspReference}/captures|refunds|cancels|reversals`, `/cancels` (technical cancel) and
 * `GET /storedPaymentMethods`.
 *
 * Rules, as Adyen documents them:
 * - `X-API-Key` must match (else 401, `errorCode` 000); `merchantAccount` must match (else 403, 901).
 * - `Idempotency-Key` on POST: the first answer is stored per key (company-wide, whatever the
 *   endpoint or body) and replayed for every later request with that key; the key is echoed in
 *   the `idempotency-key` response header. Adyen does not compare bodies, so neither does the fake.
 * - Captures, refunds and cancels answer `201 { status: 'received' }`; the outcome arrives as a
 *   webhook (CAPTURE, REFUND, CANCELLATION, CANCEL_OR_REFUND, TECHNICAL_CANCEL) queued for the
 *   test to deliver. Every final `/payments` result queues an AUTHORISATION webhook.
 * - Amount rules: a capture above the remaining authorised amount or a refund above the captured,
 *   not yet refunded amount is refused with `422`, `errorCode` 137 ("Invalid amount specified");
 *   an unknown PSP reference with 167 ("Original pspReference required for this operation"); a
 *   modification the payment's state forbids (cancelling a fully captured payment, modifying a
 *   refused one) with 000. Adyen itself may accept some of these and report the failure in the
 *   webhook instead; the fake answers synchronously so the adapter's error path is exercised.
 * - A payment still waiting for its shopper (`RedirectShopper`) can be cancelled: `201 received`,
 *   then a successful CANCELLATION webhook, and the shopper can no longer complete 3-D Secure.
 * - Manual capture with `additionalData.manualCapture: 'true'`; `captureDelayHours > 0` delays the
 *   capture (the fake then waits like manual); otherwise the capture is immediate.
 * - Test cards use Adyen's `test_` convention and holder-name refusals (see `adyenTestTokens`).
 *
 * @example
 * const fake = createAdyenFake();
 * const server = setupServer(...fake.handlers);
 * fake.api.faults.inject({ route: adyenFakeRoutes.payments, kind: 'timeout-after-apply', times: 1 });
 */
export function createAdyenFake(options: AdyenFakeOptions = {}): AdyenFake {
  const apiKey = options.apiKey ?? adyenFakeDefaults.apiKey;
  const merchantAccount = options.merchantAccount ?? adyenFakeDefaults.merchantAccount;
  const hmacKey = options.hmacKey ?? adyenFakeDefaults.hmacKey;
  const unsupportedBrands = new Set(options.unsupportedBrands ?? adyenFakeDefaults.unsupportedBrands);
  const now = options.now ?? Date.now;
  const live = options.live ?? false;
  const references = createAdyenReferenceGenerator(options.seed ?? 1);

  const payments = new Map<string, MutablePayment>();
  const latestPaymentByMerchantReference = new Map<string, string>();
  const storedMethods = new Map<string, AdyenFakeStoredPaymentMethod>();
  const cardOfStoredMethod = new Map<string, string>();
  const idempotentAnswers = new Map<string, FakeJsonResponse>();
  const scriptedAnswers = new Map<string, AdyenFakeScriptedAnswer[]>();
  const failingModifications = new Map<string, string[]>();
  let webhookQueue: WebhookRequest[] = [];

  function queueNotification(item: AdyenNotificationItem): void {
    webhookQueue.push(signAdyenNotification(item, hmacKey, { live }));
  }

  function paymentNotification(payment: MutablePayment, eventCode: string, success: boolean, extra: Partial<AdyenNotificationItem> = {}): AdyenNotificationItem {
    return {
      amount: payment.amount,
      eventCode,
      eventDate: adyenEventDate(now()),
      merchantAccountCode: payment.merchantAccount,
      merchantReference: payment.merchantReference,
      paymentMethod: payment.card?.brand,
      pspReference: payment.pspReference,
      reason: '',
      success: success ? 'true' : 'false',
      ...extra,
    };
  }

  function queueAuthorisation(payment: MutablePayment): void {
    const success = payment.resultCode === 'Authorised';
    const additionalData: Record<string, string> = {};
    if (payment.networkTxReference !== undefined) additionalData.networkTxReference = payment.networkTxReference;
    if (payment.storedPaymentMethodId !== undefined && payment.shopperReference !== undefined && payment.shopperInteraction !== 'ContAuth') {
      additionalData['tokenization.storedPaymentMethodId'] = payment.storedPaymentMethodId;
      additionalData['tokenization.shopperReference'] = payment.shopperReference;
    }
    const reason = success
      ? `${references.authorisationCode()}:${payment.card?.lastFour ?? ''}:${payment.card === undefined ? '' : `${Number(payment.card.expiryMonth)}/${payment.card.expiryYear}`}`
      : (payment.refusalReason ?? '');
    queueNotification(paymentNotification(payment, 'AUTHORISATION', success, { reason, additionalData }));
  }

  function consumeFailure(kind: string): string | undefined {
    const queue = failingModifications.get(kind);
    return queue?.shift();
  }

  /** Wraps a POST route: scripted answers, authentication, merchant account, idempotency. */
  function post(handler: (context: FakeRouteContext, body: JsonObject) => FakeJsonResponse, routeId: AdyenFakeRouteId) {
    return (context: FakeRouteContext): FakeResponse => {
      const scripted = scriptedAnswers.get(routeId)?.shift();
      if (scripted !== undefined) return json(scripted.body, { status: scripted.status, headers: scripted.headers });
      const authenticationFailure = authenticate(context);
      if (authenticationFailure !== undefined) return authenticationFailure;
      const key = context.headers.get('idempotency-key') ?? undefined;
      const echo: Record<string, string> = key === undefined ? {} : { 'idempotency-key': key };
      if (key !== undefined) {
        const stored = idempotentAnswers.get(key);
        if (stored !== undefined) return json(stored.body, { status: stored.status, headers: { ...stored.headers, ...echo } });
      }
      let body: unknown;
      try {
        body = context.bodyText === '' ? {} : context.json();
      } catch {
        return json(adyenErrorBody(400, '702', 'Unexpected input: the request body is not JSON', 'validation'), { status: 400 });
      }
      if (!isObject(body)) return errorAnswer(400, '702', 'Unexpected input: expected a JSON object', 'validation');
      if (stringField(body, 'merchantAccount') !== merchantAccount) return errorAnswer(403, '901', 'Invalid Merchant Account', 'security');
      const answer = handler(context, body);
      if (key !== undefined) idempotentAnswers.set(key, answer);
      return json(answer.body, { status: answer.status, headers: { ...answer.headers, ...echo } });
    };
  }

  function authenticate(context: FakeRouteContext): FakeJsonResponse | undefined {
    if (context.headers.get('x-api-key') === apiKey) return undefined;
    return errorAnswer(401, '000', 'HTTP Status Response - Unauthorized', 'security');
  }

  function storePaymentMethod(
    shopperReference: string,
    cardNumber: string,
    card: AdyenFakeCardSummary,
    holderName: string | undefined,
    payment: MutablePayment,
  ): { id: string; operationType: 'created' | 'alreadyExisting' } {
    const identity = `${shopperReference}|${cardNumber}|${card.expiryMonth}/${card.expiryYear}`;
    const existing = cardOfStoredMethod.get(identity);
    if (existing !== undefined) return { id: existing, operationType: 'alreadyExisting' };
    const id = references.storedPaymentMethodId();
    cardOfStoredMethod.set(identity, id);
    storedMethods.set(id, {
      id,
      shopperReference,
      card,
      holderName,
      networkTxReference: payment.networkTxReference,
      firstPspReference: payment.pspReference,
      createdAt: now(),
    });
    return { id, operationType: 'created' };
  }

  function handlePayments(_context: FakeRouteContext, body: JsonObject): FakeJsonResponse {
    const amount = readAmount(body);
    if (isAnswer(amount)) return amount;
    const merchantReference = stringField(body, 'reference');
    if (merchantReference === undefined) return errorAnswer(422, '130', "Required field 'reference' is not provided.", 'validation');
    if (merchantReference.length > 80) return errorAnswer(422, '130', "Field 'reference' exceeds 80 characters.", 'validation');
    if (stringField(body, 'returnUrl') === undefined) return errorAnswer(422, '14_030', 'Return URL is missing.', 'validation');
    const paymentMethod = body.paymentMethod;
    if (!isObject(paymentMethod)) return errorAnswer(422, '14_006', "Required object 'paymentMethod' is not provided.", 'validation');
    const shopperReference = stringField(body, 'shopperReference');
    const storeRequested = body.storePaymentMethod === true;
    if (storeRequested && shopperReference === undefined) {
      return errorAnswer(422, '000', 'Recurring payments require a shopperReference', 'validation');
    }
    const additionalData = isObject(body.additionalData) ? body.additionalData : {};
    const captureDelayHours = typeof body.captureDelayHours === 'number' ? body.captureDelayHours : undefined;
    const captureMode: AdyenFakeCaptureMode =
      additionalData.manualCapture === 'true' ? 'manual' : captureDelayHours !== undefined && captureDelayHours > 0 ? 'delayed' : 'immediate';
    const shopperInteraction = stringField(body, 'shopperInteraction') ?? 'Ecommerce';
    const metadata = isObject(body.metadata) ? (Object.fromEntries(Object.entries(body.metadata).map(([key, value]) => [key, String(value)])) as Record<string, string>) : undefined;

    let card: AdyenFakeCardSummary;
    let cardNumber: string | undefined;
    let refusal: AdyenTestRefusal | undefined;
    let redirect = false;
    let storedPaymentMethodId: string | undefined;
    const storedId = stringField(paymentMethod, 'storedPaymentMethodId');
    const holderName = stringField(paymentMethod, 'holderName');
    if (storedId !== undefined) {
      const stored = storedMethods.get(storedId);
      if (stored === undefined || stored.shopperReference !== shopperReference) {
        return errorAnswer(422, '803', 'PaymentDetail not found', 'validation');
      }
      card = stored.card;
      storedPaymentMethodId = stored.id;
    } else {
      cardNumber = testValue(paymentMethod.encryptedCardNumber);
      if (cardNumber === undefined || !passesLuhnCheck(cardNumber)) return errorAnswer(422, '101', 'Invalid card number', 'validation');
      const brand = adyenFakeBrandOf(cardNumber);
      if (brand === undefined) return errorAnswer(422, '102', 'Unable to determine variant', 'validation');
      const expiryMonth = testValue(paymentMethod.encryptedExpiryMonth);
      const expiryYear = testValue(paymentMethod.encryptedExpiryYear);
      if (expiryMonth === undefined || expiryYear === undefined || !/^(0[1-9]|1[0-2])$/.test(expiryMonth) || !/^[0-9]{4}$/.test(expiryYear)) {
        return errorAnswer(422, '129', 'Expiry Date Invalid', 'validation');
      }
      if (unsupportedBrands.has(brand)) return errorAnswer(422, '905', 'Payment details are not supported', 'configuration');
      card = { brand, lastFour: cardNumber.slice(-4), expiryMonth, expiryYear, fingerprint: adyenFakeCardFingerprint(cardNumber) };
      if (holderName !== undefined && holderName in adyenTestRefusals) refusal = adyenTestRefusals[holderName as keyof typeof adyenTestRefusals];
      const testCard = Object.values(adyenTestCards).find((candidate) => candidate.number === cardNumber);
      redirect = refusal === undefined && testCard?.behaviour === 'redirect-3ds';
    }

    const pspReference = references.pspReference();
    const resultCode = refusal?.resultCode ?? (redirect ? 'RedirectShopper' : 'Authorised');
    const authorised = resultCode === 'Authorised';
    const payment: MutablePayment = {
      pspReference,
      merchantReference,
      merchantAccount,
      amount,
      resultCode,
      captureMode,
      authorisedValue: authorised ? amount.value : 0,
      capturedValue: authorised && captureMode === 'immediate' ? amount.value : 0,
      refundedValue: 0,
      cancelled: false,
      shopperInteraction,
      recurringProcessingModel: stringField(body, 'recurringProcessingModel'),
      shopperReference,
      storedPaymentMethodId,
      networkTxReference: authorised ? references.networkTransactionId() : undefined,
      receivedNetworkTxReference: stringField(additionalData, 'networkTxReference'),
      card,
      refusalReason: refusal?.refusalReason,
      refusalReasonCode: refusal?.refusalReasonCode,
      metadata,
      modifications: [],
      createdAt: now(),
    };
    payments.set(pspReference, payment);
    latestPaymentByMerchantReference.set(merchantReference, pspReference);

    const responseData: Record<string, string> = {};
    if (authorised && storeRequested && shopperReference !== undefined && cardNumber !== undefined) {
      const stored = storePaymentMethod(shopperReference, cardNumber, card, holderName, payment);
      payment.storedPaymentMethodId = stored.id;
      responseData['tokenization.shopperReference'] = shopperReference;
      responseData['tokenization.storedPaymentMethodId'] = stored.id;
      responseData['tokenization.store.operationType'] = stored.operationType;
      if (stored.operationType === 'created') {
        queueNotification(
          paymentNotification(payment, 'RECURRING_CONTRACT', true, {
            amount: { currency: amount.currency, value: 0 },
            originalReference: pspReference,
            originalPsp: pspReference,
            pspReference: stored.id,
            additionalData: { 'recurring.recurringDetailReference': stored.id, shopperReference },
          }),
        );
      }
    }

    const base = { pspReference, resultCode, amount, merchantReference };
    let responseBody: JsonObject;
    if (refusal !== undefined) {
      responseBody = {
        additionalData: { refusalReasonRaw: refusal.refusalReason.toUpperCase(), cardSummary: card.lastFour, paymentMethod: card.brand },
        ...base,
        refusalReason: refusal.refusalReason,
        refusalReasonCode: refusal.refusalReasonCode,
      };
    } else if (redirect) {
      responseBody = {
        ...base,
        action: {
          paymentMethodType: 'scheme',
          url: `https://checkoutshopper-test.adyen.com/checkoutshopper/threeDS/redirect?MD=${pspReference}`,
          method: 'GET',
          type: 'redirect',
        },
      };
    } else {
      responseBody = {
        additionalData: {
          authCode: references.authorisationCode(),
          cardSummary: card.lastFour,
          expiryDate: `${Number(card.expiryMonth)}/${card.expiryYear}`,
          paymentMethod: card.brand,
          fundingSource: 'CREDIT',
          paymentAccountReference: card.fingerprint,
          networkTxReference: payment.networkTxReference as string,
          refusalReasonRaw: 'AUTHORISED',
          shopperInteraction,
          ...(payment.recurringProcessingModel === undefined ? {} : { recurringProcessingModel: payment.recurringProcessingModel }),
          ...responseData,
        },
        ...base,
        paymentMethod: { brand: card.brand, type: 'scheme' },
      };
    }
    if (finalResultCodes.has(resultCode)) queueAuthorisation(payment);
    return json(responseBody, { status: 200 });
  }

  /** The payment a modification names, when its result lets it be modified (`Authorised`, or for a cancel also waiting for its shopper). */
  function modifiablePayment(context: FakeRouteContext, acceptsAwaitingShopper = false): MutablePayment | FakeJsonResponse {
    const pspReference = context.params.paymentPspReference ?? '';
    const payment = payments.get(pspReference);
    if (payment === undefined) return errorAnswer(422, '167', 'Original pspReference required for this operation', 'validation');
    if (payment.resultCode !== 'Authorised' && !(acceptsAwaitingShopper && awaitingShopperResultCodes.has(payment.resultCode))) {
      return errorAnswer(422, '000', `Payment cannot be modified: its result is ${payment.resultCode}`, 'validation', payment.pspReference);
    }
    return payment;
  }

  function modificationNotification(payment: MutablePayment, eventCode: string, modification: AdyenFakeModification): void {
    queueNotification(
      paymentNotification(payment, eventCode, modification.outcome === 'succeeded', {
        amount: modification.amount ?? payment.amount,
        originalReference: payment.pspReference,
        pspReference: modification.pspReference,
        reason: modification.reason ?? '',
        ...(modification.action === undefined ? {} : { additionalData: { 'modification.action': modification.action } }),
      }),
    );
  }

  function modificationAnswer(payment: MutablePayment, modification: AdyenFakeModification, includeAmount: boolean): FakeJsonResponse {
    return json(
      {
        merchantAccount,
        paymentPspReference: payment.pspReference,
        ...(modification.reference === undefined ? {} : { reference: modification.reference }),
        pspReference: modification.pspReference,
        status: 'received',
        ...(includeAmount && modification.amount !== undefined ? { amount: modification.amount } : {}),
      },
      { status: 201 },
    );
  }

  function handleCapture(context: FakeRouteContext, body: JsonObject): FakeJsonResponse {
    const payment = modifiablePayment(context);
    if (isAnswer(payment)) return payment;
    const amount = readAmount(body, payment.pspReference);
    if (isAnswer(amount)) return amount;
    if (amount.currency !== payment.amount.currency) return errorAnswer(422, '137', 'Invalid amount specified: currency differs from the payment', 'validation', payment.pspReference);
    const remaining = payment.cancelled ? 0 : payment.authorisedValue - payment.capturedValue;
    if (amount.value === 0 || amount.value > remaining) {
      return errorAnswer(422, '137', `Invalid amount specified: ${amount.value} exceeds the remaining authorised amount ${remaining}`, 'validation', payment.pspReference);
    }
    const reason = consumeFailure('capture');
    const modification: AdyenFakeModification = {
      pspReference: references.pspReference(),
      kind: 'capture',
      amount,
      reference: stringField(body, 'reference'),
      outcome: reason === undefined ? 'succeeded' : 'failed',
      reason,
    };
    if (reason === undefined) payment.capturedValue += amount.value;
    payment.modifications.push(modification);
    modificationNotification(payment, 'CAPTURE', modification);
    return modificationAnswer(payment, modification, true);
  }

  function handleRefund(context: FakeRouteContext, body: JsonObject): FakeJsonResponse {
    const payment = modifiablePayment(context);
    if (isAnswer(payment)) return payment;
    const amount = readAmount(body, payment.pspReference);
    if (isAnswer(amount)) return amount;
    if (amount.currency !== payment.amount.currency) return errorAnswer(422, '137', 'Invalid amount specified: currency differs from the payment', 'validation', payment.pspReference);
    const remaining = payment.capturedValue - payment.refundedValue;
    if (amount.value === 0 || amount.value > remaining) {
      return errorAnswer(422, '137', `Invalid amount specified: ${amount.value} exceeds the refundable amount ${remaining}`, 'validation', payment.pspReference);
    }
    const reason = consumeFailure('refund');
    const modification: AdyenFakeModification = {
      pspReference: references.pspReference(),
      kind: 'refund',
      amount,
      reference: stringField(body, 'reference'),
      outcome: reason === undefined ? 'succeeded' : 'failed',
      reason,
    };
    if (reason === undefined) payment.refundedValue += amount.value;
    payment.modifications.push(modification);
    modificationNotification(payment, 'REFUND', modification);
    const merchantRefundReason = stringField(body, 'merchantRefundReason');
    const answer = modificationAnswer(payment, modification, true);
    return merchantRefundReason === undefined ? answer : json({ ...(answer.body as JsonObject), merchantRefundReason }, { status: 201 });
  }

  function handleCancel(context: FakeRouteContext, body: JsonObject): FakeJsonResponse {
    // A payment still waiting for its shopper is cancelled too: nothing was authorised, the shopper
    // can no longer finish the step, and the CANCELLATION webhook reports success.
    const payment = modifiablePayment(context, true);
    if (isAnswer(payment)) return payment;
    if (payment.cancelled) return errorAnswer(422, '000', 'Payment is already cancelled', 'validation', payment.pspReference);
    if (payment.authorisedValue > 0 && payment.capturedValue >= payment.authorisedValue) {
      return errorAnswer(422, '000', 'Payment is fully captured: nothing left to cancel, refund it instead', 'validation', payment.pspReference);
    }
    const reason = consumeFailure('cancel');
    const modification: AdyenFakeModification = {
      pspReference: references.pspReference(),
      kind: 'cancel',
      reference: stringField(body, 'reference'),
      outcome: reason === undefined ? 'succeeded' : 'failed',
      reason,
    };
    if (reason === undefined) payment.cancelled = true;
    payment.modifications.push(modification);
    modificationNotification(payment, 'CANCELLATION', modification);
    return modificationAnswer(payment, modification, false);
  }

  function handleReversal(context: FakeRouteContext, body: JsonObject): FakeJsonResponse {
    const payment = modifiablePayment(context);
    if (isAnswer(payment)) return payment;
    const refundable = payment.capturedValue - payment.refundedValue;
    let modification: AdyenFakeModification;
    if (refundable > 0) {
      modification = {
        pspReference: references.pspReference(),
        kind: 'reversal',
        action: 'refund',
        amount: { currency: payment.amount.currency, value: refundable },
        reference: stringField(body, 'reference'),
        outcome: 'succeeded',
      };
      payment.refundedValue += refundable;
    } else if (!payment.cancelled && payment.capturedValue === 0) {
      modification = { pspReference: references.pspReference(), kind: 'reversal', action: 'cancel', reference: stringField(body, 'reference'), outcome: 'succeeded' };
      payment.cancelled = true;
    } else {
      return errorAnswer(422, '000', 'Payment is already cancelled or refunded', 'validation', payment.pspReference);
    }
    payment.modifications.push(modification);
    modificationNotification(payment, 'CANCEL_OR_REFUND', modification);
    return modificationAnswer(payment, modification, false);
  }

  function handleTechnicalCancel(_context: FakeRouteContext, body: JsonObject): FakeJsonResponse {
    const paymentReference = stringField(body, 'paymentReference');
    if (paymentReference === undefined) return errorAnswer(422, '000', "Required field 'paymentReference' is not provided.", 'validation');
    const reference = stringField(body, 'reference');
    const pspReference = references.pspReference();
    const paymentPspReference = latestPaymentByMerchantReference.get(paymentReference);
    const payment = paymentPspReference === undefined ? undefined : payments.get(paymentPspReference);
    let failure: string | undefined;
    if (payment === undefined) failure = 'Original payment not found';
    else if (payment.resultCode !== 'Authorised') failure = `Original payment is ${payment.resultCode}`;
    else if (payment.cancelled) failure = 'Payment is already cancelled';
    else if (payment.capturedValue > 0) failure = 'Payment is already captured';
    const modification: AdyenFakeModification = {
      pspReference,
      kind: 'technical-cancel',
      reference,
      outcome: failure === undefined ? 'succeeded' : 'failed',
      reason: failure,
    };
    if (payment !== undefined) {
      if (failure === undefined) payment.cancelled = true;
      payment.modifications.push(modification);
    }
    queueNotification({
      amount: payment?.amount ?? { currency: 'EUR', value: 0 },
      eventCode: 'TECHNICAL_CANCEL',
      eventDate: adyenEventDate(now()),
      merchantAccountCode: merchantAccount,
      merchantReference: paymentReference,
      originalReference: payment?.pspReference,
      paymentMethod: payment?.card?.brand,
      pspReference,
      reason: failure ?? '',
      success: failure === undefined ? 'true' : 'false',
    });
    return json(
      { merchantAccount, paymentReference, pspReference, ...(reference === undefined ? {} : { reference }), status: 'received' },
      { status: 201 },
    );
  }

  function handleStoredPaymentMethods(context: FakeRouteContext): FakeResponse {
    const scripted = scriptedAnswers.get(adyenFakeRoutes.storedPaymentMethods)?.shift();
    if (scripted !== undefined) return json(scripted.body, { status: scripted.status, headers: scripted.headers });
    const authenticationFailure = authenticate(context);
    if (authenticationFailure !== undefined) return authenticationFailure;
    if (context.url.searchParams.get('merchantAccount') !== merchantAccount) return errorAnswer(403, '901', 'Invalid Merchant Account', 'security');
    const shopperReference = context.url.searchParams.get('shopperReference');
    if (shopperReference === null || shopperReference === '') {
      return errorAnswer(422, '000', "Required field 'shopperReference' is not provided.", 'validation');
    }
    const methods = [...storedMethods.values()].filter((method) => method.shopperReference === shopperReference);
    return json({
      merchantAccount,
      shopperReference,
      storedPaymentMethods: methods.map((method) => ({
        brand: method.card.brand,
        expiryMonth: method.card.expiryMonth,
        expiryYear: method.card.expiryYear.slice(-2),
        ...(method.holderName === undefined ? {} : { holderName: method.holderName }),
        id: method.id,
        lastFour: method.card.lastFour,
        name: method.card.brand.toUpperCase(),
        ...(method.networkTxReference === undefined ? {} : { networkTxReference: method.networkTxReference }),
        shopperReference: method.shopperReference,
        supportedRecurringProcessingModels: ['CardOnFile', 'Subscription', 'UnscheduledCardOnFile'],
        type: 'scheme',
      })),
    });
  }

  const api = createFakeApi({
    name: 'adyen',
    baseUrl: options.baseUrl ?? adyenFakeDefaults.baseUrl,
    seed: options.seed,
    recordCalls: options.recordCalls,
    routes: [
      { method: 'POST', path: '/payments', handle: post(handlePayments, adyenFakeRoutes.payments) },
      { method: 'POST', path: '/payments/:paymentPspReference/captures', handle: post(handleCapture, adyenFakeRoutes.captures) },
      { method: 'POST', path: '/payments/:paymentPspReference/refunds', handle: post(handleRefund, adyenFakeRoutes.refunds) },
      { method: 'POST', path: '/payments/:paymentPspReference/cancels', handle: post(handleCancel, adyenFakeRoutes.cancels) },
      { method: 'POST', path: '/payments/:paymentPspReference/reversals', handle: post(handleReversal, adyenFakeRoutes.reversals) },
      { method: 'POST', path: '/cancels', handle: post(handleTechnicalCancel, adyenFakeRoutes.technicalCancels) },
      { method: 'GET', path: '/storedPaymentMethods', handle: handleStoredPaymentMethods },
    ],
  });

  function copy(payment: MutablePayment): AdyenFakePayment {
    return structuredClone(payment);
  }

  function requirePayment(pspReference: string): MutablePayment {
    const payment = payments.get(pspReference);
    if (payment === undefined) throw new Error(`Adyen fake has no payment ${pspReference}`);
    return payment;
  }

  return {
    api,
    handlers: api.handlers,
    baseUrl: api.baseUrl,
    apiKey,
    merchantAccount,
    hmacKey,
    webhookSecret: hmacKey,
    payments: () => [...payments.values()].map(copy),
    payment: (pspReference) => {
      const payment = payments.get(pspReference);
      return payment === undefined ? undefined : copy(payment);
    },
    storedPaymentMethods: (shopperReference) =>
      [...storedMethods.values()].filter((method) => shopperReference === undefined || method.shopperReference === shopperReference).map((method) => structuredClone(method)),
    pendingWebhooks: () => [...webhookQueue],
    takePendingWebhooks: () => {
      const taken = webhookQueue;
      webhookQueue = [];
      return taken;
    },
    async deliverPendingWebhooks(deliver) {
      let delivered = 0;
      while (webhookQueue.length > 0) {
        const next = webhookQueue.shift() as WebhookRequest;
        await deliver(next);
        delivered += 1;
      }
      return delivered;
    },
    signedWebhook: (item, signOptions = {}) => signAdyenNotification(item, hmacKey, { live, receivedAt: signOptions.receivedAt }),
    answerNext(route, answer) {
      if (!api.routeIds.includes(route)) throw new Error(`Adyen fake has no route "${route}"`);
      const queue = scriptedAnswers.get(route) ?? [];
      queue.push(answer);
      scriptedAnswers.set(route, queue);
    },
    failNextModification(kind, reason = 'Modification failed') {
      const queue = failingModifications.get(kind) ?? [];
      queue.push(reason);
      failingModifications.set(kind, queue);
    },
    completeThreeDSecure(pspReference, outcome = 'authorised') {
      const payment = requirePayment(pspReference);
      if (payment.cancelled) throw new Error(`Adyen fake payment ${pspReference} was cancelled: its 3-D Secure step can no longer be completed`);
      if (payment.resultCode !== 'RedirectShopper') throw new Error(`Adyen fake payment ${pspReference} is not waiting for 3-D Secure`);
      if (outcome === 'authorised') {
        payment.resultCode = 'Authorised';
        payment.authorisedValue = payment.amount.value;
        payment.capturedValue = payment.captureMode === 'immediate' ? payment.amount.value : 0;
        payment.networkTxReference = references.networkTransactionId();
      } else {
        const refusal = adyenTestRefusals[outcome];
        payment.resultCode = refusal.resultCode;
        payment.refusalReason = refusal.refusalReason;
        payment.refusalReasonCode = refusal.refusalReasonCode;
      }
      queueAuthorisation(payment);
    },
    expireAuthorisation(pspReference) {
      const payment = requirePayment(pspReference);
      payment.cancelled = true;
      queueNotification(paymentNotification(payment, 'EXPIRE', true, { amount: { currency: payment.amount.currency, value: payment.authorisedValue - payment.capturedValue } }));
    },
    chargeback(pspReference) {
      const payment = requirePayment(pspReference);
      queueNotification(
        paymentNotification(payment, 'CHARGEBACK', true, {
          originalReference: payment.pspReference,
          pspReference: references.pspReference(),
          reason: 'Fraudulent transaction',
          additionalData: { chargebackReasonCode: '10.4', chargebackSchemeCode: payment.card?.brand ?? 'visa' },
        }),
      );
    },
  };
}
