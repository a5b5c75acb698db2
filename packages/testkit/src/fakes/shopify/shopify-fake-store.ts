import { randomUUID } from 'node:crypto';
import { isCurrencyCode, Money } from '@paymigrate/core';
import { formatShopifyDecimal, parseShopifyMoneyInput } from './shopify-fake-money.js';

/** `OrderDisplayFinancialStatus` values. */
export type ShopifyFakeFinancialStatus = 'PENDING' | 'AUTHORIZED' | 'PARTIALLY_PAID' | 'PARTIALLY_REFUNDED' | 'VOIDED' | 'PAID' | 'REFUNDED' | 'EXPIRED';

/** `OrderDisplayFulfillmentStatus` values. */
export type ShopifyFakeFulfillmentStatus =
  | 'UNFULFILLED'
  | 'PARTIALLY_FULFILLED'
  | 'FULFILLED'
  | 'RESTOCKED'
  | 'PENDING_FULFILLMENT'
  | 'OPEN'
  | 'IN_PROGRESS'
  | 'ON_HOLD'
  | 'SCHEDULED'
  | 'REQUEST_DECLINED';

/** `OrderReturnStatus` values. */
export type ShopifyFakeReturnStatus = 'IN_PROGRESS' | 'INSPECTION_COMPLETE' | 'NO_RETURN' | 'RETURNED' | 'RETURN_FAILED' | 'RETURN_REQUESTED';

/** `OrderTransactionKind` values. */
export type ShopifyFakeTransactionKind = 'SALE' | 'CAPTURE' | 'AUTHORIZATION' | 'VOID' | 'REFUND' | 'CHANGE' | 'EMV_AUTHORIZATION' | 'SUGGESTED_REFUND';

/** `OrderTransactionStatus` values. */
export type ShopifyFakeTransactionStatus = 'SUCCESS' | 'FAILURE' | 'PENDING' | 'ERROR' | 'AWAITING_RESPONSE' | 'UNKNOWN';

/** `OrderCancelReason` values. */
export type ShopifyFakeCancelReason = 'CUSTOMER' | 'DECLINED' | 'FRAUD' | 'INVENTORY' | 'STAFF' | 'OTHER';

/** The webhook topics the fake emits. */
export type ShopifyFakeWebhookTopic = 'orders/create' | 'orders/updated' | 'orders/paid' | 'orders/cancelled' | 'refunds/create';

/** One transaction as the fake holds it. */
export interface ShopifyFakeTransaction {
  /** Numeric id (`legacyResourceId` style). */
  readonly legacyId: number;
  /** `gid://shopify/OrderTransaction/<legacyId>`. */
  readonly id: string;
  readonly kind: ShopifyFakeTransactionKind;
  readonly status: ShopifyFakeTransactionStatus;
  /** Amount in minor units of the order currency. */
  readonly amountMinor: bigint;
  readonly gateway: string;
  /** The parent transaction's gid (the authorization of a capture, the capture of a refund). */
  readonly parentId: string | undefined;
  /** What the gateway reported as authorization code: the provider's payment reference. */
  readonly authorizationCode: string | undefined;
  /** The gateway receipt, served as `receiptJson`. */
  readonly receipt: Readonly<Record<string, unknown>> | undefined;
  readonly createdAt: number;
  readonly errorCode: string | undefined;
  /** When the authorization expires, epoch milliseconds (authorizations only). */
  readonly authorizationExpiresAt: number | undefined;
  /** Whether the authorization may be captured more than once (Shopify Plus). */
  readonly multiCapturable: boolean;
  readonly manualPaymentGateway: boolean;
  readonly test: boolean;
  readonly paymentId: string;
  /** For authorizations: no further capture is possible (final capture made, or single-capture). */
  captureClosed: boolean;
}

/** One refund as the fake holds it. */
export interface ShopifyFakeRefund {
  readonly legacyId: number;
  /** `gid://shopify/Refund/<legacyId>`. */
  readonly id: string;
  readonly note: string | undefined;
  readonly createdAt: number;
  readonly transactionIds: readonly string[];
  /** Sum of the refund's transactions, minor units. */
  readonly amountMinor: bigint;
}

/** A cancellation accepted by `orderCancel` whose job has not run yet. */
export interface ShopifyFakePendingCancellation {
  readonly jobId: string;
  readonly dueAt: number;
  readonly reason: ShopifyFakeCancelReason;
  readonly refund: boolean;
  readonly staffNote: string | undefined;
}

