import { createHash } from 'node:crypto';
import {
  formatStripeAmount,
  stripeAmountProblem,
  stripeFakeCurrencies,
  stripeFakeMaximumAmount,
  stripeFakeMinimumAmounts,
} from './stripe-fake-currencies.js';
import { invalidRequest, missingParameter, resourceMissing, stripeErrorBody, StripeFakeError } from './stripe-fake-errors.js';
import type { StripeFormObject } from './stripe-fake-form.js';
import {
  booleanParameter,
  checkNestedParameters,
  checkParameters,
  enumParameter,
  expandParameter,
  integerParameter,
  mergeMetadata,
  metadataParameter,
  stringListParameter,
  stringParameter,
} from './stripe-fake-parameters.js';
import {
  alphanumeric,
  expandStripeObject,
  type FakeCardDetails,
  type FakeCharge,
  type FakeCustomer,
  type FakeDispute,
  type FakeIdentifiers,
  type FakePaymentIntent,
  type FakePaymentMethod,
  type FakeRefund,
  renderCharge,
  renderDispute,
  renderPaymentIntent,
  renderPaymentMethod,
  renderRefund,
  type StripeJson,
} from './stripe-fake-records.js';
import { matchesStripeSearchQuery, parseStripeSearchQuery, StripeSearchQueryError } from './stripe-fake-search.js';
import { type StripeFakeCardBrand, stripeTestToken, type StripeTestToken, type StripeTestTokenName } from './stripe-test-tokens.js';

/** The Stripe API version the fake reports when a request does not pin one. */
export const stripeFakeDefaultApiVersion = '2026-10-28.endive';

/** What one request carries from the HTTP pipeline to an endpoint. */
export interface StripeRequest {
  /** Decoded form body (POST) or query string (GET). */
  readonly params: StripeFormObject;
  /** Path parameters (`intent`). */
  readonly pathParams: Readonly<Record<string, string>>;
  /** The `request-id` the answer carries. */
  readonly requestId: string;
  /** The `Idempotency-Key` of a POST, or `null`. */
  readonly idempotencyKey: string | null;
}

/** The endpoints the account answers; each returns the JSON body or throws a `StripeFakeError`. */
export interface StripeFakeEndpoints {
  /** `POST /v1/payment_intents` (create, and confirm with `confirm=true`). */
  readonly createPaymentIntent: (request: StripeRequest) => StripeJson;
  /** `GET /v1/payment_intents/search`. */
  readonly searchPaymentIntents: (request: StripeRequest) => StripeJson;
  /** `GET /v1/payment_intents/:intent`. */
  readonly retrievePaymentIntent: (request: StripeRequest) => StripeJson;
  /** `POST /v1/payment_intents/:intent/capture`. */
  readonly capturePaymentIntent: (request: StripeRequest) => StripeJson;
  /** `POST /v1/payment_intents/:intent/cancel`. */
  readonly cancelPaymentIntent: (request: StripeRequest) => StripeJson;
  /** `POST /v1/refunds`. */
  readonly createRefund: (request: StripeRequest) => StripeJson;
  /** `GET /v1/payment_methods`. */
  readonly listPaymentMethods: (request: StripeRequest) => StripeJson;
}

/** What a test can see and do in the fake Stripe account besides HTTP. */
export interface StripeFakeAccountView {
  /** Every payment intent, oldest first, as the API renders it. */
  paymentIntents(): StripeJson[];
  /** One payment intent as the API renders it, or `undefined`. */
  paymentIntent(id: string): StripeJson | undefined;
  /** Every charge, oldest first. */
  charges(): StripeJson[];
  /** One charge, or `undefined`. */
  charge(id: string): StripeJson | undefined;
  /** Every refund, oldest first (including the automatic refunds of released authorizations). */
  refunds(): StripeJson[];
  /** Every customer. */
  customers(): StripeJson[];
  /** Every payment method, or those attached to `customer`. */
  paymentMethods(customer?: string): StripeJson[];
  /** Every event ever created, oldest first. */
  events(): StripeJson[];
  /** The parameters each confirmed payment intent carried that the API does not echo (off-session flag, network transaction id). */
  paymentIntentRequest(id: string): { readonly offSession: string | null; readonly mitExemptionNetworkTransactionId: string | null } | undefined;

  /** Creates a customer (the adapter never does; tests and migrations seed them). */
  createCustomer(input?: { readonly email?: string | undefined; readonly metadata?: Readonly<Record<string, string>> | undefined }): StripeJson;
  /**
   * Stores a card for a customer without a payment, as a migration import does: a new `pm_...`
   * with the test token's card and behaviour, attached to `customer`.
   */
  attachCard(input: { readonly customer: string; readonly token: StripeTestTokenName }): StripeJson;
  /** Finishes a 3-D Secure challenge of a payment intent in `requires_action`. */
  completeThreeDSecure(paymentIntentId: string, outcome: 'succeeded' | 'failed'): StripeJson;
  /** Lets an uncaptured authorization expire: Stripe cancels it with `cancellation_reason: automatic`. */
  expireAuthorization(paymentIntentId: string): StripeJson;
  /** Turns a succeeded refund into a failed one (the card could not take it back), as Stripe reports days later. */
  failRefund(refundId: string, failureReason?: string): StripeJson;
  /** Opens a dispute on a payment's charge. */
  openDispute(paymentIntentId: string, input?: { readonly reason?: string | undefined }): StripeJson;
  /** Closes a dispute. */
  closeDispute(disputeId: string, status: 'won' | 'lost'): StripeJson;
  /** Declines every card of `brand` with `declineCode`, or stops doing so when `undefined`. */
  setBrandFailure(brand: StripeFakeCardBrand, declineCode: string | undefined): void;
  /** Makes every payment intent created so far visible to search (with `searchIndexing: 'manual'`). */
  indexSearch(): void;

