import { isPrimaryAccountNumber, panLengthRange } from './card-number.js';

/** A card number found in text: where it is and its digits. */
export interface CardNumberInText {
  /** Index of its first digit. */
  readonly start: number;
  /** Index after its last digit. */
  readonly end: number;
  /** Its digits, separators removed. */
  readonly digits: string;
}

/** Digit groups separated by single spaces or dashes (`4242 4242-4242 4242`). */
const digitRunPattern = /(?<![0-9])[0-9]+(?:[ -][0-9]+)*(?![0-9])/g;

/** Cheap test: 13 digits, each pair separated by at most one space or dash. Text without it holds no card number. */
const possibleCardNumberPattern = /[0-9](?:[ -]?[0-9]){12}/;

/**
 * Cheap test: false when the text cannot hold a card number or track data (no 13 digits with at
 * most one space or dash between two), so the full scan can be skipped.
 */
export function mayHoldCardNumber(text: string): boolean {
  return possibleCardNumberPattern.test(text);
}

/** Runs of at least 13 digits, single spaces or dashes between groups (the runs that may hold a card number). */
const longDigitRunPattern = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,}(?![0-9])/g;

/**
 * True when some window of whole digit groups in the text (13 to 19 digits, single spaces or
 * dashes between the groups) is a valid card number (known issuer range, Luhn), with nothing set
 * apart: no UUID, digest, identifier or network transaction id exemption. False proves that the
 * text holds no card number and no EMV track-2 data (both are such windows), so the full scan,
 * whose exemptions only ever remove windows, can be skipped. Text with JSON timestamps (13-digit
 * epoch milliseconds) fails the cheap `mayHoldCardNumber` test but is cleared here in a few
 * microseconds instead of a full scan.
 */
export function holdsCardNumberWindow(text: string): boolean {
  for (const match of text.matchAll(longDigitRunPattern)) {
    if (cardNumbersInRun(match[0], match.index).length > 0) return true;
  }
  return false;
}

/** UUIDs: their dash-separated digit groups can line up into a Luhn-valid number, but are never card data. */
const uuidPattern = /(?<![0-9A-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z])/gi;

/**
 * Hexadecimal digests: 32 or more hex digits with at least one letter (MD5, SHA-1, SHA-256, as in
 * the Order State Synchronizer's `ord_<sha1>` keys). Their digit runs pass the Luhn check in a
 * brand's range now and then, but a digest is never card data.
 */
const hexDigestPattern = /(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{32,}(?![0-9A-Za-z])/g;

/** ASCII letters. */
const letterPattern = /[A-Za-z]/;

/** Digits only, no separator. */
const unbrokenDigitsPattern = /^[0-9]+$/;

/** The text with UUIDs and hex digests replaced by `_` of the same length (positions stay valid). */
function withoutIdentifiers(text: string): string {
  const withoutUuids = text.includes('-') ? text.replace(uuidPattern, (uuid) => '_'.repeat(uuid.length)) : text;
  return withoutUuids.replace(hexDigestPattern, (digest) => '_'.repeat(digest.length));
}

/**
 * Finds card numbers in one run of digit groups. A run can glue a card number to neighbouring
 * numbers (`order 1001 4242 4242 4242 4242`), so every contiguous window of groups holding 13 to
 * 19 digits is checked, not just the whole run.
 */
function cardNumbersInRun(run: string, offset: number): CardNumberInText[] {
  const groups: { start: number; digits: string }[] = [];
  for (const match of run.matchAll(/[0-9]+/g)) groups.push({ start: match.index, digits: match[0] });
  const found: CardNumberInText[] = [];
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

/**
 * Finds card numbers (primary account numbers) in text: 13 to 19 digits, optionally grouped with
 * single spaces or dashes, in a known issuer range, passing the Luhn check.
 *
 * Digit runs that belong to an identifier are not card numbers:
 * - inside a UUID, or inside a hexadecimal digest of 32 or more hex digits (`ord_3f9a41234567890123456…`);
 * - an unbroken run (no space or dash inside) glued to a letter on its left: it continues an
 *   identifier that began before it (`pi_3PqWZ2…`, `MCC0123456789012`, `cus4242424242424242`).
 *   A grouped number stays checked (`x4242 4242 4242 4242` is a card number).
 *
 * A run that starts a token is still checked even when letters follow it directly:
 * `4242424242424242abc` and `pan=4242424242424242` are card numbers (card data is written first
 * in a field, and EMV track-2 data glues the number to a `D` separator). Card numbers in free text,
 * with spaces or dashes, in JSON strings and numbers, after `pan=` or `card:` are all found.
 */
export function findCardNumbersInText(text: string): CardNumberInText[] {
  if (!possibleCardNumberPattern.test(text) || !holdsCardNumberWindow(text)) return [];
  const scannable = withoutIdentifiers(text);
  const found: CardNumberInText[] = [];
  for (const match of scannable.matchAll(digitRunPattern)) {
    if (match[0].length < panLengthRange.minimum) continue;
    const continuesIdentifier = match.index > 0 && letterPattern.test(scannable.charAt(match.index - 1)) && unbrokenDigitsPattern.test(match[0]);
    if (continuesIdentifier) continue;
    found.push(...cardNumbersInRun(match[0], match.index));
  }
  return found;
}