/** One order as the fake holds it. */
export interface ShopifyFakeOrderRecord {
  readonly legacyId: number;
  /** `gid://shopify/Order/<legacyId>`. */
  readonly id: string;
  readonly name: string;
  readonly email: string | undefined;
  readonly currency: string;
  readonly totalMinor: bigint;
  readonly customerId: string | undefined;
  readonly createdAt: number;
  readonly test: boolean;
  updatedAt: number;
  processedAt: number;
  cancelledAt: number | undefined;
  cancelReason: ShopifyFakeCancelReason | undefined;
  cancelStaffNote: string | undefined;
  closedAt: number | undefined;
  fulfillmentStatus: ShopifyFakeFulfillmentStatus;
  returnStatus: ShopifyFakeReturnStatus;
  note: string | undefined;
  tags: string[];
  readonly transactions: ShopifyFakeTransaction[];
  readonly refunds: ShopifyFakeRefund[];
  pendingCancellation: ShopifyFakePendingCancellation | undefined;
}

/** The amounts and flags Shopify derives from an order's transactions. */
export interface ShopifyFakeOrderAmounts {
  readonly financialStatus: ShopifyFakeFinancialStatus;
  /** Captured or sold, minor units. */
  readonly receivedMinor: bigint;
  readonly refundedMinor: bigint;
  readonly capturableMinor: bigint;
  readonly outstandingMinor: bigint;
  readonly refundableMinor: bigint;
  readonly canMarkAsPaid: boolean;
}

/** A transaction to seed explicitly. */
export interface ShopifyFakeTransactionSeed {
  readonly kind: ShopifyFakeTransactionKind;
  readonly amount: Money;
  /** @default 'SUCCESS' */
  readonly status?: ShopifyFakeTransactionStatus | undefined;
  /** @default the order's gateway */
  readonly gateway?: string | undefined;
  /** Index (in this list) of the parent transaction. */
  readonly parentIndex?: number | undefined;
  readonly authorizationCode?: string | undefined;
  readonly authorizationExpiresAt?: number | undefined;
  readonly multiCapturable?: boolean | undefined;
  readonly errorCode?: string | undefined;
  /** When it happened. @default the order's creation time */
  readonly createdAt?: number | undefined;
}

/** What `ShopifyFake.addOrder` creates. */
export interface ShopifyFakeOrderSeed {
  /** The order total; its currency is the shop's and the customer's (single-currency shop). */
  readonly total: Money;
  /**
   * The financial state, built with the transactions Shopify would hold: `AUTHORIZED` an
   * authorization of the total, `PARTIALLY_PAID` plus a capture of half, `PAID` a sale of the
   * total, `PARTIALLY_REFUNDED` / `REFUNDED` a sale and a refund of half / all, `VOIDED` an
   * authorization and its void, `EXPIRED` an authorization that expired. Ignored when
   * `transactions` is given.
   * @default 'PENDING'
   */
  readonly financialStatus?: ShopifyFakeFinancialStatus | undefined;
  /** Explicit transactions instead of `financialStatus`. */
  readonly transactions?: readonly ShopifyFakeTransactionSeed[] | undefined;
  /** @default 'UNFULFILLED' */
  readonly fulfillmentStatus?: ShopifyFakeFulfillmentStatus | undefined;
  /** @default 'NO_RETURN' */
  readonly returnStatus?: ShopifyFakeReturnStatus | undefined;
  /** Seed it cancelled (`true` is reason `OTHER`). @default false */
  readonly cancelled?: boolean | ShopifyFakeCancelReason | undefined;
  /** Seed it closed (archived). @default false */
  readonly closed?: boolean | undefined;
  /** The customer: a `gid://shopify/Customer/...`, or any string, which gets a customer gid of its own. */
  readonly customerId?: string | undefined;
  /** @default `#<number>` */
  readonly name?: string | undefined;
  readonly email?: string | undefined;
  /** Gateway of the seeded transactions. @default 'shopify_payments' */
  readonly gateway?: string | undefined;
  /** Authorization code (provider payment reference) of the seeded authorization or sale. */
  readonly authorizationCode?: string | undefined;
  /** Whether seeded authorizations can be captured several times. @default true (a Plus shop) */
  readonly multiCapturable?: boolean | undefined;
  /** @default the clock's now */
  readonly createdAt?: number | undefined;
  /** @default `createdAt` */
  readonly updatedAt?: number | undefined;
  /** Shopify's test flag. @default false */
  readonly test?: boolean | undefined;
}

/** A `userErrors` / `orderCancelUserErrors` entry. */
export interface ShopifyFakeUserError {
  readonly field: readonly string[] | null;
  readonly message: string;
  readonly code?: string | undefined;
}

/** A change the fake turns into webhooks. */
export interface ShopifyFakeChange {
  readonly topic: ShopifyFakeWebhookTopic;
  readonly orderId: string;
  readonly refundId?: string | undefined;
}

/** Inputs of the mutations, as the GraphQL arguments arrive. */
export interface ShopifyFakeCaptureInput {
  readonly id: string;
  readonly parentTransactionId: string;
  readonly amount: unknown;
  readonly currency?: string | null | undefined;
  readonly finalCapture?: boolean | null | undefined;
}

