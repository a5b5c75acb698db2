import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { RolloutPercentError, RoutingControlConflictError, RoutingRecordInvalidError, RoutingRequestError, SplitCartError } from './routing-errors.js';

const errors = [
  { type: RolloutPercentError, error: new RolloutPercentError({ percent: 101, problem: 'must be a number from 0 to 100' }), code: 'ROUTING_PERCENT_INVALID', retryable: false },
  {
    type: RoutingRecordInvalidError,
    error: new RoutingRecordInvalidError({ collection: 'routing-control', key: 'default', problem: 'its value is not JSON', cause: new SyntaxError('x') }),
    code: 'ROUTING_RECORD_INVALID',
    retryable: false,
  },
  { type: RoutingRequestError, error: new RoutingRequestError({ field: 'actor', problem: 'must be a non-empty string' }), code: 'ROUTING_REQUEST_INVALID', retryable: false },
  { type: RoutingControlConflictError, error: new RoutingControlConflictError({ migrationId: 'default', attempts: 5 }), code: 'ROUTING_CONTROL_CONFLICT', retryable: true },
  { type: SplitCartError, error: new SplitCartError({ cartId: 'cart_1', lineId: 'l1', problem: 'no provider can take it' }), code: 'ROUTING_SPLIT_CART_INVALID', retryable: false },
] as const;

describe('routing errors', () => {
  it.each(errors.map((entry) => [entry.error.name, entry] as const))('%s: code, retryability, and identity through its Symbol.for marker', (_name, entry) => {
    expect(entry.error.code).toBe(entry.code);
    expect(entry.error.isRetryable).toBe(entry.retryable);
    expect(entry.type.isInstance(entry.error)).toBe(true);
    expect(PaymigrateError.isInstance(entry.error)).toBe(true);
    // A copy from another installed core (same markers, different class) is still recognized.
    const copy = Object.assign(Object.create(null) as object, entry.error);
    for (const symbol of Object.getOwnPropertySymbols(entry.error)) Reflect.set(copy, symbol, true);
    expect(entry.type.isInstance(copy)).toBe(true);
  });

  it.each(errors.map((entry) => [entry.error.name, entry] as const))('%s.isInstance refuses every other error (negative test)', (_name, entry) => {
    for (const other of errors) {
      if (other.type === entry.type) continue;
      expect(entry.type.isInstance(other.error)).toBe(false);
    }
    expect(entry.type.isInstance(new ConfigurationError({ option: 'x', problem: 'is missing', fix: 'pass it' }))).toBe(false);
    expect(entry.type.isInstance(new Error('plain'))).toBe(false);
    expect(entry.type.isInstance(undefined)).toBe(false);
    expect(entry.type.isInstance('ROUTING')).toBe(false);
  });

  it('carries the fields operators need, in words', () => {
    expect(errors[0].error.message).toBe('Rollout percentage 101 must be a number from 0 to 100.');
    expect(errors[0].error.percent).toBe(101);
    expect(errors[1].error.collection).toBe('routing-control');
    expect(errors[1].error.key).toBe('default');
    expect(errors[1].error.cause).toBeInstanceOf(SyntaxError);
    expect(errors[2].error.field).toBe('actor');
    expect(errors[3].error.migrationId).toBe('default');
    expect(errors[3].error.attempts).toBe(5);
    expect(errors[4].error.cartId).toBe('cart_1');
    expect(errors[4].error.lineId).toBe('l1');
    expect(errors[4].error.message).toBe("Split cart 'cart_1' (line 'l1'): no provider can take it. Nothing was sent to a provider.");
    expect(new SplitCartError({ cartId: 'c', problem: 'the cart has no line' }).message).toBe("Split cart 'c': the cart has no line. Nothing was sent to a provider.");
  });

  it('never carries a card number in its message', () => {
    const error = new RoutingRequestError({ field: 'reason', problem: 'contained 4242 4242 4242 4242' });
    expect(error.message).not.toContain('4242 4242 4242 4242');
  });
});
