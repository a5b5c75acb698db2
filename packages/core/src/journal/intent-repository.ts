import { z } from 'zod';
import type { Money } from '../money/money.js';
import type { PaymentState } from '../payment/payment-state.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import type {
  AuthorizeInput,
  CancelByMerchantReferenceInput,
  CancelInput,
  CaptureInput,
  PaymentNextAction,
  RefundInput,
  StoredPaymentMethodChargeInput,
} from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { JournalRepository, type StoredRecord } from './journal-repository.js';
import { moneySchema, paymentStateSchema, timestampSchema } from './journal-schemas.js';

/** The collection of payment intents. */
export const intentsCollection = 'payment-intents';

/** Every operation an intent can record. */
export const intentOperations = ['authorize', 'charge_stored', 'capture', 'refund', 'cancel', 'technical_cancel'] as const;

/** One provider write: what an intent records before it is sent. */
export type IntentOperation = (typeof intentOperations)[number];

/**
 * Where an intent stands.
 *
 * - `pending`: written; the call may or may not have been made (a crash can come between).
 * - `unknown`: sent, no answer: resolved later on the same provider, never elsewhere.
 * - `waiting`: the provider was unavailable or throttled before anything executed; retried with
 *   the same key once `nextAttemptAt` has passed.
 * - `succeeded` / `failed`: final, with the outcome.
 * - `unresolved`: resolution gave up; reported to operators (`unresolvedPayments()`), never hidden
 *   and never retried with a new key.
 */
export const intentStatuses = ['pending', 'unknown', 'waiting', 'succeeded', 'failed', 'unresolved'] as const;

/** One of `intentStatuses`. */
export type IntentStatus = (typeof intentStatuses)[number];

/** The statuses the recovery pass drives to a final one. */
export const nonTerminalIntentStatuses: readonly IntentStatus[] = Object.freeze(['pending', 'unknown', 'waiting']);

/** True for `pending`, `unknown` and `waiting`: the intent still needs work. */
export function isNonTerminalIntentStatus(status: IntentStatus): boolean {
  return nonTerminalIntentStatuses.includes(status);
}

/** The exact parameters of an authorization, as sent (everything but the idempotency key). */
export type AuthorizeRequest = Omit<AuthorizeInput, 'idempotencyKey' | 'metadata' | 'description'>;
/** The exact parameters of a merchant-initiated charge, as sent. */
export type ChargeStoredRequest = Omit<StoredPaymentMethodChargeInput, 'idempotencyKey'>;
/** The exact parameters of a capture, as sent. */
export type CaptureRequest = Omit<CaptureInput, 'idempotencyKey'>;
/** The exact parameters of a refund, as sent. */
export type RefundRequest = Omit<RefundInput, 'idempotencyKey'>;
/** The exact parameters of a cancellation, as sent. */
export type CancelRequest = Omit<CancelInput, 'idempotencyKey'>;
/** The exact parameters of a technical cancel by merchant reference, as sent. */
export type TechnicalCancelRequest = Omit<CancelByMerchantReferenceInput, 'idempotencyKey'>;

/** An operation together with the exact request it sends (a retry sends the same). */
export type IntentCall =
  | { readonly operation: 'authorize'; readonly request: AuthorizeRequest }
  | { readonly operation: 'charge_stored'; readonly request: ChargeStoredRequest }
  | { readonly operation: 'capture'; readonly request: CaptureRequest }
  | { readonly operation: 'refund'; readonly request: RefundRequest }
  | { readonly operation: 'cancel'; readonly request: CancelRequest }
  | { readonly operation: 'technical_cancel'; readonly request: TechnicalCancelRequest };

/** How a final outcome was learned. */
export type IntentResolution = 'response' | 'same-key-retry' | 'lookup' | 'not-found' | 'technical-cancel' | 'webhook';

/** What the provider answered (or what resolution established). */
export interface IntentOutcome {
  /** How the outcome was learned. */
  readonly resolvedBy: IntentResolution;
  /** The provider's payment reference. */
  readonly providerReference?: string | undefined;
  /** The provider's reference of the capture, refund or cancellation. */
  readonly operationReference?: string | undefined;
  /** The provider's own status string. */
  readonly providerStatus?: string | undefined;
  /** The payment's canonical state as the provider reported it. */
  readonly state?: PaymentState | undefined;
  /** For captures, refunds and cancellations: `pending` means a webhook confirms later. */
  readonly operationStatus?: 'succeeded' | 'pending' | 'failed' | undefined;
  /** Amount of the operation. */
  readonly amount?: Money | undefined;
  /** Amount authorized at the provider afterwards. */
  readonly authorizedAmount?: Money | undefined;
  /** Amount captured at the provider afterwards. */
  readonly capturedAmount?: Money | undefined;
  /** Amount refunded at the provider afterwards. */
  readonly refundedAmount?: Money | undefined;
  /** Canonical decline reason of a declined authorization. */
  readonly declineReason?: string | undefined;
  /** The customer step a `requires_action` authorization waits for. */
  readonly nextAction?: PaymentNextAction | undefined;
}

