import type { Types } from '@adyen/api-library';
import {
  type AuthorizeInput,
  type CallOptions,
  type CancelByMerchantReferenceInput,
  type CancelInput,
  type CaptureInput,
  IdempotencyConflictError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  type PaymentGatewayV1,
  type PaymentOperationResult,
  type PaymentSnapshot,
  type PaymentWebhookEvent,
  type RefundInput,
  ResourceNotFoundError,
  type StoredPaymentMethod,
  type StoredPaymentMethodChargeInput,
  UnsupportedOperationError,
  type WebhookRequest,
} from '@paymigrate/core';
import { type AdyenApiClient, createAdyenApiClient } from './adyen-api-client.js';
import { adyenProviderName } from './adyen-error.js';
import { adyenLibrary } from './adyen-library.js';
import {
  applyNotification,
  applyPaymentAnswer,
  entryAmounts,
  newLedgerEntry,
  recordOperation,
  snapshotOfEntry,
  type AdyenNotificationFacts,
  type AdyenPaymentAnswer,
} from './adyen-ledger-updates.js';
import { type AdyenAmount, toAdyenAmount } from './adyen-money.js';
import { type AdyenGatewayOptions, resolveAdyenOptions } from './adyen-options.js';
import type { AdyenLedgerEntry, AdyenLedgerOperation, AdyenPaymentLedger } from './adyen-payment-ledger.js';
import { type AdyenPaymentMethodRequest, toAdyenPaymentMethod } from './adyen-payment-method.js';
import { verifyAdyenWebhook } from './adyen-webhooks.js';
import { mapAdyenCardBrand } from './map-adyen-card-brand.js';
import { mapAdyenModificationStatus } from './map-adyen-status.js';

/** The Adyen payment gateway: the port, plus what only Adyen offers. */
export interface AdyenGateway extends PaymentGatewayV1 {
  /** Always `adyen`. */
  readonly provider: 'adyen';
  /** Technical cancel (`POST /cancels` with our merchant reference); always present. */
  cancelByMerchantReference(input: CancelByMerchantReferenceInput, options?: CallOptions): Promise<PaymentOperationResult>;
  /**
   * Adyen's "cancel or refund" (`POST /payments/{pspReference}/reversals`): cancels the
   * authorization if nothing was captured, refunds what was captured otherwise. Use it when it is
   * unknown whether a capture happened. The outcome arrives as a CANCEL_OR_REFUND webhook.
   */
  cancelOrRefund(input: CancelInput, options?: CallOptions): Promise<PaymentOperationResult>;
  /** The ledger this gateway reads and feeds (see `AdyenPaymentLedger`). */
  readonly ledger: AdyenPaymentLedger;
}

/** Adyen's limit on `Idempotency-Key`. */
const maximumIdempotencyKeyLength = 64;

const { PaymentRequest, PaymentRefundRequest, PaymentResponse } = adyenLibrary.Types.checkout;

/** Adyen's `merchantRefundReason` for the port's refund reasons. */
const refundReasons: Readonly<Record<NonNullable<RefundInput['reason']>, Types.checkout.PaymentRefundRequest.MerchantRefundReasonEnum>> = {
  requested_by_customer: PaymentRefundRequest.MerchantRefundReasonEnum.CustomerRequest,
  duplicate: PaymentRefundRequest.MerchantRefundReasonEnum.Duplicate,
  fraudulent: PaymentRefundRequest.MerchantRefundReasonEnum.Fraud,
  order_cancelled: PaymentRefundRequest.MerchantRefundReasonEnum.Other,
};

function checkIdempotencyKey(idempotencyKey: string): void {
  if (typeof idempotencyKey !== 'string' || idempotencyKey.length === 0 || idempotencyKey.length > maximumIdempotencyKeyLength) {
    throw new InvalidRequestError(`idempotencyKey must be 1 to ${maximumIdempotencyKeyLength} characters (Adyen's limit)`, {
      provider: adyenProviderName,
      parameter: 'idempotencyKey',
    });
  }
}

