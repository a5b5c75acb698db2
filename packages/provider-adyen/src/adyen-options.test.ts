import { ConfigurationError, Money } from '@paymigrate/core';
import { adyenTestTokens, configurationErrorOf, createAdyenFake } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { captureError, newKey, newReference, testReturnUrl, useMockServer } from './__fixtures__/adyen-test-setup.js';
import { createBaseUrlTransport } from './adyen-api-client.js';
import { adyenDefaultCapabilities } from './adyen-capabilities.js';
import { createAdyenGateway } from './adyen-gateway.js';
import { adyenEnvironmentVariables, type AdyenGatewayOptions, resolveAdyenOptions } from './adyen-options.js';
import { createInMemoryAdyenPaymentLedger } from './adyen-payment-ledger.js';

const server = useMockServer();
const hmacKey = 'AB'.repeat(32);

const complete: AdyenGatewayOptions = {
  environment: 'test',
  apiKey: 'AQE-test-key',
  hmacKey,
  merchantAccount: 'PaymigrateTestMerchant',
  returnUrl: testReturnUrl,
  environmentVariables: {},
};

function configurationError(options: unknown): ConfigurationError {
  return configurationErrorOf(() => resolveAdyenOptions(options as AdyenGatewayOptions));
}

describe('options', () => {
  test.each([
    ['apiKey', 'ADYEN_API_KEY'],
    ['hmacKey', 'ADYEN_HMAC_KEY'],
    ['merchantAccount', 'ADYEN_MERCHANT_ACCOUNT'],
  ] as const)('a missing %s names the option and its environment variable', (option, variable) => {
    const error = configurationError({ ...complete, [option]: undefined });
    expect(error.option).toBe(`adyen.${option}`);
    expect(error.message).toContain(`adyen.${option}`);
    expect(error.message).toContain(variable);
    expect(adyenEnvironmentVariables[option]).toBe(variable);
  });

  test('secrets fall back to the environment variables', () => {
    const resolved = resolveAdyenOptions({
      environment: 'test',
      returnUrl: testReturnUrl,
      environmentVariables: { ADYEN_API_KEY: 'AQE-from-env', ADYEN_HMAC_KEY: hmacKey, ADYEN_MERCHANT_ACCOUNT: 'EnvMerchant' },
    });
    expect(resolved).toMatchObject({ apiKey: 'AQE-from-env', hmacKey, merchantAccount: 'EnvMerchant', timeoutMilliseconds: 30_000 });
    expect(resolved.capabilities).toEqual(adyenDefaultCapabilities);
  });

  test('process.env is the default source of the variables', () => {
    const saved = process.env.ADYEN_API_KEY;
    process.env.ADYEN_API_KEY = 'AQE-process-env';
    try {
      const { environmentVariables: _ignored, apiKey: _apiKey, ...rest } = complete;
      expect(resolveAdyenOptions(rest).apiKey).toBe('AQE-process-env');
    } finally {
      if (saved === undefined) delete process.env.ADYEN_API_KEY;
      else process.env.ADYEN_API_KEY = saved;
    }
  });

  test('an HMAC key that is not hexadecimal is refused without echoing it', () => {
    const error = configurationError({ ...complete, hmacKey: 'not-hex-secret-value' });
    expect(error.option).toBe('adyen.hmacKey');
    expect(error.message).not.toContain('not-hex-secret-value');
  });

  test('live needs the live URL prefix (option or ADYEN_LIVE_ENDPOINT_URL_PREFIX), unless a base URL is given', () => {
    const error = configurationError({ ...complete, environment: 'live' });
    expect(error.option).toBe('adyen.liveEndpointUrlPrefix');
    expect(error.message).toContain('ADYEN_LIVE_ENDPOINT_URL_PREFIX');
    expect(resolveAdyenOptions({ ...complete, environment: 'live', liveEndpointUrlPrefix: '1797a841fbb37ca7-AdyenDemo' }).liveEndpointUrlPrefix).toBe('1797a841fbb37ca7-AdyenDemo');
    expect(resolveAdyenOptions({ ...complete, environment: 'live', baseUrl: 'https://proxy.example/adyen/v72/' }).baseUrl).toBe('https://proxy.example/adyen/v72');
  });

  test.each([
    ['environment', { environment: 'production' }],
    ['returnUrl', { returnUrl: 'not a url' }],
    ['baseUrl', { baseUrl: 'http://127.0.0.1:8080/v72' }],
    ['certificateAuthority', { certificateAuthority: '/etc/ssl/company-ca.pem' }],
    ['timeoutMilliseconds', { timeoutMilliseconds: 0 }],
    ['ledger', { ledger: { get: () => undefined } }],
    ['capabilities', { capabilities: { brands: ['visa', 'klingon'] } }],
    ['liveEndpointUrlPrefix', { liveEndpointUrlPrefix: 'has spaces in it' }],
  ])('an invalid %s is named with its fix', (option, override) => {
    const error = configurationError({ ...complete, ...override });
    expect(error.option.startsWith(`adyen.${option}`)).toBe(true);
    expect(error.fix.length).toBeGreaterThan(10);
  });

  test('capabilities can be narrowed to the merchant account, and a ledger and clock injected', () => {
    const ledger = createInMemoryAdyenPaymentLedger();
    const now = () => 42;
    const resolved = resolveAdyenOptions({ ...complete, ledger, now, capabilities: { multipleCaptures: false, currencies: ['EUR', 'USD'], partialRefund: undefined } });
    expect(resolved.ledger).toBe(ledger);
    expect(resolved.now()).toBe(42);
    expect(resolved.capabilities).toMatchObject({ multipleCaptures: false, currencies: ['EUR', 'USD'], partialRefund: true, findByMerchantReference: false });
  });
});

