// One msw server per scenario file: the fakes of each world are installed on it, and a request no
// fake answers fails the test.
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';

/** Starts an msw server before the file's tests and stops it after them. */
export function useMockServer(): SetupServer {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());
  return server;
}