/** `OrderTransactionInput`. */
export interface ShopifyFakeRefundTransactionInput {
  readonly amount: unknown;
  readonly gateway: string;
  readonly kind: string;
  readonly orderId: string;
  readonly parentId?: string | null | undefined;
}

/** `RefundInput`. */
export interface ShopifyFakeRefundInput {
  readonly orderId: string;
  readonly currency?: string | null | undefined;
  readonly note?: string | null | undefined;
  readonly notify?: boolean | null | undefined;
  readonly shipping?: { readonly amount?: unknown; readonly fullRefund?: boolean | null } | null | undefined;
  readonly refundLineItems?: readonly unknown[] | null | undefined;
  readonly refundDuties?: readonly unknown[] | null | undefined;
  readonly transactions?: readonly ShopifyFakeRefundTransactionInput[] | null | undefined;
}

/** `orderCancel` arguments. */
export interface ShopifyFakeCancelInput {
  readonly orderId: string;
  readonly refund: boolean;
  readonly restock: boolean;
  readonly reason: ShopifyFakeCancelReason;
  readonly notifyCustomer?: boolean | null | undefined;
  readonly staffNote?: string | null | undefined;
}

const authorizationKinds: ReadonlySet<ShopifyFakeTransactionKind> = new Set(['AUTHORIZATION', 'EMV_AUTHORIZATION']);
const paymentKinds: ReadonlySet<ShopifyFakeTransactionKind> = new Set(['CAPTURE', 'SALE']);

/** `gid://shopify/<type>/<number>`. */
export function shopifyGid(type: string, legacyId: number | string): string {
  return `gid://shopify/${type}/${legacyId}`;
}

/** Whether `value` is a Shopify global id of any type (`gid://shopify/<Type>/<number>`). */
export function isShopifyGid(value: string): boolean {
  return /^gid:\/\/shopify\/[A-Za-z]+\/\d+$/.test(value);
}

function sumMinor(transactions: readonly ShopifyFakeTransaction[]): bigint {
  return transactions.reduce((sum, transaction) => sum + transaction.amountMinor, 0n);
}

/**
 * The state of the fake shop: orders with their transactions and refunds, and Shopify's rules for
 * moving money on them. Every rule failure is a user error (the way the Admin API reports them);
 * every change is reported to `onChange` for webhooks.
 */
export class ShopifyFakeStore {
  readonly #now: () => number;
  readonly #onChange: (change: ShopifyFakeChange) => void;
  readonly #cancelJobDelayMilliseconds: () => number;
  readonly #orders = new Map<string, ShopifyFakeOrderRecord>();
  readonly #transactionOrder = new Map<string, string>();
  readonly #customers = new Map<string, string>();
  #nextOrder = 0;
  #nextTransaction = 0;
  #nextRefund = 0;
  #nextCustomer = 0;

  constructor(options: { readonly now: () => number; readonly onChange: (change: ShopifyFakeChange) => void; readonly cancelJobDelayMilliseconds: () => number }) {
    this.#now = options.now;
    this.#onChange = options.onChange;
    this.#cancelJobDelayMilliseconds = options.cancelJobDelayMilliseconds;
  }

  /** Forgets every order (ids keep counting up, so old ids stay unknown). */
  clear(): void {
    this.#orders.clear();
    this.#transactionOrder.clear();
    this.#customers.clear();
  }

