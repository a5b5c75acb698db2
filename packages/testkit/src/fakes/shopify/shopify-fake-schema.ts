/**
 * The GraphQL schema the Shopify fake serves: a part of the Admin API 2025-01, as SDL.
 *
 * Everything below the "official subset" marker has the exact names, argument lists, defaults,
 * types and deprecations of Shopify's own 2025-01 schema (the subset kept in `shared/specs`), with
 * descriptions left out. `QueryRoot`, `Mutation`, the payloads, `MoneyBag`, `MoneyV2`, `UserError`,
 * `OrderCancelUserError`, `Job`, every input type and every enum are complete; `Order`,
 * `OrderTransaction` and `Refund` keep only the fields the fake can answer from its state.
 * `shopify-fake-faithfulness.test.ts` checks all of this against the official introspection.
 *
 * The supplements are types the official subset references without defining them. Their shapes
 * follow Shopify's public documentation: the standard connection types (`OrderConnection`,
 * `OrderEdge`, `PageInfo`), `Node`, and `Customer` reduced to its `id`.
 */
export const shopifyFakeSchemaSdl = /* GraphQL */ `
schema {
  query: QueryRoot
  mutation: Mutation
}

scalar DateTime
scalar Decimal
scalar JSON
scalar Money
scalar URL
scalar UnsignedInt64

# --- Supplements: referenced by the official subset but not defined in it (see shopifyFakeSupplementTypeNames).
interface Node {
  id: ID!
}

type Customer implements Node {
  id: ID!
}

type OrderConnection {
  edges: [OrderEdge!]!
  nodes: [Order!]!
  pageInfo: PageInfo!
}

type OrderEdge {
  cursor: String!
  node: Order!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

# --- From the official subset (same names, arguments, defaults and types; fewer fields on Order,
# OrderTransaction and Refund).
type QueryRoot {
  order(id: ID!): Order
  orders(first: Int, after: String, last: Int, before: String, reverse: Boolean = false, sortKey: OrderSortKeys = PROCESSED_AT, query: String, savedSearchId: ID): OrderConnection!
}

type Mutation {
  orderCancel(orderId: ID!, refund: Boolean!, restock: Boolean!, reason: OrderCancelReason!, notifyCustomer: Boolean = false, staffNote: String = null): OrderCancelPayload
  orderCapture(input: OrderCaptureInput!): OrderCapturePayload
  orderClose(input: OrderCloseInput!): OrderClosePayload
  orderMarkAsPaid(input: OrderMarkAsPaidInput!): OrderMarkAsPaidPayload
  refundCreate(input: RefundInput!): RefundCreatePayload
}

type Order implements Node {
  canMarkAsPaid: Boolean!
  cancelReason: OrderCancelReason
  cancelledAt: DateTime
  capturable: Boolean!
  closed: Boolean!
  closedAt: DateTime
  confirmed: Boolean!
  createdAt: DateTime!
  currencyCode: CurrencyCode!
  currentTotalPriceSet: MoneyBag!
  customer: Customer
  displayFinancialStatus: OrderDisplayFinancialStatus
  displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
  email: String
  fullyPaid: Boolean!
  id: ID!
  legacyResourceId: UnsignedInt64!
  name: String!
  netPaymentSet: MoneyBag!
  note: String
  originalTotalPriceSet: MoneyBag!
  paymentGatewayNames: [String!]!
  presentmentCurrencyCode: CurrencyCode!
  processedAt: DateTime!
  refundable: Boolean!
  refunds(first: Int): [Refund!]!
  returnStatus: OrderReturnStatus!
  tags: [String!]!
  test: Boolean!
  totalCapturableSet: MoneyBag!
  totalOutstandingSet: MoneyBag!
  totalPriceSet: MoneyBag!
  totalReceivedSet: MoneyBag!
  totalRefundedSet: MoneyBag!
  transactions(first: Int, capturable: Boolean, manuallyResolvable: Boolean): [OrderTransaction!]!
  unpaid: Boolean!
  updatedAt: DateTime!
}

type OrderTransaction implements Node {
  amountSet: MoneyBag!
  authorizationCode: String
  authorizationExpiresAt: DateTime
  createdAt: DateTime!
  errorCode: OrderTransactionErrorCode
  formattedGateway: String
  gateway: String
  id: ID!
  kind: OrderTransactionKind!
  manualPaymentGateway: Boolean!
  manuallyCapturable: Boolean!
  maximumRefundableV2: MoneyV2
  multiCapturable: Boolean!
  order: Order
  parentTransaction: OrderTransaction
  paymentId: String
  processedAt: DateTime
  receiptJson: JSON
  status: OrderTransactionStatus!
  test: Boolean!
  totalUnsettledSet: MoneyBag
}

type Refund implements Node {
  createdAt: DateTime
  id: ID!
  legacyResourceId: UnsignedInt64!
  note: String
  order: Order!
  totalRefundedSet: MoneyBag!
  updatedAt: DateTime!
}

type MoneyBag {
  presentmentMoney: MoneyV2!
  shopMoney: MoneyV2!
}

type MoneyV2 {
  amount: Decimal!
  currencyCode: CurrencyCode!
}

type UserError {
  field: [String!]
  message: String!
}

type OrderCancelUserError {
  code: OrderCancelUserErrorCode
  field: [String!]
  message: String!
}

type Job {
  done: Boolean!
  id: ID!
  query: QueryRoot
}

type OrderCancelPayload {
  job: Job
  orderCancelUserErrors: [OrderCancelUserError!]!
  userErrors: [UserError!]! @deprecated(reason: "Use \`orderCancelUserErrors\` instead.")
}

type OrderCapturePayload {
  transaction: OrderTransaction
  userErrors: [UserError!]!
}

type OrderClosePayload {
  order: Order
  userErrors: [UserError!]!
}

type OrderMarkAsPaidPayload {
  order: Order
  userErrors: [UserError!]!
}

type RefundCreatePayload {
  order: Order
  refund: Refund
  userErrors: [UserError!]!
}

input OrderCaptureInput {
  id: ID!
  parentTransactionId: ID!
  amount: Money!
  currency: CurrencyCode
  finalCapture: Boolean
}

input OrderCloseInput {
  id: ID!
}

input OrderMarkAsPaidInput {
  id: ID!
}

input OrderTransactionInput {
  amount: Money!
  gateway: String!
  kind: OrderTransactionKind!
  orderId: ID!
  parentId: ID
}

input RefundDutyInput {
  dutyId: ID!
  refundType: RefundDutyRefundType
}

input RefundInput {
  currency: CurrencyCode
  orderId: ID!
  note: String
  notify: Boolean
  shipping: ShippingRefundInput
  refundLineItems: [RefundLineItemInput!]
  refundDuties: [RefundDutyInput!]
  transactions: [OrderTransactionInput!]
  discrepancyReason: OrderAdjustmentInputDiscrepancyReason
}

input RefundLineItemInput {
  lineItemId: ID!
  quantity: Int!
  restockType: RefundLineItemRestockType
  locationId: ID
}

input ShippingRefundInput {
  amount: Money
  fullRefund: Boolean
}

enum CurrencyCode {
  USD EUR GBP CAD AFN ALL DZD AOA ARS AMD AWG AUD BBD AZN BDT BSD BHD BIF BYN BZD BMD BTN BAM BRL BOB BWP BND
  BGN MMK KHR CVE KYD XAF CLP CNY COP KMF CDF CRC HRK CZK DKK DJF DOP XCD EGP ERN ETB FKP XPF FJD GIP GMD GHS
  GTQ GYD GEL GNF HTG HNL HKD HUF ISK INR IDR ILS IRR IQD JMD JPY JEP JOD KZT KES KID KWD KGS LAK LVL LBP LSL
  LRD LYD LTL MGA MKD MOP MWK MVR MRU MXN MYR MUR MDL MAD MNT MZN NAD NPR ANG NZD NIO NGN NOK OMR PAB PKR PGK
  PYG PEN PHP PLN QAR RON RUB RWF WST SHP SAR RSD SCR SLL SGD SDG SOS SYP ZAR KRW SSP SBD LKR SRD SZL SEK CHF
  TWD THB TJS TZS TOP TTD TND TRY TMT UGX UAH AED UYU UZS VUV VES VND XOF YER ZMW
  BYR @deprecated(reason: "\`BYR\` is deprecated. Use \`BYN\` available from version \`2021-01\` onwards instead.")
  STD @deprecated(reason: "\`STD\` is deprecated. Use \`STN\` available from version \`2022-07\` onwards instead.")
  STN VED
  VEF @deprecated(reason: "\`VEF\` is deprecated. Use \`VES\` available from version \`2020-10\` onwards instead.")
  XXX
}

enum OrderDisplayFinancialStatus {
  PENDING AUTHORIZED PARTIALLY_PAID PARTIALLY_REFUNDED VOIDED PAID REFUNDED EXPIRED
}

enum OrderDisplayFulfillmentStatus {
  UNFULFILLED PARTIALLY_FULFILLED FULFILLED RESTOCKED PENDING_FULFILLMENT OPEN IN_PROGRESS ON_HOLD SCHEDULED
  REQUEST_DECLINED
}

enum OrderTransactionKind {
  SALE CAPTURE AUTHORIZATION VOID REFUND CHANGE EMV_AUTHORIZATION SUGGESTED_REFUND
}

enum OrderTransactionStatus {
  SUCCESS FAILURE PENDING ERROR AWAITING_RESPONSE UNKNOWN
}

enum OrderCancelReason {
  CUSTOMER DECLINED FRAUD INVENTORY STAFF OTHER
}

enum OrderCancelUserErrorCode {
  NO_REFUND_PERMISSION NOT_FOUND INVALID
}

enum OrderSortKeys {
  CREATED_AT CUSTOMER_NAME DESTINATION FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER PO_NUMBER
  PROCESSED_AT RELEVANCE TOTAL_ITEMS_QUANTITY TOTAL_PRICE UPDATED_AT
}

enum OrderReturnStatus {
  IN_PROGRESS INSPECTION_COMPLETE NO_RETURN RETURNED RETURN_FAILED RETURN_REQUESTED
}

enum OrderTransactionErrorCode {
  INCORRECT_NUMBER INVALID_NUMBER INVALID_EXPIRY_DATE INVALID_CVC EXPIRED_CARD INCORRECT_CVC INCORRECT_ZIP
  INCORRECT_ADDRESS INCORRECT_PIN CARD_DECLINED PROCESSING_ERROR CALL_ISSUER PICK_UP_CARD CONFIG_ERROR
  TEST_MODE_LIVE_CARD UNSUPPORTED_FEATURE GENERIC_ERROR INVALID_COUNTRY INVALID_AMOUNT
  PAYMENT_METHOD_UNAVAILABLE AMAZON_PAYMENTS_INVALID_PAYMENT_METHOD AMAZON_PAYMENTS_MAX_AMOUNT_CHARGED
  AMAZON_PAYMENTS_MAX_AMOUNT_REFUNDED AMAZON_PAYMENTS_MAX_AUTHORIZATIONS_CAPTURED
  AMAZON_PAYMENTS_MAX_REFUNDS_PROCESSED AMAZON_PAYMENTS_ORDER_REFERENCE_CANCELED AMAZON_PAYMENTS_STALE
}

enum RefundDutyRefundType {
  PROPORTIONAL FULL
}

enum RefundLineItemRestockType {
  RETURN CANCEL LEGACY_RESTOCK NO_RESTOCK
}

enum OrderAdjustmentInputDiscrepancyReason {
  RESTOCK DAMAGE CUSTOMER OTHER
}
`;

/** Types of `shopifyFakeSchemaSdl` that the official 2025-01 subset references but does not define. */
export const shopifyFakeSupplementTypeNames: readonly string[] = Object.freeze(['Node', 'Customer', 'OrderConnection', 'OrderEdge', 'PageInfo']);