  /** Events not yet taken, oldest first. */
  pendingWebhooks(): readonly StripeJson[];
  /** Takes (and removes) the pending events. */
  takePendingWebhooks(): StripeJson[];
  /** Builds an event around an object (for webhooks a test wants to shape itself). */
  buildEvent(input: {
    readonly type: string;
    readonly object: StripeJson;
    readonly id?: string | undefined;
    readonly createdMilliseconds?: number | undefined;
    readonly previousAttributes?: StripeJson | undefined;
  }): StripeJson;
}

/** The state of one fake Stripe account: its objects, its rules and its events. */
export interface StripeFakeAccount extends StripeFakeAccountView {
  /** The HTTP endpoints, for the pipeline. */
  readonly endpoints: StripeFakeEndpoints;
}

/** Options of {@link createStripeFakeAccount}. */
export interface StripeFakeAccountOptions {
  /** The account's clock, epoch milliseconds. */
  readonly now: () => number;
  /** Where ids come from (shared with the pipeline's request ids). */
  readonly identifiers: FakeIdentifiers;
  /** Card networks whose cards are all declined, with the decline code. */
  readonly failingBrands: Partial<Readonly<Record<StripeFakeCardBrand, string>>>;
  /** Whether `payment_method_options[card][mit_exemption]` is accepted. */
  readonly networkTransactionIdExemption: boolean;
  /** Whether new payment intents wait for `indexSearch()` before search finds them. */
  readonly manualSearchIndexing: boolean;
}

const createParameters = new Set([
  'amount',
  'automatic_payment_methods',
  'currency',
  'capture_method',
  'confirm',
  'customer',
  'description',
  'expand',
  'metadata',
  'off_session',
  'payment_method',
  'payment_method_options',
  'payment_method_types',
  'receipt_email',
  'return_url',
  'setup_future_usage',
  'statement_descriptor',
  'statement_descriptor_suffix',
]);
const cardOptionPaths = new Set([
  'payment_method_options[card][request_three_d_secure]',
  'payment_method_options[card][capture_method]',
  'payment_method_options[card][setup_future_usage]',
]);
const mitExemptionPaths = new Set([
  'payment_method_options[card][mit_exemption][network_transaction_id]',
  'payment_method_options[card][mit_exemption][claim_without_transaction_id]',
]);
const automaticPaymentMethodPaths = new Set(['automatic_payment_methods[enabled]', 'automatic_payment_methods[allow_redirects]']);
const captureParameters = new Set(['amount_to_capture', 'expand', 'final_capture', 'metadata', 'statement_descriptor', 'statement_descriptor_suffix']);
const cancelParameters = new Set(['cancellation_reason', 'expand']);
const refundParameters = new Set(['amount', 'charge', 'expand', 'instructions_email', 'metadata', 'payment_intent', 'reason']);
const retrieveParameters = new Set(['client_secret', 'expand']);
const searchParameters = new Set(['expand', 'limit', 'page', 'query']);
const listPaymentMethodParameters = new Set(['customer', 'ending_before', 'expand', 'limit', 'starting_after', 'type']);
const searchFields: ReadonlySet<string> = new Set(['amount', 'created', 'currency', 'customer', 'metadata', 'status']);
const cancellableStatuses: ReadonlySet<string> = new Set(['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing']);

/**
 * Creates the state and the rules of a fake Stripe account: payment intents (create and confirm,
 * retrieve, search, capture, cancel), charges, refunds, customers, payment methods, disputes and
 * the events they produce. The HTTP side (authentication, idempotency, faults) is `createStripeFake`.
 */
