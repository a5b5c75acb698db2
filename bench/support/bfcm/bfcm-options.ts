// The load test's options: the defaults (2,300 checkouts/s offered for 60 s), `--quick` (the
// runner's scale 0.1: a 10 s smoke run with smaller token and session workloads), and overrides on
// the command line: `npm run bench:bfcm -- --duration=300 --workers=3 --rate=2300 --max-in-flight=250`.

/** Stripe's 2024 Black Friday / Cyber Monday peak, checkouts per second. */
export const stripeBfcmPeakPerSecond = 2_300;

/** What one run does. */
export interface BfcmOptions {
  /** Checkout arrivals per second, all workers together. */
  readonly arrivalsPerSecond: number;
  /** How long arrivals go on, seconds. */
  readonly durationSeconds: number;
  /** Checkout worker processes. */
  readonly workers: number;
  /** Admission limit per worker (checkouts in flight). */
  readonly maximumInFlightPerWorker: number;
  /** Rows of the token mapping file imported during the load. */
  readonly mappingFileRows: number;
  /** Stored cards re-tokenized through the API during the load. */
  readonly apiMethods: number;
  /** Sessions moved from memcached to Redis during the load. */
  readonly sessions: number;
  /** Shoppers updating their carts while the sessions move. */
  readonly liveShoppers: number;
}

/** Thrown for an option the load test cannot use; the message names the option and the fix. */
export class BfcmOptionError extends Error {
  /** Stable code. */
  readonly code = 'BFCM_OPTION_INVALID';
  constructor(option: string, value: string, fix: string) {
    super(`--${option}=${value} is not usable: ${fix}`);
    this.name = 'BfcmOptionError';
  }
}

/** Reads `--name=value` as a positive integer, or `fallback`. */
function positiveInteger(argumentsList: readonly string[], name: string, fallback: number): number {
  const found = argumentsList.find((argument) => argument.startsWith(`--${name}=`));
  if (found === undefined) return fallback;
  const text = found.slice(name.length + 3);
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new BfcmOptionError(name, text, 'pass a whole number above 0');
  return value;
}

/** The options of a run at `scale` (1, or 0.1 with `--quick`) with the command line's overrides. */
export function bfcmOptions(scale: number, argumentsList: readonly string[]): BfcmOptions {
  const quick = scale < 1;
  return {
    arrivalsPerSecond: positiveInteger(argumentsList, 'rate', stripeBfcmPeakPerSecond),
    durationSeconds: positiveInteger(argumentsList, 'duration', quick ? 10 : 60),
    workers: positiveInteger(argumentsList, 'workers', 2),
    maximumInFlightPerWorker: positiveInteger(argumentsList, 'max-in-flight', 250),
    mappingFileRows: quick ? 10_000 : 100_000,
    apiMethods: quick ? 1_000 : 10_000,
    sessions: quick ? 1_000 : 10_000,
    liveShoppers: 8,
  };
}
