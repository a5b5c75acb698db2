import type { CardBrand } from '../ports/shared/v1/card.js';
import { brandOfCardNumber, isPrimaryAccountNumber, maskCardNumber } from './card-number.js';
import { type CardNumberInText, findCardNumbersInText, holdsCardNumberWindow, mayHoldCardNumber } from './card-numbers-in-text.js';
import { blankNetworkTransactionIds, isNetworkTransactionIdKey, isNetworkTransactionIdValue } from './network-transaction-id.js';

/** What kind of cardholder data was found. */
/** `too-deep-to-scan`: a value nested deeper than the scanner walks; refused rather than trusted. */
export type SensitiveDataKind = 'primary-account-number' | 'card-security-code' | 'track-data' | 'too-deep-to-scan';

/** One piece of cardholder data found in a value. Carries no card data itself. */
export interface SensitiveDataFinding {
  /** What was found. */
  readonly kind: SensitiveDataKind;
  /** Where: a JSON-path-like location (`$.payload.note`, `$[3]`). */
  readonly path: string;
  /** Card brand, for a card number. */
  readonly brand?: CardBrand | undefined;
  /** A display-safe form: at most the first six and last four digits of a card number. */
  readonly masked: string;
}

/** Track 1 (`%B<pan>^NAME^YYMM...`) and track 2 (`;<pan>=YYMM...`) magnetic-stripe data. */
const trackOnePattern = /%?B[0-9]{13,19}\^[^^\n]{2,26}\^[0-9]{4,}/g;
const trackTwoPattern = /;?[0-9]{13,19}=[0-9]{4,}\??/g;
/**
 * EMV "track 2 equivalent data" (tag 57) as hex text: the card number, a `D` separator, expiry and
 * service code (`4761739001010010D2212201…`). Only counted when the number is a card number:
 * hex digests hold such shapes by chance.
 */
const emvTrackTwoPattern = /(?<![0-9A-Za-z])([0-9]{13,19})[Dd][0-9]{7,}[Ff]?/g;
/** A security code written next to its label in free text: `cvv: 123`, `"cvc":"1234"`. */
const securityCodeInTextPattern = /\b(cvv2?|cvc2?|cid|csc|security[ _-]?code|card[ _-]?verification(?:[ _-]?value)?)\b("?\s*[:=]\s*"?)([0-9]{3,4})\b/gi;
/** Object keys whose value is a card security code. */
const securityCodeKeyPattern = /^(cvv2?|cvc2?|cid|csc|securitycode|security_code|cardverificationvalue|card_verification_value|cvn)$/i;

/**
 * Three digits, at most one space or dash between them: every kind of cardholder data the scanner
 * finds holds this, so text without it (digit-free base64 ciphertext, keyed hashes, most names and
 * ids) is cleared with one cheap test.
 */
const possiblySensitivePattern = /[0-9](?:[ -]?[0-9]){2}/;
/** Thirteen digits in a row: track data holds them. */
const possibleTrackDataPattern = /[0-9]{13}/;
/** Cheap test for a security-code label: text without one holds no labelled security code. */
const possibleSecurityCodeLabelPattern = /cvv|cvc|cid|csc|security|verification/i;

/** A piece of track data in text and the card number it carries. */
interface TrackDataInText {
  readonly start: number;
  readonly end: number;
  readonly digits: string;
}

/** Magnetic-stripe and EMV track data in text. */
function findTrackData(text: string): TrackDataInText[] {
  if (!possibleTrackDataPattern.test(text)) return [];
  const found: TrackDataInText[] = [];
  for (const pattern of [trackOnePattern, trackTwoPattern]) {
    for (const match of text.matchAll(pattern)) {
      const digits = (match[0].match(/[0-9]{13,19}/) as RegExpMatchArray)[0];
      found.push({ start: match.index, end: match.index + match[0].length, digits });
    }
  }
  for (const match of text.matchAll(emvTrackTwoPattern)) {
    const digits = match[1] as string;
    if (isPrimaryAccountNumber(digits)) found.push({ start: match.index, end: match.index + match[0].length, digits });
  }
  return found;
}

/** The text with the given spans replaced by `_` (same length). */
function blankSpans(text: string, spans: readonly { readonly start: number; readonly end: number }[]): string {
  let blanked = text;
  for (const span of spans) blanked = `${blanked.slice(0, span.start)}${'_'.repeat(span.end - span.start)}${blanked.slice(span.end)}`;
  return blanked;
}

