import type { SeededRandom } from './seeded-random.js';

/** The kinds of fault a fake API can inject. */
export type FaultKind =
  | 'latency'
  | 'timeout-after-apply'
  | 'reset-after-apply'
  | 'reset-before-apply'
  | 'server-error'
  | 'rate-limit'
  | 'outage';

/** What a fault rule's `when` predicate sees of a request. */
export interface FaultRequest {
  /** Id of the matched route. */
  readonly routeId: string;
  /** HTTP method, upper case. */
  readonly method: string;
  /** The full request URL. */
  readonly url: URL;
  /** Path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  /** Request headers (not redacted). */
  readonly headers: Headers;
  /** The request body as text (`''` when there is none). */
  readonly bodyText: string;
}

/** Which requests a fault rule applies to, and how often. Shared by every fault kind. */
export interface FaultTarget {
  /** Route id the rule applies to; omitted means every route of the fake API. */
  readonly route?: string | undefined;
  /**
   * How many requests the rule applies to before it removes itself.
   * @default unlimited
   */
  readonly times?: number | undefined;
  /**
   * Chance in `[0, 1]` that a matching request gets the fault, drawn from the fake API's seeded
   * generator so runs are reproducible. A request the draw spares does not count towards `times`.
   * @default 1
   */
  readonly probability?: number | undefined;
  /** Narrows the rule further, e.g. to one payment: `when: (request) => request.params.intent === 'pi_1'`. */
  readonly when?: ((request: FaultRequest) => boolean) | undefined;
}

/** Delays the request, then handles it normally. Latency rules add up and combine with one other fault. */
export interface LatencyFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'latency';
  /** Delay before the request is handled. */
  readonly milliseconds: number;
}

/**
 * The route applies the operation (its state change stays), then the fake never answers and
 * finally fails the connection: the client cannot know whether the operation happened.
 */
export interface TimeoutAfterApplyFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'timeout-after-apply';
  /**
   * How long the fake holds the request before failing the connection. It lets go earlier when
   * the client aborts the request.
   * @default 30000 (in practice: until the client's AbortSignal fires)
   */
  readonly milliseconds?: number | undefined;
}

/** The route applies the operation, then the connection is reset before the answer arrives. */
export interface ResetAfterApplyFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'reset-after-apply';
}

/** The connection fails before the route runs: nothing is applied (connection refused). */
export interface ResetBeforeApplyFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'reset-before-apply';
}

/** A 5xx answer, optionally after the route applied the operation. */
export interface ServerErrorFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'server-error';
  /**
   * The 5xx status.
   * @default 500
   */
  readonly status?: 500 | 502 | 503 | 504 | undefined;
  /**
   * Run the route first (its state change stays) and replace its answer with the error.
   * @default false
   */
  readonly applyFirst?: boolean | undefined;
  /**
   * The JSON error body, in the provider's own shape.
   * @default { error: { message: 'Injected server error (<status>)' } }
   */
  readonly body?: unknown;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** A 429 answer with a `Retry-After` header; the operation is not applied. */
export interface RateLimitFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'rate-limit';
  /** Value of the `Retry-After` header. */
  readonly retryAfterSeconds: number;
  /**
   * The JSON error body, in the provider's own shape.
   * @default { error: { message: 'Too many requests: retry after <n> seconds' } }
   */
  readonly body?: unknown;
  /** Extra response headers (a provider's own rate-limit headers). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * Every matching request fails at the connection level without being applied. Same effect as
 * `reset-before-apply`; meant for the whole API (`route` omitted).
 */
export interface OutageFault extends FaultTarget {
  /** Discriminant. */
  readonly kind: 'outage';
}

/** A fault to inject into a fake API. */
export type FaultRule =
  | LatencyFault
  | TimeoutAfterApplyFault
  | ResetAfterApplyFault
  | ResetBeforeApplyFault
  | ServerErrorFault
  | RateLimitFault
  | OutageFault;

/** Every fault rule except latency: at most one of these applies to a request. */
export type TerminalFaultRule = Exclude<FaultRule, LatencyFault>;

/** An injected fault, returned by {@link FaultInjector.inject}. */
export interface FaultHandle {
  /** The rule as injected. */
  readonly rule: FaultRule;
  /** How many requests the rule has applied to so far. */
  readonly timesApplied: number;
  /** `false` once removed, cleared, or used up (`times`). */
  readonly active: boolean;
  /** Removes the rule; later requests no longer get it. Removing twice does nothing. */
  remove(): void;
}

