import {
  type AuthorizeInput,
  type CallOptions,
  type CancelInput,
  type CaptureInput,
  InvalidRequestError,
  type PaymentGatewayV1,
  type PaymentOperationResult,
  type PaymentSnapshot,
  type PaymentWebhookEvent,
  ProviderUnavailableError,
  type RefundInput,
  type StoredPaymentMethod,
  type StoredPaymentMethodChargeInput,
  UnsupportedOperationError,
  type WebhookRequest,
} from '@paymigrate/core';
import Stripe from 'stripe';
import { mapStripeRefundStatus } from './map-stripe-status.js';
import { stripeCapabilities } from './stripe-capabilities.js';
import { createStripeClient } from './stripe-client.js';
import { mapStripeError, type StripeErrorContext, stripeProviderName } from './stripe-error.js';
import { fromStripeAmount, toStripeAmount } from './stripe-money.js';
import { parseStripeGatewayOptions, type StripeGatewayOptions } from './stripe-options.js';
import { latestChargeOf, merchantReferenceMetadataKey, toPaymentSnapshot, toStoredPaymentMethod } from './stripe-payment-snapshot.js';
import { normalizeStripeEvent, verifyStripeWebhook } from './stripe-webhooks.js';

/** Stripe's longest idempotency key. */
const maximumIdempotencyKeyLength = 255;

/** Parameters Stripe takes that its SDK types do not list: the account-gated `mit_exemption`. */
interface MitExemptionParameters {
  readonly payment_method_options?: {
    readonly card?: { readonly mit_exemption?: { readonly network_transaction_id: string } };
  };
}

/** Port refund reasons -> Stripe's (Stripe has no "order cancelled": the customer asked for it). */
const refundReasons: Readonly<Record<NonNullable<RefundInput['reason']>, Stripe.RefundCreateParams.Reason>> = {
  requested_by_customer: 'requested_by_customer',
  duplicate: 'duplicate',
  fraudulent: 'fraudulent',
  order_cancelled: 'requested_by_customer',
};

