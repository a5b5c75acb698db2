import { createHash } from 'node:crypto';
import type { StripeFakeCardBrand, StripeTestToken } from './stripe-test-tokens.js';

/**
 * The fake's internal records and their JSON renderings. Renderings follow the official spec's
 * schemas (2023-08-16 snapshot) plus fields Stripe's current example objects show (for example
 * `charge.payment_method_details.card.network_transaction_id`), and leave out optional fields the
 * fake has no value for.
 */

/** JSON as the fake sends it. */
export type StripeJson = { readonly [key: string]: unknown };

/** Card details safe to hold: never a number. */
export interface FakeCardDetails {
  readonly brand: StripeFakeCardBrand;
  readonly last4: string;
  readonly expMonth: number;
  readonly expYear: number;
  readonly funding: string;
  readonly country: string;
  readonly fingerprint: string;
}

/** A customer. */
export interface FakeCustomer {
  readonly id: string;
  readonly created: number;
  readonly email: string | null;
  readonly metadata: Record<string, string>;
}

/** A payment method (`pm_...`). */
export interface FakePaymentMethod {
  readonly id: string;
  readonly created: number;
  customer: string | null;
  readonly card: FakeCardDetails;
  /** The test behaviour of the card (from the token it was created from). */
  readonly behaviour: StripeTestToken;
  /** Whether it was used once without being saved (Stripe refuses to reuse such payment methods). */
  consumed: boolean;
  readonly metadata: Record<string, string>;
}

/** A charge (`ch_...`): one attempt to move money for a payment intent. */
export interface FakeCharge {
  readonly id: string;
  readonly created: number;
  readonly paymentIntent: string;
  readonly amount: number;
  readonly currency: string;
  readonly customer: string | null;
  readonly paymentMethod: string;
  readonly card: FakeCardDetails;
  status: 'succeeded' | 'failed' | 'pending';
  captured: boolean;
  amountCaptured: number;
  /** What went back to the card: the released remainder of an authorization plus customer refunds. */
  amountRefunded: number;
  /** Customer refunds only (what a merchant may still refund is `amountCaptured - customerRefunded`). */
  customerRefunded: number;
  disputed: boolean;
  readonly networkTransactionId: string | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly declineCode: string | null;
  readonly description: string | null;
  readonly metadata: Record<string, string>;
}

/** A payment intent (`pi_...`). */
export interface FakePaymentIntent {
  readonly id: string;
  readonly created: number;
  readonly amount: number;
  readonly currency: string;
  readonly captureMethod: 'automatic' | 'automatic_async' | 'manual';
  readonly clientSecret: string;
  readonly customer: string | null;
  readonly description: string | null;
  readonly metadata: Record<string, string>;
  readonly setupFutureUsage: 'off_session' | 'on_session' | null;
  readonly returnUrl: string | null;
  /** `automatic_payment_methods` as rendered, or `null` when `payment_method_types` was given. */
  readonly automaticPaymentMethods: { readonly enabled: boolean; readonly allow_redirects?: 'always' | 'never' } | null;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'succeeded' | 'canceled';
  amountCapturable: number;
  amountReceived: number;
  paymentMethod: string | null;
  latestCharge: string | null;
  lastPaymentError: StripeJson | null;
  nextAction: StripeJson | null;
  canceledAt: number | null;
  cancellationReason: string | null;
  /** `off_session` as sent (`true`, `one_off`, `recurring`), or `null`. */
  readonly offSession: string | null;
  /** The network transaction id sent as `payment_method_options[card][mit_exemption][network_transaction_id]`. */
  readonly mitExemptionNetworkTransactionId: string | null;
}

/** A refund (`re_...`). */
export interface FakeRefund {
  readonly id: string;
  readonly created: number;
  readonly amount: number;
  readonly currency: string;
  readonly charge: string;
  readonly paymentIntent: string;
  readonly reason: string | null;
  readonly metadata: Record<string, string>;
  /** True for the automatic refund of an uncaptured remainder (partial capture, cancellation). */
  readonly releasesAuthorization: boolean;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
  failureReason: string | null;
}

