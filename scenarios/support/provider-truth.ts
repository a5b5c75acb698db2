// What the provider fakes hold, in one shape for every provider, as plain JSON: the write calls they
// received (with the idempotency key each carried) and the payments they hold (with authorized,
// captured and refunded amounts in minor units). `checkInvariants` compares it with the journal.
// Plain JSON so that fakes served from another process can send their truth over IPC.
import { Money } from '@paymigrate/core';
import { type AdyenFake, adyenFakeRoutes, type PayPalFake, payPalFakeRoutes, type RecordedCall, type StripeFake } from '@paymigrate/testkit';

/** One write request a provider received. */
export interface ProviderWriteCall {
  /** The provider (`stripe`, `adyen`, `paypal`). */
  readonly provider: string;
  /** The fake's route id, e.g. `POST /v1/refunds`. */
  readonly routeId: string;
  /**
   * The idempotency key it carried, normalized to the intent's key (`Idempotency-Key`,
   * `PayPal-Request-Id` without the adapter's `:complete` suffix); `undefined` when it had none.
   */
  readonly idempotencyKey: string | undefined;
  /** Whether the fake applied it (changed its state), even if the client saw a failure. */
  readonly applied: boolean;
  /** HTTP status, `network-error` or `pending`. */
  readonly status: number | string;
}

/** One payment a provider holds, amounts in minor units. */
export interface ProviderPayment {
  /** The provider. */
  readonly provider: string;
  /** The provider's payment reference (Stripe `pi_...`, Adyen PSP reference, PayPal order id). */
  readonly providerReference: string;
  /** Our merchant reference, as the provider keeps it. */
  readonly merchantReference: string | undefined;
  /** ISO 4217, upper case. */
  readonly currency: string;
  /**
   * What the provider holds or took for the payment: the outstanding authorization plus what was
   * captured; once the remainder is released (a cancellation, a final capture) only what was
   * captured. The journal's `authorizedAmount` follows the same rule.
   */
  readonly authorized: number;
  /** Captured so far. */
  readonly captured: number;
  /** Refunded so far. */
  readonly refunded: number;
  /** The provider's own status, for messages. */
  readonly status: string;
}

/** Everything one provider fake knows. */
export interface ProviderTruth {
  /** The provider. */
  readonly provider: string;
  /** Every write request it received, in arrival order. */
  readonly writes: readonly ProviderWriteCall[];
  /** Every payment it holds. */
  readonly payments: readonly ProviderPayment[];
}

/** The fakes the scenarios use, by provider name, or their truth already taken (fakes in another process). */
export type FakeSet = Readonly<Record<string, StripeFake | AdyenFake | PayPalFake | ProviderTruth>>;

const payPalCompletionSuffix = ':complete';

function writeCalls(provider: string, calls: readonly RecordedCall[], keyHeader: string, excludedRoutes: readonly string[] = []): ProviderWriteCall[] {
  return calls
    .filter((call) => call.method !== 'GET' && !excludedRoutes.includes(call.routeId))
    .map((call) => {
      const raw = call.requestHeaders[keyHeader];
      const idempotencyKey = raw?.endsWith(payPalCompletionSuffix) === true && provider === 'paypal' ? raw.slice(0, -payPalCompletionSuffix.length) : raw;
      return { provider, routeId: call.routeId, idempotencyKey, applied: call.applied, status: call.status };
    });
}

function minorUnits(decimal: string, currency: string): number {
  return Money.fromDecimal(decimal, currency).toNumberOfMinorUnits();
}

/** The truth of a Stripe fake. */
export function stripeTruth(fake: StripeFake): ProviderTruth {
  const payments = fake.paymentIntents().map((intent): ProviderPayment => {
    const charge = typeof intent.latest_charge === 'string' ? fake.charge(intent.latest_charge) : undefined;
    const status = String(intent.status);
    const capturable = Number(intent.amount_capturable ?? 0);
    const received = Number(intent.amount_received ?? 0);
    const metadata = (intent.metadata ?? {}) as Record<string, string>;
    return {
      provider: 'stripe',
      providerReference: String(intent.id),
      merchantReference: metadata.merchant_reference,
      currency: String(intent.currency).toUpperCase(),
      // `amount_capturable` is what is still held; a canceled or succeeded intent holds nothing more.
      authorized: status === 'canceled' || status === 'succeeded' ? received : capturable + received,
      captured: received,
      // Stripe counts a released remainder (partial capture, cancellation) as refunded on the charge:
      // only refunds of captured money count here.
      refunded: charge === undefined ? 0 : Math.max(0, Number(charge.amount_refunded) - (Number(charge.amount) - Number(charge.amount_captured))),
      status,
    };
  });
  return { provider: 'stripe', writes: writeCalls('stripe', fake.api.calls, 'idempotency-key'), payments };
}

