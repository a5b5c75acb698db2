import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import {
  IdempotencyConflictError,
  InvalidRequestError,
  PaymentDeclinedError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  UnknownOutcomeError,
} from '../errors/provider-errors.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';
import type { IntentRecord } from '../journal/intent-repository.js';
import { classifyProviderError, gatewayMethodOf, sendIntent, unsettledSnapshotFailure } from './provider-call.js';

const details = { provider: 'stripe' };

describe('classifyProviderError', () => {
  it('maps each normalized error to the action it calls for; anything else is an unknown outcome', () => {
    expect(classifyProviderError(new PaymentDeclinedError('no', { ...details, declineReason: 'x' })).kind).toBe('declined');
    expect(classifyProviderError(new UnknownOutcomeError('?', details)).kind).toBe('unknown');
    expect(classifyProviderError(new ProviderUnavailableError('down', details)).kind).toBe('unavailable');
    expect(classifyProviderError(new RateLimitedError('slow', { ...details, retryAfterMs: 7 }))).toMatchObject({ kind: 'throttled', retryAfterMs: 7 });
    expect(classifyProviderError(new ProviderRetryableError('busy', details))).toMatchObject({ kind: 'throttled', retryAfterMs: 0 });
    expect(classifyProviderError(new IdempotencyConflictError('reused', { ...details, idempotencyKey: 'k' })).kind).toBe('conflict');
    expect(classifyProviderError(new InvalidRequestError('bad', details))).toMatchObject({ kind: 'rejected', code: 'PROVIDER_INVALID_REQUEST' });
    expect(classifyProviderError(new UnsupportedOperationError({ component: 'x', operation: 'y', reason: 'z' }))).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_OPERATION' });
    expect(classifyProviderError(new Error('socket hang up'))).toMatchObject({ kind: 'unknown', code: 'UNEXPECTED_ERROR' });
    expect(classifyProviderError('a string')).toMatchObject({ kind: 'unknown' });
  });
});

describe('sendIntent', () => {
  it('refuses a technical cancel on a gateway without one, sending nothing', async () => {
    const gateway = new InMemoryPaymentGateway({ provider: 'plain', capabilities: { technicalCancel: false } });
    const intent = {
      intentId: 'p.technical_cancel.1',
      idempotencyKey: 'p.technical_cancel.1',
      operation: 'technical_cancel',
      request: { merchantReference: 'r' },
    } as IntentRecord;
    const outcome = await sendIntent(gateway, intent);
    expect(outcome).toMatchObject({ kind: 'rejected', code: 'UNSUPPORTED_OPERATION' });
    expect(PaymigrateError.isInstance((outcome as { error: unknown }).error)).toBe(true);
    expect(gateway.calls).toHaveLength(0);
    expect(gatewayMethodOf(intent)).toBe('cancelByMerchantReference');
  });

  it('treats snapshots that settle nothing as unknown outcomes', () => {
    const snapshot = { state: 'authorizing' } as Parameters<typeof unsettledSnapshotFailure>[0];
    expect(unsettledSnapshotFailure(snapshot)).toMatchObject({ kind: 'unknown', code: 'PROVIDER_STILL_PROCESSING' });
    expect(unsettledSnapshotFailure({ ...snapshot, state: 'unknown' })).toMatchObject({ kind: 'unknown', code: 'PROVIDER_STATE_UNKNOWN' });
    expect(unsettledSnapshotFailure({ ...snapshot, state: 'authorized' })).toBeUndefined();
  });
});
