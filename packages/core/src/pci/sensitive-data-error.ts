import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';
import type { SensitiveDataFinding } from './sensitive-data-scanner.js';

const marker = Symbol.for('paymigrate.error.sensitive-data');

/**
 * Cardholder data (a card number, a security code, track data) reached a boundary where it must
 * never be written: the journal, an event, a session, an imported file's accepted rows, a report.
 * Nothing was written. The message names the boundary, the kinds and the locations, never the data
 * (PCI DSS 12.10.7: treat it as an incident, find the source, do not spread it further).
 */
export class SensitiveDataError extends PaymigrateError {
  private readonly [marker] = true;

  /** The boundary that refused (`journal`, `outbox`, `session`, `mapping-file row 12`, ...). */
  readonly boundary: string;

  /** What was found where; display-safe (masked) only. */
  readonly findings: readonly SensitiveDataFinding[];

  constructor(options: { boundary: string; findings: readonly SensitiveDataFinding[] }) {
    const locations = options.findings.slice(0, 5).map((finding) => `${finding.kind} at ${finding.path}`);
    const more = options.findings.length > 5 ? ` and ${options.findings.length - 5} more` : '';
    super(
      'PCI_SENSITIVE_DATA',
      `Refused to write cardholder data to the ${options.boundary}: ${locations.join(', ')}${more}. Nothing was written; remove card data at its source (only tokens and card summaries may pass).`,
    );
    this.name = 'SensitiveDataError';
    this.boundary = options.boundary;
    this.findings = options.findings.map((finding) => ({ kind: finding.kind, path: finding.path }) as SensitiveDataFinding);
  }

  static override isInstance(error: unknown): error is SensitiveDataError {
    return hasMarker(error, marker);
  }
}