/** The truth of an Adyen fake. Captures and refunds count when the fake accepted them (their webhook reports the same). */
export function adyenTruth(fake: AdyenFake): ProviderTruth {
  const payments = fake.payments().map((payment): ProviderPayment => {
    const heldBack = payment.cancelled ? 0 : payment.authorisedValue - payment.capturedValue;
    return {
      provider: 'adyen',
      providerReference: payment.pspReference,
      merchantReference: payment.merchantReference,
      currency: payment.amount.currency,
      authorized: payment.resultCode === 'Authorised' ? payment.capturedValue + heldBack : 0,
      captured: payment.capturedValue,
      refunded: payment.refundedValue,
      status: payment.cancelled ? `${payment.resultCode}, cancelled` : payment.resultCode,
    };
  });
  return { provider: 'adyen', writes: writeCalls('adyen', fake.api.calls, 'idempotency-key'), payments };
}

const settledCaptureStatuses = new Set(['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED']);

/** The truth of a PayPal fake. */
export function payPalTruth(fake: PayPalFake): ProviderTruth {
  const payments = fake.payments().map((order): ProviderPayment => {
    const currency = order.amount.currency_code;
    const captured = order.captures.filter((capture) => settledCaptureStatuses.has(capture.status)).reduce((sum, capture) => sum + minorUnits(capture.value, currency), 0);
    const refunded = order.refunds.filter((refund) => refund.status === 'COMPLETED').reduce((sum, refund) => sum + minorUnits(refund.value, currency), 0);
    const authorization = order.authorizations[0];
    // An authorization still CREATED or PARTIALLY_CAPTURED holds its whole amount (captures included);
    // CAPTURED (final capture) and VOIDED hold nothing beyond what was captured.
    const holds = authorization !== undefined && (authorization.status === 'CREATED' || authorization.status === 'PARTIALLY_CAPTURED');
    return {
      provider: 'paypal',
      providerReference: order.orderId,
      merchantReference: order.customId,
      currency,
      authorized: holds ? minorUnits(authorization.value, currency) : captured,
      captured,
      refunded,
      status: `${order.status}${authorization === undefined ? '' : ` / authorization ${authorization.status}`}`,
    };
  });
  return { provider: 'paypal', writes: writeCalls('paypal', fake.api.calls, 'paypal-request-id', [payPalFakeRoutes.oauthToken, payPalFakeRoutes.verifyWebhookSignature]), payments };
}

function isTruth(value: FakeSet[string]): value is ProviderTruth {
  return 'writes' in value && 'payments' in value && Array.isArray((value as ProviderTruth).writes);
}

/**
 * The truth of every fake in the set: `stripe`, `adyen` and `paypal` fakes by their key, or a
 * `ProviderTruth` taken elsewhere as is. Waits for calls still being answered first.
 */
export async function takeProviderTruth(fakes: FakeSet): Promise<ProviderTruth[]> {
  const truths: ProviderTruth[] = [];
  for (const [provider, fake] of Object.entries(fakes)) {
    if (isTruth(fake)) {
      truths.push(fake);
      continue;
    }
    await fake.api.waitForPendingCalls();
    if (provider === 'stripe') truths.push(stripeTruth(fake as StripeFake));
    else if (provider === 'adyen') truths.push(adyenTruth(fake as AdyenFake));
    else if (provider === 'paypal') truths.push(payPalTruth(fake as PayPalFake));
    else throw new TypeError(`No truth reader for a fake named '${provider}': use stripe, adyen or paypal, or pass a ProviderTruth.`);
  }
  return truths;
}

/** Route ids that write, per provider (for messages and for tests that count calls). */
export const writeRoutes = {
  adyen: Object.values(adyenFakeRoutes).filter((route) => route.startsWith('POST')),
  paypal: Object.values(payPalFakeRoutes).filter((route) => route.startsWith('POST') && route !== payPalFakeRoutes.oauthToken && route !== payPalFakeRoutes.verifyWebhookSignature),
} as const;

/**
 * The part of a provider's truth that belongs to payment ids starting with `prefix` (their
 * idempotency keys start with the payment id, their merchant references with `order-<payment id>`):
 * one shop's share when several journals use the same fakes.
 */
export function truthOf(truth: ProviderTruth, prefix: string): ProviderTruth {
  return {
    provider: truth.provider,
    writes: truth.writes.filter((write) => write.idempotencyKey?.startsWith(prefix) === true),
    payments: truth.payments.filter((payment) => payment.merchantReference?.startsWith(`order-${prefix}`) === true),
  };
}
