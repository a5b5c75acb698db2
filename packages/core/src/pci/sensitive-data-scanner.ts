import type { CardBrand } from '../ports/shared/v1/card.js';
import { brandOfCardNumber, isPrimaryAccountNumber, maskCardNumber, panLengthRange } from './card-number.js';

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

/** Digit runs of 12+ digits where single spaces or dashes may separate groups. */
const digitRunPattern = /(?<![0-9])[0-9]+(?:[ -][0-9]+)*(?![0-9])/g;
/** Track 1 (`%B<pan>^NAME^YYMM...`) and track 2 (`;<pan>=YYMM...`) magnetic-stripe data. */
const trackOnePattern = /%?B[0-9]{13,19}\^[^^\n]{2,26}\^[0-9]{4,}/g;
const trackTwoPattern = /;?[0-9]{13,19}=[0-9]{4,}\??/g;
/** A security code written next to its label in free text: `cvv: 123`, `"cvc":"1234"`. */
const securityCodeInTextPattern = /\b(cvv2?|cvc2?|cid|csc|security[ _-]?code|card[ _-]?verification(?:[ _-]?value)?)\b("?\s*[:=]\s*"?)([0-9]{3,4})\b/gi;
/** Object keys whose value is a card security code. */
const securityCodeKeyPattern = /^(cvv2?|cvc2?|cid|csc|securitycode|security_code|cardverificationvalue|card_verification_value|cvn)$/i;

interface DigitRunMatch {
  readonly start: number;
  readonly end: number;
  readonly digits: string;
}

/**
 * Finds card numbers in a run of digit groups. A run can glue a card number to neighbouring
 * numbers (`order 1001 4242 4242 4242 4242`), so every contiguous window of groups holding 13 to
 * 19 digits is checked, not just the whole run.
 */
function cardNumbersInRun(run: string, offset: number): DigitRunMatch[] {
  const groups: { start: number; digits: string }[] = [];
  for (const match of run.matchAll(/[0-9]+/g)) groups.push({ start: match.index, digits: match[0] });
  const found: DigitRunMatch[] = [];
  let first = 0;
  while (first < groups.length) {
    let digits = '';
    let matchedLast = -1;
    let matchedDigits = '';
    for (let last = first; last < groups.length; last += 1) {
      digits += (groups[last] as { digits: string }).digits;
      if (digits.length > panLengthRange.maximum) break;
      if (digits.length >= panLengthRange.minimum && isPrimaryAccountNumber(digits)) {
        matchedLast = last;
        matchedDigits = digits;
      }
    }
    if (matchedLast >= 0) {
      const lastGroup = groups[matchedLast] as { start: number; digits: string };
      found.push({ start: offset + (groups[first] as { start: number }).start, end: offset + lastGroup.start + lastGroup.digits.length, digits: matchedDigits });
      first = matchedLast + 1;
    } else {
      first += 1;
    }
  }
  return found;
}

/** UUIDs: their dash-separated digit groups can line up into a Luhn-valid number, but are never card data. */
const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

function findCardNumbers(text: string): DigitRunMatch[] {
  const found: DigitRunMatch[] = [];
  // Blank out UUIDs (same length, so positions stay valid) before looking for digit runs.
  const scannable = text.replaceAll(uuidPattern, (uuid) => 'u'.repeat(uuid.length));
  for (const match of scannable.matchAll(digitRunPattern)) {
    if (match[0].length < panLengthRange.minimum) continue;
    found.push(...cardNumbersInRun(match[0], match.index));
  }
  return found;
}

