import { setupServer } from 'msw/node';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createToyPaymentsApi, postForm, toyRoutes } from './__fixtures__/toy-payments-api.js';
import { redactedValue } from './call-recorder.js';
import {
  trafficDumpDirectory,
  trafficDumpDirectoryVariable,
  trafficDumpFileName,
  writeTrafficDumps,
  type TrafficDump,
} from './traffic-dump.js';

const payments = createToyPaymentsApi({ name: 'payments', baseUrl: 'https://payments.test' });
const platform = createToyPaymentsApi({ name: 'platform', baseUrl: 'https://platform.test' });
const server = setupServer(...payments.api.handlers, ...platform.api.handlers);
let directory: string;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'paymigrate-traffic-'));
});
afterEach(async () => {
  vi.unstubAllEnvs();
  payments.api.resetCalls();
  platform.api.resetCalls();
  await rm(directory, { recursive: true, force: true });
});
afterAll(() => server.close());

async function readDump(filePath: string): Promise<TrafficDump> {
  return JSON.parse(await readFile(filePath, 'utf8')) as TrafficDump;
}

describe('dumpTraffic', () => {
  it('writes every recorded call as JSON, creating folders, with secrets redacted', async () => {
    await postForm(`${payments.api.baseUrl}/v1/payment_intents`, { amount: '42' }, { headers: { authorization: 'Bearer sk_live_x' } });
    await fetch(`${payments.api.baseUrl}/v1/health`);
    const filePath = join(directory, 'nested', 'payments.json');
    await payments.api.dumpTraffic(filePath);
    const dump = await readDump(filePath);
    expect(dump.name).toBe('payments');
    expect(dump.baseUrl).toBe('https://payments.test');
    expect(dump.calls.map((call) => [call.routeId, call.status, call.requestBody])).toEqual([
      [toyRoutes.create, 200, 'amount=42'],
      [toyRoutes.health, 200, ''],
    ]);
    expect(dump.calls[0]?.requestHeaders.authorization).toBe(redactedValue);
    expect(await readFile(filePath, 'utf8')).not.toContain('sk_live_x');
  });
});

describe('writeTrafficDumps', () => {
  it('reads the folder from PAYMIGRATE_TRAFFIC_DIR', () => {
    vi.stubEnv(trafficDumpDirectoryVariable, '');
    expect(trafficDumpDirectory()).toBeUndefined();
    vi.stubEnv(trafficDumpDirectoryVariable, '   ');
    expect(trafficDumpDirectory()).toBeUndefined();
    vi.stubEnv(trafficDumpDirectoryVariable, directory);
    expect(trafficDumpDirectory()).toBe(directory);
    expect(trafficDumpDirectoryVariable).toBe('PAYMIGRATE_TRAFFIC_DIR');
  });

  it('does nothing without a folder', async () => {
    vi.stubEnv(trafficDumpDirectoryVariable, '');
    await fetch(`${payments.api.baseUrl}/v1/health`);
    expect(await writeTrafficDumps()).toEqual([]);
    expect(await readdir(directory)).toEqual([]);
  });

  it('writes <dir>/<name>-traffic.json for every fake API when the variable is set', async () => {
    vi.stubEnv(trafficDumpDirectoryVariable, join(directory, 'ci'));
    await fetch(`${payments.api.baseUrl}/v1/health`);
    await fetch(`${platform.api.baseUrl}/v1/health`);
    await fetch(`${platform.api.baseUrl}/v1/payment_intents/pi_1`);
    const written = await writeTrafficDumps();
    expect(written).toEqual([join(directory, 'ci', 'payments-traffic.json'), join(directory, 'ci', 'platform-traffic.json')]);
    expect((await readDump(join(directory, 'ci', 'payments-traffic.json'))).calls).toHaveLength(1);
    const platformDump = await readDump(join(directory, 'ci', 'platform-traffic.json'));
    expect(platformDump.calls.map((call) => call.url)).toEqual([
      'https://platform.test/v1/health',
      'https://platform.test/v1/payment_intents/pi_1',
    ]);
  });

  it('writes explicit sources to an explicit folder, merging APIs that share a name in arrival order', async () => {
    const first = createToyPaymentsApi({ name: 'shared name', baseUrl: 'https://first.test' });
    const second = createToyPaymentsApi({ name: 'shared name', baseUrl: 'https://second.test' });
    server.use(...first.api.handlers, ...second.api.handlers);
    await fetch('https://second.test/v1/health');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await fetch('https://first.test/v1/health');
    const written = await writeTrafficDumps({ directory, sources: [first.api, second.api] });
    expect(written).toEqual([join(directory, 'shared-name-traffic.json')]);
    const dump = await readDump(join(directory, 'shared-name-traffic.json'));
    expect(dump.baseUrl).toBe('https://first.test');
    expect(dump.calls.map((call) => call.url)).toEqual(['https://second.test/v1/health', 'https://first.test/v1/health']);
    expect(await readdir(directory)).toEqual(['shared-name-traffic.json']);
  });

  it('names files safely', () => {
    expect(trafficDumpFileName('stripe')).toBe('stripe-traffic.json');
    expect(trafficDumpFileName('../shop/é x')).toBe('..-shop---x-traffic.json');
  });
});
