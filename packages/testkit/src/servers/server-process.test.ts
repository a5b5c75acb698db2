import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findFreePort } from './free-port.js';
import { killRunningServerProcesses, probeServer, startServerProcess, type ServerProcessDefinition, watchdogArguments } from './server-process.js';

/** True while a process with this pid exists (and is not a zombie we cannot see as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `condition` holds, up to `timeoutMs`; resolves whether it held. */
async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleepFor(20);
  }
  return true;
}

/** A definition that runs `redis-server` (or `command`) with the usual throw-away flags. */
function redisDefinition(overrides: Partial<ServerProcessDefinition> = {}): ServerProcessDefinition {
  return {
    displayName: 'Redis',
    command: 'redis-server',
    commandArguments: (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    installHint: 'apt-get install redis-server',
    probeRequest: 'PING\r\n',
    probeReplyPrefix: '+PONG',
    startupTimeoutMs: 10_000,
    stopTimeoutMs: 5_000,
    ...overrides,
  };
}

function listenOn(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('startServerProcess', () => {
  let scripts: string;

  beforeAll(async () => {
    scripts = await mkdtemp(join(tmpdir(), 'paymigrate-server-process-test-'));
  });

  afterAll(async () => {
    await rm(scripts, { recursive: true, force: true });
  });

  /** Writes an executable shell script and returns its path. */
  async function script(name: string, body: string): Promise<string> {
    const path = join(scripts, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  test('retries on a new port when the found one was taken before the server bound it', async () => {
    const marker = join(scripts, 'first-attempt-done');
    const flaky = await script('flaky-redis', `if [ ! -f '${marker}' ]; then touch '${marker}'; echo 'Could not create server TCP listening socket: bind: Address already in use' >&2; exit 1; fi\nexec redis-server "$@"`);
    let cleanups = 0;
    const server = await startServerProcess(redisDefinition({ command: flaky, cleanup: async () => void (cleanups += 1) }));
    try {
      expect(await probeServer(server.port, 'PING\r\n', '+PONG')).toBe(true);
      expect(cleanups).toBe(0);
    } finally {
      await server.stop();
    }
    expect(cleanups).toBe(1);
    await server.stop();
    expect(cleanups).toBe(1);
  });

  test('gives up after three taken ports, quoting the output and cleaning up once', async () => {
    const taken = await script('always-taken', "echo 'bind: Address already in use' >&2; exit 1");
    let cleanups = 0;
    await expect(startServerProcess(redisDefinition({ command: taken, cleanup: async () => void (cleanups += 1) }))).rejects.toThrow(
      /Redis on 127\.0\.0\.1:\d+ exited during start-up \(exit code 1\)\. Output \(last lines\):\nbind: Address already in use/,
    );
    expect(cleanups).toBe(1);
  });

  test('an explicit port that is taken fails at once', async () => {
    const port = await findFreePort();
    const holder = await listenOn(port);
    try {
      await expect(startServerProcess(redisDefinition({ port }))).rejects.toThrow(/exited during start-up[\s\S]*Address already in use/);
    } finally {
      await close(holder);
    }
  });

  test('a server that never answers is killed after the start-up timeout', async () => {
    const pidFile = join(scripts, 'silent.pid');
    const silent = await script('silent', `echo $$ > '${pidFile}'; echo 'warming up'; exec sleep 30`);
    await expect(startServerProcess(redisDefinition({ command: silent, startupTimeoutMs: 300 }))).rejects.toThrow(
      /Redis on 127\.0\.0\.1:\d+ did not answer within 300 ms\. Output \(last lines\):\nwarming up/,
    );
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(await eventually(() => !isAlive(pid))).toBe(true);
  });

  test('a program that cannot be executed is reported with the install hint', async () => {
    const notExecutable = join(scripts, 'not-executable');
    await writeFile(notExecutable, 'plain text');
    await expect(startServerProcess(redisDefinition({ command: notExecutable }))).rejects.toThrow(
      /^Redis: .*not-executable could not be started \(spawn .* EACCES\)\. Install it with: apt-get install redis-server\.$/,
    );
  });

  test('stop() falls back to SIGKILL when the server ignores SIGTERM', async () => {
    // One process that answers PING and ignores SIGTERM (a shell wrapper would leave its child behind).
    const stubborn = [
      "process.on('SIGTERM', () => undefined);",
      "require('node:net').createServer((socket) => socket.on('data', () => socket.write('+PONG\\r\\n'))).listen(Number(process.argv[1]), '127.0.0.1');",
    ].join(' ');
    const server = await startServerProcess(redisDefinition({ command: process.execPath, commandArguments: (port) => ['-e', stubborn, String(port)], stopTimeoutMs: 200 }));
    const started = Date.now();
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  test('killRunningServerProcesses kills every running server by pid; stop() still resolves afterwards', async () => {
    const server = await startServerProcess(redisDefinition());
    killRunningServerProcesses();
    expect(await eventually(() => !isAlive(server.pid))).toBe(true);
    await server.stop();
  });

  test('the watchdog kills the server when its parent dies by SIGKILL', { timeout: 60_000 }, async () => {
    const target = spawn('sleep', ['60'], { stdio: 'ignore' });
    const targetPid = target.pid as number;
    // The parent says when its watchdog runs: killed before that (a slow start on a loaded machine), it would leave none.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process'); spawn('sh', ${JSON.stringify(watchdogArguments(targetPid))}, { stdio: ['pipe', 'ignore', 'ignore'] }).once('spawn', () => process.stdout.write('ready')); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const ready = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 15_000);
        parent.stdout?.once('data', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      expect(ready).toBe(true);
      // The shell reaches its `read` a moment after it starts; a pipe closed before that still ends it.
      await sleepFor(100);
      expect(isAlive(targetPid)).toBe(true);
      parent.kill('SIGKILL');
      const exited = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        target.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      expect(exited).toBe(true);
    } finally {
      target.kill('SIGKILL');
      parent.kill('SIGKILL');
    }
  });
});

describe('probeServer', () => {
  test('is false when nothing listens, when the answer differs and when the peer closes without answering', async () => {
    const port = await findFreePort();
    expect(await probeServer(port, 'PING\r\n', '+PONG')).toBe(false);

    const wrong = createServer((socket) => socket.resume().end('-ERR nope\r\n'));
    await new Promise<void>((resolve) => wrong.listen(port, '127.0.0.1', () => resolve()));
    expect(await probeServer(port, 'PING\r\n', '+PONG')).toBe(false);
    await close(wrong);

    const mute = createServer((socket) => socket.resume().end());
    await new Promise<void>((resolve) => mute.listen(port, '127.0.0.1', () => resolve()));
    expect(await probeServer(port, 'PING\r\n', '+PONG')).toBe(false);
    await close(mute);

    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', () => resolve()));
    expect(await probeServer(port, 'PING\r\n', '+PONG', 100)).toBe(false);
    await close(silent);
  });
});