export function createStripeFakeAccount(options: StripeFakeAccountOptions): StripeFakeAccount {
  const { now, identifiers } = options;
  const brandFailures = new Map<string, string>(Object.entries(options.failingBrands) as [string, string][]);
  const mitExemptionEnabled = options.networkTransactionIdExemption;
  const manualIndexing = options.manualSearchIndexing;

  const customers = new Map<string, FakeCustomer>();
  const paymentMethods = new Map<string, FakePaymentMethod>();
  const intents = new Map<string, FakePaymentIntent>();
  const charges = new Map<string, FakeCharge>();
  const refunds = new Map<string, FakeRefund>();
  const disputes = new Map<string, FakeDispute>();
  const searchIndex = new Set<string>();
  const events: StripeJson[] = [];
  let pending: StripeJson[] = [];

  const seconds = (): number => Math.floor(now() / 1000);

  // -------------------------------------------------------------------------------------------
  // Rendering and events
  // -------------------------------------------------------------------------------------------

  function resolveObject(id: string): StripeJson | undefined {
    const intent = intents.get(id);
    if (intent !== undefined) return renderPaymentIntent(intent);
    const charge = charges.get(id);
    if (charge !== undefined) return renderCharge(charge);
    const paymentMethod = paymentMethods.get(id);
    if (paymentMethod !== undefined) return renderPaymentMethod(paymentMethod);
    const customer = customers.get(id);
    if (customer !== undefined) return renderCustomer(customer);
    const refund = refunds.get(id);
    return refund === undefined ? undefined : renderRefund(refund);
  }

  function expanded(object: StripeJson, paths: readonly string[]): StripeJson {
    const result = expandStripeObject(object, paths, resolveObject);
    if (result.unknownPath !== undefined) {
      throw invalidRequest(`This property cannot be expanded (${result.unknownPath}).`, { param: 'expand' });
    }
    return result.value;
  }

  function buildEvent(input: {
    readonly type: string;
    readonly object: StripeJson;
    readonly id?: string | undefined;
    readonly createdMilliseconds?: number | undefined;
    readonly previousAttributes?: StripeJson | undefined;
    readonly request?: StripeRequest | undefined;
  }): StripeJson {
    return {
      id: input.id ?? identifiers.next('evt'),
      object: 'event',
      api_version: stripeFakeDefaultApiVersion,
      created: Math.floor((input.createdMilliseconds ?? now()) / 1000),
      data: input.previousAttributes === undefined ? { object: input.object } : { object: input.object, previous_attributes: input.previousAttributes },
      livemode: false,
      pending_webhooks: 1,
      request: { id: input.request?.requestId ?? null, idempotency_key: input.request?.idempotencyKey ?? null },
      type: input.type,
    };
  }

  function emit(type: string, object: StripeJson, request?: StripeRequest): void {
    const event = buildEvent({ type, object, request });
    events.push(event);
    pending.push(event);
  }

  // -------------------------------------------------------------------------------------------
  // Cards and payment methods
  // -------------------------------------------------------------------------------------------

  function cardFromToken(name: string, token: StripeTestToken): FakeCardDetails {
    return {
      brand: token.brand,
      last4: token.last4,
      expMonth: token.expMonth,
      expYear: token.expYear,
      funding: token.funding,
      country: token.country,
      // The same test card always has the same fingerprint, as the same real card does.
      fingerprint: alphanumeric(`fingerprint:${name}`, 16),
    };
  }

  function newPaymentMethod(tokenName: string, token: StripeTestToken, customer: string | null): FakePaymentMethod {
    const paymentMethod: FakePaymentMethod = {
      id: identifiers.next('pm'),
      created: seconds(),
      customer,
      card: cardFromToken(tokenName, token),
      behaviour: token,
      consumed: false,
      metadata: {},
    };
    paymentMethods.set(paymentMethod.id, paymentMethod);
    return paymentMethod;
  }

  function networkTransactionId(brand: string): string {
    // Visa and most networks use 15 digits; Mastercard's trace ids are letters and digits.
    return brand === 'mastercard' ? `MCC${alphanumeric(identifiers.next('ntid'), 9).toUpperCase()}` : identifiers.digits(15);
  }

  // -------------------------------------------------------------------------------------------
  // Confirmation
  // -------------------------------------------------------------------------------------------

  function newCharge(intent: FakePaymentIntent, paymentMethod: FakePaymentMethod, outcome: { status: 'succeeded' | 'failed'; failureCode?: string; failureMessage?: string; declineCode?: string }): FakeCharge {
    const captured = outcome.status === 'succeeded' && intent.captureMethod !== 'manual';
    const charge: FakeCharge = {
      id: identifiers.next('ch'),
      created: seconds(),
      paymentIntent: intent.id,
      amount: intent.amount,
      currency: intent.currency,
      customer: intent.customer,
      paymentMethod: paymentMethod.id,
      card: paymentMethod.card,
      status: outcome.status,
      captured,
      amountCaptured: captured ? intent.amount : 0,
      amountRefunded: 0,
      customerRefunded: 0,
      disputed: false,
      networkTransactionId: outcome.status === 'succeeded' ? networkTransactionId(paymentMethod.card.brand) : null,
      failureCode: outcome.failureCode ?? null,
      failureMessage: outcome.failureMessage ?? null,
      declineCode: outcome.declineCode ?? null,
      description: intent.description,
      metadata: {},
    };
    charges.set(charge.id, charge);
    intent.latestCharge = charge.id;
    return charge;
  }

  function approve(intent: FakePaymentIntent, paymentMethod: FakePaymentMethod, request?: StripeRequest): void {
    const charge = newCharge(intent, paymentMethod, { status: 'succeeded' });
    intent.paymentMethod = paymentMethod.id;
    intent.lastPaymentError = null;
    intent.nextAction = null;
    if (intent.setupFutureUsage !== null && intent.customer !== null && paymentMethod.customer === null) {
      paymentMethod.customer = intent.customer;
      emit('payment_method.attached', renderPaymentMethod(paymentMethod), request);
    }
    if (paymentMethod.customer === null) paymentMethod.consumed = true;
    emit('charge.succeeded', renderCharge(charge), request);
    if (intent.captureMethod === 'manual') {
      intent.status = 'requires_capture';
      intent.amountCapturable = intent.amount;
      emit('payment_intent.amount_capturable_updated', renderPaymentIntent(intent), request);
    } else {
      intent.status = 'succeeded';
      intent.amountReceived = intent.amount;
      emit('payment_intent.succeeded', renderPaymentIntent(intent), request);
    }
  }

  function failAttempt(intent: FakePaymentIntent, paymentMethod: FakePaymentMethod, decline: { code: string; declineCode: string; message: string }, request?: StripeRequest): StripeFakeError {
    const charge = newCharge(intent, paymentMethod, {
      status: 'failed',
      failureCode: decline.code,
      failureMessage: decline.message,
      declineCode: decline.declineCode,
    });
    if (paymentMethod.customer === null) paymentMethod.consumed = true;
    intent.status = 'requires_payment_method';
    intent.paymentMethod = null;
    intent.nextAction = null;
    intent.lastPaymentError = stripeErrorBody({
      type: 'card_error',
      code: decline.code,
      decline_code: decline.declineCode,
      message: decline.message,
      charge: charge.id,
      payment_method: renderPaymentMethod(paymentMethod),
    }).error;
    emit('charge.failed', renderCharge(charge), request);
    emit('payment_intent.payment_failed', renderPaymentIntent(intent), request);
    return new StripeFakeError(
      402,
      stripeErrorBody({
        type: 'card_error',
        code: decline.code,
        decline_code: decline.declineCode,
        message: decline.message,
        charge: charge.id,
        payment_intent: renderPaymentIntent(intent),
        payment_method: renderPaymentMethod(paymentMethod),
      }),
      { savedForIdempotency: true },
    );
  }

  function requireAction(intent: FakePaymentIntent, paymentMethod: FakePaymentMethod, request: StripeRequest): void {
    intent.status = 'requires_action';
    intent.paymentMethod = paymentMethod.id;
    const authenticationUrl = `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${intent.id}`;
    intent.nextAction =
      intent.returnUrl === null
        ? { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: authenticationUrl } }
        : { type: 'redirect_to_url', redirect_to_url: { url: authenticationUrl, return_url: intent.returnUrl } };
    emit('payment_intent.requires_action', renderPaymentIntent(intent), request);
  }

  const authenticationRequired = {
    code: 'authentication_required',
    declineCode: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  };

  /** Confirms an intent; throws the 402 of a decline. */
  function confirm(intent: FakePaymentIntent, paymentMethod: FakePaymentMethod, request: StripeRequest): void {
    const behaviour = paymentMethod.behaviour;
    const brandFailure = brandFailures.get(paymentMethod.card.brand);
    if (brandFailure !== undefined) {
      const message = brandFailure === 'card_not_supported' ? 'Your card is not supported.' : 'Your card was declined.';
      throw failAttempt(intent, paymentMethod, { code: 'card_declined', declineCode: brandFailure, message }, request);
    }
    const offSession = intent.offSession !== null && intent.offSession !== 'false';
    switch (behaviour.outcome) {
      case 'decline':
        throw failAttempt(
          intent,
          paymentMethod,
          { code: behaviour.errorCode ?? 'card_declined', declineCode: behaviour.declineCode ?? 'generic_decline', message: behaviour.declineMessage ?? 'Your card was declined.' },
          request,
        );
      case 'authenticate_always':
        if (offSession) throw failAttempt(intent, paymentMethod, authenticationRequired, request);
        requireAction(intent, paymentMethod, request);
        return;
      case 'authenticate_on_setup':
        if (offSession && paymentMethod.customer === null) throw failAttempt(intent, paymentMethod, authenticationRequired, request);
        if (offSession) approve(intent, paymentMethod, request);
        else requireAction(intent, paymentMethod, request);
        return;
      case 'approve':
        approve(intent, paymentMethod, request);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Endpoints
  // -------------------------------------------------------------------------------------------

  function resolvePaymentMethod(id: string, customer: string | null): FakePaymentMethod {
    const token = stripeTestToken(id);
    if (token !== undefined) return newPaymentMethod(id, token, null);
    const stored = paymentMethods.get(id);
    if (stored === undefined) throw resourceMissing('PaymentMethod', id, 'payment_method', false);
    if (stored.customer !== null && stored.customer !== customer) {
      throw invalidRequest(
        `The provided PaymentMethod ${id} is attached to a Customer. Pass customer=${stored.customer} with it, or use a PaymentMethod of this Customer.`,
        { param: 'payment_method' },
      );
    }
    if (stored.customer === null && stored.consumed) {
      throw invalidRequest(
        'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment. It may not be used again; attach it to a Customer to use it several times.',
        { param: 'payment_method', code: 'payment_method_unexpected_state' },
      );
    }
    return stored;
  }

  function createPaymentIntent(request: StripeRequest): StripeJson {
    const { params } = request;
    checkParameters(params, createParameters);
    checkNestedParameters(params, 'payment_method_options', mitExemptionEnabled ? new Set([...cardOptionPaths, ...mitExemptionPaths]) : cardOptionPaths);
    const amount = integerParameter(params, 'amount');
    if (amount === undefined) throw missingParameter('amount');
    const currency = stringParameter(params, 'currency');
    if (currency === undefined) throw missingParameter('currency');
    if (!stripeFakeCurrencies.has(currency)) {
      throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...stripeFakeCurrencies].join(', ')}`, { param: 'currency' });
    }
    if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', { param: 'amount', code: 'parameter_invalid_integer' });
    const problem = stripeAmountProblem(amount, currency);
    if (problem !== undefined) throw invalidRequest(problem, { param: 'amount', code: 'invalid_charge_amount' });
    if (amount > stripeFakeMaximumAmount) {
      throw invalidRequest(`Amount must be no more than ${formatStripeAmount(stripeFakeMaximumAmount, currency)}.`, { param: 'amount', code: 'amount_too_large' });
    }
    const minimum = stripeFakeMinimumAmounts[currency];
    if (minimum !== undefined && amount < minimum) {
      throw invalidRequest(`Amount must be at least ${formatStripeAmount(minimum, currency)}.`, { param: 'amount', code: 'amount_too_small' });
    }
    const captureMethod = enumParameter(params, 'capture_method', ['automatic', 'automatic_async', 'manual'] as const) ?? 'automatic_async';
    const shouldConfirm = booleanParameter(params, 'confirm') ?? false;
    const offSession = enumParameter(params, 'off_session', ['true', 'false', 'one_off', 'recurring'] as const) ?? null;
    if (offSession !== null && !shouldConfirm) {
      throw invalidRequest('off_session can only be used when confirm=true.', { param: 'off_session' });
    }
    const customerId = stringParameter(params, 'customer') ?? null;
    if (customerId !== null && !customers.has(customerId)) throw resourceMissing('customer', customerId, 'customer', false);
    const setupFutureUsage = enumParameter(params, 'setup_future_usage', ['off_session', 'on_session'] as const) ?? null;
    const paymentMethodTypes = stringListParameter(params, 'payment_method_types');
    for (const type of paymentMethodTypes ?? []) {
      if (type !== 'card') throw invalidRequest(`The payment method type provided: ${type} is invalid for this fake (card only).`, { param: 'payment_method_types' });
    }
    checkNestedParameters(params, 'automatic_payment_methods', automaticPaymentMethodPaths);
    const automatic = params['automatic_payment_methods'] as StripeFormObject | undefined;
    if (automatic !== undefined && paymentMethodTypes !== undefined) {
      throw invalidRequest('You may only specify one of these parameters: automatic_payment_methods, payment_method_types.', { code: 'parameters_exclusive' });
    }
    const automaticEnabled = automatic === undefined ? paymentMethodTypes === undefined : booleanParameter(automatic, 'enabled');
    if (automaticEnabled === undefined) throw missingParameter('automatic_payment_methods[enabled]');
    const allowRedirects = automatic === undefined ? undefined : enumParameter(automatic, 'allow_redirects', ['always', 'never'] as const);
    const metadata = metadataParameter(params) ?? {};
    const returnUrl = stringParameter(params, 'return_url') ?? null;
    if (returnUrl !== null && !URL.canParse(returnUrl)) throw invalidRequest('Not a valid URL', { param: 'return_url', code: 'url_invalid' });
    if (shouldConfirm && automaticEnabled && allowRedirects !== 'never' && returnUrl === null) {
      // Automatic payment methods are the default since API version 2023-08-16; some of them redirect.
      throw invalidRequest(
        "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, because automatic_payment_methods is enabled by default. Some of these payment methods might redirect your customer off of your page and you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
        { code: 'payment_intent_unexpected_state' },
      );
    }
    const mitExemption = (((params['payment_method_options'] as StripeFormObject | undefined)?.['card'] as StripeFormObject | undefined)?.['mit_exemption'] ??
      undefined) as StripeFormObject | undefined;
    const paymentMethodId = stringParameter(params, 'payment_method');
    if (shouldConfirm && paymentMethodId === undefined) {
      throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method. Update the PaymentIntent with a payment method and then confirm it again.", {
        code: 'payment_intent_unexpected_state',
      });
    }
    const expand = expandParameter(params);
    const paymentMethod = paymentMethodId === undefined ? undefined : resolvePaymentMethod(paymentMethodId, customerId);
    const id = identifiers.next('pi');
    const intent: FakePaymentIntent = {
      id,
      created: seconds(),
      amount,
      currency,
      captureMethod,
      clientSecret: `${id}_secret_${alphanumeric(`secret:${id}`, 25)}`,
      customer: customerId,
      description: stringParameter(params, 'description') ?? null,
      metadata: Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== '')),
      setupFutureUsage,
      returnUrl,
      automaticPaymentMethods: automaticEnabled ? { enabled: true, ...(allowRedirects === undefined ? {} : { allow_redirects: allowRedirects }) } : null,
      status: paymentMethod === undefined ? 'requires_payment_method' : 'requires_confirmation',
      amountCapturable: 0,
      amountReceived: 0,
      paymentMethod: paymentMethod?.id ?? null,
      latestCharge: null,
      lastPaymentError: null,
      nextAction: null,
      canceledAt: null,
      cancellationReason: null,
      offSession,
      mitExemptionNetworkTransactionId: (mitExemption?.['network_transaction_id'] as string | undefined) ?? null,
    };
    intents.set(id, intent);
    if (!manualIndexing) searchIndex.add(id);
    emit('payment_intent.created', renderPaymentIntent(intent), request);
    if (shouldConfirm && paymentMethod !== undefined) confirm(intent, paymentMethod, request);
    return expanded(renderPaymentIntent(intent), expand);
  }

  function intentFromPath(request: StripeRequest): FakePaymentIntent {
    const id = request.pathParams['intent'] ?? '';
    const intent = intents.get(id);
    if (intent === undefined) throw resourceMissing('payment_intent', id, 'intent', true);
    return intent;
  }

  function retrievePaymentIntent(request: StripeRequest): StripeJson {
    checkParameters(request.params, retrieveParameters);
    return expanded(renderPaymentIntent(intentFromPath(request)), expandParameter(request.params));
  }

  function releaseRemainder(intent: FakePaymentIntent, charge: FakeCharge, amount: number, request?: StripeRequest): void {
    if (amount <= 0) return;
    charge.amountRefunded += amount;
    const refund: FakeRefund = {
      id: identifiers.next('re'),
      created: seconds(),
      amount,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: intent.id,
      reason: null,
      metadata: {},
      releasesAuthorization: true,
      status: 'succeeded',
      failureReason: null,
    };
    refunds.set(refund.id, refund);
    emit('charge.refunded', renderCharge(charge), request);
  }

  function capturePaymentIntent(request: StripeRequest): StripeJson {
    const { params } = request;
    checkParameters(params, captureParameters);
    const intent = intentFromPath(request);
    const requested = integerParameter(params, 'amount_to_capture');
    const finalCapture = booleanParameter(params, 'final_capture');
    const metadata = metadataParameter(params);
    const expand = expandParameter(params);
    if (intent.status !== 'requires_capture') {
      throw invalidRequest(
        `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        { code: 'payment_intent_unexpected_state', param: 'intent' },
      );
    }
    if (finalCapture === false) {
      throw invalidRequest('final_capture can only be false for PaymentIntents with multicapture, which this account does not have.', { param: 'final_capture' });
    }
    const amount = requested ?? intent.amountCapturable;
    if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', { param: 'amount_to_capture', code: 'parameter_invalid_integer' });
    if (amount > intent.amountCapturable) {
      throw invalidRequest(
        `The amount to capture (${formatStripeAmount(amount, intent.currency)}) is greater than the amount capturable (${formatStripeAmount(intent.amountCapturable, intent.currency)}).`,
        { code: 'amount_too_large', param: 'amount_to_capture' },
      );
    }
    const problem = stripeAmountProblem(amount, intent.currency);
    if (problem !== undefined) throw invalidRequest(problem, { param: 'amount_to_capture', code: 'invalid_charge_amount' });
    const charge = charges.get(intent.latestCharge as string) as FakeCharge;
    mergeMetadata(intent.metadata, metadata);
    intent.status = 'succeeded';
    intent.amountReceived = amount;
    intent.amountCapturable = 0;
    charge.captured = true;
    charge.amountCaptured = amount;
    emit('charge.captured', renderCharge(charge), request);
    releaseRemainder(intent, charge, intent.amount - amount, request);
    emit('payment_intent.succeeded', renderPaymentIntent(intent), request);
    return expanded(renderPaymentIntent(intent), expand);
  }

  function cancelIntent(intent: FakePaymentIntent, reason: string | null, request?: StripeRequest): void {
    intent.status = 'canceled';
    intent.canceledAt = seconds();
    intent.cancellationReason = reason;
    intent.amountCapturable = 0;
    intent.nextAction = null;
    const charge = intent.latestCharge === null ? undefined : charges.get(intent.latestCharge);
    if (charge !== undefined && charge.status === 'succeeded' && !charge.captured) releaseRemainder(intent, charge, charge.amount, request);
    emit('payment_intent.canceled', renderPaymentIntent(intent), request);
  }

  function cancelPaymentIntent(request: StripeRequest): StripeJson {
    const { params } = request;
    checkParameters(params, cancelParameters);
    const intent = intentFromPath(request);
    const reason = enumParameter(params, 'cancellation_reason', ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const) ?? null;
    const expand = expandParameter(params);
    if (!cancellableStatuses.has(intent.status)) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${[...cancellableStatuses].join(', ')}.`,
        { code: 'payment_intent_unexpected_state', param: 'intent' },
      );
    }
    cancelIntent(intent, reason, request);
    return expanded(renderPaymentIntent(intent), expand);
  }

  function createRefund(request: StripeRequest): StripeJson {
    const { params } = request;
    checkParameters(params, refundParameters);
    const chargeId = stringParameter(params, 'charge');
    const intentId = stringParameter(params, 'payment_intent');
    const requested = integerParameter(params, 'amount');
    const reason = enumParameter(params, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ?? null;
    const metadata = metadataParameter(params) ?? {};
    const expand = expandParameter(params);
    if ((chargeId === undefined) === (intentId === undefined)) {
      throw invalidRequest('One of the following params should be provided for this request: charge or payment_intent.', { code: 'parameter_missing' });
    }
    let charge: FakeCharge | undefined;
    if (chargeId !== undefined) {
      charge = charges.get(chargeId);
      if (charge === undefined) throw resourceMissing('charge', chargeId, 'charge', false);
    } else {
      const intent = intents.get(intentId as string);
      if (intent === undefined) throw resourceMissing('payment_intent', intentId as string, 'payment_intent', false);
      charge = intent.latestCharge === null ? undefined : charges.get(intent.latestCharge);
      if (charge === undefined || !charge.captured) {
        throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
          code: 'payment_intent_unexpected_state',
          param: 'payment_intent',
        });
      }
    }
    if (!charge.captured) {
      throw invalidRequest(`Charge ${charge.id} has not been captured; cancel its PaymentIntent to release the authorization.`, { code: 'charge_not_refundable', param: 'charge' });
    }
    const refundable = charge.amountCaptured - charge.customerRefunded;
    if (refundable <= 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = requested ?? refundable;
    if (amount < 1) throw invalidRequest('This value must be greater than or equal to 1.', { param: 'amount', code: 'parameter_invalid_integer' });
    if (amount > refundable) {
      throw invalidRequest(
        `Refund amount (${formatStripeAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatStripeAmount(refundable, charge.currency)})`,
        { code: 'amount_too_large', param: 'amount' },
      );
    }
    const problem = stripeAmountProblem(amount, charge.currency);
    if (problem !== undefined) throw invalidRequest(problem, { param: 'amount', code: 'invalid_charge_amount' });
    const refund: FakeRefund = {
      id: identifiers.next('re'),
      created: seconds(),
      amount,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: charge.paymentIntent,
      reason,
      metadata: Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== '')),
      releasesAuthorization: false,
      status: 'succeeded',
      failureReason: null,
    };
    refunds.set(refund.id, refund);
    charge.amountRefunded += amount;
    charge.customerRefunded += amount;
    emit('charge.refunded', renderCharge(charge), request);
    emit('refund.created', renderRefund(refund), request);
    return expanded(renderRefund(refund), expand);
  }

  function searchPaymentIntents(request: StripeRequest): StripeJson {
    const { params } = request;
    checkParameters(params, searchParameters);
    const query = stringParameter(params, 'query');
    if (query === undefined) throw missingParameter('query');
    const limit = integerParameter(params, 'limit') ?? 10;
    if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', { param: 'limit' });
    const page = stringParameter(params, 'page');
    const offset = page === undefined ? 0 : Number(/^page_([0-9]+)$/.exec(page)?.[1] ?? Number.NaN);
    if (Number.isNaN(offset)) throw invalidRequest(`Invalid page: ${page}`, { param: 'page' });
    let parsed;
    try {
      parsed = parseStripeSearchQuery(query, searchFields);
    } catch (error) {
      if (!(error instanceof StripeSearchQueryError)) throw error;
      throw invalidRequest(error.message, { param: 'query' });
    }
    const matches = [...intents.values()]
      .filter((intent) => searchIndex.has(intent.id))
      .map(renderPaymentIntent)
      .filter((rendered) => matchesStripeSearchQuery(parsed, rendered))
      .reverse();
    const data = matches.slice(offset, offset + limit);
    const hasMore = offset + limit < matches.length;
    const result: StripeJson = {
      object: 'search_result',
      data,
      has_more: hasMore,
      next_page: hasMore ? `page_${offset + limit}` : null,
      url: '/v1/payment_intents/search',
    };
    return expanded(result, expandParameter(params));
  }

  function listPaymentMethods(request: StripeRequest): StripeJson {
    const { params } = request;
    checkParameters(params, listPaymentMethodParameters);
    const customer = stringParameter(params, 'customer');
    if (customer === undefined) throw missingParameter('customer');
    if (!customers.has(customer)) throw resourceMissing('customer', customer, 'customer', false);
    const type = stringParameter(params, 'type');
    const limit = integerParameter(params, 'limit') ?? 10;
    if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', { param: 'limit' });
    const all = [...paymentMethods.values()].filter((method) => method.customer === customer && (type === undefined || type === 'card')).reverse();
    const startingAfter = stringParameter(params, 'starting_after');
    let start = 0;
    if (startingAfter !== undefined) {
      const index = all.findIndex((method) => method.id === startingAfter);
      if (index === -1) throw resourceMissing('payment_method', startingAfter, 'starting_after', false);
      start = index + 1;
    }
    const page = all.slice(start, start + limit);
    const list: StripeJson = { object: 'list', data: page.map(renderPaymentMethod), has_more: start + limit < all.length, url: '/v1/payment_methods' };
    return expanded(list, expandParameter(params));
  }


  // -------------------------------------------------------------------------------------------
  // Scenario helpers
  // -------------------------------------------------------------------------------------------

  function requireIntent(id: string): FakePaymentIntent {
    const intent = intents.get(id);
    if (intent === undefined) throw new Error(`Stripe fake: no payment intent ${id}`);
    return intent;
  }

  function requireCharge(intent: FakePaymentIntent): FakeCharge {
    const charge = intent.latestCharge === null ? undefined : charges.get(intent.latestCharge);
    if (charge === undefined || charge.status !== 'succeeded') throw new Error(`Stripe fake: payment intent ${intent.id} has no successful charge`);
    return charge;
  }

  return {
    endpoints: {
      createPaymentIntent,
      searchPaymentIntents,
      retrievePaymentIntent,
      capturePaymentIntent,
      cancelPaymentIntent,
      createRefund,
      listPaymentMethods,
    },
    paymentIntents: () => [...intents.values()].map(renderPaymentIntent),
    paymentIntent: (id) => {
      const intent = intents.get(id);
      return intent === undefined ? undefined : renderPaymentIntent(intent);
    },
    charges: () => [...charges.values()].map(renderCharge),
    charge: (id) => {
      const charge = charges.get(id);
      return charge === undefined ? undefined : renderCharge(charge);
    },
    refunds: () => [...refunds.values()].map(renderRefund),
    customers: () => [...customers.values()].map(renderCustomer),
    paymentMethods: (customer) =>
      [...paymentMethods.values()].filter((method) => customer === undefined || method.customer === customer).map(renderPaymentMethod),
    events: () => [...events],
    paymentIntentRequest: (id) => {
      const intent = intents.get(id);
      return intent === undefined ? undefined : { offSession: intent.offSession, mitExemptionNetworkTransactionId: intent.mitExemptionNetworkTransactionId };
    },

    createCustomer(input = {}) {
      const customer: FakeCustomer = { id: identifiers.next('cus', 14), created: seconds(), email: input.email ?? null, metadata: { ...input.metadata } };
      customers.set(customer.id, customer);
      emit('customer.created', renderCustomer(customer));
      return renderCustomer(customer);
    },
    attachCard({ customer, token }) {
      if (!customers.has(customer)) throw new Error(`Stripe fake: no customer ${customer}`);
      const behaviour = stripeTestToken(token);
      if (behaviour === undefined) throw new Error(`Stripe fake: unknown test token ${token}`);
      const paymentMethod = newPaymentMethod(token, behaviour, customer);
      emit('payment_method.attached', renderPaymentMethod(paymentMethod));
      return renderPaymentMethod(paymentMethod);
    },
    completeThreeDSecure(paymentIntentId, outcome) {
      const intent = requireIntent(paymentIntentId);
      if (intent.status !== 'requires_action' || intent.paymentMethod === null) throw new Error(`Stripe fake: ${paymentIntentId} is not waiting for 3-D Secure`);
      const paymentMethod = paymentMethods.get(intent.paymentMethod) as FakePaymentMethod;
      if (outcome === 'succeeded') {
        approve(intent, paymentMethod);
      } else {
        intent.status = 'requires_payment_method';
        intent.paymentMethod = null;
        intent.nextAction = null;
        intent.lastPaymentError = stripeErrorBody({
          type: 'invalid_request_error',
          code: 'payment_intent_authentication_failure',
          message: 'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
          payment_method: renderPaymentMethod(paymentMethod),
        }).error;
        emit('payment_intent.payment_failed', renderPaymentIntent(intent));
      }
      return renderPaymentIntent(intent);
    },
    expireAuthorization(paymentIntentId) {
      const intent = requireIntent(paymentIntentId);
      if (intent.status !== 'requires_capture') throw new Error(`Stripe fake: ${paymentIntentId} holds no authorization`);
      cancelIntent(intent, 'automatic');
      return renderPaymentIntent(intent);
    },
    failRefund(refundId, failureReason = 'expired_or_canceled_card') {
      const refund = refunds.get(refundId);
      if (refund === undefined || refund.status !== 'succeeded') throw new Error(`Stripe fake: no succeeded refund ${refundId}`);
      const charge = charges.get(refund.charge) as FakeCharge;
      refund.status = 'failed';
      refund.failureReason = failureReason;
      charge.amountRefunded -= refund.amount;
      charge.customerRefunded -= refund.amount;
      emit('charge.refund.updated', renderRefund(refund));
      emit('refund.failed', renderRefund(refund));
      return renderRefund(refund);
    },
    openDispute(paymentIntentId, input = {}) {
      const intent = requireIntent(paymentIntentId);
      const charge = requireCharge(intent);
      charge.disputed = true;
      const dispute: FakeDispute = {
        id: identifiers.next('dp'),
        created: seconds(),
        amount: charge.amountCaptured - charge.customerRefunded,
        currency: charge.currency,
        charge: charge.id,
        paymentIntent: intent.id,
        reason: input.reason ?? 'fraudulent',
        status: 'needs_response',
      };
      disputes.set(dispute.id, dispute);
      emit('charge.dispute.created', renderDispute(dispute));
      return renderDispute(dispute);
    },
    closeDispute(disputeId, status) {
      const dispute = disputes.get(disputeId);
      if (dispute === undefined) throw new Error(`Stripe fake: no dispute ${disputeId}`);
      dispute.status = status;
      emit('charge.dispute.closed', renderDispute(dispute));
      return renderDispute(dispute);
    },
    setBrandFailure(brand, declineCode) {
      if (declineCode === undefined) brandFailures.delete(brand);
      else brandFailures.set(brand, declineCode);
    },
    indexSearch() {
      for (const id of intents.keys()) searchIndex.add(id);
    },

    pendingWebhooks: () => [...pending],
    takePendingWebhooks() {
      const taken = pending;
      pending = [];
      return taken;
    },
    buildEvent: (input) => buildEvent(input),
  };
}

/** A customer as Stripe renders it. */
function renderCustomer(customer: FakeCustomer): StripeJson {
  return {
    id: customer.id,
    object: 'customer',
    balance: 0,
    created: customer.created,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: customer.email,
    invoice_prefix: createHash('sha256').update(customer.id).digest('hex').slice(0, 8).toUpperCase(),
    livemode: false,
    metadata: customer.metadata,
    name: null,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}
