// What the fleet test and its nodes (fleet-child.ts) share.
import type { LoopbackProviders } from '../crash/crash-wiring.js';

/** How the parent configures a fleet node (JSON in `PAYMIGRATE_FLEET_NODE`). */
export interface FleetNodeConfig extends LoopbackProviders {
  readonly connectionString: string;
  readonly schema: string;
  /** Node name: the recovery owner and the prefix of its payment ids. */
  readonly node: string;
  readonly seed: number;
  /** Payments to make (each: authorize, capture, refund). */
  readonly payments: number;
  /** Concurrent checkouts. */
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly graceMs: number;
  readonly recoveryIntervalMs: number;
  /**
   * When true, the node's recovery loop holds every claim of intents it reported until the parent
   * answers `resume` (so the parent can kill it while it certainly holds those leases).
   */
  readonly holdClaimsUntilResumed?: boolean;
}

/** Messages from a fleet node. */
export type FleetNodeReport =
  | { readonly type: 'loaded' }
  | { readonly type: 'ack'; readonly intentId: string; readonly status: string }
  | { readonly type: 'claimed'; readonly keys: readonly string[] }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'done' };

/** The environment variable carrying `FleetNodeConfig`. */
export const fleetNodeConfigVariable = 'PAYMIGRATE_FLEET_NODE';
