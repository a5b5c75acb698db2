import { InvalidRequestError } from '@paymigrate/core';
import { adyenProviderName } from './adyen-error.js';

/** The `paymentMethod` object of a `/payments` request. */
export type AdyenPaymentMethodRequest = Readonly<Record<string, unknown>> & { readonly type: string };

/** Fields that would carry card data in the clear; a token must never contain them. */
const clearCardFields: readonly string[] = ['number', 'cvc', 'expiryMonth', 'expiryYear'];

function refuse(problem: string): InvalidRequestError {
  return new InvalidRequestError(`paymentMethodToken ${problem}`, { provider: adyenProviderName, parameter: 'paymentMethodToken' });
}

/**
 * Turns the port's single `paymentMethodToken` into Adyen's `paymentMethod` object.
 *
 * - A JSON object (what Adyen's Drop-in or Components hand the server as `state.data.paymentMethod`,
 *   serialized): sent as is. It must have a `type`, and may not carry clear card fields
 *   (`number`, `cvc`, `expiryMonth`, `expiryYear`): only the client-side encrypted ones.
 * - Anything else is a stored payment method id: `{ type: 'scheme', storedPaymentMethodId }`.
 *
 * @throws InvalidRequestError (`parameter: 'paymentMethodToken'`) for an empty token, malformed
 *   JSON, a missing `type` or clear card data. The message never echoes the token.
 */
export function toAdyenPaymentMethod(token: string): AdyenPaymentMethodRequest {
  const trimmed = token.trim();
  if (trimmed === '') throw refuse('is empty: pass a Drop-in paymentMethod (JSON) or a storedPaymentMethodId');
  if (!trimmed.startsWith('{')) return { type: 'scheme', storedPaymentMethodId: trimmed };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw refuse('looks like JSON but does not parse: pass the Drop-in paymentMethod object serialized with JSON.stringify');
  }
  // Text starting with '{' parses to an object or not at all.
  const paymentMethod = parsed as Record<string, unknown>;
  if (typeof paymentMethod.type !== 'string' || paymentMethod.type === '') throw refuse("has no 'type' (e.g. 'scheme')");
  const clear = clearCardFields.filter((field) => field in paymentMethod);
  if (clear.length > 0) {
    throw refuse(`carries card data in the clear (${clear.join(', ')}): send only the client-side encrypted fields (encryptedCardNumber, ...)`);
  }
  return paymentMethod as AdyenPaymentMethodRequest;
}
