import { ConfigurationError, systemClock } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { RecordingClock } from './__fixtures__/shopify-test-environment.js';
import { parseShopifyPlatformOptions, type ShopifyPlatformOptions } from './shopify-options.js';
import { createShopifyPlatform } from './shopify-platform.js';

const secrets = { adminAccessToken: 'shpat_token', apiSecretKey: 'shpss_secret' };

function configurationError(options: ShopifyPlatformOptions): ConfigurationError {
  try {
    parseShopifyPlatformOptions(options);
  } catch (error) {
    expect(ConfigurationError.isInstance(error)).toBe(true);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('options', () => {
  it('applies the defaults', () => {
    expect(parseShopifyPlatformOptions({ shopDomain: 'My-Shop.myshopify.com', ...secrets })).toEqual({
      shopDomain: 'my-shop.myshopify.com',
      ...secrets,
      apiVersion: '2025-01',
      apiOrigin: undefined,
      timeoutMilliseconds: 30_000,
      throttleMaxRetries: 2,
      throttleMaxWaitMilliseconds: 10_000,
      cancelPollIntervalMilliseconds: 500,
      cancelMaxPolls: 10,
      restockOnCancel: true,
      gatewayProviders: new Map(),
      maximumPageSize: 50,
      hostName: 'localhost',
      clock: systemClock,
    });
  });

  it('reads both secrets from the environment', () => {
    const clock = new RecordingClock();
    const parsed = parseShopifyPlatformOptions({
      shopDomain: 'shop.myshopify.com',
      apiOrigin: 'http://127.0.0.1:4010/',
      clock,
      environment: { SHOPIFY_ADMIN_ACCESS_TOKEN: 'shpat_env', SHOPIFY_API_SECRET: 'secret_env' },
    });
    expect(parsed).toMatchObject({ adminAccessToken: 'shpat_env', apiSecretKey: 'secret_env', apiOrigin: 'http://127.0.0.1:4010', clock });
  });

  it('names the option and the environment variable of a missing secret', () => {
    const token = configurationError({ shopDomain: 'shop.myshopify.com', environment: {} });
    expect(token.option).toBe('shopify.adminAccessToken');
    expect(token.message).toContain('SHOPIFY_ADMIN_ACCESS_TOKEN');
    const secret = configurationError({ shopDomain: 'shop.myshopify.com', adminAccessToken: 'shpat_x', environment: {} });
    expect(secret.option).toBe('shopify.apiSecretKey');
    expect(secret.message).toContain('SHOPIFY_API_SECRET');
  });

  it('refuses the API secret key passed as the access token, without echoing it', () => {
    const same = configurationError({ shopDomain: 'shop.myshopify.com', adminAccessToken: 'same', apiSecretKey: 'same' });
    expect(same.option).toBe('shopify.adminAccessToken');
    expect(configurationError({ shopDomain: 'shop.myshopify.com', adminAccessToken: 'shpss_looks_like_a_secret', apiSecretKey: 'x' }).message).not.toContain('shpss_looks_like_a_secret');
  });

  it.each([
    [{ shopDomain: 'https://shop.myshopify.com' }, 'shopify.shopDomain'],
    [{ shopDomain: 'shop.example.com' }, 'shopify.shopDomain'],
    [{ apiVersion: '2025-04' }, 'shopify.apiVersion'],
    [{ apiOrigin: 'http://127.0.0.1:4010/admin' }, 'shopify.apiOrigin'],
    [{ apiOrigin: 'ftp://127.0.0.1' }, 'shopify.apiOrigin'],
    [{ timeoutMilliseconds: 0 }, 'shopify.timeoutMilliseconds'],
    [{ throttle: { maxRetries: 11 } }, 'shopify.throttle.maxRetries'],
    [{ cancellation: { maxPolls: -1 } }, 'shopify.cancellation.maxPolls'],
    [{ maximumPageSize: 251 }, 'shopify.maximumPageSize'],
    [{ clock: { now: () => 1 } }, 'shopify.clock'],
    [{ unknownOption: true }, 'shopify'],
  ])('refuses %j naming %s', (override, option) => {
    expect(configurationError({ shopDomain: 'shop.myshopify.com', ...secrets, ...(override as Partial<ShopifyPlatformOptions>) }).option).toBe(option);
  });

  it('createShopifyPlatform validates before building anything', () => {
    expect(() => createShopifyPlatform({ shopDomain: 'nope', ...secrets })).toThrow(ConfigurationError);
  });
});
