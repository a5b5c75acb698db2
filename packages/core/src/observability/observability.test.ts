import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import { createLogger, redactedLogPaths } from './logger.js';
import { defaultMeter, meterName } from './metrics.js';

function captureLines(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  test('censors card and secret paths at the top level and one level down', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ destination });
    logger.info({ pan: '4242424242424242', request: { cvc: '123', apiKey: 'sk_live_x' }, headers: { authorization: 'Bearer x' } }, 'charge');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ name: 'paymigrate', msg: 'charge', pan: '[redacted]', request: { cvc: '[redacted]', apiKey: '[redacted]' } });
    expect(line?.headers).toEqual({ authorization: '[redacted]' });
    expect(JSON.stringify(lines)).not.toContain('4242424242424242');
  });

  test('honours level, name and extra redaction paths', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ destination, level: 'warn', name: 'cutover', redactPaths: ['customer.email'] });
    logger.info('hidden');
    logger.warn({ customer: { email: 'a@example.com' } }, 'shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'cutover', msg: 'shown', customer: { email: '[redacted]' } });
    expect(redactedLogPaths).toContain('*.cvv');
  });

  test('runs the argument scrubber on every log call', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({
      destination,
      scrubArguments: (argumentsList) => argumentsList.map((value) => (typeof value === 'string' ? value.replaceAll(/\d{12,19}/g, '[pan]') : value)),
    });
    logger.info('card 4242424242424242 seen');
    expect(lines[0]?.msg).toBe('card [pan] seen');
  });

  test('masks card data in messages and logged values by default (PCI guard)', () => {
    const { lines, destination } = captureLines();
    const logger = createLogger({ destination });
    logger.warn({ request: { note: 'card 4242 4242 4242 4242', cvv2: '123' }, attempt: 2 }, 'provider echoed 4242424242424242 cvc=123');
    expect(lines[0]).toMatchObject({
      msg: 'provider echoed 424242******4242 cvc=***',
      request: { note: 'card 424242******4242', cvv2: '***' },
      attempt: 2,
    });
    expect(JSON.stringify(lines)).not.toMatch(/4242424242424242|4242 4242 4242 4242/);
  });

  test('writes to standard output by default', () => {
    expect(createLogger().level).toBe('info');
  });
});

describe('metrics and clock', () => {
  test('the default meter is the global no-op meter until an SDK is registered', () => {
    const counter = defaultMeter().createCounter('paymigrate.test');
    expect(() => counter.add(1)).not.toThrow();
    expect(meterName).toBe('@paymigrate/core');
  });

  test('the system clock tells time and sleeps, and an aborted sleep rejects', async () => {
    const before = systemClock.now();
    await systemClock.sleep(5);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before + 4);
    const controller = new AbortController();
    const sleeping = systemClock.sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow();
    expect(systemClock.specificationVersion).toBe('v1');
  });
});
