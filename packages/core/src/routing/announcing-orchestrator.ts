import type { MigrationOrchestrator } from '../cutover/migration-orchestrator.js';
import type { MigrationState } from '../cutover/migration-state.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { type ControlPlaneBroadcast, encodeRoutingChange } from './control-plane-broadcast.js';

/** Options of `withRoutingAnnouncements`. */
export interface RoutingAnnouncementOptions {
  /** Where changes are announced. */
  readonly broadcast: ControlPlaneBroadcast;
  /** Receives announcement failures. @default createLogger({ name: 'paymigrate.routing.announcements' }) */
  readonly logger?: Logger | undefined;
}

/**
 * Wraps a migration orchestrator so every change it journals (start, phase change, ramp
 * percentage change, rollback) is announced on the control plane right after the write: every
 * routing node re-reads the journal at once instead of at its next poll. The journal write is the
 * change; a failed announcement is logged and never fails the call (nodes poll).
 *
 * @example
 * const orchestrator = withRoutingAnnouncements(createMigrationOrchestrator({ ... }), { broadcast });
 * await orchestrator.setRampPercent({ percent: 5, actor: 'alice', reason: 'guardrail green at 1 %' });
 */
export function withRoutingAnnouncements(orchestrator: MigrationOrchestrator, options: RoutingAnnouncementOptions): MigrationOrchestrator {
  const { broadcast } = options;
  const logger = options.logger ?? createLogger({ name: 'paymigrate.routing.announcements' });

  const announce = async (state: MigrationState): Promise<MigrationState> => {
    try {
      await broadcast.publish(encodeRoutingChange({ migrationId: state.migrationId, source: 'migration', revision: state.epoch, at: state.updatedAt }));
    } catch (error) {
      logger.error({ migrationId: state.migrationId, epoch: state.epoch, error: error instanceof Error ? error.message : String(error) }, 'migration change journaled but not broadcast; nodes will see it at their next poll');
    }
    return state;
  };

  return Object.freeze({
    migrationId: orchestrator.migrationId,
    start: async (input?: Parameters<MigrationOrchestrator['start']>[0]) => announce(await orchestrator.start(input)),
    advance: async (input: Parameters<MigrationOrchestrator['advance']>[0]) => announce(await orchestrator.advance(input)),
    setRampPercent: async (input: Parameters<MigrationOrchestrator['setRampPercent']>[0]) => announce(await orchestrator.setRampPercent(input)),
    rollback: async (input: Parameters<MigrationOrchestrator['rollback']>[0]) => announce(await orchestrator.rollback(input)),
    status: () => orchestrator.status(),
  });
}
