import { existsSync, readFileSync } from 'node:fs';
import { findSensitiveDataInText, type SensitiveDataFinding } from '@paymigrate/core';

/** What scanning one source found. */
export interface PanScanResult {
  /** What was scanned (a file path, `report`). */
  readonly source: string;
  /** Bytes scanned. */
  readonly bytes: number;
  /** Card numbers, track data and labelled security codes found (masked). */
  readonly findings: readonly SensitiveDataFinding[];
  /** Known network transaction ids left out of the scan. */
  readonly excludedNetworkTransactionIds: number;
}

/** A standalone run of 13-19 digits. */
const digitRun = /(?<![0-9])[0-9]{13,19}(?![0-9])/g;

/**
 * Scans text for cardholder data with core's PCI scanner (Luhn-checked card numbers in brand
 * ranges, track data, labelled security codes). Standalone digit runs equal to a known network
 * transaction id are left out (and counted): a scheme reference is not card data, but can pass the
 * Luhn check where its name is not next to it.
 */
export function scanText(source: string, text: string, exclude: ReadonlySet<string> = new Set()): PanScanResult {
  let excluded = 0;
  const scannable =
    exclude.size === 0
      ? text
      : text.replace(digitRun, (digits) => {
          if (!exclude.has(digits)) return digits;
          excluded += 1;
          return 'n'.repeat(digits.length);
        });
  return { source, bytes: Buffer.byteLength(text), findings: findSensitiveDataInText(scannable, source), excludedNetworkTransactionIds: excluded };
}

/**
 * Scans files byte for byte (decoded as Latin-1, so binary files such as the SQLite journal and its
 * write-ahead log are read whole: a card number stored anywhere in them is found). Standalone digit
 * runs equal to a known network transaction id are left out. Missing files are skipped.
 */
export function scanFiles(files: readonly string[], exclude: ReadonlySet<string> = new Set()): PanScanResult[] {
  return files.filter((file) => existsSync(file)).map((file) => scanText(file, readFileSync(file).toString('latin1'), exclude));
}
