import { InvalidRequestError, Money, type PlatformPaymentUpdate, UnsupportedOperationError } from '@paymigrate/core';
import type { ShopifyAttemptEvidence } from './shopify-idempotency-ledger.js';
import type { ShopifyGatewayRoleOf } from './shopify-gateways.js';
import { shopifyComponent } from './shopify-options.js';
import type { ShopifyOrderView, ShopifyTransactionView } from './shopify-order.js';

/** One money transaction of a `refundCreate`. */
export interface ShopifyRefundLine {
  readonly parentId: string;
  readonly gateway: string;
  readonly amount: Money;
}

/**
 * How a `PlatformPaymentUpdate` is recorded on a Shopify order:
 *
 * | update | Shopify |
 * |---|---|
 * | `authorization` | nothing to send: Shopify records authorizations itself (the payments app resolves the payment session); the adapter confirms the order holds a successful authorization of that amount, else `UnsupportedOperationError` |
 * | `capture`, an authorization on the holder's gateway can still be captured | `orderCapture` on it (the one whose reference matches, else the oldest that covers the amount), `finalCapture` when it captures the rest |
 * | `capture`, only authorizations on another provider's gateway can be captured | `UnsupportedOperationError`: `orderCapture` would capture a second time through that gateway, and Shopify refuses `orderMarkAsPaid` while an authorization is open |
 * | `capture`, no authorization, the whole outstanding amount | `orderMarkAsPaid` (a manual sale: recorded, no money moves) |
 * | `capture`, no authorization, less than outstanding | `UnsupportedOperationError` (2025-01 records no partial manual payment) |
 * | `refund`, the holder's or manual payments cover it | `refundCreate` with money transactions against those captures or sales (the matching one first, then oldest first), never line items or a restock |
 * | `refund`, they do not (the order was paid through another provider's gateway) | `refundCreate` without transactions: a refund record whose note says what was refunded where; no money moves |
 * | `void`, an open authorization and nothing captured | `orderCancel` (Shopify voids open authorizations when it cancels) |
 * | `void` after a partial capture | `UnsupportedOperationError` (2025-01 releases the rest only with a final capture or by cancelling the whole order) |
 *
 * The holder's gateway is the gateway of the provider that holds the payment (`gatewayRoles`,
 * `ShopifyPlatformOptions.gatewayProviders`); a manual gateway moves no money and may be used too.
 */
export type ShopifyPaymentPlan =
  | { readonly type: 'none' }
  | { readonly type: 'capture'; readonly parentTransactionId: string; readonly amount: Money; readonly finalCapture: boolean }
  | { readonly type: 'mark-as-paid' }
  | { readonly type: 'refund'; readonly lines: readonly ShopifyRefundLine[] }
  | { readonly type: 'refund-record'; readonly gateways: readonly string[] }
  | { readonly type: 'void' };

const authorizationKinds: ReadonlySet<string> = new Set(['AUTHORIZATION', 'EMV_AUTHORIZATION']);
const paymentKinds: ReadonlySet<string> = new Set(['CAPTURE', 'SALE']);

function invalid(message: string, parameter: string): InvalidRequestError {
  return new InvalidRequestError(message, { provider: shopifyComponent, httpStatus: 422, parameter });
}

function sum(transactions: readonly ShopifyTransactionView[], currency: string): Money {
  return transactions.reduce((total, transaction) => total.add(transaction.amount), Money.zero(currency));
}

function successfulChildren(view: ShopifyOrderView, parent: ShopifyTransactionView, kind: string): ShopifyTransactionView[] {
  return view.transactions.filter((transaction) => transaction.shopifyKind === kind && transaction.status === 'success' && transaction.parentId === parent.id);
}

/** What is left to capture on each authorization Shopify still lets capture. */
function capturableAuthorizations(view: ShopifyOrderView): { readonly authorization: ShopifyTransactionView; readonly remaining: Money }[] {
  return view.transactions
    .filter((transaction) => authorizationKinds.has(transaction.shopifyKind) && transaction.status === 'success' && view.capturableIds.has(transaction.id))
    .map((authorization) => ({ authorization, remaining: authorization.amount.subtract(sum(successfulChildren(view, authorization, 'CAPTURE'), view.currency)) }))
    .filter((entry) => entry.remaining.isPositive());
}

