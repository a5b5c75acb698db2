/**
 * Every GraphQL document the adapter sends to the Admin API 2025-01. They are plain strings, so
 * `shopify-queries.test.ts` validates each one against Shopify's official schema subset.
 */

/** What the adapter reads of an order: statuses, total, transactions, refunds and their notes. */
export const orderFragment = /* GraphQL */ `
  fragment PaymigrateOrder on Order {
    id
    name
    displayFinancialStatus
    displayFulfillmentStatus
    returnStatus
    cancelledAt
    closed
    updatedAt
    presentmentCurrencyCode
    totalPriceSet {
      presentmentMoney {
        amount
        currencyCode
      }
    }
    customer {
      id
    }
    transactions {
      id
      kind
      status
      gateway
      manualPaymentGateway
      authorizationCode
      receiptJson
      createdAt
      amountSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
      parentTransaction {
        id
      }
    }
    capturableTransactions: transactions(capturable: true) {
      id
    }
    refunds {
      id
      note
      totalRefundedSet {
        presentmentMoney {
          amount
          currencyCode
        }
      }
    }
  }
`;

/** `order(id:)`. */
export const getOrderQuery = /* GraphQL */ `
  query PaymigrateGetOrder($id: ID!) {
    order(id: $id) {
      ...PaymigrateOrder
    }
  }
  ${orderFragment}
`;

/** `orders(...)`, oldest change first. */
export const listOrdersQuery = /* GraphQL */ `
  query PaymigrateListOpenOrders($first: Int!, $after: String, $query: String!) {
    orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
      nodes {
        ...PaymigrateOrder
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
  ${orderFragment}
`;

/** `orderMarkAsPaid`: a manual sale of the outstanding amount. */
export const markAsPaidMutation = /* GraphQL */ `
  mutation PaymigrateMarkAsPaid($input: OrderMarkAsPaidInput!) {
    orderMarkAsPaid(input: $input) {
      order {
        ...PaymigrateOrder
      }
      userErrors {
        field
        message
      }
    }
  }
  ${orderFragment}
`;

/** `orderCapture`: captures (part of) an authorization. */
export const captureMutation = /* GraphQL */ `
  mutation PaymigrateCapture($input: OrderCaptureInput!) {
    orderCapture(input: $input) {
      transaction {
        id
        order {
          ...PaymigrateOrder
        }
      }
      userErrors {
        field
        message
      }
    }
  }
  ${orderFragment}
`;

/** `refundCreate` with money transactions only (no line items: the refund went through the gateway). */
export const refundMutation = /* GraphQL */ `
  mutation PaymigrateRefund($input: RefundInput!) {
    refundCreate(input: $input) {
      refund {
        id
      }
      order {
        ...PaymigrateOrder
      }
      userErrors {
        field
        message
      }
    }
  }
  ${orderFragment}
`;

/** `orderCancel` without a refund (refunds go through the gateway) and without notifying the customer. */
export const cancelMutation = /* GraphQL */ `
  mutation PaymigrateCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!, $staffNote: String) {
    orderCancel(orderId: $orderId, refund: false, restock: $restock, reason: $reason, notifyCustomer: false, staffNote: $staffNote) {
      job {
        id
        done
      }
      orderCancelUserErrors {
        code
        field
        message
      }
    }
  }
`;

/** Every document, by operation name. */
export const shopifyDocuments = Object.freeze({
  PaymigrateGetOrder: getOrderQuery,
  PaymigrateListOpenOrders: listOrdersQuery,
  PaymigrateMarkAsPaid: markAsPaidMutation,
  PaymigrateCapture: captureMutation,
  PaymigrateRefund: refundMutation,
  PaymigrateCancel: cancelMutation,
});
