import { currencyExponent, isCurrencyCode } from '@paymigrate/core';

/**
 * Shopify's `Decimal` output for an amount in minor units: the shortest decimal with at least one
 * fraction digit, the way the Admin API prints money (`"50.0"`, `"12.34"`, `"12.5"`, `"1000.0"` JPY).
 */
export function formatShopifyDecimal(minorUnits: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const negative = minorUnits < 0n;
  const digits = (negative ? -minorUnits : minorUnits).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = (exponent === 0 ? '' : digits.slice(-exponent)).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** Why a `Money` input was refused. */
export type ShopifyMoneyInputProblem = 'invalid' | 'too-precise';

/**
 * Parses a `Money` scalar input (`"12.34"`, `12.34`, `"1000"`) into minor units of `currency`.
 * Answers a problem instead of throwing: the fake turns it into a `userErrors` entry.
 */
export function parseShopifyMoneyInput(value: unknown, currency: string): bigint | ShopifyMoneyInputProblem {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !isCurrencyCode(currency)) return 'invalid';
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (match === null) return 'invalid';
  const [, sign = '', whole = '', fraction = ''] = match;
  const exponent = currencyExponent(currency);
  if (/[1-9]/.test(fraction.slice(exponent))) return 'too-precise';
  const magnitude = BigInt(whole + fraction.slice(0, exponent).padEnd(exponent, '0'));
  return sign === '-' ? -magnitude : magnitude;
}

/** A `MoneyV2` object. */
export interface ShopifyMoneyV2 {
  readonly amount: string;
  readonly currencyCode: string;
}

/** A `MoneyBag`: the fake's shops are single-currency, so shop and presentment money are equal. */
export interface ShopifyMoneyBag {
  readonly shopMoney: ShopifyMoneyV2;
  readonly presentmentMoney: ShopifyMoneyV2;
}

/** Builds a `MoneyBag` for an amount in minor units. */
export function shopifyMoneyBag(minorUnits: bigint, currency: string): ShopifyMoneyBag {
  const money = { amount: formatShopifyDecimal(minorUnits, currency), currencyCode: currency };
  return { shopMoney: money, presentmentMoney: money };
}

/** Shopify's `DateTime` output: ISO 8601 in UTC, whole seconds (`2025-01-15T10:20:30Z`). */
export function formatShopifyDateTime(epochMilliseconds: number): string {
  return new Date(truncateToSecond(epochMilliseconds)).toISOString().replace('.000Z', 'Z');
}

/** The time Shopify shows for `epochMilliseconds`: its `DateTime` values have a resolution of one second. */
export function truncateToSecond(epochMilliseconds: number): number {
  return Math.floor(epochMilliseconds / 1000) * 1000;
}
