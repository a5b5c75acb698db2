import { ConfigurationError } from '@paymigrate/core';

/** Runs `action` and returns what it threw or rejected with; fails the test when it succeeds. */
export async function captureError(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the operation to fail, but it succeeded.');
}

/**
 * Runs `action` (typically an options parser or an adapter factory) and returns the
 * `ConfigurationError` it threw. Any other error is rethrown as it is, so the test shows it;
 * no error at all fails the test.
 */
export function configurationErrorOf(action: () => unknown): ConfigurationError {
  try {
    action();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('Expected a ConfigurationError, but nothing was thrown.');
}
