/**
 * PayPal processor response codes (`processor_response.response_code`) -> canonical decline
 * reasons. Codes not listed decline as `generic_decline`; `0000` (approved) is never a decline.
 */
export const payPalProcessorDeclineReasons: Readonly<Record<string, string>> = Object.freeze({
  '00N7': 'incorrect_cvc',
  '0100': 'call_issuer',
  '0390': 'invalid_account',
  '0500': 'do_not_honor',
  '0580': 'transaction_not_allowed',
  '0880': 'processing_error',
  '0890': 'transaction_not_allowed',
  '0960': 'processing_error',
  '10BR': 'do_not_honor',
  '1310': 'invalid_amount',
  '1320': 'currency_not_supported',
  '1330': 'invalid_account',
  '1335': 'invalid_account',
  '1352': 'restricted_card',
  '1380': 'expired_card',
  '1382': 'incorrect_cvc',
  '5100': 'generic_decline',
  '5110': 'incorrect_cvc',
  '5120': 'insufficient_funds',
  '5130': 'incorrect_pin',
  '5135': 'pin_try_exceeded',
  '5140': 'card_closed',
  '5150': 'pickup_card',
  '5160': 'transaction_not_allowed',
  '5170': 'incorrect_address',
  '5180': 'restricted_card',
  '5190': 'incorrect_address',
  '5200': 'duplicate_transaction',
  '5210': 'transaction_not_allowed',
  '5400': 'expired_card',
  '5500': 'incorrect_pin',
  '5650': 'authentication_required',
  '5700': 'transaction_not_allowed',
  '5710': 'card_velocity_exceeded',
  '5900': 'invalid_account',
  '5910': 'issuer_not_available',
  '5920': 'issuer_not_available',
  '5930': 'card_not_activated',
  '5950': 'card_updated',
  '6300': 'invalid_account',
  '7700': 'authentication_failed',
  '7710': 'authentication_failed',
  '8000': 'processing_error',
  '9100': 'try_again_later',
  '9500': 'fraud_suspected',
  '9510': 'fraud_suspected',
  '9520': 'lost_or_stolen_card',
  '9530': 'call_issuer',
  '9540': 'generic_decline',
  PCVV: 'incorrect_cvc',
  PPRN: 'try_again_later',
});

/**
 * PayPal API issues (`details[].issue` of a 422) that mean the payer's instrument or PayPal's risk
 * engine refused the payment, with their canonical decline reasons. Every other 422 issue is an
 * invalid request (wrong state, amount rules, configuration), not a decline.
 */
export const payPalIssueDeclineReasons: Readonly<Record<string, string>> = Object.freeze({
  INSTRUMENT_DECLINED: 'generic_decline',
  PAYMENT_SOURCE_DECLINED_BY_PROCESSOR: 'processor_declined',
  ALIAS_DECLINED_BY_PROCESSOR: 'processor_declined',
  PAYMENT_SOURCE_CANNOT_BE_USED: 'card_not_supported',
  PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED: 'incorrect_card_details',
  CARD_BRAND_NOT_SUPPORTED: 'card_not_supported',
  CARD_TYPE_NOT_SUPPORTED: 'card_not_supported',
  CARD_EXPIRED: 'expired_card',
  REFERENCED_CARD_EXPIRED: 'expired_card',
  TRANSACTION_REFUSED: 'transaction_not_allowed',
  PAYER_CANNOT_PAY: 'generic_decline',
  PAYER_ACCOUNT_LOCKED_OR_CLOSED: 'card_closed',
  PAYER_ACCOUNT_RESTRICTED: 'restricted_card',
  COMPLIANCE_VIOLATION: 'fraud_suspected',
  DECLINED_DUE_TO_RELATED_TXN: 'related_transaction_declined',
  MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED: 'card_velocity_exceeded',
  TRANSACTION_LIMIT_EXCEEDED: 'limit_exceeded',
  TRANSACTION_RECEIVING_LIMIT_EXCEEDED: 'limit_exceeded',
  TRANSACTION_BLOCKED_BY_PAYEE: 'blocked_by_merchant_rules',
  PAYEE_BLOCKED_TRANSACTION: 'blocked_by_merchant_rules',
  REDIRECT_PAYER_FOR_ALTERNATE_FUNDING: 'generic_decline',
  PREVIOUS_TRANSACTION_REFERENCE_HAS_CHARGEBACK: 'previous_transaction_disputed',
  PREVIOUS_TRANSACTION_REFERENCE_VOIDED: 'previous_transaction_voided',
});

/** The canonical reason for a processor response code (`generic_decline` when absent or unlisted). */
export function declineReasonFromProcessorCode(code: string | undefined): string {
  return (code !== undefined && Object.hasOwn(payPalProcessorDeclineReasons, code) ? payPalProcessorDeclineReasons[code] : undefined) ?? 'generic_decline';
}

/** The canonical reason for a 422 issue, or `undefined` when the issue is not a decline. */
export function declineReasonFromIssue(issue: string | undefined): string | undefined {
  return issue !== undefined && Object.hasOwn(payPalIssueDeclineReasons, issue) ? payPalIssueDeclineReasons[issue] : undefined;
}
