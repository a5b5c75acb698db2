import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { describe, expect, test } from 'vitest';
import { startMemcachedServer } from './memcached-server.js';
import { probeServer } from './server-process.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends one text-protocol command and resolves the answer up to `END`. */
function statistics(port: number, command: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`${command}\r\n`));
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('END\r\n')) {
        socket.destroy();
        const entries = reply
          .split('\r\n')
          .filter((line) => line.startsWith('STAT '))
          .map((line) => line.split(' ') as [string, string, string]);
        resolve(new Map(entries.map(([, name, value]) => [name, value])));
      }
    });
    socket.once('error', reject);
  });
}

/** Stores a value with the text protocol and reads it back; `false` when the server refuses it. */
function storeAndRead(port: number, value: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(`set probe 0 60 ${value.length}\r\n${value}\r\nget probe\r\n`));
    let reply = '';
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.endsWith('END\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('STORED\r\n') && reply.includes(value));
      }
    });
    socket.once('error', reject);
  });
}

/** The real user id a process runs as, from /proc. */
async function userIdOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const line = status.split('\n').find((candidate) => candidate.startsWith('Uid:')) as string;
  return Number(line.split(/\s+/)[1]);
}

describe('startMemcachedServer', () => {
  test('starts a TCP-only server on loopback with the memory asked for, then stops it by pid', async () => {
    const server = await startMemcachedServer({ memoryMegabytes: 32 });
    try {
      expect(server.host).toBe('127.0.0.1');
      expect(server.servers).toBe(`127.0.0.1:${server.port}`);
      expect(isAlive(server.pid)).toBe(true);
      expect(await probeServer(server.port, 'version\r\n', 'VERSION ')).toBe(true);
      const settings = await statistics(server.port, 'stats settings');
      expect(settings.get('maxbytes')).toBe(String(32 * 1024 * 1024));
      expect(settings.get('udpport')).toBe('0');
      expect(settings.get('inter')).toBe('127.0.0.1');
      expect(settings.get('lru_crawler')).toBe('yes');
      expect(settings.get('item_size_max')).toBe('1048576');
      if (process.getuid?.() === 0) expect(await userIdOf(server.pid)).not.toBe(0);
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    expect(await probeServer(server.port, 'version\r\n', 'VERSION ')).toBe(false);
    await server.stop();
  });

  test('takes a smaller largest item, with a chunk size memcached accepts', async () => {
    const server = await startMemcachedServer({ maxItemBytes: 65_536, memoryMegabytes: 8 });
    try {
      const settings = await statistics(server.port, 'stats settings');
      expect(settings.get('item_size_max')).toBe('65536');
      expect(settings.get('slab_chunk_max')).toBe('32768');
      expect(await storeAndRead(server.port, 'x'.repeat(60_000))).toBe(true);
      expect(await storeAndRead(server.port, 'x'.repeat(70_000))).toBe(false);
    } finally {
      await server.stop();
    }
  });

  test('takes a larger largest item as it is', async () => {
    const server = await startMemcachedServer({ maxItemBytes: 2 * 1_048_576 });
    try {
      expect((await statistics(server.port, 'stats settings')).get('item_size_max')).toBe(String(2 * 1_048_576));
    } finally {
      await server.stop();
    }
  });

  test.runIf(process.getuid?.() === 0)('runs as the user asked for when started by root', async () => {
    const server = await startMemcachedServer({ user: 'nobody' });
    try {
      expect(await userIdOf(server.pid)).toBe(65_534);
    } finally {
      await server.stop();
    }
  });

  test('a missing program says how to install it', async () => {
    await expect(startMemcachedServer({ command: '/nonexistent/memcached' })).rejects.toThrow(
      'Memcached: /nonexistent/memcached was not found. Install it with: apt-get install memcached.',
    );
  });

  test('a server that refuses its arguments is reported with its output', async () => {
    await expect(startMemcachedServer({ maxItemBytes: 10 })).rejects.toThrow(/Memcached on 127\.0\.0\.1:\d+ exited during start-up \(exit code \d+\)\. Output \(last lines\):\n\S/);
  });
});
