import { findSensitiveData } from '../pci/sensitive-data-scanner.js';
import { redactSensitiveText } from '../pci/sensitive-data-scanner.js';
import type { CardBrand, CardSummary } from '../ports/shared/v1/card.js';
import { normalizeCardBrand } from './formats/card-brand-names.js';
import type { MappingFileRow } from './formats/mapping-file-row.js';
import type { TokenMapping, TokenRejectionReason } from './token-mapping.js';

/**
 * A cheap superset test of what the PCI scanner finds: 13+ digits with optional single space or
 * dash separators (card numbers, track data) or a security-code label. Rows that fail it cannot
 * hold cardholder data, so the full scan runs only on the few that pass.
 */
const possiblySensitivePattern = /[0-9](?:[ -]?[0-9]){12}|cvv|cvc|cid|csc|cvn|security|verification/i;

/** ASCII control characters: never part of a token or a reference, and unsafe in logs. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const controlCharacterPattern = /[\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const controlCharactersPattern = /[\u0000-\u001f]/g;

/** Longest token or reference accepted from a file. */
const maximumReferenceLength = 255;

/** What the classifier needs to know besides the row. */
export interface RowClassificationContext {
  /** The provider the file's source tokens belong to. */
  readonly sourceProvider: string;
  /** The provider the tokens were imported into. */
  readonly targetProvider: string;
  /** Now, epoch milliseconds (expiry check). */
  readonly now: number;
  /** Brands the target provider accepts; others go to re-collection. `undefined`: all. */
  readonly supportedBrands: readonly CardBrand[] | undefined;
  /** Whether expired cards go to re-collection (a renewal on them fails anyway). */
  readonly recollectExpired: boolean;
  /** The merchant's customer id of a row (the locator's key). */
  readonly customerIdOf: (row: { readonly sourceCustomerReference: string; readonly targetCustomerReference: string | undefined }) => string;
}

/** A row that yields no mapping. */
export interface RejectedRow {
  /** Discriminant. */
  readonly kind: 'rejected';
  /** 1-based row. */
  readonly row: number;
  /** Why. */
  readonly reason: TokenRejectionReason;
  /** A card-data-free explanation. */
  readonly detail: string;
  /** Brand, when the row said (for the brand × reason report). */
  readonly brand: CardBrand;
  /** The source token when the row held a usable one (never set for `sensitive_data`). */
  readonly sourceToken: string | undefined;
}

/** A row that yields a vault entry: mapped, or to re-collect. */
export interface MappingRow {
  /** Discriminant. */
  readonly kind: 'mapping';
  /** 1-based row. */
  readonly row: number;
  /** The mapping to store (times are set when written). */
  readonly mapping: Omit<TokenMapping, 'createdAt' | 'updatedAt'>;
}

/** A row's classification. */
export type ClassifiedRow = RejectedRow | MappingRow;

/** Shortens and scrubs a provider's or a parser's text so it can be stored and logged. */
export function safeDetail(text: string): string {
  const redacted = redactSensitiveText(text).replaceAll(controlCharactersPattern, ' ');
  return redacted.length > 200 ? `${redacted.slice(0, 197)}...` : redacted;
}

function isUsableReference(value: string | undefined): value is string {
  return value !== undefined && value.length <= maximumReferenceLength && !controlCharacterPattern.test(value);
}

/** How many column names `clearedColumnNames` holds at most (a file has a few dozen columns). */
const maximumClearedColumnNames = 256;

/**
 * Column names that failed the cheap superset test: every row of a file has the same names, so
 * each is tested once rather than once per row. Only names that cannot hold cardholder data are
 * kept; a name that passes the test is tested (and found) again on every row.
 */
const clearedColumnNames = new Set<string>();

/** Whether a column name passes the cheap superset test (see `clearedColumnNames`). */
function possiblySensitiveName(name: string): boolean {
  if (clearedColumnNames.has(name)) return false;
  if (possiblySensitivePattern.test(name)) return true;
  if (clearedColumnNames.size >= maximumClearedColumnNames) clearedColumnNames.clear();
  clearedColumnNames.add(name);
  return false;
}

/** Whether any column name or value passes the cheap superset test (no probe string, no entry arrays). */
function possiblySensitive(fields: Readonly<Record<string, string>>): boolean {
  for (const name in fields) {
    if (possiblySensitiveName(name) || possiblySensitivePattern.test(fields[name] as string)) return true;
  }
  return false;
}

function sensitiveFindings(fields: Readonly<Record<string, string>>): string | undefined {
  if (!possiblySensitive(fields)) return undefined;
  const findings = findSensitiveData(fields);
  if (findings.length === 0) return undefined;
  const kinds = [...new Set(findings.map((finding) => finding.kind))].join(', ');
  const paths = [...new Set(findings.map((finding) => finding.path))].slice(0, 3).join(', ');
  return safeDetail(`the row holds cardholder data (${kinds} at ${paths}); it was dropped and not stored`);
}

