/**
 * Adyen's authorisation refusal reasons (`refusalReasonCode` and `refusalReason` of a `Refused`
 * payment; see docs.adyen.com/development-resources/refusal-reasons) mapped to canonical decline
 * reasons, lower-case snake case as core expects (`insufficient_funds`, `do_not_honor`, ...).
 */

/** Refusal reason code -> [Adyen's text, canonical reason]. */
const refusalReasons: Readonly<Record<string, readonly [text: string, canonical: string]>> = {
  '2': ['Refused', 'generic_decline'],
  '3': ['Referral', 'call_issuer'],
  '4': ['Acquirer Error', 'processing_error'],
  '5': ['Blocked Card', 'restricted_card'],
  '6': ['Expired Card', 'expired_card'],
  '7': ['Invalid Amount', 'invalid_amount'],
  '8': ['Invalid Card Number', 'incorrect_number'],
  '9': ['Issuer Unavailable', 'issuer_not_available'],
  '10': ['Not supported', 'card_not_supported'],
  '11': ['3D Not Authenticated', 'authentication_failed'],
  '12': ['Not enough balance', 'insufficient_funds'],
  '14': ['Acquirer Fraud', 'fraud_suspected'],
  '15': ['Cancelled', 'cancelled'],
  '16': ['Shopper Cancelled', 'cancelled_by_customer'],
  '17': ['Invalid Pin', 'incorrect_pin'],
  '18': ['Pin tries exceeded', 'pin_try_exceeded'],
  '19': ['Pin validation not possible', 'incorrect_pin'],
  '20': ['FRAUD', 'fraud_suspected'],
  '21': ['Not Submitted', 'processing_error'],
  '22': ['FRAUD-CANCELLED', 'fraud_suspected'],
  '23': ['Transaction Not Permitted', 'transaction_not_allowed'],
  '24': ['CVC Declined', 'incorrect_cvc'],
  '25': ['Restricted Card', 'restricted_card'],
  '26': ['Revocation Of Auth', 'revocation_of_authorization'],
  '27': ['Declined Non Generic', 'do_not_honor'],
  '28': ['Withdrawal amount exceeded', 'amount_limit_exceeded'],
  '29': ['Withdrawal count exceeded', 'card_velocity_exceeded'],
  '31': ['Issuer Suspected Fraud', 'fraud_suspected'],
  '32': ['AVS Declined', 'incorrect_address'],
  '33': ['Card requires online pin', 'online_pin_required'],
  '34': ['No checking account available on Card', 'invalid_account'],
  '35': ['No savings account available on Card', 'invalid_account'],
  '36': ['Mobile pin required', 'online_pin_required'],
  '37': ['Contactless fallback', 'try_another_interface'],
  '38': ['Authentication required', 'authentication_required'],
  '39': ['RReq not received from DS', 'authentication_failed'],
  '40': ['Current AID is in Penalty Box.', 'try_another_interface'],
  '41': ['CVM Required Restart Payment', 'try_another_interface'],
  '42': ['3DS Authentication Error', 'authentication_failed'],
  '43': ['Online PIN required', 'online_pin_required'],
  '44': ['Try another interface', 'try_another_interface'],
  '45': ['Chip downgrade mode', 'try_another_interface'],
  '46': ['Transaction blocked by Adyen to prevent excessive retry fees', 'retry_blocked'],
};

/** The refusal reason codes this table knows, for tests and documentation. */
export const adyenRefusalReasonCodes: readonly string[] = Object.freeze(Object.keys(refusalReasons));

const canonicalByText: ReadonlyMap<string, string> = new Map(
  Object.values(refusalReasons).map(([text, canonical]) => [text.toLowerCase(), canonical] as const),
);

/** What is known about a refusal. */
export interface AdyenRefusal {
  /** `refusalReasonCode` of the answer. */
  readonly refusalReasonCode?: string | undefined;
  /** `refusalReason` of the answer (or the `reason` of an AUTHORISATION webhook). */
  readonly refusalReason?: string | undefined;
  /** `resultCode` of the answer. */
  readonly resultCode?: string | undefined;
}

/**
 * The canonical decline reason of an Adyen refusal: by `refusalReasonCode` first, then by the
 * `refusalReason` text. `resultCode: Error` without a known reason is `processing_error`,
 * `Cancelled` is `cancelled`; anything else unrecognized is `generic_decline`.
 */
export function mapAdyenRefusalReason(refusal: AdyenRefusal): string {
  const byCode = refusal.refusalReasonCode === undefined ? undefined : refusalReasons[refusal.refusalReasonCode];
  if (byCode !== undefined) return byCode[1];
  const byText = refusal.refusalReason === undefined ? undefined : canonicalByText.get(refusal.refusalReason.trim().toLowerCase());
  if (byText !== undefined) return byText;
  if (refusal.resultCode === 'Error') return 'processing_error';
  if (refusal.resultCode === 'Cancelled') return 'cancelled';
  return 'generic_decline';
}
