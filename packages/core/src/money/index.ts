export { currency, currencyExponent, isCurrencyCode, type Currency } from './currency.js';
export { Money, type MoneyJson } from './money.js';
