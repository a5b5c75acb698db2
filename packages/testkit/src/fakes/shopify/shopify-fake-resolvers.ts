import { GraphQLError } from 'graphql';
import { formatShopifyDateTime, shopifyMoneyBag, truncateToSecond } from './shopify-fake-money.js';
import { compareWith, matchesShopifySearch, parseSearchTime, parseShopifySearch, type ShopifySearchComparator, ShopifySearchSyntaxError } from './shopify-fake-search.js';
import {
  isShopifyGid,
  type ShopifyFakeCancelInput,
  type ShopifyFakeCaptureInput,
  type ShopifyFakeOrderRecord,
  type ShopifyFakeRefund,
  type ShopifyFakeRefundInput,
  type ShopifyFakeStore,
  type ShopifyFakeTransaction,
  type ShopifyFakeUserError,
} from './shopify-fake-store.js';

/** Shopify's page size limit for connections. */
export const shopifyMaximumPageSize = 250;

/** A GraphQL error the way Shopify words its own (message plus `extensions.code`). */
function shopifyError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** `Money`-typed fields and the order they belong to, resolved lazily by graphql-js. */
type Resolved = Record<string, unknown>;

function dateTime(time: number | undefined): string | null {
  return time === undefined ? null : formatShopifyDateTime(time);
}

function truncate<Item>(items: readonly Item[], first: unknown): Item[] {
  if (first === undefined || first === null) return [...items];
  if (typeof first !== 'number' || first < 0) throw shopifyError('first must be a non-negative integer', 'argumentLiteralsIncompatible');
  return items.slice(0, first);
}

function userErrors(errors: readonly ShopifyFakeUserError[]): Resolved[] {
  return errors.map((error) => ({ field: error.field, message: error.message }));
}

/** Builds the GraphQL objects the schema's fields resolve from, straight from the store. */
export class ShopifyFakeResolvers {
  readonly #store: ShopifyFakeStore;

  constructor(store: ShopifyFakeStore) {
    this.#store = store;
  }

  /** The root value of every operation: `QueryRoot` and `Mutation` fields. */
  root(): Resolved {
    const root: Resolved = {
      order: (args: { readonly id: string }) => this.#orderById(args.id),
      orders: (args: OrdersArguments) => this.#orders(args),
      orderMarkAsPaid: (args: { readonly input: { readonly id: string } }) => {
        const result = this.#store.markAsPaid(args.input.id);
        return { order: result.userErrors.length > 0 || result.order === undefined ? null : this.order(result.order), userErrors: userErrors(result.userErrors) };
      },
      orderCapture: (args: { readonly input: ShopifyFakeCaptureInput }) => {
        const result = this.#store.capture(args.input);
        const order = result.transaction === undefined ? undefined : this.#store.orderOfTransaction(result.transaction.id);
        return {
          transaction: result.transaction === undefined || order === undefined ? null : this.transaction(order, result.transaction),
          userErrors: userErrors(result.userErrors),
        };
      },
      refundCreate: (args: { readonly input: ShopifyFakeRefundInput }) => {
        const result = this.#store.refund(args.input);
        return {
          order: result.order === undefined ? null : this.order(result.order),
          refund: result.order === undefined || result.refund === undefined ? null : this.refund(result.order, result.refund),
          userErrors: userErrors(result.userErrors),
        };
      },
      orderCancel: (args: ShopifyFakeCancelInput) => {
        const result = this.#store.cancel(args);
        const errors = result.userErrors.map((error) => ({ code: error.code ?? null, field: error.field, message: error.message }));
        return {
          job: result.jobId === undefined ? null : this.#job(result.jobId, result.done),
          orderCancelUserErrors: errors,
          userErrors: userErrors(result.userErrors),
        };
      },
      orderClose: (args: { readonly input: { readonly id: string } }) => {
        const result = this.#store.close(args.input.id);
        return { order: result.userErrors.length > 0 || result.order === undefined ? null : this.order(result.order), userErrors: userErrors(result.userErrors) };
      },
    };
    return root;
  }

