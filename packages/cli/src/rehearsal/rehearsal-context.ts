import { forEachConcurrently as forEachItemConcurrently, type SessionMigrationController, type SessionStoreV1 } from '@paymigrate/core';
import type { ProgressReporter } from '../output/progress.js';
import type { PaymigrateRuntime } from '../runtime/runtime.js';
import type { CustomerDirectory } from './customer-directory.js';
import type { EventLog } from './event-log.js';
import type { RehearsalOptions } from './rehearsal-options.js';
import type { PhaseCoverage, RehearsalCheckpoints } from './rehearsal-state.js';
import type { SessionCopySummary } from './session-steps.js';
import type { CheckoutTraffic } from './traffic.js';
import type { WebhookPump } from './webhook-pump.js';
import type { WorldClient } from './world/world-client.js';
import type { RemoteSessionStore } from './world/remote-session-store.js';

/** The files a rehearsal writes next to its journal. */
export interface RehearsalFiles {
  /** The SQLite journal. */
  readonly journal: string;
  /** JSON log lines of every engine. */
  readonly log: string;
  /** The rehearsal's event stream. */
  readonly events: string;
  /** Where token mapping files are written. */
  readonly mappings: string;
  /** The token vault's key file. */
  readonly key: string;
}

/** Everything a phase works with. */
export interface RehearsalContext {
  /** The options. */
  readonly options: RehearsalOptions;
  /** The engines, configured like a real migration, pointed at the world. */
  readonly runtime: PaymigrateRuntime;
  /** The world. */
  readonly world: WorldClient;
  /** The shop's customers. */
  readonly customers: CustomerDirectory;
  /** The rehearsal's checkpoint. */
  readonly checkpoints: RehearsalCheckpoints;
  /** Progress output. */
  readonly progress: ProgressReporter;
  /** This run's number (1, then +1 per resume). */
  readonly run: number;
  /** Files. */
  readonly files: RehearsalFiles;
  /** Webhook delivery. */
  readonly pump: WebhookPump;
  /**
   * The session stores: the one the shop's application uses (`live`: the Session Migration
   * Controller's migrating store over the two), the two behind it, and the controller.
   */
  readonly sessions: {
    readonly live: SessionStoreV1;
    readonly old: RemoteSessionStore;
    readonly new: RemoteSessionStore;
    readonly controller: SessionMigrationController;
  };
  /** The event stream. */
  readonly events: EventLog;
  /** Currency of every amount. */
  readonly currency: string;
  /** The checkout traffic while it runs. */
  traffic: CheckoutTraffic | undefined;
  /** The bulk copy of the sessions, once started (it runs beside the token migration and the ramp). */
  sessionCopy: Promise<SessionCopySummary> | undefined;
  /** Errors the background traffic met (an error is not a decline: it is reported). */
  readonly trafficErrors: string[];
}

/** What a phase reports when it ends. */
export interface PhaseOutcome {
  /** How much of it real engines covered. */
  readonly coverage: PhaseCoverage;
  /** The engines it used. */
  readonly engines: readonly string[];
  /** What was not covered, and other findings. */
  readonly notes: readonly string[];
  /** Counts. */
  readonly counts: Readonly<Record<string, number>>;
  /** One line for the progress output. */
  readonly summary: string;
}

/** A phase of the rehearsal. */
export type PhaseRunner = (context: RehearsalContext) => Promise<PhaseOutcome>;

/** Runs `work` over `items`, `concurrency` at a time, reporting each finished item. */
export async function forEachConcurrently<Item>(
  items: readonly Item[],
  concurrency: number,
  work: (item: Item) => Promise<void>,
  onDone?: (done: number) => void,
): Promise<void> {
  let done = 0;
  await forEachItemConcurrently(items, concurrency, async (item) => {
    await work(item);
    done += 1;
    onDone?.(done);
  });
}
