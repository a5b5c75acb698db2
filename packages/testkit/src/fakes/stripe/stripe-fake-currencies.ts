/**
 * Stripe's own currency rules, as the fake enforces them on the wire (lower-case codes, amounts in
 * Stripe's units). Written from Stripe's "Supported currencies" page; the adapter keeps its own copy
 * so that a mistake in one is caught by the other.
 */

/** Presentment currencies Stripe accepts for card payments (lower case). */
export const stripeFakeCurrencies: ReadonlySet<string> = new Set(
  (
    'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf chf clp cny cop crc cve czk ' +
    'djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd ' +
    'kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ' +
    'ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw'
  ).split(' '),
);

/** Currencies whose Stripe amount has no decimals. */
export const stripeFakeZeroDecimalCurrencies: ReadonlySet<string> = new Set(
  'bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '),
);

/** Zero-decimal currencies Stripe still takes as two-decimal amounts ending in `00`. */
export const stripeFakeTwoDecimalRepresentedCurrencies: ReadonlySet<string> = new Set(['isk', 'ugx']);

/** Three-decimal currencies: amounts must end in 0. */
export const stripeFakeThreeDecimalCurrencies: ReadonlySet<string> = new Set('bhd jod kwd omr tnd'.split(' '));

/** Minimum charge amounts in Stripe units for a few common currencies (Stripe's documented minimums). */
export const stripeFakeMinimumAmounts: Readonly<Record<string, number>> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  jpy: 50,
  cad: 50,
  aud: 50,
  chf: 50,
};

/** The largest amount Stripe takes in one charge (eight digits). */
export const stripeFakeMaximumAmount = 99_999_999;

/** Why an amount is refused for a currency, or `undefined` when Stripe takes it. */
export function stripeAmountProblem(amount: number, currency: string): string | undefined {
  if (stripeFakeTwoDecimalRepresentedCurrencies.has(currency) && amount % 100 !== 0) {
    return `${currency.toUpperCase()} amounts are sent with two decimals that must be 00; ${amount} is not a multiple of 100.`;
  }
  if (stripeFakeThreeDecimalCurrencies.has(currency) && amount % 10 !== 0) {
    return `${currency.toUpperCase()} amounts must end in 0 (round to the nearest ten); got ${amount}.`;
  }
  return undefined;
}

/** Digits after the decimal point of a Stripe amount in `currency`, for messages. */
export function stripeWireExponent(currency: string): number {
  if (stripeFakeTwoDecimalRepresentedCurrencies.has(currency)) return 2;
  if (stripeFakeZeroDecimalCurrencies.has(currency)) return 0;
  if (stripeFakeThreeDecimalCurrencies.has(currency)) return 3;
  return 2;
}

/** A Stripe amount written for a human, e.g. `$10.00` style as `10.00 USD`. */
export function formatStripeAmount(amount: number, currency: string): string {
  const exponent = stripeWireExponent(currency);
  const digits = String(amount).padStart(exponent + 1, '0');
  const decimal = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${decimal} ${currency.toUpperCase()}`;
}
