export * from './contracts/index.js';
export * from './http/index.js';
export * from './memory/index.js';
export * from './servers/index.js';