/** What is left to refund on each capture or sale. */
function refundablePayments(view: ShopifyOrderView): { readonly payment: ShopifyTransactionView; readonly refundable: Money }[] {
  return view.transactions
    .filter((transaction) => paymentKinds.has(transaction.shopifyKind) && transaction.status === 'success')
    .map((payment) => ({ payment, refundable: payment.amount.subtract(sum(successfulChildren(view, payment, 'REFUND'), view.currency)) }))
    .filter((entry) => entry.refundable.isPositive());
}

function received(view: ShopifyOrderView): Money {
  return sum(
    view.transactions.filter((transaction) => paymentKinds.has(transaction.shopifyKind) && transaction.status === 'success'),
    view.currency,
  );
}

/** The distinct gateways of some transactions, in order. */
function gatewaysOf(transactions: readonly ShopifyTransactionView[]): string[] {
  return [...new Set(transactions.map((transaction) => transaction.gateway))];
}

/**
 * Chooses the Shopify mutation for a payment update (see `ShopifyPaymentPlan`), checking what
 * Shopify would refuse first so a refusal names the reason. `roleOf` tells which transactions'
 * gateways may be used without moving money a second time.
 *
 * @throws InvalidRequestError for another currency, a non-positive amount, a cancelled order,
 *   more than can be captured or refunded, or nothing to void.
 * @throws UnsupportedOperationError for what the Admin API 2025-01 cannot record (without moving money).
 */
export function planShopifyPayment(view: ShopifyOrderView, input: PlatformPaymentUpdate, roleOf: ShopifyGatewayRoleOf): ShopifyPaymentPlan {
  const { order } = view;
  if (input.amount.currency !== view.currency) {
    throw invalid(`Order '${order.orderId}' is in ${view.currency}, the ${input.kind} in ${input.amount.currency}.`, 'amount');
  }
  const cancelled = order.cancelledAt !== undefined;
  switch (input.kind) {
    case 'authorization': {
      const held = view.transactions.some(
        (transaction) =>
          authorizationKinds.has(transaction.shopifyKind) &&
          transaction.status === 'success' &&
          transaction.amount.equals(input.amount) &&
          (transaction.providerReference === undefined || transaction.providerReference === input.providerReference),
      );
      if (held) return { type: 'none' };
      throw new UnsupportedOperationError({
        component: shopifyComponent,
        operation: 'recording an authorization made outside Shopify',
        reason:
          'the Admin API 2025-01 has no mutation that adds an authorization to an order; Shopify records it when the payments app resolves the payment session (Payments Apps API paymentSessionResolve)',
      });
    }
    case 'capture': {
      if (cancelled) throw invalid(`Order '${order.orderId}' is cancelled: nothing can be captured on it.`, 'orderId');
      const capturable = capturableAuthorizations(view);
      const authorizations = capturable.filter((entry) => roleOf(entry.authorization) !== 'other');
      if (authorizations.length > 0) {
        const chosen =
          authorizations.find((entry) => entry.authorization.providerReference === input.providerReference) ??
          authorizations.find((entry) => entry.remaining.greaterThanOrEqual(input.amount)) ??
          (authorizations[0] as (typeof authorizations)[number]);
        return { type: 'capture', parentTransactionId: chosen.authorization.id, amount: input.amount, finalCapture: input.amount.greaterThanOrEqual(chosen.remaining) };
      }
      if (capturable.length > 0) {
        const gateways = gatewaysOf(capturable.map((entry) => entry.authorization)).join("', '");
        throw new UnsupportedOperationError({
          component: shopifyComponent,
          operation: `recording a capture made at ${input.provider} on an order whose open authorization is on gateway '${gateways}'`,
          reason: `orderCapture would capture a second time through gateway '${gateways}', which is not ${input.provider}, and Shopify refuses orderMarkAsPaid while an authorization is open; void that authorization at its provider (or cancel it in Shopify's admin) and replay, or map the gateway to ${input.provider} with the gatewayProviders option if it is the same account`,
        });
      }
      const outstanding = order.total.subtract(received(view));
      if (!outstanding.isPositive()) throw invalid(`Order '${order.orderId}' is fully paid: nothing is left to capture.`, 'amount');
      if (input.amount.greaterThan(outstanding)) {
        throw invalid(`Cannot record a capture of ${input.amount.toString()} on order '${order.orderId}': only ${outstanding.toString()} is outstanding.`, 'amount');
      }
      if (input.amount.equals(outstanding)) return { type: 'mark-as-paid' };
      throw new UnsupportedOperationError({
        component: shopifyComponent,
        operation: 'recording a partial payment on an order without an authorization',
        reason: `the Admin API 2025-01 can only mark the whole outstanding amount (${outstanding.toString()}) as paid (orderMarkAsPaid)`,
      });
    }
    case 'refund': {
      const payments = refundablePayments(view);
      const refundable = payments.reduce((total, entry) => total.add(entry.refundable), Money.zero(view.currency));
      if (input.amount.greaterThan(refundable)) {
        throw invalid(`Cannot record a refund of ${input.amount.toString()} on order '${order.orderId}': only ${refundable.toString()} of what was captured is not refunded yet.`, 'amount');
      }
      const usable = payments.filter((entry) => roleOf(entry.payment) !== 'other');
      const usableTotal = usable.reduce((total, entry) => total.add(entry.refundable), Money.zero(view.currency));
      if (input.amount.greaterThan(usableTotal)) {
        // Refunding through another provider's gateway would refund the customer twice: record only.
        return { type: 'refund-record', gateways: gatewaysOf(payments.filter((entry) => roleOf(entry.payment) === 'other').map((entry) => entry.payment)) };
      }
      const ordered = [
        ...usable.filter((entry) => entry.payment.providerReference === input.providerReference),
        ...usable.filter((entry) => entry.payment.providerReference !== input.providerReference),
      ];
      const lines: ShopifyRefundLine[] = [];
      let left = input.amount;
      for (const entry of ordered) {
        if (!left.isPositive()) break;
        const amount = left.min(entry.refundable);
        lines.push({ parentId: entry.payment.id, gateway: entry.payment.gateway, amount });
        left = left.subtract(amount);
      }
      return { type: 'refund', lines };
    }
    case 'void': {
      if (cancelled) throw invalid(`Order '${order.orderId}' is already cancelled: its authorizations were released.`, 'orderId');
      if (capturableAuthorizations(view).length === 0) throw invalid(`Order '${order.orderId}' holds no authorization that can be voided.`, 'kind');
      if (received(view).isPositive()) {
        throw new UnsupportedOperationError({
          component: shopifyComponent,
          operation: 'voiding the rest of a partially captured authorization',
          reason: 'the Admin API 2025-01 releases it only with a final capture (orderCapture finalCapture) or by cancelling the whole order',
        });
      }
      return { type: 'void' };
    }
  }
}

