// Public surface of the fake-API toolkit. Internals (the fault controller, response rendering,
// the traffic-source registry) stay importable from their files for the toolkit's own use.
export {
  isSecretHeaderName,
  redactedValue,
  redactHeaders,
  type RecordedCall,
} from './call-recorder.js';
export {
  createFakeApi,
  type CreateFakeApiOptions,
  type FakeApi,
  type FakeHttpMethod,
  type FakeRoute,
  type FakeRouteContext,
} from './fake-api.js';
// Short response helpers get descriptive names at the package level (`json` alone is ambiguous).
export {
  empty as emptyResponse,
  json as jsonResponse,
  networkError as networkErrorResponse,
  text as textResponse,
  type FakeEmptyResponse,
  type FakeJsonResponse,
  type FakeNetworkErrorResponse,
  type FakeResponse,
  type FakeResponseInit,
  type FakeTextResponse,
} from './fake-response.js';
export {
  type FaultHandle,
  type FaultInjector,
  type FaultKind,
  type FaultRequest,
  type FaultRule,
  type FaultTarget,
  type LatencyFault,
  type OutageFault,
  type RateLimitFault,
  type ResetAfterApplyFault,
  type ResetBeforeApplyFault,
  type ServerErrorFault,
  type TimeoutAfterApplyFault,
} from './fault-injection.js';
export { serveOverHttp, type LoopbackHttpServer, type ServeOverHttpOptions } from './http-server.js';
export { loopbackTlsCredentials, type LoopbackTlsCredentials } from './loopback-tls.js';
export { createSeededRandom, type SeededRandom } from './seeded-random.js';
export {
  trafficDumpDirectory,
  trafficDumpDirectoryVariable,
  trafficDumpFileName,
  writeTrafficDump,
  writeTrafficDumps,
  type TrafficDump,
  type TrafficSource,
  type WriteTrafficDumpsOptions,
} from './traffic-dump.js';
