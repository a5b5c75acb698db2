import { z } from 'zod';
import { cardBrands } from '../ports/shared/v1/card.js';
import { Money } from '../money/money.js';
import { paymentStates } from '../payment/payment-state.js';

/**
 * A `Money` stored as its JSON form (`{ minorUnits: "1234", currency: "USD" }`) and read back as a
 * `Money`. A value that `Money.fromJSON` refuses is a schema issue, so a damaged record surfaces as
 * `JournalRecordInvalidError` rather than as a money error deep inside an engine.
 */
export const moneySchema: z.ZodType<Money> = z
  .object({ minorUnits: z.string(), currency: z.string() })
  .transform((json, context) => {
    try {
      return Money.fromJSON(json);
    } catch {
      context.addIssue({ code: 'custom', message: 'not a valid amount (minorUnits must be a decimal integer string, currency an ISO 4217 code)' });
      return z.NEVER;
    }
  });

/** A canonical payment state. */
export const paymentStateSchema = z.enum(paymentStates);

/** A card summary (brand, last four, expiry, fingerprint): the only card data the journal keeps. */
export const cardSummarySchema = z.object({
  brand: z.enum(cardBrands),
  last4: z.string().regex(/^[0-9]{4}$/),
  expiryMonth: z.number().int().min(1).max(12),
  expiryYear: z.number().int(),
  fingerprint: z.string().optional(),
  funding: z.enum(['credit', 'debit', 'prepaid', 'unknown']).optional(),
  issuingCountry: z.string().optional(),
});

/** Epoch milliseconds. */
export const timestampSchema = z.number().int().nonnegative();
