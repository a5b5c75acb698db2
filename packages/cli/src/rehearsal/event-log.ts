import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** The rehearsal's own event stream: one JSON line per notable event (scanned for card data with everything else). */
export interface EventLog {
  /** The file. */
  readonly file: string;
  /** Appends an event (synchronously: it survives a kill right after). */
  record(type: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Opens (creates) the event log at `file`. */
export function openEventLog(file: string): EventLog {
  mkdirSync(dirname(file), { recursive: true });
  return {
    file,
    record(type, fields = {}) {
      appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), type, ...fields })}\n`);
    },
  };
}