function sameAmount(answer: { readonly value?: number; readonly currency?: string } | null | undefined, sent: AdyenAmount): boolean {
  return answer === undefined || answer === null || (answer.value === sent.value && answer.currency === sent.currency);
}

/** Adyen replays the first answer for a reused key whatever the new body is; a mismatch means the key was reused. */
function replayConflict(operation: string, idempotencyKey: string, what: string): IdempotencyConflictError {
  return new IdempotencyConflictError(
    `Adyen answered ${operation} with the stored answer of an earlier request made with this idempotency key (${what} differs): the key was reused with other parameters. Replay the exact parameters recorded with the key.`,
    { provider: adyenProviderName, idempotencyKey },
  );
}

/**
 * Creates the Adyen gateway (Checkout API v72 through the official `@adyen/api-library`).
 *
 * How the port maps to Adyen:
 * - `authorize` / `chargeStoredPaymentMethod`: `POST /payments`. Manual capture is
 *   `additionalData.manualCapture: 'true'`; automatic capture is `captureDelayHours: 0`, so the
 *   merchant account's default capture delay never decides. Saving a card sends
 *   `storePaymentMethod: true` with `shopperReference` and `recurringProcessingModel:
 *   UnscheduledCardOnFile`. Merchant-initiated charges send `shopperInteraction: ContAuth`,
 *   `Subscription` or `UnscheduledCardOnFile`, and `additionalData.networkTxReference`.
 *   `Refused`, `Error` and `Cancelled` throw `PaymentDeclinedError` (the payment is kept in the
 *   ledger as failed under its PSP reference).
 * - `capture` / `refund` / `cancel` / `cancelOrRefund` / `cancelByMerchantReference`: the
 *   modification endpoints, which answer `received`: the result is `pending` until the webhook.
 * - `retrieve` reads the ledger (Checkout has no "get payment"); `findByMerchantReference` can
 *   only confirm what the ledger saw (see the capability).
 * - Every write carries the caller's idempotency key; nothing is retried by the SDK.
 *
 * @throws ConfigurationError for invalid options or a missing secret (see `resolveAdyenOptions`).
 */
