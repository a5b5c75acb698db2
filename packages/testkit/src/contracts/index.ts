export * from './contract-suite.js';
export * from './journal-contract.js';
export * from './key-provider-contract.js';
export * from './session-store-contract.js';
export {
  findCardNumberLikeRuns,
  paymentGatewayContract,
  paymentGatewayContractSuites,
  type PaymentGatewayContractOptions,
  type PaymentGatewayContractSuiteName,
  type PaymentGatewayContractWebhookEvent,
} from './payment-gateway-contract.js';
export {
  tokenExchangeContract,
  tokenExchangeContractSuites,
  type TokenExchangeContractOptions,
  type TokenExchangeContractSuiteName,
} from './token-exchange-contract.js';
export {
  commercePlatformContract,
  commercePlatformContractSuites,
  type CommercePlatformCartSeed,
  type CommercePlatformContractOptions,
  type CommercePlatformContractSuiteName,
  type CommercePlatformContractWebhookEvent,
  type CommercePlatformContractWebhookType,
  type CommercePlatformOrderSeed,
} from './commerce-platform-contract.js';
