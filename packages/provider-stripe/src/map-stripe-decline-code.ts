/**
 * Stripe decline codes (`decline_code`, or the error `code` when there is none) -> canonical decline
 * reasons shared by every provider adapter. Codes not listed become `generic_decline`; the raw code
 * stays available as the error's `providerCode`.
 */
const declineReasons: Readonly<Record<string, string>> = {
  approve_with_id: 'do_not_honor',
  authentication_required: 'authentication_required',
  call_issuer: 'do_not_honor',
  card_declined: 'generic_decline',
  card_not_supported: 'card_not_supported',
  card_velocity_exceeded: 'limit_exceeded',
  currency_not_supported: 'currency_not_supported',
  do_not_honor: 'do_not_honor',
  do_not_try_again: 'do_not_honor',
  expired_card: 'expired_card',
  fraudulent: 'fraud_suspected',
  generic_decline: 'generic_decline',
  incorrect_cvc: 'incorrect_cvc',
  incorrect_number: 'invalid_card',
  incorrect_zip: 'incorrect_address',
  insufficient_funds: 'insufficient_funds',
  invalid_account: 'invalid_card',
  invalid_amount: 'invalid_amount',
  invalid_cvc: 'incorrect_cvc',
  invalid_expiry_month: 'expired_card',
  invalid_expiry_year: 'expired_card',
  invalid_number: 'invalid_card',
  lost_card: 'lost_card',
  merchant_blacklist: 'fraud_suspected',
  not_permitted: 'not_permitted',
  payment_intent_authentication_failure: 'authentication_failed',
  pickup_card: 'stolen_card',
  processing_error: 'processing_error',
  restricted_card: 'not_permitted',
  revocation_of_all_authorizations: 'do_not_honor',
  revocation_of_authorization: 'do_not_honor',
  security_violation: 'fraud_suspected',
  stolen_card: 'stolen_card',
  stop_payment_order: 'do_not_honor',
  testmode_decline: 'generic_decline',
  transaction_not_allowed: 'not_permitted',
  withdrawal_count_limit_exceeded: 'limit_exceeded',
};

/** Maps a Stripe decline code to a canonical decline reason (`generic_decline` when unknown). */
export function mapStripeDeclineCode(code: string | null | undefined): string {
  return typeof code === 'string' && Object.hasOwn(declineReasons, code) ? (declineReasons[code] as string) : 'generic_decline';
}
