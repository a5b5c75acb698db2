import { configurationErrorOf as configurationError } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { payPalCapabilities } from './paypal-capabilities.js';
import { createPayPalGateway } from './paypal-gateway.js';
import { resolvePayPalOptions } from './paypal-options.js';

describe('PayPal options', () => {
  it('a missing client id names the option and PAYPAL_CLIENT_ID', () => {
    const error = configurationError(() => createPayPalGateway({ clientSecret: 'secret', environmentVariables: {} }));
    expect(error.option).toBe('paypal.clientId');
    expect(error.message).toContain('PAYPAL_CLIENT_ID');
    expect(error.message).toContain("'paypal.clientId'");
  });

  it('a missing client secret names the option and PAYPAL_CLIENT_SECRET, never a value', () => {
    const error = configurationError(() => createPayPalGateway({ clientId: 'client-id-value', environmentVariables: { PAYPAL_CLIENT_SECRET: '  ' } }));
    expect(error.option).toBe('paypal.clientSecret');
    expect(error.message).toContain('PAYPAL_CLIENT_SECRET');
    expect(error.message).not.toContain('client-id-value');
  });

  it('reads the credentials from the environment variables', () => {
    const resolved = resolvePayPalOptions({ environmentVariables: { PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: 'WH-1' } });
    expect(resolved.clientId).toBe('id');
    expect(resolved.clientSecret).toBe('secret');
    expect(resolved.webhookId()).toBe('WH-1');
    expect(resolved.environment).toBe('sandbox');
    expect(resolved.timeoutMilliseconds).toBe(30_000);
    expect(resolved.webhookToleranceMilliseconds).toBe(300_000);
    expect(resolved.baseUrl).toBeUndefined();
  });

  it('falls back to process.env', () => {
    const saved = { id: process.env.PAYPAL_CLIENT_ID, secret: process.env.PAYPAL_CLIENT_SECRET };
    process.env.PAYPAL_CLIENT_ID = 'from-process-env';
    process.env.PAYPAL_CLIENT_SECRET = 'secret-from-process-env';
    try {
      expect(resolvePayPalOptions({}).clientId).toBe('from-process-env');
    } finally {
      if (saved.id === undefined) delete process.env.PAYPAL_CLIENT_ID;
      else process.env.PAYPAL_CLIENT_ID = saved.id;
      if (saved.secret === undefined) delete process.env.PAYPAL_CLIENT_SECRET;
      else process.env.PAYPAL_CLIENT_SECRET = saved.secret;
    }
  });

  it('an explicit option wins over the environment', () => {
    const resolved = resolvePayPalOptions({ clientId: 'explicit', clientSecret: 's', environmentVariables: { PAYPAL_CLIENT_ID: 'env' } });
    expect(resolved.clientId).toBe('explicit');
  });

  it('the webhook id is resolved lazily and, when missing, names PAYPAL_WEBHOOK_ID', () => {
    const resolved = resolvePayPalOptions({ clientId: 'id', clientSecret: 'secret', environmentVariables: {} });
    const error = configurationError(() => resolved.webhookId());
    expect(error.option).toBe('paypal.webhookId');
    expect(error.message).toContain('PAYPAL_WEBHOOK_ID');
  });

  it.each([
    [{ timeoutMilliseconds: -1 }, 'paypal.timeoutMilliseconds', 'milliseconds'],
    [{ timeoutMilliseconds: 1.5 }, 'paypal.timeoutMilliseconds', 'milliseconds'],
    [{ environment: 'live' }, 'paypal.environment', "'sandbox' or 'production'"],
    [{ baseUrl: 'not a url' }, 'paypal.baseUrl', 'absolute http(s) origin'],
    [{ baseUrl: 'ftp://127.0.0.1' }, 'paypal.baseUrl', 'absolute http(s) origin'],
    [{ webhookToleranceSeconds: 0 }, 'paypal.webhookToleranceSeconds', 'seconds'],
    [{ inCountryCurrencies: ['EUR'] }, 'paypal.inCountryCurrencies.0', 'BRL, CNY, INR, MYR'],
    [{ brands: [] }, 'paypal.brands', 'at least one'],
    [{ brands: ['visa', 'diners-club'] }, 'paypal.brands.1', 'at least one'],
  ])('refuses %j naming %s', (options, option, fix) => {
    const error = configurationError(() => resolvePayPalOptions({ clientId: 'id', clientSecret: 'secret', ...(options as object) }));
    expect(error.option).toBe(option);
    expect(error.fix).toContain(fix);
  });

  it('refuses unknown options', () => {
    const error = configurationError(() => resolvePayPalOptions({ clientId: 'id', clientSecret: 'secret', apiKey: 'x' } as never));
    expect(error.option).toBe('paypal');
  });

  it('strips a trailing slash from the base URL', () => {
    expect(resolvePayPalOptions({ clientId: 'id', clientSecret: 'secret', baseUrl: 'http://127.0.0.1:8080/' }).baseUrl).toBe('http://127.0.0.1:8080');
  });
});

describe('PayPal capabilities', () => {
  it('declares what PayPal can do', () => {
    const gateway = createPayPalGateway({ clientId: 'id', clientSecret: 'secret' });
    expect(gateway.specificationVersion).toBe('v1');
    expect(gateway.provider).toBe('paypal');
    expect(gateway.capabilities).toMatchObject({
      brands: ['visa', 'mastercard', 'amex', 'discover'],
      partialCapture: true,
      multipleCaptures: true,
      partialRefund: true,
      multipleRefunds: true,
      merchantInitiatedWithNetworkTransactionId: true,
      tokenImport: false,
      findByMerchantReference: false,
      technicalCancel: false,
      liveRetrieve: true,
      webhookVerification: 'provider-api',
    });
    expect(gateway.capabilities.currencies).toHaveLength(21);
    expect(gateway.capabilities.currencies).not.toContain('BRL');
    expect(gateway.cancelByMerchantReference).toBeUndefined();
  });

  it('adds the in-country currencies the account enables, and the brands configured', () => {
    const capabilities = payPalCapabilities({ inCountryCurrencies: ['BRL', 'MYR'], brands: ['visa', 'jcb'] });
    expect(capabilities.currencies).toContain('BRL');
    expect(capabilities.currencies).toContain('MYR');
    expect(capabilities.currencies).not.toContain('CNY');
    expect(capabilities.brands).toEqual(['visa', 'jcb']);
    expect(Object.isFrozen(capabilities)).toBe(true);
  });
});