/** Track data and card numbers of a text, on the text with network transaction ids blanked out. */
function findCardData(text: string): { readonly trackData: TrackDataInText[]; readonly cardNumbers: CardNumberInText[] } {
  if (!mayHoldCardNumber(text)) return { trackData: [], cardNumbers: [] };
  // Track data in the first two formats needs a `^` or `=` separator; card numbers and EMV track-2
  // data are windows of digit groups that pass the card number check (`holdsCardNumberWindow`).
  if (!text.includes('^') && !text.includes('=') && !holdsCardNumberWindow(text)) return { trackData: [], cardNumbers: [] };
  const scannable = blankNetworkTransactionIds(text);
  const trackData = findTrackData(scannable);
  const cardNumbers = findCardNumbersInText(trackData.length === 0 ? scannable : blankSpans(scannable, trackData));
  return { trackData, cardNumbers };
}

/**
 * Finds card numbers, track data and labelled security codes in a string. Card numbers follow
 * `findCardNumbersInText` (digit runs of UUIDs, hex digests and identifiers are not card numbers);
 * network transaction ids written next to their name (`"networkTransactionId":"…"`,
 * `network_transaction_id=…`) are not card numbers either (see `network-transaction-id.ts`).
 */
export function findSensitiveDataInText(text: string, path = '$'): SensitiveDataFinding[] {
  if (!possiblySensitivePattern.test(text)) return [];
  const findings: SensitiveDataFinding[] = [];
  const { trackData, cardNumbers } = findCardData(text);
  for (const track of trackData) findings.push({ kind: 'track-data', path, masked: `[track data ${maskCardNumber(track.digits)}]` });
  for (const cardNumber of cardNumbers) {
    findings.push({ kind: 'primary-account-number', path, brand: brandOfCardNumber(cardNumber.digits), masked: maskCardNumber(cardNumber.digits) });
  }
  if (!possibleSecurityCodeLabelPattern.test(text)) return findings;
  for (const match of text.matchAll(securityCodeInTextPattern)) {
    findings.push({ kind: 'card-security-code', path, masked: `${match[1]}: ***` });
  }
  return findings;
}

/** Options of the structured scanners. */
export interface SensitiveDataScanOptions {
  /** Path prefix of the value. @default '$' */
  readonly path?: string | undefined;
  /** How deep to walk nested objects; deeper values are reported as unscannable. @default 32 */
  readonly maximumDepth?: number | undefined;
}

function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Walks any value (strings, numbers, arrays, plain objects, Maps, Sets, errors; keys included) and
 * reports every piece of cardholder data found. A string that holds JSON is scanned as text, which
 * finds card numbers inside it too. Values nested deeper than `maximumDepth` are reported as a
 * finding so that nothing is waved through unscanned.
 */
export function findSensitiveData(value: unknown, options: SensitiveDataScanOptions = {}): SensitiveDataFinding[] {
  const findings: SensitiveDataFinding[] = [];
  const maximumDepth = options.maximumDepth ?? 32;
  const seen = new Set<object>();
  const visit = (current: unknown, path: string, depth: number, key: string | undefined, parentKey: string | undefined): void => {
    if (typeof current === 'string' || typeof current === 'number' || typeof current === 'bigint') {
      const text = current.toString();
      if (isNetworkTransactionIdKey(key, parentKey) && isNetworkTransactionIdValue(text)) return;
      findings.push(...findSensitiveDataInText(text, path));
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^\s*[0-9]{3,4}\s*$/.test(text)) {
        findings.push({ kind: 'card-security-code', path, masked: '***' });
      }
      return;
    }
    if (typeof current !== 'object' || current === null || seen.has(current)) return;
    if (depth >= maximumDepth) {
      findings.push({ kind: 'too-deep-to-scan', path, masked: '[not scanned]' });
      return;
    }
    seen.add(current);
    if (current instanceof Error) {
      visit(current.message, childPath(path, 'message'), depth + 1, 'message', key);
      visit(current.cause, childPath(path, 'cause'), depth + 1, 'cause', key);
    }
    const entries: [string | number, unknown][] =
      current instanceof Map
        ? [...current.entries()].map(([entryKey, entryValue]) => [String(entryKey), entryValue])
        : current instanceof Set
          ? [...current.values()].map((entryValue, index) => [index, entryValue])
          : Array.isArray(current)
            ? current.map((entryValue, index) => [index, entryValue])
            : Object.entries(current);
    // Members of a list stand under the list's name: `networkTransactionIds: ['…']`.
    const listKey = Array.isArray(current) || current instanceof Set ? key : undefined;
    for (const [entryKey, entryValue] of entries) {
      const path2 = childPath(path, entryKey);
      if (typeof entryKey === 'string') findings.push(...findSensitiveDataInText(entryKey, `${path2} (key)`));
      visit(entryValue, path2, depth + 1, typeof entryKey === 'string' ? entryKey : listKey, typeof entryKey === 'string' ? key : parentKey);
    }
  };
  visit(value, options.path ?? '$', 0, undefined, undefined);
  return findings;
}

