import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { type CircuitBreakerSettings, type CircuitStateName, defaultCircuitBreakerSettings, ProviderCircuitBreakers } from './provider-circuit-breakers.js';

// cockatiel reads Date.now(): the tests move it by hand.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2026, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

const consecutive: CircuitBreakerSettings = { kind: 'consecutive', failures: 3, halfOpenAfterMs: 30_000 };

describe('ProviderCircuitBreakers', () => {
  it('opens after consecutive failures; a success in between resets the count', async () => {
    const changes: Array<[string, CircuitStateName]> = [];
    const breakers = new ProviderCircuitBreakers(consecutive, (provider, state) => changes.push([provider, state]));
    expect(breakers.admit('adyen')).toBe('closed');
    expect(breakers.state('adyen')).toBe('closed');
    await breakers.recordFailure('adyen', 'PROVIDER_UNAVAILABLE');
    await breakers.recordFailure('adyen', 'PROVIDER_UNAVAILABLE');
    await breakers.recordSuccess('adyen');
    await breakers.recordFailure('adyen', 'PROVIDER_UNAVAILABLE');
    await breakers.recordFailure('adyen', 'PROVIDER_UNAVAILABLE');
    expect(breakers.admit('adyen')).toBe('closed');
    await breakers.recordFailure('adyen', 'PROVIDER_UNAVAILABLE');
    expect(breakers.state('adyen')).toBe('open');
    expect(breakers.admit('adyen')).toBe('refused');
    expect(breakers.admit('stripe')).toBe('closed');
    expect(changes).toEqual([['adyen', 'open']]);
  });

  it('lets exactly one trial through after the reset timeout; its success closes the circuit', async () => {
    const breakers = new ProviderCircuitBreakers(consecutive);
    for (let failure = 0; failure < 3; failure += 1) await breakers.recordFailure('adyen', 'E');
    vi.advanceTimersByTime(29_999);
    expect(breakers.admit('adyen')).toBe('refused');
    // Outcomes of payments routed before the circuit opened are ignored while it is open.
    await breakers.recordSuccess('adyen');
    expect(breakers.state('adyen')).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breakers.admit('adyen')).toBe('trial');
    expect(breakers.admit('adyen')).toBe('refused');
    await breakers.recordSuccess('adyen');
    expect(breakers.state('adyen')).toBe('closed');
    expect(breakers.admit('adyen')).toBe('closed');
  });

  it('opens again when the trial fails, for another full timeout', async () => {
    const breakers = new ProviderCircuitBreakers(consecutive);
    for (let failure = 0; failure < 3; failure += 1) await breakers.recordFailure('adyen', 'E');
    vi.advanceTimersByTime(30_000);
    expect(breakers.admit('adyen')).toBe('trial');
    await breakers.recordFailure('adyen', 'E');
    expect(breakers.state('adyen')).toBe('open');
    vi.advanceTimersByTime(29_999);
    expect(breakers.admit('adyen')).toBe('refused');
    vi.advanceTimersByTime(1);
    expect(breakers.admit('adyen')).toBe('trial');
  });

  it('offers another trial when the first one never reported an outcome (an abandoned checkout)', async () => {
    const breakers = new ProviderCircuitBreakers(consecutive);
    for (let failure = 0; failure < 3; failure += 1) await breakers.recordFailure('adyen', 'E');
    vi.advanceTimersByTime(30_000);
    expect(breakers.admit('adyen')).toBe('trial');
    vi.advanceTimersByTime(29_999);
    expect(breakers.admit('adyen')).toBe('refused');
    vi.advanceTimersByTime(1);
    expect(breakers.admit('adyen')).toBe('trial');
  });

  it('samples a rolling window with a minimum volume (SamplingBreaker)', async () => {
    const breakers = new ProviderCircuitBreakers({ kind: 'sampling', threshold: 0.5, durationMs: 10_000, minimumRequestsPerSecond: 1, halfOpenAfterMs: 5_000 });
    // Below the minimum volume (10 calls over 10 s), even all failures keep it closed.
    for (let call = 0; call < 9; call += 1) await breakers.recordFailure('adyen', 'E');
    expect(breakers.state('adyen')).toBe('closed');
    for (let call = 0; call < 10; call += 1) await breakers.recordSuccess('adyen');
    // 10 failures vs 10 successes: not above half.
    await breakers.recordFailure('adyen', 'E');
    expect(breakers.state('adyen')).toBe('closed');
    await breakers.recordFailure('adyen', 'E');
    expect(breakers.state('adyen')).toBe('open');
  });

  it('forgets failures that left the window', async () => {
    const breakers = new ProviderCircuitBreakers({ kind: 'sampling', threshold: 0.5, durationMs: 10_000, minimumRequestsPerSecond: 1, halfOpenAfterMs: 5_000 });
    for (let call = 0; call < 9; call += 1) await breakers.recordFailure('adyen', 'E');
    // Steady traffic: one success a second rotates the ten 1-second windows past the failures.
    for (let second = 0; second < 11; second += 1) {
      vi.advanceTimersByTime(1_000);
      await breakers.recordSuccess('adyen');
    }
    for (let call = 0; call < 9; call += 1) await breakers.recordFailure('adyen', 'E');
    expect(breakers.state('adyen')).toBe('closed');
  });

  it('holds a circuit open by hand until the handle is disposed', () => {
    const changes: CircuitStateName[] = [];
    const breakers = new ProviderCircuitBreakers(consecutive, (_provider, state) => changes.push(state));
    const handle = breakers.isolate('adyen');
    expect(breakers.state('adyen')).toBe('isolated');
    expect(breakers.admit('adyen')).toBe('refused');
    handle.dispose();
    expect(breakers.admit('adyen')).toBe('closed');
    expect(changes).toEqual(['isolated', 'closed']);
  });

  it('answers each circuit its own state while others open and close again', async () => {
    const breakers = new ProviderCircuitBreakers(consecutive);
    const handle = breakers.isolate('stripe');
    for (let failure = 0; failure < 3; failure += 1) await breakers.recordFailure('adyen', 'E');
    expect([breakers.state('adyen'), breakers.state('stripe'), breakers.state('mollie')]).toEqual(['open', 'isolated', 'closed']);
    vi.advanceTimersByTime(30_000);
    await breakers.recordSuccess('adyen');
    expect([breakers.state('adyen'), breakers.state('stripe')]).toEqual(['closed', 'isolated']);
    expect([breakers.admit('adyen'), breakers.admit('stripe')]).toEqual(['closed', 'refused']);
    handle.dispose();
    expect([breakers.state('adyen'), breakers.state('stripe')]).toEqual(['closed', 'closed']);
    for (let failure = 0; failure < 3; failure += 1) await breakers.recordFailure('stripe', 'E');
    expect([breakers.admit('adyen'), breakers.admit('stripe')]).toEqual(['closed', 'refused']);
  });

  it('refuses while a trial outcome is being recorded (half-open)', async () => {
    const breakers = new ProviderCircuitBreakers(consecutive);
    for (let failure = 0; failure < 3; failure += 1) await breakers.recordFailure('adyen', 'E');
    vi.advanceTimersByTime(30_000);
    const recording = breakers.recordSuccess('adyen');
    expect(breakers.state('adyen')).toBe('half-open');
    expect(breakers.admit('adyen')).toBe('refused');
    await recording;
    expect(breakers.state('adyen')).toBe('closed');
  });

  it('defaults to a sampling breaker and refuses invalid settings with a ConfigurationError', () => {
    expect(new ProviderCircuitBreakers().settings).toEqual(defaultCircuitBreakerSettings);
    for (const settings of [
      { kind: 'consecutive', failures: 0, halfOpenAfterMs: 1 },
      { kind: 'sampling', threshold: 1, durationMs: 10_000, halfOpenAfterMs: 1 },
      { kind: 'sampling', threshold: 0.5, durationMs: 10, halfOpenAfterMs: 1 },
      { kind: 'other' },
    ]) {
      let caught: unknown;
      try {
        new ProviderCircuitBreakers(settings as CircuitBreakerSettings);
      } catch (error) {
        caught = error;
      }
      expect(ConfigurationError.isInstance(caught)).toBe(true);
    }
  });
});
