import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoopbackHttpServer } from '../../http/http-server.js';
import type { TokenImportFake } from './token-import-fake.js';

/**
 * Serves the token-import fake on loopback with plain `node:http`, calling its routes directly
 * (`fake.answer`). `serveOverHttp` goes through msw's `getResponse`, which tops out near
 * 1,000 calls/s on this kind of machine: too close to a 1,000/s rate limit to measure a client
 * against it. Same routes, state and rate limit; no fault injection.
 */
export async function serveTokenImportFake(fake: TokenImportFake, options: { readonly port?: number | undefined } = {}): Promise<LoopbackHttpServer> {
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
      const path = (incoming.url ?? '/').split('?')[0] as string;
      const answer = fake.answer({ method: incoming.method ?? 'GET', path, headers, bodyText: Buffer.concat(chunks).toString('utf8') });
      const status = answer === undefined ? 404 : 'status' in answer ? (answer.status ?? 200) : 200;
      const body = answer === undefined ? { error: { message: `No route ${incoming.method} ${path}` } } : 'body' in answer ? answer.body : undefined;
      const text = body === undefined ? '' : JSON.stringify(body);
      const extra = answer !== undefined && 'headers' in answer ? (answer.headers ?? {}) : {};
      outgoing.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
      outgoing.end(text);
    });
  });
  server.keepAliveTimeout = 65_000;
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connectionsAccepted: () => connections,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
