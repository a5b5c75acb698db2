import {
  type AuthorizeInput,
  type CallOptions,
  type CancelInput,
  type CaptureInput,
  type CaptureMethod,
  IdempotencyConflictError,
  InvalidRequestError,
  type Money,
  PaymentDeclinedError,
  type PaymentGatewayCapabilities,
  type PaymentGatewayV1,
  type PaymentOperationResult,
  type PaymentSnapshot,
  type PaymentWebhookEvent,
  ProviderError,
  type RefundInput,
  ResourceNotFoundError,
  type StoredPaymentMethod,
  type StoredPaymentMethodChargeInput,
  UnsupportedOperationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@paymigrate/core';
import {
  ApiError,
  type CardRequest,
  CheckoutPaymentIntent,
  type Order,
  type OrderRequest,
  PaymentInitiator,
  StoredPaymentSourcePaymentType,
  StoredPaymentSourceUsageType,
} from '@paypal/paypal-server-sdk';
import { describePayPalStatus } from './map-paypal-status.js';
import { payPalCardSummary } from './map-paypal-card.js';
import { PayPalAuthorizationMemory, type RememberedPayPalAuthorization } from './paypal-authorization-memory.js';
import { payPalCapabilities } from './paypal-capabilities.js';
import { createPayPalSdk, type PayPalSdk } from './paypal-client.js';
import { isPayPalTokenFailure, malformedPayPalAnswer, normalizePayPalError, type PayPalErrorContext, payPalProviderName } from './paypal-error.js';
import { fromPayPalAmount, toPayPalAmount } from './paypal-money.js';
import { payPalCaptureResult, payPalRefundResult, payPalVoidResult } from './paypal-operation-result.js';
import { type PayPalGatewayOptions, resolvePayPalOptions, type ResolvedPayPalOptions } from './paypal-options.js';
import { type PayPalOrderLike, payPalOrderPayments, payPalOrderSnapshot, type PayPalPaymentResourceLike } from './paypal-order-snapshot.js';
import {
  checkPayPalWebhookFreshness,
  normalizePayPalWebhook,
  parsePayPalWebhookBody,
  readPayPalWebhookSignature,
  refundedCaptureId,
  relatedOrderId,
  verifyPayPalWebhookSignature,
} from './paypal-webhooks.js';

/** Every write asks for the full resource, so the adapter never needs a second read to interpret it. */
const representation = 'return=representation';

/** The port's limit on idempotency keys (PayPal takes up to 108 characters). */
const maximumIdempotencyKeyLength = 64;

/** PayPal's limit on `purchase_units[].description`. */
const maximumDescriptionLength = 127;

/** Page size used to list a customer's vaulted payment tokens. */
const paymentTokenPageSize = 20;

/** Stops listing after this many pages (2,000 tokens): a safety net against a paging loop. */
const maximumPaymentTokenPages = 100;

/** The suffix of the request id that completes an order after the payer's 3-D Secure step. */
const completionSuffix = ':complete';

/** What the SDK's calls accept as request options. */
interface SdkRequestOptions {
  readonly abortSignal?: AbortSignal | undefined;
}

/** A new payment: what `authorize` and `chargeStoredPaymentMethod` share. */
interface PaymentCreation {
  readonly operation: 'authorize' | 'chargeStoredPaymentMethod';
  readonly idempotencyKey: string;
  readonly merchantReference: string;
  readonly amount: Money;
  readonly paymentMethodToken: string;
  readonly captureMethod: CaptureMethod;
  readonly description?: string | undefined;
  readonly returnUrl?: string | undefined;
  readonly storedCredential?: CardRequest['storedCredential'];
}

/**
 * The PayPal adapter of `PaymentGatewayV1`, on `@paypal/paypal-server-sdk` (Orders v2, Payments v2,
 * Vault v3). See `createPayPalGateway` for the design choices.
 */
class PayPalGateway implements PaymentGatewayV1 {
  readonly specificationVersion = 'v1' as const;
  readonly provider = payPalProviderName;
  readonly capabilities: PaymentGatewayCapabilities;
  readonly #options: ResolvedPayPalOptions;
  /** Order id -> its authorization, from PayPal's own answers: spares captures and voids a read. */
  readonly #authorizations: PayPalAuthorizationMemory;
  #sdk: PayPalSdk;

  constructor(options: ResolvedPayPalOptions, authorizations: PayPalAuthorizationMemory) {
    this.#options = options;
    this.#authorizations = authorizations;
    this.capabilities = payPalCapabilities(options);
    this.#sdk = createPayPalSdk(options);
  }

  // -------------------------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------------------------

  /**
   * Runs one SDK call and maps what it throws. A failed OAuth token fetch poisons the SDK client
   * (it caches the rejected token promise for good) and a 401 means the cached token is dead:
   * both rebuild the client, so the next call starts with a fresh token.
   */
  async #call<Result>(context: PayPalErrorContext, options: CallOptions | undefined, send: (sdk: PayPalSdk, requestOptions: SdkRequestOptions) => Promise<Result>): Promise<Result> {
    const sdk = this.#sdk;
    try {
      return await send(sdk, { abortSignal: options?.signal });
    } catch (error) {
      if ((isPayPalTokenFailure(error) || (error instanceof ApiError && error.statusCode === 401)) && this.#sdk === sdk) {
        this.#sdk = createPayPalSdk(this.#options);
      }
      throw normalizePayPalError(error, context);
    }
  }

  /**
   * Interprets an answer. The adapter's own verdicts (declines, conflicts, unsupported requests)
   * pass through; anything else means the answer could not be read: unknown outcome (write) or
   * retryable (read).
   */
  #interpret<Result>(context: PayPalErrorContext, interpret: () => Result): Result {
    try {
      return interpret();
    } catch (error) {
      if (ProviderError.isInstance(error) || UnsupportedOperationError.isInstance(error)) throw error;
      throw malformedPayPalAnswer(error, context);
    }
  }

  async #readOrder(operation: string, providerReference: string, options: CallOptions | undefined): Promise<Order> {
    const context: PayPalErrorContext = { operation, kind: 'read', resource: `order ${providerReference}` };
    if (providerReference.trim() === '') {
      throw new ResourceNotFoundError(`${operation}: an empty provider reference names no PayPal order`, { provider: payPalProviderName, resource: 'order ' });
    }
    const response = await this.#call(context, options, (sdk, requestOptions) => sdk.orders.getOrder({ id: providerReference }, requestOptions));
    this.#authorizations.rememberOrder(response.result);
    return response.result;
  }

  /**
   * The authorization a capture or a void acts on: remembered from an earlier answer about the order
   * (authorize, a read), or else read from PayPal (after a restart, from another process, an order
   * this process never saw). `describeMissing` words the refusal when the order holds none.
   */
  async #authorizationOf(
    operation: string,
    providerReference: string,
    options: CallOptions | undefined,
    describeMissing: (order: Order, automaticallyCaptured: boolean) => string,
  ): Promise<RememberedPayPalAuthorization> {
    const remembered = this.#authorizations.recall(providerReference);
    if (remembered !== undefined) return remembered;
    const order = await this.#readOrder(operation, providerReference, options);
    const { authorization, captures } = payPalOrderPayments(order);
    if (authorization?.id === undefined) {
      throw new InvalidRequestError(describeMissing(order, captures.length > 0), { provider: payPalProviderName, parameter: 'providerReference' });
    }
    const amount = this.#interpret({ operation, kind: 'read' }, () => fromPayPalAmount(authorization.amount));
    return { authorizationId: authorization.id, amount };
  }

  // -------------------------------------------------------------------------------------------
  // Validation (before anything is sent)
  // -------------------------------------------------------------------------------------------

  #checkKey(operation: string, idempotencyKey: string): void {
    if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > maximumIdempotencyKeyLength) {
      throw new InvalidRequestError(`${operation}: the idempotency key must be 1 to ${maximumIdempotencyKeyLength} characters (it is sent as PayPal-Request-Id).`, {
        provider: payPalProviderName,
        parameter: 'idempotencyKey',
      });
    }
  }

  #checkCurrency(operation: string, amount: Money): void {
    const { currencies } = this.capabilities;
    if (currencies !== 'all' && !currencies.includes(amount.currency)) {
      throw new UnsupportedOperationError({
        component: payPalProviderName,
        operation: `${operation} in ${amount.currency}`,
        reason: `this PayPal account takes ${currencies.join(', ')}; route ${amount.currency} payments to another provider`,
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Payments
  // -------------------------------------------------------------------------------------------

  authorize(input: AuthorizeInput, options?: CallOptions): Promise<PaymentSnapshot> {
    return this.#createPayment(
      {
        operation: 'authorize',
        idempotencyKey: input.idempotencyKey,
        merchantReference: input.merchantReference,
        amount: input.amount,
        paymentMethodToken: input.paymentMethodToken,
        captureMethod: input.captureMethod ?? 'manual',
        description: input.description,
        returnUrl: input.returnUrl,
      },
      options,
    );
  }

  chargeStoredPaymentMethod(input: StoredPaymentMethodChargeInput, options?: CallOptions): Promise<PaymentSnapshot> {
    return this.#createPayment(
      {
        operation: 'chargeStoredPaymentMethod',
        idempotencyKey: input.idempotencyKey,
        merchantReference: input.merchantReference,
        amount: input.amount,
        paymentMethodToken: input.paymentMethodToken,
        captureMethod: input.captureMethod ?? 'automatic',
        storedCredential: {
          paymentInitiator: PaymentInitiator.Merchant,
          paymentType: input.reason === 'subscription' ? StoredPaymentSourcePaymentType.Recurring : StoredPaymentSourcePaymentType.Unscheduled,
          usage: StoredPaymentSourceUsageType.Subsequent,
          ...(input.networkTransactionId === undefined ? {} : { previousNetworkTransactionReference: { id: input.networkTransactionId } }),
        },
      },
      options,
    );
  }

  /**
   * Creates the order and lets PayPal process the vaulted card in the same call (PayPal's
   * single-step flow for `vault_id` sources, which requires `PayPal-Request-Id`). When a replay
   * finds the order `APPROVED` (the payer completed 3-D Secure since the first answer), it
   * completes it with `POST /v2/checkout/orders/{id}/authorize` (or `/capture`).
   */
  async #createPayment(creation: PaymentCreation, options: CallOptions | undefined): Promise<PaymentSnapshot> {
    const { operation, idempotencyKey } = creation;
    this.#checkKey(operation, idempotencyKey);
    this.#checkCurrency(operation, creation.amount);
    const wireAmount = toPayPalAmount(creation.amount);
    if (creation.paymentMethodToken.trim() === '') {
      throw new InvalidRequestError(`${operation}: paymentMethodToken must be a PayPal vault payment token id.`, { provider: payPalProviderName, parameter: 'paymentMethodToken' });
    }
    const context: PayPalErrorContext = { operation, kind: 'write', idempotencyKey };
    const body: OrderRequest = {
      intent: creation.captureMethod === 'automatic' ? CheckoutPaymentIntent.Capture : CheckoutPaymentIntent.Authorize,
      purchaseUnits: [
        {
          referenceId: 'default',
          customId: creation.merchantReference,
          invoiceId: creation.merchantReference,
          amount: wireAmount,
          ...(creation.description === undefined ? {} : { description: creation.description.slice(0, maximumDescriptionLength) }),
        },
      ],
      paymentSource: {
        card: {
          vaultId: creation.paymentMethodToken,
          ...(creation.storedCredential === undefined ? {} : { storedCredential: creation.storedCredential }),
          ...(creation.returnUrl === undefined ? {} : { experienceContext: { returnUrl: creation.returnUrl, cancelUrl: creation.returnUrl } }),
        },
      },
    };
    const created = await this.#call(context, options, (sdk, requestOptions) =>
      sdk.orders.createOrder({ body, paypalRequestId: idempotencyKey, prefer: representation }, requestOptions),
    );
    let order: PayPalOrderLike = created.result;
    this.#interpret(context, () => this.#checkCreationReplay(order, creation));
    if (order.status === 'APPROVED' && order.id !== undefined) {
      const orderId = order.id;
      const completionKey = `${idempotencyKey}${completionSuffix}`;
      const completion = { operation, kind: 'write', idempotencyKey: completionKey } as const;
      const completed = await this.#call(completion, options, (sdk, requestOptions) =>
        creation.captureMethod === 'automatic'
          ? sdk.orders.captureOrder({ id: orderId, paypalRequestId: completionKey, prefer: representation }, requestOptions)
          : sdk.orders.authorizeOrder({ id: orderId, paypalRequestId: completionKey, prefer: representation }, requestOptions),
      );
      order = completed.result;
    }
    const snapshot = this.#interpret(context, () => payPalOrderSnapshot(order));
    this.#authorizations.rememberOrder(order);
    if (snapshot.state === 'failed') {
      const { authorization, captures } = payPalOrderPayments(order);
      const code = (authorization ?? captures[0])?.processorResponse?.responseCode;
      throw new PaymentDeclinedError(`${operation}: PayPal declined the payment (${snapshot.providerStatus}${code === undefined ? '' : `, processor response ${code}`}).`, {
        provider: payPalProviderName,
        httpStatus: created.statusCode,
        providerCode: code,
        declineReason: snapshot.declineReason ?? 'generic_decline',
        providerReference: snapshot.providerReference,
      });
    }
    return snapshot;
  }

  /**
   * PayPal answers a reused `PayPal-Request-Id` with the order it created first, whatever the new
   * body says. The adapter compares what it can see (amount, merchant reference, intent) and
   * refuses a mismatch, so a key reused with other parameters never passes for the new payment.
   */
  #checkCreationReplay(order: PayPalOrderLike, creation: PaymentCreation): void {
    const unit = order.purchaseUnits?.[0];
    const amount = fromPayPalAmount(unit?.amount);
    const intent = creation.captureMethod === 'automatic' ? 'CAPTURE' : 'AUTHORIZE';
    const mismatches = [
      ...(amount.equals(creation.amount) ? [] : [`amount ${amount.toString()} instead of ${creation.amount.toString()}`]),
      ...(unit?.customId === undefined || unit.customId === creation.merchantReference ? [] : ['another merchant reference']),
      ...(order.intent === undefined || order.intent === intent ? [] : [`intent ${order.intent} instead of ${intent}`]),
    ];
    if (mismatches.length > 0) {
      throw new IdempotencyConflictError(
        `${creation.operation}: PayPal-Request-Id '${creation.idempotencyKey}' already created order ${order.id ?? '?'} with ${mismatches.join(', ')}. Replay the parameters recorded with the key, or use a new key.`,
        { provider: payPalProviderName, providerCode: 'PAYPAL_REQUEST_ID_REUSED', idempotencyKey: creation.idempotencyKey },
      );
    }
  }

  /** Refuses an answer to a replayed capture or refund whose amount is not the one asked for. */
  #checkOperationReplay(operation: string, resource: PayPalPaymentResourceLike, amount: Money, idempotencyKey: string): void {
    const answered = fromPayPalAmount(resource.amount);
    if (!answered.equals(amount)) {
      throw new IdempotencyConflictError(
        `${operation}: PayPal-Request-Id '${idempotencyKey}' already made ${resource.id ?? '?'} for ${answered.toString()}, not ${amount.toString()}. Replay the recorded parameters, or use a new key.`,
        { provider: payPalProviderName, providerCode: 'PAYPAL_REQUEST_ID_REUSED', idempotencyKey },
      );
    }
  }

  async capture(input: CaptureInput, options?: CallOptions): Promise<PaymentOperationResult> {
    const operation = 'capture';
    this.#checkKey(operation, input.idempotencyKey);
    const wireAmount = toPayPalAmount(input.amount);
    const { authorizationId, amount: authorized } = await this.#authorizationOf(operation, input.providerReference, options, (order, automaticallyCaptured) =>
      automaticallyCaptured
        ? `${operation}: order ${input.providerReference} was captured when it was created (automatic capture); there is nothing left to capture.`
        : `${operation}: order ${input.providerReference} holds no authorization (status ${order.status ?? 'unknown'}); nothing can be captured.`,
    );
    if (input.amount.currency !== authorized.currency || input.amount.greaterThan(authorized)) {
      // Never a valid replay: the first request was refused the same way. Cumulative limits are PayPal's.
      throw new InvalidRequestError(`${operation}: ${input.amount.toString()} is more than the ${authorized.toString()} authorized on order ${input.providerReference}.`, {
        provider: payPalProviderName,
        parameter: 'amount',
      });
    }
    const context: PayPalErrorContext = { operation, kind: 'write', idempotencyKey: input.idempotencyKey, resource: `authorization ${authorizationId}` };
    const response = await this.#call(context, options, (sdk, requestOptions) =>
      sdk.payments.captureAuthorizedPayment(
        {
          authorizationId,
          paypalRequestId: input.idempotencyKey,
          prefer: representation,
          body: {
            amount: wireAmount,
            finalCapture: input.finalCapture ?? true,
            ...(input.merchantReference === undefined ? {} : { invoiceId: input.merchantReference }),
          },
        },
        requestOptions,
      ),
    );
    const capture = response.result;
    return this.#interpret(context, () => {
      this.#checkOperationReplay(operation, capture, input.amount, input.idempotencyKey);
      return payPalCaptureResult(capture);
    });
  }

  async refund(input: RefundInput, options?: CallOptions): Promise<PaymentOperationResult> {
    const operation = 'refund';
    this.#checkKey(operation, input.idempotencyKey);
    const wireAmount = toPayPalAmount(input.amount);
    const order = await this.#readOrder(operation, input.providerReference, options);
    const captureId = this.#interpret({ operation, kind: 'read' }, () => this.#captureToRefund(order, input));
    const context: PayPalErrorContext = { operation, kind: 'write', idempotencyKey: input.idempotencyKey, resource: `capture ${captureId}` };
    const response = await this.#call(context, options, (sdk, requestOptions) =>
      sdk.payments.refundCapturedPayment(
        {
          captureId,
          paypalRequestId: input.idempotencyKey,
          prefer: representation,
          body: {
            amount: wireAmount,
            // The key travels in custom_id so that a retry finds its refund, and its capture, again.
            customId: input.idempotencyKey,
            ...(input.merchantReference === undefined ? {} : { invoiceId: input.merchantReference }),
          },
        },
        requestOptions,
      ),
    );
    const refund = response.result;
    return this.#interpret(context, () => {
      this.#checkOperationReplay(operation, refund, input.amount, input.idempotencyKey);
      return payPalRefundResult(refund);
    });
  }

  /**
   * Picks the capture a refund goes to. A retry must go to the same capture as the first attempt
   * (PayPal replays by request id per resource), so a refund already tagged with this key
   * (`custom_id`) decides. Otherwise the first capture whose unrefunded amount covers the refund;
   * PayPal refunds one capture per call, so a refund that fits no single capture is refused.
   */
  #captureToRefund(order: Order, input: RefundInput): string {
    const { captures, refunds } = payPalOrderPayments(order);
    const upCaptureId = (refund: PayPalPaymentResourceLike): string | undefined => {
      const up = refund.links?.find((candidate) => candidate.rel === 'up')?.href;
      return up === undefined ? undefined : /\/v2\/payments\/captures\/([^/?#]+)$/.exec(up)?.[1];
    };
    const earlier = refunds.find((refund) => refund.customId === input.idempotencyKey);
    const earlierCapture = earlier === undefined ? undefined : upCaptureId(earlier);
    if (earlierCapture !== undefined) return earlierCapture;
    const refundable = captures
      .filter((capture) => capture.id !== undefined && describePayPalStatus('capture', capture.status).settled)
      .map((capture) => {
        const own = refunds.filter((refund) => upCaptureId(refund) === capture.id && describePayPalStatus('refund', refund.status).operation !== 'failed');
        const captured = fromPayPalAmount(capture.amount);
        const refunded = own.reduce((sum, refund) => sum.add(fromPayPalAmount(refund.amount)), captured.multiply(0));
        return { id: capture.id as string, remaining: captured.subtract(refunded) };
      });
    if (refundable.length === 0) {
      throw new InvalidRequestError(`refund: order ${input.providerReference} has no completed capture; nothing can be refunded (void an authorization instead).`, {
        provider: payPalProviderName,
        parameter: 'providerReference',
      });
    }
    const fitting = refundable.find((capture) => capture.remaining.currency === input.amount.currency && capture.remaining.greaterThanOrEqual(input.amount));
    if (fitting !== undefined) return fitting.id;
    const total = refundable.reduce((sum, capture) => sum.add(capture.remaining), refundable[0]?.remaining.multiply(0) as Money);
    if (total.currency === input.amount.currency && total.greaterThanOrEqual(input.amount)) {
      throw new UnsupportedOperationError({
        component: payPalProviderName,
        operation: `a refund of ${input.amount.toString()} across several captures`,
        reason: 'PayPal refunds one capture per call and no single capture of this order has that much left; split the refund by capture',
      });
    }
    // More than is refundable at all: PayPal answers REFUND_AMOUNT_EXCEEDED / CAPTURE_FULLY_REFUNDED.
    return (refundable.find((capture) => capture.remaining.isPositive()) ?? refundable[0])?.id as string;
  }

  async cancel(input: CancelInput, options?: CallOptions): Promise<PaymentOperationResult> {
    const operation = 'cancel';
    this.#checkKey(operation, input.idempotencyKey);
    const { authorizationId, amount } = await this.#authorizationOf(operation, input.providerReference, options, (order, automaticallyCaptured) =>
      automaticallyCaptured
        ? `${operation}: order ${input.providerReference} was captured when it was created; refund it instead.`
        : `${operation}: order ${input.providerReference} holds no authorization to void (status ${order.status ?? 'unknown'}); PayPal lets unapproved orders expire.`,
    );
    const context: PayPalErrorContext = { operation, kind: 'write', idempotencyKey: input.idempotencyKey, resource: `authorization ${authorizationId}` };
    const response = await this.#call(context, options, (sdk, requestOptions) =>
      sdk.payments.voidPayment({ authorizationId, paypalRequestId: input.idempotencyKey, prefer: representation }, requestOptions),
    );
    return payPalVoidResult(response.result, { id: authorizationId, amount });
  }

  async retrieve(input: { readonly providerReference: string }, options?: CallOptions): Promise<PaymentSnapshot> {
    const order = await this.#readOrder('retrieve', input.providerReference, options);
    return this.#interpret({ operation: 'retrieve', kind: 'read' }, () => payPalOrderSnapshot(order));
  }

  /**
   * Not available: Orders v2 cannot be searched by `custom_id`/`invoice_id`, and the Transaction
   * Search API lags by up to three hours, so "not found" would not prove that no payment exists.
   * Resolve a lost answer by replaying the write with the same idempotency key instead.
   */
  async findByMerchantReference(input: { readonly merchantReference: string }): Promise<PaymentSnapshot | undefined> {
    throw new UnsupportedOperationError({
      component: payPalProviderName,
      operation: `findByMerchantReference('${input.merchantReference}')`,
      reason:
        'PayPal cannot search orders by merchant reference (Transaction Search lags up to 3 hours, so absence proves nothing); replay the authorization with the same idempotency key, which returns the order',
    });
  }

  async listStoredPaymentMethods(input: { readonly customerReference: string }, options?: CallOptions): Promise<readonly StoredPaymentMethod[]> {
    const context: PayPalErrorContext = { operation: 'listStoredPaymentMethods', kind: 'read', resource: `customer ${input.customerReference}` };
    const methods: StoredPaymentMethod[] = [];
    for (let page = 1; page <= maximumPaymentTokenPages; page += 1) {
      const response = await this.#call(context, options, (sdk, requestOptions) =>
        sdk.vault.listCustomerPaymentTokens({ customerId: input.customerReference, page, pageSize: paymentTokenPageSize, totalRequired: true }, requestOptions),
      );
      const tokens = response.result.paymentTokens ?? [];
      for (const token of tokens) {
        const card = token.paymentSource?.card;
        const summary = payPalCardSummary(card);
        // PayPal wallets and Venmo accounts are not cards: the port lists cards only.
        if (token.id === undefined || summary === undefined) continue;
        methods.push({
          provider: payPalProviderName,
          token: token.id,
          customerReference: token.customer?.id ?? input.customerReference,
          card: summary,
          networkTransactionId: card?.networkTransactionReference?.id ?? card?.verification?.networkTransactionId,
        });
      }
      const totalPages = response.result.totalPages ?? page;
      if (page >= totalPages || tokens.length < paymentTokenPageSize) break;
    }
    return methods;
  }

  async verifyWebhook(request: WebhookRequest, options?: CallOptions): Promise<PaymentWebhookEvent> {
    const signature = readPayPalWebhookSignature(request);
    const receivedAt = request.receivedAt ?? Date.now();
    checkPayPalWebhookFreshness(signature, receivedAt, this.#options.webhookToleranceMilliseconds);
    const envelope = parsePayPalWebhookBody(request.rawBody);
    const webhookId = this.#options.webhookId();
    const context: PayPalErrorContext = { operation: 'verifyWebhook', kind: 'read' };
    const status = await this.#call(context, options, (sdk, requestOptions) =>
      verifyPayPalWebhookSignature(sdk.createRequest, { signature, webhookId, rawBody: request.rawBody }, requestOptions),
    );
    if (status !== 'SUCCESS') {
      throw new WebhookVerificationError({ source: payPalProviderName, reason: 'signature-mismatch', detail: `PayPal answered verification_status ${status}` });
    }
    let providerReference = relatedOrderId(envelope);
    const captureId = envelope.resourceType === 'refund' ? refundedCaptureId(envelope.resource) : undefined;
    if (providerReference === undefined && captureId !== undefined) {
      providerReference = await this.#orderOfCapture(captureId, options);
    }
    return normalizePayPalWebhook(envelope, providerReference, receivedAt);
  }

  /** The order a capture belongs to (refund webhooks name only the capture). */
  async #orderOfCapture(captureId: string, options: CallOptions | undefined): Promise<string | undefined> {
    const context: PayPalErrorContext = { operation: 'verifyWebhook', kind: 'read', resource: `capture ${captureId}` };
    try {
      const response = await this.#call(context, options, (sdk, requestOptions) => sdk.payments.getCapturedPayment({ captureId }, requestOptions));
      return response.result.supplementaryData?.relatedIds?.orderId;
    } catch (error) {
      if (ResourceNotFoundError.isInstance(error)) return undefined;
      throw error;
    }
  }
}

