import { type AddressInfo, createServer } from 'node:net';

/**
 * Finds a TCP port that is free on loopback right now: listens on `127.0.0.1:0`, reads the port
 * the operating system picked, and closes again. Another process could take the port before the
 * caller binds it; on loopback, with the kernel picking ports at random, that is rare enough for
 * tests and benchmarks.
 *
 * @returns A port number from the ephemeral range.
 * @example
 * const port = await findFreePort();
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
  });
  return port;
}