/** A dispute (`dp_...`). */
export interface FakeDispute {
  readonly id: string;
  readonly created: number;
  readonly amount: number;
  readonly currency: string;
  readonly charge: string;
  readonly paymentIntent: string;
  readonly reason: string;
  status: 'warning_needs_response' | 'needs_response' | 'under_review' | 'won' | 'lost';
}

/** Deterministic, Stripe-looking identifiers: `<prefix>_<24 letters and digits>`. */
export class FakeIdentifiers {
  readonly #seed: string;
  #counter = 0;

  /** @param seed Makes two fakes with different seeds produce different ids. */
  constructor(seed: string) {
    this.#seed = seed;
  }

  /** A fresh id with `prefix` (`pi`, `ch`, `pm`, `re`, `cus`, `evt`, `req`, `dp`, `txn`). */
  next(prefix: string, length = 24): string {
    this.#counter += 1;
    return `${prefix}_${alphanumeric(`${this.#seed}:${prefix}:${this.#counter}`, length)}`;
  }

  /** A fresh string of `length` decimal digits (network transaction ids). */
  digits(length: number): string {
    this.#counter += 1;
    const hash = createHash('sha256').update(`${this.#seed}:digits:${this.#counter}`).digest();
    let result = '';
    for (let index = 0; result.length < length; index += 1) result += String((hash[index % hash.length] as number) % 10);
    return result;
  }
}

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` letters and digits derived from `input`. */
export function alphanumeric(input: string, length: number): string {
  let result = '';
  let round = 0;
  while (result.length < length) {
    const hash = createHash('sha256').update(`${input}:${round}`).digest();
    for (const byte of hash) {
      if (result.length === length) break;
      result += alphabet[byte % alphabet.length];
    }
    round += 1;
  }
  return result;
}

const nullAddress = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
const emptyBillingDetails = { address: nullAddress, email: null, name: null, phone: null };

/** A payment method as Stripe renders it. */
export function renderPaymentMethod(paymentMethod: FakePaymentMethod): StripeJson {
  const { card } = paymentMethod;
  return {
    id: paymentMethod.id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: emptyBillingDetails,
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: card.country,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      fingerprint: card.fingerprint,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: paymentMethod.created,
    customer: paymentMethod.customer,
    livemode: false,
    metadata: paymentMethod.metadata,
    type: 'card',
  };
}

/** A charge as Stripe renders it. */
export function renderCharge(charge: FakeCharge): StripeJson {
  const { card } = charge;
  const approved = charge.status === 'succeeded';
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: charge.amountCaptured,
    amount_refunded: charge.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: charge.captured ? `txn_${charge.id.slice(3)}` : null,
    billing_details: emptyBillingDetails,
    calculated_statement_descriptor: approved ? 'PAYMIGRATE TEST' : null,
    captured: charge.captured,
    created: charge.created,
    currency: charge.currency,
    customer: charge.customer,
    description: charge.description,
    disputed: charge.disputed,
    failure_balance_transaction: null,
    failure_code: charge.failureCode,
    failure_message: charge.failureMessage,
    fraud_details: {},
    livemode: false,
    metadata: charge.metadata,
    on_behalf_of: null,
    outcome: approved
      ? { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 20, seller_message: 'Payment complete.', type: 'authorized' }
      : {
          network_status: 'declined_by_network',
          reason: charge.declineCode,
          risk_level: 'normal',
          risk_score: 20,
          seller_message: 'The bank did not return any further details with this decline.',
          type: 'issuer_declined',
        },
    paid: approved,
    payment_intent: charge.paymentIntent,
    payment_method: charge.paymentMethod,
    payment_method_details: {
      card: {
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: card.country,
        exp_month: card.expMonth,
        exp_year: card.expYear,
        fingerprint: card.fingerprint,
        funding: card.funding,
        installments: null,
        last4: card.last4,
        mandate: null,
        network: card.brand,
        network_token: { used: false },
        network_transaction_id: charge.networkTransactionId,
        three_d_secure: null,
        wallet: null,
      },
      type: 'card',
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: null,
    refunded: charge.amountRefunded > 0 && charge.amountRefunded === charge.amount,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: charge.status,
    transfer_data: null,
    transfer_group: null,
  };
}

/** A payment intent as Stripe renders it (`latest_charge` as an id; see `expandStripeObject`). */
export function renderPaymentIntent(intent: FakePaymentIntent): StripeJson {
  return {
    id: intent.id,
    object: 'payment_intent',
    amount: intent.amount,
    amount_capturable: intent.amountCapturable,
    amount_details: { tip: {} },
    amount_received: intent.amountReceived,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: intent.automaticPaymentMethods,
    canceled_at: intent.canceledAt,
    cancellation_reason: intent.cancellationReason,
    capture_method: intent.captureMethod,
    client_secret: intent.clientSecret,
    confirmation_method: 'automatic',
    created: intent.created,
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    last_payment_error: intent.lastPaymentError,
    latest_charge: intent.latestCharge,
    livemode: false,
    metadata: intent.metadata,
    next_action: intent.nextAction,
    on_behalf_of: null,
    payment_method: intent.paymentMethod,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: intent.setupFutureUsage,
    shipping: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: intent.status,
    transfer_data: null,
    transfer_group: null,
  };
}

/** A refund as Stripe renders it. */
export function renderRefund(refund: FakeRefund): StripeJson {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    balance_transaction: refund.status === 'succeeded' ? `txn_${refund.id.slice(3)}` : null,
    charge: refund.charge,
    created: refund.created,
    currency: refund.currency,
    ...(refund.failureReason === null ? {} : { failure_reason: refund.failureReason }),
    metadata: refund.metadata,
    payment_intent: refund.paymentIntent,
    reason: refund.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: refund.status,
    transfer_reversal: null,
  };
}

/** A dispute as Stripe renders it in webhooks. */
export function renderDispute(dispute: FakeDispute): StripeJson {
  return {
    id: dispute.id,
    object: 'dispute',
    amount: dispute.amount,
    balance_transactions: [],
    charge: dispute.charge,
    created: dispute.created,
    currency: dispute.currency,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    payment_intent: dispute.paymentIntent,
    reason: dispute.reason,
    status: dispute.status,
  };
}

/** Resolves an id (`pi_...`, `ch_...`, ...) to its rendered object, for `expand`. */
export type StripeObjectResolver = (id: string) => StripeJson | undefined;

/**
 * Applies Stripe's `expand` to a rendered object: each path (`latest_charge`,
 * `payment_intent.latest_charge`, `data.latest_charge` on a list) replaces an id with the object.
 *
 * @returns The unknown path, when one names a field that holds no expandable id.
 */
export function expandStripeObject(object: StripeJson, paths: readonly string[], resolve: StripeObjectResolver): { value: StripeJson; unknownPath?: string } {
  let value = object;
  for (const path of paths) {
    const expanded = expandPath(value, path.split('.'), resolve);
    if (expanded === undefined) return { value, unknownPath: path };
    value = expanded;
  }
  return { value };
}

function expandPath(value: StripeJson, segments: readonly string[], resolve: StripeObjectResolver): StripeJson | undefined {
  const [head, ...rest] = segments as [string, ...string[]];
  if (value['object'] === 'list' || value['object'] === 'search_result') {
    if (head !== 'data' || rest.length === 0) return undefined;
    const items = value['data'] as StripeJson[];
    const expandedItems: StripeJson[] = [];
    for (const item of items) {
      const expanded = expandPath(item, rest, resolve);
      if (expanded === undefined) return undefined;
      expandedItems.push(expanded);
    }
    return { ...value, data: expandedItems };
  }
  if (!Object.hasOwn(value, head)) return undefined;
  const member = value[head];
  if (member === null) return value;
  const target = typeof member === 'string' ? resolve(member) : (member as StripeJson);
  if (target === undefined) return undefined;
  if (rest.length === 0) return { ...value, [head]: target };
  const nested = expandPath(target, rest, resolve);
  return nested === undefined ? undefined : { ...value, [head]: nested };
}
