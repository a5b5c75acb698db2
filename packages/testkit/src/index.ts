export * from './contracts/index.js';
export * from './fakes/adyen/index.js';
export * from './fakes/paypal/index.js';
export * from './fakes/shopify/index.js';
export * from './fakes/stripe/index.js';
export * from './http/index.js';
export * from './memory/index.js';
export * from './servers/index.js';