  /** Every order, in creation order. */
  orders(): ShopifyFakeOrderRecord[] {
    return [...this.#orders.values()];
  }

  /** One order by gid. */
  order(id: string): ShopifyFakeOrderRecord | undefined {
    return this.#orders.get(id);
  }

  /** The order a transaction belongs to. */
  orderOfTransaction(transactionId: string): ShopifyFakeOrderRecord | undefined {
    const orderId = this.#transactionOrder.get(transactionId);
    return orderId === undefined ? undefined : this.#orders.get(orderId);
  }

  /** A transaction by gid. */
  transaction(id: string): ShopifyFakeTransaction | undefined {
    return this.orderOfTransaction(id)?.transactions.find((transaction) => transaction.id === id);
  }

  // -------------------------------------------------------------------------------------------
  // Seeding
  // -------------------------------------------------------------------------------------------

  /** Creates an order (see `ShopifyFakeOrderSeed`) and reports `orders/create`. */
  addOrder(seed: ShopifyFakeOrderSeed): ShopifyFakeOrderRecord {
    const currency = seed.total.currency;
    if (!isCurrencyCode(currency)) throw new TypeError(`Shopify fake: unknown currency ${currency}`);
    if (seed.total.isNegative()) throw new RangeError('Shopify fake: an order total cannot be negative');
    const createdAt = seed.createdAt ?? this.#now();
    this.#nextOrder += 1;
    const legacyId = 5_000_000_000 + this.#nextOrder;
    const cancelReason = seed.cancelled === true ? 'OTHER' : seed.cancelled === false || seed.cancelled === undefined ? undefined : seed.cancelled;
    const record: ShopifyFakeOrderRecord = {
      legacyId,
      id: shopifyGid('Order', legacyId),
      name: seed.name ?? `#${1000 + this.#nextOrder}`,
      email: seed.email,
      currency,
      totalMinor: seed.total.minorUnits,
      customerId: seed.customerId === undefined ? undefined : this.#customerGid(seed.customerId),
      createdAt,
      test: seed.test ?? false,
      updatedAt: seed.updatedAt ?? createdAt,
      processedAt: createdAt,
      cancelledAt: cancelReason === undefined ? undefined : createdAt,
      cancelReason,
      cancelStaffNote: undefined,
      closedAt: seed.closed === true ? createdAt : undefined,
      fulfillmentStatus: seed.fulfillmentStatus ?? 'UNFULFILLED',
      returnStatus: seed.returnStatus ?? 'NO_RETURN',
      note: undefined,
      tags: [],
      transactions: [],
      refunds: [],
      pendingCancellation: undefined,
    };
    this.#orders.set(record.id, record);
    const transactions = seed.transactions ?? this.#transactionsFor(seed, createdAt);
    const created: ShopifyFakeTransaction[] = [];
    for (const transaction of transactions) {
      if (transaction.amount.currency !== currency) throw new TypeError('Shopify fake: seeded transactions must be in the order currency');
      const parent = transaction.parentIndex === undefined ? undefined : created[transaction.parentIndex];
      if (transaction.parentIndex !== undefined && parent === undefined) throw new RangeError(`Shopify fake: no seeded transaction at parentIndex ${transaction.parentIndex}`);
      created.push(
        this.#addTransaction(record, {
          kind: transaction.kind,
          status: transaction.status ?? 'SUCCESS',
          amountMinor: transaction.amount.minorUnits,
          gateway: transaction.gateway ?? seed.gateway ?? 'shopify_payments',
          parentId: parent?.id,
          authorizationCode: transaction.authorizationCode,
          authorizationExpiresAt: transaction.authorizationExpiresAt,
          multiCapturable: transaction.multiCapturable ?? seed.multiCapturable ?? true,
          errorCode: transaction.errorCode,
          createdAt: transaction.createdAt ?? createdAt,
          test: record.test,
        }),
      );
    }
    for (const refund of created.filter((transaction) => transaction.kind === 'REFUND' && transaction.status === 'SUCCESS')) {
      this.#addRefund(record, [refund], undefined, refund.createdAt);
    }
    this.#closeSingleCaptureAuthorizations(record);
    this.#emit({ topic: 'orders/create', orderId: record.id });
    return record;
  }

  #customerGid(customerId: string): string {
    if (/^gid:\/\/shopify\/Customer\/\d+$/.test(customerId)) return customerId;
    let gid = this.#customers.get(customerId);
    if (gid === undefined) {
      this.#nextCustomer += 1;
      gid = shopifyGid('Customer', 7_000_000_000 + this.#nextCustomer);
      this.#customers.set(customerId, gid);
    }
    return gid;
  }

  #transactionsFor(seed: ShopifyFakeOrderSeed, createdAt: number): ShopifyFakeTransactionSeed[] {
    const total = seed.total;
    const status = seed.financialStatus ?? 'PENDING';
    const half = (): Money => {
      if (total.minorUnits < 2n) throw new RangeError(`Shopify fake: ${status} needs a total of at least 2 minor units`);
      return Money.of(total.minorUnits / 2n, total.currency);
    };
    const code = seed.authorizationCode;
    const authorization: ShopifyFakeTransactionSeed = { kind: 'AUTHORIZATION', amount: total, authorizationCode: code };
    const sale: ShopifyFakeTransactionSeed = { kind: 'SALE', amount: total, authorizationCode: code };
    switch (status) {
      case 'PENDING':
        return [];
      case 'AUTHORIZED':
        return [authorization];
      case 'PARTIALLY_PAID':
        return [authorization, { kind: 'CAPTURE', amount: half(), parentIndex: 0, authorizationCode: code }];
      case 'PAID':
        return [sale];
      case 'PARTIALLY_REFUNDED':
        return [sale, { kind: 'REFUND', amount: half(), parentIndex: 0, authorizationCode: code }];
      case 'REFUNDED':
        return [sale, { kind: 'REFUND', amount: total, parentIndex: 0, authorizationCode: code }];
      case 'VOIDED':
        return [authorization, { kind: 'VOID', amount: total, parentIndex: 0, authorizationCode: code }];
      case 'EXPIRED':
        return [{ ...authorization, authorizationExpiresAt: createdAt - 1 }];
    }
  }

  #addTransaction(
    order: ShopifyFakeOrderRecord,
    input: Omit<ShopifyFakeTransaction, 'legacyId' | 'id' | 'receipt' | 'manualPaymentGateway' | 'paymentId' | 'captureClosed'> & { readonly manualPaymentGateway?: boolean },
  ): ShopifyFakeTransaction {
    this.#nextTransaction += 1;
    const legacyId = 6_000_000_000 + this.#nextTransaction;
    const id = shopifyGid('OrderTransaction', legacyId);
    const transaction: ShopifyFakeTransaction = {
      ...input,
      legacyId,
      id,
      manualPaymentGateway: input.manualPaymentGateway ?? input.gateway === 'manual',
      paymentId: `${order.legacyId}.${order.transactions.length + 1}`,
      receipt: input.authorizationCode === undefined ? {} : { id: input.authorizationCode, gateway: input.gateway, kind: input.kind.toLowerCase() },
      captureClosed: false,
    };
    order.transactions.push(transaction);
    this.#transactionOrder.set(id, order.id);
    return transaction;
  }

  #addRefund(order: ShopifyFakeOrderRecord, transactions: readonly ShopifyFakeTransaction[], note: string | undefined, createdAt: number): ShopifyFakeRefund {
    this.#nextRefund += 1;
    const legacyId = 8_000_000_000 + this.#nextRefund;
    const refund: ShopifyFakeRefund = {
      legacyId,
      id: shopifyGid('Refund', legacyId),
      note,
      createdAt,
      transactionIds: transactions.map((transaction) => transaction.id),
      amountMinor: sumMinor(transactions),
    };
    order.refunds.push(refund);
    return refund;
  }

  /** Authorizations that cannot be captured twice are closed once they have a capture. */
  #closeSingleCaptureAuthorizations(order: ShopifyFakeOrderRecord): void {
    for (const authorization of this.authorizations(order)) {
      if (!authorization.multiCapturable && this.capturesOf(order, authorization).length > 0) authorization.captureClosed = true;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Derived amounts (Shopify's own arithmetic)
  // -------------------------------------------------------------------------------------------

  /** Successful authorizations. */
  authorizations(order: ShopifyFakeOrderRecord): ShopifyFakeTransaction[] {
    return order.transactions.filter((transaction) => authorizationKinds.has(transaction.kind) && transaction.status === 'SUCCESS');
  }

  /** Successful captures of one authorization. */
  capturesOf(order: ShopifyFakeOrderRecord, authorization: ShopifyFakeTransaction): ShopifyFakeTransaction[] {
    return order.transactions.filter((transaction) => transaction.kind === 'CAPTURE' && transaction.status === 'SUCCESS' && transaction.parentId === authorization.id);
  }

  /** What is left to capture on an authorization (0 when voided, expired, closed or the order is cancelled). */
  capturableOf(order: ShopifyFakeOrderRecord, authorization: ShopifyFakeTransaction): bigint {
    if (!authorizationKinds.has(authorization.kind) || authorization.status !== 'SUCCESS') return 0n;
    if (authorization.captureClosed || order.cancelledAt !== undefined || this.#voided(order, authorization) || this.#expired(authorization)) return 0n;
    const remaining = authorization.amountMinor - sumMinor(this.capturesOf(order, authorization));
    return remaining > 0n ? remaining : 0n;
  }

  /** What is left to refund on a capture or sale. */
  refundableOf(order: ShopifyFakeOrderRecord, payment: ShopifyFakeTransaction): bigint {
    if (!paymentKinds.has(payment.kind) || payment.status !== 'SUCCESS') return 0n;
    const refunded = sumMinor(order.transactions.filter((transaction) => transaction.kind === 'REFUND' && transaction.status === 'SUCCESS' && transaction.parentId === payment.id));
    return payment.amountMinor - refunded;
  }

  #voided(order: ShopifyFakeOrderRecord, authorization: ShopifyFakeTransaction): boolean {
    return order.transactions.some((transaction) => transaction.kind === 'VOID' && transaction.status === 'SUCCESS' && transaction.parentId === authorization.id);
  }

  #expired(authorization: ShopifyFakeTransaction): boolean {
    return authorization.authorizationExpiresAt !== undefined && authorization.authorizationExpiresAt <= this.#now();
  }

  /** Shopify's derived amounts and `displayFinancialStatus` of an order. */
  amounts(order: ShopifyFakeOrderRecord): ShopifyFakeOrderAmounts {
    const successful = order.transactions.filter((transaction) => transaction.status === 'SUCCESS');
    const receivedMinor = sumMinor(successful.filter((transaction) => paymentKinds.has(transaction.kind)));
    const refundedMinor = sumMinor(successful.filter((transaction) => transaction.kind === 'REFUND'));
    const authorizations = this.authorizations(order);
    const capturableMinor = authorizations.reduce((sum, authorization) => sum + this.capturableOf(order, authorization), 0n);
    let financialStatus: ShopifyFakeFinancialStatus;
    if (refundedMinor > 0n) {
      financialStatus = refundedMinor >= receivedMinor ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
    } else if (receivedMinor > 0n || order.totalMinor === 0n) {
      financialStatus = receivedMinor >= order.totalMinor ? 'PAID' : 'PARTIALLY_PAID';
    } else if (authorizations.length > 0) {
      const live = authorizations.filter((authorization) => !this.#voided(order, authorization));
      if (live.length === 0) financialStatus = 'VOIDED';
      else financialStatus = live.every((authorization) => this.#expired(authorization)) ? 'EXPIRED' : 'AUTHORIZED';
    } else {
      financialStatus = 'PENDING';
    }
    const cancelled = order.cancelledAt !== undefined;
    const outstandingMinor = cancelled || receivedMinor >= order.totalMinor ? 0n : order.totalMinor - receivedMinor;
    return {
      financialStatus,
      receivedMinor,
      refundedMinor,
      capturableMinor,
      outstandingMinor,
      refundableMinor: receivedMinor - refundedMinor,
      canMarkAsPaid: !cancelled && outstandingMinor > 0n && capturableMinor === 0n,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Mutations
  // -------------------------------------------------------------------------------------------

  /** `orderMarkAsPaid`: records a manual sale of the outstanding amount. */
  markAsPaid(orderId: string): { readonly order: ShopifyFakeOrderRecord | undefined; readonly userErrors: ShopifyFakeUserError[] } {
    const order = this.#orders.get(orderId);
    if (order === undefined) return { order: undefined, userErrors: [{ field: ['input', 'id'], message: 'Order does not exist' }] };
    const amounts = this.amounts(order);
    if (!amounts.canMarkAsPaid) {
      const message =
        order.cancelledAt !== undefined
          ? 'Order is canceled and cannot be marked as paid'
          : amounts.capturableMinor > 0n
            ? 'Order has an authorized payment: capture it instead of marking the order as paid'
            : 'Order is already paid';
      return { order, userErrors: [{ field: ['input', 'id'], message }] };
    }
    this.#addTransaction(order, {
      kind: 'SALE',
      status: 'SUCCESS',
      amountMinor: amounts.outstandingMinor,
      gateway: 'manual',
      parentId: undefined,
      authorizationCode: undefined,
      authorizationExpiresAt: undefined,
      multiCapturable: false,
      errorCode: undefined,
      createdAt: this.#now(),
      test: order.test,
    });
    this.#changed(order, amounts.financialStatus);
    return { order, userErrors: [] };
  }

  /** `orderCapture`: captures (part of) an authorization. */
  capture(input: ShopifyFakeCaptureInput): { readonly transaction: ShopifyFakeTransaction | undefined; readonly userErrors: ShopifyFakeUserError[] } {
    const fail = (field: string, message: string) => ({ transaction: undefined, userErrors: [{ field: ['input', field], message }] });
    const order = this.#orders.get(input.id);
    if (order === undefined) return fail('id', 'Order does not exist');
    const parent = order.transactions.find((transaction) => transaction.id === input.parentTransactionId);
    if (parent === undefined) return fail('parentTransactionId', 'Transaction does not exist on this order');
    if (!authorizationKinds.has(parent.kind) || parent.status !== 'SUCCESS') return fail('parentTransactionId', 'Transaction is not a successful authorization');
    if (input.currency !== undefined && input.currency !== null && input.currency !== order.currency) {
      return fail('currency', `Currency must be the presentment currency of the order (${order.currency})`);
    }
    const capturable = this.capturableOf(order, parent);
    if (capturable === 0n) return fail('parentTransactionId', 'Transaction is not capturable');
    const amount = parseShopifyMoneyInput(input.amount, order.currency);
    if (typeof amount !== 'bigint') return fail('amount', amount === 'too-precise' ? `Amount has more decimals than ${order.currency} allows` : 'Amount is invalid');
    if (amount <= 0n) return fail('amount', 'Amount must be greater than 0');
    if (amount > capturable) return fail('amount', `Amount cannot exceed the capturable amount of ${formatShopifyDecimal(capturable, order.currency)} ${order.currency}`);
    const before = this.amounts(order).financialStatus;
    const transaction = this.#addTransaction(order, {
      kind: 'CAPTURE',
      status: 'SUCCESS',
      amountMinor: amount,
      gateway: parent.gateway,
      parentId: parent.id,
      authorizationCode: parent.authorizationCode,
      authorizationExpiresAt: undefined,
      multiCapturable: false,
      errorCode: undefined,
      createdAt: this.#now(),
      test: order.test,
    });
    if (!parent.multiCapturable || input.finalCapture === true || amount === capturable) parent.captureClosed = true;
    this.#changed(order, before);
    return { transaction, userErrors: [] };
  }

  /** `refundCreate`: refunds money through the given transactions (line items, duties and shipping are not modelled). */
  refund(input: ShopifyFakeRefundInput): { readonly order: ShopifyFakeOrderRecord | undefined; readonly refund: ShopifyFakeRefund | undefined; readonly userErrors: ShopifyFakeUserError[] } {
    const fail = (field: readonly string[], message: string) => ({ order: undefined, refund: undefined, userErrors: [{ field: ['input', ...field], message }] });
    const order = this.#orders.get(input.orderId);
    if (order === undefined) return fail(['orderId'], 'Order does not exist');
    if ((input.refundLineItems ?? []).length > 0) return fail(['refundLineItems', '0', 'lineItemId'], 'Line item does not exist');
    if ((input.refundDuties ?? []).length > 0) return fail(['refundDuties', '0', 'dutyId'], 'Duty does not exist');
    if (input.shipping !== undefined && input.shipping !== null) {
      const shippingAmount = input.shipping.amount === undefined || input.shipping.amount === null ? 0n : parseShopifyMoneyInput(input.shipping.amount, order.currency);
      if (shippingAmount !== 0n) return fail(['shipping', 'amount'], 'Shipping refund amount exceeds the refundable shipping amount of 0.0');
    }
    if (input.currency !== undefined && input.currency !== null && input.currency !== order.currency) {
      return fail(['currency'], `Currency must be the presentment currency of the order (${order.currency})`);
    }
    const refundable = new Map<string, bigint>();
    const planned: { readonly parent: ShopifyFakeTransaction; readonly amount: bigint; readonly gateway: string }[] = [];
    for (const [index, item] of (input.transactions ?? []).entries()) {
      const path = ['transactions', String(index)];
      if (item.orderId !== order.id) return fail([...path, 'orderId'], 'Transaction order does not match the refunded order');
      if (item.kind !== 'REFUND') return fail([...path, 'kind'], 'Transaction kind must be REFUND');
      if (item.parentId === undefined || item.parentId === null) return fail([...path, 'parentId'], 'Parent transaction is required');
      const parent = order.transactions.find((transaction) => transaction.id === item.parentId);
      if (parent === undefined || !paymentKinds.has(parent.kind) || parent.status !== 'SUCCESS') {
        return fail([...path, 'parentId'], 'Parent transaction must be a successful capture or sale of this order');
      }
      if (item.gateway !== parent.gateway) return fail([...path, 'gateway'], `Gateway must be the gateway of the parent transaction (${parent.gateway})`);
      const amount = parseShopifyMoneyInput(item.amount, order.currency);
      if (typeof amount !== 'bigint') return fail([...path, 'amount'], 'Amount is invalid');
      if (amount <= 0n) return fail([...path, 'amount'], 'Amount must be greater than 0');
      const left = refundable.get(parent.id) ?? this.refundableOf(order, parent);
      if (amount > left) return fail([...path, 'amount'], `Amount cannot exceed the refundable amount of ${formatShopifyDecimal(left, order.currency)} ${order.currency}`);
      refundable.set(parent.id, left - amount);
      planned.push({ parent, amount, gateway: item.gateway });
    }
    const before = this.amounts(order).financialStatus;
    const now = this.#now();
    const transactions = planned.map(({ parent, amount, gateway }) =>
      this.#addTransaction(order, {
        kind: 'REFUND',
        status: 'SUCCESS',
        amountMinor: amount,
        gateway,
        parentId: parent.id,
        authorizationCode: parent.authorizationCode,
        authorizationExpiresAt: undefined,
        multiCapturable: false,
        errorCode: undefined,
        createdAt: now,
        test: order.test,
      }),
    );
    const refund = this.#addRefund(order, transactions, input.note ?? undefined, now);
    this.#emit({ topic: 'refunds/create', orderId: order.id, refundId: refund.id });
    this.#changed(order, before);
    return { order, refund, userErrors: [] };
  }

  /**
   * `orderCancel`: Shopify cancels asynchronously. The job runs `cancelJobDelayMilliseconds` later
   * (at once by default); cancelling voids what is still authorized, and with `refund: true`
   * refunds what was received.
   */
  cancel(input: ShopifyFakeCancelInput): { readonly jobId: string | undefined; readonly done: boolean; readonly userErrors: ShopifyFakeUserError[] } {
    const fail = (code: string, message: string) => ({ jobId: undefined, done: false, userErrors: [{ field: ['orderId'], message, code }] });
    this.applyDueCancellations();
    const order = this.#orders.get(input.orderId);
    if (order === undefined) return fail('NOT_FOUND', 'Order does not exist');
    if (order.cancelledAt !== undefined || order.pendingCancellation !== undefined) return fail('INVALID', 'Order has already been canceled');
    if (order.fulfillmentStatus === 'FULFILLED' || order.fulfillmentStatus === 'PARTIALLY_FULFILLED') {
      return fail('INVALID', 'Cannot cancel an order with fulfillments: cancel the fulfillments first');
    }
    const jobId = shopifyGid('Job', randomUUID());
    order.pendingCancellation = { jobId, dueAt: this.#now() + this.#cancelJobDelayMilliseconds(), reason: input.reason, refund: input.refund, staffNote: input.staffNote ?? undefined };
    const done = this.applyDueCancellations().includes(jobId);
    return { jobId, done, userErrors: [] };
  }

  /** Whether the cancellation job `jobId` has run. */
  jobDone(jobId: string): boolean {
    this.applyDueCancellations();
    return ![...this.#orders.values()].some((order) => order.pendingCancellation?.jobId === jobId);
  }

  /** Runs every cancellation job that is due; answers their job ids. */
  applyDueCancellations(): string[] {
    const now = this.#now();
    const done: string[] = [];
    for (const order of this.#orders.values()) {
      const pending = order.pendingCancellation;
      if (pending === undefined || pending.dueAt > now) continue;
      order.pendingCancellation = undefined;
      const before = this.amounts(order).financialStatus;
      for (const authorization of this.authorizations(order)) {
        const capturable = this.capturableOf(order, authorization);
        if (capturable === 0n) continue;
        this.#addTransaction(order, {
          kind: 'VOID',
          status: 'SUCCESS',
          amountMinor: capturable,
          gateway: authorization.gateway,
          parentId: authorization.id,
          authorizationCode: authorization.authorizationCode,
          authorizationExpiresAt: undefined,
          multiCapturable: false,
          errorCode: undefined,
          createdAt: now,
          test: order.test,
        });
      }
      if (pending.refund) this.#refundEverything(order, now);
      order.cancelledAt = now;
      order.cancelReason = pending.reason;
      order.cancelStaffNote = pending.staffNote;
      this.#emit({ topic: 'orders/cancelled', orderId: order.id });
      this.#changed(order, before);
      done.push(pending.jobId);
    }
    return done;
  }

  #refundEverything(order: ShopifyFakeOrderRecord, now: number): void {
    const transactions: ShopifyFakeTransaction[] = [];
    for (const payment of order.transactions.filter((transaction) => paymentKinds.has(transaction.kind))) {
      const amount = this.refundableOf(order, payment);
      if (amount <= 0n) continue;
      transactions.push(
        this.#addTransaction(order, {
          kind: 'REFUND',
          status: 'SUCCESS',
          amountMinor: amount,
          gateway: payment.gateway,
          parentId: payment.id,
          authorizationCode: payment.authorizationCode,
          authorizationExpiresAt: undefined,
          multiCapturable: false,
          errorCode: undefined,
          createdAt: now,
          test: order.test,
        }),
      );
    }
    if (transactions.length === 0) return;
    const refund = this.#addRefund(order, transactions, 'Order canceled', now);
    this.#emit({ topic: 'refunds/create', orderId: order.id, refundId: refund.id });
  }

  /** `orderClose`: archives the order. */
  close(orderId: string): { readonly order: ShopifyFakeOrderRecord | undefined; readonly userErrors: ShopifyFakeUserError[] } {
    const order = this.#orders.get(orderId);
    if (order === undefined) return { order: undefined, userErrors: [{ field: ['input', 'id'], message: 'Order does not exist' }] };
    if (order.closedAt === undefined) {
      order.closedAt = this.#now();
      this.#changed(order, this.amounts(order).financialStatus);
    }
    return { order, userErrors: [] };
  }

  /** Test control: changes fulfillment or return status as a fulfillment app would. */
  setFulfillment(orderId: string, change: { readonly fulfillmentStatus?: ShopifyFakeFulfillmentStatus; readonly returnStatus?: ShopifyFakeReturnStatus }): ShopifyFakeOrderRecord {
    const order = this.#orders.get(orderId);
    if (order === undefined) throw new Error(`Shopify fake: no order ${orderId}`);
    order.fulfillmentStatus = change.fulfillmentStatus ?? order.fulfillmentStatus;
    order.returnStatus = change.returnStatus ?? order.returnStatus;
    this.#changed(order, this.amounts(order).financialStatus);
    return order;
  }

  /** Marks a change: bumps `updatedAt`, reports `orders/updated` and, on becoming paid, `orders/paid`. */
  #changed(order: ShopifyFakeOrderRecord, financialStatusBefore: ShopifyFakeFinancialStatus): void {
    order.updatedAt = this.#now();
    if (financialStatusBefore !== 'PAID' && this.amounts(order).financialStatus === 'PAID') this.#emit({ topic: 'orders/paid', orderId: order.id });
    this.#emit({ topic: 'orders/updated', orderId: order.id });
  }

  #emit(change: ShopifyFakeChange): void {
    this.#onChange(change);
  }
}
