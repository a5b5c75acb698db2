// Public surface of the generic token-import fake (API-mode token migration).
export { createTokenImportClient, type TokenImportClientOptions } from './token-import-client.js';
export {
  createTokenImportFake,
  type CreateTokenImportFakeOptions,
  type TokenImportFake,
  tokenImportFakeRoutes,
  type TokenImportFakeStats,
} from './token-import-fake.js';
export { serveTokenImportFake } from './token-import-server.js';
