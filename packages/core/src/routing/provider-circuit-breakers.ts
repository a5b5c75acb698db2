import { circuitBreaker, type CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, handleAll, type IBreaker, SamplingBreaker } from 'cockatiel';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';

/**
 * When a provider's circuit opens, and when it is tried again.
 *
 * - `consecutive`: opens after `failures` failed authorization calls in a row (cockatiel
 *   `ConsecutiveBreaker`).
 * - `sampling`: opens when more than `threshold` (0..1) of the calls over the last `durationMs`
 *   failed, once there are at least `minimumRequestsPerSecond` calls per second (cockatiel
 *   `SamplingBreaker`: a rolling window with a minimum volume, like resilience4j).
 *
 * After `halfOpenAfterMs` open, one new payment is let through as a trial: its success closes the
 * circuit, its failure opens it again.
 */
export type CircuitBreakerSettings =
  | {
      readonly kind: 'consecutive';
      /** Failed calls in a row that open the circuit. */
      readonly failures: number;
      /** How long the circuit stays open before a trial, milliseconds. */
      readonly halfOpenAfterMs: number;
    }
  | {
      readonly kind: 'sampling';
      /** Share of failed calls (0..1, exclusive) above which the circuit opens. */
      readonly threshold: number;
      /** Length of the rolling window, milliseconds. */
      readonly durationMs: number;
      /** Calls per second below which the circuit never opens. @default 5 failures per second at the threshold (cockatiel's default) */
      readonly minimumRequestsPerSecond?: number | undefined;
      /** How long the circuit stays open before a trial, milliseconds. */
      readonly halfOpenAfterMs: number;
    };

/** The default breaker: more than half of the calls over 10 s failed, at 2 calls/s or more; a trial after 30 s. */
export const defaultCircuitBreakerSettings: CircuitBreakerSettings = Object.freeze({
  kind: 'sampling',
  threshold: 0.5,
  durationMs: 10_000,
  minimumRequestsPerSecond: 2,
  halfOpenAfterMs: 30_000,
});

/** The zod schema of `CircuitBreakerSettings`. */
export const circuitBreakerSettingsSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('consecutive'),
    failures: z.number().int().min(1),
    halfOpenAfterMs: z.number().int().positive(),
  }),
  z.strictObject({
    kind: z.literal('sampling'),
    threshold: z.number().gt(0).lt(1),
    durationMs: z.number().int().min(1000),
    minimumRequestsPerSecond: z.number().positive().optional(),
    halfOpenAfterMs: z.number().int().positive(),
  }),
]);

/** A circuit's state, in words. */
export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/** What `admit` answers: `closed` (normal), `trial` (the one payment let through to test an open circuit), or `refused`. */
export type CircuitAdmission = 'closed' | 'trial' | 'refused';

/** One provider's circuit. */
interface ProviderCircuit {
  readonly policy: CircuitBreakerPolicy;
  /** When the circuit last opened (cockatiel's clock: `Date.now()`). */
  openedAt: number;
  /** When a trial payment was last let through while open. */
  trialAt: number | undefined;
}

const stateNames: Readonly<Record<CircuitState, CircuitStateName>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** The error recorded for a failed call (cockatiel counts thrown errors). */
class RecordedFailure extends Error {
  constructor(code: string) {
    super(code);
    this.name = 'RecordedFailure';
  }
}

/**
 * One cockatiel circuit breaker per provider, consulted ONLY when the router picks the provider of a
 * NEW payment: a refused provider makes the router send the payment to the other one with reason
 * `circuit open`. The breakers never gate a call themselves: the Transaction State Manager's
 * follow-ups (capture, refund, void) and the resolution of unknown outcomes never call `select()`,
 * so they always go to the pinned provider whatever the circuit says (invariants 2 and 3).
 *
 * Outcomes are recorded after the fact (`recordSuccess`, `recordFailure`) by the router's
 * instrumented gateway. While a circuit is open, one payment is admitted as a trial once
 * `halfOpenAfterMs` has passed (and again every `halfOpenAfterMs` until an outcome arrives).
 * Timing uses `Date.now()`, as cockatiel does.
 */
