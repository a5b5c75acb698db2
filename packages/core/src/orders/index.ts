export {
  defineOrderStateMapping,
  type InexpressibleOrderState,
  type OrderStateMapping,
  type PlatformStatusContext,
} from './order-state-mapping.js';
export {
  mapShopifyOrderStatus,
  shopifyFinancialStatuses,
  type ShopifyFinancialStatus,
  shopifyFulfillmentStatuses,
  type ShopifyFulfillmentStatus,
  shopifyOrderStateMapping,
  type ShopifyOrderStatus,
  type ShopifyOrderStatusInput,
  shopifyReturnStatuses,
  type ShopifyReturnStatus,
  toShopifyOrderStatus,
} from './shopify-order-status.js';
export {
  magentoDefaultStatuses,
  magentoOrderStateMapping,
  magentoOrderStates,
  type MagentoOrderState,
  type MagentoOrderStatus,
  type MagentoOrderStatusInput,
  mapMagentoOrderStatus,
  toMagentoOrderStatus,
} from './magento-order-status.js';
export {
  mapWooCommerceOrderStatus,
  toWooCommerceOrderStatus,
  wooCommerceOrderStateMapping,
  wooCommerceOrderStatuses,
  type WooCommerceOrderStatus,
} from './woocommerce-order-status.js';
export { ImpossiblePlatformStateError, OrderNotFoundError } from './order-sync-errors.js';
export {
  applyPaymentChange,
  type OrderAmounts,
  type OrderPayment,
  type OrderPaymentOperation,
  orderStateFromPayments,
  orderStatePath,
  type PaymentChange,
  type PaymentChangeDecision,
  type PaymentChangeEffect,
} from './order-payment-facts.js';
export {
  escalatedOrderIndex,
  type OrderCauseKind,
  type OrderCompensationRecord,
  OrderCompensationRepository,
  orderCompensationsCollection,
  type OrderCompensationStep,
  type OrderEscalationRecord,
  OrderEscalationRepository,
  orderEscalationsCollection,
  type OrderEscalationSummary,
  type OrderFlag,
  orderPaymentReferenceKey,
  type OrderPaymentReferenceRecord,
  OrderPaymentReferenceRepository,
  orderPaymentReferencesCollection,
  type OrderProcessedEventRecord,
  OrderProcessedEventRepository,
  orderProcessedEventsCollection,
  type OrderRecord,
  OrderRepository,
  ordersCollection,
  type OrderTransitionCause,
  type OrderTransitionEntry,
} from './order-records.js';
export { orderStepCompensations, planCancellationSteps, planRefundSteps } from './order-compensation.js';
export {
  decodePlatformOrderMessage,
  encodePlatformOrderMessage,
  orderEscalatedTopic,
  orderFlaggedTopic,
  type PlatformOrderAction,
  type PlatformOrderMessage,
  platformOrderTopic,
} from './order-platform-message.js';
export {
  defaultOrderStateDeadlines,
  type OrderStateSynchronizerOptions,
  orderStateSynchronizerOptionsSchema,
  type PaymentOperationOutcome,
  type PaymentOperations,
} from './order-sync-options.js';
export type {
  AttachPaymentInput,
  OrderEventResult,
  OrderRepairReport,
  OrderStateChange,
  OrderStateSynchronizer,
  OrderTransitionResult,
  RefundOrderInput,
  RegisterOrderInput,
  RepairStuckOrdersOptions,
} from './order-sync-types.js';
export { createOrderStateSynchronizer } from './order-state-synchronizer.js';