export function createAdyenGateway(options: AdyenGatewayOptions): AdyenGateway {
  const settings = resolveAdyenOptions(options);
  const api: AdyenApiClient = createAdyenApiClient(settings);
  const { ledger, merchantAccount, now } = settings;

  async function requireEntry(providerReference: string): Promise<AdyenLedgerEntry | undefined> {
    const entry = await ledger.get(providerReference);
    if (entry !== undefined) return entry;
    const pending = await ledger.findByMerchantReference(providerReference);
    return pending !== undefined && pending.pspReference === undefined ? pending : undefined;
  }

  async function recordAndSnapshot(providerReference: string, operation: AdyenLedgerOperation): Promise<PaymentSnapshot | undefined> {
    const entry = await ledger.get(providerReference);
    if (entry === undefined) return undefined;
    return snapshotOfEntry(await ledger.update(entry.entryId, (current) => recordOperation(current ?? entry, operation, now())));
  }

  async function sendPayment(
    request: Types.checkout.PaymentRequest,
    input: { readonly idempotencyKey: string; readonly merchantReference: string; readonly amount: Money; readonly captureMethod: 'manual' | 'automatic' },
    operation: string,
    callOptions: CallOptions | undefined,
  ): Promise<PaymentSnapshot> {
    const { idempotencyKey } = input;
    await ledger.update(idempotencyKey, (current) => current ?? newLedgerEntry({ entryId: idempotencyKey, merchantReference: input.merchantReference, amount: input.amount, captureMethod: input.captureMethod, now: now() }));
    const answer = await api.call(
      { operation, write: true, idempotencyKey },
      (requestOptions) => api.payments.payments(request, requestOptions),
      callOptions?.signal,
    );
    if (answer.merchantReference !== undefined && answer.merchantReference !== input.merchantReference) {
      throw replayConflict(operation, idempotencyKey, 'merchant reference');
    }
    if (answer.resultCode !== PaymentResponse.ResultCodeEnum.PartiallyAuthorised && !sameAmount(answer.amount, request.amount)) {
      throw replayConflict(operation, idempotencyKey, 'amount');
    }
    const entry = await ledger.update(idempotencyKey, (current) =>
      applyPaymentAnswer(current as AdyenLedgerEntry, answer as AdyenPaymentAnswer, { shopperReference: request.shopperReference, now: now() }),
    );
    const snapshot = snapshotOfEntry(entry);
    if (snapshot.state === 'failed') {
      throw new PaymentDeclinedError(`Adyen refused the payment (${answer.refusalReason ?? answer.resultCode ?? entry.providerStatus})`, {
        provider: adyenProviderName,
        httpStatus: 200,
        providerCode: answer.refusalReasonCode ?? answer.resultCode,
        requestId: entry.pspReference,
        declineReason: snapshot.declineReason ?? 'generic_decline',
        providerReference: entry.pspReference,
      });
    }
    return snapshot;
  }

  function paymentRequest(fields: {
    readonly amount: AdyenAmount;
    readonly merchantReference: string;
    readonly paymentMethod: AdyenPaymentMethodRequest;
    readonly returnUrl: string;
    readonly captureMethod: 'manual' | 'automatic';
    readonly additionalData?: Readonly<Record<string, string>>;
  }): Types.checkout.PaymentRequest {
    const manual = fields.captureMethod === 'manual';
    const additionalData = { ...fields.additionalData, ...(manual ? { manualCapture: 'true' } : {}) };
    return {
      amount: fields.amount,
      merchantAccount,
      reference: fields.merchantReference,
      returnUrl: fields.returnUrl,
      // Drop-in's paymentMethod object or a stored-token reference: the SDK serializes it by its own model.
      paymentMethod: fields.paymentMethod as unknown as Types.checkout.PaymentRequest['paymentMethod'],
      ...(Object.keys(additionalData).length > 0 ? { additionalData } : {}),
      ...(manual ? {} : { captureDelayHours: 0 }),
    };
  }

  function operationResult(
    operation: PaymentOperationResult['operation'],
    answer: { readonly pspReference: string; readonly status?: string },
    amount: Money,
    payment: PaymentSnapshot | undefined,
  ): PaymentOperationResult {
    return {
      operation,
      operationReference: answer.pspReference,
      status: mapAdyenModificationStatus(answer.status),
      amount,
      providerStatus: answer.status ?? 'received',
      payment,
    };
  }

  /** What a cancellation releases, as far as the ledger knows; an unknown payment reports zero in `XXX` (no currency). */
  function releasedAmount(entry: AdyenLedgerEntry | undefined): Money {
    if (entry === undefined) return Money.zero('XXX');
    const { authorized, captured, refunded } = entryAmounts(entry);
    if (entry.authorization !== 'authorized') return Money.of(BigInt(entry.amountMinor), entry.currency);
    return Money.of(captured > 0n ? captured - refunded : authorized, entry.currency);
  }

  async function applyToLedger(notification: AdyenNotificationFacts): Promise<void> {
    const { eventCode } = notification;
    const paymentReference = eventCode === 'AUTHORISATION' ? notification.pspReference : (notification.originalReference ?? notification.pspReference);
    let entry = await ledger.get(paymentReference);
    if (entry === undefined && (eventCode === 'AUTHORISATION' || eventCode === 'TECHNICAL_CANCEL')) {
      const candidate = await ledger.findByMerchantReference(notification.merchantReference);
      if (candidate !== undefined && (candidate.pspReference === undefined || candidate.pspReference === paymentReference)) entry = candidate;
    }
    const entryId = entry?.entryId ?? `notification:${paymentReference}`;
    const context = { entryId, now: now() };
    if (applyNotification(entry, notification, context) === undefined) return;
    await ledger.update(entryId, (current) => applyNotification(current, notification, context) ?? (current as AdyenLedgerEntry));
  }

  const gateway: AdyenGateway = {
    specificationVersion: 'v1',
    provider: adyenProviderName,
    capabilities: settings.capabilities,
    ledger,

    async authorize(input: AuthorizeInput, callOptions?: CallOptions): Promise<PaymentSnapshot> {
      checkIdempotencyKey(input.idempotencyKey);
      const captureMethod = input.captureMethod ?? 'manual';
      const amount = toAdyenAmount(input.amount);
      if (input.savePaymentMethod === true && input.customerReference === undefined) {
        throw new InvalidRequestError('savePaymentMethod needs a customerReference: Adyen stores payment methods per shopperReference', {
          provider: adyenProviderName,
          parameter: 'customerReference',
        });
      }
      const paymentMethod = toAdyenPaymentMethod(input.paymentMethodToken);
      const storedToken = typeof paymentMethod.storedPaymentMethodId === 'string';
      // Adyen has no description field: it goes to metadata, whose values Adyen caps at 80 characters.
      const metadata = { ...(input.description === undefined ? {} : { description: input.description.slice(0, 80) }), ...input.metadata };
      const request: Types.checkout.PaymentRequest = {
        ...paymentRequest({ amount, merchantReference: input.merchantReference, paymentMethod, returnUrl: input.returnUrl ?? settings.returnUrl, captureMethod }),
        ...(input.customerReference === undefined ? {} : { shopperReference: input.customerReference }),
        ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        ...(input.savePaymentMethod === true
          ? { storePaymentMethod: true, recurringProcessingModel: PaymentRequest.RecurringProcessingModelEnum.UnscheduledCardOnFile }
          : storedToken
            ? { shopperInteraction: PaymentRequest.ShopperInteractionEnum.Ecommerce, recurringProcessingModel: PaymentRequest.RecurringProcessingModelEnum.CardOnFile }
            : {}),
      };
      return sendPayment(request, { ...input, captureMethod }, 'authorize', callOptions);
    },

    async chargeStoredPaymentMethod(input: StoredPaymentMethodChargeInput, callOptions?: CallOptions): Promise<PaymentSnapshot> {
      checkIdempotencyKey(input.idempotencyKey);
      const captureMethod = input.captureMethod ?? 'automatic';
      const amount = toAdyenAmount(input.amount);
      const paymentMethod = toAdyenPaymentMethod(input.paymentMethodToken);
      if (typeof paymentMethod.storedPaymentMethodId !== 'string') {
        throw new InvalidRequestError('paymentMethodToken must be a storedPaymentMethodId for a merchant-initiated charge', {
          provider: adyenProviderName,
          parameter: 'paymentMethodToken',
        });
      }
      const request: Types.checkout.PaymentRequest = {
        ...paymentRequest({
          amount,
          merchantReference: input.merchantReference,
          paymentMethod,
          returnUrl: settings.returnUrl,
          captureMethod,
          additionalData: input.networkTransactionId === undefined ? {} : { networkTxReference: input.networkTransactionId },
        }),
        shopperReference: input.customerReference,
        shopperInteraction: PaymentRequest.ShopperInteractionEnum.ContAuth,
        recurringProcessingModel:
          input.reason === 'subscription' ? PaymentRequest.RecurringProcessingModelEnum.Subscription : PaymentRequest.RecurringProcessingModelEnum.UnscheduledCardOnFile,
      };
      return sendPayment(request, { ...input, captureMethod }, 'chargeStoredPaymentMethod', callOptions);
    },

    async capture(input: CaptureInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      checkIdempotencyKey(input.idempotencyKey);
      const finalCapture = input.finalCapture ?? true;
      if (!finalCapture && !settings.capabilities.multipleCaptures) {
        throw new UnsupportedOperationError({ component: adyenProviderName, operation: 'a non-final capture', reason: 'multiple captures are off for this merchant account (capabilities.multipleCaptures)' });
      }
      const amount = toAdyenAmount(input.amount);
      const answer = await api.call(
        { operation: 'capture', write: true, idempotencyKey: input.idempotencyKey, resource: `payment ${input.providerReference}` },
        (requestOptions) =>
          api.modifications.captureAuthorisedPayment(
            input.providerReference,
            { amount, merchantAccount, ...(input.merchantReference === undefined ? {} : { reference: input.merchantReference }) },
            requestOptions,
          ),
        callOptions?.signal,
      );
      if (answer.paymentPspReference !== input.providerReference) throw replayConflict('capture', input.idempotencyKey, 'payment reference');
      if (!sameAmount(answer.amount, amount)) throw replayConflict('capture', input.idempotencyKey, 'amount');
      const payment = await recordAndSnapshot(input.providerReference, {
        pspReference: answer.pspReference,
        kind: 'capture',
        amountMinor: input.amount.minorUnits.toString(),
        finalCapture,
        status: 'pending',
      });
      return operationResult('capture', answer, input.amount, payment);
    },

    async refund(input: RefundInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      checkIdempotencyKey(input.idempotencyKey);
      const amount = toAdyenAmount(input.amount);
      const answer = await api.call(
        { operation: 'refund', write: true, idempotencyKey: input.idempotencyKey, resource: `payment ${input.providerReference}` },
        (requestOptions) =>
          api.modifications.refundCapturedPayment(
            input.providerReference,
            {
              amount,
              merchantAccount,
              ...(input.merchantReference === undefined ? {} : { reference: input.merchantReference }),
              ...(input.reason === undefined ? {} : { merchantRefundReason: refundReasons[input.reason] }),
            },
            requestOptions,
          ),
        callOptions?.signal,
      );
      if (answer.paymentPspReference !== input.providerReference) throw replayConflict('refund', input.idempotencyKey, 'payment reference');
      if (!sameAmount(answer.amount, amount)) throw replayConflict('refund', input.idempotencyKey, 'amount');
      const payment = await recordAndSnapshot(input.providerReference, {
        pspReference: answer.pspReference,
        kind: 'refund',
        amountMinor: input.amount.minorUnits.toString(),
        status: 'pending',
      });
      return operationResult('refund', answer, input.amount, payment);
    },

    async cancel(input: CancelInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      checkIdempotencyKey(input.idempotencyKey);
      const answer = await api.call(
        { operation: 'cancel', write: true, idempotencyKey: input.idempotencyKey, resource: `payment ${input.providerReference}` },
        (requestOptions) =>
          api.modifications.cancelAuthorisedPaymentByPspReference(
            input.providerReference,
            { merchantAccount, ...(input.merchantReference === undefined ? {} : { reference: input.merchantReference }) },
            requestOptions,
          ),
        callOptions?.signal,
      );
      if (answer.paymentPspReference !== input.providerReference) throw replayConflict('cancel', input.idempotencyKey, 'payment reference');
      const amount = releasedAmount(await ledger.get(input.providerReference));
      const payment = await recordAndSnapshot(input.providerReference, { pspReference: answer.pspReference, kind: 'cancel', status: 'pending' });
      return operationResult('cancel', answer, amount, payment);
    },

    async cancelOrRefund(input: CancelInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      checkIdempotencyKey(input.idempotencyKey);
      const answer = await api.call(
        { operation: 'cancelOrRefund', write: true, idempotencyKey: input.idempotencyKey, resource: `payment ${input.providerReference}` },
        (requestOptions) =>
          api.modifications.refundOrCancelPayment(
            input.providerReference,
            { merchantAccount, ...(input.merchantReference === undefined ? {} : { reference: input.merchantReference }) },
            requestOptions,
          ),
        callOptions?.signal,
      );
      if (answer.paymentPspReference !== input.providerReference) throw replayConflict('cancelOrRefund', input.idempotencyKey, 'payment reference');
      const amount = releasedAmount(await ledger.get(input.providerReference));
      const payment = await recordAndSnapshot(input.providerReference, { pspReference: answer.pspReference, kind: 'reversal', status: 'pending' });
      return operationResult('cancel', answer, amount, payment);
    },

    async cancelByMerchantReference(input: CancelByMerchantReferenceInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      checkIdempotencyKey(input.idempotencyKey);
      const answer = await api.call(
        { operation: 'cancelByMerchantReference', write: true, idempotencyKey: input.idempotencyKey, resource: `payment with reference ${input.merchantReference}` },
        (requestOptions) => api.modifications.cancelAuthorisedPayment({ merchantAccount, paymentReference: input.merchantReference }, requestOptions),
        callOptions?.signal,
      );
      if (answer.paymentReference !== input.merchantReference) throw replayConflict('cancelByMerchantReference', input.idempotencyKey, 'merchant reference');
      const entry = await ledger.findByMerchantReference(input.merchantReference);
      let payment: PaymentSnapshot | undefined;
      if (entry !== undefined) {
        const updated = await ledger.update(entry.entryId, (current) =>
          recordOperation(current ?? entry, { pspReference: answer.pspReference, kind: 'technical_cancel', status: 'pending' }, now()),
        );
        payment = snapshotOfEntry(updated);
      }
      return operationResult('cancel', answer, releasedAmount(entry), payment);
    },

    async retrieve(input: { readonly providerReference: string }): Promise<PaymentSnapshot> {
      const entry = await requireEntry(input.providerReference);
      if (entry === undefined) {
        throw new ResourceNotFoundError(
          `No payment ${input.providerReference} in this gateway's ledger. Adyen's Checkout API has no payment lookup: the ledger knows the payments whose API answers or verified webhooks it saw. Use a durable ledger shared by every instance, and deliver webhooks to verifyWebhook.`,
          { provider: adyenProviderName, resource: `payment ${input.providerReference}` },
        );
      }
      return snapshotOfEntry(entry);
    },

    async findByMerchantReference(input: { readonly merchantReference: string }): Promise<PaymentSnapshot | undefined> {
      const entry = await ledger.findByMerchantReference(input.merchantReference);
      if (entry?.pspReference !== undefined) return snapshotOfEntry(entry);
      throw new UnsupportedOperationError({
        component: adyenProviderName,
        operation: 'proving that no payment has a merchant reference',
        reason: `Adyen's Checkout API cannot look payments up by merchant reference, and this gateway's ledger has no confirmed payment '${input.merchantReference}', which does not prove there is none. Retry the authorization with the same idempotency key (Adyen replays it), wait for its AUTHORISATION webhook, or cancel it by merchant reference (technical cancel)`,
      });
    },

    async listStoredPaymentMethods(input: { readonly customerReference: string }, callOptions?: CallOptions): Promise<readonly StoredPaymentMethod[]> {
      const answer = await api.call(
        { operation: 'listStoredPaymentMethods', write: false, resource: `shopper ${input.customerReference}` },
        (requestOptions) => api.recurring.getTokensForStoredPaymentDetails(input.customerReference, merchantAccount, requestOptions),
        callOptions?.signal,
      );
      const methods: StoredPaymentMethod[] = [];
      for (const method of answer.storedPaymentMethods ?? []) {
        const expiryMonth = Number(method.expiryMonth);
        const year = Number(method.expiryYear);
        if (method.id === undefined || method.lastFour === undefined || !(expiryMonth >= 1 && expiryMonth <= 12) || !Number.isInteger(year)) continue;
        methods.push({
          provider: adyenProviderName,
          token: method.id,
          customerReference: method.shopperReference ?? input.customerReference,
          card: {
            brand: mapAdyenCardBrand(method.brand),
            last4: method.lastFour,
            expiryMonth,
            expiryYear: year < 100 ? 2000 + year : year,
          },
          networkTransactionId: method.networkTxReference,
          createdAt: method.createdAt === undefined ? undefined : new Date(method.createdAt).getTime(),
        });
      }
      return methods;
    },

    async verifyWebhook(request: WebhookRequest): Promise<PaymentWebhookEvent> {
      const { event, notification } = verifyAdyenWebhook(request, {
        hmacKey: settings.hmacKey,
        environment: settings.environment,
        maximumAgeMilliseconds: settings.webhookMaximumAgeMilliseconds,
        now,
      });
      await applyToLedger(notification);
      return event;
    },
  };
  return gateway;
}