export class ProviderCircuitBreakers {
  readonly #settings: CircuitBreakerSettings;
  readonly #circuits = new Map<string, ProviderCircuit>();
  readonly #onStateChange: ((provider: string, state: CircuitStateName) => void) | undefined;
  /**
   * How many circuits are not closed (kept by their state-change events, which cockatiel emits on
   * every transition): while none is, `state` and `admit` answer `closed` without a map lookup.
   */
  #notClosed = 0;

  /**
   * @param settings When circuits open and when they are tried again.
   * @param onStateChange Told of every state change (metrics, logs).
   * @throws ConfigurationError when `settings` are invalid.
   */
  constructor(settings: CircuitBreakerSettings = defaultCircuitBreakerSettings, onStateChange?: (provider: string, state: CircuitStateName) => void) {
    this.#settings = parseOptions(circuitBreakerSettingsSchema, settings, { component: 'circuitBreaker' });
    this.#onStateChange = onStateChange;
  }

  /** The settings in force. */
  get settings(): CircuitBreakerSettings {
    return this.#settings;
  }

  /** The state of `provider`'s circuit (`closed` for a provider never seen). */
  state(provider: string): CircuitStateName {
    if (this.#notClosed === 0) return 'closed';
    const circuit = this.#circuits.get(provider);
    return circuit === undefined ? 'closed' : stateNames[circuit.policy.state];
  }

  /**
   * Whether a NEW payment may go to `provider` now. An open circuit whose reset timeout has passed
   * admits exactly one payment as a `trial` (reserved for `halfOpenAfterMs`); everything else open,
   * half-open (a trial's outcome is being recorded) or isolated is `refused`.
   */
  admit(provider: string): CircuitAdmission {
    if (this.#notClosed === 0) return 'closed';
    const circuit = this.#circuits.get(provider);
    if (circuit === undefined) return 'closed';
    const state = circuit.policy.state;
    if (state === CircuitState.Closed) return 'closed';
    if (state !== CircuitState.Open) return 'refused';
    const now = Date.now();
    const waitMs = this.#settings.halfOpenAfterMs;
    if (now - circuit.openedAt < waitMs) return 'refused';
    if (circuit.trialAt !== undefined && now - circuit.trialAt < waitMs) return 'refused';
    circuit.trialAt = now;
    return 'trial';
  }

  /** Records a call the provider answered (an authorization or a decline: the provider works). */
  async recordSuccess(provider: string): Promise<void> {
    await this.#circuit(provider)
      .policy.execute(() => undefined)
      .catch(() => undefined);
  }

  /** Records a call that failed for the provider's sake (unavailable, timeout, 5xx, rate limit, unknown outcome). */
  async recordFailure(provider: string, code: string): Promise<void> {
    await this.#circuit(provider)
      .policy.execute(() => {
        throw new RecordedFailure(code);
      })
      .catch(() => undefined);
  }

  /**
   * Holds `provider`'s circuit open by hand (an operator's decision) until the returned handle is
   * disposed.
   */
  isolate(provider: string): { dispose(): void } {
    return this.#circuit(provider).policy.isolate();
  }

  #circuit(provider: string): ProviderCircuit {
    const existing = this.#circuits.get(provider);
    if (existing !== undefined) return existing;
    const settings = this.#settings;
    const breaker: IBreaker =
      settings.kind === 'consecutive'
        ? new ConsecutiveBreaker(settings.failures)
        : new SamplingBreaker({ threshold: settings.threshold, duration: settings.durationMs, minimumRps: settings.minimumRequestsPerSecond });
    const policy = circuitBreaker(handleAll, { halfOpenAfter: settings.halfOpenAfterMs, breaker });
    const circuit: ProviderCircuit = { policy, openedAt: 0, trialAt: undefined };
    policy.onBreak(() => {
      circuit.openedAt = Date.now();
      circuit.trialAt = undefined;
    });
    policy.onReset(() => {
      circuit.trialAt = undefined;
    });
    let closed = true;
    policy.onStateChange((state) => {
      const nowClosed = state === CircuitState.Closed;
      if (nowClosed !== closed) this.#notClosed += nowClosed ? -1 : 1;
      closed = nowClosed;
      this.#onStateChange?.(provider, stateNames[state]);
    });
    this.#circuits.set(provider, circuit);
    return circuit;
  }
}