  #job(id: string, done: boolean): Resolved {
    return { id, done, query: () => this.root() };
  }

  #orderById(id: string): Resolved | null {
    if (!isShopifyGid(id)) throw shopifyError(`Invalid global id '${id}'`, 'argumentLiteralsIncompatible');
    const record = this.#store.order(id);
    return record === undefined ? null : this.order(record);
  }

  /** An `Order` object. */
  order(record: ShopifyFakeOrderRecord): Resolved {
    const store = this.#store;
    const amounts = store.amounts(record);
    const currency = record.currency;
    const bag = (minor: bigint) => shopifyMoneyBag(minor, currency);
    return {
      id: record.id,
      legacyResourceId: String(record.legacyId),
      name: record.name,
      createdAt: dateTime(record.createdAt),
      updatedAt: dateTime(record.updatedAt),
      processedAt: dateTime(record.processedAt),
      cancelledAt: dateTime(record.cancelledAt),
      cancelReason: record.cancelReason ?? null,
      closed: record.closedAt !== undefined,
      closedAt: dateTime(record.closedAt),
      confirmed: true,
      test: record.test,
      email: record.email ?? null,
      note: record.note ?? null,
      tags: [...record.tags],
      currencyCode: currency,
      presentmentCurrencyCode: currency,
      displayFinancialStatus: amounts.financialStatus,
      displayFulfillmentStatus: record.fulfillmentStatus,
      returnStatus: record.returnStatus,
      capturable: amounts.capturableMinor > 0n,
      refundable: amounts.refundableMinor > 0n,
      canMarkAsPaid: amounts.canMarkAsPaid,
      fullyPaid: amounts.receivedMinor >= record.totalMinor,
      unpaid: amounts.receivedMinor === 0n,
      totalPriceSet: bag(record.totalMinor),
      currentTotalPriceSet: bag(record.totalMinor),
      originalTotalPriceSet: bag(record.totalMinor),
      totalReceivedSet: bag(amounts.receivedMinor),
      totalRefundedSet: bag(amounts.refundedMinor),
      totalCapturableSet: bag(amounts.capturableMinor),
      totalOutstandingSet: bag(amounts.outstandingMinor),
      netPaymentSet: bag(amounts.receivedMinor - amounts.refundedMinor),
      paymentGatewayNames: [...new Set(record.transactions.map((transaction) => transaction.gateway))],
      customer: record.customerId === undefined ? null : { id: record.customerId },
      transactions: (args: { readonly first?: number | null; readonly capturable?: boolean | null; readonly manuallyResolvable?: boolean | null }) => {
        let transactions = record.transactions;
        if (args.capturable === true) transactions = transactions.filter((transaction) => store.capturableOf(record, transaction) > 0n);
        if (args.capturable === false) transactions = transactions.filter((transaction) => store.capturableOf(record, transaction) === 0n);
        if (args.manuallyResolvable === true) transactions = transactions.filter((transaction) => store.capturableOf(record, transaction) > 0n);
        return truncate(transactions, args.first).map((transaction) => this.transaction(record, transaction));
      },
      refunds: (args: { readonly first?: number | null }) => truncate(record.refunds, args.first).map((refund) => this.refund(record, refund)),
    };
  }

  /** An `OrderTransaction` object. */
  transaction(order: ShopifyFakeOrderRecord, transaction: ShopifyFakeTransaction): Resolved {
    const capturable = this.#store.capturableOf(order, transaction);
    const isAuthorization = transaction.kind === 'AUTHORIZATION' || transaction.kind === 'EMV_AUTHORIZATION';
    return {
      id: transaction.id,
      kind: transaction.kind,
      status: transaction.status,
      amountSet: shopifyMoneyBag(transaction.amountMinor, order.currency),
      gateway: transaction.gateway,
      formattedGateway: transaction.gateway.split('_').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' '),
      authorizationCode: transaction.authorizationCode ?? null,
      authorizationExpiresAt: dateTime(transaction.authorizationExpiresAt),
      createdAt: dateTime(transaction.createdAt),
      processedAt: dateTime(transaction.createdAt),
      errorCode: transaction.errorCode ?? null,
      manualPaymentGateway: transaction.manualPaymentGateway,
      manuallyCapturable: capturable > 0n,
      multiCapturable: isAuthorization && transaction.multiCapturable,
      maximumRefundableV2: null,
      parentTransaction: () => {
        const parent = transaction.parentId === undefined ? undefined : order.transactions.find((candidate) => candidate.id === transaction.parentId);
        return parent === undefined ? null : this.transaction(order, parent);
      },
      paymentId: transaction.paymentId,
      // Shopify serves the gateway receipt as a JSON-encoded string.
      receiptJson: transaction.receipt === undefined ? null : JSON.stringify(transaction.receipt),
      test: transaction.test,
      totalUnsettledSet: isAuthorization ? shopifyMoneyBag(capturable, order.currency) : null,
      order: () => this.order(order),
    };
  }

  /** A `Refund` object. */
  refund(order: ShopifyFakeOrderRecord, refund: ShopifyFakeRefund): Resolved {
    return {
      id: refund.id,
      legacyResourceId: String(refund.legacyId),
      createdAt: dateTime(refund.createdAt),
      updatedAt: dateTime(refund.createdAt),
      note: refund.note ?? null,
      order: () => this.order(order),
      totalRefundedSet: shopifyMoneyBag(refund.amountMinor, order.currency),
    };
  }

  #orders(args: OrdersArguments): Resolved {
    if (args.savedSearchId !== undefined && args.savedSearchId !== null) throw shopifyError('Saved searches are not supported by the Shopify fake', 'argumentLiteralsIncompatible');
    const first = args.first ?? undefined;
    const last = args.last ?? undefined;
    if (first === undefined && last === undefined) throw shopifyError('you must provide one of first or last', 'argumentLiteralsIncompatible');
    for (const size of [first, last]) {
      if (size !== undefined && (size < 0 || size > shopifyMaximumPageSize)) {
        throw shopifyError(`The number of requested items must be between 0 and ${shopifyMaximumPageSize}`, 'argumentLiteralsIncompatible');
      }
    }
    const sortValue = sortValueOf(args.sortKey ?? 'PROCESSED_AT');
    let search;
    try {
      search = parseShopifySearch(args.query ?? '');
    } catch (error) {
      throw shopifyError((error as Error).message, 'argumentLiteralsIncompatible');
    }
    let matching: ShopifyFakeOrderRecord[];
    try {
      matching = this.#store.orders().filter((order) => matchesShopifySearch(search, order, (record, field, comparator, value) => this.#matchesTerm(record, field, comparator, value)));
    } catch (error) {
      if (error instanceof ShopifySearchSyntaxError) throw shopifyError(error.message, 'argumentLiteralsIncompatible');
      throw error;
    }
    const direction = args.reverse === true ? -1 : 1;
    const ordered = matching
      .map((order) => ({ order, key: [sortValue(order), order.legacyId] as const }))
      .sort((left, right) => direction * (left.key[0] - right.key[0] || left.key[1] - right.key[1]));
    const position = (cursor: string): number => {
      const decoded = decodeCursor(cursor);
      return ordered.findIndex((entry) => direction * (entry.key[0] - decoded[0] || entry.key[1] - decoded[1]) > 0);
    };
    let start = 0;
    let end = ordered.length;
    if (args.after !== undefined && args.after !== null) {
      const index = position(args.after);
      start = index === -1 ? ordered.length : index;
    }
    if (args.before !== undefined && args.before !== null) {
      const decoded = decodeCursor(args.before);
      const index = ordered.findIndex((entry) => direction * (entry.key[0] - decoded[0] || entry.key[1] - decoded[1]) >= 0);
      end = Math.max(start, index === -1 ? ordered.length : index);
    }
    if (first !== undefined) end = Math.min(end, start + first);
    if (last !== undefined) start = Math.max(start, end - last);
    const page = ordered.slice(start, end);
    const edges = page.map((entry) => ({ cursor: encodeCursor(entry.key), node: this.order(entry.order) }));
    return {
      edges,
      nodes: edges.map((edge) => edge.node),
      pageInfo: {
        hasNextPage: end < ordered.length,
        hasPreviousPage: start > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  #matchesTerm(order: ShopifyFakeOrderRecord, field: string, comparator: ShopifySearchComparator, value: string): boolean {
    const equality = (): void => {
      if (comparator !== '=') throw new ShopifySearchSyntaxError(`${field} takes no comparator`);
    };
    const lower = value.toLowerCase();
    switch (field) {
      case 'status': {
        equality();
        const cancelled = order.cancelledAt !== undefined;
        const closed = order.closedAt !== undefined;
        if (lower === 'open') return !closed && !cancelled;
        if (lower === 'closed') return closed;
        if (lower === 'cancelled') return cancelled;
        if (lower === 'not_closed') return !closed;
        throw new ShopifySearchSyntaxError(`status '${value}' is not one of open, closed, cancelled, not_closed`);
      }
      case 'financial_status': {
        equality();
        const known = ['paid', 'pending', 'authorized', 'partially_paid', 'partially_refunded', 'refunded', 'voided', 'expired'];
        if (!known.includes(lower)) throw new ShopifySearchSyntaxError(`financial_status '${value}' is not one of ${known.join(', ')}`);
        return this.#store.amounts(order).financialStatus.toLowerCase() === lower;
      }
      case 'fulfillment_status': {
        equality();
        const statuses: Readonly<Record<string, readonly string[]>> = {
          shipped: ['FULFILLED'],
          fulfilled: ['FULFILLED'],
          partial: ['PARTIALLY_FULFILLED'],
          unshipped: ['UNFULFILLED'],
          unfulfilled: ['UNFULFILLED', 'PARTIALLY_FULFILLED'],
          scheduled: ['SCHEDULED'],
          on_hold: ['ON_HOLD'],
          request_declined: ['REQUEST_DECLINED'],
        };
        const accepted = statuses[lower];
        if (accepted === undefined) throw new ShopifySearchSyntaxError(`fulfillment_status '${value}' is not one of ${Object.keys(statuses).join(', ')}`);
        return accepted.includes(order.fulfillmentStatus);
      }
      case 'updated_at':
      case 'created_at':
      case 'processed_at': {
        const time = field === 'updated_at' ? order.updatedAt : field === 'created_at' ? order.createdAt : order.processedAt;
        return compareWith(comparator, truncateToSecond(time), parseSearchTime(value));
      }
      case 'id': {
        if (!/^\d+$/.test(value)) throw new ShopifySearchSyntaxError(`id '${value}' is not a number`);
        return compareWith(comparator, order.legacyId, Number(value));
      }
      case 'customer_id':
        equality();
        return order.customerId !== undefined && (order.customerId === value || order.customerId.endsWith(`/${value}`));
      case 'gateway':
        equality();
        return order.transactions.some((transaction) => transaction.gateway.toLowerCase() === lower);
      case 'test':
        equality();
        if (lower !== 'true' && lower !== 'false') throw new ShopifySearchSyntaxError(`test '${value}' is not true or false`);
        return order.test === (lower === 'true');
      case 'name':
        equality();
        return order.name === value || order.name === `#${value}`;
      default:
        throw new ShopifySearchSyntaxError(`unsupported search field '${field}'`);
    }
  }
}

