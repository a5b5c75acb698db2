import { paymentStates } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { readJsonIfPresent, stripeSpecificationFile } from './__fixtures__/stripe-spec.js';
import {
  mapStripePaymentIntentStatus,
  mapStripeRefundStatus,
  stripePaymentIntentStatuses,
  stripeRefundStatuses,
} from './map-stripe-status.js';

const specification = readJsonIfPresent(stripeSpecificationFile);

/** The `status` enum of a component schema in the official spec. */
function statusEnum(schemaName: string): readonly string[] {
  const schemas = (specification?.['components'] as { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> }).schemas;
  return schemas[schemaName]?.properties['status']?.enum ?? [];
}

describe('PaymentIntent status -> canonical state', () => {
  it.each([
    ['requires_payment_method', 'failed'],
    ['requires_confirmation', 'authorizing'],
    ['requires_action', 'requires_action'],
    ['processing', 'authorizing'],
    ['requires_capture', 'authorized'],
    ['succeeded', 'captured'],
    ['canceled', 'voided'],
  ] as const)('%s -> %s', (status, state) => {
    expect(mapStripePaymentIntentStatus(status)).toBe(state);
  });

  it.each(['requires_source', 'requires_source_action', 'partially_funded', 'SUCCEEDED', '', 'constructor', '__proto__'])(
    'an unknown status %j is unknown, never a success',
    (status) => {
      expect(mapStripePaymentIntentStatus(status)).toBe('unknown');
    },
  );

  it('covers exactly the statuses the official spec documents', ({ skip }) => {
    if (specification === undefined) return skip(`the Stripe spec is not at ${stripeSpecificationFile}`);
    expect([...stripePaymentIntentStatuses].sort()).toEqual([...statusEnum('payment_intent')].sort());
  });

  it('maps every status to a canonical state', () => {
    for (const status of stripePaymentIntentStatuses) {
      expect(paymentStates).toContain(mapStripePaymentIntentStatus(status));
    }
  });
});

describe('Refund status -> operation status', () => {
  it.each([
    ['succeeded', 'succeeded'],
    ['pending', 'pending'],
    ['requires_action', 'pending'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ] as const)('%s -> %s', (status, result) => {
    expect(mapStripeRefundStatus(status)).toBe(result);
  });

  it('lists every documented refund status', () => {
    expect([...stripeRefundStatuses].sort()).toEqual(['canceled', 'failed', 'pending', 'requires_action', 'succeeded']);
  });

  it.each([null, undefined, 'reversed', 'toString'])('an unknown status %j is pending, never a success', (status) => {
    expect(mapStripeRefundStatus(status)).toBe('pending');
  });
});