/**
 * Creates the PayPal payment gateway (port `PaymentGatewayV1`).
 *
 * Design choices, each forced by PayPal:
 * - `paymentMethodToken` is a Vault v3 payment token id (`payment_source.card.vault_id`); PayPal
 *   processes such orders in one call, so `authorize` is one write with one `PayPal-Request-Id`.
 * - The provider reference is the order id. Captures and voids need the order's authorization id:
 *   the gateway remembers it from PayPal's answers (authorize, reads) in a bounded in-process
 *   memory (the last 10,000 orders) and reads the order only for one it does not know (another
 *   process, a restart). Refunds always read the order: which capture a refund goes to depends on
 *   the refunds made so far, which only PayPal knows for sure.
 * - Every write sends our idempotency key as `PayPal-Request-Id`; PayPal replays by returning the
 *   latest state, and the adapter detects a key reused with other parameters itself.
 * - SDK retries are off; timeouts are per request (`timeoutMilliseconds`).
 *
 * @throws ConfigurationError when an option is invalid or a credential is missing (naming the
 *   option and its environment variable: PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET).
 * @example
 * const paypal = createPayPalGateway({ environment: 'production' }); // credentials from the environment
 * const payment = await paypal.authorize({ idempotencyKey, merchantReference: 'order-1042-1', amount: Money.of(1999, 'EUR'), paymentMethodToken: vaultId });
 */
export function createPayPalGateway(options: PayPalGatewayOptions = {}): PaymentGatewayV1 {
  return new PayPalGateway(resolvePayPalOptions(options), new PayPalAuthorizationMemory());
}