/** Fields every intent has, whatever its operation. */
export interface IntentRecordBase {
  /** `${paymentId}.${operation}.${sequence}`; also the idempotency key. */
  readonly intentId: string;
  /** The payment it belongs to. */
  readonly paymentId: string;
  /** The provider it is sent to: the payment's pinned provider. */
  readonly provider: string;
  /** 1 for the first intent of its operation on the payment, 2 for the second, ... */
  readonly sequence: number;
  /** Sent as the provider's idempotency key, on every attempt (deterministic, at most 64 characters). */
  readonly idempotencyKey: string;
  /** Where it stands. */
  readonly status: IntentStatus;
  /** Provider calls made for it so far. */
  readonly attempts: number;
  /**
   * True once a request may have executed at the provider (an unknown outcome, or a pending intent
   * found after a crash). Such an intent is never failed on "provider unavailable" alone.
   */
  readonly mayHaveExecuted: boolean;
  /** Stable code of the last error (`PROVIDER_UNAVAILABLE`, `PROVIDER_DECLINED`, ...). */
  readonly lastErrorCode?: string | undefined;
  /** When the last request was sent, epoch milliseconds (the provider's consistency delay counts from it). */
  readonly lastSentAt?: number | undefined;
  /** When a `waiting` or `unknown` intent is due again, epoch milliseconds. */
  readonly nextAttemptAt?: number | undefined;
  /** For an `unknown` authorization being resolved by a technical cancel: that intent's id. */
  readonly technicalCancelIntentId?: string | undefined;
  /** For a technical cancel: the unknown intent it resolves. */
  readonly resolvesIntentId?: string | undefined;
  /** The outcome, once known. */
  readonly outcome?: IntentOutcome | undefined;
  /** Creation time, epoch milliseconds. */
  readonly createdAt: number;
  /** Last change, epoch milliseconds. */
  readonly updatedAt: number;
}

/**
 * The write-ahead record of one provider write, stored before the call is made (invariant 1), with
 * the exact request so any retry sends the same parameters under the same key. Key = `intentId`,
 * index = `status`.
 */
export type IntentRecord = IntentRecordBase & IntentCall;

/**
 * The idempotency key (and intent id) of the `sequence`-th `operation` on a payment:
 * `${paymentId}.${operation}.${sequence}`. Deterministic, so a crash and a retry can never invent
 * a second key for the same write.
 */
export function intentIdFor(paymentId: string, operation: IntentOperation, sequence: number): string {
  return `${paymentId}.${operation}.${sequence}`;
}

const optionalString = z.string().optional();

const nextActionSchema = z.object({ type: z.enum(['redirect', 'three_d_secure', 'other']), url: optionalString });

const outcomeSchema = z.object({
  resolvedBy: z.enum(['response', 'same-key-retry', 'lookup', 'not-found', 'technical-cancel', 'webhook']),
  providerReference: optionalString,
  operationReference: optionalString,
  providerStatus: optionalString,
  state: paymentStateSchema.optional(),
  operationStatus: z.enum(['succeeded', 'pending', 'failed']).optional(),
  amount: moneySchema.optional(),
  authorizedAmount: moneySchema.optional(),
  capturedAmount: moneySchema.optional(),
  refundedAmount: moneySchema.optional(),
  declineReason: optionalString,
  nextAction: nextActionSchema.optional(),
});

const baseShape = {
  intentId: z.string().min(1),
  paymentId: z.string().min(1),
  provider: z.string().min(1),
  sequence: z.number().int().positive(),
  idempotencyKey: z.string().min(1).max(64),
  status: z.enum(intentStatuses),
  attempts: z.number().int().nonnegative(),
  mayHaveExecuted: z.boolean(),
  lastErrorCode: optionalString,
  lastSentAt: timestampSchema.optional(),
  nextAttemptAt: timestampSchema.optional(),
  technicalCancelIntentId: optionalString,
  resolvesIntentId: optionalString,
  outcome: outcomeSchema.optional(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
};

const captureMethodSchema = z.enum(['manual', 'automatic']).optional();

const intentSchema: z.ZodType<IntentRecord> = z.discriminatedUnion('operation', [
  z.object({
    ...baseShape,
    operation: z.literal('authorize'),
    request: z.object({
      merchantReference: z.string(),
      amount: moneySchema,
      paymentMethodToken: z.string(),
      customerReference: optionalString,
      captureMethod: captureMethodSchema,
      savePaymentMethod: z.boolean().optional(),
      returnUrl: optionalString,
    }),
  }),
  z.object({
    ...baseShape,
    operation: z.literal('charge_stored'),
    request: z.object({
      merchantReference: z.string(),
      amount: moneySchema,
      customerReference: z.string(),
      paymentMethodToken: z.string(),
      networkTransactionId: optionalString,
      reason: z.enum(['subscription', 'unscheduled']),
      captureMethod: captureMethodSchema,
    }),
  }),
  z.object({
    ...baseShape,
    operation: z.literal('capture'),
    request: z.object({ providerReference: z.string(), amount: moneySchema, finalCapture: z.boolean().optional(), merchantReference: optionalString }),
  }),
  z.object({
    ...baseShape,
    operation: z.literal('refund'),
    request: z.object({
      providerReference: z.string(),
      amount: moneySchema,
      merchantReference: optionalString,
      reason: z.enum(['requested_by_customer', 'duplicate', 'fraudulent', 'order_cancelled']).optional(),
    }),
  }),
  z.object({
    ...baseShape,
    operation: z.literal('cancel'),
    request: z.object({ providerReference: z.string(), merchantReference: optionalString }),
  }),
  z.object({
    ...baseShape,
    operation: z.literal('technical_cancel'),
    request: z.object({ merchantReference: z.string() }),
  }),
]);

/**
 * The `payment-intents` collection: one record per provider write, key = intent id, index =
 * status (the recovery pass claims `pending`, `unknown` and `waiting`).
 */
export class IntentRepository extends JournalRepository<IntentRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, { collection: intentsCollection, schema: intentSchema, keyOf: (intent) => intent.intentId, indexOf: (intent) => intent.status });
  }

  /** Lists intents with one status, in key order. */
  listByStatus(status: IntentStatus, options: { readonly limit: number; readonly afterKey?: string | undefined }): Promise<StoredRecord<IntentRecord>[]> {
    return this.list({ index: status, ...options });
  }
}
