import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { findFreePort } from './free-port.js';

describe('findFreePort', () => {
  test('returns a loopback port that can be bound at once', async () => {
    const port = await findFreePort();
    expect(Number.isInteger(port)).toBe(true);
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65_536);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('hands out different ports to concurrent callers, mostly', async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => findFreePort()));
    expect(new Set(ports).size).toBeGreaterThan(1);
  });
});
