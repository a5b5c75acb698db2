import { PaymigrateError } from '../errors/paymigrate-error.js';
import {
  IdempotencyConflictError,
  PaymentDeclinedError,
  ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  UnknownOutcomeError,
} from '../errors/provider-errors.js';
import type { IntentRecord } from '../journal/intent-repository.js';
import type { PaymentGatewayV1 } from '../ports/payment-gateway/v1/payment-gateway.js';
import type { PaymentOperationResult, PaymentSnapshot } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { withChanges } from './record-changes.js';

/** How a provider call failed, in the terms the transaction state manager acts on. */
export type ProviderCallFailure =
  /** The issuer or the provider's risk engine declined. */
  | { readonly kind: 'declined'; readonly error: PaymentDeclinedError; readonly code: string }
  /** Sent, no answer (or an answer that cannot be trusted): the operation may have happened. */
  | { readonly kind: 'unknown'; readonly error: unknown; readonly code: string }
  /** Nothing was sent: the provider could not be reached. */
  | { readonly kind: 'unavailable'; readonly error: unknown; readonly code: string }
  /** Throttled or a transient failure the provider guarantees had no effect. */
  | { readonly kind: 'throttled'; readonly error: unknown; readonly code: string; readonly retryAfterMs: number }
  /** The idempotency key was used with other parameters: a bug, never retried. */
  | { readonly kind: 'conflict'; readonly error: IdempotencyConflictError; readonly code: string }
  /** Refused (invalid request, authentication, not found, unsupported): nothing happened. */
  | { readonly kind: 'rejected'; readonly error: unknown; readonly code: string };

/** How a provider call ended: an answer, or a failure. */
export type ProviderCallOutcome =
  /** An authorization or merchant-initiated charge answered with the payment. */
  | { readonly kind: 'snapshot'; readonly snapshot: PaymentSnapshot }
  /** A capture, refund or cancellation answered. */
  | { readonly kind: 'operation'; readonly result: PaymentOperationResult }
  | ProviderCallFailure;

/**
 * Maps what a gateway threw to the action it calls for. Anything that is not a normalized error
 * (a bug in an adapter, a parsing failure after the request left) is an unknown outcome: nothing
 * proves the operation did not happen, so it is resolved on the same provider like a timeout.
 */
export function classifyProviderError(error: unknown): ProviderCallFailure {
  if (PaymentDeclinedError.isInstance(error)) return { kind: 'declined', error, code: error.code };
  if (UnknownOutcomeError.isInstance(error)) return { kind: 'unknown', error, code: error.code };
  if (ProviderUnavailableError.isInstance(error)) return { kind: 'unavailable', error, code: error.code };
  if (RateLimitedError.isInstance(error)) return { kind: 'throttled', error, code: error.code, retryAfterMs: error.retryAfterMs };
  if (ProviderRetryableError.isInstance(error)) return { kind: 'throttled', error, code: error.code, retryAfterMs: 0 };
  if (IdempotencyConflictError.isInstance(error)) return { kind: 'conflict', error, code: error.code };
  if (ProviderError.isInstance(error) || PaymigrateError.isInstance(error)) return { kind: 'rejected', error, code: error.code };
  return { kind: 'unknown', error, code: 'UNEXPECTED_ERROR' };
}

/** The gateway method an intent's operation calls. */
export function gatewayMethodOf(intent: IntentRecord): string {
  const methods: Record<IntentRecord['operation'], string> = {
    authorize: 'authorize',
    charge_stored: 'chargeStoredPaymentMethod',
    capture: 'capture',
    refund: 'refund',
    cancel: 'cancel',
    technical_cancel: 'cancelByMerchantReference',
  };
  return methods[intent.operation];
}

/**
 * Sends an intent's recorded request with its idempotency key: exactly the parameters journaled,
 * so a retry can never become a different request under the same key.
 */
export async function sendIntent(gateway: PaymentGatewayV1, intent: IntentRecord): Promise<ProviderCallOutcome> {
  const idempotencyKey = intent.idempotencyKey;
  try {
    switch (intent.operation) {
      case 'authorize':
        return snapshotOutcome(await gateway.authorize(withChanges(intent.request, { idempotencyKey })));
      case 'charge_stored':
        return snapshotOutcome(await gateway.chargeStoredPaymentMethod(withChanges(intent.request, { idempotencyKey })));
      case 'capture':
        return { kind: 'operation', result: await gateway.capture(withChanges(intent.request, { idempotencyKey })) };
      case 'refund':
        return { kind: 'operation', result: await gateway.refund(withChanges(intent.request, { idempotencyKey })) };
      case 'cancel':
        return { kind: 'operation', result: await gateway.cancel(withChanges(intent.request, { idempotencyKey })) };
      case 'technical_cancel': {
        const cancelByMerchantReference = gateway.cancelByMerchantReference;
        if (cancelByMerchantReference === undefined) {
          return classifyProviderError(
            new PaymigrateError('UNSUPPORTED_OPERATION', `${gateway.provider} has no technical cancel (cancelByMerchantReference); nothing was sent.`),
          );
        }
        return { kind: 'operation', result: await cancelByMerchantReference.call(gateway, withChanges(intent.request, { idempotencyKey })) };
      }
    }
  } catch (error) {
    return classifyProviderError(error);
  }
}

/** Code of a snapshot the provider has not settled yet: it is still processing the payment. */
export const providerStillProcessingCode = 'PROVIDER_STILL_PROCESSING';

/**
 * A snapshot that settles nothing, as a failure: `unknown` (a status the adapter could not map) or
 * `authorizing` (the provider is still processing). `undefined` for a snapshot that is an answer.
 */
export function unsettledSnapshotFailure(snapshot: PaymentSnapshot): ProviderCallFailure | undefined {
  if (snapshot.state === 'unknown') return { kind: 'unknown', error: undefined, code: 'PROVIDER_STATE_UNKNOWN' };
  if (snapshot.state === 'authorizing') return { kind: 'unknown', error: undefined, code: providerStillProcessingCode };
  return undefined;
}

function snapshotOutcome(snapshot: PaymentSnapshot): ProviderCallOutcome {
  return unsettledSnapshotFailure(snapshot) ?? { kind: 'snapshot', snapshot };
}
