import type { TokenFailureReason } from '../../ports/token-exchange/v1/token-exchange.js';

/**
 * One record of a mapping file, as a format parser read it: raw text fields, nothing validated
 * yet. `classifyMappingRow` turns it into a mapping or a rejection.
 */
export interface MappingFileRow {
  /** 1-based record number (the header is not counted; for Stripe JSON: the n-th card in file order). */
  readonly row: number;
  /** Every raw field of the record by its column (or JSON member) name: what the PCI scan reads. */
  readonly fields: Readonly<Record<string, string>>;
  /** Token at the source provider. */
  readonly sourceToken?: string | undefined;
  /** Customer at the source provider. */
  readonly sourceCustomerReference?: string | undefined;
  /** Token at the target provider (absent when the provider did not import it). */
  readonly targetToken?: string | undefined;
  /** Customer at the target provider. */
  readonly targetCustomerReference?: string | undefined;
  /** Brand as the file spells it (`Visa`, `mc`, `American Express`, ...). */
  readonly brand?: string | undefined;
  /** Last four digits. */
  readonly last4?: string | undefined;
  /** Expiry month as text. */
  readonly expiryMonth?: string | undefined;
  /** Expiry year as text (two or four digits). */
  readonly expiryYear?: string | undefined;
  /** The provider's card fingerprint. */
  readonly fingerprint?: string | undefined;
  /** Network transaction id (scheme reference) for merchant-initiated renewals. */
  readonly networkTransactionId?: string | undefined;
  /** The provider reported this record as not imported. */
  readonly providerFailure?: { readonly reason: TokenFailureReason; readonly detail?: string | undefined } | undefined;
  /** A structural problem of this record only (wrong number of fields, wrong JSON type). */
  readonly problem?: string | undefined;
}

/** A mapping file format: turns the decrypted text into rows, streaming. */
export interface MappingFileFormat {
  /** Format name (`generic-csv`, `adyen-csv`, `stripe-json`). */
  readonly name: string;
  /**
   * Reads rows from the decrypted file, one at a time: never the whole file in memory.
   * @throws MappingFileFormatError when the file's structure is broken (header, quoting, JSON).
   */
  rows(text: AsyncIterable<string | Uint8Array>): AsyncGenerator<MappingFileRow>;
}

/** Trims a raw field; empty becomes `undefined`. */
export function optionalField(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}
