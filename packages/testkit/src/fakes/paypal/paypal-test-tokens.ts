/** Card networks as PayPal spells them (`card_brand` in PayPal's specs). */
export type PayPalCardBrandName =
  | 'VISA'
  | 'MASTERCARD'
  | 'DISCOVER'
  | 'AMEX'
  | 'SOLO'
  | 'JCB'
  | 'STAR'
  | 'DELTA'
  | 'SWITCH'
  | 'MAESTRO'
  | 'CB_NATIONALE'
  | 'CONFIGOGA'
  | 'CONFIDIS'
  | 'ELECTRON'
  | 'CETELEM'
  | 'CHINA_UNION_PAY';

/** What PayPal does when a test payment token is charged. */
export type PayPalTestTokenOutcome =
  /** The issuer approves: the authorization is `CREATED` (or the capture `COMPLETED`). */
  | { readonly kind: 'approve' }
  /**
   * The issuer declines after PayPal created the order: `201` with order `COMPLETED` but the
   * authorization `DENIED` (or the capture `DECLINED`), with this processor response code. This is
   * the "completed order hiding a declined payment" case.
   */
  | { readonly kind: 'deny'; readonly processorResponseCode: string }
  /** PayPal refuses the request outright: `422 UNPROCESSABLE_ENTITY` with this issue, no order. */
  | { readonly kind: 'reject'; readonly issue: string; readonly description: string }
  /** 3-D Secure is required: the order answers `PAYER_ACTION_REQUIRED` with a `payer-action` link. */
  | { readonly kind: 'payer-action' };

/** A vaulted test card the fake knows (a PayPal Vault v3 payment token). Never a card number. */
export interface PayPalTestPaymentToken {
  /** The vault id to pass as `payment_source.card.vault_id` (the adapter's `paymentMethodToken`). */
  readonly vaultId: string;
  /** What the token is for, in words. */
  readonly description: string;
  /** What PayPal reports about the card. */
  readonly card: {
    /** Network, PayPal spelling. */
    readonly brand: PayPalCardBrandName;
    /** Last four digits. */
    readonly lastDigits: string;
    /** `YYYY-MM`. */
    readonly expiry: string;
    /** Funding type. */
    readonly type: 'CREDIT' | 'DEBIT' | 'PREPAID' | 'UNKNOWN';
  };
  /** What a charge does. */
  readonly outcome: PayPalTestTokenOutcome;
}

/**
 * The test payment tokens of the PayPal fake: vault ids that exist at the fake from the start,
 * each with a card summary and a behaviour, like PayPal's sandbox test cards once vaulted. Merchant
 * initiated charges (`stored_credential.payment_initiator: MERCHANT`) skip 3-D Secure, so
 * `threeDSecure` approves them.
 *
 * Brands the fake's merchant does not accept (JCB by default, see `acceptedBrands`) are refused
 * with `422 CARD_BRAND_NOT_SUPPORTED` whatever the outcome below: `jcb` is that case.
 */
export const payPalTestPaymentTokens = {
  visa: {
    vaultId: 'test-visa-approved',
    description: 'Visa credit card, approved.',
    card: { brand: 'VISA', lastDigits: '1111', expiry: '2031-12', type: 'CREDIT' },
    outcome: { kind: 'approve' },
  },
  mastercard: {
    vaultId: 'test-mastercard-approved',
    description: 'Mastercard credit card, approved.',
    card: { brand: 'MASTERCARD', lastDigits: '4444', expiry: '2030-11', type: 'CREDIT' },
    outcome: { kind: 'approve' },
  },
  amex: {
    vaultId: 'test-amex-approved',
    description: 'American Express card, approved.',
    card: { brand: 'AMEX', lastDigits: '8431', expiry: '2032-10', type: 'CREDIT' },
    outcome: { kind: 'approve' },
  },
  insufficientFunds: {
    vaultId: 'test-visa-insufficient-funds',
    description: 'Declined by the issuer for insufficient funds (processor response 5120): order COMPLETED, authorization DENIED.',
    card: { brand: 'VISA', lastDigits: '9995', expiry: '2031-12', type: 'DEBIT' },
    outcome: { kind: 'deny', processorResponseCode: '5120' },
  },
  doNotHonor: {
    vaultId: 'test-visa-do-not-honor',
    description: 'Declined by the issuer with "do not honor" (processor response 0500): order COMPLETED, authorization DENIED.',
    card: { brand: 'VISA', lastDigits: '0002', expiry: '2031-12', type: 'CREDIT' },
    outcome: { kind: 'deny', processorResponseCode: '0500' },
  },
  expiredCard: {
    vaultId: 'test-visa-expired-card',
    description: 'Declined because the card expired (processor response 5400).',
    card: { brand: 'VISA', lastDigits: '0069', expiry: '2020-01', type: 'CREDIT' },
    outcome: { kind: 'deny', processorResponseCode: '5400' },
  },
  declinedByProcessor: {
    vaultId: 'test-mastercard-processor-declined',
    description: 'Refused by the processor before PayPal created an order: 422 PAYMENT_SOURCE_DECLINED_BY_PROCESSOR.',
    card: { brand: 'MASTERCARD', lastDigits: '0010', expiry: '2030-06', type: 'CREDIT' },
    outcome: {
      kind: 'reject',
      issue: 'PAYMENT_SOURCE_DECLINED_BY_PROCESSOR',
      description: 'The provided payment source is declined by the processor. Please try again with a different payment source by creating a new order.',
    },
  },
  instrumentDeclined: {
    vaultId: 'test-visa-instrument-declined',
    description: 'Refused: 422 INSTRUMENT_DECLINED (the funding instrument cannot be used).',
    card: { brand: 'VISA', lastDigits: '0036', expiry: '2031-05', type: 'CREDIT' },
    outcome: {
      kind: 'reject',
      issue: 'INSTRUMENT_DECLINED',
      description: 'The instrument presented  was either declined by the processor or bank, or it can\'t be used for this payment.',
    },
  },
  threeDSecure: {
    vaultId: 'test-visa-3ds-required',
    description: 'Needs 3-D Secure: order PAYER_ACTION_REQUIRED with a payer-action link; finish with fake.completePayerAction(orderId).',
    card: { brand: 'VISA', lastDigits: '3220', expiry: '2031-12', type: 'CREDIT' },
    outcome: { kind: 'payer-action' },
  },
  jcb: {
    vaultId: 'test-jcb-unsupported',
    description: 'A JCB card: refused with 422 CARD_BRAND_NOT_SUPPORTED unless JCB is in the fake\'s acceptedBrands.',
    card: { brand: 'JCB', lastDigits: '0505', expiry: '2031-12', type: 'CREDIT' },
    outcome: { kind: 'approve' },
  },
} as const satisfies Readonly<Record<string, PayPalTestPaymentToken>>;

/** The name of one of {@link payPalTestPaymentTokens}. */
export type PayPalTestPaymentTokenName = keyof typeof payPalTestPaymentTokens;
