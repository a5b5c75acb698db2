import { z } from 'zod';
import type { Money } from '../money/money.js';
import type { PaymentState } from '../payment/payment-state.js';
import type { CaptureMethod } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { type IntentOperation, intentOperations } from './intent-repository.js';
import type { StoredRecord } from './journal-repository.js';
import { moneySchema, paymentStateSchema, timestampSchema } from './journal-schemas.js';
import { WrittenValueRepository } from './written-value-repository.js';

/** The collection of payments. */
export const paymentsCollection = 'payments';

/** How many intents of each operation a payment has had: the next sequence is the count + 1. */
export type OperationCounters = { readonly [Operation in IntentOperation]: number };

/** Counters of a payment with no intents yet. */
export const emptyOperationCounters: OperationCounters = Object.freeze({
  authorize: 0,
  charge_stored: 0,
  capture: 0,
  refund: 0,
  cancel: 0,
  technical_cancel: 0,
});

/**
 * Money a capture, refund or cancellation has claimed but the journal does not count as done yet.
 * It counts against the limits (a capture may take at most what is authorized and neither captured
 * nor claimed), so two concurrent captures can never both pass the amount check.
 */
export interface PendingOperation {
  /** The intent that claimed the money. */
  readonly intentId: string;
  /** Which operation. */
  readonly operation: 'capture' | 'refund' | 'cancel';
  /** Amount claimed (for a cancellation: what remained authorized when it was requested). */
  readonly amount: Money;
  /**
   * `in_flight`: the intent is not final yet. `awaiting_confirmation`: the provider accepted it
   * (Adyen `received`); a webhook confirms or refutes it.
   */
  readonly status: 'in_flight' | 'awaiting_confirmation';
  /** The provider's reference of the operation, once known. */
  readonly operationReference?: string | undefined;
  /** For a capture: whether it releases the uncaptured remainder. */
  readonly finalCapture?: boolean | undefined;
}

/**
 * A payment as paymigrate knows it. Key = `paymentId`, index = `state`.
 *
 * The provider is pinned at the first authorization and never changes: every follow-up goes there
 * (invariant 2). Amounts only count what the provider confirmed; claims in flight are in
 * `pendingOperations`.
 */
export interface PaymentRecord {
  /** Our payment id (the caller's). */
  readonly paymentId: string;
  /** Our reference at the provider; unique per payment. */
  readonly merchantReference: string;
  /** The platform's order id, when the payment belongs to one. */
  readonly orderId?: string | undefined;
  /** The platform's customer id. */
  readonly customerId?: string | undefined;
  /** The provider's customer reference. */
  readonly customerReference?: string | undefined;
  /** The provider that holds the payment. Pinned at the first authorization; never changes. */
  readonly provider: string;
  /** Why the router chose that provider. */
  readonly routingReason?: string | undefined;
  /** The provider's payment reference, once known. */
  readonly providerReference?: string | undefined;
  /** Capture method of the authorization. */
  readonly captureMethod: CaptureMethod;
  /** The intent that created the payment (`authorize` or `charge_stored`). */
  readonly initialIntentId: string;
  /** Amount requested. */
  readonly amount: Money;
  /** Amount authorized (after a release: what was captured). */
  readonly authorizedAmount: Money;
  /** Amount captured, as confirmed by the provider. */
  readonly capturedAmount: Money;
  /** Amount refunded, as confirmed by the provider. */
  readonly refundedAmount: Money;
  /** The uncaptured remainder was released (cancellation or final capture). */
  readonly released: boolean;
  /** Canonical state. */
  readonly state: PaymentState;
  /** Captures, refunds and cancellations not confirmed yet. */
  readonly pendingOperations: readonly PendingOperation[];
  /** Operation references already counted in the amounts (a webhook and a response never count twice). */
  readonly appliedOperationReferences: readonly string[];
  /** How many intents of each operation the payment has had. */
  readonly operationCounters: OperationCounters;
  /** Network transaction id of the authorization. */
  readonly networkTransactionId?: string | undefined;
  /** The payment method token the provider stored for later merchant-initiated charges. */
  readonly storedPaymentMethodToken?: string | undefined;
  /** Canonical reason of a decline or a failure. */
  readonly failureReason?: string | undefined;
  /** Creation time, epoch milliseconds. */
  readonly createdAt: number;
  /** Last change, epoch milliseconds. */
  readonly updatedAt: number;
}

const optionalString = z.string().optional();

const countersSchema = z.object(
  Object.fromEntries(intentOperations.map((operation) => [operation, z.number().int().nonnegative()])) as Record<IntentOperation, z.ZodNumber>,
);

const paymentSchema: z.ZodType<PaymentRecord> = z.object({
  paymentId: z.string().min(1),
  merchantReference: z.string().min(1),
  orderId: optionalString,
  customerId: optionalString,
  customerReference: optionalString,
  provider: z.string().min(1),
  routingReason: optionalString,
  providerReference: optionalString,
  captureMethod: z.enum(['manual', 'automatic']),
  initialIntentId: z.string().min(1),
  amount: moneySchema,
  authorizedAmount: moneySchema,
  capturedAmount: moneySchema,
  refundedAmount: moneySchema,
  released: z.boolean(),
  state: paymentStateSchema,
  pendingOperations: z.array(
    z.object({
      intentId: z.string(),
      operation: z.enum(['capture', 'refund', 'cancel']),
      amount: moneySchema,
      status: z.enum(['in_flight', 'awaiting_confirmation']),
      operationReference: optionalString,
      finalCapture: z.boolean().optional(),
    }),
  ),
  appliedOperationReferences: z.array(z.string()),
  operationCounters: countersSchema,
  networkTransactionId: optionalString,
  storedPaymentMethodToken: optionalString,
  failureReason: optionalString,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

/**
 * The `payments` collection: key = payment id, index = state. A payment this process wrote is
 * read back without decoding it again while its stored text is the one written (the capture of a
 * payment authorized a moment ago; see `WrittenValueRepository`); any other text is validated.
 */
export class PaymentRepository extends WrittenValueRepository<PaymentRecord> {
  /** @param journal The journal. */
  constructor(journal: JournalV1) {
    super(journal, { collection: paymentsCollection, schema: paymentSchema, keyOf: (payment) => payment.paymentId, indexOf: (payment) => payment.state });
  }

  /** Iterates over every payment in one state. */
  listByState(state: PaymentState): AsyncGenerator<StoredRecord<PaymentRecord>> {
    return this.listAll({ index: state });
  }
}