function parseCard(row: MappingFileRow, brand: CardBrand): CardSummary | string {
  if (row.last4 === undefined || !/^[0-9]{4}$/.test(row.last4)) return 'last4 must be exactly four digits';
  const month = row.expiryMonth !== undefined && /^[0-9]{1,2}$/.test(row.expiryMonth) ? Number(row.expiryMonth) : Number.NaN;
  if (!(month >= 1 && month <= 12)) return 'exp_month must be 1-12';
  const yearText = row.expiryYear ?? '';
  const year = /^[0-9]{4}$/.test(yearText) ? Number(yearText) : /^[0-9]{2}$/.test(yearText) ? 2000 + Number(yearText) : Number.NaN;
  if (Number.isNaN(year)) return 'exp_year must have two or four digits';
  const fingerprint = isUsableReference(row.fingerprint) ? row.fingerprint : undefined;
  // Two literals rather than a spread: one object a row, and the member stays absent when unknown.
  return fingerprint === undefined ? { brand, last4: row.last4, expiryMonth: month, expiryYear: year } : { brand, last4: row.last4, expiryMonth: month, expiryYear: year, fingerprint };
}

/** A rejection of `row` (the detail scrubbed). */
function rejected(row: MappingFileRow, brand: CardBrand, reason: TokenRejectionReason, detail: string, sourceToken?: string): RejectedRow {
  return { kind: 'rejected', row: row.row, reason, detail: safeDetail(detail), brand, sourceToken };
}

/** A `recollect` vault entry for `row` (the detail scrubbed). */
function recollected(row: MappingFileRow, base: Omit<MappingRow['mapping'], 'status'>, reason: NonNullable<TokenMapping['failureReason']>, detail: string | undefined): MappingRow {
  return { kind: 'mapping', row: row.row, mapping: { ...base, status: 'recollect', failureReason: reason, failureDetail: detail === undefined ? undefined : safeDetail(detail) } };
}

/**
 * Decides what one row of a mapping file becomes, in this order (the first that applies wins):
 * 1. `sensitive_data`: a card number, security code or track data anywhere in the row. The row is
 *    dropped; the reason names the kind and the column, never the value.
 * 2. `invalid_data`: a structural problem, a missing or unusable source token or customer, or card
 *    details that do not parse (last four, month, year).
 * 3. Re-collection (a vault entry with status `recollect`): the provider reported a failure, the
 *    new token or customer is missing (`provider_rejected`, `unknown_customer`), the brand is not
 *    accepted (`brand_not_supported`), or the card has expired (`expired`).
 * 4. Otherwise `mapped`.
 * Duplicates (a source token seen before) are decided by the importer, which sees earlier rows.
 */
export function classifyMappingRow(row: MappingFileRow, context: RowClassificationContext): ClassifiedRow {
  // No closures here: one per row per call is a million allocations (and name helpers) per import.
  const brand = normalizeCardBrand(row.brand);
  const sensitive = sensitiveFindings(row.fields);
  if (sensitive !== undefined) return { kind: 'rejected', row: row.row, reason: 'sensitive_data', detail: sensitive, brand, sourceToken: undefined };
  if (row.problem !== undefined) return rejected(row, brand, 'invalid_data', row.problem);
  if (!isUsableReference(row.sourceToken)) return rejected(row, brand, 'invalid_data', row.sourceToken === undefined ? 'the source token is missing' : 'the source token is not a usable reference');
  const sourceToken = row.sourceToken;
  if (!isUsableReference(row.sourceCustomerReference)) return rejected(row, brand, 'invalid_data', 'the source customer is missing or not a usable reference', sourceToken);
  const card = parseCard(row, brand);
  if (typeof card === 'string') return rejected(row, brand, 'invalid_data', card, sourceToken);
  const targetToken = isUsableReference(row.targetToken) ? row.targetToken : undefined;
  const targetCustomer = isUsableReference(row.targetCustomerReference) ? row.targetCustomerReference : undefined;
  const base = {
    customerId: context.customerIdOf({ sourceCustomerReference: row.sourceCustomerReference, targetCustomerReference: targetCustomer }),
    source: { provider: context.sourceProvider, token: sourceToken, customerReference: row.sourceCustomerReference },
    card,
    networkTransactionId: isUsableReference(row.networkTransactionId) ? row.networkTransactionId : undefined,
    origin: 'file' as const,
  };
  if (row.providerFailure !== undefined) return recollected(row, base, row.providerFailure.reason, row.providerFailure.detail);
  if (targetToken === undefined) return recollected(row, base, 'provider_rejected', 'the file gives no new token');
  if (targetCustomer === undefined) return recollected(row, base, 'unknown_customer', 'the file gives no customer at the new provider');
  if (context.supportedBrands !== undefined && !context.supportedBrands.includes(brand)) return recollected(row, base, 'brand_not_supported', `${context.targetProvider} does not accept ${brand}`);
  if (context.recollectExpired && Date.UTC(card.expiryYear, card.expiryMonth, 1) <= context.now) return recollected(row, base, 'expired', `expired at the end of ${card.expiryMonth}/${card.expiryYear}`);
  // Listed rather than spread from `base`: a literal of fixed shape, no copy loop (a million rows).
  return {
    kind: 'mapping',
    row: row.row,
    mapping: {
      customerId: base.customerId,
      source: base.source,
      card,
      networkTransactionId: base.networkTransactionId,
      origin: base.origin,
      target: { provider: context.targetProvider, token: targetToken, customerReference: targetCustomer },
      status: 'mapped',
    },
  };
}
