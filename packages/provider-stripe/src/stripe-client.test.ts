import { describe, expect, it } from 'vitest';
import { combineSignals, createStripeClient, StripeTransportError, transportCodeOf } from './stripe-client.js';

describe('transport errors', () => {
  it('finds the code on the error, its cause, or the first error of an aggregate', () => {
    expect(transportCodeOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(transportCodeOf(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }) }))).toBe('UND_ERR_SOCKET');
    expect(transportCodeOf(new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]) }))).toBe('ECONNREFUSED');
    expect(transportCodeOf(new StripeTransportError(Object.assign(new Error('x'), { code: 'EPIPE' })))).toBe('EPIPE');
    expect(transportCodeOf(new TypeError('Network error'))).toBeUndefined();
    expect(transportCodeOf('text')).toBeUndefined();
    expect(transportCodeOf(null)).toBeUndefined();
  });

  it('stops following causes after a few levels', () => {
    let error: unknown = Object.assign(new Error('deep'), { code: 'EDEEP' });
    for (let level = 0; level < 6; level += 1) error = new Error('wrapper', { cause: error });
    expect(transportCodeOf(error)).toBeUndefined();
  });

  it('hides the code from the SDK (which would retry ECONNRESET) but keeps it for the mapper', () => {
    const wrapped = new StripeTransportError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect('code' in wrapped).toBe(false);
    expect(wrapped.transportCode).toBe('ECONNRESET');
    expect(wrapped.message).toBe('socket hang up');
    expect(new StripeTransportError('plain').message).toBe('plain');
  });
});

describe('signals', () => {
  it('combines the SDK signal with the caller signal', () => {
    const sdk = new AbortController();
    const caller = new AbortController();
    expect(combineSignals(null, caller.signal)).toBe(caller.signal);
    expect(combineSignals(undefined, undefined)).toBeUndefined();
    expect(combineSignals(sdk.signal, undefined)).toBe(sdk.signal);
    const combined = combineSignals(sdk.signal, caller.signal);
    caller.abort();
    expect(combined?.aborted).toBe(true);
  });
});

describe('createStripeClient', () => {
  it.each([
    ['https://api.stripe.com', 'api.stripe.com', 443, 'https'],
    ['http://stripe.internal', 'stripe.internal', 80, 'http'],
    ['http://127.0.0.1:12111', '127.0.0.1', 12111, 'http'],
  ])('points the SDK at %s', (url, host, port, protocol) => {
    const { sdk } = createStripeClient({ apiKey: 'sk_test_x', apiBaseUrl: new URL(url), timeoutMilliseconds: 1234 });
    expect(sdk.getApiField('host')).toBe(host);
    expect(sdk.getApiField('port')).toBe(port);
    expect(sdk.getApiField('protocol')).toBe(protocol);
    expect(sdk.getApiField('timeout')).toBe(1234);
    expect(sdk.getMaxNetworkRetries()).toBe(0);
    expect(sdk.getTelemetryEnabled()).toBe(false);
  });
});
