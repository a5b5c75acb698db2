/**
 * Time, injected so every engine can be tested with a manual clock and leases, TTLs, deadlines and
 * guardrail windows are reproducible.
 */
export interface ClockV1 {
  /** Port version. */
  readonly specificationVersion: 'v1';

  /** Current time, epoch milliseconds. */
  now(): number;

  /** Resolves after `milliseconds`; rejects with the signal's reason when aborted. */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void>;
}

/** The current version of the clock port. */
export type Clock = ClockV1;