/** Whether the caller's signal has fired (a function, so that earlier checks do not narrow it). */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * Which payment methods an intent accepts: automatic payment methods (the API's default since
 * 2023-08-16; the SDK's pinned version no longer lists `payment_method_types` on create), with
 * redirects allowed only when there is somewhere to return to, so that a server-side confirmation
 * without a return URL is accepted. Only the given card is confirmed either way.
 */
function automaticPaymentMethods(returnUrl: string | undefined): Stripe.PaymentIntentCreateParams.AutomaticPaymentMethods {
  return { enabled: true, allow_redirects: returnUrl === undefined ? 'never' : 'always' };
}

/** Escapes a value for a single-quoted Stripe search string. */
function searchLiteral(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * Creates the Stripe payment gateway (port `PaymentGatewayV1`) on the official `stripe` SDK.
 *
 * How each operation maps to Stripe:
 * - `authorize`: a PaymentIntent created and confirmed at once (`confirm: true`) with the given card,
 *   `capture_method: manual` unless automatic capture is asked for, our merchant reference in
 *   `metadata.merchant_reference`; `savePaymentMethod` sets `setup_future_usage: off_session` and
 *   needs the customer.
 * - `chargeStoredPaymentMethod`: `off_session` (`recurring` for subscriptions, `one_off` otherwise)
 *   with the customer's payment method, and the network transaction id through
 *   `payment_method_options[card][mit_exemption]` when the account has it
 *   (`networkTransactionIdExemption`).
 * - `capture`: `amount_to_capture`, one capture per authorization (the rest is released).
 * - `refund`: `POST /v1/refunds` for the intent; several partial refunds are fine.
 * - `cancel`: cancels the intent (releases the authorization).
 * - `retrieve`: the intent with its latest charge (refunds, card, network transaction id).
 * - `findByMerchantReference`: the Search API on `metadata['merchant_reference']`. Stripe's search
 *   is eventually consistent (new payments can take about a minute to appear): core must wait that
 *   long after the lost request before it trusts an empty answer.
 * - `listStoredPaymentMethods`: the customer's card payment methods, all pages.
 * - `verifyWebhook`: the SDK's `constructEvent` (HMAC-SHA256, tolerance 300 s by default).
 *
 * Every write carries the caller's idempotency key; the SDK never retries and never makes up a
 * key. Every SDK error becomes exactly one core `ProviderError` (see `mapStripeError`).
 *
 * @throws ConfigurationError when an option is invalid or the API key is missing.
 * @example
 * const stripe = createStripeGateway({ apiKey: process.env.STRIPE_API_KEY });
 * const payment = await stripe.authorize({ idempotencyKey, merchantReference: 'order-42', amount: Money.of(1999, 'EUR'), paymentMethodToken: 'pm_...' });
 */
export function createStripeGateway(options: StripeGatewayOptions = {}): PaymentGatewayV1 {
  const resolved = parseStripeGatewayOptions(options);
  const client = createStripeClient({ apiKey: resolved.apiKey, apiBaseUrl: resolved.apiBaseUrl, timeoutMilliseconds: resolved.timeoutMilliseconds });
  const stripe = client.sdk;
  const capabilities = stripeCapabilities({
    currencies: resolved.currencies,
    brands: resolved.brands,
    networkTransactionIdExemption: resolved.networkTransactionIdExemption,
  });

  function requireIdempotencyKey(key: string): string {
    if (typeof key !== 'string' || key.trim() === '' || key.length > maximumIdempotencyKeyLength) {
      // An empty key would let the SDK invent its own; refuse before anything is sent.
      throw new InvalidRequestError(`The idempotency key must be 1 to ${maximumIdempotencyKeyLength} characters long.`, {
        provider: stripeProviderName,
        parameter: 'idempotencyKey',
      });
    }
    return key;
  }

  async function send<Result extends { readonly object: string }>(
    context: StripeErrorContext,
    expectedObject: Result['object'],
    callOptions: CallOptions | undefined,
    request: (requestOptions: Stripe.RequestOptions) => Promise<Result>,
  ): Promise<Result> {
    const signal = callOptions?.signal;
    if (isAborted(signal)) {
      throw new ProviderUnavailableError('The call was aborted before anything was sent to Stripe.', { provider: stripeProviderName });
    }
    const requestOptions: Stripe.RequestOptions = {
      timeout: resolved.timeoutMilliseconds,
      maxNetworkRetries: 0,
      ...(context.idempotencyKey === undefined ? {} : { idempotencyKey: context.idempotencyKey }),
    };
    let result: Result;
    try {
      result = await client.run(signal, () => request(requestOptions));
    } catch (error) {
      throw mapStripeError(error, { ...context, abortedByCaller: isAborted(signal) });
    }
    if (typeof result !== 'object' || result === null || result.object !== expectedObject) {
      // The SDK hands back any JSON without an `error` member, whatever the status (a proxy's `{}`).
      const statusCode = (result as { lastResponse?: { statusCode?: number } } | null)?.lastResponse?.statusCode;
      throw mapStripeError(new Stripe.errors.StripeAPIError({ message: `Stripe answered without a ${expectedObject} object.`, statusCode }), context);
    }
    return result;
  }

  function write<Result extends { readonly object: string }>(
    idempotencyKey: string,
    resource: string | undefined,
    expectedObject: Result['object'],
    callOptions: CallOptions | undefined,
    request: (requestOptions: Stripe.RequestOptions) => Promise<Result>,
  ): Promise<Result> {
    return send({ kind: 'write', idempotencyKey: requireIdempotencyKey(idempotencyKey), resource }, expectedObject, callOptions, request);
  }

  function read<Result extends { readonly object: string }>(
    resource: string,
    expectedObject: Result['object'],
    callOptions: CallOptions | undefined,
    request: (requestOptions: Stripe.RequestOptions) => Promise<Result>,
  ): Promise<Result> {
    return send({ kind: 'read', resource }, expectedObject, callOptions, request);
  }

  return {
    specificationVersion: 'v1',
    provider: stripeProviderName,
    capabilities,

    async authorize(input: AuthorizeInput, callOptions?: CallOptions): Promise<PaymentSnapshot> {
      const { amount, currency } = toStripeAmount(input.amount);
      if (input.savePaymentMethod === true && input.customerReference === undefined) {
        throw new InvalidRequestError('Stripe saves a card only onto a Customer: pass customerReference with savePaymentMethod.', {
          provider: stripeProviderName,
          parameter: 'customerReference',
        });
      }
      const params: Stripe.PaymentIntentCreateParams = {
        amount,
        currency,
        confirm: true,
        payment_method: input.paymentMethodToken,
        automatic_payment_methods: automaticPaymentMethods(input.returnUrl),
        capture_method: input.captureMethod === 'automatic' ? 'automatic' : 'manual',
        metadata: { ...input.metadata, [merchantReferenceMetadataKey]: input.merchantReference },
        expand: ['latest_charge'],
        ...(input.customerReference === undefined ? {} : { customer: input.customerReference }),
        ...(input.savePaymentMethod === true ? { setup_future_usage: 'off_session' as const } : {}),
        ...(input.returnUrl === undefined ? {} : { return_url: input.returnUrl }),
        ...(input.description === undefined ? {} : { description: input.description }),
      };
      const intent = await write(input.idempotencyKey, undefined, 'payment_intent', callOptions, (requestOptions) => stripe.paymentIntents.create(params, requestOptions));
      return toPaymentSnapshot(intent);
    },

    async chargeStoredPaymentMethod(input: StoredPaymentMethodChargeInput, callOptions?: CallOptions): Promise<PaymentSnapshot> {
      const { amount, currency } = toStripeAmount(input.amount);
      if (input.networkTransactionId !== undefined && !resolved.networkTransactionIdExemption) {
        throw new UnsupportedOperationError({
          component: stripeProviderName,
          operation: 'a merchant-initiated charge with a network transaction id',
          reason: 'Stripe must enable mit_exemption on the account first; then set networkTransactionIdExemption: true',
        });
      }
      const params: Stripe.PaymentIntentCreateParams & MitExemptionParameters = {
        amount,
        currency,
        confirm: true,
        off_session: input.reason === 'subscription' ? 'recurring' : 'one_off',
        customer: input.customerReference,
        payment_method: input.paymentMethodToken,
        automatic_payment_methods: automaticPaymentMethods(undefined),
        capture_method: input.captureMethod === 'manual' ? 'manual' : 'automatic',
        metadata: { [merchantReferenceMetadataKey]: input.merchantReference },
        expand: ['latest_charge'],
        ...(input.networkTransactionId === undefined
          ? {}
          : { payment_method_options: { card: { mit_exemption: { network_transaction_id: input.networkTransactionId } } } }),
      };
      const intent = await write(input.idempotencyKey, undefined, 'payment_intent', callOptions, (requestOptions) => stripe.paymentIntents.create(params, requestOptions));
      return toPaymentSnapshot(intent);
    },

    async capture(input: CaptureInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      if (input.finalCapture === false) {
        throw new UnsupportedOperationError({
          component: stripeProviderName,
          operation: 'a non-final capture',
          reason: 'without multicapture Stripe releases the uncaptured rest at the first capture (capabilities.multipleCaptures is false)',
        });
      }
      const { amount } = toStripeAmount(input.amount);
      const intent = await write(input.idempotencyKey, `payment ${input.providerReference}`, 'payment_intent', callOptions, (requestOptions) =>
        stripe.paymentIntents.capture(input.providerReference, { amount_to_capture: amount, expand: ['latest_charge'] }, requestOptions),
      );
      const payment = toPaymentSnapshot(intent);
      return {
        operation: 'capture',
        operationReference: latestChargeOf(intent)?.id ?? intent.id,
        status: intent.status === 'succeeded' ? 'succeeded' : 'pending',
        amount: payment.capturedAmount,
        providerStatus: intent.status,
        payment,
      };
    },

    async refund(input: RefundInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      const { amount } = toStripeAmount(input.amount);
      const params: Stripe.RefundCreateParams = {
        payment_intent: input.providerReference,
        amount,
        expand: ['payment_intent.latest_charge'],
        ...(input.reason === undefined ? {} : { reason: refundReasons[input.reason] }),
        ...(input.merchantReference === undefined ? {} : { metadata: { [merchantReferenceMetadataKey]: input.merchantReference } }),
      };
      const refund = await write(input.idempotencyKey, `payment ${input.providerReference}`, 'refund', callOptions, (requestOptions) =>
        stripe.refunds.create(params, requestOptions),
      );
      const intent = typeof refund.payment_intent === 'object' && refund.payment_intent !== null ? refund.payment_intent : undefined;
      return {
        operation: 'refund',
        operationReference: refund.id,
        status: mapStripeRefundStatus(refund.status),
        amount: fromStripeAmount(refund.amount, refund.currency),
        providerStatus: refund.status ?? 'unknown',
        payment: intent === undefined ? undefined : toPaymentSnapshot(intent),
      };
    },

    async cancel(input: CancelInput, callOptions?: CallOptions): Promise<PaymentOperationResult> {
      const intent = await write(input.idempotencyKey, `payment ${input.providerReference}`, 'payment_intent', callOptions, (requestOptions) =>
        stripe.paymentIntents.cancel(input.providerReference, { expand: ['latest_charge'] }, requestOptions),
      );
      return {
        operation: 'cancel',
        operationReference: intent.id,
        status: intent.status === 'canceled' ? 'succeeded' : 'pending',
        amount: fromStripeAmount(intent.amount - intent.amount_received, intent.currency),
        providerStatus: intent.status,
        payment: toPaymentSnapshot(intent),
      };
    },

    async retrieve(input: { readonly providerReference: string }, callOptions?: CallOptions): Promise<PaymentSnapshot> {
      const intent = await read(`payment ${input.providerReference}`, 'payment_intent', callOptions, (requestOptions) =>
        stripe.paymentIntents.retrieve(input.providerReference, { expand: ['latest_charge'] }, requestOptions),
      );
      return toPaymentSnapshot(intent);
    },

    async findByMerchantReference(input: { readonly merchantReference: string }, callOptions?: CallOptions): Promise<PaymentSnapshot | undefined> {
      const query = `metadata['${merchantReferenceMetadataKey}']:${searchLiteral(input.merchantReference)}`;
      const result = await read(`payments with merchant reference ${input.merchantReference}`, 'search_result', callOptions, (requestOptions) =>
        stripe.paymentIntents.search({ query, limit: 10, expand: ['data.latest_charge'] }, requestOptions),
      );
      const snapshots = result.data
        .slice()
        .sort((left, right) => right.created - left.created)
        .map(toPaymentSnapshot)
        .filter((snapshot) => snapshot.merchantReference === input.merchantReference);
      // A reference names one payment; if a declined attempt shares it, the live one wins.
      return snapshots.find((snapshot) => snapshot.state !== 'failed') ?? snapshots[0];
    },

    async listStoredPaymentMethods(input: { readonly customerReference: string }, callOptions?: CallOptions): Promise<readonly StoredPaymentMethod[]> {
      const methods: StoredPaymentMethod[] = [];
      let startingAfter: string | undefined;
      do {
        const cursor = startingAfter;
        const page = await read(`customer ${input.customerReference}`, 'list', callOptions, (requestOptions) =>
          stripe.paymentMethods.list(
            { customer: input.customerReference, type: 'card', limit: 100, ...(cursor === undefined ? {} : { starting_after: cursor }) },
            requestOptions,
          ),
        );
        for (const paymentMethod of page.data) {
          const stored = toStoredPaymentMethod(paymentMethod, input.customerReference);
          if (stored !== undefined) methods.push(stored);
        }
        startingAfter = page.has_more ? page.data.at(-1)?.id : undefined;
      } while (startingAfter !== undefined);
      return methods;
    },

    async verifyWebhook(request: WebhookRequest): Promise<PaymentWebhookEvent> {
      const event = verifyStripeWebhook(request, { secret: resolved.webhookSecret(), toleranceSeconds: resolved.webhookToleranceSeconds });
      return normalizeStripeEvent(event);
    },
  };
}