describe('endpoints', () => {
  test('baseUrl sends every call to another https host through the SDK (proxies, loopback TLS fakes)', async () => {
    const fake = createAdyenFake({ baseUrl: 'https://adyen-proxy.example/checkout/v72' });
    server.resetHandlers(...fake.handlers);
    const gateway = createAdyenGateway({ ...complete, apiKey: fake.apiKey, hmacKey: fake.hmacKey, baseUrl: 'https://adyen-proxy.example/checkout/v72' });
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(100n, 'EUR'), paymentMethodToken: adyenTestTokens.visa });
    await gateway.listStoredPaymentMethods({ customerReference: 'shopper-proxy' });
    expect(fake.api.calls.map((call) => call.url)).toEqual([
      'https://adyen-proxy.example/checkout/v72/payments',
      'https://adyen-proxy.example/checkout/v72/storedPaymentMethods?shopperReference=shopper-proxy&merchantAccount=PaymigrateTestMerchant',
    ]);
    expect(payment.state).toBe('authorized');
  });

  test('the live environment calls the prefixed live host (the SDK builds it)', async () => {
    const liveHost = 'https://1797a841fbb37ca7-AdyenDemo-checkout-live.adyenpayments.com/checkout/v72';
    const fake = createAdyenFake({ baseUrl: liveHost.toLowerCase(), live: true });
    server.resetHandlers(...fake.handlers);
    const gateway = createAdyenGateway({ ...complete, environment: 'live', liveEndpointUrlPrefix: '1797a841fbb37ca7-AdyenDemo', apiKey: fake.apiKey, hmacKey: fake.hmacKey });
    const payment = await gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: Money.of(100n, 'EUR'), paymentMethodToken: adyenTestTokens.visa });
    expect(payment.state).toBe('authorized');
    expect((await gateway.verifyWebhook(fake.takePendingWebhooks()[0] as never)).type).toBe('payment.authorized');
  });

  test('the base URL transport keeps paths without a version segment as they are', async () => {
    const seen: string[] = [];
    const transport = createBaseUrlTransport('https://proxy.example/v72', {
      request: (endpoint) => {
        seen.push(endpoint);
        return Promise.resolve('{}');
      },
    });
    await transport.request('https://checkout-test.adyen.com/health?x=1', '', {} as never, false, {});
    expect(seen).toEqual(['https://proxy.example/v72/health?x=1']);
  });

  test('a missing secret fails at construction, before any call', async () => {
    const error = await captureError(async () => createAdyenGateway({ ...complete, apiKey: undefined }));
    expect(ConfigurationError.isInstance(error)).toBe(true);
  });
});