/** Finds card numbers, track data and labelled security codes in a string. */
export function findSensitiveDataInText(text: string, path = '$'): SensitiveDataFinding[] {
  const findings: SensitiveDataFinding[] = [];
  for (const pattern of [trackOnePattern, trackTwoPattern]) {
    for (const match of text.matchAll(pattern)) {
      const digits = (match[0].match(/[0-9]{13,19}/) as RegExpMatchArray)[0];
      findings.push({ kind: 'track-data', path, masked: `[track data ${maskCardNumber(digits)}]` });
    }
  }
  for (const cardNumber of findCardNumbers(text)) {
    findings.push({ kind: 'primary-account-number', path, brand: brandOfCardNumber(cardNumber.digits), masked: maskCardNumber(cardNumber.digits) });
  }
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
  const visit = (current: unknown, path: string, depth: number, key: string | undefined): void => {
    if (typeof current === 'string') {
      findings.push(...findSensitiveDataInText(current, path));
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^\s*[0-9]{3,4}\s*$/.test(current)) {
        findings.push({ kind: 'card-security-code', path, masked: '***' });
      }
      return;
    }
    if (typeof current === 'number' || typeof current === 'bigint') {
      const text = current.toString();
      findings.push(...findSensitiveDataInText(text, path));
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^[0-9]{3,4}$/.test(text)) {
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
      visit(current.message, childPath(path, 'message'), depth + 1, 'message');
      visit(current.cause, childPath(path, 'cause'), depth + 1, 'cause');
    }
    const entries: [string | number, unknown][] =
      current instanceof Map
        ? [...current.entries()].map(([entryKey, entryValue]) => [String(entryKey), entryValue])
        : current instanceof Set
          ? [...current.values()].map((entryValue, index) => [index, entryValue])
          : Array.isArray(current)
            ? current.map((entryValue, index) => [index, entryValue])
            : Object.entries(current);
    for (const [entryKey, entryValue] of entries) {
      const path2 = childPath(path, entryKey);
      if (typeof entryKey === 'string') findings.push(...findSensitiveDataInText(entryKey, `${path2} (key)`));
      visit(entryValue, path2, depth + 1, typeof entryKey === 'string' ? entryKey : undefined);
    }
  };
  visit(value, options.path ?? '$', 0, undefined);
  return findings;
}

/**
 * Rewrites a string so it holds no cardholder data: card numbers become their masked form (first
 * six, last four), track data and labelled security codes are replaced. Text without card data is
 * returned unchanged (same string).
 */
export function redactSensitiveText(text: string): string {
  if (!/[0-9]{3}/.test(text)) return text;
  let redacted = text.replaceAll(trackOnePattern, '[track data redacted]').replaceAll(trackTwoPattern, '[track data redacted]');
  const cardNumbers = findCardNumbers(redacted);
  for (let index = cardNumbers.length - 1; index >= 0; index -= 1) {
    const cardNumber = cardNumbers[index] as DigitRunMatch;
    redacted = `${redacted.slice(0, cardNumber.start)}${maskCardNumber(cardNumber.digits)}${redacted.slice(cardNumber.end)}`;
  }
  return redacted.replaceAll(securityCodeInTextPattern, (_match, label: string, separator: string) => `${label}${separator}***`);
}

/**
 * A copy of any JSON-like value with every string redacted (see `redactSensitiveText`), security
 * code fields replaced by `***`, and card numbers held in numbers replaced by their masked string.
 * Values without card data come back as they were.
 */
export function redactSensitiveData<Value>(value: Value): Value {
  const seen = new WeakMap<object, unknown>();
  const redact = (current: unknown, key: string | undefined): unknown => {
    if (typeof current === 'string') {
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^\s*[0-9]{3,4}\s*$/.test(current)) return '***';
      return redactSensitiveText(current);
    }
    if (typeof current === 'number' || typeof current === 'bigint') {
      const text = current.toString();
      if (key !== undefined && securityCodeKeyPattern.test(key) && /^[0-9]{3,4}$/.test(text)) return '***';
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
      for (const entry of current) copy.push(redact(entry, undefined));
      return copy;
    }
    if (Object.getPrototypeOf(current) !== Object.prototype && Object.getPrototypeOf(current) !== null) return current;
    const copy: Record<string, unknown> = {};
    seen.set(current, copy);
    for (const [entryKey, entryValue] of Object.entries(current)) copy[redactSensitiveText(entryKey)] = redact(entryValue, entryKey);
    return copy;
  };
  return redact(value, undefined) as Value;
}