/** Arguments of `QueryRoot.orders`. */
interface OrdersArguments {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
  readonly reverse?: boolean | null;
  readonly sortKey?: string | null;
  readonly query?: string | null;
  readonly savedSearchId?: string | null;
}

function sortValueOf(sortKey: string): (order: ShopifyFakeOrderRecord) => number {
  switch (sortKey) {
    case 'UPDATED_AT':
      return (order) => truncateToSecond(order.updatedAt);
    case 'CREATED_AT':
      return (order) => truncateToSecond(order.createdAt);
    case 'PROCESSED_AT':
      return (order) => truncateToSecond(order.processedAt);
    case 'ID':
      return (order) => order.legacyId;
    default:
      throw shopifyError(`The Shopify fake does not sort orders by ${sortKey}; use UPDATED_AT, CREATED_AT, PROCESSED_AT or ID`, 'argumentLiteralsIncompatible');
  }
}

function encodeCursor(key: readonly [number, number]): string {
  return Buffer.from(JSON.stringify({ last_id: key[1], last_value: key[0] }), 'utf8').toString('base64');
}

function decodeCursor(cursor: string): readonly [number, number] {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { readonly last_id?: unknown; readonly last_value?: unknown };
    if (typeof decoded.last_id === 'number' && typeof decoded.last_value === 'number') return [decoded.last_value, decoded.last_id];
  } catch {
    // Falls through to the error.
  }
  throw shopifyError(`Invalid cursor '${cursor}'`, 'argumentLiteralsIncompatible');
}