/**
 * Rewrites a string so it holds no cardholder data: card numbers become their masked form (first
 * six, last four), track data and labelled security codes are replaced. Text without card data is
 * returned unchanged (same string).
 */
export function redactSensitiveText(text: string): string {
  if (!possiblySensitivePattern.test(text)) return text;
  const { trackData, cardNumbers } = findCardData(text);
  const replacements: { start: number; end: number; text: string }[] = [];
  // Track data spans can overlap (one stripe format inside another): merged, replaced once.
  for (const track of [...trackData].sort((left, right) => left.start - right.start)) {
    const previous = replacements.at(-1);
    if (previous !== undefined && track.start < previous.end) previous.end = Math.max(previous.end, track.end);
    else replacements.push({ start: track.start, end: track.end, text: '[track data redacted]' });
  }
  for (const cardNumber of cardNumbers) replacements.push({ start: cardNumber.start, end: cardNumber.end, text: maskCardNumber(cardNumber.digits) });
  replacements.sort((left, right) => right.start - left.start);
  let redacted = text;
  for (const replacement of replacements) redacted = `${redacted.slice(0, replacement.start)}${replacement.text}${redacted.slice(replacement.end)}`;
  if (!possibleSecurityCodeLabelPattern.test(redacted)) return redacted;
  return redacted.replaceAll(securityCodeInTextPattern, (_match, label: string, separator: string) => `${label}${separator}***`);
}

/**
 * A copy of any JSON-like value with every string redacted (see `redactSensitiveText`), security
 * code fields replaced by `***`, and card numbers held in numbers replaced by their masked string.
 * Values without card data come back as they were.
 */
export function redactSensitiveData<Value>(value: Value): Value {
  const seen = new WeakMap<object, unknown>();
  const redact = (current: unknown, key: string | undefined, parentKey: string | undefined): unknown => {
    if (typeof current === 'string') {
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^\s*[0-9]{3,4}\s*$/.test(current)) return '***';
      if (isNetworkTransactionIdKey(key, parentKey) && isNetworkTransactionIdValue(current)) return current;
      return redactSensitiveText(current);
    }
    if (typeof current === 'number' || typeof current === 'bigint') {
      const text = current.toString();
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^[0-9]{3,4}$/.test(text)) return '***';
      if (isNetworkTransactionIdKey(key, parentKey) && isNetworkTransactionIdValue(text)) return current;
      return isPrimaryAccountNumber(text) ? maskCardNumber(text) : current;
    }
    if (typeof current !== 'object' || current === null) return current;
    if (seen.has(current)) return seen.get(current);
    if (current instanceof Error) {
      const copy = new Error(redactSensitiveText(current.message));
      copy.name = current.name;
      seen.set(current, copy);
      return copy;
    }
    if (Array.isArray(current)) {
      const copy: unknown[] = [];
      seen.set(current, copy);
      for (const entry of current) copy.push(redact(entry, key, parentKey));
      return copy;
    }
    if (Object.getPrototypeOf(current) !== Object.prototype && Object.getPrototypeOf(current) !== null) return current;
    const copy: Record<string, unknown> = {};
    seen.set(current, copy);
    for (const [entryKey, entryValue] of Object.entries(current)) copy[redactSensitiveText(entryKey)] = redact(entryValue, entryKey, key);
    return copy;
  };
  return redact(value, undefined, undefined) as Value;
}