/**
 * Whether an earlier attempt whose outcome was unknown has been applied, judged from the order
 * now: a successful capture or sale of the amount that was not there before (`capture`), or the
 * cancellation (`void`). Refunds are recognised by their note instead (see the platform).
 */
export function appliedSince(view: ShopifyOrderView, input: PlatformPaymentUpdate, previous: ShopifyAttemptEvidence): boolean {
  if (input.kind === 'void') return view.order.cancelledAt !== undefined;
  if (input.kind !== 'capture') return false;
  return view.transactions.some(
    (transaction) =>
      !previous.knownTransactionIds.has(transaction.id) && paymentKinds.has(transaction.shopifyKind) && transaction.status === 'success' && transaction.amount.equals(input.amount),
  );
}

/** The port kinds and the Shopify transaction kinds that record them. */
const recordingKinds: Readonly<Record<PlatformPaymentUpdate['kind'], ReadonlySet<string>>> = {
  authorization: authorizationKinds,
  capture: paymentKinds,
  refund: new Set(['REFUND']),
  void: new Set(['VOID']),
};

/**
 * The transaction already recording this operation, found by the provider's operation
 * reference (capture or refund id) where the gateway stored it on the transaction.
 */
export function transactionRecording(view: ShopifyOrderView, input: PlatformPaymentUpdate): ShopifyTransactionView | undefined {
  if (input.operationReference === undefined) return undefined;
  return view.transactions.find(
    (transaction) => recordingKinds[input.kind].has(transaction.shopifyKind) && transaction.status === 'success' && transaction.providerReference === input.operationReference,
  );
}
