import { readdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { describe, expect, test } from 'vitest';
import { startRedisServer } from './redis-server.js';
import { probeServer } from './server-process.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends one inline command and resolves the first reply line. */
function send(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`${command}\r\n`));
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('\r\n')) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.once('error', reject);
  });
}

async function redisWorkingDirectories(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((entry) => entry.startsWith('paymigrate-redis-'));
}

describe('startRedisServer', () => {
  test('starts a non-persisting server on loopback, then stops it by pid: process gone, port free, folder removed', async () => {
    const before = await redisWorkingDirectories();
    const server = await startRedisServer();
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(isAlive(server.pid)).toBe(true);
      expect(await probeServer(server.port, 'PING\r\n', '+PONG')).toBe(true);
      expect(await send(server.port, 'CONFIG GET save')).toContain('save\r\n$0\r\n');
      expect(await send(server.port, 'CONFIG GET appendonly')).toContain('no');
      expect(await send(server.port, 'CONFIG GET bind')).toContain('127.0.0.1');
      expect((await redisWorkingDirectories()).length).toBe(before.length + 1);
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    expect(await probeServer(server.port, 'PING\r\n', '+PONG')).toBe(false);
    expect((await redisWorkingDirectories()).sort()).toEqual(before.sort());
    const reuse = createServer();
    await new Promise<void>((resolve, reject) => {
      reuse.once('error', reject);
      reuse.listen(server.port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => reuse.close(() => resolve()));
    await server.stop();
  });

  test('two servers run side by side on different ports', async () => {
    const [first, second] = await Promise.all([startRedisServer(), startRedisServer()]);
    try {
      expect(first.port).not.toBe(second.port);
      expect(first.pid).not.toBe(second.pid);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  test('a missing program says how to install it and leaves no temporary folder', async () => {
    const before = await redisWorkingDirectories();
    await expect(startRedisServer({ command: '/nonexistent/redis-server' })).rejects.toThrow(
      'Redis: /nonexistent/redis-server was not found. Install it with: apt-get install redis-server.',
    );
    expect((await redisWorkingDirectories()).sort()).toEqual(before.sort());
  });
});
