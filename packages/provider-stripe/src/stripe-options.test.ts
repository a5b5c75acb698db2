import { ConfigurationError } from '@paymigrate/core';
import { configurationErrorOf } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { stripeCapabilities, stripeCardBrands } from './stripe-capabilities.js';
import { createStripeGateway } from './stripe-gateway.js';
import { stripePresentmentCurrencies } from './stripe-money.js';
import { parseStripeGatewayOptions, type StripeGatewayOptions } from './stripe-options.js';

describe('secrets', () => {
  it('a missing API key names the option and its environment variable', () => {
    const error = configurationErrorOf(() => createStripeGateway({ environment: {} }));
    expect(error.option).toBe('stripe.apiKey');
    expect(error.message).toContain('stripe.apiKey');
    expect(error.message).toContain('STRIPE_API_KEY');
  });

  it('a blank API key counts as missing', () => {
    expect(configurationErrorOf(() => parseStripeGatewayOptions({ apiKey: '  ', environment: {} })).message).toContain('STRIPE_API_KEY');
  });

  it('reads the API key from STRIPE_API_KEY', () => {
    expect(parseStripeGatewayOptions({ environment: { STRIPE_API_KEY: 'sk_test_from_environment' } }).apiKey).toBe('sk_test_from_environment');
  });

  it('reads the environment from process.env by default', () => {
    const previous = process.env['STRIPE_API_KEY'];
    process.env['STRIPE_API_KEY'] = 'rk_live_restricted_key';
    try {
      expect(parseStripeGatewayOptions().apiKey).toBe('rk_live_restricted_key');
    } finally {
      if (previous === undefined) delete process.env['STRIPE_API_KEY'];
      else process.env['STRIPE_API_KEY'] = previous;
    }
  });

  it.each(['pk_live_publishable', 'whsec_not_an_api_key', 'sk_prod_abc', 'sk_test_with space'])('refuses %s as an API key without echoing it', (apiKey) => {
    const error = configurationErrorOf(() => parseStripeGatewayOptions({ apiKey }));
    expect(error.option).toBe('stripe.apiKey');
    expect(error.message).not.toContain(apiKey);
    expect(error.fix).toContain('publishable keys');
  });

  it('a missing webhook secret names the option and STRIPE_WEBHOOK_SECRET, when it is first needed', async () => {
    const gateway = createStripeGateway({ apiKey: 'sk_test_key', environment: {} });
    const error = await gateway
      .verifyWebhook({ rawBody: '{}', headers: { 'stripe-signature': 't=1,v1=abc' } })
      .then(() => undefined, (caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as ConfigurationError).option).toBe('stripe.webhookSecret');
    expect((error as ConfigurationError).message).toContain('STRIPE_WEBHOOK_SECRET');
  });

  it('resolves the webhook secret once, from the option or the environment', () => {
    const environment: Record<string, string | undefined> = { STRIPE_WEBHOOK_SECRET: 'whsec_first' };
    const resolved = parseStripeGatewayOptions({ apiKey: 'sk_test_key', environment });
    expect(resolved.webhookSecret()).toBe('whsec_first');
    environment['STRIPE_WEBHOOK_SECRET'] = 'whsec_second';
    expect(resolved.webhookSecret()).toBe('whsec_first');
    expect(parseStripeGatewayOptions({ apiKey: 'sk_test_key', webhookSecret: 'whsec_option', environment }).webhookSecret()).toBe('whsec_option');
  });
});

describe('options', () => {
  it('defaults to the real Stripe API, 30 s per request, 300 s webhook tolerance, no mit_exemption', () => {
    const resolved = parseStripeGatewayOptions({ apiKey: 'sk_test_key' });
    expect(resolved.apiBaseUrl.href).toBe('https://api.stripe.com/');
    expect(resolved.timeoutMilliseconds).toBe(30_000);
    expect(resolved.webhookToleranceSeconds).toBe(300);
    expect(resolved.networkTransactionIdExemption).toBe(false);
    expect(resolved.currencies).toBeUndefined();
    expect(resolved.brands).toBeUndefined();
  });

  it('takes a base URL with a port, for a fake or a proxy', () => {
    expect(parseStripeGatewayOptions({ apiKey: 'sk_test_key', apiBaseUrl: 'http://127.0.0.1:12111' }).apiBaseUrl.port).toBe('12111');
  });

  it.each<[string, StripeGatewayOptions, string]>([
    ['apiBaseUrl', { apiBaseUrl: 'ftp://api.stripe.com' }, 'stripe.apiBaseUrl'],
    ['apiBaseUrl', { apiBaseUrl: 'https://api.stripe.com/v1' }, 'stripe.apiBaseUrl'],
    ['apiBaseUrl', { apiBaseUrl: 'not a url' }, 'stripe.apiBaseUrl'],
    ['timeoutMilliseconds', { timeoutMilliseconds: 0 }, 'stripe.timeoutMilliseconds'],
    ['timeoutMilliseconds', { timeoutMilliseconds: 1.5 }, 'stripe.timeoutMilliseconds'],
    ['webhookToleranceSeconds', { webhookToleranceSeconds: -1 }, 'stripe.webhookToleranceSeconds'],
    ['currencies', { currencies: ['EUR', 'XTS'] }, 'stripe.currencies.1'],
    ['currencies', { currencies: [] }, 'stripe.currencies'],
    ['brands', { brands: ['visa', 'bitcoin' as never] }, 'stripe.brands.1'],
    ['an unknown option', { retries: 3 } as never, 'stripe'],
  ])('refuses a bad %s, naming the option', (_label, options, option) => {
    const error = configurationErrorOf(() => parseStripeGatewayOptions({ apiKey: 'sk_test_key', ...options }));
    expect(error.option).toBe(option);
  });

  it('says how to fix a bad option', () => {
    expect(configurationErrorOf(() => parseStripeGatewayOptions({ apiKey: 'sk_test_key', timeoutMilliseconds: 0 })).fix).toContain('default 30000');
  });
});

describe('capabilities', () => {
  it('reports one capture per authorization, several refunds, lookup by reference, no token import or technical cancel', () => {
    const gateway = createStripeGateway({ apiKey: 'sk_test_key' });
    expect(gateway.specificationVersion).toBe('v1');
    expect(gateway.provider).toBe('stripe');
    expect(gateway.capabilities).toEqual({
      currencies: stripePresentmentCurrencies,
      brands: stripeCardBrands,
      partialCapture: true,
      multipleCaptures: false,
      partialRefund: true,
      multipleRefunds: true,
      merchantInitiatedWithNetworkTransactionId: false,
      tokenImport: false,
      findByMerchantReference: true,
      technicalCancel: false,
      liveRetrieve: true,
      webhookVerification: 'local-signature',
    });
    expect('cancelByMerchantReference' in gateway).toBe(false);
  });

  it('narrows currencies and brands, and reports mit_exemption when the account has it', () => {
    const capabilities = createStripeGateway({ apiKey: 'sk_test_key', currencies: ['EUR'], brands: ['visa'], networkTransactionIdExemption: true }).capabilities;
    expect(capabilities.currencies).toEqual(['EUR']);
    expect(capabilities.brands).toEqual(['visa']);
    expect(capabilities.merchantInitiatedWithNetworkTransactionId).toBe(true);
    expect(Object.isFrozen(stripeCapabilities({ networkTransactionIdExemption: false }))).toBe(true);
  });
});
