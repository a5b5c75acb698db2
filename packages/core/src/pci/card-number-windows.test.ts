import { createSeededRandom } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { isPrimaryAccountNumber } from './card-number.js';
import { findCardNumbersInText, holdsCardNumberWindow } from './card-numbers-in-text.js';
import { findSensitiveDataInText } from './sensitive-data-scanner.js';

/** Whole digit groups with single spaces or dashes between them. */
const groupedDigits = /^[0-9]+(?:[ -][0-9]+)*$/;

/**
 * The definition `holdsCardNumberWindow` must meet, by brute force over every substring: a
 * substring made of whole digit groups (no digit right before or after it), 13 to 19 digits in
 * all, that passes the card number check.
 */
function hasCardNumberWindowByBruteForce(text: string): boolean {
  for (let start = 0; start < text.length; start += 1) {
    if (start > 0 && /[0-9]/.test(text.charAt(start - 1))) continue;
    for (let end = start + 13; end <= text.length; end += 1) {
      if (end < text.length && /[0-9]/.test(text.charAt(end))) continue;
      const candidate = text.slice(start, end);
      if (!groupedDigits.test(candidate)) continue;
      const digits = candidate.replace(/[ -]/g, '');
      if (digits.length <= 19 && isPrimaryAccountNumber(digits)) return true;
    }
  }
  return false;
}

const testCards = ['4242424242424242', '5555555555554444', '378282246310005', '6011111111111117', '4000056655665556', '3056930009020004', '4222222222222'];
const pieces = [' ', '-', '  ', '_', '"', ':', ',', '=', '^', 'D', 'x', 'pi_', '{"at":', '}', 'cus', '12345678-1234-4716-4716-446655440008', '42855269110869c218727d0d8850747e40833970', '"networkTransactionId":"'];

/** Text built from digit groups, test cards (whole, grouped, glued), separators, identifiers and JSON. */
function generatedText(next: () => number): string {
  let text = '';
  const parts = 1 + Math.floor(next() * 12);
  for (let part = 0; part < parts; part += 1) {
    const choice = next();
    if (choice < 0.35) {
      text += String(Math.floor(next() * 10 ** (1 + Math.floor(next() * 9)))).padStart(1 + Math.floor(next() * 8), '0');
    } else if (choice < 0.5) {
      const card = testCards[Math.floor(next() * testCards.length)] as string;
      const separator = next() < 0.5 ? '' : next() < 0.5 ? ' ' : '-';
      text += separator === '' ? card : (card.match(/.{1,4}/g) as string[]).join(separator);
    } else if (choice < 0.6) {
      text += String(1_764_000_000_000 + Math.floor(next() * 1e9));
    } else {
      text += pieces[Math.floor(next() * pieces.length)];
    }
  }
  return text;
}

describe('holdsCardNumberWindow: the shortcut that clears text before the full card scan', () => {
  test('agrees with a brute-force search over every substring, on 5,000 generated texts (seed 2026)', () => {
    const next = createSeededRandom(2026).next;
    let withWindow = 0;
    for (let count = 0; count < 5_000; count += 1) {
      const text = generatedText(next);
      const expected = hasCardNumberWindowByBruteForce(text);
      expect({ text, holds: holdsCardNumberWindow(text) }).toEqual({ text, holds: expected });
      if (expected) withWindow += 1;
    }
    // Both answers are well represented.
    expect(withWindow).toBeGreaterThan(1_000);
    expect(withWindow).toBeLessThan(4_000);
  });

  test('every card number and EMV track found lies in a window it reports (the full scan only removes windows)', () => {
    const next = createSeededRandom(7).next;
    for (let count = 0; count < 5_000; count += 1) {
      const text = generatedText(next);
      const found = findSensitiveDataInText(text).filter((finding) => finding.kind !== 'card-security-code');
      if (found.length > 0 && !text.includes('=') && !text.includes('^')) expect({ text, holds: holdsCardNumberWindow(text) }).toEqual({ text, holds: true });
      for (const card of findCardNumbersInText(text)) expect(holdsCardNumberWindow(text.slice(card.start, card.end))).toBe(true);
    }
  });

  test('JSON records with epoch-millisecond timestamps and identifiers hold no window; a card number among them does', () => {
    const record = JSON.stringify({ paymentId: 'pay_3f0e9c1a-77b2-4c55-9a11-2b8c6f1d2e90', providerReference: 'pi_3PqWzL2eZvKYlo2C1x8HkQ9b', createdAt: 1_764_240_000_123, updatedAt: 1_764_240_001_456, amount: { minor: 123_456, currency: 'USD' } });
    expect(holdsCardNumberWindow(record)).toBe(false);
    expect(findSensitiveDataInText(record)).toEqual([]);
    const leaked = record.replace('"USD"', '"USD","note":"card 4242 4242 4242 4242"');
    expect(holdsCardNumberWindow(leaked)).toBe(true);
    expect(findSensitiveDataInText(leaked)).toMatchObject([{ kind: 'primary-account-number', masked: '424242******4242' }]);
  });
});