/** Fault injection for one fake API. */
export interface FaultInjector {
  /**
   * Adds a rule. Rules are matched in insertion order: every matching latency rule delays the
   * request, and the first matching rule of any other kind decides what happens to it.
   * @throws Error when the rule names a route the API does not have, or has invalid numbers.
   */
  inject(rule: FaultRule): FaultHandle;
  /** Removes every rule. */
  clear(): void;
  /** The rules currently in force, in insertion order. */
  readonly active: readonly FaultHandle[];
}

/** What the fault injector decided for one request. */
export interface FaultSelection {
  /** Total delay from matching latency rules, in milliseconds (0 when none). */
  readonly latencyMilliseconds: number;
  /** The first matching non-latency rule, if any. */
  readonly terminal: TerminalFaultRule | undefined;
}

/** Fault injection plus the per-request decision the fake API uses. */
export interface FaultController extends FaultInjector {
  /** Picks the faults for one request, counting down `times`. */
  select(request: FaultRequest): FaultSelection;
}

interface FaultEntry {
  readonly rule: FaultRule;
  readonly handle: FaultHandle;
  timesApplied: number;
  active: boolean;
}

/**
 * Creates the fault injector behind `fakeApi.faults`.
 * @param options.routeIds Route ids a rule may name, to catch typos at `inject` time.
 * @param options.random The seeded generator used for `probability`.
 */
export function createFaultController(options: {
  readonly routeIds: readonly string[];
  readonly random: SeededRandom;
}): FaultController {
  const knownRouteIds = new Set(options.routeIds);
  let entries: readonly FaultEntry[] = [];

  function deactivate(entry: FaultEntry): void {
    entry.active = false;
    entries = entries.filter((candidate) => candidate !== entry);
  }

  function inject(rule: FaultRule): FaultHandle {
    validateRule(rule, knownRouteIds);
    const entry: FaultEntry = {
      rule,
      timesApplied: 0,
      active: true,
      handle: {
        rule,
        get timesApplied() {
          return entry.timesApplied;
        },
        get active() {
          return entry.active;
        },
        remove() {
          deactivate(entry);
        },
      },
    };
    entries = [...entries, entry];
    return entry.handle;
  }

  function clear(): void {
    for (const entry of entries) entry.active = false;
    entries = [];
  }

  function select(request: FaultRequest): FaultSelection {
    let latencyMilliseconds = 0;
    let terminal: TerminalFaultRule | undefined;
    // `entries` is replaced, never mutated, so removing a used-up rule here is safe.
    for (const entry of entries) {
      const { rule } = entry;
      if (rule.kind !== 'latency' && terminal !== undefined) continue;
      if (rule.route !== undefined && rule.route !== request.routeId) continue;
      if (rule.when !== undefined && !rule.when(request)) continue;
      if (rule.probability !== undefined && options.random.next() >= rule.probability) continue;
      entry.timesApplied += 1;
      if (rule.times !== undefined && entry.timesApplied >= rule.times) deactivate(entry);
      if (rule.kind === 'latency') latencyMilliseconds += rule.milliseconds;
      else terminal = rule;
    }
    return { latencyMilliseconds, terminal };
  }

  return {
    inject,
    clear,
    select,
    get active() {
      return entries.map((entry) => entry.handle);
    },
  };
}

function validateRule(rule: FaultRule, knownRouteIds: ReadonlySet<string>): void {
  if (rule.route !== undefined && !knownRouteIds.has(rule.route)) {
    throw new Error(`Fault rule names unknown route "${rule.route}"; known routes: ${[...knownRouteIds].join(', ')}`);
  }
  if (rule.times !== undefined && (!Number.isSafeInteger(rule.times) || rule.times < 1)) {
    throw new RangeError(`Fault rule "times" must be a positive integer, got ${rule.times}`);
  }
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
    throw new RangeError(`Fault rule "probability" must be within [0, 1], got ${rule.probability}`);
  }
  const milliseconds =
    rule.kind === 'latency' || rule.kind === 'timeout-after-apply' ? rule.milliseconds : undefined;
  if (milliseconds !== undefined && !(Number.isFinite(milliseconds) && milliseconds >= 0)) {
    throw new RangeError(`Fault rule "milliseconds" must be a finite number >= 0, got ${milliseconds}`);
  }
  if (rule.kind === 'rate-limit' && !(Number.isFinite(rule.retryAfterSeconds) && rule.retryAfterSeconds >= 0)) {
    throw new RangeError(`Fault rule "retryAfterSeconds" must be a finite number >= 0, got ${rule.retryAfterSeconds}`);
  }
}
